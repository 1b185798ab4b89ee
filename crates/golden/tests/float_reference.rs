//! The float reference (NUMERICS.md §10) against PyTorch's documented cell equations.
//!
//! The expected values come from an independent source: tests/reference/pytorch_equations.py, a
//! pure-Python transcription of the `torch.nn.LSTM` / `torch.nn.GRU` documentation equations
//! (quoted in that script), run as
//!
//! ```text
//! python3 tests/reference/pytorch_equations.py
//! ```
//!
//! from the repository root; its output (17 significant digits) is pasted below verbatim.
// 17 significant digits are what the script prints (enough to round-trip any f64); keep them.
#![allow(clippy::excessive_precision)]

use qrnn_golden::float::{gru_cell, lstm_cell, real_weights, run};
use qrnn_model::example::{example, random_inputs, ExampleSpec};
use qrnn_model::{Cell, Scheme};

// ---- output of `python3 tests/reference/pytorch_equations.py` ----
const LSTM_H1: [f64; 2] = [-0.2115160491941358, 0.23674215186037856];
const LSTM_C1: [f64; 2] = [-0.35387433851099981, 0.42299730793299761];
const LSTM_H2: [f64; 2] = [-0.45102495717402807, 0.098361023200986691];
const LSTM_C2: [f64; 2] = [-0.67488306615251903, 0.20819068530689011];
const GRU_H1: [f64; 2] = [0.47873825499010486, -0.58798909846384639];
const GRU_H1_KERAS: [f64; 2] = [0.50341535777769009, -0.65793073589841167];
const GRU_H1_ZERO_H: [f64; 2] = [0.39107262187158065, -0.29187799215974836];
// ---- end of script output ----

/// Float vs float: only the summation order differs from the script (PyTorch's equations add
/// `W x + b_ih + W h + b_hh`, `lstm_cell` adds `W x + W h + (b_ih + b_hh)`), a few ulps.
const TOL: f64 = 1e-12;

// The fixed vectors, identical to the script's (H = 2, I = 3).
const X: [f64; 3] = [0.5, -1.25, 0.75];
const H0: [f64; 2] = [0.3, -0.6];
const C0: [f64; 2] = [-0.4, 0.9];

#[rustfmt::skip]
const LSTM_W_IH: [f64; 24] = [
    0.2, -0.5, 0.1,
    0.7, 0.3, -0.2,
    -0.3, 0.8, 0.5,
    0.1, -0.1, 0.9,
    0.6, 0.4, -0.7,
    -0.9, 0.2, 0.3,
    0.05, -0.65, 0.45,
    0.35, 0.15, -0.25,
];
#[rustfmt::skip]
const LSTM_W_HH: [f64; 16] = [
    0.4, -0.2,
    -0.6, 0.5,
    0.25, 0.75,
    -0.8, 0.1,
    0.9, -0.3,
    0.2, 0.6,
    -0.45, 0.55,
    0.65, -0.15,
];
const LSTM_B_IH: [f64; 8] = [0.1, -0.2, 0.3, 0.05, -0.15, 0.25, -0.35, 0.45];
const LSTM_B_HH: [f64; 8] = [0.02, 0.04, -0.06, 0.08, 0.1, -0.12, 0.14, -0.16];

#[rustfmt::skip]
const GRU_W_IH: [f64; 18] = [
    0.3, -0.4, 0.2,
    -0.1, 0.6, 0.5,
    0.7, 0.2, -0.3,
    -0.5, -0.25, 0.4,
    0.45, -0.8, 0.6,
    0.15, 0.35, -0.9,
];
#[rustfmt::skip]
const GRU_W_HH: [f64; 12] = [
    0.5, 0.3,
    -0.7, 0.2,
    0.1, -0.6,
    0.4, 0.8,
    -0.9, 0.65,
    0.75, -0.55,
];
const GRU_B_IH: [f64; 6] = [0.1, -0.3, 0.2, 0.05, -0.4, 0.35];
const GRU_B_HH: [f64; 6] = [-0.2, 0.15, 0.25, -0.1, 0.6, -0.45];

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}[{k}]: got {g:.17}, expected {w:.17} (|diff| {:e} > {tol:e})",
            (g - w).abs()
        );
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn lstm_cell_matches_pytorch_equations() {
    let b: Vec<f64> = LSTM_B_IH
        .iter()
        .zip(&LSTM_B_HH)
        .map(|(a, b)| a + b)
        .collect();
    let (h1, c1) = lstm_cell(&LSTM_W_IH, &LSTM_W_HH, &b, &X, &H0, &C0);
    assert_close("lstm h1", &h1, &LSTM_H1, TOL);
    assert_close("lstm c1", &c1, &LSTM_C1, TOL);
    // second step from (h1, c1): the recurrence, with the state the cell itself produced
    let (h2, c2) = lstm_cell(&LSTM_W_IH, &LSTM_W_HH, &b, &X, &h1, &c1);
    assert_close("lstm h2", &h2, &LSTM_H2, TOL);
    assert_close("lstm c2", &c2, &LSTM_C2, TOL);
}

#[test]
fn gru_cell_matches_pytorch_equations() {
    let h1 = gru_cell(&GRU_W_IH, &GRU_W_HH, &GRU_B_IH, &GRU_B_HH, &X, &H0);
    assert_close("gru h1", &h1, &GRU_H1, TOL);
    let h1z = gru_cell(&GRU_W_IH, &GRU_W_HH, &GRU_B_IH, &GRU_B_HH, &X, &[0.0, 0.0]);
    assert_close("gru h1 from h = 0", &h1z, &GRU_H1_ZERO_H, TOL);
}

