//! The quantizers of Alom et al. 2018 and their straight-through gradients (docs/QUANTIZATION.md).
//!
//! Everything here works on plain `f32` slices (one weight tensor, or one output row of it) and
//! returns the integer **codes** of docs/NUMERICS.md §3 — binary {-1,+1}, ternary {-1,0,+1},
//! quaternary {-2,-1,+1,+2} (the paper's {-1,-0.5,+0.5,+1} doubled) — and the **code scale**
//! `s` (the real value of one code unit), so that the real weight is `s · code`. Nothing here
//! depends on an autodiff library; quantization-aware training wraps these functions.
//!
//! Determinism: every sum is taken in `f64`, in index order; every comparison is made in `f64`
//! against the `f32` weight widened exactly; the only random source is SplitMix64
//! ([`qrnn_model::example::Rng`]). `tests/import/make.py` reimplements the same formulas in
//! Python and must agree bit for bit.

use qrnn_model::example::Rng;
use qrnn_model::{Scale, Scheme, Weights};
use serde::{Deserialize, Serialize};

/// The TWN threshold factor: `Δ = 0.7 · mean|w|` (Li et al. 2016).
pub const TWN_FACTOR: f64 = 0.7;
/// The quaternary magnitude threshold: `|v| > 0.75` picks magnitude 1, otherwise 0.5.
pub const QUATERNARY_THRESHOLD: f64 = 0.75;
/// The shift stored for a tensor whose scale is 0 (all its weights are 0): `α = 2^-24`.
pub const ZERO_SHIFT: i32 = 24;
/// Smallest and largest scale shift `k` of NUMERICS.md §4.
pub const SHIFT_RANGE: (i32, i32) = (-16, 48);
/// Largest scale multiplier of NUMERICS.md §4.
pub const MAX_MULT: u32 = 65535;

/// Why a tensor could not be quantized.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuantError {
    /// A weight is NaN or infinite.
    #[error("element {index} is {value}: weights must be finite")]
    NotFinite { index: usize, value: f32 },
    /// The scale cannot be written as `m · 2^-k` within NUMERICS.md §4.
    #[error("scale {scale:e} is too large for a .qw scale (m ≤ 65535, k ≥ -16: at most {max:e})")]
    ScaleTooLarge { scale: f64, max: f64 },
    /// Every weight is so close to 0 that no `.qw` scale (`α ≥ 2^-48`) can represent it: the
    /// quantized tensor would be far larger than the weights.
    #[error("scale {scale:e} is too small for a .qw scale (at least {min:e}): the weights are practically 0; rescale them, or zero them explicitly")]
    ScaleTooSmall { scale: f64, min: f64 },
    /// The shape and the number of weights disagree.
    #[error("{len} weights cannot have shape {shape:?}")]
    Shape { len: usize, shape: Vec<usize> },
    /// A specification that makes no sense.
    #[error("{0}")]
    Spec(String),
}

// ---------------------------------------------------------------- element quantizers

/// `hard_sigmoid(w) = clip((w + 1) / 2, 0, 1)`, in `f64`.
pub fn hard_sigmoid(w: f32) -> f64 {
    ((w as f64 + 1.0) / 2.0).clamp(0.0, 1.0)
}

/// Deterministic BinaryConnect: `+1` if `w ≥ 0` (so sign(0) = +1; also −0.0 → +1), else `−1`.
pub fn binary(w: &[f32]) -> Vec<i8> {
    w.iter().map(|&v| if v < 0.0 { -1 } else { 1 }).collect()
}

/// Stochastic BinaryConnect: `+1` with probability `hard_sigmoid(w)`, else `−1`. One draw
/// `u = rng.unit()` ∈ [0, 1) per element, in index order; `+1` iff `u < hard_sigmoid(w)`.
pub fn binary_stochastic(w: &[f32], rng: &mut Rng) -> Vec<i8> {
    w.iter()
        .map(|&v| if rng.unit() < hard_sigmoid(v) { 1 } else { -1 })
        .collect()
}

/// `mean|w|` in `f64`, summed in index order (0 for an empty slice).
pub fn mean_abs(w: &[f32]) -> f64 {
    if w.is_empty() {
        return 0.0;
    }
    w.iter().fold(0.0f64, |s, &v| s + (v as f64).abs()) / w.len() as f64
}

/// `max|w|` (0 for an empty slice).
pub fn max_abs(w: &[f32]) -> f64 {
    w.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs()))
}

