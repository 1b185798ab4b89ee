//! Committed reference RTL: a few tiny designs under `tests/rtl/<name>/` (the model
//! `model.qw.toml`, the `qrnn-hw gen` options `options.txt`, and what `gen` wrote: `rtl/`,
//! `flash/` where weights are in SPRAM, and `qrnn.json`), made by `scripts/regen.sh` (`make regen`).
//!
//! `generated_rtl_matches_the_committed_reference` regenerates every design in memory and compares
//! every RTL file and `qrnn.json` byte for byte with the committed ones, so that any change of the
//! generated hardware shows up as a reviewed diff of these files. On a difference it names the file
//! and the first differing line; if the change is intended, run `make regen` and review the diff.
//!
//! `committed_reference_rtl_simulates` runs the committed RTL (not a regenerated one) against fresh
//! golden vectors on Icarus, so the reference is known to be a working design.

mod common;
use common::{project_files, write_files};

use qrnn_model::Model;
use qrnn_project::Request;
use qrnn_rtl::ir::Placement;
use qrnn_rtl::manifest::Manifest;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::{EngineId, Fold};
use qrnn_sim::{icarus, sim_files, Stimulus, Tool};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const HINT: &str =
    "run `make regen` (bash scripts/regen.sh target/release/qrnn-hw tests/rtl) and review the diff";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/rtl")
}

/// The design directories, sorted.
fn designs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap_or_else(|e| panic!("{}: {e}", root().display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    assert!(
        v.len() >= 4,
        "expected the reference designs under {} (found {}); {HINT}",
        root().display(),
        v.len()
    );
    v
}

/// Parse `options.txt`: the `qrnn-hw gen` options `--fold ENGINE=PxS` or `all=PxS` (read by
/// `FoldSpec`, as `gen` reads them), `--weights rom|logic|auto|spram`, `--target NAME`,
/// `--place NAME=rom|logic|spram`; `#` starts a
/// comment line.
fn options(path: &Path) -> Request {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let words: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect();
    let mut o = Request::default();
    let bad = |w: &str| -> ! { panic!("{}: cannot read option {w:?}", path.display()) };
    let mut it = words.into_iter();
    while let Some(flag) = it.next() {
        let val = it.next().unwrap_or_else(|| bad(flag));
        match flag {
            "--fold" => o
                .folds
                .add(val)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            "--weights" => o.weights = val.parse().unwrap_or_else(|_| bad(val)),
            "--target" => o.target = val.parse().unwrap_or_else(|_| bad(val)),
            "--place" => {
                let (name, kind) = val.split_once('=').unwrap_or_else(|| bad(val));
                let p: Placement = kind.parse().unwrap_or_else(|_| bad(val));
                o.place.insert(name.to_string(), p);
            }
            _ => bad(flag),
        }
    }
    o
}

/// Every file under `dir/rtl` and `dir/qrnn.json`, as project-relative paths.
fn committed(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(d) else {
            return;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .expect("under base")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).expect("readable"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &dir.join("rtl"), &mut out);
    walk(dir, &dir.join("flash"), &mut out);
    if let Ok(j) = std::fs::read(dir.join("qrnn.json")) {
        out.insert("qrnn.json".into(), j);
    }
    out
}

/// Load a design and generate its project in memory (RTL, manifest, and short sim vectors).
fn regenerate(dir: &Path) -> Vec<qrnn_project::File> {
    let model_path = dir.join("model.qw.toml");
    let m = Model::load(&model_path).unwrap_or_else(|e| panic!("{}: {e}", model_path.display()));
    let o = options(&dir.join("options.txt"));
    let stim = Stimulus::random(&m, &[3, 2], 1);
    let (_, files) = project_files(&m, &o, &stim)
        .unwrap_or_else(|e| panic!("{}: generation failed: {e}", dir.display()));
    files
}

/// The first line where two texts differ: (1-based number, committed line, generated line).
fn first_diff(old: &str, new: &str) -> (usize, String, String) {
    let (mut a, mut b) = (old.lines(), new.lines());
    let mut n = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (None, None) => {
                // the same lines, different bytes: a final newline or the line endings
                let end = |t: &str| {
                    let tail: Vec<char> = t.chars().rev().take(2).collect();
                    format!("ends with {:?}", tail.iter().rev().collect::<String>())
                };
                return (n, end(old), end(new));
            }
            (x, y) => {
                let show =
                    |l: Option<&str>| l.map_or("<end of file>".to_string(), |l| format!("{l:?}"));
                return (n, show(x), show(y));
            }
        }
    }
}

