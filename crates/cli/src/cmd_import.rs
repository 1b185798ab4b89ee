//! `qrnn-hw import`: a PyTorch `nn.LSTM`/`nn.GRU` (+ `nn.Linear`) state dict from `.safetensors`
//! or `.npz`, quantized after training with the paper's quantizers, written as `.qw`
//! (docs/QUANTIZATION.md §7, docs/CLI.md#import).

use crate::{util, Ctx};
use miette::{miette, Result};
use qrnn_model::example::Formats;
use qrnn_model::{ActFmt, Cell, Fmt, Scheme};
use qrnn_train::import::{import, HeadChoice, ModelOptions, NetOptions};
use qrnn_train::quant::{AlphaRule, QuantSpec, Reference, Threshold};
use std::path::PathBuf;

/// Arguments of `import`.
#[derive(clap::Args)]
pub struct Args {
    /// The state dict: .safetensors, or .npz (numpy.savez) with PyTorch's tensor names.
    file: PathBuf,
    /// Output model file (.qw, or .qw.toml for the text twin); default: FILE's stem + .qw.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Weight scheme of the input and recurrent weights: binary, ternary or quaternary
    /// [default: ternary; binary with --larq-bits].
    #[arg(long, value_parser = parse_scheme)]
    quant: Option<Scheme>,
    /// Ternary threshold: `twn` (Δ = 0.7·mean|w|) or a number Δ (|w| ≤ Δ·r → 0).
    #[arg(long, default_value = "twn", value_parser = util::parse_threshold)]
    threshold: Threshold,
    /// Reference scale r of the thresholds: `max` (max|w| of the group) or `unit` (r = 1).
    #[arg(long, default_value = "max", value_parser = util::parse_reference)]
    reference: Reference,
    /// Scale rule: `l2` (optimal for the codes) or `one` (α = 1).
    #[arg(long, default_value = "l2", value_parser = util::parse_alpha)]
    alpha: AlphaRule,
    /// One scale per output row instead of one per tensor.
    #[arg(long)]
    per_row: bool,
    /// Round scales to powers of two (multiplier-free requantization).
    #[arg(long)]
    pow2: bool,
    /// Stochastic BinaryConnect with this seed (binary only) instead of sign(w).
    #[arg(long, value_name = "SEED")]
    stochastic: Option<u64>,
    /// Quantize the biases with the scheme too (one scale per bias vector).
    #[arg(long)]
    quant_bias: bool,
    /// Quantize the dense head with the scheme (default: int8, the multiplier baseline).
    #[arg(long)]
    quant_head: bool,
    /// Accept Larq bit-packed binary weights `<name>.packed` (bit 1 = −1); implies binary.
    #[arg(long)]
    larq_bits: bool,
    /// Prefix of the recurrent tensors (e.g. `lstm.`); default: found from `…weight_ih_l0`.
    #[arg(long)]
    rnn_prefix: Option<String>,
    /// Prefix of the nn.Linear head (`fc` for fc.weight, fc.bias); default: the one other
    /// `<prefix>.weight` in the file, if any.
    #[arg(long, conflicts_with = "no_head")]
    head_prefix: Option<String>,
    /// Import no head, even if the file has one.
    #[arg(long)]
    no_head: bool,
    /// Require this cell (lstm or gru); default: from the shape of weight_hh_l0.
    #[arg(long, value_parser = parse_cell)]
    cell: Option<Cell>,
    /// Model name: 1 to 64 characters from A-Z a-z 0-9 _ . - (docs/CLI.md#names); default: FILE's
    /// stem, made valid.
    #[arg(long)]
    name: Option<String>,
    /// Input format (or `binary`).
    #[arg(long, default_value = "fixed<8,6>", value_parser = parse::<ActFmt>)]
    x_format: ActFmt,
    /// Hidden-state format (or `binary`).
    #[arg(long, default_value = "fixed<8,7>", value_parser = parse::<ActFmt>)]
    h_format: ActFmt,
    /// Cell-state format (LSTM).
    #[arg(long, default_value = "fixed<16,11>", value_parser = parse::<Fmt>)]
    c_format: Fmt,
    /// Pre-activation format (σ/tanh table index; width ≤ 12).
    #[arg(long, default_value = "fixed<8,4>", value_parser = parse::<Fmt>)]
    pre_format: Fmt,
    /// Fraction bits of gate values.
    #[arg(long, default_value_t = 7)]
    act_frac: u32,
    /// Bias format: `auto` (fixed<16,F>, the largest F ≤ 12 that holds every bias of the layer)
    /// or a format for every bias.
    #[arg(long, default_value = "auto", value_parser = parse_bias)]
    bias_format: BiasFormat,
    /// Head output format.
    #[arg(long, default_value = "fixed<16,8>", value_parser = parse::<Fmt>)]
    out_format: Fmt,
    /// Print what was imported as JSON on stdout.
    #[arg(long)]
    json: bool,
}

fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    match s.parse::<Scheme>()? {
        Scheme::Int(_) => Err(format!(
            "{s}: import quantizes to the paper's schemes: binary, ternary or quaternary"
        )),
        x => Ok(x),
    }
}

fn parse_cell(s: &str) -> Result<Cell, String> {
    match s.parse::<Cell>()? {
        Cell::ConvLstm => Err("import reads nn.LSTM and nn.GRU: lstm or gru".into()),
        c => Ok(c),
    }
}

/// `--bias-format`: `auto` or one format.
#[derive(Clone, Copy, Debug)]
enum BiasFormat {
    Auto,
    Fixed(Fmt),
}

fn parse_bias(s: &str) -> Result<BiasFormat, String> {
    if s == "auto" {
        Ok(BiasFormat::Auto)
    } else {
        s.parse::<Fmt>()
            .map(BiasFormat::Fixed)
            .map_err(|e| format!("{e} (or `auto`)"))
    }
}

/// Run `import`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    // The naming rule (docs/CLI.md#names), before any work.
    if let Some(n) = &a.name {
        qrnn_model::name::check_name("--name", n)?;
    }
    let scheme = match (a.quant, a.larq_bits) {
        (Some(s), true) if s != Scheme::Binary => {
            return Err(miette!(
                "--larq-bits gives binary weights: use --quant binary (or leave --quant out), not --quant {s}"
            ))
        }
        (Some(s), _) => s,
        (None, true) => Scheme::Binary,
        (None, false) => Scheme::Ternary,
    };
    let spec = QuantSpec {
        scheme,
        stochastic_seed: a.stochastic,
        threshold: a.threshold,
        reference: a.reference,
        alpha: a.alpha,
        per_row: a.per_row,
        pow2: a.pow2,
        bias: a.quant_bias,
        head: a.quant_head,
    };
    spec.validate()
        .map_err(|e| miette!("these options make no quantization: {e}"))?;
    let net_opts = NetOptions {
        rnn_prefix: a.rnn_prefix.clone(),
        head: if a.no_head {
            HeadChoice::None
        } else {
            a.head_prefix
                .clone()
                .map(HeadChoice::Prefix)
                .unwrap_or_default()
        },
        larq_bits: a.larq_bits,
        cell: a.cell,
    };
    let model_opts = ModelOptions {
        quant: spec,
        formats: Formats {
            x: a.x_format,
            h: a.h_format,
            c: a.c_format,
            pre: a.pre_format,
            act_frac: a.act_frac,
            bias: match a.bias_format {
                BiasFormat::Fixed(f) => f,
                BiasFormat::Auto => Formats::default().bias,
            },
            out: a.out_format,
        },
        auto_bias: matches!(a.bias_format, BiasFormat::Auto),
        name: a.name.clone(),
    };
    let imp = import(&a.file, &net_opts, &model_opts)?;
    let out = a.output.clone().unwrap_or_else(|| {
        let stem = a
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "imported".into());
        PathBuf::from(format!("{stem}.qw"))
    });
    let m = &imp.model;
    m.save(&out)?;
    let hash = m.hash();
    if a.json {
        let j = serde_json::json!({
            "output": out.display().to_string(),
            "name": m.name,
            "cell": imp.net.cell.to_string(),
            "input": imp.net.input,
            "hidden": imp.net.layers.iter().map(|l| l.hidden).collect::<Vec<_>>(),
            "head_outputs": m.head.as_ref().map(|h| h.outputs()),
            "import": imp.record,
            "quant": model_opts.quant,
            "rel_errors": imp.errors,
            "weight_bits": m.weight_bits(),
            "hash": hash,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&j)
                .map_err(|e| miette!(code = "qrnn::internal", "internal error: {e}"))?
        );
    }
    if !ctx.quiet {
        let r = &imp.record;
        let n = imp.net.layers.len();
        note!(
            "read {} ({}, sha256 {}…): {}, {n} layer{}, input {}, hidden {}{}",
            a.file.display(),
            serde_json::to_value(r.format)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            &r.sha256[..16],
            imp.net.cell.to_string().to_uppercase(),
            if n == 1 { "" } else { "s" },
            imp.net.input,
            imp.net
                .layers
                .iter()
                .map(|l| l.hidden.to_string())
                .collect::<Vec<_>>()
                .join(","),
            match &imp.net.head {
                Some(h) => format!(", head `{}` with {} outputs", h.prefix, h.weight.rows),
                None => String::new(),
            }
        );
        for e in &imp.errors {
            note!("  {:<24} relative L2 error {:.4}", e.tensor, e.rel_error);
        }
        if !r.ignored.is_empty() {
            note!("ignored tensors: {}", r.ignored.join(", "));
        }
        note!(
            "wrote {} ({}, {} weights, {} weight bits, hash {})",
            out.display(),
            m.name,
            scheme,
            m.weight_bits(),
            &hash[..16]
        );
    }
    Ok(())
}
