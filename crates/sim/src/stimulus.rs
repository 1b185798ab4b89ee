//! Co-simulation stimulus: the [`Stimulus`] type, seeded random stimulus ([`Stimulus::random`],
//! `qrnn-hw gen --sim-steps`) and the default stimulus ([`Stimulus::default_for`], `qrnn-hw gen`
//! without `--sim-steps`; docs/HARDWARE.md §8, "The default stimulus").
//!
//! A handful of short random sequences exercise little of a design: inputs uniform in about
//! [-1, 1] keep every state far from its format's limits, so a wrong saturation bound, a rounding
//! constant off by one or a table entry that is only looked up near the limits passes. The default
//! stimulus is several sequences of different kinds, one of them long:
//!
//! | pattern | full length | what it drives |
//! |---|---|---|
//! | [`Pattern::Random`] | 120 | uniform over the input format's whole range (state wanders, many table entries) |
//! | [`Pattern::Saturating`] | 24 | every element at the format's largest or smallest value, random sign, every step |
//! | [`Pattern::ConstantExtreme`] | 40 | every element at the largest value, then at the smallest (`c` and `h` to their limits and back) |
//! | [`Pattern::Held`] | 96 | a random vector of extremes held for 8 steps, then another: twelve sign patterns, each long enough for `c` to build up towards its limit |
//! | [`Pattern::Alternating`] | 16 | extremes alternating in sign over time and over elements |
//! | [`Pattern::Small`] | 32 | small values (1/16 of the range): fine steps near zero, rounding ties |
//! | [`Pattern::Sweep`] | 48 | each element a triangle wave over the whole range, its own period and phase |
//! | [`Pattern::Random`] | 1 | a one-step sequence (sequence start right after a sequence start) |
//! | [`Pattern::Small`] | 3 | a short sequence |
//!
//! 380 timesteps in all. The expected vectors, the testbench's arrays and the golden trace grow
//! with timesteps × checked values per timestep (every output and every layer's `h` and `c`, per
//! pixel for ConvLSTM), so the lengths shrink proportionally when the full plan would check more
//! than [`DEFAULT_VALUE_BUDGET`] values (a large ConvLSTM map): every sequence keeps at least one
//! timestep, and the long random one at least [`MIN_LONG`]. It is deterministic: the same model
//! and seed give the same stimulus.

use qrnn_model::example::Rng;
use qrnn_model::{ActFmt, Model};

/// What one sequence of the default stimulus drives (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Uniform over the input format's whole range.
    Random,
    /// Every element at the format's largest or smallest value, random sign.
    Saturating,
    /// Every element at the largest value for the first half, then at the smallest.
    ConstantExtreme,
    /// A random vector of extremes (random sign per element) held for [`HELD_STEPS`] steps, then
    /// another.
    Held,
    /// Extremes alternating in sign over time and over elements (a checkerboard in time).
    Alternating,
    /// Uniform over 1/16 of the range around zero.
    Small,
    /// Each element a triangle wave over the whole range, with its own period and phase.
    Sweep,
}

/// The default stimulus at full length: (pattern, timesteps) per sequence.
pub const DEFAULT_PLAN: [(Pattern, usize); 9] = [
    (Pattern::Random, 120),
    (Pattern::Saturating, 24),
    (Pattern::ConstantExtreme, 40),
    (Pattern::Held, 96),
    (Pattern::Alternating, 16),
    (Pattern::Small, 32),
    (Pattern::Sweep, 48),
    (Pattern::Random, 1),
    (Pattern::Small, 3),
];

/// The most values (outputs plus every layer's `h` and `c` elements, over all timesteps) the
/// default stimulus makes the testbench check; larger designs get proportionally shorter
/// sequences.
pub const DEFAULT_VALUE_BUDGET: usize = 1 << 16;

/// Steps [`Pattern::Held`] holds one input vector.
pub const HELD_STEPS: usize = 8;

/// The shortest the long random sequence gets under the budget.
pub const MIN_LONG: usize = 4;

/// Values the testbench checks per timestep: every output, and every element of every layer's `h`
/// and `c` (per pixel for ConvLSTM).
pub fn checked_values_per_step(model: &Model) -> usize {
    let px = model.pixels();
    let states: usize = model
        .layers
        .iter()
        .map(|l| px * l.hidden * if l.cell.has_c() { 2 } else { 1 })
        .sum();
    model.output_len() + states
}

