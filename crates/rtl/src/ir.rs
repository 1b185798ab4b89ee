//! The datapath IR: what the hardware for a model is, before it is Verilog.
//!
//! A [`Design`] holds one [`Engine`] per layer (and one for the head): the folding, the memories
//! with their exact contents, and every named signal of NUMERICS.md with its width and signedness,
//! plus the schedule (cycles of every phase). Passes ([`crate::passes`]) fill it in step by step;
//! [`Design::verify`] checks its invariants after every pass, and its `Display` is a stable, readable
//! dump (`qrnn-hw gen --dump-ir-after PASS`).

use crate::manifest::{CycleTerm, Phase};
use crate::vocab::{EngineId, Fold};
use qrnn_model::{ActFmt, Cell, Fmt, Scheme};
use std::fmt;

/// A named signal of the datapath with explicit width and signedness.
#[derive(Clone, Debug, PartialEq)]
pub struct Sig {
    /// Name (the NUMERICS.md point or value it carries).
    pub name: &'static str,
    /// Width in bits.
    pub width: u32,
    /// Two's complement?
    pub signed: bool,
    /// Fraction bits of the value it carries (for the dump).
    pub frac: i32,
}

/// Where a constant memory lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Not decided yet.
    Unplaced,
    /// Block RAM ROM initialised by `$readmemh`.
    Rom,
    /// Hard-wired into logic (a `case` table).
    Logic,
    /// iCE40UP5K single-port RAM (SB_SPRAM256KA), written at start-up by the weight loader from
    /// the flash image (docs/HARDWARE.md §4.3).
    Spram,
}

impl Placement {
    /// The name used by `--place` and in `qrnn.json`: `rom`, `logic` or `spram`.
    pub fn name(self) -> &'static str {
        match self {
            Placement::Unplaced => "unplaced",
            Placement::Rom => "rom",
            Placement::Logic => "logic",
            Placement::Spram => "spram",
        }
    }
}

impl std::str::FromStr for Placement {
    type Err = String;
    /// A placement a user may ask for (`--place NAME=KIND`): `rom`, `logic` or `spram`.
    fn from_str(s: &str) -> Result<Placement, String> {
        [Placement::Rom, Placement::Logic, Placement::Spram]
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("expected rom, logic or spram, found {s:?}"))
    }
}

/// Words of one SPRAM block (SB_SPRAM256KA: 16384 × 16 bits).
pub const SPRAM_WORDS: usize = 16_384;
/// Word width of one SPRAM block.
pub const SPRAM_WIDTH: u32 = 16;

/// A constant memory: `depth` words of `width` bits.
#[derive(Clone, Debug, PartialEq)]
pub struct Memory {
    /// File/module stem, e.g. `l0_w`.
    pub name: String,
    /// Word width.
    pub width: u32,
    /// Words as hex digits, most significant first, `⌈width/4⌉` digits each.
    pub words: Vec<String>,
    /// Placement.
    pub placement: Placement,
}

impl Memory {
    /// Total bits.
    pub fn bits(&self) -> u64 {
        self.width as u64 * self.words.len() as u64
    }
    /// SPRAM blocks side by side that hold one word (`⌈width/16⌉`).
    pub fn spram_blocks(&self) -> u32 {
        self.width.div_ceil(SPRAM_WIDTH)
    }
    /// Why this memory cannot be placed in SPRAM, if it cannot (deeper than one block).
    pub fn spram_unfit(&self) -> Option<String> {
        (self.words.len() > SPRAM_WORDS).then(|| {
            format!(
                "{} has {} words, one SPRAM block holds {SPRAM_WORDS}",
                self.name,
                self.words.len()
            )
        })
    }
    /// Bits `[16·t, 16·t + 16)` of every word: the contents of SPRAM block `t`.
    pub fn spram_words(&self, t: u32) -> Vec<u16> {
        self.words
            .iter()
            .map(|h| {
                // hex digits, most significant first: digit i from the right holds bits 4i..4i+3
                let digits: Vec<u32> = h
                    .chars()
                    .rev()
                    .map(|c| c.to_digit(16).unwrap_or(0))
                    .collect();
                (0..4u32).fold(0u16, |a, k| {
                    let d = digits.get((t * 4 + k) as usize).copied().unwrap_or(0);
                    a | ((d as u16) << (4 * k))
                })
            })
            .collect()
    }
}

/// One matrix-vector engine over a weight tensor (rows × cols).
#[derive(Clone, Debug, PartialEq)]
pub struct Mv {
    /// Weight scheme.
    pub scheme: Scheme,
    /// Output rows ([`Mv::rows`]).
    rows: usize,
    /// Input columns ([`Mv::cols`]).
    cols: usize,
    /// Per-row multipliers (all 1: none).
    pub mult: Vec<u32>,
    /// Scale exponent `k`.
    pub shift: i32,
    /// Activation format of the columns.
    pub act: ActFmt,
    /// Packed weight ROM (after `pack-weights`).
    pub rom: Option<Memory>,
    /// Width of one lane product.
    pub lane_width: u32,
    /// Width of the P chunk sums.
    pub dot_width: u32,
    /// Accumulator width (≥ the analysed `acc` width and the chunk-sum width).
    pub acc_width: u32,
}

impl Mv {
    /// An engine of `rows × cols` weights with one multiplier per row, before sizing and packing
    /// (widths 0, no ROM).
    pub fn new(
        scheme: Scheme,
        (rows, cols): (usize, usize),
        mult: Vec<u32>,
        shift: i32,
        act: ActFmt,
    ) -> Mv {
        Mv {
            scheme,
            rows,
            cols,
            mult,
            shift,
            act,
            rom: None,
            lane_width: 0,
            dot_width: 0,
            acc_width: 0,
        }
    }
    /// Output rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Input columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Whether any row has a multiplier other than 1.
    pub fn has_mult(&self) -> bool {
        self.mult.iter().any(|m| *m != 1)
    }
    /// Chunks per row group: ⌈cols / S⌉.
    pub fn chunks(&self, fold: Fold) -> usize {
        self.cols().div_ceil(fold.s)
    }
}

