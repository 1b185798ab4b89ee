//! Every way a `.qw` file or text twin is rejected (docs/QW_FORMAT.md, "Rejections"): the exact
//! error variant, and a Display message that names the byte offset or the field.

mod common;

use common::{fix_checksum, payload_start, rebuild, rebuild_raw, split};
use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::qw::{from_bytes, tensor_file_offsets, to_bytes, to_text, MAGIC};
use qrnn_model::{ActFmt, Cell, Fmt, Model, QwError, Scheme};

/// LSTM, ternary, 3 inputs, hidden 1, a head of 2: small tables (pre = fixed<3,1>).
fn lstm() -> Model {
    common::small_models().remove(0)
}

fn err(bytes: &[u8]) -> QwError {
    match from_bytes(bytes) {
        Ok(_) => panic!("expected a rejection"),
        Err(e) => e,
    }
}

/// The error and its Display message, which must contain every one of `needles`.
fn rejected(bytes: &[u8], needles: &[&str]) -> (QwError, String) {
    let e = err(bytes);
    let msg = e.to_string();
    for n in needles {
        assert!(
            msg.contains(n),
            "message {msg:?} should contain {n:?} ({e:?})"
        );
    }
    (e, msg)
}

/// The byte offset (in the file) of the first occurrence of `needle`.
fn find(bytes: &[u8], needle: &str) -> usize {
    bytes
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

/// The file offset and length of a tensor's payload bytes.
fn tensor_at(bytes: &[u8], name: &str) -> (usize, usize) {
    let (_, off, len) = tensor_file_offsets(bytes)
        .unwrap()
        .into_iter()
        .find(|t| t.0 == name)
        .unwrap();
    (off as usize, len as usize)
}

// ---------------------------------------------------------------- preamble and framing

#[test]
fn wrong_magic() {
    let (e, _) = rejected(
        b"PK\x03\x04\x14\x00\x00\x00rest of a zip",
        &[
            "bytes 0..8",
            "50 4B 03 04 14 00 00 00",
            "89 51 52 4E 4E 51 57 0A",
        ],
    );
    assert_eq!(
        e,
        QwError::Magic {
            found: "50 4B 03 04 14 00 00 00".into(),
            expected: "89 51 52 4E 4E 51 57 0A".into()
        }
    );
    // A magic with one wrong byte is still a wrong magic.
    let mut b = to_bytes(&lstm());
    b[7] = b'\r';
    assert!(matches!(err(&b), QwError::Magic { .. }));
}

#[test]
fn empty_file() {
    let (e, _) = rejected(b"", &["bytes 0..8 are empty"]);
    assert!(
        matches!(e, QwError::Magic { ref found, .. } if found == "empty"),
        "{e:?}"
    );
}

#[test]
fn unknown_major_version() {
    let mut b = to_bytes(&lstm());
    b[8..10].copy_from_slice(&2u16.to_le_bytes());
    let (e, _) = rejected(&b, &["version 2.0", "bytes 8..12", "major version 1"]);
    assert_eq!(
        e,
        QwError::Version {
            major: 2,
            minor: 0,
            supported: 1
        }
    );
    // The version is checked before anything else after the magic, even with the checksum intact.
    fix_checksum(&mut b);
    assert_eq!(
        err(&b),
        QwError::Version {
            major: 2,
            minor: 0,
            supported: 1
        }
    );
    b[8..10].copy_from_slice(&0u16.to_le_bytes());
    assert!(matches!(err(&b), QwError::Version { major: 0, .. }));
}

#[test]
fn newer_minor_version_is_read_when_it_has_no_unknown_fields() {
    let m = lstm();
    let mut b = to_bytes(&m);
    b[10..12].copy_from_slice(&7u16.to_le_bytes());
    fix_checksum(&mut b);
    assert_eq!(from_bytes(&b).unwrap(), m);
    // ... but a field this build does not know is an error, whatever the minor version.
    let (header, payload) = split(&b);
    let header = header.replacen("[[layer]]\n", "[[layer]]\npeephole = true\n", 1);
    let mut b = rebuild(&header, &payload);
    b[10..12].copy_from_slice(&7u16.to_le_bytes());
    fix_checksum(&mut b);
    let (e, _) = rejected(&b, &["unknown field `peephole`"]);
    assert!(matches!(e, QwError::Header { .. }), "{e:?}");
}

#[test]
fn truncation_at_every_section() {
    let b = to_bytes(&lstm());
    let hend = payload_start(&b);
    let n = b.len();
    let cases: [(usize, &str, u64, u64); 6] = [
        (5, "magic", 0, 8),
        (12, "preamble (version and lengths)", 8, 24),
        (24, "header", 24, hend as u64),
        (24 + 10, "header", 24, hend as u64),
        (hend + 3, "payload", hend as u64, (n - 32) as u64),
        (n - 5, "checksum", (n - 32) as u64, n as u64),
    ];
    for (len, what, start, end) in cases {
        let (e, msg) = rejected(
            &b[..len],
            &[
                what,
                &format!("bytes {start}..{end}"),
                &format!("has {len} bytes"),
            ],
        );
        assert_eq!(
            e,
            QwError::Truncated {
                what,
                start,
                end,
                len: len as u64
            },
            "{msg}"
        );
    }
    // Every other cut is rejected too (and never panics).
    for len in 1..n {
        let e = err(&b[..len]);
        assert!(
            matches!(e, QwError::Truncated { .. } | QwError::Magic { .. }),
            "cut at {len}: {e:?}"
        );
    }
}

#[test]
fn trailing_bytes() {
    let mut b = to_bytes(&lstm());
    let n = b.len() as u64;
    b.extend_from_slice(b"\0\0\n");
    let (e, _) = rejected(&b, &["3 unexpected bytes", &format!("from byte {n}")]);
    assert_eq!(
        e,
        QwError::Trailing {
            offset: n,
            extra: 3
        }
    );
}

#[test]
fn checksum_mismatch() {
    let mut b = to_bytes(&lstm());
    let at = payload_start(&b) + 1;
    b[at] ^= 0x04;
    let pend = (b.len() - 32) as u64;
    let (e, _) = rejected(
        &b,
        &[
            "checksum mismatch",
            &format!("stored at byte {pend}"),
            &format!("bytes 0..{pend}"),
        ],
    );
    assert!(
        matches!(e, QwError::Checksum { offset, .. } if offset == pend),
        "{e:?}"
    );
    // The stored checksum itself damaged.
    let mut b = to_bytes(&lstm());
    let last = b.len() - 1;
    b[last] ^= 1;
    assert!(matches!(err(&b), QwError::Checksum { .. }));
}

#[test]
fn corrupted_length_fields() {
    let b = to_bytes(&lstm());
    let hlen = u32::from_le_bytes(b[12..16].try_into().unwrap());
    // A header length one too long moves every later section: the checksum would start one byte
    // late and the file is one byte short.
    let mut x = b.clone();
    x[12..16].copy_from_slice(&(hlen + 1).to_le_bytes());
    assert!(
        matches!(
            err(&x),
            QwError::Truncated {
                what: "checksum",
                ..
            }
        ),
        "{:?}",
        err(&x)
    );
    // One too short: the checksum is read one byte early: a trailing byte.
    let mut x = b.clone();
    x[12..16].copy_from_slice(&(hlen - 1).to_le_bytes());
    assert!(
        matches!(err(&x), QwError::Trailing { extra: 1, .. }),
        "{:?}",
        err(&x)
    );
    // A payload length near u64::MAX neither overflows nor allocates.
    let mut x = b.clone();
    x[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    let (e, _) = rejected(&x, &["payload"]);
    assert!(
        matches!(
            e,
            QwError::Truncated {
                what: "payload",
                ..
            }
        ),
        "{e:?}"
    );
    let mut x = b.clone();
    x[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(
        matches!(err(&x), QwError::Truncated { what: "header", end, .. } if end == 24 + u32::MAX as u64)
    );
    // Shifting bytes between header and payload with a correct checksum: the header no longer
    // parses, or the directory no longer covers the payload.
    let mut x = b.clone();
    x[12..16].copy_from_slice(&(hlen - 1).to_le_bytes());
    x[16..24].copy_from_slice(&((b.len() - 32 - 24 - hlen as usize + 1) as u64).to_le_bytes());
    fix_checksum(&mut x);
    let e = err(&x);
    assert!(
        matches!(e, QwError::Header { .. } | QwError::Field { .. }),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- header

#[test]
fn header_not_utf8() {
    let (header, payload) = split(&to_bytes(&lstm()));
    let mut h = header.into_bytes();
    let at = 10;
    h[at] = 0xFF;
    let b = rebuild_raw(&h, &payload);
    let hend = 24 + h.len() as u64;
    let (e, _) = rejected(
        &b,
        &[
            "not UTF-8",
            &format!("bytes 24..{hend}"),
            &format!("file offset {}", 24 + at),
        ],
    );
    assert_eq!(
        e,
        QwError::HeaderUtf8 {
            start: 24,
            end: hend,
            offset: 24 + at as u64
        }
    );
}

#[test]
fn flipped_header_byte_with_recomputed_checksum() {
    let b = to_bytes(&lstm());
    // In a key: `name` becomes `oame`, an unknown field, reported at its line, column and byte.
    let mut x = b.clone();
    x[24] ^= 0x01;
    fix_checksum(&mut x);
    let (e, msg) = rejected(
        &x,
        &["header line 1, column 1 (byte 24)", "unknown field `oame`"],
    );
    assert!(matches!(e, QwError::Header { .. }), "{e:?}");
    assert!(
        msg.contains("expected one of"),
        "the message lists the known fields: {msg}"
    );
    // In a value: `act_frac = 2` becomes `act_frac = 0`, outside 1..=14.
    let mut x = b.clone();
    let at = find(&x, "act_frac = 2") + "act_frac = ".len();
    x[at] = b'0';
    fix_checksum(&mut x);
    let (e, _) = rejected(&x, &["field `layer[0].act_frac`", "1..=14", "found 0"]);
    assert!(
        matches!(e, QwError::Field { ref field, .. } if field == "layer[0].act_frac"),
        "{e:?}"
    );
    // In a format: `fixed<3,1>` becomes `fixed<3,9>`: still a format, but the tables no longer
    // match the formats it implies... they are data, so this is accepted only if in range. Here
    // `fixed<3,1>` -> `fixed<9,1>` changes the table length: a shape mismatch.
    let mut x = b.clone();
    let at = find(&x, "pre = \"fixed<3,1>\"") + "pre = \"fixed<".len();
    x[at] = b'9';
    fix_checksum(&mut x);
    let (e, _) = rejected(&x, &["tensor `layer0.sigmoid`", "[8]", "[512]"]);
    assert!(
        matches!(e, QwError::ShapeMismatch { ref tensor, .. } if tensor == "layer0.sigmoid"),
        "{e:?}"
    );
    // A cell name that is not one: a Header error naming the line.
    let mut x = b.clone();
    let at = find(&x, "cell = \"lstm\"") + "cell = \"l".len();
    x[at] = b'z';
    fix_checksum(&mut x);
    let (e, _) = rejected(&x, &["unknown cell \"lztm\""]);
    match e {
        QwError::Header { location, .. } => {
            let byte = find(&x, "\"lztm\"");
            assert!(
                location.contains(&format!("(byte {byte})")),
                "{location} should point at byte {byte}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_header_field() {
    let (header, payload) = split(&to_bytes(&lstm()));
    let header = header.replacen("[[layer]]\n", "[[layer]]\ncolour = 1\n", 1);
    let b = rebuild(&header, &payload);
    let byte = find(&b, "colour");
    let line = header[..header.find("colour").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let (e, _) = rejected(
        &b,
        &[
            "unknown field `colour`",
            &format!("header line {line}, column 1 (byte {byte})"),
        ],
    );
    assert!(matches!(e, QwError::Header { .. }), "{e:?}");
    // Unknown top-level fields and unknown tables too.
    for extra in ["qw_comment = \"hi\"\n", "[extra]\nx = 1\n"] {
        let (header, payload) = split(&to_bytes(&lstm()));
        let b = rebuild(&format!("{extra}{header}"), &payload);
        assert!(
            matches!(err(&b), QwError::Header { .. }),
            "{extra}: {:?}",
            err(&b)
        );
    }
}

#[test]
fn binary_header_must_not_have_qw_text() {
    let (header, payload) = split(&to_bytes(&lstm()));
    let b = rebuild(&format!("qw_text = 1\n{header}"), &payload);
    let (e, _) = rejected(&b, &["field `qw_text`"]);
    assert!(
        matches!(e, QwError::Field { ref field, .. } if field == "qw_text"),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- tensor directory

#[test]
fn unknown_tensor() {
    let (header, mut payload) = split(&to_bytes(&lstm()));
    let off = payload.len();
    let header = format!("{header}\n[[tensor]]\nname = \"layer0.peephole\"\nshape = [1]\nencoding = \"sint8\"\noffset = {off}\nbytes = 1\n");
    payload.push(0);
    let (e, _) = rejected(
        &rebuild(&header, &payload),
        &["tensor `layer0.peephole`", "unknown tensor"],
    );
    assert!(
        matches!(e, QwError::Tensor { ref tensor, .. } if tensor == "layer0.peephole"),
        "{e:?}"
    );
}

#[test]
fn missing_tensor() {
    let b = to_bytes(&lstm());
    let (header, payload) = split(&b);
    // Drop the last directory entry (head.b) and its payload bytes.
    let cut = header.rfind("[[tensor]]").unwrap();
    let (_, len) = tensor_at(&b, "head.b");
    let header = header[..cut].to_string();
    let payload = &payload[..payload.len() - len];
    let (e, _) = rejected(&rebuild(&header, payload), &["tensor `head.b`", "missing"]);
    assert_eq!(
        e,
        QwError::Tensor {
            tensor: "head.b".into(),
            message: "missing from the tensor directory".into()
        }
    );
}

#[test]
fn duplicate_tensor() {
    let text = to_text(&lstm());
    let start = text.find("[[tensor]]\nname = \"layer0.b\"").unwrap();
    let end = start + text[start..].find("\n\n").unwrap() + 2;
    let text = format!("{}{}", text, &text[start..end]);
    let (e, _) = rejected(text.as_bytes(), &["(layer0.b)", "duplicate tensor name"]);
    assert!(
        matches!(e, QwError::Field { ref field, .. } if field.ends_with(".name (layer0.b)")),
        "{e:?}"
    );
}

#[test]
fn misplaced_tensor() {
    let (header, payload) = split(&to_bytes(&lstm()));
    // layer0.u directly follows layer0.w (3 bytes); claim it starts at 4.
    let header = header.replacen("offset = 3\n", "offset = 4\n", 1);
    let (e, _) = rejected(
        &rebuild(&header, &payload),
        &["field `tensor[1].offset (layer0.u)`", "is 4, expected 3"],
    );
    assert!(matches!(e, QwError::Field { .. }), "{e:?}");
    let (header, payload) = split(&to_bytes(&lstm()));
    let header = header.replacen("bytes = 3\n", "bytes = 4\n", 1);
    let (e, _) = rejected(
        &rebuild(&header, &payload),
        &["field `tensor[0].bytes (layer0.w)`", "is 4, expected 3"],
    );
    assert!(matches!(e, QwError::Field { .. }), "{e:?}");
    // Payload bytes not covered by the directory.
    let (header, mut payload) = split(&to_bytes(&lstm()));
    payload.push(0);
    let (e, _) = rejected(&rebuild(&header, &payload), &["field `tensor`", "covers"]);
    assert!(matches!(e, QwError::Field { .. }), "{e:?}");
}

#[test]
fn shape_mismatch() {
    let (header, payload) = split(&to_bytes(&lstm()));
    // layer0.w is [4, 3] (4 gates × hidden 1, 3 inputs); [3, 4] has as many elements.
    let header = header.replacen("shape = [4, 3]", "shape = [3, 4]", 1);
    let (e, msg) = rejected(
        &rebuild(&header, &payload),
        &["tensor `layer0.w`", "[3, 4]", "expected [4, 3]"],
    );
    assert_eq!(
        e,
        QwError::ShapeMismatch {
            tensor: "layer0.w".into(),
            found: vec![3, 4],
            expected: vec![4, 3],
            why: "lstm 0 layer with 3 inputs and hidden 1".into()
        },
        "{msg}"
    );
}

#[test]
fn oversized_shape_is_rejected_before_allocating() {
    let (header, payload) = split(&to_bytes(&lstm()));
    let header = header.replacen("shape = [4, 3]", "shape = [4294967296, 4294967296]", 1);
    let (e, _) = rejected(
        &rebuild(&header, &payload),
        &["tensor[0].shape (layer0.w)", "more than"],
    );
    assert!(matches!(e, QwError::Field { .. }), "{e:?}");
}

// ---------------------------------------------------------------- payload

#[test]
fn ternary_code_pattern_10() {
    let mut b = to_bytes(&lstm());
    let (at, _) = tensor_at(&b, "layer0.w");
    // Element 1 of layer0.w: bits 2..4 of its first byte; write the invalid pattern `10`.
    b[at] = (b[at] & !0b1100) | 0b1000;
    fix_checksum(&mut b);
    let (e, _) = rejected(
        &b,
        &[
            "tensor `layer0.w` element 1",
            &format!("(byte {at}, bit 2)"),
            "0b10",
            "ternary",
        ],
    );
    assert_eq!(
        e,
        QwError::CodeOutOfRange {
            tensor: "layer0.w".into(),
            index: 1,
            at: format!(" (byte {at}, bit 2)"),
            value: "0b10".into(),
            encoding: "ternary".into(),
            expected: "see the code table in NUMERICS.md §3".into(),
        }
    );
}

#[test]
fn int_code_minus_2_pow_k_minus_1() {
    // int4 codes are symmetric: the pattern 1000 (-8) is invalid.
    let m = common::small_models().remove(3);
    let mut b = to_bytes(&m);
    let (at, _) = tensor_at(&b, "layer0.w");
    b[at] = (b[at] & 0xF0) | 0b1000;
    fix_checksum(&mut b);
    let (e, _) = rejected(
        &b,
        &[
            "tensor `layer0.w` element 0",
            &format!("(byte {at}, bit 0)"),
            "0b1000",
            "int4",
        ],
    );
    assert!(
        matches!(e, QwError::CodeOutOfRange { index: 0, .. }),
        "{e:?}"
    );
}

#[test]
fn nonzero_padding_bits() {
    // layer0.w is 12 ternary codes = 24 bits = 3 bytes: no padding. head.w is 2 codes = 4 bits in
    // one byte: 4 padding bits.
    let mut b = to_bytes(&lstm());
    let (at, len) = tensor_at(&b, "head.w");
    assert_eq!(len, 1);
    b[at] |= 0x80;
    fix_checksum(&mut b);
    let (e, _) = rejected(
        &b,
        &[
            "tensor `head.w`",
            "padding bits",
            &format!("(byte {at})"),
            "must be zero",
        ],
    );
    assert!(
        matches!(e, QwError::Tensor { ref tensor, .. } if tensor == "head.w"),
        "{e:?}"
    );
}

#[test]
fn table_entry_out_of_range() {
    let mut b = to_bytes(&lstm());
    let (at, _) = tensor_at(&b, "layer0.sigmoid");
    // sigmoid entries are in [0, 2^Fa] = [0, 4]; write -1 into entry 0 (sint16).
    b[at..at + 2].copy_from_slice(&(-1i16).to_le_bytes());
    fix_checksum(&mut b);
    let (e, _) = rejected(
        &b,
        &["tensor `layer0.sigmoid` element 0", "value -1", "0..=4"],
    );
    assert!(
        matches!(e, QwError::CodeOutOfRange { index: 0, .. }),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- text twin

#[test]
fn text_twin_with_a_bad_value() {
    let text = to_text(&lstm());
    // A ternary code of 2.
    let start = text.find("name = \"layer0.w\"").unwrap();
    let vstart = start + text[start..].find("values = [").unwrap() + "values = [".len();
    let bad = format!(
        "{}2{}",
        &text[..vstart],
        &text[vstart + 1..].trim_start_matches(|c: char| c == '-' || c.is_ascii_digit())
    );
    let (e, _) = rejected(
        bad.as_bytes(),
        &["tensor `layer0.w` element 0", "value 2", "ternary"],
    );
    assert!(
        matches!(e, QwError::CodeOutOfRange { index: 0, ref at, .. } if at.is_empty()),
        "{e:?}"
    );
    // A wrong type: a Header error naming the line, column and byte of the text.
    let bad = text.replacen("hidden = 1", "hidden = \"one\"", 1);
    let byte = bad.find("\"one\"").unwrap();
    let line = bad[..byte].matches('\n').count() + 1;
    let (e, _) = rejected(
        bad.as_bytes(),
        &[
            &format!("text model line {line}, column 10 (byte {byte})"),
            "invalid type",
        ],
    );
    assert!(matches!(e, QwError::Header { .. }), "{e:?}");
    // Too few values for the shape.
    let bad = text.replacen(
        "values = [0, 1, 1, 2, 2, 2, 3, 3]",
        "values = [0, 1, 1, 2, 2, 2, 3]",
        1,
    );
    assert_ne!(bad, text, "the sigmoid table of fixed<3,1>, Fa = 2");
    let (e, _) = rejected(bad.as_bytes(), &["tensor `layer0.sigmoid`", "[7]", "[8]"]);
    assert!(matches!(e, QwError::ShapeMismatch { .. }), "{e:?}");
    // offset/bytes belong to the binary format.
    let bad = text.replacen(
        "encoding = \"sint16\"\n",
        "encoding = \"sint16\"\noffset = 0\n",
        1,
    );
    let (e, _) = rejected(
        bad.as_bytes(),
        &["field `tensor[2].offset (layer0.b)`", "inline `values`"],
    );
    assert!(matches!(e, QwError::Field { .. }), "{e:?}");
}

#[test]
fn text_twin_missing_qw_text() {
    let text = to_text(&lstm());
    let bad = text.replacen("qw_text = 1\n", "", 1);
    assert_ne!(bad, text);
    let (e, _) = rejected(bad.as_bytes(), &["field `qw_text`", "qw_text = 1"]);
    assert!(
        matches!(e, QwError::Field { ref field, .. } if field == "qw_text"),
        "{e:?}"
    );
    let bad = text.replacen("qw_text = 1\n", "qw_text = 2\n", 1);
    let (e, _) = rejected(bad.as_bytes(), &["field `qw_text`", "version 2"]);
    assert!(
        matches!(e, QwError::Field { ref field, .. } if field == "qw_text"),
        "{e:?}"
    );
    // Plain text that is no model at all is a wrong magic.
    let (e, _) = rejected(b"hello = 1\n", &["bytes 0..8"]);
    assert!(matches!(e, QwError::Magic { .. }), "{e:?}");
}

#[test]
fn text_twin_with_non_finite_metric() {
    let text = to_text(&lstm()).replacen(
        "[provenance]\n",
        "[provenance.metrics]\nmse = nan\n\n[provenance]\n",
        1,
    );
    let (e, _) = rejected(text.as_bytes(), &["provenance.metrics.mse", "finite"]);
    assert!(matches!(e, QwError::Field { .. }), "{e:?}");
}

// ---------------------------------------------------------------- names (§3.1)

/// The model name of issue 12: a newline and a Makefile `$(shell …)`, in a text twin and in a
/// binary header (patched, lengths and checksum recomputed). Both are refused naming the field,
/// the escaped character and its position, and the help says how to rename.
#[test]
fn model_name_outside_the_rule() {
    let m = lstm();
    let evil = r#""tiny\n$(shell touch pwned)\n#""#;
    let line = format!("name = {:?}\n", m.name);
    let text = to_text(&m).replacen(&line, &format!("name = {evil}\n"), 1);
    let needles = [
        "field `name`",
        evil,
        "'\\n' (U+000A) at position 5",
        "1 to 64 characters from A-Z a-z 0-9 _ . -",
    ];
    let (e, _) = rejected(text.as_bytes(), &needles);
    assert!(
        matches!(e, QwError::Name { ref field, ref fix, .. } if field == "name" && fix.contains("qrnn-hw convert IN OUT --name tiny_shell_touch_pwned_")),
        "{e:?}"
    );
    let (header, payload) = split(&to_bytes(&m));
    let header = header.replacen(&line, &format!("name = {evil}\n"), 1);
    let (e2, _) = rejected(&rebuild(&header, &payload), &needles);
    assert_eq!(e2, e);
    // Accepted by the lenient reader of `convert --name`, which then renames it.
    let mut back = qrnn_model::qw::from_bytes_to_rename(&rebuild(&header, &payload)).unwrap();
    assert_eq!(back.name, "tiny\n$(shell touch pwned)\n#");
    back.name = "tiny".into();
    assert!(back.validate().is_ok());
    for (name, problem) in [
        ("", "is empty"),
        ("-rf", "starts with '-'"),
        ("a b", "' ' (U+0020) at position 2"),
        ("x`define", "'`' (U+0060) at position 2"),
        ("a*/b", "'*' (U+002A) at position 2"),
    ] {
        let mut m = lstm();
        m.name = name.into();
        let (e, _) = rejected(&to_bytes(&m), &["field `name`", problem]);
        assert!(matches!(e, QwError::Name { .. }), "{e:?}");
    }
    let mut m = lstm();
    m.name = "x".repeat(65);
    rejected(&to_bytes(&m), &["is 65 characters long, more than 64"]);
}

#[test]
fn provenance_text_outside_the_rule() {
    type Edit = fn(&mut Model);
    let cases: [(&str, Edit); 4] = [
        ("provenance.dataset", |m| {
            m.provenance.dataset = Some("set\u{1b}[2J".into())
        }),
        ("provenance.task", |m| {
            m.provenance.task = Some("a\nb".into())
        }),
        ("provenance.notes", |m| {
            m.provenance.notes = Some("ok\nstill ok\u{202e}".into())
        }),
        ("provenance.metrics", |m| {
            m.provenance.metrics.insert("acc\n$(x)".into(), 1.0);
        }),
    ];
    for (field, edit) in cases {
        let mut m = lstm();
        edit(&mut m);
        let (e, _) = rejected(to_text(&m).as_bytes(), &[&format!("field `{field}`")]);
        assert!(matches!(e, QwError::Name { .. }), "{field}: {e:?}");
        assert_eq!(err(&to_bytes(&m)), e);
        assert!(m.provenance.legalise().contains(&field));
        assert!(m.validate().is_ok(), "{field}");
    }
}

/// A tensor name is looked up against the canonical names, so any other is refused; the error
/// shows it escaped (a control character in a tensor name never reaches a terminal raw).
#[test]
fn hostile_tensor_name_is_unknown_and_shown_escaped() {
    let (header, mut payload) = split(&to_bytes(&lstm()));
    let off = payload.len();
    let header = format!("{header}\n[[tensor]]\nname = \"layer0.x\\u001b[2J\\n$(y)\"\nshape = [1]\nencoding = \"sint8\"\noffset = {off}\nbytes = 1\n");
    payload.push(0);
    let (e, msg) = rejected(
        &rebuild(&header, &payload),
        &[r#"tensor `"layer0.x\u{1b}[2J\n$(y)"`"#, "unknown tensor"],
    );
    assert!(!msg.contains('\u{1b}') && !msg.contains('\n'), "{msg:?}");
    assert!(matches!(e, QwError::Tensor { .. }), "{e:?}");
}

// ---------------------------------------------------------------- architecture

#[test]
fn mixed_convlstm_and_lstm_stack() {
    let mut s = ExampleSpec::new(Cell::ConvLstm, Scheme::Ternary, 1, 1, 1);
    s.hidden = vec![1, 1];
    s.formats.pre = Fmt::new(3, 1).unwrap();
    let mut m = example(&s);
    m.layers[1].cell = Cell::Lstm;
    let want = |e: &QwError| matches!(e, QwError::Field { field, .. } if field == "layer[1].cell");
    let e = m.validate().unwrap_err();
    assert!(want(&e), "{e:?}");
    assert!(
        e.to_string()
            .contains("field `layer[1].cell`: ConvLSTM layers cannot be mixed"),
        "{e}"
    );
    // The same from a file (the writer does not validate; the reader does).
    let e = err(&to_bytes(&m));
    assert!(want(&e), "{e:?}");
    let e = err(to_text(&m).as_bytes());
    assert!(want(&e), "{e:?}");
}

#[test]
fn gru_with_a_cell_state_format() {
    let mut s = ExampleSpec::new(Cell::Gru, Scheme::Binary, 2, 1, 1);
    s.formats.pre = Fmt::new(3, 1).unwrap();
    let mut m = example(&s);
    m.layers[0].c_fmt = Some(Fmt::new(16, 11).unwrap());
    let e = err(to_text(&m).as_bytes());
    assert!(
        matches!(e, QwError::Field { ref field, .. } if field == "layer[0].c"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("field `layer[0].c`: GRU layers have no cell state"),
        "{e}"
    );
    // And an LSTM without one.
    let mut m = lstm();
    m.layers[0].c_fmt = None;
    let e = err(&to_bytes(&m));
    assert!(
        matches!(e, QwError::Field { ref field, .. } if field == "layer[0].c"),
        "{e:?}"
    );
}

#[test]
fn kernel_on_a_dense_layer() {
    let text = to_text(&lstm()).replacen("hidden = 1\n", "hidden = 1\nkernel = 3\n", 1);
    let (e, _) = rejected(
        text.as_bytes(),
        &["field `layer[0].kernel`", "only for ConvLSTM"],
    );
    assert!(matches!(e, QwError::Field { .. }), "{e:?}");
}

#[test]
fn provenance_seed_beyond_i64_is_invalid_and_never_panics_the_writer() {
    let mut m = lstm();
    m.provenance.seed = Some(u64::MAX);
    let e = m.validate().unwrap_err();
    assert!(
        matches!(e, QwError::Field { ref field, .. } if field == "provenance.seed"),
        "{e:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.qw");
    assert!(m.save(&p).is_err());
    assert!(!p.exists());
    // example() keeps seeds representable: the low 63 bits, recorded so the model can be remade.
    let s = ExampleSpec::new(Cell::Lstm, Scheme::Binary, 1, 1, u64::MAX);
    let m = example(&s);
    assert_eq!(m.provenance.seed, Some(i64::MAX as u64));
    assert_eq!(
        m,
        example(&ExampleSpec::new(
            Cell::Lstm,
            Scheme::Binary,
            1,
            1,
            i64::MAX as u64
        ))
    );
    assert_eq!(from_bytes(&to_bytes(&m)).unwrap(), m);
}

// ---------------------------------------------------------------- numeric range (§5.1)

fn too_wide(m: &Model, point: &str) {
    let e = m.validate().unwrap_err();
    assert!(
        matches!(e, QwError::TooWide { point: p, .. } if p == point),
        "{point}: {e:?}"
    );
    assert!(
        e.to_string().contains(point) && e.to_string().contains("more than the 62"),
        "{e}"
    );
    // The reader applies the same check.
    assert_eq!(err(&to_bytes(m)), e);
    assert_eq!(err(to_text(m).as_bytes()), e);
}

fn lstm_with(f: impl Fn(&mut ExampleSpec)) -> Model {
    let mut s = ExampleSpec::new(Cell::Lstm, Scheme::Int(8), 3, 1, 1);
    s.formats.pre = Fmt::new(6, 3).unwrap();
    s.formats.act_frac = 7;
    f(&mut s);
    example(&s)
}

#[test]
fn too_wide_alignment() {
    // φW = shift + F(x) = -16 + (-32) while Fb = 32: the W term is aligned by 2^80.
    let mut m = lstm_with(|s| {
        s.formats.x = ActFmt::Fixed(Fmt::new(8, -32).unwrap());
        s.formats.bias = Fmt::new(32, 32).unwrap();
    });
    m.layers[0].w.scale.shift = -16;
    too_wide(&m, "W term alignment");
    // Also when every W code is 0, so that the aligned value is known to be 0: a 64-bit
    // implementation still could not execute the shift by 80.
    m.layers[0].w.codes.iter_mut().for_each(|c| *c = 0);
    too_wide(&m, "W term alignment");
}

#[test]
fn too_wide_pre_requant_left_shift() {
    // G = max(φW, φU, Fb) = 8 but pre = fixed<6,32>: requant shifts the 32-bit-bias sum left by
    // 24 before saturating; that exact value needs more than 62 bits.
    let m = lstm_with(|s| {
        s.formats.x = ActFmt::Fixed(Fmt::new(8, 0).unwrap());
        s.formats.h = ActFmt::Fixed(Fmt::new(8, 0).unwrap());
        s.formats.bias = Fmt::new(32, 0).unwrap();
        s.formats.pre = Fmt::new(6, 32).unwrap();
    });
    let mut m = m;
    m.layers[0].bias[0] = i32::MIN as i64;
    too_wide(&m, "pre requant shift");
}

#[test]
fn too_wide_c_pre_requant_left_shift() {
    // c = fixed<16,-30>, pre = fixed<6,32>: c' is shifted left by 62 into the tanh index.
    let m = lstm_with(|s| {
        s.formats.c = Fmt::new(16, -30).unwrap();
        s.formats.pre = Fmt::new(6, 32).unwrap();
    });
    too_wide(&m, "c_pre requant shift");
}

#[test]
fn too_wide_head_requant_left_shift() {
    let mut s = ExampleSpec::new(Cell::Gru, Scheme::Int(8), 3, 3, 1);
    s.head = Some(2);
    s.formats.pre = Fmt::new(6, 3).unwrap();
    s.formats.h = ActFmt::Fixed(Fmt::new(16, -16).unwrap());
    s.formats.bias = Fmt::new(32, -16).unwrap();
    s.formats.out = Fmt::new(16, 32).unwrap();
    too_wide(&example(&s), "head requant shift");
}

/// Print every rejection message of this file's examples (for docs/QW_FORMAT.md):
/// `cargo test -p qrnn-model --test qw_reject -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_messages() {
    let b = to_bytes(&lstm());
    let mut v = b.clone();
    v[8] = 2;
    let mut t = b.clone();
    t[24] ^= 1;
    fix_checksum(&mut t);
    let mut c = b.clone();
    c[payload_start(&b) + 1] ^= 4;
    let mut tr = b.clone();
    tr.push(0);
    let (at, _) = tensor_at(&b, "layer0.w");
    let mut code = b.clone();
    code[at] = (code[at] & !0b1100) | 0b1000;
    fix_checksum(&mut code);
    let (hw, _) = tensor_at(&b, "head.w");
    let mut pad = b.clone();
    pad[hw] |= 0x80;
    fix_checksum(&mut pad);
    let (header, payload) = split(&b);
    let colour = rebuild(
        &header.replacen("[[layer]]\n", "[[layer]]\ncolour = 1\n", 1),
        &payload,
    );
    let shape = rebuild(
        &header.replacen("shape = [4, 3]", "shape = [3, 4]", 1),
        &payload,
    );
    let miss = {
        let cut = header.rfind("[[tensor]]").unwrap();
        rebuild(
            &header[..cut],
            &payload[..payload.len() - tensor_at(&b, "head.b").1],
        )
    };
    let text = to_text(&lstm());
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("magic", b"PK\x03\x04\x14\x00\x00\x00".to_vec()),
        ("empty", vec![]),
        ("version", v),
        ("truncated", b[..b.len() - 5].to_vec()),
        ("trailing", tr),
        ("checksum", c),
        ("header flip", t),
        ("unknown field", colour),
        ("shape", shape),
        ("missing tensor", miss),
        ("code", code),
        ("padding", pad),
        (
            "text no qw_text",
            text.replacen("qw_text = 1\n", "", 1).into_bytes(),
        ),
        (
            "text bad type",
            text.replacen("hidden = 1", "hidden = \"one\"", 1)
                .into_bytes(),
        ),
        ("text bad code", {
            let start = text.find("name = \"layer0.w\"").unwrap();
            let v = start + text[start..].find("values = [").unwrap() + "values = [".len();
            let rest = text[v..].trim_start_matches(|c: char| c == '-' || c.is_ascii_digit());
            format!("{}2{rest}", &text[..v]).into_bytes()
        }),
        ("header utf8", {
            let mut h = header.clone().into_bytes();
            h[10] = 0xFF;
            rebuild_raw(&h, &payload)
        }),
        (
            "act_frac",
            rebuild(
                &header.replacen("act_frac = 2", "act_frac = 0", 1),
                &payload,
            ),
        ),
        ("unknown tensor", {
            let off = payload.len();
            let mut p = payload.clone();
            p.push(0);
            let extra = format!("\n[[tensor]]\nname = \"layer0.peephole\"\nshape = [1]\nencoding = \"sint8\"\noffset = {off}\nbytes = 1\n");
            rebuild(&format!("{header}{extra}"), &p)
        }),
        (
            "offset",
            rebuild(
                &header.replacen("offset = 3\n", "offset = 4\n", 1),
                &payload,
            ),
        ),
        ("gru c", {
            let mut s = ExampleSpec::new(Cell::Gru, Scheme::Binary, 2, 1, 1);
            s.formats.pre = Fmt::new(3, 1).unwrap();
            let mut m = example(&s);
            m.layers[0].c_fmt = Some(Fmt::new(16, 11).unwrap());
            to_bytes(&m)
        }),
        ("too wide", {
            let mut m = lstm_with(|s| {
                s.formats.x = ActFmt::Fixed(Fmt::new(8, 0).unwrap());
                s.formats.h = ActFmt::Fixed(Fmt::new(8, 0).unwrap());
                s.formats.bias = Fmt::new(32, 0).unwrap();
                s.formats.pre = Fmt::new(6, 32).unwrap();
            });
            m.layers[0].bias[0] = i32::MIN as i64;
            to_bytes(&m)
        }),
    ];
    for (what, bytes) in inputs {
        let e = err(&bytes);
        println!("{what}: [{}] {e}", miette::Diagnostic::code(&e).unwrap());
    }
    let _ = MAGIC;
}
