//! Running a generated project's testbench and lint: through its Makefile ([`run_make`]) or
//! directly ([`verilator_fast`], [`icarus`], [`lint`]), and the verdict ([`Outcome`]); the `_with`
//! forms take [`RunOpts`] (random backpressure, [`Backpressure`]).

use crate::{SimError, Tool};
use std::path::Path;
use std::process::Command;

/// Which simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simulator {
    /// Verilator 5.
    Verilator,
    /// Icarus Verilog.
    Icarus,
}

/// Random backpressure on the core's handshakes (docs/HARDWARE.md §3, "with backpressure"): the
/// testbench drops `in_valid` (while it has inputs left) and `out_ready` at random cycles drawn
/// from `seed`, and checks every value and the cycle contract plus the stall cycles it counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backpressure {
    /// The seed of the testbench's generator (`+backpressure=SEED`).
    pub seed: u32,
    /// The chance, in percent, that `in_valid` is low in a cycle (`+bp_in=`; the testbench caps
    /// it at 90).
    pub in_percent: u32,
    /// The chance, in percent, that `out_ready` is low in a cycle (`+bp_out=`; at most 90).
    pub out_percent: u32,
}

impl Backpressure {
    /// The default chances (a third of the cycles on each side) with `seed`.
    pub fn seeded(seed: u32) -> Self {
        Backpressure {
            seed,
            in_percent: 33,
            out_percent: 33,
        }
    }
}

/// Options of a testbench run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOpts {
    /// Random backpressure; `None` holds `in_valid` and `out_ready` high.
    pub backpressure: Option<Backpressure>,
}

impl RunOpts {
    /// A run with [`Backpressure::seeded`].
    pub fn backpressure(seed: u32) -> Self {
        RunOpts {
            backpressure: Some(Backpressure::seeded(seed)),
        }
    }

    /// The testbench's plusargs for these options.
    pub fn plusargs(&self) -> Vec<String> {
        match self.backpressure {
            None => Vec::new(),
            Some(b) => vec![
                format!("+backpressure={}", b.seed),
                format!("+bp_in={}", b.in_percent),
                format!("+bp_out={}", b.out_percent),
            ],
        }
    }

    /// The Makefile's variables for these options (`make sim BACKPRESSURE=… BP_IN=… BP_OUT=…`).
    fn make_vars(&self) -> Vec<String> {
        match self.backpressure {
            None => Vec::new(),
            Some(b) => vec![
                format!("BACKPRESSURE={}", b.seed),
                format!("BP_IN={}", b.in_percent),
                format!("BP_OUT={}", b.out_percent),
            ],
        }
    }
}

/// The result of `make sim` in a project.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Whether a PASS line was printed and make succeeded.
    pub pass: bool,
    /// Everything make printed.
    pub output: String,
}

/// Run `make sim` (or `make lint`) in a generated project.
pub fn run_make(dir: &Path, target: &str, sim: Simulator) -> std::io::Result<Outcome> {
    run_make_with(dir, target, sim, &RunOpts::default())
}

/// [`run_make`] with options (`make sim BACKPRESSURE=…`).
pub fn run_make_with(
    dir: &Path,
    target: &str,
    sim: Simulator,
    opts: &RunOpts,
) -> std::io::Result<Outcome> {
    let out = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(dir)
        .arg(target)
        .arg(format!(
            "SIM={}",
            if sim == Simulator::Verilator {
                "verilator"
            } else {
                "icarus"
            }
        ))
        .args(opts.make_vars())
        .output()?;
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    let pass =
        out.status.success() && (target != "sim" || output.lines().any(|l| l.starts_with("PASS")));
    Ok(Outcome { pass, output })
}

/// The project's Verilog sources `rtl/*.v`, relative to the project, sorted.
pub fn rtl_files(project: &Path) -> std::io::Result<Vec<String>> {
    let mut rtl: Vec<String> = std::fs::read_dir(project.join("rtl"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".v"))
        .map(|n| format!("rtl/{n}"))
        .collect();
    rtl.sort();
    Ok(rtl)
}

/// Run a command in `dir`, returning (success, combined output).
fn run_cmd(dir: &Path, cmd: &str, args: &[&str]) -> std::io::Result<(bool, String)> {
    let out = Command::new(cmd).current_dir(dir).args(args).output()?;
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), s))
}

fn verdict(ok: bool, output: String) -> Outcome {
    let pass = ok && output.lines().any(|l| l.starts_with("PASS"));
    Outcome { pass, output }
}

/// The Verilator runtime objects that are the same for every design; caching them saves most of a
/// build's time (the test suites build hundreds of designs).
const RUNTIME_OBJS: [&str; 3] = ["verilated.o", "verilated_threads.o", "verilated_timing.o"];

/// Build and run a project's testbench with Verilator, directly (not through its Makefile), with
/// `-O0` C++ and, if `cache` is given, the Verilator runtime objects cached there. Same testbench,
/// same verdict as `make sim`.
pub fn verilator_fast(project: &Path, cache: Option<&Path>) -> std::io::Result<Outcome> {
    verilator_fast_with(project, cache, &RunOpts::default())
}

