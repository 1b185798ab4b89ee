//! The options of `qrnn-hw gen` as the user gives them (a family, board and device by name,
//! `ENGINE=PxS` folds, `NAME=KIND` placements, a pipeline spec) resolved and checked into a
//! [`Request`]: one place for the CLI, its project file (`qrnn.toml`) and the Python bindings,
//! so that each refuses the same things with the same diagnostics (they name the CLI's options).

use crate::Request;
use miette::{miette, Result};
use qrnn_fpga::Device;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::{Family, FoldSpec};

/// The options of `gen` before they are resolved.
#[derive(Clone, Debug)]
pub struct Choices<'a> {
    /// `--target`.
    pub target: Option<Family>,
    /// `--board`.
    pub board: Option<&'a str>,
    /// `--device`.
    pub device: Option<&'a str>,
    /// `--fit`.
    pub fit: bool,
    /// `--allow-overfit`.
    pub allow_overfit: bool,
    /// `--fold ENGINE=PxS`, in order.
    pub fold: &'a [String],
    /// `--weights`.
    pub weights: WeightsMode,
    /// `--place NAME=KIND`, in order.
    pub place: &'a [String],
    /// `--pipeline`.
    pub pipeline: Option<&'a str>,
    /// `--target-rate`.
    pub target_rate: Option<f64>,
    /// `--clock-mhz`.
    pub clock_mhz: Option<f64>,
}

/// Resolve and check the choices (the board's PLL included: a core clock it cannot make is
/// refused here, before any pass runs).
pub fn request(c: &Choices) -> Result<Request> {
    if let Some(r) = c.target_rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(miette!(
                code = "qrnn::gen::rate",
                help = "e.g. --target-rate 20000 (timesteps per second)",
                "--target-rate {r}: expected a positive number of timesteps per second"
            ));
        }
    }
    // --target-rate asks the fit for the smallest design that reaches the rate
    let fit = c.fit || c.target_rate.is_some();
    let (target, board, device) = resolve_target(c.target, c.board, c.device, fit)?;
    if c.weights == WeightsMode::Spram && target != Family::Ice40 {
        return Err(miette!(
            code = "qrnn::gen::place",
            help = format!(
                "SPRAM exists on the iCE40UP5K only: use --weights auto (block RAM) on {target}"
            ),
            "--weights spram: the target family {target} has no SPRAM"
        ));
    }
    let req = Request {
        folds: FoldSpec::parse(c.fold).map_err(|m| {
            miette!(
                code = "qrnn::gen::fold",
                help = "ENGINE is layer0, layer1, … or head; e.g. --fold layer0=2x8 --fold all=1x4",
                "{m}"
            )
        })?,
        weights: c.weights,
        target,
        board,
        clock_mhz: c.clock_mhz,
        device,
        fit,
        target_rate: c.target_rate,
        allow_overfit: c.allow_overfit,
        place: parse_place(c.place)?,
        pipeline: c
            .pipeline
            .map(|p| {
                p.parse::<qrnn_rtl::ir::Pipe>().map_err(|m| {
                    miette!(
                        code = "qrnn::gen::pipeline",
                        help = "e.g. --pipeline mv=4,update=2, --pipeline none or --pipeline max (docs/HARDWARE.md §4.4)",
                        "--pipeline {p:?}: {m}"
                    )
                })
            })
            .transpose()?,
        config: None,
    };
    // the core clock: refused here, before the passes run, if the board's PLL cannot make it
    if let (Some(mhz), None) = (c.clock_mhz, &req.board) {
        return Err(miette!(
            code = "qrnn::gen::clock",
            help = "add --board NAME (`qrnn-hw boards` lists them); a project without a board is timed with `make pnr FREQ_MHZ=…`",
            "--clock-mhz {mhz}: the core clock is made by a board's PLL, and no --board is given"
        ));
    }
    req.core_clock()?;
    Ok(req)
}

