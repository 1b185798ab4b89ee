//! End-to-end tests of the `qrnn-hw` binary: every subcommand run as a process, on files in a
//! temporary directory, checked by exit code and by fragments of its output (never snapshots, so
//! that terminal width and colour do not matter).
//!
//! miette wraps diagnostics at the terminal width, or at 80 columns when stderr is not a terminal;
//! it does not read `COLUMNS`. Error messages are therefore compared after [`flat`] has joined
//! the wrapped lines back together.

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

mod common;
use common::flat;

/// What one run of the binary did.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    /// Assert success and return stdout.
    fn ok(self) -> Out {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Run the binary in `dir` with `args`, a fixed environment (no colour, wide, no backtraces).
fn qrnn(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_qrnn-hw"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .output()
        .expect("the qrnn-hw binary runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Assert that a run failed as an input error (exit 1) with a diagnostic naming every fragment,
/// and did not panic.
fn expect_error(out: &Out, fragments: &[&str]) {
    let msg = flat(&out.stderr);
    assert_eq!(out.code, 1, "expected exit code 1, stderr:\n{}", out.stderr);
    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"),
        "the binary panicked:\n{}",
        out.stderr
    );
    for f in fragments {
        assert!(
            msg.contains(f),
            "the error message lacks {f:?}:\n{}",
            out.stderr
        );
    }
}

fn tmp() -> TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn read(p: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

fn read_json(p: impl AsRef<Path>) -> Value {
    serde_json::from_slice(&read(p)).expect("valid JSON")
}

fn write(p: impl AsRef<Path>, bytes: impl AsRef<[u8]>) {
    std::fs::write(p, bytes).expect("write a test file");
}

/// The integers of a JSON array of integers.
fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_i64().unwrap_or_else(|| panic!("not an integer: {x}")))
        .collect()
}

fn argmax(v: &[i64]) -> usize {
    // first maximum, as `eval` does
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

// ------------------------------------------------------------------------------------------------
// example → inspect / run / convert, over cells and schemes

/// One example configuration and the shapes it implies.
struct Case {
    cell: &'static str,
    quant: &'static str,
    hidden: Vec<usize>,
    input: usize,
    head: Option<usize>,
    /// ConvLSTM frame (height, width).
    map: Option<(usize, usize)>,
    extra: &'static [&'static str],
}

impl Case {
    fn new(cell: &'static str, quant: &'static str, hidden: &[usize], input: usize) -> Case {
        Case {
            cell,
            quant,
            hidden: hidden.to_vec(),
            input,
            head: None,
            map: (cell == "convlstm").then_some((3, 4)),
            extra: &[],
        }
    }
    fn head(mut self, o: usize) -> Case {
        self.head = Some(o);
        self
    }
    fn extra(mut self, e: &'static [&'static str]) -> Case {
        self.extra = e;
        self
    }
    fn gates(&self) -> usize {
        if self.cell == "gru" {
            3
        } else {
            4
        }
    }
    fn pixels(&self) -> usize {
        self.map.map(|(h, w)| h * w).unwrap_or(1)
    }
    fn input_len(&self) -> usize {
        self.pixels() * self.input
    }
    fn output_len(&self) -> usize {
        self.pixels() * self.head.unwrap_or(*self.hidden.last().unwrap())
    }
    /// Columns of one row of the NPY trace (docs/CLI.md): per layer pre, gates, [hn], [c],
    /// [tanh_c], h; then the head.
    fn npy_columns(&self) -> usize {
        let px = self.pixels();
        let per_layer: usize = self
            .hidden
            .iter()
            .map(|&h| {
                let rows = self.gates() * h;
                let extra = if self.cell == "gru" { h } else { 2 * px * h };
                2 * px * rows + extra + px * h
            })
            .sum();
        per_layer + self.head.map(|o| px * o).unwrap_or(0)
    }
    fn example_args(&self, model: &str, seq: &str, steps: usize) -> Vec<String> {
        let mut a: Vec<String> = [
            "example",
            "--cell",
            self.cell,
            "--quant",
            self.quant,
            "--seed",
            "11",
            "-o",
            model,
            "--sequence-out",
            seq,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let hidden = self
            .hidden
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join(",");
        a.extend(["--hidden".into(), hidden]);
        a.extend(["--input".into(), self.input.to_string()]);
        a.extend(["--steps".into(), steps.to_string()]);
        if let Some(o) = self.head {
            a.extend(["--head".into(), o.to_string()]);
        }
        if let Some((h, w)) = self.map {
            a.extend(["--map".into(), format!("{h}x{w}")]);
        }
        a.extend(self.extra.iter().map(|s| s.to_string()));
        a
    }
}

fn check_case(case: &Case) {
    let d = tmp();
    let dir = d.path();
    let steps = 5;
    let args = case.example_args("m.qw", "seq.json", steps);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ex = qrnn(dir, &args).ok();
    assert!(ex.stderr.contains("wrote m.qw"), "{}", ex.stderr);
    assert!(
        ex.stderr.contains(&format!(
            "wrote seq.json ({steps} timesteps of {} values)",
            case.input_len()
        )),
        "{}",
        ex.stderr
    );
    let seq = read_json(dir.join("seq.json"));
    let seq = seq.as_array().expect("a sequence is an array of timesteps");
    assert_eq!(seq.len(), steps);
    assert!(seq
        .iter()
        .all(|r| r.as_array().map(Vec::len) == Some(case.input_len())));

    // inspect --json
    let js = qrnn(dir, &["inspect", "--json", "m.qw"]).ok().json();
    let hash = js["hash"].as_str().expect("hash").to_string();
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(
        ex.stderr.contains(&format!("hash {}", &hash[..16])),
        "example reports the model hash: {}",
        ex.stderr
    );
    assert!(js["name"]
        .as_str()
        .unwrap()
        .starts_with(&format!("example-{}-{}", case.cell, case.quant)));
    assert_eq!(js["input"]["size"], case.input);
    match case.map {
        Some((h, w)) => assert_eq!(js["input"]["map"], serde_json::json!([h, w])),
        None => assert!(js["input"]["map"].is_null()),
    }
    let layers = js["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), case.hidden.len());
    let k = if case.cell == "convlstm" { 3 } else { 1 };
    let mut fan_in = case.input;
    for (l, layer) in layers.iter().enumerate() {
        let h = case.hidden[l];
        let rows = case.gates() * h;
        assert_eq!(layer["cell"], case.cell);
        assert_eq!(layer["hidden"], h);
        assert_eq!(layer["input"], fan_in);
        assert_eq!(layer["kernel"], k);
        assert_eq!(layer["w"]["scheme"], case.quant);
        assert_eq!(layer["u"]["scheme"], case.quant);
        let (ws, us) = if k > 1 {
            (vec![rows, fan_in, k, k], vec![rows, h, k, k])
        } else {
            (vec![rows, fan_in], vec![rows, h])
        };
        assert_eq!(layer["w"]["shape"], serde_json::json!(ws));
        assert_eq!(layer["u"]["shape"], serde_json::json!(us));
        for key in ["acc_w", "acc_u", "pre_sum", "h_sum"] {
            let w = layer["widths"][key].as_u64().unwrap_or(0);
            assert!((2..=62).contains(&w), "layer {l} width {key} = {w}");
        }
        assert_eq!(layer["widths"]["c_sum"].is_null(), case.cell == "gru");
        assert_eq!(layer["widths"]["hn_sum"].is_null(), case.cell != "gru");
        assert_eq!(layer["formats"]["c"].is_null(), case.cell == "gru");
        fan_in = h;
    }
    match case.head {
        Some(o) => {
            assert_eq!(js["head"]["outputs"], o);
            assert_eq!(js["head"]["scheme"], case.quant);
            assert!(js["head"]["widths"]["acc"].as_u64().unwrap() >= 1);
        }
        None => assert!(js["head"].is_null()),
    }
    assert!(js["weight_bits"].as_u64().unwrap() > 0);
    assert_eq!(js["provenance"]["seed"], 11);

    // inspect (table)
    let text = qrnn(dir, &["inspect", "m.qw"]).ok().stdout;
    assert!(
        text.contains(&format!("hash    sha256:{hash}")),
        "inspect prints the hash:\n{text}"
    );
    let shape0 = format!(
        "{}→{}{}",
        case.input,
        case.hidden[0],
        if k > 1 { " k3" } else { "" }
    );
    assert!(text.contains(&shape0), "inspect lacks {shape0:?}:\n{text}");
    assert!(text.contains(&format!(
        "{} {}×{}",
        case.quant,
        case.gates() * case.hidden[0],
        case.input
    )));
    assert!(text.contains("widths (bits, interval analysis"), "{text}");
    assert!(text.contains("acc W·x  acc U·h"), "{text}");
    let acc_w0 = layers[0]["widths"]["acc_w"].as_u64().unwrap();
    let acc_u0 = layers[0]["widths"]["acc_u"].as_u64().unwrap();
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>().starts_with(&[
                "0",
                &acc_w0.to_string(),
                &acc_u0.to_string()
            ])),
        "the widths row of layer 0 shows {acc_w0} and {acc_u0}:\n{text}"
    );
    assert!(text.contains("memory  weights"), "{text}");
    assert_eq!(text.contains("\nhead    "), case.head.is_some(), "{text}");
    match case.map {
        Some((h, w)) => assert!(text.contains(&format!("{h}×{w} frames, {} channels", case.input))),
        None => assert!(text.contains(&format!("{} features per timestep", case.input))),
    }

    // run: one t= line per timestep
    let run = qrnn(dir, &["run", "m.qw", "-i", "seq.json"]).ok();
    let t_lines: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("t=")).collect();
    assert_eq!(t_lines.len(), steps, "{}", run.stdout);
    for (t, l) in t_lines.iter().enumerate() {
        assert!(l.starts_with(&format!("t={t} ")), "{l}");
        let ints = l.split('[').nth(1).unwrap().trim_end_matches(']');
        assert_eq!(ints.split_whitespace().count(), case.output_len(), "{l}");
    }
    assert_eq!(
        run.stdout.lines().filter(|l| l.contains("real [")).count(),
        steps
    );
    assert!(!run.stdout.contains("float ["));

    // run --float: the float reference beside the integers, and the deviation
    let fl = qrnn(dir, &["run", "m.qw", "-i", "seq.json", "--float"]).ok();
    assert_eq!(
        fl.stdout.lines().filter(|l| l.starts_with("t=")).count(),
        steps
    );
    assert_eq!(
        fl.stdout.lines().filter(|l| l.contains("float [")).count(),
        steps
    );
    assert!(
        fl.stdout.contains("max |golden - float| = "),
        "{}",
        fl.stdout
    );

    // run --json
    let rj = qrnn(dir, &["run", "m.qw", "-i", "seq.json", "--json"])
        .ok()
        .json();
    assert_eq!(rj["hash"], hash.as_str());
    let outputs = rj["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), steps);
    assert!(outputs
        .iter()
        .all(|o| o.as_array().unwrap().len() == case.output_len()));
    assert_eq!(rj["outputs_real"].as_array().unwrap().len(), steps);
    assert!(rj["float"].is_null());
    let rjf = qrnn(dir, &["run", "m.qw", "-i", "seq.json", "--json", "--float"])
        .ok()
        .json();
    assert_eq!(rjf["outputs"], rj["outputs"]);
    assert_eq!(rjf["float"].as_array().unwrap().len(), steps);
    // the text output shows the same integers
    for (t, o) in outputs.iter().enumerate() {
        let s = ints(o)
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            t_lines[t].ends_with(&format!("int [{s}]")),
            "{} vs {s}",
            t_lines[t]
        );
    }

    // --trace x.json
    let tr = qrnn(dir, &["run", "m.qw", "-i", "seq.json", "--trace", "x.json"]).ok();
    assert!(tr.stderr.contains("wrote trace x.json"), "{}", tr.stderr);
    let trace = read_json(dir.join("x.json"));
    let trace = trace.as_array().expect("a trace is an array of timesteps");
    assert_eq!(trace.len(), steps);
    let px = case.pixels();
    let mut flat_rows: Vec<Vec<i64>> = Vec::new();
    for (t, st) in trace.iter().enumerate() {
        assert_eq!(st["t"], t);
        assert_eq!(ints(&st["x"]).len(), case.input_len());
        let ls = st["layers"].as_array().unwrap();
        assert_eq!(ls.len(), case.hidden.len());
        let mut row = Vec::new();
        for (l, lt) in ls.iter().enumerate() {
            let h = case.hidden[l];
            let rows = case.gates() * h;
            assert_eq!(ints(&lt["pre"]).len(), px * rows);
            assert_eq!(ints(&lt["gates"]).len(), px * rows);
            assert_eq!(ints(&lt["h"]).len(), px * h);
            assert_eq!(lt.get("hn").is_some(), case.cell == "gru");
            assert_eq!(lt.get("c").is_some(), case.cell != "gru");
            assert_eq!(lt.get("tanh_c").is_some(), case.cell != "gru");
            row.extend(ints(&lt["pre"]));
            row.extend(ints(&lt["gates"]));
            for key in ["hn", "c", "tanh_c"] {
                if let Some(v) = lt.get(key) {
                    row.extend(ints(v));
                }
            }
            row.extend(ints(&lt["h"]));
        }
        match case.head {
            Some(_) => {
                assert_eq!(ints(&st["head"]), ints(&outputs[t]));
                row.extend(ints(&st["head"]));
            }
            None => {
                assert!(st.get("head").is_none());
                assert_eq!(ints(&ls.last().unwrap()["h"]), ints(&outputs[t]));
            }
        }
        flat_rows.push(row);
    }

    // --trace x.npy: magic, header, shape, and the same integers as the JSON trace, in order
    qrnn(
        dir,
        &["-q", "run", "m.qw", "-i", "seq.json", "--trace", "x.npy"],
    )
    .ok();
    let npy = read(dir.join("x.npy"));
    assert_eq!(&npy[..8], b"\x93NUMPY\x01\x00");
    let hlen = u16::from_le_bytes([npy[8], npy[9]]) as usize;
    assert_eq!((10 + hlen) % 64, 0, "NPY data is 64-byte aligned");
    let header = std::str::from_utf8(&npy[10..10 + hlen]).unwrap();
    let cols = case.npy_columns();
    assert!(header.contains("'descr': '<f8'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    assert!(
        header.contains(&format!("'shape': ({steps}, {cols})")),
        "expected shape ({steps}, {cols}): {header}"
    );
    assert!(header.ends_with('\n'));
    let data = &npy[10 + hlen..];
    assert_eq!(data.len(), steps * cols * 8);
    let values: Vec<f64> = data
        .chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    for (t, row) in flat_rows.iter().enumerate() {
        assert_eq!(row.len(), cols);
        let got: Vec<i64> = values[t * cols..(t + 1) * cols]
            .iter()
            .map(|v| *v as i64)
            .collect();
        assert_eq!(&got, row, "NPY trace row {t} matches the JSON trace");
    }

    // --raw: the quantized input of the trace, fed back as integers, gives the same outputs
    let csv: String = trace
        .iter()
        .map(|st| {
            ints(&st["x"])
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    write(dir.join("raw.csv"), csv);
    let raw = qrnn(dir, &["run", "m.qw", "-i", "raw.csv", "--raw", "--json"])
        .ok()
        .json();
    assert_eq!(raw["outputs"], rj["outputs"]);

    // convert: .qw → .qw.toml → .qw is byte-identical, with the same hash
    let c1 = qrnn(dir, &["convert", "m.qw", "m.qw.toml"]).ok();
    assert!(c1.stderr.contains(&hash), "{}", c1.stderr);
    let toml = String::from_utf8(read(dir.join("m.qw.toml"))).unwrap();
    assert!(toml.contains("qw_text = 1"), "{toml}");
    qrnn(dir, &["convert", "m.qw.toml", "back.qw"]).ok();
    assert!(
        read(dir.join("m.qw")) == read(dir.join("back.qw")),
        "round trip through the text twin changes the .qw bytes"
    );
    let jt = qrnn(dir, &["inspect", "--json", "m.qw.toml"]).ok().json();
    assert_eq!(jt["hash"], hash.as_str());
    let jb = qrnn(dir, &["inspect", "--json", "back.qw"]).ok().json();
    assert_eq!(jb, js);
    // the text twin runs like the binary
    let rt = qrnn(dir, &["run", "m.qw.toml", "-i", "seq.json", "--json"])
        .ok()
        .json();
    assert_eq!(rt["outputs"], rj["outputs"]);
}

#[test]
fn lstm_binary() {
    check_case(&Case::new("lstm", "binary", &[8], 3));
}

#[test]
fn lstm_ternary_head() {
    check_case(&Case::new("lstm", "ternary", &[16], 4).head(3));
}

#[test]
fn lstm_quaternary_stack_per_row_scale() {
    check_case(&Case::new("lstm", "quaternary", &[8, 4], 3).extra(&["--per-row-scale"]));
}

#[test]
fn lstm_int8_binary_act() {
    check_case(
        &Case::new("lstm", "int8", &[6], 5)
            .head(2)
            .extra(&["--binary-act"]),
    );
}

#[test]
fn gru_ternary() {
    check_case(&Case::new("gru", "ternary", &[8], 3));
}

#[test]
fn gru_quaternary_head() {
    check_case(&Case::new("gru", "quaternary", &[6], 4).head(2));
}

#[test]
fn gru_int8_stack() {
    check_case(&Case::new("gru", "int8", &[6, 5], 2).head(3));
}

#[test]
fn gru_binary() {
    check_case(&Case::new("gru", "binary", &[4], 2));
}

#[test]
fn convlstm_ternary() {
    check_case(&Case::new("convlstm", "ternary", &[3], 2));
}

#[test]
fn convlstm_binary_head() {
    check_case(&Case::new("convlstm", "binary", &[2], 1).head(2));
}

#[test]
fn convlstm_int8_stack() {
    check_case(&Case::new("convlstm", "int8", &[2, 3], 2));
}

#[test]
fn convlstm_quaternary_head() {
    check_case(&Case::new("convlstm", "quaternary", &[2], 3).head(1));
}

// ------------------------------------------------------------------------------------------------
// input formats

/// A `.npy` file (version 1.0, C order) of `rows` with the given dtype.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h.as_bytes());
    out.extend(data);
    out
}

#[test]
fn json_csv_npy_inputs_agree() {
    let d = tmp();
    let dir = d.path();
    qrnn(
        dir,
        &[
            "-q",
            "example",
            "--cell",
            "gru",
            "--hidden",
            "5",
            "--input",
            "3",
            "--steps",
            "4",
            "-o",
            "m.qw",
            "--sequence-out",
            "seq.json",
        ],
    )
    .ok();
    let seq: Vec<Vec<f64>> = serde_json::from_slice(&read(dir.join("seq.json"))).unwrap();
    let reference = qrnn(dir, &["run", "m.qw", "-i", "seq.json", "--json"])
        .ok()
        .json();

    // {"inputs": [...]} form
    write(
        dir.join("wrapped.json"),
        serde_json::to_vec(&serde_json::json!({ "inputs": seq })).unwrap(),
    );
    // CSV with a comment and a blank line (Rust prints f64 so that it reads back exactly)
    let mut csv = String::from("# x0,x1,x2\n\n");
    for r in &seq {
        csv += &r
            .iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        csv += "\n";
    }
    write(dir.join("seq.csv"), csv);
    // NPY float64 [T, N] and float32
    let f8: Vec<u8> = seq.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
    write(dir.join("seq.npy"), npy("<f8", "(4, 3)", &f8));
    for file in ["wrapped.json", "seq.csv", "seq.npy"] {
        let r = qrnn(dir, &["run", "m.qw", "-i", file, "--json"])
            .ok()
            .json();
        assert_eq!(r["outputs"], reference["outputs"], "{file}");
    }
    let f4: Vec<u8> = seq
        .iter()
        .flatten()
        .flat_map(|v| (*v as f32).to_le_bytes())
        .collect();
    write(dir.join("seq32.npy"), npy("<f4", "(4, 3)", &f4));
    let r = qrnn(dir, &["run", "m.qw", "-i", "seq32.npy", "--json"])
        .ok()
        .json();
    assert_eq!(r["outputs"].as_array().unwrap().len(), 4);

    // integer NPY with --raw equals integer CSV with --raw
    let ints: Vec<i32> = vec![1, -2, 3, 64, -64, 0, 127, -128, 5];
    write(
        dir.join("raw.npy"),
        npy(
            "<i4",
            "(3, 3)",
            &ints
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<_>>(),
        ),
    );
    write(dir.join("raw.csv"), "1,-2,3\n64,-64,0\n127,-128,5\n");
    let a = qrnn(dir, &["run", "m.qw", "-i", "raw.npy", "--raw", "--json"])
        .ok()
        .json();
    let b = qrnn(dir, &["run", "m.qw", "-i", "raw.csv", "--raw", "--json"])
        .ok()
        .json();
    assert_eq!(a["outputs"], b["outputs"]);
}

#[test]
fn npy_input_errors() {
    let d = tmp();
    let dir = d.path();
    qrnn(
        dir,
        &[
            "-q", "example", "--hidden", "4", "--input", "2", "-o", "m.qw",
        ],
    )
    .ok();
    // a shape whose element count overflows must not panic or allocate
    write(
        dir.join("huge.npy"),
        npy("<f8", "(1099511627776, 1099511627776)", &[]),
    );
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "huge.npy"]),
        &["huge.npy", "array shape (1099511627776, 1099511627776)"],
    );
    write(dir.join("big.npy"), npy("<f8", "(100000000000, 2)", &[]));
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "big.npy"]),
        &["big.npy", "array shape"],
    );
    write(dir.join("be.npy"), npy(">f8", "(1, 2)", &[0; 16]));
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "be.npy"]),
        &["be.npy", "dtype >f8"],
    );
    write(dir.join("three.npy"), npy("<f8", "(1, 1, 2)", &[0; 16]));
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "three.npy"]),
        &["three.npy", "array shape [1, 1, 2]"],
    );
    write(dir.join("wide.npy"), npy("<f8", "(1, 3)", &[0; 24]));
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "wide.npy"]),
        &[
            "wide.npy",
            "timestep 0 has 3 values, the model's input needs 2",
        ],
    );
    write(dir.join("junk.npy"), b"not numpy");
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "junk.npy"]),
        &["junk.npy", "not a valid .npy file"],
    );
}

