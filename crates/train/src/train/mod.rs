//! Quantization-aware training (`qrnn-hw train`, docs/TRAINING.md): LSTM, GRU and ConvLSTM
//! stacks with a dense head, trained with Adam in candle (CPU, `f32`) with weights quantized in
//! every forward pass by [`crate::quant`] through the straight-through estimator, then exported
//! as a `.qw` with calibrated formats by [`crate::import::build_model_with`].
//!
//! Reproducibility: initialisation, validation split and per-epoch shuffles come from SplitMix64
//! (seeded from `seed`); Adam runs on the host in a fixed order; candle's CPU kernels are run on
//! one thread ([`single_thread`]) so that every reduction has one fixed order. The same seed and
//! options give bit-identical weights, and a run resumed from its checkpoint continues exactly as
//! the uninterrupted run would have.

pub mod adam;
pub mod checkpoint;
pub mod data;
pub mod export;
pub mod net;

use crate::quant::{self, QuantSpec};
use adam::Adam;
use candle_core::{Device, Tensor, Var};
use checkpoint::{CheckpointError, State};
use data::{Prepared, TaskKind};
use export::{inputs, value_tensors, ExportError, TestMetrics};
use net::{
    batch_tensor, cross_entropy, forward, forward_values, mse, Arch, Params, Precision, Stats,
};
use qrnn_model::example::{Formats, Rng};
use qrnn_model::{Cell, Model};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Everything a run is configured with.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Cell of every layer.
    pub cell: Cell,
    /// Hidden size (channels) of every layer.
    pub hidden: usize,
    /// Layers.
    pub layers: usize,
    /// ConvLSTM kernel side.
    pub kernel: usize,
    /// Full precision or a quantization spec.
    pub precision: Precision,
    /// Most epochs.
    pub epochs: u32,
    /// Adam's learning rate.
    pub lr: f64,
    /// Sequences per batch.
    pub batch: usize,
    /// Seed of initialisation, split and shuffles.
    pub seed: u64,
    /// Stop after this many epochs without a better validation loss (0: never).
    pub patience: u32,
    /// Fraction of the training sequences held out for validation.
    pub val_fraction: f64,
    /// Clip the global gradient norm to this (0: no clipping).
    pub clip_norm: f64,
    /// Checkpoint directory.
    pub checkpoint: Option<PathBuf>,
    /// Continue from `checkpoint/last.safetensors`.
    pub resume: bool,
}

impl Default for TrainConfig {
    fn default() -> TrainConfig {
        TrainConfig {
            cell: Cell::Gru,
            hidden: 8,
            layers: 1,
            kernel: 3,
            precision: Precision::Quant(training_spec(qrnn_model::Scheme::Ternary)),
            epochs: 30,
            lr: 0.01,
            batch: 16,
            seed: 1,
            patience: 8,
            val_fraction: 0.2,
            clip_norm: 5.0,
            checkpoint: None,
            resume: false,
        }
    }
}

/// The default training spec of a scheme: [`QuantSpec::new`] with the paper's reference scale
/// `r = 1` (shadow weights live in [-1, 1], docs/QUANTIZATION.md §4).
pub fn training_spec(scheme: qrnn_model::Scheme) -> QuantSpec {
    QuantSpec {
        reference: quant::Reference::Unit,
        ..QuantSpec::new(scheme)
    }
}

/// Why training failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TrainError {
    /// Options that do not fit the data or each other.
    #[error("{0}")]
    #[diagnostic(code(qrnn::train::options))]
    Options(String),
    /// Quantization failed (a weight became non-finite: training diverged).
    #[error("quantizing `{tensor}`: {source}")]
    #[diagnostic(
        code(qrnn::train::quant),
        help("training diverged; try a smaller --lr")
    )]
    Quant {
        /// The tensor.
        tensor: String,
        /// The quantizer's error.
        source: quant::QuantError,
    },
    /// A checkpoint problem.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Export or measurement.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Export(#[from] ExportError),
    /// candle failed.
    #[error("internal error in the training graph: {0}")]
    #[diagnostic(code(qrnn::train::candle))]
    Candle(#[from] candle_core::Error),
}

