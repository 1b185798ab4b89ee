//! `qrnn-hw gen MODEL --target ice40 -o DIR`: generate a self-contained hardware project:
//! Verilog and ROM files (`rtl/`), the testbench with stimulus and expected vectors from the golden
//! model (`sim/`), `Makefile` (sim, lint), `qrnn.json` (manifest, cycle prediction), `README.md`.
//!
//! The project is assembled and written by `qrnn-project` (the same path every co-simulation test
//! builds its projects through): into a temporary directory beside DIR, renamed into place, so an
//! existing DIR is never half-overwritten. It is replaced only with `--force`, and only when it is an
//! empty directory or a qrnn-hw project; leftovers of interrupted runs are removed by the next run.
//!
//! `--fit` chooses the folding of every engine not pinned by `--fold` with the auto-fit search of
//! `qrnn_plan::fit` for the device (`--device`, the board's, or the family's default), prints the
//! choice and its predicted use, and records both in `qrnn.json` (`fit`) and `README.md`.

use crate::Ctx;
use miette::{miette, Result};
use qrnn_plan::fit::FitError;
use qrnn_project::{ProjectError, Request};
use qrnn_rtl::passes::{pass_names, WeightsMode, PIPELINE};
use qrnn_rtl::{Family, FoldSpec};
use qrnn_sim::Stimulus;
use std::path::{Path, PathBuf};

/// Arguments of `gen`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file (.qw or .qw.toml); with --config, the file's `model` unless given.
    model: Option<PathBuf>,
    /// Project file (a project's qrnn.toml, docs/CLI.md "Project file"): its options, with the
    /// command line's on top (a --fold or --place adds to its list). Without -o the project is
    /// written to the file's directory, replacing the project there.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// FPGA family: ice40, ecp5 or gowin (default: the board's family, else ice40).
    #[arg(long, value_parser = family_parser())]
    target: Option<Family>,
    /// Board (`qrnn-hw boards` lists them): adds the UART board top, the pin file and the
    /// bitstream and flash rules; `make` then builds the bitstream (iCE40 boards).
    #[arg(long)]
    board: Option<String>,
    /// The core clock of a board project in MHz: the board's PLL makes the highest frequency it
    /// can at or below it from the board clock, and the UART divider, nextpnr's timing target,
    /// qrnn.json and the README take that (docs/HARDWARE.md §7 "Clocking"). Default: the
    /// family's (iCE40 36, ECP5 75, Gowin 27 MHz). Needs --board.
    #[arg(long, value_name = "MHZ")]
    clock_mhz: Option<f64>,
    /// Device (up5k, hx8k, hx1k, 25k, 45k, 85k, gw1nr9, gw2ar18): the place-and-route default of
    /// the project and the budget of --fit (default: the board's, else the family's: up5k, 25k,
    /// gw1nr9).
    #[arg(long)]
    device: Option<String>,
    /// Choose the folding of every engine not pinned by --fold: the fewest cycles per timestep
    /// whose predicted resources fit the device's budget (docs/HARDWARE.md "Auto-fit").
    #[arg(long)]
    fit: bool,
    /// Write the project even when the design's predicted resources exceed the device (--device
    /// or the board's); without it such a design is refused before anything is written.
    #[arg(long)]
    allow_overfit: bool,
    /// Output directory (default: MODEL's name with `-hw`).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Replace an existing qrnn-hw project at -o (a directory holding a qrnn.json written by
    /// qrnn-hw). A file, a link, a device or any other directory is never replaced.
    #[arg(long)]
    force: bool,
    /// Folding per engine, `ENGINE=PxS` (P rows × S columns per cycle); ENGINE is layer0, layer1,
    /// …, or head; `all=PxS` sets every engine, clamped to its size (P ≤ rows, S ≤ columns).
    /// Repeatable; later ones override earlier ones. Default: 8 lanes per engine, 1x8, or 2x4
    /// where its inputs would leave 8-lane chunks half empty (docs/HARDWARE.md §5).
    #[arg(long, value_name = "ENGINE=PxS")]
    fold: Vec<String>,
    /// Where weights live: rom (block RAM), logic (hard-wired), auto (logic when ≤ 2048 bits,
    /// else block RAM), spram (as auto, but memories of 32 kbit or more in the iCE40UP5K's SPRAM,
    /// loaded from the board's SPI flash at start-up: docs/HARDWARE.md §4.3). With --fit on the
    /// UP5K, auto moves to spram by itself when nothing fits in block RAM. Default: auto.
    #[arg(long, value_parser = weights_parser())]
    weights: Option<WeightsMode>,
    /// Place one weight memory, `NAME=rom|logic|spram` (NAME as `--dump-ir-after pack-weights`
    /// lists them: l0_w, l0_u, l1_w, …, hd_w). Repeatable; overrides --weights for that memory.
    #[arg(long, value_name = "NAME=KIND")]
    place: Vec<String>,
    /// Pipeline registers of the dense engines: `mv=N,update=M` (matrix-vector levels 0–5, each
    /// one cycle more per MV phase; update levels 0–4, each two cycles more per layer update),
    /// `none` or `max` (docs/HARDWARE.md §4.4). Default: the target family's (every level).
    #[arg(long, value_name = "mv=N,update=M")]
    pipeline: Option<String>,
    /// Timesteps per second wanted: with --fit (implied), the smallest folding that reaches it at
    /// the clock the timing model expects for the device (docs/HARDWARE.md §4.5), instead of the
    /// fastest; refused when no folding that fits reaches it.
    #[arg(long, value_name = "N")]
    target_rate: Option<f64>,
    /// Print the IR after a pass (`all` for every pass) to stderr.
    #[arg(long, value_name = "PASS")]
    dump_ir_after: Option<String>,
    /// List the passes and exit.
    #[arg(long)]
    list_passes: bool,
    /// Lengths of seeded random test sequences (inputs in about [-1, 1]) the golden model writes
    /// into sim/ (comma list). Default: the built-in stimulus of docs/HARDWARE.md §8 (long, varied,
    /// driving states to their limits; shorter for large ConvLSTM maps).
    #[arg(long, value_delimiter = ',')]
    sim_steps: Vec<usize>,
    /// Seed of the test sequences. Default: 1.
    #[arg(long)]
    seed: Option<u64>,
}

