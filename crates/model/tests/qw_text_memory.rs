//! The text twin's memory (docs/QW_FORMAT.md "Memory"): writing and reading a model of 4.2 M
//! weights (an LSTM 4 → 1024) keeps this process's peak resident memory a small multiple of the
//! text's size, where the whole-document TOML serializer and parser needed about 185 bytes per
//! weight (here 780 MB). Alone in its test binary, so that the peak is this test's.

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::qw::{from_bytes, model_hash, to_bytes};
use qrnn_model::{Cell, Model, Scheme};

/// Peak resident memory of this process so far (Linux), in bytes.
fn peak_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[test]
fn a_four_million_weight_text_twin_round_trips_in_little_memory() {
    let m = example(&ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 4, 1024, 9));
    let weights: usize = m
        .layers
        .iter()
        .map(|l| l.w.codes.len() + l.u.codes.len())
        .sum();
    assert!(weights > 4_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.qw.toml");
    m.save(&path).unwrap(); // streamed
    let text_len = std::fs::metadata(&path).unwrap().len();
    let back = Model::load(&path).unwrap();
    assert_eq!(back, m);
    let bin = to_bytes(&back);
    assert_eq!(from_bytes(&bin).unwrap(), m);
    assert_eq!(model_hash(&back), model_hash(&m));
    let Some(peak) = peak_rss() else {
        return; // not Linux: the round trip is the test
    };
    // the model (1 B a weight) twice, the text once, its values once (1 B a weight), the binary
    // encoding (2 bits a weight), the test binary: well under 8 × the text; the old writer alone
    // needed 185 B a weight (~55 × the text)
    let text_mb = text_len >> 20;
    let peak_mb = peak >> 20;
    println!("{weights} weights, text {text_mb} MiB, peak RSS {peak_mb} MiB");
    assert!(
        peak < 4 * text_len + (64 << 20),
        "peak RSS {peak_mb} MiB for a {text_mb} MiB text twin of {weights} weights"
    );
}
