//! The `.qw` model file (docs/QW_FORMAT.md) and its text twin (`.qw.toml`).
//!
//! Binary layout (all integers little-endian):
//!
//! ```text
//! 0        8   magic 89 51 52 4E 4E 51 57 0A ("\x89QRNNQW\n")
//! 8        2   major version (1)
//! 10       2   minor version (0)
//! 12       4   header length N
//! 16       8   payload length M
//! 24       N   header: UTF-8 TOML (architecture, formats, provenance, tensor directory)
//! 24+N     M   payload: tensors bit-packed LSB-first, each starting on a byte boundary
//! 24+N+M   32  SHA-256 of bytes 0 .. 24+N+M
//! ```
//!
//! Invariants: the reader never panics and never allocates more than the file's own size implies
//! (plus [`MAX_TENSOR_ELEMENTS`] per tensor); writing is atomic (temp file, then rename); the
//! writer is deterministic, so the SHA-256 of the canonical encoding is the model hash.

use crate::error::{field, FileError, QwError};
use crate::fixed::{ActFmt, Fmt};
use crate::model::{
    Cell, Head, InputSpec, Layer, Model, Provenance, Scale, Weights, MAX_TENSOR_ELEMENTS,
};
use crate::scheme::Encoding;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

mod text;
use text::Ints;

/// The 8-byte magic.
pub const MAGIC: [u8; 8] = [0x89, b'Q', b'R', b'N', b'N', b'Q', b'W', b'\n'];
/// Major format version this build reads and writes.
pub const MAJOR: u16 = 1;
/// Minor format version this build writes.
pub const MINOR: u16 = 0;
/// Bytes before the header.
pub const PREAMBLE: usize = 24;
/// Bytes of the trailing checksum.
pub const CHECKSUM: usize = 32;
/// Version of the text twin (`qw_text = 1`).
pub const TEXT_VERSION: u32 = 1;

// ---------------------------------------------------------------- header schema

#[derive(Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct HeaderDoc {
    /// Present (= 1) only in the text twin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    qw_text: Option<u32>,
    name: String,
    input: InputDoc,
    #[serde(default)]
    provenance: Provenance,
    #[serde(rename = "layer")]
    layers: Vec<LayerDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    head: Option<HeadDoc>,
    /// (Skipped when empty: the text twin's writer serializes the tensors itself.)
    #[serde(rename = "tensor", default, skip_serializing_if = "Vec::is_empty")]
    tensors: Vec<TensorDoc>,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct InputDoc {
    size: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    height: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    width: Option<usize>,
    format: ActFmt,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct LayerDoc {
    cell: Cell,
    hidden: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kernel: Option<usize>,
    pre: Fmt,
    act_frac: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    c: Option<Fmt>,
    h: ActFmt,
    bias: Fmt,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct HeadDoc {
    bias: Fmt,
    output: Fmt,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct TensorDoc {
    name: String,
    shape: Vec<usize>,
    encoding: Encoding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale: Option<Scale>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Ints>,
}

/// A tensor's values as the model holds them (borrowed: writing copies no values).
#[derive(Clone, Copy)]
enum Vals<'a> {
    /// Weight codes.
    Codes(&'a [i8]),
    /// Biases and tables.
    Ints(&'a [i64]),
}

impl Vals<'_> {
    fn len(self) -> usize {
        match self {
            Vals::Codes(c) => c.len(),
            Vals::Ints(v) => v.len(),
        }
    }
}

/// One tensor of the canonical directory: name, shape, encoding, scale, values.
struct Flat<'a> {
    name: String,
    shape: Vec<usize>,
    encoding: Encoding,
    scale: Option<&'a Scale>,
    values: Vals<'a>,
}

fn flatten<'a>(model: &'a Model) -> Vec<Flat<'a>> {
    let mut out = Vec::new();
    let wt = |name: String, w: &'a Weights| Flat {
        name,
        shape: w.shape.clone(),
        encoding: Encoding::Weights(w.scheme),
        scale: Some(&w.scale),
        values: Vals::Codes(&w.codes),
    };
    let vt = |name: String, v: &'a [i64], bits: u32| Flat {
        name,
        shape: vec![v.len()],
        encoding: Encoding::Sint(bits),
        scale: None,
        values: Vals::Ints(v),
    };
    for (l, layer) in model.layers.iter().enumerate() {
        out.push(wt(format!("layer{l}.w"), &layer.w));
        out.push(wt(format!("layer{l}.u"), &layer.u));
        if layer.cell == Cell::Gru {
            out.push(vt(
                format!("layer{l}.b_x"),
                &layer.bias,
                layer.bias_fmt.width,
            ));
            out.push(vt(
                format!("layer{l}.b_h"),
                &layer.bias_h,
                layer.bias_fmt.width,
            ));
        } else {
            out.push(vt(format!("layer{l}.b"), &layer.bias, layer.bias_fmt.width));
        }
        out.push(vt(format!("layer{l}.sigmoid"), &layer.sigmoid, 16));
        out.push(vt(format!("layer{l}.tanh"), &layer.tanh, 16));
    }
    if let Some(h) = &model.head {
        out.push(wt("head.w".into(), &h.w));
        out.push(vt("head.b".into(), &h.bias, h.bias_fmt.width));
    }
    out
}

