//! `qrnn-hw gen --fit` (docs/HARDWARE.md "Auto-fit"): a model too large for an iCE40UP5K gets
//! `qrnn::gen::no_fit` naming the overflowing resource, by how much, and the smallest listed device
//! that fits it; a model that fits gets its folding chosen, printed and recorded in `qrnn.json` and
//! `README.md`; and (with yosys and nextpnr-ice40) the chosen folding of the demo model really
//! places on the UP5K. The tool checks skip without the tools, and fail under
//! `QRNN_REQUIRE_TOOLS=1`.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;
use common::{flat, have_cmds};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_qrnn-hw")
}

fn demo() -> String {
    format!(
        "{}/../../examples/demo-lstm-ternary.qw",
        env!("CARGO_MANIFEST_DIR")
    )
}

struct Out {
    code: i32,
    stdout: String,
    /// stderr with miette's line wrapping undone (words joined by single spaces, gutters dropped).
    err: String,
}

fn qrnn(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("qrnn-hw runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: flat(&stderr),
    }
}

fn ok(dir: &Path, args: &[&str]) -> Out {
    let o = qrnn(dir, args);
    assert_eq!(o.code, 0, "{args:?} failed:\n{}\n{}", o.stdout, o.err);
    o
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("qrnn.json")).unwrap()).unwrap()
}

