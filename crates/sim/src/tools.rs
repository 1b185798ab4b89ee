//! The external tools the co-simulation and its tests run (Verilator, Icarus, Yosys): found through
//! an override variable or `PATH`, and the rule for a test that finds one missing
//! (`QRNN_REQUIRE_TOOLS=1` fails, otherwise it skips).

use std::process::Command;

/// An external tool, found through an override variable (`QRNN_VERILATOR`, …) or `PATH`.
#[derive(Clone, Debug)]
pub struct Tool {
    /// Command to run.
    pub cmd: String,
    /// Debian package that provides it.
    pub package: &'static str,
    /// Override variable.
    pub var: &'static str,
}

impl Tool {
    fn new(default: &str, package: &'static str, var: &'static str) -> Tool {
        Tool {
            cmd: std::env::var(var).unwrap_or_else(|_| default.to_string()),
            package,
            var,
        }
    }
    /// Verilator.
    pub fn verilator() -> Tool {
        Tool::new("verilator", "verilator", "QRNN_VERILATOR")
    }
    /// Icarus Verilog compiler.
    pub fn iverilog() -> Tool {
        Tool::new("iverilog", "iverilog", "QRNN_IVERILOG")
    }
    /// Icarus Verilog runtime.
    pub fn vvp() -> Tool {
        Tool::new("vvp", "iverilog", "QRNN_VVP")
    }
    /// Yosys.
    pub fn yosys() -> Tool {
        Tool::new("yosys", "yosys", "QRNN_YOSYS")
    }
    /// Whether it runs.
    pub fn available(&self) -> bool {
        Command::new(&self.cmd)
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
            || Command::new(&self.cmd)
                .arg("--version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
    }
    /// The message for a missing tool.
    pub fn missing(&self) -> String {
        format!("`{}` not found: install the Debian package `{}` (apt-get install {}) or set {}=/path/to/it", self.cmd, self.package, self.package, self.var)
    }
}
