//! Boards: the schema of `crates/fpga/constraints/boards.toml` and the embedded copy of it and of
//! every pin file, so that the tool works from any directory.

use crate::device::{self, Device, Family};
use crate::error::FpgaError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The text of `crates/fpga/constraints/boards.toml`, embedded at build time.
pub const BOARDS_TOML: &str = include_str!("../constraints/boards.toml");

/// Every pin file in `crates/fpga/constraints/`, by file name, embedded at build time.
pub const PIN_FILES: &[(&str, &str)] = &[
    (
        "icebreaker.pcf",
        include_str!("../constraints/icebreaker.pcf"),
    ),
    ("upduino3.pcf", include_str!("../constraints/upduino3.pcf")),
    ("icesugar.pcf", include_str!("../constraints/icesugar.pcf")),
    (
        "alchitry-cu.pcf",
        include_str!("../constraints/alchitry-cu.pcf"),
    ),
    ("icestick.pcf", include_str!("../constraints/icestick.pcf")),
    ("ulx3s.lpf", include_str!("../constraints/ulx3s.lpf")),
    (
        "orangecrab.lpf",
        include_str!("../constraints/orangecrab.lpf"),
    ),
    (
        "colorlight-i5.lpf",
        include_str!("../constraints/colorlight-i5.lpf"),
    ),
    (
        "tangnano9k.cst",
        include_str!("../constraints/tangnano9k.cst"),
    ),
    (
        "tangnano20k.cst",
        include_str!("../constraints/tangnano20k.cst"),
    ),
];

/// The whole of `boards.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardsFile {
    /// The boards, in the order they are listed.
    pub board: Vec<Board>,
}

/// One board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// Identifier used on the command line (`--board`) and in `qrnn.json`: lower case, `a-z0-9-`.
    pub name: String,
    /// Human-readable name with its maker.
    pub title: String,
    /// FPGA family.
    pub family: Family,
    /// Device within the family: a short name from the device table (`up5k`, `85k`, `gw1nr9`, …).
    pub device: String,
    /// Package as nextpnr names it (`sg48`, `CABGA381`, `QN88P`, …).
    pub package: String,
    /// Full part number of the FPGA on the board (what nextpnr-himbaechel takes as `--device`).
    pub part: String,
    /// File name of the board's pin-constraint file in `crates/fpga/constraints/` (PCF, LPF or CST
    /// by family).
    pub pin_file: String,
    /// The board oscillator.
    pub clock: Clock,
    /// The UART to the host, pins named from the FPGA's side.
    pub uart: Uart,
    /// User LEDs.
    pub leds: Leds,
    /// The button used as the board top's reset; absent on boards without a user button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button: Option<Button>,
    /// How to load a bitstream.
    pub program: Program,
    /// The SPI configuration flash as the FPGA's user I/O reaches it, for designs whose weights
    /// sit in SPRAM and are loaded from it at start-up (docs/HARDWARE.md §4.3); absent on boards
    /// whose FPGA has no SPRAM or whose flash pins are taken by other ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<Flash>,
    /// Where the pins were taken from (`owner/repo: path`), most authoritative first.
    pub sources: Vec<String>,
    /// Caveats: jumpers, variants, unverified details.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Other devices the board ships with on the same pins (`gen --board NAME --device D`
    /// selects one, [`Board::with_device`]).
    #[serde(default)]
    pub variants: Vec<Variant>,
}

/// A variant of a board: the same package and pins around another device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// The device (`--device`), e.g. `25k`.
    pub device: String,
    /// Its full part number, e.g. `LFE5U-25F-6BG381C`.
    pub part: String,
    /// The board's title with it, e.g. `Radiona ULX3S (25F)`.
    pub title: String,
}

impl Board {
    /// The board with device `device`: itself, or the variant of that device (`None` when the
    /// board has no such variant).
    pub fn with_device(&self, device: &str) -> Option<Board> {
        if self.device.eq_ignore_ascii_case(device) {
            return Some(self.clone());
        }
        let v = self
            .variants
            .iter()
            .find(|v| v.device.eq_ignore_ascii_case(device))?;
        let mut b = self.clone();
        b.device = v.device.clone();
        b.part = v.part.clone();
        b.title = v.title.clone();
        Some(b)
    }
}

/// The board clock: the crystal (or oscillator) the core clock's PLL runs from
/// (docs/HARDWARE.md §7 "Clocking", [`crate::pll`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// Package pin of the clock input.
    pub pin: String,
    /// Oscillator frequency in hertz.
    pub hz: u64,
    /// iCE40 only (and there required): whether the clock pin is the PLL's own pad (`pad`:
    /// `SB_PLL40_PAD`) or reaches the PLL through the global network (`core`: `SB_PLL40_CORE`).
    /// Which one a pin is was found by placing both with nextpnr-ice40 (docs/HARDWARE.md §7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pll: Option<PllInput>,
}

