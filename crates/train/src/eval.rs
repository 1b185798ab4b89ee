//! `qrnn-hw eval` and the Python `Model.evaluate()`: the golden model (hardware-exact integers)
//! against the float reference on a data set — accuracy (classification: argmax of the last
//! timestep's outputs), MSE (regression, every timestep) or the deviation alone — as the JSON
//! object `qrnn-hw eval --json` prints. Named sources (`ucr:NAME`, …) are prepared as the model's
//! provenance records ([`crate::train::data_record_of`]); what a caller may want to say on the way
//! (another source than the model was trained on, each sequence's verdict) comes as [`Event`]s.

use crate::train::data::{options_of, prepare, DataSpec};
use crate::train::data_record_of;
use miette::{miette, Report};
use qrnn_golden::{float, output_to_f64, quantize_input};
use qrnn_model::data::{read_dataset, read_sequence, Dataset};
use qrnn_model::Model;
use serde_json::{json, Map, Value};
use std::path::Path;

/// What happens on the way, for a caller to report.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// The named source differs from the one the model's provenance records.
    OtherSource {
        /// The source the model was trained on.
        trained: &'a str,
        /// The source evaluated.
        evaluated: &'a str,
    },
    /// One labelled sequence: its index, label and the two predictions.
    Sequence {
        /// Index in the data set.
        index: usize,
        /// The label.
        label: usize,
        /// The golden model's class.
        golden: usize,
        /// The float reference's class.
        float: usize,
    },
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
fn outputs(m: &Model, seq: &[Vec<f64>], dev: &mut Dev) -> Result<(Series, Series), Report> {
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

/// The test split of a named source, prepared as the model's provenance records it.
fn named_test_split(
    m: &Model,
    spec: &DataSpec,
    on: &mut dyn FnMut(Event),
) -> Result<Dataset, Report> {
    let record = data_record_of(m);
    if let Some(r) = &record {
        let evaluated = spec.to_string();
        if r.spec != evaluated {
            on(Event::OtherSource {
                trained: &r.spec,
                evaluated: &evaluated,
            });
        }
    }
    let prepared = prepare(spec, &options_of(record.as_ref())?)?;
    let ds = prepared.test.to_eval()?;
    if let Some(w) = ds.sequences.first().and_then(|s| s.first()).map(Vec::len) {
        if w != m.input_len() {
            return Err(miette!(
                "{spec}: timesteps have {w} values, the model's input needs {}",
                m.input_len()
            ));
        }
    }
    Ok(ds)
}

/// `eval --data DATA --json`: a JSON data set file, a single sequence file (deviation only) or a
/// named source.
pub fn evaluate_spec(
    m: &Model,
    data: &Path,
    on: &mut dyn FnMut(Event),
) -> Result<Map<String, Value>, Report> {
    let spec = data
        .to_str()
        .and_then(|s| s.parse::<DataSpec>().ok())
        .filter(|s| s.is_named());
    if let Some(spec) = &spec {
        let ds = named_test_split(m, spec, on)?;
        return evaluate_dataset(m, &ds, &data.display().to_string(), on);
    }
    let is_set = data.extension().is_some_and(|e| e == "json")
        && std::fs::read_to_string(data).is_ok_and(|t| t.contains("\"sequences\""));
    if is_set {
        let ds = read_dataset(data, m.input_len())?;
        return evaluate_dataset(m, &ds, &data.display().to_string(), on);
    }
    let seq = read_sequence(data, m.input_len())?;
    let mut dev = Dev::default();
    outputs(m, &seq, &mut dev)?;
    let mut report = header(m);
    report.insert("task".into(), json!("deviation"));
    report.insert("sequences".into(), json!(1));
    finish(report, &dev, &data.display().to_string())
}

fn header(m: &Model) -> Map<String, Value> {
    let mut report = Map::new();
    report.insert("model".into(), json!(m.name));
    report.insert("hash".into(), json!(m.hash()));
    report
}

/// The figures of a data set in memory; `source` names it in messages. Without labels or targets
/// only the deviation is measured (task `deviation`).
pub fn evaluate_dataset(
    m: &Model,
    ds: &Dataset,
    source: &str,
    on: &mut dyn FnMut(Event),
) -> Result<Map<String, Value>, Report> {
    let n = ds.sequences.len();
    if n == 0 {
        return Err(miette!(
            code = "qrnn::eval::data",
            "{source}: the data set has no sequences"
        ));
    }
    let mut dev = Dev::default();
    let mut report = header(m);
    if let Some(labels) = &ds.labels {
        if labels.len() != n {
            return Err(miette!(
                code = "qrnn::data",
                "{source}: {} labels for {n} sequences",
                labels.len()
            ));
        }
        let classes = m.output_len();
        if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l >= classes) {
            return Err(miette!(
                code = "qrnn::eval::label",
                help = "labels are class indices 0..N-1, N being the model's outputs per timestep",
                "{source}: labels[{i}] is {l}, but the model has {classes} outputs (classes 0..={})",
                classes - 1
            ));
        }
        let (mut cg, mut cf, mut agree) = (0usize, 0usize, 0usize);
        for (index, (seq, label)) in ds.sequences.iter().zip(labels).enumerate() {
            let (g, f) = outputs(m, seq, &mut dev)?;
            let pg = argmax(g.last().into_iter().flatten().copied());
            let pf = argmax(f.last().into_iter().flatten().copied());
            on(Event::Sequence {
                index,
                label: *label,
                golden: pg,
                float: pf,
            });
            cg += usize::from(pg == *label);
            cf += usize::from(pf == *label);
            agree += usize::from(pg == pf);
        }
        report.insert("task".into(), json!("classification"));
        report.insert("sequences".into(), json!(n));
        report.insert("golden_accuracy".into(), json!(cg as f64 / n as f64));
        report.insert("float_accuracy".into(), json!(cf as f64 / n as f64));
        report.insert("agreement".into(), json!(agree as f64 / n as f64));
    } else if let Some(targets) = &ds.targets {
        if targets.len() != n {
            return Err(miette!(
                code = "qrnn::data",
                "{source}: {} targets for {n} sequences",
                targets.len()
            ));
        }
        let (mut sg, mut sf, mut cnt) = (0f64, 0f64, 0usize);
        for (i, (seq, tgt)) in ds.sequences.iter().zip(targets).enumerate() {
            let (g, f) = outputs(m, seq, &mut dev)?;
            if tgt.len() != g.len() || tgt.iter().any(|r| r.len() != m.output_len()) {
                return Err(miette!(
                    "{source}: targets[{i}] must have {} timesteps of {} values",
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
            return Err(miette!(
                code = "qrnn::eval::not_finite",
                help = "targets are in the model's output units; values this large overflow a squared error",
                "{source}: the mean squared error is not finite (golden {sg}, float {sf}): a target is too large"
            ));
        }
        report.insert("task".into(), json!("regression"));
        report.insert("sequences".into(), json!(n));
        report.insert("golden_mse".into(), json!(sg / cnt as f64));
        report.insert("float_mse".into(), json!(sf / cnt as f64));
    } else {
        for seq in &ds.sequences {
            outputs(m, seq, &mut dev)?;
        }
        report.insert("task".into(), json!("deviation"));
        report.insert("sequences".into(), json!(n));
    }
    finish(report, &dev, source)
}

/// Add the deviation figures; refuse a figure that is not a finite number.
fn finish(
    mut report: Map<String, Value>,
    dev: &Dev,
    source: &str,
) -> Result<Map<String, Value>, Report> {
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
        return Err(miette!(
            code = "qrnn::eval::not_finite",
            "{source}: the figure {k} is not a finite number ({v})"
        ));
    }
    Ok(report)
}
