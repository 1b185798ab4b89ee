//! The in-memory model: architecture, formats, quantized codes, biases and activation tables, with
//! the validation every reader applies (docs/NUMERICS.md, docs/QW_FORMAT.md).
//!
//! Invariant: a `Model` that passed [`Model::validate`] has every tensor of the right shape, every
//! code in its set, every table entry in range, and every named value within 62 bits (§5.1). The
//! golden model and the hardware generator may rely on that without re-checking.

use crate::analysis;
use crate::error::{field, QwError};
use crate::fixed::{ActFmt, Fmt};
use crate::name;
use crate::scheme::Scheme;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Largest number of elements of one tensor a reader accepts (guards allocations on bad input).
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 26;
/// Largest hidden size, input size, output count or map side.
pub const MAX_DIM: usize = 1 << 16;

/// The recurrent cell of a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cell {
    /// PyTorch `nn.LSTM` (gates i, f, g, o).
    Lstm,
    /// PyTorch `nn.GRU` (gates r, z, n).
    Gru,
    /// Shi et al. 2015 ConvLSTM (gates i, f, g, o), same padding.
    ConvLstm,
}

impl Cell {
    /// Number of gates (rows per hidden unit).
    pub fn gates(self) -> usize {
        match self {
            Cell::Lstm | Cell::ConvLstm => 4,
            Cell::Gru => 3,
        }
    }
    /// Gate names in row order.
    pub fn gate_names(self) -> &'static [&'static str] {
        match self {
            Cell::Lstm | Cell::ConvLstm => &["i", "f", "g", "o"],
            Cell::Gru => &["r", "z", "n"],
        }
    }
    /// Whether the cell keeps a cell state `c`.
    pub fn has_c(self) -> bool {
        !matches!(self, Cell::Gru)
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cell::Lstm => "lstm",
            Cell::Gru => "gru",
            Cell::ConvLstm => "convlstm",
        })
    }
}

impl FromStr for Cell {
    type Err = String;
    fn from_str(s: &str) -> Result<Cell, String> {
        match s {
            "lstm" => Ok(Cell::Lstm),
            "gru" => Ok(Cell::Gru),
            "convlstm" => Ok(Cell::ConvLstm),
            _ => Err(format!(
                "unknown cell {s:?}: expected lstm, gru or convlstm"
            )),
        }
    }
}

/// A per-row (or per-tensor) scale `α_r = mult_r · 2^-shift` (§4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// One multiplier for all rows, or one per row; each in 1..=65535. All 1: power-of-two scale.
    pub mult: Vec<u32>,
    /// The exponent `k` of `2^-k`, in -16..=48.
    pub shift: i32,
}

impl Scale {
    /// A power-of-two scale `2^-shift`.
    pub fn pow2(shift: i32) -> Scale {
        Scale {
            mult: vec![1],
            shift,
        }
    }
    /// The multiplier of row `r`.
    pub fn mult_of(&self, r: usize) -> i64 {
        if self.mult.len() == 1 {
            self.mult[0] as i64
        } else {
            self.mult[r] as i64
        }
    }
    /// The real scale of row `r`.
    pub fn alpha(&self, r: usize) -> f64 {
        self.mult_of(r) as f64 * (2f64).powi(-self.shift)
    }
    /// Whether every multiplier is 1 (the multiplier-free case).
    pub fn is_pow2(&self) -> bool {
        self.mult.iter().all(|m| *m == 1)
    }
}

/// A quantized weight tensor: codes of a scheme, row-major, with its scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    /// Code set and bit encoding.
    pub scheme: Scheme,
    /// `[rows, cols]` for dense, `[rows, channels, k, k]` for convolution (OIHW).
    pub shape: Vec<usize>,
    /// Row-major codes, each valid for `scheme`.
    pub codes: Vec<i8>,
    /// Scale per row or per tensor.
    pub scale: Scale,
}

impl Weights {
    /// Output rows.
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }
    /// Elements per row (`cols`, or `channels·k·k`).
    pub fn row_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }
    /// The codes of row `r`.
    pub fn row(&self, r: usize) -> &[i8] {
        let n = self.row_len();
        &self.codes[r * n..(r + 1) * n]
    }
    /// Number of payload bits.
    pub fn bits(&self) -> u64 {
        self.codes.len() as u64 * self.scheme.bits() as u64
    }
}

