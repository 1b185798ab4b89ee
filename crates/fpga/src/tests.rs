//! Tests of the board table against the pin files in `crates/fpga/constraints/`.

use crate::board::{parse_boards, Board, BOARDS_TOML, PIN_FILES};
use crate::device::Family;
use crate::pinfile;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn constraints_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("constraints")
}

fn all() -> Vec<Board> {
    crate::boards().unwrap_or_else(|e| panic!("boards.toml: {e}"))
}

/// The ten boards of issue 5, in the listed order.
const EXPECTED: [&str; 10] = [
    "icebreaker",
    "upduino3",
    "icesugar",
    "alchitry-cu",
    "icestick",
    "ulx3s",
    "orangecrab",
    "colorlight-i5",
    "tangnano9k",
    "tangnano20k",
];

#[test]
fn boards_toml_parses_with_the_listed_boards() {
    let names: Vec<String> = all().into_iter().map(|b| b.name).collect();
    assert_eq!(names, EXPECTED);
}

#[test]
fn every_board_has_a_device_of_its_family_and_a_package_of_it() {
    // each board, and each of its variants (`Board::with_device`) the same way
    let boards = all().into_iter().flat_map(|b| {
        let vs: Vec<_> = b
            .variants
            .iter()
            .map(|v| b.with_device(&v.device).expect("its own variant"))
            .collect();
        std::iter::once(b).chain(vs)
    });
    for b in boards {
        let d = b
            .device_info()
            .unwrap_or_else(|| panic!("{}: no device {}", b.name, b.device));
        assert_eq!(d.family, b.family, "{}", b.name);
        assert!(d.packages.contains(&b.package.as_str()), "{}", b.name);
        assert!(
            b.part.to_ascii_uppercase().contains(
                &d.part
                    .to_ascii_uppercase()
                    .replace("GW1NR-9", "GW1NR-LV9")
                    .replace("GW2AR-18", "GW2AR-LV18")
            ),
            "{}: part {} vs device {}",
            b.name,
            b.part,
            d.part
        );
    }
}

#[test]
fn every_family_has_a_board() {
    let bs = all();
    for f in Family::ALL {
        assert!(bs.iter().any(|b| b.family == f), "{f}");
    }
}

#[test]
fn embedded_pin_files_equal_the_files_on_disk_and_nothing_is_stray() {
    let dir = constraints_dir();
    let mut on_disk = BTreeSet::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if [".pcf", ".lpf", ".cst"].iter().any(|x| name.ends_with(x)) {
            on_disk.insert(name);
        }
    }
    let embedded: BTreeSet<String> = PIN_FILES.iter().map(|(n, _)| n.to_string()).collect();
    let used: BTreeSet<String> = all().into_iter().map(|b| b.pin_file).collect();
    assert_eq!(on_disk, embedded, "constraints/ vs PIN_FILES");
    assert_eq!(used, embedded, "boards.toml pin_file vs PIN_FILES");
    for (n, t) in PIN_FILES {
        assert_eq!(std::fs::read_to_string(dir.join(n)).unwrap(), *t, "{n}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("boards.toml")).unwrap(),
        BOARDS_TOML
    );
}

#[test]
fn pin_files_declare_exactly_the_ports_with_the_boards_pins() {
    for b in all() {
        let text = b.pin_file_text().unwrap();
        let pf = pinfile::parse(b.family, text).unwrap_or_else(|e| {
            panic!("{}:{}: {}", b.pin_file, e.line, e.message);
        });
        let want = b.ports();
        assert_eq!(pf.locs, want, "{}: ports and pins (in order)", b.pin_file);
        // The clock constraint names the clock port at the board frequency (CST has no clock
        // constraint: the Gowin flow passes the board clock to nextpnr as --freq).
        if b.family == Family::Gowin {
            assert!(pf.frequencies.is_empty(), "{}", b.pin_file);
        } else {
            assert_eq!(pf.frequencies.len(), 1, "{}", b.pin_file);
            let (port, mhz) = &pf.frequencies[0];
            assert_eq!(port, "clk", "{}", b.pin_file);
            assert!(
                (mhz * 1e6 - b.clock.hz as f64).abs() < 1.0,
                "{}: {mhz} MHz vs {} Hz",
                b.pin_file,
                b.clock.hz
            );
        }
        // Every ECP5 and Gowin port has an IO standard.
        if b.family != Family::Ice40 {
            for (p, _) in &want {
                assert!(
                    pf.attributed.contains(p),
                    "{}: {p} has no IO type",
                    b.pin_file
                );
            }
        }
        // The file cites its sources at the top.
        let head: String = text.lines().take(8).collect::<Vec<_>>().join("\n");
        assert!(head.contains("Source"), "{}: no sources cited", b.pin_file);
        assert!(
            b.sources
                .iter()
                .all(|s| !s.trim().is_empty() && s.contains('/')),
            "{}",
            b.name
        );
    }
}