/// Geometry of a convolutional engine (ConvLSTM layer, or the 1×1 head of a ConvLSTM model).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeo {
    /// Map height.
    pub h: usize,
    /// Map width.
    pub w: usize,
    /// Kernel side (odd; 1 for the head).
    pub k: usize,
    /// Channels of the input map (W's input).
    pub cin: usize,
}

impl ConvGeo {
    /// Pixels per map.
    pub fn pixels(&self) -> usize {
        self.h * self.w
    }
    /// Same padding `(k − 1) / 2`.
    pub fn pad(&self) -> usize {
        (self.k - 1) / 2
    }
    /// Line-buffer (shift register) length in pixels: `(k − 1)·W + k`.
    pub fn window_len(&self) -> usize {
        (self.k - 1) * self.w + self.k
    }
    /// Cycles to prime the line buffers before the first output pixel: `pad·W + pad`.
    pub fn prime(&self) -> usize {
        self.pad() * self.w + self.pad()
    }
}

/// The hardware of one layer (or of the head, with `u = None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Engine {
    /// Which engine: `layer<l>` or `head`.
    pub id: EngineId,
    /// Cell (None for the head).
    pub cell: Option<Cell>,
    /// Hidden size (outputs for the head).
    pub hidden: usize,
    /// Convolution geometry (ConvLSTM layers and their head), `None` for dense engines.
    pub conv: Option<ConvGeo>,
    /// Folding (P rows × S columns per cycle), once `fold` ran.
    pub fold: Option<Fold>,
    /// Input engine.
    pub w: Mv,
    /// Recurrent engine (layers only).
    pub u: Option<Mv>,
    /// Bias (b or b_x), bit patterns in `bias_fmt`.
    pub bias: Vec<i64>,
    /// GRU b_h.
    pub bias_h: Vec<i64>,
    /// Bias format.
    pub bias_fmt: Fmt,
    /// Pre-activation format (layers) or output format (head).
    pub pre: Fmt,
    /// Gate fraction Fa.
    pub act_frac: u32,
    /// Cell-state format.
    pub c_fmt: Option<Fmt>,
    /// Hidden-state format.
    pub h_fmt: ActFmt,
    /// σ table (bit patterns in `table_width`).
    pub sigmoid: Vec<i64>,
    /// tanh table.
    pub tanh: Vec<i64>,
    /// Width of table entries.
    pub table_width: u32,
    /// Named signals with widths (after `size`).
    pub sigs: Vec<Sig>,
    /// Cycles of the matrix-vector phase (after `schedule`).
    pub cycles_mv: u64,
    /// Cycles of the update phase (after `schedule`).
    pub cycles_update: u64,
    /// Extra pipeline registers of this engine (after `schedule`; docs/HARDWARE.md §4.4).
    pub pipe: Pipe,
    /// Update units of a dense layer: the units its trailing update issues per cycle (after
    /// `fold`; docs/HARDWARE.md §4.2, [`Design::update_units`]); 1 for every other engine.
    pub units: usize,
}

/// Extra pipeline registers of an engine (docs/HARDWARE.md §4.4). `mv` levels cut the
/// matrix-vector path, each adding one cycle to the MV phase: 1 registers the group totals
/// before the requantisation, 2 also the chunk sums before the accumulators, 3 also the ROM
/// words and activations before the lanes, 4 also the requantisation's sum before its rounding
/// and saturation, 5 also the lanes' adder trees halfway. `update` levels cut the element-wise update, each adding two cycles to the
/// update's term (one register in stage B, one in stage C): 1 registers the products' inputs (the
/// DSP input registers), 2 the products, 3 the sums (LSTM: `c'` inside its saturation, and the
/// rounded `h`), 4 the rounded `tanh` index and `h` (LSTM: inside `h`'s saturation).
/// ConvLSTM engines are not pipelined (both 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pipe {
    /// Matrix-vector levels, 0 to [`Pipe::MAX_MV`].
    pub mv: u32,
    /// Update levels, 0 to [`Pipe::MAX_UPDATE`].
    pub update: u32,
}

impl Pipe {
    /// The deepest matrix-vector pipeline.
    pub const MAX_MV: u32 = 5;
    /// The deepest update pipeline.
    pub const MAX_UPDATE: u32 = 4;
    /// No extra registers: the datapath of generator 0.1.0 (one cycle from ROM to `z`).
    pub const NONE: Pipe = Pipe { mv: 0, update: 0 };
    /// Cycles the update levels add to the update's term.
    pub fn update_cycles(&self) -> u64 {
        2 * self.update as u64
    }
}

/// Lane terms per registered partial sum of an `S`-lane adder tree cut halfway (matrix-vector
/// level 5): `2^⌈d/2⌉` with `d = ⌈log₂(S+1)⌉` (docs/HARDWARE.md §4.4). The one place the
/// generator and the resource model take it from.
pub fn tree_group(s: usize) -> usize {
    1usize << crate::build::clog2(s + 1).div_ceil(2)
}

impl std::fmt::Display for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mv={},update={}", self.mv, self.update)
    }
}

