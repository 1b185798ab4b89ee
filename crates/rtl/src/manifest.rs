//! The design manifest, written as `qrnn.json` into every generated project: what was generated,
//! from which model, with which folding, and the compiler's predictions (cycles, resources).
//! The co-simulation harness reads its interface facts from here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::vocab::{EngineId, Family, Fold};

/// A controller phase of one timestep (docs/HARDWARE.md §5): it prints, and is written into
/// `qrnn.json`, as `load`, `layer<l>.mv`, `layer<l>.update`, `head.mv` or `out`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The input vector is loaded.
    Load,
    /// An engine's matrix-vector phase.
    Mv(EngineId),
    /// A layer's element-wise update.
    Update(EngineId),
    /// The output vector is sent.
    Out,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Phase::Load => f.write_str("load"),
            Phase::Mv(e) => write!(f, "{e}.mv"),
            Phase::Update(e) => write!(f, "{e}.update"),
            Phase::Out => f.write_str("out"),
        }
    }
}

impl std::str::FromStr for Phase {
    type Err = String;
    fn from_str(s: &str) -> Result<Phase, String> {
        match s {
            "load" => Ok(Phase::Load),
            "out" => Ok(Phase::Out),
            _ => {
                let bad = || {
                    format!("expected a phase (load, ENGINE.mv, ENGINE.update, out), found {s:?}")
                };
                let (e, what) = s.rsplit_once('.').ok_or_else(bad)?;
                let e: EngineId = e.parse().map_err(|_| bad())?;
                match what {
                    "mv" => Ok(Phase::Mv(e)),
                    "update" => Ok(Phase::Update(e)),
                    _ => Err(bad()),
                }
            }
        }
    }
}

impl Serialize for Phase {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Phase, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One term of a timestep's latency: a controller phase as the `schedule` pass counted it
/// (docs/HARDWARE.md §5, §9). `cycle_formula` is rendered from these terms, and their sum is
/// the `latency`; the cycles per timestep follow from it ([`crate::ir::initiation_interval`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleTerm {
    /// The phase: `load`, `layer<l>.mv`, `layer<l>.update`, `head.mv` or `out`.
    pub phase: Phase,
    /// The expression in the symbols of docs/HARDWARE.md, e.g. `⌈4H/P⌉·(⌈I/S⌉ + ⌈H/S⌉) + 1`.
    pub symbolic: String,
    /// The same expression with the design's numbers, e.g. `⌈32/1⌉·(⌈8/8⌉ + ⌈8/8⌉) + 1`;
    /// [`eval_cycle_expr`] evaluates it to `cycles`.
    pub numeric: String,
    /// Cycles of the phase.
    pub cycles: u64,
}

/// Render the machine-checkable `cycle_formula` of `terms`: `phase[symbolic = numeric = cycles]`
/// per term, joined by ` + `, then ` = ` and the total (their sum). [`check_cycle_formula`] reads
/// it back.
pub fn cycle_formula(terms: &[CycleTerm]) -> String {
    let total: u64 = terms.iter().map(|t| t.cycles).sum();
    let parts: Vec<String> = terms.iter().map(CycleTerm::to_string).collect();
    format!("{} = {total}", parts.join(" + "))
}

/// One term as `cycle_formula` writes it: `phase[symbolic = numeric = cycles]`, the numeric
/// part left out where it is the value itself.
impl std::fmt::Display for CycleTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.cycles.to_string();
        if self.numeric == value {
            write!(f, "{}[{} = {value}]", self.phase, self.symbolic)
        } else {
            write!(
                f,
                "{}[{} = {} = {value}]",
                self.phase, self.symbolic, self.numeric
            )
        }
    }
}