/// The reset gate multiplies `W_hn h + b_hn` (PyTorch, §7.2), not `h` before the matrix product
/// (Keras `reset_after=False`). The vectors are chosen so that the two placements differ by far
/// more than the tolerance: a misplaced reset gate fails `gru_cell_matches_pytorch_equations`.
#[test]
fn gru_reset_gate_placement_is_distinguishable() {
    let d = max_abs_diff(&GRU_H1, &GRU_H1_KERAS);
    assert!(
        d > 1e-3,
        "the fixed vectors must separate the two GRU forms (diff {d:e})"
    );
    let h1 = gru_cell(&GRU_W_IH, &GRU_W_HH, &GRU_B_IH, &GRU_B_HH, &X, &H0);
    assert!(
        max_abs_diff(&h1, &GRU_H1_KERAS) > 1e-3,
        "gru_cell computes the Keras (reset-before-matmul) form"
    );
}

/// Sanity check of the script's vectors: the LSTM's nonzero h and c matter.
#[test]
fn nonzero_state_matters() {
    let b: Vec<f64> = LSTM_B_IH
        .iter()
        .zip(&LSTM_B_HH)
        .map(|(a, b)| a + b)
        .collect();
    let (h_zero, _) = lstm_cell(&LSTM_W_IH, &LSTM_W_HH, &b, &X, &[0.0; 2], &[0.0; 2]);
    assert!(max_abs_diff(&h_zero, &LSTM_H1) > 1e-3);
    assert!(max_abs_diff(&GRU_H1_ZERO_H, &GRU_H1) > 1e-3);
}

/// Real weight `α_r · c` with `α_r = m_r · 2^-k`, written out here from §4 (not via `Scale::alpha`).
fn real_by_hand(w: &qrnn_model::Weights) -> Vec<f64> {
    let n = w.row_len();
    w.codes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let r = i / n;
            let m = if w.scale.mult.len() == 1 {
                w.scale.mult[0]
            } else {
                w.scale.mult[r]
            };
            m as f64 * (-(w.scale.shift as f64)).exp2() * *c as f64
        })
        .collect()
}

/// `float::run` on an example model (2 LSTM layers, per-row multipliers, a head) equals stepping
/// `lstm_cell` by hand with real weights, real biases `b · 2^-Fb`, real inputs, h = c = 0 (§10).
#[test]
fn float_run_equals_manual_lstm_steps() {
    for (scheme, per_row) in [
        (Scheme::Ternary, false),
        (Scheme::Int(8), true),
        (Scheme::Quaternary, true),
    ] {
        let mut spec = ExampleSpec::new(Cell::Lstm, scheme, 3, 4, 7);
        spec.hidden = vec![4, 3];
        spec.head = Some(2);
        spec.per_row_mult = per_row;
        let m = example(&spec);
        m.validate().unwrap();
        let seq = random_inputs(&m, 5, 11);
        let got = run(&m, &seq);

        let layers: Vec<_> = m
            .layers
            .iter()
            .map(|l| {
                let w = real_weights(&l.w);
                let u = real_weights(&l.u);
                assert_eq!(w, real_by_hand(&l.w), "real_weights(W) = m·2^-k·code");
                assert_eq!(u, real_by_hand(&l.u), "real_weights(U) = m·2^-k·code");
                let b: Vec<f64> = l
                    .bias
                    .iter()
                    .map(|b| *b as f64 * (-(l.bias_fmt.frac as f64)).exp2())
                    .collect();
                (w, u, b)
            })
            .collect();
        let head = m.head.as_ref().unwrap();
        let d = real_by_hand(&head.w);
        let bd: Vec<f64> = head
            .bias
            .iter()
            .map(|b| *b as f64 * (-(head.bias_fmt.frac as f64)).exp2())
            .collect();

        let mut h: Vec<Vec<f64>> = m.layers.iter().map(|l| vec![0.0; l.hidden]).collect();
        let mut c = h.clone();
        for (t, x) in seq.iter().enumerate() {
            let mut input = x.clone();
            for (l, (w, u, b)) in layers.iter().enumerate() {
                let (h2, c2) = lstm_cell(w, u, b, &input, &h[l], &c[l]);
                h[l] = h2;
                c[l] = c2;
                input = h[l].clone();
            }
            let last = h.last().unwrap();
            let y: Vec<f64> = (0..2)
                .map(|o| {
                    (0..last.len())
                        .map(|j| d[o * last.len() + j] * last[j])
                        .sum::<f64>()
                        + bd[o]
                })
                .collect();
            assert_close(&format!("{scheme} t{t} head"), &got[t], &y, 1e-12);
        }
    }
}

/// The same for a GRU stack without a head: `float::run` returns the last layer's `h`.
#[test]
fn float_run_equals_manual_gru_steps() {
    let mut spec = ExampleSpec::new(Cell::Gru, Scheme::Binary, 2, 3, 5);
    spec.hidden = vec![3, 2];
    let m = example(&spec);
    let seq = random_inputs(&m, 4, 3);
    let got = run(&m, &seq);
    let fb = |l: &qrnn_model::Layer, v: &[i64]| -> Vec<f64> {
        v.iter().map(|b| l.bias_fmt.to_f64(*b)).collect()
    };
    let mut h: Vec<Vec<f64>> = m.layers.iter().map(|l| vec![0.0; l.hidden]).collect();
    for (t, x) in seq.iter().enumerate() {
        let mut input = x.clone();
        for (l, layer) in m.layers.iter().enumerate() {
            h[l] = gru_cell(
                &real_weights(&layer.w),
                &real_weights(&layer.u),
                &fb(layer, &layer.bias),
                &fb(layer, &layer.bias_h),
                &input,
                &h[l],
            );
            input = h[l].clone();
        }
        assert_close(&format!("gru t{t}"), &got[t], h.last().unwrap(), 0.0);
    }
}
