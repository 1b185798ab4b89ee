//! The ConvLSTM co-simulation matrix (issue #4): {binary, ternary, quaternary, int8} × {fully
//! folded 1x1, wide 4x8} × kernel {3, 5} on odd 7×5 maps with two stacked layers (half of them with
//! a 1×1 convolution head), each generated, built with Verilator and run against the golden model:
//! every pixel of every channel of every layer's h and c, and every output, at every timestep, and
//! the cycle count equal to the prediction. Two designs also run on Icarus; two run a second time
//! with random backpressure.

mod common;
use common::{project_files, write_files};

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_project::Request;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::{EngineId, Fold};
use qrnn_sim::{verilator_fast, Stimulus, Tool};

fn model(scheme: Scheme, k: usize, head: bool, seed: u64) -> Model {
    let mut spec = ExampleSpec::new(Cell::ConvLstm, scheme, 2, 3, seed);
    spec.hidden = vec![3, 2];
    spec.kernel = k;
    spec.map = Some((7, 5));
    spec.head = head.then_some(2);
    let m = example(&spec);
    m.validate().expect("matrix models are valid");
    m
}

fn opts(m: &Model, wide: bool, weights: WeightsMode) -> Request {
    let mut o = Request {
        weights,
        ..Request::default()
    };
    for (l, layer) in m.layers.iter().enumerate() {
        let cols = layer.w.row_len().max(layer.u.row_len());
        let f = if wide {
            Fold {
                p: 4.min(layer.rows()),
                s: 8.min(cols),
            }
        } else {
            Fold { p: 1, s: 1 }
        };
        o.folds.pin(EngineId::Layer(l), f);
    }
    if let Some(h) = &m.head {
        let f = if wide {
            Fold {
                p: h.outputs(),
                s: m.layers.last().unwrap().hidden,
            }
        } else {
            Fold { p: 1, s: 1 }
        };
        o.folds.pin(EngineId::Head, f);
    }
    o
}

fn cosim(name: &str, m: &Model, o: &Request, also_icarus: bool, backpressure: Option<u32>) {
    let lens: &[usize] = if also_icarus { &[2, 1] } else { &[3, 1, 2] };
    common::cosim_with(name, m, o, lens, 5, also_icarus, backpressure);
}

/// The matrix's last column: a number runs the design a second time with random backpressure
/// (docs/HARDWARE.md §3) of that seed on each of its simulators; `-` does not.
macro_rules! matrix {
    ($($name:ident: $scheme:expr, $k:expr, $wide:expr, $head:expr, $weights:expr, $icarus:expr, $bp:tt;)*) => {$(
        #[test]
        fn $name() {
            let m = model($scheme, $k, $head, 9);
            let o = opts(&m, $wide, $weights);
            cosim(stringify!($name), &m, &o, $icarus, matrix!(@bp $bp));
        }
    )*};
    (@bp -) => { None };
    (@bp $seed:literal) => { Some($seed) };
}

use Scheme::{Binary, Int, Quaternary, Ternary};
use WeightsMode::{Auto, Logic, Rom};

matrix! {
    conv_binary_k3_folded:      Binary,     3, false, true,  Rom,   true,  -;
    conv_binary_k3_wide:        Binary,     3, true,  false, Auto,  false, -;
    conv_binary_k5_folded:      Binary,     5, false, false, Logic, false, 7;
    conv_binary_k5_wide:        Binary,     5, true,  true,  Rom,   false, -;
    conv_ternary_k3_folded:     Ternary,    3, false, false, Auto,  false, -;
    conv_ternary_k3_wide:       Ternary,    3, true,  true,  Logic, false, 8;
    conv_ternary_k5_folded:     Ternary,    5, false, true,  Rom,   false, -;
    conv_ternary_k5_wide:       Ternary,    5, true,  false, Auto,  true,  -;
    conv_quaternary_k3_folded:  Quaternary, 3, false, true,  Logic, false, -;
    conv_quaternary_k3_wide:    Quaternary, 3, true,  false, Rom,   false, -;
    conv_quaternary_k5_folded:  Quaternary, 5, false, false, Auto,  false, -;
    conv_quaternary_k5_wide:    Quaternary, 5, true,  true,  Logic, false, -;
    conv_int8_k3_folded:        Int(8),     3, false, false, Rom,   false, -;
    conv_int8_k3_wide:          Int(8),     3, true,  true,  Auto,  false, -;
    conv_int8_k5_folded:        Int(8),     5, false, true,  Logic, false, -;
    conv_int8_k5_wide:          Int(8),     5, true,  false, Rom,   false, -;
}

