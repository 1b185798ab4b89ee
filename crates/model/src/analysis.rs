//! Interval analysis (docs/NUMERICS.md §5.1): the integer range of every named value of a model,
//! computed from its actual codes, biases and tables. The golden model checks every value it
//! computes against these intervals; the hardware generator sizes every register by their widths.
//!
//! This module derives the alignment fractions from the spec on its own; it does not share code
//! with the golden executor, so a disagreement between the two shows up as a failed range check.

use crate::error::QwError;
use crate::fixed::ActFmt;
use crate::fixed::{Fmt, Interval};
use crate::model::{Cell, Layer, Model, Weights};

/// The widest a named value may be (§5.1).
pub const MAX_WIDTH: u32 = 62;

/// Ranges of one layer's named values (unions over rows/units).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerRanges {
    /// `acc` of `W·x` (§5).
    pub acc_w: Interval,
    /// `acc` of `U·h`.
    pub acc_u: Interval,
    /// The exact sum before point `pre` (for GRU: the r and z rows).
    pub pre_sum: Interval,
    /// σ table outputs.
    pub sigmoid: Interval,
    /// tanh table outputs.
    pub tanh: Interval,
    /// The exact sum before point `c` (LSTM, ConvLSTM).
    pub c_sum: Option<Interval>,
    /// The exact sum before point `gru_hn` (GRU).
    pub hn_sum: Option<Interval>,
    /// The exact sum before point `pre` for the GRU n rows.
    pub n_sum: Option<Interval>,
    /// The exact value before point `h`.
    pub h_sum: Interval,
}

/// Ranges of the head's named values.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadRanges {
    /// `acc` of `D·h`.
    pub acc: Interval,
    /// The exact sum before point `head`.
    pub sum: Interval,
}

/// Ranges of a whole model.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranges {
    /// One per layer.
    pub layers: Vec<LayerRanges>,
    /// The head, if any.
    pub head: Option<HeadRanges>,
}

fn acc_row(w: &Weights, r: usize, a: Interval) -> Interval {
    w.row(r)
        .iter()
        .fold(Interval::ZERO, |s, &c| s.add(a.scale(c as i64)))
}

fn term_row(w: &Weights, r: usize, a: Interval) -> Interval {
    acc_row(w, r, a).scale(w.scale.mult_of(r))
}

fn konst(v: i64) -> Interval {
    Interval::new(v, v)
}

fn table_range(t: &[i64]) -> Interval {
    let lo = t.iter().copied().min().unwrap_or(0);
    let hi = t.iter().copied().max().unwrap_or(0);
    Interval::new(lo, hi)
}

fn check(layer: &str, point: &'static str, iv: Interval) -> Result<Interval, QwError> {
    let width = iv.width();
    if width > MAX_WIDTH {
        return Err(QwError::TooWide {
            layer: layer.into(),
            point,
            width,
        });
    }
    Ok(iv)
}

/// An alignment `iv << s` (§2, `s ≥ 0`). Besides the value, the shift distance itself must stay
/// below 63 bits, so that a 64-bit implementation can execute `v << s` even when `v` happens to be
/// known to be 0 (a shift by 64 or more is undefined or a panic in most languages).
fn shl(layer: &str, point: &'static str, iv: Interval, s: i32) -> Result<Interval, QwError> {
    if s > MAX_WIDTH as i32 {
        return Err(QwError::TooWide {
            layer: layer.into(),
            point,
            width: s as u32 + 1,
        });
    }
    Ok(iv.shl(s))
}

/// `requant(v, from → to)` (§2) of a value in `iv`: when `to > from` the rounding shift is a left
/// shift, and the shifted value, before saturation, is computed exactly; it must fit in 62 bits.
fn requant_check(
    layer: &str,
    point: &'static str,
    iv: Interval,
    from: i32,
    to: i32,
) -> Result<(), QwError> {
    if to > from {
        check(layer, point, shl(layer, point, iv, to - from)?)?;
    }
    Ok(())
}