/// The TWN threshold `Δ = 0.7 · mean|w|`.
pub fn twn_delta(w: &[f32]) -> f64 {
    TWN_FACTOR * mean_abs(w)
}

/// Ternary with threshold `Δ`: `0` if `|w| ≤ Δ`, else `sign(w)` (ties at `|w| = Δ` go to 0).
pub fn ternary(w: &[f32], delta: f64) -> Vec<i8> {
    w.iter()
        .map(|&v| {
            let v = v as f64;
            if v.abs() <= delta {
                0
            } else if v < 0.0 {
                -1
            } else {
                1
            }
        })
        .collect()
}

/// Quaternary: the nearest of `r·{-1, -0.5, +0.5, +1}` for a reference scale `r > 0` (`r = 1`:
/// the paper's shadow weights in [-1, 1]), as codes {-2,-1,+1,+2}. Thresholds: the sign at 0,
/// the magnitude at `0.75·r`. Ties: `w = 0` → `+1` (sign(0) = +1, as for binary);
/// `|w| = 0.75·r` → magnitude 0.5 (the smaller, as ternary's `|w| ≤ Δ → 0`).
pub fn quaternary(w: &[f32], r: f64) -> Vec<i8> {
    let t = QUATERNARY_THRESHOLD * r;
    w.iter()
        .map(|&v| {
            let v = v as f64;
            let mag = if v.abs() > t { 2 } else { 1 };
            if v < 0.0 {
                -mag
            } else {
                mag
            }
        })
        .collect()
}

/// Symmetric `K`-bit integer codes for a given code scale `s > 0`: `clamp(RHU(w / s), ±(2^(K-1)-1))`
/// with RHU = round half up, exactly (the multiplier baseline, used for an unquantized head).
pub fn int_codes(w: &[f32], s: f64, bits: u8) -> Vec<i8> {
    let m = (1i64 << (bits - 1)) - 1;
    w.iter()
        .map(|&v| {
            if s <= 0.0 {
                return 0;
            }
            let q = round_half_up(v as f64 / s);
            q.clamp(-m as f64, m as f64) as i8
        })
        .collect()
}

/// `⌊x + 1/2⌋` computed without the f64 error of adding 0.5 (as `Fmt::quantize`).
pub fn round_half_up(x: f64) -> f64 {
    let fl = x.floor();
    if x - fl >= 0.5 {
        fl + 1.0
    } else {
        fl
    }
}

/// The L2-optimal code scale for fixed codes: `s* = Σ w_i·c_i / Σ c_i²` (0 when every code is 0,
/// and never negative). With it `Σ (w_i − s·c_i)²` is smallest. For binary codes from `sign` it is
/// `mean|w|`; for ternary codes the mean of `|w|` over the nonzero codes (TWN's α); for
/// quaternary codes `α = 2·s*` in the paper's units.
pub fn l2_scale(w: &[f32], codes: &[i8]) -> f64 {
    let mut num = 0.0f64;
    let mut den = 0.0f64;
    for (&v, &c) in w.iter().zip(codes) {
        num += v as f64 * c as f64;
        den += (c as f64) * (c as f64);
    }
    if den == 0.0 {
        0.0
    } else {
        (num / den).max(0.0)
    }
}

// ---------------------------------------------------------------- shadow weights and STE

/// Clip real-valued shadow weights to [-1, 1] in place (after each optimizer step).
pub fn clip_shadow(w: &mut [f32]) {
    for v in w {
        *v = v.clamp(-1.0, 1.0);
    }
}

/// The straight-through estimator's mask: `true` where the gradient passes (`|w| ≤ 1`).
pub fn ste_mask(w: &[f32]) -> Vec<bool> {
    w.iter().map(|v| v.abs() <= 1.0).collect()
}

/// The straight-through gradient: `∂L/∂w = ∂L/∂q` where `|w| ≤ 1`, 0 outside.
pub fn ste_grad(w: &[f32], grad_q: &[f32]) -> Vec<f32> {
    w.iter()
        .zip(grad_q)
        .map(|(v, g)| if v.abs() <= 1.0 { *g } else { 0.0 })
        .collect()
}

// ---------------------------------------------------------------- scales

/// `⌊log2 x⌋` for a finite `x > 0`, exactly (no `log2` call, so no libm differences).
pub fn floor_log2(x: f64) -> i32 {
    debug_assert!(x > 0.0 && x.is_finite());
    let mut j = 0i32;
    let mut p = 1.0f64;
    if x >= 1.0 {
        while p * 2.0 <= x {
            p *= 2.0;
            j += 1;
        }
    } else {
        while p > x {
            p /= 2.0;
            j -= 1;
        }
    }
    j
}

