//! Auto-fit (`qrnn-hw gen --fit`, docs/HARDWARE.md "Auto-fit"): for a model and a device, the
//! folding P×S of every engine (each layer's and the head's) that gives the fewest cycles per
//! timestep — the compiler's exact count (docs/HARDWARE.md §5) — while every
//! predicted resource (§6) stays within the device's amount times a utilisation [`Ceiling`]; ties go
//! to fewer LUTs (iCE40: logic cells), then fewer block RAMs, DSPs and flip-flops.
//!
//! Invariants:
//! - Every candidate is a fold the `fold` pass accepts (`1 ≤ P ≤ rows`, `1 ≤ S ≤ max(cols)`); an
//!   engine pinned by `--fold` has only its pin.
//! - The cycles and resources of a choice are exactly those of the pipeline run with that choice.
//!   Both are a constant plus one term per engine (the schedule and the resource model look at one
//!   engine at a time), so the search tabulates each engine's options once — by swapping one
//!   engine of a scheduled design for its variant and re-predicting — and the chosen design is
//!   re-run through the whole pipeline and re-checked against the budget.
//! - Within its candidate set ([`candidates`]) the result is optimal: branch and bound over the
//!   Pareto-filtered options, checked against brute force by the unit tests.

use miette::Diagnostic;
use qrnn_fpga::device::{Device, Family, DEVICES};
use qrnn_model::Model;
use qrnn_rtl::ir::{Design, Engine};
use qrnn_rtl::manifest::{FitManifest, FitResource};
use qrnn_rtl::passes::{lower, place, run_pipeline, Options, WeightsMode};
use qrnn_rtl::resources::{predict, Resources};
use qrnn_rtl::{EngineId, Fold, FoldSpec, RtlError};
use thiserror::Error;

/// The fraction of each resource of a device that the search may plan to use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ceiling {
    /// LUT4s (ECP5, Gowin) or logic cells (iCE40: predicted LUT4 + FF, see [`Use`]).
    pub logic: f64,
    /// Flip-flops (ECP5, Gowin; on iCE40 they are part of the logic cells).
    pub ff: f64,
    /// Block RAMs.
    pub bram: f64,
    /// Hard multipliers (iCE40UP SB_MAC16, ECP5 MULT18X18D, Gowin MULT18X18).
    pub dsp: f64,
}

/// The ceilings `gen --fit` uses (docs/HARDWARE.md "Auto-fit"): 70 % of the logic, so that the
/// design places with room for routing and for the pipeline registers that timing closure adds
/// (the UP5K hidden-64 choice planned at 89 % placed at 85 % and ran at 12.9 MHz); block RAMs
/// and multipliers are counted per block, so the whole device may be used.
pub const CEILING: Ceiling = Ceiling {
    logic: 0.70,
    ff: 0.90,
    bram: 1.0,
    dsp: 1.0,
};

impl Ceiling {
    /// The logic ceiling applied on `family`: `logic` on iCE40, whose cell prediction is within a
    /// few per cent of nextpnr's (docs/HARDWARE.md "Auto-fit"); on ECP5 and Gowin `logic` divided
    /// by [`LUT4_UNDERESTIMATE`], since the LUT4 prediction there is low by up to that factor.
    pub fn logic_for(&self, family: Family) -> f64 {
        match family {
            Family::Ice40 => self.logic,
            Family::Ecp5 | Family::Gowin => self.logic / LUT4_UNDERESTIMATE,
        }
    }
}

/// How far the LUT4 prediction falls short of what ECP5 synthesis makes (LUT4 + 2 per CCU2C carry
/// cell + 2 per TRELLIS_DPR16X4 LUT RAM), measured 2026-12-06 with yosys 0.23 on ternary LSTMs:
/// 16→64 at 1x8 1.36, at 4x32 1.17, 64→256 at 4x64 1.39 — that last one, chosen under a plain 70 %
/// ceiling, did not place on the ECP5-25K (docs/HARDWARE.md "Auto-fit"). Gowin is assumed alike.
pub const LUT4_UNDERESTIMATE: f64 = 1.4;

/// The largest number of candidate folds of one engine on the finest grid ([`Grid::Efficient`]).
pub const MAX_CANDIDATES: usize = 256;

/// The largest `pipeline runs × weight bits of the model` the search spends before it moves to a
/// coarser grid: each candidate index costs one run of the generator's passes, which packs every
/// weight (about a second per million weight bits in a debug build).
pub const MAX_WORK: u64 = 1 << 24;

/// Which foldings are candidates (see [`candidates`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grid {
    /// The smallest `P` of every distinct row-group count and the smallest `S` of every distinct
    /// chunk count: nothing faster or smaller is lost.
    Efficient,
    /// Of those, the counts that a power of two (or the full size) gives.
    Pow2,
    /// The counts that a power of four (or the full size) gives.
    Pow4,
}

/// A budgeted resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Res {
    /// LUT4s, or on iCE40 logic cells (LUT4 + FF: an iCE40 logic cell has one LUT4 and one
    /// flip-flop, and a flip-flop fed by a shared bus — the state arrays, the z buffer — takes a
    /// cell of its own).
    Logic,
    /// Flip-flops (not on iCE40, where they are in `Logic`).
    Ff,
    /// Block RAMs.
    Bram,
    /// Hard multipliers.
    Dsp,
    /// iCE40UP5K SPRAM blocks (weights placed there by `--weights spram`).
    Spram,
}

impl Res {
    /// Every budgeted resource, in [`Use::r`] order.
    pub const ALL: [Res; 5] = [Res::Logic, Res::Ff, Res::Bram, Res::Dsp, Res::Spram];

    /// Key in `qrnn.json` (`fit.resources[].resource`).
    pub fn key(self, family: Family) -> &'static str {
        match (self, family) {
            (Res::Logic, Family::Ice40) => "logic_cells",
            (Res::Logic, _) => "lut4",
            (Res::Ff, _) => "ff",
            (Res::Bram, _) => "bram_blocks",
            (Res::Dsp, _) => "dsp",
            (Res::Spram, _) => "spram_blocks",
        }
    }

    /// Name for people.
    pub fn label(self, family: Family) -> &'static str {
        match (self, family) {
            (Res::Logic, Family::Ice40) => "logic cells (LUT4+FF)",
            (Res::Logic, _) => "LUT4",
            (Res::Ff, _) => "flip-flops",
            (Res::Bram, Family::Ice40) => "block RAM (4 kbit)",
            (Res::Bram, _) => "block RAM (18 kbit)",
            (Res::Dsp, Family::Ice40) => "DSP (SB_MAC16)",
            (Res::Dsp, Family::Ecp5) => "DSP (MULT18X18D)",
            (Res::Dsp, Family::Gowin) => "DSP (MULT18X18)",
            (Res::Spram, _) => "SPRAM (256 kbit)",
        }
    }
}

/// Predicted use of the budgeted resources, plus the LUT4 count for the tie-break.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Use {
    /// Indexed by [`Res`] order: logic, ff, bram, dsp.
    pub r: [i64; 5],
    /// The latency of a timestep (docs/HARDWARE.md §3): the engines' cycles add up to it, and the
    /// cycles per timestep follow from it ([`Stream::ii`]).
    pub cycles: i64,
    /// The head's share of `cycles`, which may run beside the next timestep
    /// ([`Design::head_cycles`]). Exact for a whole design ([`usage`]); whether the head may run
    /// beside depends on the last layer's fold too, so the per-engine differences the search adds
    /// up do not give it, and the search does not read it (its objective is the latency).
    pub head: i64,
}

/// How a model's designs stream timesteps (docs/HARDWARE.md §3, §5): the cycles per timestep
/// (the initiation interval) of a design with a given latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    /// Input elements per timestep.
    pub in_len: usize,
    /// Output elements per timestep.
    pub out_len: usize,
    /// Whether the designs overlap timesteps (a dense model).
    pub overlapped: bool,
}

impl Stream {
    /// The stream of a model's designs, asked of its lowered design (which owns whether it
    /// overlaps timesteps: [`Design::overlapped`]).
    pub fn of(d: &Design) -> Stream {
        Stream {
            in_len: d.in_len,
            out_len: d.out_len,
            overlapped: d.overlapped(),
        }
    }
    /// Cycles per timestep of a design of this use (its latency, and its head's share of it).
    pub fn ii(&self, u: &Use) -> u64 {
        qrnn_rtl::ir::initiation_interval(
            u.cycles.max(0) as u64,
            self.in_len,
            self.out_len,
            self.overlapped,
            if self.overlapped {
                u.head.max(0) as u64
            } else {
                0
            },
        )
    }
    /// The largest latency whose cycles per timestep are at most `ii` (-1: none), counted as if
    /// the head did not run beside the next timestep: a bound on the latency that is exact
    /// without a head and conservative with one (its designs may stream faster,
    /// [`qrnn_rtl::ir::head_overlaps`]).
    pub fn latency_cap(&self, ii: u64) -> i64 {
        // II = max(C, IN_LEN + 1, OUT_LEN + 1), LATENCY = IN_LEN + 1 + C + OUT_LEN
        let (i, o) = (self.in_len as u64 + 1, self.out_len as u64);
        match self.overlapped {
            false => ii as i64,
            true if ii < i.max(o + 1) => -1,
            true => (ii + i + o) as i64,
        }
    }
}

