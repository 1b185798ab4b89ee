//! The generated project as a user meets it: `make sim`, `make sim SIM=icarus`, `make lint` in the
//! project directory (through its own Makefile, not the fast test runner).
//!
//! - `generation_is_deterministic`: the same model and options give byte-identical projects; other
//!   foldings change the RTL and the cycle prediction but not the golden vectors.
//! - `make_flow_pass_corrupt_and_relocate`: a ROM-weight LSTM project passes `make sim` (Verilator
//!   and Icarus), `make sim BACKPRESSURE=5` and `make lint`; with the first word of
//!   `rtl/rom/l0_w.hex` inverted it fails with the `FAIL mismatch:` line that the golden model
//!   predicts for the corrupted weights (exact step, layer, signal, element, expected and obtained
//!   values; the same line with backpressure) and the golden trace excerpt; a pristine copy moved
//!   to another directory (the original deleted) still passes: the project is self-contained.

mod common;
use common::{project_files, write_files};

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_project::Request;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::{EngineId, Fold};
use qrnn_sim::{run_make, run_make_with, RunOpts, Simulator, Stimulus, Tool};
use std::path::Path;

fn model() -> Model {
    let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Binary, 3, 4, 21);
    spec.hidden = vec![4, 3];
    let m = example(&spec);
    m.validate().expect("valid");
    m
}

/// layer0 folded 2 rows × 3 columns: ROM word 0 of `l0_w` holds the codes of rows 0–1, columns 0–2.
const P0: usize = 2;
const S0: usize = 3;

fn opts(weights: WeightsMode, p0: usize, s0: usize) -> Request {
    let mut o = Request {
        weights,
        ..Request::default()
    };
    o.folds.pin(EngineId::Layer(0), Fold { p: p0, s: s0 });
    o.folds.pin(EngineId::Layer(1), Fold { p: 3, s: 2 });
    o
}

fn stimulus(m: &Model) -> Stimulus {
    Stimulus::random(m, &[4, 2, 3], 17)
}

fn file<'a>(files: &'a [qrnn_project::File], path: &str) -> &'a str {
    files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, c)| c.as_str())
        .unwrap_or_else(|| panic!("{path} is not generated"))
}

#[test]
fn generation_is_deterministic() {
    let m = model();
    let stim = stimulus(&m);
    for weights in [WeightsMode::Rom, WeightsMode::Logic, WeightsMode::Auto] {
        let o = opts(weights, P0, S0);
        let (man_a, a) = project_files(&m, &o, &stim).unwrap();
        let (man_b, b) = project_files(&m, &o, &stim).unwrap();
        // and from a separately loaded copy of the model (text round trip)
        let m2 = qrnn_model::qw::from_bytes(qrnn_model::qw::to_text(&m).as_bytes()).unwrap();
        let (_, c) = project_files(&m2, &o, &stim).unwrap();
        assert_eq!(man_a, man_b);
        assert_eq!(
            a.iter().map(|f| &f.0).collect::<Vec<_>>(),
            b.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "{weights:?}: file lists differ"
        );
        for ((pa, ca), ((_, cb), (_, cc))) in a.iter().zip(b.iter().zip(&c)) {
            assert!(
                ca == cb,
                "{weights:?}: {pa} differs between two generations"
            );
            assert!(
                ca == cc,
                "{weights:?}: {pa} differs after a text round trip of the model"
            );
        }
        assert!(
            a.iter().any(|(p, _)| p.starts_with("rtl/rom/")),
            "ROM and table files are generated"
        );
    }

    // another folding: other RTL and cycle count, the same golden vectors
    let (man_a, a) = project_files(&m, &opts(WeightsMode::Rom, P0, S0), &stim).unwrap();
    let (man_b, b) = project_files(&m, &opts(WeightsMode::Rom, 4, 1), &stim).unwrap();
    assert_ne!(man_a.cycles_per_step, man_b.cycles_per_step);
    assert_eq!(man_b.layers[0].fold, Fold { p: 4, s: 1 });
    assert_ne!(file(&a, "qrnn.json"), file(&b, "qrnn.json"));
    assert_ne!(
        file(&a, "rtl/qrnn_l0_w_dot.v"),
        file(&b, "rtl/qrnn_l0_w_dot.v")
    );
    assert_ne!(file(&a, "rtl/rom/l0_w.hex"), file(&b, "rtl/rom/l0_w.hex"));
    assert_ne!(file(&a, "sim/tb_params.vh"), file(&b, "sim/tb_params.vh"));
    for p in [
        "sim/stim.hex",
        "sim/expect_out.hex",
        "sim/expect_h0.hex",
        "sim/expect_c0.hex",
        "sim/expect_h1.hex",
        "sim/golden_trace.txt",
    ] {
        assert_eq!(
            file(&a, p),
            file(&b, p),
            "{p} must not depend on the folding"
        );
    }
    // layer1's modules are untouched by layer0's folding
    assert_eq!(
        file(&a, "rtl/qrnn_l1_w_dot.v"),
        file(&b, "rtl/qrnn_l1_w_dot.v")
    );
}

