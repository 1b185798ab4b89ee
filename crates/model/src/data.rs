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
    // (before npyz, which allocates what the header says: bounded header, exact data length)
    check_npy(&bytes).map_err(|m| err(path, format!("not a valid .npy file: {m}")))?;
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

/// The largest `.npy` header (the dict after the preamble) this reader accepts: numpy writes
/// headers of 64 to a few hundred bytes, and itself refuses more than 10 000 by default.
pub const MAX_NPY_HEADER: usize = 64 << 10;

/// The `.npy` magic, bytes 0..6.
const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// What an `.npy` header says, as [`check_npy`] read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyLayout {
    /// `descr` as the file gives it (`<f8`), or `None` for a structured dtype (a list).
    pub descr: Option<String>,
    /// `fortran_order`.
    pub fortran: bool,
    /// `shape`.
    pub shape: Vec<u64>,
    /// Where the data starts (after the preamble and header).
    pub data_offset: usize,
    /// Bytes per element, when the dtype is a plain one whose size this knows.
    pub item_size: Option<u64>,
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Check an `.npy` file (or `.npz` member) before any parser allocates for it: the magic, a
/// version 1.0, 2.0 or 3.0, a header length of at most [`MAX_NPY_HEADER`] that ends inside the
/// bytes, a dict with `descr`, `fortran_order` and `shape`, and — for a plain dtype — exactly
/// shape × item size bytes of data after the header (checked arithmetic). The error says the
/// byte offsets and what was expected; the caller adds the file (and member) name.
pub fn check_npy(bytes: &[u8]) -> Result<NpyLayout, String> {
    let len = bytes.len();
    if len < 10 || &bytes[..6] != NPY_MAGIC {
        return Err(format!(
            "bytes 0..6 are {}, expected the .npy magic {} (\\x93NUMPY)",
            if len == 0 {
                "empty (the file has 0 bytes)".to_string()
            } else {
                hex_bytes(&bytes[..len.min(6)])
            },
            hex_bytes(NPY_MAGIC)
        ));
    }
    let (field, hlen, start) = match (bytes[6], bytes[7]) {
        (1, 0) => (
            "bytes 8..10",
            u64::from(u16::from_le_bytes([bytes[8], bytes[9]])),
            10,
        ),
        (2 | 3, 0) if len >= 12 => (
            "bytes 8..12",
            u64::from(u32::from_le_bytes([
                bytes[8], bytes[9], bytes[10], bytes[11],
            ])),
            12,
        ),
        (2 | 3, 0) => {
            return Err(format!(
                "the file has {len} bytes, too few for a version {}.0 preamble (12 bytes)",
                bytes[6]
            ))
        }
        (major, minor) => {
            return Err(format!(
                "bytes 6..8: version {major}.{minor}, expected 1.0, 2.0 or 3.0"
            ))
        }
    };
    if hlen > MAX_NPY_HEADER as u64 {
        return Err(format!(
            "{field}: header length {hlen} is more than the {MAX_NPY_HEADER} bytes this reader accepts (numpy writes headers of a few hundred bytes)"
        ));
    }
    let end = start + hlen as usize;
    if end > len {
        return Err(format!(
            "{field}: header length {hlen} runs to byte {end}, past the end of the {len}-byte file"
        ));
    }
    let header = std::str::from_utf8(&bytes[start..end]).map_err(|e| {
        format!(
            "the header (bytes {start}..{end}) is not UTF-8 at byte {}",
            start + e.valid_up_to()
        )
    })?;
    let at = format!("the header (bytes {start}..{end})");
    let value_of = |key: &str| -> Result<&str, String> {
        let k = header
            .find(&format!("'{key}'"))
            .or_else(|| header.find(&format!("\"{key}\"")))
            .ok_or_else(|| format!("{at} has no '{key}': expected a dict like {{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4)}}"))?;
        let rest = header[k + key.len() + 2..].trim_start();
        rest.strip_prefix(':')
            .map(str::trim_start)
            .ok_or_else(|| format!("{at}: no `:` after '{key}'"))
    };
    // shape: a tuple of non-negative integers
    let s = value_of("shape")?;
    let dims_text = s
        .strip_prefix('(')
        .and_then(|r| r.split_once(')'))
        .map(|(d, _)| d)
        .ok_or_else(|| format!("{at}: 'shape' is not a tuple like (3, 4)"))?;
    let shape = dims_text
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.trim_end_matches('L').parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            format!("{at}: 'shape' ({dims_text}) is not a tuple of non-negative integers")
        })?;
    let fortran = match value_of("fortran_order")? {
        f if f.starts_with("True") => true,
        f if f.starts_with("False") => false,
        _ => return Err(format!("{at}: 'fortran_order' is not True or False")),
    };
    let d = value_of("descr")?;
    let descr = match d.chars().next() {
        Some(q @ ('\'' | '"')) => Some(
            d[1..]
                .split_once(q)
                .map(|(v, _)| v.to_string())
                .ok_or_else(|| format!("{at}: 'descr' is an unterminated string"))?,
        ),
        _ => None, // a structured dtype: the caller refuses it by its descr
    };
    let item_size = descr.as_deref().and_then(npy_item_size);
    let n = shape.iter().try_fold(1u64, |a, d| a.checked_mul(*d));
    if let Some(size) = item_size {
        let data = (len - end) as u64;
        let need = n.and_then(|n| n.checked_mul(size));
        if need != Some(data) {
            return Err(format!(
                "array shape ({dims_text}) of '{}' needs {} bytes of data after the header (from byte {end}), the file has {data}",
                descr.as_deref().unwrap_or(""),
                need.map_or("more than 2^64".to_string(), |b| b.to_string())
            ));
        }
    } else if n.is_none() {
        return Err(format!(
            "array shape ({dims_text}) has more than 2^64 elements"
        ));
    }
    Ok(NpyLayout {
        descr,
        fortran,
        shape,
        data_offset: end,
        item_size,
    })
}

