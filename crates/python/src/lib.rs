//! `qrnn._qrnn`: the Rust half of the `qrnn` Python package (PyO3; built into a wheel by maturin,
//! `make python`). Thin over the library crates: every function here makes the calls that the
//! matching `qrnn-hw` subcommand makes (named beside each), so the two give the same numbers.
//!
//! Invariants:
//! - Values cross the boundary as plain Python lists, strings and bytes (the pure-Python layer
//!   `python/qrnn/__init__.py` turns numpy arrays into them and back), so this crate needs no
//!   numpy headers and one abi3 wheel serves every CPython ≥ 3.8.
//! - Structured results (inspect, eval, gen, import and train summaries) are returned as JSON text
//!   built by serde, the same serialisation the CLI's `--json` prints.
//! - Every error becomes a `qrnn.QrnnError` subclass ([`errors`]); long work (golden runs,
//!   evaluation, generation, training) releases the GIL.

mod errors;
mod gen;
mod import;
mod info;
mod train;

use errors::{plain, Kind, OrPy};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use qrnn_golden::{float, output_to_f64, quantize_input};
use qrnn_model::{FileError, Model};
use std::path::PathBuf;

/// A validated quantized recurrent model (`.qw` / `.qw.toml`), immutable.
#[pyclass(module = "qrnn._qrnn", name = "Model", frozen)]
pub struct PyModel {
    pub(crate) m: Model,
}

/// Checks that every timestep of `seq` has the model's `input_len` values (`what` names the
/// argument in the message).
fn check_width<T>(m: &Model, seq: &[Vec<T>], what: &str) -> PyResult<()> {
    let n = m.input_len();
    match seq.iter().position(|r| r.len() != n) {
        None => Ok(()),
        Some(t) => Err(plain(
            Kind::Data,
            "qrnn::golden::input_len",
            format!(
                "{what}: timestep {t} has {} values, the model {} needs {n}",
                seq[t].len(),
                m.name
            ),
        )),
    }
}