// ------------------------------------------------------------------------------------------------
// eval

fn eval_model(dir: &Path) -> (Vec<Vec<Vec<f64>>>, Vec<Value>) {
    qrnn(
        dir,
        &[
            "-q", "example", "--cell", "lstm", "--quant", "ternary", "--hidden", "8", "--input",
            "3", "--head", "3", "--seed", "5", "-o", "m.qw",
        ],
    )
    .ok();
    // three sequences from three seeds of the same shape
    let mut seqs = Vec::new();
    let mut runs = Vec::new();
    for seed in ["1", "2", "3"] {
        let name = format!("s{seed}.json");
        qrnn(
            dir,
            &[
                "-q",
                "example",
                "--hidden",
                "8",
                "--input",
                "3",
                "--seed",
                seed,
                "--steps",
                "4",
                "-o",
                "other.qw",
                "--sequence-out",
                &name,
            ],
        )
        .ok();
        let s: Vec<Vec<f64>> = serde_json::from_slice(&read(dir.join(&name))).unwrap();
        runs.push(
            qrnn(dir, &["run", "m.qw", "-i", &name, "--json"])
                .ok()
                .json(),
        );
        seqs.push(s);
    }
    (seqs, runs)
}

#[test]
fn eval_classification() {
    let d = tmp();
    let dir = d.path();
    let (seqs, runs) = eval_model(dir);
    // labels: the golden model's own predictions, so its accuracy is exactly 1
    let labels: Vec<usize> = runs
        .iter()
        .map(|r| argmax(&ints(r["outputs"].as_array().unwrap().last().unwrap())))
        .collect();
    write(
        dir.join("cls.json"),
        serde_json::to_vec(&serde_json::json!({ "sequences": seqs, "labels": labels })).unwrap(),
    );
    let j = qrnn(dir, &["eval", "m.qw", "--data", "cls.json", "--json"])
        .ok()
        .json();
    assert_eq!(j["task"], "classification");
    assert_eq!(j["sequences"], 3);
    assert_eq!(j["golden_accuracy"], 1.0);
    let fa = j["float_accuracy"].as_f64().unwrap();
    let ag = j["agreement"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&fa) && (0.0..=1.0).contains(&ag));
    assert_eq!(
        fa, ag,
        "with golden labels, float accuracy is the agreement"
    );
    let max = j["max_abs_deviation"].as_f64().unwrap();
    let mean = j["mean_abs_deviation"].as_f64().unwrap();
    assert!(0.0 <= mean && mean <= max && max < 1.0, "{mean} {max}");
    assert_eq!(j["hash"].as_str().unwrap().len(), 64);
    assert!(j["model"].as_str().unwrap().starts_with("example-lstm"));

    let text = qrnn(dir, &["eval", "m.qw", "-d", "cls.json"]).ok().stdout;
    for key in [
        "task",
        "classification",
        "golden_accuracy",
        "float_accuracy",
        "agreement",
        "max_abs_deviation",
        "mean_abs_deviation",
    ] {
        assert!(text.contains(key), "eval output lacks {key}:\n{text}");
    }
    assert!(text.starts_with("model example-lstm"), "{text}");

    // -v prints one line per sequence
    let v = qrnn(dir, &["-v", "eval", "m.qw", "-d", "cls.json"]).ok();
    assert_eq!(v.stderr.matches("sequence ").count(), 3, "{}", v.stderr);

    // errors: label count, both labels and targets, a short timestep
    write(
        dir.join("bad1.json"),
        serde_json::to_vec(&serde_json::json!({ "sequences": seqs, "labels": [0] })).unwrap(),
    );
    expect_error(
        &qrnn(dir, &["eval", "m.qw", "-d", "bad1.json"]),
        &["bad1.json", "`labels` has 1 entries for 3 sequences"],
    );
    write(
        dir.join("bad2.json"),
        serde_json::to_vec(&serde_json::json!({ "sequences": seqs })).unwrap(),
    );
    expect_error(
        &qrnn(dir, &["eval", "m.qw", "-d", "bad2.json"]),
        &["bad2.json", "exactly one of `labels`"],
    );
    let mut short = seqs.clone();
    short[1][2].pop();
    write(
        dir.join("bad3.json"),
        serde_json::to_vec(&serde_json::json!({ "sequences": short, "labels": [0, 1, 2] }))
            .unwrap(),
    );
    expect_error(
        &qrnn(dir, &["eval", "m.qw", "-d", "bad3.json"]),
        &["bad3.json", "sequences[1]", "timestep 2 has 2 values"],
    );
    write(
        dir.join("bad4.json"),
        r#"{"sequences": [[[0, 0, 0]]], "labels": [0], "weights": [1]}"#,
    );
    expect_error(
        &qrnn(dir, &["eval", "m.qw", "-d", "bad4.json"]),
        &["bad4.json", "unknown field `weights`"],
    );
}

