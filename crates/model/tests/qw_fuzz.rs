//! Never-panic property: whatever bytes it is given, `qrnn_model::qw::from_bytes` returns `Ok` or
//! `Err`. Inputs are arbitrary bytes, and valid binary and text files mutated by byte flips,
//! truncations, insertions, deletions, corrupted length fields (with and without checksum fix-up),
//! and header edits (numbers and strings replaced by boundary values, lines dropped or repeated)
//! re-encoded with correct lengths and checksum, so that they reach the deepest checks.
//!
//! Whatever the reader accepts must be a valid model that writes back to an equal model.
//! The coverage-guided counterpart is the cargo-fuzz target in `fuzz/` (docs/QW_FORMAT.md).

mod common;

use common::{fix_checksum, rebuild, small_models, try_split};
use proptest::prelude::*;
use qrnn_model::qw::{from_bytes, to_bytes, to_text, MAGIC};
use std::sync::OnceLock;

/// The seed files: binary and text of every small model.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        small_models()
            .iter()
            .flat_map(|m| [to_bytes(m), to_text(m).into_bytes()])
            .collect()
    })
}

/// Read, and if accepted, check the model is valid and survives a round trip.
fn read(bytes: &[u8]) -> Result<(), TestCaseError> {
    match from_bytes(bytes) {
        Ok(m) => {
            prop_assert_eq!(m.validate(), Ok(()));
            let again = from_bytes(&to_bytes(&m));
            prop_assert_eq!(again.as_ref(), Ok(&m));
            let again = from_bytes(to_text(&m).as_bytes());
            prop_assert_eq!(again.as_ref(), Ok(&m));
        }
        Err(e) => {
            // Display and the diagnostic code never panic either, and say something.
            let msg = e.to_string();
            prop_assert!(!msg.is_empty());
            prop_assert!(miette::Diagnostic::code(&e).is_some());
        }
    }
    Ok(())
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "7",
    "8",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "31",
    "32",
    "33",
    "47",
    "48",
    "49",
    "61",
    "62",
    "63",
    "64",
    "65",
    "100",
    "127",
    "128",
    "255",
    "256",
    "4096",
    "65535",
    "65536",
    "65537",
    "67108864",
    "67108865",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "4611686018427387904",
    "9223372036854775807",
    "9223372036854775808",
    "-1",
    "-2",
    "-15",
    "-16",
    "-17",
    "-31",
    "-32",
    "-33",
    "-48",
    "-64",
    "-2147483648",
    "-9223372036854775808",
    "1e300",
    "nan",
    "inf",
    "0x10",
    "1_0",
];

const STRINGS: &[&str] = &[
    "",
    "lstm",
    "gru",
    "convlstm",
    "rnn",
    "binary",
    "ternary",
    "quaternary",
    "int2",
    "int4",
    "int8",
    "int9",
    "int0",
    "sint1",
    "sint16",
    "sint32",
    "sint33",
    "sint0",
    "fixed<1,0>",
    "fixed<32,32>",
    "fixed<32,-32>",
    "fixed<2,32>",
    "fixed<12,-32>",
    "fixed<12,32>",
    "fixed<33,0>",
    "fixed<2,-33>",
    "fixed<8,6>",
    "binary ",
    "layer0.w",
    "layer0.u",
    "layer0.b",
    "layer0.b_x",
    "layer0.b_h",
    "layer0.sigmoid",
    "layer0.tanh",
    "layer1.w",
    "layer9.w",
    "head.w",
    "head.b",
    "\u{0}",
    "é",
];