/// Check a `cycle_formula` (as [`cycle_formula`] writes it): every term's numeric expression
/// evaluates to the term's value, and the values sum to the stated total. Returns the total and
/// the terms as `(phase, cycles)`.
pub fn check_cycle_formula(formula: &str) -> Result<(u64, Vec<(String, u64)>), String> {
    let bad = |m: String| Err(format!("cycle_formula `{formula}`: {m}"));
    // split at the top level (outside `[...]`)
    let mut depth = 0i32;
    let mut cuts = Vec::new();
    for (i, ch) in formula.char_indices() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            '=' | '+' if depth == 0 => cuts.push((i, ch)),
            _ => {}
        }
    }
    if depth != 0 {
        return bad("unbalanced brackets".into());
    }
    let Some(&(eq, _)) = cuts.last().filter(|c| c.1 == '=') else {
        return bad("no ` = total` at the end".into());
    };
    if cuts.iter().filter(|c| c.1 == '=').count() != 1 {
        return bad("more than one top-level `=`".into());
    }
    let total: u64 = match formula[eq + 1..].trim().parse() {
        Ok(t) => t,
        Err(_) => return bad("the total is not a number".into()),
    };
    let mut terms = Vec::new();
    let mut start = 0;
    for &(i, _) in cuts.iter() {
        let term = formula[start..i].trim();
        start = i + 1;
        let (Some(open), true) = (term.find('['), term.ends_with(']')) else {
            return bad(format!("term `{term}` is not `phase[…]`"));
        };
        let phase = term[..open].trim().to_string();
        let pieces: Vec<&str> = term[open + 1..term.len() - 1].split(" = ").collect();
        if pieces.len() < 2 {
            return bad(format!("term `{term}` has no value"));
        }
        let value: u64 = match pieces[pieces.len() - 1].trim().parse() {
            Ok(v) => v,
            Err(_) => return bad(format!("term `{term}`: the value is not a number")),
        };
        for p in &pieces[1..pieces.len() - 1] {
            match eval_cycle_expr(p) {
                Ok(v) if v == value => {}
                Ok(v) => return bad(format!("term `{term}`: `{p}` is {v}, not {value}")),
                Err(e) => return bad(format!("term `{term}`: {e}")),
            }
        }
        terms.push((phase, value));
    }
    let sum: u64 = terms.iter().map(|t| t.1).sum();
    if sum != total {
        return bad(format!("the terms sum to {sum}, not {total}"));
    }
    Ok((total, terms))
}

/// Evaluate a numeric cycle expression: natural numbers, `+`, `·` (or `*`), parentheses,
/// `⌈a/b⌉` (ceiling division), `max(a, b)` and `min(a, b)`.
pub fn eval_cycle_expr(s: &str) -> Result<u64, String> {
    struct P<'a> {
        c: std::iter::Peekable<std::str::Chars<'a>>,
    }
    impl P<'_> {
        fn peek(&mut self) -> Option<char> {
            while self.c.peek().is_some_and(|c| c.is_whitespace()) {
                self.c.next();
            }
            self.c.peek().copied()
        }
        fn eat(&mut self, want: char) -> Result<(), String> {
            match self.peek() {
                Some(c) if c == want => {
                    self.c.next();
                    Ok(())
                }
                c => Err(format!("expected `{want}`, found {c:?}")),
            }
        }
        fn expr(&mut self) -> Result<u64, String> {
            let mut v = self.term()?;
            while self.peek() == Some('+') {
                self.c.next();
                v = v.checked_add(self.term()?).ok_or("overflow")?;
            }
            Ok(v)
        }
        fn term(&mut self) -> Result<u64, String> {
            let mut v = self.factor()?;
            while matches!(self.peek(), Some('·' | '*')) {
                self.c.next();
                v = v.checked_mul(self.factor()?).ok_or("overflow")?;
            }
            Ok(v)
        }
        fn factor(&mut self) -> Result<u64, String> {
            match self.peek() {
                Some('(') => {
                    self.c.next();
                    let v = self.expr()?;
                    self.eat(')')?;
                    Ok(v)
                }
                Some('⌈') => {
                    self.c.next();
                    let a = self.expr()?;
                    self.eat('/')?;
                    let b = self.expr()?;
                    self.eat('⌉')?;
                    if b == 0 {
                        return Err("division by zero".into());
                    }
                    Ok(a.div_ceil(b))
                }
                Some('m') => {
                    let name: String = (0..3).filter_map(|_| self.c.next()).collect();
                    let f: fn(u64, u64) -> u64 = match name.as_str() {
                        "max" => u64::max,
                        "min" => u64::min,
                        _ => return Err(format!("unknown function `{name}`")),
                    };
                    self.eat('(')?;
                    let a = self.expr()?;
                    self.eat(',')?;
                    let b = self.expr()?;
                    self.eat(')')?;
                    Ok(f(a, b))
                }
                Some(c) if c.is_ascii_digit() => {
                    let mut v: u64 = 0;
                    while let Some(d) = self.c.peek().and_then(|c| c.to_digit(10)) {
                        self.c.next();
                        v = v
                            .checked_mul(10)
                            .and_then(|v| v.checked_add(d as u64))
                            .ok_or("overflow")?;
                    }
                    Ok(v)
                }
                c => Err(format!("unexpected {c:?}")),
            }
        }
    }
    let mut p = P {
        c: s.chars().peekable(),
    };
    let v = p.expr().map_err(|e| format!("`{s}`: {e}"))?;
    match p.peek() {
        None => Ok(v),
        Some(c) => Err(format!("`{s}`: unexpected `{c}`")),
    }
}