#[test]
fn eval_regression() {
    let d = tmp();
    let dir = d.path();
    let (seqs, runs) = eval_model(dir);
    // targets: the golden model's own real outputs, so its MSE is exactly 0
    let targets: Vec<Value> = runs.iter().map(|r| r["outputs_real"].clone()).collect();
    write(
        dir.join("reg.json"),
        serde_json::to_vec(&serde_json::json!({ "sequences": seqs, "targets": targets })).unwrap(),
    );
    let j = qrnn(dir, &["eval", "m.qw", "--data", "reg.json", "--json"])
        .ok()
        .json();
    assert_eq!(j["task"], "regression");
    assert_eq!(j["sequences"], 3);
    assert_eq!(j["golden_mse"], 0.0);
    assert!(j["float_mse"].as_f64().unwrap() >= 0.0);
    assert!(j.get("golden_accuracy").is_none());
    assert!(j["max_abs_deviation"].as_f64().is_some());
    let text = qrnn(dir, &["eval", "m.qw", "-d", "reg.json"]).ok().stdout;
    for key in ["regression", "golden_mse", "float_mse", "max_abs_deviation"] {
        assert!(text.contains(key), "eval output lacks {key}:\n{text}");
    }

    // targets of the wrong shape name the sequence
    let mut bad = targets.clone();
    bad[2] = serde_json::json!([[0.0, 0.0, 0.0]]);
    write(
        dir.join("bad.json"),
        serde_json::to_vec(&serde_json::json!({ "sequences": seqs, "targets": bad })).unwrap(),
    );
    expect_error(
        &qrnn(dir, &["eval", "m.qw", "-d", "bad.json"]),
        &["bad.json", "targets[2] must have 4 timesteps of 3 values"],
    );
}

