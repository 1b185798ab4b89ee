//! `qrnn-hw example`: a model with random but valid weights, deterministic for its seed.

use crate::Ctx;
use miette::{miette, Result};
use qrnn_model::example::{example, random_inputs, ExampleSpec, Formats};
use qrnn_model::model::{MAX_DIM, MAX_TENSOR_ELEMENTS};
use qrnn_model::{ActFmt, Cell, Fmt, Scheme};
use std::path::PathBuf;

/// Arguments of `example`.
#[derive(clap::Args)]
pub struct Args {
    /// Cell: lstm, gru or convlstm.
    #[arg(long, default_value = "lstm", value_parser = parse::<Cell>)]
    cell: Cell,
    /// Weight scheme: binary, ternary, quaternary, int2..int8.
    #[arg(long, default_value = "ternary", value_parser = parse::<Scheme>)]
    quant: Scheme,
    /// Hidden size per layer; a comma list makes a stack (e.g. 32,16).
    #[arg(long, default_value = "16", value_delimiter = ',')]
    hidden: Vec<usize>,
    /// Input features per timestep (channels per pixel for ConvLSTM).
    #[arg(long, default_value_t = 4)]
    input: usize,
    /// Add a dense head with this many outputs.
    #[arg(long)]
    head: Option<usize>,
    /// ConvLSTM frame size, HxW.
    #[arg(long, default_value = "8x8", value_parser = parse_map)]
    map: (usize, usize),
    /// ConvLSTM kernel size (odd).
    #[arg(long, default_value_t = 3)]
    kernel: usize,
    /// 1-bit {-1,+1} activations for the input and every hidden state (XNOR/popcount).
    #[arg(long)]
    binary_act: bool,
    /// Input format (ignored with --binary-act).
    #[arg(long, default_value = "fixed<8,6>", value_parser = parse::<Fmt>)]
    x_format: Fmt,
    /// Hidden-state format (ignored with --binary-act).
    #[arg(long, default_value = "fixed<8,7>", value_parser = parse::<Fmt>)]
    h_format: Fmt,
    /// Cell-state format.
    #[arg(long, default_value = "fixed<16,11>", value_parser = parse::<Fmt>)]
    c_format: Fmt,
    /// Pre-activation format (σ/tanh table index; width ≤ 12).
    #[arg(long, default_value = "fixed<8,4>", value_parser = parse::<Fmt>)]
    pre_format: Fmt,
    /// Fraction bits of gate values.
    #[arg(long, default_value_t = 7)]
    act_frac: u32,
    /// Per-row scale multipliers instead of power-of-two scales.
    #[arg(long)]
    per_row_scale: bool,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output model file (.qw, or .qw.toml for the text twin).
    #[arg(short, long, default_value = "example.qw")]
    output: PathBuf,
    /// Model name: 1 to 64 characters from A-Z a-z 0-9 _ . - (docs/CLI.md#names); default:
    /// `example-CELL-SCHEME-hHIDDEN-sSEED`.
    #[arg(long)]
    name: Option<String>,
    /// Also write a random input sequence of this many timesteps (JSON) to --sequence-out.
    #[arg(long, default_value_t = 8)]
    steps: usize,
    /// Where to write the random input sequence (JSON), if wanted.
    #[arg(long)]
    sequence_out: Option<PathBuf>,
}

fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

fn parse_map(s: &str) -> Result<(usize, usize), String> {
    let (h, w) = s
        .split_once('x')
        .ok_or_else(|| format!("expected HxW, e.g. 8x8, found {s:?}"))?;
    let p = |v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| format!("{v:?} in {s:?} is not a number"))
    };
    Ok((p(h)?, p(w)?))
}

