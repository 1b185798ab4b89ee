//! Build reports: the resources that yosys and nextpnr report for a generated design, beside the
//! compiler's prediction (`qrnn.json` → `resources`), and the design's speed at the achieved clock.
//!
//! Inputs are the files the generated project's `make synth` and `make pnr` leave in `build/`:
//! `stat.json` (yosys `stat -json`) and `pnr.json` (nextpnr `--report`). Cell names are mapped per
//! family: iCE40 `SB_LUT4`/`SB_DFF*`/`SB_CARRY`/`SB_RAM40_4K`/`SB_MAC16`, ECP5
//! `LUT4`/`TRELLIS_FF`/`CCU2C`/`DP16KD`/`MULT18X18D`, Gowin `LUT1..4`/`DFF*`/`ALU`/`SDPB`-`DP`-`SP`/`MULT*`.

use crate::device::Family;
use qrnn_rtl::manifest::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A report that could not be made: which file, and why.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}: {message}", path.display())]
#[diagnostic(
    code(qrnn::fpga::report),
    help("run `make synth` (and `make pnr`) in the project first")
)]
pub struct ReportError {
    /// The file.
    pub path: std::path::PathBuf,
    /// What is wrong.
    pub message: String,
}

fn err(path: &Path, message: impl Into<String>) -> ReportError {
    ReportError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Resource counts of one implementation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Look-up tables (LUT4 equivalents).
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// Carry cells (iCE40 SB_CARRY, ECP5 CCU2C, Gowin ALU).
    pub carry: u64,
    /// Block RAMs.
    pub bram: u64,
    /// DSP / hard multiplier blocks.
    pub dsp: u64,
    /// I/O cells (after place and route).
    pub io: Option<u64>,
}

/// The report of one build.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Model name.
    pub model: String,
    /// Model hash.
    pub model_hash: String,
    /// Family.
    pub family: String,
    /// What was built: `qrnn_core` (the core alone) or `qrnn_top` (the board top around it).
    pub top: String,
    /// Synthesised counts (yosys).
    pub synthesis: Counts,
    /// Counts after place and route (nextpnr utilisation), if it ran.
    pub placed: Option<Counts>,
    /// Every cell type yosys reported, for reference.
    pub cells: BTreeMap<String, u64>,
    /// The compiler's prediction.
    pub predicted: qrnn_rtl::resources::Resources,
    /// The prediction in the family's units (logic cells on iCE40, DSP blocks), when the
    /// manifest has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_use: Option<qrnn_rtl::manifest::FamilyUse>,
    /// Achieved clock (MHz), if place and route ran.
    pub fmax_mhz: Option<f64>,
    /// Timing target (MHz).
    pub target_mhz: Option<f64>,
    /// Whether the achieved clock meets the target.
    pub meets_timing: Option<bool>,
    /// A board build's core clock as asked for (`gen --clock-mhz` or the default), MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_clock_mhz: Option<f64>,
    /// A board build's core clock as its PLL makes it (nextpnr's timing target), MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pll_clock_mhz: Option<f64>,
    /// A board build's PLL: primitive and parameters (`SB_PLL40_PAD DIVR=0 …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pll: Option<String>,
    /// Cycles per timestep (compiler, asserted in simulation).
    pub cycles_per_step: u64,
    /// Timesteps per second at the achieved clock.
    pub timesteps_per_s: Option<f64>,
    /// Latency of one timestep at the achieved clock (µs).
    pub latency_us: Option<f64>,
    /// Why place and route failed, from its log, when the design did not fit the device
    /// ([`pnr_failure`]): `None` when it ran, or was not run, or failed otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pnr_failure: Option<String>,
}

/// The resources nextpnr found over-used, from the "Device utilisation" lines of its log
/// (`Info:   ICESTORM_LC:  6494/ 5280   122%`): `(bel type, used, available)` where used > available.
pub fn pnr_overuse(log: &str) -> Vec<(String, u64, u64)> {
    log.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix("Info:")?.trim();
            let (name, rest) = l.split_once(':')?;
            let (used, rest) = rest.split_once('/')?;
            let avail = rest.split_whitespace().next()?;
            let (used, avail) = (used.trim().parse().ok()?, avail.parse().ok()?);
            (!name.contains(' ') && used > avail).then(|| (name.to_string(), used, avail))
        })
        .collect()
}

