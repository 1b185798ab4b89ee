//! The constant-matrix compiler (docs/HARDWARE.md §4.7): a shared adder graph for a matrix-vector
//! product `y = W·x` whose weights are constants — binary `{−1, 1}`, ternary `{−1, 0, 1}` and
//! quaternary codes (`{−2, −1, 1, 2}`, the `{−1, −½, ½, 1}` weights scaled by two, as the lanes
//! compute them).
//!
//! Each row starts as a signed sum of its inputs. Common subexpressions are then shared across
//! rows, one pair at a time (the greedy pairwise elimination of the multiple-constant-
//! multiplication literature): the pattern `α·u + β·v` (two operands of a row, `α > 0`, the
//! coefficients divided by their common power of two) that the most rows contain becomes one
//! adder, and every row that contains it (up to a sign and a shift) uses that adder instead of two
//! terms. A pattern is taken only while it occurs in two rows or more and its adder stays within
//! the depth bound (the depth of a plain adder tree of the widest row), so that sharing does not
//! lengthen the critical path. What is left of each row is summed by a tree that always adds the
//! two shallowest terms first. Negations are carried to the consumer (a node never negates its
//! first operand, `−a − b` is `−(a + b)`), and shifts common to both operands are factored out of a
//! node, so that every node is one adder or subtractor. Every node's exact value interval follows
//! from its linear form over the inputs (each input appears in it at most once), which gives it
//! the width it needs and no more.
//!
//! Deterministic: the counts live in a hash map, but the pattern taken is the greatest under a
//! total order (count, then shallower, then the smallest key), so no iteration order reaches the
//! graph.

use crate::ir::{Engine, Mv, Placement};
use qrnn_model::{Interval, Scheme};
use std::collections::{BTreeMap, HashMap};

/// Cells of the largest matrix compiled (`rows × cols`): beyond it the pairwise search grows too
/// slow to be worth it, and such a matrix is never fully parallel on a small FPGA.
pub const MAX_CELLS: usize = 64 * 256;

/// The constant matrix of weight tensor `mv` of engine `e`, when the hardware sees constant codes:
/// a hard-wired (`logic`) ROM of one word (one row group and one chunk: the tensor fully parallel,
/// docs/HARDWARE.md §4.7) of a dense engine (a ConvLSTM engine masks the window taps outside the
/// map, a mask that changes with the pixel), multiplier-free codes, multi-bit activations (the
/// XNOR path keeps its popcount), at most [`MAX_CELLS`]. Row `p`, column `s` is the code of lane
/// `(p, s)` as the lanes compute it: binary `±1`, ternary `−1, 0, 1`, quaternary `±1, ±2`; only the
/// tensor's own rows and columns (the padding lanes' mask is constant in such an engine).
pub fn constant_matrix(e: &Engine, mv: &Mv) -> Option<Vec<Vec<i64>>> {
    let rom = mv.rom.as_ref()?;
    let f = e.fold?;
    if e.conv.is_some()
        || rom.words.len() != 1
        || rom.placement != Placement::Logic
        || !mv.scheme.is_multiplier_free()
        || (mv.scheme == Scheme::Binary && mv.act.is_binary())
        || mv.rows() * mv.cols() > MAX_CELLS
        || mv.rows() > f.p
        || mv.cols() > f.s
    {
        return None;
    }
    let hex = &rom.words[0];
    let bit = |i: u32| -> bool {
        let digit = hex.len().checked_sub(1 + (i / 4) as usize);
        digit
            .and_then(|d| hex.as_bytes().get(d))
            .and_then(|c| (*c as char).to_digit(16))
            .is_some_and(|v| v >> (i % 4) & 1 == 1)
    };
    let b = mv.scheme.bits();
    let code = |p: usize, s: usize| -> i64 {
        let lo = ((p * f.s + s) as u32) * b;
        let (b0, b1) = (bit(lo), b > 1 && bit(lo + 1));
        match mv.scheme {
            Scheme::Binary => {
                if b0 {
                    1
                } else {
                    -1
                }
            }
            Scheme::Ternary => match (b0, b1) {
                (false, _) => 0,
                (true, false) => 1,
                (true, true) => -1,
            },
            _ => {
                let m = if b0 { 2 } else { 1 };
                if b1 {
                    -m
                } else {
                    m
                }
            }
        }
    };
    Some(
        (0..mv.rows())
            .map(|p| (0..mv.cols()).map(|s| code(p, s)).collect())
            .collect(),
    )
}

