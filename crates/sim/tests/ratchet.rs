//! The resource ratchet (issue #14): `bench/ratchet.json` keeps the iCE40 cell counts of a few
//! reference designs after `synth_ice40 -dsp` (yosys 0.23: deterministic for the same Verilog);
//! this test synthesises each one again and fails when a count grows by more than 5 %. A count
//! that shrinks by more than 5 % is reported so that the file can be lowered (run with
//! `QRNN_UPDATE_RATCHET=1` to rewrite it from the measurement, then review the diff).
//!
//! The designs: the bundled demo (LSTM 4→16, 3-output head) at the default fold, and a ternary
//! LSTM 16→64 with a 4-output head at 4x4 (the fold `--fit --device up5k` chooses for it).

mod common;
use common::{have, project_files, write_files};

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_project::Request;
use qrnn_rtl::{Family, FoldSpec};
use qrnn_sim::{Stimulus, Tool};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The counts kept: LUT4s, flip-flops (every SB_DFF* kind), carry cells, block RAMs, DSPs.
const KEPT: [&str; 5] = ["lut4", "ff", "carry", "bram", "dsp"];

fn ratchet_path() -> PathBuf {
    qrnn_testkit::repo_root().join("bench/ratchet.json")
}

fn designs() -> Vec<(&'static str, Model, &'static str)> {
    let demo = Model::load(&qrnn_testkit::repo_root().join("examples/demo-lstm-ternary.qw"))
        .expect("the bundled demo reads");
    let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 16, 64, 3);
    spec.head = Some(4);
    vec![
        ("demo-lstm-ternary 1x8", demo, "all=1x8"),
        ("lstm-ternary-16-64 4x4", example(&spec), "all=4x4"),
    ]
}

/// Synthesise one design for the UP5K and count its cells.
fn measure(m: &Model, fold: &str, dir: &Path) -> BTreeMap<String, u64> {
    let req = Request {
        folds: FoldSpec::parse(&[fold]).expect("a fold"),
        target: Family::Ice40,
        device: qrnn_fpga::device("up5k"),
        ..Request::default()
    };
    let stim = Stimulus::random(m, &[1], 1);
    let (_, files) = project_files(m, &req, &stim).expect("generates");
    write_files(dir, &files).expect("writes");
    let rtl = qrnn_sim::run::rtl_files(dir).expect("rtl/");
    let script = format!(
        "read_verilog {}\nsynth_ice40 -dsp -top qrnn_core\ntee -q -o stat.json stat -json\n",
        rtl.join(" ")
    );
    std::fs::write(dir.join("ratchet.ys"), script).expect("writes");
    let out = Command::new(Tool::yosys().cmd)
        .current_dir(dir)
        .args(["-q", "-s", "ratchet.ys"])
        .output()
        .expect("yosys runs");
    assert!(
        out.status.success(),
        "yosys failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stat.json")).expect("stat"))
            .expect("JSON");
    let cells = v["design"]["num_cells_by_type"]
        .as_object()
        .expect("cells by type");
    let sum = |f: &dyn Fn(&str) -> bool| -> u64 {
        cells
            .iter()
            .filter(|(k, _)| f(k))
            .map(|(_, n)| n.as_u64().expect("a count"))
            .sum()
    };
    BTreeMap::from([
        ("lut4".to_string(), sum(&|k| k == "SB_LUT4")),
        ("ff".to_string(), sum(&|k| k.starts_with("SB_DFF"))),
        ("carry".to_string(), sum(&|k| k == "SB_CARRY")),
        ("bram".to_string(), sum(&|k| k == "SB_RAM40_4K")),
        ("dsp".to_string(), sum(&|k| k == "SB_MAC16")),
    ])
}

#[test]
fn resources_do_not_regress_beyond_5_percent() {
    if !have(&[Tool::yosys()]) {
        return;
    }
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(ratchet_path()).expect("bench/ratchet.json"))
            .expect("bench/ratchet.json is JSON");
    let update = std::env::var("QRNN_UPDATE_RATCHET").is_ok_and(|v| v == "1");
    let mut fresh = serde_json::Map::new();
    let mut failures = Vec::new();
    for (name, m, fold) in designs() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let got = measure(&m, fold, tmp.path());
        for k in KEPT {
            let now = got[k];
            let was = kept["designs"][name][k].as_u64();
            match was {
                None => failures.push(format!("{name}: no `{k}` in bench/ratchet.json")),
                Some(was) if now as f64 > was as f64 * 1.05 => failures.push(format!(
                    "{name}: {k} {now}, more than 5 % over the {was} kept in bench/ratchet.json"
                )),
                Some(was) if (now as f64) < was as f64 * 0.95 => eprintln!(
                    "{name}: {k} {now}, more than 5 % under the {was} kept: lower bench/ratchet.json \
                     (QRNN_UPDATE_RATCHET=1)"
                ),
                _ => {}
            }
        }
        fresh.insert(name.to_string(), json!(got));
    }
    if update {
        let v = json!({
            "about": "iCE40 cells after synth_ice40 -dsp (yosys 0.23) of crates/sim/tests/ratchet.rs's designs; the test fails on growth beyond 5 %",
            "designs": fresh,
        });
        std::fs::write(
            ratchet_path(),
            serde_json::to_string_pretty(&v).expect("JSON") + "\n",
        )
        .expect("writes bench/ratchet.json");
        return;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
