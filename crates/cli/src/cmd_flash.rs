//! `qrnn-hw flash DIR [--board NAME] [--sram|--flash] [--dry-run]`: load a generated project's
//! bitstream onto its board with the board's programmer (openFPGALoader, iceprog or icesprog).
//!
//! The board is `--board`, else the `board` of `DIR/qrnn.json` (top-level, or inside a `target`
//! object); a `--board` other than the manifest's must have its device, package and pins (the
//! bitstream was placed for them), else it is refused. The bitstream is `DIR/build/top.bin` (iCE40), `top.bit` (ECP5) or `top.fs` (Gowin).
//! `QRNN_OPENFPGALOADER`, `QRNN_ICEPROG` and `QRNN_ICESPROG` override the programmer's path.
//!
//! A design whose weights are loaded from the board's flash (`weight_image` in `qrnn.json`,
//! docs/HARDWARE.md §4.3) also gets its weight image written: `flash/weights.hex` is converted to
//! `build/weights.bin` and written at its flash offset by a second command, after the bitstream
//! in flash mode, before it in SRAM mode (the flash write resets the FPGA, which would lose an
//! SRAM configuration; and SRAM loading leaves the flash as it is, so the weights always go to
//! flash).

use crate::Ctx;
use miette::{IntoDiagnostic, Result, WrapErr};
use qrnn_fpga::{find_board, Family, FpgaError, Mode};
use qrnn_link::program::{find_program, image_command, write_weight_bin, WEIGHTS_BIN};
use qrnn_link::{bitstream_path, program_command, ProgramCommand};
use qrnn_rtl::manifest::WeightImage;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Arguments of `flash`.
#[derive(clap::Args)]
pub struct Args {
    /// The generated project directory (holds qrnn.json and build/).
    dir: PathBuf,
    /// Board name (`qrnn-hw boards` lists them); overrides the board in DIR/qrnn.json when it has the same device and pins.
    #[arg(long)]
    board: Option<String>,
    /// Write the configuration flash (persistent).
    #[arg(long, conflicts_with = "sram")]
    flash: bool,
    /// Load the configuration SRAM (lost at power-off).
    #[arg(long)]
    sram: bool,
    /// Print the commands and exit without running them (a weight image is still converted to
    /// build/weights.bin).
    #[arg(long)]
    dry_run: bool,
}

/// What DIR/qrnn.json says about the target: the board and the family, where present, and the
/// weight image of a design whose weights are loaded from flash.
#[derive(Default)]
struct Target {
    board: Option<String>,
    family: Option<String>,
    weight_image: Option<WeightImage>,
}

fn read_target(dir: &Path) -> Result<Target> {
    let path = dir.join("qrnn.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::default()),
        Err(e) => {
            return Err(FpgaError::Manifest {
                path,
                why: e.to_string(),
            }
            .into())
        }
    };
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| FpgaError::Manifest {
        path: path.clone(),
        why: format!("not JSON: {e}"),
    })?;
    let s = |x: Option<&serde_json::Value>| x.and_then(|x| x.as_str()).map(str::to_string);
    let target = v.get("target");
    let weight_image = match v.get("weight_image") {
        None | Some(serde_json::Value::Null) => None,
        Some(w) => Some(
            serde_json::from_value(w.clone()).map_err(|e| FpgaError::Manifest {
                path: path.clone(),
                why: format!("weight_image: {e}"),
            })?,
        ),
    };
    Ok(Target {
        board: s(v.get("board")).or_else(|| s(target.and_then(|t| t.get("board")))),
        family: s(target.filter(|t| t.is_string()))
            .or_else(|| s(target.and_then(|t| t.get("family")))),
        weight_image,
    })
}