#[test]
fn eval_single_sequence_reports_deviation_only() {
    let d = tmp();
    let dir = d.path();
    eval_model(dir);
    let j = qrnn(dir, &["eval", "m.qw", "-d", "s1.json", "--json"])
        .ok()
        .json();
    assert_eq!(j["task"], "deviation");
    assert_eq!(j["sequences"], 1);
    assert!(j["max_abs_deviation"].as_f64().is_some());
    assert!(j["mean_abs_deviation"].as_f64().is_some());
    for absent in [
        "golden_accuracy",
        "float_accuracy",
        "golden_mse",
        "float_mse",
    ] {
        assert!(j.get(absent).is_none(), "{absent} in {j}");
    }
    // the same from CSV
    let seq: Vec<Vec<f64>> = serde_json::from_slice(&read(dir.join("s1.json"))).unwrap();
    let csv: String = seq
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    write(dir.join("s1.csv"), csv);
    let c = qrnn(dir, &["eval", "m.qw", "-d", "s1.csv", "--json"])
        .ok()
        .json();
    assert_eq!(c["max_abs_deviation"], j["max_abs_deviation"]);
    let text = qrnn(dir, &["eval", "m.qw", "-d", "s1.json"]).ok().stdout;
    assert!(
        text.contains("deviation") && text.contains("max_abs_deviation"),
        "{text}"
    );
}