/// The number right after `word` in `s`.
fn number_after(s: &str, word: &str) -> u64 {
    let i = s
        .find(word)
        .unwrap_or_else(|| panic!("{word:?} not in {s}"))
        + word.len();
    s[i..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {word:?} in {s}"))
}

#[test]
fn too_large_for_up5k_names_the_overflow_and_the_smallest_device() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(
        d,
        &[
            "-q", "example", "--cell", "lstm", "--quant", "ternary", "--hidden", "64", "--input",
            "16", "--head", "4", "--seed", "1", "-o", "big.qw",
        ],
    );
    // weights hard-wired in logic: the design is bound by logic cells, not block RAM
    let o = qrnn(
        d,
        &[
            "gen",
            "big.qw",
            "--fit",
            "--device",
            "up5k",
            "--weights",
            "logic",
            "-o",
            "hw",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(!o.err.contains("panicked"), "{}", o.err);
    assert!(!d.join("hw").exists(), "nothing is written");
    for f in [
        "qrnn::gen::no_fit",
        "big.qw does not fit iCE40UP5K (up5k) at any folding",
        "the smallest (every engine 1x1, weights logic) needs",
        "logic cells (LUT4+FF)",
        "the 3695 allowed (70 % of the device's 5280",
        "the smallest listed device it fits is iCE40HX8K (`--device hx8k`",
    ] {
        assert!(o.err.contains(f), "missing {f:?} in: {}", o.err);
    }
    // needed vs allowed, the excess, and the share of the device are consistent
    let need = number_after(&o.err, "needs");
    let more = number_after(&o.err, "logic cells (LUT4+FF),");
    let pct = number_after(&o.err, "it needs");
    assert!(need > 3695, "{}", o.err);
    assert_eq!(more, need - 3695, "{}", o.err);
    assert_eq!(
        pct,
        (need as f64 * 100.0 / 5280.0).round() as u64,
        "{}",
        o.err
    );
    // ... and the device it names does fit it
    let o = ok(
        d,
        &["gen", "big.qw", "--fit", "--device", "hx8k", "-o", "hw8"],
    );
    assert!(
        o.stdout.contains("fit for iCE40HX8K (hx8k)"),
        "{}",
        o.stdout
    );
    let m = manifest(&d.join("hw8"));
    assert_eq!(m["fit"]["device"], "hx8k");
    assert_eq!(m["device"], "hx8k");
    for r in m["fit"]["resources"].as_array().unwrap() {
        assert!(r["predicted"].as_u64() <= r["budget"].as_u64(), "{r}");
    }
}

#[test]
fn fit_prints_and_records_the_choice() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let demo = demo();
    // no device: the family's default (iCE40 → UP5K)
    let o = ok(d, &["gen", &demo, "--fit", "-o", "hw"]);
    for f in [
        "fit for iCE40UP5K (up5k), weights auto",
        "layer0",
        "head",
        "logic cells (LUT4+FF)",
        "block RAM (4 kbit)",
        "DSP (SB_MAC16)",
    ] {
        assert!(o.stdout.contains(f), "missing {f:?} in:\n{}", o.stdout);
    }
    let hw = d.join("hw");
    let m = manifest(&hw);
    let fit = &m["fit"];
    assert_eq!(fit["device"], "up5k");
    assert_eq!(fit["part"], "iCE40UP5K");
    assert_eq!(
        (&m["device"], &m["package"]),
        (&"up5k".into(), &"sg48".into())
    );
    assert_eq!(fit["cycles_per_step"], m["cycles_per_step"]);
    assert_eq!(fit["folds"]["layer0"], m["layers"][0]["fold"]);
    assert_eq!(fit["folds"]["head"], m["head"]["fold"]);
    let keys: Vec<&str> = fit["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource"].as_str().unwrap())
        .collect();
    // the UP5K also budgets its SPRAM (weights placed there by `--weights spram`)
    assert_eq!(keys, ["logic_cells", "bram_blocks", "dsp", "spram_blocks"]);
    for r in fit["resources"].as_array().unwrap() {
        let (p, b, a) = (
            r["predicted"].as_u64().unwrap(),
            r["budget"].as_u64().unwrap(),
            r["available"].as_u64().unwrap(),
        );
        assert!(p <= b && b <= a, "{r}");
    }
    // faster than (or as fast as) the slowest folding, which gen itself confirms
    ok(d, &["-q", "gen", &demo, "--fold", "all=1x1", "-o", "slow"]);
    let slow = manifest(&d.join("slow"))["cycles_per_step"]
        .as_u64()
        .unwrap();
    let cps = m["cycles_per_step"].as_u64().unwrap();
    assert!(cps <= slow, "{cps} > {slow}");
    assert_eq!(fit["slowest_cycles_per_step"].as_u64(), Some(slow));
    let readme = std::fs::read_to_string(hw.join("README.md")).unwrap();
    assert!(
        readme.contains("## Auto-fit") && readme.contains("| logic_cells |"),
        "{readme}"
    );
    // deterministic
    ok(d, &["-q", "gen", &demo, "--fit", "-o", "hw2"]);
    assert_eq!(
        std::fs::read(hw.join("qrnn.json")).unwrap(),
        std::fs::read(d.join("hw2/qrnn.json")).unwrap()
    );

    // --fold pins an engine; --fit chooses the rest
    ok(
        d,
        &[
            "-q", "gen", &demo, "--fit", "--fold", "head=1x1", "-o", "pin",
        ],
    );
    let m = manifest(&d.join("pin"));
    assert_eq!(m["fit"]["pinned"], serde_json::json!(["head"]));
    assert_eq!(m["head"]["fold"], serde_json::json!({"p": 1, "s": 1}));
    // a board decides the device
    ok(
        d,
        &[
            "-q",
            "gen",
            &demo,
            "--fit",
            "--board",
            "icebreaker",
            "-o",
            "ib",
        ],
    );
    assert_eq!(manifest(&d.join("ib"))["fit"]["device"], "up5k");
    // an ECP5 device: LUT4 and flip-flops are budgeted separately
    let o = ok(d, &["gen", &demo, "--fit", "--device", "25k", "-o", "e5"]);
    assert!(o.stdout.contains("LUT4") && o.stdout.contains("flip-flops"));
    assert_eq!(manifest(&d.join("e5"))["target"], "ecp5");

    // contradictions are refused
    for (args, frag) in [
        (
            vec!["--device", "hx8k", "--board", "icebreaker"],
            "qrnn::gen::device",
        ),
        (
            vec!["--device", "25k", "--target", "ice40"],
            "qrnn::gen::target",
        ),
        (vec!["--device", "up6k"], "unknown device `up6k`"),
        (vec!["--fold", "layer3=1x1"], "layer3"),
    ] {
        let mut a = vec!["gen", demo.as_str(), "--fit", "-o", "bad"];
        a.extend(args);
        let o = qrnn(d, &a);
        assert_eq!(o.code, 1, "{a:?}: {}", o.err);
        assert!(o.err.contains(frag), "{a:?}: {}", o.err);
    }
}