fn header_doc(model: &Model) -> HeaderDoc {
    HeaderDoc {
        qw_text: None,
        name: model.name.clone(),
        input: InputDoc {
            size: model.input.size,
            height: model.input.map.map(|m| m.0),
            width: model.input.map.map(|m| m.1),
            format: model.input.format,
        },
        provenance: model.provenance.clone(),
        layers: model
            .layers
            .iter()
            .map(|l| LayerDoc {
                cell: l.cell,
                hidden: l.hidden,
                kernel: (l.cell == Cell::ConvLstm).then_some(l.kernel),
                pre: l.pre,
                act_frac: l.act_frac,
                c: l.c_fmt,
                h: l.h_fmt,
                bias: l.bias_fmt,
            })
            .collect(),
        head: model.head.as_ref().map(|h| HeadDoc {
            bias: h.bias_fmt,
            output: h.out_fmt,
        }),
        tensors: Vec::new(),
    }
}

fn packed_bytes(n: usize, bits: u32) -> u64 {
    (n as u64 * bits as u64).div_ceil(8)
}

// ---------------------------------------------------------------- writing

/// The canonical binary encoding of a (valid) model. Deterministic.
pub fn to_bytes(model: &Model) -> Vec<u8> {
    let flat = flatten(model);
    let mut doc = header_doc(model);
    // The directory first (placement follows from the sizes), then the payload is packed
    // straight into the output: the only allocation proportional to the weights is the output.
    let mut plen = 0u64;
    for t in &flat {
        let bytes = packed_bytes(t.values.len(), t.encoding.bits());
        doc.tensors.push(TensorDoc {
            name: t.name.clone(),
            shape: t.shape.clone(),
            encoding: t.encoding,
            scale: t.scale.cloned(),
            offset: Some(plen),
            bytes: Some(bytes),
            values: None,
        });
        plen += bytes;
    }
    let header = toml::to_string(&doc).expect("internal error: header serialisation cannot fail");
    let mut out = Vec::with_capacity(PREAMBLE + header.len() + plen as usize + CHECKSUM);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&MAJOR.to_le_bytes());
    out.extend_from_slice(&MINOR.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&plen.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for t in &flat {
        pack(&mut out, t);
    }
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

/// Append a tensor's values bit-packed LSB-first, starting on a byte boundary, the last byte's
/// unused high bits zero.
fn pack(out: &mut Vec<u8>, t: &Flat) {
    let bits = t.encoding.bits();
    let mask = (1u64 << bits) - 1;
    let (mut acc, mut have) = (0u64, 0u32);
    let mut put = |v: i64| {
        acc |= (u64::from(t.encoding.encode(v)) & mask) << have;
        have += bits;
        while have >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            have -= 8;
        }
    };
    match t.values {
        Vals::Codes(c) => c.iter().for_each(|&v| put(i64::from(v))),
        Vals::Ints(v) => v.iter().for_each(|&v| put(v)),
    }
    if have > 0 {
        out.push(acc as u8);
    }
}