// ------------------------------------------------------------------------------------------------
// errors: exit code 1, a message naming the problem and where, never a panic

/// A small model in `dir/m.qw`, its text twin `m.qw.toml` and a sequence `seq.json`.
fn small_model(dir: &Path) -> Vec<u8> {
    qrnn(
        dir,
        &[
            "-q",
            "example",
            "--hidden",
            "4",
            "--input",
            "4",
            "--head",
            "2",
            "--steps",
            "3",
            "-o",
            "m.qw",
            "--sequence-out",
            "seq.json",
        ],
    )
    .ok();
    qrnn(dir, &["-q", "convert", "m.qw", "m.qw.toml"]).ok();
    read(dir.join("m.qw"))
}

fn qw_header_len(bytes: &[u8]) -> usize {
    u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize
}

#[test]
fn truncated_model() {
    let d = tmp();
    let dir = d.path();
    let good = small_model(dir);
    let len = good.len();
    let hend = 24 + qw_header_len(&good);
    let cuts: Vec<(usize, String)> = vec![
        (5, "the magic needs bytes 0..8".into()),
        (
            8,
            "the preamble (version and lengths) needs bytes 8..24".into(),
        ),
        (
            20,
            "the preamble (version and lengths) needs bytes 8..24".into(),
        ),
        (100, format!("the header needs bytes 24..{hend}")),
        (hend + 3, "the payload needs bytes".into()),
        (
            len - 1,
            format!("the checksum needs bytes {}..{len}", len - 32),
        ),
    ];
    for (cut, what) in cuts {
        let name = format!("cut{cut}.qw");
        write(dir.join(&name), &good[..cut]);
        for cmd in ["inspect", "convert"] {
            let mut args = vec![cmd, name.as_str()];
            if cmd == "convert" {
                args.push("out.qw");
            }
            expect_error(
                &qrnn(dir, &args),
                &[
                    &name,
                    "truncated file",
                    what.as_str(),
                    &format!("but the file has {cut} bytes"),
                ],
            );
        }
        expect_error(
            &qrnn(dir, &["run", &name, "-i", "seq.json"]),
            &["truncated file"],
        );
    }
    assert!(!dir.join("out.qw").exists(), "convert wrote nothing");
    // an empty file is not a model at all
    write(dir.join("empty.qw"), b"");
    expect_error(
        &qrnn(dir, &["inspect", "empty.qw"]),
        &["not a .qw model", "bytes 0..8 are empty"],
    );
}

