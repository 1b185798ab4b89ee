//! `qrnn.train()`: quantization-aware training and calibrated export, as `qrnn-hw train` runs it
//! (`qrnn_train::train::{prepare, train, export_trained}`, docs/TRAINING.md); the model is
//! returned, not written.
//!
//! Options arrive as one JSON object whose keys are the CLI's option names (`val_fraction` for
//! `--val-fraction`), defaults as there, unknown keys refused. An optional Python callable gets
//! each epoch's figures (the JSON of `EpochReport`); training runs without the GIL and takes it
//! only for that call. An exception raised by the callable is raised after training ends.

use crate::errors::{plain, Kind, OrPy};
use crate::import::{parse_opt, parse_serde, parse_threshold};
use crate::PyModel;
use pyo3::prelude::*;
use qrnn_model::{Cell, Scheme};
use qrnn_train::quant::{AlphaRule, QuantSpec, Reference};
use qrnn_train::train::data::{
    prepare, DataOptions, DataSpec, MovingRecord, Normalize, TextRecord,
};
use qrnn_train::train::net::Precision;
use qrnn_train::train::{export_trained, single_thread, EpochReport, Observer, TrainConfig};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;

/// The options of `qrnn-hw train`, by their CLI names; defaults as there.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TrainArgs {
    test: Option<PathBuf>,
    cell: String,
    hidden: usize,
    layers: usize,
    kernel: usize,
    quant: String,
    threshold: serde_json::Value,
    reference: String,
    alpha: String,
    per_row: bool,
    pow2: bool,
    stochastic: Option<u64>,
    quant_bias: bool,
    quant_head: bool,
    epochs: u32,
    lr: f64,
    batch: usize,
    seed: u64,
    patience: u32,
    val_fraction: f64,
    clip_norm: f64,
    checkpoint: Option<PathBuf>,
    resume: bool,
    name: String,
    text_len: usize,
    vocab: usize,
    embed_dim: usize,
    videos: usize,
    frames: usize,
    canvas: usize,
    stride: usize,
    normalize: String,
}

impl Default for TrainArgs {
    fn default() -> TrainArgs {
        // the library's defaults, as `qrnn-hw train` takes them
        let t = TextRecord::default();
        let mv = MovingRecord::default();
        let c = TrainConfig::default();
        TrainArgs {
            test: None,
            cell: "gru".into(),
            hidden: c.hidden,
            layers: c.layers,
            kernel: c.kernel,
            quant: "ternary".into(),
            threshold: json!("twn"),
            reference: "unit".into(),
            alpha: "l2".into(),
            per_row: false,
            pow2: false,
            stochastic: None,
            quant_bias: false,
            quant_head: false,
            epochs: c.epochs,
            lr: c.lr,
            batch: c.batch,
            seed: c.seed,
            patience: c.patience,
            val_fraction: c.val_fraction,
            clip_norm: c.clip_norm,
            checkpoint: None,
            resume: false,
            name: "trained".into(),
            text_len: t.len,
            vocab: t.max_words,
            embed_dim: t.embed_dim,
            videos: mv.train_videos,
            frames: mv.frames,
            canvas: mv.side,
            stride: 1,
            normalize: "series".into(),
        }
    }
}

/// Calls the Python callable with each epoch's figures; keeps the first exception it raises.
struct Progress {
    callback: Option<Py<PyAny>>,
    error: Option<PyErr>,
}

impl Observer for Progress {
    fn epoch_end(&mut self, r: &EpochReport) {
        let (Some(cb), None) = (&self.callback, &self.error) else {
            return;
        };
        let text = serde_json::to_string(r).unwrap_or_default();
        Python::with_gil(|py| {
            if let Err(e) = cb.call1(py, (text,)) {
                self.error = Some(e);
            }
        });
    }
}

fn option_err(m: impl Into<String>) -> PyErr {
    plain(Kind::Option, "qrnn::option", m)
}

