//! Programming commands: which tool, which arguments, for a board, a mode and a bitstream.
//!
//! | tool | SRAM | flash |
//! |---|---|---|
//! | openFPGALoader | `openFPGALoader -b B FILE` | `openFPGALoader -b B -f FILE` (DFU boards: `openFPGALoader -b B FILE`) |
//! | iceprog | `iceprog -S FILE` | `iceprog FILE` |
//! | icesprog | — | `icesprog FILE` |
//!
//! A design whose weights are loaded from the board's flash (`weight_image` in `qrnn.json`,
//! docs/HARDWARE.md §4.3) also needs its weight image written at its flash address, whatever the
//! mode ([`image_command`]): `iceprog -o OFFSET FILE`, `icesprog -o OFFSET FILE`,
//! `openFPGALoader -b B -f -o OFFSET FILE`, FILE being `build/weights.bin`, the bytes of
//! `flash/weights.hex` ([`write_weight_bin`]).

use qrnn_fpga::board::{Board, Mode, Tool};
use qrnn_fpga::device::Family;
use qrnn_fpga::error::FpgaError;
use qrnn_rtl::manifest::WeightImage;
use std::path::{Path, PathBuf};

/// Where `qrnn-hw flash` leaves the weight image as bytes, relative to the project.
pub const WEIGHTS_BIN: &str = "build/weights.bin";

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

/// The command that writes the weight image `bin` (bytes) into `board`'s flash at byte address
/// `offset`: `iceprog -o OFFSET FILE`, `icesprog -o OFFSET FILE` or `openFPGALoader -b B -f -o
/// OFFSET FILE` (the offset in decimal, which every one of them reads). `program` overrides the
/// tool's program name as in [`program_command`]. A board that cannot write its flash, or whose
/// programmer cannot write at an address (a DFU bootloader), is [`FpgaError::WeightImage`].
pub fn image_command(
    board: &Board,
    offset: u32,
    bin: &Path,
    program: Option<String>,
) -> Result<ProgramCommand, FpgaError> {
    let p = &board.program;
    let refuse = |why: &str| {
        FpgaError::WeightImage {
        board: board.name.clone(),
        why: why.to_string(),
        help: "flash the weight image with a programmer that writes the board's SPI flash at an address, or generate the design without weights in SPRAM".to_string(),
    }
    };
    if !board.supports(Mode::Flash) {
        return Err(refuse(
            "the weight image goes into the board's flash, which qrnn-hw cannot write on this board",
        ));
    }
    if p.dfu {
        return Err(refuse(
            "its DFU bootloader writes whole images, not raw bytes at a flash address",
        ));
    }
    let mut args: Vec<String> = Vec::new();
    if p.tool == Tool::Openfpgaloader {
        args.push("-b".into());
        args.push(p.board.clone().unwrap_or_default());
        args.push("-f".into());
    }
    args.push("-o".into());
    args.push(offset.to_string());
    args.push(bin.to_string_lossy().into_owned());
    Ok(ProgramCommand {
        tool: p.tool,
        program: program.unwrap_or_else(|| p.tool.program().to_string()),
        args,
        mode: Mode::Flash,
    })
}

/// The bytes of a weight image in `$readmemh` form as the generator writes it
/// (`flash/weights.hex`): one byte per line, two hex digits (spaces around them and a `\r` are
/// allowed). Anything else is [`FpgaError::WeightHex`] naming the 1-based line.
pub fn parse_weight_hex(path: &Path, text: &str) -> Result<Vec<u8>, FpgaError> {
    let mut out = Vec::with_capacity(text.len() / 3);
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let byte = (t.len() == 2 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u8::from_str_radix(t, 16).ok())
            .flatten();
        match byte {
            Some(b) => out.push(b),
            None => {
                let shown: String = t.chars().take(20).collect();
                return Err(FpgaError::WeightHex {
                    path: path.to_path_buf(),
                    line: Some(i + 1),
                    why: format!("`{shown}` is not one byte in hex (two hex digits)"),
                });
            }
        }
    }
    Ok(out)
}

