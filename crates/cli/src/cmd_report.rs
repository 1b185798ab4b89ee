//! `qrnn-hw report DIR`: resources (yosys, nextpnr) beside the compiler's prediction, Fmax, and
//! timesteps per second and latency at the achieved clock, for a generated project after
//! `make synth` (and `make pnr`). Writes `DIR/report.json` and prints a table (or `--json`).
//!
//! `qrnn-hw report --plot OUT.svg MODEL`: the design space of a model on a device (resolved from
//! `--target`/`--board`/`--device` as `gen` resolves them): every `all=PxS` folding's predicted
//! logic against its time per timestep, the Pareto front, the `gen --fit` choice and the
//! device's logic budget ([`qrnn_plan::fit::design_space`]), written atomically as SVG; `--json`
//! prints the points. A model file without `--plot` prints the same without the plot.
//!
//! `qrnn-hw report DIR --html OUT.html` / `--md OUT.md`: everything of a project on one page
//! ([`crate::report_page`]).

use crate::Ctx;
use miette::{miette, IntoDiagnostic, Result};
use qrnn_plan::fit::{design_space, DesignSpace, FitOptions, Res};
use qrnn_plan::plot::{svg, Chart, Mark, Series, VLine};
use std::path::{Path, PathBuf};

/// The clock of a project without a board: the generated Makefile's timing target (`FREQ_MHZ`).
const TARGET_MHZ: f64 = 12.0;

/// Arguments of `report`.
#[derive(clap::Args)]
pub struct Args {
    /// The generated project directory; or a model file (.qw or .qw.toml) for its design space.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Print JSON instead of a table (with a model: the design-space points).
    #[arg(long)]
    json: bool,
    /// Plot the design space of the model into this SVG file: every `--fold all=PxS` folding
    /// (powers of two), the Pareto front of logic against latency, the `gen --fit` choice and the
    /// device's logic budget.
    #[arg(long, value_name = "OUT.svg")]
    plot: Option<PathBuf>,
    /// With a model: FPGA family, ice40, ecp5 or gowin (default: the board's, the device's, else
    /// ice40).
    #[arg(long, value_parser = crate::cmd_gen::family_parser())]
    target: Option<qrnn_rtl::Family>,
    /// With a model: the board, whose device is the budget and whose default core clock gives
    /// the latency.
    #[arg(long)]
    board: Option<String>,
    /// With a model: the device whose budget --fit uses (default: the board's, else the family's).
    #[arg(long)]
    device: Option<String>,
    /// Write one self-contained HTML page of the project: the model and its training, the
    /// design, predicted/synthesised/placed resources, Fmax, latency, timesteps/s, the
    /// co-simulation's verdict and the design-space plot (parts not made yet say how to make
    /// them).
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,
    /// Write the same page as Markdown (the plot as OUT.svg beside it, OUT without `.md`).
    #[arg(long, value_name = "OUT.md")]
    md: Option<PathBuf>,
}

/// Run `report`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    if a.plot.is_some() || a.dir.is_file() {
        return run_space(ctx, &a);
    }
    if a.target.is_some() || a.board.is_some() || a.device.is_some() {
        return Err(miette!(
            code = "qrnn::report::usage",
            help = "qrnn-hw report --plot OUT.svg MODEL.qw --device up5k",
            "--target, --board and --device go with a model file (the design space), not with a project directory: {} gives them in its qrnn.json",
            a.dir.display()
        ));
    }
    if a.html.is_some() || a.md.is_some() {
        return run_page(ctx, &a);
    }
    let r = qrnn_fpga::report::report(&a.dir)?;
    let json = serde_json::to_string_pretty(&r).into_diagnostic()? + "\n";
    let out = a.dir.join("report.json");
    qrnn_model::qw::write_atomic(&out, json.as_bytes())?;
    if a.json {
        out!("{json}");
    } else {
        out!("{}", qrnn_fpga::report::render(&r));
        if !ctx.quiet {
            note!("wrote {}", out.display());
        }
    }
    Ok(())
}

