//! Import of PyTorch state dicts (`nn.LSTM` / `nn.GRU`, any number of layers, unidirectional,
//! plus an optional `nn.Linear` head) from `.safetensors` or `.npz` into `.qw` models, with
//! post-training quantization by the quantizers of [`crate::quant`] (docs/QUANTIZATION.md §7).
//!
//! PyTorch's gate orders (LSTM i,f,g,o; GRU r,z,n) are qrnn-hw's own (docs/NUMERICS.md §7), so
//! rows are taken as they are. LSTM biases are stored as one vector `b_ih + b_hh`; GRU keeps
//! `b_ih` (`b_x`) and `b_hh` (`b_h`) apart, because `b_hn` sits inside the reset gate.
//!
//! Three steps, each usable alone: [`read_state_dict`] (any tensors of a file), [`parse_net`]
//! (the recurrent network those tensors describe, checked), [`build_model`] (quantize and make a
//! valid [`Model`]); [`import`] runs them all.

use crate::quant::{self, QuantError, QuantSpec};
use qrnn_model::example::{Formats, Rng};
use qrnn_model::model::MAX_TENSOR_ELEMENTS;
use qrnn_model::table::{sigmoid_table, tanh_table};
use qrnn_model::{Cell, Fmt, Head, InputSpec, Layer, Model, Provenance, QwError, Scheme, Weights};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest fraction the automatic bias format uses (`fixed<16,F>`, F ≤ 12).
pub const AUTO_BIAS_MAX_FRAC: i32 = 12;
/// Width of the automatic bias format.
pub const AUTO_BIAS_WIDTH: u32 = 16;

/// Why an import failed. Every variant names the file; tensor errors name the tensor.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    #[diagnostic(code(qrnn::import::io))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a readable safetensors / npz file.
    #[error("{path}: not a valid {format} file: {message}")]
    #[diagnostic(
        code(qrnn::import::format),
        help("import reads PyTorch state dicts saved with safetensors (.safetensors) or numpy.savez (.npz)")
    )]
    Format {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
    /// A tensor the network needs is absent.
    #[error("{path}: tensor `{tensor}` is missing: {why}")]
    #[diagnostic(code(qrnn::import::missing))]
    Missing {
        path: PathBuf,
        tensor: String,
        why: String,
        #[help]
        help: Option<String>,
    },
    /// A tensor has the wrong shape.
    #[error("{path}: tensor `{tensor}` has shape {found:?}, expected {expected}: {why}")]
    #[diagnostic(code(qrnn::import::shape))]
    Shape {
        path: PathBuf,
        tensor: String,
        found: Vec<usize>,
        expected: String,
        why: String,
    },
    /// A tensor has the wrong element type.
    #[error("{path}: tensor `{tensor}` has dtype {found}, expected {expected}")]
    #[diagnostic(code(qrnn::import::dtype))]
    Dtype {
        path: PathBuf,
        tensor: String,
        found: String,
        expected: String,
    },
    /// A value in a tensor is unusable (not finite, a padding bit set, …).
    #[error("{path}: tensor `{tensor}`, element {index}: {message}")]
    #[diagnostic(code(qrnn::import::value))]
    Value {
        path: PathBuf,
        tensor: String,
        index: usize,
        message: String,
    },
    /// A network qrnn-hw cannot represent (bidirectional, projections, …) or contradictory options.
    #[error("{path}: {message}")]
    #[diagnostic(code(qrnn::import::unsupported))]
    Unsupported { path: PathBuf, message: String },
    /// Quantization of a tensor failed.
    #[error("{path}: tensor `{tensor}`: {source}")]
    #[diagnostic(code(qrnn::import::quant))]
    Quant {
        path: PathBuf,
        tensor: String,
        source: QuantError,
    },
    /// The options make no valid model (formats, sizes).
    #[error("{path}: the imported network makes no valid model")]
    #[diagnostic(code(qrnn::import::model))]
    Model {
        path: PathBuf,
        #[source]
        #[diagnostic_source]
        source: QwError,
    },
}

// ---------------------------------------------------------------- reading files

/// Element data of a tensor, converted on reading.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// A floating-point tensor (f16, bf16, f32 widened exactly; f64 rounded to nearest f32).
    Float(Vec<f32>),
    /// An unsigned 8-bit tensor (bit-packed weights).
    U8(Vec<u8>),
    /// A signed or unsigned integer tensor of up to 64 bits (shapes, 32-bit packed words).
    Int(Vec<i64>),
}

/// One tensor of a state dict.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Shape, row-major (C order).
    pub shape: Vec<usize>,
    /// The dtype as the file names it (`F32`, `<f4`, …), for messages.
    pub dtype: String,
    /// Row-major data.
    pub data: Data,
}

/// The container a state dict came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// Hugging Face safetensors.
    Safetensors,
    /// `numpy.savez` / `savez_compressed`: a zip of `.npy` files.
    Npz,
}

/// All tensors of a file, by name.
#[derive(Clone, Debug)]
pub struct StateDict {
    /// The file.
    pub path: PathBuf,
    /// Its container format.
    pub format: SourceFormat,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    /// Tensors by name.
    pub tensors: BTreeMap<String, Tensor>,
}

