//! The memories of docs/HARDWARE.md §4.1, checked by synthesis (yosys 0.23), one small
//! representative case of each claim (the bench measures the rest):
//!
//! - a ternary LSTM 16→64 with a 4-output head at a wide fold (S = 16 on iCE40; the 4×32 that
//!   `--fit` chose for ECP5 before the buffers were RAMs, and that made yosys run out of memory
//!   then) synthesises with yosys limited to 4 GiB of address space (`ulimit -v`, stricter than
//!   resident memory), for iCE40 and for ECP5;
//! - every memory yosys infers from the generated Verilog (`memory -nomap`: the `$mem_v2` cells)
//!   has at most two read ports;
//! - flip-flops no longer grow with the hidden size: on iCE40 at the same fold (1x8, where both
//!   keep their state in block RAM), FF(16→128) ≤ 1.05 × FF(16→64), counting every SB_DFF* cell
//!   after `synth_ice40 -dsp`.
//!
//! Positive control for the read-port count: a module that reads one array at three indices
//! gives a `$mem_v2` with three read ports, so the check can fail.

mod common;
use common::{have, project_files, write_files};

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_project::Request;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::{Family, FoldSpec};
use qrnn_sim::{Stimulus, Tool};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// yosys may use at most this much address space (KiB for `ulimit -v`): 4 GiB.
const YOSYS_LIMIT_KIB: u64 = 4 * 1024 * 1024;

fn lstm(hidden: usize) -> Model {
    let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 16, hidden, 3);
    spec.head = Some(4);
    let m = example(&spec);
    m.validate().expect("test models are valid");
    m
}

/// Write the project of `m` at `fold` for `target` into a temporary directory.
fn project(m: &Model, fold: &str, target: Family) -> tempfile::TempDir {
    let req = Request {
        folds: FoldSpec::parse(&[format!("all={fold}")]).expect("a fold"),
        weights: WeightsMode::Auto,
        target,
        ..Request::default()
    };
    let stim = Stimulus::random(m, &[1], 1);
    let (_, files) = project_files(m, &req, &stim).expect("generates");
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_files(dir.path(), &files).expect("writes");
    dir
}

/// The generated Verilog files of a project, for `read_verilog`.
fn rtl(dir: &Path) -> String {
    qrnn_sim::run::rtl_files(dir).expect("rtl/").join(" ")
}