/// A project directory given to `--plot`: its manifest names the model but not the file.
fn project_instead_of_model(dir: &Path) -> miette::Report {
    let m = qrnn_rtl::manifest::Manifest::read(dir).ok();
    let (what, flags) = match &m {
        Some(m) => (
            format!(
                "a generated project of model `{}` (sha256 {}); its qrnn.json names the model but not its file",
                m.model_name,
                &m.model_hash[..m.model_hash.len().min(12)]
            ),
            match (&m.board, &m.device) {
                (Some(b), _) => format!(" --board {b}"),
                (None, Some(d)) => format!(" --device {d}"),
                (None, None) => format!(" --target {}", m.target),
            },
        ),
        None => ("a directory".to_string(), String::new()),
    };
    miette!(
        code = "qrnn::report::plot_input",
        help = format!(
            "give the model file the project was generated from: qrnn-hw report --plot OUT.svg MODEL.qw{flags}"
        ),
        "--plot plots the design space of a model file, and {} is {what}",
        dir.display()
    )
}

fn run_space(ctx: Ctx, a: &Args) -> Result<()> {
    if a.dir.is_dir() {
        return Err(project_instead_of_model(&a.dir));
    }
    if a.html.is_some() || a.md.is_some() {
        return Err(miette!(
            code = "qrnn::report::usage",
            help = "qrnn-hw report hw --html report.html (a directory that `qrnn-hw gen` wrote)",
            "--html and --md write the page of a project directory, and {} is a model file",
            a.dir.display()
        ));
    }
    let model = crate::util::load_model(ctx, &a.dir)?;
    let (_, board, device) = qrnn_project::options::resolve_target(
        a.target,
        a.board.as_deref(),
        a.device.as_deref(),
        true,
    )?;
    let (ds, mhz, clock) = space(&model, &a.dir, board.as_ref(), device, None)?;
    let mut j = ds.to_json();
    j["model_file"] = a.dir.display().to_string().into();
    j["clock_mhz"] = mhz.into();
    j["clock"] = clock.clone().into();
    if let Some(pts) = j["points"].as_array_mut() {
        for p in pts {
            // a timestep's latency, and the time per timestep of a stream (docs/HARDWARE.md §3)
            let l = p["latency"].as_f64().unwrap_or(f64::NAN);
            let c = p["cycles_per_step"].as_f64().unwrap_or(f64::NAN);
            p["latency_us"] = (l / mhz).into();
            p["step_us"] = (c / mhz).into();
        }
    }
    if let Some(out) = &a.plot {
        let text = plot(&ds, &a.dir, mhz, &clock, None).map_err(|e| {
            miette!(
                code = "qrnn::internal",
                "internal error: plotting the design space: {e}"
            )
        })?;
        qrnn_model::qw::write_atomic(out, text.as_bytes())?;
    }
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&j).into_diagnostic()? + "\n"
        );
    } else if !ctx.quiet {
        out!("{}", table(&ds, mhz, &clock));
    }
    if !ctx.quiet {
        if let Err(e) = &ds.fit {
            note!("no --fit choice: {e}");
        }
        if let Some(out) = &a.plot {
            note!(
                "wrote {} ({} foldings, {} on the Pareto front)",
                out.display(),
                ds.points.len(),
                ds.front.len()
            );
        }
    }
    Ok(())
}

/// The design space of `model` on `device` and the clock its latencies are given at: `clock_mhz`,
/// else the board's default core clock, else the core Makefile's timing target.
fn space(
    model: &qrnn_model::Model,
    model_path: &Path,
    board: Option<&qrnn_fpga::Board>,
    device: Option<&'static qrnn_fpga::Device>,
    clock_mhz: Option<f64>,
) -> Result<(DesignSpace, f64, String)> {
    let device = device.ok_or_else(|| {
        miette!(
            code = "qrnn::internal",
            "internal error: no device for the design space"
        )
    })?;
    let ds = design_space(model, device, &FitOptions::default())
        .map_err(|e| crate::cmd_gen::fit_error(e, model_path))?;
    let (mhz, clock) = match (board, clock_mhz) {
        (Some(b), Some(f)) => (f, format!("board {} core clock", b.name)),
        // the board's default core clock (its PLL's output; `gen --clock-mhz` may choose another)
        (Some(b), None) => (
            qrnn_fpga::pll::core_clock(b, None)?.out_mhz(),
            format!("board {} core clock", b.name),
        ),
        (None, _) => (TARGET_MHZ, "timing target FREQ_MHZ".to_string()),
    };
    Ok((ds, mhz, clock))
}

