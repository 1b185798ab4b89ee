//! `Model.info()`: the JSON of `qrnn-hw inspect --json` (architecture, shapes, schemes and scales,
//! formats, accumulator widths from interval analysis, provenance, hash).
//!
//! Invariant: the same keys and values as `crates/cli/src/cmd_inspect.rs` prints; the Python
//! test suite compares the two on every bundled model, so a change to one that misses the other
//! fails there. (The JSON is built in the CLI, not in a library: this is its second copy.)

use crate::errors::{Kind, OrPy};
use pyo3::prelude::*;
use qrnn_model::analysis::analyze;
use qrnn_model::Model;
use serde_json::json;

/// The inspect JSON of `m`, as text.
pub fn inspect_json(m: &Model) -> PyResult<String> {
    let ranges = analyze(m).or_py(Kind::ModelFormat)?;
    let layers: Vec<_> = m
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let r = &ranges.layers[l];
            json!({
                "cell": layer.cell.to_string(), "input": m.layer_input_size(l), "hidden": layer.hidden,
                "kernel": layer.kernel,
                "w": {"scheme": layer.w.scheme.to_string(), "shape": layer.w.shape, "scale": layer.w.scale, "bits": layer.w.bits()},
                "u": {"scheme": layer.u.scheme.to_string(), "shape": layer.u.shape, "scale": layer.u.scale, "bits": layer.u.bits()},
                "formats": {"x": m.layer_input_fmt(l).to_string(), "pre": layer.pre.to_string(), "act_frac": layer.act_frac,
                            "c": layer.c_fmt.map(|c| c.to_string()), "h": layer.h_fmt.to_string(), "bias": layer.bias_fmt.to_string()},
                "widths": {"acc_w": r.acc_w.width(), "acc_u": r.acc_u.width(), "pre_sum": r.pre_sum.width(),
                           "c_sum": r.c_sum.map(|i| i.width()), "hn_sum": r.hn_sum.map(|i| i.width()),
                           "n_sum": r.n_sum.map(|i| i.width()), "h_sum": r.h_sum.width()},
            })
        })
        .collect();
    let head = m.head.as_ref().map(|h| {
        json!({"outputs": h.outputs(), "scheme": h.w.scheme.to_string(), "scale": h.w.scale, "bits": h.w.bits(),
               "bias": h.bias_fmt.to_string(), "output": h.out_fmt.to_string(),
               "widths": ranges.head.as_ref().map(|r| json!({"acc": r.acc.width(), "sum": r.sum.width()}))})
    });
    let v = json!({
        "name": m.name, "hash": m.hash(),
        "input": {"size": m.input.size, "map": m.input.map, "format": m.input.format.to_string()},
        "layers": layers, "head": head, "weight_bits": m.weight_bits(), "provenance": m.provenance,
    });
    Ok(v.to_string())
}
