//! The core clock of a board design: one clock domain, made from the board's crystal by the
//! family's PLL. The generator computes the PLL's parameters here, as the vendors' and the open
//! tools' calculators do, and the board project instantiates the PLL with them
//! (`board/qrnn_pll.v`, [`Pll::verilog`]); the UART divider (`CLK_HZ`), nextpnr's `--freq`,
//! `qrnn.json` and the README take the frequency the PLL achieves ([`Pll::clk_hz`],
//! [`Pll::out_mhz`]).
//!
//! Every PLL here is integer-N, so every frequency is the crystal's times a fraction of the
//! dividers; the search compares them exactly, in integers (only the request, a decimal number of
//! MHz, is compared in floating point):
//!
//! - **iCE40** `SB_PLL40_PAD` (the crystal on the PLL's own pad) or `SB_PLL40_CORE` (any other
//!   pin, through the global network), `FEEDBACK_PATH "SIMPLE"` (iCE40 sysCLOCK PLL Design and
//!   Usage Guide; icestorm's `icepll`): f_pfd = f_in / (DIVR+1), f_vco = f_pfd · (DIVF+1),
//!   f_out = f_vco / 2^DIVQ, with DIVR 0..15, DIVF 0..127, DIVQ 1..6, f_in and f_pfd 10–133 MHz,
//!   f_vco 533–1066 MHz, f_out 16–275 MHz; FILTER_RANGE follows f_pfd (< 17 MHz: 1, < 26: 2,
//!   < 44: 3, < 66: 4, < 101: 5, else 6). Which primitive a board uses is its `clock.pll` in
//!   boards.toml.
//! - **ECP5** `EHXPLLL`, `FEEDBK_PATH "CLKOP"` (prjtrellis's `ecppll`): f_pfd = f_in / CLKI_DIV,
//!   f_out = f_pfd · CLKFB_DIV, f_vco = f_out · CLKOP_DIV, with CLKI_DIV 1..128, CLKFB_DIV 1..80,
//!   CLKOP_DIV 1..128, f_in 8–400 MHz, f_pfd 3.125–400 MHz, f_vco 400–800 MHz, f_out 10–400 MHz.
//!   CLKOP_CPHASE is ecppll's (half the output period in VCO cycles, computed in `float` and
//!   truncated, so 2 for CLKOP_DIV 6): [`ecppll_cphase`].
//! - **Gowin** `rPLL` (Gowin UG286, Clock User Guide): f_pfd = f_in / (IDIV_SEL+1),
//!   f_out = f_pfd · (FBDIV_SEL+1), f_vco = f_out · ODIV_SEL, with IDIV_SEL and FBDIV_SEL 0..63,
//!   ODIV_SEL one of 2, 4, 8, 16, 32, 48, …, 128; GW1NR-9 (C6/I5, DS117): f_in and f_pfd 3–400 MHz,
//!   f_vco 400–1200 MHz, f_out 3.125–600 MHz; GW2AR-18 (C8/I7, DS226): f_in and f_pfd 3–500 MHz,
//!   f_vco 500–1250 MHz, f_out 3.90625–625 MHz (the limits apycula's gowin_pack checks).
//!
//! The choice: the highest f_out at or below the frequency asked for (never above it: a design
//! is timed for what it asked). Among equal f_out: iCE40 the first in icepll's search order
//! (smallest DIVR, then DIVF, DIVQ), ECP5 the VCO nearest 600 MHz (ecppll's rule), Gowin the VCO
//! nearest the middle of its range; then the first found (smallest input divider). Where
//! icepll/ecppll's closest frequency is at or below the request, the dividers are theirs (the
//! unit tests check cases run through both tools).
//!
//! One place holds the per-family facts: [`default_core_clock_mhz`] (the core clock when
//! `gen --clock-mhz` is not given) and [`max_core_clock_mhz`] (the sanity ceiling).

use crate::board::{Board, PllInput};
use crate::device::Family;
use crate::error::FpgaError;
use std::fmt::Write as _;

/// The core clock of a board design when `qrnn-hw gen --clock-mhz` is not given, in MHz, per
/// family. The one place this default is defined, set from timing measurements of whole board
/// designs (docs/HARDWARE.md §7 "Clocking"): the pipelined core alone closes at 45–50 MHz on the
/// UP5K (docs/HARDWARE.md §4.5) and the iCEBreaker's demo build (core and board top) at 49 MHz,
/// but a design with weights in SPRAM at about 38 (its loader), so iCE40 boards run at 36 MHz. The
/// ULX3S demo build closes at 108.9 MHz, the ECP5-25K LSTM 16→64 core at its fit fold at about
/// 90 (bench/results/timing.md), so ECP5 boards run at 75 MHz. Gowin keeps the board clock its
/// demo build was measured to meet (Tang Nano 9K, 27 MHz: 98 MHz before the pipeline); Gowin
/// timing is not measured at larger sizes.
pub fn default_core_clock_mhz(family: Family) -> f64 {
    match family {
        Family::Ice40 => 36.0,
        Family::Ecp5 => 75.0,
        Family::Gowin => 27.0,
    }
}

/// The highest core clock `--clock-mhz` accepts, in MHz, per family: a sanity ceiling, not a
/// device figure. No design this generator makes gets near it (a bare counter places at about
/// 80 MHz on the iCE40UP5K and 190 MHz on the HX8K), so a request above it is a typing error.
pub fn max_core_clock_mhz(family: Family) -> f64 {
    match family {
        Family::Ice40 => 200.0,
        Family::Ecp5 | Family::Gowin => 400.0,
    }
}

/// The highest core clock of a design whose weights are loaded from the board's SPI flash: its
/// SPI clock is half the core clock, and the flash's plain Read (03h) is specified to 50 MHz
/// (W25Q128JV, the iCEBreaker's).
pub const MAX_LOADER_CLOCK_MHZ: f64 = 100.0;