/// `--weights`: rom, logic or auto (listed in `--help` as clap lists possible values).
fn weights_parser() -> impl clap::builder::TypedValueParser<Value = WeightsMode> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(WeightsMode::ALL.map(WeightsMode::name))
        .try_map(|s| s.parse::<WeightsMode>())
}

/// `--target`: a family name (listed in `--help` as clap lists possible values).
pub(crate) fn family_parser() -> impl clap::builder::TypedValueParser<Value = Family> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Family::ALL.map(Family::name))
        .try_map(|s| s.parse::<Family>())
}

/// A failed fit of the model at `model_path` as a diagnostic naming the file.
pub(crate) fn fit_error(e: FitError, model_path: &Path) -> miette::Report {
    match e {
        FitError::NoFit { .. } => {
            let mut e = e;
            if let FitError::NoFit { model, .. } = &mut e {
                *model = model_path.display().to_string();
            }
            miette::Report::new(e)
        }
        FitError::Gen(e) => crate::util::rtl_error(model_path, e),
    }
}

/// Run `gen`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    if a.list_passes {
        outln!("lower            model → engines with shapes, formats, biases, tables, ranges");
        for p in PIPELINE {
            outln!("{:<16} {}", p.name, p.description);
        }
        return Ok(());
    }
    let mut a = a;
    let config_dir = apply_config(&mut a)?;
    let model_path = a.model.clone().ok_or_else(|| {
        miette!("give a model file (qrnn-hw gen MODEL.qw) or a project file (qrnn-hw gen --config hw/qrnn.toml)")
    })?;
    let model = crate::util::load_model(ctx, &model_path)?;
    let req = qrnn_project::options::request(&qrnn_project::options::Choices {
        target: a.target,
        board: a.board.as_deref(),
        device: a.device.as_deref(),
        fit: a.fit,
        allow_overfit: a.allow_overfit,
        fold: &a.fold,
        weights: a.weights.unwrap_or(WeightsMode::Auto),
        place: &a.place,
        pipeline: a.pipeline.as_deref(),
        target_rate: a.target_rate,
        clock_mhz: a.clock_mhz,
    })?;
    let clock = req.core_clock()?;
    if let Some(p) = &a.dump_ir_after {
        if p != "all" && !pass_names().contains(&p.as_str()) {
            return Err(miette!(
                "--dump-ir-after {p:?}: the passes are {} (or all)",
                pass_names().join(", ")
            ));
        }
    }
    if a.sim_steps.contains(&0) {
        return Err(miette!("--sim-steps needs positive sequence lengths"));
    }
    // without --sim-steps: the default stimulus, whose lengths depend on the model
    let sim_steps: Vec<usize> = if a.sim_steps.is_empty() {
        qrnn_sim::stimulus::default_plan(&model)
            .iter()
            .map(|p| p.1)
            .collect()
    } else {
        a.sim_steps.clone()
    };
    let dump = a.dump_ir_after.clone();
    let planned = qrnn_project::plan(&model, &req, |name, d| {
        if dump.as_deref() == Some("all") || dump.as_deref() == Some(name) {
            note!("== IR after {name}\n{d}");
        }
    })
    .map_err(|e| project_error(e, &model_path))?;
    if let Some(f) = &planned.fit {
        if !ctx.quiet {
            out!("{}", f.table());
        }
    } else if let Some(f) = &planned.feasibility {
        // the prediction against the device (--device or the board's), HARDWARE.md §10
        if !ctx.quiet {
            out!("{}", f.table());
        }
        if !f.fits() {
            note!(
                "warning: --allow-overfit: the design needs {}; it will not place",
                f.overrun_text()
            );
        }
    }
    // the lowered design says what elaborating it and writing the vectors will cost
    check_budget(ctx, &model_path, &model, &planned.design, &sim_steps)?;
    let stim = if a.sim_steps.is_empty() {
        Stimulus::default_for(&model, a.seed.unwrap_or(1))
    } else {
        Stimulus::random(&model, &a.sim_steps, a.seed.unwrap_or(1))
    };
    let out = a
        .output
        .clone()
        .or_else(|| config_dir.clone())
        .unwrap_or_else(|| {
            let stem = model_path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| "model".into());
            let stem = stem
                .trim_end_matches(".toml")
                .trim_end_matches(".qw")
                .to_string();
            PathBuf::from(format!("{stem}-hw"))
        });
    let mut req = req;
    req.config = Some(project_file(&a, &req, &model_path, &out)?);
    let project = qrnn_project::assemble(&model, &req, planned, &stim)
        .map_err(|e| project_error(e, &model_path))?;
    // regenerating the project a project file sits in replaces it (it is a qrnn-hw project, as
    // `write` checks)
    let same_dir = |x: &Path, y: &Path| match (x.canonicalize(), y.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    let force = a.force || config_dir.as_deref().is_some_and(|d| same_dir(d, &out));
    let written = qrnn_project::write(&out, &project.files, force)?;
    for p in &written.removed {
        if !ctx.quiet {
            note!("removed {}, left by an interrupted run", p.display());
        }
    }
    for w in &written.warnings {
        note!("warning: {w}");
    }
    if let (Some(pll), false) = (&clock, ctx.quiet) {
        note!(
            "core clock {} MHz (requested {} MHz): {}",
            qrnn_fpga::pll::fmt_mhz(pll.out_mhz()),
            qrnn_fpga::pll::fmt_mhz(pll.requested_mhz),
            pll.summary()
        );
    }
    if !ctx.quiet {
        let m = &project.manifest;
        note!(
            "wrote {} ({} files): {} cycles per timestep (about {:.0} timesteps/s at the {:.0} MHz the timing model expects); run `make -C {} sim`",
            out.display(),
            project.files.len(),
            m.cycles_per_step,
            m.timesteps_per_second_estimate,
            m.fmax_estimate_mhz,
            out.display()
        );
    }
    Ok(())
}

