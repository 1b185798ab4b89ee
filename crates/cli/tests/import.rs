//! `qrnn-hw import` on the checked-in PyTorch-layout state dicts of tests/import/ (made by
//! tests/import/make.py, which records beside each file the outputs of PyTorch's equations on a
//! fixed input sequence):
//!
//! - for every recorded set of import options, the float reference of the imported `.qw`
//!   (qrnn_golden::float, NUMERICS.md §10, which runs the **stored** weights α·code and biases)
//!   equals the script's `quantized_float` outputs — the same equations over the weights its own
//!   Python copy of the quantizer formulas produced — within 1e-6;
//! - the network as read (real-valued, before quantization), run through qrnn_golden::float's
//!   PyTorch cells, equals the script's `pytorch_float` outputs within 1e-6 (names, shapes, gate
//!   order, bias split and Larq bit order are read right);
//! - the golden model runs the import on the same input, close to the float reference;
//! - the `.qw` round-trips (binary and text twin), and its provenance records the source file,
//!   its SHA-256 (as the script computed it) and the options;
//! - bad files and options fail with exit code 1 and a message naming the file and tensor.

use qrnn_golden::float;
use qrnn_model::{Model, Scheme};
use qrnn_train::import::{parse_net, read_state_dict, NetOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::flat;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_qrnn-hw"))
}

fn run_import(file: &Path, args: &[&str], out: &Path) -> Output {
    bin()
        .arg("import")
        .arg(file)
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .expect("run qrnn-hw")
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        })
        .collect()
}

fn max_diff(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len(), "timesteps");
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.len(), y.len(), "values per timestep");
            x.iter().zip(y).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f64::max)
}

const FILES: [&str; 3] = [
    "lstm_h4.safetensors",
    "gru_h3_2layers.npz",
    "lstm_larq_h5.safetensors",
];

