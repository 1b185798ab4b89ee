//! `qrnn.toml` and `gen --config` (docs/CLI.md "Project file"): a project regenerated from the
//! project file it holds is the same tree (`diff -r`), in place and elsewhere; the command line
//! overrides the file; a bad file is refused naming the file, line or key, and nothing is written.

mod common;
use common::{flat, qrnn_run};
use std::path::Path;

/// `diff -r a b` in `dir`: empty output and success, or the test fails with the differences.
fn same_tree(dir: &Path, a: &str, b: &str) {
    let o = std::process::Command::new("diff")
        .args(["-r", a, b])
        .current_dir(dir)
        .output()
        .expect("diff runs");
    assert!(
        o.status.success(),
        "diff -r {a} {b}:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = qrnn_run(dir, args);
    assert_eq!(code, 0, "qrnn-hw {args:?}:\n{out}{err}");
    err
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

#[test]
fn a_project_regenerates_from_its_qrnn_toml() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = qrnn_testkit::repo_root();
    std::fs::create_dir(d.join("models")).unwrap();
    std::fs::copy(
        root.join("examples/demo-lstm-ternary.qw"),
        d.join("models/m.qw"),
    )
    .unwrap();
    // a board project with options of every kind: fold, place, pipeline, clock, stimulus, seed
    ok(
        d,
        &[
            "gen",
            "models/m.qw",
            "--board",
            "icebreaker",
            "--clock-mhz",
            "30",
            "--fold",
            "all=2x4",
            "--fold",
            "head=1x2",
            "--weights",
            "rom",
            "--place",
            "l0_u=logic",
            "--pipeline",
            "mv=2,update=1",
            "--sim-steps",
            "3,7",
            "--seed",
            "5",
            "-o",
            "out/hw",
        ],
    );
    let toml = std::fs::read_to_string(d.join("out/hw/qrnn.toml")).unwrap();
    for want in [
        "model = \"../../models/m.qw\"\n",
        "target = \"ice40\"\n",
        "board = \"icebreaker\"\n",
        "device = \"up5k\"\n",
        "clock_mhz = 30.0\n",
        "fold = [\"all=2x4\", \"head=1x2\"]\n",
        "weights = \"rom\"\n",
        "place = [\"l0_u=logic\"]\n",
        "pipeline = \"mv=2,update=1\"\n",
        "sim_steps = [3, 7]\n",
        "seed = 5\n",
        "fit = false\n",
        "# target_rate =\n",
    ] {
        assert!(toml.contains(want), "{want:?} not in qrnn.toml:\n{toml}");
    }
    let readme = std::fs::read_to_string(d.join("out/hw/README.md")).unwrap();
    assert!(
        readme.contains("qrnn-hw gen --config qrnn.toml"),
        "{readme}"
    );
    copy_tree(&d.join("out/hw"), &d.join("orig"));

    // in place: the file's directory, replaced without --force
    let err = ok(d, &["gen", "--config", "out/hw/qrnn.toml"]);
    assert!(err.contains("wrote out/hw ("), "{err}");
    same_tree(d, "orig", "out/hw");
    // from inside the project
    ok(&d.join("out/hw"), &["-q", "gen", "--config", "qrnn.toml"]);
    same_tree(d, "orig", "out/hw");
    // elsewhere at the same depth: the same tree, qrnn.toml included
    ok(
        d,
        &["-q", "gen", "--config", "out/hw/qrnn.toml", "-o", "out/hw2"],
    );
    same_tree(d, "orig", "out/hw2");
    // elsewhere at another depth: only the model's relative path differs
    ok(
        d,
        &["-q", "gen", "--config", "out/hw/qrnn.toml", "-o", "hw3"],
    );
    let hw3 = std::fs::read_to_string(d.join("hw3/qrnn.toml")).unwrap();
    assert_eq!(
        hw3,
        toml.replace("\"../../models/m.qw\"", "\"../models/m.qw\"")
    );
    ok(
        d,
        &["-q", "gen", "--config", "hw3/qrnn.toml", "-o", "out/hw4"],
    );
    same_tree(d, "orig", "out/hw4");
    // and -o elsewhere never replaces an existing project without --force
    let (code, _, err) = qrnn_run(d, &["gen", "--config", "out/hw/qrnn.toml", "-o", "hw3"]);
    assert_eq!(code, 1, "{err}");
    assert!(flat(&err).contains("qrnn::gen::exists"), "{err}");
}

#[test]
fn the_command_line_overrides_the_file() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = qrnn_testkit::repo_root();
    std::fs::copy(root.join("examples/demo-lstm-ternary.qw"), d.join("m.qw")).unwrap();
    ok(
        d,
        &[
            "-q",
            "gen",
            "m.qw",
            "--fold",
            "all=2x4",
            "--seed",
            "5",
            "--sim-steps",
            "4",
            "-o",
            "a",
        ],
    );
    // a value replaces the file's; --fold adds to its list; the written file says so
    ok(
        d,
        &[
            "-q",
            "gen",
            "--config",
            "a/qrnn.toml",
            "--fold",
            "layer0=1x8",
            "--seed",
            "9",
            "--target",
            "ecp5",
            "-o",
            "b",
        ],
    );
    let b = std::fs::read_to_string(d.join("b/qrnn.toml")).unwrap();
    for want in [
        "fold = [\"all=2x4\", \"layer0=1x8\"]\n",
        "seed = 9\n",
        "target = \"ecp5\"\n",
        "sim_steps = [4]\n",
    ] {
        assert!(b.contains(want), "{want:?} not in:\n{b}");
    }
    let json = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join(p).join("qrnn.json")).unwrap())
            .unwrap()
    };
    let (a, b) = (json("a"), json("b"));
    assert_eq!(a["target"], "ice40");
    assert_eq!(b["target"], "ecp5");
    assert_eq!(a["layers"][0]["fold"]["p"], 2);
    assert_eq!(b["layers"][0]["fold"]["p"], 1);
    assert_eq!(b["layers"][0]["fold"]["s"], 8);
    // the file's other engines keep its folding
    assert_eq!(a["head"]["fold"], b["head"]["fold"]);
    // the same as the options given directly
    ok(
        d,
        &[
            "-q",
            "gen",
            "m.qw",
            "--fold",
            "all=2x4",
            "--fold",
            "layer0=1x8",
            "--seed",
            "9",
            "--target",
            "ecp5",
            "--sim-steps",
            "4",
            "-o",
            "c",
        ],
    );
    same_tree(d, "b", "c");
    // a model on the command line replaces the file's
    std::fs::copy(root.join("examples/xnor-lstm.qw"), d.join("g.qw")).unwrap();
    ok(
        d,
        &["-q", "gen", "g.qw", "--config", "a/qrnn.toml", "-o", "g"],
    );
    assert!(std::fs::read_to_string(d.join("g/qrnn.toml"))
        .unwrap()
        .contains("model = \"../g.qw\"\n"));
}

