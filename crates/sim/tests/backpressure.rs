//! The testbench's backpressure mode (`+backpressure=SEED`, docs/HARDWARE.md §3 "with
//! backpressure") can fail, and fails for the reasons it is there for:
//!
//! - `stall_counting_and_the_contract_are_load_bearing`: a generated GRU (which overlaps
//!   timesteps) passes with backpressure on Icarus; the testbench with its input stalls, or its
//!   output stalls, left uncounted still passes with `in_valid` and `out_ready` held high but fails
//!   with backpressure (`FAIL cycles:`; the output stalls under heavy output backpressure, where
//!   the overlap cannot absorb them), and told one cycle more per timestep
//!   (`QRNN_CYCLES_PER_STEP`, latency and II of `qrnn.json`) it fails with backpressure too.
//! - `hand_written_cores`: the testbench against three small hand-written cores (an identity
//!   function of two elements per timestep, no probes): one that works on one timestep at a time
//!   passes with and without backpressure; one that loses a cycle after each output stall passes
//!   held high and fails with backpressure; one that takes the next timestep's input while the
//!   last one's output is pending (II < latency) passes held high (exact figures) and with
//!   backpressure (figures at least the held-high ones and at most those plus the stalls so
//!   far), on Verilator and Icarus; the same with a lost cycle per output stall fails under heavy
//!   output backpressure.
//!   Generated dense cores overlap timesteps too (the GRU above, the co-simulation matrices and
//!   the fuzzer); these small cores make each side of the bound fail on purpose.

mod common;
use common::{project_files, write_files};

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Scheme};
use qrnn_project::Request;
use qrnn_rtl::{EngineId, Fold};
use qrnn_sim::{icarus_with, verilator_fast_with, Backpressure, Outcome, RunOpts, Stimulus, Tool};
use std::path::Path;

fn first_fail(out: &Outcome) -> &str {
    out.output
        .lines()
        .find(|l| l.starts_with("FAIL"))
        .unwrap_or_default()
}

/// Write `qrnn_tb.v` with `from` replaced by `to` (which must occur exactly once).
fn mutate_tb(dir: &Path, from: &str, to: &str) {
    assert_eq!(
        qrnn_sim::TESTBENCH.matches(from).count(),
        1,
        "`{from}` is not in the testbench exactly once"
    );
    std::fs::write(
        dir.join("sim/qrnn_tb.v"),
        qrnn_sim::TESTBENCH.replace(from, to),
    )
    .unwrap();
}

#[test]
fn stall_counting_and_the_contract_are_load_bearing() {
    if !common::have(&[Tool::iverilog(), Tool::vvp()]) {
        return;
    }
    let mut spec = ExampleSpec::new(Cell::Gru, Scheme::Ternary, 3, 4, 5);
    spec.head = Some(2);
    let m = example(&spec);
    let mut o = Request::default();
    o.folds.pin(EngineId::Layer(0), Fold { p: 2, s: 4 });
    o.folds.pin(EngineId::Head, Fold { p: 2, s: 4 });
    let stim = Stimulus::random(&m, &[4, 1, 3], 2);
    let (man, files) = project_files(&m, &o, &stim).unwrap();
    let dir = tempfile::Builder::new()
        .prefix("qrnn-backpressure-")
        .tempdir()
        .unwrap();
    write_files(dir.path(), &files).unwrap();
    let held = RunOpts::default();
    let bp = RunOpts::backpressure(3);

    let out = icarus_with(dir.path(), &bp).unwrap();
    common::check_backpressure("gru", "Icarus", &man, &out);

    // the core overlaps timesteps, so an output stall delays nothing while the output of a
    // timestep still ends before the next compute needs it: uncounted output stalls show under
    // heavy output backpressure (docs/HARDWARE.md §3)
    let heavy_out = RunOpts {
        backpressure: Some(Backpressure {
            seed: 3,
            in_percent: 0,
            out_percent: 90,
        }),
    };
    for (what, from, bp) in [
        ("input stalls", "stalls_in = stalls_in + 1;", bp),
        ("output stalls", "stalls_out = stalls_out + 1;", heavy_out),
    ] {
        mutate_tb(dir.path(), from, "");
        let out = icarus_with(dir.path(), &held).unwrap();
        assert!(
            out.pass,
            "without {what} counted, the held-high run must still pass (it has none):\n{}",
            out.output
        );
        let out = icarus_with(dir.path(), &bp).unwrap();
        assert!(
            !out.pass && first_fail(&out).starts_with("FAIL cycles:"),
            "with {what} not counted, backpressure must fail the cycle check:\n{}",
            out.output
        );
        eprintln!("{what} not counted: {}", first_fail(&out));
    }
    std::fs::write(dir.path().join("sim/qrnn_tb.v"), qrnn_sim::TESTBENCH).unwrap();

    // the testbench told one cycle more per timestep
    let params = dir.path().join("sim/tb_params.vh");
    let text = std::fs::read_to_string(&params).unwrap();
    let c = man.cycles_per_step;
    // a dense core overlaps timesteps (docs/HARDWARE.md §4.2)
    assert_eq!(man.initiation_interval, c);
    assert!(man.latency > c, "latency {} II {c}", man.latency);
    let mut wrong = text.clone();
    for (key, v) in [
        ("QRNN_CYCLES_PER_STEP", c),
        ("QRNN_LATENCY", man.latency),
        ("QRNN_II", c),
    ] {
        let (a, b) = (
            format!("`define {key} {v}\n"),
            format!("`define {key} {}\n", v + 1),
        );
        assert!(wrong.contains(&a), "{key} in {text}");
        wrong = wrong.replace(&a, &b);
    }
    std::fs::write(&params, wrong).unwrap();
    let out = icarus_with(dir.path(), &bp).unwrap();
    assert!(
        !out.pass && first_fail(&out).starts_with("FAIL cycles:"),
        "told {} cycles per timestep instead of {c}, backpressure must fail:\n{}",
        c + 1,
        out.output
    );
    eprintln!("told {} cycles per timestep: {}", c + 1, first_fail(&out));
}

