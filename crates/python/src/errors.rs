//! The Python exceptions of `qrnn`: one base class, [`QrnnError`], and a subclass per kind of
//! failure, each carrying what `qrnn-hw` would print for the same error.
//!
//! Invariants: every error a library crate returns reaches Python as a `QrnnError` subclass, never
//! as a bare `RuntimeError` or a panic; the class is chosen by the operation that failed (reading
//! a model, reading data, importing, training, generating), except that an internal error (a
//! diagnostic code ending in `::internal`, or `qrnn::golden::range`, as the CLI's exit status 3
//! decides) is always [`InternalError`]. Each exception has the attributes `code` (the stable
//! diagnostic code, or None), `help` (the help line, or None) and `report` (the full diagnostic as
//! the CLI renders it, without colour); `str(e)` is the message with its causes.

use miette::Diagnostic;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    qrnn,
    QrnnError,
    PyException,
    "Base class of every error qrnn raises."
);
pyo3::create_exception!(
    qrnn,
    ModelFormatError,
    QrnnError,
    "A model file (.qw or .qw.toml) that cannot be read, or a model that is invalid."
);
pyo3::create_exception!(
    qrnn,
    DataError,
    QrnnError,
    "Input sequences or a data set that cannot be read or do not fit the model."
);
pyo3::create_exception!(
    qrnn,
    StateDictError,
    QrnnError,
    "A PyTorch state dict that cannot be imported (missing tensors, shapes, options)."
);
pyo3::create_exception!(
    qrnn,
    TrainError,
    QrnnError,
    "Training or its export failed (options that do not fit the data, divergence)."
);
pyo3::create_exception!(
    qrnn,
    GenerateError,
    QrnnError,
    "A hardware project that cannot be generated or written (folding, board, device, output)."
);
pyo3::create_exception!(
    qrnn,
    OptionError,
    QrnnError,
    "An option value that is not one of the accepted ones (a scheme, a format, a fold)."
);
pyo3::create_exception!(
    qrnn,
    InternalError,
    QrnnError,
    "A bug in qrnn-hw (a broken invariant): please report it with the call and the model file."
);

/// Which exception class an operation's failures get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Reading, validating or writing a model.
    ModelFormat,
    /// Input sequences, data sets.
    Data,
    /// Importing a state dict.
    StateDict,
    /// Training.
    Train,
    /// Generating a project.
    Generate,
    /// A bad option value.
    Option,
}

/// Whether a diagnostic code marks an internal error (the rule of the CLI's exit status 3).
fn is_internal_code(code: &str) -> bool {
    code.ends_with("::internal") || code == "qrnn::golden::range"
}

/// Whether a diagnostic or one it wraps has an internal code.
fn is_internal(d: &dyn Diagnostic) -> bool {
    let mut d: Option<&dyn Diagnostic> = Some(d);
    while let Some(diag) = d {
        if diag
            .code()
            .is_some_and(|c| is_internal_code(&c.to_string()))
        {
            return true;
        }
        d = diag.diagnostic_source();
    }
    false
}

/// The message with its causes, `top: cause: cause`, each cause added only when the text before
/// does not already include it (most errors print their source inside their own message).
fn message(d: &dyn Diagnostic) -> String {
    let mut msg = d.to_string();
    let mut src = d.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    msg
}

/// The diagnostic as the CLI prints it (miette's graphical report), without colour.
fn render(d: &dyn Diagnostic) -> String {
    let mut s = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_break_words(false);
    if handler.render_report(&mut s, d).is_err() {
        s = message(d);
    }
    s
}

/// A diagnostic as a Python exception of `kind`'s class (or [`InternalError`]).
pub fn to_py(kind: Kind, d: &dyn Diagnostic) -> PyErr {
    to_py_shown(kind, d, None)
}

/// [`to_py`] with every `from` in the texts shown as `to` (a temporary file's path as the name
/// the caller knows it by).
pub fn to_py_shown(kind: Kind, d: &dyn Diagnostic, replace: Option<(&str, &str)>) -> PyErr {
    let fix = |s: String| match replace {
        Some((from, to)) if !from.is_empty() => s.replace(from, to),
        _ => s,
    };
    let msg = fix(message(d));
    let err = if is_internal(d) {
        InternalError::new_err(msg)
    } else {
        match kind {
            Kind::ModelFormat => ModelFormatError::new_err(msg),
            Kind::Data => DataError::new_err(msg),
            Kind::StateDict => StateDictError::new_err(msg),
            Kind::Train => TrainError::new_err(msg),
            Kind::Generate => GenerateError::new_err(msg),
            Kind::Option => OptionError::new_err(msg),
        }
    };
    let code = d.code().map(|c| c.to_string());
    let help = d.help().map(|h| fix(h.to_string()));
    let report = fix(render(d));
    Python::with_gil(|py| {
        let v = err.value(py);
        // setting attributes on a fresh exception instance cannot fail but for memory
        let _ = v.setattr("code", code);
        let _ = v.setattr("help", help);
        let _ = v.setattr("report", report);
    });
    err
}

/// `to_py` for a [`miette::Report`].
pub fn report_to_py(kind: Kind, r: &miette::Report) -> PyErr {
    to_py(kind, r.as_ref())
}

/// An error of `kind` from a message alone (options refused before any library call), with
/// `code` as its diagnostic code.
pub fn plain(kind: Kind, code: &'static str, msg: impl Into<String>) -> PyErr {
    let r = miette::miette!(code = code, "{}", msg.into());
    report_to_py(kind, &r)
}

/// Map a library result's error to `kind`'s exception.
pub trait OrPy<T> {
    /// The value, or the error as `kind`'s exception.
    fn or_py(self, kind: Kind) -> PyResult<T>;
}

impl<T, E: Diagnostic + Send + Sync + 'static> OrPy<T> for Result<T, E> {
    fn or_py(self, kind: Kind) -> PyResult<T> {
        self.map_err(|e| to_py(kind, &e))
    }
}

/// Register the exception classes in the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("QrnnError", py.get_type::<QrnnError>())?;
    m.add("ModelFormatError", py.get_type::<ModelFormatError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("StateDictError", py.get_type::<StateDictError>())?;
    m.add("TrainError", py.get_type::<TrainError>())?;
    m.add("GenerateError", py.get_type::<GenerateError>())?;
    m.add("OptionError", py.get_type::<OptionError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_codes_follow_the_cli() {
        assert!(is_internal_code("qrnn::internal"));
        assert!(is_internal_code("qrnn::rtl::internal"));
        assert!(is_internal_code("qrnn::golden::range"));
        assert!(!is_internal_code("qrnn::golden::input"));
        assert!(!is_internal_code("qrnn::internals"));
    }

    #[test]
    fn causes_are_added_once() {
        #[derive(Debug, thiserror::Error, miette::Diagnostic)]
        #[error("inner problem")]
        struct Inner;
        #[derive(Debug, thiserror::Error, miette::Diagnostic)]
        #[error("outer")]
        struct Outer(#[source] Inner);
        #[derive(Debug, thiserror::Error, miette::Diagnostic)]
        #[error("outer: {0}")]
        struct Shown(#[source] Inner);
        assert_eq!(message(&Outer(Inner)), "outer: inner problem");
        assert_eq!(message(&Shown(Inner)), "outer: inner problem");
    }
}
