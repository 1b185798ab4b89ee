//! The passes from a model to a scheduled [`Design`], each with a kebab-case name and a description,
//! run by [`run_pipeline`] with [`Design::verify`] after every one.
//!
//! | pass | does |
//! |---|---|
//! | `lower` | model → engines with shapes, formats, biases, tables and analysed ranges |
//! | `fold` | choose P×S per engine (options or the default) |
//! | `size` | widths of every lane, chunk sum, accumulator and named signal |
//! | `pack-weights` | the weight ROM words for the chosen folding |
//! | `place-memories` | block RAM, logic or SPRAM for each weight memory (`--weights`, `--place`); buffer styles; DSP budget |
//! | `schedule` | exact cycles of every phase and per timestep (docs/HARDWARE.md §5) |

use crate::error::RtlError;
use crate::ir::{ConvGeo, Design, Engine, Memory, Mv, Pipe, Placement, RamStyle, Sig};
use crate::manifest::{CycleTerm, Phase};
use crate::vocab::{EngineId, Family, Fold, FoldSpec};
use qrnn_model::analysis::{analyze, LayerRanges};
use qrnn_model::{ActFmt, Cell, Interval, Model, Scheme};

/// Weight placement option (`--weights`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightsMode {
    /// Block RAM ROMs.
    Rom,
    /// Hard-wired logic.
    Logic,
    /// Logic when a memory is at most [`AUTO_LOGIC_BITS`] bits, else ROM.
    Auto,
    /// As `auto`, but memories of [`SPRAM_MIN_BITS`] bits or more go to iCE40UP5K SPRAM when
    /// they fit one block deep (loaded from the flash image at start-up, docs/HARDWARE.md §4.3).
    Spram,
}

impl WeightsMode {
    /// Every mode, as `--weights` lists them.
    pub const ALL: [WeightsMode; 4] = [
        WeightsMode::Rom,
        WeightsMode::Logic,
        WeightsMode::Auto,
        WeightsMode::Spram,
    ];

    /// The name used by `--weights` and in `qrnn.json`: `rom`, `logic` or `auto`.
    pub fn name(self) -> &'static str {
        match self {
            WeightsMode::Rom => "rom",
            WeightsMode::Logic => "logic",
            WeightsMode::Auto => "auto",
            WeightsMode::Spram => "spram",
        }
    }
}

impl std::str::FromStr for WeightsMode {
    type Err = String;
    fn from_str(s: &str) -> Result<WeightsMode, String> {
        WeightsMode::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| format!("expected rom, logic, auto or spram, found {s:?}"))
    }
}

/// Memories up to this size are hard-wired under `--weights auto`.
pub const AUTO_LOGIC_BITS: u64 = 2048;

/// Generation options.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The folding asked for (`--fold`); engines it does not cover get [`default_fold`].
    pub folds: FoldSpec,
    /// Weight placement.
    pub weights: WeightsMode,
    /// Target family (recorded; sizes the block RAMs of the resource prediction).
    pub target: Family,
    /// DSP blocks of the device, when one is known: products beyond them are LUT multipliers
    /// (`place-memories`, docs/HARDWARE.md §10 "DSP budget"); `None`: every product is left to
    /// synthesis.
    pub dsps: Option<u64>,
    /// Per-memory placement overrides (`--place NAME=rom|logic|spram`), by memory name (`l0_u`).
    pub place: std::collections::BTreeMap<String, Placement>,
    /// Byte address of the weight image in the board's SPI flash (docs/HARDWARE.md §4.3).
    pub flash_offset: u32,
    /// Pipeline registers of the dense engines (`--pipeline`); `None`: the target family's
    /// default ([`crate::timing::default_pipe`], docs/HARDWARE.md §4.4).
    pub pipeline: Option<Pipe>,
}

/// Default flash address of the weight image: 1 MiB, past the bitstream of every iCE40.
pub const DEFAULT_FLASH_OFFSET: u32 = 0x10_0000;

/// Memories of at least this many bits go to SPRAM under `--weights spram` (8 iCE40 block RAMs:
/// smaller ones stay in block RAM, where they need no loader).
pub const SPRAM_MIN_BITS: u64 = 32_768;