/// A corrupted weight ROM makes the co-simulation fail at the first mismatching (timestep, y, x,
/// channel), so the comparison can fail; the uncorrupted project passes.
#[test]
fn corrupted_weight_rom_names_the_pixel() {
    if !common::have(&[Tool::verilator()]) {
        return;
    }
    let m = model(Scheme::Ternary, 3, true, 21);
    let o = opts(&m, false, WeightsMode::Rom);
    let dir = tempfile::Builder::new()
        .prefix("qrnn-conv-corrupt-")
        .tempdir()
        .unwrap();
    let stim = Stimulus::random(&m, &[2], 3);
    let (_man, files) = project_files(&m, &o, &stim).unwrap();
    write_files(dir.path(), &files).unwrap();
    let out = verilator_fast(dir.path(), Some(&common::cache_dir())).unwrap();
    assert!(
        out.pass,
        "the uncorrupted design must pass:\n{}",
        out.output
    );
    // invert every code bit of the first word of layer 0's input-weight ROM
    let rom = dir.path().join("rtl/rom/l0_w.hex");
    let text = std::fs::read_to_string(&rom).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let flipped: String = lines[0]
        .chars()
        .map(|c| {
            let v = c.to_digit(16).unwrap();
            char::from_digit(!v & 0xf, 16).unwrap()
        })
        .collect();
    lines[0] = flipped;
    std::fs::write(&rom, lines.join("\n") + "\n").unwrap();
    let out = verilator_fast(dir.path(), Some(&common::cache_dir())).unwrap();
    assert!(!out.pass, "a corrupted ROM must fail the co-simulation");
    let line = out
        .output
        .lines()
        .find(|l| l.starts_with("FAIL mismatch:"))
        .unwrap_or_else(|| panic!("no mismatch line:\n{}", out.output));
    assert!(
        line.contains("step ")
            && line.contains("(y ")
            && line.contains(", x ")
            && line.contains("channel "),
        "{line}"
    );
    eprintln!("{line}");
}

/// Generation is deterministic for ConvLSTM designs: the same model and options give identical
/// files; a different folding changes the RTL and the cycle count but not the expected vectors.
#[test]
fn conv_generation_is_deterministic() {
    let m = model(Scheme::Quaternary, 5, true, 4);
    let stim = Stimulus::random(&m, &[2, 1], 8);
    let a = project_files(&m, &opts(&m, true, WeightsMode::Auto), &stim).unwrap();
    let b = project_files(&m, &opts(&m, true, WeightsMode::Auto), &stim).unwrap();
    assert_eq!(
        a.1, b.1,
        "same model and options must give byte-identical files"
    );
    let c = project_files(&m, &opts(&m, false, WeightsMode::Auto), &stim).unwrap();
    assert_ne!(a.0.cycles_per_step, c.0.cycles_per_step);
    let get =
        |files: &[(String, String)], p: &str| files.iter().find(|f| f.0 == p).map(|f| f.1.clone());
    assert_eq!(
        get(&a.1, "sim/expect_out.hex"),
        get(&c.1, "sim/expect_out.hex")
    );
    assert_ne!(get(&a.1, "rtl/qrnn_core.v"), get(&c.1, "rtl/qrnn_core.v"));
}