/// `--config FILE`: the file's options where the command line gives none (`fold` and `place`
/// lists first, the command line's after them). Returns the directory of the file (where the
/// project goes without `-o`); `None` without `--config`.
fn apply_config(a: &mut Args) -> Result<Option<PathBuf>> {
    use qrnn_project::config::Config;
    let Some(path) = a.config.clone() else {
        return Ok(None);
    };
    let c = Config::load(&path)?;
    let bad = |key: &str, value: &str, why: String| {
        miette!(
            code = "qrnn::config::value",
            help = "docs/CLI.md \"Project file\" lists the keys and their values",
            "{}: {key} = {value}: {why}",
            path.display()
        )
    };
    if a.model.is_none() {
        a.model = Some(c.model_path(&path).ok_or_else(|| {
            miette!(
                code = "qrnn::config::value",
                help = "add model = \"PATH\" (relative to the file's directory), or give the model: qrnn-hw gen MODEL.qw --config FILE",
                "{}: no `model` key",
                path.display()
            )
        })?);
    }
    if a.target.is_none() {
        if let Some(t) = &c.target {
            a.target = Some(
                t.parse::<Family>()
                    .map_err(|e| bad("target", t, e.to_string()))?,
            );
        }
    }
    if a.weights.is_none() {
        if let Some(w) = &c.weights {
            a.weights = Some(
                w.parse::<WeightsMode>()
                    .map_err(|e| bad("weights", w, e.to_string()))?,
            );
        }
    }
    FoldSpec::parse(&c.fold).map_err(|m| bad("fold", &format!("{:?}", c.fold), m))?;
    qrnn_project::options::parse_place(&c.place)
        .map_err(|e| bad("place", &format!("{:?}", c.place), e.to_string()))?;
    if let Some(p) = &c.pipeline {
        p.parse::<qrnn_rtl::ir::Pipe>()
            .map_err(|m| bad("pipeline", p, m.to_string()))?;
    }
    if c.sim_steps.contains(&0) {
        return Err(bad(
            "sim_steps",
            &format!("{:?}", c.sim_steps),
            "expected positive sequence lengths".into(),
        ));
    }
    a.board = a.board.take().or(c.board);
    a.device = a.device.take().or(c.device);
    a.clock_mhz = a.clock_mhz.or(c.clock_mhz);
    a.target_rate = a.target_rate.or(c.target_rate);
    a.pipeline = a.pipeline.take().or(c.pipeline);
    a.seed = a.seed.or(c.seed);
    a.fit |= c.fit.unwrap_or(false);
    a.allow_overfit |= c.allow_overfit.unwrap_or(false);
    a.fold = c.fold.into_iter().chain(a.fold.drain(..)).collect();
    a.place = c.place.into_iter().chain(a.place.drain(..)).collect();
    if a.sim_steps.is_empty() {
        a.sim_steps = c.sim_steps;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() && d != Path::new(".") => d.to_path_buf(),
        _ => std::env::current_dir().map_err(|e| miette!("the current directory: {e}"))?,
    };
    Ok(Some(dir))
}

