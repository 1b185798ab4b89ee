//! The naming rule (docs/CLI.md#names, docs/QW_FORMAT.md §3.1, issue 12) against hostile names:
//! arbitrary Unicode, control characters, `$(shell …)`, backticks, quotes, `*/`, `` `define ``,
//! newlines, very long names, from a seeded generator (the same names on every run).
//!
//! - **Every reader** (`library_readers_*`, 1,200 names): the text twin and the binary `.qw` (both
//!   written by the library with validation bypassed, so the header holds the name exactly, with a
//!   valid checksum) and the check of `--name` (`example`, `import`, `train`, `convert`) accept a
//!   name exactly when it follows the rule; otherwise the error is `QwError::Name`, names the field
//!   and shows the string with no raw control character. Only the lenient reader of
//!   `convert --name` reads it back, unchanged.
//! - **Every emitter** (`emitters_*`, the same names, validation bypassed): a generated project
//!   has the same files and lines as for an ordinary name; a line that differs is a comment of its
//!   language (or the JSON `model_name`, which reads back exactly), one line, with no `$`, backtick
//!   or `*/` that the name brought.
//! - **The command line** (`cli_*`, a few dozen names through the binary): `example --name`,
//!   `import --name`, `train --name`, `convert --name`, and `gen`/`convert` of a text twin and a
//!   binary holding the name: each is refused (exit 1, the message names the field) or accepted;
//!   accepted projects pass `make -n sim lint` and `make lint` (Verilator and yosys; skipped
//!   without them, failed under `QRNN_REQUIRE_TOOLS=1`); and nothing appears outside the working
//!   directory (a canary path that hostile names try to `touch`).

mod common;
use common::{entries, flat, have};

use qrnn_model::example::{example, ExampleSpec, Rng};
use qrnn_model::name::{check_name, is_name};
use qrnn_model::qw::{from_bytes, from_bytes_to_rename, to_bytes, to_text};
use qrnn_model::{Cell, Model, QwError, Scheme};
use qrnn_sim::{Stimulus, Tool};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Names per library-level test.
const N: usize = 1200;

/// Names (of the `N` of the command-line test) that go through every entry point; the others go
/// through `example --name` and `import --name` only.
const FULL: usize = 150;

/// Stands for the canary path in generated names; replaced by the real path where it matters.
const CANARY: &str = "@CANARY@";

/// Pieces hostile names are made of.
const PIECES: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "\0",
    "\t",
    "\u{b}",
    "\u{c}",
    "\u{7f}",
    "\u{85}",
    "\u{1b}[2J",
    "$(shell touch @CANARY@)",
    "$$(touch @CANARY@)",
    "`touch @CANARY@`",
    "; touch @CANARY@ #",
    "\ntouch @CANARY@\n",
    "`define QRNN_WX 3",
    "`include \"x\"",
    "*/",
    "/*",
    "//",
    "\"",
    "'",
    "\\",
    "\\\n",
    "#",
    "$",
    "$(X)",
    "${X}",
    "%",
    "|",
    "&",
    "<",
    ">",
    "[x](y)",
    "*",
    "_",
    " ",
    "é",
    "ß",
    "名前",
    "💥",
    "\u{202e}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{200b}",
    "..",
    ".",
    "-",
    "-rf",
    "/",
    "../",
    "a",
    "Z",
    "9",
    "tiny",
    "model.v1",
];

fn alnum(rng: &mut Rng) -> char {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    A[rng.below(A.len() as u64) as usize] as char
}

fn name_char(rng: &mut Rng) -> char {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
    A[rng.below(A.len() as u64) as usize] as char
}