#[derive(Clone, Debug)]
enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Set {
        at: usize,
        byte: u8,
    },
    Truncate {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    HeaderLen {
        value: u32,
    },
    HeaderLenDelta {
        delta: i8,
    },
    PayloadLen {
        value: u64,
    },
    PayloadLenDelta {
        delta: i8,
    },
    /// Replace the `k`-th number of the header (or text) by one of `NUMBERS`.
    Number {
        k: usize,
        with: usize,
    },
    /// Replace the `k`-th quoted string of the header (or text) by one of `STRINGS`.
    Str {
        k: usize,
        with: usize,
    },
    /// Drop the `k`-th line of the header (or text).
    DropLine {
        k: usize,
    },
    /// Repeat the `k`-th line of the header (or text).
    DupLine {
        k: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let idx = any::<prop::sample::Index>().prop_map(|i| i.index(1 << 20));
    prop_oneof![
        1 => (idx.clone(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        1 => (idx.clone(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        1 => idx.clone().prop_map(|at| Mutation::Truncate { at }),
        1 => (idx.clone(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (idx.clone(), 1usize..16).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => any::<u32>().prop_map(|value| Mutation::HeaderLen { value }),
        1 => any::<i8>().prop_map(|delta| Mutation::HeaderLenDelta { delta }),
        1 => any::<u64>().prop_map(|value| Mutation::PayloadLen { value }),
        1 => any::<i8>().prop_map(|delta| Mutation::PayloadLenDelta { delta }),
        4 => (idx.clone(), 0..NUMBERS.len()).prop_map(|(k, with)| Mutation::Number { k, with }),
        4 => (idx.clone(), 0..STRINGS.len()).prop_map(|(k, with)| Mutation::Str { k, with }),
        2 => idx.clone().prop_map(|k| Mutation::DropLine { k }),
        2 => idx.prop_map(|k| Mutation::DupLine { k }),
    ]
}

/// Byte ranges of the numbers (an optional `-`, then digits) in a text.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Byte ranges of the contents of double-quoted strings (no escapes in our writers' output).
fn strings(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open = None;
    for (i, c) in text.char_indices() {
        if c == '"' {
            match open.take() {
                Some(s) => out.push((s, i)),
                None => open = Some(i + 1),
            }
        } else if c == '\n' {
            open = None;
        }
    }
    out
}

fn edit_text(text: &str, m: &Mutation) -> Option<String> {
    let pick = |v: Vec<(usize, usize)>, k: usize| (!v.is_empty()).then(|| v[k % v.len()]);
    let splice =
        |(a, b): (usize, usize), with: &str| format!("{}{}{}", &text[..a], with, &text[b..]);
    match *m {
        Mutation::Number { k, with } => pick(numbers(text), k).map(|r| splice(r, NUMBERS[with])),
        Mutation::Str { k, with } => pick(strings(text), k).map(|r| splice(r, STRINGS[with])),
        Mutation::DropLine { k } | Mutation::DupLine { k } => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let k = k % lines.len().max(1);
            let mut out = String::new();
            for (i, l) in lines.iter().enumerate() {
                if i != k || matches!(m, Mutation::DupLine { .. }) {
                    out.push_str(l);
                }
                if i == k && matches!(m, Mutation::DupLine { .. }) {
                    out.push_str(l);
                }
            }
            Some(out)
        }
        _ => None,
    }
}

fn apply(file: &[u8], m: &Mutation, fixup: bool) -> Vec<u8> {
    let binary = file.starts_with(&MAGIC) && file.len() >= 24;
    let mut b = file.to_vec();
    let len = b.len();
    let set_u32 =
        |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let set_u64 =
        |b: &mut Vec<u8>, at: usize, v: u64| b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    match m {
        Mutation::Flip { at, mask } => b[at % len] ^= mask,
        Mutation::Set { at, byte } => b[at % len] = *byte,
        Mutation::Truncate { at } => b.truncate(at % len),
        Mutation::Insert { at, bytes } => {
            let at = at % (len + 1);
            b.splice(at..at, bytes.iter().copied());
        }
        Mutation::Delete { at, len: n } => {
            let at = at % len;
            b.drain(at..(at + n).min(len));
        }
        Mutation::HeaderLen { value } if binary => set_u32(&mut b, 12, *value),
        Mutation::HeaderLenDelta { delta } if binary => {
            let v = u32::from_le_bytes(b[12..16].try_into().unwrap());
            set_u32(&mut b, 12, v.wrapping_add_signed(*delta as i32));
        }
        Mutation::PayloadLen { value } if binary => set_u64(&mut b, 16, *value),
        Mutation::PayloadLenDelta { delta } if binary => {
            let v = u64::from_le_bytes(b[16..24].try_into().unwrap());
            set_u64(&mut b, 16, v.wrapping_add_signed(*delta as i64));
        }
        Mutation::Number { .. }
        | Mutation::Str { .. }
        | Mutation::DropLine { .. }
        | Mutation::DupLine { .. } => {
            if binary {
                if let Some((header, payload)) = try_split(file) {
                    if let Some(h) = edit_text(&header, m) {
                        // Edits to the header are re-encoded with correct lengths and checksum.
                        return rebuild(&h, &payload);
                    }
                }
            } else if let Some(t) = std::str::from_utf8(file).ok().and_then(|t| edit_text(t, m)) {
                return t.into_bytes();
            }
        }
        _ => {}
    }
    if fixup && binary {
        fix_checksum(&mut b);
    }
    b
}

/// `cases` cases, unless `PROPTEST_CASES` says otherwise (e.g. `PROPTEST_CASES=200000` for a long
/// run). Failures are not persisted: the inputs are printed, and the seeds are built in.
fn config(cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    c
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256), prefix in 0usize..4) {
        let mut data = match prefix {
            0 => Vec::new(),
            1 => MAGIC.to_vec(),
            2 => b"qw_text = 1\n".to_vec(),
            _ => MAGIC[..3].to_vec(),
        };
        data.extend_from_slice(&bytes);
        read(&data)?;
        if prefix == 1 {
            // A magic, a plausible preamble, then garbage, with a correct checksum.
            let mut d = MAGIC.to_vec();
            d.extend_from_slice(&[1, 0, 0, 0]);
            let hlen = bytes.len().min(64) as u32;
            d.extend_from_slice(&hlen.to_le_bytes());
            d.extend_from_slice(&((bytes.len() as u64) - hlen as u64).to_le_bytes());
            d.extend_from_slice(&bytes);
            d.extend_from_slice(&[0; 32]);
            fix_checksum(&mut d);
            read(&d)?;
        }
    }

    #[test]
    fn mutated_valid_files_never_panic(
        seed in 0usize..8,
        muts in prop::collection::vec(mutation(), 1..4),
        fixup in any::<bool>(),
    ) {
        let mut file = seeds()[seed % seeds().len()].clone();
        for m in &muts {
            if file.is_empty() {
                break;
            }
            file = apply(&file, m, fixup);
        }
        read(&file)?;
    }

    #[test]
    fn single_header_edits_never_panic(seed in 0usize..8, m in mutation()) {
        let file = &seeds()[seed % seeds().len()];
        read(&apply(file, &m, true))?;
    }
}

/// Every single-byte flip of a small binary file, with the checksum fixed up: the reader gets past
/// the checksum every time and must still never panic.
#[test]
fn every_byte_flip_of_a_small_file() {
    let file = to_bytes(&small_models()[2]);
    let mut accepted = 0;
    for at in 0..file.len() - 32 {
        for mask in [0x01u8, 0x80, 0xFF] {
            let mut b = file.clone();
            b[at] ^= mask;
            fix_checksum(&mut b);
            if from_bytes(&b).is_ok() {
                accepted += 1;
            }
        }
    }
    // Some flips are harmless (inside the provenance notes, a weight code to another code, ...).
    assert!(accepted > 0);
}
