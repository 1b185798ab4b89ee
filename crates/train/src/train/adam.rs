//! Adam (Kingma and Ba 2015) on host vectors, with the bias correction of the paper:
//!
//! ```text
//! t ← t + 1
//! m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
//! m̂ = m / (1 − β1^t)             v̂ = v / (1 − β2^t)
//! w ← w − lr · m̂ / (√v̂ + ε)
//! ```
//!
//! Moments are kept in `f64` and every element is updated in index order, so a step is the same
//! on every machine; the weights stay `f32` (the result is rounded to `f32` once per step).

/// Adam's state for a list of tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    /// Learning rate.
    pub lr: f64,
    /// β1 (0.9).
    pub beta1: f64,
    /// β2 (0.999).
    pub beta2: f64,
    /// ε (1e-8).
    pub eps: f64,
    /// Steps taken.
    pub t: u64,
    /// First moments, one vector per tensor.
    pub m: Vec<Vec<f64>>,
    /// Second moments.
    pub v: Vec<Vec<f64>>,
}

impl Adam {
    /// Fresh state for tensors of these sizes, with PyTorch's defaults β = (0.9, 0.999),
    /// ε = 1e-8.
    pub fn new(sizes: &[usize], lr: f64) -> Adam {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
            m: sizes.iter().map(|n| vec![0.0; *n]).collect(),
            v: sizes.iter().map(|n| vec![0.0; *n]).collect(),
        }
    }

    /// One step: update every tensor `w[i]` with its gradient `g[i]`.
    pub fn step(&mut self, w: &mut [&mut [f32]], g: &[Vec<f32>]) {
        self.t += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(self.t.min(i32::MAX as u64) as i32);
        let c2 = 1.0 - b2.powi(self.t.min(i32::MAX as u64) as i32);
        for (k, (wk, gk)) in w.iter_mut().zip(g).enumerate() {
            let (m, v) = (&mut self.m[k], &mut self.v[k]);
            for j in 0..wk.len() {
                let gj = gk[j] as f64;
                m[j] = b1 * m[j] + (1.0 - b1) * gj;
                v[j] = b2 * v[j] + (1.0 - b2) * gj * gj;
                let mh = m[j] / c1;
                let vh = v[j] / c2;
                wk[j] = (wk[j] as f64 - self.lr * mh / (vh.sqrt() + self.eps)) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_steps_by_hand() {
        // w = 0.5, g = 0.1 then -0.2, lr = 0.01
        let mut a = Adam::new(&[1], 0.01);
        let mut w = [0.5f32];
        a.step(&mut [&mut w[..]], &[vec![0.1]]);
        // m = 0.01, v = 1e-5; m̂ = 0.1, v̂ = 0.01 (up to f32 rounding of g); step = lr·0.1/(0.1+ε)
        let g1 = 0.1f32 as f64;
        let m1 = 0.1 * g1;
        let v1 = 0.001 * g1 * g1;
        let w1 = 0.5f32 as f64 - 0.01 * (m1 / 0.1) / ((v1 / 0.001).sqrt() + 1e-8);
        assert_eq!(w[0], w1 as f32);
        a.step(&mut [&mut w[..]], &[vec![-0.2]]);
        let g2 = -0.2f32 as f64;
        let m2 = 0.9 * m1 + 0.1 * g2;
        let v2 = 0.999 * v1 + 0.001 * g2 * g2;
        let mh = m2 / (1.0 - 0.81);
        let vh = v2 / (1.0 - 0.999f64 * 0.999);
        let w2 = w1 as f32 as f64 - 0.01 * mh / (vh.sqrt() + 1e-8);
        assert_eq!(w[0], w2 as f32);
        assert_eq!(a.t, 2);
        // the first step of Adam moves every weight by about lr, whatever the gradient's size
        let mut b = Adam::new(&[2], 0.01);
        let mut w = [0.0f32, 0.0];
        b.step(&mut [&mut w[..]], &[vec![1e-3, -50.0]]);
        assert!(
            (w[0] + 0.01).abs() < 1e-6 && (w[1] - 0.01).abs() < 1e-6,
            "{w:?}"
        );
    }
}