impl Default for Options {
    fn default() -> Options {
        Options {
            folds: FoldSpec::default(),
            weights: WeightsMode::Auto,
            target: Family::Ice40,
            dsps: None,
            place: Default::default(),
            flash_offset: DEFAULT_FLASH_OFFSET,
            pipeline: None,
        }
    }
}

/// A registered pass.
pub struct Pass {
    /// kebab-case name.
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    run: fn(&mut Design, &Model, &Options) -> Result<(), RtlError>,
}

/// The default pipeline, in order.
pub const PIPELINE: &[Pass] = &[
    Pass {
        name: "fold",
        description: "choose P×S per engine (--fold or the default) and its pipeline levels",
        run: fold,
    },
    Pass {
        name: "size",
        description: "widths of lanes, chunk sums, accumulators and named signals",
        run: size,
    },
    Pass {
        name: "pack-weights",
        description: "weight ROM words for the chosen folding",
        run: pack_weights,
    },
    Pass {
        name: "place-memories",
        description: "block RAM, logic or SPRAM for each weight memory; buffer styles; DSP budget",
        run: place_memories,
    },
    Pass {
        name: "schedule",
        description: "exact cycles of every phase and per timestep",
        run: schedule,
    },
];

/// Names of all passes, `lower` first.
pub fn pass_names() -> Vec<&'static str> {
    std::iter::once("lower")
        .chain(PIPELINE.iter().map(|p| p.name))
        .collect()
}

/// Run `lower` and the pipeline, verifying after each pass; `dump` is called with each pass name
/// and the design after it.
pub fn run_pipeline(
    model: &Model,
    opts: &Options,
    mut dump: impl FnMut(&str, &Design),
) -> Result<Design, RtlError> {
    let mut d = lower(model)?;
    d.verify("lower")
        .map_err(|m| RtlError::internal("lower", m))?;
    dump("lower", &d);
    for p in PIPELINE {
        (p.run)(&mut d, model, opts).map_err(|e| match e {
            RtlError::Internal { message, .. } => RtlError::internal(p.name, message),
            e => e,
        })?;
        d.verify(p.name)
            .map_err(|m| RtlError::internal(p.name, m))?;
        dump(p.name, &d);
    }
    Ok(d)
}

fn mv_of(w: &qrnn_model::Weights, act: ActFmt) -> Mv {
    Mv::new(
        w.scheme,
        (w.rows(), w.row_len()),
        (0..w.rows()).map(|r| w.scale.mult_of(r) as u32).collect(),
        w.scale.shift,
        act,
    )
}