/// The demo model's fitted folding for the iCE40UP5K synthesises (yosys `synth_ice40 -dsp`) and
/// places (nextpnr-ice40 --up5k) within the device.
#[test]
fn demo_fit_places_on_up5k() {
    if !have_cmds(&["yosys", "nextpnr-ice40", "make"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(
        d,
        &[
            "-q",
            "gen",
            &demo(),
            "--fit",
            "--device",
            "up5k",
            "-o",
            "hw",
        ],
    );
    let hw = d.join("hw");
    let out = Command::new("make")
        .args(["-s", "synth", "pnr"])
        .current_dir(&hw)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "make synth pnr failed:\n{log}");
    let pnr: Value =
        serde_json::from_str(&std::fs::read_to_string(hw.join("build/pnr.json")).unwrap()).unwrap();
    let u = &pnr["utilization"];
    let used = |k: &str| u[k]["used"].as_u64().unwrap();
    let avail = |k: &str| u[k]["available"].as_u64().unwrap();
    assert_eq!(avail("ICESTORM_LC"), 5280, "placed on an UP5K: {u}");
    assert!(used("ICESTORM_LC") <= 5280, "{u}");
    assert!(used("ICESTORM_RAM") <= 30, "{u}");
    assert!(used("ICESTORM_DSP") <= 8, "{u}");
    let m = manifest(&hw);
    let predicted = m["fit"]["resources"][0]["predicted"].as_u64().unwrap();
    eprintln!(
        "fit {}: predicted {predicted} logic cells, placed {} of 5280",
        m["fit"]["folds"],
        used("ICESTORM_LC")
    );
}

/// `--fold all=PxS` is clamped per engine, so one blanket folding serves engines of different
/// sizes; an explicit `ENGINE=PxS` out of range is still refused by the `fold` pass.
#[test]
fn fold_all_is_clamped_per_engine_and_explicit_folds_are_not() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // the tiny GRU: one layer of 3·4 = 12 rows, 4 columns (U; W has 2); no head
    let tiny = format!(
        "{}/../../examples/tiny-gru-quaternary.qw.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    ok(d, &["-q", "gen", &tiny, "--fold", "all=16x8", "-o", "all"]);
    let m = manifest(&d.join("all"));
    let l0 = &m["layers"][0];
    let hidden = l0["hidden"].as_u64().unwrap();
    let (rows, cols) = (3 * hidden, l0["input"].as_u64().unwrap().max(hidden));
    assert!(
        rows < 16 && cols < 8,
        "the example must be smaller than the fold: {l0}"
    );
    assert_eq!(l0["fold"], serde_json::json!({"p": rows, "s": cols}));
    // within range the blanket is taken as it is, and a later ENGINE=PxS overrides it
    ok(d, &["-q", "gen", &tiny, "--fold", "all=2x2", "-o", "in"]);
    assert_eq!(
        manifest(&d.join("in"))["layers"][0]["fold"],
        serde_json::json!({"p": 2, "s": 2})
    );
    ok(
        d,
        &[
            "-q",
            "gen",
            &tiny,
            "--fold",
            "all=16x8",
            "--fold",
            "layer0=1x1",
            "-o",
            "mix",
        ],
    );
    assert_eq!(
        manifest(&d.join("mix"))["layers"][0]["fold"],
        serde_json::json!({"p": 1, "s": 1})
    );
    let o = qrnn(
        d,
        &["-q", "gen", &tiny, "--fold", "layer0=1x8", "-o", "bad"],
    );
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(
        o.err.contains("layer0: fold 1x8 must be within"),
        "{}",
        o.err
    );
}

/// Feasibility at `gen` (docs/HARDWARE.md §10): `gen --board icebreaker` on a model that cannot fit
/// its UP5K prints the overrun and the options, exits 1 and writes nothing; `--allow-overfit`
/// writes the project with a warning; a model that fits gets the prediction printed against the
/// device, and its products beyond the device's DSP blocks recorded as LUT multipliers.
#[test]
fn gen_with_a_board_refuses_a_design_that_cannot_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(
        d,
        &[
            "-q", "example", "--cell", "lstm", "--quant", "ternary", "--hidden", "256", "--input",
            "16", "--head", "4", "--seed", "1", "-o", "huge.qw",
        ],
    );
    let o = qrnn(d, &["gen", "huge.qw", "--board", "icebreaker", "-o", "hw"]);
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.err);
    assert!(!d.join("hw").exists(), "nothing is written");
    for f in [
        "qrnn::gen::overfit",
        "the design does not fit iCE40UP5K (up5k): it needs",
        "block RAM (4 kbit) of the device's 30",
        "`--fit` chooses the fastest folding that fits",
        "`--allow-overfit` writes the project anyway",
    ] {
        assert!(o.err.contains(f), "missing {f:?} in: {}", o.err);
    }
    let o = ok(
        d,
        &[
            "gen",
            "huge.qw",
            "--board",
            "icebreaker",
            "--allow-overfit",
            "-o",
            "hw",
        ],
    );
    assert!(o.err.contains("warning: --allow-overfit"), "{}", o.err);
    assert!(d.join("hw/qrnn.json").exists());
    // a model that fits: the prediction against the device, and the DSP budget
    let o = ok(
        d,
        &[
            "gen",
            &format!(
                "{}/../../examples/trained-gunpoint-gru-ternary.qw",
                env!("CARGO_MANIFEST_DIR")
            ),
            "--board",
            "icebreaker",
            "-o",
            "gp",
        ],
    );
    assert!(
        o.stdout.contains("predicted for iCE40UP5K (up5k)")
            && o.stdout.contains("DSP (SB_MAC16)")
            && o.stdout.contains("are LUT multipliers"),
        "{}",
        o.stdout
    );
    let m = manifest(&d.join("gp"));
    assert!(!m["lut_products"].as_array().unwrap().is_empty(), "{m}");
}