/// Run `flash`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    let target = read_target(&a.dir)?;
    let name = match (&a.board, &target.board) {
        (Some(b), _) => b.clone(),
        (None, Some(b)) => b.clone(),
        (None, None) => {
            return Err(miette::miette!(
                help = "pass --board NAME (`qrnn-hw boards` lists them), or generate the project with --board",
                "{}: no board given and none in {}",
                a.dir.display(),
                a.dir.join("qrnn.json").display()
            ))
        }
    };
    let board = find_board(&name)?;
    if let Some(f) = target.family.as_deref().and_then(Family::parse) {
        if f != board.family {
            return Err(miette::miette!(
                help =
                    "generate the project for this board's family, or pick a board of that family",
                "{} was generated for {f}, but board `{}` is {}",
                a.dir.display(),
                board.name,
                board.family
            ));
        }
    }
    if let (Some(b), Some(t)) = (&a.board, &target.board) {
        if !b.eq_ignore_ascii_case(t) {
            // the bitstream is placed for the project's board: its device, package and pins
            let built = find_board(t)?;
            let pins = |x: &qrnn_fpga::Board| {
                (
                    x.device.clone(),
                    x.package.clone(),
                    x.clock.clone(),
                    x.uart.clone(),
                    x.leds.clone(),
                    x.button.clone(),
                )
            };
            if pins(&built) != pins(&board) {
                return Err(miette::miette!(
                    code = "qrnn::flash::other_board",
                    help = format!(
                        "regenerate the project for it: `qrnn-hw gen MODEL --board {} -o DIR` (`qrnn-hw boards` lists each board's device and pins)",
                        board.name
                    ),
                    "{}: the bitstream is built for board `{t}` ({} {}), but --board {b} is {} {} with other pins: it would not run there",
                    a.dir.display(),
                    built.device,
                    built.package,
                    board.device,
                    board.package,
                ));
            }
            if !ctx.quiet {
                note!("note: --board {b} overrides the board `{t}` of qrnn.json (the same device and pins)");
            }
        }
    }
    let mode = if a.sram {
        Some(Mode::Sram)
    } else if a.flash {
        Some(Mode::Flash)
    } else {
        None
    };
    let bit = bitstream_path(&a.dir, board.family);
    let tool = board.program.tool;
    let over = std::env::var(tool.env_var()).ok().filter(|s| !s.is_empty());
    let cmd = program_command(&board, mode, &bit, over.clone())?;
    // The weight image's command, checked before anything is written or run.
    let image = match &target.weight_image {
        None => None,
        Some(w) => {
            if board.flash.is_none() {
                return Err(FpgaError::WeightImage {
                    board: board.name.clone(),
                    why: format!(
                        "{} loads its weights from the board's SPI flash, but this board has no `flash` table",
                        a.dir.display()
                    ),
                    help: "flash the project onto the board it was generated for (the `board` of qrnn.json)".into(),
                }
                .into());
            }
            Some((
                w,
                image_command(&board, w.offset, &a.dir.join(WEIGHTS_BIN), over)?,
            ))
        }
    };
    if !bit.is_file() {
        return Err(FpgaError::NoBitstream {
            path: bit,
            dir: a.dir.clone(),
            family: board.family,
            name: board.family.bitstream_name(),
        }
        .into());
    }
    // In order: SRAM mode writes the weights first (a flash write resets the FPGA).
    let mut cmds: Vec<(&str, ProgramCommand)> = vec![("bitstream", cmd)];
    if let Some((w, img)) = image {
        write_weight_bin(&a.dir, w)?;
        if cmds[0].1.mode == Mode::Sram {
            if !ctx.quiet {
                note!(
                    "note: --sram loads the bitstream into SRAM only; the core reads its weights from the flash, which SRAM loading leaves as it is, so the weight image ({} bytes) is written to flash (at 0x{:x}) first, by a second command (--flash writes both to flash)",
                    w.bytes,
                    w.offset
                );
            }
            cmds.insert(0, ("weight image", img));
        } else {
            cmds.push(("weight image", img));
        }
    }
    if a.dry_run {
        for (_, c) in &cmds {
            outln!("{}", c.shell_line());
        }
        return Ok(());
    }
    let several = cmds.len() > 1;
    for (what, c) in &cmds {
        let exe = find_program(&c.program).ok_or_else(|| FpgaError::NoProgrammer {
            program: c.program.clone(),
            package: tool.package(),
            env: tool.env_var(),
        })?;
        if !ctx.quiet {
            let what = if several {
                format!(", {what}")
            } else {
                String::new()
            };
            note!("{} ({}{what}): {}", board.name, c.mode, c.shell_line());
        }
        let status = Command::new(&exe)
            .args(&c.args)
            .status()
            .into_diagnostic()
            .wrap_err_with(|| format!("running {}", exe.display()))?;
        if !status.success() {
            return Err(miette::miette!(
                help = "check the board is plugged in and that you may access its USB device (udev rules)",
                "`{}` failed ({status})",
                c.shell_line()
            ));
        }
    }
    Ok(())
}