/// How an iCE40 board's clock pin reaches the PLL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PllInput {
    /// The pin is the PLL's pad (PACKAGEPIN of `SB_PLL40_PAD`).
    Pad,
    /// Any other clock pin: `SB_PLL40_CORE`, its REFERENCECLK from the global buffer.
    Core,
}

/// UART pins, from the FPGA's side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uart {
    /// Pin the FPGA transmits on (to the host's receive line).
    pub tx: String,
    /// Pin the FPGA receives on (from the host's transmit line).
    pub rx: String,
}

/// Logic level at which an LED lights or a button reads as pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Active high: 1 = lit / pressed.
    High,
    /// Active low: 0 = lit / pressed.
    Low,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::High => "high",
            Level::Low => "low",
        })
    }
}

/// User LEDs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leds {
    /// Package pins, `led[0]` first.
    pub pins: Vec<String>,
    /// Level that lights them (the same for all of a board's LEDs).
    pub active: Level,
}

/// The reset button.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Button {
    /// Package pin.
    pub pin: String,
    /// Level read while pressed.
    pub active: Level,
    /// What the board's silkscreen or documentation calls it.
    pub label: String,
}

/// The board's SPI flash (the one the FPGA configures from), pins named from the FPGA's side as
/// the SPI master: `mosi` is the flash's IO0 (SI), `miso` its IO1 (SO).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flash {
    /// Package pin of the flash's chip select (active low).
    pub csn: String,
    /// Package pin of the flash's clock.
    pub sck: String,
    /// Package pin the FPGA drives the flash's IO0 (SI) on.
    pub mosi: String,
    /// Package pin the FPGA reads the flash's IO1 (SO) on.
    pub miso: String,
    /// Byte address in the flash where a design's weight image goes (the generator's
    /// `flash_offset` for this board): 64 KiB aligned and past the largest bitstream of the
    /// device rounded up to 64 KiB, because iceprog erases whole 64 KiB blocks before it writes
    /// (so writing the bitstream or the image never erases the other), and below 16 MiB (the
    /// loader sends 24-bit addresses).
    pub weight_offset: u32,
}

/// The erase block of the programmers' flash writes (iceprog's default `-i 64`): a weight image
/// starts on such a boundary so that neither write erases the other.
pub const FLASH_ERASE_BLOCK: u32 = 0x1_0000;

/// The programming tool a board uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// openFPGALoader (`-b <board>`; `-f` writes flash, otherwise SRAM).
    Openfpgaloader,
    /// icestorm's iceprog (FTDI; `-S` loads SRAM, otherwise flash).
    Iceprog,
    /// MuseLab's icesprog for the iCESugar's iCELink (flash only).
    Icesprog,
}

impl Tool {
    /// The program's file name.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Openfpgaloader => "openFPGALoader",
            Tool::Iceprog => "iceprog",
            Tool::Icesprog => "icesprog",
        }
    }

    /// The environment variable that overrides the program's path.
    pub fn env_var(self) -> &'static str {
        match self {
            Tool::Openfpgaloader => "QRNN_OPENFPGALOADER",
            Tool::Iceprog => "QRNN_ICEPROG",
            Tool::Icesprog => "QRNN_ICESPROG",
        }
    }

    /// Where to get the program.
    pub fn package(self) -> &'static str {
        match self {
            Tool::Openfpgaloader => "the Debian package `openfpgaloader`",
            Tool::Iceprog => "the Debian package `fpga-icestorm` (it provides iceprog)",
            Tool::Icesprog => {
                "icesprog from https://github.com/wuxx/icesugar (tools/; needs libhidapi and libusb-1.0)"
            }
        }
    }
}

/// Where a bitstream goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Configuration SRAM: immediate, lost at power-off.
    Sram,
    /// The configuration flash: persistent, slower.
    Flash,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Sram => "sram",
            Mode::Flash => "flash",
        })
    }
}

/// How to load a bitstream onto the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// The tool.
    pub tool: Tool,
    /// openFPGALoader's board name (`-b`); only with `tool = "openfpgaloader"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<String>,
    /// Whether loading into SRAM works on an unmodified board.
    pub sram: bool,
    /// Whether writing the configuration flash works on an unmodified board.
    pub flash: bool,
    /// The mode used when neither `--sram` nor `--flash` is given.
    pub default: Mode,
    /// openFPGALoader talks to a DFU bootloader, which always writes flash (no `-f`).
    #[serde(default)]
    pub dfu: bool,
}

