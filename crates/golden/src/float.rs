//! The float reference (docs/NUMERICS.md §10): the same model in f64 with real weights
//! `α_r · code`, real biases, unquantized activations, exact σ and tanh, no rounding anywhere.
//!
//! It is the yardstick for quantization error, not for bit-exactness. The cell functions
//! ([`lstm_cell`], [`gru_cell`]) take plain matrices so that they can be checked against PyTorch's
//! equations on fixed vectors.

use qrnn_model::{Cell, Model, Weights};

/// Real-valued weights `α_r · c` of a tensor, row-major.
pub fn real_weights(w: &Weights) -> Vec<f64> {
    let n = w.row_len();
    w.codes
        .iter()
        .enumerate()
        .map(|(i, c)| w.scale.alpha(i / n.max(1)) * *c as f64)
        .collect()
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// `y = M·a` for a row-major `rows × a.len()` matrix.
pub fn matvec(m: &[f64], a: &[f64]) -> Vec<f64> {
    let n = a.len();
    m.chunks(n)
        .map(|row| row.iter().zip(a).map(|(w, x)| w * x).sum())
        .collect()
}

/// One PyTorch `nn.LSTMCell` step: `w_ih [4H,I]`, `w_hh [4H,H]`, gate order i,f,g,o;
/// `b` = `b_ih + b_hh`. Returns `(h', c')`.
pub fn lstm_cell(
    w_ih: &[f64],
    w_hh: &[f64],
    b: &[f64],
    x: &[f64],
    h: &[f64],
    c: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let hs = h.len();
    let gx = matvec(w_ih, x);
    let gh = matvec(w_hh, h);
    let z: Vec<f64> = (0..4 * hs).map(|r| gx[r] + gh[r] + b[r]).collect();
    lstm_update(&z, c)
}

fn lstm_update(z: &[f64], c: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let hs = c.len();
    let mut h2 = vec![0.0; hs];
    let mut c2 = vec![0.0; hs];
    for u in 0..hs {
        let i = sigmoid(z[u]);
        let f = sigmoid(z[hs + u]);
        let g = z[2 * hs + u].tanh();
        let o = sigmoid(z[3 * hs + u]);
        c2[u] = f * c[u] + i * g;
        h2[u] = o * c2[u].tanh();
    }
    (h2, c2)
}

/// One PyTorch `nn.GRUCell` step: `w_ih [3H,I]`, `w_hh [3H,H]`, gate order r,z,n, biases
/// `b_ih`, `b_hh`; `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1-z) ⊙ n + z ⊙ h`.
pub fn gru_cell(
    w_ih: &[f64],
    w_hh: &[f64],
    b_ih: &[f64],
    b_hh: &[f64],
    x: &[f64],
    h: &[f64],
) -> Vec<f64> {
    let hs = h.len();
    let gx = matvec(w_ih, x);
    let gh = matvec(w_hh, h);
    gru_update(&gx, &gh, b_ih, b_hh, h, hs)
}

fn gru_update(
    gx: &[f64],
    gh: &[f64],
    b_ih: &[f64],
    b_hh: &[f64],
    h: &[f64],
    hs: usize,
) -> Vec<f64> {
    (0..hs)
        .map(|u| {
            let r = sigmoid(gx[u] + b_ih[u] + gh[u] + b_hh[u]);
            let z = sigmoid(gx[hs + u] + b_ih[hs + u] + gh[hs + u] + b_hh[hs + u]);
            let n = (gx[2 * hs + u] + b_ih[2 * hs + u] + r * (gh[2 * hs + u] + b_hh[2 * hs + u]))
                .tanh();
            (1.0 - z) * n + z * h[u]
        })
        .collect()
}

/// `k×k` same-padded convolution of an HWC map with OIHW weights → HWC map with `rows` channels.
fn conv(wr: &[f64], rows: usize, ch: usize, k: usize, a: &[f64], hh: usize, ww: usize) -> Vec<f64> {
    let p = (k - 1) / 2;
    let mut out = vec![0.0; hh * ww * rows];
    for y in 0..hh {
        for x in 0..ww {
            for r in 0..rows {
                let mut s = 0.0;
                for ci in 0..ch {
                    for dy in 0..k {
                        for dx in 0..k {
                            let (yy, xx) = (y + dy, x + dx);
                            if yy < p || xx < p || yy - p >= hh || xx - p >= ww {
                                continue;
                            }
                            s += wr[((r * ch + ci) * k + dy) * k + dx]
                                * a[((yy - p) * ww + xx - p) * ch + ci];
                        }
                    }
                }
                out[(y * ww + x) * rows + r] = s;
            }
        }
    }
    out
}

/// Run a real-valued sequence through the float reference; returns the real output per timestep
/// (head outputs, or the last layer's `h`).
pub fn run(model: &Model, seq: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let px = model.pixels();
    let mut hs: Vec<Vec<f64>> = model
        .layers
        .iter()
        .map(|l| vec![0.0; px * l.hidden])
        .collect();
    let mut cs: Vec<Vec<f64>> = hs.clone();
    let real: Vec<(Vec<f64>, Vec<f64>)> = model
        .layers
        .iter()
        .map(|l| (real_weights(&l.w), real_weights(&l.u)))
        .collect();
    let mut outs = Vec::with_capacity(seq.len());
    for x in seq {
        let mut input = x.clone();
        for (l, layer) in model.layers.iter().enumerate() {
            let fb = |v: &[i64]| {
                v.iter()
                    .map(|b| layer.bias_fmt.to_f64(*b))
                    .collect::<Vec<f64>>()
            };
            let (w, u) = &real[l];
            let hsz = layer.hidden;
            match layer.cell {
                Cell::Lstm => {
                    let (h2, c2) = lstm_cell(w, u, &fb(&layer.bias), &input, &hs[l], &cs[l]);
                    hs[l] = h2;
                    cs[l] = c2;
                }
                Cell::Gru => {
                    hs[l] = gru_cell(w, u, &fb(&layer.bias), &fb(&layer.bias_h), &input, &hs[l]);
                }
                Cell::ConvLstm => {
                    let (mh, mw) = model.input.map.expect("validated: ConvLSTM has a map");
                    let rows = layer.rows();
                    let cin = layer.w.shape[1];
                    let zx = conv(w, rows, cin, layer.kernel, &input, mh, mw);
                    let zh = conv(u, rows, hsz, layer.kernel, &hs[l], mh, mw);
                    let b = fb(&layer.bias);
                    let mut h2 = vec![0.0; px * hsz];
                    let mut c2 = vec![0.0; px * hsz];
                    for p in 0..px {
                        let z: Vec<f64> = (0..rows)
                            .map(|r| zx[p * rows + r] + zh[p * rows + r] + b[r])
                            .collect();
                        let (hp, cp) = lstm_update(&z, &cs[l][p * hsz..(p + 1) * hsz]);
                        h2[p * hsz..(p + 1) * hsz].copy_from_slice(&hp);
                        c2[p * hsz..(p + 1) * hsz].copy_from_slice(&cp);
                    }
                    hs[l] = h2;
                    cs[l] = c2;
                }
            }
            input = hs[l].clone();
        }
        let out = match &model.head {
            Some(head) => {
                let d = real_weights(&head.w);
                let hsz = model.layers.last().map(|l| l.hidden).unwrap_or(0);
                let mut o = Vec::with_capacity(px * head.outputs());
                for p in 0..px {
                    let y = matvec(&d, &input[p * hsz..(p + 1) * hsz]);
                    o.extend(
                        y.iter()
                            .zip(&head.bias)
                            .map(|(v, b)| v + head.bias_fmt.to_f64(*b)),
                    );
                }
                o
            }
            None => input,
        };
        outs.push(out);
    }
    outs
}
