//! `qrnn-hw train`: quantization-aware training of an LSTM, GRU or ConvLSTM on a data set, then
//! export to `.qw` with calibrated formats and the test figures in its header
//! (docs/TRAINING.md, docs/CLI.md#train). Glue only: the work is `qrnn_train::train`.

use crate::{util, Ctx};
use indicatif::{ProgressBar, ProgressStyle};
use miette::{miette, Result};
use qrnn_model::{Cell, Scheme};
use qrnn_train::quant::{AlphaRule, QuantSpec, Reference, Threshold};
use qrnn_train::train::data::{
    prepare, DataOptions, DataSpec, MovingRecord, Normalize, TextRecord,
};
use qrnn_train::train::net::Precision;
use qrnn_train::train::{
    export::describe, export_trained, single_thread, train, EpochReport, Observer, TrainConfig,
};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `train`.
#[derive(clap::Args)]
pub struct Args {
    /// Data: `ucr:NAME` (e.g. ucr:GunPoint), `digits-moving`, `rt-sentiment`, `imdb:DIR`, or a
    /// JSON data set file ({"sequences": …, "labels"|"targets": …}).
    #[arg(long, value_parser = parse::<DataSpec>)]
    data: DataSpec,
    /// Test data for a JSON training file (default: the training file itself).
    #[arg(long, value_name = "FILE.json")]
    test: Option<PathBuf>,
    /// Output model (.qw, or .qw.toml for the text twin).
    #[arg(short, long)]
    output: PathBuf,
    /// Cell: lstm, gru or convlstm (convlstm for frame prediction).
    #[arg(long, default_value = "gru", value_parser = parse::<Cell>)]
    cell: Cell,
    /// Hidden units (channels for ConvLSTM) of every layer.
    #[arg(long, default_value_t = 8)]
    hidden: usize,
    /// Recurrent layers.
    #[arg(long, default_value_t = 1)]
    layers: usize,
    /// ConvLSTM kernel side (odd).
    #[arg(long, default_value_t = 3)]
    kernel: usize,
    /// Weights: none (full precision; exported as int8), binary, ternary or quaternary.
    #[arg(long, default_value = "ternary", value_parser = parse_quant)]
    quant: QuantArg,
    /// Ternary threshold: `twn` (Δ = 0.7·mean|w|) or a number Δ (|w| ≤ Δ·r → 0).
    #[arg(long, default_value = "twn", value_parser = util::parse_threshold)]
    threshold: Threshold,
    /// Reference scale r of the thresholds: `unit` (r = 1, the paper's) or `max` (max|w|).
    #[arg(long, default_value = "unit", value_parser = util::parse_reference)]
    reference: Reference,
    /// Scale rule: `l2` (optimal for the codes) or `one` (α = 1).
    #[arg(long, default_value = "l2", value_parser = util::parse_alpha)]
    alpha: AlphaRule,
    /// One scale per output row instead of one per tensor.
    #[arg(long)]
    per_row: bool,
    /// Power-of-two scales (multiplier-free requantization).
    #[arg(long)]
    pow2: bool,
    /// Stochastic BinaryConnect with this seed (binary only).
    #[arg(long, value_name = "SEED")]
    stochastic: Option<u64>,
    /// Quantize the biases with the scheme too.
    #[arg(long)]
    quant_bias: bool,
    /// Quantize the dense head with the scheme (default: int8).
    #[arg(long)]
    quant_head: bool,
    /// Most epochs.
    #[arg(long, default_value_t = 30)]
    epochs: u32,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    /// Sequences per batch.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Seed of initialisation, validation split and shuffles.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Stop after this many epochs without a better validation loss (0: never).
    #[arg(long, default_value_t = 8)]
    patience: u32,
    /// Fraction of the training sequences held out for validation (early stopping).
    #[arg(long, default_value_t = 0.2)]
    val_fraction: f64,
    /// Clip the global gradient norm (0: off).
    #[arg(long, default_value_t = 5.0)]
    clip_norm: f64,
    /// Checkpoint directory: last.safetensors after every epoch, best.safetensors at each best.
    #[arg(long, value_name = "DIR")]
    checkpoint: Option<PathBuf>,
    /// Continue the run saved in --checkpoint DIR.
    #[arg(long, requires = "checkpoint")]
    resume: bool,
    /// Model name: 1 to 64 characters from A-Z a-z 0-9 _ . - (docs/CLI.md#names); default: the
    /// output file's stem, made valid.
    #[arg(long)]
    name: Option<String>,
    /// Text: tokens per sequence.
    #[arg(long, default_value_t = TextRecord::default().len)]
    text_len: usize,
    /// Text: vocabulary size.
    #[arg(long, default_value_t = TextRecord::default().max_words)]
    vocab: usize,
    /// Text: embedding dimension (the model's input features).
    #[arg(long, default_value_t = TextRecord::default().embed_dim)]
    embed_dim: usize,
    /// Moving digits: training videos (test videos: a third as many).
    #[arg(long, default_value_t = MovingRecord::default().train_videos)]
    videos: usize,
    /// Moving digits: frames per video.
    #[arg(long, default_value_t = MovingRecord::default().frames)]
    frames: usize,
    /// Moving digits: canvas side in pixels (> 8).
    #[arg(long, default_value_t = MovingRecord::default().side)]
    canvas: usize,
    /// UCR sets: average every N consecutive (normalised) timesteps into one, so a long series
    /// (GunPoint: 150) becomes ⌈T/N⌉ steps; recorded, and repeated by `eval`.
    #[arg(long, default_value_t = 1, value_name = "N")]
    stride: usize,
    /// UCR sets: `series` (each series and dimension z-normalised on its own, the archive's
    /// convention), `train` (per dimension, with the training split's mean and deviation) or
    /// `none`; recorded, and repeated by `eval`.
    #[arg(long, default_value = "series", value_parser = parse::<Normalize>)]
    normalize: Normalize,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Points of accuracy above chance under which `train` warns that the model learned little.
const CHANCE_MARGIN: f64 = 0.05;

/// The warning for a classifier whose test accuracy `acc` is within [`CHANCE_MARGIN`] of chance:
/// the larger of the majority class's share of the test labels and `1/classes`.
fn chance_warning(acc: f64, labels: &[usize], classes: usize) -> Option<String> {
    if labels.is_empty() {
        return None;
    }
    let n = labels.iter().max().map_or(0, |m| m + 1).max(classes);
    let mut counts = vec![0usize; n];
    for l in labels {
        counts[*l] += 1;
    }
    let majority = counts.iter().max().copied().unwrap_or(0) as f64 / labels.len() as f64;
    let chance = majority.max(1.0 / classes.max(1) as f64);
    (acc < chance + CHANCE_MARGIN).then(|| {
        format!(
            "the golden test accuracy {acc:.4} is within {:.0} points of chance ({chance:.4}, the \
             majority class's share of the test set): the model has learned little. Train longer \
             or larger (e.g. --epochs 200 --patience 0 --hidden 16; long UCR series: --stride 5), \
             see docs/TRAINING.md",
            100.0 * CHANCE_MARGIN
        )
    })
}

fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

/// `--quant`: a scheme, or `none` (full precision).
#[derive(Clone, Copy, Debug)]
struct QuantArg(Option<Scheme>);

fn parse_quant(s: &str) -> Result<QuantArg, String> {
    if s == "none" {
        return Ok(QuantArg(None));
    }
    match s.parse::<Scheme>()? {
        Scheme::Int(_) => Err(format!("{s}: expected none, binary, ternary or quaternary")),
        x => Ok(QuantArg(Some(x))),
    }
}

/// A progress bar per epoch (on a terminal), or one line per epoch otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    tty: bool,
    classification: bool,
    loss_sum: f64,
}