/// One recurrent layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Cell type.
    pub cell: Cell,
    /// Hidden units (channels for ConvLSTM).
    pub hidden: usize,
    /// Kernel side `k` (odd) for ConvLSTM; 1 for LSTM/GRU.
    pub kernel: usize,
    /// Pre-activation format `fixed<Wz,Fz>`: the σ/tanh table index (§6).
    pub pre: Fmt,
    /// Fraction bits `Fa` of gate values (table outputs).
    pub act_frac: u32,
    /// Cell state format (LSTM, ConvLSTM); `None` for GRU.
    pub c_fmt: Option<Fmt>,
    /// Hidden state format.
    pub h_fmt: ActFmt,
    /// Bias format.
    pub bias_fmt: Fmt,
    /// Input weights `W`.
    pub w: Weights,
    /// Recurrent weights `U`.
    pub u: Weights,
    /// LSTM/ConvLSTM: `b` (= PyTorch b_ih + b_hh); GRU: `b_x` (PyTorch b_ih).
    pub bias: Vec<i64>,
    /// GRU: `b_h` (PyTorch b_hh); empty for other cells.
    pub bias_h: Vec<i64>,
    /// σ table, `2^Wz` entries at fraction `Fa`.
    pub sigmoid: Vec<i64>,
    /// tanh table, `2^Wz` entries at fraction `Fa`.
    pub tanh: Vec<i64>,
}

impl Layer {
    /// Rows of `W`/`U`: gates × hidden.
    pub fn rows(&self) -> usize {
        self.cell.gates() * self.hidden
    }
    /// Table index of a saturated pre-activation (§6).
    pub fn table_index(&self, z: i64) -> usize {
        (z + (1i64 << (self.pre.width - 1))) as usize
    }
}

/// The optional dense head (1×1 convolution for ConvLSTM), §8.
#[derive(Clone, Debug, PartialEq)]
pub struct Head {
    /// `D[O][H]` codes and scale.
    pub w: Weights,
    /// Bias per output, in `bias_fmt`.
    pub bias: Vec<i64>,
    /// Bias format.
    pub bias_fmt: Fmt,
    /// Output format `Y`.
    pub out_fmt: Fmt,
}

impl Head {
    /// Number of outputs `O`.
    pub fn outputs(&self) -> usize {
        self.w.rows()
    }
}

/// The network input.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    /// Features per timestep (LSTM/GRU) or channels per pixel (ConvLSTM).
    pub size: usize,
    /// Map height and width (ConvLSTM only).
    pub map: Option<(usize, usize)>,
    /// Input activation format.
    pub format: ActFmt,
}

