//! The text twin's values, in memory proportional to the file: the writer streams every tensor's
//! `values` array as text (the rest of the document is small and goes through the TOML
//! serializer), and the reader's pre-scan takes each `[[tensor]]` table's `values = [ … ]` integer
//! array straight into a compact [`Ints`] (one byte per weight code), leaving the small remainder
//! to the TOML parser.
//!
//! The pre-scan is an optimisation, not a second grammar: it tracks what TOML needs to tell a
//! key at the start of a line from text inside a string, a comment or a multi-line array (basic,
//! literal and multi-line strings, comments, bracket depth, the current table header), and it only
//! takes an array it fully understands: TOML integers (signs, `_` between digits, `0x`/`0o`/`0b`)
//! that fit an `i32` (no encoding is wider than `sint32`), commas, blanks, line breaks and
//! comments. Anything else — a float, a string, an out-of-range integer, a control character in
//! a comment, a quoted `"values"` key, a `[[ "tensor" ]]` header — is left in the text for the
//! TOML parser, so it is accepted or rejected as before, with the parser's message; except in an
//! array of more than [`LEAVE_TO_PARSER`] bytes, which the pre-scan reports itself (the parser
//! would need about 90 bytes per byte), and except more than [`MAX_REST`] bytes (or 1/64 of the
//! text) of TOML besides the taken arrays, which is refused for the same reason. After parsing,
//! the reader checks that the parser found every taken array where the scan took it from (else it
//! parses the whole text as before if it is at most [`MAX_REST`] bytes, and refuses a larger one).

use super::{flatten, header_doc, Flat, Vals, TEXT_VERSION};
use crate::error::QwError;
use crate::model::Model;
use crate::scheme::Encoding;
use serde::Serialize;
use std::io::{self, Write};

// ---------------------------------------------------------------- compact values

/// A tensor's values as read, in the narrowest of `i8` (every weight code), `i32` (every
/// `sint<N>` value, N ≤ 32) or `i64` (only from the TOML parser, for values no encoding has).
#[derive(Clone, Debug, PartialEq, Default)]
pub(super) enum Ints {
    /// No values.
    #[default]
    Empty,
    /// Values that all fit an `i8`.
    I8(Vec<i8>),
    /// Values that all fit an `i32`.
    I32(Vec<i32>),
    /// Any values.
    I64(Vec<i64>),
}

impl Ints {
    /// Room for `n` values of an encoding of `bits` bits (a binary payload's decoding).
    pub(super) fn for_bits(bits: u32, n: usize) -> Ints {
        if bits <= 8 {
            Ints::I8(Vec::with_capacity(n))
        } else {
            Ints::I32(Vec::with_capacity(n))
        }
    }

    pub(super) fn push(&mut self, v: i64) {
        match self {
            Ints::Empty => {
                *self = match (i8::try_from(v), i32::try_from(v)) {
                    (Ok(b), _) => Ints::I8(vec![b]),
                    (_, Ok(w)) => Ints::I32(vec![w]),
                    _ => Ints::I64(vec![v]),
                }
            }
            Ints::I8(s) => match i8::try_from(v) {
                Ok(b) => s.push(b),
                Err(_) => {
                    let old = std::mem::take(s);
                    *self = if i32::try_from(v).is_ok() {
                        Ints::I32(old.into_iter().map(i32::from).collect())
                    } else {
                        Ints::I64(old.into_iter().map(i64::from).collect())
                    };
                    self.push(v);
                }
            },
            Ints::I32(s) => match i32::try_from(v) {
                Ok(w) => s.push(w),
                Err(_) => {
                    *self = Ints::I64(std::mem::take(s).into_iter().map(i64::from).collect());
                    self.push(v);
                }
            },
            Ints::I64(w) => w.push(v),
        }
    }