#[test]
fn pin_file_syntax_per_family() {
    for b in all() {
        let text = b.pin_file_text().unwrap();
        let ext = b.family.pin_file_ext();
        assert!(b.pin_file.ends_with(ext), "{}", b.pin_file);
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            let ok = match b.family {
                Family::Ice40 => {
                    l.starts_with('#')
                        || l.starts_with("set_io ")
                        || l.starts_with("set_frequency ")
                }
                Family::Ecp5 => {
                    l.starts_with('#')
                        || ((l.starts_with("LOCATE COMP ")
                            || l.starts_with("IOBUF PORT ")
                            || l.starts_with("FREQUENCY PORT "))
                            && l.ends_with(';'))
                }
                Family::Gowin => {
                    l.starts_with("//")
                        || ((l.starts_with("IO_LOC ") || l.starts_with("IO_PORT "))
                            && l.ends_with(';'))
                }
            };
            assert!(ok, "{}: unexpected line `{l}`", b.pin_file);
        }
        // The other families' readers reject it (the formats are really distinct).
        for f in Family::ALL.into_iter().filter(|&f| f != b.family) {
            assert!(
                pinfile::parse(f, text).is_err(),
                "{} parses as {f}",
                b.pin_file
            );
        }
    }
}

#[test]
fn no_pin_is_used_twice_on_a_board() {
    for b in all() {
        let ports = b.ports();
        let pins: BTreeSet<&str> = ports.iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(pins.len(), ports.len(), "{}", b.name);
    }
}

#[test]
fn clocks_are_plausible() {
    for b in all() {
        assert!(
            (10_000_000..=100_000_000).contains(&b.clock.hz),
            "{}: {} Hz",
            b.name,
            b.clock.hz
        );
        // Board oscillators are whole kHz.
        assert_eq!(b.clock.hz % 1000, 0, "{}", b.name);
    }
}

#[test]
fn leds_and_ports_are_named_as_documented() {
    for b in all() {
        let ports = b.ports();
        assert_eq!(ports[0].0, "clk");
        assert_eq!(ports[1].0, "uart_tx");
        assert_eq!(ports[2].0, "uart_rx");
        let n = b.leds.pins.len();
        for i in 0..n {
            let want = if n == 1 {
                "led".to_string()
            } else {
                format!("led[{i}]")
            };
            assert_eq!(ports[3 + i].0, want, "{}", b.name);
        }
        assert_eq!(ports.len(), 3 + n + usize::from(b.button.is_some()));
        if b.button.is_some() {
            assert_eq!(ports.last().unwrap().0, "btn_rst");
        }
    }
}

#[test]
fn programming_specs_are_consistent() {
    for b in all() {
        let p = &b.program;
        assert!(b.supports(p.default), "{}", b.name);
        match b.family {
            Family::Ice40 => assert!(
                matches!(p.tool, crate::Tool::Iceprog | crate::Tool::Icesprog),
                "{}",
                b.name
            ),
            _ => assert_eq!(p.tool, crate::Tool::Openfpgaloader, "{}", b.name),
        }
    }
}

#[test]
fn schema_rejects_unknown_fields_and_bad_entries() {
    let one = BOARDS_TOML
        .split("[[board]]")
        .nth(1)
        .map(|s| format!("[[board]]{s}"))
        .unwrap();
    assert_eq!(parse_boards(&one).unwrap().len(), 1);
    let extra = one.replace("title =", "colour = \"red\"\ntitle =");
    let e = parse_boards(&extra).unwrap_err().to_string();
    assert!(e.contains("colour"), "{e}");
    let bad_dev = one.replace("device = \"up5k\"", "device = \"85k\"");
    assert!(parse_boards(&bad_dev).is_err());
    let dup_pin = one.replace("uart = { tx = \"9\"", "uart = { tx = \"35\"");
    let e = parse_boards(&dup_pin).unwrap_err().to_string();
    assert!(e.contains("35"), "{e}");
    let twice = format!("{one}\n{one}");
    assert!(parse_boards(&twice).is_err());
}