/// The power of two nearest to `s > 0` (linear distance, which is the L2-optimal choice for fixed
/// codes), as the shift `k` of `2^-k`: with `j = ⌊log2 s⌋`, `2^(j+1)` if `s ≥ 1.5·2^j` (ties up),
/// else `2^j`.
pub fn pow2_shift(s: f64) -> i32 {
    let j = floor_log2(s);
    let p = (2f64).powi(j);
    if s >= 1.5 * p {
        -(j + 1)
    } else {
        -j
    }
}

/// Write code scales (one per group: 1 for a per-tensor scale, one per row otherwise) as a `.qw`
/// [`Scale`] `m_r · 2^-k` (NUMERICS.md §4). See docs/QUANTIZATION.md §5 for the rules.
///
/// - `pow2 = false`: `k` is the largest in [-16, 48] with `RHU(max_r s_r · 2^k) ≤ 65535`, and
///   `m_r = clamp(RHU(s_r · 2^k), 1, 65535)` (16-bit multipliers; a row smaller than
///   `max/65535` is rounded up to `m = 1`).
/// - `pow2 = true`: each group's nearest power of two `2^-k_r` ([`pow2_shift`]); one group gives
///   `m = 1`, `k = k_0` (multiplier-free); several give `k = min(max_r k_r, min_r k_r + 15)` and
///   `m_r = 2^(k - k_r)` (a constant shift per row), rows below `2^-k` rounded up to `m = 1`.
/// - A scale of 0 (all weights 0) counts as absent: if every group is 0 the result is
///   `m = 1, k = ZERO_SHIFT`; otherwise such a row gets `m = 1`.
pub fn encode_scale(s: &[f64], pow2: bool) -> Result<Scale, QuantError> {
    let n = s.len();
    if n == 0 {
        return Err(QuantError::Spec("no scale to encode".into()));
    }
    if let Some(&bad) = s.iter().find(|v| !v.is_finite() || **v < 0.0) {
        return Err(QuantError::Spec(format!(
            "scale {bad} is not a finite non-negative number"
        )));
    }
    let smax = s.iter().fold(0.0f64, |m, v| m.max(*v));
    if smax == 0.0 {
        return Ok(Scale {
            mult: vec![1; n],
            shift: ZERO_SHIFT,
        });
    }
    let (lo, hi) = SHIFT_RANGE;
    let max_scale = MAX_MULT as f64 * (2f64).powi(-lo);
    let min_scale = (2f64).powi(-hi);
    if smax < 0.5 * min_scale {
        // m = 1 at the largest shift would overstate every weight (by 10^30 for weights of
        // 1e-45): refuse rather than report an absurd relative error
        return Err(QuantError::ScaleTooSmall {
            scale: smax,
            min: min_scale,
        });
    }
    if pow2 {
        let ks: Vec<Option<i32>> = s
            .iter()
            .map(|&v| (v > 0.0).then(|| pow2_shift(v)))
            .collect();
        let kmin = ks.iter().flatten().copied().min().unwrap_or(0);
        let kmax = ks.iter().flatten().copied().max().unwrap_or(0);
        if kmin < lo {
            return Err(QuantError::ScaleTooLarge {
                scale: smax,
                max: (2f64).powi(-lo),
            });
        }
        let k = kmax.min(kmin + 15).min(hi);
        let mult = ks
            .iter()
            .map(|kr| match kr {
                Some(kr) if *kr <= k => 1u32 << (k - kr),
                _ => 1,
            })
            .collect();
        return Ok(Scale { mult, shift: k });
    }
    if round_half_up(smax * (2f64).powi(lo)) > MAX_MULT as f64 {
        return Err(QuantError::ScaleTooLarge {
            scale: smax,
            max: max_scale,
        });
    }
    let mut k = hi;
    while round_half_up(smax * (2f64).powi(k)) > MAX_MULT as f64 {
        k -= 1;
    }
    let mult = s
        .iter()
        .map(|&v| round_half_up(v * (2f64).powi(k)).clamp(1.0, MAX_MULT as f64) as u32)
        .collect();
    Ok(Scale { mult, shift: k })
}

// ---------------------------------------------------------------- the specification

/// How the ternary threshold `Δ` is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Threshold {
    /// Ternary weight networks: `Δ = 0.7 · mean|w|` over the group.
    Twn,
    /// A fixed `Δ`, in units of the reference scale `r` (`|w| ≤ Δ·r` → 0).
    Fixed(f64),
}

