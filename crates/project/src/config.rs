//! `qrnn.toml`, the project file: the options of `qrnn-hw gen` that made a project, written into
//! it, and read back by `qrnn-hw gen --config FILE` (options on the command line override it).
//!
//! Values keep the command line's own syntax (`fold = ["all=2x4"]` as `--fold all=2x4`), so the
//! CLI parses both with the same code and says the same things about a bad value, naming the
//! file and key here. Every key is optional but `model`; [`Config::render`] writes every key,
//! the unset ones as comments with their default, so the file documents itself. docs/CLI.md
//! ("Project file") lists the keys; a test checks that the list and [`KEYS`] agree.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The project file's name inside a project.
pub const FILE_NAME: &str = "qrnn.toml";

/// The contents of `qrnn.toml`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The model file, relative to the directory of `qrnn.toml` (or absolute).
    pub model: Option<String>,
    /// `--target`.
    pub target: Option<String>,
    /// `--board`.
    pub board: Option<String>,
    /// `--device`.
    pub device: Option<String>,
    /// `--clock-mhz`.
    pub clock_mhz: Option<f64>,
    /// `--fit`.
    pub fit: Option<bool>,
    /// `--target-rate`.
    pub target_rate: Option<f64>,
    /// `--allow-overfit`.
    pub allow_overfit: Option<bool>,
    /// `--fold`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fold: Vec<String>,
    /// `--weights`.
    pub weights: Option<String>,
    /// `--place`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub place: Vec<String>,
    /// `--pipeline`.
    pub pipeline: Option<String>,
    /// `--sim-steps`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sim_steps: Vec<usize>,
    /// `--seed`.
    pub seed: Option<u64>,
}

/// Every key of `qrnn.toml` with what it means and its default, in the order [`Config::render`]
/// writes them.
pub const KEYS: [(&str, &str, &str); 14] = [
    (
        "model",
        "the model file (.qw or .qw.toml), relative to this file's directory",
        "none; required",
    ),
    ("target", "FPGA family: ice40, ecp5 or gowin", "the board's or device's family, else ice40"),
    ("board", "board name (`qrnn-hw boards`): adds the UART top, pins, bitstream and flash rules", "none, the core alone"),
    ("device", "device: the place-and-route default and the budget of fit", "the board's; else none, or with fit the family's"),
    ("clock_mhz", "core clock of a board project in MHz (the board's PLL makes the highest it can at or below it)", "the family's: iCE40 36, ECP5 75, Gowin 27"),
    ("fit", "choose the folding of every engine not pinned by fold, for the device", "false"),
    ("target_rate", "timesteps per second wanted (implies fit): the smallest folding that reaches it", "none"),
    ("allow_overfit", "write the project even when the design exceeds the device", "false"),
    ("fold", "folding per engine, a list of \"ENGINE=PxS\" (later ones override earlier ones)", "[], 8 lanes per engine"),
    ("weights", "where weights live: rom, logic, auto or spram", "auto"),
    ("place", "one memory's placement, a list of \"NAME=rom|logic|spram\"", "[]"),
    ("pipeline", "pipeline registers of the dense engines: \"mv=N,update=M\", \"none\" or \"max\"", "the family's"),
    ("sim_steps", "lengths of seeded random test sequences", "[], the built-in stimulus"),
    ("seed", "seed of the test sequences", "1"),
];

/// A `qrnn.toml` that cannot be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{}: cannot read the project file: {source}", path.display())]
    #[diagnostic(
        code(qrnn::config::io),
        help("give the qrnn.toml of a project: qrnn-hw gen --config hw/qrnn.toml")
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key or a value of the wrong type.
    #[error("{}: {message}", path.display())]
    #[diagnostic(code(qrnn::config::parse), help("{help}"))]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where (line and column) and what was expected.
        message: String,
        /// The keys there are.
        help: String,
    },
}

