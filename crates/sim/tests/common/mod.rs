//! Shared helpers of the co-simulation test suites.
#![allow(dead_code)]

use qrnn_sim::Tool;
use std::path::PathBuf;

pub use qrnn_sim::have;

/// A shared cache directory for Verilator runtime objects, in the target directory.
pub fn cache_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("qrnn-verilator-cache")
}

/// Generate, lint (`verilator -Wall`, yosys `check -assert`, no latches) and co-simulate one
/// design on Verilator — every output and every layer's state at every timestep against the golden
/// model, and the cycle count against the prediction — and, if asked, on Icarus too. Skips (or
/// fails under `QRNN_REQUIRE_TOOLS=1`) when the tools are missing.
pub fn cosim(
    name: &str,
    m: &qrnn_model::Model,
    o: &qrnn_rtl::passes::Options,
    lens: &[usize],
    seed: u64,
    also_icarus: bool,
) {
    use qrnn_sim::{icarus, lint, project_files, verilator_fast, write_files, Stimulus};
    if !have(&[Tool::verilator(), Tool::yosys()]) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix(&format!("qrnn-{name}-"))
        .tempdir()
        .unwrap();
    let stim = Stimulus::random(m, lens, seed);
    let (man, files) =
        project_files(m, o, &stim).unwrap_or_else(|e| panic!("{name}: generation failed: {e}"));
    write_files(dir.path(), &files).unwrap();
    if let Err(e) = lint(dir.path()).unwrap() {
        panic!("{name}: lint failed:\n{e}");
    }
    let first_pass = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("PASS"))
            .unwrap_or_default()
            .to_string()
    };
    let out = verilator_fast(dir.path(), Some(&cache_dir())).unwrap();
    assert!(
        out.pass,
        "{name}: Verilator co-simulation failed (cycles/step {}):\n{}",
        man.cycles_per_step, out.output
    );
    let pass = first_pass(&out.output);
    assert!(
        pass.contains(&format!("cycles_per_step={}", man.cycles_per_step)),
        "{name}: {pass}"
    );
    if let Err(e) = qrnn_sim::check_cycles(&man, &out.output) {
        panic!("{name}: {e}");
    }
    eprintln!("{name}: verilator {pass}");
    if also_icarus && have(&[Tool::iverilog(), Tool::vvp()]) {
        let out = icarus(dir.path()).unwrap();
        assert!(
            out.pass,
            "{name}: Icarus co-simulation failed:\n{}",
            out.output
        );
        if let Err(e) = qrnn_sim::check_cycles(&man, &out.output) {
            panic!("{name}: Icarus: {e}");
        }
        eprintln!("{name}: icarus {}", first_pass(&out.output));
    }
}
