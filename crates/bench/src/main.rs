//! `qrnn-bench`: the benchmark sweep behind `make bench` (docs/BENCHMARKS.md).
//!
//! - `qrnn-bench sw --qrnn BIN --work DIR --out bench/results` measures the software: in-process
//!   `gen` time per model size, golden-model timesteps/s against the float reference, `.qw` read
//!   time (binary and text), Verilator simulation speed (simulated cycles/s of `make sim`, excluding
//!   the Verilator build) and the whole flow gen → bitstream for one iCE40 board.
//! - `qrnn-bench hw --qrnn BIN --work DIR --out bench/results [--quick] [--jobs N]` builds the
//!   hardware reference set (yosys synthesis; nextpnr place and route where it runs), N designs at
//!   a time (default: the CPU count), and reports LUT, FF,
//!   BRAM, DSP, Fmax and cycles per timestep against the int8 baseline at the same folding. Each
//!   design's result is cached in `bench/results/designs/<hash>.json`, the hash covering the model
//!   bytes, the generator options, the family/device and the tool versions, so a rerun only builds
//!   what changed.
//! - `qrnn-bench sweep [--families …] [--jobs N] [--cached-only] --out bench/results`: the multiplier-free schemes
//!   against int8 at foldings 1×8, 4×16 and 16×16, DSPs on and off, synthesis only, into
//!   `sweep.json` (issue #16; hours: run by `make bench` with `SWEEP=1`).
//! - `qrnn-bench cmvm [--matrices DIR] [--da4ml FILE] --out bench/results`: the constant-matrix
//!   compiler's adder graphs of the matrices in `bench/da4ml/matrices/` beside da4ml's
//!   (`bench/da4ml/results.json`), into `cmvm.json` (seconds; no synthesis).
//! - `qrnn-bench docs --results bench/results --docs docs` writes docs/BENCHMARKS.md and the SVG
//!   plots in docs/bench/ from the JSON results alone.
//! - `qrnn-bench results --qrnn BIN --work DIR --out bench/results --docs docs [--quick]
//!   [--seeds N] [--jobs N]` trains the accuracy table (`make results`): every task × cell ×
//!   precision × seed, into bench/results/accuracy.json and docs/RESULTS.md;
//!   `qrnn-bench results-docs` rewrites docs/RESULTS.md from the JSON alone.

mod cmvm;
mod docs;
mod hw;
mod plot;
mod results;
mod sw;
mod sweep;
mod util;

use qrnn_rtl::Family;
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    cmd: String,
    qrnn: PathBuf,
    work: PathBuf,
    out: PathBuf,
    docs: PathBuf,
    quick: bool,
    families: Vec<Family>,
    seeds: u64,
    jobs: usize,
    matrices: PathBuf,
    da4ml: PathBuf,
    cached_only: bool,
}

/// `qrnn-bench --help`: the commands and what each writes.
const HELP: &str = "qrnn-bench: the benchmarks behind `make bench` and the accuracy table behind `make results`

Usage: qrnn-bench COMMAND [OPTIONS]