#[test]
fn corrupted_model() {
    let d = tmp();
    let dir = d.path();
    let good = small_model(dir);
    let len = good.len();
    let sum = len - 32;
    // a flipped bit in the header, the payload and the stored checksum
    for at in [30, 24 + qw_header_len(&good) + 1, len - 5] {
        let mut b = good.clone();
        b[at] ^= 0x04;
        write(dir.join("flip.qw"), &b);
        expect_error(
            &qrnn(dir, &["inspect", "flip.qw"]),
            &[
                "flip.qw",
                "checksum mismatch",
                &format!("stored at byte {sum}"),
                &format!("bytes 0..{sum} hash to"),
            ],
        );
    }
    // wrong major version
    let mut b = good.clone();
    b[8] = 2;
    write(dir.join("v2.qw"), &b);
    expect_error(
        &qrnn(dir, &["inspect", "v2.qw"]),
        &[
            "v2.qw",
            "unsupported .qw format version 2.0 (bytes 8..12)",
            "major version 1",
        ],
    );
    // wrong magic
    let mut b = good.clone();
    b[1] = b'X';
    write(dir.join("magic.qw"), &b);
    expect_error(
        &qrnn(dir, &["inspect", "magic.qw"]),
        &[
            "magic.qw",
            "not a .qw model: bytes 0..8 are 89 58 52 4E",
            "expected the magic 89 51 52 4E 4E 51 57 0A",
        ],
    );
    // bytes after the checksum
    let mut b = good.clone();
    b.extend([0, 0]);
    write(dir.join("long.qw"), &b);
    expect_error(
        &qrnn(dir, &["inspect", "long.qw"]),
        &[
            "2 unexpected bytes after the checksum",
            &format!("from byte {len}"),
        ],
    );
    // not a model at all
    write(dir.join("text.qw"), b"hello world\n");
    expect_error(
        &qrnn(dir, &["inspect", "text.qw"]),
        &["not a .qw model", "bytes 0..8 are 68 65 6C 6C"],
    );
}

#[test]
fn bad_text_model() {
    let d = tmp();
    let dir = d.path();
    small_model(dir);
    let text = String::from_utf8(read(dir.join("m.qw.toml"))).unwrap();

    // an unknown field, with its line
    let line = text
        .lines()
        .position(|l| l.starts_with("hidden = "))
        .unwrap();
    let bad = text.replacen("hidden = 4\n", "hidden = 4\nbogus = 3\n", 1);
    write(dir.join("unknown.qw.toml"), bad);
    expect_error(
        &qrnn(dir, &["inspect", "unknown.qw.toml"]),
        &[
            "unknown.qw.toml",
            &format!("text model line {}, column 1", line + 2),
            "unknown field `bogus`",
        ],
    );
    // a value outside its range, by field
    let bad = text.replacen("act_frac = 7", "act_frac = 40", 1);
    write(dir.join("range.qw.toml"), bad);
    expect_error(
        &qrnn(dir, &["run", "range.qw.toml", "-i", "seq.json"]),
        &["field `layer[0].act_frac`", "found 40"],
    );
    // a tensor code outside its set, by tensor and element
    let at = text.find("name = \"layer0.w\"").unwrap();
    let at = at + text[at..].find("values = [").unwrap() + "values = [".len();
    let end = at + text[at..].find(',').unwrap();
    let bad = format!("{}5{}", &text[..at], &text[end..]);
    write(dir.join("code.qw.toml"), bad);
    expect_error(
        &qrnn(dir, &["inspect", "code.qw.toml"]),
        &[
            "code.qw.toml",
            "tensor `layer0.w` element 0",
            "value 5 is not valid for encoding ternary",
        ],
    );
    // a text model with another version
    let bad = text.replacen("qw_text = 1", "qw_text = 9", 1);
    write(dir.join("v9.qw.toml"), bad);
    expect_error(
        &qrnn(dir, &["inspect", "v9.qw.toml"]),
        &["v9.qw.toml", "version 9"],
    );
}

