//! `qrnn-testkit`: what the test suites of every crate share (a dev-dependency only).
//!
//! - The skip-or-fail rule: a test that needs an external tool or the packaged data sets skips
//!   with a line saying why, unless CI asks for them (`QRNN_REQUIRE_TOOLS=1`,
//!   `QRNN_REQUIRE_DATA=1`): then it fails. [`have`], [`have_cmds`], [`tool_missing`],
//!   [`data_missing`].
//! - [`docregion`]: the generated regions of the documentation, checked against what the code
//!   gives and rewritten by `make docs`.
//! - [`repo_root`]: the repository, for tests that read its committed files.

pub mod docregion;

pub use qrnn_sim::Tool;
use std::path::PathBuf;

/// The repository root (`crates/testkit/../..`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// Whether a missing external tool fails a test instead of skipping it: `QRNN_REQUIRE_TOOLS=1`,
/// as CI sets it.
pub fn tools_required() -> bool {
    required("QRNN_REQUIRE_TOOLS")
}

/// A test found a tool missing (`why` says which and how to install it): under
/// [`tools_required`] this panics; otherwise it prints the skip on stderr and returns `false`.
pub fn tool_missing(why: &str) -> bool {
    missing("QRNN_REQUIRE_TOOLS", tools_required(), why)
}

/// The rule itself: panic when `required` (`var` is set to 1), else print the skip; `false`.
fn missing(var: &str, required: bool, why: &str) -> bool {
    if required {
        panic!("{var}=1 and {why}");
    }
    eprintln!("SKIPPED (set {var}=1 to fail instead): {why}");
    false
}

/// `true` if every tool runs, else [`tool_missing`] for the first that does not.
pub fn have(tools: &[Tool]) -> bool {
    match tools.iter().find(|t| !t.available()) {
        Some(t) => tool_missing(&t.missing()),
        None => true,
    }
}

/// [`have`] for commands that are not a [`Tool`] (nextpnr, the packers, make): `true` if every
/// command can be started (`CMD --help`; some exit non-zero, only starting counts).
pub fn have_cmds(cmds: &[&str]) -> bool {
    match cmds.iter().find(|c| {
        std::process::Command::new(c)
            .arg("--help")
            .output()
            .is_err()
    }) {
        Some(c) => tool_missing(&format!(
            "`{c}` not found on PATH (scripts/setup.sh installs it)"
        )),
        None => true,
    }
}

/// A test found the packaged data sets missing (`why` says what): under `QRNN_REQUIRE_DATA=1`
/// this panics; otherwise it prints the skip on stderr and returns `false`.
pub fn data_missing(why: &str) -> bool {
    missing(
        "QRNN_REQUIRE_DATA",
        required("QRNN_REQUIRE_DATA"),
        &format!("{why} (scripts/setup-data.sh installs it)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_holds_the_workspace() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("crates/testkit/src/lib.rs").is_file());
    }

    #[test]
    fn a_command_that_cannot_start_is_missing() {
        // only meaningful when missing tools are skipped (under QRNN_REQUIRE_TOOLS=1 it panics,
        // which is the other half of the rule)
        if !tools_required() {
            assert!(!have_cmds(&["qrnn-no-such-command-xyz"]));
        }
        assert!(have_cmds(&["sh"]));
    }

    #[test]
    fn missing_skips_unless_required() {
        assert!(!missing("QRNN_REQUIRE_TOOLS", false, "`x` not found"));
    }

    #[test]
    #[should_panic(expected = "QRNN_REQUIRE_DATA=1 and `x` not found")]
    fn missing_fails_when_required() {
        missing("QRNN_REQUIRE_DATA", true, "`x` not found");
    }
}