/// Run a yosys script in `dir` under the 4 GiB limit; panic with its log on failure.
fn yosys(dir: &Path, script: &str, what: &str) {
    std::fs::write(dir.join("check.ys"), script).expect("writes the script");
    let cmd = format!(
        "ulimit -v {YOSYS_LIMIT_KIB} && exec {} -q -l check.log -s check.ys",
        Tool::yosys().cmd
    );
    let out = Command::new("sh")
        .current_dir(dir)
        .args(["-c", &cmd])
        .output()
        .expect("sh runs");
    if !out.status.success() {
        let log = std::fs::read_to_string(dir.join("check.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        panic!(
            "{what}: yosys failed within {} GiB of address space ({}):\n{}\n{}",
            YOSYS_LIMIT_KIB / 1024 / 1024,
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Read ports of every `$mem_v2` cell of a yosys JSON netlist, by memory name.
fn mem_read_ports(json: &Path) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(json).expect("the netlist");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let mut out = BTreeMap::new();
    for (mname, m) in v["modules"].as_object().expect("modules") {
        for c in m["cells"].as_object().into_iter().flat_map(|o| o.values()) {
            if c["type"] == "$mem_v2" {
                let p = &c["parameters"];
                let id = p["MEMID"].as_str().unwrap_or("?").to_string();
                // parameters are binary strings in yosys JSON
                let n = p["RD_PORTS"]
                    .as_str()
                    .and_then(|s| u64::from_str_radix(s, 2).ok())
                    .or_else(|| p["RD_PORTS"].as_u64())
                    .expect("RD_PORTS");
                out.insert(format!("{mname}.{id}"), n);
            }
        }
    }
    out
}

/// Flip-flop cells after synthesis (`stat -json` of the whole design).
fn flip_flops(stat: &Path) -> u64 {
    let text = std::fs::read_to_string(stat).expect("the statistics");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    v["design"]["num_cells_by_type"]
        .as_object()
        .expect("cells by type")
        .iter()
        .filter(|(k, _)| k.starts_with("SB_DFF") || k.as_str() == "TRELLIS_FF")
        .map(|(_, n)| n.as_u64().expect("a count"))
        .sum()
}

/// The read-port check of one project, then its synthesis for `family` under the limit; returns
/// the flip-flops.
fn check(dir: &Path, family: &str, what: &str) -> u64 {
    let files = rtl(dir);
    yosys(
        dir,
        &format!(
            "read_verilog {files}\nhierarchy -top qrnn_core\nproc\nflatten\nopt\n\
             memory -nomap\nwrite_json mem.json\n"
        ),
        what,
    );
    let ports = mem_read_ports(&dir.join("mem.json"));
    assert!(!ports.is_empty(), "{what}: yosys inferred no memory");
    for (m, n) in &ports {
        assert!(*n <= 2, "{what}: memory {m} has {n} read ports");
    }
    let dsp = if family == "ice40" { " -dsp" } else { "" };
    yosys(
        dir,
        &format!(
            "read_verilog {files}\nsynth_{family}{dsp} -top qrnn_core\n\
             tee -q -o stat.json stat -json\n"
        ),
        what,
    );
    flip_flops(&dir.join("stat.json"))
}

#[test]
fn hidden_64_synthesises_in_4_gib_with_two_read_ports_at_most_and_ff_do_not_grow() {
    if !have(&[Tool::yosys()]) {
        return;
    }
    let m64 = lstm(64);
    let ice = project(&m64, "1x16", Family::Ice40);
    check(ice.path(), "ice40", "iCE40 LSTM 16→64 at 1x16");
    let ecp = project(&m64, "4x32", Family::Ecp5);
    check(ecp.path(), "ecp5", "ECP5 LSTM 16→64 at 4x32");
    // the flip-flop bound at 1x8, where the state of both sizes is in block RAM: at 1x16 the
    // hidden-64 banks are too small for block RAM and hold the state in flip-flops, which would
    // make the comparison pass whatever the hidden-128 design did
    let at8 = project(&m64, "1x8", Family::Ice40);
    let ff64 = check(at8.path(), "ice40", "iCE40 LSTM 16→64 at 1x8");
    let m128 = lstm(128);
    let ice128 = project(&m128, "1x8", Family::Ice40);
    let ff128 = check(ice128.path(), "ice40", "iCE40 LSTM 16→128 at 1x8");
    eprintln!("iCE40 flip-flops at 1x8: hidden 64 {ff64}, hidden 128 {ff128}");
    assert!(
        ff128 as f64 <= 1.05 * ff64 as f64,
        "flip-flops grow with the hidden size: {ff128} at 128 against {ff64} at 64"
    );
}

/// The count sees three read ports where there are three.
#[test]
fn read_port_count_control() {
    if !have(&[Tool::yosys()]) {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(dir.path().join("rtl")).expect("rtl/");
    std::fs::write(
        dir.path().join("rtl/qrnn_core.v"),
        "module qrnn_core(input clk, input we, input [3:0] wa, input [7:0] wd,\n\
         input [3:0] a, input [3:0] b, input [3:0] c, output reg [23:0] q);\n\
         reg [7:0] mem [0:15];\n\
         always @(posedge clk) begin\n\
         if (we) mem[wa] <= wd;\n\
         q <= {mem[a], mem[b], mem[c]};\n\
         end\nendmodule\n",
    )
    .expect("writes");
    let files = rtl(dir.path());
    yosys(
        dir.path(),
        &format!(
            "read_verilog {files}\nhierarchy -top qrnn_core\nproc\nopt\nmemory -nomap\n\
             write_json mem.json\n"
        ),
        "control",
    );
    let ports = mem_read_ports(&dir.path().join("mem.json"));
    assert_eq!(
        ports.values().copied().collect::<Vec<_>>(),
        vec![3],
        "{ports:?}"
    );
}