#[test]
fn missing_files() {
    let d = tmp();
    let dir = d.path();
    small_model(dir);
    expect_error(&qrnn(dir, &["inspect", "nope.qw"]), &["nope.qw", "read"]);
    expect_error(
        &qrnn(dir, &["run", "nope.qw", "-i", "seq.json"]),
        &["nope.qw", "read"],
    );
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "nope.json"]),
        &["nope.json", "cannot read"],
    );
    expect_error(
        &qrnn(dir, &["eval", "m.qw", "-d", "nope.json"]),
        &["nope.json", "cannot read"],
    );
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "seq.txt.gz"]),
        &["seq.txt.gz", "unknown input file type"],
    );
    expect_error(
        &qrnn(dir, &["convert", "m.qw", "no/such/dir/x.qw"]),
        &["no/such/dir/x.qw"],
    );
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "seq.json", "--trace", "t.txt"]),
        &["t.txt", "trace files are .json or .npy"],
    );
}

#[test]
fn bad_inputs() {
    let d = tmp();
    let dir = d.path();
    small_model(dir);
    let seq: Vec<Vec<f64>> = serde_json::from_slice(&read(dir.join("seq.json"))).unwrap();

    // wrong number of values at timestep 2
    let mut short = seq.clone();
    short[2].pop();
    write(dir.join("short.json"), serde_json::to_vec(&short).unwrap());
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "short.json"]),
        &[
            "short.json",
            "timestep 2 has 3 values, the model's input needs 4",
        ],
    );
    write(dir.join("long.csv"), "0,0,0,0\n0,0,0,0,0\n");
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "long.csv"]),
        &[
            "long.csv",
            "timestep 1 has 5 values, the model's input needs 4",
        ],
    );
    // malformed CSV: line and field
    write(
        dir.join("bad.csv"),
        "# header\n0.1,0.2,0.3,0.4\n0.1,abc,0.3,0.4\n",
    );
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "bad.csv"]),
        &["bad.csv", "line 3, field 2", "\"abc\" is not a number"],
    );
    write(dir.join("empty.csv"), "0.1,,0.3,0.4\n");
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "empty.csv"]),
        &["empty.csv", "line 1, field 2"],
    );
    // malformed JSON: line and column
    write(dir.join("bad.json"), "[[0, 0, 0, 0],\n [0, \"x\", 0, 0]]");
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "bad.json"]),
        &[
            "bad.json",
            "line 2, column",
            "expected an array of timesteps",
        ],
    );
    // no timesteps
    write(dir.join("none.json"), "[]");
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "none.json"]),
        &["none.json", "the sequence has no timesteps"],
    );
    // --raw: non-integers are named by timestep and value; integers outside the format too
    write(dir.join("raw.csv"), "1,2,3,4\n1,2.5,3,4\n");
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "raw.csv", "--raw"]),
        &[
            "raw.csv",
            "--raw input timestep 1, value 1 is 2.5, not an integer",
        ],
    );
    write(dir.join("wide.csv"), "1,2,3,4\n1,2,3,-129\n");
    expect_error(
        &qrnn(dir, &["run", "m.qw", "-i", "wide.csv", "--raw"]),
        &["input timestep 1, element 3: -129 is not a value of the input format fixed<8,6>"],
    );
    write(dir.join("ok.csv"), "1,2,3,4\n-128,127,0,64\n");
    let ok = qrnn(dir, &["run", "m.qw", "-i", "ok.csv", "--raw"]).ok();
    assert_eq!(ok.stdout.lines().filter(|l| l.starts_with("t=")).count(), 2);
}

#[test]
fn bad_example_options() {
    let d = tmp();
    let dir = d.path();
    // options that parse but make no valid model: exit 1, naming the field
    expect_error(
        &qrnn(dir, &["example", "--cell", "convlstm", "--kernel", "2"]),
        &["these options do not make a valid model", "layer[0].kernel"],
    );
    expect_error(
        &qrnn(dir, &["example", "--hidden", "0"]),
        &["layer[0].hidden", "found 0"],
    );
    // sizes that would not fit are refused before anything is allocated
    expect_error(
        &qrnn(dir, &["example", "--hidden", "1000000"]),
        &["--hidden 1000000 is larger than 65536"],
    );
    expect_error(
        &qrnn(dir, &["example", "--hidden", "8192", "--input", "8192"]),
        &["tensor layer0.w would have 268435456 weights"],
    );
    expect_error(
        &qrnn(dir, &["example", "--pre-format", "fixed<32,4>"]),
        &["--pre-format fixed<32,4>", "2..=12"],
    );
    expect_error(
        &qrnn(
            dir,
            &[
                "example",
                "--steps",
                "100000000000",
                "--sequence-out",
                "s.json",
            ],
        ),
        &["--steps 100000000000"],
    );
    assert!(!dir.join("example.qw").exists());
}

