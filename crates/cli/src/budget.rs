//! Budgets: work that could exhaust memory or disk is estimated before it starts and refused,
//! with the estimate, the limit and the option that raises it (docs/CLI.md "Budgets").
//!
//! Two limits, global options of every subcommand:
//! - `--max-memory SIZE` (environment `QRNN_MAX_MEMORY`, default 2G): the memory a command may
//!   plan to use;
//! - `--max-output SIZE` (environment `QRNN_MAX_OUTPUT`, default 1G): the bytes a command may
//!   write (a generated project, its vectors and golden trace).
//!
//! The estimates are upper bounds measured on the release build (the constants below, with the
//! measurement each comes from); they are not exact, and they are meant to err on the high side.

use miette::{miette, Result};
use qrnn_model::Model;
use qrnn_rtl::ir::Design;
use std::path::Path;

/// Default of `--max-memory`.
pub const DEFAULT_MEMORY: &str = "2G";
/// Default of `--max-output`.
pub const DEFAULT_OUTPUT: &str = "1G";

/// Memory per byte of a sequence or data-set file (JSON, CSV, .npy) that `run` and `eval` read.
/// Measured (scripts/measure-budgets.sh): a 100 MB JSON sequence of 2.5 M timesteps peaks at
/// 0.51 GB in `run`, 1.58 GB in `run --json` (the JSON document of the outputs), 0.72 GB in `eval`.
pub const MEMORY_PER_INPUT_BYTE: u64 = 20;

/// Generated RTL, per lane (one of P×S weight × activation products of an engine): memory and
/// bytes written. Measured on LSTM 16→256 + head, `--fold all=512x256` (132 k lanes):
/// 1.12 GB peak, 186 MB written; `all=32x32` on 16→64 (1.2 k lanes): 16 MB, 1.5 MB.
const MEMORY_PER_LANE: u64 = 10 << 10;
const OUTPUT_PER_LANE: u64 = 2 << 10;
/// Per weight held in a ROM (hex files): LSTM 16→1024, 4.3 M weights: 46 MB peak, 3.2 MB written.
const MEMORY_PER_ROM_WEIGHT: u64 = 12;
const OUTPUT_PER_ROM_WEIGHT: u64 = 1;
/// Per weight hard-wired into logic: LSTM 16→256 `--weights logic`, 279 k weights: 21 MB peak,
/// 3.0 MB written.
const MEMORY_PER_LOGIC_WEIGHT: u64 = 80;
const OUTPUT_PER_LOGIC_WEIGHT: u64 = 12;
/// Per value of the co-simulation vectors and golden trace (every input, pre-activation, gate,
/// state and output of every timestep): LSTM 16→1024, 2000 steps, 11.3 k values a step:
/// 310 MB peak, 88 MB written (3.9 B a value); ConvLSTM 32×32 map: 4.0 B a value.
const MEMORY_PER_TRACE_VALUE: u64 = 16;
const OUTPUT_PER_TRACE_VALUE: u64 = 5;
/// What any run of `gen` needs besides: the binary, the model, fixed files.
const MEMORY_BASE: u64 = 32 << 20;
const OUTPUT_BASE: u64 = 256 << 10;

/// The two limits.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Bytes of memory a command may plan to use.
    pub memory: u64,
    /// Bytes a command may write.
    pub output: u64,
}

/// Parse a size: bytes, or a number with K, M, G or T (powers of 1024; `KiB`, `MB`, … also
/// accepted, all binary), e.g. `2G`, `512M`, `1.5GiB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        u => {
            return Err(format!(
                "unknown unit {u:?} in {s:?}: give bytes or a number with K, M, G or T (e.g. 2G)"
            ))
        }
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 2G, 512M, 1000000)"))?;
    let bytes = v * mult as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("{s:?} is not a size between 1 byte and 16 EiB"));
    }
    Ok(bytes as u64)
}

/// A size for people: `1.9 GiB`, `512 MiB`, `12 KiB`, `100 B`.
pub fn show(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

impl Budget {
    /// Refuse `what` when its estimated memory exceeds `--max-memory`; `fix` says what else
    /// would make the work smaller.
    pub fn memory(&self, what: &str, estimate: u64, fix: &str) -> Result<()> {
        check(Limit::Memory, self.memory, what, estimate, fix)
    }

    /// Refuse `what` when the bytes it would write exceed `--max-output`.
    pub fn output(&self, what: &str, estimate: u64, fix: &str) -> Result<()> {
        check(Limit::Output, self.output, what, estimate, fix)
    }

    /// Refuse an input file (sequence, data set) whose reading and processing would exceed the
    /// memory limit, before it is read: [`MEMORY_PER_INPUT_BYTE`] per byte of the file.
    pub fn input_file(&self, path: &Path) -> Result<()> {
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(()); // the reader reports a missing or unreadable file
        };
        let est = meta.len().saturating_mul(MEMORY_PER_INPUT_BYTE);
        self.memory(
            &format!(
                "{}: reading this {} input file",
                path.display(),
                show(meta.len())
            ),
            est,
            "split the sequences over several smaller files",
        )
    }
}