impl std::str::FromStr for Pipe {
    type Err = String;
    /// `mv=N,update=M` (either may be left out: 0), `none`, or `max`.
    fn from_str(s: &str) -> Result<Pipe, String> {
        match s.trim() {
            "none" | "off" => return Ok(Pipe::NONE),
            "max" => {
                return Ok(Pipe {
                    mv: Pipe::MAX_MV,
                    update: Pipe::MAX_UPDATE,
                })
            }
            _ => {}
        }
        let mut p = Pipe::NONE;
        for part in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                format!("`{part}`: expected KEY=N with KEY mv or update (e.g. mv=4,update=2), `none` or `max`")
            })?;
            let n: u32 = v
                .trim()
                .parse()
                .map_err(|_| format!("`{part}`: `{v}` is not a number"))?;
            match k.trim() {
                "mv" if n <= Pipe::MAX_MV => p.mv = n,
                "update" if n <= Pipe::MAX_UPDATE => p.update = n,
                "mv" => return Err(format!("mv={n}: at most {} levels", Pipe::MAX_MV)),
                "update" => return Err(format!("update={n}: at most {} levels", Pipe::MAX_UPDATE)),
                other => return Err(format!("`{other}`: unknown pipeline key (mv, update)")),
            }
        }
        Ok(p)
    }
}

impl Engine {
    /// A named signal's width; internal error if missing.
    pub fn sig(&self, name: &str) -> &Sig {
        self.sigs
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "internal error: {} has no signal `{name}` (did `size` run?)",
                    self.id
                )
            })
    }
    /// Rows of W and U (gates × hidden; outputs for the head).
    pub fn rows(&self) -> usize {
        self.w.rows
    }
    /// The largest folding this engine can take: P up to its rows, S up to the wider of its
    /// W and U inputs. The one place the fold bounds are worked out.
    pub fn fold_limit(&self) -> Fold {
        Fold {
            p: self.w.rows,
            s: self.w.cols.max(self.u.as_ref().map_or(0, |u| u.cols)),
        }
    }
    /// The named signals the elaboration reads ([`Engine::sig`]), as `size` must set them.
    pub fn required_sigs(&self) -> &'static [&'static str] {
        match self.cell {
            None => &["sum", "y"],
            Some(Cell::Gru) => &["pre_sum", "pre", "gate", "hn_sum", "n_sum", "h_sum", "h"],
            Some(_) => &["pre_sum", "pre", "gate", "c_sum", "c", "h_prod", "h"],
        }
    }
    /// Whether the engine runs its `W` and `U` lane sets side by side (docs/HARDWARE.md §4.2,
    /// §9): a layer (dense or ConvLSTM, per pixel), whose `W` chunks of row group `n` issue
    /// beside the `U` chunks of group `n − 1`, in slots of `L = max(KW, KU)` cycles. A head (no
    /// `U`) issues its chunks one at a time.
    pub fn side_by_side(&self) -> bool {
        self.u.is_some()
    }
    /// Chunks per row group of `W` and of `U` once folded, `(KW, KU)` (`KU = 0` without `U`).
    pub fn chunk_counts(&self) -> (usize, usize) {
        let f = self.fold.unwrap_or(Fold::SERIAL);
        (self.w.chunks(f), self.u.as_ref().map_or(0, |u| u.chunks(f)))
    }
    /// Issue cycles of one matrix-vector pass (docs/HARDWARE.md §5): `G·(KW + KU)` one chunk at
    /// a time, or side by side `KW + (G − 1)·L + KU = G·L + min(KW, KU)` (slot 0 holds group
    /// 0's `W` chunks alone, slot `G` group `G − 1`'s `U` chunks alone). The one place the
    /// count is worked out: the schedule, the elaboration and `Design::verify` read it.
    pub fn issue_cycles(&self) -> u64 {
        self.issue_cycles_at(self.fold.unwrap_or(Fold::SERIAL))
    }
    /// [`Engine::issue_cycles`] at fold `f` (the default fold compares two before choosing).
    pub fn issue_cycles_at(&self, f: Fold) -> u64 {
        let g = self.rows().div_ceil(f.p) as u64;
        let kw = self.w.chunks(f) as u64;
        let ku = self.u.as_ref().map_or(0, |u| u.chunks(f)) as u64;
        if self.side_by_side() {
            g * kw.max(ku) + kw.min(ku)
        } else {
            g * (kw + ku)
        }
    }
    /// The wait `D` of the trailing update of a dense layer with `units` update units
    /// ([`crate::passes::update_wait`]), from the issue cycles of its groups' last chunks.
    pub fn update_wait_with(&self, units: usize) -> u64 {
        let f = self.fold.unwrap_or(Fold::SERIAL);
        let (kw, ku) = self.chunk_counts();
        let (period, last) = if self.side_by_side() {
            (kw.max(ku), ku)
        } else {
            (kw + ku, kw + ku)
        };
        crate::passes::update_wait(self.hidden / units, self.gates() * units, f.p, period, last)
    }
    /// Row groups ⌈rows / P⌉.
    pub fn groups(&self) -> usize {
        self.fold.map(|f| self.rows().div_ceil(f.p)).unwrap_or(0)
    }
    /// Gates per unit `G`: 4 (LSTM, ConvLSTM), 3 (GRU), 1 (the head).
    pub fn gates(&self) -> usize {
        match self.cell {
            Some(Cell::Gru) => 3,
            Some(_) => 4,
            None => 1,
        }
    }
    /// Whether the engine computes its rows in unit-major order (a dense layer, docs/HARDWARE.md
    /// §4.1): engine row `r' = G·j + gate` is model row `gate·H + j`.
    pub fn unit_major(&self) -> bool {
        self.cell.is_some() && self.conv.is_none()
    }
    /// The model row (PyTorch's gate-major order) that engine row `r` computes.
    pub fn model_row(&self, r: usize) -> usize {
        if self.unit_major() {
            let g = self.gates();
            (r % g) * self.hidden + r / g
        } else {
            r
        }
    }
    /// Banks of the pre-activation memory `z`: `B = G·⌈P/G⌉` (docs/HARDWARE.md §4.1), so that
    /// the `P` rows of a group and the `G` gates of a unit each fall in different banks.
    pub fn z_banks(&self) -> usize {
        let g = self.gates();
        g * self.fold.map_or(1, |f| f.p).div_ceil(g)
    }
}

