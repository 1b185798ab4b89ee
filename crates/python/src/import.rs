//! `qrnn.import_state_dict()` and `qrnn.import_file()`: a PyTorch `nn.LSTM`/`nn.GRU` (+
//! `nn.Linear`) state dict, quantized after training, as `qrnn-hw import` does it
//! (`qrnn_train::import::import`, docs/QUANTIZATION.md §7).
//!
//! A state dict given as tensors (from numpy: name, dtype, shape, little-endian bytes) is
//! serialised as safetensors by the `safetensors` crate — the same serialiser as Python's
//! `safetensors.numpy.save_file`, so a dict read from a `.safetensors` file gives back the file's
//! bytes — into a temporary `SOURCE.safetensors`, and imported from there. The model's provenance
//! thus records `SOURCE.safetensors` and that serialisation's sha256, and equals what
//! `qrnn-hw import SOURCE.safetensors` writes for the same tensors: no second import path.
//!
//! Options arrive as one JSON object whose keys are the CLI's option names (`x_format` for
//! `--x-format`), unknown keys refused.

use crate::errors::{plain, to_py, to_py_shown, Kind, OrPy};
use crate::PyModel;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use qrnn_model::example::Formats;
use qrnn_model::{ActFmt, Cell, Fmt, Scheme};
use qrnn_train::import::{import, HeadChoice, Imported, ModelOptions, NetOptions};
use qrnn_train::quant::{AlphaRule, QuantSpec, Reference, Threshold};
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The options of `qrnn-hw import`, by their CLI names; defaults as there.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ImportArgs {
    quant: Option<String>,
    /// `twn` or a number.
    threshold: serde_json::Value,
    reference: String,
    alpha: String,
    per_row: bool,
    pow2: bool,
    stochastic: Option<u64>,
    quant_bias: bool,
    quant_head: bool,
    larq_bits: bool,
    rnn_prefix: Option<String>,
    head_prefix: Option<String>,
    no_head: bool,
    cell: Option<String>,
    name: Option<String>,
    x_format: String,
    h_format: String,
    c_format: String,
    pre_format: String,
    act_frac: u32,
    bias_format: String,
    out_format: String,
}

impl Default for ImportArgs {
    fn default() -> ImportArgs {
        ImportArgs {
            quant: None,
            threshold: json!("twn"),
            reference: "max".into(),
            alpha: "l2".into(),
            per_row: false,
            pow2: false,
            stochastic: None,
            quant_bias: false,
            quant_head: false,
            larq_bits: false,
            rnn_prefix: None,
            head_prefix: None,
            no_head: false,
            cell: None,
            name: None,
            x_format: "fixed<8,6>".into(),
            h_format: "fixed<8,7>".into(),
            c_format: "fixed<16,11>".into(),
            pre_format: "fixed<8,4>".into(),
            act_frac: 7,
            bias_format: "auto".into(),
            out_format: "fixed<16,8>".into(),
        }
    }
}

/// An option value parsed by its type's `FromStr` (the CLI's value parser), or [`Kind::Option`].
pub(crate) fn parse_opt<T: std::str::FromStr<Err = String>>(key: &str, s: &str) -> PyResult<T> {
    s.parse::<T>()
        .map_err(|m| plain(Kind::Option, "qrnn::option", format!("{key} {s:?}: {m}")))
}

/// A lower-case serde name (`max`, `l2`, …) as its enum.
pub(crate) fn parse_serde<T: serde::de::DeserializeOwned>(
    key: &str,
    s: &str,
    expected: &str,
) -> PyResult<T> {
    serde_json::from_value(json!(s)).map_err(|_| {
        plain(
            Kind::Option,
            "qrnn::option",
            format!("{key} {s:?}: expected {expected}"),
        )
    })
}

