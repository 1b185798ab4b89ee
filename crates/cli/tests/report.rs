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