/// How a buffer memory is built (the `ram_style` attribute of its array, docs/HARDWARE.md §4.1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RamStyle {
    /// Block RAM: iCE40 SB_RAM40_4K, ECP5 DP16KD, Gowin BSRAM (`ram_style = "block"`).
    Block,
    /// LUT RAM where the family has it: ECP5, Gowin (`ram_style = "distributed"`).
    Distributed,
    /// Flip-flops (`ram_style = "logic"`).
    Registers,
}

impl RamStyle {
    /// The `ram_style` attribute value.
    pub fn attr(self) -> &'static str {
        match self {
            RamStyle::Block => "block",
            RamStyle::Distributed => "distributed",
            RamStyle::Registers => "logic",
        }
    }
    /// Short name in module names and `qrnn.json`.
    pub fn name(self) -> &'static str {
        match self {
            RamStyle::Block => "bram",
            RamStyle::Distributed => "lutram",
            RamStyle::Registers => "regs",
        }
    }
}

/// A buffer memory of a dense layer (docs/HARDWARE.md §4.1): `banks.len()` RAMs of `words` words,
/// bank `k` `banks[k]` bits wide, each with one write and `read_ports` registered read ports.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Buffer {
    /// Name: `x`, `l<l>_h<copy>`, `l<l>_c`, `l<l>_z`; bank `k` is instance `u_<name>_b<k>`.
    pub name: String,
    /// Elements held (over all banks).
    pub elems: usize,
    /// Words per bank.
    pub words: usize,
    /// Width of each bank's words.
    pub banks: Vec<u32>,
    /// Read ports per bank.
    pub read_ports: usize,
    /// How it is built (the `place-memories` pass).
    pub style: RamStyle,
}

impl Buffer {
    /// Bits of bank `k`.
    pub fn bank_bits(&self, k: usize) -> u64 {
        self.words as u64 * self.banks[k] as u64
    }
    /// Bits over all banks.
    pub fn bits(&self) -> u64 {
        (0..self.banks.len()).map(|k| self.bank_bits(k)).sum()
    }
}

/// Whether a dense core's head with `head` cycles that may run beside the next timestep's layers
/// ([`head_has_own_copy`]) does (docs/HARDWARE.md §4.2): when they and the output's `OUT_LEN`
/// beats fit in the layers' `layers` cycles with one to spare, so that timestep `t − 1`'s output
/// is out before timestep `t + 1`'s head writes the half of `y` it reads. The one place the rule
/// is written.
pub fn head_overlaps(layers: u64, head: u64, out_len: usize) -> bool {
    head > 0 && head + (out_len as u64) < layers
}

/// Whether a dense head of fold `S = s_head` reads a copy of the last layer's `h` of its own:
/// when its `S` differs from that layer's `s_last` (one copy per distinct `S`, docs/HARDWARE.md
/// §4.1). Only such a head may run beside the next timestep, whose `U` lanes read the layer's
/// copy in the same cycles; a head of the same `S` would need one more copy (`S` banks, a block
/// RAM each on iCE40), and stays in the compute.
pub fn head_has_own_copy(s_head: usize, s_last: usize) -> bool {
    s_head != s_last
}

/// The initiation interval of a design (docs/HARDWARE.md §3, §5) whose timestep takes `latency`
/// cycles, `head` of them its head's (0 without one). A design that overlaps timesteps takes
/// `IN_LEN + 1` cycles for its input (the beats and the cycle its compute starts from
/// registers), the compute `C`, `OUT_LEN` for its output; it takes the next timestep's input
/// while it computes and emits the last one's output while it computes the next, so its interval
/// is `max(C, IN_LEN + 1, OUT_LEN + 1)` (a port needs a cycle between timesteps), and
/// `max(C − head, IN_LEN + 1)` when its head runs beside the next timestep's layers
/// ([`head_overlaps`]). One that does not (ConvLSTM) takes the whole latency.
pub fn initiation_interval(
    latency: u64,
    in_len: usize,
    out_len: usize,
    overlapped: bool,
    head: u64,
) -> u64 {
    let (i, o) = (in_len as u64 + 1, out_len as u64);
    if !overlapped {
        return latency;
    }
    let c = latency.saturating_sub(i + o);
    let layers = c.saturating_sub(head);
    if head_overlaps(layers, head, out_len) {
        layers.max(i).max(o + 1)
    } else {
        c.max(i).max(o + 1)
    }
}

/// An engine's cycles per timestep, MV and update (0 before `fold`), from its cycle terms.
fn engine_cycles(e: &Engine) -> u64 {
    crate::passes::engine_cycle_terms(e).map_or(0, |t| t.iter().map(|x| x.cycles).sum())
}

/// The most read ports any generated memory may have (docs/HARDWARE.md §4.1).
pub const MAX_READ_PORTS: usize = 2;

/// What a multiplier of an engine is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultKind {
    /// A product of the element-wise cell update (`f*c`, `r*hn`, …).
    Update,
    /// A per-row scale product `m_r·acc`, one per lane row (P) of a tensor with multipliers.
    Scale,
    /// A lane product of an int-k tensor with multi-bit activations (P·S of them).
    Lane,
}

/// One multiplier of an engine: operand widths and the width of the product the datapath keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multiplier {
    /// Its name in `qrnn.json` (`f*c`, `m_r*acc_w lane 0`, `head m_r*acc lane 1`, `lane`).
    pub what: String,
    /// What it is for.
    pub kind: MultKind,
    /// Operand widths.
    pub widths: (u32, u32),
    /// Width of the product as kept (yosys sees the cut).
    pub result: u32,
}

