//! `qrnn-hw flash --dry-run` prints the expected programming command for every board, SRAM and
//! flash; unknown boards, unsupported modes, missing bitstreams and missing programmers are
//! clear errors. Also `qrnn-hw boards`.

use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

mod common;
use common::flat;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run the binary with the programmer overrides removed and an empty PATH for tools.
fn qrnn(args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qrnn-hw"));
    c.args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("QRNN_OPENFPGALOADER")
        .env_remove("QRNN_ICEPROG")
        .env_remove("QRNN_ICESPROG");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A project directory with every family's bitstream present.
fn project() -> TempDir {
    let d = TempDir::new().unwrap();
    std::fs::create_dir(d.path().join("build")).unwrap();
    for f in ["top.bin", "top.bit", "top.fs"] {
        std::fs::write(d.path().join("build").join(f), b"bits").unwrap();
    }
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// (board, mode flag, expected command with FILE for the bitstream); None = refused.
const EXPECTED: &[(&str, &str, Option<&str>)] = &[
    ("icebreaker", "--sram", Some("iceprog -S FILE.bin")),
    ("icebreaker", "--flash", Some("iceprog FILE.bin")),
    ("icebreaker", "", Some("iceprog FILE.bin")),
    ("upduino3", "--sram", None),
    ("upduino3", "--flash", Some("iceprog FILE.bin")),
    ("upduino3", "", Some("iceprog FILE.bin")),
    ("icesugar", "--sram", None),
    ("icesugar", "--flash", Some("icesprog FILE.bin")),
    ("icesugar", "", Some("icesprog FILE.bin")),
    ("alchitry-cu", "--sram", None),
    ("alchitry-cu", "--flash", Some("iceprog FILE.bin")),
    ("alchitry-cu", "", Some("iceprog FILE.bin")),
    ("icestick", "--sram", None),
    ("icestick", "--flash", Some("iceprog FILE.bin")),
    ("icestick", "", Some("iceprog FILE.bin")),
    ("ulx3s", "--sram", Some("openFPGALoader -b ulx3s FILE.bit")),
    (
        "ulx3s",
        "--flash",
        Some("openFPGALoader -b ulx3s -f FILE.bit"),
    ),
    ("ulx3s", "", Some("openFPGALoader -b ulx3s FILE.bit")),
    ("orangecrab", "--sram", None),
    (
        "orangecrab",
        "--flash",
        Some("openFPGALoader -b orangeCrab FILE.bit"),
    ),
    (
        "orangecrab",
        "",
        Some("openFPGALoader -b orangeCrab FILE.bit"),
    ),
    (
        "colorlight-i5",
        "--sram",
        Some("openFPGALoader -b colorlight-i5 FILE.bit"),
    ),
    (
        "colorlight-i5",
        "--flash",
        Some("openFPGALoader -b colorlight-i5 -f FILE.bit"),
    ),
    (
        "colorlight-i5",
        "",
        Some("openFPGALoader -b colorlight-i5 FILE.bit"),
    ),
    (
        "tangnano9k",
        "--sram",
        Some("openFPGALoader -b tangnano9k FILE.fs"),
    ),
    (
        "tangnano9k",
        "--flash",
        Some("openFPGALoader -b tangnano9k -f FILE.fs"),
    ),
    (
        "tangnano9k",
        "",
        Some("openFPGALoader -b tangnano9k FILE.fs"),
    ),
    (
        "tangnano20k",
        "--sram",
        Some("openFPGALoader -b tangnano20k FILE.fs"),
    ),
    (
        "tangnano20k",
        "--flash",
        Some("openFPGALoader -b tangnano20k -f FILE.fs"),
    ),
    (
        "tangnano20k",
        "",
        Some("openFPGALoader -b tangnano20k FILE.fs"),
    ),
];

#[test]
fn dry_run_prints_the_expected_command_for_every_board_and_mode() {
    let d = project();
    let file = format!("{}/build/top", s(d.path()));
    let listed = qrnn(&["boards", "--json"], &[]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let v: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    for n in &names {
        for m in ["--sram", "--flash", ""] {
            assert!(
                EXPECTED.iter().any(|(b, f, _)| b == n && *f == m),
                "no expectation for {n} {m}"
            );
        }
    }
    assert_eq!(EXPECTED.len(), names.len() * 3);
    for (board, mode, want) in EXPECTED {
        let mut args = vec!["flash", s(d.path()), "--board", board, "--dry-run"];
        if !mode.is_empty() {
            args.push(mode);
        }
        let o = qrnn(&args, &[("PATH", "")]);
        match want {
            Some(w) => {
                assert_eq!(o.code, 0, "{board} {mode}: {}", o.stderr);
                assert_eq!(
                    o.stdout,
                    format!("{}\n", w.replace("FILE", &file)),
                    "{board} {mode}"
                );
            }
            None => {
                assert_eq!(o.code, 1, "{board} {mode} should be refused: {}", o.stdout);
                let e = flat(&o.stderr);
                assert!(e.contains("qrnn::fpga::mode"), "{e}");
                assert!(e.contains("cannot be programmed into sram"), "{e}");
                assert!(e.contains("use --flash"), "{e}");
            }
        }
    }
}

#[test]
fn board_comes_from_qrnn_json_and_override_variable_is_used() {
    let d = project();
    std::fs::write(
        d.path().join("qrnn.json"),
        r#"{"target": "ecp5", "board": "ulx3s", "model_hash": "x"}"#,
    )
    .unwrap();
    let o = qrnn(&["flash", s(d.path()), "--dry-run", "--flash"], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        format!("openFPGALoader -b ulx3s -f {}/build/top.bit\n", s(d.path()))
    );
    // A nested target object works too, and the override variable replaces the program.
    std::fs::write(
        d.path().join("qrnn.json"),
        r#"{"target": {"family": "ice40", "board": "icebreaker"}}"#,
    )
    .unwrap();
    let o = qrnn(
        &["flash", s(d.path()), "--dry-run", "--sram"],
        &[("QRNN_ICEPROG", "/opt/my tools/iceprog")],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        format!("'/opt/my tools/iceprog' -S {}/build/top.bin\n", s(d.path()))
    );
    // --board of another family than the project is refused.
    let o = qrnn(
        &["flash", s(d.path()), "--board", "ulx3s", "--dry-run"],
        &[],
    );
    assert_eq!(o.code, 1);
    assert!(flat(&o.stderr).contains("generated for ice40, but board `ulx3s` is ecp5"));
}

#[test]
fn errors_unknown_board_missing_board_missing_bitstream_missing_programmer() {
    let d = project();
    let o = qrnn(
        &["flash", s(d.path()), "--board", "de10nano", "--dry-run"],
        &[],
    );
    assert_eq!(o.code, 1);
    let e = flat(&o.stderr);
    assert!(e.contains("qrnn::fpga::unknown_board"), "{e}");
    assert!(e.contains("unknown board `de10nano`"), "{e}");
    assert!(e.contains("icebreaker") && e.contains("tangnano20k"), "{e}");

    let o = qrnn(&["flash", s(d.path()), "--dry-run"], &[]);
    assert_eq!(o.code, 1);
    assert!(flat(&o.stderr).contains("no board given"), "{}", o.stderr);

    let empty = TempDir::new().unwrap();
    let o = qrnn(
        &[
            "flash",
            s(empty.path()),
            "--board",
            "tangnano9k",
            "--dry-run",
        ],
        &[],
    );
    assert_eq!(o.code, 1);
    let e = flat(&o.stderr);
    assert!(e.contains("qrnn::fpga::no_bitstream"), "{e}");
    assert!(e.contains("build/top.fs does not exist"), "{e}");

    let o = qrnn(
        &["flash", s(d.path()), "--board", "ulx3s"],
        &[("PATH", s(empty.path()))],
    );
    assert_eq!(o.code, 1);
    let e = flat(&o.stderr);
    assert!(e.contains("qrnn::fpga::no_programmer"), "{e}");
    assert!(e.contains("`openFPGALoader` was not found"), "{e}");
    assert!(
        e.contains("openfpgaloader") && e.contains("QRNN_OPENFPGALOADER"),
        "{e}"
    );

    let o = qrnn(
        &["flash", s(d.path()), "--board", "icestick"],
        &[("QRNN_ICEPROG", "/nonexistent/iceprog")],
    );
    assert_eq!(o.code, 1);
    let e = flat(&o.stderr);
    assert!(
        e.contains("fpga-icestorm") && e.contains("QRNN_ICEPROG"),
        "{e}"
    );

    // --sram and --flash together are a usage error.
    let o = qrnn(
        &[
            "flash",
            s(d.path()),
            "--board",
            "ulx3s",
            "--sram",
            "--flash",
        ],
        &[],
    );
    assert_eq!(o.code, 2);
}

#[test]
fn flash_runs_the_programmer() {
    // A stand-in programmer that records its arguments.
    let d = project();
    let log = d.path().join("args.txt");
    let fake = d.path().join("fake-ofl.sh");
    std::fs::write(&fake, format!("#!/bin/sh\necho \"$@\" > '{}'\n", s(&log))).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let o = qrnn(
        &["flash", s(d.path()), "--board", "tangnano20k", "--flash"],
        &[("QRNN_OPENFPGALOADER", s(&fake))],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("-b tangnano20k -f {}/build/top.fs\n", s(d.path()))
    );
}

#[test]
fn boards_table_and_json() {
    let o = qrnn(&["boards"], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let t = &o.stdout;
    assert!(t.starts_with("board "), "{t}");
    for n in [
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
    ] {
        assert!(t.lines().any(|l| l.starts_with(n)), "{n} missing:\n{t}");
    }
    assert!(t.contains("openFPGALoader -b ulx3s (sram*, flash)"), "{t}");
    assert!(t.contains("100 MHz @P7"), "{t}");
    // the default core clock and the PLL that makes it
    assert!(t.contains("35.938 MHz SB_PLL40_PAD"), "{t}");
    assert!(t.contains("36 MHz SB_PLL40_CORE"), "{t}");
    assert!(t.contains("75 MHz EHXPLLL"), "{t}");
    let o = qrnn(&["boards", "--json"], &[]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let ulx = v
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "ulx3s")
        .unwrap();
    assert_eq!(ulx["clock"]["hz"], 25_000_000);
    assert_eq!(ulx["uart"]["tx"], "L4");
    assert_eq!(ulx["device_info"]["luts"], 83_640);
    assert_eq!(ulx["bitstream"], "build/top.bit");
    assert_eq!(ulx["ports"][0]["port"], "clk");
    // the ECP5 default core clock, 75 MHz: 25 · 3 / 1, VCO 600 MHz, CLKOP_DIV 8
    assert_eq!(ulx["core_clock"]["achieved_mhz"], 75.0);
    assert_eq!(ulx["core_clock"]["params"]["CLKOP_DIV"], 8);
}

/// A project of a design whose weights are loaded from flash: qrnn.json with a `weight_image` of
/// `bytes` bytes at 1 MiB, and `flash/weights.hex` holding `hex`.
fn weight_project(board: &str, bytes: u32, hex: &str) -> TempDir {
    let d = project();
    std::fs::write(
        d.path().join("qrnn.json"),
        format!(
            r#"{{"target": "ice40", "board": "{board}", "weight_image": {{"file": "flash/weights.hex",
 "offset": 1048576, "bytes": {bytes}, "crc32": 0, "memories": ["l0_u"], "spram_blocks": 1,
 "load_cycles": 1200}}}}"#
        ),
    )
    .unwrap();
    std::fs::create_dir(d.path().join("flash")).unwrap();
    std::fs::write(d.path().join("flash/weights.hex"), hex).unwrap();
    d
}