impl Board {
    /// The device entry of this board.
    pub fn device_info(&self) -> Option<&'static Device> {
        device::device(&self.device).filter(|d| d.family == self.family)
    }

    /// The embedded text of this board's pin file.
    pub fn pin_file_text(&self) -> Option<&'static str> {
        PIN_FILES
            .iter()
            .find(|(n, _)| *n == self.pin_file)
            .map(|(_, t)| *t)
    }

    /// The top-level port name of LED `i` (`led[i]`, or `led` on a one-LED board, because
    /// nextpnr names a 1-bit vector port without an index).
    pub fn led_port(&self, i: usize) -> String {
        if self.leds.pins.len() == 1 {
            "led".to_string()
        } else {
            format!("led[{i}]")
        }
    }

    /// Every top-level port of the board top with its package pin, in a fixed order:
    /// `clk`, `uart_tx`, `uart_rx`, the LEDs, then `btn_rst` if the board has a button.
    pub fn ports(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("clk".to_string(), self.clock.pin.clone()),
            ("uart_tx".to_string(), self.uart.tx.clone()),
            ("uart_rx".to_string(), self.uart.rx.clone()),
        ];
        for (i, p) in self.leds.pins.iter().enumerate() {
            v.push((self.led_port(i), p.clone()));
        }
        if let Some(b) = &self.button {
            v.push(("btn_rst".to_string(), b.pin.clone()));
        }
        v
    }

    /// The flash ports of a board top with a weight loader, with their package pins, in the
    /// order the project's pin file lists them: `flash_csn`, `flash_sck`, `flash_mosi`,
    /// `flash_miso`; empty if the board has no `flash` table.
    pub fn flash_ports(&self) -> Vec<(String, String)> {
        match &self.flash {
            Some(f) => vec![
                ("flash_csn".to_string(), f.csn.clone()),
                ("flash_sck".to_string(), f.sck.clone()),
                ("flash_mosi".to_string(), f.mosi.clone()),
                ("flash_miso".to_string(), f.miso.clone()),
            ],
            None => vec![],
        }
    }

    /// The flash byte address for a weight image on this board (`flash.weight_offset`), or `None`
    /// if the board cannot load weights from its flash.
    pub fn weight_offset(&self) -> Option<u32> {
        self.flash.as_ref().map(|f| f.weight_offset)
    }

    /// The lowest flash address a weight image may start at on this board: the device's
    /// bitstream size rounded up to [`FLASH_ERASE_BLOCK`]; `None` if the bitstream size is not
    /// fixed (ECP5, Gowin).
    pub fn min_weight_offset(&self) -> Option<u32> {
        let bytes = self.device_info()?.bitstream_bytes()?;
        Some(bytes.div_ceil(FLASH_ERASE_BLOCK) * FLASH_ERASE_BLOCK)
    }

    /// The clock in MHz, for people.
    pub fn clock_mhz(&self) -> f64 {
        self.clock.hz as f64 / 1e6
    }

    /// Check what the schema cannot: the device exists in the family, the package is one of
    /// the device's, the pin file has the family's extension and is embedded, openFPGALoader
    /// boards name their `-b` board, the default mode is supported, no pin is used twice.
    pub fn validate(&self) -> Result<(), FpgaError> {
        let bad = |why: String| FpgaError::BoardInvalid {
            board: self.name.clone(),
            why,
        };
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad("the name must be lower case a-z, 0-9 and '-'".into()));
        }
        let dev = self.device_info().ok_or_else(|| {
            bad(format!(
                "device `{}` is not a known {} device",
                self.device, self.family
            ))
        })?;
        if !dev.packages.contains(&self.package.as_str()) {
            return Err(bad(format!(
                "package `{}` is not one of {}'s ({})",
                self.package,
                dev.part,
                dev.packages.join(", ")
            )));
        }
        let ext = self.family.pin_file_ext();
        if !self.pin_file.ends_with(&format!(".{ext}")) {
            return Err(bad(format!(
                "pin file `{}` should be a .{ext} file for {}",
                self.pin_file, self.family
            )));
        }
        if self.pin_file_text().is_none() {
            return Err(bad(format!(
                "pin file `{}` is not embedded in qrnn-fpga (crates/fpga/src/board.rs PIN_FILES)",
                self.pin_file
            )));
        }
        if self.leds.pins.is_empty() {
            return Err(bad("a board needs at least one LED".into()));
        }
        match (self.family, self.clock.pll) {
            (Family::Ice40, None) => {
                return Err(bad(
                    "an iCE40 board names how its clock reaches the PLL: `clock.pll = \"pad\"` (the PLL's own pad, SB_PLL40_PAD) or `\"core\"` (SB_PLL40_CORE)".into(),
                ))
            }
            (Family::Ecp5 | Family::Gowin, Some(_)) => {
                return Err(bad(format!(
                    "`clock.pll` is for iCE40 boards; {} has one PLL primitive",
                    self.family
                )))
            }
            _ => {}
        }
        let p = &self.program;
        match (p.tool, &p.board) {
            (Tool::Openfpgaloader, None) => {
                return Err(bad("openFPGALoader needs `program.board` (-b)".into()))
            }
            (Tool::Iceprog | Tool::Icesprog, Some(_)) => {
                return Err(bad("`program.board` is only for openFPGALoader".into()))
            }
            _ => {}
        }
        if p.dfu && p.tool != Tool::Openfpgaloader {
            return Err(bad("`program.dfu` is only for openFPGALoader".into()));
        }
        if p.dfu && p.sram {
            return Err(bad("a DFU bootloader cannot load SRAM".into()));
        }
        if p.tool == Tool::Icesprog && p.sram {
            return Err(bad("icesprog cannot load SRAM".into()));
        }
        if !self.supports(p.default) {
            return Err(bad(format!(
                "the default mode {} is not supported",
                p.default
            )));
        }
        if let Some(f) = &self.flash {
            if dev.spram_blocks == 0 || self.family != Family::Ice40 {
                return Err(bad(format!(
                    "a `flash` table is for boards whose FPGA has SPRAM for the weights (iCE40UP5K), not {}",
                    dev.part
                )));
            }
            if !self.program.flash {
                return Err(bad(
                    "a `flash` table needs `program.flash = true`: the weight image is written to the flash".into(),
                ));
            }
            let min = self.min_weight_offset().unwrap_or(u32::MAX);
            if !f.weight_offset.is_multiple_of(FLASH_ERASE_BLOCK)
                || f.weight_offset < min
                || f.weight_offset >= 1 << 24
            {
                return Err(bad(format!(
                    "flash.weight_offset 0x{:x} must be a multiple of 64 KiB, at least 0x{min:x} \
                     (past the {} bitstream) and below 16 MiB",
                    f.weight_offset, dev.part
                )));
            }
        }
        let mut ports = self.ports();
        ports.extend(self.flash_ports());
        for (i, (na, pa)) in ports.iter().enumerate() {
            if let Some((nb, _)) = ports[i + 1..].iter().find(|(_, pb)| pb == pa) {
                return Err(bad(format!("pin {pa} is used by both {na} and {nb}")));
            }
        }
        if self.sources.is_empty() {
            return Err(bad("every board cites the sources of its pins".into()));
        }
        Ok(())
    }

    /// Whether the board can be programmed in `mode`.
    pub fn supports(&self, mode: Mode) -> bool {
        match mode {
            Mode::Sram => self.program.sram,
            Mode::Flash => self.program.flash,
        }
    }

    /// The programmer column of `qrnn-hw boards`, e.g. `openFPGALoader -b ulx3s (sram*, flash)`
    /// (`*` marks the default).
    pub fn programmer_summary(&self) -> String {
        let tool = match (self.program.tool, &self.program.board) {
            (Tool::Openfpgaloader, Some(b)) => format!("openFPGALoader -b {b}"),
            (Tool::Openfpgaloader, None) => "openFPGALoader".to_string(),
            (Tool::Iceprog, _) => "iceprog".to_string(),
            (Tool::Icesprog, _) => "icesprog".to_string(),
        };
        let mut modes = Vec::new();
        for m in [Mode::Sram, Mode::Flash] {
            if self.supports(m) {
                let star = if m == self.program.default { "*" } else { "" };
                modes.push(format!("{m}{star}"));
            }
        }
        format!("{tool} ({})", modes.join(", "))
    }
}