/// `lower`: the model's layers and head as engines.
pub fn lower(model: &Model) -> Result<Design, RtlError> {
    model
        .validate()
        .map_err(|e| RtlError::Model(e.to_string()))?;
    let mut layers: Vec<Engine> = Vec::new();
    for (l, layer) in model.layers.iter().enumerate() {
        let x = model.layer_input_fmt(l);
        let tw = table_width(&layer.sigmoid, &layer.tanh);
        layers.push(Engine {
            id: EngineId::Layer(l),
            cell: Some(layer.cell),
            hidden: layer.hidden,
            conv: model.input.map.map(|(h, w)| ConvGeo {
                h,
                w,
                k: layer.kernel,
                cin: model.layer_input_size(l),
            }),
            fold: None,
            w: mv_of(&layer.w, x),
            u: Some(mv_of(&layer.u, layer.h_fmt)),
            bias: layer.bias.clone(),
            bias_h: layer.bias_h.clone(),
            bias_fmt: layer.bias_fmt,
            pre: layer.pre,
            act_frac: layer.act_frac,
            c_fmt: layer.c_fmt,
            h_fmt: layer.h_fmt,
            sigmoid: layer.sigmoid.clone(),
            tanh: layer.tanh.clone(),
            table_width: tw,
            sigs: Vec::new(),
            cycles_mv: 0,
            cycles_update: 0,
            pipe: Pipe::NONE,
            units: 1,
        });
    }
    let last = model
        .layers
        .last()
        .ok_or_else(|| RtlError::Model("the model has no layers".into()))?;
    let head = model.head.as_ref().map(|h| Engine {
        id: EngineId::Head,
        cell: None,
        hidden: h.outputs(),
        conv: model.input.map.map(|(hh, ww)| ConvGeo {
            h: hh,
            w: ww,
            k: 1,
            cin: last.hidden,
        }),
        fold: None,
        w: mv_of(&h.w, last.h_fmt),
        u: None,
        bias: h.bias.clone(),
        bias_h: Vec::new(),
        bias_fmt: h.bias_fmt,
        pre: h.out_fmt,
        act_frac: 0,
        c_fmt: None,
        h_fmt: ActFmt::Fixed(h.out_fmt),
        sigmoid: Vec::new(),
        tanh: Vec::new(),
        table_width: 0,
        sigs: Vec::new(),
        cycles_mv: 0,
        cycles_update: 0,
        pipe: Pipe::NONE,
        units: 1,
    });
    // dense layers compute their rows unit-major (docs/HARDWARE.md §4.1): per-row constants in
    // engine row order; `pack-weights` packs the weight rows in the same order
    for e in &mut layers {
        if e.unit_major() {
            let perm = |v: &[i64]| -> Vec<i64> {
                if v.is_empty() {
                    return Vec::new();
                }
                (0..v.len()).map(|r| v[e.model_row(r)]).collect()
            };
            let (b, bh) = (perm(&e.bias), perm(&e.bias_h));
            let order: Vec<usize> = (0..e.rows()).map(|r| e.model_row(r)).collect();
            e.bias = b;
            e.bias_h = bh;
            for mv in std::iter::once(&mut e.w).chain(e.u.iter_mut()) {
                mv.mult = order.iter().map(|&r| mv.mult[r]).collect();
            }
        }
    }
    let out_width = match &model.head {
        Some(h) => h.out_fmt.width,
        None => last.h_fmt.width(),
    };
    Ok(Design {
        model_name: model.name.clone(),
        model_hash: model.hash(),
        in_len: model.input_len(),
        x_fmt: model.input.format,
        layers,
        head,
        out_len: model.output_len(),
        out_width,
        cycles_per_step: 0,
        cycle_terms: Vec::new(),
        buffers: Vec::new(),
        lut_products: Default::default(),
        flash_offset: 0,
    })
}

fn table_width(s: &[i64], t: &[i64]) -> u32 {
    let iv = |v: &[i64]| {
        Interval::new(
            v.iter().copied().min().unwrap_or(0),
            v.iter().copied().max().unwrap_or(0),
        )
    };
    iv(s).union(iv(t)).width()
}

/// The default folding (docs/HARDWARE.md §5): 8 lanes, `1 × 8`, or `2 × 4` where that takes
/// fewer issue cycles ([`Engine::issue_cycles`]) — a dense engine whose inputs leave 8-lane
/// chunks half empty fills the lanes with a second row instead of padding (an LSTM 4→4: 9 issue
/// cycles at `2 × 4` against 17 at `1 × 4`, its widest). A tie takes `2 × 4` too: the demo's
/// LSTM 4→16 issues 129 cycles at either (side by side its `W` chunks, half padding at `S = 8`,
/// issue beside its `U` chunks, §4.2), and at `S = 4` a head of the default `S = 8` reads a
/// copy of `h` of its own and runs beside the next timestep (§4.2: fewer cycles per timestep,
/// bench/results/utilisation.md's demo rows). More rows per group would cut the padding further
/// but cost a requantiser and a `z` bank each; `--fit` searches every folding. Within the engine's limit; a ConvLSTM engine
/// keeps `1 × 8`.
pub fn default_fold(e: &Engine) -> Fold {
    let lim = e.fold_limit();
    let wide = Fold { p: 1, s: 8 }.clamp_to(lim);
    if e.conv.is_some() {
        return wide;
    }
    // the MV issue cycles of a fold (§5: `Engine::issue_cycles`)
    let issue = |f: Fold| e.issue_cycles_at(f);
    let two = Fold { p: 2, s: 4 }.clamp_to(lim);
    if issue(two) <= issue(wide) && two != wide {
        two
    } else {
        wide
    }
}