/// Bytes per element of a plain numpy dtype string (`<f8`, `|u1`, `<U10`, `<M8[ns]`).
fn npy_item_size(descr: &str) -> Option<u64> {
    let d = descr.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = d.chars();
    let kind = chars.next()?;
    let rest = chars.as_str();
    let digits = rest.split('[').next()?;
    let n: u64 = digits.parse().ok()?;
    match kind {
        'b' | 'i' | 'u' | 'f' | 'c' | 'S' | 'a' | 'V' | 'M' | 'm' => Some(n),
        'U' => n.checked_mul(4),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-`major` `.npy` with the header text `dict` (padded) and `data`.
    fn npy(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
        let mut out = NPY_MAGIC.to_vec();
        out.extend([major, 0]);
        let h = format!("{dict}\n");
        if major == 1 {
            out.extend((h.len() as u16).to_le_bytes());
        } else {
            out.extend((h.len() as u32).to_le_bytes());
        }
        out.extend(h.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn a_good_header_is_read() {
        for major in [1, 2, 3] {
            let b = npy(
                major,
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                &[0; 24],
            );
            let l = check_npy(&b).unwrap();
            assert_eq!(l.descr.as_deref(), Some("<f4"));
            assert!(l.fortran);
            assert_eq!(l.shape, vec![2, 3]);
            assert_eq!(l.item_size, Some(4));
            assert_eq!(l.data_offset, b.len() - 24);
        }
        // numpy's own writer
        let b = npy_f64(&[vec![1.0, 2.0]]);
        assert_eq!(check_npy(&b).unwrap().shape, vec![1, 2]);
        // a scalar and an empty array
        let b = npy(
            1,
            "{'descr': '|u1', 'fortran_order': False, 'shape': ()}",
            &[7],
        );
        assert_eq!(check_npy(&b).unwrap().shape, Vec::<u64>::new());
        let b = npy(
            1,
            "{'descr': '<i8', 'fortran_order': False, 'shape': (0,)}",
            &[],
        );
        assert!(check_npy(&b).is_ok());
    }

    #[test]
    fn forged_headers_are_refused_before_anything_is_allocated() {
        // 14 bytes: version 2.0, header length 0xFFFFFFFF (npyz would allocate 4 GiB for it)
        let mut b = NPY_MAGIC.to_vec();
        b.extend([2, 0, 0xFF, 0xFF, 0xFF, 0xFF, b'{', b'}']);
        assert_eq!(b.len(), 14);
        let e = check_npy(&b).unwrap_err();
        assert!(
            e.contains("bytes 8..12: header length 4294967295 is more than the 65536"),
            "{e}"
        );
        // a header length within the limit that runs past the end
        let mut b = NPY_MAGIC.to_vec();
        b.extend([1, 0, 0x00, 0x10, b'{']);
        let e = check_npy(&b).unwrap_err();
        assert!(
            e.contains("bytes 8..10: header length 4096 runs to byte 4106, past the end of the 11-byte file"),
            "{e}"
        );
        // data shorter or longer than shape × item size
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }";
        for data in [&[0u8; 95][..], &[0; 97]] {
            let e = check_npy(&npy(1, dict, data)).unwrap_err();
            assert!(
                e.contains("array shape (3, 4) of '<f8' needs 96 bytes of data after the header")
                    && e.contains(&format!("the file has {}", data.len())),
                "{e}"
            );
        }
        // a shape whose byte count overflows
        let e = check_npy(&npy(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
            &[],
        ))
        .unwrap_err();
        assert!(e.contains("needs more than 2^64 bytes"), "{e}");
        // not numpy at all, an empty file, a version from the future
        assert!(check_npy(b"not numpy")
            .unwrap_err()
            .contains("expected the .npy magic"));
        assert!(check_npy(b"").unwrap_err().contains("empty"));
        let mut b = npy(1, "{}", &[]);
        b[6] = 9;
        assert!(check_npy(&b).unwrap_err().contains("version 9.0"));
        // a dict without a shape, a shape that is no tuple
        let e = check_npy(&npy(1, "{'descr': '<f8', 'fortran_order': False}", &[])).unwrap_err();
        assert!(e.contains("has no 'shape'"), "{e}");
        let e = check_npy(&npy(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}",
            &[],
        ))
        .unwrap_err();
        assert!(e.contains("not a tuple of non-negative integers"), "{e}");
    }
}