/// Read every tensor of a `.safetensors` or `.npz` file. The format is taken from the first bytes
/// (`PK\x03\x04` or `PK\x05\x06`: npz; anything else: safetensors).
pub fn read_state_dict(path: &Path) -> Result<StateDict, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let format = detect_format(path, &bytes)?;
    let tensors = match format {
        SourceFormat::Npz => read_npz(path, &bytes)?,
        SourceFormat::Safetensors => read_safetensors(path, &bytes)?,
    };
    Ok(StateDict {
        path: path.to_path_buf(),
        format,
        sha256,
        tensors,
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The largest safetensors header (JSON) the format allows, bytes.
pub const MAX_SAFETENSORS_HEADER: u64 = 100_000_000;

/// The container of a state dict, from its first bytes (a zip archive: npz; an 8-byte length and
/// a JSON `{`: safetensors), else from its extension — which then only decides what the error
/// says was expected.
fn detect_format(path: &Path, bytes: &[u8]) -> Result<SourceFormat, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(SourceFormat::Npz);
    }
    if bytes.get(8) == Some(&b'{') {
        return Ok(SourceFormat::Safetensors);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let found = if bytes.is_empty() {
        "the file is empty (0 bytes)".to_string()
    } else {
        format!(
            "bytes 0..{} are {}",
            bytes.len().min(8),
            bytes[..bytes.len().min(8)]
                .iter()
                .map(|x| format!("{x:02X}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let err = |format: &'static str, expected: &str| ImportError::Format {
        path: path.to_path_buf(),
        format,
        message: format!("{found}; expected {expected}"),
    };
    const ZIP: &str =
        "a zip archive as numpy.savez writes (starting 50 4B 03 04, \"PK\\x03\\x04\")";
    const ST: &str =
        "an 8-byte little-endian header length, then the JSON header starting with `{` at byte 8";
    match ext.as_str() {
        "npz" => Err(err("npz", ZIP)),
        // a safetensors file with a bad header: its reader says what is wrong with it
        "safetensors" if !bytes.is_empty() => Ok(SourceFormat::Safetensors),
        "safetensors" => Err(err("safetensors", ST)),
        _ => Err(err(
            "safetensors or npz",
            &format!("a safetensors file ({ST}) or an npz ({ZIP})"),
        )),
    }
}

fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let man = (h & 0x3ff) as f32;
    match exp {
        0 => sign * man * (2f32).powi(-24),
        31 if man == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        e => sign * (1.0 + man / 1024.0) * (2f32).powi(e - 15),
    }
}

fn read_safetensors(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, Tensor>, ImportError> {
    use safetensors::Dtype;
    let fmt_err = |message: String| ImportError::Format {
        path: path.to_path_buf(),
        format: "safetensors",
        message,
    };
    // The header length first, with the place and the bound (the library says only "header too
    // large"); the library then checks every tensor's offsets and shape × dtype against the data.
    let len = bytes.len() as u64;
    let Some(n) = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    else {
        return Err(fmt_err(format!(
            "the file has {len} bytes, fewer than the 8 of the header length"
        )));
    };
    if n > MAX_SAFETENSORS_HEADER {
        return Err(fmt_err(format!(
            "bytes 0..8: header length {n} is more than the {MAX_SAFETENSORS_HEADER} bytes the safetensors format allows"
        )));
    }
    if 8 + n > len {
        return Err(fmt_err(format!(
            "bytes 0..8: header length {n} runs to byte {}, past the end of the {len}-byte file",
            8 + n
        )));
    }
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| fmt_err(e.to_string()))?;
    let mut out = BTreeMap::new();
    for (name, view) in st.tensors() {
        let d = view.data();
        let n: usize = view.shape().iter().product();
        if n > MAX_TENSOR_ELEMENTS {
            return Err(too_large(path, &name, view.shape()));
        }
        let chunks = |k: usize| d.chunks_exact(k);
        let data = match view.dtype() {
            Dtype::F32 => Data::Float(
                chunks(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            Dtype::F64 => Data::Float(
                chunks(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                    .collect(),
            ),
            Dtype::F16 => Data::Float(
                chunks(2)
                    .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                    .collect(),
            ),
            Dtype::BF16 => Data::Float(
                chunks(2)
                    .map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16))
                    .collect(),
            ),
            Dtype::U8 => Data::U8(d.to_vec()),
            Dtype::I8 => Data::Int(d.iter().map(|b| *b as i8 as i64).collect()),
            Dtype::I16 => Data::Int(
                chunks(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]) as i64)
                    .collect(),
            ),
            Dtype::I32 => Data::Int(
                chunks(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64)
                    .collect(),
            ),
            Dtype::I64 => Data::Int(
                chunks(8)
                    .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect(),
            ),
            other => {
                return Err(ImportError::Dtype {
                    path: path.to_path_buf(),
                    tensor: name,
                    found: format!("{other:?}"),
                    expected: "F32, F64, F16, BF16 (weights), U8/I32 (packed bits) or an integer type (shapes)".into(),
                })
            }
        };
        out.insert(
            name,
            Tensor {
                shape: view.shape().to_vec(),
                dtype: format!("{:?}", view.dtype()),
                data,
            },
        );
    }
    Ok(out)
}

fn too_large(path: &Path, name: &str, shape: &[usize]) -> ImportError {
    ImportError::Shape {
        path: path.to_path_buf(),
        tensor: name.to_string(),
        found: shape.to_vec(),
        expected: format!("at most {MAX_TENSOR_ELEMENTS} elements"),
        why: "a .qw tensor holds at most that many".into(),
    }
}

fn read_npz(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, Tensor>, ImportError> {
    use npyz::TypeChar;
    let fmt_err = |message: String| ImportError::Format {
        path: path.to_path_buf(),
        format: "npz",
        message,
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| fmt_err(format!("zip archive: {e}")))?;
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| fmt_err(format!("zip entry {i}: {e}")))?;
        let file_name = entry.name().to_string();
        let Some(name) = npyz::npz::array_name_from_file_name(&file_name).map(str::to_string)
        else {
            continue; // not an array (numpy ignores such entries too)
        };
        let mut raw = Vec::new();
        let limit = (MAX_TENSOR_ELEMENTS as u64) * 8 + (1 << 20);
        (&mut entry)
            .take(limit + 1)
            .read_to_end(&mut raw)
            .map_err(|e| fmt_err(format!("entry {file_name}: {e}")))?;
        if raw.len() as u64 > limit {
            return Err(fmt_err(format!("entry {file_name} is too large")));
        }
        // (before npyz, which allocates what the header says: bounded header, exact data length)
        qrnn_model::data::check_npy(&raw)
            .map_err(|m| fmt_err(format!("array `{name}` (member {file_name}): {m}")))?;
        let npy = npyz::NpyFile::new(&raw[..])
            .map_err(|e| fmt_err(format!("array `{name}` ({file_name}): {e}")))?;
        let shape: Vec<usize> = npy.shape().iter().map(|s| *s as usize).collect();
        if npy.len() > MAX_TENSOR_ELEMENTS as u64 {
            return Err(too_large(path, &name, &shape));
        }
        let fortran = npy.order() == npyz::Order::Fortran;
        let dtype = npy.dtype();
        let descr = dtype.descr();
        let bad_dtype = || {
            ImportError::Dtype {
            path: path.to_path_buf(),
            tensor: name.clone(),
            found: descr.clone(),
            expected: "float32 or float64 (weights), uint8/int32 (packed bits) or an integer type (shapes)".into(),
        }
        };
        let npyz::DType::Plain(ts) = &dtype else {
            return Err(bad_dtype());
        };
        let read_err = |e: std::io::Error| fmt_err(format!("array `{name}`: {e}"));
        let data = match (ts.type_char(), ts.size_field()) {
            (TypeChar::Float, 4) => Data::Float(npy.into_vec::<f32>().map_err(read_err)?),
            (TypeChar::Float, 8) => Data::Float(
                npy.into_vec::<f64>()
                    .map_err(read_err)?
                    .into_iter()
                    .map(|v| v as f32)
                    .collect(),
            ),
            (TypeChar::Uint, 1) => Data::U8(npy.into_vec::<u8>().map_err(read_err)?),
            (TypeChar::Int, 1) => Data::Int(to_i64(npy.into_vec::<i8>().map_err(read_err)?)),
            (TypeChar::Int, 2) => Data::Int(to_i64(npy.into_vec::<i16>().map_err(read_err)?)),
            (TypeChar::Int, 4) => Data::Int(to_i64(npy.into_vec::<i32>().map_err(read_err)?)),
            (TypeChar::Int, 8) => Data::Int(npy.into_vec::<i64>().map_err(read_err)?),
            _ => return Err(bad_dtype()),
        };
        let data = if fortran && shape.len() > 1 {
            match data {
                Data::Float(v) => Data::Float(fortran_to_c(&v, &shape)),
                Data::U8(v) => Data::U8(fortran_to_c(&v, &shape)),
                Data::Int(v) => Data::Int(fortran_to_c(&v, &shape)),
            }
        } else {
            data
        };
        out.insert(
            name,
            Tensor {
                shape,
                dtype: descr,
                data,
            },
        );
    }
    Ok(out)
}

fn to_i64<T: Into<i64>>(v: Vec<T>) -> Vec<i64> {
    v.into_iter().map(Into::into).collect()
}

/// Reorder a column-major (Fortran) array of `shape` into row-major (C) order.
fn fortran_to_c<T: Copy>(v: &[T], shape: &[usize]) -> Vec<T> {
    let n = v.len();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..n {
        // Fortran offset of the C-ordered index `idx`
        let mut off = 0usize;
        let mut stride = 1usize;
        for (i, d) in idx.iter().zip(shape) {
            off += i * stride;
            stride *= d;
        }
        out.push(v[off]);
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

// ---------------------------------------------------------------- the network

/// A weight matrix as the file gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum Matrix {
    /// Real-valued weights, row-major `[rows, cols]`.
    Float(Vec<f32>),
    /// Larq bit-packed binary weights: codes ±1 (internal convention, +1 = bit 0 in the file) and
    /// the scale `α` from `<name>.scale` (one, or one per row), 1 if absent.
    Packed {
        /// Row-major codes ±1.
        codes: Vec<i8>,
        /// Scale per tensor (length 1) or per row.
        alpha: Vec<f32>,
    },
}

/// A named `[rows, cols]` weight tensor of the network.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedMatrix {
    /// The tensor's name in the file (without `.packed`).
    pub name: String,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Values.
    pub m: Matrix,
}

impl NamedMatrix {
    /// The real values (for a packed matrix `α_r · code`).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.m {
            Matrix::Float(v) => v.clone(),
            Matrix::Packed { codes, alpha } => codes
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let a = if alpha.len() == 1 {
                        alpha[0]
                    } else {
                        alpha[i / self.cols]
                    };
                    a * *c as f32
                })
                .collect(),
        }
    }
}