/// A hand-written `qrnn_core`: the identity on two 8-bit elements per timestep. LOAD takes two
/// beats, COMP waits three cycles, OUT gives two beats. `OVERLAP = 1`: a one-deep output buffer
/// lets LOAD take the next timestep while OUT gives the last one (LATENCY 8, II 6; else both 8).
/// `LAG = 1`: after each cycle OUT offers a beat that is not taken, it offers none in the next.
const STUB_CORE: &str = r#"
module qrnn_core #(parameter OVERLAP = 0, parameter LAG = 0) (
    input wire clk, input wire rst,
    input wire in_valid, output wire in_ready, input wire [7:0] in_data, input wire in_seq_start,
    output wire out_valid, input wire out_ready, output wire [7:0] out_data, output wire out_last
);
    localparam LOAD = 2'd0, COMP = 2'd1, HAND = 2'd2;
    reg [1:0] st;             // the input side: LOAD, COMP, HAND (waiting for the output buffer)
    reg n;                    // the input beat
    reg [1:0] k;              // COMP's cycle
    reg [7:0] x0, x1;         // the timestep being loaded or computed
    reg full;                 // the output buffer holds a timestep
    reg m;                    // the output beat
    reg lag;                  // LAG: OUT offers nothing this cycle
    reg [7:0] y0, y1;
    assign in_ready = st == LOAD && (OVERLAP != 0 || !full);
    assign out_valid = full && !lag;
    assign out_data = m ? y1 : y0;
    assign out_last = m;
    always @(posedge clk) begin
        if (rst) begin
            st <= LOAD; n <= 1'b0; k <= 2'd0; full <= 1'b0; m <= 1'b0; lag <= 1'b0;
        end else begin
            case (st)
                LOAD: if (in_valid && in_ready) begin
                    if (n) x1 <= in_data; else x0 <= in_data;
                    n <= !n;
                    if (n) begin st <= COMP; k <= 2'd0; end
                end
                COMP: begin
                    k <= k + 2'd1;
                    if (k == 2'd2) st <= HAND;
                end
                default: ;
            endcase
            // the output buffer: filled from HAND when empty (or emptied at this edge)
            lag <= 1'b0;
            if (full && !lag && out_ready) begin
                m <= !m;
                if (m) full <= 1'b0;
            end else if (full && !lag && LAG != 0) begin
                lag <= 1'b1;
            end
            if (st == HAND && (!full || (out_valid && out_ready && m))) begin
                y0 <= x0; y1 <= x1; full <= 1'b1; st <= LOAD;
            end
        end
    end
endmodule
"#;

/// A project of the stub core: `steps` timesteps in sequences of `lens`, identity vectors.
fn stub_project(dir: &Path, overlap: bool, lag: bool, lens: &[usize]) {
    let steps: usize = lens.iter().sum();
    let (latency, ii) = if overlap { (8, 6) } else { (8, 8) };
    let core = STUB_CORE
        .replace("OVERLAP = 0", &format!("OVERLAP = {}", u8::from(overlap)))
        .replace("LAG = 0", &format!("LAG = {}", u8::from(lag)));
    let mut stim = String::new();
    let mut expect = String::new();
    let mut i = 0u32;
    for &len in lens {
        for t in 0..len {
            for j in 0..2 {
                let v = (i * 73 + 19) & 0xff;
                let start = u32::from(t == 0 && j == 0);
                stim.push_str(&format!("{:03x}\n", (start << 8) | v));
                expect.push_str(&format!("{v:02x}\n"));
                i += 1;
            }
        }
    }
    let params = format!(
        "`define QRNN_WX 8\n`define QRNN_WY 8\n`define QRNN_IN_LEN 2\n`define QRNN_OUT_LEN 2\n\
         `define QRNN_N_STEPS {steps}\n`define QRNN_N_SEQ {}\n`define QRNN_CYCLES_PER_STEP {latency}\n\
         `define QRNN_LATENCY {latency}\n`define QRNN_II {ii}\n`define QRNN_LOAD_CYCLES 0\n",
        lens.len()
    );
    let files: Vec<(&str, String)> = vec![
        ("rtl/qrnn_core.v", core),
        ("sim/qrnn_tb.v", qrnn_sim::TESTBENCH.to_string()),
        ("sim/tb_params.vh", params),
        ("sim/tb_arrays.vh", String::new()),
        ("sim/tb_readmem.vh", String::new()),
        ("sim/tb_probes.vh", String::new()),
        ("sim/stim.hex", stim),
        ("sim/expect_out.hex", expect),
    ];
    for (p, c) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, c).unwrap();
    }
}