fn expected(file: &str) -> Value {
    let stem = file.split('.').next().expect("stem");
    let p = root().join(format!("tests/import/{stem}.expected.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("read expected")).expect("json")
}

/// PyTorch's equations over the network as read (before quantization), with the float
/// reference's cell functions.
fn float_forward(net: &qrnn_train::import::Net, seq: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let f = |v: &[f32]| v.iter().map(|x| *x as f64).collect::<Vec<f64>>();
    let mut hs: Vec<Vec<f64>> = net.layers.iter().map(|l| vec![0.0; l.hidden]).collect();
    let mut cs = hs.clone();
    let mut outs = Vec::new();
    for x in seq {
        let mut inp = x.clone();
        for (k, l) in net.layers.iter().enumerate() {
            let (w, u) = (f(&l.w_ih.to_f32()), f(&l.w_hh.to_f32()));
            let (bi, bh) = (f(&l.b_ih), f(&l.b_hh));
            match net.cell {
                qrnn_model::Cell::Lstm => {
                    let b: Vec<f64> = bi.iter().zip(&bh).map(|(a, b)| a + b).collect();
                    let (h, c) = float::lstm_cell(&w, &u, &b, &inp, &hs[k], &cs[k]);
                    hs[k] = h;
                    cs[k] = c;
                }
                _ => hs[k] = float::gru_cell(&w, &u, &bi, &bh, &inp, &hs[k]),
            }
            inp = hs[k].clone();
        }
        if let Some(h) = &net.head {
            let d = f(&h.weight.to_f32());
            inp = float::matvec(&d, &inp)
                .iter()
                .zip(&h.bias)
                .map(|(y, b)| y + *b as f64)
                .collect();
        }
        outs.push(inp);
    }
    outs
}

#[test]
fn network_as_read_matches_pytorch_equations() {
    for file in FILES {
        let exp = expected(file);
        let path = root().join("tests/import").join(file);
        let sd = read_state_dict(&path).expect("read");
        assert_eq!(sd.sha256, exp["sha256"].as_str().expect("sha256"), "{file}");
        let opts = NetOptions {
            larq_bits: file.contains("larq"),
            ..NetOptions::default()
        };
        let net = parse_net(&sd, &opts).expect("parse");
        assert_eq!(net.cell.to_string(), exp["cell"].as_str().expect("cell"));
        assert!(net.ignored.is_empty(), "{file}: {:?}", net.ignored);
        let seq = matrix(&exp["input"]);
        let got = float_forward(&net, &seq);
        let d = max_diff(&got, &matrix(&exp["pytorch_float"]));
        assert!(
            d <= 1e-6,
            "{file}: float forward differs from PyTorch's by {d}"
        );
    }
}

#[test]
fn imported_float_reference_equals_recorded_quantized_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut n_cases = 0;
    for file in FILES {
        let exp = expected(file);
        let path = root().join("tests/import").join(file);
        let seq = matrix(&exp["input"]);
        let pytorch = matrix(&exp["pytorch_float"]);
        for (ci, case) in exp["cases"].as_array().expect("cases").iter().enumerate() {
            let args: Vec<&str> = case["args"]
                .as_array()
                .expect("args")
                .iter()
                .map(|a| a.as_str().expect("arg"))
                .collect();
            let out = dir.path().join(format!("{ci}-{file}.qw"));
            let o = run_import(&path, &args, &out);
            assert!(
                o.status.success(),
                "{file} {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let model = Model::load(&out).expect("load the import");

            // the float reference of the stored weights = the script's quantized-float outputs
            let got = float::run(&model, &seq);
            let want = matrix(&case["quantized_float"]);
            let d = max_diff(&got, &want);
            assert!(
                d <= 1e-6,
                "{file} {args:?}: float reference differs from the recorded quantized-float outputs by {d}"
            );

            // the golden model runs it, and stays near the float reference
            let run = qrnn_golden::run(&model, &qrnn_golden::quantize_input(&model, &seq))
                .expect("golden run");
            let golden: Vec<Vec<f64>> = run
                .outputs
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|q| qrnn_golden::output_to_f64(&model, *q))
                        .collect()
                })
                .collect();
            let dev = max_diff(&golden, &got);
            assert!(
                dev < 0.15,
                "{file} {args:?}: golden deviates from the float reference by {dev}"
            );
            // quantization changes the outputs, but not beyond recognition
            let qdev = max_diff(&got, &pytorch);
            assert!(qdev < 1.0, "{file} {args:?}: {qdev}");

            // round trips: binary and the text twin
            let bytes = std::fs::read(&out).expect("read");
            assert_eq!(qrnn_model::qw::from_bytes(&bytes).expect("binary"), model);
            let text = qrnn_model::qw::to_text(&model);
            assert_eq!(
                qrnn_model::qw::from_bytes(text.as_bytes()).expect("text"),
                model
            );
            assert_eq!(qrnn_model::qw::to_bytes(&model), bytes);

            // provenance: source, sha256, options
            let p = &model.provenance;
            assert!(p.tool.ends_with(" import"), "{}", p.tool);
            let notes: Value =
                serde_json::from_str(p.notes.as_deref().expect("notes")).expect("notes json");
            assert_eq!(notes["import"]["source"], file);
            assert_eq!(notes["import"]["sha256"], exp["sha256"]);
            let scheme = args
                .iter()
                .position(|a| *a == "--quant")
                .map(|i| args[i + 1])
                .unwrap_or("binary");
            assert_eq!(notes["quant"]["scheme"], scheme);
            assert_eq!(notes["quant"]["per_row"], args.contains(&"--per-row"));
            assert_eq!(notes["quant"]["pow2"], args.contains(&"--pow2"));
            assert_eq!(notes["import"]["larq_bits"], args.contains(&"--larq-bits"));
            let s: Scheme = scheme.parse().expect("scheme");
            assert!(model
                .layers
                .iter()
                .all(|l| l.w.scheme == s && l.u.scheme == s));
            if args.contains(&"--pow2") && !args.contains(&"--per-row") {
                assert!(model.layers.iter().all(|l| l.w.scale.is_pow2()));
            }
            n_cases += 1;
        }
    }
    assert!(n_cases >= 10, "only {n_cases} recorded cases");
}