/// nextpnr's failure to fit in words: its "no BELs remaining" / "Failed to expand region" (or any
/// error after an over-used utilisation line) as `needs N BEL of the device's M (P %)` for every
/// over-used resource; `None` when the log shows no over-use.
pub fn pnr_failure(log: &str) -> Option<String> {
    let over = pnr_overuse(log);
    if over.is_empty() {
        return None;
    }
    let needs: Vec<String> = over
        .iter()
        .map(|(k, u, a)| {
            format!(
                "needs {u} {k} of the device's {a} ({:.0} %)",
                100.0 * *u as f64 / (*a).max(1) as f64
            )
        })
        .collect();
    let cause = log
        .lines()
        .find(|l| l.contains("no BELs remaining") || l.contains("Failed to expand region"))
        .map(|l| {
            format!(
                " (nextpnr: {})",
                l.trim().trim_start_matches("ERROR:").trim()
            )
        })
        .unwrap_or_default();
    Some(format!(
        "the design does not fit the device: it {}{cause}",
        needs.join(", ")
    ))
}

/// nextpnr's verdict on a missed clock, from its log (`Info: Max frequency for clock 'c': 20.31
/// MHz (FAIL at 24.00 MHz)`): `(achieved, target)` MHz of the slowest failing clock; `None` when
/// every clock passed. Only the routed design's figures count: those after the log's last line
/// about routing (nextpnr's estimate after placement comes before it; a log without such a line
/// is read whole), as the board Makefile's timing check does.
pub fn pnr_timing_miss(log: &str) -> Option<(f64, f64)> {
    let lines: Vec<&str> = log.lines().collect();
    let routed = lines
        .iter()
        .rposition(|l| l.contains("Routing"))
        .map_or(0, |i| i + 1);
    lines[routed..]
        .iter()
        .filter_map(|l| {
            let rest = &l[l.find("Max frequency for clock")?..];
            let (_, rest) = rest.split_once("': ")?;
            let (achieved, rest) = rest.split_once(" MHz (FAIL at ")?;
            let target = rest.strip_suffix(" MHz)")?;
            Some((achieved.trim().parse().ok()?, target.trim().parse().ok()?))
        })
        .min_by(|a: &(f64, f64), b| a.0.total_cmp(&b.0))
}

/// The place-and-route log of a project's last build: the board top's (`build/top-pnr.log`) or
/// the core's (`build/pnr.log`), whichever was written last.
pub fn pnr_log(dir: &Path) -> Option<String> {
    ["build/top-pnr.log", "build/pnr.log"]
        .iter()
        .map(|n| dir.join(n))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max_by_key(|(t, _)| *t)
        .and_then(|(_, p)| std::fs::read_to_string(p).ok())
}

fn count(cells: &BTreeMap<String, u64>, f: impl Fn(&str) -> bool) -> u64 {
    cells.iter().filter(|(k, _)| f(k)).map(|(_, v)| *v).sum()
}

/// Map yosys cell counts to [`Counts`] for a family.
pub fn counts(family: Family, cells: &BTreeMap<String, u64>) -> Counts {
    match family {
        Family::Ice40 => Counts {
            lut: count(cells, |k| k == "SB_LUT4"),
            ff: count(cells, |k| k.starts_with("SB_DFF")),
            carry: count(cells, |k| k == "SB_CARRY"),
            bram: count(cells, |k| k.starts_with("SB_RAM40") || k == "SB_SPRAM256KA"),
            dsp: count(cells, |k| k == "SB_MAC16"),
            io: None,
        },
        Family::Ecp5 => Counts {
            lut: count(cells, |k| k == "LUT4") + 2 * count(cells, |k| k == "TRELLIS_DPR16X4"),
            ff: count(cells, |k| k == "TRELLIS_FF"),
            carry: count(cells, |k| k == "CCU2C"),
            bram: count(cells, |k| k == "DP16KD" || k == "PDPW16KD"),
            dsp: count(cells, |k| {
                k.starts_with("MULT18X18") || k.starts_with("ALU54")
            }),
            io: None,
        },
        Family::Gowin => Counts {
            lut: count(cells, |k| k.starts_with("LUT") && k.len() == 4)
                + count(cells, |k| k.starts_with("RAM16")),
            ff: count(cells, |k| k.starts_with("DFF")),
            carry: count(cells, |k| k == "ALU"),
            bram: count(cells, |k| {
                matches!(
                    k,
                    "SP" | "SPX9"
                        | "DP"
                        | "DPX9"
                        | "SDP"
                        | "SDPX9"
                        | "SDPB"
                        | "SDPX9B"
                        | "DPB"
                        | "DPX9B"
                        | "ROM"
                        | "ROMX9"
                )
            }),
            dsp: count(cells, |k| {
                k.starts_with("MULT") || k.starts_with("MULTALU") || k.starts_with("MULTADDALU")
            }),
            io: None,
        },
    }
}

