//! `qrnn-hw run MODEL --input SEQ…`: input sequences through the golden model, or with `--port DEV`
//! through a board (or a simulated board) running the model's board top (docs/PROTOCOL.md); prints
//! the outputs of every timestep (integers and their real values), optionally the float reference
//! beside them, and for the golden model writes the full per-timestep trace as JSON or NPY.
//!
//! Invariants: the golden model and the board get the same quantized inputs and their outputs are
//! printed in the same format, so the stdout of `run --port` equals that of `run` for a correct
//! board (apart from the `CHECK PASS` line of `--check`). On a board, nothing is sent before the
//! board's model hash has been checked against MODEL, and every protocol failure (timeout, garbled
//! reply, ERROR reply) stops the run with an error naming the port, sequence and timestep; nothing
//! is retried.

use crate::{util, Ctx};
use miette::{miette, IntoDiagnostic, Result};
use qrnn_golden::{float, output_to_f64, quantize_input, GoldenError, Run};
use qrnn_link::protocol::Host;
use qrnn_link::serial::SerialLink;
use qrnn_model::data::{npy_f64, read_dataset, read_sequence};
use qrnn_model::Model;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `run`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file (.qw or .qw.toml).
    model: PathBuf,
    /// Input sequence: .json ([[...], ...] one array per timestep), .csv (one timestep per line)
    /// or .npy ([timesteps, values]). Repeat for several sequences; a JSON data set (as `eval`
    /// reads it: {"sequences": [...], "labels"|"targets": [...]}) adds all its sequences.
    #[arg(short, long, required = true)]
    input: Vec<PathBuf>,
    /// The input holds integers already in the model's input format (no quantization).
    #[arg(long)]
    raw: bool,
    /// Also run the float reference and print its outputs and the deviation.
    #[arg(long)]
    float: bool,
    /// Write the full golden-model trace: .json (every named value per layer and timestep) or .npy
    /// (integers, one row per timestep, columns as documented in docs/CLI.md). One sequence only.
    #[arg(long, conflicts_with = "port")]
    trace: Option<PathBuf>,
    /// Print the outputs as JSON.
    #[arg(long)]
    json: bool,
    /// Run on the board on this serial port (e.g. /dev/ttyUSB0, or the /dev/pts/N that a
    /// simulated board prints) instead of the golden model.
    #[arg(long, value_name = "DEV")]
    port: Option<String>,
    /// Baud rate of the port (generated board tops use 115200).
    #[arg(long, default_value_t = 115_200, requires = "port")]
    baud: u32,
    /// How long to wait for each byte of a reply, in milliseconds.
    #[arg(long, default_value_t = 5000, requires = "port",
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    timeout_ms: u64,
    /// Also run the golden model on the same inputs and compare every output integer with the
    /// board's; prints `CHECK PASS …` or fails at the first difference.
    #[arg(long, requires = "port")]
    check: bool,
}

/// One input sequence and where it came from.
struct Sequence {
    /// `FILE`, or `FILE[i]` for the i-th sequence of a data set.
    source: String,
    /// The values as read (reals, or the integers of `--raw`).
    real: Vec<Vec<f64>>,
    /// The quantized inputs both the golden model and the board get.
    xq: Vec<Vec<i64>>,
}

/// Run `run`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    let m = util::load_model(ctx, &a.model)?;
    for p in &a.input {
        ctx.budget.input_file(p)?;
    }
    let seqs = read_inputs(&m, &a)?;
    if a.trace.is_some() && seqs.len() != 1 {
        return Err(miette!(
            "--trace writes the trace of one sequence; {} sequences were given",
            seqs.len()
        ));
    }
    let floats: Option<Vec<Vec<Vec<f64>>>> = a.float.then(|| {
        seqs.iter()
            .map(|s| float::run(&m, &float_inputs(&m, s, a.raw)))
            .collect()
    });
    match &a.port {
        None => run_golden(ctx, &a, &m, &seqs, floats.as_deref()),
        Some(port) => run_board(ctx, &a, port, &m, &seqs, floats.as_deref()),
    }
}

