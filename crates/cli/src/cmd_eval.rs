//! `qrnn-hw eval MODEL --data FILE`: the golden model (hardware-exact integers) against the float
//! reference on a data set: accuracy (classification, argmax of the last timestep's outputs) or
//! MSE (regression, every timestep), and the deviation of the integer outputs from the float ones.

use crate::{util, Ctx};
use miette::{IntoDiagnostic, Result};
use qrnn_golden::{float, output_to_f64, quantize_input};
use qrnn_model::data::{read_dataset, read_sequence};
use qrnn_model::Model;
use qrnn_train::train::data::{options_of, prepare, DataSpec};
use qrnn_train::train::data_record_of;
use serde_json::json;
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

/// Deviation statistics of golden (real values) against float.
#[derive(Default)]
struct Dev {
    max: f64,
    sum: f64,
    n: usize,
}

fn argmax(v: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, x) in v.enumerate() {
        if x > best.1 {
            best = (i, x);
        }
    }
    best.0
}

/// Real values per timestep.
type Series = Vec<Vec<f64>>;

/// Golden (as reals) and float outputs of one sequence; adds their differences to `dev`.
fn outputs(m: &Model, seq: &[Vec<f64>], dev: &mut Dev) -> Result<(Series, Series)> {
    let outs = qrnn_golden::run_outputs(m, &quantize_input(m, seq))?;
    let g: Series = outs
        .iter()
        .map(|o| o.iter().map(|q| output_to_f64(m, *q)).collect())
        .collect();
    let f = float::run(m, seq);
    for (a, b) in g.iter().flatten().zip(f.iter().flatten()) {
        let d = (a - b).abs();
        dev.max = dev.max.max(d);
        dev.sum += d;
        dev.n += 1;
    }
    Ok((g, f))
}

/// The test split of a named source, prepared as the model's provenance records it (or with
/// the defaults of `qrnn-hw train` when the model has no such record).
fn named_test_split(m: &Model, spec: &DataSpec) -> Result<qrnn_model::data::Dataset> {
    let record = data_record_of(m);
    if let Some(r) = &record {
        if r.spec != spec.to_string() {
            note!(
                "note: {} was trained on {}; evaluating on {spec}",
                m.name,
                r.spec
            );
        }
    }
    let prepared = prepare(spec, &options_of(record.as_ref())?)?;
    let ds = prepared.test.to_eval()?;
    if let Some(w) = ds.sequences.first().and_then(|s| s.first()).map(Vec::len) {
        if w != m.input_len() {
            return Err(miette::miette!(
                "{spec}: timesteps have {w} values, the model's input needs {}",
                m.input_len()
            ));
        }
    }
    Ok(ds)
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
    let text = match spec {
        Some(_) => String::new(),
        None => std::fs::read_to_string(&a.data).unwrap_or_default(),
    };
    let is_dataset = spec.is_some()
        || a.data.extension().is_some_and(|e| e == "json") && text.contains("\"sequences\"");
    let mut dev = Dev::default();
    let mut report = serde_json::Map::new();
    report.insert("model".into(), json!(m.name));
    report.insert("hash".into(), json!(m.hash()));
    if is_dataset {
        let ds = match &spec {
            Some(spec) => named_test_split(&m, spec)?,
            None => read_dataset(&a.data, m.input_len())?,
        };
        let n = ds.sequences.len();
        if n == 0 {
            return Err(miette::miette!(
                code = "qrnn::eval::data",
                "{}: the data set has no sequences",
                a.data.display()
            ));
        }
        if let Some(labels) = &ds.labels {
            let classes = m.output_len();
            if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l >= classes) {
                return Err(miette::miette!(
                    code = "qrnn::eval::label",
                    help =
                        "labels are class indices 0..N-1, N being the model's outputs per timestep",
                    "{}: labels[{i}] is {l}, but the model has {classes} outputs (classes 0..={})",
                    a.data.display(),
                    classes - 1
                ));
            }
            let (mut cg, mut cf, mut agree) = (0usize, 0usize, 0usize);
            for (i, (seq, label)) in ds.sequences.iter().zip(labels).enumerate() {
                let (g, f) = outputs(&m, seq, &mut dev)?;
                let pg = argmax(g.last().into_iter().flatten().copied());
                let pf = argmax(f.last().into_iter().flatten().copied());
                cg += usize::from(pg == *label);
                cf += usize::from(pf == *label);
                agree += usize::from(pg == pf);
                if ctx.verbose > 0 {
                    note!("sequence {i}: label {label}, golden {pg}, float {pf}");
                }
            }
            report.insert("task".into(), json!("classification"));
            report.insert("sequences".into(), json!(n));
            report.insert("golden_accuracy".into(), json!(cg as f64 / n as f64));
            report.insert("float_accuracy".into(), json!(cf as f64 / n as f64));
            report.insert("agreement".into(), json!(agree as f64 / n as f64));
        } else if let Some(targets) = &ds.targets {
            let (mut sg, mut sf, mut cnt) = (0f64, 0f64, 0usize);
            for (i, (seq, tgt)) in ds.sequences.iter().zip(targets).enumerate() {
                let (g, f) = outputs(&m, seq, &mut dev)?;
                if tgt.len() != g.len() || tgt.iter().any(|r| r.len() != m.output_len()) {
                    return Err(miette::miette!(
                        "{}: targets[{i}] must have {} timesteps of {} values",
                        a.data.display(),
                        g.len(),
                        m.output_len()
                    ));
                }
                for ((gr, fr), tr) in g.iter().zip(&f).zip(tgt) {
                    for ((x, y), t) in gr.iter().zip(fr).zip(tr) {
                        sg += (x - t).powi(2);
                        sf += (y - t).powi(2);
                        cnt += 1;
                    }
                }
            }
            if !(sg.is_finite() && sf.is_finite()) {
                return Err(miette::miette!(
                    code = "qrnn::eval::not_finite",
                    help = "targets are in the model's output units; values this large overflow a squared error",
                    "{}: the mean squared error is not finite (golden {sg}, float {sf}): a target is too large",
                    a.data.display()
                ));
            }
            report.insert("task".into(), json!("regression"));
            report.insert("sequences".into(), json!(n));
            report.insert("golden_mse".into(), json!(sg / cnt as f64));
            report.insert("float_mse".into(), json!(sf / cnt as f64));
        }
    } else {
        let seq = read_sequence(&a.data, m.input_len())?;
        outputs(&m, &seq, &mut dev)?;
        report.insert("task".into(), json!("deviation"));
        report.insert("sequences".into(), json!(1));
    }
    report.insert("max_abs_deviation".into(), json!(dev.max));
    report.insert(
        "mean_abs_deviation".into(),
        json!(if dev.n > 0 {
            dev.sum / dev.n as f64
        } else {
            0.0
        }),
    );
    if let Some((k, v)) = report
        .iter()
        .find(|(_, v)| v.is_null() || v.as_f64().is_some_and(|x| !x.is_finite()))
    {
        return Err(miette::miette!(
            code = "qrnn::eval::not_finite",
            "{}: the figure {k} is not a finite number ({v})",
            a.data.display()
        ));
    }
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
