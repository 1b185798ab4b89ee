//! σ and tanh tables (docs/NUMERICS.md §6), generated once here and stored in the model file, so
//! that the golden model and the RTL read the same integers and never evaluate σ or tanh themselves.

use crate::fixed::Fmt;

/// Round half away from zero (`f64::round`), the rounding used only for building tables (§6).
fn round_away(x: f64) -> i64 {
    x.round() as i64
}

fn build(pre: Fmt, act_frac: u32, f: impl Fn(f64) -> f64, lo: i64) -> Vec<i64> {
    let n = 1usize << pre.width;
    let half = 1i64 << (pre.width - 1);
    let one = 1i64 << act_frac;
    (0..n)
        .map(|i| {
            let v = (i as i64 - half) as f64 * (2f64).powi(-pre.frac);
            round_away(f(v) * one as f64).clamp(lo, one)
        })
        .collect()
}

/// The sigmoid table `S` for a pre-activation format and activation fraction (§6).
pub fn sigmoid_table(pre: Fmt, act_frac: u32) -> Vec<i64> {
    build(pre, act_frac, |v| 1.0 / (1.0 + (-v).exp()), 0)
}

/// The tanh table `T` for a pre-activation format and activation fraction (§6).
pub fn tanh_table(pre: Fmt, act_frac: u32) -> Vec<i64> {
    build(pre, act_frac, f64::tanh, -(1i64 << act_frac))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_the_spec_at_hand_checked_points() {
        let pre = Fmt::new(6, 3).unwrap();
        let s = sigmoid_table(pre, 3);
        let t = tanh_table(pre, 3);
        assert_eq!(s.len(), 64);
        // NUMERICS.md §11: index = z + 32.
        assert_eq!(s[2 + 32], 4); // 8·σ(0.25) = 4.4974
        assert_eq!(t[32 - 2], -2); // 8·tanh(-0.25) = -1.9593
        assert_eq!(t[32 - 1], -1); // 8·tanh(-0.125) = -0.9948
        assert_eq!(s[32], 4); // σ(0) = 0.5 exactly
        assert_eq!(t[32], 0);
        assert_eq!(s[0], 0); // 8·σ(-4) = 0.1439 -> 0
        assert_eq!(t[63], 8); // 8·tanh(3.875) = 7.9930 -> 8
                              // monotone, and within [0, 2^Fa] / [-2^Fa, 2^Fa]
        assert!(s.windows(2).all(|w| w[0] <= w[1]));
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert!(s.iter().all(|v| (0..=8).contains(v)));
        assert!(t.iter().all(|v| (-8..=8).contains(v)));
    }

    #[test]
    fn tables_against_f64_everywhere() {
        for (w, f, fa) in [(8, 4, 7), (10, 6, 12), (12, 8, 14), (2, 0, 1)] {
            let pre = Fmt::new(w, f).unwrap();
            let s = sigmoid_table(pre, fa);
            let t = tanh_table(pre, fa);
            for i in 0..(1usize << w) {
                let v = (i as f64 - (1u64 << (w - 1)) as f64) / (1u64 << f) as f64;
                let one = (1u64 << fa) as f64;
                assert!((s[i] as f64 - one / (1.0 + (-v).exp())).abs() <= 0.5 + 1e-9);
                assert!((t[i] as f64 - one * v.tanh()).abs() <= 0.5 + 1e-9);
            }
        }
    }
}
