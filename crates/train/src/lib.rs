//! `qrnn-train`: the training side of qrnn-hw.
//!
//! - [`quant`]: the quantizers of Alom et al. 2018 (binary, ternary, quaternary) with
//!   straight-through gradients (docs/QUANTIZATION.md);
//! - [`import`]: PyTorch `nn.LSTM`/`nn.GRU`/`nn.Linear` state dicts (safetensors, `.npz`) to `.qw`;
//! - [`datasets`]: loaders for the real data sets used by `qrnn-hw train` and `make results`;
//! - [`train`]: quantization-aware training in candle and export to `.qw` (docs/TRAINING.md).

pub mod datasets;
pub mod eval;
pub mod import;
pub mod quant;
pub mod train;