#[test]
fn usage_errors_exit_2() {
    let d = tmp();
    let dir = d.path();
    small_model(dir);
    for args in [
        &["run", "m.qw", "--bogus"][..],
        &["run", "m.qw"],
        &["inspect"],
        &["frobnicate"],
        &[],
        &["example", "--cell", "rnn"],
        &["example", "--quant", "int9"],
        &["example", "--map", "8by8"],
        &["example", "--x-format", "fixed<64,6>"],
        &["example", "--hidden", "a,b"],
        &["eval", "m.qw"],
        &["convert", "m.qw"],
    ] {
        let out = qrnn(dir, args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(
            out.stderr.contains("Usage:") || out.stderr.contains("error:"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // --help and --version succeed
    for args in [
        &["--help"][..],
        &["--version"],
        &["run", "--help"],
        &["help", "eval"],
    ] {
        let out = qrnn(dir, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(out.stdout.contains("qrnn-hw"), "{}", out.stdout);
    }
}

// ------------------------------------------------------------------------------------------------
// determinism and the README demo

#[test]
fn example_is_deterministic() {
    let d = tmp();
    let dir = d.path();
    let mk = |seed: &str, out: &str, seq: &str| {
        qrnn(
            dir,
            &[
                "-q",
                "example",
                "--cell",
                "gru",
                "--quant",
                "quaternary",
                "--hidden",
                "12,6",
                "--input",
                "5",
                "--head",
                "2",
                "--per-row-scale",
                "--seed",
                seed,
                "-o",
                out,
                "--sequence-out",
                seq,
            ],
        )
        .ok();
        (read(dir.join(out)), read(dir.join(seq)))
    };
    let a = mk("42", "a.qw", "a.json");
    let b = mk("42", "b.qw", "b.json");
    let c = mk("43", "c.qw", "c.json");
    assert!(a.0 == b.0, "same seed, different .qw bytes");
    assert!(a.1 == b.1, "same seed, different sequence");
    assert!(a.0 != c.0, "a different seed gives a different model");
    assert!(a.1 != c.1, "a different seed gives a different sequence");
    // and the text twin too
    for (out, seed) in [("a.qw.toml", "42"), ("b.qw.toml", "42")] {
        qrnn(dir, &["-q", "example", "--seed", seed, "-o", out]).ok();
    }
    assert!(read(dir.join("a.qw.toml")) == read(dir.join("b.qw.toml")));
    // the same model twice runs identically, trace included
    for t in ["t1.npy", "t2.npy"] {
        qrnn(dir, &["-q", "run", "a.qw", "-i", "a.json", "--trace", t]).ok();
    }
    assert!(read(dir.join("t1.npy")) == read(dir.join("t2.npy")));
}

#[test]
fn readme_demo() {
    let d = tmp();
    let dir = d.path();
    let ex = qrnn(
        dir,
        &[
            "example",
            "--cell",
            "lstm",
            "--quant",
            "ternary",
            "--hidden",
            "16",
            "--input",
            "4",
            "--head",
            "3",
            "--seed",
            "7",
            "-o",
            "m.qw",
            "--sequence-out",
            "seq.json",
        ],
    )
    .ok();
    assert!(
        ex.stderr
            .contains("wrote m.qw (example-lstm-ternary-h16-s7"),
        "{}",
        ex.stderr
    );
    assert!(
        ex.stderr
            .contains("wrote seq.json (8 timesteps of 4 values)"),
        "{}",
        ex.stderr
    );
    let run = qrnn(dir, &["run", "m.qw", "-i", "seq.json"]).ok();
    assert!(
        run.stderr
            .contains("example-lstm-ternary-h16-s7: 8 timesteps, 3 outputs each"),
        "{}",
        run.stderr
    );
    let t: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("t=")).collect();
    assert_eq!(t.len(), 8, "{}", run.stdout);
    assert!(t.iter().all(|l| l.contains("int [")));
    // -q leaves only the outputs
    let quiet = qrnn(dir, &["-q", "run", "m.qw", "-i", "seq.json"]).ok();
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    assert_eq!(quiet.stdout, run.stdout);
    // inspect of the demo model
    let text = qrnn(dir, &["inspect", "m.qw"]).ok().stdout;
    assert!(
        text.contains("model   example-lstm-ternary-h16-s7"),
        "{text}"
    );
    assert!(text.contains("4→16"), "{text}");
    assert!(text.contains("head    3 outputs"), "{text}");
}

/// `gen --board B --clock-mhz F`: the PLL's frequency at or below F goes into qrnn.json, the board
/// top's CLK_HZ, the Makefile's nextpnr target and the README, and gen says it; a frequency the
/// PLL cannot make, or above the family's ceiling, or without a board, is refused naming
/// `--clock-mhz`, before anything is written.
#[test]
fn gen_clock_mhz_sets_the_pll_or_is_refused() {
    let d = tmp();
    let dir = d.path();
    small_model(dir);
    let out = qrnn(
        dir,
        &[
            "gen",
            "m.qw",
            "--board",
            "alchitry-cu",
            "--clock-mhz",
            "30",
            "--sim-steps",
            "1",
            "-o",
            "cu",
        ],
    )
    .ok();
    // 100 MHz / 5 · 48 / 32 = 30 MHz exactly (VCO 960 MHz)
    assert!(
        out.stderr
            .contains("core clock 30 MHz (requested 30 MHz): SB_PLL40_PAD 100 MHz → 30 MHz"),
        "{}",
        out.stderr
    );
    let m = read_json(dir.join("cu/qrnn.json"));
    let c = &m["board_clock"];
    assert_eq!(c["board_hz"], 100_000_000);
    assert_eq!(c["requested_mhz"], 30.0);
    assert_eq!(c["achieved_mhz"], 30.0);
    assert_eq!(c["clk_hz"], 30_000_000);
    assert_eq!(c["pll"], "SB_PLL40_PAD");
    let top = String::from_utf8(read(dir.join("cu/board/qrnn_top.v"))).unwrap();
    assert!(top.contains(".CLK_HZ(30000000)"), "{top}");
    let mk = String::from_utf8(read(dir.join("cu/Makefile"))).unwrap();
    assert!(mk.contains("CORE_MHZ  := 30\n"), "{mk}");
    let readme = String::from_utf8(read(dir.join("cu/README.md"))).unwrap();
    assert!(
        readme.contains("| core clock | 30 MHz (requested 30 MHz) |"),
        "{readme}"
    );
    // the default: the family's, 36 MHz on iCE40 (35.9375 from the Cu's 100 MHz: 100 / 4 · 23 / 16)
    qrnn(
        dir,
        &[
            "-q",
            "gen",
            "m.qw",
            "--board",
            "alchitry-cu",
            "--sim-steps",
            "1",
            "-o",
            "cu24",
        ],
    )
    .ok();
    let m = read_json(dir.join("cu24/qrnn.json"));
    assert_eq!(m["board_clock"]["requested_mhz"], 36.0);
    assert_eq!(m["board_clock"]["clk_hz"], 35_937_500);
    // refusals
    for (args, says) in [
        (
            vec!["--board", "icebreaker", "--clock-mhz", "10"],
            vec![
                "qrnn::fpga::clock",
                "--clock-mhz 10",
                "lowest output is 16.125 MHz",
            ],
        ),
        (
            vec!["--board", "ulx3s", "--clock-mhz", "900"],
            vec!["--clock-mhz 900", "above the 400 MHz"],
        ),
        (
            vec!["--board", "tangnano9k", "--clock-mhz=-5"],
            vec!["--clock-mhz -5", "positive frequency"],
        ),
        (
            vec!["--target", "ice40", "--clock-mhz", "24"],
            vec!["qrnn::gen::clock", "no --board is given"],
        ),
    ] {
        let mut a = vec!["gen", "m.qw", "--sim-steps", "1", "-o", "refused"];
        a.extend(args.iter().copied());
        expect_error(&qrnn(dir, &a), &says);
        assert!(!dir.join("refused").exists());
    }
}
