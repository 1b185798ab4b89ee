//! Tensor files with forged headers, and containers that are not what they are named, fail with
//! exit code 1 and a message naming the file (and member), the byte offsets and what was expected
//! — without allocating for what the header claims: each command runs under `ulimit -v 1000000`
//! (1 GB of address space), where the 4 GiB allocation a 0xFFFFFFFF header length used to cause
//! aborts the process. (docs/CLI.md "Budgets".)
//!
//! Also the text twin of a 4096-hidden LSTM (67 M weights) written and read back by `example` and
//! `convert` within 2 GB (`ulimit -v 2000000`), with one model hash (about 11 s in the debug build).

use std::process::Output;

mod common;
use common::flat;

/// Exit code 1 and every fragment in the (unwrapped) message.
fn fails(o: &Output, fragments: &[&str]) {
    let e = flat(&String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "exit code; stderr: {e}");
    for f in fragments {
        assert!(e.contains(f), "missing {f:?} in: {e}");
    }
}

/// 14 bytes: an `.npy` version 2.0 whose header length field is 0xFFFFFFFF.
fn forged_npy() -> Vec<u8> {
    let mut b = b"\x93NUMPY\x02\x00".to_vec();
    b.extend([0xFF, 0xFF, 0xFF, 0xFF, b'{', b'}']);
    assert_eq!(b.len(), 14);
    b
}

/// A zip archive (stored) of the given members, as `numpy.savez` writes one.
fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let mut local = Vec::new();
        local.extend(0x04034b50u32.to_le_bytes());
        local.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, stored, time, date
        local.extend(crc.to_le_bytes());
        local.extend((data.len() as u32).to_le_bytes());
        local.extend((data.len() as u32).to_le_bytes());
        local.extend((name.len() as u16).to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(name.as_bytes());
        out.extend(&local);
        out.extend(*data);
        central.extend(0x02014b50u32.to_le_bytes());
        central.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // made by, needed, flags, method, time, date
        central.extend(crc.to_le_bytes());
        central.extend((data.len() as u32).to_le_bytes());
        central.extend((data.len() as u32).to_le_bytes());
        central.extend((name.len() as u16).to_le_bytes());
        central.extend([0; 12]); // extra, comment, disk, internal and external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x06054b50u32.to_le_bytes());
    out.extend([0, 0, 0, 0]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in data {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

const LIMIT: u64 = 1_000_000;

#[test]
fn a_forged_npy_header_is_refused_by_run() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let o = common::qrnn_limited(
        dir,
        LIMIT,
        &[
            "-q", "example", "--hidden", "4", "--input", "2", "-o", "m.qw",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(dir.join("x.npy"), forged_npy()).unwrap();
    fails(
        &common::qrnn_limited(dir, LIMIT, &["run", "m.qw", "-i", "x.npy"]),
        &[
            "x.npy",
            "not a valid .npy file",
            "bytes 8..12: header length 4294967295 is more than the 65536 bytes",
        ],
    );
    // a shape × dtype larger than the data there is
    let mut short = b"\x93NUMPY\x01\x00".to_vec();
    let h = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 2), }\n";
    short.extend((h.len() as u16).to_le_bytes());
    short.extend(h.as_bytes());
    short.extend([0; 16]);
    std::fs::write(dir.join("short.npy"), short).unwrap();
    fails(
        &common::qrnn_limited(dir, LIMIT, &["run", "m.qw", "-i", "short.npy"]),
        &[
            "short.npy",
            "array shape (100000000, 2) of '<f8' needs 1600000000 bytes of data",
            "the file has 16",
        ],
    );
}

#[test]
fn a_forged_npy_inside_an_npz_is_refused_by_import() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(
        dir.join("forged.npz"),
        zip_of(&[("weight_ih_l0.npy", &forged_npy())]),
    )
    .unwrap();
    fails(
        &common::qrnn_limited(dir, LIMIT, &["import", "forged.npz", "-o", "m.qw"]),
        &[
            "forged.npz",
            "not a valid npz file",
            "array `weight_ih_l0` (member weight_ih_l0.npy)",
            "bytes 8..12: header length 4294967295 is more than the 65536 bytes",
        ],
    );
    assert!(!dir.join("m.qw").exists());
}

#[test]
fn an_empty_or_non_zip_npz_is_reported_as_an_npz() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(dir.join("empty.npz"), b"").unwrap();
    let o = common::qrnn_limited(dir, LIMIT, &["import", "empty.npz", "-o", "m.qw"]);
    fails(
        &o,
        &[
            "empty.npz",
            "not a valid npz file",
            "the file is empty (0 bytes)",
            "expected a zip archive as numpy.savez writes",
        ],
    );
    assert!(!flat(&String::from_utf8_lossy(&o.stderr)).contains("safetensors file"));
    std::fs::write(dir.join("notes.npz"), b"some text, not a zip\n").unwrap();
    fails(
        &common::qrnn_limited(dir, LIMIT, &["import", "notes.npz", "-o", "m.qw"]),
        &[
            "notes.npz",
            "not a valid npz file",
            "bytes 0..8 are 73 6F 6D 65 20 74 65 78",
            "expected a zip archive",
        ],
    );
}

#[test]
fn a_huge_safetensors_header_length_is_refused_by_import() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let mut b = u64::MAX.to_le_bytes().to_vec();
    b.extend(b"{\"a\": 1}");
    std::fs::write(dir.join("huge.safetensors"), &b).unwrap();
    fails(
        &common::qrnn_limited(dir, LIMIT, &["import", "huge.safetensors", "-o", "m.qw"]),
        &[
            "huge.safetensors",
            "not a valid safetensors file",
            "bytes 0..8: header length 18446744073709551615 is more than the 100000000 bytes the safetensors format allows",
        ],
    );
    // within the format's bound, but past the end of the file
    let mut b = 99_999_999u64.to_le_bytes().to_vec();
    b.extend(b"{}");
    std::fs::write(dir.join("past.safetensors"), &b).unwrap();
    fails(
        &common::qrnn_limited(dir, LIMIT, &["import", "past.safetensors", "-o", "m.qw"]),
        &[
            "past.safetensors",
            "runs to byte 100000007, past the end of the 10-byte file",
        ],
    );
}

/// Item 4 of issue 12: `example --hidden 4096 -o h.qw.toml` needed about 12 GB, and reading the
/// twin back as much. Now: each step within 2 GB of address space, and one model hash.
#[test]
fn a_4096_hidden_lstm_converts_both_ways_within_2_gb() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let hash = |o: &Output| {
        let s =
            String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{s}");
        let i = s.find("hash ").expect("a hash") + 5;
        s[i..i + 16].to_string()
    };
    let steps: [&[&str]; 4] = [
        &["example", "--hidden", "4096", "-o", "h.qw"],
        &["convert", "h.qw", "h.qw.toml"],
        &["convert", "h.qw.toml", "back.qw"],
        &["example", "--hidden", "4096", "-o", "direct.qw.toml"],
    ];
    let hashes: Vec<String> = steps
        .iter()
        .map(|args| hash(&common::qrnn_limited(dir, 2_000_000, args)))
        .collect();
    assert!(hashes.iter().all(|h| *h == hashes[0]), "{hashes:?}");
    assert_eq!(
        std::fs::read(dir.join("h.qw")).unwrap(),
        std::fs::read(dir.join("back.qw")).unwrap()
    );
    assert_eq!(
        std::fs::read(dir.join("h.qw.toml")).unwrap(),
        std::fs::read(dir.join("direct.qw.toml")).unwrap()
    );
}
