//! `qrnn-fpga`: the targets qrnn-hw builds for: FPGA families, devices, boards, the files a board
//! adds to a generated project, and the reports of the tools that build it.
//!
//! - [`device`]: the families (iCE40, ECP5, Gowin) and devices with their resources.
//! - [`board`]: the boards of `constraints/boards.toml` (embedded, with their pin files; the
//!   directory is `crates/fpga/constraints/`).
//! - [`pinfile`]: a reader for PCF, LPF and CST pin files.
//! - [`pll`]: the core clock of a board design, made from the board's crystal by the family's
//!   PLL (parameters computed as icepll, ecppll and Gowin's rPLL formula do).
//! - [`project`]: what a board adds to a generated project (the primitives of `crates/fpga/hw/`,
//!   pin file, top, bitstream rules).
//! - [`report`]: resources and speed of a build (yosys `stat -json`, nextpnr `--report`) beside
//!   the compiler's prediction.
//! - [`error`]: [`FpgaError`], the diagnostics of the above and of `qrnn_link::program`.
//!
//! Everything it embeds (`include_str!`) lies inside this crate's directory. Planning (auto-fit,
//! design space, plots) is `qrnn-plan`; talking to a board (UART protocol, serial port, the
//! simulated board, flashing) is `qrnn-link`.
//!
//! The board top's ports are fixed (crates/fpga/constraints/README.md): `clk`, `uart_tx`,
//! `uart_rx`, `led[N]` (`led` on a one-LED board) and, where the board has a button, `btn_rst`.

pub mod board;
pub mod device;
pub mod error;
pub mod pinfile;
pub mod pll;
pub mod project;
pub mod report;

pub use board::{boards, find_board, Board, Level, Mode, PllInput, Tool};
pub use device::{device, Device, Family, DEVICES};
pub use error::FpgaError;

#[cfg(test)]
mod tests;