/// Weights in SPRAM (docs/HARDWARE.md §4.3): refused where there is none, and `--place` checked;
/// on the UP5K the project gets the weight image and `qrnn.json` says where it goes.
#[test]
fn spram_weights_are_placed_only_where_there_is_spram() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(
        d,
        &[
            "-q", "example", "--cell", "lstm", "--quant", "ternary", "--hidden", "128", "--input",
            "16", "--head", "4", "--seed", "1", "-o", "m.qw",
        ],
    );
    let o = qrnn(
        d,
        &[
            "gen",
            "m.qw",
            "--weights",
            "spram",
            "--target",
            "ecp5",
            "-o",
            "e",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(
        o.err.contains("qrnn::gen::place") && o.err.contains("has no SPRAM"),
        "{}",
        o.err
    );
    let o = qrnn(
        d,
        &[
            "gen",
            "m.qw",
            "--weights",
            "spram",
            "--device",
            "hx8k",
            "-o",
            "h",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(o.err.contains("which the device has none of"), "{}", o.err);
    let o = qrnn(d, &["gen", "m.qw", "--place", "l0_u=flash", "-o", "p"]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(
        o.err
            .contains("expected NAME=rom, NAME=logic or NAME=spram"),
        "{}",
        o.err
    );
    let o = qrnn(d, &["gen", "m.qw", "--place", "l7_u=spram", "-o", "p"]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(
        o.err.contains("qrnn::rtl::place") && o.err.contains("l0_u"),
        "{}",
        o.err
    );
    for dir in ["e", "h", "p"] {
        assert!(!d.join(dir).exists(), "nothing is written for {dir}");
    }
    ok(
        d,
        &[
            "-q",
            "gen",
            "m.qw",
            "--weights",
            "spram",
            "--device",
            "up5k",
            "-o",
            "u",
        ],
    );
    let m = manifest(&d.join("u"));
    let w = &m["weight_image"];
    assert_eq!(w["offset"], 0x10_0000);
    assert_eq!(w["memories"][0], "l0_u");
    let lines = std::fs::read_to_string(d.join("u/flash/weights.hex")).unwrap();
    assert_eq!(lines.lines().count() as u64, w["bytes"].as_u64().unwrap());
    assert_eq!(
        m["layers"][0]["weights"], "rom",
        "l0_w (16 kbit) stays in block RAM"
    );
}
