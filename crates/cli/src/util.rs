//! Small helpers shared by subcommands: loading a model with a good error, writing outputs to a
//! file (atomically) or stdout.

use miette::{IntoDiagnostic, Result, WrapErr};
use qrnn_model::Model;
use std::io::Write;
use std::path::Path;

/// Load and validate a model (binary `.qw` or text twin).
pub fn load_model(path: &Path) -> Result<Model> {
    Ok(Model::load(path)?)
}

/// Write bytes to `path` atomically, or to stdout when `path` is `-`.
pub fn write_out(path: &Path, bytes: &[u8]) -> Result<()> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)
            .into_diagnostic()
            .wrap_err("writing to stdout")?;
        return out.flush().into_diagnostic();
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
