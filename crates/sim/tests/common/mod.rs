//! Shared helpers of the co-simulation test suites.
#![allow(dead_code)]

use qrnn_sim::Tool;
use std::path::PathBuf;

/// Whether external tools are required (CI sets `QRNN_REQUIRE_TOOLS=1`): then a missing tool fails
/// the test instead of skipping it.
pub fn require_tools() -> bool {
    std::env::var("QRNN_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// `true` if every tool is present; otherwise panics under `QRNN_REQUIRE_TOOLS=1`, or prints a
/// skip note and returns `false`.
pub fn have(tools: &[Tool]) -> bool {
    for t in tools {
        if !t.available() {
            if require_tools() {
                panic!("QRNN_REQUIRE_TOOLS=1 and {}", t.missing());
            }
            eprintln!(
                "SKIPPED (tool missing, set QRNN_REQUIRE_TOOLS=1 to fail instead): {}",
                t.missing()
            );
            return false;
        }
    }
    true
}

/// A shared cache directory for Verilator runtime objects, in the target directory.
pub fn cache_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("qrnn-verilator-cache")
}