/// An operand: input column `i` or node `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// Input column.
    In(usize),
    /// An adder of the graph.
    Node(usize),
}

/// A signed, shifted operand: `(−1 if neg) · op · 2^shift`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// The operand.
    pub op: Op,
    /// Negated.
    pub neg: bool,
    /// Left shift.
    pub shift: u32,
}

/// One adder: `a + b`, `a` never negated (`b.neg`: a subtraction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// First operand (not negated).
    pub a: Term,
    /// Second operand.
    pub b: Term,
    /// The exact interval of the node's value.
    pub lo: i128,
    /// Upper bound.
    pub hi: i128,
    /// Adders on the longest path from an input (inputs: 0).
    pub depth: u32,
    /// Made by sharing (a common subexpression), not by a row's own tree.
    pub shared: bool,
}

/// A compiled matrix: the adders in topological order and one output per row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    /// The interval of every input column.
    pub inputs: Vec<(i128, i128)>,
    /// Adders, each after its operands.
    pub nodes: Vec<Node>,
    /// Per row: its value as one term, or `None` for a row of zeros.
    pub outputs: Vec<Option<Term>>,
}

/// Two's complement bits that hold every value of `[lo, hi]` (at least 1): the model's
/// [`Interval::width`].
fn width_of(lo: i128, hi: i128) -> u32 {
    Interval { lo, hi }.width()
}

impl Node {
    /// Bits of the node's value (its exact interval's width).
    pub fn width(&self) -> u32 {
        width_of(self.lo, self.hi)
    }
}

impl Graph {
    /// Adders in all.
    pub fn adders(&self) -> usize {
        self.nodes.len()
    }
    /// Adders made by sharing.
    pub fn shared(&self) -> usize {
        self.nodes.iter().filter(|n| n.shared).count()
    }
    /// The longest path, in adders.
    pub fn depth(&self) -> u32 {
        self.outputs
            .iter()
            .flatten()
            .map(|t| self.depth_of(t.op))
            .max()
            .unwrap_or(0)
    }
    /// Depth of an operand.
    pub fn depth_of(&self, op: Op) -> u32 {
        match op {
            Op::In(_) => 0,
            Op::Node(n) => self.nodes[n].depth,
        }
    }
    /// The interval of an operand.
    pub fn range_of(&self, op: Op) -> (i128, i128) {
        match op {
            Op::In(i) => self.inputs[i],
            Op::Node(n) => (self.nodes[n].lo, self.nodes[n].hi),
        }
    }
    /// Output bits of all rows (each at its exact width).
    pub fn output_bits(&self) -> u64 {
        self.outputs
            .iter()
            .flatten()
            .map(|t| {
                let (lo, hi) = term_range(self.range_of(t.op), t);
                u64::from(width_of(lo, hi))
            })
            .sum()
    }
    /// The value of every row for input vector `x` (the graph's own arithmetic, exact).
    pub fn eval(&self, x: &[i128]) -> Vec<i128> {
        let mut v = Vec::with_capacity(self.nodes.len());
        let get = |v: &[i128], t: &Term| -> i128 {
            let o = match t.op {
                Op::In(i) => x[i],
                Op::Node(n) => v[n],
            };
            let o = o << t.shift;
            if t.neg {
                -o
            } else {
                o
            }
        };
        for n in &self.nodes {
            let s = get(&v, &n.a) + get(&v, &n.b);
            v.push(s);
        }
        self.outputs
            .iter()
            .map(|t| t.as_ref().map_or(0, |t| get(&v, t)))
            .collect()
    }
}

/// The interval of a term whose operand lies in `r`.
fn term_range(r: (i128, i128), t: &Term) -> (i128, i128) {
    let (lo, hi) = (r.0 << t.shift, r.1 << t.shift);
    if t.neg {
        (-hi, -lo)
    } else {
        (lo, hi)
    }
}

/// A pattern `α·u + β·v`, `u < v`, `α > 0`, `α` and `|β|` coprime powers of two.
type Key = (Op, Op, i64, i64);