/// Figures of one epoch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: u32,
    /// Most epochs.
    pub epochs: u32,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Validation loss (training loss when there is no validation split).
    pub val_loss: f64,
    /// Validation accuracy (classification) or MSE.
    pub val_metric: f64,
    /// Whether this epoch is the best so far.
    pub best: bool,
    /// Wall time of the epoch.
    pub seconds: f64,
}

/// What a caller sees while training runs (a progress bar, a log).
pub trait Observer {
    /// The epoch starts with `batches` batches.
    fn epoch_start(&mut self, _epoch: u32, _batches: usize) {}
    /// A batch is done, with its loss.
    fn batch(&mut self, _done: usize, _loss: f64) {}
    /// The epoch is done.
    fn epoch_end(&mut self, _r: &EpochReport) {}
}

/// An observer that does nothing.
pub struct Silent;
impl Observer for Silent {}

/// The result of training.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The best shadow weights (lowest validation loss).
    pub best: Params,
    /// Per-epoch figures of this process (a resumed run has the earlier ones in `history`).
    pub reports: Vec<EpochReport>,
    /// (train loss, val loss, val metric) of every epoch, resumed ones included.
    pub history: Vec<(f64, f64, f64)>,
    /// The best epoch (1-based).
    pub best_epoch: u32,
    /// Epochs completed.
    pub epochs_run: u32,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
}

/// Make candle's CPU kernels single-threaded (`RAYON_NUM_THREADS=1` before its first use), so
/// that their reductions have one order, unless the variable is already set. Call before the first
/// candle operation of the process (later calls have no effect on an already built pool).
pub fn single_thread() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
}

/// The architecture a config gives for prepared data.
pub fn arch_of(cfg: &TrainConfig, data: &Prepared) -> Result<Arch, TrainError> {
    let conv = cfg.cell == Cell::ConvLstm;
    if conv != (data.kind == TaskKind::Frames) {
        return Err(TrainError::Options(if conv {
            format!(
                "--cell convlstm needs frames (digits-moving); {} is {}",
                data.record.spec, data.record.task
            )
        } else {
            format!(
                "{} is a frame-prediction task: use --cell convlstm",
                data.record.spec
            )
        }));
    }
    if cfg.hidden == 0 || cfg.layers == 0 || cfg.batch == 0 || cfg.epochs == 0 {
        return Err(TrainError::Options(
            "--hidden, --layers, --batch and --epochs must be at least 1".into(),
        ));
    }
    if conv && cfg.kernel & 1 == 0 {
        return Err(TrainError::Options(format!(
            "--kernel {} must be odd",
            cfg.kernel
        )));
    }
    if !(cfg.lr > 0.0 && cfg.lr.is_finite()) {
        return Err(TrainError::Options(format!(
            "--lr {} must be a positive number",
            cfg.lr
        )));
    }
    if !(0.0..1.0).contains(&cfg.val_fraction) {
        return Err(TrainError::Options(format!(
            "--val-fraction {} must be in [0, 1)",
            cfg.val_fraction
        )));
    }
    if let Precision::Quant(s) = &cfg.precision {
        s.validate()
            .map_err(|e| TrainError::Options(format!("quantization options: {e}")))?;
    }
    Ok(Arch {
        cell: cfg.cell,
        input: data.input_size,
        hidden: vec![cfg.hidden; cfg.layers],
        kernel: if conv { cfg.kernel } else { 1 },
        map: data.map,
        outputs: data.outputs,
    })
}

/// A string that identifies a run (a checkpoint is resumed only by the same run).
fn identity(cfg: &TrainConfig, data: &Prepared, arch: &Arch) -> String {
    format!(
        "{arch:?} {:?} data={:?} lr={} batch={} seed={} val={} clip={}",
        cfg.precision, data.record, cfg.lr, cfg.batch, cfg.seed, cfg.val_fraction, cfg.clip_norm
    )
}

