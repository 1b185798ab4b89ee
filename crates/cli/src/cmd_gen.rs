//! `qrnn-hw gen MODEL --target ice40 -o DIR`: generate a self-contained hardware project:
//! Verilog and ROM files (`rtl/`), the testbench with stimulus and expected vectors from the golden
//! model (`sim/`), `Makefile` (sim, lint), `qrnn.json` (manifest, cycle prediction), `README.md`.
//!
//! The project is written into a temporary directory beside DIR and renamed into place, so an
//! existing DIR is never half-overwritten. It is replaced only with `--force`, and only when it is an
//! empty directory or a qrnn-hw project; leftovers of interrupted runs are removed by the next run.
//!
//! `--fit` chooses the folding of every engine not pinned by `--fold` with the auto-fit search of
//! `qrnn_fpga::fit` for the device (`--device`, the board's, or the family's default), prints the
//! choice and its predicted use, and records both in `qrnn.json` (`fit`) and `README.md`.

use crate::Ctx;
use miette::{miette, IntoDiagnostic, Result, WrapErr};
use qrnn_fpga::fit::{FitError, FitOptions};
use qrnn_fpga::{Device, Family};
use qrnn_rtl::manifest::Fold;
use qrnn_rtl::passes::{pass_names, Options, WeightsMode, PIPELINE};
use qrnn_sim::{makefile, sim_files, Stimulus};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `gen`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file (.qw or .qw.toml).
    model: Option<PathBuf>,
    /// FPGA family: ice40, ecp5 or gowin (default: the board's family, else ice40).
    #[arg(long, value_parser = ["ice40", "ecp5", "gowin"])]
    target: Option<String>,
    /// Board (`qrnn-hw boards` lists them): adds the UART board top, the pin file and the
    /// bitstream and flash rules; `make` then builds the bitstream (iCE40 boards).
    #[arg(long)]
    board: Option<String>,
    /// Device (up5k, hx8k, hx1k, 25k, 45k, 85k, gw1nr9, gw2ar18): the place-and-route default of
    /// the project and the budget of --fit (default: the board's, else the family's: up5k, 25k,
    /// gw1nr9).
    #[arg(long)]
    device: Option<String>,
    /// Choose the folding of every engine not pinned by --fold: the fewest cycles per timestep
    /// whose predicted resources fit the device's budget (docs/HARDWARE.md "Auto-fit").
    #[arg(long)]
    fit: bool,
    /// Output directory (default: MODEL's name with `-hw`).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Replace an existing qrnn-hw project at -o (a directory holding a qrnn.json written by
    /// qrnn-hw). A file, a link, a device or any other directory is never replaced.
    #[arg(long)]
    force: bool,
    /// Folding per engine, `ENGINE=PxS` (P rows × S columns per cycle); ENGINE is layer0, layer1,
    /// …, or head; `all=PxS` sets every engine, clamped to its size (P ≤ rows, S ≤ columns).
    /// Repeatable; later ones override earlier ones.
    #[arg(long, value_name = "ENGINE=PxS")]
    fold: Vec<String>,
    /// Where weights live: rom (block RAM), logic (hard-wired), auto (logic when ≤ 2048 bits).
    #[arg(long, default_value = "auto", value_parser = ["rom", "logic", "auto"])]
    weights: String,
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
    /// Seed of the test sequences.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn parse_fold(s: &str) -> Result<(String, Fold)> {
    let bad = || miette!("--fold {s:?}: expected ENGINE=PxS, e.g. layer0=2x8");
    let (e, f) = s.split_once('=').ok_or_else(bad)?;
    let (p, q) = f.split_once('x').ok_or_else(bad)?;
    let p: usize = p.trim().parse().map_err(|_| bad())?;
    let q: usize = q.trim().parse().map_err(|_| bad())?;
    Ok((e.trim().to_string(), Fold { p, s: q }))
}

/// The device a family's projects place and route for by default (the Makefile's `DEVICE`).
fn default_device(f: Family) -> &'static str {
    match f {
        Family::Ice40 => "up5k",
        Family::Ecp5 => "25k",
        Family::Gowin => "gw1nr9",
    }
}

