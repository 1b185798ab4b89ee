//! The ConvLSTM co-simulation matrix (issue #4): {binary, ternary, quaternary, int8} × {fully
//! folded 1x1, wide 4x8} × kernel {3, 5} on odd 7×5 maps with two stacked layers (half of them with
//! a 1×1 convolution head), each generated, built with Verilator and run against the golden model:
//! every pixel of every channel of every layer's h and c, and every output, at every timestep, and
//! the cycle count equal to the prediction. Two designs also run on Icarus.

mod common;

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_rtl::manifest::Fold;
use qrnn_rtl::passes::{Options, WeightsMode};
use qrnn_sim::{icarus, lint, project_files, verilator_fast, write_files, Stimulus, Tool};

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

fn opts(m: &Model, wide: bool, weights: WeightsMode) -> Options {
    let mut o = Options {
        weights,
        ..Options::default()
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
        o.folds.insert(format!("layer{l}"), f);
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
        o.folds.insert("head".into(), f);
    }
    o
}

fn cosim(name: &str, m: &Model, o: &Options, also_icarus: bool) {
    if !common::have(&[Tool::verilator(), Tool::yosys()]) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix(&format!("qrnn-{name}-"))
        .tempdir()
        .unwrap();
    let lens: &[usize] = if also_icarus { &[2, 1] } else { &[3, 1, 2] };
    let stim = Stimulus::random(m, lens, 5);
    let (man, files) =
        project_files(m, o, &stim).unwrap_or_else(|e| panic!("{name}: generation failed: {e}"));
    write_files(dir.path(), &files).unwrap();
    if let Err(e) = lint(dir.path()).unwrap() {
        panic!("{name}: lint failed:\n{e}");
    }
    let out = verilator_fast(dir.path(), Some(&common::cache_dir())).unwrap();
    assert!(
        out.pass,
        "{name}: Verilator co-simulation failed (cycles/step {}):\n{}",
        man.cycles_per_step, out.output
    );
    let pass = out
        .output
        .lines()
        .find(|l| l.starts_with("PASS"))
        .unwrap_or_default()
        .to_string();
    assert!(
        pass.contains(&format!("cycles_per_step={}", man.cycles_per_step)),
        "{name}: {pass}"
    );
    eprintln!("{name}: verilator {pass}");
    if also_icarus && common::have(&[Tool::iverilog(), Tool::vvp()]) {
        let out = icarus(dir.path()).unwrap();
        assert!(
            out.pass,
            "{name}: Icarus co-simulation failed:\n{}",
            out.output
        );
        eprintln!(
            "{name}: icarus {}",
            out.output
                .lines()
                .find(|l| l.starts_with("PASS"))
                .unwrap_or_default()
        );
    }
}

macro_rules! matrix {
    ($($name:ident: $scheme:expr, $k:expr, $wide:expr, $head:expr, $weights:expr, $icarus:expr;)*) => {$(
        #[test]
        fn $name() {
            let m = model($scheme, $k, $head, 9);
            let o = opts(&m, $wide, $weights);
            cosim(stringify!($name), &m, &o, $icarus);
        }
    )*};
}

use Scheme::{Binary, Int, Quaternary, Ternary};
use WeightsMode::{Auto, Logic, Rom};

matrix! {
    conv_binary_k3_folded:      Binary,     3, false, true,  Rom,   true;
    conv_binary_k3_wide:        Binary,     3, true,  false, Auto,  false;
    conv_binary_k5_folded:      Binary,     5, false, false, Logic, false;
    conv_binary_k5_wide:        Binary,     5, true,  true,  Rom,   false;
    conv_ternary_k3_folded:     Ternary,    3, false, false, Auto,  false;
    conv_ternary_k3_wide:       Ternary,    3, true,  true,  Logic, false;
    conv_ternary_k5_folded:     Ternary,    5, false, true,  Rom,   false;
    conv_ternary_k5_wide:       Ternary,    5, true,  false, Auto,  true;
    conv_quaternary_k3_folded:  Quaternary, 3, false, true,  Logic, false;
    conv_quaternary_k3_wide:    Quaternary, 3, true,  false, Rom,   false;
    conv_quaternary_k5_folded:  Quaternary, 5, false, false, Auto,  false;
    conv_quaternary_k5_wide:    Quaternary, 5, true,  true,  Logic, false;
    conv_int8_k3_folded:        Int(8),     3, false, false, Rom,   false;
    conv_int8_k3_wide:          Int(8),     3, true,  true,  Auto,  false;
    conv_int8_k5_folded:        Int(8),     5, false, true,  Logic, false;
    conv_int8_k5_wide:          Int(8),     5, true,  false, Rom,   false;
}
