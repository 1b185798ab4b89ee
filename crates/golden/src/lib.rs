//! `qrnn-golden`: the bit-exact integer golden model of qrnn-hw, and a float reference.
//!
//! The integer executor ([`Executor`], [`run`]) implements docs/NUMERICS.md on its own: it takes
//! only data from `qrnn-model` (codes, scales, formats, biases, tables) and the interval analysis
//! for its run-time range checks; every alignment fraction, rounding and saturation is written out
//! here from the spec, section by section. It never depends on the hardware generator, and the
//! generator never calls it: they are two implementations of one spec, compared in co-simulation.
//!
//! Layout of every vector: for LSTM/GRU, element `u` of a layer's `h`/`c` and row `r` of its
//! gates (rows in gate order, `r = gate·H + u`). For ConvLSTM, pixel-major HWC: element
//! `(y·W + x)·C + ch`, and gate rows `(y·W + x)·4C + r`.

pub mod float;

use qrnn_model::analysis::{analyze, LayerRanges, Ranges};
use qrnn_model::fixed::{align, binarize, requant};
use qrnn_model::{ActFmt, Cell, Interval, Layer, Model, QwError, Weights};
use serde::Serialize;

/// Why the golden model stopped.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GoldenError {
    /// The model is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Model(#[from] QwError),
    /// An input value is not a legal integer of the input format.
    #[error(
        "input timestep {t}, element {index}: {value} is not a value of the input format {format}"
    )]
    #[diagnostic(code(qrnn::golden::input))]
    Input {
        t: usize,
        index: usize,
        value: i64,
        format: ActFmt,
    },
    /// An input timestep has the wrong number of values.
    #[error("input timestep {t} has {found} values, the model needs {expected}")]
    #[diagnostic(code(qrnn::golden::input_len))]
    InputLen {
        t: usize,
        found: usize,
        expected: usize,
    },
    /// A value left the interval the spec gives it: a bug in the golden model or the analysis.
    #[error("internal error: layer {layer}, timestep {t}, {point} element {index} = {value} is outside its spec range {interval} (NUMERICS.md §5.1)")]
    #[diagnostic(
        code(qrnn::golden::range),
        help("this is a bug in qrnn-hw; please report it with the model file")
    )]
    Range {
        layer: String,
        t: usize,
        point: &'static str,
        index: usize,
        value: i64,
        interval: Interval,
    },
}

/// Everything one layer computed in one timestep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerTrace {
    /// Saturated pre-activations `z` (point `pre`), one per gate row (per pixel for ConvLSTM).
    pub pre: Vec<i64>,
    /// Gate values (table outputs at fraction `Fa`): i,f,g,o or r,z,n.
    pub gates: Vec<i64>,
    /// GRU: `hn` (point `gru_hn`), one per unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hn: Option<Vec<i64>>,
    /// LSTM/ConvLSTM: new cell state (point `c`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub c: Option<Vec<i64>>,
    /// LSTM/ConvLSTM: `tanh(c)` table output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tanh_c: Option<Vec<i64>>,
    /// New hidden state (point `h`).
    pub h: Vec<i64>,
}

/// Everything the model computed in one timestep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepTrace {
    /// Timestep index within the sequence.
    pub t: usize,
    /// The quantized input.
    pub x: Vec<i64>,
    /// One per layer.
    pub layers: Vec<LayerTrace>,
    /// Head outputs (point `head`), if the model has a head.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Vec<i64>>,
}

impl StepTrace {
    /// The model's output of this timestep: the head's outputs, or the last layer's `h`.
    pub fn output(&self) -> &[i64] {
        match &self.head {
            Some(h) => h,
            None => &self.layers.last().expect("a model has layers").h,
        }
    }
}

/// The recurrent state of one layer.
#[derive(Clone, Debug, PartialEq)]
struct LayerState {
    h: Vec<i64>,
    c: Vec<i64>,
}

/// A stateful integer executor: feed timesteps one at a time; [`Executor::reset`] starts a new
/// sequence (what `seq_start` does in hardware).
pub struct Executor<'m> {
    model: &'m Model,
    ranges: Ranges,
    state: Vec<LayerState>,
    t: usize,
}

/// A run over one sequence: outputs per timestep, and the full trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// Output integers per timestep (see [`StepTrace::output`]).
    pub outputs: Vec<Vec<i64>>,
    /// Per-timestep trace.
    pub trace: Vec<StepTrace>,
}

/// Quantize a real input sequence to the model's input format (point `input`, §9).
pub fn quantize_input(model: &Model, seq: &[Vec<f64>]) -> Vec<Vec<i64>> {
    seq.iter()
        .map(|row| {
            row.iter()
                .map(|v| model.input.format.quantize(*v))
                .collect()
        })
        .collect()
}