/// `threshold`: `"twn"` or a number ≥ 0.
pub(crate) fn parse_threshold(v: &serde_json::Value) -> PyResult<Threshold> {
    match v {
        serde_json::Value::String(s) if s == "twn" => Ok(Threshold::Twn),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(d) if d.is_finite() && d >= 0.0 => Ok(Threshold::Fixed(d)),
            _ => Err(plain(
                Kind::Option,
                "qrnn::option",
                format!("threshold {n}: expected `twn` or a number ≥ 0"),
            )),
        },
        other => Err(plain(
            Kind::Option,
            "qrnn::option",
            format!("threshold {other}: expected `twn` or a number ≥ 0 (e.g. 0.05)"),
        )),
    }
}

/// The options of the options object.
fn options(opts: &str) -> PyResult<(NetOptions, ModelOptions)> {
    let a: ImportArgs = serde_json::from_str(opts)
        .map_err(|e| plain(Kind::Option, "qrnn::option", format!("import options: {e}")))?;
    if let Some(n) = &a.name {
        qrnn_model::name::check_name("name", n).or_py(Kind::Option)?;
    }
    let quant = match &a.quant {
        Some(s) => match parse_opt::<Scheme>("quant", s)? {
            Scheme::Int(_) => {
                return Err(plain(
                    Kind::Option,
                    "qrnn::option",
                    format!("quant {s:?}: import quantizes to the paper's schemes: binary, ternary or quaternary"),
                ))
            }
            x => Some(x),
        },
        None => None,
    };
    let scheme = match (quant, a.larq_bits) {
        (Some(s), true) if s != Scheme::Binary => {
            return Err(plain(
                Kind::Option,
                "qrnn::option",
                format!("larq_bits gives binary weights: use quant=\"binary\" (or leave quant out), not {s}"),
            ))
        }
        (Some(s), _) => s,
        (None, true) => Scheme::Binary,
        (None, false) => Scheme::Ternary,
    };
    let cell = match &a.cell {
        Some(s) => match parse_opt::<Cell>("cell", s)? {
            Cell::ConvLstm => {
                return Err(plain(
                    Kind::Option,
                    "qrnn::option",
                    "cell: import reads nn.LSTM and nn.GRU: lstm or gru",
                ))
            }
            c => Some(c),
        },
        None => None,
    };
    if a.no_head && a.head_prefix.is_some() {
        return Err(plain(
            Kind::Option,
            "qrnn::option",
            "head_prefix and no_head contradict each other",
        ));
    }
    let spec = QuantSpec {
        scheme,
        stochastic_seed: a.stochastic,
        threshold: parse_threshold(&a.threshold)?,
        reference: parse_serde::<Reference>("reference", &a.reference, "max or unit")?,
        alpha: parse_serde::<AlphaRule>("alpha", &a.alpha, "l2 or one")?,
        per_row: a.per_row,
        pow2: a.pow2,
        bias: a.quant_bias,
        head: a.quant_head,
    };
    spec.validate().map_err(|e| {
        plain(
            Kind::Option,
            "qrnn::option",
            format!("these options make no quantization: {e}"),
        )
    })?;
    let net = NetOptions {
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
        cell,
    };
    let auto_bias = a.bias_format == "auto";
    let model = ModelOptions {
        quant: spec,
        formats: Formats {
            x: parse_opt::<ActFmt>("x_format", &a.x_format)?,
            h: parse_opt::<ActFmt>("h_format", &a.h_format)?,
            c: parse_opt::<Fmt>("c_format", &a.c_format)?,
            pre: parse_opt::<Fmt>("pre_format", &a.pre_format)?,
            act_frac: a.act_frac,
            bias: if auto_bias {
                Formats::default().bias
            } else {
                parse_opt::<Fmt>("bias_format", &a.bias_format)?
            },
            out: parse_opt::<Fmt>("out_format", &a.out_format)?,
        },
        auto_bias,
        name: a.name.clone(),
    };
    Ok((net, model))
}

