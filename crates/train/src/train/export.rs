//! From trained shadow weights to a `.qw`: calibrate the fixed-point formats on training data
//! (docs/QUANTIZATION.md §10.3), build the model through [`crate::import::build_model_with`]
//! (the same quantization and formats code as `qrnn-hw import`), and measure it on the test
//! split: the quantized-float reference and the bit-exact golden model (`qrnn_golden`).

use super::data::{Prepared, TaskKind};
use super::net::{batch_tensor, forward, forward_values, Arch, Params, Precision, Role, Stats};
use crate::datasets::{Dataset, Task};
use crate::import::{
    build_model_with, BuildExtras, ImportError, Matrix, ModelOptions, NamedMatrix, Net, NetHead,
    NetLayer, SourceFormat, StateDict,
};
use crate::quant::QuantSpec;
use candle_core::{Device, Tensor};
use qrnn_model::example::{Formats, Rng};
use qrnn_model::{ActFmt, Cell, Fmt, Model};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Safety factor on calibrated ranges: a format must hold `1.25 ×` the largest magnitude seen.
pub const MARGIN: f64 = 1.25;
/// Pre-activations beyond ±8 saturate σ and tanh to within 2^-11 of ±1, so the pre-activation
/// format need not hold more than this.
pub const PRE_CAP: f64 = 8.0;
/// Widths of the calibrated formats: input 8, hidden 8, cell 16, pre-activation 8, output 16.
pub const WIDTHS: (u32, u32, u32, u32, u32) = (8, 8, 16, 8, 16);
/// Gate fraction `Fa`.
pub const ACT_FRAC: u32 = 7;
/// Sequences of the training split used for calibration (the first ones, in order).
pub const CALIBRATION_SEQUENCES: usize = 256;

/// The largest fraction `F` in `lo..=hi` with `margin·m ≤ (2^(W−1) − 1)·2^−F` (no saturation),
/// `hi` when `m = 0`, `lo` when nothing fits.
pub fn frac_for(m: f64, width: u32, lo: i32, hi: i32) -> i32 {
    let top = ((1i64 << (width - 1)) - 1) as f64;
    (lo..=hi)
        .rev()
        .find(|f| m <= top * (2f64).powi(-f))
        .unwrap_or(lo)
}

/// The formats chosen from calibration ranges (docs/QUANTIZATION.md §10.3).
pub fn choose_formats(s: &Stats) -> Formats {
    let (wx, wh, wc, wz, wy) = WIDTHS;
    let x = Fmt {
        width: wx,
        frac: frac_for(MARGIN * s.x, wx, 0, (wx - 1) as i32),
    };
    let pre = Fmt {
        width: wz,
        frac: frac_for((MARGIN * s.pre).min(PRE_CAP), wz, 4, 6),
    };
    let c = Fmt {
        width: wc,
        frac: frac_for(MARGIN * s.c, wc, 0, 14),
    };
    let out = Fmt {
        width: wy,
        frac: frac_for(MARGIN * s.out, wy, 0, 14),
    };
    Formats {
        x: ActFmt::Fixed(x),
        // |h| < 1 for every cell (o·tanh c, and a convex mix of tanh values): all fraction
        h: ActFmt::Fixed(Fmt {
            width: wh,
            frac: (wh - 1) as i32,
        }),
        c,
        pre,
        act_frac: ACT_FRAC,
        bias: Formats::default().bias,
        out,
    }
}

/// Tensors of the forward values, shaped.
pub fn value_tensors(
    params: &Params,
    values: &[Vec<f32>],
    dev: &Device,
) -> candle_core::Result<Vec<Tensor>> {
    params
        .list
        .iter()
        .zip(values)
        .map(|(p, v)| Tensor::from_vec(v.clone(), p.shape.clone(), dev))
        .collect()
}

/// Inputs of sequences `idx` of `ds` (all of one length) per timestep.
pub fn inputs(ds: &Dataset, idx: &[usize], dev: &Device) -> candle_core::Result<Vec<Tensor>> {
    let t = ds.sequences[idx[0]].len();
    (0..t)
        .map(|s| {
            let rows: Vec<&[f64]> = idx.iter().map(|&i| &ds.sequences[i][s][..]).collect();
            batch_tensor(&rows, dev)
        })
        .collect()
}

