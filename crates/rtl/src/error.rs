//! The errors of the hardware generator, each with a code: the user's (a model the generator
//! cannot build, a folding out of range) and the generator's own (a pass or a `verify()` that
//! failed, or an elaboration that did not hold together: a bug, reported as one).

use miette::Diagnostic;
use thiserror::Error;

/// An error of `qrnn-rtl`.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
pub enum RtlError {
    /// The model cannot be built into hardware (invalid, or its ranges exceed what the
    /// datapath can hold).
    #[error("{0}")]
    #[diagnostic(code(qrnn::rtl::model))]
    Model(String),
    /// A requested folding names no engine or is out of an engine's range.
    #[error("{0}")]
    #[diagnostic(
        code(qrnn::rtl::fold),
        help("a folding PxS takes 1 ≤ P ≤ rows and 1 ≤ S ≤ columns of its engine; `--fold all=PxS` is clamped to every engine; `qrnn-hw gen --dump-ir-after lower` shows the engines")
    )]
    Fold(String),
    /// A placement option (`--place`, `--weights spram`) cannot be honoured.
    #[error("{0}")]
    #[diagnostic(
        code(qrnn::rtl::place),
        help("SPRAM exists on the iCE40UP5K only and holds 16384 words per block; `qrnn-hw gen --dump-ir-after pack-weights` lists the weight memories and their shapes")
    )]
    Options(String),
    /// A pass, `verify()` or the elaboration failed: a bug in the generator.
    #[error("internal error in the generator ({pass}): {message}")]
    #[diagnostic(code(qrnn::rtl::internal))]
    Internal {
        /// The pass (or `elaborate`) that failed.
        pass: String,
        /// What failed.
        message: String,
    },
}

impl RtlError {
    /// An internal error of `pass`.
    pub fn internal(pass: &str, message: impl Into<String>) -> RtlError {
        RtlError::Internal {
            pass: pass.into(),
            message: message.into(),
        }
    }

    /// Whether this is a bug in the generator rather than something about the user's input.
    pub fn is_internal(&self) -> bool {
        matches!(self, RtlError::Internal { .. })
    }
}

/// The passes' own checks (`… must run first`, a missing range) are invariants: internal, with
/// the pass filled in by [`crate::passes::run_pipeline`].
impl From<String> for RtlError {
    fn from(message: String) -> RtlError {
        RtlError::internal("", message)
    }
}

impl From<&str> for RtlError {
    fn from(message: &str) -> RtlError {
        RtlError::internal("", message)
    }
}