#[test]
fn flash_tables_are_on_the_up5k_boards_that_can_load_weights() {
    let with: Vec<String> = all()
        .into_iter()
        .filter(|b| b.flash.is_some())
        .map(|b| b.name)
        .collect();
    assert_eq!(with, ["icebreaker", "icesugar"]);
    for b in all() {
        let dev = b.device_info().unwrap();
        match &b.flash {
            Some(f) => {
                assert!(dev.spram_blocks > 0, "{}", b.name);
                assert_eq!(b.weight_offset(), Some(f.weight_offset));
                // 64 KiB aligned (iceprog's erase block; so also 4 KiB, the flash's sector)
                assert_eq!(f.weight_offset % 0x1_0000, 0, "{}", b.name);
                assert_eq!(f.weight_offset % 0x1000, 0, "{}", b.name);
                // past the largest bitstream of the device, with the erase block it ends in
                let bits = dev.bitstream_bytes().unwrap();
                assert!(
                    f.weight_offset >= bits.div_ceil(0x1_0000) * 0x1_0000,
                    "{}",
                    b.name
                );
                assert_eq!(b.min_weight_offset(), Some(0x2_0000), "{}", b.name);
                assert!(f.weight_offset < 1 << 24, "{}", b.name);
                // the flash pins are neither each other's nor any board-top port's
                let mut all_ports = b.ports();
                all_ports.extend(b.flash_ports());
                let pins: BTreeSet<&str> = all_ports.iter().map(|(_, p)| p.as_str()).collect();
                assert_eq!(pins.len(), all_ports.len(), "{}", b.name);
                let names: Vec<String> = b.flash_ports().into_iter().map(|(n, _)| n).collect();
                assert_eq!(
                    names,
                    ["flash_csn", "flash_sck", "flash_mosi", "flash_miso"]
                );
                // the sources cite where the flash pins come from
                assert!(
                    b.sources.iter().any(|s| s.contains("mosi 14")),
                    "{}: cite the flash pins",
                    b.name
                );
            }
            None => {
                assert_eq!(b.weight_offset(), None);
                assert!(b.flash_ports().is_empty());
                // a UP5K board without one says why
                if dev.spram_blocks > 0 {
                    assert!(
                        b.notes.iter().any(|n| n.contains("`flash` table")),
                        "{}",
                        b.name
                    );
                }
            }
        }
    }
    // Every UP5K in SG48 configures from pins 14 to 17: the iCEBreaker's pin file
    // (FLASH_SSB 16, FLASH_SCK 15, FLASH_IO0 14, FLASH_IO1 17).
    let ib = crate::find_board("icebreaker").unwrap();
    assert_eq!(
        ib.flash_ports(),
        [
            ("flash_csn".to_string(), "16".to_string()),
            ("flash_sck".to_string(), "15".to_string()),
            ("flash_mosi".to_string(), "14".to_string()),
            ("flash_miso".to_string(), "17".to_string()),
        ]
    );
    assert_eq!(ib.weight_offset(), Some(0x10_0000));
}

#[test]
fn bitstream_sizes_are_icepack_s() {
    let size = |n: &str| crate::device(n).and_then(|d| d.bitstream_bytes());
    assert_eq!(size("up5k"), Some(104_090));
    assert_eq!(size("hx1k"), Some(32_220));
    assert_eq!(size("hx8k"), Some(135_100));
    assert_eq!(size("85k"), None);
}

#[test]
fn schema_rejects_bad_flash_tables() {
    let one = BOARDS_TOML
        .split("[[board]]")
        .nth(1)
        .map(|s| format!("[[board]]{s}"))
        .unwrap();
    assert!(one.contains("weight_offset = 0x100000"), "{one}");
    assert_eq!(
        parse_boards(&one).unwrap()[0].weight_offset(),
        Some(0x10_0000)
    );
    let reject = |from: &str, to: &str, want: &str| {
        let t = one.replace(from, to);
        assert_ne!(t, one, "{from}");
        let e = parse_boards(&t).unwrap_err().to_string();
        assert!(e.contains(want), "{from} -> {to}: {e}");
    };
    // 4 KiB aligned but not 64 KiB
    reject(
        "weight_offset = 0x100000",
        "weight_offset = 0x101000",
        "64 KiB",
    );
    // inside the bitstream's last erase block
    reject(
        "weight_offset = 0x100000",
        "weight_offset = 0x10000",
        "at least 0x20000",
    );
    // past 24-bit addresses
    reject(
        "weight_offset = 0x100000",
        "weight_offset = 0x1000000",
        "16 MiB",
    );
    // a flash pin that a port uses
    reject("csn = \"16\"", "csn = \"35\"", "pin 35");
    reject("miso = \"17\"", "miso = \"14\"", "pin 14");
    // an unknown field
    reject("weight_offset =", "size = 1, weight_offset =", "size");
    // no SPRAM on an HX8K
    reject(
        "device = \"up5k\"\npackage = \"sg48\"",
        "device = \"hx8k\"\npackage = \"cb132\"",
        "SPRAM",
    );
}

#[test]
fn board_variants_keep_the_pins_and_change_the_device() {
    let u = crate::find_board("ulx3s").unwrap();
    assert_eq!(u.device, "85k");
    for (d, part) in [
        ("12k", "LFE5U-12F-6BG381C"),
        ("25k", "LFE5U-25F-6BG381C"),
        ("45k", "LFE5U-45F-6BG381C"),
        ("85k", "LFE5U-85F-6BG381C"),
    ] {
        let v = u.with_device(d).expect("a ULX3S variant");
        assert_eq!((v.device.as_str(), v.part.as_str()), (d, part));
        assert_eq!(
            (&v.pin_file, &v.clock, &v.uart),
            (&u.pin_file, &u.clock, &u.uart)
        );
    }
    assert!(u.with_device("up5k").is_none());
    let o = crate::find_board("orangecrab").unwrap();
    assert_eq!(o.with_device("85k").unwrap().part, "LFE5U-85F-8MG285C");
}
