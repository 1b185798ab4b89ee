//! Weights in SPRAM and the weight loader (docs/HARDWARE.md §4.3), one small representative case
//! of each claim (the UP5K measurement of a ternary LSTM 16→128 is in bench/results/memories.md):
//!
//! - a design with its weight memories in SPRAM co-simulates exactly on Verilator and Icarus,
//!   the load included: the behavioural SPI flash starts in deep power-down, every SPRAM word
//!   starts random (`--x-initial unique`), and the testbench checks that the core accepts input
//!   exactly `load_cycles` after reset;
//! - a corrupted image (a payload byte, a header byte) is rejected: `load_err`, and the core
//!   never accepts input;
//! - the image holds what the memories hold: decoding its payload gives back every ROM word;
//! - yosys maps every SPRAM block to one SB_SPRAM256KA, as many as `qrnn.json` says;
//! - the placement is refused where it cannot be honoured (ECP5, an unknown memory name).

mod common;
use common::{have, project_files, write_files};

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_project::Request;
use qrnn_rtl::ir::Placement;
use qrnn_rtl::{EngineId, Family, Fold};
use qrnn_sim::{Stimulus, Tool};
use std::path::Path;

fn model() -> Model {
    let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 5, 12, 7);
    spec.head = Some(3);
    let m = example(&spec);
    m.validate().expect("test models are valid");
    m
}

/// Both weight memories of layer 0 in SPRAM, the head's in ROM; layer 0 at 2×4 (U: 8-bit words,
/// one block; W too), so the image has two segments.
fn request(target: Family) -> Request {
    let mut r = Request {
        target,
        ..Request::default()
    };
    r.folds.pin(EngineId::Layer(0), Fold { p: 2, s: 4 });
    r.place.insert("l0_u".into(), Placement::Spram);
    r.place.insert("l0_w".into(), Placement::Spram);
    r
}

#[test]
fn spram_weights_cosimulate_with_the_load() {
    let m = model();
    common::cosim("spram", &m, &request(Family::Ice40), &[3, 1, 4], 5, true);
}

fn write(m: &Model) -> (tempfile::TempDir, qrnn_rtl::manifest::Manifest) {
    let stim = Stimulus::random(m, &[2, 1], 3);
    let (man, files) = project_files(m, &request(Family::Ice40), &stim).expect("generates");
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_files(dir.path(), &files).expect("writes");
    (dir, man)
}