impl Use {
    fn add(self, o: Use) -> Use {
        let mut r = self.r;
        for (a, b) in r.iter_mut().zip(o.r) {
            *a += b;
        }
        Use {
            r,
            cycles: self.cycles + o.cycles,
            head: self.head + o.head,
        }
    }
    fn sub(self, o: Use) -> Use {
        let mut r = self.r;
        for (a, b) in r.iter_mut().zip(o.r) {
            *a -= b;
        }
        Use {
            r,
            cycles: self.cycles - o.cycles,
            head: self.head - o.head,
        }
    }
    /// The objective, compared lexicographically: cycles, logic, block RAM, DSP, flip-flops.
    fn key(&self) -> [i64; 6] {
        self.key_cap(None)
    }
    /// The objective under a cycle cap (`--target-rate`): first the cycles beyond the cap, then
    /// logic, block RAM, DSP and flip-flops, then cycles: the smallest design that reaches the
    /// rate, or the fastest if none does. Without a cap, [`Use::key`].
    fn key_cap(&self, cap: Option<i64>) -> [i64; 6] {
        match cap {
            None => [self.cycles, self.r[0], self.r[2], self.r[3], self.r[1], 0],
            Some(c) => [
                (self.cycles - c).max(0),
                self.r[0],
                self.r[2],
                self.r[3],
                self.r[1],
                self.cycles,
            ],
        }
    }
    /// Used amount of one resource.
    pub fn get(&self, r: Res) -> u64 {
        self.r[r as usize].max(0) as u64
    }
}

/// The budget of a device: the largest planned use of each resource (`None`: not budgeted here).
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    /// The device.
    pub device: &'static Device,
    /// The ceilings applied.
    pub ceiling: Ceiling,
    /// Per [`Res`]: `(available, limit)`, `None` where the resource is not budgeted (iCE40
    /// flip-flops, DSPs of a device without them).
    pub limits: [Option<(u64, u64)>; 5],
}

impl Budget {
    /// The budget of `device` under `ceiling`.
    pub fn new(device: &'static Device, ceiling: Ceiling) -> Budget {
        let lim = |avail: u32, c: f64| Some((avail as u64, (avail as f64 * c).floor() as u64));
        Budget {
            device,
            ceiling,
            limits: [
                lim(device.luts, ceiling.logic_for(device.family)),
                if device.family == Family::Ice40 {
                    None
                } else {
                    lim(device.ffs, ceiling.ff)
                },
                lim(device.bram_blocks, ceiling.bram),
                if device.dsps == 0 {
                    None
                } else {
                    lim(device.dsps, ceiling.dsp)
                },
                // every iCE40 counts SPRAM, so that weights placed there overrun a device without
                lim(device.spram_blocks, 1.0).filter(|_| device.family == Family::Ice40),
            ],
        }
    }

    fn ceiling_of(&self, r: Res) -> f64 {
        match r {
            Res::Logic => self.ceiling.logic_for(self.device.family),
            Res::Ff => self.ceiling.ff,
            Res::Bram => self.ceiling.bram,
            Res::Dsp => self.ceiling.dsp,
            Res::Spram => 1.0,
        }
    }

    /// The resources `u` exceeds.
    pub fn overflows(&self, u: &Use) -> Vec<Res> {
        Res::ALL
            .into_iter()
            .filter(|r| matches!(self.limits[*r as usize], Some((_, l)) if u.get(*r) > l))
            .collect()
    }

    fn fits(&self, r: &[i64; 5]) -> bool {
        self.limits
            .iter()
            .zip(r)
            .all(|(l, v)| l.is_none_or(|(_, l)| *v <= l as i64))
    }
}

// the hard multipliers one product takes: one rule, in qrnn-rtl's resource model
pub use qrnn_rtl::resources::dsp_blocks;

/// The multipliers of one scheduled engine as `(wa, wb, result width)`: the element-wise products
/// of the cell update (as `qrnn.json` → `elementwise_products` lists them), one per-row scale
/// product per lane row (P) of each tensor with per-row multipliers, and the `P·S` lane products of
/// an int-k tensor with multi-bit activations.
pub fn engine_multipliers(e: &Engine) -> Vec<(u32, u32, u32)> {
    e.multipliers()
        .into_iter()
        .map(|m| (m.widths.0, m.widths.1, m.result))
        .collect()
}

/// Hard multipliers of one engine on `family` (all its products, as if the device had DSPs for
/// every one).
pub fn engine_dsps(family: Family, e: &Engine) -> u64 {
    engine_multipliers(e)
        .into_iter()
        .map(|(a, b, y)| dsp_blocks(family, a, b, y))
        .sum()
}

/// Hard multipliers of a design on `family`: every product but those the `place-memories` pass
/// made LUT multipliers (`Design::lut_products`).
pub fn design_dsps(family: Family, d: &Design) -> u64 {
    d.engines()
        .flat_map(|e| e.multipliers().into_iter().map(move |m| (e.id, m)))
        .filter(|(id, m)| !d.lut_products.contains(&(*id, m.what.clone())))
        .map(|(_, m)| dsp_blocks(family, m.widths.0, m.widths.1, m.result))
        .sum()
}

/// Flip-flops that share an iCE40 logic cell with a LUT of their own: with `P > 1` every bit of the
/// z buffer (layers) or output buffer (dense head) is fed by its write multiplexer, which nextpnr
/// packs into the flip-flop's cell (measured: the demo at 2×1 and 2×4 places 576 and 569 cells
/// fewer than LUT4 + FF; at `P = 1` the cells are LUT4 + FF within 1.5 %).
pub fn ice40_packed(d: &Design) -> u64 {
    // the flip-flop arrays written by P lanes: a ConvLSTM layer's z arrays and a dense head's
    // outputs (a dense layer's z is in RAM banks, docs/HARDWARE.md §4.1)
    d.engines()
        .filter(|e| {
            (e.cell.is_some() && e.conv.is_some()) || (e.cell.is_none() && e.conv.is_none())
        })
        .filter(|e| e.fold.is_some_and(|f| f.p > 1))
        .map(|e| e.rows() as u64 * e.pre.width as u64)
        .sum()
}

/// The predicted use of a scheduled design on `family`.
pub fn usage(d: &Design, family: Family) -> Use {
    let r: Resources = predict(d, family);
    let logic = if family == Family::Ice40 {
        r.lut4 + r.ff - (ice40_packed(d) + r.ff_packed).min(r.ff)
    } else {
        r.lut4
    };
    let dsp: u64 = design_dsps(family, d);
    Use {
        r: [
            logic as i64,
            r.ff as i64,
            r.bram_blocks as i64,
            dsp as i64,
            r.spram_blocks as i64,
        ],
        cycles: d.latency() as i64,
        head: d.head_cycles() as i64,
    }
}

/// The distinct values of `⌈n/x⌉` for `x` in `1..=n`, each with its smallest `x`: every other
/// value of `x` costs more hardware for the same number of steps.
fn efficient(n: usize, steps: impl Fn(usize) -> usize) -> Vec<usize> {
    let mut out = vec![1];
    let mut last = steps(1);
    for x in 2..=n {
        let k = steps(x);
        if k < last {
            out.push(x);
            last = k;
        }
    }
    out
}

/// Of the efficient values, those whose step count is that of a power of `base` (or of `n`).
fn powers_only(n: usize, base: usize, eff: &[usize], steps: impl Fn(usize) -> usize) -> Vec<usize> {
    let mut ks: Vec<usize> = std::iter::successors(Some(1usize), |t| t.checked_mul(base))
        .take_while(|t| *t < n)
        .chain(std::iter::once(n))
        .map(&steps)
        .collect();
    ks.dedup();
    eff.iter()
        .copied()
        .filter(|x| ks.contains(&steps(*x)))
        .collect()
}