fn stalls(out: &Outcome) -> (u64, u64) {
    let pass = out
        .output
        .lines()
        .find(|l| l.starts_with("PASS"))
        .unwrap_or_default();
    let get = |k: &str| {
        pass.split_whitespace()
            .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {k}= in `{pass}`"))
    };
    (get("stalls_in"), get("stalls_out"))
}

#[test]
fn hand_written_cores() {
    if !common::have(&[Tool::verilator(), Tool::iverilog(), Tool::vvp()]) {
        return;
    }
    let lens = [5, 1, 6];
    let held = RunOpts::default();
    let cache = common::cache_dir();
    for (name, overlap, lag, passes_bp) in [
        ("one timestep at a time", false, false, true),
        ("one cycle lost per output stall", false, true, false),
        ("overlapping timesteps", true, false, true),
        (
            "overlapping, one cycle lost per output stall",
            true,
            true,
            false,
        ),
    ] {
        let dir = tempfile::Builder::new()
            .prefix("qrnn-stub-core-")
            .tempdir()
            .unwrap();
        stub_project(dir.path(), overlap, lag, &lens);
        for sim in ["Verilator", "Icarus"] {
            let run = |o: &RunOpts| match sim {
                "Verilator" => verilator_fast_with(dir.path(), Some(&cache), o).unwrap(),
                _ => icarus_with(dir.path(), o).unwrap(),
            };
            let out = run(&held);
            assert!(
                out.pass,
                "{name} ({sim}): the held-high run must pass:\n{}",
                out.output
            );
            // several seeds: a lost cycle needs an output stall to show, and in a core that
            // overlaps timesteps one that is not absorbed by the overlap: heavy output
            // backpressure there
            for seed in 1..=4 {
                let o = match (overlap, lag) {
                    (true, true) => RunOpts {
                        backpressure: Some(Backpressure {
                            seed,
                            in_percent: 0,
                            out_percent: 90,
                        }),
                    },
                    _ => RunOpts::backpressure(seed),
                };
                let out = run(&o);
                if passes_bp {
                    assert!(
                        out.pass,
                        "{name} ({sim}), backpressure seed {seed}:\n{}",
                        out.output
                    );
                    let (i, o) = stalls(&out);
                    assert!(i > 0 && o > 0, "{name}: no stalls: {}", out.output);
                } else {
                    assert!(
                        !out.pass && first_fail(&out).starts_with("FAIL cycles:"),
                        "{name} ({sim}), backpressure seed {seed} must fail the cycle check:\n{}",
                        out.output
                    );
                }
                if seed == 1 {
                    let line = out
                        .output
                        .lines()
                        .find(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
                        .unwrap_or_default();
                    eprintln!("{name} ({sim}), backpressure: {line}");
                }
            }
        }
    }
}