/// One name from the generator: a mix of valid names (so that acceptance is exercised too),
/// near-valid ones, pieces of injections, arbitrary Unicode and very long strings.
fn gen_name(rng: &mut Rng) -> String {
    let valid = |rng: &mut Rng, n: usize| -> String {
        let mut s = String::new();
        s.push(alnum(rng));
        for _ in 1..n {
            s.push(name_char(rng));
        }
        s
    };
    match rng.below(9) {
        0 | 1 => {
            let n = 1 + rng.below(64) as usize;
            valid(rng, n)
        }
        2 => {
            // valid characters, too long (up to 10,000 characters)
            let n = if rng.below(4) == 0 {
                10_000
            } else {
                65 + rng.below(200) as usize
            };
            valid(rng, n)
        }
        3 => {
            // a valid name with one hostile piece inserted
            let n = 1 + rng.below(20) as usize;
            let mut s = valid(rng, n);
            let at = rng.below(s.len() as u64 + 1) as usize;
            s.insert_str(at, PIECES[rng.below(PIECES.len() as u64) as usize]);
            s
        }
        4 | 5 => (0..1 + rng.below(6))
            .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
            .collect(),
        6 => {
            // arbitrary Unicode scalar values
            (0..rng.below(12))
                .filter_map(|_| char::from_u32(rng.below(0x11_0000) as u32))
                .collect()
        }
        7 => {
            // starts with `-` or `.`, or is empty
            let n = 1 + rng.below(10) as usize;
            match rng.below(3) {
                0 => String::new(),
                1 => format!("-{}", valid(rng, n)),
                _ => format!(".{}", valid(rng, n)),
            }
        }
        _ => {
            // ASCII of every kind, control characters included
            (0..1 + rng.below(16))
                .map(|_| char::from(rng.below(128) as u8))
                .collect()
        }
    }
}

fn names(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut v = vec![
        "tiny\n$(shell touch @CANARY@)\n#".to_string(),
        "tiny".to_string(),
        "a".repeat(64),
        "a".repeat(65),
        String::new(),
    ];
    while v.len() < n {
        v.push(gen_name(&mut rng));
    }
    v
}

fn tiny_model() -> Model {
    let mut s = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 2, 2, 5);
    s.head = Some(2);
    example(&s)
}

/// The field a rejection names, after checking it is a `Name` error whose message shows the
/// string escaped (no raw control or separator character) and says what is wrong.
fn rejected_field(e: &QwError, name: &str) -> String {
    let QwError::Name { field, problem, .. } = e else {
        panic!("{name:?}: expected a Name error, got {e:?}")
    };
    let msg = e.to_string();
    assert!(
        !msg.chars().any(|c| c.is_control() || c == '\u{2028}'),
        "{name:?}: the message shows a raw control character: {msg:?}"
    );
    assert!(msg.contains(&format!("field `{field}`")), "{msg}");
    assert!(
        ["position", "is empty", "characters long", "starts with"]
            .iter()
            .any(|w| problem.contains(w)),
        "{name:?}: {problem}"
    );
    assert!(msg.contains("a name is 1 to 64 characters"), "{msg}");
    field.clone()
}

#[test]
fn library_readers_apply_the_rule_to_1200_names() {
    let base = tiny_model();
    let names = names(12, N);
    let (mut accepted, mut refused) = (0, 0);
    for name in &names {
        let mut m = base.clone();
        m.name = name.clone();
        let twin = to_text(&m);
        let bin = to_bytes(&m);
        let option = check_name("--name", name);
        if is_name(name) {
            accepted += 1;
            assert_eq!(from_bytes(twin.as_bytes()).as_ref(), Ok(&m), "{name:?}");
            assert_eq!(from_bytes(&bin).as_ref(), Ok(&m), "{name:?}");
            assert!(option.is_ok(), "{name:?}");
        } else {
            refused += 1;
            let e = from_bytes(twin.as_bytes()).expect_err(name);
            assert_eq!(rejected_field(&e, name), "name");
            assert_eq!(from_bytes(&bin).expect_err(name), e, "{name:?}");
            assert_eq!(
                rejected_field(&option.expect_err(name), name),
                "--name",
                "{name:?}"
            );
            assert_eq!(m.validate().as_ref(), Err(&e));
            // only `convert --name` reads it, and gets exactly what the file holds
            assert_eq!(from_bytes_to_rename(twin.as_bytes()).as_ref(), Ok(&m));
            assert_eq!(from_bytes_to_rename(&bin).as_ref(), Ok(&m));
        }
    }
    eprintln!(
        "{} names: {accepted} accepted, {refused} refused",
        names.len()
    );
    assert!(names.len() >= 1000 && accepted >= 150 && refused >= 600);
}