/// The candidate foldings of an engine (lowered: rows and columns known) on `grid`. `P` runs
/// over the smallest `P` of every distinct row-group count `⌈rows/P⌉`, `S` over the smallest `S`
/// of every distinct chunk count `⌈cols_W/S⌉ + ⌈cols_U/S⌉`: any other fold has the cycles of one
/// of these and more lanes. The coarser grids keep only the counts that powers of two (four) give.
/// Slowest (1×1) first.
pub fn candidates(e: &Engine, grid: Grid) -> Vec<Fold> {
    let Fold { p: rows, s: cols } = e.fold_limit();
    // the schedule's row-group and chunk counts (`passes::engine_cycle_terms`): an engine's cycles
    // depend on the fold only through these two
    let g = |p: usize| rows.div_ceil(p);
    let k = |s: usize| {
        let f = Fold { p: 1, s };
        e.w.chunks(f) + e.u.as_ref().map_or(0, |u| u.chunks(f))
    };
    let mut ps = efficient(rows, g);
    let mut ss = efficient(cols, k);
    let base = match grid {
        Grid::Efficient => None,
        Grid::Pow2 => Some(2),
        Grid::Pow4 => Some(4),
    };
    if let Some(b) = base {
        ps = powers_only(rows, b, &ps, g);
        ss = powers_only(cols, b, &ss, k);
    }
    let mut v = Vec::with_capacity(ps.len() * ss.len());
    for &p in &ps {
        for &s in &ss {
            v.push(Fold { p, s });
        }
    }
    v
}

/// The finest grid within [`MAX_CANDIDATES`] per engine and [`MAX_WORK`] in all (else the
/// coarsest), for the lowered design `d`.
pub fn grid_for(d: &Design) -> Grid {
    let bits: u64 = d
        .engines()
        .flat_map(|e| std::iter::once(&e.w).chain(e.u.iter()))
        .map(|m| (m.rows() * m.cols()) as u64 * u64::from(m.scheme.bits()))
        .sum();
    for g in [Grid::Efficient, Grid::Pow2] {
        let n = d
            .engines()
            .map(|e| candidates(e, g).len())
            .max()
            .unwrap_or(1);
        if n <= MAX_CANDIDATES && n as u64 * bits.max(1) <= MAX_WORK {
            return g;
        }
    }
    Grid::Pow4
}

/// What to fit.
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// Engines whose fold is fixed (`--fold`; `all=` pins every engine, clamped to its size).
    pub pinned: FoldSpec,
    /// The weight placement (`--weights`). It is not searched: yosys decides by itself which
    /// small memories become block RAM (docs/HARDWARE.md "Auto-fit"), so `rom` placement does not
    /// reliably save the LUTs the model would credit it with.
    pub weights: WeightsMode,
    /// The ceilings.
    pub ceiling: Ceiling,
    /// Whether `auto` may move to `spram` when nothing fits the block RAM (not for a board that
    /// cannot hold a weight image in its flash).
    pub allow_spram: bool,
    /// The most cycles per timestep wanted (`--target-rate`, through the Fmax estimate): then the
    /// fit picks the smallest design within it, not the fastest.
    pub max_cycles: Option<u64>,
    /// The pipeline levels (`--pipeline`); `None`: the family's default. The levels are the same
    /// for every family by default ([`qrnn_rtl::timing::default_pipe`]), so the passes do not
    /// depend on the family.
    pub pipeline: Option<qrnn_rtl::ir::Pipe>,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            pinned: FoldSpec::default(),
            weights: WeightsMode::Auto,
            ceiling: CEILING,
            allow_spram: true,
            max_cycles: None,
            pipeline: None,
        }
    }
}

/// One engine's option: its fold and its cycles and resources relative to the base design.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Opt {
    fold: Fold,
    delta: Use,
}

/// The tabulated search space of one weight placement.
#[derive(Clone, Debug)]
struct Space {
    weights: WeightsMode,
    names: Vec<EngineId>,
    base: Use,
    opts: Vec<Vec<Opt>>,
}

fn pipeline(
    model: &Model,
    target: Family,
    weights: WeightsMode,
    folds: &[(EngineId, Fold)],
    pipe: Option<qrnn_rtl::ir::Pipe>,
) -> Result<Design, RtlError> {
    let opts = Options {
        folds: folds.iter().copied().collect(),
        weights,
        target,
        pipeline: pipe,
        ..Options::default()
    };
    run_pipeline(model, &opts, |_, _| {})
}

fn engine_cycles(e: &Engine) -> i64 {
    (e.cycles_mv + e.cycles_update) as i64
}

/// A design holding only engine `e` — as its single layer, or as the head behind `stub` — so that
/// what `e` adds to the prediction can be measured: everything else in it is the same for every
/// option of `e`.
fn single(base: &Design, stub: &Engine, e: Engine, is_head: bool) -> Design {
    let (layers, head) = if is_head {
        (vec![stub.clone()], Some(e))
    } else {
        (vec![e], None)
    };
    Design {
        model_name: String::new(),
        model_hash: String::new(),
        in_len: base.in_len,
        x_fmt: base.x_fmt,
        layers,
        head,
        out_len: base.out_len,
        out_width: base.out_width,
        cycles_per_step: 0,
        cycle_terms: Vec::new(),
        buffers: Vec::new(),
        lut_products: Default::default(),
        flash_offset: 0,
    }
}

/// What each (family, placement) of `combos` adds for one engine at one fold, measured on
/// [`single`] designs: usage minus the usage of the same single design at the base fold.
fn engine_uses(
    base: &Design,
    stub: &Engine,
    j: usize,
    e: Engine,
    combos: &[(Family, WeightsMode)],
) -> Vec<Use> {
    let is_head = j >= base.layers.len();
    let cyc = engine_cycles(&e);
    let mut d = single(base, stub, e, is_head);
    combos
        .iter()
        .map(|&(f, w)| {
            place(&mut d, w, f);
            let mut u = usage(&d, f);
            u.cycles = cyc;
            u
        })
        .collect()
}

/// Tabulate every engine's candidates for each (family, placement): run the pipeline with every
/// engine at its i-th candidate (one run per index, spread over the CPU's threads) and measure
/// each engine on its own ([`single`]) against the base design (every engine at its first
/// candidate). The passes do not depend on the family, and the placement only on the mode, so one
/// run serves all of them.
fn tabulate(
    model: &Model,
    families: &[Family],
    modes: &[WeightsMode],
    cands: &[(EngineId, Vec<Fold>)],
    pipe: Option<qrnn_rtl::ir::Pipe>,
) -> Result<Vec<(Family, Space)>, RtlError> {
    let at = |i: usize| -> Vec<(EngineId, Fold)> {
        cands
            .iter()
            .map(|(n, c)| (*n, c[i.min(c.len() - 1)]))
            .collect()
    };
    // the passes do not depend on the family (only the prediction does, per combo below)
    let target = families[0];
    let combos: Vec<(Family, WeightsMode)> = families
        .iter()
        .flat_map(|f| modes.iter().map(move |w| (*f, *w)))
        .collect();
    let base = pipeline(model, target, modes[0], &at(0), pipe)?;
    // the head's stand-in layer: the first layer without its weight memories (cheap to copy)
    let mut stub = base.layers[0].clone();
    stub.w.rom = None;
    if let Some(u) = stub.u.as_mut() {
        u.rom = None;
    }
    let n_eng = cands.len();
    let base_uses: Vec<Vec<Use>> = (0..n_eng)
        .map(|j| {
            let e = base.engines().nth(j).cloned().expect("engine j exists");
            engine_uses(&base, &stub, j, e, &combos)
        })
        .collect();
    let n_max = cands.iter().map(|(_, c)| c.len()).max().unwrap_or(1);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, n_max);
    // per index i: per engine j with an i-th candidate, its uses per combo
    type Row = Vec<(usize, Vec<Use>)>;
    let rows: Vec<Result<Vec<(usize, Row)>, RtlError>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let (base, stub, combos, at) = (&base, &stub, &combos, &at);
                sc.spawn(move || -> Result<Vec<(usize, Row)>, RtlError> {
                    let mut out = Vec::new();
                    for i in (t..n_max).step_by(threads) {
                        let d = pipeline(model, target, modes[0], &at(i), pipe)?;
                        let row: Row = d
                            .layers
                            .into_iter()
                            .chain(d.head)
                            .enumerate()
                            .filter(|(j, _)| i < cands[*j].1.len())
                            .map(|(j, e)| (j, engine_uses(base, stub, j, e, combos)))
                            .collect();
                        out.push((i, row));
                    }
                    Ok(out)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(RtlError::internal("fit", "an auto-fit thread panicked"))
                })
            })
            .collect()
    });
    let mut table: Vec<Row> = vec![Vec::new(); n_max];
    for r in rows {
        for (i, row) in r? {
            table[i] = row;
        }
    }
    let total_base = |k: usize| -> Use {
        // placed for this (family, mode): buffer styles depend on the family too
        let mut b = base.clone();
        place(&mut b, combos[k].1, combos[k].0);
        usage(&b, combos[k].0)
    };
    let mut out = Vec::new();
    for (k, &(family, w)) in combos.iter().enumerate() {
        let mut opts: Vec<Vec<Opt>> = cands
            .iter()
            .map(|(_, c)| Vec::with_capacity(c.len()))
            .collect();
        for (i, row) in table.iter().enumerate() {
            for (j, uses) in row {
                opts[*j].push(Opt {
                    fold: cands[*j].1[i],
                    delta: uses[k].sub(base_uses[*j][k]),
                });
            }
        }
        out.push((
            family,
            Space {
                weights: w,
                names: cands.iter().map(|(n, _)| *n).collect(),
                base: total_base(k),
                opts,
            },
        ));
    }
    Ok(out)
}