/// Where a model came from (recorded in the header, covered by the hash). `tool`, `dataset` and
/// `task` are labels, `notes` free text and the `metrics` keys names ([`crate::name`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// What produced the file, e.g. `qrnn-hw 0.1.0 example`.
    #[serde(default)]
    pub tool: String,
    /// Data set name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Task: `classification`, `regression`, `frames`, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Random seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Training epochs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<u32>,
    /// Named figures: `float_accuracy`, `quantized_accuracy`, `golden_accuracy`, `mse`, ...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Provenance {
    /// What a header can hold: TOML integers are signed 64-bit, so `seed` must be at most
    /// `i64::MAX`; metrics must be finite (so that a model read back compares equal to itself).
    /// (The naming rule is [`Provenance::check_names`].)
    pub fn validate(&self) -> Result<(), QwError> {
        if let Some(seed) = self.seed.filter(|s| *s > i64::MAX as u64) {
            return Err(field(
                "provenance.seed",
                format!(
                    "{seed} is larger than {} (TOML integers are signed 64-bit)",
                    i64::MAX
                ),
            ));
        }
        if let Some((k, v)) = self.metrics.iter().find(|(_, v)| !v.is_finite()) {
            return Err(field(
                format!("provenance.metrics.{}", name::escape::text_line(k)),
                format!("must be a finite number, found {v}"),
            ));
        }
        Ok(())
    }

    /// The naming rule (docs/QW_FORMAT.md §3.1): `tool`, `dataset` and `task` are labels,
    /// `notes` free text, and every `metrics` key a name.
    pub fn check_names(&self) -> Result<(), QwError> {
        name::check_label("provenance.tool", &self.tool)?;
        if let Some(d) = &self.dataset {
            name::check_label("provenance.dataset", d)?;
        }
        if let Some(t) = &self.task {
            name::check_label("provenance.task", t)?;
        }
        if let Some(n) = &self.notes {
            name::check_notes("provenance.notes", n)?;
        }
        for k in self.metrics.keys() {
            name::check_name("provenance.metrics", k).map_err(|e| match e {
                QwError::Name {
                    field,
                    shown,
                    problem,
                    rule,
                    ..
                } => QwError::Name {
                    field,
                    shown: format!("key {shown}"),
                    problem,
                    rule,
                    fix: "`qrnn-hw convert IN OUT` rewrites a model file with such metric names made valid (docs/CLI.md#names)".into(),
                },
                e => e,
            })?;
        }
        Ok(())
    }

    /// Make every field follow the naming rule: labels and notes get their forbidden characters
    /// escaped (labels also cut to 256 characters), metric keys are legalised (a key that then
    /// collides with another is numbered). Returns the fields that changed. `qrnn-hw convert` uses
    /// it to repair old files.
    pub fn legalise(&mut self) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut label = |field: &'static str, s: &mut String| {
            let l = name::legalise_label(s);
            if l != *s {
                *s = l;
                changed.push(field);
            }
        };
        label("provenance.tool", &mut self.tool);
        if let Some(d) = &mut self.dataset {
            label("provenance.dataset", d);
        }
        if let Some(t) = &mut self.task {
            label("provenance.task", t);
        }
        if let Some(n) = &mut self.notes {
            let l = name::legalise_notes(n);
            if l != *n {
                *n = l;
                changed.push("provenance.notes");
            }
        }
        if self.metrics.keys().any(|k| !name::is_name(k)) {
            let mut out = BTreeMap::new();
            for (k, v) in std::mem::take(&mut self.metrics) {
                let base = name::legalise(&k);
                let mut key = base.clone();
                let mut i = 2;
                while out.contains_key(&key) {
                    let suffix = format!("_{i}");
                    let keep = name::MAX_NAME_CHARS - suffix.len();
                    key = format!("{}{suffix}", &base[..base.len().min(keep)]);
                    i += 1;
                }
                out.insert(key, v);
            }
            self.metrics = out;
            changed.push("provenance.metrics");
        }
        changed
    }
}

/// A complete quantized recurrent network.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The model's name: 1 to 64 characters from `A-Z a-z 0-9 _ . -` ([`crate::name`]).
    pub name: String,
    /// Input description.
    pub input: InputSpec,
    /// Layers, first to last.
    pub layers: Vec<Layer>,
    /// Optional dense head.
    pub head: Option<Head>,
    /// Provenance.
    pub provenance: Provenance,
}

impl Model {
    /// Input format of layer `l`.
    pub fn layer_input_fmt(&self, l: usize) -> ActFmt {
        if l == 0 {
            self.input.format
        } else {
            self.layers[l - 1].h_fmt
        }
    }
    /// Input size of layer `l`.
    pub fn layer_input_size(&self, l: usize) -> usize {
        if l == 0 {
            self.input.size
        } else {
            self.layers[l - 1].hidden
        }
    }
    /// Whether the model is convolutional (ConvLSTM).
    pub fn is_conv(&self) -> bool {
        self.input.map.is_some()
    }
    /// Pixels per frame (1 for LSTM/GRU).
    pub fn pixels(&self) -> usize {
        self.input.map.map(|(h, w)| h * w).unwrap_or(1)
    }
    /// Values per timestep of input.
    pub fn input_len(&self) -> usize {
        self.pixels() * self.input.size
    }
    /// Values per timestep of output: the head's outputs, or the last layer's hidden state.
    pub fn output_len(&self) -> usize {
        self.pixels() * self.output_channels()
    }
    /// Output channels per pixel (features for LSTM/GRU).
    pub fn output_channels(&self) -> usize {
        match &self.head {
            Some(h) => h.outputs(),
            None => self.layers.last().map(|l| l.hidden).unwrap_or(0),
        }
    }
    /// Total weight memory in bits (W, U and head codes).
    pub fn weight_bits(&self) -> u64 {
        self.layers
            .iter()
            .map(|l| l.w.bits() + l.u.bits())
            .sum::<u64>()
            + self.head.as_ref().map(|h| h.w.bits()).unwrap_or(0)
    }

    /// Check the naming rule and every invariant of the numeric contract; the first violation is
    /// returned.
    pub fn validate(&self) -> Result<(), QwError> {
        self.check_names()?;
        self.validate_except_names()
    }

    /// The naming rule (docs/QW_FORMAT.md §3.1) for the model name and the provenance.
    pub fn check_names(&self) -> Result<(), QwError> {
        name::check_model_name(&self.name)?;
        self.provenance.check_names()
    }

