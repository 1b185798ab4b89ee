//! The constant-matrix compiler (docs/HARDWARE.md §4.7): a shared adder graph for a matrix-vector
//! product `y = W·x` whose weights are constants — binary `{−1, 1}`, ternary `{−1, 0, 1}` and
//! quaternary codes (`{−2, −1, 1, 2}`, the `{−1, −½, ½, 1}` weights scaled by two, as the lanes
//! compute them).
//!
//! Each row starts as a signed sum of its inputs, or, where that takes fewer terms, as `±` another
//! row's output plus its difference from that row (row chains, at most [`CHAIN_DEPTH`] rows deep:
//! a minimum spanning tree over the rows; [`compile`] builds the graph with and without them and
//! keeps the one of fewer adder bits). Common subexpressions are then shared across
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
    /// Bits of all adders (each at its exact width): what the adders cost in carry-chain cells.
    pub fn adder_bits(&self) -> u64 {
        self.nodes.iter().map(|n| u64::from(n.width())).sum()
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

/// How deep row chains go ([`row_chains`]): a row built from a row built from a third at most.
pub const CHAIN_DEPTH: usize = 2;

/// Tie-break orders of the sharing ([`compile`]) tried on a matrix of at most
/// [`MULTI_START_CELLS`] codes; a larger one takes order 0 alone.
pub const TIE_BREAKS: u64 = 8;

/// Codes of the largest matrix compiled with every tie-break order.
pub const MULTI_START_CELLS: usize = 64 * 32;

/// Compile the constant matrix `w` (rows of integer codes, each a power of two or 0 in magnitude)
/// for inputs with the intervals `inputs`: without row chains and with them (at most
/// [`CHAIN_DEPTH`] deep), each with [`TIE_BREAKS`] orders among the patterns the sharing finds
/// equally frequent and deep (a small matrix; order 0 is the smallest pattern first), the graph
/// of fewest adder bits (`Σ` node widths; a tie keeps the first: no chains before chains, the
/// lower order first). Greedy sharing depends on the order in which equal patterns are taken, by
/// a percent or two of the adders; trying several orders is the multi-start of the
/// multiple-constant-multiplication heuristics. Deterministic.
pub fn compile(w: &[Vec<i64>], inputs: &[Interval]) -> Graph {
    let cells: usize = w.iter().map(|r| r.len()).sum();
    let orders = if cells <= MULTI_START_CELLS {
        TIE_BREAKS
    } else {
        1
    };
    // the row chains do not depend on the order: worked out once per depth
    let (none, chains) = (row_chains(w, 0), row_chains(w, CHAIN_DEPTH));
    let mut best = compile_with(w, inputs, &none, 0);
    for (parents, first) in [(&none, 1), (&chains, 0)] {
        for order in first..orders {
            let g = compile_with(w, inputs, parents, order);
            if g.adder_bits() < best.adder_bits() {
                best = g;
            }
        }
    }
    best
}

/// The position of pattern `k` in tie-break order `order` (0: every pattern equal, the smallest
/// key decides): a fixed mix of the pattern's operands and coefficients with the order.
fn tie_rank(k: &Key, order: u64) -> u64 {
    if order == 0 {
        return 0;
    }
    let op = |o: &Op| match o {
        Op::In(i) => 2 * *i as u64,
        Op::Node(n) => 2 * *n as u64 + 1,
    };
    // splitmix64's finaliser over the fields
    let mut x = order.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ op(&k.0).wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
        ^ op(&k.1).wrapping_mul(0x1656_67b1_9e37_79f9)
        ^ (k.2 as u64).wrapping_mul(0x27d4_eb2f_1656_67c5)
        ^ (k.3 as u64).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Terms of code difference `d` (a power of two is one term; 3 = 4 − 1 two).
fn diff_terms(d: i64) -> usize {
    match d.unsigned_abs() {
        0 => 0,
        a if a.is_power_of_two() => 1,
        _ => 2,
    }
}

/// Row chains (the graph-level pre-optimisation of docs/HARDWARE.md §4.7): row `i` is built from
/// scratch (`None`) or as `s·y_j + Σ (w_i − s·w_j)·x` from an earlier row's output `y_j`
/// (`s = ±1`), where its difference takes fewer terms than the row itself — a minimum spanning
/// tree over the rows (Prim's, from a virtual root whose edge to a row is its own term count;
/// an edge costs the difference's terms plus the one for `y_j`), at most `depth` rows deep. Two
/// random binary rows of 64 columns differ in about half of them, but the nearest of 31 others in
/// far fewer. Deterministic: ties go to the lower row.
fn row_chains(w: &[Vec<i64>], depth: usize) -> Vec<Option<(usize, i64)>> {
    let n = w.len();
    let mut parents = vec![None; n];
    if depth == 0 {
        return parents;
    }
    let own: Vec<usize> = w
        .iter()
        .map(|r| r.iter().filter(|c| **c != 0).count())
        .collect();
    let diff = |i: usize, j: usize, s: i64| -> usize {
        w[i].iter()
            .zip(&w[j])
            .map(|(a, b)| diff_terms(a - s * b))
            .sum::<usize>()
            + 1
    };
    let mut best: Vec<usize> = own.clone();
    let mut done = vec![false; n];
    let mut level = vec![0usize; n];
    for _ in 0..n {
        let Some(j) = (0..n).filter(|j| !done[*j]).min_by_key(|j| (best[*j], *j)) else {
            break;
        };
        done[j] = true;
        level[j] = parents[j].map_or(0, |(p, _): (usize, i64)| level[p] + 1);
        if own[j] == 0 || level[j] >= depth {
            continue;
        }
        for i in 0..n {
            if done[i] {
                continue;
            }
            for s in [1, -1] {
                let c = diff(i, j, s);
                if c < best[i] {
                    best[i] = c;
                    parents[i] = Some((j, s));
                }
            }
        }
    }
    parents
}

/// [`compile`] with row chains at most `chain` deep (0: none), tie-break order 0.
#[cfg(test)]
fn compile_chained(w: &[Vec<i64>], inputs: &[Interval], chain: usize) -> Graph {
    compile_with(w, inputs, &row_chains(w, chain), 0)
}

/// One graph: rows chained as `parents` says ([`row_chains`]), tie-break order `order`.
fn compile_with(
    w: &[Vec<i64>],
    inputs: &[Interval],
    parents: &[Option<(usize, i64)>],
    order: u64,
) -> Graph {
    // a chained row's own terms are its difference from its parent's
    let w: Vec<Vec<i64>> = w
        .iter()
        .zip(parents)
        .map(|(r, p)| match p {
            None => r.clone(),
            Some((i, s)) => r.iter().zip(&w[*i]).map(|(a, b)| a - s * b).collect(),
        })
        .collect();
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
    // a difference of 3 (quaternary codes 2 and −1) is 4 − 1: the −1 is an extra term of the row
    let mut extra: Vec<Vec<Term>> = vec![Vec::new(); rows.len()];
    for (r, x) in rows.iter_mut().zip(extra.iter_mut()) {
        for (op, c) in r.iter_mut() {
            if !c.unsigned_abs().is_power_of_two() {
                let sgn = c.signum();
                x.push(coef_term(*op, -sgn));
                *c += sgn;
            }
        }
    }
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
        // the most frequent pattern, then the shallowest, then the first in the tie-break order,
        // then the smallest key
        let best = counts
            .iter()
            .filter(|(_, (n, d))| *n >= 2 && *d <= bound)
            .max_by(|(ka, (na, da)), (kb, (nb, db))| {
                na.cmp(nb)
                    .then(db.cmp(da))
                    .then(tie_rank(kb, order).cmp(&tie_rank(ka, order)))
                    .then(kb.cmp(ka))
            })
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
    // each row's remaining terms (and a chained row's `s·y_j`, its parent built first): the two
    // shallowest first
    let mut outputs: Vec<Option<Term>> = vec![None; rows.len()];
    let mut order = Vec::with_capacity(rows.len());
    let mut placed = vec![false; rows.len()];
    for i in 0..rows.len() {
        let mut chain = vec![i];
        while let Some((p, _)) = parents[*chain.last().unwrap_or(&i)] {
            chain.push(p);
        }
        for r in chain.into_iter().rev() {
            if !placed[r] {
                placed[r] = true;
                order.push(r);
            }
        }
    }
    for &ri in &order {
        let r = &rows[ri];
        let mut terms: Vec<Term> = r.iter().map(|(op, c)| coef_term(*op, *c)).collect();
        terms.extend(extra[ri].iter().copied());
        if let Some((p, s)) = parents[ri] {
            if let Some(t) = outputs[p] {
                terms.push(Term {
                    neg: t.neg ^ (s < 0),
                    ..t
                });
            }
        }
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
        outputs[ri] = terms.pop();
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
        check_chained(w, inputs, seed, None)
    }

    /// [`check`] of [`compile`] (`chain` `None`) or of the graph with row chains `chain` deep.
    fn check_chained(
        w: &[Vec<i64>],
        inputs: &[(i128, i128)],
        seed: u64,
        chain: Option<usize>,
    ) -> Graph {
        let iv: Vec<Interval> = inputs
            .iter()
            .map(|(lo, hi)| Interval { lo: *lo, hi: *hi })
            .collect();
        let g = match chain {
            None => compile(w, &iv),
            Some(c) => compile_chained(w, &iv, c),
        };
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
    fn row_chains_are_exact_at_every_depth() {
        // quaternary rows differ by 3 where codes 2 and −1 meet (4 − 1: two terms)
        let act = (-128i128, 127i128);
        for (codes, seed) in [
            (vec![-1i64, 1], 21),
            (vec![-1, 0, 0, 1, 1, -1, 0], 22),
            (vec![-2, -1, 1, 2], 23),
        ] {
            for chain in [1, CHAIN_DEPTH, 64] {
                let w = random(24, 20, &codes, seed);
                check_chained(&w, &vec![act; 20], seed + 1, Some(chain));
            }
        }
        // equal and opposite rows: one row is the other's output, negated or not, no adder
        let w = vec![vec![1, -1, 1, 1], vec![-1, 1, -1, -1], vec![1, -1, 1, 1]];
        let g = check_chained(&w, &[act; 4], 3, Some(CHAIN_DEPTH));
        assert_eq!(g.outputs[0].map(|t| t.op), g.outputs[1].map(|t| t.op));
        assert_eq!(g.outputs[0], g.outputs[2]);
    }

    #[test]
    fn row_chains_pay_on_binary_rows_and_stay_within_their_depth() {
        // 32 random binary rows of 64 columns: each row's nearest other differs in far fewer
        // than the row's own terms
        let w = random(32, 64, &[-1, 1], 31);
        let parents = row_chains(&w, CHAIN_DEPTH);
        assert!(
            parents.iter().filter(|p| p.is_some()).count() > 16,
            "{parents:?}"
        );
        for (i, p) in parents.iter().enumerate() {
            let mut depth = 0;
            let mut at = *p;
            while let Some((j, _)) = at {
                assert_ne!(j, i, "row {i} is its own ancestor");
                depth += 1;
                at = parents[j];
            }
            assert!(depth <= CHAIN_DEPTH, "row {i}: a chain {depth} deep");
        }
        let inputs = vec![Interval::new(-128, 127); 64];
        let plain = compile_chained(&w, &inputs, 0);
        let best = check(&w, &[(-128, 127); 64], 32);
        assert!(
            best.adder_bits() * 100 < plain.adder_bits() * 95,
            "chains: {} adder bits against {} without",
            best.adder_bits(),
            plain.adder_bits()
        );
        // ternary rows with zeros share more by common subexpressions than by chains
        let t = random(32, 64, &[-1, 0, 0, 1, 1, -1, 0], 33);
        let plain = compile_chained(&t, &inputs, 0);
        assert!(compile_chained(&t, &inputs, CHAIN_DEPTH).adder_bits() > plain.adder_bits());
    }

    #[test]
    fn the_tie_break_orders_find_a_cheaper_graph() {
        // on the bench's kind of matrix (ternary 32×64, 40 % zeros) some order beats order 0 and
        // compile keeps the cheapest
        let w = random(32, 64, &[-1, 0, 0, 1, 1, -1, 0], 34);
        let inputs = vec![Interval::new(-128, 127); 64];
        let bits: Vec<u64> = (0..TIE_BREAKS)
            .map(|o| compile_with(&w, &inputs, &row_chains(&w, 0), o).adder_bits())
            .collect();
        let best = check(&w, &[(-128, 127); 64], 35);
        assert!(bits.iter().any(|b| *b < bits[0]), "{bits:?}");
        assert!(
            best.adder_bits() <= *bits.iter().min().unwrap_or(&0),
            "{bits:?}"
        );
        // a matrix above MULTI_START_CELLS takes order 0 alone
        let big = random(64, 40, &[-1, 0, 1], 36);
        let iv = vec![Interval::new(-128, 127); 40];
        let (a, b) = (
            compile_chained(&big, &iv, 0),
            compile_chained(&big, &iv, CHAIN_DEPTH),
        );
        let want = if b.adder_bits() < a.adder_bits() {
            b
        } else {
            a
        };
        assert_eq!(compile(&big, &iv), want);
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
