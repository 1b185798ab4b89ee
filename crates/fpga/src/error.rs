//! Errors of qrnn-fpga and of flashing (`qrnn_link::program`), with miette diagnostic codes (listed
//! in docs/CLI.md).

use miette::{Diagnostic, SourceSpan};
use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong in qrnn-fpga, and in `qrnn_link::program` (flashing).
#[derive(Debug, Error, Diagnostic)]
pub enum FpgaError {
    /// `boards.toml` is not valid TOML for the schema.
    #[error("constraints/boards.toml: {message}")]
    #[diagnostic(code(qrnn::fpga::boards_toml))]
    BoardsToml {
        /// The parser's message.
        message: String,
        /// Where.
        #[label("here")]
        span: Option<SourceSpan>,
        /// The text.
        #[source_code]
        src: String,
    },
    /// A board entry is inconsistent.
    #[error("board `{board}`: {why}")]
    #[diagnostic(code(qrnn::fpga::board))]
    BoardInvalid {
        /// Board name.
        board: String,
        /// What is wrong.
        why: String,
    },
    /// No board of that name.
    #[error("unknown board `{name}`")]
    #[diagnostic(
        code(qrnn::fpga::unknown_board),
        help("known boards: {known} (`qrnn-hw boards` lists them)")
    )]
    UnknownBoard {
        /// The name asked for.
        name: String,
        /// The known names.
        known: String,
    },
    /// The board cannot be programmed in the requested mode.
    #[error("board `{board}` cannot be programmed into {mode}")]
    #[diagnostic(code(qrnn::fpga::mode), help("{help}"))]
    ModeUnsupported {
        /// Board name.
        board: String,
        /// Requested mode.
        mode: crate::Mode,
        /// What to do instead.
        help: String,
    },
    /// The bitstream to program is not there.
    #[error("no bitstream: {} does not exist", path.display())]
    #[diagnostic(
        code(qrnn::fpga::no_bitstream),
        help("build it first (`make -C {}` in the generated project); {family} bitstreams are build/{name}", dir.display())
    )]
    NoBitstream {
        /// The file looked for.
        path: PathBuf,
        /// The project directory.
        dir: PathBuf,
        /// Family.
        family: crate::Family,
        /// The expected file name.
        name: &'static str,
    },
    /// The programming tool is not installed.
    #[error("`{program}` was not found on PATH")]
    #[diagnostic(
        code(qrnn::fpga::no_programmer),
        help("install {package}, or set {env} to the programmer's path")
    )]
    NoProgrammer {
        /// The program looked for.
        program: String,
        /// Where to get it.
        package: &'static str,
        /// The override variable.
        env: &'static str,
    },
    /// A project manifest that cannot be read.
    #[error("{}: {why}", path.display())]
    #[diagnostic(code(qrnn::fpga::manifest))]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}