/// The project file written into the project at `out`: the options as resolved (the family,
/// board and device that were decided), the model's path relative to `out` (absolute when it
/// was given so).
fn project_file(
    a: &Args,
    req: &Request,
    model_path: &Path,
    out: &Path,
) -> Result<qrnn_project::config::Config> {
    let model = if model_path.is_absolute() {
        model_path.to_path_buf()
    } else {
        let m = model_path
            .canonicalize()
            .map_err(|e| miette!("{}: {e}", model_path.display()))?;
        qrnn_project::config::relative_path(&absolute_dir(out)?, &m)
    };
    // TOML holds UTF-8 only: a path that is not is left out (`gen --config` then asks for it)
    let model = model.to_str().map(str::to_string);
    if model.is_none() {
        note!(
            "warning: {}: the model's path is not UTF-8, so qrnn.toml leaves `model` out; give the model with --config: qrnn-hw gen MODEL --config {}/qrnn.toml",
            model_path.display(),
            out.display()
        );
    }
    Ok(qrnn_project::config::Config {
        model,
        target: Some(req.target.name().to_string()),
        board: req.board.as_ref().map(|b| b.name.clone()),
        device: req.device.map(|d| d.name.to_string()),
        clock_mhz: a.clock_mhz,
        fit: Some(a.fit),
        target_rate: a.target_rate,
        allow_overfit: Some(a.allow_overfit),
        fold: a.fold.clone(),
        weights: Some(req.weights.name().to_string()),
        place: a.place.clone(),
        pipeline: a.pipeline.clone(),
        sim_steps: a.sim_steps.clone(),
        seed: Some(a.seed.unwrap_or(1)),
    })
}