/// Analyse one layer whose input has format `x_fmt`.
pub fn analyze_layer(layer: &Layer, x_fmt: ActFmt, name: &str) -> Result<LayerRanges, QwError> {
    let xa = x_fmt.interval();
    let ha = layer.h_fmt.interval();
    let phi_w = layer.w.scale.shift + x_fmt.frac();
    let phi_u = layer.u.scale.shift + layer.h_fmt.frac();
    let fb = layer.bias_fmt.frac;
    let g = phi_w.max(phi_u).max(fb);
    let fa = layer.act_frac as i32;
    let fz = layer.pre.frac;
    let hsz = layer.hidden;
    let mut acc_w = None::<Interval>;
    let mut acc_u = None::<Interval>;
    let mut pre_sum = None::<Interval>;
    let mut n_sum = None::<Interval>;
    let mut hn_sum = None::<Interval>;
    let join = |a: Option<Interval>, b: Interval| Some(a.map_or(b, |a| a.union(b)));
    let sig = table_range(&layer.sigmoid);
    let tanh = table_range(&layer.tanh);
    let pre_iv = layer.pre.interval();
    for r in 0..layer.rows() {
        acc_w = join(acc_w, check(name, "acc (W·x)", acc_row(&layer.w, r, xa))?);
        acc_u = join(acc_u, check(name, "acc (U·h)", acc_row(&layer.u, r, ha))?);
        let tw = check(name, "term (W·x)", term_row(&layer.w, r, xa))?;
        let tu = check(name, "term (U·h)", term_row(&layer.u, r, ha))?;
        match layer.cell {
            Cell::Lstm | Cell::ConvLstm => {
                let s = shl(name, "W term alignment", tw, g - phi_w)?
                    .add(shl(name, "U term alignment", tu, g - phi_u)?)
                    .add(shl(name, "bias alignment", konst(layer.bias[r]), g - fb)?);
                let s = check(name, "pre sum", s)?;
                requant_check(name, "pre requant shift", s, g, fz)?;
                pre_sum = join(pre_sum, s);
            }
            Cell::Gru => {
                if r < 2 * hsz {
                    let b = konst(layer.bias[r]).add(konst(layer.bias_h[r]));
                    let s = shl(name, "W term alignment", tw, g - phi_w)?
                        .add(shl(name, "U term alignment", tu, g - phi_u)?)
                        .add(shl(name, "bias alignment", b, g - fb)?);
                    let s = check(name, "pre sum", s)?;
                    requant_check(name, "pre requant shift", s, g, fz)?;
                    pre_sum = join(pre_sum, s);
                } else {
                    let gh = phi_u.max(fb);
                    let hn = shl(name, "U term alignment", tu, gh - phi_u)?.add(shl(
                        name,
                        "bias alignment",
                        konst(layer.bias_h[r]),
                        gh - fb,
                    )?);
                    let hn = check(name, "gru_hn sum", hn)?;
                    requant_check(name, "gru_hn requant shift", hn, gh, fz)?;
                    hn_sum = join(hn_sum, hn);
                    let gx = phi_w.max(fb);
                    let xn = shl(name, "W term alignment", tw, gx - phi_w)?.add(shl(
                        name,
                        "bias alignment",
                        konst(layer.bias[r]),
                        gx - fb,
                    )?);
                    let xn = check(name, "n input sum", xn)?;
                    let gn = gx.max(fa + fz);
                    let s = shl(name, "n input alignment", xn, gn - gx)?.add(shl(
                        name,
                        "r·hn alignment",
                        sig.mul(pre_iv),
                        gn - fa - fz,
                    )?);
                    n_sum = join(n_sum, check(name, "n pre sum", s)?);
                }
            }
        }
    }
    let (c_sum, h_sum) = match layer.cell {
        Cell::Lstm | Cell::ConvLstm => {
            let c = layer.c_fmt.unwrap_or(Fmt { width: 1, frac: 0 });
            let gc = (fa + c.frac).max(2 * fa);
            let cs = shl(
                name,
                "f·c alignment",
                sig.mul(c.interval()),
                gc - fa - c.frac,
            )?
            .add(shl(name, "i·g alignment", sig.mul(tanh), gc - 2 * fa)?);
            let cs = check(name, "c sum", cs)?;
            // point `c_pre`: requant(c', Fc → pre)
            requant_check(name, "c_pre requant shift", c.interval(), c.frac, fz)?;
            let h = check(name, "h product", sig.mul(tanh))?;
            // point `h`: requant(o·tc, 2Fa → Hf), only for a fixed Hf
            if let ActFmt::Fixed(hf) = layer.h_fmt {
                requant_check(name, "h requant shift", h, 2 * fa, hf.frac)?;
            }
            (Some(cs), h)
        }
        Cell::Gru => {
            let fh = layer.h_fmt.frac();
            let gh = (2 * fa).max(fa + fh);
            let one = 1i64 << fa;
            let omz = Interval {
                lo: one as i128 - sig.hi,
                hi: one as i128 - sig.lo,
            };
            let v = shl(name, "(1-z)·n alignment", omz.mul(tanh), gh - 2 * fa)?.add(shl(
                name,
                "z·h alignment",
                sig.mul(ha),
                gh - fa - fh,
            )?);
            (None, check(name, "h sum", v)?)
        }
    };
    Ok(LayerRanges {
        acc_w: acc_w.unwrap_or(Interval::ZERO),
        acc_u: acc_u.unwrap_or(Interval::ZERO),
        pre_sum: pre_sum.unwrap_or(Interval::ZERO),
        sigmoid: sig,
        tanh,
        c_sum,
        hn_sum,
        n_sum,
        h_sum,
    })
}

