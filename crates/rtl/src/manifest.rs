//! The design manifest, written as `qrnn.json` into every generated project: what was generated,
//! from which model, with which folding, and the compiler's predictions (cycles, resources).
//! The co-simulation harness reads its interface facts from here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Folding of one matrix-vector engine: `p` output rows × `s` input columns per cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Output rows per cycle.
    pub p: usize,
    /// Input columns per cycle.
    pub s: usize,
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
    pub target: String,
    /// Board, when generated with `--board` (its device and package then set the build defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<String>,
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
    /// Exact cycles per timestep (docs/HARDWARE.md §3).
    pub cycles_per_step: u64,
    /// The formula with its terms, for people.
    pub cycle_formula: String,
    /// Element-wise products (may map to DSPs).
    pub elementwise_products: Vec<ElementwiseProduct>,
    /// Predicted resources (docs/HARDWARE.md §6).
    pub resources: crate::resources::Resources,
    /// The auto-fit choice, when generated with `--fit` (docs/HARDWARE.md "Auto-fit"); absent
    /// otherwise, and in manifests written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<FitManifest>,
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
    pub folds: BTreeMap<String, Fold>,
    /// Engines whose folding was pinned with `--fold` rather than searched.
    #[serde(default)]
    pub pinned: Vec<String>,
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