/// The sequence lengths of the default stimulus for a model: [`DEFAULT_PLAN`], shrunk to
/// [`DEFAULT_VALUE_BUDGET`].
pub fn default_plan(model: &Model) -> Vec<(Pattern, usize)> {
    let full: usize = DEFAULT_PLAN.iter().map(|p| p.1).sum();
    let per_step = checked_values_per_step(model).max(1);
    if per_step.saturating_mul(full) <= DEFAULT_VALUE_BUDGET {
        return DEFAULT_PLAN.to_vec();
    }
    let f = DEFAULT_VALUE_BUDGET as f64 / (per_step as f64 * full as f64);
    DEFAULT_PLAN
        .iter()
        .enumerate()
        .map(|(i, &(p, n))| {
            let min = if i == 0 { MIN_LONG } else { 1 };
            (p, ((n as f64 * f).floor() as usize).clamp(min, n))
        })
        .collect()
}

/// The integer range of the input format: (smallest, largest, binary?).
fn input_range(model: &Model) -> (i64, i64, bool) {
    match model.input.format {
        ActFmt::Fixed(f) => (f.min(), f.max(), false),
        ActFmt::Binary => (-1, 1, true),
    }
}

/// One sequence of a pattern: `n` timesteps of `len` integers in the input format.
pub fn pattern_sequence(model: &Model, pattern: Pattern, n: usize, seed: u64) -> Vec<Vec<i64>> {
    let (lo, hi, binary) = input_range(model);
    let len = model.input_len();
    let mut rng = Rng::new(seed);
    // a binary input is ±1: any value maps to its sign (0 → +1)
    let fit = |v: i64| {
        if binary {
            if v < 0 {
                -1
            } else {
                1
            }
        } else {
            v
        }
    };
    let extreme = |neg: bool| if neg { lo } else { hi };
    match pattern {
        Pattern::Random => (0..n)
            .map(|_| (0..len).map(|_| fit(rng.range(lo, hi))).collect())
            .collect(),
        Pattern::Saturating => (0..n)
            .map(|_| (0..len).map(|_| extreme(rng.below(2) == 0)).collect())
            .collect(),
        Pattern::ConstantExtreme => (0..n)
            .map(|t| vec![extreme(t >= n.div_ceil(2)); len])
            .collect(),
        Pattern::Held => {
            let mut v = Vec::with_capacity(n);
            for t in 0..n {
                if t % HELD_STEPS == 0 {
                    let x: Vec<i64> = (0..len).map(|_| extreme(rng.below(2) == 0)).collect();
                    v.push(x);
                } else {
                    v.push(v[t - 1].clone());
                }
            }
            v
        }
        Pattern::Alternating => (0..n)
            .map(|t| (0..len).map(|j| extreme((t + j) % 2 == 1)).collect())
            .collect(),
        Pattern::Small => {
            let r = (hi / 16).max(1);
            (0..n)
                .map(|_| (0..len).map(|_| fit(rng.range(-r, r))).collect())
                .collect()
        }
        Pattern::Sweep => {
            // triangle wave of period 2·half (8..=40 steps per half period), random phase
            let waves: Vec<(u64, u64)> = (0..len)
                .map(|_| {
                    let half = 8 + rng.below(33);
                    (half, rng.below(2 * half))
                })
                .collect();
            (0..n)
                .map(|t| {
                    waves
                        .iter()
                        .map(|&(half, phase)| {
                            let k = (t as u64 + phase) % (2 * half);
                            let up = if k <= half { k } else { 2 * half - k };
                            let span = (hi - lo) as i128;
                            let v =
                                lo as i128 + (span * up as i128 + half as i128 / 2) / half as i128;
                            fit(v as i64)
                        })
                        .collect()
                })
                .collect()
        }
    }
}

/// Stimulus: `sequences` of integer inputs (already in the input format).
pub struct Stimulus {
    /// Sequences of timesteps of `in_len` integers.
    pub sequences: Vec<Vec<Vec<i64>>>,
}