/// The reference scale `r` a threshold is relative to (quaternary `0.75·r`, fixed ternary `Δ·r`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reference {
    /// `r = 1`: the paper's shadow weights, clipped to [-1, 1] (training).
    Unit,
    /// `r = max|w|` over the group (post-training quantization of unclipped weights).
    Max,
}

/// How the scale of a group is chosen once its codes are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlphaRule {
    /// The L2-optimal scale for the codes ([`l2_scale`]).
    L2,
    /// `α = 1` (the paper's unscaled values; quaternary code scale 0.5).
    One,
}

/// Which tensors are quantized, and how. Recorded (as JSON) in the provenance of every model
/// it produced. Input and recurrent weights are always quantized with `scheme`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantSpec {
    /// `binary`, `ternary` or `quaternary`.
    pub scheme: Scheme,
    /// Stochastic BinaryConnect with this seed instead of the deterministic sign (binary only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stochastic_seed: Option<u64>,
    /// Ternary threshold rule.
    pub threshold: Threshold,
    /// Reference scale of the thresholds.
    pub reference: Reference,
    /// Scale rule.
    pub alpha: AlphaRule,
    /// One scale per output row instead of one per tensor (also the group of `Δ`, `r`).
    pub per_row: bool,
    /// Round scales to powers of two (multiplier-free requantization).
    pub pow2: bool,
    /// Also quantize biases with `scheme` (one scale per bias tensor); else they are stored at the
    /// bias format's precision only.
    pub bias: bool,
    /// Quantize the dense head with `scheme`; else it is stored as `int8` (symmetric, the
    /// multiplier baseline — the nearest a `.qw` has to full precision).
    pub head: bool,
}

impl Default for QuantSpec {
    fn default() -> QuantSpec {
        QuantSpec {
            scheme: Scheme::Ternary,
            stochastic_seed: None,
            threshold: Threshold::Twn,
            reference: Reference::Max,
            alpha: AlphaRule::L2,
            per_row: false,
            pow2: false,
            bias: false,
            head: false,
        }
    }
}

impl QuantSpec {
    /// A spec for a scheme with the defaults of [`QuantSpec::default`].
    pub fn new(scheme: Scheme) -> QuantSpec {
        QuantSpec {
            scheme,
            ..QuantSpec::default()
        }
    }

    /// Check that the options fit together.
    pub fn validate(&self) -> Result<(), QuantError> {
        if !self.scheme.is_multiplier_free() {
            return Err(QuantError::Spec(format!(
                "scheme {} is not one of the paper's: binary, ternary or quaternary",
                self.scheme
            )));
        }
        if self.stochastic_seed.is_some() && self.scheme != Scheme::Binary {
            return Err(QuantError::Spec(
                "stochastic rounding is BinaryConnect's: only for the binary scheme".into(),
            ));
        }
        if self.stochastic_seed.is_some_and(|s| s > i64::MAX as u64) {
            return Err(QuantError::Spec(
                "the stochastic seed must be at most 2^63-1 (it is recorded in a TOML header)"
                    .into(),
            ));
        }
        if let Threshold::Fixed(d) = self.threshold {
            if !d.is_finite() || d < 0.0 {
                return Err(QuantError::Spec(format!(
                    "the ternary threshold must be a finite number ≥ 0, found {d}"
                )));
            }
        }
        Ok(())
    }

    /// The codes of one group (a tensor or a row) under this spec's scheme and rules.
    pub fn codes(&self, w: &[f32], rng: &mut Rng) -> Vec<i8> {
        let r = match self.reference {
            Reference::Unit => 1.0,
            Reference::Max => max_abs(w),
        };
        match self.scheme {
            Scheme::Binary => match self.stochastic_seed {
                Some(_) => binary_stochastic(w, rng),
                None => binary(w),
            },
            Scheme::Ternary => {
                let delta = match self.threshold {
                    Threshold::Twn => twn_delta(w),
                    Threshold::Fixed(d) => d * r,
                };
                ternary(w, delta)
            }
            Scheme::Quaternary => {
                // An all-zero group has r = 0: every weight is 0 and takes the tie +0.5.
                quaternary(w, r)
            }
            Scheme::Int(_) => unreachable!("validate() admits only multiplier-free schemes"),
        }
    }

