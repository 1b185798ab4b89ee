//! Exit codes chosen by the kind of error (docs/CLI.md "Exit codes"): an internal error — a
//! diagnostic with an internal code, or a panic — exits 3 with a line asking for a bug report; an
//! error in the input exits 1 without it. Internal errors have no input that triggers them (that
//! would be a bug), so the binary's test-only `QRNN_TEST_FAULT` variable stands in for one.

mod common;
use common::{flat, qrnn_cmd, qrnn_run};

const PLEASE_REPORT: &str = "this is a bug in qrnn-hw: please report it";

/// Exit code and stderr of `qrnn-hw ARGS` with `QRNN_TEST_FAULT=fault`.
fn faulty(fault: &str, args: &[&str]) -> (i32, String) {
    let d = tempfile::tempdir().unwrap();
    let o = qrnn_cmd()
        .env("QRNN_TEST_FAULT", fault)
        .args(args)
        .current_dir(d.path())
        .output()
        .expect("the qrnn-hw binary runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn an_internal_diagnostic_exits_3_and_asks_for_a_report() {
    let (c, e) = faulty("internal", &["boards"]);
    assert_eq!(c, 3, "{e}");
    let e = flat(&e);
    assert!(e.contains("qrnn::internal"), "{e}");
    assert!(
        e.contains("internal error: QRNN_TEST_FAULT=internal"),
        "{e}"
    );
    assert!(e.contains(PLEASE_REPORT), "{e}");
}

#[test]
fn a_panic_exits_3_with_its_message_and_place() {
    let (c, e) = faulty("panic", &["boards"]);
    assert_eq!(c, 3, "a panic must exit 3, not 101:\n{e}");
    assert!(
        e.contains("internal error: qrnn-hw panicked: QRNN_TEST_FAULT=panic at "),
        "{e}"
    );
    assert!(e.contains("main.rs:"), "the place of the panic:\n{e}");
    assert!(e.contains(PLEASE_REPORT), "{e}");
    // the hook replaces Rust's default message
    assert!(!e.contains("RUST_BACKTRACE"), "{e}");
}

#[test]
fn a_user_error_exits_1_without_the_report_line() {
    let d = tempfile::tempdir().unwrap();
    let (c, _, e) = qrnn_run(d.path(), &["inspect", "missing.qw"]);
    assert_eq!(c, 1, "{e}");
    let e = flat(&e);
    assert!(e.contains("missing.qw"), "{e}");
    assert!(!e.contains(PLEASE_REPORT), "{e}");
    assert!(!e.contains("internal error"), "{e}");
}

#[test]
fn usage_errors_still_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let (c, _, e) = qrnn_run(d.path(), &["frobnicate"]);
    assert_eq!(c, 2, "{e}");
    assert!(!e.contains(PLEASE_REPORT), "{e}");
}