/// The text twin: the same header as TOML, with every tensor's values inline. Deterministic.
/// ([`Model::save`] streams the same bytes to the file instead of building them in memory.)
pub fn to_text(model: &Model) -> String {
    let mut out = Vec::new();
    text::write_text(model, &mut out).expect("internal error: header serialisation cannot fail");
    String::from_utf8(out).expect("internal error: the text twin is UTF-8")
}

/// The model hash: lowercase hex SHA-256 of the canonical binary encoding without its checksum
/// (which equals the checksum stored in the canonical `.qw` file).
pub fn model_hash(model: &Model) -> String {
    let b = to_bytes(model);
    hex(&b[b.len() - CHECKSUM..])
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over the target. On error the target is untouched and the temporary file removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`] of what `fill` writes (through a buffer), so that a large file need not be
/// built in memory first.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), FileError> {
    let io = |action: &'static str| {
        move |error: std::io::Error| FileError::Io {
            path: path.to_path_buf(),
            action,
            error,
        }
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let fname = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Replace only a regular file: never a directory, a device (`-o /dev/null` as root would
    // otherwise become a regular file) or a symbolic link.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            return Err(FileError::Io {
                path: path.to_path_buf(),
                action: "not replaced: it is a directory, link or device, not a regular file",
                error: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "choose a path that does not exist yet or is a regular file",
                ),
            });
        }
    }
    let tmp = dir.join(format!(".{fname}.tmp-{}", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(io("create temporary file"))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut f);
        fill(&mut w).map_err(io("write"))?;
        w.flush().map_err(io("write"))?;
        drop(w);
        f.sync_all().map_err(io("sync"))?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(io("rename temporary file into place"))
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

impl Model {
    /// Save as binary `.qw`, or as the text twin when the path ends in `.toml`. Atomic.
    pub fn save(&self, path: &Path) -> Result<(), FileError> {
        self.validate().map_err(|error| FileError::Model {
            path: path.to_path_buf(),
            error,
        })?;
        if is_text_path(path) {
            // streamed: memory independent of the number of weights
            write_atomic_with(path, |w| text::write_text(self, w))
        } else {
            write_atomic(path, &to_bytes(self))
        }
    }
    /// Load a binary `.qw` or a text twin (detected from the content), validated.
    pub fn load(path: &Path) -> Result<Model, FileError> {
        let bytes = std::fs::read(path).map_err(|error| FileError::Io {
            path: path.to_path_buf(),
            action: "read",
            error,
        })?;
        from_bytes(&bytes).map_err(|error| FileError::Model {
            path: path.to_path_buf(),
            error,
        })
    }
    /// [`Model::load`] that accepts a model name or provenance text breaking the naming rule, for
    /// `qrnn-hw convert --name` (see [`from_bytes_to_rename`]).
    pub fn load_to_rename(path: &Path) -> Result<Model, FileError> {
        let bytes = std::fs::read(path).map_err(|error| FileError::Io {
            path: path.to_path_buf(),
            action: "read",
            error,
        })?;
        from_bytes_to_rename(&bytes).map_err(|error| FileError::Model {
            path: path.to_path_buf(),
            error,
        })
    }
    /// This model's hash (see [`model_hash`]).
    pub fn hash(&self) -> String {
        model_hash(self)
    }
}

fn is_text_path(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "toml")
}

// ---------------------------------------------------------------- reading

/// Whether a read applies the naming rule (docs/QW_FORMAT.md §3.1).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    Checked,
    /// Only for [`from_bytes_to_rename`].
    Unchecked,
}

/// Read a model from bytes: binary `.qw` if it starts with the magic, else the text twin.
pub fn from_bytes(bytes: &[u8]) -> Result<Model, QwError> {
    read_any(bytes, Names::Checked)
}

/// [`from_bytes`] that accepts a model name or provenance text breaking the naming rule (everything
/// else is checked as always): for `qrnn-hw convert --name`, which renames old files. The caller
/// must repair the names (a new [`Model::name`], [`Provenance::legalise`]) before using the model:
/// [`Model::save`] and every other reader refuse it as it is.
pub fn from_bytes_to_rename(bytes: &[u8]) -> Result<Model, QwError> {
    read_any(bytes, Names::Unchecked)
}

fn read_any(bytes: &[u8], names: Names) -> Result<Model, QwError> {
    let n = bytes.len().min(MAGIC.len());
    if n > 0 && bytes[..n] == MAGIC[..n] {
        return read_binary(bytes, names);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        // A text model: it has `qw_text`, or at least looks like one (then read_text says that
        // `qw_text = 1` is missing, which is a better diagnostic than "wrong magic").
        let looks_like_text = text
            .lines()
            .map(str::trim)
            .any(|l| l.starts_with("qw_text") || l == "[[layer]]" || l == "[[tensor]]");
        if looks_like_text {
            return read_text(text, names);
        }
    }
    Err(magic_error(bytes))
}

/// A tensor name from a file as an error shows it: unchanged if it follows the naming rule (every
/// canonical name does), else quoted and escaped (see [`crate::name::show`]).
fn shown(name: &str) -> String {
    if crate::name::is_name(name) {
        name.to_string()
    } else {
        crate::name::show(name)
    }
}

fn magic_error(bytes: &[u8]) -> QwError {
    let show = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    QwError::Magic {
        found: if bytes.is_empty() {
            "empty".into()
        } else {
            show(&bytes[..bytes.len().min(8)])
        },
        expected: show(&MAGIC),
    }
}

fn read_binary(bytes: &[u8], names: Names) -> Result<Model, QwError> {
    let len = bytes.len() as u64;
    let need = |what: &'static str, start: u64, end: u64| -> Result<(), QwError> {
        if len < end {
            Err(QwError::Truncated {
                what,
                start,
                end,
                len,
            })
        } else {
            Ok(())
        }
    };
    need("magic", 0, 8)?;
    need("preamble (version and lengths)", 8, PREAMBLE as u64)?;
    let major = u16::from_le_bytes([bytes[8], bytes[9]]);
    let minor = u16::from_le_bytes([bytes[10], bytes[11]]);
    if major != MAJOR {
        return Err(QwError::Version {
            major,
            minor,
            supported: MAJOR,
        });
    }
    let hlen = u32::from_le_bytes(bytes[12..16].try_into().unwrap_or([0; 4])) as u64;
    let plen = u64::from_le_bytes(bytes[16..24].try_into().unwrap_or([0; 8]));
    let hstart = PREAMBLE as u64;
    let hend = hstart + hlen;
    need("header", hstart, hend)?;
    let pend = hend.checked_add(plen).ok_or(QwError::Truncated {
        what: "payload",
        start: hend,
        end: u64::MAX,
        len,
    })?;
    need("payload", hend, pend)?;
    let cend = pend + CHECKSUM as u64;
    need("checksum", pend, cend)?;
    if len > cend {
        return Err(QwError::Trailing {
            offset: cend,
            extra: len - cend,
        });
    }
    let (hs, he, pe) = (hstart as usize, hend as usize, pend as usize);
    let computed = Sha256::digest(&bytes[..pe]);
    if computed.as_slice() != &bytes[pe..] {
        return Err(QwError::Checksum {
            offset: pend,
            stored: hex(&bytes[pe..]),
            computed: hex(&computed),
        });
    }
    let header = std::str::from_utf8(&bytes[hs..he]).map_err(|e| QwError::HeaderUtf8 {
        start: hstart,
        end: hend,
        offset: hstart + e.valid_up_to() as u64,
    })?;
    let doc: HeaderDoc = parse_toml(header, "header", hstart)?;
    if doc.qw_text.is_some() {
        return Err(field(
            "qw_text",
            "only the text twin has `qw_text`; a binary header must not",
        ));
    }
    build(doc, Some((&bytes[he..pe], hend)), names)
}

fn read_text(text: &str, names: Names) -> Result<Model, QwError> {
    // The `values` arrays are taken out by a pre-scan (qw/text.rs) into compact vectors, and only
    // the small rest goes through the TOML parser: memory proportional to the file.
    let scan = text::scan(text).map_err(|e| e.into_error(text))?;
    let mut doc: HeaderDoc = parse_toml_mapped(
        &scan.rest,
        text,
        &|r| scan.original_offset(r),
        "text model",
        0,
    )?;
    let agree = doc.tensors.len() == scan.tensor_tables
        && scan.taken.iter().all(|(k, _)| {
            doc.tensors
                .get(*k)
                .is_some_and(|t| t.values.as_ref().is_some_and(Ints::is_empty))
        });
    if agree {
        for (k, ints) in scan.taken {
            doc.tensors[k].values = Some(ints);
        }
    } else if text.len() <= text::MAX_REST {
        // The scan and the parser disagree about where a taken array was (a text the scan
        // does not follow, such as a `[["tensor"]]` header): parse the whole text, as without
        // the scan.
        drop(scan);
        doc = parse_toml(text, "text model", 0)?;
    } else {
        // (the parser would need about 90 bytes per byte of the whole text)
        return Err(QwError::Header {
            location: "text model".into(),
            message: format!(
                "its `values` arrays could not be matched with its `[[tensor]]` tables: a text model of more than {} bytes must write every tensor table as a `[[tensor]]` header line and its values as `values = [...]`, as `qrnn-hw convert` does",
                text::MAX_REST
            ),
        });
    }
    match doc.qw_text {
        Some(TEXT_VERSION) => {}
        Some(v) => {
            return Err(field("qw_text", format!("text model version {v} is not supported: this build reads `qw_text = {TEXT_VERSION}`")))
        }
        None => return Err(field("qw_text", "a text model must start with `qw_text = 1`")),
    }
    build(doc, None, names)
}

fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
    base: u64,
) -> Result<T, QwError> {
    parse_toml_mapped(text, text, &|r| r, what, base)
}

/// [`parse_toml`] of `rest`, a copy of `text` with parts cut out; `map` takes an offset in `rest`
/// to the same place in `text`, where an error's line, column and byte are counted.
fn parse_toml_mapped<T: serde::de::DeserializeOwned>(
    rest: &str,
    text: &str,
    map: &dyn Fn(usize) -> usize,
    what: &str,
    base: u64,
) -> Result<T, QwError> {
    toml::from_str(rest).map_err(|e| {
        let location = match e.span() {
            Some(span) => {
                // (never slice inside a character, whatever span the parser reports)
                let mut start = map(span.start.min(rest.len())).min(text.len());
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let before = &text[..start];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                format!(
                    "{what} line {line}, column {col} (byte {})",
                    base + start as u64
                )
            }
            None => what.to_string(),
        };
        QwError::Header {
            location,
            message: e.message().trim().to_string(),
        }
    })
}

/// Decode a tensor's payload bytes into values, checking every element.
/// (Weight codes are kept one byte each.)
fn decode(t: &TensorDoc, n: usize, region: &[u8], file_offset: u64) -> Result<Ints, QwError> {
    let bits = t.encoding.bits() as usize;
    let mask = (1u64 << bits) - 1;
    let (mut acc, mut have, mut pos) = (0u64, 0usize, 0usize);
    let mut out = Ints::for_bits(t.encoding.bits(), n);
    for i in 0..n {
        while have < bits {
            // (the directory check made the region exactly long enough; a short one reads 0s)
            acc |= u64::from(region.get(pos).copied().unwrap_or(0)) << have;
            pos += 1;
            have += 8;
        }
        let pat = (acc & mask) as u32;
        acc >>= bits;
        have -= bits;
        match t.encoding.decode(pat) {
            Some(v) => out.push(v),
            None => {
                return Err(QwError::CodeOutOfRange {
                    tensor: shown(&t.name),
                    index: i,
                    at: format!(
                        " (byte {}, bit {})",
                        file_offset + (i * bits / 8) as u64,
                        i * bits % 8
                    ),
                    value: format!("{pat:#0w$b}", w = bits + 2),
                    encoding: t.encoding.to_string(),
                    expected: "see the code table in NUMERICS.md §3".into(),
                })
            }
        }
    }
    if acc != 0 || region.get(pos..).is_some_and(|r| r.iter().any(|&b| b != 0)) {
        return Err(QwError::Tensor {
            tensor: shown(&t.name),
            message: format!(
                "padding bits after the last element (byte {}) must be zero",
                file_offset + (n * bits / 8) as u64
            ),
        });
    }
    Ok(out)
}

fn build(doc: HeaderDoc, payload: Option<(&[u8], u64)>, names: Names) -> Result<Model, QwError> {
    // Tensor directory, first pass: sizes sane, and (binary) placement exact: tensors packed in
    // directory order, each on a byte boundary, covering the payload exactly. Nothing is decoded
    // (or allocated) before the whole directory agrees with the payload's length.
    let mut counts = Vec::with_capacity(doc.tensors.len());
    let mut next = 0u64;
    for (i, t) in doc.tensors.iter().enumerate() {
        let fld = |f: &str| format!("tensor[{i}].{f} ({})", shown(&t.name));
        let n = t
            .shape
            .iter()
            .try_fold(1usize, |a, d| a.checked_mul(*d))
            .filter(|n| *n <= MAX_TENSOR_ELEMENTS && !t.shape.is_empty())
            .ok_or_else(|| {
                field(
                    fld("shape"),
                    format!(
                        "{:?} is empty or has more than {MAX_TENSOR_ELEMENTS} elements",
                        t.shape
                    ),
                )
            })?;
        counts.push(n);
        match payload {
            Some((bytes, _)) => {
                if t.values.is_some() {
                    return Err(field(
                        fld("values"),
                        "a binary .qw keeps values in the payload, not the header",
                    ));
                }
                let off = t.offset.ok_or_else(|| field(fld("offset"), "missing"))?;
                let len = t.bytes.ok_or_else(|| field(fld("bytes"), "missing"))?;
                let expect_len = packed_bytes(n, t.encoding.bits());
                if off != next {
                    return Err(field(
                        fld("offset"),
                        format!(
                            "is {off}, expected {next} (tensors are packed in directory order)"
                        ),
                    ));
                }
                if len != expect_len {
                    return Err(field(
                        fld("bytes"),
                        format!(
                            "is {len}, expected {expect_len} for {n} elements of {} bits",
                            t.encoding.bits()
                        ),
                    ));
                }
                let end = off + len;
                if end > bytes.len() as u64 {
                    return Err(field(
                        fld("bytes"),
                        format!(
                            "runs to payload byte {end}, past the payload's {} bytes",
                            bytes.len()
                        ),
                    ));
                }
                next = end;
            }
            None => {
                if t.offset.is_some() || t.bytes.is_some() {
                    return Err(field(
                        fld("offset"),
                        "a text model has inline `values`, not `offset`/`bytes`",
                    ));
                }
                if t.values.is_none() {
                    return Err(field(fld("values"), "missing"));
                }
            }
        }
    }
    if let Some((bytes, _)) = payload {
        if next != bytes.len() as u64 {
            return Err(field(
                "tensor",
                format!(
                    "the directory covers {next} payload bytes, the payload has {}",
                    bytes.len()
                ),
            ));
        }
    }

    // Second pass: values decoded (binary) or checked (text), names unique.
    let mut tensors: BTreeMap<String, (TensorDoc, Ints)> = BTreeMap::new();
    for (i, (mut t, n)) in doc.tensors.into_iter().zip(counts).enumerate() {
        let values = match payload {
            Some((bytes, base)) => {
                let (off, len) = (t.offset.unwrap_or(0), t.bytes.unwrap_or(0));
                decode(
                    &t,
                    n,
                    &bytes[off as usize..(off + len) as usize],
                    base + off,
                )?
            }
            None => {
                let v = t.values.take().unwrap_or_default();
                if v.len() != n {
                    return Err(QwError::ShapeMismatch {
                        tensor: shown(&t.name),
                        found: vec![v.len()],
                        expected: t.shape.clone(),
                        why: "the number of values must equal the product of the shape".into(),
                    });
                }
                if let Some((k, x)) = v.iter().enumerate().find(|(_, x)| !t.encoding.is_valid(*x)) {
                    return Err(QwError::CodeOutOfRange {
                        tensor: shown(&t.name),
                        index: k,
                        at: String::new(),
                        value: x.to_string(),
                        encoding: t.encoding.to_string(),
                        expected: "see NUMERICS.md §3".into(),
                    });
                }
                v
            }
        };
        let name = t.name.clone();
        if tensors.insert(name.clone(), (t, values)).is_some() {
            return Err(field(
                format!("tensor[{i}].name ({})", shown(&name)),
                "duplicate tensor name",
            ));
        }
    }

    let mut take_weights = |name: String| -> Result<Weights, QwError> {
        let (t, v) = tensors.remove(&name).ok_or_else(|| QwError::Tensor {
            tensor: name.clone(),
            message: "missing from the tensor directory".into(),
        })?;
        let scheme = match t.encoding {
            Encoding::Weights(s) => s,
            Encoding::Sint(_) => {
                return Err(field(
                    format!("tensor[{name}].encoding"),
                    "weights need a scheme (binary, ternary, quaternary, int2..int8)",
                ))
            }
        };
        let scale = t
            .scale
            .ok_or_else(|| field(format!("tensor[{name}].scale"), "weights need a scale"))?;
        Ok(Weights {
            scheme,
            shape: t.shape,
            codes: v.into_i8(),
            scale,
        })
    };
    let mut layers = Vec::new();
    for (l, ld) in doc.layers.iter().enumerate() {
        let w = take_weights(format!("layer{l}.w"))?;
        let u = take_weights(format!("layer{l}.u"))?;
        layers.push((ld, w, u));
    }
    let head_w = match &doc.head {
        Some(_) => Some(take_weights("head.w".into())?),
        None => None,
    };
    let mut take_vec = |name: String, bits: u32| -> Result<Vec<i64>, QwError> {
        let (t, v) = tensors.remove(&name).ok_or_else(|| QwError::Tensor {
            tensor: name.clone(),
            message: "missing from the tensor directory".into(),
        })?;
        if t.encoding != Encoding::Sint(bits) {
            return Err(field(
                format!("tensor[{name}].encoding"),
                format!("is {}, expected sint{bits}", t.encoding),
            ));
        }
        if t.scale.is_some() {
            return Err(field(
                format!("tensor[{name}].scale"),
                "only weight tensors have a scale",
            ));
        }
        if t.shape.len() != 1 {
            return Err(field(
                format!("tensor[{name}].shape"),
                format!("{:?}: expected one dimension", t.shape),
            ));
        }
        Ok(v.into_i64())
    };
    let mut out_layers = Vec::new();
    for (l, (ld, w, u)) in layers.into_iter().enumerate() {
        let (bias, bias_h) = if ld.cell == Cell::Gru {
            (
                take_vec(format!("layer{l}.b_x"), ld.bias.width)?,
                take_vec(format!("layer{l}.b_h"), ld.bias.width)?,
            )
        } else {
            (take_vec(format!("layer{l}.b"), ld.bias.width)?, Vec::new())
        };
        let sigmoid = take_vec(format!("layer{l}.sigmoid"), 16)?;
        let tanh = take_vec(format!("layer{l}.tanh"), 16)?;
        let kernel = match (ld.cell, ld.kernel) {
            (Cell::ConvLstm, Some(k)) => k,
            (Cell::ConvLstm, None) => {
                return Err(field(
                    format!("layer[{l}].kernel"),
                    "ConvLSTM layers need a kernel size",
                ))
            }
            (_, Some(_)) => {
                return Err(field(
                    format!("layer[{l}].kernel"),
                    "kernel is only for ConvLSTM layers",
                ))
            }
            (_, None) => 1,
        };
        out_layers.push(Layer {
            cell: ld.cell,
            hidden: ld.hidden,
            kernel,
            pre: ld.pre,
            act_frac: ld.act_frac,
            c_fmt: ld.c,
            h_fmt: ld.h,
            bias_fmt: ld.bias,
            w,
            u,
            bias,
            bias_h,
            sigmoid,
            tanh,
        });
    }
    let head = match (&doc.head, head_w) {
        (Some(hd), Some(w)) => Some(Head {
            w,
            bias: take_vec("head.b".into(), hd.bias.width)?,
            bias_fmt: hd.bias,
            out_fmt: hd.output,
        }),
        _ => None,
    };
    if let Some(name) = tensors.keys().next() {
        return Err(QwError::Tensor {
            tensor: shown(name),
            message: "is not part of this architecture (unknown tensor)".into(),
        });
    }
    let map = match (doc.input.height, doc.input.width) {
        (Some(h), Some(w)) => Some((h, w)),
        (None, None) => None,
        _ => {
            return Err(field(
                "input.height",
                "give both input.height and input.width, or neither",
            ))
        }
    };
    let model = Model {
        name: doc.name,
        input: InputSpec {
            size: doc.input.size,
            map,
            format: doc.input.format,
        },
        layers: out_layers,
        head,
        provenance: doc.provenance,
    };
    match names {
        Names::Checked => model.validate()?,
        Names::Unchecked => model.validate_except_names()?,
    }
    Ok(model)
}

/// Helper for tests and tools: a tensor directory entry's file offset, by name.
pub fn tensor_file_offsets(bytes: &[u8]) -> Result<Vec<(String, u64, u64)>, QwError> {
    if bytes.len() < PREAMBLE || bytes[..8] != MAGIC {
        return Err(magic_error(bytes));
    }
    let hlen = u32::from_le_bytes(bytes[12..16].try_into().unwrap_or([0; 4])) as usize;
    let header = bytes
        .get(PREAMBLE..PREAMBLE + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or(QwError::Truncated {
            what: "header",
            start: PREAMBLE as u64,
            end: (PREAMBLE + hlen) as u64,
            len: bytes.len() as u64,
        })?;
    let doc: HeaderDoc = parse_toml(header, "header", PREAMBLE as u64)?;
    let base = (PREAMBLE + hlen) as u64;
    Ok(doc
        .tensors
        .into_iter()
        .map(|t| (t.name, base + t.offset.unwrap_or(0), t.bytes.unwrap_or(0)))
        .collect())
}

// ---------------------------------------------------------------- memory estimates

/// What a command needs besides the model: the binary, buffers, small tables.
const MEMORY_BASE: u64 = 32 << 20;

/// Estimated peak memory of holding a model of `weights` weight codes of `bits` bits each and
/// writing it as `.qw` or as the text twin (which is streamed) and hashing it: one byte per code
/// in memory, plus the binary encoding. An upper bound for the models this build makes
/// (measured, release build, `qrnn-hw example --hidden 4096`: ternary, 67 M weights, 86 MiB;
/// int8, 134 MiB).
pub fn model_memory_estimate(weights: u64, bits: u32) -> u64 {
    MEMORY_BASE
        .saturating_add(weights)
        .saturating_add(weights.saturating_mul(u64::from(bits)).div_ceil(8))
}

/// Estimated peak memory of reading the model file `path` ([`Model::load`]) and then writing and
/// hashing the model (`qrnn-hw convert`), from its size and first bytes, before reading it:
/// a binary `.qw` is read whole and decoded to at most one byte per payload bit (1-bit codes),
/// so the file plus 9 × its payload; a text twin is read whole and its values taken one byte
/// each (every weight code; a value takes at least two bytes of text), so 2 × the file.
/// (Measured, release build, `qrnn-hw convert` of an LSTM 4 → 4096 ternary: `.qw` of 16 MiB,
/// 86 MiB; text twin of 214 MiB, 283 MiB.)
pub fn file_memory_estimate(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let len = std::fs::metadata(path)?.len();
    let mut head = Vec::with_capacity(PREAMBLE);
    std::fs::File::open(path)?
        .take(PREAMBLE as u64)
        .read_to_end(&mut head)?;
    let file = MEMORY_BASE.saturating_add(len);
    Ok(if head.len() == PREAMBLE && head[..8] == MAGIC {
        let plen = u64::from_le_bytes(head[16..24].try_into().unwrap_or([0; 8])).min(len);
        file.saturating_add(plen.saturating_mul(9))
    } else {
        file.saturating_add(len)
    })
}