impl Observer for Progress {
    fn epoch_start(&mut self, epoch: u32, batches: usize) {
        self.loss_sum = 0.0;
        if self.quiet || !self.tty {
            return;
        }
        let bar = ProgressBar::new(batches as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix:>3} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(epoch.to_string());
        self.bar = Some(bar);
    }
    fn batch(&mut self, done: usize, loss: f64) {
        self.loss_sum += loss;
        if let Some(b) = &self.bar {
            b.set_position(done as u64);
            b.set_message(format!("loss {:.4}", self.loss_sum / done as f64));
        }
    }
    fn epoch_end(&mut self, r: &EpochReport) {
        let metric = if self.classification {
            format!("val acc {:.4}", r.val_metric)
        } else {
            format!("val mse {:.5}", r.val_metric)
        };
        let line = format!(
            "epoch {:>3}/{}: loss {:.4}, val loss {:.4}, {metric}{} ({:.1} s)",
            r.epoch,
            r.epochs,
            r.train_loss,
            r.val_loss,
            if r.best { " *" } else { "" },
            r.seconds
        );
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        if !self.quiet {
            note!("{line}");
        }
    }
}

/// Run `train`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    single_thread();
    let t0 = Instant::now();
    // The naming rule (docs/CLI.md#names), before any work.
    if let Some(n) = &a.name {
        qrnn_model::name::check_name("--name", n)?;
    }
    if a.test.is_some() && a.data.is_named() {
        return Err(miette!(
            "--test is for a JSON training file; {} has its own test split",
            a.data
        ));
    }
    if a.stride == 0 {
        return Err(miette!("--stride 0: expected a number of timesteps ≥ 1"));
    }
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
        normalize: a.normalize,
    };
    // a data set file given by the user is bounded like every input file (docs/CLI.md "Budgets")
    if let DataSpec::File(p) = &a.data {
        ctx.budget.input_file(p)?;
    }
    if let Some(p) = &a.test {
        ctx.budget.input_file(p)?;
    }
    let data = prepare(&a.data, &opts)?;
    let precision = match a.quant.0 {
        None => Precision::Full,
        Some(scheme) => Precision::Quant(QuantSpec {
            scheme,
            stochastic_seed: a.stochastic,
            threshold: a.threshold,
            reference: a.reference,
            alpha: a.alpha,
            per_row: a.per_row,
            pow2: a.pow2,
            bias: a.quant_bias,
            head: a.quant_head,
        }),
    };
    let cfg = TrainConfig {
        cell: a.cell,
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
    let arch = qrnn_train::train::arch_of(&cfg, &data)?;
    if !ctx.quiet {
        note!(
            "data {}: {} {} train / {} test sequences, {} inputs{}, {} outputs; model {} ({} weights), quant {}",
            data.record.spec,
            data.record.task,
            data.train.len(),
            data.test.len(),
            data.input_size,
            data.map
                .map(|(h, w)| format!(" per pixel of {h}x{w}"))
                .unwrap_or_default(),
            data.outputs,
            describe(&arch),
            qrnn_train::train::net::Params::init(&arch, 0).count(),
            a.quant.0.map_or("none".to_string(), |s| s.to_string()),
        );
    }
    let mut progress = Progress {
        bar: None,
        quiet: ctx.quiet,
        tty: std::io::stderr().is_terminal(),
        classification: data.kind == qrnn_train::train::data::TaskKind::Classification,
        loss_sum: 0.0,
    };
    let trained = train(&cfg, &data, &mut progress)?;
    let name = a.name.clone().unwrap_or_else(|| {
        let s = a
            .output
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trained".into());
        qrnn_model::name::legalise(s.trim_end_matches(".toml").trim_end_matches(".qw"))
    });
    let ex = export_trained(&cfg, &data, &trained, &name)?;
    ex.model.save(&a.output)?;
    let m = &ex.metrics.values;
    let get = |k: &str| m.get(k).copied();
    let summary = if let Some(g) = get("golden_accuracy") {
        format!(
            "accuracy: float {}, quantized float {:.4}, golden {g:.4}",
            get("float_accuracy").map_or("-".to_string(), |v| format!("{v:.4}")),
            get("quantized_float_accuracy").unwrap_or(f64::NAN),
        )
    } else {
        format!(
            "mse: float {}, quantized float {:.6}, golden {:.6}{}",
            get("float_mse").map_or("-".to_string(), |v| format!("{v:.6}")),
            get("quantized_float_mse").unwrap_or(f64::NAN),
            get("golden_mse").unwrap_or(f64::NAN),
            get("golden_ssim")
                .map(|s| format!(", golden ssim {s:.4}"))
                .unwrap_or_default()
        )
    };
    // a model at chance is a result the user must not miss (it still is a valid model)
    let warning = match (get("golden_accuracy"), data.test.labels()) {
        (Some(g), Some(labels)) => chance_warning(g, labels, data.outputs),
        _ => None,
    };
    if a.json {
        let j = serde_json::json!({
            "warnings": warning.iter().collect::<Vec<_>>(),
            "output": a.output.display().to_string(),
            "hash": ex.model.hash(),
            "epochs": trained.epochs_run,
            "best_epoch": trained.best_epoch,
            "stopped_early": trained.stopped_early,
            "metrics": m,
            "formats": {"x": ex.formats.x.to_string(), "pre": ex.formats.pre.to_string(),
                        "c": ex.formats.c.to_string(), "h": ex.formats.h.to_string(),
                        "out": ex.formats.out.to_string()},
            "seconds": t0.elapsed().as_secs_f64(),
        });
        outln!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else if !ctx.quiet {
        note!(
            "wrote {} ({}): best epoch {} of {}{}; formats x {} pre {} c {} out {}",
            a.output.display(),
            &ex.model.hash()[..16],
            trained.best_epoch,
            trained.epochs_run,
            if trained.stopped_early {
                " (early stop)"
            } else {
                ""
            },
            ex.formats.x,
            ex.formats.pre,
            ex.formats.c,
            ex.formats.out
        );
        outln!(
            "{} test {summary} ({:.1} s)",
            data.record.spec,
            t0.elapsed().as_secs_f64()
        );
    }
    if let Some(w) = &warning {
        if !ctx.quiet {
            note!("warning: {w}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::chance_warning;

    #[test]
    fn a_model_at_chance_is_warned_about() {
        // 75 of each class: chance 0.5
        let labels: Vec<usize> = (0..150).map(|i| i % 2).collect();
        assert!(chance_warning(0.5467, &labels, 2).is_some());
        assert!(chance_warning(0.40, &labels, 2).is_some());
        assert!(chance_warning(0.94, &labels, 2).is_none());
        // a majority class of 80 %: 0.83 is within 5 points of it
        let skew: Vec<usize> = (0..100).map(|i| usize::from(i >= 80)).collect();
        let w = chance_warning(0.83, &skew, 2).expect("warns");
        assert!(w.contains("0.8000"), "{w}");
        assert!(chance_warning(0.86, &skew, 2).is_none());
        // ten balanced classes: chance 0.1
        let ten: Vec<usize> = (0..100).map(|i| i % 10).collect();
        assert!(chance_warning(0.12, &ten, 10).is_some());
        assert!(chance_warning(0.30, &ten, 10).is_none());
        assert!(chance_warning(0.5, &[], 2).is_none());
    }
}