/// Analyse a model whose tensors have the shapes of its architecture (called by
/// [`Model::validate`] after the shape checks).
pub fn analyze(model: &Model) -> Result<Ranges, QwError> {
    let mut layers = Vec::with_capacity(model.layers.len());
    for (l, layer) in model.layers.iter().enumerate() {
        layers.push(analyze_layer(
            layer,
            model.layer_input_fmt(l),
            &l.to_string(),
        )?);
    }
    let head = match (&model.head, model.layers.last()) {
        (Some(h), Some(last)) => {
            let ha = last.h_fmt.interval();
            let phi = h.w.scale.shift + last.h_fmt.frac();
            let g = phi.max(h.bias_fmt.frac);
            let mut acc = None::<Interval>;
            let mut sum = None::<Interval>;
            for o in 0..h.outputs() {
                let a = check("head", "acc (D·h)", acc_row(&h.w, o, ha))?;
                let t = check("head", "term (D·h)", a.scale(h.w.scale.mult_of(o)))?;
                let s = shl("head", "D term alignment", t, g - phi)?.add(shl(
                    "head",
                    "bias alignment",
                    konst(h.bias[o]),
                    g - h.bias_fmt.frac,
                )?);
                let s = check("head", "head sum", s)?;
                requant_check("head", "head requant shift", s, g, h.out_fmt.frac)?;
                acc = Some(acc.map_or(a, |x| x.union(a)));
                sum = Some(sum.map_or(s, |x| x.union(s)));
            }
            Some(HeadRanges {
                acc: acc.unwrap_or(Interval::ZERO),
                sum: sum.unwrap_or(Interval::ZERO),
            })
        }
        _ => None,
    };
    Ok(Ranges { layers, head })
}

/// The summary `qrnn-hw inspect --json` prints (and the Python `Model.info()` returns):
/// architecture, shapes, schemes and scales, formats, the accumulator widths of `ranges` (the
/// interval analysis of `m`), provenance and hash.
pub fn inspect_json(m: &Model, ranges: &Ranges) -> serde_json::Value {
    use serde_json::json;
    let layers: Vec<_> = m
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let r = &ranges.layers[l];
            json!({
                "cell": layer.cell.to_string(), "input": m.layer_input_size(l), "hidden": layer.hidden,
                "kernel": layer.kernel,
                "w": {"scheme": layer.w.scheme.to_string(), "shape": layer.w.shape, "scale": layer.w.scale, "bits": layer.w.bits()},
                "u": {"scheme": layer.u.scheme.to_string(), "shape": layer.u.shape, "scale": layer.u.scale, "bits": layer.u.bits()},
                "formats": {"x": m.layer_input_fmt(l).to_string(), "pre": layer.pre.to_string(), "act_frac": layer.act_frac,
                            "c": layer.c_fmt.map(|c| c.to_string()), "h": layer.h_fmt.to_string(), "bias": layer.bias_fmt.to_string()},
                "widths": {"acc_w": r.acc_w.width(), "acc_u": r.acc_u.width(), "pre_sum": r.pre_sum.width(),
                           "c_sum": r.c_sum.map(|i| i.width()), "hn_sum": r.hn_sum.map(|i| i.width()),
                           "n_sum": r.n_sum.map(|i| i.width()), "h_sum": r.h_sum.width()},
            })
        })
        .collect();
    let head = m.head.as_ref().map(|h| {
        json!({"outputs": h.outputs(), "scheme": h.w.scheme.to_string(), "scale": h.w.scale, "bits": h.w.bits(),
               "bias": h.bias_fmt.to_string(), "output": h.out_fmt.to_string(),
               "widths": ranges.head.as_ref().map(|r| json!({"acc": r.acc.width(), "sum": r.sum.width()}))})
    });
    json!({
        "name": m.name, "hash": m.hash(),
        "input": {"size": m.input.size, "map": m.input.map, "format": m.input.format.to_string()},
        "layers": layers, "head": head, "weight_bits": m.weight_bits(), "provenance": m.provenance,
    })
}