/// The real value of an output integer.
pub fn output_to_f64(model: &Model, q: i64) -> f64 {
    match &model.head {
        Some(h) => h.out_fmt.to_f64(q),
        None => model
            .layers
            .last()
            .map(|l| l.h_fmt.to_f64(q))
            .unwrap_or(0.0),
    }
}

/// Run a whole sequence of integer inputs from the initial state.
pub fn run(model: &Model, inputs: &[Vec<i64>]) -> Result<Run, GoldenError> {
    let mut ex = Executor::new(model)?;
    let mut trace = Vec::with_capacity(inputs.len());
    for x in inputs {
        trace.push(ex.step(x)?);
    }
    Ok(Run {
        outputs: trace.iter().map(|s| s.output().to_vec()).collect(),
        trace,
    })
}

/// The outputs of a whole sequence from the initial state, without keeping the per-step trace
/// (memory proportional to the outputs, not to every gate and state of every step).
pub fn run_outputs(model: &Model, inputs: &[Vec<i64>]) -> Result<Vec<Vec<i64>>, GoldenError> {
    let mut ex = Executor::new(model)?;
    inputs
        .iter()
        .map(|x| ex.step(x).map(|st| st.output().to_vec()))
        .collect()
}

/// Conv geometry of a layer, if it is a ConvLSTM layer: (height, width, kernel).
#[derive(Clone, Copy)]
struct Geo {
    h: usize,
    w: usize,
    k: usize,
}

/// `acc` (§5) of every (pixel, row): `out[p·rows + r] = Σ c[r][·] · a[·]`.
/// Dense: `a` has `cols` elements and there is one pixel. Conv (§7.3): `a` is an HWC map with
/// `C = shape[1]` channels; taps outside the map contribute 0.
fn accumulate(w: &Weights, a: &[i64], geo: Option<Geo>) -> Vec<i64> {
    let rows = w.rows();
    match geo {
        None => (0..rows)
            .map(|r| w.row(r).iter().zip(a).map(|(c, x)| *c as i64 * x).sum())
            .collect(),
        Some(g) => {
            let ch = w.shape[1];
            let p = (g.k - 1) / 2;
            let mut out = vec![0i64; g.h * g.w * rows];
            for y in 0..g.h {
                for x in 0..g.w {
                    let base = (y * g.w + x) * rows;
                    for r in 0..rows {
                        let codes = w.row(r);
                        let mut acc = 0i64;
                        for ci in 0..ch {
                            for dy in 0..g.k {
                                let yy = y as isize + dy as isize - p as isize;
                                if yy < 0 || yy >= g.h as isize {
                                    continue;
                                }
                                for dx in 0..g.k {
                                    let xx = x as isize + dx as isize - p as isize;
                                    if xx < 0 || xx >= g.w as isize {
                                        continue;
                                    }
                                    let c = codes[(ci * g.k + dy) * g.k + dx] as i64;
                                    acc += c * a[(yy as usize * g.w + xx as usize) * ch + ci];
                                }
                            }
                        }
                        out[base + r] = acc;
                    }
                }
            }
            out
        }
    }
}