    /// (Give back the spare capacity of growing.)
    fn shrink_to_fit(&mut self) {
        match self {
            Ints::Empty => {}
            Ints::I8(s) => s.shrink_to_fit(),
            Ints::I32(s) => s.shrink_to_fit(),
            Ints::I64(w) => w.shrink_to_fit(),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Ints::Empty => 0,
            Ints::I8(s) => s.len(),
            Ints::I32(s) => s.len(),
            Ints::I64(w) => w.len(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values, widened.
    pub(super) fn iter(&self) -> Box<dyn Iterator<Item = i64> + '_> {
        match self {
            Ints::Empty => Box::new(std::iter::empty()),
            Ints::I8(s) => Box::new(s.iter().map(|&b| i64::from(b))),
            Ints::I32(s) => Box::new(s.iter().map(|&b| i64::from(b))),
            Ints::I64(w) => Box::new(w.iter().copied()),
        }
    }

    /// As `i8` (callers have checked that every value is a weight code, which fits).
    pub(super) fn into_i8(self) -> Vec<i8> {
        match self {
            Ints::Empty => Vec::new(),
            Ints::I8(s) => s,
            Ints::I32(s) => s.into_iter().map(|v| v as i8).collect(),
            Ints::I64(w) => w.into_iter().map(|v| v as i8).collect(),
        }
    }

    pub(super) fn into_i64(self) -> Vec<i64> {
        match self {
            Ints::Empty => Vec::new(),
            Ints::I8(s) => s.into_iter().map(i64::from).collect(),
            Ints::I32(s) => s.into_iter().map(i64::from).collect(),
            Ints::I64(w) => w,
        }
    }
}

impl Serialize for Ints {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for Ints {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ints, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ints;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Ints, A::Error> {
                let mut out = Ints::Empty;
                while let Some(v) = a.next_element::<i64>()? {
                    out.push(v);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V)
    }
}

// ---------------------------------------------------------------- writing

/// The first line of every text twin.
const BANNER: &str = "# qrnn-hw text model (docs/QW_FORMAT.md, \"text twin\")\n";

fn ser_err(e: toml::ser::Error) -> io::Error {
    io::Error::other(format!("internal error: header serialisation failed: {e}"))
}

/// Write the text twin of `model` to `w`, streaming the values: the same bytes as serializing the
/// whole document with `toml::to_string` (see the test below), in memory independent of the
/// number of weights.
pub(super) fn write_text(model: &Model, w: &mut dyn Write) -> io::Result<()> {
    let mut doc = header_doc(model);
    doc.qw_text = Some(TEXT_VERSION);
    // (no tensors: `HeaderDoc::tensors` is skipped when empty, and written below)
    w.write_all(BANNER.as_bytes())?;
    w.write_all(toml::to_string(&doc).map_err(ser_err)?.as_bytes())?;
    let mut buf = Vec::with_capacity(1 << 16);
    for t in flatten(model) {
        write_tensor(w, &t, &mut buf)?;
    }
    Ok(())
}

/// One `[[tensor]]` table: the keys before `values` through the serializer (so strings are
/// quoted and escaped exactly as in the rest of the document), then `values`, then the
/// `[tensor.scale]` sub-table.
fn write_tensor(w: &mut dyn Write, t: &Flat, buf: &mut Vec<u8>) -> io::Result<()> {
    #[derive(Serialize)]
    struct Keys<'a> {
        name: &'a str,
        shape: &'a [usize],
        encoding: Encoding,
    }
    let keys = Keys {
        name: &t.name,
        shape: &t.shape,
        encoding: t.encoding,
    };
    w.write_all(b"\n[[tensor]]\n")?;
    w.write_all(toml::to_string(&keys).map_err(ser_err)?.as_bytes())?;
    w.write_all(b"values = [")?;
    buf.clear();
    let n = match t.values {
        Vals::Codes(c) => c.len(),
        Vals::Ints(v) => v.len(),
    };
    // a short array on one line; a longer one a row per line (trailing commas, TOML allows them)
    let per_line = values_per_line(&t.shape);
    let wrap = n > per_line.max(MAX_ONE_LINE);
    let mut k = 0usize;
    let mut put = |v: i64, buf: &mut Vec<u8>| -> io::Result<()> {
        if wrap {
            buf.extend_from_slice(if k.is_multiple_of(per_line) {
                b"\n    "
            } else {
                b" "
            });
        } else if k > 0 {
            buf.extend_from_slice(b", ");
        }
        k += 1;
        push_int(buf, v);
        if wrap {
            buf.push(b',');
        }
        if buf.len() >= (1 << 16) - 32 {
            w.write_all(buf)?;
            buf.clear();
        }
        Ok(())
    };
    match t.values {
        Vals::Codes(c) => c.iter().try_for_each(|&v| put(i64::from(v), buf))?,
        Vals::Ints(v) => v.iter().try_for_each(|&v| put(v, buf))?,
    }
    w.write_all(buf)?;
    w.write_all(if wrap { b"\n]\n" } else { b"]\n" })?;
    if let Some(s) = t.scale {
        w.write_all(b"\n[tensor.scale]\n")?;
        w.write_all(toml::to_string(s).map_err(ser_err)?.as_bytes())?;
    }
    Ok(())
}

/// Arrays of at most this many values are written on one line.
const MAX_ONE_LINE: usize = 32;

/// Values per line of a longer array: the row of the tensor — the product of its trailing
/// dimensions, as many as stay within 32 values — when that is at least 8, else 32 (a vector, or
/// a kernel's 3×3 taps that would make too many short lines).
fn values_per_line(shape: &[usize]) -> usize {
    let mut row = 1usize;
    for &d in shape.iter().skip(1).rev() {
        match row.checked_mul(d) {
            Some(r) if r <= MAX_ONE_LINE && d > 0 => row = r,
            _ => break,
        }
    }
    if row >= 8 {
        row
    } else {
        MAX_ONE_LINE
    }
}

/// Append the decimal digits of `v` (as `Display` writes them).
fn push_int(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    let mut m = v.unsigned_abs();
    let mut d = [0u8; 20];
    let mut i = d.len();
    loop {
        i -= 1;
        d[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    buf.extend_from_slice(&d[i..]);
}

// ---------------------------------------------------------------- reading: the pre-scan

/// The largest `values` array (bytes of text) that the pre-scan leaves to the TOML parser when
/// it cannot take it, so that the parser's own message reports the problem. A larger one is
/// reported by the pre-scan: the parser needs about 90 bytes of memory per byte of an array.
const LEAVE_TO_PARSER: usize = 64 << 10;
/// The TOML outside the taken arrays (the text the parser sees) may be at most this, or 1/64 of
/// the text if that is more: the parser needs up to about 90 bytes of memory per byte. A valid
/// model's is a few KiB (per-row scale multipliers add up to 7 bytes a row).
pub(super) const MAX_REST: usize = 8 << 20;

/// What the pre-scan took out of a text twin.
pub(super) struct Scan {
    /// The text with the interior of every taken `values` array removed (`values = []` remains).
    pub(super) rest: String,
    /// For each taken array: the `[[tensor]]` table it is in (0-based, in text order) and its
    /// values.
    pub(super) taken: Vec<(usize, Ints)>,
    /// How many `[[tensor]]` headers the scan saw.
    pub(super) tensor_tables: usize,
    /// For each cut, in order: the offset in `rest` where it is, and the total number of bytes
    /// removed up to and including it (to map a parser's offset in `rest` back to the text).
    cuts: Vec<(usize, usize)>,
}

impl Scan {
    /// The offset in the original text of offset `r` of [`Scan::rest`].
    pub(super) fn original_offset(&self, r: usize) -> usize {
        // the last cut at or before r
        let i = self.cuts.partition_point(|(at, _)| *at <= r);
        if i == 0 {
            r
        } else {
            r + self.cuts[i - 1].1
        }
    }
}

/// A text the pre-scan refuses itself (a large `values` array that is not all integers, or too
/// much TOML besides the arrays): where, and what is wrong.
#[derive(Debug)]
pub(super) struct ScanError {
    offset: Option<usize>,
    message: String,
}

impl ScanError {
    /// As the reader's error, located like the TOML parser's: line, column and byte.
    pub(super) fn into_error(self, text: &str) -> QwError {
        let location = match self.offset {
            Some(at) => {
                let mut at = at.min(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let before = &text[..at];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("text model line {line}, column {col} (byte {at})")
            }
            None => "text model".to_string(),
        };
        QwError::Header {
            location,
            message: self.message,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Table {
    /// The root table, or any table that is not `[[tensor]]`.
    Other,
    /// The k-th `[[tensor]]` table, and whether its `values` were taken already.
    Tensor(usize, bool),
}

/// Pre-scan a text twin (see the module documentation).
pub(super) fn scan(text: &str) -> Result<Scan, ScanError> {
    let b = text.as_bytes();
    let mut s = Scan {
        rest: String::new(),
        taken: Vec::new(),
        tensor_tables: 0,
        cuts: Vec::new(),
    };
    let mut copied = 0usize; // text[..copied] is in `rest` (less the cuts)
    let mut removed = 0usize;
    let mut table = Table::Other;
    let mut depth = 0usize; // open `[` / `{` of values
    let mut i = 0usize;
    let mut line_start = true;
    while i < b.len() {
        if line_start && depth == 0 {
            line_start = false;
            let j = skip_ws(b, i);
            if b.get(j) == Some(&b'[') {
                // a table header: `[[tensor]]` exactly (spaces allowed), or any other
                table = match tensor_header(b, j) {
                    Some(end) => {
                        s.tensor_tables += 1;
                        i = end;
                        Table::Tensor(s.tensor_tables - 1, false)
                    }
                    None => {
                        i = header_end(b, j);
                        Table::Other
                    }
                };
                continue;
            }
            if let Table::Tensor(k, false) = table {
                if let Some(open) = values_key(b, j) {
                    match int_array(b, open + 1) {
                        Ok((mut ints, close)) => {
                            ints.shrink_to_fit();
                            s.rest.push_str(&text[copied..=open]);
                            removed += close - (open + 1);
                            s.cuts.push((s.rest.len(), removed));
                            copied = close;
                            s.taken.push((k, ints));
                            table = Table::Tensor(k, true);
                            i = close + 1;
                            continue;
                        }
                        Err((at, message)) if value_end(b, open) - open > LEAVE_TO_PARSER => {
                            return Err(ScanError {
                                offset: Some(at),
                                message: format!("tensor values: {message}"),
                            });
                        }
                        Err(_) => {} // a small array: the parser reports it
                    }
                }
            }
            i = j;
            continue;
        }
        match b[i] {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'#' => i = line_end(b, i),
            b'"' | b'\'' => i = string_end(b, i),
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    s.rest.push_str(&text[copied..]);
    let cap = MAX_REST.max(b.len() / 64);
    if s.rest.len() > cap {
        return Err(ScanError {
            offset: None,
            message: format!(
                "{} bytes of TOML besides the tensors' `values` arrays, more than the {cap} this reader accepts (only `values` arrays may be large; a model's other fields take a few KiB)",
                s.rest.len()
            ),
        });
    }
    Ok(s)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// The offset of the `\n` ending the line that `i` is in (or the end).
fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

/// `b[i]` opens a table header: if it is `[[tensor]]` (spaces or tabs allowed around the name),
/// followed by spaces, an optional comment and the end of the line, the offset after `]]`.
fn tensor_header(b: &[u8], i: usize) -> Option<usize> {
    let j = skip_ws(b, b.get(i..i + 2).filter(|p| p == b"[[").map(|_| i + 2)?);
    let j = skip_ws(
        b,
        b.get(j..j + 6).filter(|p| p == b"tensor").map(|_| j + 6)?,
    );
    let end = b.get(j..j + 2).filter(|p| p == b"]]").map(|_| j + 2)?;
    let k = skip_ws(b, end);
    matches!(b.get(k), None | Some(b'#' | b'\n' | b'\r')).then_some(end)
}

/// `b[i]` opens some other table header: the offset after it (where a comment or the end of the
/// line should follow), skipping quoted keys. Stops at the end of the line in any case.
fn header_end(b: &[u8], mut i: usize) -> usize {
    let mut close = 0;
    while i < b.len() {
        match b[i] {
            b'\n' | b'#' => return i,
            b'"' | b'\'' if !is_triple(b, i) => i = string_end(b, i),
            b']' => {
                close += 1;
                i += 1;
                if close == 2 || b.get(i) != Some(&b']') {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    i
}

fn is_triple(b: &[u8], i: usize) -> bool {
    b.get(i..i + 3)
        .is_some_and(|p| p[0] == p[1] && p[1] == p[2])
}

/// `b[i]` opens a string (`"`, `'`, `"""` or `'''`): the offset after it. A one-line string
/// ends at the end of its line whatever follows (that is an error the parser reports).
fn string_end(b: &[u8], i: usize) -> usize {
    let q = b[i];
    if is_triple(b, i) {
        let mut j = i + 3;
        while j < b.len() {
            if q == b'"' && b[j] == b'\\' {
                j += 2;
            } else if b[j] == q && is_triple(b, j) {
                // `""""` and `"""""` end with one or two quotes of content
                let mut e = j + 3;
                while e < j + 5 && b.get(e) == Some(&q) {
                    e += 1;
                }
                return e;
            } else {
                j += 1;
            }
        }
        return b.len();
    }
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' if q == b'"' => j += 2,
            b'\n' => return j,
            c if c == q => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// `b[open]` opens an array or inline table: the offset after its closing bracket (or the end),
/// skipping strings and comments.
fn value_end(b: &[u8], open: usize) -> usize {
    let (mut depth, mut i) = (0usize, open);
    while i < b.len() {
        match b[i] {
            b'#' => i = line_end(b, i),
            b'"' | b'\'' => i = string_end(b, i),
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// At `b[i]` (the first non-blank of a line): `values`, spaces, `=`, spaces, `[`: the offset of
/// the `[`.
fn values_key(b: &[u8], i: usize) -> Option<usize> {
    let j = b.get(i..i + 6).filter(|p| p == b"values").map(|_| i + 6)?;
    let j = skip_ws(b, j);
    let j = skip_ws(b, (b.get(j) == Some(&b'=')).then_some(j + 1)?);
    (b.get(j) == Some(&b'[')).then_some(j)
}

/// Where the pre-scan stopped in an array, and why.
type Stop = (usize, String);

/// The text at `b[i]` for a message: up to the next blank, `,`, `]` or `#` (at most 40 bytes).
fn token(b: &[u8], i: usize) -> String {
    let end = b[i..]
        .iter()
        .position(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'#'))
        .map_or(b.len(), |p| i + p);
    let end = end.clamp(i + 1, (i + 40).min(b.len()));
    format!("`{}`", String::from_utf8_lossy(&b[i..end]))
}

fn unclosed(i: usize) -> Stop {
    (
        i,
        "the array is not closed: expected a value, `,` or `]`, found the end of the text".into(),
    )
}

/// Skip whitespace, newlines and comments inside an array. What TOML rejects there (a lone
/// `\r`, a control character in a comment) stops the scan.
fn skip_array_blank(b: &[u8], mut i: usize) -> Result<usize, Stop> {
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'\n') => i += 1,
            Some(b'\r') if b.get(i + 1) == Some(&b'\n') => i += 2,
            Some(b'\r') => {
                return Err((
                    i,
                    "a carriage return must be followed by a line feed".into(),
                ))
            }
            Some(b'#') => {
                i += 1;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => break,
                        Some(b'\r') if b.get(i + 1) == Some(&b'\n') => break,
                        Some(&c) if c == b'\t' || (c >= 0x20 && c != 0x7f) => i += 1,
                        Some(&c) => {
                            return Err((i, format!("control character U+{c:04X} in a comment")))
                        }
                    }
                }
            }
            _ => return Ok(i),
        }
    }
}

/// A TOML integer at `b[i]` (decimal with an optional sign and `_` between digits, or `0x`, `0o`,
/// `0b`) that fits an `i32` (the widest encoding is `sint32`): its value and the offset after it.
fn int_at(b: &[u8], i: usize) -> Result<(i32, usize), String> {
    let not_int = || format!("expected an integer, found {}", token(b, i));
    let (neg, sign_len) = match b.get(i) {
        None => return Err("the array is not closed".into()),
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        Some(_) => (false, 0),
    };
    let j = i + sign_len;
    let (radix, start) = match (b.get(j), b.get(j + 1)) {
        (Some(b'0'), Some(b'x')) if sign_len == 0 => (16, j + 2),
        (Some(b'0'), Some(b'o')) if sign_len == 0 => (8, j + 2),
        (Some(b'0'), Some(b'b')) if sign_len == 0 => (2, j + 2),
        _ => (10, j),
    };
    let digit = |c: Option<&u8>| c.and_then(|c| char::from(*c).to_digit(radix));
    let (mut m, mut k, mut digits) = (0u64, start, 0usize);
    loop {
        if let Some(d) = digit(b.get(k)) {
            m = m
                .saturating_mul(u64::from(radix))
                .saturating_add(u64::from(d));
            digits += 1;
            k += 1;
        } else if b.get(k) == Some(&b'_') && digits > 0 && digit(b.get(k + 1)).is_some() {
            k += 1;
        } else {
            break;
        }
    }
    // no digits, a leading zero (`01`, `0_1`), or more after the digits (`1.5`, `1e3`, a date)
    if digits == 0
        || (radix == 10 && b[start] == b'0' && k > start + 1)
        || !matches!(
            b.get(k),
            None | Some(b',' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'#')
        )
    {
        return Err(not_int());
    }
    let v = if neg { -i128::from(m) } else { i128::from(m) };
    i32::try_from(v).map(|v| (v, k)).map_err(|_| {
        format!(
            "integer {} is out of range: no encoding has values wider than 32 bits (sint32)",
            token(b, i)
        )
    })
}

/// The integer array whose `[` is just before `b[i]`: its values and the offset of its `]`; or
/// where and why it is not one.
fn int_array(b: &[u8], i: usize) -> Result<(Ints, usize), Stop> {
    let mut out = Ints::Empty;
    let mut i = skip_array_blank(b, i)?;
    loop {
        match b.get(i) {
            Some(b']') => return Ok((out, i)),
            None => return Err(unclosed(i)),
            _ => {}
        }
        let (v, j) = int_at(b, i).map_err(|m| (i, m))?;
        out.push(i64::from(v));
        i = skip_array_blank(b, j)?;
        match b.get(i) {
            Some(b',') => i = skip_array_blank(b, i + 1)?,
            Some(b']') => return Ok((out, i)),
            None => return Err(unclosed(i)),
            Some(_) => {
                return Err((
                    i,
                    format!("expected `,` or `]` after a value, found {}", token(b, i)),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::example::{example, ExampleSpec};
    use crate::model::Cell;
    use crate::qw::{HeaderDoc, TensorDoc};
    use crate::scheme::Scheme;

    /// The writer before streaming: the whole document through `toml::to_string`.
    fn reference_text(model: &Model) -> String {
        let mut doc: HeaderDoc = header_doc(model);
        doc.qw_text = Some(TEXT_VERSION);
        for t in flatten(model) {
            let mut values = Ints::Empty;
            match t.values {
                Vals::Codes(c) => c.iter().for_each(|&v| values.push(i64::from(v))),
                Vals::Ints(v) => v.iter().for_each(|&v| values.push(v)),
            }
            doc.tensors.push(TensorDoc {
                name: t.name,
                shape: t.shape,
                encoding: t.encoding,
                scale: t.scale.cloned(),
                offset: None,
                bytes: None,
                values: Some(values),
            });
        }
        let body = toml::to_string(&doc).unwrap();
        format!("{BANNER}{body}")
    }

    /// A text twin with its wrapped `values` arrays back on one line, as the serializer writes
    /// them.
    fn unwrap_arrays(text: &str) -> String {
        text.replace("[\n    ", "[")
            .replace(",\n    ", ", ")
            .replace(",\n]", "]")
    }

    #[test]
    fn long_arrays_are_written_a_row_per_line() {
        assert_eq!(values_per_line(&[64, 16]), 16);
        assert_eq!(values_per_line(&[20, 4, 3, 3]), 9);
        assert_eq!(values_per_line(&[512]), 32);
        assert_eq!(values_per_line(&[8, 2]), 32);
        assert_eq!(values_per_line(&[4, 64]), 32);
        let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 4, 1);
        spec.hidden = vec![8];
        let mut text = Vec::new();
        write_text(&example(&spec), &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        // U is 32×8: a row of 8 values per line
        assert!(text.contains("values = [\n    "), "{text}");
        assert!(text.contains(",\n]\n"), "{text}");
        // and it reads back as the same model
        let back = crate::qw::from_bytes(text.as_bytes()).unwrap();
        assert_eq!(back, example(&spec));
    }

    fn models() -> Vec<Model> {
        let mut out = Vec::new();
        for (cell, scheme, head, per_row) in [
            (Cell::Lstm, Scheme::Ternary, Some(3), false),
            (Cell::Gru, Scheme::Quaternary, None, true),
            (Cell::ConvLstm, Scheme::Binary, None, false),
            (Cell::Lstm, Scheme::Int(8), Some(2), true),
        ] {
            let mut spec = ExampleSpec::new(cell, scheme, 3, 5, 11);
            spec.hidden = vec![5, 4];
            spec.head = head.filter(|_| cell != Cell::ConvLstm);
            spec.map = Some((3, 4));
            spec.per_row_mult = per_row;
            let mut m = example(&spec);
            // provenance text the serializer must quote and escape (newlines, quotes, `#`,
            // brackets, a `values = [` line, non-ASCII)
            m.provenance.notes = Some(
                "line one\n[[tensor]]\nvalues = [1, 2]\n\"quoted\" 'single' # not a comment ü ]]"
                    .into(),
            );
            out.push(m);
        }
        out
    }

    #[test]
    fn streamed_text_is_byte_identical_to_the_serializer() {
        for m in models() {
            let mut streamed = Vec::new();
            write_text(&m, &mut streamed).unwrap();
            let text = String::from_utf8(streamed).unwrap();
            // the serializer's one-line arrays, wrapped a row per line
            assert_eq!(unwrap_arrays(&text), reference_text(&m));
            for l in text.lines().filter(|l| l.starts_with("    ")) {
                assert!(l.len() <= 32 * 12, "{l}");
            }
        }
    }

    #[test]
    fn scan_takes_every_values_array_and_keeps_the_rest() {
        for m in models() {
            let text = reference_text(&m);
            let s = scan(&text).unwrap();
            let n = flatten(&m).len();
            assert_eq!(s.tensor_tables, n);
            assert_eq!(s.taken.len(), n);
            for ((k, ints), t) in s.taken.iter().zip(flatten(&m)) {
                let want: Vec<i64> = match t.values {
                    Vals::Codes(c) => c.iter().map(|&v| i64::from(v)).collect(),
                    Vals::Ints(v) => v.to_vec(),
                };
                assert_eq!(ints.iter().collect::<Vec<_>>(), want, "tensor {k}");
            }
            assert!(s.rest.len() < text.len());
            assert_eq!(s.rest.matches("values = []").count(), n);
            // offsets map back: every `values = []` is `values = [` in the text
            for (r, _) in s.rest.match_indices("values = []") {
                let o = s.original_offset(r);
                assert_eq!(&text[o..o + 10], "values = [");
                let close = s.original_offset(r + 10);
                assert_eq!(&text[close..close + 1], "]");
            }
        }
    }

    /// What the TOML parser makes of `[s]`: `Some(v)` if it is one integer in `i32`.
    fn toml_int(s: &str) -> Option<i32> {
        #[derive(serde::Deserialize)]
        struct X {
            x: Vec<toml::Value>,
        }
        let x: X = toml::from_str(&format!("x = [{s}]")).ok()?;
        match x.x.as_slice() {
            [toml::Value::Integer(v)] => i32::try_from(*v).ok(),
            _ => None,
        }
    }

    fn one(s: &str) -> Option<i32> {
        let b = format!("{s}]");
        int_at(b.as_bytes(), 0)
            .ok()
            .filter(|(_, end)| *end == s.len())
            .map(|(v, _)| v)
    }

    #[test]
    fn integers_as_toml_reads_them_or_not_at_all() {
        for (s, v) in [
            ("0", 0),
            ("-0", 0),
            ("+17", 17),
            ("1_000", 1000),
            ("0x7fff_FFFF", i32::MAX),
            ("0o17", 15),
            ("0b101", 5),
            ("-2147483648", i32::MIN),
        ] {
            assert_eq!(one(s), Some(v), "{s:?}");
            assert_eq!(toml_int(s), Some(v), "{s:?}");
        }
        for bad in [
            "2147483648",
            "-2147483649",
            "99999999999999999999999",
            "01",
            "-01",
            "0_1",
            "1__0",
            "_1",
            "1_",
            "-0x10",
            "0X10",
            "0x",
            "1.5",
            "1e3",
            "--1",
            "-",
            "",
            "inf",
            "1a",
            "1979-05-27",
        ] {
            assert_eq!(one(bad), None, "{bad:?}");
            assert_eq!(toml_int(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// The pre-scan takes an integer exactly when the TOML parser reads one (in i32), and the
        /// same one.
        #[test]
        fn integers_agree_with_the_toml_parser(
            s in "[-+0-9_xobA-Fa-f.e]{1,12}",
            d in "[-+]?[0-9][0-9_]{0,11}",
            r in "0[xob][0-9a-fA-F_]{1,10}",
        ) {
            for s in [s, d, r] {
                proptest::prop_assert_eq!(one(&s), toml_int(&s), "{:?}", s);
            }
        }
    }

    #[test]
    fn arrays_are_taken_whole_or_not_at_all() {
        let arr = |s: &str| {
            int_array(s.as_bytes(), 1)
                .ok()
                .map(|(v, _)| v.iter().collect::<Vec<_>>())
        };
        assert_eq!(arr("[]"), Some(vec![]));
        assert_eq!(arr("[ 1 , -2 ,\n 3, ]"), Some(vec![1, -2, 3]));
        assert_eq!(arr("[1, # c \u{fc}\r\n 2 # d\n]"), Some(vec![1, 2]));
        assert_eq!(arr("[1,,2]"), None);
        assert_eq!(arr("[,]"), None);
        assert_eq!(arr("[1 2]"), None);
        assert_eq!(arr("[1, \"2\"]"), None);
        assert_eq!(arr("[1, [2]]"), None);
        assert_eq!(arr("[1,\r 2]"), None);
        assert_eq!(arr("[1, # bell \u{7}\n 2]"), None);
        assert_eq!(arr("[1, 2"), None);
        // wider values switch to four bytes each, keeping the order
        assert_eq!(arr("[1, 300, -2]"), Some(vec![1, 300, -2]));
        let Ok((Ints::I32(_), _)) = int_array(b"[1, 300]", 1) else {
            panic!("not i32")
        };
        let Ok((Ints::I8(_), _)) = int_array(b"[1, -128]", 1) else {
            panic!("not i8")
        };
    }

    /// Layouts the writer never makes are still taken by the pre-scan (not left to the parser),
    /// and the parser finds every taken array where the scan took it from.
    #[test]
    fn unusual_layouts_are_taken_too() {
        for m in models() {
            let text = reference_text(&m);
            let n = flatten(&m).len();
            let first = text.find("\n[[tensor]]\nname = ").unwrap();
            let (head, tensors) = text.split_at(first);
            for t in [
                text.replace('\n', "\r\n"),
                format!(
                    "{head}{}",
                    tensors
                        .split_inclusive('\n')
                        .map(|l| match l.strip_prefix("values = [") {
                            Some(v) => format!(
                                "  values\t= [ # first\r\n{},\n]\n",
                                v.trim_end_matches("]\n")
                                    .replace(", ", " , # ] [[tensor]] \"\n\t")
                            ),
                            None => l.to_string(),
                        })
                        .collect::<String>()
                ),
                format!(
                    "{head}{}",
                    tensors.replace("[[tensor]]", "[[ tensor ]] # t")
                ),
            ] {
                let s = scan(&t).unwrap();
                assert_eq!((s.taken.len(), s.tensor_tables), (n, n));
                let doc: HeaderDoc = toml::from_str(&s.rest).unwrap();
                assert_eq!(doc.tensors.len(), n);
                for ((k, _), d) in s.taken.iter().zip(&doc.tensors) {
                    assert_eq!(d.values, Some(Ints::Empty), "tensor {k}");
                }
            }
        }
    }

    #[test]
    fn strings_comments_and_arrays_hide_what_looks_like_keys() {
        let text = concat!(
            "a = \"\"\"\n[[tensor]]\nvalues = [1]\n\"\"\"\"\n",
            "b = '''\n[[tensor]]\nvalues = [2]'''\n",
            "c = [\n[[tensor]]\nvalues = [3]\n]\n",
            "# [[tensor]]\n",
            "d = \"[[tensor]] \\\" values = [4]\"\n",
            "[[tensor]] # the only one\n",
            "x = 'values = [5]'\n",
            "  values   =   [6, 7]   # ok\n",
            "values = [8]\n",
            "[tensor.scale]\n",
            "values = [9]\n",
            "[[ tensor ]]\r\n",
            "\"values\" = [10]\r\n",
            "[[tensor]]\n",
            "values = [1.5]\n",
        );
        let s = scan(text).unwrap();
        assert_eq!(s.tensor_tables, 3);
        assert_eq!(s.taken.len(), 1);
        assert_eq!(s.taken[0].0, 0);
        assert_eq!(s.taken[0].1.iter().collect::<Vec<_>>(), vec![6, 7]);
        assert_eq!(s.rest, text.replacen("[6, 7]", "[]", 1));
    }
}
