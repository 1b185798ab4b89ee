//! [`SimError`]: why a `qrnn-sim` function failed, one variant per kind of failure, each with a
//! diagnostic code `qrnn::sim::…`.
//!
//! These are failures a user or the environment can cause (exit 1 in the CLI); by the workspace's
//! convention a broken invariant would be a code ending in `::internal` (exit 3), which qrnn-sim
//! has no use for.

use qrnn_golden::GoldenError;

/// Why a `qrnn-sim` function failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SimError {
    /// The golden model failed on the stimulus (its error is the source).
    #[error("the golden model failed on the stimulus")]
    #[diagnostic(code(qrnn::sim::golden))]
    Golden(
        #[from]
        #[diagnostic_source]
        GoldenError,
    ),
    /// A co-simulation's cycle figures disagree with the manifest's `cycle_formula`, or the
    /// formula is malformed or disagrees with `cycles_per_step` or `cycle_terms`
    /// ([`crate::check_cycles`]).
    #[error("{0}")]
    #[diagnostic(code(qrnn::sim::cycles))]
    Cycles(String),
    /// A lint tool found problems in the RTL ([`crate::lint`]).
    #[error("{tool}:\n{output}")]
    #[diagnostic(code(qrnn::sim::lint))]
    Lint {
        /// The tool and how it was run.
        tool: &'static str,
        /// Everything it printed.
        output: String,
    },
    /// A file could not be read or written, or a tool could not be started.
    #[error("{what}")]
    #[diagnostic(code(qrnn::sim::io))]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl SimError {
    /// An [`SimError::Io`] saying what was being done.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> SimError {
        let what = what.into();
        move |source| SimError::Io { what, source }
    }
}