    /// [`Model::validate`] without the naming rule: for the lenient read of `qrnn-hw convert`
    /// ([`crate::qw::from_bytes_to_rename`]), which renames old files.
    pub(crate) fn validate_except_names(&self) -> Result<(), QwError> {
        if self.layers.is_empty() {
            return Err(field("layer", "a model needs at least one layer"));
        }
        if self.layers.len() > 64 {
            return Err(field("layer", "at most 64 layers are supported"));
        }
        check_dim("input.size", self.input.size)?;
        let conv = self.layers[0].cell == Cell::ConvLstm;
        match (conv, self.input.map) {
            (true, None) => {
                return Err(field(
                    "input.height",
                    "a ConvLSTM model needs input.height and input.width",
                ))
            }
            (false, Some(_)) => {
                return Err(field(
                    "input.height",
                    "input.height/width are only for ConvLSTM models",
                ))
            }
            (true, Some((h, w))) => {
                check_dim("input.height", h)?;
                check_dim("input.width", w)?;
                if h.checked_mul(w).is_none_or(|p| p > MAX_DIM * 16) {
                    return Err(field("input.height", "map too large"));
                }
            }
            _ => {}
        }
        for (l, layer) in self.layers.iter().enumerate() {
            let f = |name: &str| format!("layer[{l}].{name}");
            if (layer.cell == Cell::ConvLstm) != conv {
                return Err(field(
                    f("cell"),
                    "ConvLSTM layers cannot be mixed with LSTM/GRU layers",
                ));
            }
            check_dim(&f("hidden"), layer.hidden)?;
            if layer.cell == Cell::ConvLstm {
                if layer.kernel % 2 == 0 || layer.kernel > 15 {
                    return Err(field(
                        f("kernel"),
                        format!("kernel must be odd and at most 15, found {}", layer.kernel),
                    ));
                }
            } else if layer.kernel != 1 {
                return Err(field(f("kernel"), "kernel is only for ConvLSTM layers"));
            }
            if !(2..=12).contains(&layer.pre.width) {
                return Err(field(
                    f("pre"),
                    format!(
                        "pre-activation width must be 2..=12 (it indexes a table of 2^W entries), found {}",
                        layer.pre.width
                    ),
                ));
            }
            if !(1..=14).contains(&layer.act_frac) {
                return Err(field(
                    f("act_frac"),
                    format!(
                        "must be 1..=14 (tables hold 16-bit entries), found {}",
                        layer.act_frac
                    ),
                ));
            }
            match (layer.cell.has_c(), layer.c_fmt) {
                (true, None) => {
                    return Err(field(
                        f("c"),
                        "LSTM/ConvLSTM layers need a cell-state format `c`",
                    ))
                }
                (false, Some(_)) => {
                    return Err(field(f("c"), "GRU layers have no cell state; remove `c`"))
                }
                _ => {}
            }
            let rows = layer.rows();
            let in_size = self.layer_input_size(l);
            let k = layer.kernel;
            let (wshape, ushape) = if conv {
                (vec![rows, in_size, k, k], vec![rows, layer.hidden, k, k])
            } else {
                (vec![rows, in_size], vec![rows, layer.hidden])
            };
            let why = format!(
                "{} {} layer with {} inputs and hidden {}",
                layer.cell, l, in_size, layer.hidden
            );
            check_weights(&format!("layer{l}.w"), &layer.w, &wshape, &why)?;
            check_weights(&format!("layer{l}.u"), &layer.u, &ushape, &why)?;
            let bname = if layer.cell == Cell::Gru { "b_x" } else { "b" };
            check_values(
                &format!("layer{l}.{bname}"),
                &layer.bias,
                rows,
                layer.bias_fmt,
                &why,
            )?;
            if layer.cell == Cell::Gru {
                check_values(
                    &format!("layer{l}.b_h"),
                    &layer.bias_h,
                    rows,
                    layer.bias_fmt,
                    &why,
                )?;
            } else if !layer.bias_h.is_empty() {
                return Err(QwError::Tensor {
                    tensor: format!("layer{l}.b_h"),
                    message: "only GRU layers have a separate recurrent bias".into(),
                });
            }
            let n = 1usize << layer.pre.width;
            let one = 1i64 << layer.act_frac;
            check_table(&format!("layer{l}.sigmoid"), &layer.sigmoid, n, 0, one)?;
            check_table(&format!("layer{l}.tanh"), &layer.tanh, n, -one, one)?;
        }
        if let Some(head) = &self.head {
            let last = self.layers.last().map(|l| l.hidden).unwrap_or(0);
            let o = head.w.rows();
            check_dim("head.outputs", o)?;
            check_weights(
                "head.w",
                &head.w,
                &[o, last],
                "dense head over the last layer's hidden state",
            )?;
            check_values(
                "head.b",
                &head.bias,
                o,
                head.bias_fmt,
                "one bias per head output",
            )?;
        }
        self.provenance.validate()?;
        analysis::analyze(self).map(|_| ())
    }
}