/// Every generated file of a project (RTL, simulation files, Makefile, `qrnn.json`, a board's
/// files) for the design of `base` recorded under `name`: the emitters of `qrnn_project` and of
/// `gen --board`, past the generator's validation (which refuses such a name before any emitter
/// runs), so that the emitters' own escaping is what is tested.
fn emitted(
    g: &qrnn_rtl::Generated,
    base: &Model,
    stim: &Stimulus,
    board: &qrnn_fpga::Board,
    name: &str,
) -> Vec<(String, String)> {
    let mut d = g.design.clone();
    d.model_name = name.to_string();
    let mut man = g.manifest.clone();
    man.model_name = name.to_string();
    let (modules, mut files) = qrnn_rtl::elab::elaborate(&d).expect("elaboration");
    for m in &modules {
        files.push((format!("rtl/{}.v", m.name), qrnn_rtl::verilog::print(m)));
    }
    files.extend(qrnn_sim::sim_files(base, &man, stim).expect("simulation files"));
    files.push(("Makefile".into(), qrnn_sim::makefile(&man)));
    files.push((
        "qrnn.json".into(),
        serde_json::to_string_pretty(&man).unwrap() + "\n",
    ));
    let pll = qrnn_fpga::pll::core_clock(board, None).expect("the default core clock");
    files.extend(qrnn_fpga::project::board_files(board, &man, &pll).expect("board files"));
    files.extend(qrnn_link::board_sim::files(board, &man));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// The comment marker of a generated file's lines where a model name may appear, by path.
fn comment_marker(path: &str) -> &'static str {
    if path.ends_with(".v") || path.ends_with(".vh") {
        "//"
    } else if path == "Makefile" || path.ends_with(".txt") || path.ends_with(".mk") {
        "#"
    } else {
        ""
    }
}

#[test]
fn emitters_escape_every_name_even_past_the_rule() {
    let base = tiny_model();
    let opts = qrnn_rtl::passes::Options::default();
    let stim = Stimulus::random(&base, &[2], 1);
    let mut g = qrnn_rtl::generate(&base, &opts, |_, _| {}).expect("the tiny model generates");
    let board = qrnn_fpga::find_board("icebreaker").expect("a known board");
    let project = qrnn_project::generate(&base, &qrnn_project::Request::default(), &stim).unwrap();
    // (the project's manifest adds the prediction in the family's units)
    g.manifest.family_use = project.manifest.family_use.clone();
    let reference = emitted(&g, &base, &stim, &board, &base.name);
    // the assembly above is the one of `qrnn-hw gen` (qrnn_project; plus the board's files,
    // less the README, whose escaping the hostile-name tests of `gen` cover)
    let pf = project.files;
    assert!(pf
        .iter()
        .filter(|f| f.0 != "README.md")
        .all(|f| reference.contains(f)));
    for name in names(12, N) {
        let files = emitted(&g, &base, &stim, &board, &name);
        assert_eq!(
            files.iter().map(|f| &f.0).collect::<Vec<_>>(),
            reference.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "{name:?}: the same files"
        );
        for ((path, text), (_, reference)) in files.iter().zip(&reference) {
            if path == "qrnn.json" {
                let j: serde_json::Value = serde_json::from_str(text).expect("qrnn.json parses");
                assert_eq!(j["model_name"].as_str(), Some(name.as_str()));
                assert_eq!(text.lines().count(), reference.lines().count(), "{name:?}");
                continue;
            }
            let (a, b): (Vec<&str>, Vec<&str>) =
                (text.lines().collect(), reference.lines().collect());
            assert_eq!(
                a.len(),
                b.len(),
                "{name:?}: {path} has {} lines, {} with an ordinary name",
                a.len(),
                b.len()
            );
            assert!(
                !text.contains('\r'),
                "{name:?}: {path} has a carriage return"
            );
            for (x, y) in a.iter().zip(&b) {
                if x == y {
                    continue;
                }
                let marker = comment_marker(path);
                assert!(
                    !marker.is_empty() && x.starts_with(marker) && y.starts_with(marker),
                    "{name:?}: {path}: the name changed a line that is not a comment:\n{x}"
                );
                assert!(
                    x.is_ascii() && !x.chars().any(|c| c.is_ascii_control()),
                    "{name:?}: {path}: {x:?}"
                );
                let bad: &[&str] = match marker {
                    "//" => &["`", "*/", "/*"],
                    _ if path == "Makefile" => &["$", "`"],
                    _ => &[],
                };
                for bad in bad {
                    assert!(
                        !x.contains(bad) || y.contains(bad),
                        "{name:?}: {path}: {bad:?} in {x:?}"
                    );
                }
            }
        }
    }
}