Commands:
  sw            software speed: gen time, golden timesteps/s, .qw reads, simulation, flow (sw.json)
  hw            the hardware reference set: yosys + nextpnr, LUT/FF/BRAM/DSP/Fmax, cached per design (hw.json)
  sweep         schemes against int8 at foldings 1x8, 4x16, 16x16, DSPs on and off (sweep.json; hours)
  cmvm          the constant-matrix compiler's graphs of bench/da4ml/matrices beside da4ml's (cmvm.json)
  docs          docs/BENCHMARKS.md and docs/bench/*.svg from the JSON results alone
  results       train the accuracy table: task x cell x precision x seed (accuracy.json, docs/RESULTS.md)
  results-docs  docs/RESULTS.md from accuracy.json alone

Options:
  --qrnn BIN          the qrnn-hw binary [default: target/release/qrnn-hw]
  --work DIR          scratch directory [default: build/bench]
  --out DIR           results directory (also --results) [default: bench/results]
  --docs DIR          docs directory [default: docs]
  --quick             a small subset (hw, sw, results)
  --families LIST     ice40,ecp5,gowin (hw, sweep) [default: all]
  --seeds N           seeds per accuracy row (results) [default: 3]
  --jobs N            designs at a time [default: the CPU count]
  --matrices DIR      cmvm's matrices [default: bench/da4ml/matrices]
  --da4ml FILE        cmvm's da4ml results [default: bench/da4ml/results.json]
  --cached-only       sweep: report the cached points only, build nothing
  -h, --help          this text

docs/BENCHMARKS.md says what each measures and how to read it.";

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().ok_or_else(usage)?;
    if matches!(cmd.as_str(), "-h" | "--help" | "help") {
        println!("{HELP}");
        std::process::exit(0);
    }
    let mut a = Args {
        cmd,
        qrnn: PathBuf::from("target/release/qrnn-hw"),
        work: PathBuf::from("build/bench"),
        out: PathBuf::from("bench/results"),
        docs: PathBuf::from("docs"),
        quick: false,
        families: Family::ALL.to_vec(),
        seeds: 3,
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        matrices: PathBuf::from("bench/da4ml/matrices"),
        da4ml: PathBuf::from("bench/da4ml/results.json"),
        cached_only: false,
    };
    while let Some(f) = it.next() {
        let mut val = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match f.as_str() {
            "--qrnn" => a.qrnn = PathBuf::from(val("--qrnn")?),
            "--work" => a.work = PathBuf::from(val("--work")?),
            "--out" | "--results" => a.out = PathBuf::from(val("--out")?),
            "--docs" => a.docs = PathBuf::from(val("--docs")?),
            "--quick" => a.quick = true,
            "--cached-only" => a.cached_only = true,
            "--families" => {
                a.families = val("--families")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--seeds" => {
                a.seeds = val("--seeds")?
                    .parse()
                    .map_err(|e| format!("--seeds: {e}"))?
            }
            "--jobs" => a.jobs = val("--jobs")?.parse().map_err(|e| format!("--jobs: {e}"))?,
            "--matrices" => a.matrices = PathBuf::from(val("--matrices")?),
            "--da4ml" => a.da4ml = PathBuf::from(val("--da4ml")?),
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    Ok(a)
}

fn usage() -> String {
    "usage: qrnn-bench sw|hw|cmvm|sweep|docs|results|results-docs [--qrnn BIN] [--work DIR] [--out DIR] \
     [--docs DIR] [--quick] [--families ice40,ecp5,gowin] [--seeds N] [--jobs N] [--matrices DIR] \
     [--da4ml FILE] [--cached-only]"
        .into()
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("qrnn-bench: {e}");
            return ExitCode::from(2);
        }
    };
    // commands run in per-design directories: make the paths absolute
    let abs = |p: &PathBuf| -> PathBuf { std::path::absolute(p).unwrap_or_else(|_| p.clone()) };
    let (qrnn, work) = (abs(&args.qrnn), abs(&args.work));
    let r = match args.cmd.as_str() {
        "sw" => sw::run(&qrnn, &work, &args.out, args.quick),
        "hw" => hw::run(
            &qrnn,
            &work,
            &args.out,
            args.quick,
            &args.families,
            args.jobs,
        ),
        "cmvm" => cmvm::run(&args.matrices, &args.da4ml, &args.out),
        "sweep" => sweep::run(
            &qrnn,
            &work,
            &args.out,
            &args.families,
            args.jobs,
            args.cached_only,
        ),
        "docs" => docs::run(&args.out, &args.docs),
        "results" => results::run(
            &qrnn, &work, &args.out, &args.docs, args.quick, args.seeds, args.jobs,
        ),
        "results-docs" => results::write_docs(&args.out, &args.docs, args.quick),
        other => Err(format!("unknown command {other:?}\n{}", usage())),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qrnn-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
