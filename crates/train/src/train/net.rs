//! The trainable network: parameters on the host (`f32`, the shadow weights), their quantized
//! forms, and the forward pass in candle (CPU, `f32`), for LSTM, GRU and ConvLSTM stacks with a
//! dense (1×1 convolution for ConvLSTM) head.
//!
//! Cell equations are docs/NUMERICS.md §7 (PyTorch's): LSTM gates i, f, g, o,
//! `c' = f⊙c + i⊙g`, `h' = o⊙tanh(c')`; GRU gates r, z, n,
//! `n = tanh(W_n x + b_xn + r⊙(U_n h + b_hn))`, `h' = (1−z)⊙n + z⊙h`; ConvLSTM the LSTM update
//! on `conv(W, x) + conv(U, h) + b` with same padding (Shi et al. 2015, no peepholes).
//! Layouts are the `.qw`'s: `W [G·H, I]` (`[4·Ch, Cin, k, k]` OIHW for ConvLSTM), rows in gate
//! order; ConvLSTM inputs and outputs are HWC frames (pixels in raster order, channels together).
//!
//! Quantization (docs/QUANTIZATION.md §10): each forward pass replaces a weight `w` by
//! `w + stopgrad(Q(w) − w)`, where `Q` is exactly what `import::build_model` writes into the
//! `.qw` (same functions, same `f32` inputs, same draw order), so the gradient reaches `w`
//! unchanged (the straight-through estimator) and the network trained is the network exported.

use crate::quant::{self, QuantError, QuantSpec};
use candle_core::{DType, Device, Tensor, D};
use qrnn_model::example::Rng;
use qrnn_model::{Cell, Weights};

/// The shape of a network.
#[derive(Clone, Debug, PartialEq)]
pub struct Arch {
    /// Cell of every layer.
    pub cell: Cell,
    /// Input features per timestep (channels per pixel for ConvLSTM).
    pub input: usize,
    /// Hidden size (channels) of each layer.
    pub hidden: Vec<usize>,
    /// ConvLSTM kernel side (odd); 1 for LSTM/GRU.
    pub kernel: usize,
    /// ConvLSTM frame (height, width).
    pub map: Option<(usize, usize)>,
    /// Head outputs (classes, or channels per pixel).
    pub outputs: usize,
}

impl Arch {
    /// Input size of layer `l`.
    pub fn layer_input(&self, l: usize) -> usize {
        if l == 0 {
            self.input
        } else {
            self.hidden[l - 1]
        }
    }
    /// Pixels per frame (1 for LSTM/GRU).
    pub fn pixels(&self) -> usize {
        self.map.map_or(1, |(h, w)| h * w)
    }
    /// Real values per output timestep.
    pub fn output_len(&self) -> usize {
        self.pixels() * self.outputs
    }
    /// Real values per input timestep.
    pub fn input_len(&self) -> usize {
        self.pixels() * self.input
    }
}

/// What a parameter tensor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Input weights of layer `l`.
    W(usize),
    /// Recurrent weights of layer `l`.
    U(usize),
    /// Bias of layer `l` (LSTM/ConvLSTM `b`; GRU `b_x`).
    B(usize),
    /// GRU `b_h` of layer `l`.
    Bh(usize),
    /// Head weights `[O, H]`.
    HeadW,
    /// Head bias `[O]`.
    HeadB,
}

/// One parameter tensor (shadow weights).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Name in checkpoints (`layer0.w`, `head.b`, …).
    pub name: String,
    /// What it is.
    pub role: Role,
    /// Shape (row-major).
    pub shape: Vec<usize>,
    /// Values.
    pub data: Vec<f32>,
}

impl Param {
    /// Rows (first dimension).
    pub fn rows(&self) -> usize {
        self.shape[0]
    }
    /// Elements per row.
    pub fn cols(&self) -> usize {
        self.shape.iter().skip(1).product::<usize>().max(1)
    }
}

/// How weights are represented in the forward pass.
#[derive(Clone, Debug, PartialEq)]
pub enum Precision {
    /// Full precision: the shadow weights themselves.
    Full,
    /// Quantized with this spec (straight-through gradients).
    Quant(QuantSpec),
}