/// `dir` as an absolute path without `.` or `..`, whether or not it exists yet: its nearest
/// existing ancestor resolved by the file system, the rest appended.
fn absolute_dir(dir: &Path) -> Result<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| miette!("the current directory: {e}"))?;
    let mut rest = Vec::new();
    let mut p = cwd.join(dir);
    let base = loop {
        if let Ok(c) = p.canonicalize() {
            break c;
        }
        match (p.file_name().map(|f| f.to_os_string()), p.parent()) {
            (Some(f), Some(parent)) => {
                rest.push(f);
                p = parent.to_path_buf();
            }
            _ => break p,
        }
    };
    let mut out = base;
    for f in rest.into_iter().rev() {
        if f == ".." {
            out.pop();
        } else if f != "." {
            out.push(f);
        }
    }
    Ok(out)
}

/// A project error about the model at `model_path` as a diagnostic naming the file.
fn project_error(e: ProjectError, model_path: &Path) -> miette::Report {
    match e {
        ProjectError::Rtl(e) => crate::util::rtl_error(model_path, e),
        ProjectError::Fit(e) => fit_error(e, model_path),
        e => miette::Report::new(e),
    }
}

/// Refuse a design whose generation would exceed `--max-memory` or `--max-output` (estimated
/// from the lowered design and the co-simulation's timesteps, before anything is elaborated).
fn check_budget(
    ctx: Ctx,
    model_path: &Path,
    model: &qrnn_model::Model,
    design: &qrnn_rtl::ir::Design,
    sim_steps: &[usize],
) -> Result<()> {
    let steps = sim_steps
        .iter()
        .fold(0u64, |t, n| t.saturating_add(*n as u64));
    let (memory, bytes) = crate::budget::gen_estimate(model, design, steps);
    let what = format!(
        "{}: generating this design with {steps} co-simulation timesteps",
        model_path.display()
    );
    if ctx.verbose > 0 {
        use crate::budget::show;
        note!(
            "budget: estimated {} of memory (limit {}), {} written (limit {})",
            show(memory),
            show(ctx.budget.memory),
            show(bytes),
            show(ctx.budget.output)
        );
    }
    ctx.budget.memory(
        &what,
        memory,
        "fold less (a smaller --fold PxS), or give fewer --sim-steps",
    )?;
    ctx.budget.output(
        &what,
        bytes,
        "give fewer or shorter --sim-steps, or fold less (a smaller --fold PxS)",
    )
}