/// One layer of the generated design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerManifest {
    /// `lstm`, `gru` or `convlstm`.
    pub cell: String,
    /// Input size (features/channels).
    pub input: usize,
    /// Hidden size.
    pub hidden: usize,
    /// Weight schemes of W and U.
    pub scheme: String,
    /// Folding of the W and U engines (shared).
    pub fold: Fold,
    /// `rom` (block RAM, `$readmemh`) or `logic` (hard-wired).
    pub weights: String,
    /// Width of an `h` element in bits (1 for binary).
    pub h_width: u32,
    /// Whether `h` is binary.
    pub h_binary: bool,
    /// Width of a `c` element (LSTM/ConvLSTM).
    pub c_width: Option<u32>,
    /// Cycles of the matrix-vector phase per timestep.
    pub cycles_mv: u64,
    /// Cycles of the element-wise update phase per timestep.
    pub cycles_update: u64,
    /// Units the update issues per cycle (docs/HARDWARE.md §4.2; 1 for ConvLSTM).
    #[serde(default = "one")]
    pub update_units: usize,
}

fn one() -> usize {
    1
}

/// The head of the generated design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadManifest {
    /// Outputs.
    pub outputs: usize,
    /// Folding.
    pub fold: Fold,
    /// Cycles per timestep.
    pub cycles: u64,
}

/// An element-wise multiplication of the cell update (reported separately from the
/// multiplier-free matrix-vector engines).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElementwiseProduct {
    /// Layer index.
    pub layer: usize,
    /// Which product, e.g. `f*c`.
    pub what: String,
    /// Operand widths.
    pub widths: (u32, u32),
}

/// The flash image of the weights placed in SPRAM (docs/HARDWARE.md §4.3): a 44-byte header
/// (magic `QRWI`, version, the model's SHA-256, the payload length), the payload (16-bit words,
/// most significant byte first) and a CRC-32 of everything before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightImage {
    /// The image in the project, one byte per line in hex (`$readmemh` form): `flash/weights.hex`.
    pub file: String,
    /// Byte address in the SPI flash where the loader reads it.
    pub offset: u32,
    /// Length in bytes (header, payload and CRC).
    pub bytes: u32,
    /// CRC-32/BZIP2 of the header and payload, as stored in the image's last four bytes.
    pub crc32: u32,
    /// The memories it holds, in image order.
    pub memories: Vec<String>,
    /// SB_SPRAM256KA blocks they occupy.
    pub spram_blocks: u32,
    /// Cycles from the release of `rst` until the core's `in_ready` can first rise (the load).
    pub load_cycles: u64,
}

/// The core clock of a board project (`gen --board`, `--clock-mhz`): the PLL that makes it from
/// the board's clock (docs/HARDWARE.md §7 "Clocking"). Written by the generator from
/// `qrnn_fpga::pll`; the board top's `CLK_HZ`, the Makefile's `CORE_MHZ` and the README say the
/// same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardClock {
    /// The board's clock (its crystal or oscillator), Hz.
    pub board_hz: u64,
    /// The core clock asked for (`--clock-mhz`, or the family's default), MHz.
    pub requested_mhz: f64,
    /// The core clock the PLL makes (at most the requested one), MHz.
    pub achieved_mhz: f64,
    /// The achieved frequency in whole hertz, rounded down: the board top's `CLK_HZ`.
    pub clk_hz: u64,
    /// The PLL primitive (`SB_PLL40_PAD`, `SB_PLL40_CORE`, `EHXPLLL`, `rPLL`).
    pub pll: String,
    /// Its parameters by name (`DIVR`, `DIVF`, …).
    pub params: std::collections::BTreeMap<String, u32>,
    /// The PLL's oscillator frequency, MHz.
    pub vco_mhz: f64,
}

