//! `Model.info()`: the JSON of `qrnn-hw inspect --json` (architecture, shapes, schemes and scales,
//! formats, accumulator widths from interval analysis, provenance, hash), made by
//! [`qrnn_model::analysis::inspect_json`] as the CLI makes it.

use crate::errors::{Kind, OrPy};
use pyo3::prelude::*;
use qrnn_model::analysis::{analyze, inspect_json as summary};
use qrnn_model::Model;

/// The inspect JSON of `m`, as text.
pub fn inspect_json(m: &Model) -> PyResult<String> {
    let ranges = analyze(m).or_py(Kind::ModelFormat)?;
    Ok(summary(m, &ranges).to_string())
}