#[test]
fn generated_rtl_matches_the_committed_reference() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in designs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let files = regenerate(&dir);
        let generated: BTreeMap<String, Vec<u8>> = files
            .into_iter()
            .filter(|(p, _)| p.starts_with("rtl/") || p.starts_with("flash/") || p == "qrnn.json")
            .map(|(p, c)| (p, c.into_bytes()))
            .collect();
        let old = committed(&dir);
        for (path, new) in &generated {
            match old.get(path) {
                None => problems.push(format!("{name}: {path} is generated but not committed")),
                Some(o) if o != new => {
                    let (n, a, b) =
                        first_diff(&String::from_utf8_lossy(o), &String::from_utf8_lossy(new));
                    problems.push(format!(
                        "{name}: {path} differs at line {n}:\n    committed: {a}\n    generated: {b}"
                    ));
                }
                Some(_) => checked += 1,
            }
        }
        for path in old.keys().filter(|p| !generated.contains_key(*p)) {
            problems.push(format!(
                "{name}: {path} is committed but no longer generated"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the generated RTL differs from the committed reference under tests/rtl/ ({} problems; {checked} files equal):\n{}\n\nIf the change is intended: {HINT}.",
        problems.len(),
        problems.join("\n")
    );
    eprintln!("reference RTL: {checked} files byte-identical");
}

#[test]
fn committed_reference_rtl_simulates() {
    if !common::have(&[Tool::iverilog(), Tool::vvp()]) {
        return;
    }
    for dir in designs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let model_path = dir.join("model.qw.toml");
        let m =
            Model::load(&model_path).unwrap_or_else(|e| panic!("{}: {e}", model_path.display()));
        let old = committed(&dir);
        let man: Manifest = serde_json::from_slice(&old["qrnn.json"])
            .unwrap_or_else(|e| panic!("{name}: committed qrnn.json: {e}; {HINT}"));
        let tmp = tempfile::Builder::new()
            .prefix(&format!("qrnn-ref-{name}-"))
            .tempdir()
            .unwrap();
        // the RTL and manifest as committed; vectors and testbench from the golden model
        let stim = Stimulus::random(&m, &[4, 2], 9);
        let sim = sim_files(&m, &man, &stim).unwrap();
        write_files(tmp.path(), &sim).unwrap();
        for (path, bytes) in old {
            let p = tmp.path().join(&path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let out = icarus(tmp.path()).unwrap();
        assert!(
            out.pass,
            "{name}: the committed reference RTL fails co-simulation on Icarus:\n{}",
            out.output
        );
        eprintln!(
            "{name}: {}",
            out.output
                .lines()
                .find(|l| l.starts_with("PASS"))
                .unwrap_or_default()
        );
    }
}

#[test]
fn options_files_parse() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("options.txt");
    std::fs::write(
        &p,
        "# a comment\n--fold all=2x3 --fold head=1x2\n--weights logic --target ecp5\n",
    )
    .unwrap();
    let o = options(&p);
    assert_eq!(o.folds.all, Some(Fold { p: 2, s: 3 }));
    assert_eq!(o.folds.engines[&EngineId::Head], Fold { p: 1, s: 2 });
    assert_eq!(o.weights, WeightsMode::Logic);
    assert_eq!(o.target, qrnn_rtl::Family::Ecp5);
}