#[pymethods]
impl PyModel {
    /// Load and validate a model file (binary `.qw` or text twin), as every subcommand does.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PyModel> {
        let m = py
            .allow_threads(|| Model::load(&path))
            .or_py(Kind::ModelFormat)?;
        Ok(PyModel { m })
    }

    /// Read a model from the bytes of a `.qw` file or the text of a `.qw.toml`.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<PyModel> {
        let m = qrnn_model::qw::from_bytes(data).or_py(Kind::ModelFormat)?;
        Ok(PyModel { m })
    }

    /// Save atomically: the text twin when the path ends in `.toml`, else binary `.qw`.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.allow_threads(|| self.m.save(&path))
            .or_py(Kind::ModelFormat)
    }

    /// The binary `.qw` bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &qrnn_model::qw::to_bytes(&self.m))
    }

    /// The text twin (`.qw.toml`).
    fn to_text(&self) -> String {
        qrnn_model::qw::to_text(&self.m)
    }

    /// The same model under another name (the naming rule of docs/CLI.md#names applies).
    fn renamed(&self, name: &str) -> PyResult<PyModel> {
        qrnn_model::name::check_name("name", name).or_py(Kind::Option)?;
        let mut m = self.m.clone();
        m.name = name.to_string();
        Ok(PyModel { m })
    }

    /// The model's name.
    #[getter]
    fn name(&self) -> &str {
        &self.m.name
    }

    /// The model's hash (sha256 hex, as `inspect` prints it).
    #[getter]
    fn hash(&self) -> String {
        self.m.hash()
    }

    /// Values per input timestep (pixels × channels for ConvLSTM).
    #[getter]
    fn input_len(&self) -> usize {
        self.m.input_len()
    }

    /// Values per output timestep.
    #[getter]
    fn output_len(&self) -> usize {
        self.m.output_len()
    }

    /// `qrnn-hw inspect --json`: the summary as JSON text.
    fn info_json(&self) -> PyResult<String> {
        info::inspect_json(&self.m)
    }

    /// The integer inputs the golden model gets for real values (what `run` does without `--raw`).
    fn quantize(&self, seq: Vec<Vec<f64>>) -> PyResult<Vec<Vec<i64>>> {
        check_width(&self.m, &seq, "x")?;
        Ok(quantize_input(&self.m, &seq))
    }

    /// The reals that input integers stand for (the float reference's input under `run --raw`).
    fn input_reals(&self, xq: Vec<Vec<i64>>) -> PyResult<Vec<Vec<f64>>> {
        check_width(&self.m, &xq, "x")?;
        let f = self.m.input.format;
        Ok(xq
            .iter()
            .map(|r| r.iter().map(|q| f.to_f64(*q)).collect())
            .collect())
    }

    /// The real values of output integers (`outputs_real` of `run --json`).
    fn output_reals(&self, outputs: Vec<Vec<i64>>) -> Vec<Vec<f64>> {
        outputs
            .iter()
            .map(|r| r.iter().map(|q| output_to_f64(&self.m, *q)).collect())
            .collect()
    }

    /// The golden model's output integers for integer inputs (`run`: `qrnn_golden::run_outputs`).
    fn run(&self, py: Python<'_>, xq: Vec<Vec<i64>>) -> PyResult<Vec<Vec<i64>>> {
        py.allow_threads(|| qrnn_golden::run_outputs(&self.m, &xq))
            .or_py(Kind::Data)
    }

    /// The golden model's full trace as JSON (`run --trace t.json`).
    fn trace_json(&self, py: Python<'_>, xq: Vec<Vec<i64>>) -> PyResult<String> {
        let run = py
            .allow_threads(|| qrnn_golden::run(&self.m, &xq))
            .or_py(Kind::Data)?;
        serde_json::to_string(&run.trace)
            .map_err(|e| plain(Kind::Data, "qrnn::internal", format!("internal error: {e}")))
    }

    /// The float reference's outputs for real inputs (`run --float`: `qrnn_golden::float::run`).
    fn run_float(&self, py: Python<'_>, seq: Vec<Vec<f64>>) -> PyResult<Vec<Vec<f64>>> {
        check_width(&self.m, &seq, "x")?;
        Ok(py.allow_threads(|| float::run(&self.m, &seq)))
    }

    /// `eval --data SPEC --json` for a data set file or a named source (`ucr:NAME`, …).
    fn evaluate_spec(&self, py: Python<'_>, data: PathBuf) -> PyResult<String> {
        let r = py
            .allow_threads(|| qrnn_train::eval::evaluate_spec(&self.m, &data, &mut |_| {}))
            .map_err(|e| errors::report_to_py(Kind::Data, &e))?;
        Ok(serde_json::Value::Object(r).to_string())
    }

    /// `eval --json` for sequences given directly, with labels (classification), targets
    /// (regression) or neither (deviation only).
    #[pyo3(signature = (sequences, labels=None, targets=None, source="arrays".to_string()))]
    fn evaluate_data(
        &self,
        py: Python<'_>,
        sequences: Vec<Vec<Vec<f64>>>,
        labels: Option<Vec<usize>>,
        targets: Option<Vec<Vec<Vec<f64>>>>,
        source: String,
    ) -> PyResult<String> {
        for s in &sequences {
            check_width(&self.m, s, "sequences")?;
        }
        let ds = qrnn_model::data::Dataset {
            sequences,
            labels,
            targets,
        };
        let r = py
            .allow_threads(|| {
                qrnn_train::eval::evaluate_dataset(&self.m, &ds, &source, &mut |_| {})
            })
            .map_err(|e| errors::report_to_py(Kind::Data, &e))?;
        Ok(serde_json::Value::Object(r).to_string())
    }

    /// `gen`: generate a hardware project into `output` (see [`gen::GenOptions`]); returns a
    /// JSON summary (files, manifest, fit table, notes).
    #[pyo3(signature = (output, target=None, board=None, device=None, fit=false,
                        allow_overfit=false, fold=Vec::new(), weights="auto".to_string(),
                        place=Vec::new(), pipeline=None, target_rate=None, clock_mhz=None,
                        sim_steps=Vec::new(), seed=1, force=false))]
    #[allow(clippy::too_many_arguments)]
    fn generate(
        &self,
        py: Python<'_>,
        output: PathBuf,
        target: Option<String>,
        board: Option<String>,
        device: Option<String>,
        fit: bool,
        allow_overfit: bool,
        fold: Vec<String>,
        weights: String,
        place: Vec<String>,
        pipeline: Option<String>,
        target_rate: Option<f64>,
        clock_mhz: Option<f64>,
        sim_steps: Vec<usize>,
        seed: u64,
        force: bool,
    ) -> PyResult<String> {
        let o = gen::GenOptions {
            target,
            board,
            device,
            fit,
            allow_overfit,
            fold,
            weights,
            place,
            pipeline,
            target_rate,
            clock_mhz,
            sim_steps,
            seed,
            force,
        };
        let r = py
            .allow_threads(|| gen::generate(&self.m, &output, &o))
            .map_err(|e| errors::report_to_py(Kind::Generate, &e))?;
        Ok(r.to_string())
    }

    fn __repr__(&self) -> String {
        format!(
            "<qrnn.Model {} ({} layer{}, {} inputs, {} outputs, hash {})>",
            self.m.name,
            self.m.layers.len(),
            if self.m.layers.len() == 1 { "" } else { "s" },
            self.m.input_len(),
            self.m.output_len(),
            &self.m.hash()[..16]
        )
    }
}

/// `convert IN OUT [--name NEW]`: binary ⇄ text twin by OUT's extension; the one reader that
/// accepts a name breaking the naming rule, so that it can be repaired with `name`. Returns the
/// model written and the notes the CLI prints about escaped provenance fields.
#[pyfunction]
#[pyo3(signature = (input, output, name=None))]
fn convert(
    py: Python<'_>,
    input: PathBuf,
    output: PathBuf,
    name: Option<String>,
) -> PyResult<(PyModel, Vec<String>)> {
    if let Some(n) = &name {
        qrnn_model::name::check_name("name", n).or_py(Kind::Option)?;
    }
    let mut m = py
        .allow_threads(|| Model::load_to_rename(&input))
        .or_py(Kind::ModelFormat)?;
    if let Some(n) = name {
        m.name = n;
    }
    let repaired = m.provenance.legalise();
    m.check_names()
        .map_err(|error| FileError::Model {
            path: input.clone(),
            error,
        })
        .or_py(Kind::ModelFormat)?;
    let notes = repaired
        .into_iter()
        .map(|f| {
            format!(
                "{}: `{f}` broke the naming rule (docs/CLI.md#names); written with its forbidden characters escaped",
                input.display()
            )
        })
        .collect();
    py.allow_threads(|| m.save(&output))
        .or_py(Kind::ModelFormat)?;
    Ok((PyModel { m }, notes))
}

/// The native module.
#[pymodule]
fn _qrnn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModel>()?;
    m.add_function(wrap_pyfunction!(convert, m)?)?;
    m.add_function(wrap_pyfunction!(import::import_state_dict, m)?)?;
    m.add_function(wrap_pyfunction!(import::import_file, m)?)?;
    m.add_function(wrap_pyfunction!(train::train, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    Ok(())
}
