//! Running a generated project's testbench and lint: through its Makefile ([`run_make`]) or
//! directly ([`verilator_fast`], [`icarus`], [`lint`]), and the verdict ([`Outcome`]).

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
    let (ok, out) = run_cmd(
        project,
        "./build/fast/Vqrnn_tb",
        &["+verilator+rand+reset+2", "+verilator+seed+7"],
    )?;
    Ok(verdict(ok, out))
}

/// Build and run a project's testbench with Icarus Verilog.
pub fn icarus(project: &Path) -> std::io::Result<Outcome> {
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
    let (ok, out) = run_cmd(project, &Tool::vvp().cmd, &["-n", "build/tb.vvp"])?;
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
