//! Shared helpers of the co-simulation test suites.
#![allow(dead_code)]

use qrnn_sim::Tool;
use std::path::PathBuf;

pub use qrnn_testkit::have;

/// A project as `qrnn-hw gen` assembles it (`qrnn_project`, the one assembler), in memory.
pub fn project_files(
    m: &qrnn_model::Model,
    req: &qrnn_project::Request,
    stim: &qrnn_sim::Stimulus,
) -> Result<(qrnn_rtl::manifest::Manifest, Vec<qrnn_project::File>), qrnn_project::ProjectError> {
    let p = qrnn_project::generate(m, req, stim)?;
    Ok((p.manifest, p.files))
}

/// Write a project as `qrnn-hw gen` does (atomically) into `dir`, which is empty or a project.
pub fn write_files(dir: &std::path::Path, files: &[qrnn_project::File]) -> std::io::Result<()> {
    qrnn_project::write(dir, files, true)
        .map(|_| ())
        .map_err(|e| std::io::Error::other(e.to_string()))
}

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
    o: &qrnn_project::Request,
    lens: &[usize],
    seed: u64,
    also_icarus: bool,
) {
    cosim_with(name, m, o, lens, seed, also_icarus, None);
}

/// [`cosim`], and with `backpressure: Some(seed)` each simulator runs the same build a second time
/// with random backpressure (`+backpressure=SEED`, docs/HARDWARE.md §3): the same values, and the
/// cycle contract plus the stall cycles the testbench counted (at least one on each side).
pub fn cosim_with(
    name: &str,
    m: &qrnn_model::Model,
    o: &qrnn_project::Request,
    lens: &[usize],
    seed: u64,
    also_icarus: bool,
    backpressure: Option<u32>,
) {
    use qrnn_sim::{icarus, lint, verilator_fast, Stimulus};
    if !have(&[Tool::verilator(), Tool::yosys()]) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix(&format!("qrnn-{name}-"))
        .tempdir()
        .unwrap();
    let stim = Stimulus::random(m, lens, seed);
    let (man, files) = project_files(m, o, &stim)
        .unwrap_or_else(|e| panic!("{name}: generation failed: {:?}", miette::Report::new(e)));
    write_files(dir.path(), &files).unwrap();
    if let Err(e) = lint(dir.path()) {
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
    let bp = backpressure.map(qrnn_sim::RunOpts::backpressure);
    if let Some(bp) = &bp {
        let out = qrnn_sim::verilator_fast_with(dir.path(), Some(&cache_dir()), bp).unwrap();
        check_backpressure(name, "Verilator", &man, &out);
    }
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
        if let Some(bp) = &bp {
            let out = qrnn_sim::icarus_with(dir.path(), bp).unwrap();
            check_backpressure(name, "Icarus", &man, &out);
        }
    }
}

/// A run with backpressure passed, stalled on both sides, and its cycles are the contract's plus
/// the stalls.
pub fn check_backpressure(
    name: &str,
    sim: &str,
    man: &qrnn_rtl::manifest::Manifest,
    out: &qrnn_sim::Outcome,
) {
    assert!(
        out.pass,
        "{name}: {sim} co-simulation with backpressure failed (cycles/step {}):\n{}",
        man.cycles_per_step, out.output
    );
    let pass = out
        .output
        .lines()
        .find(|l| l.starts_with("PASS"))
        .unwrap_or_default();
    let stalls = |key: &str| -> u64 {
        pass.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no `{key}=` in `{pass}`"))
    };
    assert!(
        stalls("stalls_in") > 0 && stalls("stalls_out") > 0,
        "{name}: {sim}: backpressure stalled neither side: {pass}"
    );
    if let Err(e) = qrnn_sim::check_cycles(man, &out.output) {
        panic!("{name}: {sim} with backpressure: {e}");
    }
    eprintln!("{name}: {sim} with backpressure {pass}");
}