/// Which limit a check is against.
#[derive(Clone, Copy)]
enum Limit {
    Memory,
    Output,
}

/// The one refusal of both limits: the estimate, the limit, what else helps and the option.
fn check(kind: Limit, limit: u64, what: &str, estimate: u64, fix: &str) -> Result<()> {
    if estimate <= limit {
        return Ok(());
    }
    let (code, option, var, need) = match kind {
        Limit::Memory => (
            "qrnn::budget::memory",
            "--max-memory",
            "QRNN_MAX_MEMORY",
            "would need about {} of memory",
        ),
        Limit::Output => (
            "qrnn::budget::output",
            "--max-output",
            "QRNN_MAX_OUTPUT",
            "would write about {}",
        ),
    };
    let need = need.replace("{}", &show(estimate));
    Err(miette!(
        code = code,
        help = format!(
            "{fix}; or raise the limit with {option} SIZE (or {var}), e.g. {option} {}",
            round_up(estimate)
        ),
        "{what} {need}, more than the limit of {}",
        show(limit)
    ))
}

/// The next whole GiB (or MiB below 1 GiB) above `bytes`, as an option value.
fn round_up(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{}G", bytes.div_ceil(1 << 30))
    } else {
        format!("{}M", bytes.div_ceil(1 << 20).max(1))
    }
}

/// Values per timestep that the co-simulation vectors and the golden trace hold: the input, and
/// per layer and pixel the pre-activations and gates (one per gate row) and up to four
/// per-unit states (h, c, tanh c, GRU's hn), and the outputs. An upper bound.
pub fn trace_values_per_step(model: &Model) -> u64 {
    let px = model.pixels() as u64;
    let layers: u64 = model
        .layers
        .iter()
        .map(|l| px * (2 * l.rows() as u64 + 4 * l.hidden as u64))
        .sum();
    model.input_len() as u64 + layers + model.output_len() as u64
}

/// `gen`'s estimate, from the lowered design (its engines' folds and weight placement) and the
/// co-simulation's timesteps: `(memory, bytes written)`.
pub fn gen_estimate(model: &Model, design: &Design, steps: u64) -> (u64, u64) {
    let mut lanes = 0u64;
    let (mut rom, mut logic) = (0u64, 0u64);
    for e in design.layers.iter().chain(&design.head) {
        if let Some(f) = e.fold {
            lanes = lanes.saturating_add((f.p as u64).saturating_mul(f.s as u64));
        }
        for mv in std::iter::once(&e.w).chain(&e.u) {
            let n = (mv.rows() as u64).saturating_mul(mv.cols() as u64);
            if mv.rom.is_some() {
                rom += n;
            } else {
                logic += n;
            }
        }
    }
    let trace = trace_values_per_step(model).saturating_mul(steps);
    let memory = MEMORY_BASE
        .saturating_add(lanes.saturating_mul(MEMORY_PER_LANE))
        .saturating_add(rom.saturating_mul(MEMORY_PER_ROM_WEIGHT))
        .saturating_add(logic.saturating_mul(MEMORY_PER_LOGIC_WEIGHT))
        .saturating_add(trace.saturating_mul(MEMORY_PER_TRACE_VALUE));
    let output = OUTPUT_BASE
        .saturating_add(lanes.saturating_mul(OUTPUT_PER_LANE))
        .saturating_add(rom.saturating_mul(OUTPUT_PER_ROM_WEIGHT))
        .saturating_add(logic.saturating_mul(OUTPUT_PER_LOGIC_WEIGHT))
        .saturating_add(trace.saturating_mul(OUTPUT_PER_TRACE_VALUE));
    (memory, output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units_and_bad_ones_are_refused() {
        assert_eq!(parse_size("2G").unwrap(), 2 << 30);
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert_eq!(parse_size("4 kb").unwrap(), 4096);
        for bad in ["", "G", "2X", "-1G", "0", "1e999", "nan"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_show_in_the_largest_unit() {
        assert_eq!(show(100), "100 B");
        assert_eq!(show(2 << 30), "2.0 GiB");
        assert_eq!(show(300 << 20), "300 MiB");
    }

    #[test]
    fn a_budget_refuses_above_its_limit_and_names_estimate_limit_and_option() {
        let b = Budget {
            memory: 1 << 30,
            output: 1 << 20,
        };
        assert!(b.memory("x", 1 << 30, "fix").is_ok());
        let e = format!("{:?}", b.memory("gen", 3 << 30, "fold less").unwrap_err());
        assert!(e.contains("3.0 GiB") && e.contains("1.0 GiB"), "{e}");
        assert!(e.contains("--max-memory") && e.contains("fold less"), "{e}");
        let e = format!("{:?}", b.output("gen", 5 << 20, "fewer steps").unwrap_err());
        assert!(e.contains("--max-output") && e.contains("5.0 MiB"), "{e}");
    }
}