/// The first mismatch the testbench reports when the hardware computes `bad`'s values instead of
/// `good`'s: its probes check, at each step, every layer's `h` then `c` in element order, before
/// the outputs (crates/sim/verilog/qrnn_tb.v, qrnn_sim::sim_files). Returns the expected `FAIL mismatch:` line and
/// the step.
fn predicted_fail(good: &Model, bad: &Model, stim: &Stimulus) -> (String, usize) {
    let mut step = 0;
    for (q, seq) in stim.sequences.iter().enumerate() {
        let g = qrnn_golden::run(good, seq).unwrap();
        let b = qrnn_golden::run(bad, seq).unwrap();
        for (sg, sb) in g.trace.iter().zip(&b.trace) {
            for (l, (lg, lb)) in sg.layers.iter().zip(&sb.layers).enumerate() {
                let sigs = [
                    ("h", lg.h.clone(), lb.h.clone()),
                    (
                        "c",
                        lg.c.clone().unwrap_or_default(),
                        lb.c.clone().unwrap_or_default(),
                    ),
                ];
                for (name, vg, vb) in sigs {
                    if let Some(e) = (0..vg.len()).find(|&e| vg[e] != vb[e]) {
                        return (
                            format!(
                                "FAIL mismatch: step {step} (sequence {q}) layer {l} signal {name} element {e}: expected {} got {}",
                                vg[e], vb[e]
                            ),
                            step,
                        );
                    }
                }
            }
            assert_eq!(
                sg.head, sb.head,
                "the outputs cannot differ before the states do"
            );
            step += 1;
        }
    }
    panic!("the corrupted weights change nothing on this stimulus: choose another seed");
}

/// Invert the `width` low bits of the first word of a `$readmemh` file.
fn invert_first_word(path: &Path, width: u32) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let digits = lines[0].len();
    let v = u128::from_str_radix(&lines[0], 16).unwrap();
    let mask = if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    lines[0] = format!("{:0digits$x}", v ^ mask);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn pass_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("PASS"))
        .unwrap_or_default()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

