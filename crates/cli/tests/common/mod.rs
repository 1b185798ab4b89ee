//! Helpers shared by the CLI's integration tests.

/// A diagnostic with miette's line wrapping undone: words joined by single spaces, the `│`
/// gutter of continuation lines and the `╰─▶` cause marker dropped. Messages are asserted on
/// this form, so a test does not depend on where a long path (a temp directory, a CI checkout)
/// makes the 80-column wrap fall.
#[allow(dead_code)] // not every test binary that includes this module compares diagnostics
pub fn flat(s: &str) -> String {
    s.split_whitespace()
        .filter(|w| *w != "│" && *w != "╰─▶")
        .collect::<Vec<_>>()
        .join(" ")
}

#[allow(unused_imports)] // not every test binary that includes this module needs tools
pub use qrnn_testkit::{have, have_cmds};

/// The names of a directory's entries, sorted.
#[allow(dead_code)]
pub fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The `qrnn-hw` binary under test with a fixed environment: no colour, no backtraces, the
/// default budgets.
#[allow(dead_code)]
pub fn qrnn_cmd() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_qrnn-hw"));
    c.env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("QRNN_MAX_MEMORY")
        .env_remove("QRNN_MAX_OUTPUT");
    c
}

/// Exit code (-1 for a signal), stdout and stderr of `qrnn-hw ARGS` run in `dir`.
#[allow(dead_code)]
pub fn qrnn_run(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let o = qrnn_cmd()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the qrnn-hw binary runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `qrnn-hw ARGS` run in `dir` with its address space limited to `kib` KiB (`ulimit -v` in a
/// `sh -c` around it, arguments passed as positional parameters: nothing is quoted by hand), in
/// the environment of [`qrnn_cmd`].
#[allow(dead_code)]
pub fn qrnn_limited(dir: &std::path::Path, kib: u64, args: &[&str]) -> std::process::Output {
    let mut script = format!("ulimit -v {kib} && exec \"$0\"");
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${{{i}}}\""));
    }
    std::process::Command::new("sh")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("QRNN_MAX_MEMORY")
        .env_remove("QRNN_MAX_OUTPUT")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_qrnn-hw"))
        .args(args)
        .output()
        .expect("sh runs")
}

/// Run `cmd` in `dir`; its stdout and stderr together, or the test fails with them.
#[allow(dead_code)]
pub fn run_in(dir: &std::path::Path, cmd: &mut std::process::Command) -> String {
    let out = cmd.current_dir(dir).output().expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}