/// Every sequence of every `--input`, quantized (or checked to be integers with `--raw`).
fn read_inputs(m: &Model, a: &Args) -> Result<Vec<Sequence>> {
    let mut out = vec![];
    for p in &a.input {
        let is_set = p.extension().is_some_and(|e| e == "json")
            && std::fs::read_to_string(p).is_ok_and(|t| t.contains("\"sequences\""));
        if is_set {
            let ds = read_dataset(p, m.input_len())?;
            for (i, real) in ds.sequences.into_iter().enumerate() {
                out.push((format!("{}[{i}]", p.display()), real));
            }
        } else {
            out.push((p.display().to_string(), read_sequence(p, m.input_len())?));
        }
    }
    out.into_iter()
        .map(|(source, real)| {
            let xq = if a.raw {
                raw_integers(&source, &real)?
            } else {
                quantize_input(m, &real)
            };
            Ok(Sequence { source, real, xq })
        })
        .collect()
}

fn raw_integers(source: &str, seq: &[Vec<f64>]) -> Result<Vec<Vec<i64>>> {
    seq.iter()
        .enumerate()
        .map(|(t, row)| {
            row.iter()
                .enumerate()
                .map(|(j, v)| {
                    if v.fract() != 0.0 || v.abs() > 1e15 {
                        Err(miette!(
                            "{source}: --raw input timestep {t}, value {j} is {v}, not an integer"
                        ))
                    } else {
                        Ok(*v as i64)
                    }
                })
                .collect::<Result<Vec<i64>>>()
        })
        .collect()
}

/// The reals the float reference runs on: the file's values, or with `--raw` the reals the
/// integers stand for.
fn float_inputs(m: &Model, s: &Sequence, raw: bool) -> Vec<Vec<f64>> {
    if raw {
        s.xq.iter()
            .map(|r| r.iter().map(|q| m.input.format.to_f64(*q)).collect())
            .collect()
    } else {
        s.real.clone()
    }
}

/// The golden model's outputs of every sequence (each from the initial state). The per-step
/// trace (every gate and state: far larger than the outputs) is kept only with `keep_trace`.
fn golden_runs(m: &Model, seqs: &[Sequence], keep_trace: bool) -> Result<Vec<Run>> {
    let run = |xs: &[Vec<i64>]| -> std::result::Result<Run, qrnn_golden::GoldenError> {
        if keep_trace {
            return qrnn_golden::run(m, xs);
        }
        Ok(Run {
            outputs: qrnn_golden::run_outputs(m, xs)?,
            trace: Vec::new(),
        })
    };
    seqs.iter()
        .map(|s| {
            run(&s.xq).map_err(|e| {
                if seqs.len() == 1 {
                    miette::Report::new(e)
                } else {
                    miette::Report::new(e).wrap_err(format!("sequence {}", s.source))
                }
            })
        })
        .collect()
}

fn run_golden(
    ctx: Ctx,
    a: &Args,
    m: &Model,
    seqs: &[Sequence],
    floats: Option<&[Vec<Vec<f64>>]>,
) -> Result<()> {
    let runs = golden_runs(m, seqs, a.trace.is_some())?;
    if let Some(p) = &a.trace {
        write_trace(p, &runs[0])?;
        if !ctx.quiet {
            note!("wrote trace {}", p.display());
        }
    }
    let outputs: Vec<Vec<Vec<i64>>> = runs.into_iter().map(|r| r.outputs).collect();
    if a.json {
        return print_json(m, seqs, &outputs, floats, Value::Null, Value::Null);
    }
    if !ctx.quiet {
        summary(m, seqs);
    }
    let mut p = Printer::new(m, seqs.len());
    for (k, s) in seqs.iter().enumerate() {
        p.sequence(k, s, &outputs[k], floats.map(|f| &f[k][..]))?;
    }
    p.finish("golden")?;
    Ok(())
}

/// `<model>: N timesteps, K outputs each` (one sequence) or `<model>: S sequences, N timesteps…`.
fn summary(m: &Model, seqs: &[Sequence]) {
    let steps: usize = seqs.iter().map(|s| s.xq.len()).sum();
    if seqs.len() == 1 {
        note!(
            "{}: {steps} timesteps, {} outputs each",
            m.name,
            m.output_len()
        );
    } else {
        note!(
            "{}: {} sequences, {steps} timesteps, {} outputs each",
            m.name,
            seqs.len(),
            m.output_len()
        );
    }
}

/// The text output: per timestep `t=…  int […]`, `real […]`, optionally `float […]`; with several
/// sequences each block is headed by `sequence K (SOURCE)`.
struct Printer<'m> {
    m: &'m Model,
    several: bool,
    maxdev: Option<f64>,
}

impl<'m> Printer<'m> {
    fn new(m: &'m Model, n: usize) -> Self {
        Self {
            m,
            several: n > 1,
            maxdev: None,
        }
    }