impl<'m> Executor<'m> {
    /// A new executor in the initial state. Validates the model and analyses its ranges.
    pub fn new(model: &'m Model) -> Result<Executor<'m>, GoldenError> {
        model.validate()?;
        let ranges = analyze(model)?;
        let mut ex = Executor {
            model,
            ranges,
            state: Vec::new(),
            t: 0,
        };
        ex.reset();
        Ok(ex)
    }

    /// Start a new sequence: `c = 0`, `h = 0` (or +1 for binary `h`), §7.
    pub fn reset(&mut self) {
        let px = self.model.pixels();
        self.state = self
            .model
            .layers
            .iter()
            .map(|l| LayerState {
                h: vec![l.h_fmt.initial(); px * l.hidden],
                c: vec![0; if l.cell.has_c() { px * l.hidden } else { 0 }],
            })
            .collect();
        self.t = 0;
    }

    fn check(
        &self,
        layer: &str,
        point: &'static str,
        iv: Interval,
        vals: &[i64],
    ) -> Result<(), GoldenError> {
        match vals.iter().position(|v| !iv.contains(*v)) {
            None => Ok(()),
            Some(index) => Err(GoldenError::Range {
                layer: layer.into(),
                t: self.t,
                point,
                index,
                value: vals[index],
                interval: iv,
            }),
        }
    }

    /// Advance one timestep with integer input `x` (in the input format).
    pub fn step(&mut self, x: &[i64]) -> Result<StepTrace, GoldenError> {
        let m = self.model;
        if x.len() != m.input_len() {
            return Err(GoldenError::InputLen {
                t: self.t,
                found: x.len(),
                expected: m.input_len(),
            });
        }
        if let Some(index) = x.iter().position(|v| !m.input.format.contains(*v)) {
            return Err(GoldenError::Input {
                t: self.t,
                index,
                value: x[index],
                format: m.input.format,
            });
        }
        let mut layers = Vec::with_capacity(m.layers.len());
        let mut input = x.to_vec();
        for l in 0..m.layers.len() {
            let tr = self.layer_step(l, &input)?;
            input = tr.h.clone();
            layers.push(tr);
        }
        let head = match &m.head {
            Some(_) => Some(self.head_step(&input)?),
            None => None,
        };
        let st = StepTrace {
            t: self.t,
            x: x.to_vec(),
            layers,
            head,
        };
        self.t += 1;
        Ok(st)
    }

    fn layer_step(&mut self, l: usize, x: &[i64]) -> Result<LayerTrace, GoldenError> {
        let m = self.model;
        let layer: &Layer = &m.layers[l];
        let rg: &LayerRanges = &self.ranges.layers[l];
        let name = l.to_string();
        let x_fmt = m.layer_input_fmt(l);
        let geo = m.input.map.map(|(h, w)| Geo {
            h,
            w,
            k: layer.kernel,
        });
        let px = m.pixels();
        let hsz = layer.hidden;
        let rows = layer.rows();
        let h_prev = self.state[l].h.clone();

        // §5: acc and terms. T = m_r · acc at fraction φ = k + F(a).
        let acc_w = accumulate(&layer.w, x, geo);
        let acc_u = accumulate(&layer.u, &h_prev, geo);
        self.check(&name, "acc (W·x)", rg.acc_w, &acc_w)?;
        self.check(&name, "acc (U·h)", rg.acc_u, &acc_u)?;
        let phi_w = layer.w.scale.shift + x_fmt.frac();
        let phi_u = layer.u.scale.shift + layer.h_fmt.frac();
        let fb = layer.bias_fmt.frac;
        let fa = layer.act_frac as i32;
        let fz = layer.pre.frac;
        let one = 1i64 << layer.act_frac;
        let tw = |p: usize, r: usize| layer.w.scale.mult_of(r) * acc_w[p * rows + r];
        let tu = |p: usize, r: usize| layer.u.scale.mult_of(r) * acc_u[p * rows + r];
        let sig = |z: i64| layer.sigmoid[layer.table_index(z)];
        let tanh = |z: i64| layer.tanh[layer.table_index(z)];
        let g = phi_w.max(phi_u).max(fb);

        let mut pre = vec![0i64; px * rows];
        let mut gates = vec![0i64; px * rows];
        let mut h = vec![0i64; px * hsz];
        let mut pre_sums = Vec::new();
        match layer.cell {
            Cell::Lstm | Cell::ConvLstm => {
                // §7.1
                let cf = layer.c_fmt.expect("validated: LSTM has a c format");
                let gc = (fa + cf.frac).max(2 * fa);
                let mut c = vec![0i64; px * hsz];
                let mut tanh_c = vec![0i64; px * hsz];
                let mut c_sums = Vec::with_capacity(px * hsz);
                let mut h_prods = Vec::with_capacity(px * hsz);
                for p in 0..px {
                    for r in 0..rows {
                        let s = align(tw(p, r), phi_w, g)
                            + align(tu(p, r), phi_u, g)
                            + align(layer.bias[r], fb, g);
                        pre_sums.push(s);
                        let z = requant(s, g, layer.pre);
                        pre[p * rows + r] = z;
                        gates[p * rows + r] = if r / hsz == 2 { tanh(z) } else { sig(z) };
                    }
                    for u in 0..hsz {
                        let gi = gates[p * rows + u];
                        let gf = gates[p * rows + hsz + u];
                        let gg = gates[p * rows + 2 * hsz + u];
                        let go = gates[p * rows + 3 * hsz + u];
                        let c_old = self.state[l].c[p * hsz + u];
                        let s = align(gf * c_old, fa + cf.frac, gc) + align(gi * gg, 2 * fa, gc);
                        c_sums.push(s);
                        let c_new = requant(s, gc, cf);
                        let zc = requant(c_new, cf.frac, layer.pre);
                        let tc = tanh(zc);
                        let prod = go * tc;
                        h_prods.push(prod);
                        c[p * hsz + u] = c_new;
                        tanh_c[p * hsz + u] = tc;
                        h[p * hsz + u] = match layer.h_fmt {
                            ActFmt::Fixed(hf) => requant(prod, 2 * fa, hf),
                            ActFmt::Binary => binarize(prod),
                        };
                    }
                }
                self.check(&name, "pre sum", rg.pre_sum, &pre_sums)?;
                self.check(
                    &name,
                    "c sum",
                    rg.c_sum.expect("LSTM ranges have c"),
                    &c_sums,
                )?;
                self.check(&name, "h product", rg.h_sum, &h_prods)?;
                self.check(&name, "sigmoid/tanh", rg.sigmoid.union(rg.tanh), &gates)?;
                self.state[l].c = c.clone();
                self.state[l].h = h.clone();
                Ok(LayerTrace {
                    pre,
                    gates,
                    hn: None,
                    c: Some(c),
                    tanh_c: Some(tanh_c),
                    h,
                })
            }
            Cell::Gru => {
                // §7.2 (one pixel)
                let gh = phi_u.max(fb);
                let gx = phi_w.max(fb);
                let gn = gx.max(fa + fz);
                let fh = layer.h_fmt.frac();
                let ghp = (2 * fa).max(fa + fh);
                let mut hn = vec![0i64; hsz];
                let (mut hn_sums, mut n_sums, mut h_sums) = (Vec::new(), Vec::new(), Vec::new());
                for r in 0..2 * hsz {
                    let b = layer.bias[r] + layer.bias_h[r];
                    let s = align(tw(0, r), phi_w, g) + align(tu(0, r), phi_u, g) + align(b, fb, g);
                    pre_sums.push(s);
                    pre[r] = requant(s, g, layer.pre);
                    gates[r] = sig(pre[r]);
                }
                for u in 0..hsz {
                    let r = 2 * hsz + u;
                    let shn = align(tu(0, r), phi_u, gh) + align(layer.bias_h[r], fb, gh);
                    hn_sums.push(shn);
                    hn[u] = requant(shn, gh, layer.pre);
                    let xn = align(tw(0, r), phi_w, gx) + align(layer.bias[r], fb, gx);
                    let sn = align(xn, gx, gn) + align(gates[u] * hn[u], fa + fz, gn);
                    n_sums.push(sn);
                    pre[r] = requant(sn, gn, layer.pre);
                    gates[r] = tanh(pre[r]);
                    let z = gates[hsz + u];
                    let n = gates[r];
                    let v = align((one - z) * n, 2 * fa, ghp) + align(z * h_prev[u], fa + fh, ghp);
                    h_sums.push(v);
                    h[u] = match layer.h_fmt {
                        ActFmt::Fixed(hf) => requant(v, ghp, hf),
                        ActFmt::Binary => binarize(v),
                    };
                }
                self.check(&name, "pre sum", rg.pre_sum, &pre_sums)?;
                self.check(
                    &name,
                    "gru_hn sum",
                    rg.hn_sum.expect("GRU ranges have hn"),
                    &hn_sums,
                )?;
                self.check(
                    &name,
                    "n pre sum",
                    rg.n_sum.expect("GRU ranges have n"),
                    &n_sums,
                )?;
                self.check(&name, "h sum", rg.h_sum, &h_sums)?;
                self.check(&name, "sigmoid/tanh", rg.sigmoid.union(rg.tanh), &gates)?;
                self.state[l].h = h.clone();
                Ok(LayerTrace {
                    pre,
                    gates,
                    hn: Some(hn),
                    c: None,
                    tanh_c: None,
                    h,
                })
            }
        }
    }

    /// §8: the dense head (a 1×1 convolution per pixel for ConvLSTM).
    fn head_step(&self, h_last: &[i64]) -> Result<Vec<i64>, GoldenError> {
        let m = self.model;
        let head = m.head.as_ref().expect("called only with a head");
        let last = m.layers.last().expect("a model has layers");
        let rg = self.ranges.head.as_ref().expect("head ranges");
        let hsz = last.hidden;
        let o = head.outputs();
        let phi = head.w.scale.shift + last.h_fmt.frac();
        let fb = head.bias_fmt.frac;
        let g = phi.max(fb);
        let mut out = Vec::with_capacity(m.pixels() * o);
        let mut accs = Vec::new();
        let mut sums = Vec::new();
        for p in 0..m.pixels() {
            let hp = &h_last[p * hsz..(p + 1) * hsz];
            let acc = accumulate(&head.w, hp, None);
            for (r, a) in acc.iter().enumerate() {
                let s = align(head.w.scale.mult_of(r) * a, phi, g) + align(head.bias[r], fb, g);
                accs.push(*a);
                sums.push(s);
                out.push(requant(s, g, head.out_fmt));
            }
        }
        self.check("head", "acc (D·h)", rg.acc, &accs)?;
        self.check("head", "head sum", rg.sum, &sums)?;
        Ok(out)
    }
}
