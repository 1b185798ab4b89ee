//! Feasibility of one generated design on one device (docs/HARDWARE.md §10 "Feasibility"): the
//! predicted use of every resource against what the device has, and the resources the design
//! overruns. DSP blocks never overrun: the products the device has no blocks for are LUT
//! multipliers (`Design::lut_products`), which the logic prediction already counts.

use crate::fit::{usage, Budget, Res, Use, CEILING};
use qrnn_fpga::Device;
use qrnn_rtl::ir::Design;

/// One design against one device.
#[derive(Clone, Debug, PartialEq)]
pub struct Feasibility {
    /// The device.
    pub device: &'static Device,
    /// Predicted use (its `cycles`: the latency).
    pub used: Use,
    /// Exact cycles per timestep (the initiation interval).
    pub cycles_per_step: u64,
    /// Products made LUT multipliers for want of DSP blocks.
    pub lut_products: usize,
    /// The resources the design needs more of than the device has: (resource, needed, available).
    pub overruns: Vec<(Res, u64, u64)>,
}

/// Amount of a resource the device has, as the fit's budget counts it (`None`: not counted there,
/// e.g. iCE40 flip-flops, which are in the logic cells).
fn available(device: &'static Device, r: Res) -> Option<u64> {
    Budget::new(device, CEILING).limits[r as usize].map(|(a, _)| a)
}

/// Check `d` against `device`.
pub fn check(d: &Design, device: &'static Device) -> Feasibility {
    let used = usage(d, device.family);
    let overruns = Res::ALL
        .into_iter()
        .filter_map(|r| {
            let a = available(device, r)?;
            (used.get(r) > a).then(|| (r, used.get(r), a))
        })
        .collect();
    Feasibility {
        device,
        used,
        cycles_per_step: d.cycles_per_step,
        lut_products: d.lut_products.len(),
        overruns,
    }
}

impl Feasibility {
    /// Whether the design fits the device.
    pub fn fits(&self) -> bool {
        self.overruns.is_empty()
    }

    /// The prediction as a table, one row per resource the device counts.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let d = self.device;
        let mut s = format!(
            "predicted for {} ({}): {} cycles per timestep\n",
            d.part, d.name, self.cycles_per_step
        );
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>7} {:>6}",
            "resource", "predicted", "device", "use"
        );
        for r in Res::ALL {
            if let Some(a) = available(d, r) {
                let u = self.used.get(r);
                if a == 0 && u == 0 {
                    continue; // SPRAM of an iCE40 that has none, unused
                }
                let pct = if a == 0 {
                    0.0
                } else {
                    100.0 * u as f64 / a as f64
                };
                let _ = writeln!(
                    s,
                    "{:<22} {:>9} {:>7} {:>4.0} %",
                    r.label(d.family),
                    u,
                    a,
                    pct
                );
            }
        }
        if self.lut_products > 0 {
            let _ = writeln!(
                s,
                "{} product(s) beyond the device's {} DSP blocks are LUT multipliers (counted in \
                 the logic above)",
                self.lut_products, d.dsps
            );
        }
        s
    }

    /// The overruns in words: `needs N logic cells (LUT4+FF) of the device's M (P %)`, joined.
    pub fn overrun_text(&self) -> String {
        self.overruns
            .iter()
            .map(|(r, n, a)| {
                let what = r.label(self.device.family);
                if *a == 0 {
                    format!("{n} {what}, which the device has none of")
                } else {
                    format!(
                        "{n} {what} of the device's {a} ({:.0} %)",
                        100.0 * *n as f64 / *a as f64
                    )
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