/// Batches of an epoch: the indices shuffled with SplitMix64(`seed` XOR epoch·constant), grouped
/// by sequence length (a batch holds sequences of one length), cut into batches of `size`, and
/// the batches shuffled again.
pub fn epoch_batches(
    ds: &crate::datasets::Dataset,
    idx: &[usize],
    size: usize,
    seed: u64,
    epoch: u32,
) -> Vec<Vec<usize>> {
    let mut rng = Rng::new(seed ^ (epoch as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut order = idx.to_vec();
    data::shuffle(&mut order, &mut rng);
    let mut by_len: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in order {
        by_len.entry(ds.sequences[i].len()).or_default().push(i);
    }
    let mut batches: Vec<Vec<usize>> = by_len
        .values()
        .flat_map(|v| v.chunks(size).map(<[usize]>::to_vec))
        .collect();
    data::shuffle(&mut batches, &mut rng);
    batches
}

/// Per-timestep tensors of the targets of `idx` (frames / regression).
fn target_tensors(
    ds: &crate::datasets::Dataset,
    idx: &[usize],
    dev: &Device,
) -> candle_core::Result<Vec<Tensor>> {
    let crate::datasets::Task::Sequence { targets } = &ds.task else {
        return Ok(Vec::new());
    };
    let t = targets[idx[0]].len();
    (0..t)
        .map(|s| {
            let rows: Vec<&[f64]> = idx.iter().map(|&i| &targets[i][s][..]).collect();
            batch_tensor(&rows, dev)
        })
        .collect()
}

fn label_tensor(
    ds: &crate::datasets::Dataset,
    idx: &[usize],
    dev: &Device,
) -> candle_core::Result<Option<Tensor>> {
    Ok(match ds.labels() {
        Some(l) => {
            let v: Vec<u32> = idx.iter().map(|&i| l[i] as u32).collect();
            Some(Tensor::from_vec(v, idx.len(), dev)?)
        }
        None => None,
    })
}

/// Loss (and, for classification, the correct count) of one batch.
fn batch_loss(
    arch: &Arch,
    w: &[Tensor],
    ds: &crate::datasets::Dataset,
    idx: &[usize],
    kind: TaskKind,
    dev: &Device,
) -> candle_core::Result<(Tensor, usize)> {
    let xs = inputs(ds, idx, dev)?;
    match kind {
        TaskKind::Classification => {
            let outs = forward(arch, w, &xs, false, None)?;
            let logits = outs.last().expect("one output");
            let labels = label_tensor(ds, idx, dev)?.expect("classification has labels");
            let pred = logits.argmax(1)?.to_vec1::<u32>()?;
            let lab = labels.to_vec1::<u32>()?;
            let correct = pred.iter().zip(&lab).filter(|(a, b)| a == b).count();
            Ok((cross_entropy(logits, &labels)?, correct))
        }
        TaskKind::Frames | TaskKind::Regression => {
            let outs = forward(arch, w, &xs, true, None)?;
            let tg = target_tensors(ds, idx, dev)?;
            Ok((mse(&outs, &tg)?, 0))
        }
    }
}

/// Loss and metric (accuracy, or MSE) of `params` in evaluation mode over `idx`.
fn evaluate(
    params: &Params,
    prec: &Precision,
    ds: &crate::datasets::Dataset,
    idx: &[usize],
    kind: TaskKind,
) -> Result<(f64, f64), TrainError> {
    let dev = Device::Cpu;
    let values = eval_values(params, prec)?;
    let w = value_tensors(params, &values, &dev)?;
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in idx {
        groups.entry(ds.sequences[i].len()).or_default().push(i);
    }
    let (mut loss_sum, mut weight, mut correct) = (0.0f64, 0usize, 0usize);
    for g in groups.values() {
        for chunk in g.chunks(64) {
            let (loss, c) = batch_loss(&params.arch, &w, ds, chunk, kind, &dev)?;
            loss_sum += loss.to_scalar::<f32>()? as f64 * chunk.len() as f64;
            weight += chunk.len();
            correct += c;
        }
    }
    let loss = loss_sum / weight.max(1) as f64;
    let metric = match kind {
        TaskKind::Classification => correct as f64 / weight.max(1) as f64,
        _ => loss,
    };
    Ok((loss, metric))
}

/// The forward values used for evaluation and export: quantized with a fresh generator seeded
/// as the export seeds it (stochastic binary draws the same codes as the `.qw` holds).
pub fn eval_values(params: &Params, prec: &Precision) -> Result<Vec<Vec<f32>>, TrainError> {
    let seed = match prec {
        Precision::Quant(s) => s.stochastic_seed.unwrap_or(0),
        Precision::Full => 0,
    };
    forward_values(params, prec, &mut Rng::new(seed)).map_err(|source| TrainError::Quant {
        tensor: "(evaluation)".into(),
        source,
    })
}

fn global_norm(g: &[Vec<f32>]) -> f64 {
    g.iter()
        .flatten()
        .fold(0.0f64, |s, v| s + (*v as f64) * (*v as f64))
        .sqrt()
}

/// Train on `data.train` (less the validation split) with `cfg`. Runs on a thread with a large
/// stack (candle's backward pass recurses along the unrolled sequence).
pub fn train(
    cfg: &TrainConfig,
    data: &Prepared,
    obs: &mut (dyn Observer + Send),
) -> Result<Trained, TrainError> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("qrnn-train".into())
            .stack_size(256 << 20)
            .spawn_scoped(s, || train_inner(cfg, data, obs))
            .map_err(|e| TrainError::Options(format!("cannot start the training thread: {e}")))?
            .join()
            .unwrap_or_else(|_| {
                Err(TrainError::Options(
                    "internal error: the training thread panicked".into(),
                ))
            })
    })
}

