//! The timing model: which pipeline levels each FPGA family gets by default, and the clock a
//! design is expected to close at (docs/HARDWARE.md §4.4). The figures are measured, not derived:
//! `scripts/measure-timing.sh` places designs with nextpnr and writes bench/results/timing.md.

use crate::ir::Pipe;
use crate::vocab::Family;

/// The pipeline levels the generator gives the dense engines of a design for `family` when
/// `--pipeline` is not given: every level on every family. On the iCE40 a LUT level costs about
/// 3.3 ns with routing, so 48 MHz leaves room for about six levels between registers; the
/// deepest pipeline is what gets there (docs/HARDWARE.md §4.4 shows each level's gain).
pub fn default_pipe(family: Family) -> Pipe {
    match family {
        Family::Ice40 | Family::Ecp5 | Family::Gowin => Pipe {
            mv: Pipe::MAX_MV,
            update: Pipe::MAX_UPDATE,
        },
    }
}

/// The clock a design with pipeline `p` is expected to close at on `device` (a device short name
/// such as `up5k`, `hx8k`, `25k`, `gw1nr9`; the family's default device when `None`), in MHz:
/// the estimate `--fit --target-rate` turns a rate into cycles with, and the timesteps per
/// second `gen` reports. Calibrated on the ternary LSTM 16→64 at its `--fit` fold (nextpnr, core
/// alone; bench/results/timing.md): without pipeline levels and with all of them; a partial
/// pipeline is interpolated between the two by the share of its levels (matrix-vector levels
/// weigh 0.6, update levels 0.4). The iCE40 HX fabric is about twice as fast as the UP5K's (the
/// demo placed at 26.9 against 13.4 MHz). Gowin is not measured at this size: its figure is the
/// ECP5's scaled by the ratio of their demo board tops, an estimate only.
pub fn fmax_estimate(family: Family, device: Option<&str>, p: Pipe) -> f64 {
    let (none, full) = match family {
        Family::Ice40 => (13.8, 46.0),
        Family::Ecp5 => (27.0, 85.0),
        Family::Gowin => (18.0, 55.0),
    };
    let share = 0.6 * f64::from(p.mv.min(Pipe::MAX_MV)) / f64::from(Pipe::MAX_MV)
        + 0.4 * f64::from(p.update.min(Pipe::MAX_UPDATE)) / f64::from(Pipe::MAX_UPDATE);
    let f = none + (full - none) * share;
    match (family, device) {
        (Family::Ice40, Some(d)) if d.starts_with("hx") || d.starts_with("lp") => 1.9 * f,
        _ => f,
    }
}

/// Timesteps per second at `mhz` with `cycles_per_step` cycles per timestep.
pub fn rate(mhz: f64, cycles_per_step: u64) -> f64 {
    mhz * 1e6 / cycles_per_step.max(1) as f64
}
