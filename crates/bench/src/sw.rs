//! Software measurements (`qrnn-bench sw`). Wall-clock medians of a few repetitions in this
//! process; the criterion benches (`cargo bench -p qrnn-model -p qrnn-golden -p qrnn-rtl`) give
//! the same paths with confidence intervals.

use crate::util::{machine, run_in, tail, time_median, tool_versions, write_json};
use qrnn_model::example::{example, random_inputs, ExampleSpec};
use qrnn_model::qw::{from_bytes, to_bytes, to_text};
use qrnn_model::{Cell, Model, Scheme};
use serde_json::{json, Value};
use std::path::Path;

fn model(cell: Cell, hidden: usize) -> Model {
    example(&ExampleSpec::new(cell, Scheme::Ternary, 16, hidden, 1))
}

fn gen_times(quick: bool) -> Value {
    let sizes: &[usize] = if quick {
        &[16, 32, 64]
    } else {
        &[16, 32, 64, 128, 256]
    };
    let mut rows = Vec::new();
    for cell in [Cell::Lstm, Cell::Gru] {
        for &h in sizes {
            let m = model(cell, h);
            let opts = qrnn_rtl::passes::Options::default();
            let mut bytes = 0usize;
            let mut cycles = 0u64;
            let secs = time_median(3, || {
                let g = qrnn_rtl::generate(&m, &opts, |_, _| {}).expect("example models generate");
                bytes = g.files.iter().map(|(_, s)| s.len()).sum();
                cycles = g.manifest.cycles_per_step;
            });
            eprintln!("  gen {cell:?} h{h}: {:.1} ms", secs * 1e3);
            rows.push(
                json!({"cell": format!("{cell:?}").to_lowercase(), "hidden": h, "input": 16,
                "scheme": "ternary", "fold": "default", "secs": secs, "output_bytes": bytes,
                "cycles_per_step": cycles}),
            );
        }
    }
    Value::Array(rows)
}

fn golden_vs_float() -> Value {
    let steps = 64;
    let mut rows = Vec::new();
    for (cell, h) in [
        (Cell::Lstm, 16),
        (Cell::Lstm, 64),
        (Cell::Gru, 64),
        (Cell::Lstm, 128),
    ] {
        let m = model(cell, h);
        let seq = random_inputs(&m, steps, 7);
        let q = qrnn_golden::quantize_input(&m, &seq);
        let g = time_median(5, || {
            std::hint::black_box(qrnn_golden::run(&m, &q).expect("golden run"));
        });
        let f = time_median(5, || {
            std::hint::black_box(qrnn_golden::float::run(&m, &seq));
        });
        eprintln!(
            "  golden {cell:?} h{h}: {:.0} steps/s, float {:.0} steps/s",
            steps as f64 / g,
            steps as f64 / f
        );
        rows.push(
            json!({"cell": format!("{cell:?}").to_lowercase(), "hidden": h, "input": 16,
            "scheme": "ternary", "steps": steps,
            "golden_steps_per_s": steps as f64 / g, "float_steps_per_s": steps as f64 / f,
            "golden_over_float": f / g}),
        );
    }
    Value::Array(rows)
}

fn qw_read() -> Value {
    let mut rows = Vec::new();
    for h in [16usize, 64, 256] {
        let m = model(Cell::Lstm, h);
        let bin = to_bytes(&m);
        let text = to_text(&m).into_bytes();
        let tb = time_median(5, || {
            std::hint::black_box(from_bytes(&bin).expect("binary"));
        });
        let tt = time_median(3, || {
            std::hint::black_box(from_bytes(&text).expect("text"));
        });
        eprintln!(
            "  qw read h{h}: binary {:.3} ms, text {:.3} ms",
            tb * 1e3,
            tt * 1e3
        );
        rows.push(json!({"cell": "lstm", "hidden": h, "input": 16, "scheme": "ternary",
            "binary_bytes": bin.len(), "binary_secs": tb, "text_bytes": text.len(), "text_secs": tt}));
    }
    Value::Array(rows)
}

/// Parse `cycles=N` from a PASS line.
fn pass_cycles(out: &str) -> Option<(String, u64)> {
    let line = out.lines().find(|l| l.starts_with("PASS"))?;
    let c = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("cycles="))?
        .parse()
        .ok()?;
    Some((line.to_string(), c))
}

fn sim_speed(qrnn: &Path, work: &Path) -> Result<Value, String> {
    let dir = work.join("sim");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let q = qrnn.to_string_lossy().into_owned();
    let r = run_in(
        &dir,
        &q,
        &[
            "example", "--cell", "lstm", "--hidden", "32", "--input", "16", "--quant", "ternary",
            "-o", "m.qw",
        ],
    )?;
    if !r.ok {
        return Err(format!("qrnn-hw example failed: {}", tail(&r.stderr, 5)));
    }
    let r = run_in(
        &dir,
        &q,
        &[
            "gen",
            "m.qw",
            "--target",
            "ice40",
            "-o",
            "hw",
            "--force",
            "--sim-steps",
            "200,200,200",
        ],
    )?;
    if !r.ok {
        return Err(format!("qrnn-hw gen failed: {}", tail(&r.stderr, 5)));
    }
    let hw = dir.join("hw");
    let build = run_in(&hw, "make", &["sim", "SIM=verilator"])?;
    if !build.ok {
        return Err(format!(
            "make sim failed: {}",
            tail(&(build.stdout + &build.stderr), 10)
        ));
    }
    // second run: the Verilator model is up to date, so this is the simulation alone
    let mut secs = Vec::new();
    let mut pass = None;
    for _ in 0..3 {
        let r = run_in(&hw, "make", &["sim", "SIM=verilator"])?;
        pass = pass_cycles(&r.stdout);
        if !r.ok || pass.is_none() {
            return Err(format!(
                "make sim gave no PASS line: {}",
                tail(&(r.stdout + &r.stderr), 10)
            ));
        }
        secs.push(r.secs);
    }
    let (line, cycles) = pass.expect("checked above");
    let s = crate::util::median(secs);
    eprintln!(
        "  verilator: {cycles} cycles in {s:.2} s = {:.0} cycles/s",
        cycles as f64 / s
    );
    Ok(
        json!({"model": "lstm h32 input 16 ternary, default fold", "pass_line": line,
        "cycles": cycles, "run_secs": s, "build_and_first_run_secs": build.secs,
        "cycles_per_s": cycles as f64 / s,
        "note": "run_secs is the whole `make sim` of an up-to-date project (testbench reads its hex files, make's own start-up included); the Verilator build is excluded"}),
    )
}