    /// The code scale of a group with these codes.
    pub fn code_scale(&self, w: &[f32], codes: &[i8]) -> f64 {
        match self.alpha {
            AlphaRule::L2 => l2_scale(w, codes),
            AlphaRule::One => match self.scheme {
                Scheme::Quaternary => 0.5,
                _ => 1.0,
            },
        }
    }

    /// Quantize a tensor of `shape` (`[rows, …]`, row-major) into `.qw` [`Weights`]. The random
    /// source is used only for stochastic binary (seeded from `stochastic_seed` by the caller).
    pub fn quantize(
        &self,
        w: &[f32],
        shape: &[usize],
        rng: &mut Rng,
    ) -> Result<Weights, QuantError> {
        self.validate()?;
        let (rows, n) = rows_of(w, shape)?;
        check_finite(w)?;
        let groups: Vec<&[f32]> = if self.per_row {
            (0..rows).map(|r| &w[r * n..(r + 1) * n]).collect()
        } else {
            vec![w]
        };
        let mut codes = Vec::with_capacity(w.len());
        let mut scales = Vec::with_capacity(groups.len());
        for g in groups {
            let c = self.codes(g, rng);
            scales.push(self.code_scale(g, &c));
            codes.extend(c);
        }
        Ok(Weights {
            scheme: self.scheme,
            shape: shape.to_vec(),
            codes,
            scale: encode_scale(&scales, self.pow2)?,
        })
    }

    /// Quantize a vector (a bias) as one group with this spec's scheme; returns the real values
    /// `α · code` (to be stored in a bias format).
    pub fn quantize_vector(&self, b: &[f32], rng: &mut Rng) -> Result<Vec<f64>, QuantError> {
        let per_tensor = QuantSpec {
            per_row: false,
            ..self.clone()
        };
        let w = per_tensor.quantize(b, &[1, b.len()], rng)?;
        let a = w.scale.alpha(0);
        Ok(w.codes.iter().map(|c| a * *c as f64).collect())
    }
}

/// Quantize a tensor to symmetric `int<bits>` codes (the multiplier baseline): per group the code
/// scale `s = max|w| / (2^(bits-1) - 1)`, encoded with [`encode_scale`]; then the codes are
/// [`int_codes`] against the **encoded** scale of the row, so codes and stored scale agree.
pub fn quantize_int(
    w: &[f32],
    shape: &[usize],
    bits: u8,
    per_row: bool,
    pow2: bool,
) -> Result<Weights, QuantError> {
    if !(2..=8).contains(&bits) {
        return Err(QuantError::Spec(format!("int{bits}: widths are 2..=8")));
    }
    let (rows, n) = rows_of(w, shape)?;
    check_finite(w)?;
    let m = ((1i32 << (bits - 1)) - 1) as f64;
    let groups: Vec<&[f32]> = if per_row {
        (0..rows).map(|r| &w[r * n..(r + 1) * n]).collect()
    } else {
        vec![w]
    };
    let scales: Vec<f64> = groups.iter().map(|g| max_abs(g) / m).collect();
    let scale = encode_scale(&scales, pow2)?;
    let mut codes = Vec::with_capacity(w.len());
    for r in 0..rows {
        codes.extend(int_codes(&w[r * n..(r + 1) * n], scale.alpha(r), bits));
    }
    Ok(Weights {
        scheme: Scheme::Int(bits),
        shape: shape.to_vec(),
        codes,
        scale,
    })
}

fn rows_of(w: &[f32], shape: &[usize]) -> Result<(usize, usize), QuantError> {
    let total: usize = shape.iter().product();
    if shape.is_empty() || total != w.len() || total == 0 {
        return Err(QuantError::Shape {
            len: w.len(),
            shape: shape.to_vec(),
        });
    }
    Ok((shape[0], total / shape[0]))
}

