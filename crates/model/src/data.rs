//! Input sequences and data sets on disk: JSON, CSV and NumPy `.npy`, with errors that name the
//! file and the place (line, element) and what was expected.
//!
//! A **sequence** is `T` timesteps of `model.input_len()` real values (for ConvLSTM: one frame per
//! timestep, pixels in raster order, all channels of a pixel together, i.e. HWC).
//! - JSON: `[[x0, x1, …], …]` (one array per timestep), or `{"inputs": [[…], …]}`.
//! - CSV: one timestep per line, comma-separated; `#` starts a comment line.
//! - NPY: a 2-D array `[T, N]` (or 1-D `[T]` when N = 1) of f32, f64, i8..i64 or u8..u64.
//!
//! A **data set** (for `qrnn-hw eval`) is JSON: `{"sequences": [seq, …], "labels": [k, …]}` for
//! classification, or `{"sequences": […], "targets": [seq, …]}` for per-timestep regression.

use serde::Deserialize;
use std::path::Path;

/// A data file that could not be read: file, place, and what was expected.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}: {message}", path.display())]
#[diagnostic(code(qrnn::data))]
pub struct DataError {
    /// The file.
    pub path: std::path::PathBuf,
    /// What is wrong and where.
    pub message: String,
}

fn err(path: &Path, message: impl Into<String>) -> DataError {
    DataError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// A labelled or regression data set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// Input sequences.
    pub sequences: Vec<Vec<Vec<f64>>>,
    /// Class labels, one per sequence (classification).
    #[serde(default)]
    pub labels: Option<Vec<usize>>,
    /// Target sequences, one per sequence (regression).
    #[serde(default)]
    pub targets: Option<Vec<Vec<Vec<f64>>>>,
}

/// The `{"inputs": [...]}` form of a JSON sequence. (Not an untagged enum with the plain form:
/// serde_json reports no line or column for an untagged enum that matches no variant.)
#[derive(Deserialize)]
struct SeqJsonWrapped {
    inputs: Vec<Vec<f64>>,
}

/// Read one input sequence; every timestep must have `width` values.
pub fn read_sequence(path: &Path, width: usize) -> Result<Vec<Vec<f64>>, DataError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let seq = match ext.as_str() {
        "npy" => read_npy(path)?,
        "csv" | "txt" => read_csv(path)?,
        "json" => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| err(path, format!("cannot read: {e}")))?;
            let parsed = if text.trim_start().starts_with('{') {
                serde_json::from_str::<SeqJsonWrapped>(&text).map(|w| w.inputs)
            } else {
                serde_json::from_str::<Vec<Vec<f64>>>(&text)
            };
            match parsed {
                Ok(v) => v,
                Err(e) => {
                    return Err(err(
                        path,
                        format!("line {}, column {}: expected an array of timesteps, each an array of numbers ({e})", e.line(), e.column()),
                    ))
                }
            }
        }
        _ => {
            return Err(err(
                path,
                "unknown input file type: expected .json, .csv or .npy",
            ))
        }
    };
    check_width(path, &seq, width)?;
    Ok(seq)
}

fn check_width(path: &Path, seq: &[Vec<f64>], width: usize) -> Result<(), DataError> {
    if seq.is_empty() {
        return Err(err(path, "the sequence has no timesteps"));
    }
    for (t, row) in seq.iter().enumerate() {
        if row.len() != width {
            return Err(err(
                path,
                format!(
                    "timestep {t} has {} values, the model's input needs {width}",
                    row.len()
                ),
            ));
        }
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            return Err(err(
                path,
                format!("timestep {t}, value {j} is not a finite number"),
            ));
        }
    }
    Ok(())
}

