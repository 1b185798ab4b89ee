//! `Model.generate()`: a hardware project, as `qrnn-hw gen` writes it — through `qrnn-project`
//! (`plan`, `assemble`, `write`: the one assembler every co-simulation test uses), with the same
//! default stimulus and seed, so the same model and options give byte-identical files.
//!
//! What is not here: `--list-passes`, `--dump-ir-after`, and the `--max-memory`/`--max-output`
//! budgets (the CLI's `budget` module). The options are resolved and checked by
//! `qrnn_project::options::request`, as the CLI's are.

use miette::{miette, Report};
use qrnn_model::Model;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::Family;
use qrnn_sim::Stimulus;
use serde_json::{json, Value};
use std::path::Path;

/// The options of `gen`, by their CLI names.
pub struct GenOptions {
    /// `--target`: ice40, ecp5 or gowin.
    pub target: Option<String>,
    /// `--board`.
    pub board: Option<String>,
    /// `--device`.
    pub device: Option<String>,
    /// `--fit`.
    pub fit: bool,
    /// `--allow-overfit`.
    pub allow_overfit: bool,
    /// `--fold ENGINE=PxS`, repeated.
    pub fold: Vec<String>,
    /// `--weights`.
    pub weights: String,
    /// `--place NAME=KIND`, repeated.
    pub place: Vec<String>,
    /// `--pipeline`.
    pub pipeline: Option<String>,
    /// `--target-rate`.
    pub target_rate: Option<f64>,
    /// `--clock-mhz`.
    pub clock_mhz: Option<f64>,
    /// `--sim-steps` (empty: the default stimulus).
    pub sim_steps: Vec<usize>,
    /// `--seed`.
    pub seed: u64,
    /// `--force`.
    pub force: bool,
}

/// Generate and write the project; returns the summary the CLI prints, as JSON.
pub fn generate(model: &Model, out: &Path, o: &GenOptions) -> Result<Value, Report> {
    let target = o
        .target
        .as_deref()
        .map(|t| {
            t.parse::<Family>()
                .map_err(|m| miette!(code = "qrnn::gen::target", "target {t:?}: {m}"))
        })
        .transpose()?;
    let weights: WeightsMode = o
        .weights
        .parse()
        .map_err(|m| miette!(code = "qrnn::gen::place", "weights {:?}: {m}", o.weights))?;
    // the CLI's resolution and checks, in one place (their messages name the CLI's options)
    let req = qrnn_project::options::request(&qrnn_project::options::Choices {
        target,
        board: o.board.as_deref(),
        device: o.device.as_deref(),
        fit: o.fit,
        allow_overfit: o.allow_overfit,
        fold: &o.fold,
        weights,
        place: &o.place,
        pipeline: o.pipeline.as_deref(),
        target_rate: o.target_rate,
        clock_mhz: o.clock_mhz,
    })?;
    let clock = req.core_clock()?;
    if o.sim_steps.contains(&0) {
        return Err(miette!("sim_steps needs positive sequence lengths"));
    }
    let planned = qrnn_project::plan(model, &req, |_, _| {})?;
    let mut notes = Vec::new();
    let table = if let Some(f) = &planned.fit {
        Some(f.table())
    } else if let Some(f) = &planned.feasibility {
        if !f.fits() {
            notes.push(format!(
                "warning: allow_overfit: the design needs {}; it will not place",
                f.overrun_text()
            ));
        }
        Some(f.table())
    } else {
        None
    };
    let stim = if o.sim_steps.is_empty() {
        Stimulus::default_for(model, o.seed)
    } else {
        Stimulus::random(model, &o.sim_steps, o.seed)
    };
    let project = qrnn_project::assemble(model, &req, planned, &stim)?;
    let written = qrnn_project::write(out, &project.files, o.force)?;
    for p in &written.removed {
        notes.push(format!(
            "removed {}, left by an interrupted run",
            p.display()
        ));
    }
    notes.extend(written.warnings.iter().map(|w| format!("warning: {w}")));
    if let Some(pll) = &clock {
        notes.push(format!(
            "core clock {} MHz (requested {} MHz): {}",
            qrnn_fpga::pll::fmt_mhz(pll.out_mhz()),
            qrnn_fpga::pll::fmt_mhz(pll.requested_mhz),
            pll.summary()
        ));
    }
    let manifest = serde_json::to_value(&project.manifest)
        .map_err(|e| miette!(code = "qrnn::internal", "internal error: qrnn.json: {e}"))?;
    Ok(json!({
        "output": out.display().to_string(),
        "files": project.files.iter().map(|f| &f.0).collect::<Vec<_>>(),
        "manifest": manifest,
        "table": table,
        "notes": notes,
    }))
}
