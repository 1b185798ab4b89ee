//! `qrnn-hw`: the command-line tool. One file per subcommand (`cmd_*.rs`); this file only parses
//! arguments and maps results to exit codes (documented in docs/CLI.md):
//! 0 success, 1 error in the input or the environment, 2 command-line usage, 3 internal error,
//! 141 standard output closed by its reader (`| head`; 128 + SIGPIPE, as a shell reports it).

#[macro_use]
mod out;
mod budget;
mod cmd_boards;
mod cmd_build;
mod cmd_convert;
mod cmd_eval;
mod cmd_example;
mod cmd_flash;
mod cmd_gen;
mod cmd_import;
mod cmd_inspect;
mod cmd_report;
mod cmd_run;
mod cmd_train;
mod report_page;
mod util;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// qrnn-hw: quantized recurrent networks (LSTM, GRU, ConvLSTM with binary, ternary, quaternary
/// weights) from model file to bit-exact golden model and hardware.
#[derive(Parser)]
#[command(name = "qrnn-hw", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Print less (errors only).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Memory a command may plan to use: work estimated above it is refused before it starts
    /// (e.g. 2G, 512M; docs/CLI.md "Budgets").
    #[arg(long, global = true, env = "QRNN_MAX_MEMORY", value_name = "SIZE",
          default_value = budget::DEFAULT_MEMORY, value_parser = budget::parse_size)]
    max_memory: u64,
    /// Bytes a command may write (a generated project with its vectors and trace): estimated
    /// before writing, refused above it.
    #[arg(long, global = true, env = "QRNN_MAX_OUTPUT", value_name = "SIZE",
          default_value = budget::DEFAULT_OUTPUT, value_parser = budget::parse_size)]
    max_output: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarise a model: layers, shapes, schemes, formats, accumulator widths, memory, hash.
    Inspect(cmd_inspect::Args),
    /// Run input sequences through the golden model, or through a board with --port, and print the outputs.
    Run(cmd_run::Args),
    /// Evaluate a data set: golden-model (hardware-exact) vs float-reference accuracy or error.
    Eval(cmd_eval::Args),
    /// Make an example model with random but valid weights (for tests and demos).
    Example(cmd_example::Args),
    /// Convert between the binary .qw and its text twin (.qw.toml).
    Convert(cmd_convert::Args),
    /// Generate a hardware project: Verilog, testbench and vectors, Makefile, manifest.
    Gen(cmd_gen::Args),
    /// Build a generated project (synthesis, place and route, packing) with progress and logs.
    Build(cmd_build::Args),
    /// Report a generated project's resources and speed after `make synth` / `make pnr`.
    Report(cmd_report::Args),
    /// List the supported boards: family, device, clock, UART pins, LEDs, programmer.
    Boards(cmd_boards::Args),
    /// Load a generated project's bitstream onto its board (openFPGALoader, iceprog, icesprog).
    Flash(cmd_flash::Args),
    /// Import a PyTorch nn.LSTM/nn.GRU state dict (safetensors, npz) with post-training quantization.
    Import(cmd_import::Args),
    /// Train a quantized LSTM/GRU/ConvLSTM (quantization-aware) and export it with its figures.
    Train(cmd_train::Args),
}

/// Verbosity shared by all subcommands.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// Errors only.
    pub quiet: bool,
    /// Extra detail level.
    pub verbose: u8,
    /// Memory and output limits (`--max-memory`, `--max-output`).
    pub budget: budget::Budget,
}

/// Exit status for an internal error (a bug in qrnn-hw; docs/CLI.md "Exit codes").
const INTERNAL_STATUS: u8 = 3;

/// The line an internal error's report ends with.
const PLEASE_REPORT: &str =
    "this is a bug in qrnn-hw: please report it with the command line and the model file";

/// Whether a diagnostic code marks an internal error (exit 3): `qrnn::internal` (the CLI's own
/// broken invariants), any code ending in `::internal` (`qrnn::rtl::internal`:
/// a library's broken invariant), and `qrnn::golden::range` (a value outside
/// its analysed interval: a bug in the golden model or the analysis). Every other code is an error
/// in the input or the environment (exit 1).
fn is_internal_code(code: &str) -> bool {
    // `qrnn::internal` ends with `::internal` too
    code.ends_with("::internal") || code == "qrnn::golden::range"
}

/// Whether a report is an internal error: its code, or the code of a diagnostic it wraps
/// (`diagnostic_source`, e.g. a golden-model range error inside `qrnn::sim::golden`), is internal
/// by [`is_internal_code`].
fn is_internal(report: &miette::Report) -> bool {
    let mut d: Option<&dyn miette::Diagnostic> = Some(report.as_ref());
    while let Some(diag) = d {
        if diag
            .code()
            .is_some_and(|c| is_internal_code(&c.to_string()))
        {
            return true;
        }
        d = diag.diagnostic_source();
    }
    false
}