/// A frequency range in hertz, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// Lowest.
    pub min: u64,
    /// Highest.
    pub max: u64,
}

impl Range {
    const fn mhz(min: f64, max: f64) -> Range {
        Range {
            min: (min * 1e6) as u64,
            max: (max * 1e6) as u64,
        }
    }

    /// Whether `num / den` hertz lies in the range (exactly).
    fn holds(&self, num: u128, den: u128) -> bool {
        num >= u128::from(self.min) * den && num <= u128::from(self.max) * den
    }
}

/// A PLL's operating limits (the vendor's data sheet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Input (reference) clock.
    pub input: Range,
    /// Phase-frequency detector (the input after the input divider).
    pub pfd: Range,
    /// Oscillator.
    pub vco: Range,
    /// Output.
    pub output: Range,
}

/// The iCE40 PLL (all iCE40 LP/HX/UltraPlus devices; icepll's limits).
pub const ICE40_LIMITS: Limits = Limits {
    input: Range::mhz(10.0, 133.0),
    pfd: Range::mhz(10.0, 133.0),
    vco: Range::mhz(533.0, 1066.0),
    output: Range::mhz(16.0, 275.0),
};

/// The ECP5 EHXPLLL (ecppll's limits).
pub const ECP5_LIMITS: Limits = Limits {
    input: Range::mhz(8.0, 400.0),
    pfd: Range::mhz(3.125, 400.0),
    vco: Range::mhz(400.0, 800.0),
    output: Range::mhz(10.0, 400.0),
};

/// The GW1NR-9's rPLL, speed grade C6/I5 (DS117).
pub const GW1NR9_LIMITS: Limits = Limits {
    input: Range::mhz(3.0, 400.0),
    pfd: Range::mhz(3.0, 400.0),
    vco: Range::mhz(400.0, 1200.0),
    output: Range::mhz(3.125, 600.0),
};

/// The GW2AR-18's rPLL, speed grade C8/I7 (DS226).
pub const GW2AR18_LIMITS: Limits = Limits {
    input: Range::mhz(3.0, 500.0),
    pfd: Range::mhz(3.0, 500.0),
    vco: Range::mhz(500.0, 1250.0),
    output: Range::mhz(3.90625, 625.0),
};

/// The output dividers of the Gowin rPLL (ODIV_SEL).
pub const GOWIN_ODIVS: [u32; 11] = [2, 4, 8, 16, 32, 48, 64, 80, 96, 112, 128];

/// Which PLL, with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Params {
    /// iCE40 SB_PLL40_PAD / SB_PLL40_CORE in SIMPLE feedback.
    Ice40 {
        /// Whether the crystal drives the PLL's own pad (SB_PLL40_PAD) or comes through the
        /// global network (SB_PLL40_CORE).
        input: PllInput,
        /// Reference divider − 1 (0..15).
        divr: u32,
        /// Feedback divider − 1 (0..127).
        divf: u32,
        /// Output divider as a power of two (1..6).
        divq: u32,
        /// Loop filter range (1..6), from the PFD frequency.
        filter_range: u32,
    },
    /// ECP5 EHXPLLL, feedback from CLKOP.
    Ecp5 {
        /// Input divider (1..128).
        clki_div: u32,
        /// Feedback divider (1..80).
        clkfb_div: u32,
        /// Output divider (1..128).
        clkop_div: u32,
        /// Coarse phase of CLKOP in VCO cycles (ecppll's choice).
        clkop_cphase: u32,
    },
    /// Gowin rPLL, internal feedback.
    Gowin {
        /// The rPLL's DEVICE parameter (`GW1NR-9C`, `GW2AR-18C`).
        device: &'static str,
        /// Input divider − 1 (0..63).
        idiv_sel: u32,
        /// Feedback divider − 1 (0..63).
        fbdiv_sel: u32,
        /// Output (VCO) divider, one of [`GOWIN_ODIVS`].
        odiv_sel: u32,
    },
}

/// A PLL configuration: the crystal, the frequency asked for, the parameters; every frequency
/// follows from them exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Pll {
    /// The crystal (the board's `clock.hz`).
    pub input_hz: u64,
    /// The core clock asked for, MHz.
    pub requested_mhz: f64,
    /// The primitive and its parameters.
    pub params: Params,
}

/// The parameter names of every primitive, in the order the data sheets give them: the order
/// [`params_text`] writes a `qrnn.json` `board_clock.params` map in.
pub const PARAM_ORDER: [&str; 11] = [
    "DIVR",
    "DIVF",
    "DIVQ",
    "FILTER_RANGE",
    "CLKI_DIV",
    "CLKFB_DIV",
    "CLKOP_DIV",
    "CLKOP_CPHASE",
    "IDIV_SEL",
    "FBDIV_SEL",
    "ODIV_SEL",
];