/// Parse a `boards.toml` text and validate every board (and that names are unique).
pub fn parse_boards(text: &str) -> Result<Vec<Board>, FpgaError> {
    let file: BoardsFile = toml::from_str(text).map_err(|e| FpgaError::BoardsToml {
        message: e.message().to_string(),
        span: e.span().map(|r| (r.start, r.end - r.start).into()),
        src: text.to_string(),
    })?;
    for (i, b) in file.board.iter().enumerate() {
        b.validate()?;
        if file.board[..i].iter().any(|a| a.name == b.name) {
            return Err(FpgaError::BoardInvalid {
                board: b.name.clone(),
                why: "listed twice".into(),
            });
        }
    }
    Ok(file.board)
}

/// The boards of the embedded `boards.toml`.
pub fn boards() -> Result<Vec<Board>, FpgaError> {
    parse_boards(BOARDS_TOML)
}

/// Find a board by name: case-insensitive, `_` taken as `-`. An unknown name is an error that
/// lists the known ones.
pub fn find_board(name: &str) -> Result<Board, FpgaError> {
    let want = name.trim().to_ascii_lowercase().replace('_', "-");
    let all = boards()?;
    let known = all
        .iter()
        .map(|b| b.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    all.iter()
        .find(|b| b.name == want)
        .cloned()
        .ok_or(FpgaError::UnknownBoard {
            name: name.to_string(),
            known,
        })
}
