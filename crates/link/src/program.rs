//! Programming commands: which tool, which arguments, for a board, a mode and a bitstream.
//!
//! | tool | SRAM | flash |
//! |---|---|---|
//! | openFPGALoader | `openFPGALoader -b B FILE` | `openFPGALoader -b B -f FILE` (DFU boards: `openFPGALoader -b B FILE`) |
//! | iceprog | `iceprog -S FILE` | `iceprog FILE` |
//! | icesprog | — | `icesprog FILE` |

use qrnn_fpga::board::{Board, Mode, Tool};
use qrnn_fpga::device::Family;
use qrnn_fpga::error::FpgaError;
use std::path::{Path, PathBuf};

/// The path of the bitstream a generated project's build leaves: `DIR/build/top.bin` (iCE40),
/// `DIR/build/top.bit` (ECP5) or `DIR/build/top.fs` (Gowin).
pub fn bitstream_path(dir: &Path, family: Family) -> PathBuf {
    dir.join("build").join(family.bitstream_name())
}

/// A programming command, ready to run or print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramCommand {
    /// The tool.
    pub tool: Tool,
    /// The program to run: the tool's name, or the override variable's value.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Where the bitstream goes.
    pub mode: Mode,
}

impl ProgramCommand {
    /// The command as one shell line, arguments quoted where needed.
    pub fn shell_line(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Quote `s` for a POSIX shell if it has anything but `[A-Za-z0-9_./:=+@%,-]`.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:=+@%,-".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command that loads `bitstream` onto `board` in `mode` (the board's default when `None`).
/// `program` overrides the tool's program name (the value of its override variable).
pub fn program_command(
    board: &Board,
    mode: Option<Mode>,
    bitstream: &Path,
    program: Option<String>,
) -> Result<ProgramCommand, FpgaError> {
    let p = &board.program;
    let mode = mode.unwrap_or(p.default);
    if !board.supports(mode) {
        let other = match mode {
            Mode::Sram => Mode::Flash,
            Mode::Flash => Mode::Sram,
        };
        let help = if board.supports(other) {
            format!("use --{other}; the board notes say why: `qrnn-hw boards --json`")
        } else {
            "the board has no supported programming mode".to_string()
        };
        return Err(FpgaError::ModeUnsupported {
            board: board.name.clone(),
            mode,
            help,
        });
    }
    let file = bitstream.to_string_lossy().into_owned();
    let mut args: Vec<String> = Vec::new();
    match p.tool {
        Tool::Openfpgaloader => {
            args.push("-b".into());
            args.push(p.board.clone().unwrap_or_default());
            if mode == Mode::Flash && !p.dfu {
                args.push("-f".into());
            }
        }
        Tool::Iceprog => {
            if mode == Mode::Sram {
                args.push("-S".into());
            }
        }
        Tool::Icesprog => {}
    }
    args.push(file);
    Ok(ProgramCommand {
        tool: p.tool,
        program: program.unwrap_or_else(|| p.tool.program().to_string()),
        args,
        mode,
    })
}

/// Find `program` the way a shell would: a path with a `/` as is, otherwise each `PATH` entry.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let is_exe = |p: &Path| p.is_file();
    if program.contains('/') {
        let p = PathBuf::from(program);
        return is_exe(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_exe(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrnn_fpga::board::find_board;

    fn line(board: &str, mode: Option<Mode>) -> Result<String, FpgaError> {
        let b = find_board(board)?;
        let bit = bitstream_path(Path::new("p"), b.family);
        Ok(program_command(&b, mode, &bit, None)?.shell_line())
    }

    #[test]
    fn commands() {
        assert_eq!(line("icebreaker", None).unwrap(), "iceprog p/build/top.bin");
        assert_eq!(
            line("icebreaker", Some(Mode::Sram)).unwrap(),
            "iceprog -S p/build/top.bin"
        );
        assert_eq!(
            line("ulx3s", None).unwrap(),
            "openFPGALoader -b ulx3s p/build/top.bit"
        );
        assert_eq!(
            line("ULX3S", Some(Mode::Flash)).unwrap(),
            "openFPGALoader -b ulx3s -f p/build/top.bit"
        );
        assert_eq!(
            line("orangecrab", Some(Mode::Flash)).unwrap(),
            "openFPGALoader -b orangeCrab p/build/top.bit"
        );
        assert_eq!(
            line("TangNano9K", None).unwrap(),
            "openFPGALoader -b tangnano9k p/build/top.fs"
        );
        assert_eq!(line("icesugar", None).unwrap(), "icesprog p/build/top.bin");
        assert!(matches!(
            line("icestick", Some(Mode::Sram)),
            Err(FpgaError::ModeUnsupported { .. })
        ));
        assert!(matches!(
            line("nope", None),
            Err(FpgaError::UnknownBoard { .. })
        ));
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a/b-c.bin"), "a/b-c.bin");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