/// Resolve `--device` against the board and family to one device, if any is named (or
/// `need_device`, as `--fit` does: then the family's default).
fn resolve_device(
    device: Option<&str>,
    board: Option<&qrnn_fpga::Board>,
    target: &str,
    need_device: bool,
) -> Result<Option<&'static Device>> {
    let known = || {
        qrnn_fpga::DEVICES
            .iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let named = match device {
        Some(d) => Some(qrnn_fpga::device(d).ok_or_else(|| {
            miette!(
                code = "qrnn::gen::device",
                help = format!("known devices: {}", known()),
                "unknown device `{d}`"
            )
        })?),
        None => None,
    };
    if let (Some(d), Some(b)) = (named, board) {
        if !d.name.eq_ignore_ascii_case(&b.device) {
            return Err(miette!(
                code = "qrnn::gen::device",
                help = "leave --device out: the board decides the device",
                "--device {} does not match board `{}`, which has {}",
                d.name,
                b.name,
                b.device
            ));
        }
    }
    if let Some(d) = named {
        if d.family.name() != target {
            return Err(miette!(
                code = "qrnn::gen::target",
                help = "leave --target out: the device decides the family",
                "--target {target} does not match device `{}`, which is {}",
                d.name,
                d.family
            ));
        }
        return Ok(Some(d));
    }
    if let Some(b) = board {
        return Ok(qrnn_fpga::device(&b.device));
    }
    if need_device {
        let f = Family::parse(target).ok_or_else(|| miette!("unknown target {target}"))?;
        return Ok(qrnn_fpga::device(default_device(f)));
    }
    Ok(None)
}