/// `DIVR=0 DIVF=63 DIVQ=5 FILTER_RANGE=1` from a name → value map (`qrnn.json` →
/// `board_clock.params`), in [`PARAM_ORDER`] (names it does not know last, sorted).
pub fn params_text(params: &std::collections::BTreeMap<String, u32>) -> String {
    let mut keys: Vec<&String> = params.keys().collect();
    keys.sort_by_key(|k| {
        PARAM_ORDER
            .iter()
            .position(|p| p == k)
            .unwrap_or(usize::MAX)
    });
    keys.iter()
        .map(|k| format!("{k}={}", params[*k]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The PLL primitive of a family (iCE40: by how the clock pin reaches the PLL).
pub fn primitive(family: Family, input: PllInput) -> &'static str {
    match (family, input) {
        (Family::Ice40, PllInput::Pad) => "SB_PLL40_PAD",
        (Family::Ice40, PllInput::Core) => "SB_PLL40_CORE",
        (Family::Ecp5, _) => "EHXPLLL",
        (Family::Gowin, _) => "rPLL",
    }
}

/// `(numerator, denominator)` of a frequency as a fraction of the input clock.
type Ratio = (u64, u64);

impl Params {
    /// The primitive's name.
    pub fn primitive(&self) -> &'static str {
        match self {
            Params::Ice40 { input, .. } => primitive(Family::Ice40, *input),
            Params::Ecp5 { .. } => primitive(Family::Ecp5, PllInput::Core),
            Params::Gowin { .. } => primitive(Family::Gowin, PllInput::Core),
        }
    }

    /// The parameters by their names in the primitive, in the order the data sheets give them.
    pub fn named(&self) -> Vec<(&'static str, u32)> {
        match *self {
            Params::Ice40 {
                divr,
                divf,
                divq,
                filter_range,
                ..
            } => vec![
                ("DIVR", divr),
                ("DIVF", divf),
                ("DIVQ", divq),
                ("FILTER_RANGE", filter_range),
            ],
            Params::Ecp5 {
                clki_div,
                clkfb_div,
                clkop_div,
                clkop_cphase,
            } => vec![
                ("CLKI_DIV", clki_div),
                ("CLKFB_DIV", clkfb_div),
                ("CLKOP_DIV", clkop_div),
                ("CLKOP_CPHASE", clkop_cphase),
            ],
            Params::Gowin {
                idiv_sel,
                fbdiv_sel,
                odiv_sel,
                ..
            } => vec![
                ("IDIV_SEL", idiv_sel),
                ("FBDIV_SEL", fbdiv_sel),
                ("ODIV_SEL", odiv_sel),
            ],
        }
    }

    /// f_out / f_in, f_vco / f_in and f_pfd / f_in.
    fn ratios(&self) -> (Ratio, Ratio, Ratio) {
        match *self {
            Params::Ice40 {
                divr, divf, divq, ..
            } => {
                let (r, f) = (u64::from(divr) + 1, u64::from(divf) + 1);
                ((f, r << divq), (f, r), (1, r))
            }
            Params::Ecp5 {
                clki_div,
                clkfb_div,
                clkop_div,
                ..
            } => {
                let (i, f, o) = (
                    u64::from(clki_div),
                    u64::from(clkfb_div),
                    u64::from(clkop_div),
                );
                ((f, i), (f * o, i), (1, i))
            }
            Params::Gowin {
                idiv_sel,
                fbdiv_sel,
                odiv_sel,
                ..
            } => {
                let (i, f) = (u64::from(idiv_sel) + 1, u64::from(fbdiv_sel) + 1);
                ((f, i), (f * u64::from(odiv_sel), i), (1, i))
            }
        }
    }
}

fn hz(input_hz: u64, (n, d): Ratio) -> f64 {
    (u128::from(input_hz) * u128::from(n)) as f64 / d as f64
}

/// A frequency in MHz for people and for nextpnr's `--freq`: at most six decimals, trailing
/// zeros dropped (`24`, `23.958333`).
pub fn fmt_mhz(mhz: f64) -> String {
    let s = format!("{mhz:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

impl Pll {
    /// The primitive's name (`SB_PLL40_PAD`, `SB_PLL40_CORE`, `EHXPLLL`, `rPLL`).
    pub fn primitive(&self) -> &'static str {
        self.params.primitive()
    }

    /// The output frequency, Hz (exact up to the f64).
    pub fn out_hz(&self) -> f64 {
        hz(self.input_hz, self.params.ratios().0)
    }

    /// The output frequency, MHz.
    pub fn out_mhz(&self) -> f64 {
        self.out_hz() / 1e6
    }

    /// The output frequency in whole hertz, rounded down: the board top's `CLK_HZ` (its UART
    /// divider is `CLK_HZ / BAUD`) and the simulated board's clock.
    pub fn clk_hz(&self) -> u64 {
        let (n, d) = self.params.ratios().0;
        (u128::from(self.input_hz) * u128::from(n) / u128::from(d)) as u64
    }

    /// The oscillator frequency, Hz.
    pub fn vco_hz(&self) -> f64 {
        hz(self.input_hz, self.params.ratios().1)
    }

    /// The phase detector's frequency, Hz.
    pub fn pfd_hz(&self) -> f64 {
        hz(self.input_hz, self.params.ratios().2)
    }

    /// `DIVR=0 DIVF=63 DIVQ=5 FILTER_RANGE=1`.
    pub fn params_text(&self) -> String {
        self.params
            .named()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// One line for people: `SB_PLL40_PAD 12 MHz → 24 MHz (VCO 768 MHz; DIVR=0 …)`.
    pub fn summary(&self) -> String {
        format!(
            "{} {} MHz → {} MHz (VCO {} MHz; {})",
            self.primitive(),
            fmt_mhz(self.input_hz as f64 / 1e6),
            fmt_mhz(self.out_mhz()),
            fmt_mhz(self.vco_hz() / 1e6),
            self.params_text()
        )
    }

    /// The record of this clock in `qrnn.json` (`board_clock`).
    pub fn manifest(&self) -> qrnn_rtl::manifest::BoardClock {
        qrnn_rtl::manifest::BoardClock {
            board_hz: self.input_hz,
            requested_mhz: self.requested_mhz,
            achieved_mhz: self.out_mhz(),
            clk_hz: self.clk_hz(),
            pll: self.primitive().to_string(),
            params: self
                .params
                .named()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            vco_mhz: self.vco_hz() / 1e6,
        }
    }

    /// `board/qrnn_pll.v`: module `qrnn_pll (clk_in, clk_out, locked)` with the family's PLL
    /// primitive, or, when `SIMULATION` is defined (the simulated board and the tests define
    /// it), the behavioural model `qrnn_pll_sim` of `hw/qrnn_pll_sim.v`: the input clock passed
    /// through, `locked` rising after `SIM_LOCK_CYCLES` cycles. In simulation the core clock is
    /// therefore the board clock, and a simulated cycle is a core cycle.
    pub fn verilog(&self, board: &Board) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "// Generated by qrnn-hw. Do not edit: regenerate with `qrnn-hw gen --board {}`.",
            board.name
        );
        let _ = writeln!(
            s,
            "// The core clock of {} ({}): {}, requested {} MHz.",
            board.title,
            board.part,
            self.summary(),
            fmt_mhz(self.requested_mhz)
        );
        let _ = writeln!(
            s,
            "// With the macro SIMULATION defined (the simulated board, the tests) the behavioural model of"
        );
        let _ = writeln!(
            s,
            "// hw/qrnn_pll_sim.v stands in: the board clock passed through, locked after {SIM_LOCK_CYCLES} cycles."
        );
        s.push_str("module qrnn_pll (\n    input  wire clk_in,\n    output wire clk_out,\n    output wire locked\n);\n");
        s.push_str("`ifdef SIMULATION\n");
        let _ = writeln!(
            s,
            "    qrnn_pll_sim #(.LOCK_CYCLES({SIM_LOCK_CYCLES})) u_pll (.clk_in(clk_in), .clk_out(clk_out), .locked(locked));"
        );
        s.push_str("`else\n");
        s.push_str(&self.primitive_instance());
        s.push_str("`endif\nendmodule\n");
        s
    }

    /// The primitive's instance, `clk_in` → `clk_out`, `locked`.
    fn primitive_instance(&self) -> String {
        match self.params {
            Params::Ice40 {
                input,
                divr,
                divf,
                divq,
                filter_range,
            } => {
                let pin = match input {
                    PllInput::Pad => "PACKAGEPIN",
                    PllInput::Core => "REFERENCECLK",
                };
                format!(
                    "    {prim} #(
        .FEEDBACK_PATH(\"SIMPLE\"),
        .DIVR(4'd{divr}),
        .DIVF(7'd{divf}),
        .DIVQ(3'd{divq}),
        .FILTER_RANGE(3'd{filter_range})
    ) u_pll (
        .{pin}(clk_in),
        .PLLOUTGLOBAL(clk_out),
        .LOCK(locked),
        .RESETB(1'b1),
        .BYPASS(1'b0)
    );
",
                    prim = self.primitive()
                )
            }
            Params::Ecp5 {
                clki_div,
                clkfb_div,
                clkop_div,
                clkop_cphase,
            } => format!(
                "    // the loop filter settings Lattice's tools and ecppll use
    (* ICP_CURRENT=\"12\", LPF_RESISTOR=\"8\", MFG_ENABLE_FILTEROPAMP=\"1\", MFG_GMCREF_SEL=\"2\" *)
    EHXPLLL #(
        .PLLRST_ENA(\"DISABLED\"),
        .INTFB_WAKE(\"DISABLED\"),
        .STDBY_ENABLE(\"DISABLED\"),
        .DPHASE_SOURCE(\"DISABLED\"),
        .OUTDIVIDER_MUXA(\"DIVA\"),
        .OUTDIVIDER_MUXB(\"DIVB\"),
        .OUTDIVIDER_MUXC(\"DIVC\"),
        .OUTDIVIDER_MUXD(\"DIVD\"),
        .CLKI_DIV({clki_div}),
        .CLKFB_DIV({clkfb_div}),
        .CLKOP_ENABLE(\"ENABLED\"),
        .CLKOP_DIV({clkop_div}),
        .CLKOP_CPHASE({clkop_cphase}),
        .CLKOP_FPHASE(0),
        .FEEDBK_PATH(\"CLKOP\")
    ) u_pll (
        .RST(1'b0),
        .STDBY(1'b0),
        .CLKI(clk_in),
        .CLKOP(clk_out),
        .CLKFB(clk_out),
        .CLKINTFB(),
        .PHASESEL0(1'b0),
        .PHASESEL1(1'b0),
        .PHASEDIR(1'b1),
        .PHASESTEP(1'b1),
        .PHASELOADREG(1'b1),
        .PLLWAKESYNC(1'b0),
        .ENCLKOP(1'b0),
        .LOCK(locked)
    );
"
            ),
            Params::Gowin {
                device,
                idiv_sel,
                fbdiv_sel,
                odiv_sel,
            } => format!(
                "    rPLL #(
        .FCLKIN(\"{fclkin}\"),
        .DEVICE(\"{device}\"),
        .DYN_IDIV_SEL(\"false\"),
        .IDIV_SEL({idiv_sel}),
        .DYN_FBDIV_SEL(\"false\"),
        .FBDIV_SEL({fbdiv_sel}),
        .DYN_ODIV_SEL(\"false\"),
        .ODIV_SEL({odiv_sel}),
        .PSDA_SEL(\"0000\"),
        .DYN_DA_EN(\"false\"),
        .DUTYDA_SEL(\"1000\"),
        .CLKOUT_FT_DIR(1'b1),
        .CLKOUTP_FT_DIR(1'b1),
        .CLKOUT_DLY_STEP(0),
        .CLKOUTP_DLY_STEP(0),
        .CLKFB_SEL(\"internal\"),
        .CLKOUT_BYPASS(\"false\"),
        .CLKOUTP_BYPASS(\"false\"),
        .CLKOUTD_BYPASS(\"false\"),
        .DYN_SDIV_SEL(2),
        .CLKOUTD_SRC(\"CLKOUT\"),
        .CLKOUTD3_SRC(\"CLKOUT\")
    ) u_pll (
        .CLKIN(clk_in),
        .CLKOUT(clk_out),
        .LOCK(locked),
        .CLKOUTP(),
        .CLKOUTD(),
        .CLKOUTD3(),
        .RESET(1'b0),
        .RESET_P(1'b0),
        .CLKFB(1'b0),
        .FBDSEL(6'd0),
        .IDSEL(6'd0),
        .ODSEL(6'd0),
        .PSDA(4'd0),
        .DUTYDA(4'd0),
        .FDLY(4'b1111)
    );
",
                fclkin = fmt_mhz(self.input_hz as f64 / 1e6),
            ),
        }
    }
}

/// Cycles the simulation model of the PLL (`hw/qrnn_pll_sim.v`) holds `locked` low after
/// start-up in a generated project (a real PLL locks within tens of microseconds; the model
/// only has to show that the board waits for it).
pub const SIM_LOCK_CYCLES: u32 = 64;

/// ecppll's CLKOP_CPHASE: half the output period in VCO cycles, computed as ecppll computes it
/// (`float` frequencies in MHz, the phase in `float` seconds, the product truncated), so that the
/// generated instance is the tool's. For CLKOP_DIV 6 that gives 2, for 8 it gives 4.
pub fn ecppll_cphase(input_hz: u64, clki_div: u32, clkfb_div: u32, clkop_div: u32) -> u32 {
    let input = (input_hz as f64 / 1e6) as f32;
    let fpfd = input / clki_div as f32;
    let fvco = fpfd * clkfb_div as f32 * clkop_div as f32;
    let fout = fvco / clkop_div as f32;
    let ns_phase = (1.0 / (f64::from(fout) * 1e6) * 0.5) as f32;
    (f64::from(ns_phase) * (f64::from(fvco) * 1e6)) as u32
}

/// The PLL limits of a board's device, and for Gowin the rPLL's DEVICE parameter.
pub fn limits(family: Family, device: &str) -> Option<(Limits, &'static str)> {
    match (family, device) {
        (Family::Ice40, _) => Some((ICE40_LIMITS, "")),
        (Family::Ecp5, _) => Some((ECP5_LIMITS, "")),
        (Family::Gowin, "gw1nr9") => Some((GW1NR9_LIMITS, "GW1NR-9C")),
        (Family::Gowin, "gw2ar18") => Some((GW2AR18_LIMITS, "GW2AR-18C")),
        (Family::Gowin, _) => None,
    }
}

/// Every configuration of the family's PLL that the limits allow for `input_hz`, in the search
/// order of the rule in the module header (icepll's and ecppll's loop order).
fn candidates(
    family: Family,
    ice40_input: PllInput,
    gowin_device: &'static str,
    input_hz: u64,
    lim: &Limits,
) -> Vec<Params> {
    let mut v = Vec::new();
    if !lim.input.holds(input_hz.into(), 1) {
        return v;
    }
    let fin = u128::from(input_hz);
    let ok = |p: &Params| {
        let (o, vco, pfd) = p.ratios();
        let r = |(n, d): Ratio| (fin * u128::from(n), u128::from(d));
        let (on, od) = r(o);
        let (vn, vd) = r(vco);
        let (pn, pd) = r(pfd);
        lim.output.holds(on, od) && lim.vco.holds(vn, vd) && lim.pfd.holds(pn, pd)
    };
    match family {
        Family::Ice40 => {
            for divr in 0..=15u32 {
                for divf in 0..=127u32 {
                    for divq in 1..=6u32 {
                        let pfd_mhz = input_hz as f64 / 1e6 / f64::from(divr + 1);
                        let filter_range = match pfd_mhz {
                            f if f < 17.0 => 1,
                            f if f < 26.0 => 2,
                            f if f < 44.0 => 3,
                            f if f < 66.0 => 4,
                            f if f < 101.0 => 5,
                            _ => 6,
                        };
                        let p = Params::Ice40 {
                            input: ice40_input,
                            divr,
                            divf,
                            divq,
                            filter_range,
                        };
                        if ok(&p) {
                            v.push(p);
                        }
                    }
                }
            }
        }
        Family::Ecp5 => {
            for clki_div in 1..=128u32 {
                if !lim.pfd.holds(fin, clki_div.into()) {
                    continue;
                }
                for clkfb_div in 1..=80u32 {
                    if !lim
                        .output
                        .holds(fin * u128::from(clkfb_div), clki_div.into())
                    {
                        continue;
                    }
                    for clkop_div in 1..=128u32 {
                        let p = Params::Ecp5 {
                            clki_div,
                            clkfb_div,
                            clkop_div,
                            clkop_cphase: 0,
                        };
                        if ok(&p) {
                            v.push(Params::Ecp5 {
                                clki_div,
                                clkfb_div,
                                clkop_div,
                                clkop_cphase: ecppll_cphase(
                                    input_hz, clki_div, clkfb_div, clkop_div,
                                ),
                            });
                        }
                    }
                }
            }
        }
        Family::Gowin => {
            for idiv_sel in 0..=63u32 {
                for fbdiv_sel in 0..=63u32 {
                    for odiv_sel in GOWIN_ODIVS {
                        let p = Params::Gowin {
                            device: gowin_device,
                            idiv_sel,
                            fbdiv_sel,
                            odiv_sel,
                        };
                        if ok(&p) {
                            v.push(p);
                        }
                    }
                }
            }
        }
    }
    v
}

/// |f_vco − target| · den for comparing VCOs of equal-output candidates (`target` in Hz).
fn vco_distance(input_hz: u64, p: &Params, target: u64) -> (u128, u128) {
    let (n, d) = p.ratios().1;
    let num = u128::from(input_hz) * u128::from(n);
    let t = u128::from(target) * u128::from(d);
    (num.abs_diff(t), u128::from(d))
}

/// The configuration with the highest output at or below `requested_mhz` (ties as in the module
/// header), or `None` if every output the PLL can make from `input_hz` is higher (or the input
/// is out of range).
pub fn search(
    family: Family,
    device: &str,
    ice40_input: PllInput,
    input_hz: u64,
    requested_mhz: f64,
) -> Option<Pll> {
    let (lim, gowin_device) = limits(family, device)?;
    // the request in Hz; a hair of tolerance so that 33.333333 asks for 100/3 MHz
    let req = requested_mhz * 1e6 * (1.0 + 1e-12);
    let vco_target = match family {
        Family::Ice40 => None,
        Family::Ecp5 => Some(600_000_000),
        Family::Gowin => Some((lim.vco.min + lim.vco.max) / 2),
    };
    let mut best: Option<Params> = None;
    for p in candidates(family, ice40_input, gowin_device, input_hz, &lim) {
        let (n, d) = p.ratios().0;
        let num = u128::from(input_hz) * u128::from(n);
        if num as f64 > req * d as f64 {
            continue;
        }
        let better = match &best {
            None => true,
            Some(b) => {
                let (bn, bd) = b.ratios().0;
                // compare num/d with input·bn/bd
                let lhs = num * u128::from(bd);
                let rhs = u128::from(input_hz) * u128::from(bn) * u128::from(d);
                lhs > rhs
                    || (lhs == rhs
                        && vco_target.is_some_and(|t| {
                            let (a, ad) = vco_distance(input_hz, &p, t);
                            let (c, cd) = vco_distance(input_hz, b, t);
                            a * cd < c * ad
                        }))
            }
        };
        if better {
            best = Some(p);
        }
    }
    best.map(|params| Pll {
        input_hz,
        requested_mhz,
        params,
    })
}

/// The lowest and highest output the family's PLL makes from `input_hz` (MHz), for error
/// messages.
fn output_span(family: Family, device: &str, input: PllInput, input_hz: u64) -> Option<(f64, f64)> {
    let (lim, g) = limits(family, device)?;
    let outs: Vec<f64> = candidates(family, input, g, input_hz, &lim)
        .iter()
        .map(|p| hz(input_hz, p.ratios().0) / 1e6)
        .collect();
    let lo = outs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = outs.iter().copied().fold(0.0, f64::max);
    (lo.is_finite()).then_some((lo, hi))
}

/// The core clock of a design on `board`: `requested_mhz` (`gen --clock-mhz`) or the family's
/// [`default_core_clock_mhz`], made by the board's PLL. Refuses a frequency that is not a
/// positive number, is above [`max_core_clock_mhz`], or is below anything the PLL can make from
/// the board's crystal, naming `--clock-mhz`.
pub fn core_clock(board: &Board, requested_mhz: Option<f64>) -> Result<Pll, FpgaError> {
    let mhz = requested_mhz.unwrap_or_else(|| default_core_clock_mhz(board.family));
    let input = board.clock.pll.unwrap_or(PllInput::Core);
    let max = max_core_clock_mhz(board.family);
    let crystal = fmt_mhz(board.clock_mhz());
    let err = |why: String, help: String| FpgaError::Clock {
        board: board.name.clone(),
        why,
        help,
    };
    let span = || output_span(board.family, &board.device, input, board.clock.hz);
    let range_help = |span: Option<(f64, f64)>| match span {
        Some((lo, hi)) => format!(
            "give --clock-mhz from {} to {} MHz (the default for {} is {} MHz)",
            fmt_mhz(lo),
            fmt_mhz(hi.min(max)),
            board.family,
            fmt_mhz(default_core_clock_mhz(board.family))
        ),
        None => "leave --clock-mhz out".to_string(),
    };
    if !mhz.is_finite() || mhz <= 0.0 {
        return Err(err(
            format!("--clock-mhz {mhz}: a core clock is a positive frequency in MHz"),
            range_help(span()),
        ));
    }
    if mhz > max {
        return Err(err(
            format!(
                "--clock-mhz {}: above the {} MHz that any {} core clock could run at",
                fmt_mhz(mhz),
                fmt_mhz(max),
                board.family
            ),
            range_help(span()),
        ));
    }
    let primitive = primitive(board.family, input);
    search(board.family, &board.device, input, board.clock.hz, mhz).ok_or_else(|| {
        let s = span();
        err(
            match s {
                Some((lo, _)) => format!(
                    "--clock-mhz {}: the {primitive} PLL makes nothing at or below it from the board's {crystal} MHz clock (its lowest output is {} MHz)",
                    fmt_mhz(mhz),
                    fmt_mhz(lo)
                ),
                None => format!(
                    "the {primitive} PLL cannot run from the board's {crystal} MHz clock"
                ),
            },
            range_help(s),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four parameters of one primitive, in the data sheet's order.
    type Four = (u32, u32, u32, u32);

    fn ice40(input_mhz: f64, out_mhz: f64) -> Pll {
        search(
            Family::Ice40,
            "up5k",
            PllInput::Pad,
            (input_mhz * 1e6) as u64,
            out_mhz,
        )
        .unwrap()
    }

    fn ecp5(input_mhz: f64, out_mhz: f64) -> Pll {
        search(
            Family::Ecp5,
            "85k",
            PllInput::Core,
            (input_mhz * 1e6) as u64,
            out_mhz,
        )
        .unwrap()
    }

    fn gowin(device: &str, out_mhz: f64) -> Pll {
        search(Family::Gowin, device, PllInput::Core, 27_000_000, out_mhz).unwrap()
    }

    fn ice40_params(p: &Pll) -> Four {
        match p.params {
            Params::Ice40 {
                divr,
                divf,
                divq,
                filter_range,
                ..
            } => (divr, divf, divq, filter_range),
            _ => panic!("{p:?}"),
        }
    }

    fn ecp5_params(p: &Pll) -> Four {
        match p.params {
            Params::Ecp5 {
                clki_div,
                clkfb_div,
                clkop_div,
                clkop_cphase,
            } => (clki_div, clkfb_div, clkop_div, clkop_cphase),
            _ => panic!("{p:?}"),
        }
    }

    fn gowin_params(p: &Pll) -> (u32, u32, u32) {
        match p.params {
            Params::Gowin {
                idiv_sel,
                fbdiv_sel,
                odiv_sel,
                ..
            } => (idiv_sel, fbdiv_sel, odiv_sel),
            _ => panic!("{p:?}"),
        }
    }

    /// icepll (fpga-icestorm 0~20230218) `-i IN -o OUT`: DIVR, DIVF, DIVQ, FILTER_RANGE and the
    /// achieved MHz as it prints them, for cases whose closest frequency is not above the request.
    /// icepll checks the 16–275 MHz output range on the request only: for `-i 12 -o 16` it gives
    /// 15.938 MHz (DIVF 84, DIVQ 6), below the data sheet's 16 MHz, which this search never does.
    #[test]
    fn ice40_matches_icepll() {
        // (input MHz, output MHz, (DIVR, DIVF, DIVQ, FILTER_RANGE), achieved MHz)
        let cases: [(f64, f64, Four, f64); 12] = [
            (12.0, 48.0, (0, 63, 4, 1), 48.0),
            (12.0, 24.0, (0, 63, 5, 1), 24.0),
            (12.0, 20.0, (0, 52, 5, 1), 19.875),
            (12.0, 27.0, (0, 71, 5, 1), 27.0),
            (12.0, 30.0, (0, 79, 5, 1), 30.0),
            (12.0, 36.0, (0, 47, 4, 1), 36.0),
            (12.0, 60.0, (0, 79, 4, 1), 60.0),
            (100.0, 16.5, (8, 94, 6, 1), 16.493),
            (100.0, 24.0, (2, 22, 5, 3), 23.958),
            (100.0, 33.0, (8, 94, 5, 1), 32.986),
            (100.0, 48.0, (2, 22, 4, 3), 47.917),
            (100.0, 50.0, (0, 7, 4, 5), 50.0),
        ];
        for (i, o, want, achieved) in cases {
            let p = ice40(i, o);
            assert_eq!(ice40_params(&p), want, "{i} -> {o}: {p:?}");
            assert!(
                (p.out_mhz() - achieved).abs() < 5e-4,
                "{i} -> {o}: {}",
                p.out_mhz()
            );
        }
    }

    /// yowasp-ecppll (prjtrellis) `-i IN -o OUT`: CLKI_DIV, CLKFB_DIV, CLKOP_DIV, CLKOP_CPHASE.
    #[test]
    fn ecp5_matches_ecppll() {
        // (input MHz, output MHz, (CLKI_DIV, CLKFB_DIV, CLKOP_DIV, CLKOP_CPHASE))
        let cases: [(f64, f64, Four); 7] = [
            (25.0, 100.0, (1, 4, 6, 2)),
            (12.0, 48.0, (1, 4, 12, 5)),
            (25.0, 50.0, (1, 2, 12, 5)),
            (48.0, 48.0, (1, 1, 12, 5)),
            (25.0, 25.0, (1, 1, 24, 11)),
            (48.0, 40.0, (6, 5, 15, 7)),
            (25.0, 75.0, (1, 3, 8, 4)),
        ];
        for (i, o, want) in cases {
            let p = ecp5(i, o);
            assert_eq!(ecp5_params(&p), want, "{i} -> {o}: {p:?}");
            assert_eq!(p.out_mhz(), o);
        }
        // ecppll gives 33.3333 for 33.3 (its closest is above); at or below it is 33.3 or less
        let p = ecp5(25.0, 33.3);
        assert!(p.out_mhz() <= 33.3, "{p:?}");
        assert_eq!(ecppll_cphase(25_000_000, 3, 4, 18), 9);
        assert_eq!(ecppll_cphase(100_000_000, 25, 6, 25), 12);
    }

    /// Gowin's IDE (rPLL IP, the configurations of published Tang Nano projects): 27 MHz → 81 MHz
    /// on the GW1NR-9 (IDIV_SEL 0, FBDIV_SEL 2, ODIV_SEL 8), → 54 MHz on the GW2A-18
    /// (0, 1, 16). For 27 → 27 on the GW2A-18 the IDE chose (1, 1, 32); this rule takes the
    /// smaller input divider, (0, 0, 32), the same VCO.
    #[test]
    fn gowin_matches_the_ide() {
        let p = gowin("gw1nr9", 81.0);
        assert_eq!(gowin_params(&p), (0, 2, 8));
        assert_eq!(p.vco_hz(), 648e6);
        let p = gowin("gw2ar18", 54.0);
        assert_eq!(gowin_params(&p), (0, 1, 16));
        let p = gowin("gw2ar18", 27.0);
        assert_eq!(gowin_params(&p), (0, 0, 32));
        assert_eq!(p.vco_hz(), 864e6);
        // 102.6 MHz = 27 · 19 / 5 on the GW1NR-9, VCO 820.8 MHz
        let p = gowin("gw1nr9", 102.6);
        assert_eq!(gowin_params(&p), (4, 18, 8));
        // GW1NR-9: VCO 432 and 864 MHz both lie in 400–1200 for 27 MHz; 864 is nearer 800
        let p = gowin("gw1nr9", 27.0);
        assert_eq!(gowin_params(&p), (0, 0, 32));
    }

    /// The rule itself over a sweep: never above the request; no configuration the limits allow
    /// is higher and still at or below it; every frequency within the limits.
    #[test]
    fn the_choice_is_the_highest_at_or_below_the_request() {
        for (family, device, input_hz) in [
            (Family::Ice40, "up5k", 12_000_000u64),
            (Family::Ice40, "hx8k", 100_000_000),
            (Family::Ecp5, "25k", 25_000_000),
            (Family::Ecp5, "25k", 48_000_000),
            (Family::Gowin, "gw1nr9", 27_000_000),
            (Family::Gowin, "gw2ar18", 27_000_000),
        ] {
            let (lim, g) = limits(family, device).unwrap();
            let all = candidates(family, PllInput::Pad, g, input_hz, &lim);
            assert!(!all.is_empty());
            for tenth in (160..=1300).step_by(37) {
                let req = f64::from(tenth) / 10.0;
                let Some(p) = search(family, device, PllInput::Pad, input_hz, req) else {
                    continue;
                };
                let out = p.out_hz();
                assert!(out <= req * 1e6 * (1.0 + 1e-12), "{family} {req}: {out}");
                let best = all
                    .iter()
                    .map(|c| hz(input_hz, c.ratios().0))
                    .filter(|&f| f <= req * 1e6 * (1.0 + 1e-12))
                    .fold(0.0, f64::max);
                assert_eq!(out, best, "{family} {device} {req}");
                let (o, v, f) = (p.out_hz(), p.vco_hz(), p.pfd_hz());
                for (x, r) in [(o, lim.output), (v, lim.vco), (f, lim.pfd)] {
                    assert!(
                        x >= r.min as f64 - 1e-3 && x <= r.max as f64 + 1e-3,
                        "{p:?}"
                    );
                }
                assert!(p.clk_hz() as f64 <= out && out - (p.clk_hz() as f64) < 1.0);
            }
        }
    }

    #[test]
    fn defaults_of_every_board_are_made_and_written() {
        for b in crate::boards().unwrap() {
            let p = core_clock(&b, None).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            let want = default_core_clock_mhz(b.family);
            assert!(p.out_mhz() <= want, "{}: {p:?}", b.name);
            // within 5 % of the default on every board
            assert!(p.out_mhz() >= 0.95 * want, "{}: {p:?}", b.name);
            let v = p.verilog(&b);
            assert!(v.contains(&format!("    {} #(", p.primitive())), "{v}");
            assert!(v.contains("`ifdef SIMULATION\n    qrnn_pll_sim #(.LOCK_CYCLES(64))"));
            assert!(v.ends_with("`endif\nendmodule\n"), "{v}");
            for (k, val) in p.params.named() {
                assert!(v.contains(&format!(".{k}(")), "{k}: {v}");
                if b.family != Family::Ice40 {
                    assert!(v.contains(&format!(".{k}({val})")), "{k}: {v}");
                }
            }
        }
        // fixed texts at an explicit 24 MHz (the defaults may move)
        let ib = crate::find_board("icebreaker").unwrap();
        let p = core_clock(&ib, Some(24.0)).unwrap();
        assert_eq!(p.primitive(), "SB_PLL40_PAD");
        assert_eq!(p.params_text(), "DIVR=0 DIVF=63 DIVQ=5 FILTER_RANGE=1");
        assert_eq!(p.clk_hz(), 24_000_000);
        assert_eq!(
            p.summary(),
            "SB_PLL40_PAD 12 MHz → 24 MHz (VCO 768 MHz; DIVR=0 DIVF=63 DIVQ=5 FILTER_RANGE=1)"
        );
        let cu = crate::find_board("alchitry-cu").unwrap();
        let p = core_clock(&cu, Some(24.0)).unwrap();
        assert_eq!(p.params_text(), "DIVR=2 DIVF=22 DIVQ=5 FILTER_RANGE=3");
        assert_eq!(p.clk_hz(), 23_958_333);
        assert_eq!(fmt_mhz(p.out_mhz()), "23.958333");
        let up = crate::find_board("upduino3").unwrap();
        assert_eq!(core_clock(&up, None).unwrap().primitive(), "SB_PLL40_CORE");
        // the manifest's map, written back in the data sheet's order
        for b in crate::boards().unwrap() {
            let p = core_clock(&b, None).unwrap();
            assert_eq!(
                params_text(&p.manifest().params),
                p.params_text(),
                "{}",
                b.name
            );
        }
    }

    #[test]
    fn requests_the_pll_cannot_make_are_refused_naming_the_option() {
        let ib = crate::find_board("icebreaker").unwrap();
        for (mhz, says) in [
            (12.0, "its lowest output is 16.125 MHz"),
            (0.0, "a positive frequency"),
            (-3.0, "a positive frequency"),
            (f64::NAN, "a positive frequency"),
            (f64::INFINITY, "a positive frequency"),
            (201.0, "above the 200 MHz"),
        ] {
            let e = core_clock(&ib, Some(mhz)).unwrap_err();
            assert!(matches!(e, FpgaError::Clock { .. }), "{e:?}");
            let text = e.to_string();
            assert!(
                text.contains("--clock-mhz") && text.contains(says),
                "{text}"
            );
            let help = miette::Diagnostic::help(&e).unwrap().to_string();
            let want = format!(
                "give --clock-mhz from 16.125 to 200 MHz (the default for ice40 is {} MHz)",
                fmt_mhz(default_core_clock_mhz(Family::Ice40))
            );
            assert!(help.contains(&want), "{help}");
        }
        // 16 MHz: 12 · 85 / 64 = 15.9375 would be below the PLL's 16 MHz; its lowest output from
        // 12 MHz is 12 · 86 / 64 = 16.125 (VCO 1032 MHz; 12 · 43 / 32 has its VCO at 516)
        assert!(core_clock(&ib, Some(16.0)).is_err());
        let p = core_clock(&ib, Some(16.125)).unwrap();
        assert_eq!(p.params_text(), "DIVR=0 DIVF=85 DIVQ=6 FILTER_RANGE=1");
        let ulx = crate::find_board("ulx3s").unwrap();
        assert!(core_clock(&ulx, Some(400.0)).is_ok());
        assert!(core_clock(&ulx, Some(9.0)).is_err());
    }
}
