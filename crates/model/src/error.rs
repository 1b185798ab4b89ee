//! Errors of `qrnn-model`: everything a `.qw` reader, the text twin or model validation can reject,
//! each with a stable diagnostic code, the byte offset or field it concerns, and what was expected.

use miette::Diagnostic;
use std::path::PathBuf;
use thiserror::Error;

/// Why a model was rejected. Every variant names where (byte offset or field path) and what was
/// expected; none is ever a panic.
#[derive(Debug, Error, Diagnostic, Clone, PartialEq)]
pub enum QwError {
    /// The first 8 bytes are not the `.qw` magic.
    #[error("not a .qw model: bytes 0..8 are {found}, expected the magic {expected}")]
    #[diagnostic(
        code(qrnn::qw::magic),
        help("a binary .qw file starts with 89 51 52 4E 4E 51 57 0A; a text model (.qw.toml) starts with `qw_text = 1`")
    )]
    Magic { found: String, expected: String },

    /// The major version is not one this build reads.
    #[error("unsupported .qw format version {major}.{minor} (bytes 8..12): this build reads major version {supported}")]
    #[diagnostic(
        code(qrnn::qw::version),
        help("re-export the model with this version of qrnn-hw, or upgrade qrnn-hw")
    )]
    Version {
        major: u16,
        minor: u16,
        supported: u16,
    },

    /// The file ends before a section it announces.
    #[error("truncated file: the {what} needs bytes {start}..{end}, but the file has {len} bytes")]
    #[diagnostic(
        code(qrnn::qw::truncated),
        help("the file was cut short (an interrupted copy or download?); write it again")
    )]
    Truncated {
        what: &'static str,
        start: u64,
        end: u64,
        len: u64,
    },

    /// Bytes after the checksum.
    #[error("{extra} unexpected bytes after the checksum, from byte {offset}")]
    #[diagnostic(
        code(qrnn::qw::trailing),
        help("the header's lengths do not account for the whole file")
    )]
    Trailing { offset: u64, extra: u64 },

    /// The stored SHA-256 does not match the content.
    #[error("checksum mismatch: the SHA-256 stored at byte {offset} is {stored}, but bytes 0..{offset} hash to {computed}")]
    #[diagnostic(
        code(qrnn::qw::checksum),
        help("the file is corrupted (a flipped byte?); re-export or copy it again")
    )]
    Checksum {
        offset: u64,
        stored: String,
        computed: String,
    },

    /// The header is not UTF-8.
    #[error(
        "the header (bytes {start}..{end}) is not UTF-8: invalid byte at file offset {offset}"
    )]
    #[diagnostic(code(qrnn::qw::header_utf8))]
    HeaderUtf8 { start: u64, end: u64, offset: u64 },

    /// The header (or text model) is not valid TOML for the schema: syntax, a wrong type, a
    /// missing or an unknown field.
    #[error("{location}: {message}")]
    #[diagnostic(
        code(qrnn::qw::header),
        help("docs/QW_FORMAT.md lists every field of the header")
    )]
    Header { location: String, message: String },

    /// A field has a value the model cannot have.
    #[error("field `{field}`: {message}")]
    #[diagnostic(code(qrnn::model::invalid))]
    Field { field: String, message: String },

    /// A name, label or notes string breaks the naming rule (docs/QW_FORMAT.md §3.1).
    #[error("field `{field}`: {shown} {problem}; {rule}")]
    #[diagnostic(code(qrnn::model::name), help("{fix}"))]
    Name {
        field: String,
        shown: String,
        problem: String,
        rule: String,
        fix: String,
    },

    /// A tensor's shape does not match the architecture.
    #[error("tensor `{tensor}`: shape {found:?} does not match the architecture, expected {expected:?} ({why})")]
    #[diagnostic(code(qrnn::model::shape_mismatch))]
    ShapeMismatch {
        tensor: String,
        found: Vec<usize>,
        expected: Vec<usize>,
        why: String,
    },

    /// A tensor is missing or unexpected, or its payload placement is wrong.
    #[error("tensor `{tensor}`: {message}")]
    #[diagnostic(code(qrnn::model::tensor))]
    Tensor { tensor: String, message: String },

    /// A stored code or value is outside its set.
    #[error("tensor `{tensor}` element {index}{at}: value {value} is not valid for encoding {encoding} ({expected})")]
    #[diagnostic(code(qrnn::model::code_out_of_range))]
    CodeOutOfRange {
        tensor: String,
        index: usize,
        at: String,
        value: String,
        encoding: String,
        expected: String,
    },

    /// Interval analysis found a value that needs more than 62 bits.
    #[error("layer {layer}: {point} needs {width} bits, more than the 62 the numeric contract allows (NUMERICS.md §5.1)")]
    #[diagnostic(
        code(qrnn::model::too_wide),
        help("use narrower formats, smaller scales or fewer inputs per row")
    )]
    TooWide {
        layer: String,
        point: &'static str,
        width: u32,
    },
}

/// A model file that could not be loaded or saved: the path, then the reason.
#[derive(Debug, Error)]
pub enum FileError {
    /// The model in the file is invalid.
    #[error("{}: {error}", path.display())]
    Model { path: PathBuf, error: QwError },
    /// The file system said no.
    #[error("{}: {action}: {error}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        error: std::io::Error,
    },
}

impl Diagnostic for FileError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        match self {
            FileError::Model { error, .. } => error.code(),
            FileError::Io { .. } => Some(Box::new("qrnn::io")),
        }
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        match self {
            FileError::Model { error, .. } => error.help(),
            FileError::Io { .. } => None,
        }
    }
}

impl FileError {
    /// The model error, if this is one.
    pub fn model_error(&self) -> Option<&QwError> {
        match self {
            FileError::Model { error, .. } => Some(error),
            FileError::Io { .. } => None,
        }
    }
}

pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> QwError {
    QwError::Field {
        field: field.into(),
        message: message.into(),
    }
}