// ------------------------------------------------------------------ the command line

struct Out {
    code: i32,
    err: String,
}

fn qrnn(dir: &Path, args: &[&str]) -> Out {
    let (code, _, err) = common::qrnn_run(dir, args);
    Out {
        code,
        err: flat(&err),
    }
}

fn make(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("make")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("make runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Whether an accepted or refused run is what the rule says, with the message naming `field`.
fn check_verdict(what: &str, name: &str, out: &Out, field: &str) {
    if is_name(name) {
        assert_eq!(out.code, 0, "{what} {name:?}: {}", out.err);
    } else {
        assert_eq!(out.code, 1, "{what} {name:?}: {}", out.err);
        assert!(
            out.err.contains("qrnn::model::name") && out.err.contains(&format!("field `{field}`")),
            "{what} {name:?}: {}",
            out.err
        );
    }
}

fn write_task(path: &Path) {
    let mut rng = Rng::new(4);
    let seqs: Vec<Vec<Vec<f64>>> = (0..8)
        .map(|_| {
            (0..4)
                .map(|_| vec![rng.unit() - 0.5, rng.unit() - 0.5])
                .collect()
        })
        .collect();
    let labels: Vec<usize> = (0..8).map(|i| i % 2).collect();
    let j = serde_json::json!({"sequences": seqs, "labels": labels});
    std::fs::write(path, j.to_string()).unwrap();
}

#[test]
fn cli_entry_points_refuse_or_accept_and_touch_nothing_outside() {
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let canary: PathBuf = root.path().join("canary");
    let canary_s = canary.to_string_lossy().into_owned();
    let mut list: Vec<String> = names(1212, N)
        .into_iter()
        .map(|n| n.replace(CANARY, &canary_s))
        // a process argument cannot hold NUL (the library test covers it)
        .filter(|n| !n.contains('\0'))
        .collect();
    list.extend(["ok_name", "v1.2-final", "_x"].map(String::from));
    let base = tiny_model();
    std::fs::write(work.join("base.qw"), to_bytes(&base)).unwrap();
    let import_src =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/import/lstm_h4.safetensors");
    let mut accepted_projects = Vec::new();
    for (i, name) in list.iter().enumerate() {
        let arg = format!("--name={name}");
        // example --name
        let out = qrnn(
            &work,
            &["example", "--hidden", "2", &arg, "-q", "-o", "ex.qw"],
        );
        check_verdict("example --name", name, &out, "--name");
        assert_eq!(work.join("ex.qw").exists(), is_name(name), "{name:?}");
        if is_name(name) {
            assert_eq!(Model::load(&work.join("ex.qw")).unwrap().name, *name);
            std::fs::remove_file(work.join("ex.qw")).unwrap();
        }
        // import --name
        let out = qrnn(
            &work,
            &[
                "import",
                &import_src.to_string_lossy(),
                &arg,
                "-q",
                "-o",
                "im.qw",
            ],
        );
        check_verdict("import --name", name, &out, "--name");
        if is_name(name) {
            assert_eq!(Model::load(&work.join("im.qw")).unwrap().name, *name);
            std::fs::remove_file(work.join("im.qw")).unwrap();
        }
        if i >= FULL {
            continue;
        }
        // a text twin and a binary holding the name: gen and convert refuse or accept
        let mut m = base.clone();
        m.name = name.clone();
        std::fs::write(work.join("t.qw.toml"), to_text(&m)).unwrap();
        std::fs::write(work.join("b.qw"), to_bytes(&m)).unwrap();
        for file in ["t.qw.toml", "b.qw"] {
            let out = qrnn(&work, &["convert", file, "c.qw", "-q"]);
            check_verdict("convert", name, &out, "name");
            if !is_name(name) {
                assert!(
                    out.err.contains("qrnn-hw convert IN OUT --name"),
                    "{}",
                    out.err
                );
                let out = qrnn(&work, &["gen", file, "-o", "refused", "-q"]);
                check_verdict("gen", name, &out, "name");
                assert!(!work.join("refused").exists());
            }
        }
        // convert --name: renames a file whose name breaks the rule, to a name that may not
        let out = qrnn(&work, &["convert", "b.qw", "r.qw", &arg, "-q"]);
        check_verdict("convert --name", name, &out, "--name");
        let renamed = qrnn(
            &work,
            &["convert", "b.qw", "r.qw", "--name", "renamed", "-q"],
        );
        assert_eq!(renamed.code, 0, "{name:?}: {}", renamed.err);
        assert_eq!(Model::load(&work.join("r.qw")).unwrap().name, "renamed");
        if is_name(name) {
            let dir = format!("p{i}");
            let out = qrnn(&work, &["gen", "c.qw", "-o", &dir, "-q"]);
            assert_eq!(out.code, 0, "gen {name:?}: {}", out.err);
            accepted_projects.push(work.join(dir));
        }
        for f in ["t.qw.toml", "b.qw", "c.qw", "r.qw"] {
            let _ = std::fs::remove_file(work.join(f));
        }
    }
    // train --name: refused before any training; a valid one trains (1 epoch, tiny data), and the
    // default name of a hostile output file name is made valid
    write_task(&work.join("d.json"));
    let train = |extra: &[&str]| {
        let mut a = vec![
            "train", "--data", "d.json", "--cell", "gru", "--hidden", "2", "--epochs", "1", "-q",
        ];
        a.extend_from_slice(extra);
        qrnn(&work, &a)
    };
    for name in ["tiny\n$(shell touch X)\n#", "-rf", "a b", "ok.trained"] {
        let name = name.replace('X', &canary_s);
        let out = train(&[&format!("--name={name}"), "-o", "tr.qw"]);
        check_verdict("train --name", &name, &out, "--name");
        if is_name(&name) {
            assert_eq!(Model::load(&work.join("tr.qw")).unwrap().name, name);
        }
    }
    let hostile_file = "my $(x) `model`.qw";
    let out = train(&["-o", hostile_file]);
    assert_eq!(out.code, 0, "{}", out.err);
    assert_eq!(
        Model::load(&work.join(hostile_file)).unwrap().name,
        "my_x_model_"
    );
    // import's default name (the file's stem) is made valid too
    std::fs::copy(&import_src, work.join("st $(x).safetensors")).unwrap();
    let out = qrnn(
        &work,
        &["import", "st $(x).safetensors", "-q", "-o", "im.qw"],
    );
    assert_eq!(out.code, 0, "{}", out.err);
    assert_eq!(Model::load(&work.join("im.qw")).unwrap().name, "st_x_");

    // Accepted projects: make -n sim lint, and make lint with the tools.
    assert!(accepted_projects.len() >= 2, "{}", accepted_projects.len());
    let lint = have(&[Tool::verilator(), Tool::yosys()]);
    for (k, p) in accepted_projects.iter().enumerate() {
        let (ok, out) = make(p, &["-n", "sim", "lint"]);
        assert!(ok, "make -n sim lint in {}:\n{out}", p.display());
        if lint && k < 2 {
            let (ok, out) = make(p, &["lint"]);
            assert!(ok, "make lint in {}:\n{out}", p.display());
        }
    }
    let accepted = list.iter().filter(|n| is_name(n)).count();
    eprintln!(
        "{} names through example --name and import --name, the first {FULL} also through convert, convert --name and gen of a text twin and a binary: {accepted} accepted, {} refused; {} projects passed make -n sim lint{}",
        list.len(),
        list.len() - accepted,
        accepted_projects.len(),
        if lint { ", 2 passed make lint" } else { "" }
    );
    // Nothing outside the working directory, and no hostile name ran anything.
    assert!(!canary.exists(), "a name ran a command");
    assert_eq!(entries(root.path()), ["work"]);
    for p in &accepted_projects {
        assert!(
            entries(p).iter().all(|e| [
                "Makefile",
                "README.md",
                "qrnn.json",
                "qrnn.toml",
                "rtl",
                "sim",
                "build",
                "obj_dir"
            ]
            .contains(&e.as_str())),
            "{}: {:?}",
            p.display(),
            entries(p)
        );
    }
}
