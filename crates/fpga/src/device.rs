//! FPGA families and devices with their resources.
//!
//! Figures are the vendors' data sheets: iCE40 UltraPlus (FPGA-DS-02008), iCE40 LP/HX
//! (FPGA-DS-02029), ECP5/ECP5-5G (FPGA-DS-02012), GW1NR (DS117) and GW2AR (DS226). Block RAM
//! sizes are the data bits of one block (iCE40 EBR 4 kbit; ECP5 EBR and Gowin BSRAM 18 kbit).

use serde::Serialize;

/// The families (defined with their facts in `qrnn-rtl`, which the generator budgets with).
pub use qrnn_rtl::Family;

/// One FPGA device (a die; packages listed separately) and its resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    /// Short name used in `boards.toml` and `--device`, e.g. `up5k`, `85k`, `gw1nr9`.
    pub name: &'static str,
    /// Family.
    pub family: Family,
    /// The vendor's name for the device, e.g. `iCE40UP5K`, `LFE5U-85F`, `GW1NR-9`.
    pub part: &'static str,
    /// 4-input LUTs.
    pub luts: u32,
    /// Flip-flops.
    pub ffs: u32,
    /// Block RAMs (iCE40 EBR, ECP5 EBR, Gowin BSRAM).
    pub bram_blocks: u32,
    /// Data bits of one block RAM.
    pub bram_bits: u32,
    /// Large single-port RAMs (iCE40UP SPRAM), 0 if none.
    pub spram_blocks: u32,
    /// Data bits of one large single-port RAM.
    pub spram_bits: u32,
    /// Hard multipliers: iCE40UP SB_MAC16 (16×16), ECP5 and Gowin 18×18 multipliers.
    pub dsps: u32,
    /// Packages as nextpnr names them (`--package`; Gowin: the package part of `--device`).
    pub packages: &'static [&'static str],
    /// The nextpnr device selection: `--up5k`, `--85k`, or the Gowin `--vopt family=` value.
    pub nextpnr_device: &'static str,
}

impl Device {
    /// Total block-RAM bits.
    pub fn bram_total_bits(&self) -> u64 {
        u64::from(self.bram_blocks) * u64::from(self.bram_bits)
    }

    /// Bytes of the device's bitstream as the project's build writes it to the configuration
    /// flash, where that size is fixed: icepack writes every iCE40 bitstream of a device at the
    /// same size (measured with icepack of fpga-icestorm 0~20230218, nextpnr-ice40 0.4: up5k
    /// 104 090, hx1k 32 220, hx8k 135 100 bytes). `None` for ECP5 and Gowin, whose compressed
    /// bitstreams vary. A weight image in the same flash must start past it
    /// ([`crate::board::Flash::weight_offset`]).
    pub fn bitstream_bytes(&self) -> Option<u32> {
        match self.name {
            "up5k" => Some(104_090),
            "hx1k" => Some(32_220),
            "hx8k" => Some(135_100),
            _ => None,
        }
    }
}