fn check_finite(w: &[f32]) -> Result<(), QuantError> {
    match w.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Err(QuantError::NotFinite { index, value }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(scheme: Scheme) -> QuantSpec {
        QuantSpec::new(scheme)
    }

    #[test]
    fn binary_is_sign_with_zero_positive() {
        assert_eq!(
            binary(&[-2.0, -1e-30, -0.0, 0.0, 1e-30, 0.7]),
            vec![-1, -1, 1, 1, 1, 1]
        );
    }

    #[test]
    fn hard_sigmoid_values() {
        assert_eq!(hard_sigmoid(-3.0), 0.0);
        assert_eq!(hard_sigmoid(-1.0), 0.0);
        assert_eq!(hard_sigmoid(0.0), 0.5);
        assert_eq!(hard_sigmoid(0.5), 0.75);
        assert_eq!(hard_sigmoid(1.0), 1.0);
        assert_eq!(hard_sigmoid(7.0), 1.0);
    }

    #[test]
    fn stochastic_binary_frequency_matches_hard_sigmoid() {
        let mut rng = Rng::new(42);
        let n = 200_000;
        for w in [-1.5f32, -1.0, -0.6, -0.2, 0.0, 0.3, 0.9, 1.0, 2.0] {
            let codes = binary_stochastic(&vec![w; n], &mut rng);
            let plus = codes.iter().filter(|c| **c == 1).count() as f64 / n as f64;
            let p = hard_sigmoid(w);
            // 5 standard deviations of a binomial proportion (0 at p ∈ {0, 1})
            let tol = 5.0 * (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (plus - p).abs() <= tol,
                "w = {w}: +1 in {plus} of draws, expected {p} ± {tol}"
            );
            assert!(codes.iter().all(|c| *c == 1 || *c == -1));
        }
        // the saturated ends are exact: never/always +1
        assert!(binary_stochastic(&[-1.0; 1000], &mut rng)
            .iter()
            .all(|c| *c == -1));
        assert!(binary_stochastic(&[1.0; 1000], &mut rng)
            .iter()
            .all(|c| *c == 1));
    }

    #[test]
    fn stochastic_binary_is_reproducible_for_a_seed() {
        let w: Vec<f32> = (0..64).map(|i| (i as f32 - 32.0) / 40.0).collect();
        let a = binary_stochastic(&w, &mut Rng::new(7));
        let b = binary_stochastic(&w, &mut Rng::new(7));
        let c = binary_stochastic(&w, &mut Rng::new(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn ternary_threshold_and_tie() {
        let w = [-0.5f32, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5];
        assert_eq!(ternary(&w, 0.25), vec![-1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(ternary(&w, 0.0), vec![-1, -1, -1, 0, 1, 1, 1]);
        // just above the threshold
        assert_eq!(ternary(&[0.250_001, -0.250_001], 0.25), vec![1, -1]);
    }

    #[test]
    fn twn_rule() {
        // mean|w| = (0.1 + 0.2 + 0.3 + 1.0) / 4 = 0.4; Δ = 0.28
        let w = [0.1f32, -0.2, 0.3, -1.0];
        let d = twn_delta(&w);
        assert!((d - 0.28).abs() < 1e-7, "{d}");
        assert_eq!(ternary(&w, d), vec![0, 0, 1, -1]);
        // TWN α = mean of |w| over the nonzero codes = (0.3 + 1.0) / 2
        let s = l2_scale(&w, &[0, 0, 1, -1]);
        assert!((s - 0.65).abs() < 1e-7, "{s}");
        let q = spec(Scheme::Ternary)
            .quantize(&w, &[1, 4], &mut Rng::new(0))
            .unwrap();
        assert_eq!(q.codes, vec![0, 0, 1, -1]);
        assert!((q.scale.alpha(0) - 0.65).abs() < 1e-4);
    }

    #[test]
    fn quaternary_nearest_thresholds_and_ties() {
        let w = [
            -1.0f32, -0.8, -0.75, -0.5, -0.1, -0.0, 0.0, 0.1, 0.5, 0.75, 0.76, 1.0, 3.0,
        ];
        assert_eq!(
            quaternary(&w, 1.0),
            vec![-2, -2, -1, -1, -1, 1, 1, 1, 1, 1, 2, 2, 2]
        );
        // relative to r = 2: the threshold is 1.5
        assert_eq!(quaternary(&[1.5, 1.6, -1.5, -1.6], 2.0), vec![1, 2, -1, -2]);
        // nearest of {-1, -0.5, 0.5, 1} for every grid point away from the ties
        for i in -200..=200 {
            let v = i as f32 / 100.0;
            if v == 0.0 || v.abs() == 0.75 {
                continue;
            }
            let c = quaternary(&[v], 1.0)[0];
            let best = [-1.0f32, -0.5, 0.5, 1.0]
                .into_iter()
                .min_by(|a, b| (a - v).abs().partial_cmp(&(b - v).abs()).unwrap())
                .unwrap();
            assert_eq!(c as f32 / 2.0, best, "v = {v}");
        }
    }

    #[test]
    fn l2_scale_is_optimal() {
        let w = [0.3f32, -0.9, 0.05, 0.6, -0.2];
        for codes in [
            binary(&w),
            ternary(&w, 0.25),
            quaternary(&w, 1.0),
            vec![0i8; 5],
        ] {
            let s = l2_scale(&w, &codes);
            let err = |s: f64| -> f64 {
                w.iter()
                    .zip(&codes)
                    .map(|(v, c)| (*v as f64 - s * *c as f64).powi(2))
                    .sum()
            };
            for d in [-1e-3, 1e-3] {
                assert!(err(s) <= err((s + d).max(0.0)) + 1e-15);
            }
        }
        // binary: mean|w|
        assert!((l2_scale(&w, &binary(&w)) - mean_abs(&w)).abs() < 1e-15);
        assert_eq!(l2_scale(&w, &[0; 5]), 0.0);
    }

    #[test]
    fn ste_mask_and_grad() {
        let w = [-1.5f32, -1.0, -0.3, 0.0, 0.999, 1.0, 1.0001, 4.0];
        assert_eq!(
            ste_mask(&w),
            vec![false, true, true, true, true, true, false, false]
        );
        let g = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        assert_eq!(
            ste_grad(&w, &g),
            vec![0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0]
        );
        let mut s = w;
        clip_shadow(&mut s);
        assert_eq!(s, [-1.0, -1.0, -0.3, 0.0, 0.999, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn pow2_nearest_linear() {
        assert_eq!(floor_log2(1.0), 0);
        assert_eq!(floor_log2(0.75), -1);
        assert_eq!(floor_log2(0.5), -1);
        assert_eq!(floor_log2(0.499), -2);
        assert_eq!(floor_log2(1000.0), 9);
        // 0.75 = 1.5·2^-1: the tie goes up to 1 (k = 0)
        assert_eq!(pow2_shift(0.75), 0);
        assert_eq!(pow2_shift(0.7499), 1);
        assert_eq!(pow2_shift(0.3), 2); // 0.25 (|0.05|) beats 0.5 (|0.2|)
        assert_eq!(pow2_shift(0.4), 1); // 0.5 beats 0.25
        assert_eq!(pow2_shift(3.0), -2); // 1.5·2: tie → 4
        assert_eq!(pow2_shift(1.0), 0);
    }

    #[test]
    fn encode_scale_rules() {
        // one group, exact power of two
        let s = encode_scale(&[0.25], true).unwrap();
        assert_eq!(s, Scale::pow2(2));
        // non-pow2: 16-bit multiplier, largest k
        let s = encode_scale(&[0.3], false).unwrap();
        assert!(s.mult[0] <= MAX_MULT && s.mult[0] > MAX_MULT / 2, "{s:?}");
        assert!((s.alpha(0) - 0.3).abs() <= 0.5 * (2f64).powi(-s.shift));
        // per row, pow2: k = max k_r, m_r = 2^(k - k_r)
        let s = encode_scale(&[0.5, 0.125, 0.25], true).unwrap();
        assert_eq!(s.shift, 3);
        assert_eq!(s.mult, vec![4, 1, 2]);
        // a spread beyond 2^15: the smallest rows are rounded up
        let s = encode_scale(&[1.0, (2f64).powi(-20)], true).unwrap();
        assert_eq!(s.shift, 15);
        assert_eq!(s.mult, vec![1 << 15, 1]);
        // zero scales
        assert_eq!(
            encode_scale(&[0.0, 0.0], false).unwrap(),
            Scale {
                mult: vec![1, 1],
                shift: ZERO_SHIFT
            }
        );
        let s = encode_scale(&[0.5, 0.0], false).unwrap();
        assert_eq!(s.mult[1], 1);
        // too large
        assert!(matches!(
            encode_scale(&[1e12], false),
            Err(QuantError::ScaleTooLarge { .. })
        ));
        assert!(matches!(
            encode_scale(&[1e12], true),
            Err(QuantError::ScaleTooLarge { .. })
        ));
        assert!(encode_scale(&[f64::NAN], false).is_err());
        // weights of 1e-45 are below the smallest scale 2^-48: refused, not overstated 10^30-fold
        for pow2 in [false, true] {
            assert!(matches!(
                encode_scale(&[1e-45], pow2),
                Err(QuantError::ScaleTooSmall { .. })
            ));
            assert!(encode_scale(&[(2f64).powi(-48)], pow2).is_ok());
            // a tiny row beside a normal one is rounded up to m = 1 as before
            assert!(encode_scale(&[1.0, 1e-45], pow2).is_ok());
        }
    }

    #[test]
    fn quaternary_tensor_stores_half_scale() {
        // paper's values α·{±0.5, ±1} with α = 1 → codes {±1, ±2} with code scale 0.5
        let w = [1.0f32, 0.5, -0.5, -1.0];
        let mut sp = spec(Scheme::Quaternary);
        sp.reference = Reference::Unit;
        sp.pow2 = true;
        let q = sp.quantize(&w, &[2, 2], &mut Rng::new(0)).unwrap();
        assert_eq!(q.codes, vec![2, 1, -1, -2]);
        assert_eq!(q.scale, Scale::pow2(1));
        sp.alpha = AlphaRule::One;
        let q = sp.quantize(&[0.1, 0.9], &[1, 2], &mut Rng::new(0)).unwrap();
        assert_eq!(q.codes, vec![1, 2]);
        assert_eq!(q.scale, Scale::pow2(1));
    }

    #[test]
    fn per_row_groups() {
        let w = [0.1f32, -0.1, 0.05, 10.0, -10.0, 5.0];
        let mut sp = spec(Scheme::Binary);
        sp.per_row = true;
        sp.pow2 = true;
        let q = sp.quantize(&w, &[2, 3], &mut Rng::new(0)).unwrap();
        assert_eq!(q.codes, vec![1, -1, 1, 1, -1, 1]);
        // row means 0.0833 → 2^-4 (0.0625 beats 0.125), 8.33 → 2^3; k = 4, m = [1, 128]
        assert_eq!(q.scale.shift, 4);
        assert_eq!(q.scale.mult, vec![1, 128]);
        // the ternary threshold is per row too
        let mut sp = spec(Scheme::Ternary);
        sp.per_row = true;
        let q = sp
            .quantize(&[0.1, 0.1, 0.9, 5.0, 5.0, 1.0], &[2, 3], &mut Rng::new(0))
            .unwrap();
        assert_eq!(q.codes, vec![0, 0, 1, 1, 1, 0]);
    }

    #[test]
    fn fixed_threshold_is_relative_to_the_reference() {
        let w = [0.2f32, -0.5, 1.0];
        let mut sp = spec(Scheme::Ternary);
        sp.threshold = Threshold::Fixed(0.3);
        sp.reference = Reference::Unit;
        assert_eq!(sp.codes(&w, &mut Rng::new(0)), vec![0, -1, 1]);
        sp.reference = Reference::Max; // Δ·max = 0.3
        assert_eq!(
            sp.codes(&[0.6, -1.5, 3.0], &mut Rng::new(0)),
            vec![0, -1, 1]
        );
    }

    #[test]
    fn int_quantization_agrees_with_its_scale() {
        let w = [0.5f32, -1.27, 0.003, 1.0];
        let q = quantize_int(&w, &[1, 4], 8, false, false).unwrap();
        assert_eq!(q.scheme, Scheme::Int(8));
        let a = q.scale.alpha(0);
        for (v, c) in w.iter().zip(&q.codes) {
            assert!((*v as f64 - a * *c as f64).abs() <= a / 2.0 + 1e-12);
        }
        assert_eq!(q.codes[1], -127);
        assert_eq!(int_codes(&[0.5, -0.5, 1.5], 1.0, 8), vec![1, 0, 2]);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let sp = spec(Scheme::Binary);
        assert!(matches!(
            sp.quantize(&[1.0, f32::NAN], &[1, 2], &mut Rng::new(0)),
            Err(QuantError::NotFinite { index: 1, .. })
        ));
        assert!(matches!(
            sp.quantize(&[1.0, 2.0, 3.0], &[2, 2], &mut Rng::new(0)),
            Err(QuantError::Shape { .. })
        ));
        assert!(QuantSpec::new(Scheme::Int(8)).validate().is_err());
        let mut s = spec(Scheme::Ternary);
        s.stochastic_seed = Some(1);
        assert!(s.validate().is_err());
        s = spec(Scheme::Ternary);
        s.threshold = Threshold::Fixed(-0.1);
        assert!(s.validate().is_err());
    }

    #[test]
    fn spec_serde_round_trip() {
        let mut s = spec(Scheme::Quaternary);
        s.threshold = Threshold::Fixed(0.05);
        s.per_row = true;
        s.stochastic_seed = None;
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(
            j,
            r#"{"scheme":"quaternary","threshold":{"fixed":0.05},"reference":"max","alpha":"l2","per_row":true,"pow2":false,"bias":false,"head":false}"#
        );
        assert_eq!(serde_json::from_str::<QuantSpec>(&j).unwrap(), s);
        assert!(serde_json::from_str::<QuantSpec>(r#"{"scheme":"binary"}"#).is_err());
    }
}
