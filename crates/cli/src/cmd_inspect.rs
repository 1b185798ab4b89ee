//! `qrnn-hw inspect MODEL`: a human summary (or `--json`) of a model: architecture, shapes,
//! schemes and scales, formats, accumulator widths from interval analysis, memory, provenance, hash.

use crate::{util, Ctx};
use miette::{IntoDiagnostic, Result};
use qrnn_model::analysis::analyze;
use qrnn_model::{Model, Weights};
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file (.qw or .qw.toml).
    model: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn scale_str(w: &Weights) -> String {
    if w.scale.is_pow2() {
        format!("2^{}", -w.scale.shift)
    } else if w.scale.mult.len() == 1 {
        format!("{}·2^{}", w.scale.mult[0], -w.scale.shift)
    } else {
        format!("m[row]·2^{}", -w.scale.shift)
    }
}

fn shape_str(s: &[usize]) -> String {
    s.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×")
}

/// Run `inspect`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    let m = util::load_model(ctx, &a.model)?;
    let ranges = analyze(&m)?;
    let hash = m.hash();
    if a.json {
        let v = qrnn_model::analysis::inspect_json(&m, &ranges);
        outln!("{}", serde_json::to_string_pretty(&v).into_diagnostic()?);
        return Ok(());
    }
    out!("{}", render(&m, &hash, &ranges));
    Ok(())
}

fn render(m: &Model, hash: &str, ranges: &qrnn_model::analysis::Ranges) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "model   {}", m.name);
    let _ = writeln!(s, "hash    sha256:{hash}");
    let input = match m.input.map {
        Some((h, w)) => format!(
            "{h}×{w} frames, {} channels, {}",
            m.input.size, m.input.format
        ),
        None => format!("{} features per timestep, {}", m.input.size, m.input.format),
    };
    let _ = writeln!(s, "input   {input}");
    let _ = writeln!(s, "\nlayers");
    let _ = writeln!(s, "  #  cell      shape      W (scheme, shape, scale)          U (scheme, shape, scale)          bias          pre         Fa  c             h");
    for (l, layer) in m.layers.iter().enumerate() {
        let io = format!(
            "{}→{}{}",
            m.layer_input_size(l),
            layer.hidden,
            if layer.kernel > 1 {
                format!(" k{}", layer.kernel)
            } else {
                String::new()
            }
        );
        let w = format!(
            "{} {} {}",
            layer.w.scheme,
            shape_str(&layer.w.shape),
            scale_str(&layer.w)
        );
        let u = format!(
            "{} {} {}",
            layer.u.scheme,
            shape_str(&layer.u.shape),
            scale_str(&layer.u)
        );
        let c = layer
            .c_fmt
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "  {l:<2} {:<9} {io:<10} {w:<33} {u:<33} {:<13} {:<11} {:<3} {c:<13} {}",
            layer.cell.to_string(),
            layer.bias_fmt.to_string(),
            layer.pre.to_string(),
            layer.act_frac,
            layer.h_fmt
        );
    }
    let _ = writeln!(s, "\nwidths (bits, interval analysis, NUMERICS.md §5.1)");
    let _ = writeln!(
        s,
        "  #  acc W·x  acc U·h  pre sum  c sum  hn sum  n sum  h sum"
    );
    let o = |i: Option<qrnn_model::Interval>| {
        i.map(|i| i.width().to_string())
            .unwrap_or_else(|| "-".into())
    };
    for (l, r) in ranges.layers.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {l:<2} {:<8} {:<8} {:<8} {:<6} {:<7} {:<6} {}",
            r.acc_w.width(),
            r.acc_u.width(),
            r.pre_sum.width(),
            o(r.c_sum),
            o(r.hn_sum),
            o(r.n_sum),
            r.h_sum.width()
        );
    }
    if let Some(h) = &m.head {
        let _ = writeln!(
            s,
            "\nhead    {} outputs{}, {} {} {}, bias {}, output {}{}",
            h.outputs(),
            if m.is_conv() {
                " per pixel (1×1 conv)"
            } else {
                ""
            },
            h.w.scheme,
            shape_str(&h.w.shape),
            scale_str(&h.w),
            h.bias_fmt,
            h.out_fmt,
            ranges
                .head
                .as_ref()
                .map(|r| format!(", acc {} bits, sum {} bits", r.acc.width(), r.sum.width()))
                .unwrap_or_default()
        );
    }
    let tables: usize = m
        .layers
        .iter()
        .map(|l| 2 * (1usize << l.pre.width) * 16)
        .sum();
    let _ = writeln!(
        s,
        "\nmemory  weights {} bits ({} bytes packed), σ/tanh tables {} bits",
        m.weight_bits(),
        m.weight_bits().div_ceil(8),
        tables
    );
    let p = &m.provenance;
    let _ = writeln!(s, "\nprovenance");
    let _ = writeln!(
        s,
        "  tool     {}",
        if p.tool.is_empty() { "-" } else { &p.tool }
    );
    if let Some(d) = &p.dataset {
        let _ = writeln!(s, "  dataset  {d}");
    }
    if let Some(t) = &p.task {
        let _ = writeln!(s, "  task     {t}");
    }
    if let Some(v) = p.seed {
        let _ = writeln!(s, "  seed     {v}");
    }
    if let Some(v) = p.epochs {
        let _ = writeln!(s, "  epochs   {v}");
    }
    for (k, v) in &p.metrics {
        let _ = writeln!(s, "  {k:<8} {v}");
    }
    if let Some(n) = &p.notes {
        let _ = writeln!(s, "  notes    {n}");
    }
    s
}