/// The family, board and device that `--target`, `--board` and `--device` name (`gen`, and
/// `report --plot`): the board decides the family and device, a device its family, else the
/// family is ice40; with `need_device` a family without a named device gets its default device.
pub(crate) fn resolve_target(
    target: Option<&str>,
    board: Option<&str>,
    device: Option<&str>,
    need_device: bool,
) -> Result<(String, Option<qrnn_fpga::Board>, Option<&'static Device>)> {
    let board = match board {
        Some(b) => Some(qrnn_fpga::find_board(b)?),
        None => None,
    };
    let device_family = device
        .and_then(qrnn_fpga::device)
        .map(|d| d.family.to_string());
    let target = match (target, &board) {
        (Some(t), Some(b)) if t != b.family.to_string() => {
            return Err(miette!(
                code = "qrnn::gen::target",
                help = "leave --target out: the board decides the family",
                "--target {t} does not match board `{}`, which is {}",
                b.name,
                b.family
            ))
        }
        (_, Some(b)) => b.family.to_string(),
        (Some(t), None) => t.to_string(),
        (None, None) => device_family.unwrap_or_else(|| "ice40".to_string()),
    };
    let device = resolve_device(device, board.as_ref(), &target, need_device)?;
    Ok((target, board, device))
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
        FitError::Gen(why) => miette!(
            code = "qrnn::gen",
            "{}: cannot generate hardware: {why}",
            model_path.display()
        ),
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
    let model_path = a
        .model
        .clone()
        .ok_or_else(|| miette!("give a model file: qrnn-hw gen MODEL.qw"))?;
    let model = crate::util::load_model(ctx, &model_path)?;
    let (target, board, device) = resolve_target(
        a.target.as_deref(),
        a.board.as_deref(),
        a.device.as_deref(),
        a.fit,
    )?;
    let mut opts = Options {
        folds: BTreeMap::new(),
        weights: match a.weights.as_str() {
            "rom" => WeightsMode::Rom,
            "logic" => WeightsMode::Logic,
            _ => WeightsMode::Auto,
        },
        target: target.clone(),
    };
    for f in &a.fold {
        let (e, fold) = parse_fold(f)?;
        if e == "all" {
            let folds =
                qrnn_fpga::fit::all_folds(&model, fold).map_err(|e| fit_error(e, &model_path))?;
            opts.folds.extend(folds);
        } else {
            opts.folds.insert(e, fold);
        }
    }
    let fit = if a.fit {
        let dev = device.ok_or_else(|| miette!("internal error: --fit without a device"))?;
        let o = FitOptions {
            pinned: opts.folds.clone(),
            weights: opts.weights,
            ..FitOptions::default()
        };
        let f = qrnn_fpga::fit::fit(&model, dev, &o).map_err(|e| fit_error(e, &model_path))?;
        opts = f.options();
        Some(f)
    } else {
        None
    };
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
    let cannot = |e: String| {
        miette!(
            code = "qrnn::gen",
            "{}: cannot generate hardware: {e}",
            model_path.display()
        )
    };
    let design = qrnn_rtl::passes::run_pipeline(&model, &opts, |name, d| {
        if dump.as_deref() == Some("all") || dump.as_deref() == Some(name) {
            note!("== IR after {name}\n{d}");
        }
    })
    .map_err(cannot)?;
    // the lowered design says what elaborating it and writing the vectors will cost
    check_budget(ctx, &model_path, &model, &design, &sim_steps)?;
    let mut g = qrnn_rtl::elaborate(&model, design, &opts).map_err(cannot)?;
    if let Some(d) = device {
        g.manifest.device = Some(d.name.to_string());
        g.manifest.package = d.packages.first().map(|p| p.to_string());
    }
    if let Some(b) = &board {
        g.manifest.board = Some(b.name.clone());
        g.manifest.device = Some(b.device.clone());
        g.manifest.package = Some(b.package.clone());
    }
    if let Some(f) = &fit {
        let fm = f.manifest();
        if fm.cycles_per_step != g.manifest.cycles_per_step {
            return Err(miette!(
                "internal error: auto-fit expected {} cycles per timestep, the generator gives {}",
                fm.cycles_per_step,
                g.manifest.cycles_per_step
            ));
        }
        g.manifest.fit = Some(fm);
        if !ctx.quiet {
            out!("{}", f.table());
        }
    }
    let stim = if a.sim_steps.is_empty() {
        Stimulus::default_for(&model, a.seed)
    } else {
        Stimulus::random(&model, &a.sim_steps, a.seed)
    };
    let mut files = g.files.clone();
    files.extend(sim_files(&model, &g.manifest, &stim)?);
    let mut mk = makefile(&g.manifest);
    if let Some(b) = &board {
        files.extend(qrnn_fpga::project::board_files(b, &g.manifest));
        mk.push_str(&qrnn_fpga::project::makefile_rules(b));
    }
    files.push(("Makefile".into(), mk));
    files.push((
        "qrnn.json".into(),
        serde_json::to_string_pretty(&g.manifest).into_diagnostic()? + "\n",
    ));
    files.push(("README.md".into(), readme(&model, &g.manifest)));
    files.sort_by(|x, y| x.0.cmp(&y.0));

    let out = a.output.clone().unwrap_or_else(|| {
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
    write_project(ctx, &out, &files, a.force)?;
    if !ctx.quiet {
        note!(
            "wrote {} ({} files): {} cycles per timestep; run `make -C {} sim`",
            out.display(),
            files.len(),
            g.manifest.cycles_per_step,
            out.display()
        );
    }
    Ok(())
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

/// What stands at the output path before `gen` writes there.
#[derive(Debug, PartialEq)]
enum Existing {
    /// Nothing: the project is renamed into place.
    Nothing,
    /// An empty directory.
    Empty,
    /// A directory holding a `qrnn.json` written by qrnn-hw.
    Project,
    /// Anything else, with the reason it may not be replaced.
    Other(String),
}

/// Classify the output path without following a symbolic link at it.
fn existing(out: &Path) -> Existing {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Existing::Nothing,
        Err(e) => return Existing::Other(format!("it cannot be examined ({e})")),
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        return Existing::Other(
            "it is a symbolic link; qrnn-hw replaces neither links nor their targets".into(),
        );
    }
    if ft.is_file() {
        return Existing::Other("it is a file, not a project directory".into());
    }
    if !ft.is_dir() {
        return Existing::Other("it is a device, socket or pipe, not a project directory".into());
    }
    match out.read_dir() {
        Ok(mut d) => {
            if d.next().is_none() {
                return Existing::Empty;
            }
        }
        Err(e) => return Existing::Other(format!("it cannot be read ({e})")),
    }
    match qrnn_rtl::manifest::Manifest::read(out) {
        Ok(m) if m.generator.starts_with("qrnn-hw") => Existing::Project,
        Ok(m) => Existing::Other(format!(
            "its qrnn.json was written by {:?}, not qrnn-hw",
            m.generator
        )),
        Err(why) => Existing::Other(format!(
            "it is a directory that is not a qrnn-hw project (qrnn.json: {why})"
        )),
    }
}

/// Whether a process with this id is running (Linux `/proc`; elsewhere: assume it is, so that
/// nothing another run may still be writing is removed).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// Remove what interrupted runs into the same output path left beside it: the directories
/// `.NAME.tmp-PID` (a project being written) and `.NAME.old-PID` (a replaced project being
/// removed) of processes that are no longer running. Returns what was removed.
fn clean_leftovers(parent: &Path, name: &str) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = parent.read_dir() else {
        return removed;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix(&format!(".{name}.")) else {
            continue;
        };
        let pid = rest
            .strip_prefix("tmp-")
            .or_else(|| rest.strip_prefix("old-"))
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && pid != me && !process_alive(pid) && std::fs::remove_dir_all(e.path()).is_ok() {
            removed.push(e.path());
        }
    }
    removed
}

/// Write all files into a fresh temporary directory beside `out`, then rename it into place.
///
/// `out` may be absent or an empty directory; with `force`, also a qrnn-hw project (a directory
/// holding a `qrnn.json` written by qrnn-hw), which is replaced and then removed. Anything else —
/// a file, a symbolic link, a device, another directory — is refused and left as it was.
/// Temporary directories of interrupted runs into the same place are removed first.
pub(crate) fn write_project(
    ctx: Ctx,
    out: &Path,
    files: &[(String, String)],
    force: bool,
) -> Result<()> {
    let Some(name) = out.file_name().map(|f| f.to_string_lossy().into_owned()) else {
        return Err(miette!(
            code = "qrnn::gen::output",
            help = "name the project directory, e.g. -o build/model-hw",
            "{}: -o must name a directory to create, not `.`, `..` or a root",
            out.display()
        ));
    };
    match existing(out) {
        Existing::Nothing | Existing::Empty => {}
        Existing::Project if force => {}
        Existing::Project => {
            return Err(miette!(
                code = "qrnn::gen::exists",
                help = "choose another -o directory, or pass --force to replace it",
                "{} already holds a qrnn-hw project",
                out.display()
            ))
        }
        Existing::Other(why) => {
            return Err(miette!(
                code = "qrnn::gen::exists",
                help =
                    "choose another -o directory: --force replaces only an empty directory or a \
                        project that qrnn-hw generated",
                "{} already exists and cannot be replaced: {why}",
                out.display()
            ))
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .into_diagnostic()
        .wrap_err_with(|| format!("creating {}", parent.display()))?;
    for p in clean_leftovers(&parent, &name) {
        if !ctx.quiet {
            note!("removed {}, left by an interrupted run", p.display());
        }
    }
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let res = (|| -> Result<()> {
        for (p, c) in files {
            let path = tmp.join(p);
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d)
                    .into_diagnostic()
                    .wrap_err_with(|| format!("creating {}", d.display()))?;
            }
            std::fs::write(&path, c)
                .into_diagnostic()
                .wrap_err_with(|| format!("writing {}", path.display()))?;
        }
        if existing(out) == Existing::Nothing {
            return std::fs::rename(&tmp, out)
                .into_diagnostic()
                .wrap_err_with(|| format!("renaming into {}", out.display()));
        }
        // An empty directory or a project (checked above): moved aside, replaced, removed.
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(out, &old)
            .into_diagnostic()
            .wrap_err_with(|| format!("moving the old {} aside", out.display()))?;
        if let Err(e) = std::fs::rename(&tmp, out) {
            let _ = std::fs::rename(&old, out);
            return Err(e)
                .into_diagnostic()
                .wrap_err_with(|| format!("renaming into {}", out.display()));
        }
        if let Err(e) = std::fs::remove_dir_all(&old) {
            note!(
                "warning: the replaced project could not be removed: {} ({e}); the next gen into {} removes it",
                old.display(),
                out.display()
            );
        }
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    res
}

fn readme(model: &qrnn_model::Model, m: &qrnn_rtl::manifest::Manifest) -> String {
    let layers: String = m
        .layers
        .iter()
        .enumerate()
        .map(|(l, x)| {
            format!(
                "| layer{l} | {} | {}→{} | {} | {}x{} | {} | {} + {} |\n",
                x.cell,
                x.input,
                x.hidden,
                x.scheme,
                x.fold.p,
                x.fold.s,
                x.weights,
                x.cycles_mv,
                x.cycles_update
            )
        })
        .collect();
    let head = m
        .head
        .as_ref()
        .map(|h| {
            format!(
                "| head | dense | →{} | {} | {}x{} | | {} |\n",
                h.outputs,
                model
                    .head
                    .as_ref()
                    .map(|x| x.w.scheme.to_string())
                    .unwrap_or_default(),
                h.fold.p,
                h.fold.s,
                h.cycles
            )
        })
        .unwrap_or_default();
    format!(
        "# {title} — generated hardware\n\n\
Generated by {gen} from model `{name}` (sha256 `{hash}`) for target `{target}`.\n\
This directory is self-contained: it simulates with Verilator (or Icarus) and make alone.\n\n\
```sh\nmake sim               # Verilator co-simulation against the golden model's vectors: prints PASS\n\
make sim SIM=icarus    # the same on Icarus Verilog\nmake sim VCD=1         # also dump sim/waves.vcd\n\
make lint              # verilator --lint-only -Wall, yosys hierarchy/proc/check -assert\n```\n\n\
## Design\n\n| engine | cell | size | weights | fold PxS | memory | cycles (MV + update) |\n|---|---|---|---|---|---|---|\n{layers}{head}\n\
Interface: `qrnn_core` (docs/HARDWARE.md of qrnn-hw): one input element of {wx} bits per beat, {in_len} per timestep;\n\
one output element of {wy} bits per beat, {out_len} per timestep; `in_seq_start` with the first element of a sequence.\n\n\
**Cycles per timestep: {cps}** = {formula}\n\n\
`qrnn.json` holds these figures for tools. `sim/` holds the testbench, the stimulus and the expected values\n\
written by the golden model, and `sim/golden_trace.txt` (every named value of every timestep).\n{fit}",
        fit = fit_section(m),
        title = qrnn_model::name::escape::markdown_text(&m.model_name),
        name = qrnn_model::name::escape::markdown_code(&m.model_name),
        gen = m.generator,
        hash = m.model_hash,
        target = m.target,
        wx = m.wx,
        wy = m.wy,
        in_len = m.in_len,
        out_len = m.out_len,
        cps = m.cycles_per_step,
        formula = m.cycle_formula,
    )
}

/// The README's auto-fit section (`gen --fit`), empty without it.
fn fit_section(m: &qrnn_rtl::manifest::Manifest) -> String {
    let Some(f) = &m.fit else {
        return String::new();
    };
    let folds: Vec<String> = f
        .folds
        .iter()
        .map(|(n, x)| {
            let pin = if f.pinned.contains(n) {
                " (--fold)"
            } else {
                ""
            };
            format!("{n} {}x{}{pin}", x.p, x.s)
        })
        .collect();
    let rows: String = f
        .resources
        .iter()
        .map(|r| {
            format!(
                "| {} | {} | {} | {} | {:.0} % |\n",
                r.resource,
                r.predicted,
                r.budget,
                r.available,
                r.ceiling * 100.0
            )
        })
        .collect();
    format!(
        "\n## Auto-fit\n\n`qrnn-hw gen --fit` chose the folding for {part} (`{dev}`), weights `{w}`: {folds}.\n\
It gives {cps} cycles per timestep (every searched engine at 1x1: {slow}). The predicted resources against the\n\
budget (the device's amount times the utilisation ceiling, docs/HARDWARE.md \"Auto-fit\" of qrnn-hw); check\n\
them with `make synth pnr report`:\n\n| resource | predicted | budget | device | ceiling |\n|---|---|---|---|---|\n{rows}",
        part = f.part,
        dev = f.device,
        w = f.weights,
        folds = folds.join(", "),
        cps = f.cycles_per_step,
        slow = f.slowest_cycles_per_step,
    )
}
