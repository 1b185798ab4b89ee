//! `qrnn-sim`: co-simulation of generated designs against the golden model.
//!
//! It writes what a generated project's `sim/` holds — the stimulus and the expected outputs and
//! per-layer states that the golden model computes, the testbench (`sim/qrnn_tb.v`, hand-written
//! and generic) with its generated include files, and the golden trace for mismatch reports — plus
//! the project's Makefile, and runs Verilator or Icarus through it.
//!
//! The golden model is the only source of expected values; the RTL never sees it.
//!
//! Modules, by job (their public items are re-exported here):
//!
//! | module | job |
//! |---|---|
//! | [`stimulus`] | the inputs: [`Stimulus`], seeded random and the default stimulus |
//! | [`testbench`] | the files of a project's `sim/`: vectors, testbench and includes, golden trace ([`sim_files`]) |
//! | [`makefile`](mod@makefile) | the project's Makefile ([`makefile()`]) |
//! | [`tools`] | finding Verilator, Icarus, Yosys ([`Tool`]); the skip-or-fail rule of tests that need them |
//! | [`run`] | running the testbench ([`run_make`], [`verilator_fast`], [`icarus`]; with [`RunOpts`]: random backpressure) and the lint ([`lint`]) |
//! | [`cycles`] | checking a passing run's cycle figures against the manifest ([`check_cycles`]) |
//! | [`error`] | [`SimError`], with a diagnostic code `qrnn::sim::…` per variant |
//!
//! A complete project — RTL, `sim/`, Makefile, manifest, README, board files — is assembled by
//! `qrnn-project`, the one path `qrnn-hw gen` and the tests share.

pub mod cycles;
pub mod error;
pub mod makefile;
pub mod run;
pub mod stimulus;
pub mod testbench;
pub mod tools;

pub use cycles::check_cycles;
pub use error::SimError;
pub use makefile::makefile;
pub use run::{
    icarus, icarus_with, lint, run_make, run_make_with, verilator_fast, verilator_fast_with,
    Backpressure, Outcome, RunOpts, Simulator,
};
pub use stimulus::Stimulus;
pub use testbench::{sim_files, REPORT_SH, TESTBENCH};
pub use tools::Tool;

/// A file of the generated project: path relative to its root, and contents.
pub type File = (String, String);