impl Precision {
    /// Whether `role` is quantized with the spec's scheme (and so kept in [-1, 1]): input and
    /// recurrent weights always, biases with `spec.bias`, the head with `spec.head`.
    pub fn scheme_quantized(&self, role: Role) -> bool {
        match self {
            Precision::Full => false,
            Precision::Quant(s) => match role {
                Role::W(_) | Role::U(_) => true,
                Role::HeadW => s.head,
                Role::B(_) | Role::Bh(_) | Role::HeadB => s.bias,
            },
        }
    }
}

/// The parameters of a network.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Its shape.
    pub arch: Arch,
    /// Tensors in a fixed order: per layer W, U, B (GRU: then Bh); then head W, head B.
    pub list: Vec<Param>,
}

impl Params {
    /// PyTorch's initialisation, from SplitMix64(`seed`): every tensor of layer `l` uniform in
    /// `±1/√H_l` (for ConvLSTM `±1/√(H_l·k²)`), the head in `±1/√H_last`; one draw
    /// `bound·(2u − 1)` per element, in the order of [`Params::list`].
    pub fn init(arch: &Arch, seed: u64) -> Params {
        let mut rng = Rng::new(seed);
        let mut list = Vec::new();
        let conv = arch.cell == Cell::ConvLstm;
        let k = arch.kernel;
        let mut draw = |name: String, role: Role, shape: Vec<usize>, bound: f64| {
            let n: usize = shape.iter().product();
            let data = (0..n)
                .map(|_| (bound * (2.0 * rng.unit() - 1.0)) as f32)
                .collect();
            list.push(Param {
                name,
                role,
                shape,
                data,
            });
        };
        for (l, &h) in arch.hidden.iter().enumerate() {
            let rows = arch.cell.gates() * h;
            let i = arch.layer_input(l);
            let fan = if conv { h * k * k } else { h };
            let bound = 1.0 / (fan as f64).sqrt();
            let (ws, us) = if conv {
                (vec![rows, i, k, k], vec![rows, h, k, k])
            } else {
                (vec![rows, i], vec![rows, h])
            };
            draw(format!("layer{l}.w"), Role::W(l), ws, bound);
            draw(format!("layer{l}.u"), Role::U(l), us, bound);
            draw(format!("layer{l}.b"), Role::B(l), vec![rows], bound);
            if arch.cell == Cell::Gru {
                draw(format!("layer{l}.bh"), Role::Bh(l), vec![rows], bound);
            }
        }
        let last = *arch.hidden.last().expect("at least one layer");
        let bound = 1.0 / (last as f64).sqrt();
        draw(
            "head.w".into(),
            Role::HeadW,
            vec![arch.outputs, last],
            bound,
        );
        draw("head.b".into(), Role::HeadB, vec![arch.outputs], bound);
        Params {
            arch: arch.clone(),
            list,
        }
    }

    /// Number of scalar parameters.
    pub fn count(&self) -> usize {
        self.list.iter().map(|p| p.data.len()).sum()
    }
}

/// Real values `α_r · c` of quantized weights, as `f32`.
pub fn real_values(w: &Weights) -> Vec<f32> {
    let n = w.row_len().max(1);
    w.codes
        .iter()
        .enumerate()
        .map(|(i, c)| (w.scale.alpha(i / n) * *c as f64) as f32)
        .collect()
}

/// The weights the `.qw` will hold for a parameter, as real values (before the bias format's
/// rounding), computed as `import::build_model` does: W and U with the spec; the head with the
/// spec if `spec.head`, else `int8` (§5.3); biases with the spec if `spec.bias`, else as they are.
pub fn quantized_values(
    p: &Param,
    spec: &QuantSpec,
    rng: &mut Rng,
) -> Result<Vec<f32>, QuantError> {
    let shape = [p.rows(), p.cols()];
    match p.role {
        Role::W(_) | Role::U(_) => Ok(real_values(&spec.quantize(&p.data, &shape, rng)?)),
        Role::HeadW if spec.head => Ok(real_values(&spec.quantize(&p.data, &shape, rng)?)),
        Role::HeadW => Ok(real_values(&quant::quantize_int(
            &p.data,
            &shape,
            8,
            spec.per_row,
            spec.pow2,
        )?)),
        Role::B(_) | Role::Bh(_) | Role::HeadB if spec.bias => Ok(spec
            .quantize_vector(&p.data, rng)?
            .into_iter()
            .map(|v| v as f32)
            .collect()),
        Role::B(_) | Role::Bh(_) | Role::HeadB => Ok(p.data.clone()),
    }
}