fn train_inner(
    cfg: &TrainConfig,
    data: &Prepared,
    obs: &mut (dyn Observer + Send),
) -> Result<Trained, TrainError> {
    let arch = arch_of(cfg, data)?;
    let dev = Device::Cpu;
    let ds = &data.train;
    let (train_idx, val_idx) = data::val_split(ds.len(), cfg.val_fraction, cfg.seed);
    if train_idx.is_empty() {
        return Err(TrainError::Options(format!(
            "{}: no training sequences left after the validation split",
            data.record.spec
        )));
    }
    let mut params = Params::init(&arch, cfg.seed);
    let mut best = params.clone();
    let sizes: Vec<usize> = params.list.iter().map(|p| p.data.len()).collect();
    let mut adam = Adam::new(&sizes, cfg.lr);
    let ident = identity(cfg, data, &arch);
    let mut state = State {
        identity: ident.clone(),
        epoch: 0,
        adam_t: 0,
        best_loss: f64::INFINITY,
        best_epoch: 0,
        bad_epochs: 0,
        history: Vec::new(),
    };
    let last_path = cfg.checkpoint.as_ref().map(|d| d.join("last.safetensors"));
    let best_path = cfg.checkpoint.as_ref().map(|d| d.join("best.safetensors"));
    if let Some(dir) = &cfg.checkpoint {
        std::fs::create_dir_all(dir).map_err(|e| CheckpointError {
            path: dir.clone(),
            message: format!("cannot create the checkpoint directory: {e}"),
        })?;
    }
    if cfg.resume {
        let Some(p) = &last_path else {
            return Err(TrainError::Options(
                "--resume needs --checkpoint DIR".into(),
            ));
        };
        state = checkpoint::load_last(p, &mut params, &mut best, &mut adam)?;
        if state.identity != ident {
            return Err(CheckpointError {
                path: p.clone(),
                message: format!(
                    "the checkpoint is of another run (architecture, data or options differ):\n  checkpoint: {}\n  this run:   {ident}",
                    state.identity
                ),
            }
            .into());
        }
    }
    let prec = &cfg.precision;
    let spec = match prec {
        Precision::Quant(s) => Some(s.clone()),
        Precision::Full => None,
    };
    let clip_mask: Vec<bool> = params
        .list
        .iter()
        .map(|p| prec.scheme_quantized(p.role))
        .collect();
    // the generator of stochastic binary draws during training: one per run, advanced by epoch
    let mut reports = Vec::new();
    let mut stopped_early = false;
    let done_before = state.epoch;
    for epoch in done_before..cfg.epochs {
        if cfg.patience > 0 && state.bad_epochs >= cfg.patience {
            stopped_early = true;
            break;
        }
        let t0 = Instant::now();
        let batches = epoch_batches(ds, &train_idx, cfg.batch, cfg.seed, epoch);
        obs.epoch_start(epoch + 1, batches.len());
        let mut train_rng =
            Rng::new(cfg.seed ^ 0x005E_ED0F_B1AC ^ (epoch as u64).wrapping_mul(0x9E37_79B9));
        let (mut loss_sum, mut nseq) = (0.0f64, 0usize);
        for (bi, idx) in batches.iter().enumerate() {
            let values = forward_values(&params, prec, &mut train_rng).map_err(|source| {
                TrainError::Quant {
                    tensor: "(training step)".into(),
                    source,
                }
            })?;
            let mut vars = Vec::with_capacity(params.list.len());
            let mut eff = Vec::with_capacity(params.list.len());
            for (p, v) in params.list.iter().zip(&values) {
                let var = Var::from_vec(p.data.clone(), p.shape.clone(), &dev)?;
                let t = if spec.is_some() {
                    // w + stopgrad(Q(w) − w): Q(w) forward, identity backward
                    let delta: Vec<f32> = v.iter().zip(&p.data).map(|(q, w)| q - w).collect();
                    let d = Tensor::from_vec(delta, p.shape.clone(), &dev)?;
                    var.as_tensor().add(&d)?
                } else {
                    var.as_tensor().clone()
                };
                vars.push(var);
                eff.push(t);
            }
            let (loss, _) = batch_loss(&arch, &eff, ds, idx, data.kind, &dev)?;
            let lv = loss.to_scalar::<f32>()? as f64;
            if !lv.is_finite() {
                return Err(TrainError::Options(format!(
                    "epoch {}: the loss became {lv}: training diverged; try a smaller --lr",
                    epoch + 1
                )));
            }
            let grads = loss.backward()?;
            let mut g: Vec<Vec<f32>> = Vec::with_capacity(vars.len());
            for (k, var) in vars.iter().enumerate() {
                let gv = match grads.get(var.as_tensor()) {
                    Some(t) => t.flatten_all()?.to_vec1::<f32>()?,
                    None => vec![0.0; params.list[k].data.len()],
                };
                // straight-through estimator: no gradient where |w| > 1 (§6)
                g.push(if clip_mask[k] {
                    quant::ste_grad(&params.list[k].data, &gv)
                } else {
                    gv
                });
            }
            if cfg.clip_norm > 0.0 {
                let n = global_norm(&g);
                if n > cfg.clip_norm {
                    let s = (cfg.clip_norm / n) as f32;
                    g.iter_mut().flatten().for_each(|v| *v *= s);
                }
            }
            {
                let mut ws: Vec<&mut [f32]> =
                    params.list.iter_mut().map(|p| &mut p.data[..]).collect();
                adam.step(&mut ws, &g);
            }
            for (p, clip) in params.list.iter_mut().zip(&clip_mask) {
                if *clip {
                    quant::clip_shadow(&mut p.data);
                }
            }
            loss_sum += lv * idx.len() as f64;
            nseq += idx.len();
            obs.batch(bi + 1, lv);
        }
        let train_loss = loss_sum / nseq.max(1) as f64;
        let (val_loss, val_metric) = if val_idx.is_empty() {
            let (_, m) = evaluate(&params, prec, ds, &train_idx, data.kind)?;
            (train_loss, m)
        } else {
            evaluate(&params, prec, ds, &val_idx, data.kind)?
        };
        let is_best = val_loss < state.best_loss;
        if is_best {
            state.best_loss = val_loss;
            state.best_epoch = epoch + 1;
            state.bad_epochs = 0;
            best = params.clone();
        } else {
            state.bad_epochs += 1;
        }
        state.epoch = epoch + 1;
        state.adam_t = adam.t;
        state.history.push((train_loss, val_loss, val_metric));
        if let (Some(lp), Some(bp)) = (&last_path, &best_path) {
            if is_best {
                checkpoint::save_best(bp, &best)?;
            }
            checkpoint::save_last(lp, &params, &best, &adam, &state)?;
        }
        let r = EpochReport {
            epoch: epoch + 1,
            epochs: cfg.epochs,
            train_loss,
            val_loss,
            val_metric,
            best: is_best,
            seconds: t0.elapsed().as_secs_f64(),
        };
        obs.epoch_end(&r);
        reports.push(r);
    }
    if !stopped_early && cfg.patience > 0 && state.bad_epochs >= cfg.patience {
        stopped_early = state.epoch < cfg.epochs;
    }
    Ok(Trained {
        best,
        reports,
        history: state.history.clone(),
        best_epoch: state.best_epoch,
        epochs_run: state.epoch,
        stopped_early,
    })
}