/// Drop options that another option of the same engine beats or equals in cycles and every resource
/// (keeping the first of equals); sorted by cycles, then logic. Returns indices into `opts`.
fn pareto(opts: &[Opt]) -> Vec<usize> {
    let dominates = |a: &Opt, b: &Opt| {
        a.delta.cycles <= b.delta.cycles && a.delta.r.iter().zip(b.delta.r).all(|(x, y)| *x <= y)
    };
    let mut keep: Vec<usize> = (0..opts.len())
        .filter(|&i| {
            !(0..opts.len()).any(|j| {
                j != i && dominates(&opts[j], &opts[i]) && (!dominates(&opts[i], &opts[j]) || j < i)
            })
        })
        .collect();
    keep.sort_by_key(|&i| (opts[i].delta.key(), i));
    keep
}

/// Branch and bound: the choice (one option index per engine) of least [`Use::key`] within
/// `budget`, or `None`.
fn search(space: &Space, budget: &Budget, cap: Option<i64>) -> Option<(Vec<usize>, Use)> {
    let lists: Vec<Vec<usize>> = space.opts.iter().map(|o| pareto(o)).collect();
    let n = lists.len();
    // rest[k]: component-wise minima of engines k.. (a lower bound on what they add)
    let mut rest = vec![Use::default(); n + 1];
    for k in (0..n).rev() {
        let mut m = Use {
            r: [i64::MAX; 5],
            cycles: i64::MAX,
            head: i64::MAX,
        };
        for &i in &lists[k] {
            let d = space.opts[k][i].delta;
            m.cycles = m.cycles.min(d.cycles);
            m.head = m.head.min(d.head);
            for (a, b) in m.r.iter_mut().zip(d.r) {
                *a = (*a).min(b);
            }
        }
        rest[k] = rest[k + 1].add(m);
    }
    let mut best: Option<(Vec<usize>, Use)> = None;
    let mut pick = Vec::with_capacity(n);
    #[allow(clippy::too_many_arguments)]
    fn go(
        k: usize,
        acc: Use,
        space: &Space,
        lists: &[Vec<usize>],
        rest: &[Use],
        budget: &Budget,
        cap: Option<i64>,
        pick: &mut Vec<usize>,
        best: &mut Option<(Vec<usize>, Use)>,
    ) {
        let lb = acc.add(rest[k]);
        if !budget.fits(&lb.r) {
            return;
        }
        if let Some((_, b)) = best {
            if lb.key_cap(cap) >= b.key_cap(cap) {
                return;
            }
        }
        if k == lists.len() {
            *best = Some((pick.clone(), acc));
            return;
        }
        for &i in &lists[k] {
            pick.push(i);
            go(
                k + 1,
                acc.add(space.opts[k][i].delta),
                space,
                lists,
                rest,
                budget,
                cap,
                pick,
                best,
            );
            pick.pop();
        }
    }
    go(
        0, space.base, space, &lists, &rest, budget, cap, &mut pick, &mut best,
    );
    best
}

/// The result of a successful fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// The budget it was fitted to.
    pub budget: Budget,
    /// Folding per engine (`layer0`, …, `head`), in engine order.
    pub folds: Vec<(EngineId, Fold)>,
    /// Engines pinned by the caller.
    pub pinned: Vec<EngineId>,
    /// The weight placement.
    pub weights: WeightsMode,
    /// Predicted use of the chosen design (re-run through the pipeline).
    pub used: Use,
    /// Use with every free engine at 1×1 (the slowest candidate; its `cycles` the latency).
    pub slowest: Use,
    /// How the model's designs stream timesteps.
    pub stream: Stream,
    /// Candidate foldings tried per placement (all engines together).
    pub candidates: usize,
}

impl Fit {
    /// The options to generate the chosen design with.
    pub fn options(&self) -> Options {
        Options {
            folds: self.folds.iter().copied().collect(),
            weights: self.weights,
            target: self.budget.device.family,
            dsps: Some(self.budget.device.dsps.into()),
            ..Options::default()
        }
    }

    /// The budgeted resources as rows: `(resource, predicted, available, ceiling, limit)`.
    pub fn rows(&self) -> Vec<(Res, u64, u64, f64, u64)> {
        Res::ALL
            .into_iter()
            .filter_map(|r| {
                self.budget.limits[r as usize]
                    .filter(|(a, _)| *a > 0 || self.used.get(r) > 0)
                    .map(|(a, l)| (r, self.used.get(r), a, self.budget.ceiling_of(r), l))
            })
            .collect()
    }

    /// The `fit` object of `qrnn.json`.
    pub fn manifest(&self) -> FitManifest {
        let fam = self.budget.device.family;
        FitManifest {
            device: self.budget.device.name.to_string(),
            part: self.budget.device.part.to_string(),
            folds: self.folds.iter().cloned().collect(),
            pinned: self.pinned.clone(),
            weights: self.weights.name().to_string(),
            cycles_per_step: self.stream.ii(&self.used),
            slowest_cycles_per_step: self.stream.ii(&self.slowest),
            resources: self
                .rows()
                .into_iter()
                .map(|(r, used, avail, c, lim)| FitResource {
                    resource: r.key(fam).to_string(),
                    predicted: used,
                    available: avail,
                    ceiling: c,
                    budget: lim,
                })
                .collect(),
        }
    }

    /// A short table for people: the folds, then predicted use against the budget.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let d = self.budget.device;
        let mut s = format!(
            "fit for {} ({}), weights {}: {} cycles per timestep (slowest folding: {})\n",
            d.part,
            d.name,
            self.weights.name(),
            self.stream.ii(&self.used),
            self.stream.ii(&self.slowest)
        );
        let _ = writeln!(s, "{:<8} {:>9}", "engine", "fold PxS");
        for (n, f) in &self.folds {
            let pin = if self.pinned.contains(n) {
                "  (--fold)"
            } else {
                ""
            };
            let _ = writeln!(s, "{:<8} {:>9}{pin}", n, format!("{}x{}", f.p, f.s));
        }
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>7} {:>7} {:>6} {:>8}",
            "resource", "predicted", "budget", "device", "use", "ceiling"
        );
        for (r, used, avail, c, lim) in self.rows() {
            let _ = writeln!(
                s,
                "{:<22} {:>9} {:>7} {:>7} {:>4.0} % {:>6.0} %",
                r.label(d.family),
                used,
                lim,
                avail,
                pct(used, avail),
                c * 100.0
            );
        }
        s
    }
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

/// Why a model does not fit.
// errors are cold and the payload is what the message names (as for the other error enums)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Error, Diagnostic)]
pub enum FitError {
    /// Not even the smallest folding fits.
    #[error("{model} does not fit {part} ({device}) at any folding{pins}: the smallest (every {free}engine 1x1, weights {weights}) needs {overflows}")]
    #[diagnostic(code(qrnn::gen::no_fit), help("{help}"))]
    NoFit {
        /// The model's name.
        model: String,
        /// Device short name.
        device: String,
        /// Vendor part.
        part: String,
        /// ` with the pinned --fold …`, or empty.
        pins: String,
        /// `free ` when some engines are pinned, else empty.
        free: String,
        /// The weight placement of the reported folding.
        weights: String,
        /// The overflowing resources with amounts.
        overflows: String,
        /// The overflowing resources (keys of `qrnn.json`), for tools.
        resources: Vec<String>,
        /// The smallest listed device on which the search succeeds, if any.
        smallest: Option<String>,
        /// What to do.
        help: String,
    },
    /// The generator refused an option (an invalid pinned fold, say).
    #[error("cannot generate hardware: {0}")]
    #[diagnostic(transparent)]
    Gen(RtlError),
}

/// The devices ordered by size (LUTs, then block RAM bits), smallest first.
pub fn devices_by_size() -> Vec<&'static Device> {
    let mut v: Vec<&'static Device> = DEVICES.iter().collect();
    v.sort_by_key(|d| (d.luts, d.bram_total_bits(), d.dsps));
    v
}