/// `report DIR --html/--md`: the project's page.
fn run_page(ctx: Ctx, a: &Args) -> Result<()> {
    use crate::report_page::{html, markdown, page, Inputs};
    use qrnn_project::config::{Config, FILE_NAME};
    let dir = &a.dir;
    // the bounded reader every project tool uses (a regular file of at most a manifest's size)
    let manifest = qrnn_rtl::manifest::Manifest::read(dir).map_err(|why| {
        miette!(
            code = "qrnn::report::project",
            help = "give a directory that `qrnn-hw gen` wrote (regenerate an old one: qrnn-hw gen --config DIR/qrnn.toml)",
            "{}: {why}",
            dir.join("qrnn.json").display()
        )
    })?;
    // the model the project was generated from, through its project file
    let cfg_path = dir.join(FILE_NAME);
    let model: std::result::Result<(qrnn_model::Model, PathBuf), String> = (|| {
        let cfg = Config::load(&cfg_path).map_err(|e| e.to_string())?;
        let path = cfg
            .model_path(&cfg_path)
            .ok_or_else(|| format!("{} names no model", cfg_path.display()))?;
        let m = crate::util::load_model(ctx, &path).map_err(|e| format!("{e}"))?;
        let hash = qrnn_model::qw::model_hash(&m);
        if hash != manifest.model_hash {
            return Err(format!(
                "{} now holds another model than the one this project was generated from (sha256 {} against {})",
                path.display(),
                &hash[..16],
                &manifest.model_hash[..16.min(manifest.model_hash.len())]
            ));
        }
        // shown as the project file says it (relative to the project)
        Ok((m, PathBuf::from(cfg.model.unwrap_or_default())))
    })();
    let report = qrnn_fpga::report::report(dir);
    if let Ok(r) = &report {
        // the same report.json as `report DIR`
        let json = serde_json::to_string_pretty(r).into_diagnostic()? + "\n";
        qrnn_model::qw::write_atomic(&dir.join("report.json"), json.as_bytes())?;
    }
    let plot = match &model {
        Ok((m, path)) => {
            // the project's family, board (variant) and device, resolved as gen resolved them
            qrnn_project::options::resolve_target(
                Some(manifest.target),
                manifest.board.as_deref(),
                manifest.device.as_deref(),
                true,
            )
            .and_then(|(_, board, device)| {
                space(
                    m,
                    path,
                    board.as_ref(),
                    device,
                    manifest.board_clock.as_ref().map(|c| c.achieved_mhz),
                )
            })
            .map_err(|e| e.to_string())
            .and_then(|(ds, mhz, clock)| {
                // the project's own design among the foldings, where the manifest predicts it
                let this = manifest.family_use.as_ref().map(|u| Mark {
                    name: "this project".into(),
                    label: format!("this project ({} cycles)", manifest.cycles_per_step),
                    at: (u.logic as f64, manifest.cycles_per_step as f64 / mhz),
                });
                plot(&ds, path, mhz, &clock, this)
            })
        }
        Err(why) => Err(why.clone()),
    };
    let inputs = Inputs {
        dir,
        manifest: &manifest,
        model: model
            .as_ref()
            .map(|(m, p)| (m, p.as_path()))
            .map_err(Clone::clone),
        report: report.as_ref().map_err(|e| e.to_string()),
        plot,
        sim_log: std::fs::read_to_string(dir.join("build/sim.log")).ok(),
    };
    let p = page(&inputs);
    let generator = format!("qrnn-hw {}", env!("CARGO_PKG_VERSION"));
    if let Some(out) = &a.html {
        qrnn_model::qw::write_atomic(out, html(&p, &generator).as_bytes())?;
        if !ctx.quiet {
            note!("wrote {}", out.display());
        }
    }
    if let Some(out) = &a.md {
        let svg_path = out.with_extension("svg");
        let svg_name = svg_path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Ok(svg) = &inputs.plot {
            qrnn_model::qw::write_atomic(&svg_path, svg.as_bytes())?;
        }
        qrnn_model::qw::write_atomic(out, markdown(&p, &svg_name, &generator).as_bytes())?;
        if !ctx.quiet {
            note!("wrote {}", out.display());
        }
    }
    Ok(())
}

