//! The generator's core vocabulary, defined once and used by every crate: the folding of an
//! engine ([`Fold`]), the name of an engine ([`EngineId`]), the target family ([`Family`]) and the
//! user's folding request ([`FoldSpec`], what `--fold` says). Each parses and prints itself; no
//! other crate builds or parses these names.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Folding of one matrix-vector engine: `p` output rows × `s` input columns per cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fold {
    /// Output rows per cycle.
    pub p: usize,
    /// Input columns per cycle.
    pub s: usize,
}

impl Fold {
    /// One row, one column per cycle: the slowest folding.
    pub const SERIAL: Fold = Fold { p: 1, s: 1 };

    /// This folding clamped to an engine's limit (what `all=PxS` asks of an engine smaller than
    /// the blanket folding).
    pub fn clamp_to(self, limit: Fold) -> Fold {
        Fold {
            p: self.p.min(limit.p),
            s: self.s.min(limit.s),
        }
    }

    /// Whether this folding is one an engine with `limit` ([`crate::ir::Engine::fold_limit`])
    /// can take: `1 ≤ p ≤ limit.p` and `1 ≤ s ≤ limit.s`.
    pub fn within(self, limit: Fold) -> bool {
        (1..=limit.p).contains(&self.p) && (1..=limit.s).contains(&self.s)
    }
}

impl fmt::Display for Fold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}x{}", self.p, self.s))
    }
}

impl FromStr for Fold {
    type Err = String;
    /// `PxS`, e.g. `2x8` (both positive).
    fn from_str(s: &str) -> Result<Fold, String> {
        let bad = || format!("expected PxS (rows x columns per cycle, e.g. 2x8), found {s:?}");
        let (p, q) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let p: usize = p.trim().parse().map_err(|_| bad())?;
        let q: usize = q.trim().parse().map_err(|_| bad())?;
        if p == 0 || q == 0 {
            return Err(format!("{s:?}: rows and columns per cycle are at least 1"));
        }
        Ok(Fold { p, s: q })
    }
}

/// The name of an engine: a recurrent layer or the dense head.
///
/// It prints as `layer<l>` / `head` (in `--fold`, `qrnn.json`, messages) and has one short form,
/// [`EngineId::short`] (`l<l>` / `hd`), the prefix of its signals, memories and modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EngineId {
    /// Recurrent layer `l` (0 is the first).
    Layer(usize),
    /// The dense output head.
    Head,
}

impl EngineId {
    /// The prefix of the engine's signals, memories and modules: `l0`, `l1`, …, `hd`.
    pub fn short(self) -> String {
        match self {
            EngineId::Layer(l) => format!("l{l}"),
            EngineId::Head => "hd".into(),
        }
    }
}

impl fmt::Display for EngineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that width and alignment (`{:<8}`) apply
        match self {
            EngineId::Layer(l) => f.pad(&format!("layer{l}")),
            EngineId::Head => f.pad("head"),
        }
    }
}

impl FromStr for EngineId {
    type Err = String;
    /// `layer<l>` or `head`.
    fn from_str(s: &str) -> Result<EngineId, String> {
        let t = s.trim();
        if t == "head" {
            return Ok(EngineId::Head);
        }
        t.strip_prefix("layer")
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
            .map(EngineId::Layer)
            .ok_or_else(|| {
                format!("expected an engine name, layer0, layer1, … or head, found {s:?}")
            })
    }
}

impl Serialize for EngineId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EngineId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EngineId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An FPGA family: decides the block-RAM size the generator budgets, the device a project
/// builds for by default, the pin-file format and the bitstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice iCE40 (nextpnr-ice40, icepack).
    Ice40,
    /// Lattice ECP5 (nextpnr-ecp5, ecppack).
    Ecp5,
    /// Gowin LittleBee / Arora (nextpnr-himbaechel, gowin_pack).
    Gowin,
}

/// The facts of a family, one row each: name, default device and package for place and route,
/// bits of one block RAM, pin-file extension, bitstream file.
struct FamilyFacts {
    name: &'static str,
    device: &'static str,
    package: &'static str,
    bram_bits: u64,
    bram_width: u64,
    pin_ext: &'static str,
    bitstream: &'static str,
}

const FACTS: [FamilyFacts; 3] = [
    FamilyFacts {
        name: "ice40",
        device: "up5k",
        package: "sg48",
        bram_bits: 4096,
        bram_width: 16,
        pin_ext: "pcf",
        bitstream: "top.bin",
    },
    FamilyFacts {
        name: "ecp5",
        device: "25k",
        package: "CABGA256",
        bram_bits: 18432,
        bram_width: 36,
        pin_ext: "lpf",
        bitstream: "top.bit",
    },
    FamilyFacts {
        name: "gowin",
        device: "gw1nr9",
        package: "QN88P",
        bram_bits: 18432,
        bram_width: 36,
        pin_ext: "cst",
        bitstream: "top.fs",
    },
];