fn fold(d: &mut Design, _m: &Model, o: &Options) -> Result<(), RtlError> {
    for id in o.folds.engines.keys() {
        if !d.engines().any(|e| e.id == *id) {
            return Err(RtlError::Fold(format!(
                "--fold names `{id}`, but the design's engines are {}",
                d.engines()
                    .map(|e| e.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    for e in d.layers.iter_mut().chain(d.head.iter_mut()) {
        let lim = e.fold_limit();
        let f = o.folds.get(e.id, lim).unwrap_or_else(|| default_fold(e));
        if !f.within(lim) {
            return Err(RtlError::Fold(format!(
                "{}: fold {f} must be within 1..={} rows × 1..={} columns",
                e.id, lim.p, lim.s
            )));
        }
        e.fold = Some(f);
    }
    // the pipeline levels of the dense engines (docs/HARDWARE.md §4.4; ConvLSTM engines have
    // none), with the folds: the cycles follow from both, and the buffers the design needs
    // depend on them (a head beside the next timestep, `Design::head_overlapped`)
    let pipe = o
        .pipeline
        .unwrap_or_else(|| crate::timing::default_pipe(o.target));
    for e in d.layers.iter_mut().chain(d.head.iter_mut()) {
        e.pipe = if e.conv.is_none() { pipe } else { Pipe::NONE };
    }
    // the update units of each dense layer (docs/HARDWARE.md §4.2), from the folds
    let units: Vec<usize> = (0..d.layers.len()).map(|l| d.update_units(l)).collect();
    for (e, u) in d.layers.iter_mut().zip(units) {
        e.units = u;
    }
    Ok(())
}

/// Width of one lane product `code · a` (or the XNOR case), from the scheme and activation.
fn lane_interval(scheme: Scheme, act: ActFmt) -> Interval {
    let a = act.interval();
    let m = scheme.max_abs();
    a.scale(m).union(a.scale(-m))
}

fn size(d: &mut Design, m: &Model, _o: &Options) -> Result<(), RtlError> {
    let ranges = analyze(m).map_err(|e| RtlError::Model(e.to_string()))?;
    for (l, e) in d.layers.iter_mut().enumerate() {
        let r: &LayerRanges = &ranges.layers[l];
        let f = e.fold.ok_or("fold must run before size")?;
        size_mv(&mut e.w, f, r.acc_w);
        if let Some(u) = e.u.as_mut() {
            size_mv(u, f, r.acc_u);
        }
        let s = |name: &'static str, iv: Interval, frac: i32| Sig {
            name,
            width: iv.width(),
            signed: true,
            frac,
        };
        let fa = e.act_frac as i32;
        let mut sigs = vec![
            s("pre_sum", r.pre_sum, 0),
            Sig {
                name: "pre",
                width: e.pre.width,
                signed: true,
                frac: e.pre.frac,
            },
            s("gate", r.sigmoid.union(r.tanh), fa),
        ];
        match e.cell {
            Some(Cell::Gru) => {
                sigs.push(s("hn_sum", r.hn_sum.ok_or("GRU ranges")?, 0));
                sigs.push(s("n_sum", r.n_sum.ok_or("GRU ranges")?, 0));
                sigs.push(s("h_sum", r.h_sum, 0));
            }
            _ => {
                sigs.push(s("c_sum", r.c_sum.ok_or("LSTM ranges")?, 0));
                let c = e.c_fmt.ok_or("LSTM has c")?;
                sigs.push(Sig {
                    name: "c",
                    width: c.width,
                    signed: true,
                    frac: c.frac,
                });
                sigs.push(s("h_prod", r.h_sum, 2 * fa));
            }
        }
        sigs.push(Sig {
            name: "h",
            width: e.h_fmt.width(),
            signed: !e.h_fmt.is_binary(),
            frac: e.h_fmt.frac(),
        });
        e.sigs = sigs;
    }
    if let (Some(e), Some(hr)) = (d.head.as_mut(), ranges.head.as_ref()) {
        let f = e.fold.ok_or("fold must run before size")?;
        size_mv(&mut e.w, f, hr.acc);
        e.sigs = vec![
            Sig {
                name: "sum",
                width: hr.sum.width(),
                signed: true,
                frac: 0,
            },
            Sig {
                name: "y",
                width: e.pre.width,
                signed: true,
                frac: e.pre.frac,
            },
        ];
    }
    Ok(())
}

fn size_mv(mv: &mut Mv, f: Fold, acc: Interval) {
    let lane = lane_interval(mv.scheme, mv.act);
    mv.lane_width = lane.width();
    let s = f.s.min(mv.cols()) as i64;
    mv.dot_width = Interval {
        lo: lane.lo * s as i128,
        hi: lane.hi * s as i128,
    }
    .width();
    mv.acc_width = acc.width().max(mv.dot_width);
}

/// ROM word for (row group g, chunk k): lane (p, s) at bits `[(p·S + s)·b, +b)`, code of engine
/// row `g·P + p` (model row `order(g·P + p)`, [`Engine::model_row`]), column `k·S + s`;
/// rows/columns past the end are padding (pattern 0, masked in hardware).
fn pack(w: &qrnn_model::Weights, f: Fold, name: String, order: &dyn Fn(usize) -> usize) -> Memory {
    let rows = w.rows();
    let cols = w.row_len();
    let b = w.scheme.bits();
    let k_n = cols.div_ceil(f.s);
    let g_n = rows.div_ceil(f.p);
    let width = (f.p * f.s) as u32 * b;
    let mut words = Vec::with_capacity(g_n * k_n);
    for g in 0..g_n {
        for k in 0..k_n {
            let mut bits = vec![false; width as usize];
            for p in 0..f.p {
                for s in 0..f.s {
                    let (r, c) = (g * f.p + p, k * f.s + s);
                    if r < rows && c < cols {
                        let pat = w.scheme.encode(w.row(order(r))[c] as i64);
                        let lo = (p * f.s + s) * b as usize;
                        for i in 0..b as usize {
                            bits[lo + i] = (pat >> i) & 1 == 1;
                        }
                    }
                }
            }
            words.push(bits_to_hex(&bits));
        }
    }
    Memory {
        name,
        width,
        words,
        placement: Placement::Unplaced,
    }
}

/// Hex digits of a bit vector (bit 0 least significant), most significant digit first.
pub fn bits_to_hex(bits: &[bool]) -> String {
    let digits = bits.len().div_ceil(4);
    (0..digits)
        .rev()
        .map(|d| {
            let v = (0..4).fold(0u32, |a, i| {
                a | (u32::from(bits.get(d * 4 + i).copied().unwrap_or(false)) << i)
            });
            char::from_digit(v, 16).unwrap_or('0')
        })
        .collect()
}

fn pack_weights(d: &mut Design, m: &Model, _o: &Options) -> Result<(), RtlError> {
    for (l, e) in d.layers.iter_mut().enumerate() {
        let f = e.fold.ok_or("fold must run first")?;
        let pre = e.id.short();
        let probe = e.clone();
        let order = |r| probe.model_row(r);
        e.w.rom = Some(pack(&m.layers[l].w, f, format!("{pre}_w"), &order));
        if let Some(u) = e.u.as_mut() {
            u.rom = Some(pack(&m.layers[l].u, f, format!("{pre}_u"), &order));
        }
    }
    if let (Some(e), Some(h)) = (d.head.as_mut(), m.head.as_ref()) {
        let f = e.fold.ok_or("fold must run first")?;
        e.w.rom = Some(pack(&h.w, f, format!("{}_w", e.id.short()), &|r| r));
    }
    Ok(())
}

fn place_memories(d: &mut Design, _m: &Model, o: &Options) -> Result<(), RtlError> {
    place(d, o.weights, o.target);
    override_placement(d, o)?;
    d.flash_offset = o.flash_offset;
    d.lut_products = crate::resources::lut_products(d, o.target, o.dsps);
    Ok(())
}

/// Smallest buffer bank, in bits, that goes to block RAM (docs/HARDWARE.md §6): on the iCE40
/// (no LUT RAM) a bank of 64 bits or more, elsewhere one of 1024 bits or more (smaller ones are
/// LUT RAM).
pub fn block_threshold(target: Family) -> u64 {
    match target {
        Family::Ice40 => 64,
        _ => 1024,
    }
}

/// Place every weight memory of `d` under `w`, and every buffer memory for `target` (the
/// `place-memories` pass; the fit calls it to re-place one pipeline run under each mode).
pub fn place(d: &mut Design, w: WeightsMode, target: Family) {
    let mut bufs = d.plan_buffers();
    for b in &mut bufs {
        let largest = (0..b.banks.len())
            .map(|k| b.bank_bits(k))
            .max()
            .unwrap_or(0);
        b.style = if largest >= block_threshold(target) {
            RamStyle::Block
        } else if target == Family::Ice40 {
            RamStyle::Registers
        } else {
            RamStyle::Distributed
        };
    }
    d.buffers = bufs;
    for e in d.layers.iter_mut().chain(d.head.iter_mut()) {
        for mv in std::iter::once(&mut e.w).chain(e.u.iter_mut()) {
            if let Some(rom) = mv.rom.as_mut() {
                rom.placement = match w {
                    WeightsMode::Rom => Placement::Rom,
                    WeightsMode::Logic => Placement::Logic,
                    WeightsMode::Auto | WeightsMode::Spram if rom.bits() <= AUTO_LOGIC_BITS => {
                        Placement::Logic
                    }
                    WeightsMode::Spram
                        if target == Family::Ice40
                            && rom.bits() >= SPRAM_MIN_BITS
                            && rom.spram_unfit().is_none() =>
                    {
                        Placement::Spram
                    }
                    WeightsMode::Auto | WeightsMode::Spram => Placement::Rom,
                };
            }
        }
    }
}

/// Apply `--place NAME=…` and check the SPRAM placements (iCE40 only, one block deep).
fn override_placement(d: &mut Design, o: &Options) -> Result<(), RtlError> {
    let mut left: std::collections::BTreeMap<&String, &Placement> = o.place.iter().collect();
    let mut names = Vec::new();
    for e in d.layers.iter_mut().chain(d.head.iter_mut()) {
        for mv in std::iter::once(&mut e.w).chain(e.u.iter_mut()) {
            let Some(rom) = mv.rom.as_mut() else { continue };
            names.push(rom.name.clone());
            if let Some(p) = left.remove(&rom.name) {
                rom.placement = *p;
            }
            if rom.placement == Placement::Spram {
                if o.target != Family::Ice40 {
                    return Err(RtlError::Options(format!(
                        "weight memory {} is placed in SPRAM, which only the iCE40UP5K has \
                         (target {}): use rom or logic",
                        rom.name, o.target
                    )));
                }
                if let Some(why) = rom.spram_unfit() {
                    return Err(RtlError::Options(format!(
                        "weight memory {} cannot go to SPRAM: {why}; fold its engine wider \
                         (--fold) or place it in rom",
                        rom.name
                    )));
                }
            }
        }
    }
    if let Some((n, _)) = left.into_iter().next() {
        return Err(RtlError::Options(format!(
            "--place {n}=…: the design has no weight memory {n}; its memories are {}",
            names.join(", ")
        )));
    }
    Ok(())
}

/// Update-pipeline depth after the last unit is issued, dense layers (stages A0, A, B, C:
/// docs/HARDWARE.md §4.2).
pub const UPDATE_DEPTH: u64 = 3;

/// The wait of a dense layer's trailing update (docs/HARDWARE.md §4.2, §5): the update issues
/// unit `j` in the cycle after the group holding its last row `G·j + G − 1` writes the `z` banks,
/// and at most one unit per cycle, so its last unit is issued
/// `D = max_j (H − j − gap(⌊(G·j + G − 1)/P⌋))` cycles after the MV's last cycle, where `gap(g)`
/// is the number of issue cycles from group `g`'s last chunk to the last group's: `last` for the
/// group before the last, `period` more for each group before that (`N = ⌈G·H/P⌉` groups; one
/// chunk at a time `period = last = K`, side by side `period = max(KW, KU)` and `last = KU`) —
/// at least the units whose last row is in the last group, which become ready together.
/// `rows_per_unit` is `G`, `p` the engine's `P`.
pub fn update_wait(
    hidden: usize,
    rows_per_unit: usize,
    p: usize,
    period: usize,
    last: usize,
) -> u64 {
    let n = (rows_per_unit * hidden).div_ceil(p) as i64;
    let gap = |g: i64| {
        if g >= n - 1 {
            0
        } else {
            (n - 2 - g) * period as i64 + last as i64
        }
    };
    (0..hidden)
        .map(|j| {
            let g = ((rows_per_unit * (j + 1) - 1) / p) as i64;
            hidden as i64 - j as i64 - gap(g)
        })
        .max()
        .unwrap_or(1)
        .max(1) as u64
}

/// Update-pipeline depth after the last unit is issued, ConvLSTM layers (stages A, B, C: §9).
pub const CONV_UPDATE_DEPTH: u64 = 2;

/// The cycle terms of one folded engine: its MV and (layers) the update trailing it, each with
/// its symbolic and numeric expression (docs/HARDWARE.md §5, §9). The `schedule` pass stores them;
/// `cycle_formula`, `cycles_mv` and `cycles_update` are read off them.
pub fn engine_cycle_terms(e: &Engine) -> Result<Vec<CycleTerm>, String> {
    let f = e.fold.ok_or("fold must run first")?;
    let ku = e.u.as_ref().map(|u| u.chunks(f) as u64);
    // ⌈rows/P⌉·(⌈cols_W/S⌉ + ⌈cols_U/S⌉), symbolic and numeric
    let (rows_sym, w_sym, u_sym) = match (e.cell, e.conv) {
        (Some(Cell::ConvLstm), _) => ("4Ch", "Cin·k·k", "Ch·k·k"),
        (Some(Cell::Gru), _) => ("3H", "I", "H"),
        (Some(Cell::Lstm), _) => ("4H", "I", "H"),
        (None, Some(_)) => ("O", "Ch", ""),
        (None, None) => ("O", "H", ""),
    };
    // side by side (a layer, docs/HARDWARE.md §4.2, §9): G·max(KW, KU) + min(KW, KU)
    let sbs = e.side_by_side();
    let gk_sym = match ku {
        Some(_) if sbs => {
            format!("⌈{rows_sym}/P⌉·max(⌈{w_sym}/S⌉, ⌈{u_sym}/S⌉) + min(⌈{w_sym}/S⌉, ⌈{u_sym}/S⌉)")
        }
        Some(_) => format!("⌈{rows_sym}/P⌉·(⌈{w_sym}/S⌉ + ⌈{u_sym}/S⌉)"),
        None => format!("⌈{rows_sym}/P⌉·⌈{w_sym}/S⌉"),
    };
    let gk_num = match (&e.u, ku) {
        (Some(u), Some(_)) if sbs => {
            let (w, u) = (
                format!("⌈{}/{}⌉", e.w.cols(), f.s),
                format!("⌈{}/{}⌉", u.cols(), f.s),
            );
            format!("⌈{}/{}⌉·max({w}, {u}) + min({w}, {u})", e.rows(), f.p)
        }
        (Some(u), Some(_)) => format!(
            "⌈{}/{}⌉·(⌈{}/{}⌉ + ⌈{}/{}⌉)",
            e.rows(),
            f.p,
            e.w.cols(),
            f.s,
            u.cols(),
            f.s
        ),
        _ => format!("⌈{}/{}⌉·⌈{}/{}⌉", e.rows(), f.p, e.w.cols(), f.s),
    };
    let term =
        |phase: fn(EngineId) -> Phase, symbolic: String, numeric: String, cycles: u64| CycleTerm {
            phase: phase(e.id),
            symbolic,
            numeric,
            cycles,
        };
    let d = if e.conv.is_some() {
        CONV_UPDATE_DEPTH
    } else {
        UPDATE_DEPTH
    };
    Ok(match (e.conv, e.cell) {
        // dense layer or head: its issue cycles (side by side in a layer) and one ROM/lane
        // pipeline cycle; a layer then updates its H units one per cycle through the
        // UPDATE_DEPTH-deep pipeline plus its pipeline levels (docs/HARDWARE.md §4.4)
        (None, cell) => {
            let pm = e.pipe.mv;
            let (ms, mn) = if pm == 0 {
                (String::new(), String::new())
            } else {
                (" + Lmv".to_string(), format!(" + {pm}"))
            };
            let mut v = vec![term(
                Phase::Mv,
                format!("{gk_sym} + 1{ms}"),
                format!("{gk_num} + 1{mn}"),
                e.issue_cycles() + 1 + pm as u64,
            )];
            if cell.is_some() {
                let pu = e.pipe.update;
                let (us, un) = if pu == 0 {
                    (String::new(), String::new())
                } else {
                    (" + 2·Lupd".to_string(), format!(" + 2·{pu}"))
                };
                // the update trails the groups (§4.2): this term is the cycles after the MV
                // until the last unit's `h` is written
                // `U` units per cycle: batches of `U` units of `U·G` rows each
                let wait = e.update_wait_with(e.units.max(1));
                v.push(term(
                    Phase::Update,
                    format!("{d}{us} + D"),
                    format!("{d}{un} + {wait}"),
                    d + e.pipe.update_cycles() + wait,
                ));
            }
            v
        }
        // ConvLSTM layer (docs/HARDWARE.md §9): one read cycle and `prime` shifts fill the line
        // buffers, then per pixel one shift cycle, the issue cycles (side by side) and one
        // pipeline cycle, then the update of its Ch units
        (Some(c), Some(_)) => {
            let pix = c.pixels() as u64;
            vec![
                term(
                    Phase::Mv,
                    format!("1 + (pad·W + pad) + PIX·({gk_sym} + 2)"),
                    format!(
                        "1 + ({}·{} + {}) + {pix}·({gk_num} + 2)",
                        c.pad(),
                        c.w,
                        c.pad()
                    ),
                    c.prime() as u64 + 1 + pix * (e.issue_cycles() + 2),
                ),
                term(
                    Phase::Update,
                    format!("PIX·(Ch + {d})"),
                    format!("{pix}·({} + {d})", e.hidden),
                    pix * (e.hidden as u64 + d),
                ),
            ]
        }
        // 1×1 head: per pixel one load cycle and G·K issue cycles, then the pipeline cycle
        (Some(c), None) => {
            let pix = c.pixels() as u64;
            vec![term(
                Phase::Mv,
                format!("PIX·({gk_sym} + 1) + 1"),
                format!("{pix}·({gk_num} + 1) + 1"),
                pix * (e.issue_cycles() + 1) + 1,
            )]
        }
    })
}

fn schedule(d: &mut Design, _m: &Model, _o: &Options) -> Result<(), RtlError> {
    // a design that overlaps timesteps starts a compute in the second cycle after the last
    // input beat, from registers alone (docs/HARDWARE.md §4.2)
    let start = u64::from(d.overlapped());
    let mut terms = vec![CycleTerm {
        phase: Phase::Load,
        symbolic: if start == 1 { "IN_LEN + 1" } else { "IN_LEN" }.into(),
        numeric: if start == 1 {
            format!("{} + 1", d.in_len)
        } else {
            d.in_len.to_string()
        },
        cycles: d.in_len as u64 + start,
    }];
    for e in d.layers.iter_mut().chain(d.head.iter_mut()) {
        let t = engine_cycle_terms(e)?;
        let of = |phase: Phase| {
            t.iter()
                .filter(|x| x.phase == phase)
                .map(|x| x.cycles)
                .sum::<u64>()
        };
        e.cycles_mv = of(Phase::Mv(e.id));
        e.cycles_update = of(Phase::Update(e.id));
        terms.extend(t);
    }
    terms.push(CycleTerm {
        phase: Phase::Out,
        symbolic: "OUT_LEN".into(),
        numeric: d.out_len.to_string(),
        cycles: d.out_len as u64,
    });
    d.cycle_terms = terms;
    d.cycles_per_step = crate::ir::initiation_interval(
        d.latency(),
        d.in_len,
        d.out_len,
        d.overlapped(),
        d.head_cycles(),
    );
    Ok(())
}