fn folds_text(folds: &[(qrnn_rtl::EngineId, qrnn_rtl::Fold)]) -> String {
    folds
        .iter()
        .map(|(n, f)| format!("{n} {f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The front and the fit for people.
fn table(ds: &DesignSpace, mhz: f64, clock: &str) -> String {
    use std::fmt::Write;
    let d = ds.budget.device;
    let logic = Res::Logic.label(d.family);
    let mut s = format!(
        "design space of {} on {} ({}): {} foldings, {} on the Pareto front; latency at {mhz} MHz ({clock})\n",
        ds.model,
        d.part,
        d.name,
        ds.points.len(),
        ds.front.len()
    );
    let _ = writeln!(
        s,
        "{:<10} {:>24} {:>11} {:>12} {:>5} {:>4}  folds",
        "point", logic, "cycles/step", "latency µs", "BRAM", "DSP"
    );
    for &i in &ds.front {
        let p = &ds.points[i];
        let _ = writeln!(
            s,
            "{:<10} {:>24} {:>11} {:>12.2} {:>5} {:>4}  {}{}{}",
            p.label,
            p.used.get(Res::Logic),
            p.cycles_per_step,
            p.used.cycles as f64 / mhz,
            p.used.get(Res::Bram),
            p.used.get(Res::Dsp),
            folds_text(&p.folds),
            if p.fit { "  <- --fit" } else { "" },
            if p.within_budget {
                ""
            } else {
                "  (over budget)"
            }
        );
    }
    if let Some(f) = ds.fit_point() {
        if !f.front {
            let _ = writeln!(
                s,
                "--fit: {} cycles, {} {logic}: {}",
                f.cycles_per_step,
                f.used.get(Res::Logic),
                folds_text(&f.folds)
            );
        }
    }
    s
}

/// The design-space plot: logic (log) against time per timestep in a stream (log).
fn plot(
    ds: &DesignSpace,
    model_path: &Path,
    mhz: f64,
    clock: &str,
    this: Option<Mark>,
) -> Result<String, String> {
    let d = ds.budget.device;
    let fam = d.family;
    let xy = |i: usize| {
        let p = &ds.points[i];
        (
            p.used.get(Res::Logic) as f64,
            p.cycles_per_step as f64 / mhz,
        )
    };
    let series = [
        Series {
            name: "Pareto front".into(),
            points: ds.front.iter().map(|&i| xy(i)).collect(),
            line: true,
        },
        Series {
            name: "all=PxS foldings".into(),
            points: (0..ds.points.len()).map(xy).collect(),
            line: false,
        },
    ];
    let mut marks: Vec<Mark> = match &ds.fit {
        Ok(i) => vec![Mark {
            name: format!("--fit for {}", d.name),
            label: format!(
                "--fit: {} ({} cycles)",
                ds.points[*i]
                    .folds
                    .iter()
                    .map(|(_, f)| format!("{}x{}", f.p, f.s))
                    .collect::<Vec<_>>()
                    .join("/"),
                ds.points[*i].cycles_per_step
            ),
            at: xy(*i),
        }],
        Err(_) => Vec::new(),
    };
    marks.extend(this);
    let vlines: Vec<VLine> = ds.budget.limits[Res::Logic as usize]
        .map(|(avail, lim)| VLine {
            name: format!(
                "{} budget: {lim} of {avail}{}",
                d.name,
                if ds.fit.is_err() {
                    " (nothing fits)"
                } else {
                    ""
                }
            ),
            x: lim as f64,
        })
        .into_iter()
        .collect();
    let name = model_path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| ds.model.clone());
    let title = format!("{name} on {}: design space", d.part);
    let x_label = format!("predicted {}", Res::Logic.label(fam));
    let y_label = format!("time per timestep, µs at {mhz} MHz ({clock})");
    svg(&Chart {
        title: &title,
        x_label: &x_label,
        y_label: &y_label,
        series: &series,
        marks: &marks,
        vlines: &vlines,
        log_x: true,
        log_y: true,
    })
}
