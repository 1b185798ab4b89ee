//! Standard output and standard error that never panic.
//!
//! `println!` panics when stdout is a closed pipe (`qrnn-hw run … | head -c 20`) or a full disk
//! (`qrnn-hw inspect m.qw > /dev/full`). Every subcommand prints through [`outln!`]/[`out!`]
//! instead, which return an error the command propagates with `?`:
//! - a closed pipe becomes [`ClosedPipe`], which `main` turns into a quiet exit with status 141
//!   (128 + SIGPIPE, what a shell reports for a tool killed by the signal, as `cat` or `grep` are);
//! - any other write error is a diagnostic `qrnn::cli::output` with exit status 1.
//!
//! Progress and notes on stderr go through [`note!`], which drops write errors: a closed or full
//! stderr must not turn a successful command into a failure.

use std::fmt;
use std::io::{self, Write};

/// Exit status for a closed output pipe: 128 + SIGPIPE (13), as a shell reports a tool killed by it.
pub const CLOSED_PIPE_STATUS: u8 = 141;

/// Standard output was closed by the reader (`| head`): the command stops quietly.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("standard output was closed")]
#[diagnostic(code(qrnn::cli::closed_pipe))]
pub struct ClosedPipe;

/// Writing to standard output failed (a full disk, an I/O error).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot write to standard output: {0}")]
#[diagnostic(
    code(qrnn::cli::output),
    help("check where standard output goes (a full disk, a removed file or device)")
)]
pub struct OutputError(pub io::Error);

fn map(e: io::Error) -> miette::Report {
    if e.kind() == io::ErrorKind::BrokenPipe {
        miette::Report::new(ClosedPipe)
    } else {
        miette::Report::new(OutputError(e))
    }
}

/// Write formatted text to standard output (used through [`out!`] and [`outln!`]).
pub fn write(args: fmt::Arguments<'_>, newline: bool) -> miette::Result<()> {
    let mut o = io::stdout().lock();
    o.write_fmt(args).map_err(map)?;
    if newline {
        o.write_all(b"\n").map_err(map)?;
    }
    Ok(())
}

/// Write bytes to standard output (a trace or sequence written to `-`), then flush them.
pub fn write_bytes(bytes: &[u8]) -> miette::Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(bytes).map_err(map)?;
    o.flush().map_err(map)
}

/// Flush standard output; `main` calls it after every successful command, so that an error in
/// the last buffered bytes is reported rather than lost at exit.
pub fn flush() -> miette::Result<()> {
    io::stdout().lock().flush().map_err(map)
}

/// Whether an error is a closed output pipe (quiet exit, [`CLOSED_PIPE_STATUS`]).
pub fn is_closed_pipe(r: &miette::Report) -> bool {
    r.downcast_ref::<ClosedPipe>().is_some()
}

/// Write a line to standard output; on error, return it from the enclosing function.
#[macro_export]
macro_rules! outln {
    () => { $crate::out::write(format_args!(""), true)? };
    ($($t:tt)*) => { $crate::out::write(format_args!($($t)*), true)? };
}

/// Write text (no newline) to standard output; on error, return it from the enclosing function.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::out::write(format_args!($($t)*), false)? };
}

/// Write a line to standard error (progress, notes); write errors are dropped.
#[macro_export]
macro_rules! note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}