/// The name of update unit `k`'s product `what` ([`Engine::multipliers`]): `what` for unit 0,
/// `what unit k` for the others.
pub fn update_product_name(what: &str, k: usize) -> String {
    if k == 0 {
        what.to_string()
    } else {
        format!("{what} unit {k}")
    }
}

impl Engine {
    /// Every multiplier of this engine once folded: the cell update's products, the per-row scale
    /// products and the int-k lane products. `qrnn.json`'s `elementwise_products` lists the first
    /// two kinds; the fit counts hard multipliers from all of them.
    pub fn multipliers(&self) -> Vec<Multiplier> {
        let mut v = Vec::new();
        let mut push = |what: String, kind, (a, b): (u32, u32), result| {
            v.push(Multiplier {
                what,
                kind,
                widths: (a, b),
                result,
            })
        };
        let tw = self.table_width;
        // one set per update unit: unit 0's keep their names, unit k's are `f*c unit k`
        for k in 0..self.units.max(1) {
            let nm = |what: &str| update_product_name(what, k);
            match self.cell {
                Some(Cell::Gru) => {
                    let a = tw.max(self.act_frac + 2);
                    let b = self.h_fmt.width().max(2);
                    let pw = self.pre.width;
                    push(nm("r*hn"), MultKind::Update, (tw, pw), tw + pw);
                    push(nm("(1-z)*n"), MultKind::Update, (a, tw), a + tw);
                    push(nm("z*h"), MultKind::Update, (tw, b), tw + b);
                }
                Some(_) => {
                    let cw = self.c_fmt.map(|c| c.width).unwrap_or(0);
                    push(nm("f*c"), MultKind::Update, (tw, cw), tw + cw);
                    push(nm("i*g"), MultKind::Update, (tw, tw), 2 * tw);
                    // with 1-bit activations h is the sign of o·tanh(c), taken without the product
                    if !self.h_fmt.is_binary() {
                        push(nm("o*tanh(c)"), MultKind::Update, (tw, tw), 2 * tw);
                    }
                }
                None => {}
            }
        }
        let f = self.fold.unwrap_or(Fold::SERIAL);
        for (nm, mv) in [("w", Some(&self.w)), ("u", self.u.as_ref())] {
            let Some(mv) = mv else { continue };
            if mv.has_mult() {
                for lane in 0..f.p {
                    let what = match self.id {
                        EngineId::Head => format!("head m_r*acc lane {lane}"),
                        EngineId::Layer(_) => format!("m_r*acc_{nm} lane {lane}"),
                    };
                    push(what, MultKind::Scale, (17, mv.acc_width), 17 + mv.acc_width);
                }
            }
            if let Scheme::Int(k) = mv.scheme {
                if !mv.act.is_binary() {
                    let a = mv.act.width();
                    // the product is cut to the lane width, which yosys' wreduce sees
                    let y = (u32::from(k) + a).min(mv.lane_width);
                    for _ in 0..f.p * f.s {
                        push(format!("lanes {nm}"), MultKind::Lane, (u32::from(k), a), y);
                    }
                }
            }
        }
        v
    }
}

/// A whole design.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    /// Model name.
    pub model_name: String,
    /// Model hash.
    pub model_hash: String,
    /// Input elements per timestep.
    pub in_len: usize,
    /// Input format.
    pub x_fmt: ActFmt,
    /// Layers.
    pub layers: Vec<Engine>,
    /// Head.
    pub head: Option<Engine>,
    /// Output elements per timestep.
    pub out_len: usize,
    /// Output element width.
    pub out_width: u32,
    /// Cycles per timestep in a stream of timesteps, the initiation interval (after `schedule`,
    /// docs/HARDWARE.md §3, §5): [`initiation_interval`] of the latency.
    pub cycles_per_step: u64,
    /// The terms of the latency, one per controller phase (after `schedule`); the manifest's
    /// `cycle_formula` is rendered from them.
    pub cycle_terms: Vec<CycleTerm>,
    /// Buffer memories of the dense layers, after `place-memories` (docs/HARDWARE.md §4.1).
    pub buffers: Vec<Buffer>,
    /// The products that are LUT multipliers because the device has too few DSP blocks for them,
    /// as `(engine, what)` of [`Engine::multipliers`] (`place-memories`, docs/HARDWARE.md §10).
    pub lut_products: std::collections::BTreeSet<(EngineId, String)>,
    /// Flash byte address of the weight image, when weights are in SPRAM (docs/HARDWARE.md §4.3).
    pub flash_offset: u32,
}

impl Design {
    /// All engines, layers then head.
    pub fn engines(&self) -> impl Iterator<Item = &Engine> {
        self.layers.iter().chain(self.head.iter())
    }

    /// The `S` of each copy of layer `l`'s hidden-state memory: the layer's own (its U lanes)
    /// first, then each different `S` of the engine that reads `h` next (the next layer or the
    /// head), docs/HARDWARE.md §4.1. Empty for a ConvLSTM layer.
    pub fn h_copies(&self, l: usize) -> Vec<usize> {
        let e = &self.layers[l];
        if e.conv.is_some() {
            return Vec::new();
        }
        let s_of = |e: &Engine| e.fold.map_or(1, |f| f.s);
        let mut v = vec![s_of(e)];
        let next = self.layers.get(l + 1).or(if l + 1 == self.layers.len() {
            self.head.as_ref()
        } else {
            None
        });
        if let Some(n) = next {
            if !v.contains(&s_of(n)) {
                v.push(s_of(n));
            }
        }
        v
    }