/// Every device qrnn-hw knows, smallest first within each family.
pub const DEVICES: &[Device] = &[
    Device {
        name: "hx1k",
        family: Family::Ice40,
        part: "iCE40HX1K",
        luts: 1280,
        ffs: 1280,
        bram_blocks: 16,
        bram_bits: 4096,
        spram_blocks: 0,
        spram_bits: 0,
        dsps: 0,
        packages: &["tq144", "vq100"],
        nextpnr_device: "--hx1k",
    },
    Device {
        name: "up5k",
        family: Family::Ice40,
        part: "iCE40UP5K",
        luts: 5280,
        ffs: 5280,
        bram_blocks: 30,
        bram_bits: 4096,
        spram_blocks: 4,
        spram_bits: 262_144,
        dsps: 8,
        packages: &["sg48", "uwg30"],
        nextpnr_device: "--up5k",
    },
    Device {
        name: "hx8k",
        family: Family::Ice40,
        part: "iCE40HX8K",
        luts: 7680,
        ffs: 7680,
        bram_blocks: 32,
        bram_bits: 4096,
        spram_blocks: 0,
        spram_bits: 0,
        dsps: 0,
        packages: &["cb132", "ct256", "cm225", "bg121"],
        nextpnr_device: "--hx8k",
    },
    Device {
        name: "12k",
        family: Family::Ecp5,
        part: "LFE5U-12F",
        luts: 12_288,
        ffs: 12_288,
        bram_blocks: 32,
        bram_bits: 18_432,
        spram_blocks: 0,
        spram_bits: 0,
        dsps: 28,
        packages: &["CABGA256", "CABGA381", "CSFBGA285", "TQFP144"],
        nextpnr_device: "--12k",
    },
    Device {
        name: "25k",
        family: Family::Ecp5,
        part: "LFE5U-25F",
        luts: 24_288,
        ffs: 24_288,
        bram_blocks: 56,
        bram_bits: 18_432,
        spram_blocks: 0,
        spram_bits: 0,
        dsps: 28,
        packages: &["CABGA256", "CABGA381", "CSFBGA285", "TQFP144"],
        nextpnr_device: "--25k",
    },
    Device {
        name: "45k",
        family: Family::Ecp5,
        part: "LFE5U-45F",
        luts: 43_848,
        ffs: 43_848,
        bram_blocks: 108,
        bram_bits: 18_432,
        spram_blocks: 0,
        spram_bits: 0,
        dsps: 72,
        packages: &["CABGA256", "CABGA381", "CABGA554", "CSFBGA285"],
        nextpnr_device: "--45k",
    },
    Device {
        name: "85k",
        family: Family::Ecp5,
        part: "LFE5U-85F",
        luts: 83_640,
        ffs: 83_640,
        bram_blocks: 208,
        bram_bits: 18_432,
        spram_blocks: 0,
        spram_bits: 0,
        dsps: 156,
        packages: &["CABGA381", "CABGA554", "CABGA756", "CSFBGA285"],
        nextpnr_device: "--85k",
    },
    Device {
        name: "gw1nr9",
        family: Family::Gowin,
        part: "GW1NR-9",
        luts: 8640,
        ffs: 6480,
        bram_blocks: 26,
        bram_bits: 18_432,
        spram_blocks: 0,
        spram_bits: 0,
        dsps: 20,
        packages: &["QN88P"],
        nextpnr_device: "GW1N-9C",
    },
    Device {
        name: "gw2ar18",
        family: Family::Gowin,
        part: "GW2AR-18",
        luts: 20_736,
        ffs: 15_552,
        bram_blocks: 46,
        bram_bits: 18_432,
        spram_blocks: 0,
        spram_bits: 0,
        dsps: 48,
        packages: &["QN88"],
        nextpnr_device: "GW2A-18C",
    },
];

/// Look a device up by its short name (case-insensitive).
pub fn device(name: &str) -> Option<&'static Device> {
    DEVICES
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name.trim()))
}

/// The devices of one family, smallest first.
pub fn devices_of(family: Family) -> impl Iterator<Item = &'static Device> {
    DEVICES.iter().filter(move |d| d.family == family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_families_covered() {
        for (i, a) in DEVICES.iter().enumerate() {
            for b in &DEVICES[i + 1..] {
                assert_ne!(a.name, b.name);
            }
        }
        for f in Family::ALL {
            assert!(devices_of(f).count() >= 2, "{f}");
            assert_eq!(Family::parse(f.name()), Some(f));
        }
        assert_eq!(Family::parse("ECP5"), Some(Family::Ecp5));
        assert_eq!(Family::parse("xilinx"), None);
    }

    #[test]
    fn resources_plausible_and_ordered() {
        for f in Family::ALL {
            let ds: Vec<_> = devices_of(f).collect();
            for w in ds.windows(2) {
                assert!(w[0].luts < w[1].luts, "{} before {}", w[0].name, w[1].name);
            }
        }
        for d in DEVICES {
            assert!(
                d.luts >= 1000 && d.ffs >= 1000 && d.bram_blocks > 0,
                "{}",
                d.name
            );
            assert!(d.bram_bits == 4096 || d.bram_bits == 18_432, "{}", d.name);
            assert!(!d.packages.is_empty());
        }
        assert_eq!(device("UP5K").unwrap().bram_total_bits(), 120 * 1024);
        assert_eq!(device("25k").unwrap().bram_total_bits(), 1008 * 1024);
        assert!(device("nope").is_none());
    }
}
