//! `qrnn-fpga`: what qrnn-hw knows about FPGAs and boards.
//!
//! - [`device`]: the families (iCE40, ECP5, Gowin) and devices with their resources.
//! - [`board`]: the boards of `constraints/boards.toml` (embedded, with their pin files).
//! - [`pinfile`]: a reader for PCF, LPF and CST pin files.
//! - [`program`]: the command that loads a bitstream onto a board (openFPGALoader, iceprog,
//!   icesprog), SRAM or flash.
//! - [`protocol`]: the host side of the board top's UART protocol (docs/PROTOCOL.md).
//! - [`project`]: what a board adds to a generated project (primitives, pin file, top, rules).
//! - [`fit`]: auto-fit, the fastest folding within a device's budget (`gen --fit`), and the
//!   design space around it (`report --plot`).
//! - [`plot`]: SVG plots (plotters, no fonts needed): the design space, docs/bench/*.svg.
//! - [`report`]: resources and speed of a build (yosys `stat -json`, nextpnr `--report`) beside
//!   the compiler's prediction.
//!
//! The board top's ports are fixed (constraints/README.md): `clk`, `uart_tx`, `uart_rx`,
//! `led[N]` (`led` on a one-LED board) and, where the board has a button, `btn_rst`.

pub mod board;
pub mod board_sim;
pub mod device;
pub mod error;
pub mod fit;
pub mod pinfile;
pub mod plot;
pub mod program;
pub mod project;
pub mod protocol;
pub mod report;
pub mod serial;

pub use board::{boards, find_board, Board, Level, Mode, Tool};
pub use device::{device, Device, Family, DEVICES};
pub use error::FpgaError;
pub use program::{bitstream_path, program_command, ProgramCommand};

#[cfg(test)]
mod tests;