/// Refuse sizes that cannot make a loadable model before allocating anything: `example` builds
/// the whole model in memory before [`qrnn_model::Model::validate`] sees it, so a large `--hidden`
/// or `--pre-format` width would otherwise abort on allocation, and a tensor over the reader's
/// element limit would be written but could not be read back. Returns the number of weights.
fn check_sizes(a: &Args) -> Result<u64> {
    if a.hidden.len() > 64 {
        return Err(miette!(
            "--hidden lists {} layers; at most 64 are supported",
            a.hidden.len()
        ));
    }
    if !(2..=12).contains(&a.pre_format.width) {
        return Err(miette!(
            "--pre-format {}: the width must be 2..=12 (it indexes a table of 2^W entries)",
            a.pre_format
        ));
    }
    let conv = a.cell == Cell::ConvLstm;
    let mut dims = vec![("--input", a.input)];
    dims.extend(a.hidden.iter().map(|h| ("--hidden", *h)));
    dims.extend(a.head.map(|o| ("--head", o)));
    if conv {
        dims.extend([
            ("--map", a.map.0),
            ("--map", a.map.1),
            ("--kernel", a.kernel),
        ]);
    }
    if let Some((opt, v)) = dims.into_iter().find(|(_, v)| *v > MAX_DIM) {
        return Err(miette!("{opt} {v} is larger than {MAX_DIM}"));
    }
    let k = if conv { a.kernel } else { 1 };
    let mut tensors = Vec::new();
    let mut fan_in = a.input;
    for (l, &h) in a.hidden.iter().enumerate() {
        let rows = a.cell.gates() * h;
        tensors.push((format!("layer{l}.w"), rows * fan_in * k * k));
        tensors.push((format!("layer{l}.u"), rows * h * k * k));
        fan_in = h;
    }
    if let Some(o) = a.head {
        tensors.push(("head.w".into(), o * fan_in));
    }
    if let Some((name, n)) = tensors.iter().find(|(_, n)| *n > MAX_TENSOR_ELEMENTS) {
        return Err(miette!(
            "tensor {name} would have {n} weights, more than the {MAX_TENSOR_ELEMENTS} a .qw tensor may hold; use smaller --hidden/--input"
        ));
    }
    if a.sequence_out.is_some() {
        let px = if conv { a.map.0 * a.map.1 } else { 1 };
        let n = a.steps.checked_mul(px * a.input);
        if n.is_none_or(|n| n > MAX_TENSOR_ELEMENTS) {
            return Err(miette!(
                "--steps {} × {} input values per timestep is more than {MAX_TENSOR_ELEMENTS} values",
                a.steps,
                px * a.input
            ));
        }
    }
    Ok(tensors
        .iter()
        .fold(0u64, |s, (_, n)| s.saturating_add(*n as u64)))
}

/// Memory per value of `--sequence-out`: the real and its pretty-printed JSON (measured, release
/// build: 44 bytes a value, 4 M values of `--steps 1000000 --input 4`), with room.
const MEMORY_PER_SEQUENCE_VALUE: u64 = 64;

/// Run `example`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    // The naming rule (docs/CLI.md#names), before any work.
    if let Some(n) = &a.name {
        qrnn_model::name::check_name("--name", n)?;
    }
    let weights = check_sizes(&a)?;
    // The model is held in memory (a byte a weight) and written (the text twin is streamed);
    // the random sequence is held as reals and as its JSON text.
    let seq_values = match &a.sequence_out {
        Some(_) => {
            let px = if a.cell == Cell::ConvLstm {
                a.map.0 * a.map.1
            } else {
                1
            };
            (a.steps * px * a.input) as u64
        }
        None => 0,
    };
    ctx.budget.memory(
        &format!("example: a model of {weights} weights"),
        qrnn_model::qw::model_memory_estimate(weights, a.quant.bits())
            .saturating_add(seq_values.saturating_mul(MEMORY_PER_SEQUENCE_VALUE)),
        "use a smaller --hidden, --input or --head, or fewer layers",
    )?;
    let formats = Formats {
        x: if a.binary_act {
            ActFmt::Binary
        } else {
            ActFmt::Fixed(a.x_format)
        },
        h: if a.binary_act {
            ActFmt::Binary
        } else {
            ActFmt::Fixed(a.h_format)
        },
        c: a.c_format,
        pre: a.pre_format,
        act_frac: a.act_frac,
        ..Formats::default()
    };
    let spec = ExampleSpec {
        cell: a.cell,
        scheme: a.quant,
        input: a.input,
        hidden: a.hidden,
        head: a.head,
        kernel: a.kernel,
        map: Some(a.map),
        formats,
        per_row_mult: a.per_row_scale,
        seed: a.seed,
    };
    let mut model = example(&spec);
    if let Some(n) = a.name {
        model.name = n;
    }
    model
        .validate()
        .map_err(|e| miette::Report::new(e).wrap_err("these options do not make a valid model"))?;
    model.save(&a.output)?;
    if let Some(p) = &a.sequence_out {
        let seq = random_inputs(&model, a.steps, a.seed);
        let json = serde_json::to_string_pretty(&seq)
            .map_err(|e| miette!(code = "qrnn::internal", "internal error: {e}"))?;
        crate::util::write_out(p, json.as_bytes())?;
    }
    if !ctx.quiet {
        note!(
            "wrote {} ({}, {} {} weights, {} weight bits, hash {})",
            a.output.display(),
            model.name,
            spec.scheme,
            model
                .layers
                .iter()
                .map(|l| l.w.codes.len() + l.u.codes.len())
                .sum::<usize>(),
            model.weight_bits(),
            &model.hash()[..16]
        );
        if let Some(p) = &a.sequence_out {
            note!(
                "wrote {} ({} timesteps of {} values)",
                p.display(),
                a.steps,
                model.input_len()
            );
        }
    }
    Ok(())
}