/// Compile the constant matrix `w` (rows of integer codes, each a power of two or 0 in magnitude)
/// for inputs with the intervals `inputs`.
pub fn compile(w: &[Vec<i64>], inputs: &[Interval]) -> Graph {
    let inputs: Vec<(i128, i128)> = inputs.iter().map(|i| (i.lo, i.hi)).collect();
    let cols = inputs.len();
    // each row as operand → coefficient (± a power of two)
    let mut rows: Vec<BTreeMap<Op, i64>> = w
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .take(cols)
                .filter(|(_, c)| **c != 0)
                .map(|(i, c)| (Op::In(i), *c))
                .collect()
        })
        .collect();
    let mut g = Graph {
        inputs,
        nodes: Vec::new(),
        outputs: Vec::new(),
    };
    // linear forms of the nodes over the inputs, for their exact intervals
    let mut forms: Vec<BTreeMap<usize, i128>> = Vec::new();
    let widest = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let bound = tree_depth(widest);
    // rows of ±1 over every column (binary weights): `Σ sᵢ·xᵢ = 2·Σ_{sᵢ=1} xᵢ − T` with the
    // column total `T = Σ xᵢ` made once, or `T − 2·Σ_{sᵢ=−1} xᵢ`, whichever has fewer terms: half
    // the terms or fewer per row for one shared total
    let full =
        |r: &BTreeMap<Op, i64>| cols >= 3 && r.len() == cols && r.values().all(|c| c.abs() == 1);
    if rows.iter().filter(|r| full(r)).count() >= 2 {
        let mut terms: Vec<Term> = (0..cols).map(|i| coef_term(Op::In(i), 1)).collect();
        while terms.len() > 1 {
            let a = terms.remove(0);
            let b = terms.remove(0);
            terms.push(combine(&mut g, &mut forms, a, b, true));
        }
        let total = terms[0];
        for r in rows.iter_mut().filter(|r| full(r)) {
            let pos = r.values().filter(|c| **c > 0).count();
            let keep = if 2 * pos <= cols { 1 } else { -1 };
            let t = if keep == 1 { -1 } else { 1 };
            r.retain(|_, c| *c == keep);
            for c in r.values_mut() {
                *c *= 2;
            }
            r.insert(
                total.op,
                t * if total.neg { -1 } else { 1 } * (1i64 << total.shift),
            );
        }
    }

    loop {
        let mut counts: HashMap<Key, (u32, u32)> = HashMap::new();
        for r in &rows {
            let ops: Vec<(&Op, &i64)> = r.iter().collect();
            for (x, (u, cu)) in ops.iter().enumerate() {
                for (v, cv) in &ops[x + 1..] {
                    let (key, _) = pattern(**u, **cu, **v, **cv);
                    let depth = g.depth_of(**u).max(g.depth_of(**v)) + 1;
                    counts.entry(key).or_insert((0, depth)).0 += 1;
                }
            }
        }
        // the most frequent pattern, then the shallowest, then the smallest key
        let best = counts
            .iter()
            .filter(|(_, (n, d))| *n >= 2 && *d <= bound)
            .max_by(|(ka, (na, da)), (kb, (nb, db))| na.cmp(nb).then(db.cmp(da)).then(kb.cmp(ka)))
            .map(|(k, _)| *k);
        let Some((u, v, alpha, beta)) = best else {
            break;
        };
        // the adder α·u + β·v
        let t = combine(
            &mut g,
            &mut forms,
            coef_term(u, alpha),
            coef_term(v, beta),
            true,
        );
        // every row that holds the pattern (up to a sign and a power of two) uses it
        for r in rows.iter_mut() {
            let (Some(&cu), Some(&cv)) = (r.get(&u), r.get(&v)) else {
                continue;
            };
            let (key, m) = pattern(u, cu, v, cv);
            if key != (u, v, alpha, beta) {
                continue;
            }
            r.remove(&u);
            r.remove(&v);
            // the row gains m · t
            let sign = if t.neg { -1 } else { 1 };
            let c = m * sign * (1i64 << t.shift);
            *r.entry(t.op).or_insert(0) += c;
            if r.get(&t.op) == Some(&0) {
                r.remove(&t.op);
            }
        }
    }
    // each row's remaining terms: the two shallowest first
    let mut outputs = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut terms: Vec<Term> = r.iter().map(|(op, c)| coef_term(*op, *c)).collect();
        while terms.len() > 1 {
            terms.sort_by(|a, b| {
                g.depth_of(a.op)
                    .cmp(&g.depth_of(b.op))
                    .then(a.op.cmp(&b.op))
            });
            let a = terms.remove(0);
            let b = terms.remove(0);
            let t = combine(&mut g, &mut forms, a, b, false);
            terms.push(t);
        }
        outputs.push(terms.pop());
    }
    g.outputs = outputs;
    g
}