/// The value each parameter takes in the forward pass: the shadow weights (full precision), or
/// their quantized values. One generator `rng` is drawn through the tensors in order (only
/// stochastic binary draws).
pub fn forward_values(
    params: &Params,
    prec: &Precision,
    rng: &mut Rng,
) -> Result<Vec<Vec<f32>>, QuantError> {
    params
        .list
        .iter()
        .map(|p| match prec {
            Precision::Full => Ok(p.data.clone()),
            Precision::Quant(spec) => quantized_values(p, spec, rng),
        })
        .collect()
}

/// Largest magnitudes seen in a forward pass (calibration, docs/QUANTIZATION.md §10.3).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Network input.
    pub x: f64,
    /// Gate pre-activations (every gate of every layer, and GRU's `U_n h + b_hn`).
    pub pre: f64,
    /// Cell state.
    pub c: f64,
    /// Hidden state.
    pub h: f64,
    /// Head output.
    pub out: f64,
}

fn amax(t: &Tensor) -> candle_core::Result<f64> {
    Ok(t.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()? as f64)
}

fn sigmoid(t: &Tensor) -> candle_core::Result<Tensor> {
    t.neg()?.exp()?.affine(1.0, 1.0)?.recip()
}

/// One input or target batch: per timestep `[B, values]` (HWC values for frames).
pub fn batch_tensor(rows: &[&[f64]], dev: &Device) -> candle_core::Result<Tensor> {
    let n = rows.first().map_or(0, |r| r.len());
    let v: Vec<f32> = rows
        .iter()
        .flat_map(|r| r.iter().map(|x| *x as f32))
        .collect();
    Tensor::from_vec(v, (rows.len(), n), dev)
}