/// What `import --json` prints (without `output`), as JSON text.
fn summary(imp: &Imported, opts: &ModelOptions) -> String {
    let m = &imp.model;
    json!({
        "name": m.name,
        "cell": imp.net.cell.to_string(),
        "input": imp.net.input,
        "hidden": imp.net.layers.iter().map(|l| l.hidden).collect::<Vec<_>>(),
        "head_outputs": m.head.as_ref().map(|h| h.outputs()),
        "import": imp.record,
        "quant": opts.quant,
        "rel_errors": imp.errors,
        "weight_bits": m.weight_bits(),
        "hash": m.hash(),
    })
    .to_string()
}

/// Import from a file, with the options object; `shown` is the name the file goes by in
/// messages, when it is not its path.
fn import_path(path: &Path, opts: &str, shown: Option<&str>) -> PyResult<(PyModel, String)> {
    let (net, model) = options(opts)?;
    let p = path.display().to_string();
    let imp = import(path, &net, &model)
        .map_err(|e| to_py_shown(Kind::StateDict, &e, shown.map(|s| (p.as_str(), s))))?;
    let s = summary(&imp, &model);
    Ok((PyModel { m: imp.model }, s))
}

/// `qrnn-hw import FILE`: a `.safetensors` or `.npz` state dict. Returns the model and the JSON
/// summary of `import --json`.
#[pyfunction]
#[pyo3(signature = (path, options="{}"))]
pub fn import_file(py: Python<'_>, path: PathBuf, options: &str) -> PyResult<(PyModel, String)> {
    py.allow_threads(|| import_path(&path, options, None))
}

/// A state dict given as `(name, dtype, shape, little-endian bytes)` tuples (dtype as
/// safetensors names it: F32, F64, F16, U8, I64, …), imported as the file `SOURCE.safetensors`
/// holding exactly these tensors would be.
#[pyfunction]
#[pyo3(signature = (tensors, source="state_dict".to_string(), options="{}"))]
pub fn import_state_dict(
    py: Python<'_>,
    tensors: Vec<(String, String, Vec<usize>, Bound<'_, PyBytes>)>,
    source: String,
    options: &str,
) -> PyResult<(PyModel, String)> {
    if source.is_empty() || source.contains(['/', '\\', '\0']) || source == "." || source == ".." {
        return Err(plain(
            Kind::Option,
            "qrnn::option",
            format!("source {source:?}: expected a file stem (no directories), e.g. \"lstm_h4\""),
        ));
    }
    let mut views = Vec::with_capacity(tensors.len());
    for (name, dtype, shape, data) in &tensors {
        let dt: safetensors::Dtype = serde_json::from_value(json!(dtype)).map_err(|_| {
            plain(
                Kind::StateDict,
                "qrnn::import::dtype",
                format!("tensor `{name}`: dtype {dtype:?} is not a safetensors dtype"),
            )
        })?;
        let view = safetensors::tensor::TensorView::new(dt, shape.clone(), data.as_bytes())
            .map_err(|e| {
                plain(
                    Kind::StateDict,
                    "qrnn::import::shape",
                    format!("tensor `{name}`: {e}"),
                )
            })?;
        views.push((name.clone(), view));
    }
    let bytes = safetensors::tensor::serialize(views, None).map_err(|e| {
        plain(
            Kind::StateDict,
            "qrnn::import::format",
            format!("serialising the state dict: {e}"),
        )
    })?;
    let write = |dir: &Path| -> std::io::Result<PathBuf> {
        let p = dir.join(format!("{source}.safetensors"));
        std::fs::write(&p, &bytes)?;
        Ok(p)
    };
    let io_err = |e: std::io::Error| {
        let r = miette::miette!(
            code = "qrnn::import::io",
            "writing the state dict to a temporary file: {e}"
        );
        to_py(Kind::StateDict, r.as_ref())
    };
    let dir = tempfile::tempdir().map_err(io_err)?;
    let path = write(dir.path()).map_err(io_err)?;
    let shown = format!("{source}.safetensors");
    py.allow_threads(|| import_path(&path, options, Some(&shown)))
}