/// The spaces of every placement to consider, per family in `families`.
fn spaces(
    model: &Model,
    families: &[Family],
    o: &FitOptions,
) -> Result<Vec<(Family, Space)>, RtlError> {
    let lowered = lower(model)?;
    let grid = grid_for(&lowered);
    let mut cands: Vec<(EngineId, Vec<Fold>)> = Vec::new();
    for e in lowered.engines() {
        let c = match o.pinned.get(e.id, e.fold_limit()) {
            Some(f) => vec![f],
            None => candidates(e, grid),
        };
        cands.push((e.id, c));
    }
    for n in o.pinned.engines.keys() {
        if !cands.iter().any(|(c, _)| c == n) {
            return Err(RtlError::Fold(format!(
                "--fold names `{n}`, but the design's engines are {}",
                cands
                    .iter()
                    .map(|(c, _)| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    tabulate(model, families, &[o.weights], &cands, o.pipeline)
}

/// The best choice over the spaces of `budget`'s family, by [`Use::key`] (earlier placement
/// first among equals).
fn best_of<'a>(
    spaces: &'a [(Family, Space)],
    budget: &Budget,
    cap: Option<i64>,
) -> Option<(&'a Space, Vec<usize>, Use)> {
    let mut best: Option<(&Space, Vec<usize>, Use)> = None;
    for (_, sp) in spaces.iter().filter(|(f, _)| *f == budget.device.family) {
        if let Some((pick, u)) = search(sp, budget, cap) {
            if best
                .as_ref()
                .is_none_or(|(_, _, b)| u.key_cap(cap) < b.key_cap(cap))
            {
                best = Some((sp, pick, u));
            }
        }
    }
    best
}

/// The fit of tabulated spaces to one device: `Ok(None)` when nothing fits it. The choice is
/// re-run through the whole pipeline, whose prediction is the one reported. The tables add up
/// each engine's cost on its own; a layer's hidden state is one memory copy per distinct `S` of
/// its readers (docs/HARDWARE.md §4.1), so the whole design can differ from the sum in the
/// buffers. When the whole design then does not fit, the search runs again with the overrun
/// taken off the limits it broke, a few times at most.
fn fit_in(
    model: &Model,
    spaces: &[(Family, Space)],
    device: &'static Device,
    o: &FitOptions,
) -> Result<Option<Fit>, RtlError> {
    let family = device.family;
    let budget = Budget::new(device, o.ceiling);
    let mut search_budget = budget.clone();
    let mut tries = Vec::new();
    let stream = Stream::of(&lower(model)?);
    // a cap on the cycles per timestep is one on the latency
    let cap = o.max_cycles.map(|c| stream.latency_cap(c));
    let (sp, folds, real, d) = loop {
        let Some((sp, pick, u)) = best_of(spaces, &search_budget, cap) else {
            return Ok(None);
        };
        let folds: Vec<(EngineId, Fold)> = sp
            .names
            .iter()
            .zip(&pick)
            .enumerate()
            .map(|(j, (n, &i))| (*n, sp.opts[j][i].fold))
            .collect();
        let d = pipeline(model, family, sp.weights, &folds, o.pipeline)?;
        let real = usage(&d, family);
        if real.cycles != u.cycles {
            return Err(RtlError::internal(
                "fit",
                format!("auto-fit predicted {u:?} for {folds:?}, the pipeline gives {real:?}"),
            ));
        }
        if budget.fits(&real.r) {
            break (sp, folds, real, d);
        }
        tries.push(format!(
            "{folds:?}: predicted {u:?}, the pipeline gives {real:?}"
        ));
        if tries.len() >= 8 {
            return Err(RtlError::internal(
                "fit",
                format!("auto-fit found no choice that fits: {}", tries.join("; ")),
            ));
        }
        for k in 0..4 {
            if let Some((a, l)) = search_budget.limits[k] {
                let miss = (real.r[k] - u.r[k]).max(0) as u64;
                if real.r[k] > l as i64 {
                    search_budget.limits[k] = Some((a, l.saturating_sub(miss.max(1))));
                }
            }
        }
    };
    let pinned = d
        .engines()
        .filter(|e| o.pinned.get(e.id, e.fold_limit()).is_some())
        .map(|e| e.id)
        .collect();
    Ok(Some(Fit {
        budget,
        folds,
        pinned,
        weights: sp.weights,
        used: real,
        slowest: sp.base,
        stream,
        candidates: sp.opts.iter().map(|v| v.len()).product(),
    }))
}

/// Fit without looking at other devices: `Ok(None)` when nothing fits `device`.
pub fn try_fit(
    model: &Model,
    device: &'static Device,
    o: &FitOptions,
) -> Result<Option<Fit>, RtlError> {
    let sps = spaces(model, &[device.family], o)?;
    fit_in(model, &sps, device, o)
}

/// The smallest listed device (by [`devices_by_size`]) on which the search succeeds.
pub fn smallest_device(model: &Model, o: &FitOptions) -> Result<Option<&'static Device>, RtlError> {
    let sps = spaces(model, &Family::ALL, o)?;
    for d in devices_by_size() {
        if fit_in(model, &sps, d, o)?.is_some() {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// Fit `model` to `device`: the fastest folding within the budget, or [`FitError::NoFit`] naming
/// the overflowing resources of the smallest folding and the smallest listed device that fits.
pub fn fit(model: &Model, device: &'static Device, o: &FitOptions) -> Result<Fit, FitError> {
    let sps = spaces(model, &Family::ALL, o).map_err(FitError::Gen)?;
    if let Some(f) = fit_in(model, &sps, device, o).map_err(FitError::Gen)? {
        return Ok(f);
    }
    // weights that do not fit the block RAM go to SPRAM where the device has it (the loader and
    // the flash image are worth it only then: docs/HARDWARE.md §4.3)
    let spram_tried = o.weights == WeightsMode::Auto && device.spram_blocks > 0 && o.allow_spram;
    if spram_tried {
        let so = FitOptions {
            weights: WeightsMode::Spram,
            ..o.clone()
        };
        let sps = spaces(model, &[device.family], &so).map_err(FitError::Gen)?;
        if let Some(f) = fit_in(model, &sps, device, &so).map_err(FitError::Gen)? {
            return Ok(f);
        }
    }
    let budget = Budget::new(device, o.ceiling);
    // the smallest folding: every free engine at its first (1×1) candidate; of the placements, the
    // one with the fewest overflowing resources, then the least logic
    let (sp, over) = sps
        .iter()
        .filter(|(f, _)| *f == device.family)
        .map(|(_, s)| (s, budget.overflows(&s.base)))
        .min_by_key(|(s, ov)| (ov.len(), s.base.r[0]))
        .ok_or_else(|| FitError::Gen(RtlError::internal("fit", "no placement to fit")))?;
    let fam = device.family;
    let mut parts = Vec::new();
    for r in &over {
        let (avail, lim) = budget.limits[*r as usize].unwrap_or((0, 0));
        let need = sp.base.get(*r);
        parts.push(format!(
            "{need} {}, {} more than the {lim} allowed ({:.0} % of the device's {avail}; it needs {:.0} % of the device)",
            r.label(fam),
            need.saturating_sub(lim),
            budget.ceiling_of(*r) * 100.0,
            pct(need, avail)
        ));
    }
    let overflows = if parts.is_empty() {
        // every resource fits on its own, but no folding fits all of them at once
        "more than the budget in combination: no folding keeps every resource within it".to_string()
    } else {
        parts.join("; ")
    };
    let mut smallest = None;
    for d in devices_by_size() {
        if d.name != device.name && fit_in(model, &sps, d, o).map_err(FitError::Gen)?.is_some() {
            smallest = Some(d);
            break;
        }
    }
    let mut help = match smallest {
        Some(d) => format!(
            "the smallest listed device it fits is {} (`--device {}`, family {}); or make the model smaller",
            d.part, d.name, d.family
        ),
        None => "none of the listed devices fits it (qrnn-hw boards lists them): make the model smaller (hidden size, layers, weight bits)".to_string(),
    };
    if spram_tried {
        help.push_str(
            "; weights in SPRAM (`--weights spram`) were tried too and do not fit either \
             (`gen --weights spram --fold all=1x16 --device up5k --allow-overfit` shows the \
             prediction)",
        );
    }
    let pins = if o.pinned.is_empty() {
        String::new()
    } else {
        format!(
            " with {}",
            o.pinned
                .to_args()
                .iter()
                .map(|a| format!("--fold {a}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    Err(FitError::NoFit {
        model: model.name.clone(),
        device: device.name.to_string(),
        part: device.part.to_string(),
        free: if o.pinned.is_empty() {
            String::new()
        } else {
            "free ".into()
        },
        pins,
        weights: sp.weights.name().to_string(),
        overflows,
        resources: over.iter().map(|r| r.key(fam).to_string()).collect(),
        smallest: smallest.map(|d| d.name.to_string()),
        help,
    })
}

/// One folding of a [`DesignSpace`].
#[derive(Clone, Debug, PartialEq)]
pub struct DesignPoint {
    /// `all=PxS`, or `--fit` for the fit's choice when no `all=PxS` point has its folds.
    pub label: String,
    /// The `P×S` of `all=PxS` before clamping (`None` for the fit's own point).
    pub all: Option<Fold>,
    /// Folding per engine, in engine order (clamped: `P ≤ rows`, `S ≤ max(cols)`).
    pub folds: Vec<(EngineId, Fold)>,
    /// Exact latency and predicted resources, as [`usage`] counts them for the fit.
    pub used: Use,
    /// Exact cycles per timestep.
    pub cycles_per_step: u64,
    /// Every budgeted resource within the budget.
    pub within_budget: bool,
    /// On the Pareto front of logic against cycles.
    pub front: bool,
    /// The folding `fit` chooses for the device.
    pub fit: bool,
}

/// The design space of a model on a device (`qrnn-hw report --plot`, docs/HARDWARE.md
/// "Auto-fit"): every `all=PxS` folding with `P` and `S` powers of two (the last one the full
/// size, each clamped per engine as `gen --fold all=PxS` must be), plus the `--fit` choice, each
/// with its exact cycles per timestep and predicted resources, and the Pareto front of logic
/// (LUT4, iCE40 logic cells) against cycles.
#[derive(Debug)]
pub struct DesignSpace {
    /// The model's name.
    pub model: String,
    /// The budget of the device (the fit's).
    pub budget: Budget,
    /// The weight placement of every point.
    pub weights: WeightsMode,
    /// The points, `all=1x1` first, by P then S; the fit's own point (if any) last.
    pub points: Vec<DesignPoint>,
    /// Indices of the Pareto front (no other point has less or equal logic and cycles, one of them
    /// less; of equal points the first), by increasing logic and so decreasing cycles.
    pub front: Vec<usize>,
    /// The index of the fit's choice, or why nothing fits.
    pub fit: Result<usize, FitError>,
}

/// Powers of two below `n`, then `n`.
fn pow2_upto(n: usize) -> Vec<usize> {
    std::iter::successors(Some(1usize), |t| t.checked_mul(2))
        .take_while(|t| *t < n)
        .chain(std::iter::once(n.max(1)))
        .collect()
}

/// The design space of `model` on `device` under `o` (pinned engines keep their pin at every
/// point). Each point is one run of the generator's passes (spread over the CPU's threads) and
/// its [`usage`]; the fit is [`fit`] itself.
pub fn design_space(
    model: &Model,
    device: &'static Device,
    o: &FitOptions,
) -> Result<DesignSpace, FitError> {
    let family = device.family;
    let budget = Budget::new(device, o.ceiling);
    // the engines and their fold limits, from the lowered design
    let lowered = lower(model).map_err(FitError::Gen)?;
    let stream = Stream::of(&lowered);
    let sizes: Vec<(EngineId, Fold)> = lowered.engines().map(|e| (e.id, e.fold_limit())).collect();
    let max_rows = sizes.iter().map(|x| x.1.p).max().unwrap_or(1);
    let max_cols = sizes.iter().map(|x| x.1.s).max().unwrap_or(1);
    let mut grid: Vec<(Fold, Vec<(EngineId, Fold)>)> = Vec::new();
    for p in pow2_upto(max_rows) {
        for s in pow2_upto(max_cols) {
            let folds: Vec<(EngineId, Fold)> = sizes
                .iter()
                .map(|&(n, lim)| {
                    let f = o.pinned.get(n, lim).unwrap_or(Fold { p, s }.clamp_to(lim));
                    (n, f)
                })
                .collect();
            if !grid.iter().any(|(_, g)| *g == folds) {
                grid.push((Fold { p, s }, folds));
            }
        }
    }
    let fitted = fit(model, device, o);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, grid.len().max(1));
    let run = |folds: &[(EngineId, Fold)]| -> Result<Use, RtlError> {
        let d = pipeline(model, family, o.weights, folds, o.pipeline)?;
        Ok(usage(&d, family))
    };
    let uses: Vec<Result<Use, RtlError>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let (grid, run) = (&grid, &run);
                sc.spawn(move || {
                    (t..grid.len())
                        .step_by(threads)
                        .map(|i| (i, run(&grid[i].1)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut v: Vec<Option<Result<Use, RtlError>>> = vec![None; grid.len()];
        for h in hs {
            match h.join() {
                Ok(rows) => {
                    for (i, u) in rows {
                        v[i] = Some(u);
                    }
                }
                Err(_) => {
                    return vec![Err(RtlError::internal(
                        "design space",
                        "a design-space thread panicked",
                    ))]
                }
            }
        }
        v.into_iter()
            .map(|u| {
                u.unwrap_or_else(|| {
                    Err(RtlError::internal(
                        "design space",
                        "a design point was not run",
                    ))
                })
            })
            .collect()
    });
    let mut points = Vec::with_capacity(grid.len() + 1);
    for ((all, folds), u) in grid.into_iter().zip(uses) {
        let used = u.map_err(FitError::Gen)?;
        points.push(DesignPoint {
            label: format!("all={}x{}", all.p, all.s),
            all: Some(all),
            folds,
            within_budget: budget.fits(&used.r),
            cycles_per_step: stream.ii(&used),
            used,
            front: false,
            fit: false,
        });
    }
    let fit_ix = match fitted {
        Ok(f) => {
            if f.weights != o.weights {
                return Err(FitError::Gen(RtlError::internal(
                    "design space",
                    format!(
                        "the fit chose weights {} for a space of {}",
                        f.weights.name(),
                        o.weights.name()
                    ),
                )));
            }
            let i = match points.iter().position(|p| p.folds == f.folds) {
                Some(i) => i,
                None => {
                    points.push(DesignPoint {
                        label: "--fit".into(),
                        all: None,
                        folds: f.folds.clone(),
                        within_budget: budget.fits(&f.used.r),
                        cycles_per_step: f.stream.ii(&f.used),
                        used: f.used,
                        front: false,
                        fit: false,
                    });
                    points.len() - 1
                }
            };
            if points[i].used != f.used {
                return Err(FitError::Gen(RtlError::internal(
                    "design space",
                    format!(
                        "the fit predicts {:?} for {:?}, the design space {:?}",
                        f.used, f.folds, points[i].used
                    ),
                )));
            }
            points[i].fit = true;
            Ok(i)
        }
        Err(e @ FitError::NoFit { .. }) => Err(e),
        Err(e) => return Err(e),
    };
    let front = pareto_front(&points);
    for &i in &front {
        points[i].front = true;
    }
    Ok(DesignSpace {
        model: model.name.clone(),
        budget,
        weights: o.weights,
        points,
        front,
        fit: fit_ix,
    })
}

/// Indices of the points that no other point dominates in (logic, cycles); of equal points the
/// fit's, else the first. By increasing logic.
fn pareto_front(points: &[DesignPoint]) -> Vec<usize> {
    let mut ix: Vec<usize> = (0..points.len()).collect();
    ix.sort_by_key(|&i| {
        let u = &points[i].used;
        (u.r[0], points[i].cycles_per_step, !points[i].fit, i)
    });
    let mut front: Vec<usize> = Vec::new();
    for i in ix {
        if front
            .last()
            .is_none_or(|&l| points[i].cycles_per_step < points[l].cycles_per_step)
        {
            front.push(i);
        }
    }
    front
}

impl DesignSpace {
    /// The fit's point, if something fits.
    pub fn fit_point(&self) -> Option<&DesignPoint> {
        self.fit.as_ref().ok().map(|&i| &self.points[i])
    }

    /// The points as JSON (`qrnn-hw report --plot --json`, bench/results/software.json): the
    /// device and budget, then per point its folds (`--fold` arguments, in engine order), cycles per timestep, resources (`logic` is
    /// LUT4, on iCE40 logic cells), whether it is within the budget, on the front, the fit.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let d = self.budget.device;
        let fam = d.family;
        let budget: serde_json::Map<String, serde_json::Value> = Res::ALL
            .into_iter()
            .filter_map(|r| {
                self.budget.limits[r as usize].map(|(a, l)| {
                    (
                        r.key(fam).to_string(),
                        json!({"available": a, "ceiling": self.budget.ceiling_of(r), "budget": l}),
                    )
                })
            })
            .collect();
        let points: Vec<serde_json::Value> = self
            .points
            .iter()
            .map(|p| {
                let folds: Vec<String> = p
                    .folds
                    .iter()
                    .map(|(n, f)| format!("{n}={}x{}", f.p, f.s))
                    .collect();
                json!({
                    "label": p.label,
                    "p": p.all.map(|f| f.p),
                    "s": p.all.map(|f| f.s),
                    "folds": folds,
                    "cycles_per_step": p.cycles_per_step,
                    "latency": p.used.cycles,
                    "logic": p.used.get(Res::Logic),
                    "ff": p.used.get(Res::Ff),
                    "bram": p.used.get(Res::Bram),
                    "dsp": p.used.get(Res::Dsp),
                    "within_budget": p.within_budget,
                    "front": p.front,
                    "fit": p.fit,
                })
            })
            .collect();
        json!({
            "model": self.model,
            "device": d.name,
            "part": d.part,
            "family": fam.name(),
            "weights": self.weights.name(),
            "logic": Res::Logic.label(fam),
            "budget": budget,
            "points": points,
            "front": self.front,
            "fit": self.fit.as_ref().ok(),
            "fit_error": self.fit.as_ref().err().map(|e| e.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrnn_model::example::{example, ExampleSpec};
    use qrnn_model::{Cell, Scheme};

    fn model(
        cell: Cell,
        scheme: Scheme,
        input: usize,
        hidden: Vec<usize>,
        head: Option<usize>,
    ) -> Model {
        let mut s = ExampleSpec::new(cell, scheme, input, hidden[0], 3);
        s.hidden = hidden;
        s.head = head;
        example(&s)
    }

    fn dev(n: &str) -> &'static Device {
        qrnn_fpga::device::device(n).unwrap()
    }

    /// All combinations of the candidates, the best by key (brute force).
    fn brute(space: &Space, budget: &Budget) -> Option<Use> {
        let n = space.opts.len();
        let mut idx = vec![0usize; n];
        let mut best: Option<Use> = None;
        loop {
            let u = idx
                .iter()
                .enumerate()
                .fold(space.base, |a, (j, &i)| a.add(space.opts[j][i].delta));
            if budget.fits(&u.r) && best.is_none_or(|b| u.key() < b.key()) {
                best = Some(u);
            }
            let mut k = 0;
            loop {
                if k == n {
                    return best;
                }
                idx[k] += 1;
                if idx[k] < space.opts[k].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }

    #[test]
    fn candidates_are_legal_and_efficient() {
        let m = model(Cell::Lstm, Scheme::Ternary, 4, vec![16], Some(3));
        let d = lower(&m).unwrap();
        assert_eq!(grid_for(&d), Grid::Efficient);
        let c = candidates(&d.layers[0], Grid::Efficient);
        // rows 64: the smallest P of each ⌈64/P⌉ (P = 9 gives 8 groups, as P = 8 does)
        assert_eq!(c[0], Fold { p: 1, s: 1 });
        let ps: Vec<usize> = c.iter().filter(|f| f.s == 1).map(|f| f.p).collect();
        assert_eq!(ps, vec![1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 22, 32, 64]);
        // S over W's 4 and U's 16 columns: ⌈4/S⌉ + ⌈16/S⌉ = 20, 10, 8, 5, 4, 3, 2
        let ss: Vec<usize> = c.iter().filter(|f| f.p == 1).map(|f| f.s).collect();
        assert_eq!(ss, vec![1, 2, 3, 4, 6, 8, 16]);
        for f in &c {
            assert!(f.p >= 1 && f.p <= 64 && f.s >= 1 && f.s <= 16);
        }
        // a big engine falls back to powers of two
        let m = model(Cell::Lstm, Scheme::Ternary, 32, vec![128], None);
        let d = lower(&m).unwrap();
        assert_eq!(grid_for(&d), Grid::Pow2);
        let c = candidates(&d.layers[0], Grid::Pow2);
        assert!(c.len() <= MAX_CANDIDATES, "{}", c.len());
        let ps: Vec<usize> = c.iter().filter(|f| f.s == 1).map(|f| f.p).collect();
        assert_eq!(ps, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
        let c = candidates(&d.layers[0], Grid::Pow4);
        let ps: Vec<usize> = c.iter().filter(|f| f.s == 1).map(|f| f.p).collect();
        assert_eq!(ps, vec![1, 4, 16, 64, 256, 512]);
        let ss: Vec<usize> = c.iter().filter(|f| f.p == 1).map(|f| f.s).collect();
        assert_eq!(ss, vec![1, 4, 16, 64, 128]);
    }

    /// The per-engine tables add up to the whole pipeline's prediction for mixes that keep every
    /// engine's `S` at its base value (the cycles add up for any mix): a layer's hidden state is
    /// one memory copy per distinct `S` of its readers, shared when they agree, which no sum of
    /// per-engine costs can express (`fit_in` re-runs the choice and checks it against the budget).
    #[test]
    fn tables_add_up_to_the_pipeline() {
        let m = model(Cell::Gru, Scheme::Int(8), 5, vec![6, 4], Some(3));
        for family in Family::ALL {
            let o = FitOptions {
                weights: WeightsMode::Rom,
                ..FitOptions::default()
            };
            let sp = &spaces(&m, &[family], &o).unwrap()[0].1;
            let mut state = 1u64;
            for round in 0..40 {
                // even rounds keep every engine's S at its base (option 0), odd rounds do not
                let keep_s = round % 2 == 0;
                let mut folds = Vec::new();
                let mut u = sp.base;
                for (j, n) in sp.names.iter().enumerate() {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let ok: Vec<usize> = (0..sp.opts[j].len())
                        .filter(|&i| !keep_s || sp.opts[j][i].fold.s == sp.opts[j][0].fold.s)
                        .collect();
                    let i = ok[(state >> 33) as usize % ok.len()];
                    folds.push((*n, sp.opts[j][i].fold));
                    u = u.add(sp.opts[j][i].delta);
                }
                let d = pipeline(&m, family, sp.weights, &folds, None).unwrap();
                let real = usage(&d, family);
                assert_eq!(real.cycles, u.cycles, "{family} {folds:?}");
                if keep_s {
                    assert_eq!(real, u, "{family} {folds:?}");
                }
            }
        }
    }

    /// Branch and bound finds the brute-force optimum under budgets from generous to impossible.
    #[test]
    fn search_is_optimal_against_brute_force() {
        let models = [
            model(Cell::Lstm, Scheme::Ternary, 3, vec![4], Some(2)),
            model(Cell::Gru, Scheme::Int(4), 3, vec![3, 2], Some(2)),
            model(Cell::Lstm, Scheme::Binary, 5, vec![3, 3], None),
        ];
        for m in &models {
            for d in ["hx1k", "up5k", "25k"] {
                let device = dev(d);
                for w in [WeightsMode::Auto, WeightsMode::Rom] {
                    let o = FitOptions {
                        weights: w,
                        ..FitOptions::default()
                    };
                    let sp = &spaces(m, &[device.family], &o).unwrap()[0].1;
                    let full = Budget::new(device, CEILING);
                    // tighten the logic budget step by step down to nothing
                    for frac in [1.0, 0.5, 0.3, 0.2, 0.15, 0.1, 0.05, 0.0] {
                        let mut b = full.clone();
                        let (a, l) = b.limits[0].unwrap();
                        b.limits[0] = Some((a, (l as f64 * frac) as u64));
                        let got = search(sp, &b, None).map(|(_, u)| u);
                        assert_eq!(got, brute(sp, &b), "{} on {d} at {frac}", m.name);
                    }
                }
            }
        }
    }

    #[test]
    fn demo_sized_model_fits_up5k_and_is_faster_than_slowest() {
        let m = model(Cell::Lstm, Scheme::Ternary, 4, vec![16], Some(3));
        let t = std::time::Instant::now();
        let f = fit(&m, dev("up5k"), &FitOptions::default()).unwrap();
        assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
        assert!(f.used.cycles <= f.slowest.cycles);
        for (r, used, _, _, lim) in f.rows() {
            assert!(used <= lim, "{r:?}");
        }
        // a bigger device allows at least as fast a design
        let g = fit(&m, dev("85k"), &FitOptions::default()).unwrap();
        assert!(g.used.cycles <= f.used.cycles);
        let man = f.manifest();
        assert_eq!(man.device, "up5k");
        assert_eq!(man.folds.len(), 2);
        assert!(f.table().contains("logic cells"));
    }

    #[test]
    fn pinned_engines_keep_their_fold() {
        let m = model(Cell::Lstm, Scheme::Ternary, 4, vec![16], Some(3));
        let mut o = FitOptions::default();
        o.pinned.pin(EngineId::Head, Fold { p: 3, s: 2 });
        let f = fit(&m, dev("25k"), &o).unwrap();
        assert_eq!(f.folds[1], (EngineId::Head, Fold { p: 3, s: 2 }));
        assert_eq!(f.pinned, [EngineId::Head]);
        // all= pins every engine, clamped to its size
        let all = FitOptions {
            pinned: FoldSpec::parse(&["all=2x64"]).unwrap(),
            ..FitOptions::default()
        };
        let f = fit(&m, dev("85k"), &all).unwrap();
        assert_eq!(f.pinned, [EngineId::Layer(0), EngineId::Head]);
        assert_eq!(f.folds[0], (EngineId::Layer(0), Fold { p: 2, s: 16 }));
        assert_eq!(f.folds[1], (EngineId::Head, Fold { p: 2, s: 16 }));
        o.pinned.pin(EngineId::Layer(7), Fold { p: 1, s: 1 });
        assert!(matches!(
            fit(&m, dev("25k"), &o),
            Err(FitError::Gen(e @ RtlError::Fold(_))) if e.to_string().contains("layer7")
        ));
    }

    #[test]
    fn too_large_names_resource_and_smallest_device() {
        let m = model(Cell::Lstm, Scheme::Ternary, 64, vec![128], Some(4));
        // weights in block RAM only (with SPRAM it fits: the next test)
        let rom = FitOptions {
            weights: WeightsMode::Rom,
            ..FitOptions::default()
        };
        match fit(&m, dev("up5k"), &rom) {
            Err(FitError::NoFit {
                resources,
                smallest,
                overflows,
                ..
            }) => {
                assert!(!resources.is_empty(), "{overflows}");
                let s = smallest.expect("a larger device fits");
                assert!(qrnn_fpga::device::device(&s).unwrap().luts > 5280, "{s}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn auto_moves_weights_to_spram_when_block_ram_is_not_enough() {
        let m = model(Cell::Lstm, Scheme::Ternary, 64, vec![128], Some(4));
        let f = fit(&m, dev("up5k"), &FitOptions::default()).expect("fits with SPRAM");
        assert_eq!(f.weights, WeightsMode::Spram);
        let spram = f
            .rows()
            .into_iter()
            .find(|r| r.0 == Res::Spram)
            .expect("an SPRAM row");
        assert!(spram.1 >= 1 && spram.1 <= 4, "{spram:?}");
        // the same model on a device without SPRAM does not move (and does not fit)
        assert!(fit(&m, dev("hx8k"), &FitOptions::default()).is_err());
        // and a model whose weights fit block RAM keeps them there
        let small = model(Cell::Lstm, Scheme::Ternary, 16, vec![32], Some(4));
        let f = fit(&small, dev("up5k"), &FitOptions::default()).expect("fits");
        assert_eq!(f.weights, WeightsMode::Auto);
    }

    #[test]
    fn fitting_nowhere_says_so() {
        let m = model(Cell::Gru, Scheme::Ternary, 4, vec![8], Some(2));
        let o = FitOptions {
            ceiling: Ceiling {
                logic: 0.001,
                ..CEILING
            },
            ..FitOptions::default()
        };
        match fit(&m, dev("up5k"), &o) {
            Err(e @ FitError::NoFit { .. }) => {
                let FitError::NoFit {
                    ref smallest,
                    ref help,
                    ref resources,
                    ..
                } = e
                else {
                    unreachable!()
                };
                assert_eq!(smallest, &None);
                assert!(help.contains("none of the listed devices"), "{help}");
                assert_eq!(resources, &["logic_cells"]);
                assert_eq!(
                    e.code().map(|c| c.to_string()).as_deref(),
                    Some("qrnn::gen::no_fit")
                );
            }
            other => panic!("{other:?}"),
        }
        // the DSP budget binds on its own: int8 lanes are multipliers (8×8, one SB_MAC16 each)
        let m = model(Cell::Lstm, Scheme::Int(8), 4, vec![8], Some(2));
        let f = fit(&m, dev("up5k"), &FitOptions::default()).unwrap();
        let dsp = f.rows().into_iter().find(|r| r.0 == Res::Dsp).unwrap();
        assert!(dsp.1 <= 8, "{dsp:?}");
        let g = fit(&m, dev("hx8k"), &FitOptions::default()).unwrap();
        assert!(g.rows().iter().all(|r| r.0 != Res::Dsp), "HX8K has no DSPs");
    }

    /// The design space: every point is the full generator's run of its folding, the front is
    /// mutually non-dominated and covers every other point, and the fit's choice is within the
    /// budget, on the front, and no point within the budget is faster.
    #[test]
    fn design_space_points_front_and_fit() {
        let m = model(Cell::Lstm, Scheme::Ternary, 4, vec![16], Some(3));
        let dev = dev("up5k");
        let ds = design_space(&m, dev, &FitOptions::default()).unwrap();
        // P over 1..64 (rows 64), S over 1..16 (U's 16 columns): 7 × 5, none clamped together
        assert_eq!(ds.points.iter().filter(|p| p.all.is_some()).count(), 35);
        assert_eq!(ds.points[0].label, "all=1x1");
        for p in ds.points.iter().step_by(3).chain(ds.fit_point()) {
            let o = Options {
                folds: p.folds.iter().copied().collect(),
                weights: ds.weights,
                target: Family::Ice40,
                ..Options::default()
            };
            let g = qrnn_rtl::generate(&m, &o, |_, _| {}).unwrap();
            assert_eq!(usage(&g.design, Family::Ice40), p.used, "{}", p.label);
            assert_eq!(g.manifest.latency as i64, p.used.cycles, "{}", p.label);
            assert_eq!(g.manifest.cycles_per_step, p.cycles_per_step, "{}", p.label);
            assert_eq!(g.manifest.resources.ff as i64, p.used.r[1], "{}", p.label);
            assert_eq!(g.manifest.resources.bram_blocks as i64, p.used.r[2]);
            // clamped per engine: the head has 3 rows and 16 columns
            let head = p
                .folds
                .iter()
                .find(|(n, _)| *n == EngineId::Head)
                .unwrap()
                .1;
            assert!(head.p <= 3 && head.s <= 16, "{head:?}");
        }
        // the front is of logic against cycles per timestep
        let dom = |a: &DesignPoint, b: &DesignPoint| {
            let (la, lb) = (a.used.r[0], b.used.r[0]);
            let (ca, cb) = (a.cycles_per_step, b.cycles_per_step);
            la <= lb && ca <= cb && (la < lb || ca < cb)
        };
        for &i in &ds.front {
            for &j in &ds.front {
                assert!(!dom(&ds.points[j], &ds.points[i]), "{i} {j}");
            }
            assert!(ds.points[i].front);
        }
        for (i, p) in ds.points.iter().enumerate() {
            let covered = ds.front.iter().any(|&f| {
                f == i
                    || dom(&ds.points[f], p)
                    || (ds.points[f].used.r[0] == p.used.r[0]
                        && ds.points[f].cycles_per_step == p.cycles_per_step)
            });
            assert!(covered, "{}", p.label);
            assert_eq!(p.front, ds.front.contains(&i));
        }
        assert!(ds.front.windows(2).all(|w| {
            let (a, b) = (&ds.points[w[0]], &ds.points[w[1]]);
            a.used.r[0] < b.used.r[0] && a.cycles_per_step > b.cycles_per_step
        }));
        // the fit: what `fit` chooses, within the budget, on the front, fastest within the budget
        let f = fit(&m, dev, &FitOptions::default()).unwrap();
        let fp = ds.fit_point().expect("the demo-sized model fits up5k");
        assert!(fp.fit && fp.within_budget && fp.front);
        assert_eq!((fp.folds.clone(), fp.used), (f.folds.clone(), f.used));
        assert!(ds.budget.overflows(&fp.used).is_empty());
        assert_eq!(ds.points.iter().filter(|p| p.fit).count(), 1);
        for p in ds.points.iter().filter(|p| p.within_budget) {
            assert!(
                (fp.used.cycles, fp.used.r[0]) <= (p.used.cycles, p.used.r[0]),
                "{} beats the fit",
                p.label
            );
        }
        // some points overflow the UP5K: the budget line is inside the plot
        assert!(ds.points.iter().any(|p| !p.within_budget));
        let j = ds.to_json();
        assert_eq!(j["device"], "up5k");
        assert_eq!(j["budget"]["logic_cells"]["budget"], 3695);
        let ji = j["fit"].as_u64().unwrap() as usize;
        assert_eq!(j["points"][ji]["cycles_per_step"], f.stream.ii(&f.used));
        assert_eq!(j["points"][ji]["latency"], f.used.cycles);
        assert_eq!(j["points"][ji]["fit"], true);
        assert!(j["fit_error"].is_null());
    }

    /// Nothing fits: the space is still there, with the fit's error.
    #[test]
    fn design_space_without_a_fit_keeps_the_error() {
        let m = model(Cell::Gru, Scheme::Ternary, 4, vec![8], Some(2));
        let o = FitOptions {
            ceiling: Ceiling {
                logic: 0.01,
                ..CEILING
            },
            ..FitOptions::default()
        };
        let ds = design_space(&m, dev("up5k"), &o).unwrap();
        assert!(matches!(ds.fit, Err(FitError::NoFit { .. })));
        assert!(ds.fit_point().is_none() && ds.points.iter().all(|p| !p.fit));
        assert!(ds.points.iter().all(|p| !p.within_budget));
        assert!(!ds.front.is_empty());
        assert!(ds.to_json()["fit_error"]
            .as_str()
            .unwrap()
            .contains("does not fit"));
    }

    #[test]
    fn dsp_blocks_follow_yosys_rules() {
        assert_eq!(dsp_blocks(Family::Ice40, 9, 16, 25), 1);
        assert_eq!(dsp_blocks(Family::Ice40, 17, 12, 29), 2);
        assert_eq!(dsp_blocks(Family::Ice40, 4, 4, 8), 0);
        assert_eq!(dsp_blocks(Family::Ecp5, 4, 4, 8), 1);
        assert_eq!(dsp_blocks(Family::Ecp5, 1, 8, 9), 0);
    }
}