/// `qrnn-hw train --data DATA …`: returns the exported model and the summary of `train --json`
/// (without `output` and `seconds`).
#[pyfunction]
#[pyo3(signature = (data, options="{}", progress=None))]
pub fn train(
    py: Python<'_>,
    data: &str,
    options: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<(PyModel, String)> {
    let a: TrainArgs =
        serde_json::from_str(options).map_err(|e| option_err(format!("train options: {e}")))?;
    let spec: DataSpec = data
        .parse()
        .map_err(|m: String| option_err(format!("data {data:?}: {m}")))?;
    qrnn_model::name::check_name("name", &a.name).or_py(Kind::Option)?;
    if a.test.is_some() && spec.is_named() {
        return Err(option_err(format!(
            "test is for a JSON training file; {spec} has its own test split"
        )));
    }
    if a.stride == 0 {
        return Err(option_err("stride 0: expected a number of timesteps ≥ 1"));
    }
    let cell = parse_opt::<Cell>("cell", &a.cell)?;
    let precision = if a.quant == "none" {
        Precision::Full
    } else {
        let scheme = match parse_opt::<Scheme>("quant", &a.quant)? {
            Scheme::Int(_) => {
                return Err(option_err(format!(
                    "quant {:?}: expected none, binary, ternary or quaternary",
                    a.quant
                )))
            }
            s => s,
        };
        Precision::Quant(QuantSpec {
            scheme,
            stochastic_seed: a.stochastic,
            threshold: parse_threshold(&a.threshold)?,
            reference: parse_serde::<Reference>("reference", &a.reference, "max or unit")?,
            alpha: parse_serde::<AlphaRule>("alpha", &a.alpha, "l2 or one")?,
            per_row: a.per_row,
            pow2: a.pow2,
            bias: a.quant_bias,
            head: a.quant_head,
        })
    };
    let opts = DataOptions {
        moving: MovingRecord {
            train_videos: a.videos,
            test_videos: a.videos.div_ceil(3),
            frames: a.frames,
            side: a.canvas,
            ..MovingRecord::default()
        },
        text: TextRecord {
            max_words: a.vocab,
            len: a.text_len,
            embed_dim: a.embed_dim,
            ..TextRecord::default()
        },
        test_file: a.test.clone(),
        stride: a.stride,
        normalize: parse_opt::<Normalize>("normalize", &a.normalize)?,
    };
    let cfg = TrainConfig {
        cell,
        hidden: a.hidden,
        layers: a.layers,
        kernel: a.kernel,
        precision,
        epochs: a.epochs,
        lr: a.lr,
        batch: a.batch,
        seed: a.seed,
        patience: a.patience,
        val_fraction: a.val_fraction,
        clip_norm: a.clip_norm,
        checkpoint: a.checkpoint.clone(),
        resume: a.resume,
    };
    let mut obs = Progress {
        callback: progress,
        error: None,
    };
    let name = a.name.clone();
    let result = py.allow_threads(|| {
        single_thread();
        let data = prepare(&spec, &opts).or_py(Kind::Data)?;
        qrnn_train::train::arch_of(&cfg, &data).or_py(Kind::Train)?;
        let trained = qrnn_train::train::train(&cfg, &data, &mut obs).or_py(Kind::Train)?;
        let ex = export_trained(&cfg, &data, &trained, &name).or_py(Kind::Train)?;
        let summary = json!({
            "hash": ex.model.hash(),
            "epochs": trained.epochs_run,
            "best_epoch": trained.best_epoch,
            "stopped_early": trained.stopped_early,
            "metrics": ex.metrics.values,
            "formats": {"x": ex.formats.x.to_string(), "pre": ex.formats.pre.to_string(),
                        "c": ex.formats.c.to_string(), "h": ex.formats.h.to_string(),
                        "out": ex.formats.out.to_string()},
        });
        Ok::<_, PyErr>((ex.model, summary.to_string()))
    });
    if let Some(e) = obs.error {
        return Err(e);
    }
    let (m, summary) = result?;
    Ok((PyModel { m }, summary))
}
