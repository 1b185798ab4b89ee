//! Checkpoints (safetensors): `DIR/last.safetensors` holds everything a resumed run needs (the
//! shadow weights, Adam's moments and step count, the epoch, the early-stopping state and the
//! best weights so far), written atomically after every epoch; `DIR/best.safetensors` holds the
//! best shadow weights alone (readable by any safetensors tool).
//!
//! Tensors: `param/<name>` (F32), `best/<name>` (F32), `adam_m/<name>`, `adam_v/<name>` (F64);
//! the metadata key `qrnn.train` holds [`State`] as JSON.

use super::adam::Adam;
use super::net::Params;
use safetensors::{tensor::TensorView, Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The metadata key.
pub const KEY: &str = "qrnn.train";

/// The state of a run after an epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// What the run is (architecture, data, options): a resumed run must match it exactly.
    pub identity: String,
    /// Epochs completed.
    pub epoch: u32,
    /// Adam steps taken.
    pub adam_t: u64,
    /// Best monitored loss so far.
    pub best_loss: f64,
    /// The epoch (1-based) that gave it.
    pub best_epoch: u32,
    /// Epochs since the best.
    pub bad_epochs: u32,
    /// Per-epoch figures so far: (train loss, val loss, val metric).
    pub history: Vec<(f64, f64, f64)>,
}

/// A checkpoint that cannot be read or written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}: {message}", path.display())]
#[diagnostic(code(qrnn::train::checkpoint))]
pub struct CheckpointError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

fn cerr(path: &Path, message: impl Into<String>) -> CheckpointError {
    CheckpointError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn write(
    path: &Path,
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
    meta: Option<HashMap<String, String>>,
) -> Result<(), CheckpointError> {
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(n, d, s, b)| {
            TensorView::new(*d, s.clone(), b)
                .map(|v| (n.clone(), v))
                .map_err(|e| cerr(path, format!("internal error: tensor {n}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let bytes = safetensors::serialize(views, meta)
        .map_err(|e| cerr(path, format!("cannot serialise: {e}")))?;
    qrnn_model::qw::write_atomic(path, &bytes).map_err(|e| cerr(path, e.to_string()))
}

/// Write the best weights alone.
pub fn save_best(path: &Path, best: &Params) -> Result<(), CheckpointError> {
    let t = best
        .list
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                Dtype::F32,
                p.shape.clone(),
                f32_bytes(&p.data),
            )
        })
        .collect();
    write(path, t, None)
}

/// Write the full state.
pub fn save_last(
    path: &Path,
    params: &Params,
    best: &Params,
    adam: &Adam,
    state: &State,
) -> Result<(), CheckpointError> {
    let mut t = Vec::new();
    for (k, p) in params.list.iter().enumerate() {
        t.push((
            format!("param/{}", p.name),
            Dtype::F32,
            p.shape.clone(),
            f32_bytes(&p.data),
        ));
        t.push((
            format!("best/{}", p.name),
            Dtype::F32,
            p.shape.clone(),
            f32_bytes(&best.list[k].data),
        ));
        t.push((
            format!("adam_m/{}", p.name),
            Dtype::F64,
            vec![p.data.len()],
            f64_bytes(&adam.m[k]),
        ));
        t.push((
            format!("adam_v/{}", p.name),
            Dtype::F64,
            vec![p.data.len()],
            f64_bytes(&adam.v[k]),
        ));
    }
    let json = serde_json::to_string(state).map_err(|e| cerr(path, e.to_string()))?;
    write(path, t, Some(HashMap::from([(KEY.to_string(), json)])))
}

/// Read a full state into `params`, `best` and `adam` (whose shapes must match).
pub fn load_last(
    path: &Path,
    params: &mut Params,
    best: &mut Params,
    adam: &mut Adam,
) -> Result<State, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|e| cerr(path, format!("cannot read: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| cerr(path, format!("not a safetensors file: {e}")))?;
    let json = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(KEY))
        .ok_or_else(|| {
            cerr(
                path,
                format!("no `{KEY}` metadata: not a checkpoint of qrnn-hw train"),
            )
        })?
        .clone();
    let state: State =
        serde_json::from_str(&json).map_err(|e| cerr(path, format!("metadata `{KEY}`: {e}")))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| cerr(path, format!("not a safetensors file: {e}")))?;
    let get = |name: &str, dtype: Dtype, n: usize| -> Result<Vec<u8>, CheckpointError> {
        let v = st
            .tensor(name)
            .map_err(|_| cerr(path, format!("tensor `{name}` is missing")))?;
        let size = if dtype == Dtype::F32 { 4 } else { 8 };
        if v.dtype() != dtype || v.data().len() != n * size {
            return Err(cerr(
                path,
                format!(
                    "tensor `{name}` is {:?} {:?}, expected {dtype:?} with {n} elements",
                    v.dtype(),
                    v.shape()
                ),
            ));
        }
        Ok(v.data().to_vec())
    };
    let f32s = |b: Vec<u8>| -> Vec<f32> {
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let f64s = |b: Vec<u8>| -> Vec<f64> {
        b.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    };
    for k in 0..params.list.len() {
        let name = params.list[k].name.clone();
        let n = params.list[k].data.len();
        params.list[k].data = f32s(get(&format!("param/{name}"), Dtype::F32, n)?);
        best.list[k].data = f32s(get(&format!("best/{name}"), Dtype::F32, n)?);
        adam.m[k] = f64s(get(&format!("adam_m/{name}"), Dtype::F64, n)?);
        adam.v[k] = f64s(get(&format!("adam_v/{name}"), Dtype::F64, n)?);
    }
    adam.t = state.adam_t;
    Ok(state)
}