fn read_csv(path: &Path) -> Result<Vec<Vec<f64>>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let row = line
            .split(',')
            .enumerate()
            .map(|(j, s)| {
                s.trim().parse::<f64>().map_err(|_| {
                    err(
                        path,
                        format!(
                            "line {}, field {}: {:?} is not a number",
                            i + 1,
                            j + 1,
                            s.trim()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(row);
    }
    Ok(out)
}

fn read_npy(path: &Path) -> Result<Vec<Vec<f64>>, DataError> {
    let bytes = std::fs::read(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    check_npy_shape(path, &bytes)?;
    let npy = npyz::NpyFile::new(&bytes[..])
        .map_err(|e| err(path, format!("not a valid .npy file: {e}")))?;
    let shape: Vec<u64> = npy.shape().to_vec();
    let (t, n) = match shape.as_slice() {
        [t] => (*t as usize, 1usize),
        [t, n] => (*t as usize, *n as usize),
        _ => {
            return Err(err(
                path,
                format!("array shape {shape:?}: expected [timesteps, values] or [timesteps]"),
            ))
        }
    };
    if npy.order() == npyz::Order::Fortran && n > 1 {
        return Err(err(
            path,
            "Fortran-ordered arrays are not supported: save with C order",
        ));
    }
    let dtype = npy.dtype();
    // `descr()` is the Python literal, quotes included: `'<f8'`.
    let descr = dtype.descr();
    let flat: Vec<f64> = match descr.trim_matches('\'') {
        "<f8" => npy
            .into_vec::<f64>()
            .map_err(|e| err(path, e.to_string()))?,
        "<f4" => npy
            .into_vec::<f32>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(f64::from)
            .collect(),
        "<i8" => npy
            .into_vec::<i64>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        "<i4" => npy
            .into_vec::<i32>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(f64::from)
            .collect(),
        "<i2" => npy
            .into_vec::<i16>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(f64::from)
            .collect(),
        "|i1" => npy
            .into_vec::<i8>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(f64::from)
            .collect(),
        "|u1" => npy
            .into_vec::<u8>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(f64::from)
            .collect(),
        "<u2" => npy
            .into_vec::<u16>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(f64::from)
            .collect(),
        "<u4" => npy
            .into_vec::<u32>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(f64::from)
            .collect(),
        "<u8" => npy
            .into_vec::<u64>()
            .map_err(|e| err(path, e.to_string()))?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        d => {
            return Err(err(
                path,
                format!("dtype {d}: expected little-endian float32/float64 or an integer type"),
            ))
        }
    };
    if flat.len() != t * n {
        return Err(err(
            path,
            format!(
                "holds {} values, its shape {shape:?} needs {}",
                flat.len(),
                t * n
            ),
        ));
    }
    Ok(flat.chunks(n.max(1)).map(|c| c.to_vec()).collect())
}

/// Before npyz sees the header: its `shape` must not need more elements than the file has bytes
/// (npyz multiplies the dimensions unchecked, and would allocate for them). A header this cannot
/// parse is left to npyz to reject.
fn check_npy_shape(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 16)]);
    let Some(dims) = head
        .find("'shape'")
        .map(|i| &head[i..])
        .and_then(|s| s.split_once('(')?.1.split_once(')'))
        .map(|(dims, _)| dims)
    else {
        return Ok(());
    };
    let Some(dims_n) = dims
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<usize>().ok())
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(());
    };
    match dims_n.iter().try_fold(1usize, |a, d| a.checked_mul(*d)) {
        Some(n) if n <= bytes.len() => Ok(()),
        _ => Err(err(
            path,
            format!(
                "array shape ({dims}) needs more values than the file's {} bytes hold",
                bytes.len()
            ),
        )),
    }
}

/// Write a 2-D f64 array as `.npy` (version 1.0, little-endian, C order).
pub fn npy_f64(rows: &[Vec<f64>]) -> Vec<u8> {
    let t = rows.len();
    let n = rows.first().map(|r| r.len()).unwrap_or(0);
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({t}, {n}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::new();
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for r in rows {
        for v in r {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Read a data set; every sequence's timesteps must have `width` values.
pub fn read_dataset(path: &Path, width: usize) -> Result<Dataset, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let ds: Dataset = serde_json::from_str(&text)
        .map_err(|e| err(path, format!("line {}, column {}: {e} (expected {{\"sequences\": [...], \"labels\": [...]}} or \"targets\")", e.line(), e.column())))?;
    if ds.sequences.is_empty() {
        return Err(err(path, "`sequences` is empty"));
    }
    for (i, s) in ds.sequences.iter().enumerate() {
        check_width(path, s, width)
            .map_err(|e| err(path, format!("sequences[{i}]: {}", e.message)))?;
    }
    match (&ds.labels, &ds.targets) {
        (Some(l), None) if l.len() == ds.sequences.len() => {}
        (None, Some(t)) if t.len() == ds.sequences.len() => {}
        (Some(l), None) => {
            return Err(err(
                path,
                format!(
                    "`labels` has {} entries for {} sequences",
                    l.len(),
                    ds.sequences.len()
                ),
            ))
        }
        (None, Some(t)) => {
            return Err(err(
                path,
                format!(
                    "`targets` has {} entries for {} sequences",
                    t.len(),
                    ds.sequences.len()
                ),
            ))
        }
        _ => {
            return Err(err(
                path,
                "give exactly one of `labels` (classification) or `targets` (regression)",
            ))
        }
    }
    Ok(ds)
}
