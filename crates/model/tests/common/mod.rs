//! Helpers shared by the `.qw` integration tests: take a binary file apart into its header text and
//! payload, and put one together again with correct lengths and checksum.
#![allow(dead_code)]

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::qw::{CHECKSUM, MAGIC, MAJOR, MINOR, PREAMBLE};
use qrnn_model::{ActFmt, Cell, Fmt, Model, Scheme};
use sha2::{Digest, Sha256};

/// The header text and the payload of a well-formed binary file.
pub fn split(bytes: &[u8]) -> (String, Vec<u8>) {
    try_split(bytes).expect("a well-formed binary .qw file")
}

/// The header text and the payload, if the preamble's lengths fit the file and the header is UTF-8.
pub fn try_split(bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    let hlen = u32::from_le_bytes(bytes.get(12..16)?.try_into().ok()?) as usize;
    let plen = usize::try_from(u64::from_le_bytes(bytes.get(16..24)?.try_into().ok()?)).ok()?;
    let hend = PREAMBLE.checked_add(hlen)?;
    let header = String::from_utf8(bytes.get(PREAMBLE..hend)?.to_vec()).ok()?;
    let payload = bytes.get(hend..hend.checked_add(plen)?)?.to_vec();
    Some((header, payload))
}

/// A binary file from raw header bytes and a payload, with version 1.0, the right lengths and the
/// right checksum.
pub fn rebuild_raw(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&MAJOR.to_le_bytes());
    out.extend_from_slice(&MINOR.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(payload);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

/// A binary file from a header string and a payload (see [`rebuild_raw`]).
pub fn rebuild(header: &str, payload: &[u8]) -> Vec<u8> {
    rebuild_raw(header.as_bytes(), payload)
}

/// Recompute the trailing checksum in place over everything before it (whatever the lengths say).
pub fn fix_checksum(bytes: &mut [u8]) {
    if bytes.len() < CHECKSUM {
        return;
    }
    let n = bytes.len() - CHECKSUM;
    let digest = Sha256::digest(&bytes[..n]);
    bytes[n..].copy_from_slice(&digest);
}

/// Payload bytes start here.
pub fn payload_start(bytes: &[u8]) -> usize {
    PREAMBLE + u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize
}

/// A small model of each cell, with small tables so that files are short.
pub fn small_models() -> Vec<Model> {
    let small =
        |cell: Cell, scheme: Scheme, input: usize, hidden: Vec<usize>, head: Option<usize>| {
            let mut s = ExampleSpec::new(cell, scheme, input, hidden[0], 3);
            s.hidden = hidden;
            s.head = head;
            s.formats.pre = Fmt::new(3, 1).unwrap();
            s.formats.act_frac = 2;
            s
        };
    let mut specs = [
        small(Cell::Lstm, Scheme::Ternary, 3, vec![1], Some(2)),
        small(Cell::Gru, Scheme::Binary, 2, vec![1, 1], None),
        small(Cell::ConvLstm, Scheme::Quaternary, 1, vec![1], Some(1)),
        small(Cell::Lstm, Scheme::Int(4), 1, vec![2], None),
    ];
    specs[1].formats.x = ActFmt::Binary;
    specs[1].formats.h = ActFmt::Binary;
    specs[2].map = Some((2, 2));
    specs[3].per_row_mult = true;
    specs.iter().map(example).collect()
}
