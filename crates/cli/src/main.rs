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

fn main() -> ExitCode {
    // Wrap diagnostics at the terminal width (80 when not a terminal) but never inside a word:
    // a file path split over two lines cannot be copied.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().break_words(false).build())
    }));
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
        Err(report) if out::is_closed_pipe(&report) => ExitCode::from(out::CLOSED_PIPE_STATUS),
        Err(report) => {
            let internal = report
                .code()
                .is_some_and(|c| c.to_string().starts_with("qrnn::golden::range"));
            note!("{report:?}");
            ExitCode::from(if internal { 3 } else { 1 })
        }
    }
}