/// Print a panic as an internal error on standard error (write errors dropped): `internal error:
/// qrnn-hw panicked: MESSAGE at FILE:LINE:COL` ("panicked": the tests look for it), the backtrace
/// if `RUST_BACKTRACE` asks for one, and the please-report line. `main` then exits 3.
fn panic_hook(info: &std::panic::PanicHookInfo<'_>) {
    let payload = info.payload();
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    match info.location() {
        Some(l) => note!(
            "internal error: qrnn-hw panicked: {msg} at {}:{}:{}",
            l.file(),
            l.line(),
            l.column()
        ),
        None => note!("internal error: qrnn-hw panicked: {msg}"),
    }
    // with RUST_BACKTRACE=1, as Rust's default hook does
    let bt = std::backtrace::Backtrace::capture();
    if bt.status() == std::backtrace::BacktraceStatus::Captured {
        note!("{bt}");
    }
    note!("{PLEASE_REPORT}");
}

fn main() -> ExitCode {
    // Wrap diagnostics at the terminal width (80 when not a terminal) but never inside a word:
    // a file path split over two lines cannot be copied.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().break_words(false).build())
    }));
    // A panic is an internal error: the hook prints it, the unwinding stops here (running the
    // destructors on the way, which remove temporary files), and the exit status is 3, not 101.
    std::panic::set_hook(Box::new(panic_hook));
    std::panic::catch_unwind(run).unwrap_or(ExitCode::from(INTERNAL_STATUS))
}

/// Parse the command line, run the command, and map its result to an exit status.
fn run() -> ExitCode {
    // Test only (crates/cli/tests/exit_codes.rs): QRNN_TEST_FAULT=panic panics and
    // QRNN_TEST_FAULT=internal fails with an internal-coded diagnostic, to prove the exit statuses
    // of internal errors without a real bug to trigger. No user-visible behaviour depends on it.
    match std::env::var("QRNN_TEST_FAULT").as_deref() {
        Ok("panic") => panic!("QRNN_TEST_FAULT=panic"),
        Ok("internal") => {
            return report_error(miette::miette!(
                code = "qrnn::internal",
                "internal error: QRNN_TEST_FAULT=internal"
            ))
        }
        _ => {}
    }
    let cli = Cli::parse();
    let ctx = Ctx {
        quiet: cli.quiet,
        verbose: cli.verbose,
        budget: budget::Budget {
            memory: cli.max_memory,
            output: cli.max_output,
        },
    };
    let res = match cli.command {
        Command::Inspect(a) => cmd_inspect::run(ctx, a),
        Command::Run(a) => cmd_run::run(ctx, a),
        Command::Eval(a) => cmd_eval::run(ctx, a),
        Command::Example(a) => cmd_example::run(ctx, a),
        Command::Convert(a) => cmd_convert::run(ctx, a),
        Command::Gen(a) => cmd_gen::run(ctx, a),
        Command::Build(a) => cmd_build::run(ctx, a),
        Command::Report(a) => cmd_report::run(ctx, a),
        Command::Boards(a) => cmd_boards::run(ctx, a),
        Command::Flash(a) => cmd_flash::run(ctx, a),
        Command::Import(a) => cmd_import::run(ctx, a),
        Command::Train(a) => cmd_train::run(ctx, a),
    };
    // Anything still buffered is written now, so that a full disk is reported, not lost at exit.
    let res = res.and_then(|()| out::flush());
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) => report_error(report),
    }
}

/// Print a command's error and return its exit status: quiet 141 for a closed output pipe, 3 and
/// the please-report line for an internal error ([`is_internal`]), else 1.
fn report_error(report: miette::Report) -> ExitCode {
    if out::is_closed_pipe(&report) {
        return ExitCode::from(out::CLOSED_PIPE_STATUS);
    }
    note!("{report:?}");
    if is_internal(&report) {
        note!("{PLEASE_REPORT}");
        ExitCode::from(INTERNAL_STATUS)
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_codes() {
        for c in [
            "qrnn::internal",
            "qrnn::rtl::internal",
            "qrnn::sim::internal",
            "qrnn::golden::range",
        ] {
            assert!(is_internal_code(c), "{c}");
        }
        for c in [
            "qrnn::rtl::fold",
            "qrnn::sim::golden",
            "qrnn::golden::input",
            "qrnn::cli::output",
            "qrnn::internals",
            "qrnn::golden::range_x",
        ] {
            assert!(!is_internal_code(c), "{c}");
        }
    }

    #[test]
    fn an_internal_error_inside_a_user_level_one_is_internal() {
        #[derive(Debug, thiserror::Error, miette::Diagnostic)]
        #[error("inner")]
        #[diagnostic(code(qrnn::golden::range))]
        struct Inner;
        #[derive(Debug, thiserror::Error, miette::Diagnostic)]
        #[error("outer")]
        #[diagnostic(code(qrnn::sim::golden))]
        struct Outer(
            #[source]
            #[diagnostic_source]
            Inner,
        );
        assert!(is_internal(&miette::Report::new(Outer(Inner))));
        assert!(!is_internal(&miette::miette!(
            code = "qrnn::sim::golden",
            "x"
        )));
        assert!(is_internal(&miette::miette!(code = "qrnn::internal", "x")));
    }
}