impl Family {
    /// Every family, in a stable order.
    pub const ALL: [Family; 3] = [Family::Ice40, Family::Ecp5, Family::Gowin];

    fn facts(self) -> &'static FamilyFacts {
        &FACTS[self as usize]
    }

    /// The name used in `--target`, `boards.toml` and `qrnn.json`.
    pub fn name(self) -> &'static str {
        self.facts().name
    }

    /// Parse a family name (case-insensitive).
    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The device a project of this family places and routes for when none is named (the
    /// Makefile's `DEVICE`, the device `--fit` budgets).
    pub fn default_device(self) -> &'static str {
        self.facts().device
    }

    /// The package of [`Family::default_device`] (the Makefile's `PACKAGE`).
    pub fn default_package(self) -> &'static str {
        self.facts().package
    }

    /// Data bits of one block RAM (iCE40 EBR 4 kbit; ECP5 EBR and Gowin BSRAM 18 kbit).
    pub fn bram_block_bits(self) -> u64 {
        self.facts().bram_bits
    }
    /// Widest word one block RAM reads through one port: iCE40 SB_RAM40_4K 16 bits, ECP5 DP16KD
    /// and Gowin BSRAM 36 (in the simple dual-port use a buffer makes of it).
    pub fn bram_max_width(self) -> u64 {
        self.facts().bram_width
    }

    /// Extension of this family's pin-constraint files: `pcf`, `lpf` or `cst`.
    pub fn pin_file_ext(self) -> &'static str {
        self.facts().pin_ext
    }

    /// File name of the bitstream a generated project's build leaves in `build/`:
    /// `top.bin` (icepack), `top.bit` (ecppack) or `top.fs` (gowin_pack).
    pub fn bitstream_name(self) -> &'static str {
        self.facts().bitstream
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Family, String> {
        Family::parse(s).ok_or_else(|| {
            format!(
                "unknown target family {s:?}: expected {}",
                Family::ALL.map(Family::name).join(", ")
            )
        })
    }
}

/// What the user asked of the folding (`--fold`, repeatable): a folding per named engine, and
/// optionally a blanket `all=PxS` for the others, which the `fold` pass clamps to each engine's
/// size. An engine named explicitly is not clamped: the `fold` pass refuses it out of range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoldSpec {
    /// `all=PxS`: every engine not named below, clamped to its size.
    pub all: Option<Fold>,
    /// `ENGINE=PxS`.
    pub engines: BTreeMap<EngineId, Fold>,
}

impl FoldSpec {
    /// Parse `--fold` arguments: each is `ENGINE=PxS` (`layer0=2x8`, `head=1x4`) or `all=PxS`;
    /// later ones override earlier ones (an `all=` the engines named before it).
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<FoldSpec, String> {
        let mut spec = FoldSpec::default();
        for a in args {
            spec.add(a.as_ref())?;
        }
        Ok(spec)
    }

    /// Add one `ENGINE=PxS` or `all=PxS`.
    pub fn add(&mut self, arg: &str) -> Result<(), String> {
        let (e, f) = arg.split_once('=').ok_or_else(|| {
            format!("--fold {arg:?}: expected ENGINE=PxS or all=PxS, e.g. layer0=2x8")
        })?;
        let fold: Fold = f.parse().map_err(|m| format!("--fold {arg:?}: {m}"))?;
        if e.trim() == "all" {
            // later arguments override earlier ones: `all=` after `layer0=` covers layer0 too
            self.engines.clear();
            self.all = Some(fold);
        } else {
            let id: EngineId = e.parse().map_err(|m| format!("--fold {arg:?}: {m}"))?;
            self.engines.insert(id, fold);
        }
        Ok(())
    }

    /// Whether it asks for nothing (every engine gets the default).
    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.engines.is_empty()
    }

    /// Pin `engine` to `fold` (overrides `all=`).
    pub fn pin(&mut self, engine: EngineId, fold: Fold) {
        self.engines.insert(engine, fold);
    }

    /// The folding this spec asks for an engine with `limit`, if any: its own, else `all=`
    /// clamped to the limit.
    pub fn get(&self, engine: EngineId, limit: Fold) -> Option<Fold> {
        self.engines
            .get(&engine)
            .copied()
            .or_else(|| self.all.map(|f| f.clamp_to(limit)))
    }

    /// The spec as `--fold` arguments (`all=` first).
    pub fn to_args(&self) -> Vec<String> {
        self.all
            .iter()
            .map(|f| format!("all={f}"))
            .chain(self.engines.iter().map(|(e, f)| format!("{e}={f}")))
            .collect()
    }
}