#[test]
fn a_bad_project_file_is_refused_naming_where() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = qrnn_testkit::repo_root();
    std::fs::copy(root.join("examples/demo-lstm-ternary.qw"), d.join("m.qw")).unwrap();
    let cases: [(&str, &[&str]); 7] = [
        (
            "model = \"m.qw\"\nfolds = [\"all=1x1\"]\n",
            &[
                "q.toml: line 2, column 1: unknown field `folds`",
                "qrnn::config::parse",
                "the keys are model, target",
            ],
        ),
        (
            "model = \"m.qw\"\nseed = -1\n",
            &["q.toml: line 2", "qrnn::config::parse"],
        ),
        ("model = [\n", &["q.toml: line", "qrnn::config::parse"]),
        (
            "model = \"m.qw\"\ntarget = \"ice41\"\n",
            &["q.toml: target = ice41:", "qrnn::config::value"],
        ),
        (
            "model = \"m.qw\"\nfold = [\"layer0=1\"]\n",
            &["q.toml: fold = [\"layer0=1\"]", "qrnn::config::value"],
        ),
        (
            "seed = 1\n",
            &["q.toml: no `model` key", "qrnn::config::value"],
        ),
        ("model = \"nothere.qw\"\n", &["nothere.qw"]),
    ];
    for (text, wants) in cases {
        std::fs::write(d.join("q.toml"), text).unwrap();
        let (code, out, err) = qrnn_run(d, &["gen", "--config", "q.toml", "-o", "x"]);
        assert_ne!(code, 0, "{text}: accepted\n{out}");
        let e = flat(&err);
        for w in wants {
            assert!(e.contains(w), "{text}: {w:?} not in:\n{err}");
        }
        assert!(!d.join("x").exists(), "{text}: wrote x");
    }
    let (code, _, err) = qrnn_run(d, &["gen", "--config", "missing.toml"]);
    assert_eq!(code, 1);
    assert!(
        flat(&err).contains("missing.toml: cannot read the project file"),
        "{err}"
    );
}