fn check_dim(name: &str, v: usize) -> Result<(), QwError> {
    if v == 0 || v > MAX_DIM {
        return Err(field(name, format!("must be 1..={MAX_DIM}, found {v}")));
    }
    Ok(())
}

fn check_weights(name: &str, w: &Weights, expected: &[usize], why: &str) -> Result<(), QwError> {
    if w.shape != expected {
        return Err(QwError::ShapeMismatch {
            tensor: name.into(),
            found: w.shape.clone(),
            expected: expected.to_vec(),
            why: why.into(),
        });
    }
    let n: usize = expected.iter().product();
    if w.codes.len() != n {
        return Err(QwError::Tensor {
            tensor: name.into(),
            message: format!("holds {} codes, its shape needs {n}", w.codes.len()),
        });
    }
    if let Some((i, c)) = w
        .codes
        .iter()
        .enumerate()
        .find(|(_, c)| !w.scheme.is_valid(**c as i64))
    {
        return Err(QwError::CodeOutOfRange {
            tensor: name.into(),
            index: i,
            at: String::new(),
            value: c.to_string(),
            encoding: w.scheme.to_string(),
            expected: format!("codes {:?}", short_codes(w.scheme)),
        });
    }
    let rows = w.rows();
    if w.scale.mult.len() != 1 && w.scale.mult.len() != rows {
        return Err(field(
            format!("tensor[{name}].scale.mult"),
            format!(
                "needs 1 entry or one per row ({rows}), found {}",
                w.scale.mult.len()
            ),
        ));
    }
    if let Some(m) = w.scale.mult.iter().find(|m| !(1..=65535).contains(*m)) {
        return Err(field(
            format!("tensor[{name}].scale.mult"),
            format!("multipliers must be 1..=65535, found {m}"),
        ));
    }
    if !(-16..=48).contains(&w.scale.shift) {
        return Err(field(
            format!("tensor[{name}].scale.shift"),
            format!("must be -16..=48, found {}", w.scale.shift),
        ));
    }
    Ok(())
}

fn short_codes(s: Scheme) -> String {
    let c = s.codes();
    if c.len() > 5 {
        format!("{}..={}", c[0], c[c.len() - 1])
    } else {
        format!("{c:?}")
    }
}

fn check_values(name: &str, v: &[i64], n: usize, fmt: Fmt, why: &str) -> Result<(), QwError> {
    if v.len() != n {
        return Err(QwError::ShapeMismatch {
            tensor: name.into(),
            found: vec![v.len()],
            expected: vec![n],
            why: why.into(),
        });
    }
    if let Some((i, x)) = v
        .iter()
        .enumerate()
        .find(|(_, x)| !(fmt.min()..=fmt.max()).contains(*x))
    {
        return Err(QwError::CodeOutOfRange {
            tensor: name.into(),
            index: i,
            at: String::new(),
            value: x.to_string(),
            encoding: fmt.to_string(),
            expected: format!("{}..={}", fmt.min(), fmt.max()),
        });
    }
    Ok(())
}

fn check_table(name: &str, t: &[i64], n: usize, lo: i64, hi: i64) -> Result<(), QwError> {
    if t.len() != n {
        return Err(QwError::ShapeMismatch {
            tensor: name.into(),
            found: vec![t.len()],
            expected: vec![n],
            why: "a table has 2^Wz entries for the pre-activation width Wz".into(),
        });
    }
    if let Some((i, x)) = t.iter().enumerate().find(|(_, x)| !(lo..=hi).contains(*x)) {
        return Err(QwError::CodeOutOfRange {
            tensor: name.into(),
            index: i,
            at: String::new(),
            value: x.to_string(),
            encoding: "table".into(),
            expected: format!("{lo}..={hi} (NUMERICS.md §6)"),
        });
    }
    Ok(())
}