#[test]
fn import_is_deterministic_and_json_reports_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = root().join("tests/import/gru_h3_2layers.npz");
    let (a, b) = (dir.path().join("a.qw"), dir.path().join("b.qw"));
    let o = bin()
        .args(["-q", "import"])
        .arg(&file)
        .args(["--quant", "quaternary", "--json", "-o"])
        .arg(&a)
        .output()
        .expect("run");
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "-q prints nothing on stderr");
    let j: Value = serde_json::from_slice(&o.stdout).expect("--json output");
    assert_eq!(j["cell"], "gru");
    assert_eq!(j["hidden"], serde_json::json!([3, 3]));
    assert_eq!(j["import"]["format"], "npz");
    assert_eq!(j["rel_errors"].as_array().expect("errors").len(), 4);
    assert!(run_import(&file, &["--quant", "quaternary"], &b)
        .status
        .success());
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // the text twin by extension
    let t = dir.path().join("m.qw.toml");
    assert!(run_import(&file, &[], &t).status.success());
    let text = std::fs::read_to_string(&t).unwrap();
    assert!(text.contains("qw_text"), "{}", &text[..200.min(text.len())]);
}

fn fails(file: &Path, args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.qw");
    let o = run_import(file, args, &out);
    assert_eq!(o.status.code(), Some(1), "{args:?} should fail with 1");
    assert!(!out.exists(), "no output on failure");
    flat(&String::from_utf8_lossy(&o.stderr))
}

#[test]
fn bad_files_and_options_fail_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larq = root().join("tests/import/lstm_larq_h5.safetensors");
    // packed weights without the flag: the missing tensor and the hint
    let e = fails(&larq, &[]);
    assert!(e.contains("lstm_larq_h5.safetensors"), "{e}");
    assert!(
        e.contains("`weight_hh_l0` is missing") && e.contains("--larq-bits"),
        "{e}"
    );
    // packed weights with a non-binary scheme
    let o = run_import(
        &larq,
        &["--larq-bits", "--quant", "ternary"],
        &dir.path().join("x.qw"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(flat(&String::from_utf8_lossy(&o.stderr)).contains("--quant binary"));
    // not a state dict
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"this is not a safetensors file").unwrap();
    let e = fails(&junk, &[]);
    assert!(
        e.contains("junk.safetensors") && e.contains("not a valid safetensors"),
        "{e}"
    );
    let bad_zip = dir.path().join("bad.npz");
    std::fs::write(&bad_zip, b"PK\x03\x04 truncated").unwrap();
    let e = fails(&bad_zip, &[]);
    assert!(
        e.contains("bad.npz") && e.contains("not a valid npz"),
        "{e}"
    );
    // a missing file
    let e = fails(&dir.path().join("none.npz"), &[]);
    assert!(e.contains("none.npz"), "{e}");
    // a head prefix that is not there
    let e = fails(
        &root().join("tests/import/lstm_h4.safetensors"),
        &["--head-prefix", "out"],
    );
    assert!(e.contains("`out.weight` is missing"), "{e}");
    // a cell that is not in the file
    let e = fails(
        &root().join("tests/import/lstm_h4.safetensors"),
        &["--cell", "gru"],
    );
    assert!(e.contains("--cell gru") && e.contains("LSTM"), "{e}");
    // usage errors are exit code 2
    let o = run_import(
        &root().join("tests/import/lstm_h4.safetensors"),
        &["--quant", "int8"],
        &dir.path().join("x.qw"),
    );
    assert_eq!(o.status.code(), Some(2));
    let o = run_import(
        &root().join("tests/import/lstm_h4.safetensors"),
        &["--threshold", "-1"],
        &dir.path().join("x.qw"),
    );
    assert_eq!(o.status.code(), Some(2));
    // formats that make no model: a clear error, not an allocation of 2^32 table entries
    let e = fails(
        &root().join("tests/import/lstm_h4.safetensors"),
        &["--pre-format", "fixed<32,4>"],
    );
    assert!(
        e.contains("qrnn::import::model") && e.contains("2..=12"),
        "{e}"
    );
    let e = fails(
        &root().join("tests/import/lstm_h4.safetensors"),
        &["--act-frac", "20"],
    );
    assert!(e.contains("act_frac"), "{e}");
    // stochastic rounding is for binary only
    let e = fails(
        &root().join("tests/import/lstm_h4.safetensors"),
        &["--stochastic", "3"],
    );
    assert!(e.contains("binary"), "{e}");
}