/// Depth of a balanced adder tree of `n` terms.
fn tree_depth(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

/// A term `c · op` for `c = ± 2^k`.
fn coef_term(op: Op, c: i64) -> Term {
    debug_assert!(c != 0 && (c.unsigned_abs()).is_power_of_two());
    Term {
        op,
        neg: c < 0,
        shift: c.unsigned_abs().trailing_zeros(),
    }
}

/// The pattern of `cu·u + cv·v` and its multiplier `m` (`cu·u + cv·v = m·(α·u + β·v)`).
fn pattern(u: Op, cu: i64, v: Op, cv: i64) -> (Key, i64) {
    let (u, cu, v, cv) = if u < v {
        (u, cu, v, cv)
    } else {
        (v, cv, u, cu)
    };
    let g = cu.unsigned_abs().min(cv.unsigned_abs()) as i64;
    let m = if cu < 0 { -g } else { g };
    ((u, v, cu / m, cv / m), m)
}

/// The adder `a + b` as a term: negations carried out (`−a − b = −(a + b)`, `−a + b = b − a`), a
/// shift common to both factored out. Returns the term that stands for `a + b`.
fn combine(
    g: &mut Graph,
    forms: &mut Vec<BTreeMap<usize, i128>>,
    a: Term,
    b: Term,
    shared: bool,
) -> Term {
    let (mut a, mut b) = (a, b);
    let mut neg = false;
    if a.neg && b.neg {
        a.neg = false;
        b.neg = false;
        neg = true;
    } else if a.neg {
        std::mem::swap(&mut a, &mut b);
    }
    let shift = a.shift.min(b.shift);
    a.shift -= shift;
    b.shift -= shift;
    // the exact interval of a + b from its linear form over the inputs
    let mut form: BTreeMap<usize, i128> = BTreeMap::new();
    for t in [&a, &b] {
        let s: i128 = if t.neg { -1 } else { 1 };
        let k = s << t.shift;
        match t.op {
            Op::In(i) => *form.entry(i).or_insert(0) += k,
            Op::Node(n) => {
                for (i, c) in &forms[n] {
                    *form.entry(*i).or_insert(0) += k * c;
                }
            }
        }
    }
    let (mut lo, mut hi) = (0i128, 0i128);
    for (i, c) in &form {
        let (xl, xh) = g.inputs[*i];
        let (p, q) = (c * xl, c * xh);
        lo += p.min(q);
        hi += p.max(q);
    }
    let depth = g.depth_of(a.op).max(g.depth_of(b.op)) + 1;
    g.nodes.push(Node {
        a,
        b,
        lo,
        hi,
        depth,
        shared,
    });
    forms.push(form);
    Term {
        op: Op::Node(g.nodes.len() - 1),
        neg,
        shift,
    }
}

/// The tensors of `d` compiled to adder graphs, as `qrnn.json` reports them (the graph is
/// compiled again: deterministic, and cheap beside elaboration).
pub fn report(d: &crate::ir::Design) -> Vec<crate::manifest::ConstantMatrix> {
    let mut v = Vec::new();
    for e in d.engines() {
        for mv in std::iter::once(&e.w).chain(e.u.iter()) {
            let (Some(w), Some(rom)) = (constant_matrix(e, mv), mv.rom.as_ref()) else {
                continue;
            };
            let g = compile(&w, &vec![mv.act.interval(); mv.cols()]);
            v.push(crate::manifest::ConstantMatrix {
                tensor: rom.name.clone(),
                rows: mv.rows(),
                cols: mv.cols(),
                adders: g.adders(),
                shared: g.shared(),
                depth: g.depth(),
                plain_adders: plain_adders(&w),
            });
        }
    }
    v
}

/// The adders a plain tree per row needs: one fewer than its nonzero terms.
pub fn plain_adders(w: &[Vec<i64>]) -> usize {
    w.iter()
        .map(|r| r.iter().filter(|c| **c != 0).count().saturating_sub(1))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: a small deterministic generator for the tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn pick(&mut self, v: &[i64]) -> i64 {
            v[(self.next() % v.len() as u64) as usize]
        }
    }

    fn random(rows: usize, cols: usize, codes: &[i64], seed: u64) -> Vec<Vec<i64>> {
        let mut r = Rng(seed);
        (0..rows)
            .map(|_| (0..cols).map(|_| r.pick(codes)).collect())
            .collect()
    }

    fn check(w: &[Vec<i64>], inputs: &[(i128, i128)], seed: u64) -> Graph {
        let iv: Vec<Interval> = inputs
            .iter()
            .map(|(lo, hi)| Interval { lo: *lo, hi: *hi })
            .collect();
        let g = compile(w, &iv);
        let mut r = Rng(seed);
        for trial in 0..64 {
            let x: Vec<i128> = inputs
                .iter()
                .map(|(lo, hi)| match trial {
                    0 => *lo,
                    1 => *hi,
                    _ => lo + (r.next() % (hi - lo + 1) as u64) as i128,
                })
                .collect();
            let want: Vec<i128> = w
                .iter()
                .map(|row| row.iter().zip(&x).map(|(c, v)| *c as i128 * v).sum())
                .collect();
            assert_eq!(g.eval(&x), want, "trial {trial}");
        }
        // every node's interval holds what it computes at the corners, and the topology is sound
        for (k, n) in g.nodes.iter().enumerate() {
            for t in [n.a, n.b] {
                if let Op::Node(m) = t.op {
                    assert!(m < k, "node {k} reads node {m} before it is made");
                }
            }
            assert!(!n.a.neg, "node {k} negates its first operand");
            assert!(n.lo <= n.hi);
        }
        g
    }

    #[test]
    fn every_scheme_computes_the_product_exactly() {
        let act = (-128i128, 127i128);
        for (name, codes) in [
            ("binary", vec![-1i64, 1]),
            ("ternary", vec![-1, 0, 0, 1, 1, -1, 0]),
            ("quaternary", vec![-2, -1, 1, 2]),
        ] {
            for (rows, cols, seed) in [(1, 1, 1), (3, 5, 2), (16, 8, 3), (64, 16, 4), (32, 24, 5)] {
                let w = random(rows, cols, &codes, seed);
                let g = check(&w, &vec![act; cols], seed + 100);
                assert!(
                    g.adders() <= plain_adders(&w) + rows,
                    "{name} {rows}x{cols}: {} adders, a plain tree needs {}",
                    g.adders(),
                    plain_adders(&w)
                );
            }
        }
    }

    #[test]
    fn sharing_saves_adders_and_keeps_the_depth_bound() {
        // 64 rows of 16 ternary inputs: many pairs repeat
        let w = random(64, 16, &[-1, 0, 0, 1, 1, -1, 0], 7);
        let g = check(&w, &[(-128, 127); 16], 8);
        let plain = plain_adders(&w);
        assert!(g.shared() > 0, "no common subexpression was shared");
        assert!(
            g.adders() * 10 < plain * 9,
            "{} adders against {plain} in plain trees: sharing should save more than 10 %",
            g.adders()
        );
        // the shared adders stay within a plain tree's depth; the rows' trees add at most two
        let bound = tree_depth(16);
        assert!(g
            .nodes
            .iter()
            .filter(|n| n.shared)
            .all(|n| n.depth <= bound));
        assert!(g.depth() <= bound + 2, "depth {}", g.depth());
    }

    #[test]
    fn widths_are_exact() {
        // y = x0 + x1 with x in [0, 3]: [0, 6] needs 4 signed bits; x0 − x1: [−3, 3], 3 bits
        let g = check(&[vec![1, 1], vec![1, -1]], &[(0, 3), (0, 3)], 1);
        let r: Vec<(i128, i128)> = g
            .outputs
            .iter()
            .flatten()
            .map(|t| term_range(g.range_of(t.op), t))
            .collect();
        assert_eq!(r, vec![(0, 6), (-3, 3)]);
        assert_eq!(width_of(0, 6), 4);
        assert_eq!(width_of(-3, 3), 3);
    }

    #[test]
    fn a_row_of_zeros_and_a_single_term() {
        let g = check(&[vec![0, 0], vec![0, -2], vec![2, 0]], &[(-8, 7); 2], 2);
        assert_eq!(g.outputs[0], None);
        assert_eq!(g.adders(), 0);
    }

    #[test]
    fn compiling_twice_gives_the_same_graph() {
        let w = random(32, 24, &[-2, -1, 1, 2], 11);
        let inputs = vec![Interval::new(-128, 127); 24];
        assert_eq!(compile(&w, &inputs), compile(&w, &inputs));
    }
}