/// One recurrent layer as read.
#[derive(Clone, Debug, PartialEq)]
pub struct NetLayer {
    /// Hidden size.
    pub hidden: usize,
    /// `weight_ih_l{k}`: `[G·H, I]`.
    pub w_ih: NamedMatrix,
    /// `weight_hh_l{k}`: `[G·H, H]`.
    pub w_hh: NamedMatrix,
    /// `bias_ih_l{k}` (zeros if the file has no biases).
    pub b_ih: Vec<f32>,
    /// `bias_hh_l{k}` (zeros if the file has no biases).
    pub b_hh: Vec<f32>,
}

/// The dense head as read.
#[derive(Clone, Debug, PartialEq)]
pub struct NetHead {
    /// The prefix (`fc` for `fc.weight`).
    pub prefix: String,
    /// `[O, H]`.
    pub weight: NamedMatrix,
    /// `[O]` (zeros if absent).
    pub bias: Vec<f32>,
}

/// The recurrent network a state dict describes.
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    /// LSTM or GRU.
    pub cell: Cell,
    /// Input features.
    pub input: usize,
    /// Layers, first to last.
    pub layers: Vec<NetLayer>,
    /// The head, if any.
    pub head: Option<NetHead>,
    /// The prefix of the recurrent tensors (`""`, `lstm.`, `rnn.` …).
    pub rnn_prefix: String,
    /// Tensors of the file that the network does not use.
    pub ignored: Vec<String>,
}

/// Which `nn.Linear` is the head.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum HeadChoice {
    /// The one `<prefix>.weight` outside the recurrent module, if exactly one; none if there is
    /// none; an error if there are several.
    #[default]
    Auto,
    /// `<prefix>.weight` and `<prefix>.bias` (the bias may be absent).
    Prefix(String),
    /// No head, even if the file has one.
    None,
}