    fn sequence(
        &mut self,
        k: usize,
        s: &Sequence,
        outputs: &[Vec<i64>],
        fl: Option<&[Vec<f64>]>,
    ) -> Result<()> {
        if self.several {
            outln!("sequence {k} ({}): {} timesteps", s.source, outputs.len());
        }
        for (t, out) in outputs.iter().enumerate() {
            let ints = out
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(" ");
            let reals = out
                .iter()
                .map(|q| format!("{:.4}", output_to_f64(self.m, *q)))
                .collect::<Vec<_>>()
                .join(" ");
            outln!("t={t:<4} int [{ints}]");
            outln!("       real [{reals}]");
            if let Some(f) = fl {
                let fr = f[t]
                    .iter()
                    .map(|v| format!("{v:.4}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                outln!("      float [{fr}]");
                let d = self.maxdev.get_or_insert(0.0);
                for (q, v) in out.iter().zip(&f[t]) {
                    *d = d.max((output_to_f64(self.m, *q) - v).abs());
                }
            }
        }
        Ok(())
    }

    /// The deviation line, if the float reference ran; `who` is `golden` or `board`.
    fn finish(&self, who: &str) -> Result<()> {
        if let Some(d) = self.maxdev {
            outln!("max |{who} - float| = {d:.6}");
        }
        Ok(())
    }
}

/// The JSON output: for one sequence `{model, hash, outputs, outputs_real, float}`, for several
/// `{model, hash, sequences: [{source, outputs, outputs_real, float}, …]}`; `port` and `check`
/// are added by `--port` and `--check`.
fn print_json(
    m: &Model,
    seqs: &[Sequence],
    outputs: &[Vec<Vec<i64>>],
    floats: Option<&[Vec<Vec<f64>>]>,
    port: Value,
    check: Value,
) -> Result<()> {
    let reals = |o: &Vec<Vec<i64>>| -> Vec<Vec<f64>> {
        o.iter()
            .map(|r| r.iter().map(|q| output_to_f64(m, *q)).collect())
            .collect()
    };
    let mut v = if seqs.len() == 1 {
        json!({
            "model": m.name, "hash": m.hash(),
            "outputs": outputs[0],
            "outputs_real": reals(&outputs[0]),
            "float": floats.map(|f| &f[0]),
        })
    } else {
        let list: Vec<Value> = seqs
            .iter()
            .zip(outputs)
            .enumerate()
            .map(|(k, (s, o))| {
                json!({
                    "source": s.source,
                    "outputs": o,
                    "outputs_real": reals(o),
                    "float": floats.map(|f| &f[k]),
                })
            })
            .collect();
        json!({"model": m.name, "hash": m.hash(), "sequences": list})
    };
    if !port.is_null() {
        v["port"] = port;
    }
    if !check.is_null() {
        v["check"] = check;
    }
    outln!("{}", serde_json::to_string_pretty(&v).into_diagnostic()?);
    Ok(())
}

/// The first 8 bytes of a hex model hash: the board top's MODEL_ID.
fn model_id(hash: &str) -> Result<[u8; 8]> {
    let hex: String = hash.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let mut id = [0u8; 8];
    for (i, b) in id.iter_mut().enumerate() {
        *b = hex
            .get(2 * i..2 * i + 2)
            .and_then(|s| u8::from_str_radix(s, 16).ok())
            .ok_or_else(|| {
                miette!(
                    code = "qrnn::internal",
                    "internal error: model hash {hash:?} is not hex"
                )
            })?;
    }
    Ok(id)
}

fn run_board(
    ctx: Ctx,
    a: &Args,
    port: &str,
    m: &Model,
    seqs: &[Sequence],
    floats: Option<&[Vec<Vec<f64>>]>,
) -> Result<()> {
    // refuse inputs outside the format before touching the board
    for s in seqs {
        for (t, row) in s.xq.iter().enumerate() {
            for (index, &value) in row.iter().enumerate() {
                if !m.input.format.contains(value) {
                    let e = GoldenError::Input {
                        t,
                        index,
                        value,
                        format: m.input.format,
                    };
                    return Err(miette::Report::new(e).wrap_err(format!("sequence {}", s.source)));
                }
            }
        }
    }
    let expected = if a.check {
        Some(golden_runs(m, seqs, false)?)
    } else {
        None
    };
    let hash = m.hash();
    let link = SerialLink::open(port, a.baud)?;
    let mut host = Host::new(link, Duration::from_millis(a.timeout_ms));
    let id = host.connect(Some(model_id(&hash)?)).map_err(|e| {
        let mismatch = matches!(e, qrnn_link::protocol::ProtocolError::ModelMismatch { .. });
        let r = miette::Report::new(e);
        if mismatch {
            r.wrap_err(format!(
                "the board on {port} does not run {} (model {}, sha256 {hash})",
                a.model.display(),
                m.name
            ))
        } else {
            r.wrap_err(format!("{port}: PING"))
        }
    })?;
    let l = id.layout;
    if l.in_len != m.input_len() || l.out_len != m.output_len() {
        return Err(miette!(
            code = "qrnn::run::layout",
            "the board on {port} has {} inputs and {} outputs per timestep, the model {} and {}",
            l.in_len,
            l.out_len,
            m.input_len(),
            m.output_len()
        ));
    }
    if !ctx.quiet {
        note!(
            "board on {port}: model {}, {} inputs × {} bits, {} outputs × {} bits, frame timeout {} bit times",
            id.model_hex(),
            l.in_len,
            l.wx,
            l.out_len,
            l.wy,
            id.frame_timeout_bits
        );
    }
    host.reset()
        .map_err(|e| miette::Report::new(e).wrap_err(format!("{port}: RESET")))?;

    if !ctx.quiet && !a.json {
        summary(m, seqs);
    }
    let mut printer = Printer::new(m, seqs.len());
    let mut all = Vec::with_capacity(seqs.len());
    let mut values = 0usize;
    for (k, s) in seqs.iter().enumerate() {
        let mut outs = Vec::with_capacity(s.xq.len());
        for (t, x) in s.xq.iter().enumerate() {
            let y = host.step(t == 0, x).map_err(|e| {
                miette::Report::new(e).wrap_err(format!(
                    "{port}: STEP of sequence {k} ({}), timestep {t}",
                    s.source
                ))
            })?;
            if let Some(exp) = &expected {
                let g = &exp[k].outputs[t];
                if let Some(j) = (0..g.len()).find(|&j| y.get(j) != g.get(j)) {
                    let got = y.get(j).map(|v| v.to_string()).unwrap_or("nothing".into());
                    return Err(miette!(
                        code = "qrnn::run::check",
                        help = "the board runs this model's bitstream (its hash matched), so the hardware \
                                disagrees with the golden model: run `make sim` in the generated project, \
                                and check the board's clock and timing report",
                        "CHECK FAILED: sequence {k} ({}), timestep {t}, element {j}: expected {}, got {got}\n\
                         golden [{}]\n\
                         board  [{}]",
                        s.source,
                        g[j],
                        join(g),
                        join(&y)
                    ));
                }
                values += g.len();
            }
            outs.push(y);
        }
        if !a.json {
            printer.sequence(k, s, &outs, floats.map(|f| &f[k][..]))?;
        }
        all.push(outs);
    }
    let steps: usize = seqs.iter().map(|s| s.xq.len()).sum();
    let check = expected.is_some().then(
        || json!({"pass": true, "sequences": seqs.len(), "timesteps": steps, "values": values}),
    );
    if a.json {
        return print_json(
            m,
            seqs,
            &all,
            floats,
            json!(port),
            check.unwrap_or(Value::Null),
        );
    }
    printer.finish("board")?;
    if check.is_some() {
        outln!(
            "CHECK PASS sequences={} timesteps={steps} values={values}",
            seqs.len()
        );
    }
    Ok(())
}

fn join(v: &[i64]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The integer trace of one timestep flattened in the documented column order: for each layer
/// `pre, gates, [hn], [c], [tanh_c], h`, then the head outputs.
fn flat_row(st: &qrnn_golden::StepTrace) -> Vec<f64> {
    let mut row = Vec::new();
    for l in &st.layers {
        row.extend(l.pre.iter().map(|v| *v as f64));
        row.extend(l.gates.iter().map(|v| *v as f64));
        for o in [&l.hn, &l.c, &l.tanh_c].into_iter().flatten() {
            row.extend(o.iter().map(|v| *v as f64));
        }
        row.extend(l.h.iter().map(|v| *v as f64));
    }
    if let Some(h) = &st.head {
        row.extend(h.iter().map(|v| *v as f64));
    }
    row
}

fn write_trace(p: &Path, run: &Run) -> Result<()> {
    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
    let bytes = match ext {
        "npy" => npy_f64(&run.trace.iter().map(flat_row).collect::<Vec<_>>()),
        "json" => serde_json::to_vec_pretty(&run.trace).into_diagnostic()?,
        _ => return Err(miette!("{}: trace files are .json or .npy", p.display())),
    };
    util::write_out(p, &bytes)
}