/// Every engine pinned to its folding (`ENGINE=PxS` each, no `all=`).
impl FromIterator<(EngineId, Fold)> for FoldSpec {
    fn from_iter<I: IntoIterator<Item = (EngineId, Fold)>>(pins: I) -> FoldSpec {
        FoldSpec {
            all: None,
            engines: pins.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_print_and_parse_back() {
        for id in [EngineId::Layer(0), EngineId::Layer(12), EngineId::Head] {
            assert_eq!(id.to_string().parse::<EngineId>(), Ok(id));
        }
        assert_eq!(EngineId::Layer(3).short(), "l3");
        assert_eq!(EngineId::Head.short(), "hd");
        assert_eq!(format!("{:<8}|", EngineId::Head), "head    |");
        for bad in ["", "layer", "layerx", "layer-1", "Head", "l0", "layer 1"] {
            assert!(bad.parse::<EngineId>().is_err(), "{bad:?}");
        }
        // layers sort numerically, the head last
        let mut v = vec![EngineId::Head, EngineId::Layer(10), EngineId::Layer(2)];
        v.sort();
        assert_eq!(v, [EngineId::Layer(2), EngineId::Layer(10), EngineId::Head]);
        let json = serde_json::to_string(&EngineId::Layer(1)).unwrap();
        assert_eq!(json, "\"layer1\"");
        assert_eq!(
            serde_json::from_str::<EngineId>(&json).unwrap(),
            EngineId::Layer(1)
        );
        assert!(serde_json::from_str::<EngineId>("\"tail\"").is_err());
    }

    #[test]
    fn families_have_one_row_each() {
        for f in Family::ALL {
            assert_eq!(Family::parse(f.name()), Some(f));
            assert_eq!(f.to_string().parse::<Family>(), Ok(f));
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.name())
            );
        }
        assert_eq!(Family::parse(" ECP5 "), Some(Family::Ecp5));
        assert!("xilinx".parse::<Family>().is_err());
        assert_eq!(Family::Ice40.bram_block_bits(), 4096);
        assert_eq!(Family::Gowin.default_device(), "gw1nr9");
    }

    #[test]
    fn fold_spec_parses_and_clamps() {
        let s = FoldSpec::parse(&["all=4x16", "head=1x2", "layer1=2X3"]).unwrap();
        assert_eq!(s.all, Some(Fold { p: 4, s: 16 }));
        let lim = Fold { p: 8, s: 5 };
        assert_eq!(s.get(EngineId::Layer(0), lim), Some(Fold { p: 4, s: 5 }));
        assert_eq!(s.get(EngineId::Layer(1), lim), Some(Fold { p: 2, s: 3 }));
        // a named engine is not clamped
        assert_eq!(
            s.get(EngineId::Head, Fold::SERIAL),
            Some(Fold { p: 1, s: 2 })
        );
        assert_eq!(s.to_args(), ["all=4x16", "layer1=2x3", "head=1x2"]);
        assert_eq!(FoldSpec::parse(&s.to_args()).unwrap(), s);
        let pins: FoldSpec = [(EngineId::Head, Fold::SERIAL)].into_iter().collect();
        assert_eq!(pins.to_args(), ["head=1x1"]);
        assert_eq!(FoldSpec::default().get(EngineId::Head, lim), None);
        // later ones override earlier ones
        let s = FoldSpec::parse(&["head=1x2", "all=2x2"]).unwrap();
        assert_eq!(s.get(EngineId::Head, lim), Some(Fold { p: 2, s: 2 }));
        for bad in [
            "layer0",
            "layer0=2",
            "layer0=0x2",
            "layer0=2x",
            "tail=1x1",
            "=1x1",
        ] {
            let e = FoldSpec::parse(&[bad]).unwrap_err();
            assert!(e.starts_with("--fold "), "{bad}: {e}");
        }
    }

    #[test]
    fn fold_limits() {
        let lim = Fold { p: 4, s: 3 };
        assert!(Fold { p: 4, s: 3 }.within(lim));
        assert!(!Fold { p: 5, s: 3 }.within(lim));
        assert!(!Fold { p: 1, s: 0 }.within(lim));
        assert_eq!(Fold { p: 9, s: 2 }.clamp_to(lim), Fold { p: 4, s: 2 });
    }
}
