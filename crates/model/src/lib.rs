//! `qrnn-model`: the model types of qrnn-hw, the `.qw` file format and its text twin, fixed-point
//! formats and arithmetic, weight code sets, activation tables, and interval analysis.
//!
//! This crate is the only thing the golden model (`qrnn-golden`) and the hardware generator
//! (`qrnn-rtl`) share: data (codes, scales, formats, tables, ranges), never execution. The numeric
//! contract they both implement is docs/NUMERICS.md; the file format is docs/QW_FORMAT.md.

/// Serialize/deserialize a type through its `Display`/`FromStr` (formats, schemes, cells).
macro_rules! serde_via_str {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub mod analysis;
pub mod data;
pub mod error;
pub mod example;
pub mod fixed;
pub mod model;
pub mod name;
pub mod qw;
pub mod scheme;
pub mod table;

pub use error::{FileError, QwError};
pub use fixed::{ActFmt, Fmt, Interval};
pub use model::{Cell, Head, InputSpec, Layer, Model, Provenance, Scale, Weights};
pub use scheme::{Encoding, Scheme};

serde_via_str!(fixed::Fmt);
serde_via_str!(fixed::ActFmt);
serde_via_str!(model::Cell);
serde_via_str!(scheme::Encoding);
serde_via_str!(scheme::Scheme);
