//! `qrnn-hw run MODEL --input SEQ`: one sequence through the golden model; prints the outputs of
//! every timestep (integers and their real values), optionally the float reference beside them,
//! and writes the full per-timestep trace as JSON or NPY.

use crate::{util, Ctx};
use miette::{IntoDiagnostic, Result};
use qrnn_golden::{float, output_to_f64, quantize_input, Run};
use qrnn_model::data::{npy_f64, read_sequence};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Arguments of `run`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file (.qw or .qw.toml).
    model: PathBuf,
    /// Input sequence: .json ([[...], ...] one array per timestep), .csv (one timestep per line)
    /// or .npy ([timesteps, values]).
    #[arg(short, long)]
    input: PathBuf,
    /// The input holds integers already in the model's input format (no quantization).
    #[arg(long)]
    raw: bool,
    /// Also run the float reference and print its outputs and the deviation.
    #[arg(long)]
    float: bool,
    /// Write the full trace: .json (every named value per layer and timestep) or .npy (integers,
    /// one row per timestep, columns as documented in docs/CLI.md).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print the outputs as JSON.
    #[arg(long)]
    json: bool,
}

/// Run `run`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    let m = util::load_model(&a.model)?;
    let seq = read_sequence(&a.input, m.input_len())?;
    let xq: Vec<Vec<i64>> = if a.raw {
        seq.iter()
            .enumerate()
            .map(|(t, row)| {
                row.iter()
                    .enumerate()
                    .map(|(j, v)| {
                        if v.fract() != 0.0 || v.abs() > 1e15 {
                            Err(miette::miette!(
                                "{}: --raw input timestep {t}, value {j} is {v}, not an integer",
                                a.input.display()
                            ))
                        } else {
                            Ok(*v as i64)
                        }
                    })
                    .collect::<Result<Vec<i64>>>()
            })
            .collect::<Result<_>>()?
    } else {
        quantize_input(&m, &seq)
    };
    let run = qrnn_golden::run(&m, &xq)?;
    let fl = if a.float {
        let real: Vec<Vec<f64>> = if a.raw {
            xq.iter()
                .map(|r| r.iter().map(|q| m.input.format.to_f64(*q)).collect())
                .collect()
        } else {
            seq.clone()
        };
        Some(float::run(&m, &real))
    } else {
        None
    };
    if let Some(p) = &a.trace {
        write_trace(p, &run)?;
        if !ctx.quiet {
            eprintln!("wrote trace {}", p.display());
        }
    }
    if a.json {
        let v = json!({
            "model": m.name, "hash": m.hash(),
            "outputs": run.outputs,
            "outputs_real": run.outputs.iter().map(|o| o.iter().map(|q| output_to_f64(&m, *q)).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "float": fl,
        });
        println!("{}", serde_json::to_string_pretty(&v).into_diagnostic()?);
        return Ok(());
    }
    if !ctx.quiet {
        eprintln!(
            "{}: {} timesteps, {} outputs each",
            m.name,
            run.outputs.len(),
            m.output_len()
        );
    }
    let mut maxdev = 0f64;
    for (t, out) in run.outputs.iter().enumerate() {
        let ints = out
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let reals = out
            .iter()
            .map(|q| format!("{:.4}", output_to_f64(&m, *q)))
            .collect::<Vec<_>>()
            .join(" ");
        println!("t={t:<4} int [{ints}]");
        println!("       real [{reals}]");
        if let Some(f) = &fl {
            let fr = f[t]
                .iter()
                .map(|v| format!("{v:.4}"))
                .collect::<Vec<_>>()
                .join(" ");
            println!("      float [{fr}]");
            for (q, v) in out.iter().zip(&f[t]) {
                maxdev = maxdev.max((output_to_f64(&m, *q) - v).abs());
            }
        }
    }
    if fl.is_some() {
        println!("max |golden - float| = {maxdev:.6}");
    }
    Ok(())
}

/// The integer trace of one timestep flattened in the documented column order: for each layer
/// `pre, gates, [hn], [c], [tanh_c], h`, then the head outputs.
fn flat_row(st: &qrnn_golden::StepTrace) -> Vec<f64> {
    let mut row = Vec::new();
    for l in &st.layers {
        row.extend(l.pre.iter().map(|v| *v as f64));
        row.extend(l.gates.iter().map(|v| *v as f64));
        for o in [&l.hn, &l.c, &l.tanh_c].into_iter().flatten() {
            row.extend(o.iter().map(|v| *v as f64));
        }
        row.extend(l.h.iter().map(|v| *v as f64));
    }
    if let Some(h) = &st.head {
        row.extend(h.iter().map(|v| *v as f64));
    }
    row
}

fn write_trace(p: &Path, run: &Run) -> Result<()> {
    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
    let bytes = match ext {
        "npy" => npy_f64(&run.trace.iter().map(flat_row).collect::<Vec<_>>()),
        "json" => serde_json::to_vec_pretty(&run.trace).into_diagnostic()?,
        _ => {
            return Err(miette::miette!(
                "{}: trace files are .json or .npy",
                p.display()
            ))
        }
    };
    util::write_out(p, &bytes)
}
