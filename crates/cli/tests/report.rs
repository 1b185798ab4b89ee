//! The synthesis / place-and-route report flow of a generated project: `qrnn-hw gen`, `make synth
//! pnr` (yosys, nextpnr-ice40), `qrnn-hw report` — the report parses, carries the synthesised and
//! placed counts beside the prediction, an Fmax, and the speed at that clock. Needs the tools:
//! skipped without them locally, failed under `QRNN_REQUIRE_TOOLS=1` (CI).

use std::path::Path;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_qrnn-hw")
}

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("--help").output().is_ok();
    if !ok {
        if std::env::var("QRNN_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
            panic!("QRNN_REQUIRE_TOOLS=1 and `{tool}` is missing (Debian package: {tool})");
        }
        eprintln!("SKIPPED: `{tool}` not found (set QRNN_REQUIRE_TOOLS=1 to fail instead)");
    }
    ok
}

fn run(dir: &Path, cmd: &mut Command) -> String {
    let out = cmd.current_dir(dir).output().expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
fn synth_pnr_report_on_ice40() {
    if !(have("yosys") && have("nextpnr-ice40") && have("make")) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    run(
        d,
        Command::new(bin()).args([
            "-q", "example", "--cell", "lstm", "--quant", "binary", "--hidden", "4", "--input",
            "3", "--head", "2", "--seed", "5", "-o", "m.qw",
        ]),
    );
    run(
        d,
        Command::new(bin()).args(["-q", "gen", "m.qw", "--target", "ice40", "-o", "hw"]),
    );
    let hw = d.join("hw");
    run(&hw, Command::new("make").args(["-s", "synth", "pnr"]));
    let table = run(
        &hw,
        Command::new("make").args(["-s", "report", &format!("QRNN_HW={}", bin())]),
    );
    assert!(
        table.contains("Fmax") && table.contains("MHz") && table.contains("timesteps/s"),
        "{table}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(hw.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["family"], "ice40");
    assert!(r["synthesis"]["lut"].as_u64().unwrap() > 0);
    assert!(r["placed"]["lut"].as_u64().unwrap() > 0, "{r}");
    assert!(r["predicted"]["lut4"].as_u64().unwrap() > 0);
    let fmax = r["fmax_mhz"].as_f64().unwrap();
    let cps = r["cycles_per_step"].as_f64().unwrap();
    assert!(fmax > 1.0, "{r}");
    let tps = r["timesteps_per_s"].as_f64().unwrap();
    assert!((tps - fmax * 1e6 / cps).abs() < 1e-6 * tps, "{r}");
    // without a build, report names the missing file
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::copy(hw.join("qrnn.json"), empty.join("qrnn.json")).unwrap();
    let out = Command::new(bin())
        .args(["report", "."])
        .current_dir(&empty)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr).replace('\n', " ");
    assert!(err.contains("stat.json"), "{err}");
}

/// `gen --board icebreaker`: the project gets the UART board top, the pin file and the bitstream
/// rules; `make` builds a real iCE40UP5K bitstream, timing met at the board clock; the board top is
/// lint-clean; `make report` reports the board top; `flash --dry-run` names the bitstream. A board of
/// a family whose tools are not set up says so.
#[test]
fn board_bitstream_on_icebreaker() {
    if !(have("yosys")
        && have("nextpnr-ice40")
        && have("icepack")
        && have("verilator")
        && have("make"))
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    run(
        d,
        Command::new(bin()).args([
            "-q", "example", "--cell", "gru", "--quant", "ternary", "--hidden", "3", "--input",
            "2", "--head", "2", "--seed", "9", "-o", "m.qw",
        ]),
    );
    run(
        d,
        Command::new(bin()).args(["-q", "gen", "m.qw", "--board", "icebreaker", "-o", "hw"]),
    );
    let hw = d.join("hw");
    for f in [
        "board/qrnn_top.v",
        "hw/qrnn_board_top.v",
        "hw/qrnn_uart_rx.v",
        "constraints/icebreaker.pcf",
    ] {
        assert!(hw.join(f).exists(), "{f} missing");
    }
    let man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(hw.join("qrnn.json")).unwrap()).unwrap();
    assert_eq!(man["board"], "icebreaker");
    assert_eq!(man["device"], "up5k");
    // the board top around the generated core is lint-clean
    let mut lint = Command::new("verilator");
    lint.args([
        "--lint-only",
        "-Wall",
        "--top-module",
        "qrnn_top",
        "board/qrnn_top.v",
    ]);
    for dir in ["hw", "rtl"] {
        let mut files: Vec<String> = std::fs::read_dir(hw.join(dir))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| format!("{dir}/{}", e.file_name().to_string_lossy()))
            .filter(|n| n.ends_with(".v"))
            .collect();
        files.sort();
        lint.args(files);
    }
    run(&hw, &mut lint);
    let out = run(&hw, Command::new("make").arg("-s"));
    assert!(out.contains("bitstream: build/top.bin"), "{out}");
    let bin_len = std::fs::metadata(hw.join("build/top.bin")).unwrap().len();
    assert_eq!(bin_len, 104_090, "an iCE40UP5K bitstream is 104090 bytes");
    let table = run(
        &hw,
        Command::new("make").args(["-s", "report", &format!("QRNN_HW={}", bin())]),
    );
    assert!(
        table.contains("top     qrnn_top") && table.contains("met"),
        "{table}"
    );
    let dry = run(&hw, Command::new(bin()).args(["flash", ".", "--dry-run"]));
    assert!(dry.contains("iceprog") && dry.contains("top.bin"), "{dry}");
    // an ECP5 board: files are written, `make` says what is missing and fails
    run(
        d,
        Command::new(bin()).args(["-q", "gen", "m.qw", "--board", "ulx3s", "-o", "hw5"]),
    );
    let out = Command::new("make")
        .arg("-s")
        .current_dir(d.join("hw5"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("not set up yet"));
    // a --target that contradicts the board is refused
    let out = Command::new(bin())
        .args([
            "gen",
            "m.qw",
            "--board",
            "icebreaker",
            "--target",
            "ecp5",
            "-o",
            "x",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