/// What to read from a state dict.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetOptions {
    /// The prefix of the recurrent tensors; `None`: found from the name ending in `weight_ih_l0`.
    pub rnn_prefix: Option<String>,
    /// The head.
    pub head: HeadChoice,
    /// Accept Larq bit-packed binary weights (`<name>.packed`).
    pub larq_bits: bool,
    /// The cell the file must hold; `None`: LSTM if `weight_hh_l0` has 4·H rows, GRU if 3·H.
    pub cell: Option<Cell>,
}

struct Reader<'a> {
    sd: &'a StateDict,
    larq: bool,
    used: BTreeSet<String>,
}

impl Reader<'_> {
    fn path(&self) -> PathBuf {
        self.sd.path.clone()
    }

    fn get(&mut self, name: &str) -> Option<&Tensor> {
        let t = self.sd.tensors.get(name)?;
        self.used.insert(name.to_string());
        Some(t)
    }

    fn has(&self, name: &str) -> bool {
        self.sd.tensors.contains_key(name)
    }

    fn missing(&self, name: &str, why: &str) -> ImportError {
        let packed = format!("{name}.packed");
        let help = if self.has(&packed) && !self.larq {
            Some(format!(
                "the file has `{packed}` (bit-packed binary weights): pass --larq-bits"
            ))
        } else {
            let names: Vec<&str> = self.sd.tensors.keys().map(String::as_str).collect();
            Some(format!(
                "the file has {} tensors: {}{}",
                names.len(),
                names
                    .iter()
                    .take(12)
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if names.len() > 12 { ", …" } else { "" }
            ))
        };
        ImportError::Missing {
            path: self.path(),
            tensor: name.to_string(),
            why: why.to_string(),
            help,
        }
    }

    fn floats(&mut self, name: &str, shape: &[usize], why: &str) -> Result<Vec<f32>, ImportError> {
        let path = self.path();
        let t = self
            .get(name)
            .ok_or_else(|| ImportError::Missing {
                path: path.clone(),
                tensor: name.to_string(),
                why: why.to_string(),
                help: None,
            })?
            .clone();
        if t.shape != shape {
            return Err(ImportError::Shape {
                path,
                tensor: name.to_string(),
                found: t.shape,
                expected: format!("{shape:?}"),
                why: why.to_string(),
            });
        }
        match t.data {
            Data::Float(v) => {
                if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                    return Err(ImportError::Value {
                        path,
                        tensor: name.to_string(),
                        index: i,
                        message: format!("{x} is not a finite number"),
                    });
                }
                Ok(v)
            }
            _ => Err(ImportError::Dtype {
                path,
                tensor: name.to_string(),
                found: t.dtype,
                expected: "a floating-point type (F32, F64, F16, BF16; float32 or float64 in npz)"
                    .into(),
            }),
        }
    }

    /// The shape of a 2-D weight `name` (float, or packed with `<name>.shape`), unchecked.
    fn shape2(&mut self, name: &str, why: &str) -> Result<(usize, usize), ImportError> {
        let path = self.path();
        let packed = format!("{name}.packed");
        if self.larq && self.has(&packed) {
            let sname = format!("{name}.shape");
            let t = self
                .get(&sname)
                .ok_or_else(|| ImportError::Missing {
                    path: path.clone(),
                    tensor: sname.clone(),
                    why: format!("`{packed}` needs the unpacked shape [rows, cols] beside it"),
                    help: None,
                })?
                .clone();
            let v: Vec<i64> = match t.data {
                Data::Int(v) => v,
                Data::U8(v) => v.into_iter().map(i64::from).collect(),
                Data::Float(_) => {
                    return Err(ImportError::Dtype {
                        path,
                        tensor: sname,
                        found: t.dtype,
                        expected: "an integer type (int64 or int32)".into(),
                    })
                }
            };
            if v.len() != 2 || v.iter().any(|d| *d <= 0) {
                return Err(ImportError::Shape {
                    path,
                    tensor: sname,
                    found: t.shape,
                    expected: "two positive integers [rows, cols]".into(),
                    why: format!("the unpacked shape of `{packed}`, found values {v:?}"),
                });
            }
            return Ok((v[0] as usize, v[1] as usize));
        }
        if !self.has(name) {
            return Err(self.missing(name, why));
        }
        let t = self.get(name).expect("present").clone();
        if t.shape.len() != 2 {
            return Err(ImportError::Shape {
                path,
                tensor: name.to_string(),
                found: t.shape,
                expected: "2 dimensions [rows, cols]".into(),
                why: why.to_string(),
            });
        }
        Ok((t.shape[0], t.shape[1]))
    }

    fn matrix(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
        why: &str,
    ) -> Result<NamedMatrix, ImportError> {
        let packed = format!("{name}.packed");
        let m = if self.larq && self.has(&packed) {
            self.unpack(name, rows, cols)?
        } else {
            Matrix::Float(self.floats(name, &[rows, cols], why)?)
        };
        Ok(NamedMatrix {
            name: name.to_string(),
            rows,
            cols,
            m,
        })
    }

    /// Larq bit-packed weights (docs/QUANTIZATION.md §8).
    fn unpack(&mut self, name: &str, rows: usize, cols: usize) -> Result<Matrix, ImportError> {
        let path = self.path();
        let pname = format!("{name}.packed");
        let t = self.get(&pname).expect("checked by the caller").clone();
        // bytes per row: uint8 [rows, ceil(cols/8)] or int32 [rows, ceil(cols/32)] (LE words)
        let (bytes, per_row): (Vec<u8>, usize) = match &t.data {
            Data::U8(v) => (v.clone(), cols.div_ceil(8)),
            Data::Int(v) if t.dtype.contains("32") || t.dtype.contains("i4") => (
                v.iter().flat_map(|w| (*w as i32).to_le_bytes()).collect(),
                cols.div_ceil(32) * 4,
            ),
            _ => {
                return Err(ImportError::Dtype {
                    path,
                    tensor: pname,
                    found: t.dtype,
                    expected: "uint8 (8 weights a byte) or int32 (32 weights a word)".into(),
                })
            }
        };
        let expected_shape = match &t.data {
            Data::U8(_) => vec![rows, cols.div_ceil(8)],
            _ => vec![rows, cols.div_ceil(32)],
        };
        if t.shape != expected_shape {
            return Err(ImportError::Shape {
                path,
                tensor: pname,
                found: t.shape,
                expected: format!("{expected_shape:?}"),
                why: format!("bit-packed rows of the [{rows}, {cols}] tensor `{name}`"),
            });
        }
        let mut codes = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            let row = &bytes[r * per_row..(r + 1) * per_row];
            for j in 0..per_row * 8 {
                let bit = (row[j / 8] >> (j % 8)) & 1;
                if j < cols {
                    // Larq: bit 1 = −1, bit 0 = +1
                    codes.push(if bit == 1 { -1 } else { 1 });
                } else if bit != 0 {
                    return Err(ImportError::Value {
                        path,
                        tensor: pname,
                        index: r * per_row + j / 8,
                        message: format!(
                            "row {r}: padding bit {j} (beyond column {cols}) is set; padding bits must be 0"
                        ),
                    });
                }
            }
        }
        let sname = format!("{name}.scale");
        let alpha = if self.has(&sname) {
            let t = self.sd.tensors[&sname].clone();
            let n = t.data_len();
            if n != 1 && n != rows {
                return Err(ImportError::Shape {
                    path,
                    tensor: sname,
                    found: t.shape,
                    expected: format!("[1] or [{rows}]"),
                    why: format!("one scale for `{name}`, or one per row"),
                });
            }
            let shape = t.shape.clone();
            let v = self.floats(&sname, &shape, "the scale of packed weights")?;
            if let Some((i, a)) = v.iter().enumerate().find(|(_, a)| **a < 0.0) {
                return Err(ImportError::Value {
                    path: self.path(),
                    tensor: sname,
                    index: i,
                    message: format!("scale {a} is negative"),
                });
            }
            v
        } else {
            vec![1.0]
        };
        Ok(Matrix::Packed { codes, alpha })
    }

    /// A bias vector, or zeros when `allow_absent` and it is absent.
    fn bias(&mut self, name: &str, n: usize, why: &str) -> Result<Vec<f32>, ImportError> {
        self.floats(name, &[n], why)
    }
}