#[test]
fn make_flow_pass_corrupt_and_relocate() {
    if !common::have(&[
        Tool::verilator(),
        Tool::iverilog(),
        Tool::vvp(),
        Tool::yosys(),
    ]) {
        return;
    }
    let m = model();
    let o = opts(WeightsMode::Rom, P0, S0);
    let stim = stimulus(&m);
    let (man, files) = project_files(&m, &o, &stim).unwrap();
    let root = tempfile::Builder::new()
        .prefix("qrnn-flow-")
        .tempdir()
        .unwrap();
    let a = root.path().join("a");
    write_files(&a, &files).unwrap();
    // a pristine copy, before anything is built
    let b = root.path().join("elsewhere/b");
    copy_dir(&a, &b);

    // no generated file names the directory it was written to, or this checkout
    let here = env!("CARGO_MANIFEST_DIR");
    for (p, c) in &files {
        assert!(
            !c.contains(&*a.to_string_lossy()) && !c.contains(here),
            "{p} contains an absolute path"
        );
    }

    // ---- the pristine project passes everywhere
    let t = std::time::Instant::now();
    let v = run_make(&a, "sim", Simulator::Verilator).unwrap();
    assert!(v.pass, "make sim (Verilator) failed:\n{}", v.output);
    assert!(
        pass_line(&v.output).contains(&format!("cycles_per_step={}", man.cycles_per_step)),
        "{}",
        v.output
    );
    eprintln!("make sim: {} ({:?})", pass_line(&v.output), t.elapsed());
    let i = run_make(&a, "sim", Simulator::Icarus).unwrap();
    assert!(i.pass, "make sim SIM=icarus failed:\n{}", i.output);
    eprintln!("make sim SIM=icarus: {}", pass_line(&i.output));
    let l = run_make(&a, "lint", Simulator::Verilator).unwrap();
    assert!(l.pass, "make lint failed:\n{}", l.output);
    // random backpressure (`make sim BACKPRESSURE=5`, docs/HARDWARE.md §3): the same build, the
    // same values, the cycle contract plus the stalls the testbench counted
    let bp = RunOpts::backpressure(5);
    let v = run_make_with(&a, "sim", Simulator::Verilator, &bp).unwrap();
    common::check_backpressure("make sim BACKPRESSURE=5", "Verilator", &man, &v);

    // ---- corrupt the first word of layer0's W ROM
    let width = (P0 * S0) as u32 * Scheme::Binary.bits();
    invert_first_word(&a.join("rtl/rom/l0_w.hex"), width);
    let mut bad = m.clone();
    {
        let w = &mut bad.layers[0].w;
        let cols = w.row_len();
        for r in 0..P0 {
            for c in 0..S0 {
                // binary codes: inverting the bit negates the code
                w.codes[r * cols + c] = -w.codes[r * cols + c];
            }
        }
    }
    let (expected_line, step) = predicted_fail(&m, &bad, &stim);
    for sim in [Simulator::Verilator, Simulator::Icarus] {
        // $readmemh reads the ROM at run time: no rebuild needed, and none must hide the change
        let out = run_make(&a, "sim", sim).unwrap();
        assert!(!out.pass, "{sim:?}: corrupted ROM passed:\n{}", out.output);
        let fail = out
            .output
            .lines()
            .find(|l| l.starts_with("FAIL"))
            .unwrap_or_else(|| panic!("{sim:?}: no FAIL line:\n{}", out.output));
        assert!(fail.starts_with("FAIL mismatch:"), "{sim:?}: {fail}");
        assert_eq!(
            fail, expected_line,
            "{sim:?}: the mismatch is not the one the golden model predicts for the corrupted weights"
        );
        assert!(
            out.output.contains("---- golden trace"),
            "{sim:?}: no golden trace excerpt:\n{}",
            out.output
        );
        assert!(
            out.output
                .lines()
                .any(|l| l.starts_with(&format!("== step {step} "))),
            "{sim:?}: the excerpt lacks step {step}:\n{}",
            out.output
        );
        eprintln!("{sim:?} on the corrupted ROM: {fail}");
    }
    // with backpressure the same first mismatch
    let out = run_make_with(&a, "sim", Simulator::Verilator, &bp).unwrap();
    assert_eq!(
        out.output.lines().find(|l| l.starts_with("FAIL")),
        Some(expected_line.as_str()),
        "with backpressure:\n{}",
        out.output
    );

    // ---- self-contained: the pristine copy passes with the original gone
    std::fs::remove_dir_all(&a).unwrap();
    let t = std::time::Instant::now();
    let v = run_make(&b, "sim", Simulator::Verilator).unwrap();
    assert!(
        v.pass,
        "the relocated project fails make sim:\n{}",
        v.output
    );
    eprintln!(
        "relocated make sim: {} ({:?})",
        pass_line(&v.output),
        t.elapsed()
    );
}
