//! `qrnn-link`: talking to a board.
//!
//! - [`protocol`]: the host side of the board top's UART protocol (docs/PROTOCOL.md).
//! - [`serial`]: [`serial::SerialLink`], a serial port (a board's USB UART or a simulated board's
//!   pty) as a protocol [`protocol::Link`].
//! - [`board_sim`]: the simulated board of a board project: the Verilator bridge
//!   `crates/link/sim/uart_pty.cpp` (embedded) and its Makefile rules (`make sim-board`).
//! - [`program`]: the command that loads a bitstream onto a board (openFPGALoader, iceprog,
//!   icesprog), SRAM or flash.
//!
//! Boards, families and the board top's baud rate come from `qrnn-fpga`; errors of flashing are
//! [`qrnn_fpga::FpgaError`]. Everything it embeds (`include_str!`) lies inside this crate's
//! directory.

pub mod board_sim;
pub mod program;
pub mod protocol;
pub mod serial;

pub use program::{bitstream_path, program_command, ProgramCommand};