/// Read `stat.json` (yosys `stat -json`): cell counts of the top design.
pub fn read_yosys_stat(path: &Path) -> Result<BTreeMap<String, u64>, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| err(path, format!("not yosys `stat -json` output: {e}")))?;
    let by_type = v
        .get("design")
        .and_then(|d| d.get("num_cells_by_type"))
        .and_then(|c| c.as_object())
        .ok_or_else(|| {
            err(
                path,
                "expected design.num_cells_by_type (yosys `stat -json`)",
            )
        })?;
    by_type
        .iter()
        .map(|(k, n)| {
            n.as_u64()
                .map(|n| (k.clone(), n))
                .ok_or_else(|| err(path, format!("cell count of {k} is not a number")))
        })
        .collect()
}

/// What nextpnr's `--report` says.
#[derive(Clone, Debug, PartialEq)]
pub struct Pnr {
    /// Achieved and target clock of the (first) clock domain, MHz.
    pub fmax: Option<(f64, f64)>,
    /// Utilisation: bel type → (used, available).
    pub utilization: BTreeMap<String, (u64, u64)>,
}

/// Read `pnr.json` (nextpnr `--report`).
pub fn read_nextpnr_report(path: &Path) -> Result<Pnr, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| err(path, format!("not a nextpnr --report file: {e}")))?;
    let fmax = v.get("fmax").and_then(|f| f.as_object()).and_then(|o| {
        // the slowest clock domain decides
        o.values()
            .filter_map(|d| Some((d.get("achieved")?.as_f64()?, d.get("constraint")?.as_f64()?)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    });
    let utilization = v
        .get("utilization")
        .and_then(|u| u.as_object())
        .ok_or_else(|| err(path, "expected a `utilization` object (nextpnr --report)"))?
        .iter()
        .filter_map(|(k, u)| {
            Some((
                k.clone(),
                (u.get("used")?.as_u64()?, u.get("available")?.as_u64()?),
            ))
        })
        .collect();
    Ok(Pnr { fmax, utilization })
}

/// Placed counts; iCE40 logic cells hold a LUT, a flip-flop and a carry each, so for iCE40 the
/// flip-flop and carry counts are those of synthesis and `lut` counts logic cells.
fn placed_counts(family: Family, u: &BTreeMap<String, (u64, u64)>, synth: &Counts) -> Counts {
    let used = |k: &str| u.get(k).map(|x| x.0).unwrap_or(0);
    match family {
        Family::Ice40 => Counts {
            lut: used("ICESTORM_LC"),
            ff: synth.ff,
            carry: synth.carry,
            bram: used("ICESTORM_RAM") + used("ICESTORM_SPRAM"),
            dsp: used("ICESTORM_DSP"),
            io: Some(used("SB_IO")),
        },
        Family::Ecp5 => Counts {
            lut: used("TRELLIS_COMB"),
            ff: used("TRELLIS_FF"),
            carry: 0,
            bram: used("DP16KD"),
            dsp: used("MULT18X18D"),
            io: Some(used("TRELLIS_IO")),
        },
        Family::Gowin => Counts {
            lut: used("LUT4"),
            ff: used("DFF"),
            carry: used("ALU"),
            bram: used("BSRAM"),
            dsp: u
                .iter()
                .filter(|(k, _)| k.starts_with("MULT") || k.starts_with("DSP"))
                .map(|(_, x)| x.0)
                .sum(),
            io: Some(used("IOB")),
        },
    }
}

/// Make the report of a project directory from `qrnn.json`, `build/stat.json` and, if present,
/// `build/pnr.json`.
pub fn report(dir: &Path) -> Result<Report, ReportError> {
    let mpath = dir.join("qrnn.json");
    let man = Manifest::read(dir)
        .map_err(|why| err(&mpath, format!("{why} (is this a qrnn-hw project?)")))?;
    let family = man.target;
    // a board build (`make` in a project generated with --board) reports the whole board top;
    // otherwise `make synth`/`make pnr` of the core alone
    let board = dir.join("build/top-stat.json").exists();
    let (stat, pnr_name) = if board {
        ("build/top-stat.json", "build/top-pnr.json")
    } else {
        ("build/stat.json", "build/pnr.json")
    };
    let cells = read_yosys_stat(&dir.join(stat))?;
    let synthesis = counts(family, &cells);
    let pnr_path = dir.join(pnr_name);
    let pnr = if pnr_path.exists() {
        Some(read_nextpnr_report(&pnr_path)?)
    } else {
        None
    };
    let fmax = pnr.as_ref().and_then(|p| p.fmax);
    let cps = man.cycles_per_step;
    let clock = man.board_clock.as_ref().filter(|_| board);
    Ok(Report {
        model: man.model_name.clone(),
        model_hash: man.model_hash.clone(),
        family: family.to_string(),
        top: if board {
            "qrnn_top".into()
        } else {
            "qrnn_core".into()
        },
        synthesis: synthesis.clone(),
        placed: pnr
            .as_ref()
            .map(|p| placed_counts(family, &p.utilization, &synthesis)),
        cells,
        predicted: man.resources.clone(),
        family_use: man.family_use.clone(),
        fmax_mhz: fmax.map(|f| f.0),
        target_mhz: fmax.map(|f| f.1),
        meets_timing: fmax.map(|f| f.0 >= f.1),
        requested_clock_mhz: clock.map(|c| c.requested_mhz),
        pll_clock_mhz: clock.map(|c| c.achieved_mhz),
        pll: clock.map(|c| format!("{} {}", c.pll, crate::pll::params_text(&c.params))),
        cycles_per_step: cps,
        timesteps_per_s: fmax.map(|f| f.0 * 1e6 / cps as f64),
        // a timestep's latency (manifests written before it was recorded: the cycles per step)
        latency_us: fmax
            .map(|f| man.latency.max(if man.latency == 0 { cps } else { 0 }) as f64 / f.0),
        pnr_failure: if pnr.is_none() {
            pnr_log(dir).and_then(|l| pnr_failure(&l))
        } else {
            None
        },
    })
}

/// The resource rows of a report: name, predicted, synthesised, placed; `-` where a figure is
/// not counted. One row per thing counted, so that no figure stands beside another of a
/// different kind: nextpnr-ice40 counts logic cells (a LUT4, its flip-flop and carry in one
/// cell), not LUTs, so the iCE40's placed count has a row of its own ("logic cell"), and
/// nextpnr-ecp5 counts a CCU2C's halves among its TRELLIS_COMB with no carry of its own, so the
/// ECP5's placed carry is `-` (`report.json` keeps nextpnr's counts as they are).
pub fn rows(r: &Report) -> Vec<[String; 4]> {
    let p = &r.predicted;
    let placed = |f: fn(&Counts) -> u64| {
        r.placed
            .as_ref()
            .map(|c| f(c).to_string())
            .unwrap_or_else(|| "-".into())
    };
    let ice40 = r.family == "ice40";
    let ecp5 = r.family == "ecp5";
    let dash = || "-".to_string();
    let mut v = vec![[
        "LUT".to_string(),
        p.lut4.to_string(),
        r.synthesis.lut.to_string(),
        if ice40 { dash() } else { placed(|c| c.lut) },
    ]];
    if ice40 {
        let predicted = r
            .family_use
            .as_ref()
            .filter(|u| u.logic_unit == "logic_cells")
            .map_or_else(dash, |u| u.logic.to_string());
        v.push(["logic cell".into(), predicted, dash(), placed(|c| c.lut)]);
    }
    v.push([
        "FF".into(),
        p.ff.to_string(),
        r.synthesis.ff.to_string(),
        placed(|c| c.ff),
    ]);
    v.push([
        "carry".into(),
        dash(),
        r.synthesis.carry.to_string(),
        if ecp5 { dash() } else { placed(|c| c.carry) },
    ]);
    v.push([
        "BRAM".into(),
        p.bram_blocks.to_string(),
        r.synthesis.bram.to_string(),
        placed(|c| c.bram),
    ]);
    let spram = r.cells.get("SB_SPRAM256KA").copied().unwrap_or(0);
    if p.spram_blocks > 0 || spram > 0 {
        v.push([
            "SPRAM".into(),
            p.spram_blocks.to_string(),
            spram.to_string(),
            dash(),
        ]);
    }
    v.push([
        "DSP".into(),
        // DSP blocks where the manifest counts them, else every multiplier (an upper bound)
        r.family_use
            .as_ref()
            .map_or(p.elementwise_multipliers + p.mv_multipliers, |u| u.dsp)
            .to_string(),
        r.synthesis.dsp.to_string(),
        placed(|c| c.dsp),
    ]);
    if let Some(io) = r.placed.as_ref().and_then(|c| c.io) {
        v.push(["IO".into(), dash(), dash(), io.to_string()]);
    }
    v
}

/// The report as a table for people.
pub fn render(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "model   {} ({})",
        r.model,
        &r.model_hash[..16.min(r.model_hash.len())]
    );
    let _ = writeln!(s, "family  {}", r.family);
    let _ = writeln!(s, "top     {}", r.top);
    let _ = writeln!(
        s,
        "\n{:<10} {:>10} {:>10} {:>10}",
        "resource", "predicted", "synthesis", "placed"
    );
    for row in rows(r) {
        let _ = writeln!(
            s,
            "{:<10} {:>10} {:>10} {:>10}",
            row[0], row[1], row[2], row[3]
        );
    }
    let _ = writeln!(s, "\ncycles per timestep  {}", r.cycles_per_step);
    if let (Some(req), Some(pll)) = (r.requested_clock_mhz, r.pll_clock_mhz) {
        let _ = writeln!(
            s,
            "core clock           {} MHz from the PLL (requested {} MHz; {})",
            crate::pll::fmt_mhz(pll),
            crate::pll::fmt_mhz(req),
            r.pll.as_deref().unwrap_or("-")
        );
    }
    match (r.fmax_mhz, r.target_mhz) {
        (Some(f), Some(t)) => {
            let _ = writeln!(
                s,
                "Fmax                 {f:.2} MHz (target {t:.2} MHz: {})",
                if f >= t { "met" } else { "MISSED" }
            );
            let _ = writeln!(
                s,
                "timesteps/s at Fmax  {:.0}",
                r.timesteps_per_s.unwrap_or(0.0)
            );
            let _ = writeln!(
                s,
                "latency at Fmax      {:.2} µs (first input to last output of a timestep)",
                r.latency_us.unwrap_or(0.0)
            );
        }
        _ => match &r.pnr_failure {
            Some(why) => {
                let _ = writeln!(s, "place and route      FAILED: {why}");
            }
            None => {
                let _ = writeln!(s, "Fmax                 - (run `make pnr`)");
            }
        },
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// nextpnr-ice40 0.4's log of a design that does not fit the UP5K (trimmed).
    const OVERFULL: &str = "Info: Device utilisation:\n\
Info: \t         ICESTORM_LC:  6494/ 5280   122%\n\
Info: \t        ICESTORM_RAM:    26/   30    86%\n\
Info: \t      ICESTORM_SPRAM:     4/    4   100%\n\
Info: Placed 0 cells based on constraints.\n\
ERROR: Unable to place cell 'u_l0_c_b0.mem.0.0_WADDR_SB_DFF_Q_1_DFFLC', no BELs remaining to implement cell type 'ICESTORM_LC'\n\
1 warning, 1 error\n";

    #[test]
    fn an_overfull_placement_is_said_in_numbers() {
        assert_eq!(
            pnr_overuse(OVERFULL),
            vec![("ICESTORM_LC".to_string(), 6494, 5280)]
        );
        let why = pnr_failure(OVERFULL).expect("an over-use");
        assert!(
            why.starts_with("the design does not fit the device: it needs 6494 ICESTORM_LC of the device's 5280 (123 %)"),
            "{why}"
        );
        assert!(why.contains("no BELs remaining"), "{why}");
        // a full resource is not over-used, and a log without over-use says nothing
        assert_eq!(pnr_failure(&OVERFULL.replace("6494", "5280")), None);
        assert_eq!(
            pnr_failure("Info: Max frequency for clock 'clk': 16.06 MHz\n"),
            None
        );
    }

    #[test]
    fn a_missed_clock_is_read_from_the_log() {
        let log = "Info: Max frequency for clock 'clk_core': 20.31 MHz (FAIL at 24.00 MHz)\n\
Info: Max frequency for clock 'other': 50.00 MHz (PASS at 12.00 MHz)\n";
        assert_eq!(pnr_timing_miss(log), Some((20.31, 24.0)));
        assert_eq!(
            pnr_timing_miss("Info: Max frequency for clock 'c': 30.1 MHz (PASS at 24.00 MHz)\n"),
            None
        );
        assert_eq!(pnr_timing_miss(OVERFULL), None);
        // the estimate after placement missed, the routed design met the clock
        let log = "Info: Max frequency for clock 'clk_core': 86.45 MHz (FAIL at 100.00 MHz)\n\
Info: Routing..\n\
Info: Routing complete.\n\
Info: Max frequency for clock 'clk_core': 108.04 MHz (PASS at 100.00 MHz)\n";
        assert_eq!(pnr_timing_miss(log), None);
        let log = "Info: Max frequency for clock 'clk_core': 36.85 MHz (PASS at 40.00 MHz)\n\
Info: Routing complete.\n\
Warning: Max frequency for clock 'clk_core': 37.83 MHz (FAIL at 40.00 MHz)\n";
        assert_eq!(pnr_timing_miss(log), Some((37.83, 40.0)));
    }

    #[test]
    fn ice40_cells_map_to_counts() {
        let cells: BTreeMap<String, u64> = [
            ("SB_LUT4", 4291),
            ("SB_DFFE", 928),
            ("SB_DFF", 30),
            ("SB_CARRY", 581),
            ("SB_RAM40_4K", 4),
            ("SB_MAC16", 3),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let c = counts(Family::Ice40, &cells);
        assert_eq!(
            (c.lut, c.ff, c.carry, c.bram, c.dsp),
            (4291, 958, 581, 4, 3)
        );
    }

    #[test]
    fn ecp5_cells_map_to_counts() {
        let cells: BTreeMap<String, u64> = [
            ("LUT4", 1994),
            ("TRELLIS_FF", 3221),
            ("CCU2C", 340),
            ("DP16KD", 10),
            ("MULT18X18D", 3),
            ("TRELLIS_DPR16X4", 16),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let c = counts(Family::Ecp5, &cells);
        assert_eq!(
            (c.lut, c.ff, c.carry, c.bram, c.dsp),
            (1994 + 32, 3221, 340, 10, 3)
        );
    }

    #[test]
    fn nextpnr_report_parses_fmax_and_utilization() {
        let dir = std::env::temp_dir().join(format!("qrnn-pnr-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("pnr.json");
        std::fs::write(
            &p,
            r#"{"critical_paths": [], "fmax": {"clk$SB_IO_IN_$glb_clk": {"achieved": 26.924423217773438, "constraint": 12}},
               "utilization": {"ICESTORM_LC": {"available": 7680, "used": 5347}, "ICESTORM_RAM": {"available": 32, "used": 4}, "SB_IO": {"available": 256, "used": 32}}}"#,
        )
        .unwrap();
        let r = read_nextpnr_report(&p).unwrap();
        // nextpnr prints the MHz with 17 digits; serde_json parses them to within an ulp or two
        let (f, t) = r.fmax.unwrap();
        assert!(
            (f - 26.924423217773438).abs() < 1e-9 && t == 12.0,
            "{f} {t}"
        );
        assert_eq!(r.utilization["ICESTORM_LC"], (5347, 7680));
        let c = placed_counts(Family::Ice40, &r.utilization, &Counts::default());
        assert_eq!((c.lut, c.bram, c.io), (5347, 4, Some(32)));
        std::fs::write(&p, "{}").unwrap();
        assert!(read_nextpnr_report(&p)
            .unwrap_err()
            .to_string()
            .contains("utilization"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
