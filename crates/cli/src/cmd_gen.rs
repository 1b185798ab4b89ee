//! `qrnn-hw gen MODEL --target ice40 -o DIR`: generate a self-contained hardware project:
//! Verilog and ROM files (`rtl/`), the testbench with stimulus and expected vectors from the golden
//! model (`sim/`), `Makefile` (sim, lint), `qrnn.json` (manifest, cycle prediction), `README.md`.
//!
//! The project is written into a temporary directory beside DIR and renamed into place, so an
//! existing DIR is never half-overwritten (it is replaced only with `--force`).

use crate::Ctx;
use miette::{miette, IntoDiagnostic, Result, WrapErr};
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
    /// Output directory (default: MODEL's name with `-hw`).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    force: bool,
    /// Folding per engine, `ENGINE=PxS` (P rows × S columns per cycle); ENGINE is layer0, layer1,
    /// …, or head; `all=PxS` sets every engine. Repeatable.
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
    /// Lengths of the test sequences the golden model writes into sim/ (comma list).
    #[arg(long, value_delimiter = ',', default_value = "5,1,3")]
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

/// Run `gen`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    if a.list_passes {
        println!("lower            model → engines with shapes, formats, biases, tables, ranges");
        for p in PIPELINE {
            println!("{:<16} {}", p.name, p.description);
        }
        return Ok(());
    }
    let model_path = a
        .model
        .clone()
        .ok_or_else(|| miette!("give a model file: qrnn-hw gen MODEL.qw"))?;
    let model = crate::util::load_model(&model_path)?;
    let board = match &a.board {
        Some(b) => Some(qrnn_fpga::find_board(b)?),
        None => None,
    };
    let target = match (&a.target, &board) {
        (Some(t), Some(b)) if *t != b.family.to_string() => {
            return Err(miette!(
                code = "qrnn::gen::target",
                help = "leave --target out: the board decides the family",
                "--target {t} does not match board `{}`, which is {}",
                b.name,
                b.family
            ))
        }
        (_, Some(b)) => b.family.to_string(),
        (Some(t), None) => t.clone(),
        (None, None) => "ice40".to_string(),
    };
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
            for l in 0..model.layers.len() {
                opts.folds.insert(format!("layer{l}"), fold);
            }
            if model.head.is_some() {
                opts.folds.insert("head".into(), fold);
            }
        } else {
            opts.folds.insert(e, fold);
        }
    }
    if let Some(p) = &a.dump_ir_after {
        if p != "all" && !pass_names().contains(&p.as_str()) {
            return Err(miette!(
                "--dump-ir-after {p:?}: the passes are {} (or all)",
                pass_names().join(", ")
            ));
        }
    }
    let dump = a.dump_ir_after.clone();
    let mut g = qrnn_rtl::generate(&model, &opts, |name, d| {
        if dump.as_deref() == Some("all") || dump.as_deref() == Some(name) {
            eprintln!("== IR after {name}\n{d}");
        }
    })
    .map_err(|e| {
        miette!(
            code = "qrnn::gen",
            "{}: cannot generate hardware: {e}",
            model_path.display()
        )
    })?;
    if a.sim_steps.is_empty() || a.sim_steps.contains(&0) {
        return Err(miette!("--sim-steps needs positive sequence lengths"));
    }
    if let Some(b) = &board {
        g.manifest.board = Some(b.name.clone());
        g.manifest.device = Some(b.device.clone());
        g.manifest.package = Some(b.package.clone());
    }
    let stim = Stimulus::random(&model, &a.sim_steps, a.seed);
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
    write_project(&out, &files, a.force)?;
    if !ctx.quiet {
        eprintln!(
            "wrote {} ({} files): {} cycles per timestep; run `make -C {} sim`",
            out.display(),
            files.len(),
            g.manifest.cycles_per_step,
            out.display()
        );
    }
    Ok(())
}

/// Write all files into a fresh temporary directory beside `out`, then rename it into place.
fn write_project(out: &Path, files: &[(String, String)], force: bool) -> Result<()> {
    if out.exists() && !force {
        let empty = out
            .read_dir()
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(miette!(
                code = "qrnn::gen::exists",
                help = "choose another -o directory, or pass --force to replace it",
                "{} already exists and is not empty",
                out.display()
            ));
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .into_diagnostic()
        .wrap_err_with(|| format!("creating {}", parent.display()))?;
    let name = out
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
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
        if out.exists() {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(out, &old)
                .into_diagnostic()
                .wrap_err_with(|| format!("moving the old {} aside", out.display()))?;
            std::fs::rename(&tmp, out)
                .into_diagnostic()
                .wrap_err_with(|| format!("renaming into {}", out.display()))?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&tmp, out)
                .into_diagnostic()
                .wrap_err_with(|| format!("renaming into {}", out.display()))?;
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
        "# {name} — generated hardware\n\n\
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
written by the golden model, and `sim/golden_trace.txt` (every named value of every timestep).\n",
        name = m.model_name,
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