/// `qrnn.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Model name.
    pub model_name: String,
    /// Model hash (SHA-256 hex).
    pub model_hash: String,
    /// Generator and version.
    pub generator: String,
    /// FPGA family targeted.
    pub target: Family,
    /// Board, when generated with `--board` (its device and package then set the build defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<String>,
    /// The board project's core clock and its PLL; absent without a board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board_clock: Option<BoardClock>,
    /// Device short name for place and route (`up5k`, `hx8k`, …), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Package for place and route, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Input elements per timestep.
    pub in_len: usize,
    /// Output elements per timestep.
    pub out_len: usize,
    /// Input element width (1 for binary).
    pub wx: u32,
    /// Output element width (1 for binary).
    pub wy: u32,
    /// Whether the input is binary.
    pub x_binary: bool,
    /// Whether the output is binary.
    pub y_binary: bool,
    /// Layers.
    pub layers: Vec<LayerManifest>,
    /// Head.
    pub head: Option<HeadManifest>,
    /// Exact cycles per timestep in a stream of timesteps, the initiation interval
    /// (docs/HARDWARE.md §3, §5): a run of `T` timesteps takes `(T − 1)·cycles_per_step + latency`.
    pub cycles_per_step: u64,
    /// Cycles from a timestep's first input handshake to its last output handshake (§3).
    #[serde(default)]
    pub latency: u64,
    /// Cycles from a timestep's first input handshake to the next timestep's (§3).
    #[serde(default)]
    pub initiation_interval: u64,
    /// The pipeline levels of the dense engines (docs/HARDWARE.md §4.4; `gen --pipeline`); all 0
    /// for a ConvLSTM model, and in manifests written before the levels existed.
    #[serde(default)]
    pub pipeline: crate::ir::Pipe,
    /// The clock the timing model expects on the project's device, MHz
    /// ([`crate::timing::fmax_estimate`], docs/HARDWARE.md §4.5): an estimate, not a measurement
    /// (`make pnr` / `qrnn-hw build` report the placed Fmax).
    #[serde(default)]
    pub fmax_estimate_mhz: f64,
    /// Timesteps per second at that clock: `fmax_estimate_mhz · 10⁶ / cycles_per_step`.
    #[serde(default)]
    pub timesteps_per_second_estimate: f64,
    /// The buffer memories and where they live (§4.1; absent in manifests written before them).
    #[serde(default)]
    pub buffers: Vec<crate::ir::Buffer>,
    /// The products made LUT multipliers because the device has too few DSP blocks for them
    /// (`engine: what`, §10 "DSP budget"; empty in manifests written before it).
    #[serde(default)]
    pub lut_products: Vec<String>,
    /// The weight tensors compiled as constant matrices to shared adder graphs (docs/HARDWARE.md
    /// §4.7); empty when none is (and in manifests written before them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constant_matrices: Vec<ConstantMatrix>,
    /// The weight image of the memories placed in SPRAM, which the core's loader reads from the
    /// board's SPI flash before it accepts input (docs/HARDWARE.md §4.3); absent when no weight
    /// memory is in SPRAM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_image: Option<WeightImage>,
    /// The formula with its terms, rendered from `cycle_terms` (machine-checkable:
    /// [`check_cycle_formula`]).
    pub cycle_formula: String,
    /// The terms of the `latency`, one per controller phase, as the `schedule` pass counted
    /// them (absent in manifests written before they existed).
    #[serde(default)]
    pub cycle_terms: Vec<CycleTerm>,
    /// Element-wise products (may map to DSPs).
    pub elementwise_products: Vec<ElementwiseProduct>,
    /// Predicted resources (docs/HARDWARE.md §6).
    pub resources: crate::resources::Resources,
    /// The auto-fit choice, when generated with `--fit` (docs/HARDWARE.md "Auto-fit"); absent
    /// otherwise, and in manifests written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<FitManifest>,
    /// The prediction in the family's own units, as `gen --fit` budgets it (docs/HARDWARE.md
    /// §10): what `report` sets beside the placed counts. Absent in manifests written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_use: Option<FamilyUse>,
}

/// The predicted use of a design in its family's units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyUse {
    /// `logic_cells` (iCE40: a LUT4 with its flip-flop in one cell, what nextpnr-ice40 places) or
    /// `lut4` (ECP5, Gowin).
    pub logic_unit: String,
    /// How many of them.
    pub logic: u64,
    /// DSP blocks (SB_MAC16, MULT18X18D, MULT18X18) of the products that are not LUT products.
    pub dsp: u64,
}