    /// The buffer memories the folded design needs, unplaced (style `Registers`): `x` (a dense
    /// model), and per dense layer its `h` copies, `c` (LSTM) and `z` (docs/HARDWARE.md §4.1).
    pub fn plan_buffers(&self) -> Vec<Buffer> {
        let mut v = Vec::new();
        let mk = |name: String, elems: usize, banks: Vec<u32>| Buffer {
            name,
            elems,
            words: elems.div_ceil(banks.len()).max(1),
            banks,
            read_ports: 1,
            style: RamStyle::Registers,
        };
        let Some(l0) = self.layers.first() else {
            return v;
        };
        if l0.conv.is_none() {
            let s0 = l0.fold.map_or(1, |f| f.s).min(self.in_len);
            // two halves, element `i` of half `p` at word `2·(i div S₀) + p`: the input fills
            // one while the compute reads the other (docs/HARDWARE.md §4.2)
            let mut x = mk("x".into(), self.in_len, vec![self.x_fmt.width(); s0]);
            x.words = 2 * self.in_len.div_ceil(s0);
            v.push(x);
        }
        for (l, e) in self.layers.iter().enumerate() {
            if e.conv.is_some() {
                continue;
            }
            // two halves per copy, element `j` of half `p` at word `2·(j div S) + p`: the
            // update writes h_t into one while the U lanes read h_{t−1} from the other (§4.2)
            let halves = |mut b: Buffer| {
                b.words = 2 * e.hidden.div_ceil(b.banks.len());
                b
            };
            for (k, s) in self.h_copies(l).into_iter().enumerate() {
                let n = s.min(e.hidden);
                v.push(halves(mk(
                    format!("l{l}_h{k}"),
                    e.hidden,
                    vec![e.h_fmt.width(); n],
                )));
            }
            // one bank per update unit: unit `j` in bank `j mod U` (§4.2)
            let un = e.units.max(1);
            if e.cell == Some(Cell::Gru) {
                // the GRU update's own copy: it reads h_{t−1}[j] while the U lanes read copy 0
                v.push(halves(mk(
                    format!("l{l}_hg"),
                    e.hidden,
                    vec![e.h_fmt.width(); un],
                )));
            }
            if l + 1 == self.layers.len() && self.head.is_none() && e.hidden > 1 {
                // the output's copy: it reads timestep t's h while the next compute's U lanes
                // read copy 0 (with one unit, two registers stand in for it)
                v.push(halves(mk(
                    format!("l{l}_ho"),
                    e.hidden,
                    vec![e.h_fmt.width(); un],
                )));
            }
            if let Some(c) = e.c_fmt {
                let mut cb = mk(format!("l{l}_c"), e.hidden, vec![c.width; un]);
                if self.c_halves() {
                    cb.words = 2 * e.hidden.div_ceil(un);
                }
                v.push(cb);
            }
            let g = e.gates();
            let zw = e.pre.width;
            let widths = (0..e.z_banks())
                .map(|b| {
                    if e.cell == Some(Cell::Gru) && b % g == 2 {
                        // {xn, hn}
                        e.sigs
                            .iter()
                            .find(|s| s.name == "n_sum")
                            .map_or(0, |s| s.width)
                            + zw
                    } else {
                        zw
                    }
                })
                .collect();
            v.push(mk(format!("l{l}_z"), g * e.hidden, widths));
        }
        v
    }

    /// The update units of dense layer `l` once folded (docs/HARDWARE.md §4.2): 1, or the fewest of
    /// 2, 4 and 8 that bring the wait `D` of its trailing update to 2 cycles or less (the least
    /// `D` they reach where none does), among those that divide `H`, the `z` bank groups
    /// `⌈P/G⌉` and the banks of every copy of `h` — so that each unit of a batch has a bank of
    /// its own everywhere. A fold whose one unit per cycle keeps `D ≤ 2` keeps 1, and so does a
    /// layer whose `h` another engine reads (a next layer or a head): that reader's copy has
    /// `min(S, H)` banks for the reader's `S`, so its `U` would depend on another engine's
    /// fold, and the fit's cost tables (`qrnn_plan::fit`) need a layer's cycles to follow from
    /// its own fold alone.
    pub fn update_units(&self, l: usize) -> usize {
        let e = &self.layers[l];
        let (Some(_), None, Some(_)) = (e.fold, e.conv, e.cell) else {
            return 1;
        };
        if l + 1 < self.layers.len() || self.head.is_some() {
            return 1;
        }
        let g = e.gates();
        let h = e.hidden;
        let wait = |u: usize| e.update_wait_with(u);
        let m = e.z_banks() / g;
        let copies: Vec<usize> = self.h_copies(l).iter().map(|s| (*s).min(h)).collect();
        let fits = |u: usize| {
            h.is_multiple_of(u)
                && m.is_multiple_of(u)
                && copies.iter().all(|nb| nb.is_multiple_of(u))
        };
        let mut best = 1;
        for u in [2, 4, 8] {
            if wait(best) <= 2 {
                break;
            }
            if fits(u) && wait(u) < wait(best) {
                best = u;
            }
        }
        best
    }

    /// Whether the design overlaps timesteps (docs/HARDWARE.md §4.2): a dense model (LSTM/GRU
    /// layers, dense head) does; a ConvLSTM model works on one timestep at a time.
    pub fn overlapped(&self) -> bool {
        self.layers.iter().all(|e| e.conv.is_none())
    }

    /// The cycles of a dense core's head that may run beside the next timestep
    /// ([`initiation_interval`]): the head's, where it reads a copy of the last layer's `h` of
    /// its own ([`head_has_own_copy`]), else 0 (no head, a ConvLSTM core). From the folds and
    /// pipeline levels (after `fold`), as `schedule` counts them.
    pub fn head_cycles(&self) -> u64 {
        let s_of = |e: &Engine| e.fold.map_or(0, |f| f.s);
        match (&self.head, self.layers.last()) {
            (Some(h), Some(l)) if self.overlapped() && head_has_own_copy(s_of(h), s_of(l)) => {
                engine_cycles(h)
            }
            _ => 0,
        }
    }

