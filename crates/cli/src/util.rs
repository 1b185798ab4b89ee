//! Small helpers shared by subcommands: loading a model with a good error, writing outputs to a
//! file (atomically) or stdout.

use miette::Result;
use qrnn_model::Model;
use std::path::Path;

/// A generator error about the model at `path` as a diagnostic naming the file, with the
/// generator's code (`qrnn::rtl::internal` exits 3) and help.
pub fn rtl_error(path: &Path, e: qrnn_rtl::RtlError) -> miette::Report {
    use miette::Diagnostic;
    let mut d =
        miette::MietteDiagnostic::new(format!("{}: cannot generate hardware: {e}", path.display()));
    if let Some(c) = e.code() {
        d = d.with_code(c.to_string());
    }
    if let Some(h) = e.help() {
        d = d.with_help(h.to_string());
    }
    miette::Report::new(d)
}

/// Load and validate a model (binary `.qw` or text twin).
///
/// The memory reading takes is estimated from the file's size and first bytes and checked
/// against `--max-memory` before it is read (docs/CLI.md "Budgets").
pub fn load_model(ctx: crate::Ctx, path: &Path) -> Result<Model> {
    check_model_file(ctx, path, "reading")?;
    Ok(Model::load(path)?)
}

/// Refuse a model file whose reading would exceed `--max-memory` (`what`: what is done with it).
pub fn check_model_file(ctx: crate::Ctx, path: &Path, what: &str) -> Result<()> {
    // a file that cannot be examined is reported by the reader, with its reason
    if let Ok(estimate) = qrnn_model::qw::file_memory_estimate(path) {
        ctx.budget.memory(
            &format!("{}: {what} this model", path.display()),
            estimate,
            "use a smaller model",
        )?;
    }
    Ok(())
}

/// Write bytes to `path` atomically, or to stdout when `path` is `-`.
pub fn write_out(path: &Path, bytes: &[u8]) -> Result<()> {
    if path == Path::new("-") {
        return crate::out::write_bytes(bytes);
    }
    Ok(qrnn_model::qw::write_atomic(path, bytes)?)
}

/// `--threshold` of `import` and `train`: `twn` (Δ = 0.7·mean|w|) or a fixed Δ ≥ 0.
pub fn parse_threshold(s: &str) -> std::result::Result<qrnn_train::quant::Threshold, String> {
    use qrnn_train::quant::Threshold;
    if s == "twn" {
        return Ok(Threshold::Twn);
    }
    match s.parse::<f64>() {
        Ok(d) if d.is_finite() && d >= 0.0 => Ok(Threshold::Fixed(d)),
        _ => Err(format!(
            "expected `twn` or a number ≥ 0 (e.g. 0.05), found {s:?}"
        )),
    }
}

/// `--reference` of `import` and `train`: the scale r of the thresholds, `max` or `unit`.
pub fn parse_reference(s: &str) -> std::result::Result<qrnn_train::quant::Reference, String> {
    use qrnn_train::quant::Reference;
    match s {
        "max" => Ok(Reference::Max),
        "unit" => Ok(Reference::Unit),
        _ => Err(format!("expected `max` or `unit`, found {s:?}")),
    }
}

/// `--alpha` of `import` and `train`: the scale rule, `l2` (L2-optimal) or `one`.
pub fn parse_alpha(s: &str) -> std::result::Result<qrnn_train::quant::AlphaRule, String> {
    use qrnn_train::quant::AlphaRule;
    match s {
        "l2" => Ok(AlphaRule::L2),
        "one" => Ok(AlphaRule::One),
        _ => Err(format!("expected `l2` or `one`, found {s:?}")),
    }
}