/// A weight tensor compiled to a shared adder graph (docs/HARDWARE.md §4.7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstantMatrix {
    /// The weight memory (`l0_w`, `l0_u`, …, `hd_w`).
    pub tensor: String,
    /// Rows × columns.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Adders (and subtractors) of the graph.
    pub adders: usize,
    /// Of them, shared by several rows.
    pub shared: usize,
    /// The longest path, in adders.
    pub depth: u32,
    /// Adders of plain per-row trees (one fewer than each row's nonzero codes), for comparison.
    pub plain_adders: usize,
}

/// The largest `qrnn.json` [`Manifest::read`] reads (a real one is a few KiB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

impl Manifest {
    /// Read the `qrnn.json` of a generated project directory. The error is the reason, for the
    /// caller to put beside the path: `cannot read: …` (absent, not a regular file, too large)
    /// or `not a qrnn-hw manifest: …` (not JSON of this schema).
    pub fn read(dir: &std::path::Path) -> Result<Manifest, String> {
        let path = dir.join("qrnn.json");
        let meta = std::fs::symlink_metadata(&path).map_err(|e| format!("cannot read: {e}"))?;
        if !meta.file_type().is_file() {
            return Err("cannot read: not a regular file".into());
        }
        if meta.len() > MAX_MANIFEST_BYTES {
            return Err(format!(
                "cannot read: {} bytes, more than a manifest's {MAX_MANIFEST_BYTES}",
                meta.len()
            ));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("not a qrnn-hw manifest: {e}"))
    }
}

/// What `qrnn-hw gen --fit` chose and why it fits: the device, the folding, and per budgeted
/// resource the prediction against the device's amount times the utilisation ceiling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitManifest {
    /// Device short name (`up5k`, `hx8k`, `25k`, …).
    pub device: String,
    /// The vendor's part name (`iCE40UP5K`, …).
    pub part: String,
    /// Chosen folding per engine (`layer0`, …, `head`).
    pub folds: BTreeMap<EngineId, Fold>,
    /// Engines whose folding was pinned with `--fold` rather than searched.
    #[serde(default)]
    pub pinned: Vec<EngineId>,
    /// Weight placement of the chosen design: `auto`, `rom` or `logic`.
    pub weights: String,
    /// Cycles per timestep of the chosen folding (equals `cycles_per_step`).
    pub cycles_per_step: u64,
    /// Cycles per timestep of the slowest candidate (every searched engine at 1×1).
    pub slowest_cycles_per_step: u64,
    /// The budgeted resources.
    pub resources: Vec<FitResource>,
}