impl Tensor {
    fn data_len(&self) -> usize {
        match &self.data {
            Data::Float(v) => v.len(),
            Data::U8(v) => v.len(),
            Data::Int(v) => v.len(),
        }
    }
}

fn strip_packed(name: &str) -> &str {
    name.strip_suffix(".packed").unwrap_or(name)
}

/// Find and check the recurrent network (and head) of a state dict.
pub fn parse_net(sd: &StateDict, opts: &NetOptions) -> Result<Net, ImportError> {
    let path = sd.path.clone();
    let unsupported = |message: String| ImportError::Unsupported {
        path: path.clone(),
        message,
    };
    let mut rd = Reader {
        sd,
        larq: opts.larq_bits,
        used: BTreeSet::new(),
    };
    // the prefix of the recurrent module
    let prefix = match &opts.rnn_prefix {
        Some(p) => p.clone(),
        None => {
            let found: BTreeSet<&str> = sd
                .tensors
                .keys()
                .filter_map(|k| strip_packed(k).strip_suffix("weight_ih_l0"))
                .collect();
            match found.len() {
                0 => {
                    return Err(rd.missing(
                        "weight_ih_l0",
                        "no tensor of an nn.LSTM or nn.GRU (weight_ih_l0, weight_hh_l0, …) is in the file",
                    ))
                }
                1 => found.into_iter().next().unwrap_or_default().to_string(),
                _ => {
                    return Err(unsupported(format!(
                        "several recurrent modules ({}): choose one with --rnn-prefix",
                        found
                            .iter()
                            .map(|p| format!("`{p}weight_ih_l0`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
    };
    let n = |s: &str, k: usize| format!("{prefix}{s}_l{k}");
    // unsupported variants of nn.LSTM / nn.GRU
    for k in sd.tensors.keys() {
        let base = strip_packed(k);
        if let Some(rest) = base.strip_prefix(prefix.as_str()) {
            if rest.starts_with("weight_") && rest.ends_with("_reverse")
                || rest.starts_with("bias_") && rest.ends_with("_reverse")
            {
                return Err(unsupported(format!(
                    "tensor `{k}`: bidirectional networks are not supported (qrnn-hw runs one direction, in time order)"
                )));
            }
            if rest.starts_with("weight_hr_l") {
                return Err(unsupported(format!(
                    "tensor `{k}`: LSTM projections (proj_size > 0) are not supported"
                )));
            }
        }
    }
    let exists = |rd: &Reader, name: &str| rd.has(name) || rd.has(&format!("{name}.packed"));
    let mut layers: Vec<NetLayer> = Vec::new();
    let mut cell: Option<Cell> = None;
    let mut input = 0usize;
    let mut k = 0usize;
    while exists(&rd, &n("weight_ih", k)) || exists(&rd, &n("weight_hh", k)) {
        let (wih, whh) = (n("weight_ih", k), n("weight_hh", k));
        let (rows_u, h) = rd.shape2(&whh, &format!("the recurrent weights of layer {k}"))?;
        let g = match cell {
            Some(c) => c.gates(),
            None => {
                let c = if h > 0 && rows_u == 4 * h {
                    Cell::Lstm
                } else if h > 0 && rows_u == 3 * h {
                    Cell::Gru
                } else {
                    return Err(ImportError::Shape {
                        path: path.clone(),
                        tensor: whh,
                        found: vec![rows_u, h],
                        expected: format!("[4·{h}, {h}] (LSTM) or [3·{h}, {h}] (GRU)"),
                        why: "weight_hh is [gates·hidden, hidden]".into(),
                    });
                };
                if let Some(want) = opts.cell {
                    if want != c {
                        return Err(unsupported(format!(
                            "--cell {want}: `{whh}` is [{rows_u}, {h}], which is an {} layer",
                            c.to_string().to_uppercase()
                        )));
                    }
                }
                cell = Some(c);
                c.gates()
            }
        };
        let c = cell.expect("set above");
        if rows_u != g * h {
            return Err(ImportError::Shape {
                path: path.clone(),
                tensor: whh,
                found: vec![rows_u, h],
                expected: format!("[{}, {h}]", g * h),
                why: format!(
                    "an {} layer of hidden size {h} has {g}·{h} gate rows",
                    c.to_string().to_uppercase()
                ),
            });
        }
        let (rows_w, cols_w) = rd.shape2(&wih, &format!("the input weights of layer {k}"))?;
        let prev = layers.last().map(|l| l.hidden);
        let why_w = match prev {
            None => format!("layer 0 has hidden size {h} (from `{whh}`)"),
            Some(p) => format!(
                "layer {k} has hidden size {h} (from `{whh}`) and takes layer {}'s output of size {p}",
                k - 1
            ),
        };
        if rows_w != g * h || prev.is_some_and(|p| p != cols_w) {
            return Err(ImportError::Shape {
                path: path.clone(),
                tensor: wih,
                found: vec![rows_w, cols_w],
                expected: format!(
                    "[{}, {}]",
                    g * h,
                    prev.map(|p| p.to_string()).unwrap_or("input".into())
                ),
                why: format!("inconsistent hidden sizes: {why_w}"),
            });
        }
        if k == 0 {
            input = cols_w;
        }
        let w_ih = rd.matrix(&wih, g * h, cols_w, &why_w)?;
        let w_hh = rd.matrix(&whh, g * h, h, &why_w)?;
        let (bih, bhh) = (n("bias_ih", k), n("bias_hh", k));
        let why_b = format!("one bias per gate row of layer {k} ({g}·{h})");
        let (b_ih, b_hh) = match (rd.has(&bih), rd.has(&bhh)) {
            (false, false) => (vec![0.0; g * h], vec![0.0; g * h]), // bias=False
            (true, false) => {
                return Err(rd.missing(&bhh, &format!("`{bih}` is there, so its pair must be")))
            }
            (false, true) => {
                return Err(rd.missing(&bih, &format!("`{bhh}` is there, so its pair must be")))
            }
            (true, true) => (rd.bias(&bih, g * h, &why_b)?, rd.bias(&bhh, g * h, &why_b)?),
        };
        layers.push(NetLayer {
            hidden: h,
            w_ih,
            w_hh,
            b_ih,
            b_hh,
        });
        k += 1;
    }
    let cell = match cell {
        Some(c) => c,
        None => {
            return Err(rd.missing(
                &n("weight_ih", 0),
                "the first layer of the recurrent module",
            ))
        }
    };
    let last = layers.last().map(|l| l.hidden).unwrap_or(0);
    // the head
    let head_prefix = match &opts.head {
        HeadChoice::None => None,
        HeadChoice::Prefix(p) => Some(p.clone()),
        HeadChoice::Auto => {
            let cands: BTreeSet<&str> = sd
                .tensors
                .keys()
                .filter(|k| !rd.used.contains(*k))
                .filter_map(|k| strip_packed(k).strip_suffix(".weight"))
                .collect();
            match cands.len() {
                0 => None,
                1 => cands.into_iter().next().map(str::to_string),
                _ => {
                    return Err(unsupported(format!(
                        "several candidates for the dense head ({}): choose one with --head-prefix, or --no-head",
                        cands
                            .iter()
                            .map(|p| format!("`{p}.weight`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
    };
    let head = match head_prefix {
        None => None,
        Some(p) => {
            let wname = format!("{p}.weight");
            let why = format!("the head maps the last layer's hidden state ({last} values)");
            let (o, h) = rd.shape2(&wname, &why)?;
            if h != last {
                return Err(ImportError::Shape {
                    path: path.clone(),
                    tensor: wname,
                    found: vec![o, h],
                    expected: format!("[outputs, {last}]"),
                    why: format!("inconsistent hidden sizes: {why}"),
                });
            }
            let weight = rd.matrix(&wname, o, h, &why)?;
            let bname = format!("{p}.bias");
            let bias = if rd.has(&bname) {
                rd.bias(&bname, o, "one bias per head output")?
            } else {
                vec![0.0; o]
            };
            Some(NetHead {
                prefix: p,
                weight,
                bias,
            })
        }
    };
    let ignored = sd
        .tensors
        .keys()
        .filter(|k| !rd.used.contains(*k))
        .cloned()
        .collect();
    Ok(Net {
        cell,
        input,
        layers,
        head,
        rnn_prefix: prefix,
        ignored,
    })
}

// ---------------------------------------------------------------- building the model

/// Formats and naming of the imported model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelOptions {
    /// The quantization.
    pub quant: QuantSpec,
    /// Activation, cell, pre-activation and output formats; `bias` is used only when
    /// `auto_bias` is false. Default: [`Formats::default`] (docs/QUANTIZATION.md §7.3).
    pub formats: Formats,
    /// Choose each bias format as `fixed<16,F>` with the largest `F ≤ 12` that holds every bias
    /// of the layer (or head) without saturation.
    pub auto_bias: bool,
    /// Model name (default: the file's stem).
    pub name: Option<String>,
}

impl Default for ModelOptions {
    fn default() -> ModelOptions {
        ModelOptions {
            quant: QuantSpec::default(),
            formats: Formats::default(),
            auto_bias: true,
            name: None,
        }
    }
}

/// What was imported, as recorded (JSON) in the provenance `notes` of the model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportRecord {
    /// The file name (without directories, so the model does not depend on where it was run).
    pub source: String,
    /// Its container format.
    pub format: SourceFormat,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The recurrent module's prefix.
    pub rnn_prefix: String,
    /// The head's prefix, if a head was imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_prefix: Option<String>,
    /// Whether Larq bit-packed weights were accepted.
    pub larq_bits: bool,
    /// Tensors of the file that were not used.
    pub ignored: Vec<String>,
}

/// The per-tensor quantization error `‖w − ŵ‖ / ‖w‖` (0 for an all-zero tensor).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TensorError {
    /// The tensor's name in the file.
    pub tensor: String,
    /// Relative L2 error.
    pub rel_error: f64,
}

/// The result of an import.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The validated model.
    pub model: Model,
    /// The network as read (real-valued weights), for comparisons.
    pub net: Net,
    /// What was recorded in the provenance.
    pub record: ImportRecord,
    /// Quantization error per weight tensor.
    pub errors: Vec<TensorError>,
}

/// Largest-fraction 16-bit format that holds every value without saturation (§7.3).
pub fn auto_bias_fmt(values: &[f64]) -> Option<Fmt> {
    (0..=AUTO_BIAS_MAX_FRAC).rev().find_map(|f| {
        let fmt = Fmt {
            width: AUTO_BIAS_WIDTH,
            frac: f,
        };
        values
            .iter()
            .all(|v| {
                let q = quant::round_half_up(v * (2f64).powi(f));
                q >= fmt.min() as f64 && q <= fmt.max() as f64
            })
            .then_some(fmt)
    })
}

fn rel_error(w: &[f32], q: &Weights) -> f64 {
    let n = q.row_len().max(1);
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for (i, (v, c)) in w.iter().zip(&q.codes).enumerate() {
        let d = *v as f64 - q.scale.alpha(i / n) * *c as f64;
        num += d * d;
        den += (*v as f64) * (*v as f64);
    }
    if den == 0.0 {
        0.0
    } else {
        (num / den).sqrt()
    }
}

/// Quantize the network and build a valid model (docs/QUANTIZATION.md §7).
pub fn build_model(
    sd: &StateDict,
    net: &Net,
    opts: &ModelOptions,
) -> Result<Imported, ImportError> {
    build_model_with(sd, net, opts, &BuildExtras::default())
}

/// What [`build_model_with`] adds for networks trained by `qrnn-hw train`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildExtras {
    /// ConvLSTM: kernel side `k` and frame `(height, width)`; the net's `W`/`U` matrices are then
    /// `[4·Ch, C·k·k]`, each row an OIHW `[C, k, k]` kernel (stored as `[4·Ch, C, k, k]`).
    pub conv: Option<(usize, (usize, usize))>,
    /// Store `W` and `U` as symmetric `int8` (§5.3, the multiplier baseline), for a network
    /// trained in full precision; the spec still governs the biases and the head.
    pub int8_weights: bool,
}

/// [`build_model`] with [`BuildExtras`].
pub fn build_model_with(
    sd: &StateDict,
    net: &Net,
    opts: &ModelOptions,
    extras: &BuildExtras,
) -> Result<Imported, ImportError> {
    let path = sd.path.clone();
    let spec = &opts.quant;
    spec.validate().map_err(|e| ImportError::Unsupported {
        path: path.clone(),
        message: format!("quantization options: {e}"),
    })?;
    let qerr = |tensor: &str, source: QuantError| ImportError::Quant {
        path: path.clone(),
        tensor: tensor.to_string(),
        source,
    };
    let has_packed = net
        .layers
        .iter()
        .flat_map(|l| [&l.w_ih, &l.w_hh])
        .chain(net.head.as_ref().map(|h| &h.weight))
        .any(|m| matches!(m.m, Matrix::Packed { .. }));
    if has_packed && spec.scheme != Scheme::Binary {
        return Err(ImportError::Unsupported {
            path,
            message: format!(
                "the file has bit-packed binary weights, which need the binary scheme, not {}",
                spec.scheme
            ),
        });
    }
    let f = &opts.formats;
    if !(2..=12).contains(&f.pre.width) {
        // checked before the tables (2^width entries) are built
        return Err(ImportError::Model {
            path,
            source: QwError::Field {
                field: "pre".into(),
                message: format!(
                    "pre-activation format {}: the width must be 2..=12 (it indexes a table of 2^W entries)",
                    f.pre
                ),
            },
        });
    }
    let mut rng = Rng::new(spec.stochastic_seed.unwrap_or(0));
    let mut errors = Vec::new();
    // weights of the scheme (float: quantized; packed: as given)
    let mut quantize =
        |m: &NamedMatrix, rng: &mut Rng, as_head_int8: bool| -> Result<Weights, ImportError> {
            let shape = [m.rows, m.cols];
            let q = match &m.m {
                Matrix::Float(v) if as_head_int8 => {
                    quant::quantize_int(v, &shape, 8, spec.per_row, spec.pow2)
                }
                Matrix::Float(v) => spec.quantize(v, &shape, rng),
                Matrix::Packed { codes, alpha } => {
                    let s: Vec<f64> = alpha.iter().map(|a| *a as f64).collect();
                    quant::encode_scale(&s, spec.pow2).map(|scale| Weights {
                        scheme: Scheme::Binary,
                        shape: shape.to_vec(),
                        codes: codes.clone(),
                        scale,
                    })
                }
            }
            .map_err(|e| qerr(&m.name, e))?;
            errors.push(TensorError {
                tensor: m.name.clone(),
                rel_error: rel_error(&m.to_f32(), &q),
            });
            Ok(q)
        };
    let bias_vals = |name: &str, b: &[f32], rng: &mut Rng| -> Result<Vec<f64>, ImportError> {
        if spec.bias {
            spec.quantize_vector(b, rng).map_err(|e| qerr(name, e))
        } else {
            Ok(b.iter().map(|v| *v as f64).collect())
        }
    };
    let pick_fmt = |name: &str, vals: &[f64]| -> Result<Fmt, ImportError> {
        if !opts.auto_bias {
            return Ok(f.bias);
        }
        auto_bias_fmt(vals).ok_or_else(|| ImportError::Value {
            path: path.clone(),
            tensor: name.to_string(),
            index: vals
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .map(|x| x.0)
                .unwrap_or(0),
            message: format!(
                "a bias of magnitude {:.4e} does not fit a 16-bit bias format even with 0 fraction bits; give --bias-format",
                vals.iter().fold(0.0f64, |m, v| m.max(v.abs()))
            ),
        })
    };
    let mut layers = Vec::with_capacity(net.layers.len());
    for (k, l) in net.layers.iter().enumerate() {
        let mut w = quantize(&l.w_ih, &mut rng, extras.int8_weights)?;
        let mut u = quantize(&l.w_hh, &mut rng, extras.int8_weights)?;
        if let Some((k, _)) = extras.conv {
            for t in [&mut w, &mut u] {
                t.shape = vec![t.shape[0], t.shape[1] / (k * k), k, k];
            }
        }
        let (bias, bias_h) = match net.cell {
            Cell::Gru => (
                bias_vals(
                    &format!("{}bias_ih_l{k}", net.rnn_prefix),
                    &l.b_ih,
                    &mut rng,
                )?,
                bias_vals(
                    &format!("{}bias_hh_l{k}", net.rnn_prefix),
                    &l.b_hh,
                    &mut rng,
                )?,
            ),
            _ => {
                // b = b_ih + b_hh, added in f32
                let b: Vec<f32> = l.b_ih.iter().zip(&l.b_hh).map(|(a, b)| a + b).collect();
                (
                    bias_vals(
                        &format!("{}bias_ih_l{k} + bias_hh_l{k}", net.rnn_prefix),
                        &b,
                        &mut rng,
                    )?,
                    Vec::new(),
                )
            }
        };
        let all: Vec<f64> = bias.iter().chain(&bias_h).copied().collect();
        let bias_fmt = pick_fmt(&format!("{}bias_ih_l{k}", net.rnn_prefix), &all)?;
        layers.push(Layer {
            cell: net.cell,
            hidden: l.hidden,
            kernel: extras.conv.map_or(1, |c| c.0),
            pre: f.pre,
            act_frac: f.act_frac,
            c_fmt: net.cell.has_c().then_some(f.c),
            h_fmt: f.h,
            bias_fmt,
            w,
            u,
            bias: bias.iter().map(|v| bias_fmt.quantize(*v)).collect(),
            bias_h: bias_h.iter().map(|v| bias_fmt.quantize(*v)).collect(),
            sigmoid: sigmoid_table(f.pre, f.act_frac),
            tanh: tanh_table(f.pre, f.act_frac),
        });
    }
    let head = match &net.head {
        None => None,
        Some(h) => {
            let packed = matches!(h.weight.m, Matrix::Packed { .. });
            let w = quantize(&h.weight, &mut rng, !spec.head && !packed)?;
            let bname = format!("{}.bias", h.prefix);
            let b = bias_vals(&bname, &h.bias, &mut rng)?;
            let bias_fmt = pick_fmt(&bname, &b)?;
            Some(Head {
                w,
                bias: b.iter().map(|v| bias_fmt.quantize(*v)).collect(),
                bias_fmt,
                out_fmt: f.out,
            })
        }
    };
    let source = sd
        .path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let record = ImportRecord {
        source: source.clone(),
        format: sd.format,
        sha256: sd.sha256.clone(),
        rnn_prefix: net.rnn_prefix.clone(),
        head_prefix: net.head.as_ref().map(|h| h.prefix.clone()),
        larq_bits: has_packed,
        ignored: net.ignored.clone(),
    };
    let formats = serde_json::json!({
        "x": f.x.to_string(), "h": f.h.to_string(), "c": f.c.to_string(), "pre": f.pre.to_string(),
        "act_frac": f.act_frac, "bias": if opts.auto_bias { "auto".to_string() } else { f.bias.to_string() },
        "out": f.out.to_string(),
    });
    let notes = serde_json::json!({ "import": record, "quant": spec, "formats": formats });
    // (an explicit name is checked by Model::validate below; a default one is made valid)
    let name = opts.name.clone().unwrap_or_else(|| {
        qrnn_model::name::legalise(
            &sd.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "imported".into()),
        )
    });
    let model = Model {
        name,
        input: InputSpec {
            size: net.input,
            map: extras.conv.map(|c| c.1),
            format: f.x,
        },
        layers,
        head,
        provenance: Provenance {
            tool: format!("qrnn-hw {} import", env!("CARGO_PKG_VERSION")),
            dataset: None,
            task: None,
            seed: spec.stochastic_seed,
            epochs: None,
            metrics: Default::default(),
            notes: Some(notes.to_string()),
        },
    };
    model.validate().map_err(|source| ImportError::Model {
        path: path.clone(),
        source,
    })?;
    Ok(Imported {
        model,
        net: net.clone(),
        record,
        errors,
    })
}

/// Read, check, quantize: the whole import.
pub fn import(
    path: &Path,
    net_opts: &NetOptions,
    model_opts: &ModelOptions,
) -> Result<Imported, ImportError> {
    let sd = read_state_dict(path)?;
    let net = parse_net(&sd, net_opts)?;
    build_model(&sd, &net, model_opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversion() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), (2f32).powi(-24));
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x8000), 0.0);
    }

    #[test]
    fn fortran_order_is_transposed() {
        // [[1, 2, 3], [4, 5, 6]] stored column-major is 1 4 2 5 3 6
        assert_eq!(
            fortran_to_c(&[1, 4, 2, 5, 3, 6], &[2, 3]),
            vec![1, 2, 3, 4, 5, 6]
        );
        // 3-D: shape [2, 2, 2], F order offset = i + 2j + 4k
        let f: Vec<i32> = (0..8).collect();
        let c = fortran_to_c(&f, &[2, 2, 2]);
        assert_eq!(c, vec![0, 4, 2, 6, 1, 5, 3, 7]);
    }

    #[test]
    fn auto_bias_format() {
        assert_eq!(
            auto_bias_fmt(&[0.5, -1.0]),
            Some(Fmt {
                width: 16,
                frac: 12
            })
        );
        // 8 needs 4 integer bits + sign: 2^(15-F) > 8 → F ≤ 11
        assert_eq!(
            auto_bias_fmt(&[8.0]),
            Some(Fmt {
                width: 16,
                frac: 11
            })
        );
        assert_eq!(
            auto_bias_fmt(&[-8.0]),
            Some(Fmt {
                width: 16,
                frac: 12
            })
        );
        assert_eq!(auto_bias_fmt(&[40000.0]), None);
        assert_eq!(
            auto_bias_fmt(&[]),
            Some(Fmt {
                width: 16,
                frac: 12
            })
        );
    }
}