/// Calibration ranges: the forward pass with `values` over the first
/// [`CALIBRATION_SEQUENCES`] training sequences.
pub fn calibrate(
    params: &Params,
    values: &[Vec<f32>],
    train: &Dataset,
) -> candle_core::Result<Stats> {
    let dev = Device::Cpu;
    let w = value_tensors(params, values, &dev)?;
    let mut stats = Stats::default();
    let n = train.len().min(CALIBRATION_SEQUENCES);
    // group by length, in order
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        groups.entry(train.sequences[i].len()).or_default().push(i);
    }
    for idx in groups.values() {
        for chunk in idx.chunks(64) {
            let xs = inputs(train, chunk, &dev)?;
            forward(&params.arch, &w, &xs, true, Some(&mut stats))?;
        }
    }
    Ok(stats)
}

/// The network as import's builder reads it (shadow weights, real-valued).
pub fn to_net(params: &Params) -> Net {
    let arch = &params.arch;
    let get = |role: Role| {
        params
            .list
            .iter()
            .find(|p| p.role == role)
            .expect("every role of the architecture is present")
    };
    let mat = |role: Role| {
        let p = get(role);
        NamedMatrix {
            name: p.name.clone(),
            rows: p.rows(),
            cols: p.cols(),
            m: Matrix::Float(p.data.clone()),
        }
    };
    let layers = (0..arch.hidden.len())
        .map(|l| {
            let b = get(Role::B(l)).data.clone();
            let bh = if arch.cell == Cell::Gru {
                get(Role::Bh(l)).data.clone()
            } else {
                // LSTM/ConvLSTM keep one bias: b_ih = b, b_hh = 0 (b + 0 = b exactly)
                vec![0.0; b.len()]
            };
            NetLayer {
                hidden: arch.hidden[l],
                w_ih: mat(Role::W(l)),
                w_hh: mat(Role::U(l)),
                b_ih: b,
                b_hh: bh,
            }
        })
        .collect();
    Net {
        cell: arch.cell,
        input: arch.input,
        layers,
        head: Some(NetHead {
            prefix: "head".into(),
            weight: mat(Role::HeadW),
            bias: get(Role::HeadB).data.clone(),
        }),
        rnn_prefix: String::new(),
        ignored: Vec::new(),
    }
}

/// The spec a full-precision network is exported with: `int8` W, U and head (§5.3), biases as
/// they are. (The scheme field is not used for W/U then; it is recorded as `none` in the notes.)
pub fn int8_spec() -> QuantSpec {
    QuantSpec::default()
}

/// Build the `.qw` model of trained parameters with calibrated formats.
pub fn build(
    params: &Params,
    prec: &Precision,
    formats: &Formats,
    name: &str,
) -> Result<Model, ImportError> {
    let sd = StateDict {
        path: PathBuf::from(name),
        format: SourceFormat::Safetensors,
        sha256: String::new(),
        tensors: BTreeMap::new(),
    };
    let (spec, int8) = match prec {
        Precision::Quant(s) => (s.clone(), false),
        Precision::Full => (int8_spec(), true),
    };
    let opts = ModelOptions {
        quant: spec,
        formats: formats.clone(),
        auto_bias: true,
        name: Some(name.to_string()),
    };
    let extras = BuildExtras {
        conv: (params.arch.cell == Cell::ConvLstm)
            .then(|| (params.arch.kernel, params.arch.map.unwrap_or((1, 1)))),
        int8_weights: int8,
    };
    Ok(build_model_with(&sd, &to_net(params), &opts, &extras)?.model)
}

/// Figures on the test split.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TestMetrics {
    /// Named figures (`golden_accuracy`, `quantized_float_accuracy`, `float_accuracy`,
    /// `golden_mse`, `quantized_float_mse`, `float_mse`, `golden_ssim`).
    pub values: BTreeMap<String, f64>,
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