/// One budgeted resource of a fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitResource {
    /// `logic_cells` (iCE40: predicted LUT4 + FF), `lut4`, `ff`, `bram_blocks` or `dsp`.
    pub resource: String,
    /// Predicted use.
    pub predicted: u64,
    /// What the device has.
    pub available: u64,
    /// The utilisation ceiling applied (a fraction).
    pub ceiling: f64,
    /// The budget: `⌊available · ceiling⌋`; `predicted ≤ budget`.
    pub budget: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrnn_model::example::{example, ExampleSpec};
    use qrnn_model::{Cell, Scheme};

    #[test]
    fn phases_print_and_parse_back() {
        for p in [
            Phase::Load,
            Phase::Mv(EngineId::Layer(2)),
            Phase::Update(EngineId::Layer(0)),
            Phase::Mv(EngineId::Head),
            Phase::Out,
        ] {
            assert_eq!(p.to_string().parse::<Phase>(), Ok(p));
            let j = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Phase>(&j).unwrap(), p);
        }
        assert_eq!(
            Phase::Update(EngineId::Layer(1)).to_string(),
            "layer1.update"
        );
        for bad in ["", "layer0", "layer0.up", "head.x", "tail.mv", "LOAD"] {
            assert!(bad.parse::<Phase>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn evaluates_cycle_expressions() {
        assert_eq!(eval_cycle_expr("⌈32/5⌉·(⌈8/8⌉ + ⌈9/8⌉) + 1"), Ok(22));
        assert_eq!(
            eval_cycle_expr("1 + (2·5 + 2) + 35·(⌈12/1⌉·⌈3/1⌉ + 2)"),
            Ok(1343)
        );
        assert_eq!(eval_cycle_expr("7"), Ok(7));
        assert_eq!(
            eval_cycle_expr("⌈64/2⌉·max(⌈4/4⌉, ⌈16/4⌉) + min(⌈4/4⌉, ⌈16/4⌉) + 1"),
            Ok(130)
        );
        assert!(eval_cycle_expr("mix(1, 2)").is_err());
        assert!(eval_cycle_expr("max(1 2)").is_err());
        assert!(eval_cycle_expr("⌈3/0⌉").is_err());
        assert!(eval_cycle_expr("3 +").is_err());
        assert!(eval_cycle_expr("3 4").is_err());
    }

    #[test]
    fn formula_of_every_cell_sums_to_the_latency() {
        for (cell, head) in [
            (Cell::Lstm, None),
            (Cell::Gru, Some(3)),
            (Cell::ConvLstm, None),
            (Cell::ConvLstm, Some(2)),
        ] {
            let mut spec = ExampleSpec::new(cell, Scheme::Ternary, 2, 3, 7);
            spec.hidden = vec![3, 2];
            spec.head = head;
            if cell == Cell::ConvLstm {
                spec.kernel = 3;
                spec.map = Some((7, 5));
            }
            let m = example(&spec);
            let g = crate::generate(&m, &crate::passes::Options::default(), |_, _| {}).unwrap();
            let man = g.manifest;
            let (total, terms) =
                check_cycle_formula(&man.cycle_formula).unwrap_or_else(|e| panic!("{cell:?}: {e}"));
            assert_eq!(total, man.latency, "{}", man.cycle_formula);
            // a dense model streams: the longest of its input (and the cycle its compute starts
            // in), compute and output (and a cycle between timesteps); a ConvLSTM model takes the
            // whole latency per timestep (docs/HARDWARE.md §5). A dense head whose S differs from
            // the last layer's runs beside the next timestep's layers, out of the compute, when it
            // and the output fit in the layers' cycles with one to spare (§4.2). Worked out here
            // on its own, against `ir::initiation_interval`.
            let start = u64::from(cell != Cell::ConvLstm);
            let compute = total - (man.in_len + man.out_len) as u64 - start;
            let s_last = man.layers.last().map(|l| l.fold.s);
            let head = man
                .head
                .as_ref()
                .filter(|h| Some(h.fold.s) != s_last)
                .map_or(0, |h| h.cycles);
            let beside = head > 0 && head + (man.out_len as u64) < compute.saturating_sub(head);
            let ii = if cell == Cell::ConvLstm {
                total
            } else {
                (if beside { compute - head } else { compute })
                    .max(man.in_len as u64 + 1)
                    .max(man.out_len as u64 + 1)
            };
            if cell == Cell::Gru {
                assert!(
                    beside,
                    "{}: the GRU's head should run beside",
                    man.cycle_formula
                );
            }
            assert_eq!(man.cycles_per_step, ii, "{}", man.cycle_formula);
            assert_eq!(man.initiation_interval, ii);
            assert_eq!(terms.len(), man.cycle_terms.len());
            let per_engine: u64 = man
                .layers
                .iter()
                .map(|l| l.cycles_mv + l.cycles_update)
                .chain(man.head.as_ref().map(|h| h.cycles))
                .sum();
            assert_eq!(
                total,
                man.in_len as u64 + start + per_engine + man.out_len as u64,
                "{}",
                man.cycle_formula
            );
        }
    }

    #[test]
    fn a_wrong_formula_is_caught() {
        let ok = "load[IN_LEN = 4] + layer0.mv[⌈4H/P⌉·(⌈I/S⌉ + ⌈H/S⌉) + 1 = ⌈8/1⌉·(⌈2/8⌉ + ⌈2/8⌉) + 1 = 17] + out[OUT_LEN = 2] = 23";
        assert_eq!(check_cycle_formula(ok).unwrap().0, 23);
        for bad in [
            ok.replace("= 23", "= 24"),
            ok.replace("= 17]", "= 18]"),
            ok.replace(" = 23", ""),
            ok.replace("⌈8/1⌉", "⌈8/2⌉"),
        ] {
            assert_ne!(bad, ok);
            assert!(check_cycle_formula(&bad).is_err(), "{bad}");
        }
    }
}