impl Config {
    /// Read `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parse the text of `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str::<Config>(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("line {line}, column {col}: ")
                })
                .unwrap_or_default();
            ConfigError::Parse {
                path: path.to_path_buf(),
                message: format!("{at}{}", e.message().trim_end()),
                help: format!(
                    "the keys are {} (docs/CLI.md \"Project file\")",
                    KEYS.map(|k| k.0).join(", ")
                ),
            }
        })
    }

    /// The model file named by the config at `path` (relative to its directory).
    pub fn model_path(&self, path: &Path) -> Option<PathBuf> {
        let m = Path::new(self.model.as_deref()?);
        Some(if m.is_absolute() {
            m.to_path_buf()
        } else {
            path.parent().unwrap_or(Path::new("")).join(m)
        })
    }

    /// The file's text: a header, then every key in [`KEYS`]'s order, each with its meaning;
    /// unset keys as comments with their default. A function of the config alone.
    pub fn render(&self) -> String {
        let mut s = String::from(
            "# qrnn.toml: the project file, the options of `qrnn-hw gen` that made this directory.\n\
             # `qrnn-hw gen --config qrnn.toml` regenerates it; options on the command line override\n\
             # the file's (a --fold or --place adds to its list). Keys: docs/CLI.md \"Project file\".\n",
        );
        let str_ = |v: &str| toml::Value::String(v.to_string()).to_string();
        let float = |v: f64| toml::Value::Float(v).to_string();
        let list = |v: &[String]| {
            format!(
                "[{}]",
                v.iter().map(|x| str_(x)).collect::<Vec<_>>().join(", ")
            )
        };
        for (key, what, default) in KEYS {
            let value: Option<String> = match key {
                "model" => self.model.as_deref().map(str_),
                "target" => self.target.as_deref().map(str_),
                "board" => self.board.as_deref().map(str_),
                "device" => self.device.as_deref().map(str_),
                "clock_mhz" => self.clock_mhz.map(float),
                "fit" => self.fit.map(|b| b.to_string()),
                "target_rate" => self.target_rate.map(float),
                "allow_overfit" => self.allow_overfit.map(|b| b.to_string()),
                "fold" => (!self.fold.is_empty()).then(|| list(&self.fold)),
                "weights" => self.weights.as_deref().map(str_),
                "place" => (!self.place.is_empty()).then(|| list(&self.place)),
                "pipeline" => self.pipeline.as_deref().map(str_),
                "sim_steps" => (!self.sim_steps.is_empty()).then(|| {
                    format!(
                        "[{}]",
                        self.sim_steps
                            .iter()
                            .map(|n| n.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }),
                "seed" => self.seed.map(|n| n.to_string()),
                _ => unreachable!("every key of KEYS is rendered"),
            };
            let _ = writeln!(s, "\n# {what}. Default: {default}.");
            match value {
                Some(v) => {
                    let _ = writeln!(s, "{key} = {v}");
                }
                None => {
                    let _ = writeln!(s, "# {key} =");
                }
            }
        }
        s
    }
}

/// `to` written relative to the directory `from` (both absolute, without `.` or `..`): the
/// common ancestors dropped, a `..` for each of `from`'s components left.
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Config {
        Config {
            model: Some("../m \"x\".qw".into()),
            target: Some("ice40".into()),
            board: Some("icebreaker".into()),
            device: Some("up5k".into()),
            clock_mhz: Some(30.0),
            fit: Some(true),
            target_rate: Some(1500.5),
            allow_overfit: Some(false),
            fold: vec!["all=1x4".into(), "layer0=2x8".into()],
            weights: Some("spram".into()),
            place: vec!["l0_u=rom".into()],
            pipeline: Some("mv=2,update=1".into()),
            sim_steps: vec![3, 40],
            seed: Some(7),
        }
    }

    #[test]
    fn what_is_rendered_reads_back_the_same() {
        for c in [full(), Config::default()] {
            let text = c.render();
            assert_eq!(
                Config::parse(&text, Path::new("q.toml")).unwrap(),
                c,
                "{text}"
            );
        }
        // every key is written, set or as a comment
        let empty = Config::default().render();
        for (k, _, _) in KEYS {
            assert!(empty.contains(&format!("\n# {k} =\n")), "{k}: {empty}");
            assert!(full().render().contains(&format!("\n{k} = ")), "{k}");
        }
    }

    #[test]
    fn a_bad_file_names_the_line_and_the_keys() {
        let e = Config::parse(
            "model = \"m.qw\"\nfolds = [\"all=1x1\"]\n",
            Path::new("p/q.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("p/q.toml: line 2, column 1: unknown field `folds`"),
            "{e}"
        );
        let e = Config::parse("seed = \"one\"\n", Path::new("q.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1, column 8") && e.contains("u64"), "{e}");
    }

    #[test]
    fn the_model_is_found_beside_the_file() {
        let c = Config {
            model: Some("../m.qw".into()),
            ..Config::default()
        };
        assert_eq!(
            c.model_path(Path::new("a/hw/qrnn.toml")).unwrap(),
            Path::new("a/hw/../m.qw")
        );
        assert_eq!(
            relative_path(Path::new("/a/b/hw"), Path::new("/a/m.qw")),
            Path::new("../../m.qw")
        );
        assert_eq!(
            relative_path(Path::new("/a"), Path::new("/a/x/m.qw")),
            Path::new("x/m.qw")
        );
    }
}