/// [`verilator_fast`] with options. Verilator skips a build whose sources are unchanged and make
/// the C++ build, so a second run of the same project (another seed) costs only the simulation.
pub fn verilator_fast_with(
    project: &Path,
    cache: Option<&Path>,
    opts: &RunOpts,
) -> std::io::Result<Outcome> {
    let v = Tool::verilator();
    let mdir = project.join("build/fast");
    std::fs::create_dir_all(&mdir)?;
    let rtl = rtl_files(project)?;
    let mut args = vec![
        "--cc",
        "--main",
        "--exe",
        "--timing",
        // every variable without an initial value starts random (with the run's
        // +verilator+rand+reset+2), not zero: a read of a memory word never written shows
        "--x-assign",
        "unique",
        "--x-initial",
        "unique",
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "-Isim",
        "--top-module",
        "qrnn_tb",
        "--Mdir",
        "build/fast",
        "-o",
        "Vqrnn_tb",
        "sim/qrnn_tb.v",
    ];
    // the workaround for Verilator 5.006's miscompiles that every build of a core has
    args.extend(crate::makefile::VERILATOR_OPT.split_whitespace());
    args.extend(rtl.iter().map(String::as_str));
    let (ok, out) = run_cmd(project, &v.cmd, &args)?;
    if !ok {
        return Ok(Outcome {
            pass: false,
            output: format!("verilator failed:\n{out}"),
        });
    }
    if let Some(c) = cache {
        for o in RUNTIME_OBJS {
            let src = c.join(o);
            if src.exists() {
                std::fs::copy(&src, mdir.join(o))?;
            }
        }
    }
    let (ok, out) = run_cmd(
        &mdir,
        "make",
        &[
            "-s",
            "-f",
            "Vqrnn_tb.mk",
            "OPT_FAST=-O0",
            "OPT_SLOW=-O0",
            "OPT_GLOBAL=-O0",
            "Vqrnn_tb",
        ],
    )?;
    if !ok {
        return Ok(Outcome {
            pass: false,
            output: format!("C++ build failed:\n{out}"),
        });
    }
    if let Some(c) = cache {
        std::fs::create_dir_all(c)?;
        for o in RUNTIME_OBJS {
            let dst = c.join(o);
            if !dst.exists() {
                let tmp = c.join(format!("{o}.tmp-{}", std::process::id()));
                std::fs::copy(mdir.join(o), &tmp)?;
                std::fs::rename(&tmp, &dst)?;
            }
        }
    }
    let mut args = vec![
        "+verilator+rand+reset+2".to_string(),
        "+verilator+seed+7".to_string(),
    ];
    args.extend(opts.plusargs());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out) = run_cmd(project, "./build/fast/Vqrnn_tb", &args)?;
    Ok(verdict(ok, out))
}

/// Build and run a project's testbench with Icarus Verilog.
pub fn icarus(project: &Path) -> std::io::Result<Outcome> {
    icarus_with(project, &RunOpts::default())
}

/// [`icarus`] with options.
pub fn icarus_with(project: &Path, opts: &RunOpts) -> std::io::Result<Outcome> {
    std::fs::create_dir_all(project.join("build"))?;
    let rtl = rtl_files(project)?;
    let mut args = vec![
        "-g2005",
        "-Isim",
        "-s",
        "qrnn_tb",
        "-o",
        "build/tb.vvp",
        "sim/qrnn_tb.v",
    ];
    args.extend(rtl.iter().map(String::as_str));
    let (ok, out) = run_cmd(project, &Tool::iverilog().cmd, &args)?;
    if !ok {
        return Ok(Outcome {
            pass: false,
            output: format!("iverilog failed:\n{out}"),
        });
    }
    let mut args = vec!["-n".to_string(), "build/tb.vvp".to_string()];
    args.extend(opts.plusargs());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out) = run_cmd(project, &Tool::vvp().cmd, &args)?;
    Ok(verdict(ok, out))
}

/// Lint a project's RTL: `verilator --lint-only -Wall` and yosys `hierarchy -check; proc;
/// check -assert` (which also fails on latches: a `proc` that infers a latch emits `$dlatch`, and the
/// test asserts there is none). A finding is [`SimError::Lint`] with the tool's output; a project
/// that cannot be read or a tool that cannot be started is [`SimError::Io`].
pub fn lint(project: &Path) -> Result<(), SimError> {
    let rtl = rtl_files(project).map_err(SimError::io(format!(
        "reading {}",
        project.join("rtl").display()
    )))?;
    let mut args = vec!["--lint-only", "-Wall", "--top-module", "qrnn_core"];
    args.extend(rtl.iter().map(String::as_str));
    let verilator = Tool::verilator();
    let (ok, out) = run_cmd(project, &verilator.cmd, &args)
        .map_err(SimError::io(format!("running `{}`", verilator.cmd)))?;
    if !ok {
        return Err(SimError::Lint {
            tool: "verilator --lint-only -Wall",
            output: out,
        });
    }
    let script = format!("read_verilog {}; hierarchy -check -top qrnn_core; proc; check -assert; select -assert-none t:$dlatch t:$sr", rtl.join(" "));
    let yosys = Tool::yosys();
    let (ok, out) = run_cmd(project, &yosys.cmd, &["-q", "-p", &script])
        .map_err(SimError::io(format!("running `{}`", yosys.cmd)))?;
    if !ok {
        return Err(SimError::Lint {
            tool: "yosys check",
            output: out,
        });
    }
    Ok(())
}