/// Convert the project `dir`'s weight image (`image.file`, in hex) into [`WEIGHTS_BIN`] (written
/// to a temporary file, then renamed), after checking it has `image.bytes` bytes. Returns the
/// path of the bytes.
pub fn write_weight_bin(dir: &Path, image: &WeightImage) -> Result<PathBuf, FpgaError> {
    // the generator always writes it there: a qrnn.json naming another file (outside the project,
    // say) is not one of ours
    if image.file != qrnn_rtl::loader::IMAGE_FILE {
        return Err(FpgaError::WeightHex {
            path: dir.join("qrnn.json"),
            line: None,
            why: format!(
                "weight_image.file is {:?}; qrnn-hw writes the image to {:?} and reads it only there",
                image.file,
                qrnn_rtl::loader::IMAGE_FILE
            ),
        });
    }
    let hex = dir.join(&image.file);
    let text = std::fs::read_to_string(&hex).map_err(|e| FpgaError::WeightHex {
        path: hex.clone(),
        line: None,
        why: format!("cannot be read: {e}"),
    })?;
    let bytes = parse_weight_hex(&hex, &text)?;
    if bytes.len() as u64 != u64::from(image.bytes) {
        return Err(FpgaError::WeightHex {
            path: hex,
            line: None,
            why: format!(
                "has {} bytes, but qrnn.json's weight_image.bytes is {}",
                bytes.len(),
                image.bytes
            ),
        });
    }
    let bin = dir.join(WEIGHTS_BIN);
    let tmp = bin.with_extension("bin.tmp");
    let write = |e: std::io::Error, p: &Path| FpgaError::Write {
        path: p.to_path_buf(),
        why: e.to_string(),
    };
    if let Some(parent) = bin.parent() {
        std::fs::create_dir_all(parent).map_err(|e| write(e, parent))?;
    }
    std::fs::write(&tmp, &bytes).map_err(|e| write(e, &tmp))?;
    std::fs::rename(&tmp, &bin).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        write(e, &bin)
    })?;
    Ok(bin)
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

    fn image_line(board: &str, program: Option<&str>) -> Result<String, FpgaError> {
        let b = find_board(board)?;
        let bin = Path::new("p").join(WEIGHTS_BIN);
        Ok(image_command(&b, 0x10_0000, &bin, program.map(str::to_string))?.shell_line())
    }

    #[test]
    fn weight_image_commands() {
        assert_eq!(
            image_line("icebreaker", None).unwrap(),
            "iceprog -o 1048576 p/build/weights.bin"
        );
        assert_eq!(
            image_line("icesugar", None).unwrap(),
            "icesprog -o 1048576 p/build/weights.bin"
        );
        assert_eq!(
            image_line("ulx3s", None).unwrap(),
            "openFPGALoader -b ulx3s -f -o 1048576 p/build/weights.bin"
        );
        assert_eq!(
            image_line("icebreaker", Some("/opt/x y/iceprog")).unwrap(),
            "'/opt/x y/iceprog' -o 1048576 p/build/weights.bin"
        );
        let b = find_board("icebreaker").unwrap();
        let c = image_command(&b, 0x2_0000, Path::new("w.bin"), None).unwrap();
        assert_eq!(c.mode, Mode::Flash);
        assert_eq!(c.args, ["-o", "131072", "w.bin"]);
        // a DFU bootloader cannot write at an address
        let e = image_line("orangecrab", None).unwrap_err();
        assert!(matches!(e, FpgaError::WeightImage { .. }), "{e:?}");
        assert!(e.to_string().contains("DFU"), "{e}");
    }

    #[test]
    fn weight_hex_parses_one_byte_a_line() {
        let p = Path::new("d/flash/weights.hex");
        assert_eq!(
            parse_weight_hex(p, "51\n52\r\n 4e \nff\n00").unwrap(),
            [0x51, 0x52, 0x4E, 0xFF, 0x00]
        );
        assert_eq!(parse_weight_hex(p, "").unwrap(), Vec::<u8>::new());
        for (text, line, what) in [
            ("51\n5\n", 2, "`5`"),
            ("51\n52\n123\n", 3, "`123`"),
            ("zz\n", 1, "`zz`"),
            ("51\n\n52\n", 2, "``"),
            ("+1\n", 1, "`+1`"),
            ("@10\n", 1, "`@10`"),
        ] {
            let e = parse_weight_hex(p, text).unwrap_err();
            match &e {
                FpgaError::WeightHex { line: l, .. } => assert_eq!(*l, Some(line), "{text:?}"),
                _ => panic!("{e:?}"),
            }
            let m = e.to_string();
            assert!(
                m.starts_with(&format!("d/flash/weights.hex:{line}: {what} ")),
                "{m}"
            );
            assert!(m.contains("not one byte in hex"), "{m}");
        }
    }

    #[test]
    fn weight_bin_is_written_whole_and_checked() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("flash")).unwrap();
        std::fs::write(d.path().join("flash/weights.hex"), "51\n52\n57\n49\n").unwrap();
        let mut img = WeightImage {
            file: "flash/weights.hex".into(),
            offset: 0x10_0000,
            bytes: 4,
            crc32: 0,
            memories: vec![],
            spram_blocks: 1,
            load_cycles: 0,
        };
        let bin = write_weight_bin(d.path(), &img).unwrap();
        assert_eq!(bin, d.path().join("build/weights.bin"));
        assert_eq!(std::fs::read(&bin).unwrap(), b"QRWI");
        let left: Vec<_> = std::fs::read_dir(d.path().join("build"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["weights.bin"]);
        // another length than the manifest's
        img.bytes = 5;
        let e = write_weight_bin(d.path(), &img).unwrap_err().to_string();
        assert!(
            e.ends_with("weights.hex: has 4 bytes, but qrnn.json's weight_image.bytes is 5"),
            "{e}"
        );
        // a bad line
        std::fs::write(d.path().join("flash/weights.hex"), "51\n5g\n").unwrap();
        let e = write_weight_bin(d.path(), &img).unwrap_err().to_string();
        assert!(e.contains("weights.hex:2: `5g`"), "{e}");
        // no file
        std::fs::remove_file(d.path().join("flash/weights.hex")).unwrap();
        let e = write_weight_bin(d.path(), &img).unwrap_err().to_string();
        assert!(e.contains("weights.hex: cannot be read"), "{e}");
        // a qrnn.json that names another file (outside the project, say) is refused unread
        img.file = "../../etc/passwd".into();
        let e = write_weight_bin(d.path(), &img).unwrap_err().to_string();
        assert!(
            e.contains("weight_image.file is \"../../etc/passwd\"")
                && e.contains("reads it only there"),
            "{e}"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a/b-c.bin"), "a/b-c.bin");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
