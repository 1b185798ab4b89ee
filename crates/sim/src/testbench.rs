//! The testbench files of a generated project's `sim/`: the stimulus and the expected outputs and
//! per-layer states the golden model computes (`stim.hex`, `expect_*.hex`), the hand-written generic
//! testbench ([`TESTBENCH`], `crates/sim/verilog/qrnn_tb.v`) with its generated include files
//! (`tb_*.vh`), the mismatch reporter ([`REPORT_SH`], `crates/sim/scripts/report.sh`) and the
//! golden trace it prints from.

use crate::{File, Stimulus};
use qrnn_golden::{GoldenError, Run};
use qrnn_model::name::escape;
use qrnn_model::{ActFmt, Model};
use qrnn_rtl::manifest::Manifest;
use std::fmt::Write;

/// The hand-written testbench, copied into every project as `sim/qrnn_tb.v`.
pub const TESTBENCH: &str = include_str!("../verilog/qrnn_tb.v");
/// The mismatch reporter, copied into every project as `sim/report.sh`.
pub const REPORT_SH: &str = include_str!("../scripts/report.sh");

fn hex(v: i64, w: u32) -> String {
    let digits = w.div_ceil(4) as usize;
    let mask: u64 = if w >= 64 { u64::MAX } else { (1u64 << w) - 1 };
    format!("{:0digits$x}", (v as u64) & mask)
}

/// The bit pattern of an activation value (binary: 1 = +1).
fn act_bits(v: i64, f: ActFmt) -> i64 {
    match f {
        ActFmt::Binary => i64::from(v > 0),
        ActFmt::Fixed(_) => v,
    }
}

