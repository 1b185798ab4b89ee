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
