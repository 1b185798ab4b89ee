//! `qrnn-plan`: planning a design for a device before anything is synthesised.
//!
//! - [`fit`]: auto-fit, the fastest folding within a device's budget (`gen --fit`), and the
//!   design space around it (`report --plot`). Devices and their resources come from
//!   `qrnn_fpga::device`; the predictions from `qrnn_rtl::resources`.
//! - [`plot`]: SVG plots (plotters, no fonts needed): the design space, docs/bench/*.svg.
//!
//! It embeds no files, runs no external tool and touches no board.

pub mod feasible;
pub mod fit;
pub mod plot;