/// What is recorded about the run in the provenance notes (`"train"`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunRecord {
    /// The data preparation.
    pub data: data::DataRecord,
    /// `lstm`, `gru` or `convlstm`.
    pub cell: String,
    /// Hidden size per layer.
    pub hidden: Vec<usize>,
    /// ConvLSTM kernel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<usize>,
    /// Learning rate.
    pub lr: f64,
    /// Batch size.
    pub batch: usize,
    /// Patience.
    pub patience: u32,
    /// Validation fraction.
    pub val_fraction: f64,
    /// Gradient-norm clip.
    pub clip_norm: f64,
    /// Epochs asked for.
    pub max_epochs: u32,
    /// The epoch whose weights were exported.
    pub best_epoch: u32,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Validation loss of the exported weights.
    pub best_val_loss: f64,
}

/// The exported model and its figures.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The model, with its provenance.
    pub model: Model,
    /// Test figures (also in the provenance metrics).
    pub metrics: TestMetrics,
    /// Calibration ranges.
    pub stats: Stats,
    /// The chosen formats.
    pub formats: Formats,
}

/// Calibrate, build, measure and record: the `.qw` of a trained network.
pub fn export_trained(
    cfg: &TrainConfig,
    data: &Prepared,
    trained: &Trained,
    name: &str,
) -> Result<Exported, TrainError> {
    let params = &trained.best;
    let prec = &cfg.precision;
    let values = eval_values(params, prec)?;
    let stats = export::calibrate(params, &values, &data.train)?;
    let formats = export::choose_formats(&stats);
    let mut model = export::build(params, prec, &formats, name).map_err(ExportError::from)?;
    let metrics = export::measure(&model, params, prec, data)?;
    let record = RunRecord {
        data: data.record.clone(),
        cell: cfg.cell.to_string(),
        hidden: params.arch.hidden.clone(),
        kernel: (cfg.cell == Cell::ConvLstm).then_some(params.arch.kernel),
        lr: cfg.lr,
        batch: cfg.batch,
        patience: cfg.patience,
        val_fraction: cfg.val_fraction,
        clip_norm: cfg.clip_norm,
        max_epochs: cfg.epochs,
        best_epoch: trained.best_epoch,
        stopped_early: trained.stopped_early,
        best_val_loss: trained
            .history
            .get(trained.best_epoch.saturating_sub(1) as usize)
            .map_or(f64::NAN, |h| h.1),
    };
    let quant = match prec {
        Precision::Quant(s) => serde_json::to_value(s).unwrap_or_default(),
        Precision::Full => serde_json::json!("none"),
    };
    let f = &formats;
    let notes = serde_json::json!({
        "train": record,
        "quant": quant,
        "formats": {
            "x": f.x.to_string(), "h": f.h.to_string(), "c": f.c.to_string(),
            "pre": f.pre.to_string(), "act_frac": f.act_frac, "bias": "auto",
            "out": f.out.to_string(),
            "calibration": {"x": stats.x, "pre": stats.pre, "c": stats.c, "h": stats.h, "out": stats.out,
                            "sequences": data.train.len().min(export::CALIBRATION_SEQUENCES)},
        },
    });
    model.provenance = qrnn_model::Provenance {
        tool: format!("qrnn-hw {} train", env!("CARGO_PKG_VERSION")),
        // (a data file's name or a directory path: made a valid label, docs/QW_FORMAT.md §3.1)
        dataset: Some(qrnn_model::name::legalise_label(&data.record.spec)),
        task: Some(data.kind.name().to_string()),
        seed: Some(cfg.seed & i64::MAX as u64),
        epochs: Some(trained.epochs_run),
        metrics: metrics
            .values
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        notes: Some(notes.to_string()),
    };
    model.validate().map_err(|source| {
        ExportError::Build(crate::import::ImportError::Model {
            path: PathBuf::from(name),
            source,
        })
    })?;
    Ok(Exported {
        model,
        metrics,
        stats,
        formats,
    })
}

/// The data record of a model trained by `qrnn-hw train` (its provenance notes' `train.data`).
pub fn data_record_of(model: &Model) -> Option<data::DataRecord> {
    let notes: serde_json::Value = serde_json::from_str(model.provenance.notes.as_deref()?).ok()?;
    serde_json::from_value(notes.get("train")?.get("data")?.clone()).ok()
}