#[test]
fn a_weight_image_is_converted_and_written_after_the_bitstream() {
    let d = weight_project("icebreaker", 4, "51\n52\n57\n49\n");
    let p = s(d.path());
    // flash mode: the bitstream, then the image at its offset
    let o = qrnn(&["flash", p, "--dry-run"], &[("PATH", "")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        format!("iceprog {p}/build/top.bin\niceprog -o 1048576 {p}/build/weights.bin\n")
    );
    assert_eq!(
        std::fs::read(d.path().join("build/weights.bin")).unwrap(),
        b"QRWI"
    );
    // SRAM mode: the image goes to flash all the same, first (a flash write resets the FPGA)
    let o = qrnn(&["flash", p, "--sram", "--dry-run"], &[("PATH", "")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        format!("iceprog -o 1048576 {p}/build/weights.bin\niceprog -S {p}/build/top.bin\n")
    );
    let e = flat(&o.stderr);
    assert!(
        e.contains("--sram loads the bitstream into SRAM only")
            && e.contains("SRAM loading leaves as it is")
            && e.contains("--flash"),
        "{e}"
    );
    // icesprog writes at an offset too
    let d2 = weight_project("icesugar", 4, "51\n52\n57\n49\n");
    let p2 = s(d2.path());
    let o = qrnn(&["flash", p2, "--dry-run"], &[("PATH", "")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        format!("icesprog {p2}/build/top.bin\nicesprog -o 1048576 {p2}/build/weights.bin\n")
    );
}

#[test]
fn a_bad_weight_image_or_board_is_a_clear_error() {
    // a line that is not one byte in hex: the file and the line
    let d = weight_project("icebreaker", 4, "51\n52\n5x7\n49\n");
    let o = qrnn(&["flash", s(d.path()), "--dry-run"], &[]);
    assert_eq!(o.code, 1);
    let e = flat(&o.stderr);
    assert!(e.contains("qrnn::fpga::weight_hex"), "{e}");
    assert!(
        e.contains("flash/weights.hex:3: `5x7` is not one byte in hex"),
        "{e}"
    );
    assert!(!d.path().join("build/weights.bin").exists());
    // another length than the manifest's
    let d = weight_project("icebreaker", 5, "51\n52\n57\n49\n");
    let o = qrnn(&["flash", s(d.path()), "--dry-run"], &[]);
    assert_eq!(o.code, 1);
    let e = flat(&o.stderr);
    assert!(
        e.contains("has 4 bytes, but qrnn.json's weight_image.bytes is 5"),
        "{e}"
    );
    // a board that cannot read the flash (a project that names no board: --board picks it)
    let d = weight_project("icebreaker", 4, "51\n52\n57\n49\n");
    let j = std::fs::read_to_string(d.path().join("qrnn.json")).unwrap();
    std::fs::write(
        d.path().join("qrnn.json"),
        j.replace(r#""board": "icebreaker", "#, ""),
    )
    .unwrap();
    let o = qrnn(
        &["flash", s(d.path()), "--board", "upduino3", "--dry-run"],
        &[],
    );
    assert_eq!(o.code, 1);
    let e = flat(&o.stderr);
    assert!(e.contains("qrnn::fpga::weight_image"), "{e}");
    assert!(e.contains("this board has no `flash` table"), "{e}");
    // a project built for one board is not flashed onto another with other pins, even of the
    // same device (the iCEBreaker and the UPduino are both iCE40UP5K-SG48)
    let d = weight_project("icebreaker", 4, "51\n52\n57\n49\n");
    for other in ["upduino3", "icestick"] {
        let o = qrnn(&["flash", s(d.path()), "--board", other, "--dry-run"], &[]);
        assert_eq!(o.code, 1, "{other}: {}", o.stdout);
        let e = flat(&o.stderr);
        assert!(e.contains("qrnn::flash::other_board"), "{e}");
        assert!(
            e.contains(&format!(
                "built for board `icebreaker` (up5k sg48), but --board {other}"
            )),
            "{e}"
        );
        assert!(e.contains(&format!("--board {other} -o DIR")), "{e}");
    }
    // the project's own board, named again, is no override
    let o = qrnn(
        &["flash", s(d.path()), "--board", "icebreaker", "--dry-run"],
        &[("PATH", "")],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // a malformed weight_image
    std::fs::write(
        d.path().join("qrnn.json"),
        r#"{"target": "ice40", "board": "icebreaker", "weight_image": {"file": 3}}"#,
    )
    .unwrap();
    let o = qrnn(&["flash", s(d.path()), "--dry-run"], &[]);
    assert_eq!(o.code, 1);
    let e = flat(&o.stderr);
    assert!(
        e.contains("qrnn::fpga::manifest") && e.contains("weight_image"),
        "{e}"
    );
}

#[test]
fn flash_runs_the_programmer_twice_for_a_weight_image() {
    let d = weight_project("icebreaker", 4, "51\n52\n57\n49\n");
    let log = d.path().join("args.txt");
    let fake = d.path().join("fake-iceprog.sh");
    std::fs::write(&fake, format!("#!/bin/sh\necho \"$@\" >> '{}'\n", s(&log))).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let o = qrnn(&["flash", s(d.path())], &[("QRNN_ICEPROG", s(&fake))]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let p = s(d.path());
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("{p}/build/top.bin\n-o 1048576 {p}/build/weights.bin\n")
    );
    assert!(
        o.stderr.contains("icebreaker (flash, weight image): "),
        "{}",
        o.stderr
    );
}