/// `--place NAME=KIND` options.
pub fn parse_place(
    items: &[String],
) -> Result<std::collections::BTreeMap<String, qrnn_rtl::ir::Placement>> {
    let mut out = std::collections::BTreeMap::new();
    for it in items {
        let (name, kind) = it.split_once('=').unwrap_or((it.as_str(), ""));
        let p: qrnn_rtl::ir::Placement = kind.parse().map_err(|_| {
                miette!(
                    code = "qrnn::gen::place",
                    help = "e.g. --place l0_u=spram; `qrnn-hw gen MODEL --dump-ir-after pack-weights` lists the memories",
                    "--place {it:?}: expected NAME=rom, NAME=logic or NAME=spram"
                )
            })?;
        if name.is_empty() {
            return Err(miette!(
                code = "qrnn::gen::place",
                "--place {it:?}: the memory name is empty"
            ));
        }
        out.insert(name.to_string(), p);
    }
    Ok(out)
}

/// Resolve `--device` against the board and family to one device, if any is named (or
/// `need_device`, as `--fit` does: then the family's default).
fn resolve_device(
    device: Option<&str>,
    board: Option<&qrnn_fpga::Board>,
    target: Family,
    need_device: bool,
) -> Result<Option<&'static Device>> {
    let known = || {
        qrnn_fpga::DEVICES
            .iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let named = match device {
        Some(d) => Some(qrnn_fpga::device(d).ok_or_else(|| {
            miette!(
                code = "qrnn::gen::device",
                help = format!("known devices: {}", known()),
                "unknown device `{d}`"
            )
        })?),
        None => None,
    };
    if let (Some(d), Some(b)) = (named, board) {
        if b.with_device(d.name).is_none() {
            let devices: Vec<&str> = std::iter::once(b.device.as_str())
                .chain(b.variants.iter().map(|v| v.device.as_str()))
                .collect();
            return Err(miette!(
                code = "qrnn::gen::device",
                help = "leave --device out (the board decides the device), or name one of its variants",
                "--device {} does not match board `{}`, which ships with {}",
                d.name,
                b.name,
                devices.join(", ")
            ));
        }
    }
    if let Some(d) = named {
        if d.family != target {
            return Err(miette!(
                code = "qrnn::gen::target",
                help = "leave --target out: the device decides the family",
                "--target {target} does not match device `{}`, which is {}",
                d.name,
                d.family
            ));
        }
        return Ok(Some(d));
    }
    if let Some(b) = board {
        return Ok(qrnn_fpga::device(&b.device));
    }
    if need_device {
        return Ok(qrnn_fpga::device(target.default_device()));
    }
    Ok(None)
}

/// The family, board and device that `--target`, `--board` and `--device` name (`gen`, and
/// `report --plot`): the board decides the family and device, a device its family, else the
/// family is ice40; with `need_device` a family without a named device gets its default device.
pub fn resolve_target(
    target: Option<Family>,
    board: Option<&str>,
    device: Option<&str>,
    need_device: bool,
) -> Result<(Family, Option<qrnn_fpga::Board>, Option<&'static Device>)> {
    let board = match board {
        Some(b) => Some(qrnn_fpga::find_board(b)?),
        None => None,
    };
    let device_family = device.and_then(qrnn_fpga::device).map(|d| d.family);
    let target = match (target, &board) {
        (Some(t), Some(b)) if t != b.family => {
            return Err(miette!(
                code = "qrnn::gen::target",
                help = "leave --target out: the board decides the family",
                "--target {t} does not match board `{}`, which is {}",
                b.name,
                b.family
            ))
        }
        (_, Some(b)) => b.family,
        (Some(t), None) => t,
        (None, None) => device_family.unwrap_or(Family::Ice40),
    };
    let device = resolve_device(device, board.as_ref(), target, need_device)?;
    // a board variant (`--board ulx3s --device 25k`): the board with that device and part
    let board = match (board, device) {
        (Some(b), Some(d)) => Some(b.with_device(d.name).unwrap_or(b)),
        (b, _) => b,
    };
    Ok((target, board, device))
}
