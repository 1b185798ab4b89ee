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
    /// The core clock asked for (`gen --clock-mhz`) is not one the board's PLL can make, or not
    /// a sane one.
    #[error("board `{board}`: {why}")]
    #[diagnostic(code(qrnn::fpga::clock), help("{help}"))]
    Clock {
        /// Board name.
        board: String,
        /// What is wrong.
        why: String,
        /// What to do instead.
        help: String,
    },
    /// A design whose weights are loaded from the board's flash (a `weight_image` in its manifest)
    /// that this board cannot carry or flash: no `flash` table, an image that would overlap the
    /// bitstream or pass 16 MiB, or a programmer that cannot write at an address.
    #[error("board `{board}`: {why}")]
    #[diagnostic(code(qrnn::fpga::weight_image), help("{help}"))]
    WeightImage {
        /// Board name.
        board: String,
        /// What is wrong.
        why: String,
        /// What to do instead.
        help: String,
    },
    /// The project's weight image (`flash/weights.hex`) is not what `qrnn.json` says: a line that
    /// is not one byte in hex, or another length than `weight_image.bytes`.
    #[error("{}{}: {why}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    #[diagnostic(
        code(qrnn::fpga::weight_hex),
        help("the file is generated (one byte per line, two hex digits): regenerate the project with `qrnn-hw gen`")
    )]
    WeightHex {
        /// The file.
        path: PathBuf,
        /// The 1-based line at fault, if one is.
        line: Option<usize>,
        /// What is wrong.
        why: String,
    },
    /// A file `flash` writes into the project (`build/weights.bin`) could not be written.
    #[error("cannot write {}: {why}", path.display())]
    #[diagnostic(code(qrnn::fpga::write))]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        why: String,
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