impl Stimulus {
    /// Seeded random stimulus: `lens.len()` sequences of the given lengths, inputs uniform in
    /// about [-1, 1] quantized to the input format. (`qrnn-hw gen --sim-steps`; the default
    /// stimulus is [`Stimulus::default_for`].)
    pub fn random(model: &Model, lens: &[usize], seed: u64) -> Stimulus {
        let sequences = lens
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let real = qrnn_model::example::random_inputs(
                    model,
                    *n,
                    seed.wrapping_add(i as u64 * 7919),
                );
                qrnn_golden::quantize_input(model, &real)
            })
            .collect();
        Stimulus { sequences }
    }
    /// Total timesteps.
    pub fn steps(&self) -> usize {
        self.sequences.iter().map(|s| s.len()).sum()
    }
    /// The default stimulus of a model (see [`crate::stimulus`]): the sequences of
    /// [`default_plan`], each drawn from `seed`.
    pub fn default_for(model: &Model, seed: u64) -> Stimulus {
        let sequences = default_plan(model)
            .into_iter()
            .enumerate()
            .map(|(i, (p, n))| {
                let s = seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add((i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
                pattern_sequence(model, p, n, s)
            })
            .collect();
        Stimulus { sequences }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrnn_model::example::{example, ExampleSpec};
    use qrnn_model::{Cell, Scheme};

    fn lstm() -> Model {
        let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 4, 1);
        spec.head = Some(2);
        example(&spec)
    }

    #[test]
    fn default_is_deterministic_long_and_within_the_format() {
        let m = lstm();
        let a = Stimulus::default_for(&m, 1);
        assert_eq!(a.sequences, Stimulus::default_for(&m, 1).sequences);
        assert_ne!(a.sequences, Stimulus::default_for(&m, 2).sequences);
        assert_eq!(a.sequences.len(), DEFAULT_PLAN.len());
        assert_eq!(a.steps(), DEFAULT_PLAN.iter().map(|p| p.1).sum::<usize>());
        assert!(a.sequences.iter().any(|s| s.len() >= 100));
        let ActFmt::Fixed(f) = m.input.format else {
            panic!("fixed input expected")
        };
        let all: Vec<i64> = a.sequences.iter().flatten().flatten().copied().collect();
        assert!(all.iter().all(|v| (f.min()..=f.max()).contains(v)));
        // both extremes occur, and so do small values
        assert!(all.contains(&f.min()) && all.contains(&f.max()));
        assert!(all.iter().any(|v| v.abs() <= f.max() / 16 && *v != 0));
        for s in &a.sequences {
            assert!(s.iter().all(|x| x.len() == m.input_len()));
        }
    }

    #[test]
    fn binary_inputs_are_signs() {
        let mut spec = ExampleSpec::new(Cell::Gru, Scheme::Binary, 3, 4, 2);
        spec.formats.x = ActFmt::Binary;
        let m = example(&spec);
        let s = Stimulus::default_for(&m, 3);
        assert!(s
            .sequences
            .iter()
            .flatten()
            .flatten()
            .all(|v| *v == 1 || *v == -1));
    }

    #[test]
    fn large_maps_shrink_to_the_budget() {
        let mut spec = ExampleSpec::new(Cell::ConvLstm, Scheme::Binary, 1, 4, 3);
        spec.map = Some((32, 32));
        spec.kernel = 3;
        let m = example(&spec);
        let plan = default_plan(&m);
        let steps: usize = plan.iter().map(|p| p.1).sum();
        let per = checked_values_per_step(&m);
        assert!(plan[0].1 >= MIN_LONG && plan.iter().all(|p| p.1 >= 1));
        assert!(steps < 380, "{steps}");
        // within the budget, up to the per-sequence minimums
        assert!(per * steps <= DEFAULT_VALUE_BUDGET + per * (MIN_LONG + plan.len()));
        let s = Stimulus::default_for(&m, 1);
        assert_eq!(s.steps(), steps);
        // a small map keeps the full plan
        let mut spec = ExampleSpec::new(Cell::ConvLstm, Scheme::Binary, 1, 2, 3);
        spec.map = Some((3, 3));
        assert_eq!(default_plan(&example(&spec)), DEFAULT_PLAN.to_vec());
    }
}