fn image_lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("flash/weights.hex"))
        .expect("the image")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_corrupted_image_is_rejected() {
    if !have(&[Tool::verilator()]) {
        return;
    }
    let m = model();
    let (dir, man) = write(&m);
    let w = man.weight_image.expect("a weight image");
    let lines = image_lines(dir.path());
    // byte 12 is in the model hash; the last payload byte is covered by the CRC only
    for (what, at) in [("header", 12), ("payload", w.bytes as usize - 5)] {
        let mut bad = lines.clone();
        let v = u8::from_str_radix(&bad[at], 16).unwrap() ^ 0x01;
        bad[at] = format!("{v:02x}");
        std::fs::write(dir.path().join("flash/weights.hex"), bad.join("\n") + "\n").unwrap();
        let out = qrnn_sim::verilator_fast(dir.path(), Some(&common::cache_dir())).unwrap();
        assert!(
            !out.pass,
            "{what}: a corrupted image passed:\n{}",
            out.output
        );
        assert!(
            out.output
                .contains("FAIL load: the core rejected the weight image"),
            "{what}: expected the load to fail:\n{}",
            out.output
        );
    }
    // and the intact image passes in the same project (the check can pass)
    std::fs::write(
        dir.path().join("flash/weights.hex"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    let out = qrnn_sim::verilator_fast(dir.path(), Some(&common::cache_dir())).unwrap();
    assert!(out.pass, "the intact image failed:\n{}", out.output);
}

#[test]
fn the_image_holds_the_memories() {
    let m = model();
    let g = qrnn_rtl::generate(&m, &request(Family::Ice40).options(), |_, _| {}).unwrap();
    let img = qrnn_rtl::loader::image(&g.design).expect("an image");
    let w = g.manifest.weight_image.as_ref().expect("in the manifest");
    assert_eq!(w.bytes as usize, img.len());
    assert_eq!(&img[..4], b"QRWI");
    assert_eq!(
        u16::from_be_bytes([img[4], img[5]]),
        qrnn_rtl::loader::VERSION
    );
    assert_eq!(
        img[8..40]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        g.design.model_hash
    );
    let n = img.len();
    let payload = u32::from_be_bytes([img[40], img[41], img[42], img[43]]) as usize;
    assert_eq!(payload, n - 44 - 4);
    assert_eq!(qrnn_rtl::loader::crc32(&img[..n - 4]), w.crc32);
    assert_eq!(w.crc32.to_be_bytes(), img[n - 4..]);
    assert_eq!(w.memories, ["l0_w", "l0_u"]);
    // decode: each memory's blocks in turn, 16-bit words, block t = bits [16t, 16t+16)
    let mut at = 44;
    for name in &w.memories {
        let rom = g
            .design
            .engines()
            .flat_map(|e| std::iter::once(&e.w).chain(e.u.iter()))
            .filter_map(|mv| mv.rom.as_ref())
            .find(|r| &r.name == name)
            .unwrap();
        assert_eq!(rom.placement, Placement::Spram);
        let blocks = rom.width.div_ceil(16) as usize;
        let mut words = vec![0u128; rom.words.len()];
        for t in 0..blocks {
            for word in words.iter_mut() {
                let v = u16::from_be_bytes([img[at], img[at + 1]]);
                *word |= u128::from(v) << (16 * t);
                at += 2;
            }
        }
        for (i, (got, want)) in words.iter().zip(&rom.words).enumerate() {
            assert_eq!(
                *got,
                u128::from_str_radix(want, 16).unwrap(),
                "{name} word {i}"
            );
        }
    }
    assert_eq!(at, n - 4);
}

/// yosys 0.23 `synth_ice40` of `top` in the project `dir`: the cell counts of `stat`.
fn synth_cells(dir: &Path, files: &str, top: &str) -> std::collections::BTreeMap<String, u64> {
    let out = std::process::Command::new(Tool::yosys().cmd)
        .current_dir(dir)
        .args([
            "-q",
            "-p",
            &format!("read_verilog {files}; synth_ice40 -dsp -top {top}; tee -o stat.txt stat"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("stat.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (k, v) = (w.next()?, w.next()?);
            Some((k.to_string(), v.parse().ok()?))
        })
        .filter(|(k, _): &(String, u64)| k.starts_with("SB_"))
        .collect()
}

#[test]
fn yosys_maps_every_block_to_an_sb_spram256ka() {
    if !have(&[Tool::yosys()]) {
        return;
    }
    let m = model();
    let (dir, man) = write(&m);
    let rtl = qrnn_sim::run::rtl_files(dir.path()).unwrap().join(" ");
    let cells = synth_cells(dir.path(), &rtl, "qrnn_core");
    let n = cells.get("SB_SPRAM256KA").copied().unwrap_or(0);
    let w = man.weight_image.expect("a weight image");
    assert_eq!(n, u64::from(w.spram_blocks), "{cells:?}");
    assert_eq!(man.resources.spram_blocks, u64::from(w.spram_blocks));
    // the resource model's loader cost is yosys's count of a loader (docs/HARDWARE.md §6): this
    // one, of a smaller image, within 25 %
    let ld = synth_cells(dir.path(), "rtl/qrnn_loader.v", "qrnn_loader");
    let lut = ld.get("SB_LUT4").copied().unwrap_or(0);
    let ff: u64 = ld
        .iter()
        .filter(|(k, _)| k.starts_with("SB_DFF"))
        .map(|(_, v)| v)
        .sum();
    for (what, got, model) in [
        ("LUT4", lut, qrnn_rtl::resources::LOADER_LUT4),
        ("flip-flops", ff, qrnn_rtl::resources::LOADER_FF),
    ] {
        let r = got as f64 / model as f64;
        assert!(
            (0.75..=1.25).contains(&r),
            "the loader synthesises to {got} {what}, the resource model says {model}: {ld:?}"
        );
    }
}

#[test]
fn spram_is_refused_where_it_cannot_be_honoured() {
    let m = model();
    let e = qrnn_rtl::generate(&m, &request(Family::Ecp5).options(), |_, _| {})
        .err()
        .expect("no SPRAM on ECP5");
    assert!(e.to_string().contains("only the iCE40UP5K has"), "{e}");
    let mut r = request(Family::Ice40);
    r.place.insert("l9_u".into(), Placement::Spram);
    let e = qrnn_rtl::generate(&m, &r.options(), |_, _| {})
        .err()
        .expect("an unknown memory");
    assert!(
        e.to_string().contains("no weight memory l9_u") && e.to_string().contains("l0_u"),
        "{e}"
    );
}