/// The files of a project's `sim/` for a stimulus: vectors, testbench, includes, golden trace.
pub fn sim_files(model: &Model, man: &Manifest, stim: &Stimulus) -> Result<Vec<File>, GoldenError> {
    let runs: Vec<Run> = stim
        .sequences
        .iter()
        .map(|s| qrnn_golden::run(model, s))
        .collect::<Result<_, _>>()?;
    let n_steps = stim.steps();
    let mut files = Vec::new();
    // stimulus: {seq_start, data}
    let mut s = String::new();
    for seq in &stim.sequences {
        for (t, x) in seq.iter().enumerate() {
            for (j, v) in x.iter().enumerate() {
                let start = i64::from(t == 0 && j == 0);
                let bits = act_bits(*v, model.input.format) & ((1i64 << man.wx) - 1);
                let _ = writeln!(s, "{}", hex((start << man.wx) | bits, man.wx + 1));
            }
        }
    }
    files.push(("sim/stim.hex".to_string(), s));
    let out_fmt = match &model.head {
        Some(_) => ActFmt::Fixed(qrnn_model::Fmt {
            width: man.wy,
            frac: 0,
        }),
        None => model
            .layers
            .last()
            .map(|l| l.h_fmt)
            .unwrap_or(ActFmt::Binary),
    };
    let mut s = String::new();
    for r in &runs {
        for o in &r.outputs {
            for v in o {
                let _ = writeln!(s, "{}", hex(act_bits(*v, out_fmt), man.wy));
            }
        }
    }
    files.push(("sim/expect_out.hex".to_string(), s));
    // per-layer expected state, arrays, probes
    let mut arrays = String::new();
    let mut readmem = String::new();
    let mut probes = String::new();
    for (l, layer) in model.layers.iter().enumerate() {
        let h = layer.hidden * model.pixels();
        let hw = layer.h_fmt.width();
        let mut sig = vec![("h", hw, layer.h_fmt.is_binary())];
        if let Some(c) = layer.c_fmt {
            sig.push(("c", c.width, false));
        }
        for (name, w, binary) in sig {
            let mut hexs = String::new();
            for r in &runs {
                for st in &r.trace {
                    let vals = if name == "h" {
                        st.layers[l].h.clone()
                    } else {
                        st.layers[l].c.clone().unwrap_or_default()
                    };
                    for v in vals {
                        let v = if binary { i64::from(v > 0) } else { v };
                        let _ = writeln!(hexs, "{}", hex(v, w));
                    }
                }
            }
            let arr = format!("exp_{name}{l}");
            files.push((format!("sim/expect_{name}{l}.hex"), hexs));
            let _ = writeln!(
                arrays,
                "    reg [{}:0] {arr} [0:{}];",
                w - 1,
                n_steps * h - 1
            );
            let _ = writeln!(
                readmem,
                "        $readmemh(\"sim/expect_{name}{l}.hex\", {arr});"
            );
            let show = "%0d";
            // ConvLSTM h is a word per pixel (docs/HARDWARE.md §2): select the channel's bits
            // (copied into a testbench register first: Icarus does not part-select a hierarchical
            // array word directly)
            let mut fetch = String::new();
            let access = match (model.input.map, name) {
                (Some(_), "h") => {
                    let _ = writeln!(
                        arrays,
                        "    reg [{}:0] probe_hw{l};",
                        layer.hidden as u32 * w - 1
                    );
                    fetch = format!(
                        "probe_hw{l} = dut.l{l}_hw_q[pi / {}];\n                        ",
                        layer.hidden
                    );
                    format!("probe_hw{l}[(pi % {c}) * {w} +: {w}]", c = layer.hidden)
                }
                _ => format!("dut.l{l}_{name}_q[pi]"),
            };
            // ConvLSTM state is an HWC map: name the pixel and channel of a mismatch
            let (where_fmt, where_args) = match model.input.map {
                Some((_, mw)) => {
                    let c = layer.hidden;
                    (
                        " (y %0d, x %0d, channel %0d)".to_string(),
                        format!(", pi / {}, (pi / {c}) % {mw}, pi % {c}", mw * c),
                    )
                }
                None => (String::new(), String::new()),
            };
            let val = |e: &str| {
                if binary {
                    format!("{e} ? 1 : -1")
                } else {
                    format!("$signed({e})")
                }
            };
            let _ = write!(
                probes,
                "                    for (pi = 0; pi < {h}; pi = pi + 1) begin\n\
                 \x20                       {fetch}\
                 \x20                       if (failed == 0 && {access} !== {arr}[step * {h} + pi]) begin\n\
                 \x20                           $display(\"FAIL mismatch: step %0d (sequence %0d) layer {l} signal {name} element %0d{where_fmt}: expected {show} got {show}\", step, seq_i, pi{where_args}, {}, {});\n\
                 \x20                           $display(\"TRACE-STEP %0d\", step);\n\
                 \x20                           failed = 1;\n\
                 \x20                       end\n\
                 \x20                       values = values + 1;\n\
                 \x20                   end\n",
                val(&format!("{arr}[step * {h} + pi]")),
                val(&access)
            );
        }
    }
    files.push(("sim/tb_arrays.vh".to_string(), arrays));
    files.push(("sim/tb_readmem.vh".to_string(), readmem));
    files.push(("sim/tb_probes.vh".to_string(), probes));
    let params = format!(
        "// Generated by qrnn-hw for model {} ({}).\n`define QRNN_WX {}\n`define QRNN_WY {}\n`define QRNN_IN_LEN {}\n`define QRNN_OUT_LEN {}\n`define QRNN_N_STEPS {}\n`define QRNN_N_SEQ {}\n`define QRNN_CYCLES_PER_STEP {}\n`define QRNN_LATENCY {}\n`define QRNN_II {}\n",
        escape::verilog_comment(&man.model_name),
        &man.model_hash[..16],
        man.wx,
        man.wy,
        man.in_len,
        man.out_len,
        n_steps,
        stim.sequences.len(),
        man.cycles_per_step,
        man.latency,
        man.initiation_interval
    );
    let params = match &man.weight_image {
        Some(w) => format!(
            "{params}`define QRNN_LOAD_CYCLES {}\n`define QRNN_WEIGHT_LOADER\n",
            w.load_cycles
        ),
        None => format!("{params}`define QRNN_LOAD_CYCLES 0\n"),
    };
    files.push(("sim/tb_params.vh".to_string(), params));
    files.extend(loader_files(man));
    files.push(("sim/qrnn_tb.v".to_string(), TESTBENCH.to_string()));
    files.push(("sim/report.sh".to_string(), REPORT_SH.to_string()));
    files.push((
        "sim/golden_trace.txt".to_string(),
        golden_trace(&man.model_name, stim, &runs),
    ));
    Ok(files)
}