/// Run the network over a batch. `xs[t]` is `[B, input_len]`; `w` holds the forward values of
/// [`Params::list`] as tensors of their shapes. Returns the outputs `[B, output_len]` of every
/// timestep (`all_steps`) or of the last only.
pub fn forward(
    arch: &Arch,
    w: &[Tensor],
    xs: &[Tensor],
    all_steps: bool,
    mut stats: Option<&mut Stats>,
) -> candle_core::Result<Vec<Tensor>> {
    let b = xs[0].dim(0)?;
    let dev = xs[0].device().clone();
    let conv = arch.cell == Cell::ConvLstm;
    let (mh, mw) = arch.map.unwrap_or((1, 1));
    let pad = (arch.kernel - 1) / 2;
    let per_layer = if arch.cell == Cell::Gru { 4 } else { 3 };
    let nl = arch.hidden.len();
    // transposed dense weights, bias shapes for conv
    let mut wt = Vec::with_capacity(nl);
    for l in 0..nl {
        let base = l * per_layer;
        if conv {
            let rows = w[base + 2].dim(0)?;
            wt.push((
                w[base].clone(),
                w[base + 1].clone(),
                w[base + 2].reshape((1, rows, 1, 1))?,
                None,
            ));
        } else {
            wt.push((
                w[base].t()?.contiguous()?,
                w[base + 1].t()?.contiguous()?,
                w[base + 2].clone(),
                (arch.cell == Cell::Gru).then(|| w[base + 3].clone()),
            ));
        }
    }
    let hw = &w[nl * per_layer];
    let hb = &w[nl * per_layer + 1];
    let head_w = if conv {
        hw.reshape((arch.outputs, *arch.hidden.last().unwrap_or(&0), 1, 1))?
    } else {
        hw.t()?.contiguous()?
    };
    let mut h: Vec<Tensor> = Vec::with_capacity(nl);
    let mut c: Vec<Tensor> = Vec::with_capacity(nl);
    for &hs in &arch.hidden {
        let z = if conv {
            Tensor::zeros((b, hs, mh, mw), DType::F32, &dev)?
        } else {
            Tensor::zeros((b, hs), DType::F32, &dev)?
        };
        h.push(z.clone());
        c.push(z);
    }
    let mut outs = Vec::new();
    let gate_dim = 1;
    for (t, x) in xs.iter().enumerate() {
        if let Some(s) = stats.as_deref_mut() {
            s.x = s.x.max(amax(x)?);
        }
        let mut input = if conv {
            x.reshape((b, mh, mw, arch.input))?
                .permute((0, 3, 1, 2))?
                .contiguous()?
        } else {
            x.clone()
        };
        for l in 0..nl {
            let hs = arch.hidden[l];
            let (wl, ul, bl, bhl) = &wt[l];
            match arch.cell {
                Cell::Lstm | Cell::ConvLstm => {
                    let z = if conv {
                        input
                            .conv2d(wl, pad, 1, 1, 1)?
                            .add(&h[l].conv2d(ul, pad, 1, 1, 1)?)?
                            .broadcast_add(bl)?
                    } else {
                        input
                            .matmul(wl)?
                            .add(&h[l].matmul(ul)?)?
                            .broadcast_add(bl)?
                    };
                    if let Some(s) = stats.as_deref_mut() {
                        s.pre = s.pre.max(amax(&z)?);
                    }
                    let i = sigmoid(&z.narrow(gate_dim, 0, hs)?)?;
                    let f = sigmoid(&z.narrow(gate_dim, hs, hs)?)?;
                    let g = z.narrow(gate_dim, 2 * hs, hs)?.tanh()?;
                    let o = sigmoid(&z.narrow(gate_dim, 3 * hs, hs)?)?;
                    let c2 = f.mul(&c[l])?.add(&i.mul(&g)?)?;
                    let h2 = o.mul(&c2.tanh()?)?;
                    if let Some(s) = stats.as_deref_mut() {
                        s.c = s.c.max(amax(&c2)?);
                        s.h = s.h.max(amax(&h2)?);
                    }
                    c[l] = c2;
                    h[l] = h2;
                }
                Cell::Gru => {
                    let gx = input.matmul(wl)?.broadcast_add(bl)?;
                    let bh = bhl.as_ref().expect("GRU has b_h");
                    let gh = h[l].matmul(ul)?.broadcast_add(bh)?;
                    let pre_rz = gx.narrow(1, 0, 2 * hs)?.add(&gh.narrow(1, 0, 2 * hs)?)?;
                    let r = sigmoid(&pre_rz.narrow(1, 0, hs)?)?;
                    let zg = sigmoid(&pre_rz.narrow(1, hs, hs)?)?;
                    let hn = gh.narrow(1, 2 * hs, hs)?;
                    let pre_n = gx.narrow(1, 2 * hs, hs)?.add(&r.mul(&hn)?)?;
                    let n = pre_n.tanh()?;
                    // h' = (1 − z)⊙n + z⊙h = n + z⊙(h − n)
                    let h2 = n.add(&zg.mul(&h[l].sub(&n)?)?)?;
                    if let Some(s) = stats.as_deref_mut() {
                        s.pre = s.pre.max(amax(&pre_rz)?).max(amax(&hn)?).max(amax(&pre_n)?);
                        s.h = s.h.max(amax(&h2)?);
                    }
                    h[l] = h2;
                }
            }
            input = h[l].clone();
        }
        if all_steps || t + 1 == xs.len() {
            let y = if conv {
                input
                    .conv2d(&head_w, 0, 1, 1, 1)?
                    .broadcast_add(&hb.reshape((1, arch.outputs, 1, 1))?)?
                    .permute((0, 2, 3, 1))?
                    .contiguous()?
                    .reshape((b, mh * mw * arch.outputs))?
            } else {
                input.matmul(&head_w)?.broadcast_add(hb)?
            };
            if let Some(s) = stats.as_deref_mut() {
                s.out = s.out.max(amax(&y)?);
            }
            outs.push(y);
        }
    }
    Ok(outs)
}

/// Mean softmax cross-entropy of logits `[B, O]` against class indices `labels` (`u32 [B]`).
pub fn cross_entropy(logits: &Tensor, labels: &Tensor) -> candle_core::Result<Tensor> {
    let lse = logits.log_sum_exp(D::Minus1)?;
    let picked = logits.gather(&labels.unsqueeze(1)?, 1)?.squeeze(1)?;
    lse.sub(&picked)?.mean_all()
}

/// Mean squared error over every element of every timestep.
pub fn mse(outs: &[Tensor], targets: &[Tensor]) -> candle_core::Result<Tensor> {
    let mut total: Option<Tensor> = None;
    for (o, t) in outs.iter().zip(targets) {
        let s = o.sub(t)?.sqr()?.sum_all()?;
        total = Some(match total {
            None => s,
            Some(a) => a.add(&s)?,
        });
    }
    let n: usize = outs.iter().map(|o| o.elem_count()).sum();
    total
        .expect("at least one timestep")
        .affine(1.0 / n.max(1) as f64, 0.0)
}
