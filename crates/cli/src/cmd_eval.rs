//! `qrnn-hw eval MODEL --data FILE`: the golden model (hardware-exact integers) against the float
//! reference on a data set: accuracy (classification, argmax of the last timestep's outputs) or
//! MSE (regression, every timestep), and the deviation of the integer outputs from the float ones.
//! The figures are [`qrnn_train::eval`]'s (which the Python bindings call too); this prints them.

use crate::{util, Ctx};
use miette::{IntoDiagnostic, Result};
use qrnn_train::eval::Event;
use qrnn_train::train::data::DataSpec;
use std::path::PathBuf;

/// Arguments of `eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file (.qw or .qw.toml).
    model: PathBuf,
    /// Data: a JSON data set ({"sequences": [...], "labels": [...]} or "targets"), one input
    /// sequence (.json/.csv/.npy) to measure only the deviation, or a named source of
    /// `qrnn-hw train` (`ucr:NAME`, `digits-moving`, `rt-sentiment`, `imdb:DIR`): its test split,
    /// prepared as recorded in the model's provenance.
    #[arg(short, long)]
    data: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Run `eval`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    let m = util::load_model(ctx, &a.model)?;
    let spec = a
        .data
        .to_str()
        .and_then(|s| s.parse::<DataSpec>().ok())
        .filter(|s| s.is_named());
    if spec.is_none() {
        ctx.budget.input_file(&a.data)?;
    }
    let report = qrnn_train::eval::evaluate_spec(&m, &a.data, &mut |e| match e {
        Event::OtherSource { trained, evaluated } => {
            note!(
                "note: {} was trained on {trained}; evaluating on {evaluated}",
                m.name
            )
        }
        Event::Sequence {
            index,
            label,
            golden,
            float,
        } if ctx.verbose > 0 => {
            note!("sequence {index}: label {label}, golden {golden}, float {float}")
        }
        Event::Sequence { .. } => {}
    })?;
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).into_diagnostic()?
        );
        return Ok(());
    }
    outln!("model {} ({})", m.name, &m.hash()[..16]);
    for (k, v) in &report {
        if k == "model" || k == "hash" {
            continue;
        }
        match v.as_f64() {
            Some(x) if v.is_f64() => outln!("  {k:<20} {x:.6}"),
            _ => outln!(
                "  {k:<20} {}",
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            ),
        }
    }
    Ok(())
}
