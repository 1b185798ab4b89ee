//! End to end: `qrnn-hw train` a tiny model with a fixed seed (seconds), check that its header
//! records the figures, that `qrnn-hw eval` reproduces the golden accuracy exactly, that the same
//! seed gives the same file, and that `qrnn-hw gen` + `make sim` co-simulates it exactly
//! (Verilator; skipped without it unless QRNN_REQUIRE_TOOLS=1). With the packaged data installed
//! (or QRNN_REQUIRE_DATA=1) the same holds for `--data ucr:GunPoint`.

use qrnn_model::example::Rng;
use qrnn_model::Model;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;
use common::{flat, have_cmds, qrnn_run};

/// `qrnn-hw ARGS` in `dir` (the shared runner), stderr unwrapped ([`flat`]).
fn qrnn(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let (code, out, err) = qrnn_run(dir, args);
    (code, out, flat(&err))
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let (code, out, err) = qrnn(dir, args);
    assert_eq!(code, 0, "qrnn-hw {args:?} failed:\n{out}\n{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

/// The class is the sign of the sum of feature 0 over the last half (feature 1 is noise).
fn write_task(path: &Path, n: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut seqs = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..n {
        let s: Vec<Vec<f64>> = (0..8)
            .map(|_| {
                vec![
                    ((2.0 * rng.unit() - 1.0) * 1000.0).round() / 1000.0,
                    ((2.0 * rng.unit() - 1.0) * 1000.0).round() / 1000.0,
                ]
            })
            .collect();
        let m: f64 = s[4..].iter().map(|t| t[0]).sum();
        labels.push(usize::from(m > 0.0));
        seqs.push(s);
    }
    let j = serde_json::json!({"sequences": seqs, "labels": labels});
    std::fs::write(path, j.to_string()).unwrap();
}

/// Train, then check header, eval and (optionally) co-simulation.
fn train_and_check(dir: &Path, train_args: &[&str], eval_data: &str, cosim: bool) -> Model {
    let mut args = vec!["train"];
    args.extend_from_slice(train_args);
    args.extend_from_slice(&["-o", "m.qw", "--json", "-q"]);
    let t = ok_json(dir, &args);
    let m = Model::load(&dir.join("m.qw")).expect("the trained model loads");
    let golden = m.provenance.metrics["golden_accuracy"];
    assert_eq!(t["metrics"]["golden_accuracy"].as_f64(), Some(golden));
    assert!(m
        .provenance
        .metrics
        .contains_key("quantized_float_accuracy"));
    assert!(m.provenance.tool.ends_with(" train"));
    assert!(m.provenance.epochs.is_some() && m.provenance.seed.is_some());
    let e = ok_json(dir, &["eval", "m.qw", "--data", eval_data, "--json"]);
    assert_eq!(
        e["golden_accuracy"].as_f64(),
        Some(golden),
        "eval must reproduce the header's golden accuracy exactly"
    );
    assert_eq!(
        e["float_accuracy"].as_f64(),
        Some(m.provenance.metrics["quantized_float_accuracy"]),
        "eval's float reference is the quantized-float model"
    );
    if cosim && have_cmds(&["verilator"]) {
        let (code, out, err) = qrnn(dir, &["-q", "gen", "m.qw", "-o", "hw", "--force"]);
        assert_eq!(code, 0, "gen failed:\n{out}\n{err}");
        let sim = Command::new("make")
            .args(["-s", "-C", "hw", "sim"])
            .current_dir(dir)
            .output()
            .expect("make runs");
        let text = String::from_utf8_lossy(&sim.stdout).into_owned()
            + &String::from_utf8_lossy(&sim.stderr);
        assert!(
            sim.status.success() && text.lines().any(|l| l.starts_with("PASS")),
            "co-simulation of the trained model failed:\n{text}"
        );
    }
    m
}

#[test]
fn train_eval_gen_sim_on_a_generated_task() {
    let d = tempfile::tempdir().unwrap();
    write_task(&d.path().join("train.json"), 96, 1);
    write_task(&d.path().join("test.json"), 48, 2);
    let args = [
        "--data",
        "train.json",
        "--test",
        "test.json",
        "--cell",
        "gru",
        "--hidden",
        "4",
        "--quant",
        "ternary",
        "--epochs",
        "8",
        "--seed",
        "3",
        "--lr",
        "0.02",
    ];
    let m = train_and_check(d.path(), &args, "test.json", true);
    assert_eq!(m.provenance.dataset.as_deref(), Some("train.json"));
    assert_eq!(m.provenance.task.as_deref(), Some("classification"));
    assert!(
        m.provenance.metrics["golden_accuracy"] > 0.6,
        "{:?}",
        m.provenance.metrics
    );
    // the same seed gives the same file
    let first = std::fs::read(d.path().join("m.qw")).unwrap();
    let (code, _, err) = qrnn(
        d.path(),
        &[&["train", "-q", "-o", "again.qw", "--name", "m"], &args[..]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read(d.path().join("again.qw")).unwrap() == first,
        "the same seed and options must give a byte-identical .qw"
    );
    // a bad option is a clear error, not a panic
    let (code, _, err) = qrnn(
        d.path(),
        &[
            "train",
            "--data",
            "train.json",
            "--cell",
            "convlstm",
            "-o",
            "x.qw",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("convlstm needs frames"), "{err}");
}

/// Whether the packaged UCR set `name` is installed; without it a test is skipped (with a
/// line saying so), and under QRNN_REQUIRE_DATA=1 it fails.
fn ucr_installed(name: &str) -> bool {
    let data = qrnn_train::datasets::DataDir::locate();
    data.is_ok_and(|dd| dd.ucr_names().iter().any(|n| n == name))
        || qrnn_testkit::data_missing(&format!("the packaged UCR set {name} is not installed"))
}

#[test]
fn gunpoint_trains_and_eval_reproduces() {
    let d = tempfile::tempdir().unwrap();
    if !ucr_installed("GunPoint") {
        return;
    }
    let m = train_and_check(
        d.path(),
        &[
            "--data",
            "ucr:GunPoint",
            "--stride",
            "5",
            "--cell",
            "gru",
            "--hidden",
            "4",
            "--quant",
            "binary",
            "--epochs",
            "2",
            "--seed",
            "1",
        ],
        "ucr:GunPoint",
        false,
    );
    assert_eq!(m.provenance.dataset.as_deref(), Some("ucr:GunPoint"));
    let rec = qrnn_train::train::data_record_of(&m).expect("the data record");
    assert_eq!(
        rec.stride,
        Some(5),
        "--stride is recorded (and eval repeats it)"
    );
    // --stride is for UCR sets only
    std::fs::write(
        d.path().join("t.json"),
        r#"{"sequences": [[[1]]], "labels": [0]}"#,
    )
    .unwrap();
    let (code, _, err) = qrnn(
        d.path(),
        &["train", "--data", "t.json", "--stride", "2", "-o", "x.qw"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--stride 2 is for UCR sets"), "{err}");
}

/// `--normalize train` (per-dimension standardisation with the training split's statistics, for
/// multivariate sets whose per-series offset carries the class) is recorded and `eval` repeats
/// it; the default stays the archive's per-series z-normalisation.
#[test]
fn normalisation_is_recorded_and_eval_repeats_it() {
    let d = tempfile::tempdir().unwrap();
    if !ucr_installed("BasicMotions") {
        return;
    }
    let args = |norm: &'static str| -> Vec<&'static str> {
        vec![
            "--data",
            "ucr:BasicMotions",
            "--normalize",
            norm,
            "--stride",
            "4",
            "--cell",
            "lstm",
            "--hidden",
            "4",
            "--quant",
            "ternary",
            "--epochs",
            "2",
            "--seed",
            "1",
        ]
    };
    let m = train_and_check(d.path(), &args("train"), "ucr:BasicMotions", false);
    let rec = qrnn_train::train::data_record_of(&m).expect("the data record");
    assert_eq!(rec.normalize.as_deref(), Some("train"));
    // the default is the archive's convention, and the two preparations give different models
    let series = train_and_check(d.path(), &args("series"), "ucr:BasicMotions", false);
    let rec = qrnn_train::train::data_record_of(&series).expect("the data record");
    assert_eq!(rec.normalize.as_deref(), Some("series"));
    assert_ne!(
        qrnn_model::qw::model_hash(&m),
        qrnn_model::qw::model_hash(&series)
    );
    // only for UCR sets; a bad value names the choices
    std::fs::write(
        d.path().join("t.json"),
        r#"{"sequences": [[[1]]], "labels": [0]}"#,
    )
    .unwrap();
    let (code, _, err) = qrnn(
        d.path(),
        &[
            "train",
            "--data",
            "t.json",
            "--normalize",
            "train",
            "-o",
            "x.qw",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--normalize train is for UCR sets"), "{err}");
    let (code, _, err) = qrnn(
        d.path(),
        &[
            "train",
            "--data",
            "ucr:BasicMotions",
            "--normalize",
            "global",
            "-o",
            "x.qw",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("expected series"), "{err}");
}

/// The bundled trained models (`make trained-examples`): `qrnn-hw eval` on the data set their
/// header names reproduces the golden figure recorded in the header exactly.
#[test]
fn bundled_trained_models_eval_reproduces_header() {
    if qrnn_train::datasets::DataDir::locate().is_err()
        && !qrnn_testkit::data_missing("the packaged data is not installed")
    {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut seen = 0;
    for (file, metric) in [
        ("trained-gunpoint-gru-ternary.qw", "golden_accuracy"),
        ("trained-moving-digits-convlstm-binary.qw", "golden_mse"),
    ] {
        let path = root.join(file);
        let m = Model::load(&path).expect("the bundled model loads");
        let data = m
            .provenance
            .dataset
            .clone()
            .expect("the header names its data set");
        let recorded = m.provenance.metrics[metric];
        let (code, out, err) = qrnn(&root, &["eval", file, "--data", &data, "--json"]);
        assert_eq!(code, 0, "eval of {file} failed:\n{out}\n{err}");
        // parse the printed number with Rust's correctly rounded parser (serde_json's default
        // float parsing may differ in the last bit)
        let key = format!("\"{metric}\": ");
        let text = out
            .lines()
            .find_map(|l| l.trim().strip_prefix(key.as_str()))
            .unwrap_or_else(|| panic!("no {metric} in:\n{out}"));
        let printed: f64 = text.trim_end_matches(',').parse().unwrap();
        assert_eq!(
            printed, recorded,
            "{file}: eval --data {data} must reproduce the header's {metric}"
        );
        seen += 1;
    }
    assert_eq!(seen, 2);
}