/// The testbench's loader includes (docs/HARDWARE.md §4.3), for a design with a weight image
/// (`QRNN_WEIGHT_LOADER`): the behavioural SPI flash holding it (`tb_flash.vh`), the core's flash
/// ports (`tb_ports.vh`) and the checks that the core loads it in the predicted cycles and never
/// rejects it (`tb_loader.vh`).
fn loader_files(man: &Manifest) -> Vec<File> {
    let Some(w) = &man.weight_image else {
        return Vec::new();
    };
    let flash = format!(
        "// Generated by qrnn-hw: the behavioural SPI flash of the weight loader\n{}",
        qrnn_rtl::loader::FLASH_MODEL
    );
    let ports =
        ",\n        .flash_csn(flash_csn), .flash_sck(flash_sck), .flash_mosi(flash_mosi), \
                 .flash_miso(flash_miso), .load_err(load_err)\n"
            .to_string();
    let loader = format!(
        "// Generated by qrnn-hw: the weight image ({bytes} bytes) in a behavioural SPI flash at \
         0x{off:x}, and the load checks (docs/HARDWARE.md §4.3)\n\
         \x20   qrnn_spi_flash #(.BASE({off}), .SIZE({bytes}), .FILE(\"{file}\")) u_flash (\n\
         \x20       .csn(flash_csn), .sck(flash_sck), .mosi(flash_mosi), .miso(flash_miso)\n\
         \x20   );\n\
         \x20   integer load_seen = 0;\n\
         \x20   always @(posedge clk) begin\n\
         \x20       if (!rst && load_err === 1'b1) begin\n\
         \x20           $display(\"FAIL load: the core rejected the weight image in flash (load_err at cycle %0d): its header, model hash, length or CRC differ\", cycle);\n\
         \x20           $finish;\n\
         \x20       end\n\
         \x20       if (!rst && load_seen == 0 && in_ready) begin\n\
         \x20           load_seen = 1;\n\
         \x20           if (cycle - rst_low != `QRNN_LOAD_CYCLES) begin\n\
         \x20               $display(\"FAIL cycles: the weight load took %0d cycles, the compiler predicted %0d\", cycle - rst_low, `QRNN_LOAD_CYCLES);\n\
         \x20               $finish;\n\
         \x20           end\n\
         \x20       end\n\
         \x20   end\n",
        bytes = w.bytes,
        off = w.offset,
        file = qrnn_rtl::loader::IMAGE_FILE,
    );
    vec![
        ("sim/tb_flash.vh".into(), flash),
        ("sim/tb_ports.vh".into(), ports),
        ("sim/tb_loader.vh".into(), loader),
    ]
}

fn golden_trace(model_name: &str, stim: &Stimulus, runs: &[Run]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# golden trace of model {} (NUMERICS.md point values, integers)",
        escape::text_line(model_name)
    );
    let mut step = 0;
    for (q, (seq, r)) in stim.sequences.iter().zip(runs).enumerate() {
        for (t, st) in r.trace.iter().enumerate() {
            let _ = writeln!(s, "== step {step} (sequence {q}, t {t}) ==");
            let j = |v: &[i64]| {
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let _ = writeln!(s, "  x        {}", j(&seq[t]));
            for (l, lt) in st.layers.iter().enumerate() {
                let _ = writeln!(s, "  layer{l} pre   {}", j(&lt.pre));
                let _ = writeln!(s, "  layer{l} gates {}", j(&lt.gates));
                if let Some(v) = &lt.hn {
                    let _ = writeln!(s, "  layer{l} hn    {}", j(v));
                }
                if let Some(v) = &lt.c {
                    let _ = writeln!(s, "  layer{l} c     {}", j(v));
                }
                if let Some(v) = &lt.tanh_c {
                    let _ = writeln!(s, "  layer{l} tanhc {}", j(v));
                }
                let _ = writeln!(s, "  layer{l} h     {}", j(&lt.h));
            }
            if let Some(h) = &st.head {
                let _ = writeln!(s, "  head     {}", j(h));
            }
            step += 1;
        }
    }
    s
}