/// Outputs of the full-precision shadow network (candle, f32) on every test sequence, as f64.
fn shadow_outputs(params: &Params, ds: &Dataset) -> candle_core::Result<Vec<Vec<Vec<f64>>>> {
    let dev = Device::Cpu;
    let values = forward_values(params, &Precision::Full, &mut Rng::new(0))
        .expect("full precision does not quantize");
    let w = value_tensors(params, &values, &dev)?;
    let mut out = vec![Vec::new(); ds.len()];
    for (i, slot) in out.iter_mut().enumerate() {
        let xs = inputs(ds, &[i], &dev)?;
        let ys = forward(&params.arch, &w, &xs, true, None)?;
        *slot = ys
            .iter()
            .map(|y| {
                y.flatten_all()
                    .and_then(|t| t.to_vec1::<f32>())
                    .map(|v| v.into_iter().map(f64::from).collect())
            })
            .collect::<candle_core::Result<Vec<Vec<f64>>>>()?;
    }
    Ok(out)
}

/// Golden-model outputs (as reals) of one sequence.
pub fn golden_outputs(
    m: &Model,
    seq: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>, qrnn_golden::GoldenError> {
    let run = qrnn_golden::run(m, &qrnn_golden::quantize_input(m, seq))?;
    Ok(run
        .outputs
        .iter()
        .map(|o| {
            o.iter()
                .map(|q| qrnn_golden::output_to_f64(m, *q))
                .collect()
        })
        .collect())
}

/// Accuracy (argmax of the last timestep, first maximum wins) over a data set, summing as
/// `qrnn-hw eval` does so that the figure is bit-identical.
fn accuracy(outs: &[Vec<Vec<f64>>], labels: &[usize]) -> f64 {
    let mut correct = 0usize;
    for (o, l) in outs.iter().zip(labels) {
        correct += usize::from(argmax(o.last().into_iter().flatten().copied()) == *l);
    }
    correct as f64 / labels.len() as f64
}

/// Mean squared error over every value of every timestep, summed in order (as `eval`).
fn mse_of(outs: &[Vec<Vec<f64>>], targets: &[Vec<Vec<f64>>]) -> f64 {
    let (mut s, mut n) = (0f64, 0usize);
    for (o, t) in outs.iter().zip(targets) {
        for (or, tr) in o.iter().zip(t) {
            for (x, y) in or.iter().zip(tr) {
                s += (x - y).powi(2);
                n += 1;
            }
        }
    }
    s / n.max(1) as f64
}

/// SSIM of two frames of one channel with values in [0, 1] (data range L = 1), as scikit-image's
/// `structural_similarity` with its defaults: 7×7 uniform windows over every position where the
/// window fits, sample (co)variances (÷ (N − 1)), `C1 = (0.01·L)²`, `C2 = (0.03·L)²`, the mean of
/// the SSIM map. A frame smaller than 7 pixels on a side uses one window of the whole frame.
pub fn ssim(a: &[f64], b: &[f64], height: usize, width: usize) -> f64 {
    let win = 7.min(height).min(width);
    let (c1, c2) = (0.01f64.powi(2), 0.03f64.powi(2));
    let n = (win * win) as f64;
    let cov = if n > 1.0 { n / (n - 1.0) } else { 1.0 };
    let mut total = 0.0;
    let mut count = 0usize;
    for y in 0..=height - win {
        for x in 0..=width - win {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for dy in 0..win {
                for dx in 0..win {
                    let i = (y + dy) * width + x + dx;
                    sa += a[i];
                    sb += b[i];
                    saa += a[i] * a[i];
                    sbb += b[i] * b[i];
                    sab += a[i] * b[i];
                }
            }
            let (ma, mb) = (sa / n, sb / n);
            let va = cov * (saa / n - ma * ma);
            let vb = cov * (sbb / n - mb * mb);
            let vab = cov * (sab / n - ma * mb);
            total += ((2.0 * ma * mb + c1) * (2.0 * vab + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            count += 1;
        }
    }
    total / count as f64
}

/// Mean SSIM over every predicted frame (one channel) of every sequence.
fn mean_ssim(outs: &[Vec<Vec<f64>>], targets: &[Vec<Vec<f64>>], map: (usize, usize)) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for (o, t) in outs.iter().zip(targets) {
        for (of, tf) in o.iter().zip(t) {
            s += ssim(of, tf, map.0, map.1);
            n += 1;
        }
    }
    s / n.max(1) as f64
}

/// Why the export or its measurement failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ExportError {
    /// The builder refused the network.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] ImportError),
    /// The golden model failed (a range check: an internal error).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Golden(#[from] qrnn_golden::GoldenError),
    /// candle failed.
    #[error("internal error in the float forward pass: {0}")]
    #[diagnostic(code(qrnn::train::candle))]
    Candle(#[from] candle_core::Error),
}

/// Measure the model (and, for a full-precision run, the shadow network) on the test split.
pub fn measure(
    model: &Model,
    params: &Params,
    prec: &Precision,
    data: &Prepared,
) -> Result<TestMetrics, ExportError> {
    let test = &data.test;
    let mut golden = Vec::with_capacity(test.len());
    let mut qfloat = Vec::with_capacity(test.len());
    for s in &test.sequences {
        golden.push(golden_outputs(model, s)?);
        qfloat.push(qrnn_golden::float::run(model, s));
    }
    let shadow = match prec {
        Precision::Full => Some(shadow_outputs(params, test)?),
        Precision::Quant(_) => None,
    };
    let mut v = BTreeMap::new();
    match (&test.task, data.kind) {
        (Task::Classification { labels, .. }, _) => {
            v.insert("golden_accuracy".into(), accuracy(&golden, labels));
            v.insert("quantized_float_accuracy".into(), accuracy(&qfloat, labels));
            if let Some(s) = &shadow {
                v.insert("float_accuracy".into(), accuracy(s, labels));
            }
        }
        (Task::Sequence { targets }, kind) => {
            v.insert("golden_mse".into(), mse_of(&golden, targets));
            v.insert("quantized_float_mse".into(), mse_of(&qfloat, targets));
            if let Some(s) = &shadow {
                v.insert("float_mse".into(), mse_of(s, targets));
            }
            if kind == TaskKind::Frames && data.outputs == 1 {
                let map = data.map.unwrap_or((1, 1));
                v.insert("golden_ssim".into(), mean_ssim(&golden, targets, map));
                if let Some(s) = &shadow {
                    v.insert("float_ssim".into(), mean_ssim(s, targets, map));
                }
            }
        }
        _ => {}
    }
    Ok(TestMetrics { values: v })
}

/// The architecture of a trained model, for messages.
pub fn describe(arch: &Arch) -> String {
    let mut s = format!(
        "{} {}",
        arch.cell,
        arch.hidden
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join("x")
    );
    if let Some((h, w)) = arch.map {
        s.push_str(&format!(" on {h}x{w} k{}", arch.kernel));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_rule() {
        // 8 bits: 127·2^-F ≥ m
        assert_eq!(frac_for(0.9, 8, 0, 7), 7);
        assert_eq!(frac_for(1.0, 8, 0, 7), 6);
        assert_eq!(frac_for(3.9, 8, 0, 7), 5);
        assert_eq!(frac_for(4.0, 8, 0, 7), 4);
        assert_eq!(frac_for(1000.0, 8, 0, 7), 0);
        assert_eq!(frac_for(0.0, 16, 0, 14), 14);
        assert_eq!(frac_for(8.0, 8, 4, 6), 4);
    }

    #[test]
    fn ssim_of_equal_frames_is_one() {
        let a: Vec<f64> = (0..100).map(|i| (i % 7) as f64 / 7.0).collect();
        assert!((ssim(&a, &a, 10, 10) - 1.0).abs() < 1e-12);
        let b: Vec<f64> = a.iter().map(|v| 1.0 - v).collect();
        assert!(ssim(&a, &b, 10, 10) < 0.0);
    }
}