fn whole_flow(qrnn: &Path, work: &Path) -> Result<Value, String> {
    let dir = work.join("flow");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let q = qrnn.to_string_lossy().into_owned();
    let model = std::fs::canonicalize("examples/tiny-gru-quaternary.qw.toml")
        .map_err(|e| format!("examples/tiny-gru-quaternary.qw.toml: {e}"))?;
    let m = model.to_string_lossy().into_owned();
    let g = run_in(
        &dir,
        &q,
        &["gen", &m, "--board", "icebreaker", "-o", "hw", "--force"],
    )?;
    if !g.ok {
        return Err(format!(
            "qrnn-hw gen --board icebreaker failed: {}",
            tail(&g.stderr, 5)
        ));
    }
    let b = run_in(&dir.join("hw"), "make", &[])?;
    if !b.ok {
        return Err(format!(
            "make (bitstream) failed: {}",
            tail(&(b.stdout + &b.stderr), 10)
        ));
    }
    let bin = dir.join("hw/build/top.bin");
    let size = std::fs::metadata(&bin)
        .map_err(|e| format!("{}: {e}", bin.display()))?
        .len();
    eprintln!(
        "  whole flow: gen {:.2} s + make {:.1} s, {size} B",
        g.secs, b.secs
    );
    Ok(
        json!({"model": "examples/tiny-gru-quaternary.qw.toml", "board": "icebreaker",
        "gen_secs": g.secs, "bitstream_secs": b.secs, "total_secs": g.secs + b.secs,
        "bitstream_bytes": size}),
    )
}

/// The design space of the bundled demo model on the iCE40 UP5K from the resource model alone
/// (no synthesis), as `qrnn-hw report --plot` draws it (`qrnn_plan::fit::design_space`): exact
/// cycles per timestep and predicted logic cells, flip-flops, block RAM and DSPs for every
/// `all=PxS` folding with P, S powers of 2 (clamped per engine), the Pareto front, and the
/// `gen --fit` choice for the UP5K. `root` is the repository root.
pub fn design_space(root: &Path) -> Value {
    let rel = "examples/demo-lstm-ternary.qw";
    let m = match Model::load(&root.join(rel)) {
        Ok(m) => m,
        Err(e) => return json!({"error": e.to_string()}),
    };
    let Some(dev) = qrnn_fpga::device("up5k") else {
        return json!({"error": "internal error: no device up5k"});
    };
    match qrnn_plan::fit::design_space(&m, dev, &qrnn_plan::fit::FitOptions::default()) {
        Ok(ds) => {
            let mut v = ds.to_json();
            v["model"] = rel.into();
            v["target"] = "ice40".into();
            v
        }
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// `qrnn-bench sw`.
pub fn run(qrnn: &Path, work: &Path, out: &Path, quick: bool) -> Result<(), String> {
    eprintln!("software benchmarks");
    let mut v = json!({
        "command": crate::util::command_line(),
        "machine": machine(),
        "tools": tool_versions(qrnn),
        "gen": gen_times(quick),
        "golden_vs_float": golden_vs_float(),
        "qw_read": qw_read(),
        "design_space": design_space(Path::new(".")),
    });
    v["verilator"] = sim_speed(qrnn, work).unwrap_or_else(|e| json!({"error": e}));
    v["whole_flow"] = whole_flow(qrnn, work).unwrap_or_else(|e| json!({"error": e}));
    write_json(&out.join("software.json"), &v)?;
    eprintln!("wrote {}", out.join("software.json").display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Refresh only the `design_space` key of bench/results/software.json (the rest of
    /// `qrnn-bench sw` is slow): `cargo test -p qrnn-bench --release -- --ignored
    /// refresh_design_space`.
    #[test]
    #[ignore]
    fn refresh_design_space() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let path = root.join("bench/results/software.json");
        let mut v = crate::util::read_json(&path).unwrap();
        v["design_space"] = design_space(&root);
        assert!(
            v["design_space"]["error"].is_null(),
            "{}",
            v["design_space"]
        );
        write_json(&path, &v).unwrap();
    }

    #[test]
    fn demo_design_space_marks_the_fit() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let v = design_space(&root);
        assert_eq!(v["model"], "examples/demo-lstm-ternary.qw");
        assert_eq!(v["device"], "up5k");
        let i = v["fit"].as_u64().expect("the demo fits the UP5K") as usize;
        assert_eq!(v["points"][i]["fit"], true);
        assert_eq!(v["points"][i]["within_budget"], true);
    }
}