    /// Whether the head runs beside the next timestep's layers ([`head_overlaps`]; after `fold`).
    pub fn head_overlapped(&self) -> bool {
        let layers: u64 = self.layers.iter().map(engine_cycles).sum();
        self.overlapped() && head_overlaps(layers, self.head_cycles(), self.out_len)
    }

    /// Whether every LSTM layer's `c` memory has two halves, word `2·j + half` (docs/HARDWARE.md
    /// §2, §4.1): with a head beside the next timestep ([`Design::head_overlapped`]), whose
    /// update may write `c_{t+1}` before timestep `t`'s output begins, so that the probes of the
    /// timestep being output still show its state. The buffer plan, the update and the probes ask
    /// this.
    pub fn c_halves(&self) -> bool {
        self.head_overlapped()
    }

    /// Cycles from a timestep's first input handshake to its last output handshake, with the
    /// handshakes held high (docs/HARDWARE.md §3): the sum of the cycle terms (after `schedule`).
    pub fn latency(&self) -> u64 {
        self.cycle_terms.iter().map(|t| t.cycles).sum()
    }

    /// A buffer by name.
    pub fn buffer(&self, name: &str) -> Option<&Buffer> {
        self.buffers.iter().find(|b| b.name == name)
    }

    /// Check the invariants that hold after pass `stage` (a pass name); the error names the engine.
    pub fn verify(&self, stage: &str) -> Result<(), String> {
        let fail = |e: &Engine, m: String| Err(format!("after pass `{stage}`: {}: {m}", e.id));
        if self.layers.is_empty() {
            return Err(format!(
                "after pass `{stage}`: a design has at least one layer"
            ));
        }
        for e in self.engines() {
            if e.u.as_ref().is_some_and(|u| u.rows() != e.w.rows()) {
                return fail(e, "U's rows differ from W's".into());
            }
            if e.bias.len() != e.rows() {
                return fail(e, format!("{} biases for {} rows", e.bias.len(), e.rows()));
            }
            let bias_h = if e.cell == Some(Cell::Gru) {
                e.rows()
            } else {
                0
            };
            if e.bias_h.len() != bias_h {
                return fail(
                    e,
                    format!("{} recurrent biases b_h, {bias_h} expected", e.bias_h.len()),
                );
            }
            if e.cell.is_some() {
                // the σ and tanh tables are indexed by the whole pre-activation (NUMERICS.md §6)
                let n = 1usize.checked_shl(e.pre.width).unwrap_or(0);
                for (t, v) in [("sigmoid", &e.sigmoid), ("tanh", &e.tanh)] {
                    if v.len() != n {
                        return fail(
                            e,
                            format!(
                                "{t} table of {} entries, 2^{} expected",
                                v.len(),
                                e.pre.width
                            ),
                        );
                    }
                }
            }
            if let Some(f) = e.fold {
                let lim = e.fold_limit();
                if !f.within(lim) {
                    return fail(e, format!("fold {f} outside 1..={}x1..={}", lim.p, lim.s));
                }
            }
            for s in &e.sigs {
                if s.width == 0 || s.width > 64 {
                    return fail(e, format!("signal `{}` has width {}", s.name, s.width));
                }
            }
            for mv in std::iter::once(&e.w).chain(e.u.iter()) {
                if mv.acc_width > 64 || (mv.acc_width > 0 && mv.acc_width < mv.dot_width) {
                    return fail(
                        e,
                        format!(
                            "accumulator {} bits narrower than its chunk sum {}",
                            mv.acc_width, mv.dot_width
                        ),
                    );
                }
                if let (Some(rom), Some(f)) = (&mv.rom, e.fold) {
                    let depth = e.rows().div_ceil(f.p) * mv.chunks(f);
                    let width = (f.p * f.s) as u32 * mv.scheme.bits();
                    if rom.words.len() != depth || rom.width != width {
                        return fail(
                            e,
                            format!(
                                "ROM {} is {}x{}, the fold needs {depth}x{width}",
                                rom.name,
                                rom.words.len(),
                                rom.width
                            ),
                        );
                    }
                    let digits = rom.width.div_ceil(4) as usize;
                    let top_bits = rom.width - 4 * (digits as u32 - 1);
                    // every character a hex digit (so slicing cannot split a character), and
                    // the top digit within the width
                    let bad = rom.words.iter().any(|w| {
                        w.len() != digits
                            || !w.bytes().all(|b| b.is_ascii_hexdigit())
                            || u8::from_str_radix(&w[..1], 16)
                                .map_or(true, |d| (d as u32) >> top_bits != 0)
                    });
                    if bad {
                        return fail(
                            e,
                            format!(
                                "ROM {} has a word that is not {} bits of hex",
                                rom.name, rom.width
                            ),
                        );
                    }
                }
                if (stage == "place-memories" || stage == "schedule")
                    && mv
                        .rom
                        .as_ref()
                        .is_some_and(|r| r.placement == Placement::Unplaced)
                {
                    return fail(e, "memory left unplaced".into());
                }
            }
            if stage == "schedule" {
                if e.fold.is_none() {
                    return fail(e, "unfolded after `schedule`".into());
                }
                if e.conv.is_some() && e.pipe != Pipe::NONE {
                    return fail(e, "a ConvLSTM engine is not pipelined".into());
                }
                if e.pipe.mv > Pipe::MAX_MV || e.pipe.update > Pipe::MAX_UPDATE {
                    return fail(e, format!("pipeline {} beyond the deepest", e.pipe));
                }
                let expect = match (e.conv, e.cell) {
                    (None, _) => e.issue_cycles() + 1 + e.pipe.mv as u64,
                    (Some(c), Some(_)) => {
                        c.prime() as u64 + 1 + c.pixels() as u64 * (e.issue_cycles() + 2)
                    }
                    (Some(c), None) => c.pixels() as u64 * (e.issue_cycles() + 1) + 1,
                };
                if e.cycles_mv != expect {
                    return fail(
                        e,
                        format!(
                            "cycles_mv {} != {expect} (docs/HARDWARE.md §5, §9)",
                            e.cycles_mv
                        ),
                    );
                }
                // the engine's phases are the schedule's terms for it
                let term = |phase: Phase| {
                    self.cycle_terms
                        .iter()
                        .find(|t| t.phase == phase)
                        .map_or(0, |t| t.cycles)
                };
                let (mv, update) = (term(Phase::Mv(e.id)), term(Phase::Update(e.id)));
                if e.cycles_mv != mv || e.cycles_update != update {
                    return fail(
                        e,
                        format!(
                            "cycles_mv {} and cycles_update {} differ from the cycle terms ({} and {})",
                            e.cycles_mv,
                            e.cycles_update,
                            mv,
                            update
                        ),
                    );
                }
            }
            // after `size`, every signal the elaboration asks for ([`Engine::sig`]) is there
            if !matches!(stage, "lower" | "fold") {
                if let Some(missing) = e
                    .required_sigs()
                    .iter()
                    .find(|n| !e.sigs.iter().any(|s| s.name == **n))
                {
                    return fail(e, format!("signal `{missing}` missing after `size`"));
                }
            }
        }
        if stage == "place-memories" || stage == "schedule" {
            // the buffers are the ones the folded design needs, each within the port rule
            let want = self.plan_buffers();
            for b in &self.buffers {
                if b.read_ports == 0 || b.read_ports > MAX_READ_PORTS {
                    return Err(format!(
                        "after pass `{stage}`: buffer {} has {} read ports, 1..={MAX_READ_PORTS} allowed",
                        b.name, b.read_ports
                    ));
                }
                if b.words * b.banks.len() < b.elems {
                    return Err(format!(
                        "after pass `{stage}`: buffer {} holds {} words in {} banks for {} elements",
                        b.name,
                        b.words,
                        b.banks.len(),
                        b.elems
                    ));
                }
            }
            let shape = |v: &[Buffer]| -> Vec<(String, usize, usize, Vec<u32>)> {
                v.iter()
                    .map(|b| (b.name.clone(), b.elems, b.words, b.banks.clone()))
                    .collect()
            };
            if shape(&self.buffers) != shape(&want) {
                return Err(format!(
                    "after pass `{stage}`: buffers {:?} are not the ones the folding needs {:?}",
                    shape(&self.buffers),
                    shape(&want)
                ));
            }
        }
        if stage == "schedule" {
            let sum: u64 = self.in_len as u64
                + u64::from(self.overlapped())
                + self
                    .engines()
                    .map(|e| e.cycles_mv + e.cycles_update)
                    .sum::<u64>()
                + self.out_len as u64;
            let terms = self.latency();
            if terms != sum {
                return Err(format!(
                    "after pass `{stage}`: the latency (sum of cycle terms) {terms} != sum of phases {sum}"
                ));
            }
            let ii = initiation_interval(
                sum,
                self.in_len,
                self.out_len,
                self.overlapped(),
                self.head_cycles(),
            );
            if ii != self.cycles_per_step {
                return Err(format!(
                    "after pass `{stage}`: cycles_per_step {} != the initiation interval {ii} of latency {sum} (docs/HARDWARE.md §5)",
                    self.cycles_per_step
                ));
            }
            for t in &self.cycle_terms {
                match crate::manifest::eval_cycle_expr(&t.numeric) {
                    Ok(v) if v == t.cycles => {}
                    r => {
                        return Err(format!(
                            "after pass `{stage}`: cycle term {} `{}` evaluates to {r:?}, not {}",
                            t.phase, t.numeric, t.cycles
                        ))
                    }
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Design {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "design {} (model {})",
            self.model_name,
            &self.model_hash[..16.min(self.model_hash.len())]
        )?;
        writeln!(f, "  input  {} × {}", self.in_len, self.x_fmt)?;
        writeln!(f, "  output {} × {} bits", self.out_len, self.out_width)?;
        for e in self.engines() {
            let fold = e
                .fold
                .map(|x| format!("{}x{}", x.p, x.s))
                .unwrap_or_else(|| "?".into());
            writeln!(
                f,
                "  engine {} {} rows={} hidden={} fold={fold} mv={} update={} cycles",
                e.id,
                e.cell
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "head".into()),
                e.rows(),
                e.hidden,
                e.cycles_mv,
                e.cycles_update
            )?;
            for (n, mv) in [("w", Some(&e.w)), ("u", e.u.as_ref())] {
                if let Some(mv) = mv {
                    let rom = mv
                        .rom
                        .as_ref()
                        .map(|r| format!(" rom {}x{} {:?}", r.words.len(), r.width, r.placement))
                        .unwrap_or_default();
                    writeln!(
                        f,
                        "    {n}: {} {}x{} act {} scale {}2^-{} lane s{} dot s{} acc s{}{rom}",
                        mv.scheme,
                        mv.rows(),
                        mv.cols(),
                        mv.act,
                        if mv.has_mult() { "m·" } else { "" },
                        mv.shift,
                        mv.lane_width,
                        mv.dot_width,
                        mv.acc_width
                    )?;
                }
            }
            for s in &e.sigs {
                writeln!(
                    f,
                    "    sig {:<10} {}{} frac {}",
                    s.name,
                    if s.signed { "s" } else { "u" },
                    s.width,
                    s.frac
                )?;
            }
        }
        writeln!(f, "  cycles/timestep {}", self.cycles_per_step)
    }
}
