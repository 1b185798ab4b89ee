//! Hostile and oversized input (issue 12): output errors never panic, `gen --force` replaces only
//! a qrnn-hw project, work that could exhaust memory or disk is refused before it starts, and the
//! unclear cases of the first audit get clear errors.
//!
//! Memory is bounded with `ulimit -v` in a `sh -c` around the binary, so a command that tried to
//! allocate gigabytes fails instead of passing slowly.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{entries, flat, have, qrnn_cmd as bin, qrnn_run as run};
use qrnn_sim::Tool;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

fn no_panic(what: &str, stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{what}: the binary panicked:\n{stderr}"
    );
}

/// The subcommands that print to standard output, each with arguments that make it print.
fn printing_commands(d: &Path) -> Vec<(String, Vec<String>)> {
    let demo = example("demo-lstm-ternary.qw");
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let train_data = d.join("task.json");
    let seqs: Vec<Vec<Vec<f64>>> = (0..6)
        .map(|i| {
            (0..5)
                .map(|t| vec![((i + t) % 3) as f64 * 0.3 - 0.3])
                .collect()
        })
        .collect();
    let labels: Vec<usize> = (0..6).map(|i| i % 2).collect();
    std::fs::write(
        &train_data,
        serde_json::json!({"sequences": seqs, "labels": labels}).to_string(),
    )
    .unwrap();
    let st = root().join("tests/import/lstm_h4.safetensors");
    let mut v = vec![
        ("inspect".into(), s(&["inspect", &demo])),
        (
            "run".into(),
            s(&["run", &demo, "-i", &example("demo-seq.json")]),
        ),
        (
            "eval".into(),
            s(&["eval", &demo, "--data", &example("demo-data.json")]),
        ),
        ("boards".into(), s(&["boards"])),
        ("gen --list-passes".into(), s(&["gen", "--list-passes"])),
        (
            "gen --fit".into(),
            s(&["gen", &demo, "--fit", "--target", "ice40", "-o", "OUT"]),
        ),
        ("report MODEL".into(), s(&["report", &demo])),
        (
            "import --json".into(),
            s(&[
                "import",
                &st.display().to_string(),
                "--json",
                "-o",
                "OUT.qw",
            ]),
        ),
        (
            "train --json".into(),
            s(&[
                "train",
                "--data",
                &train_data.display().to_string(),
                "--hidden",
                "4",
                "--epochs",
                "1",
                "--json",
                "-o",
                "OUT.qw",
            ]),
        ),
        (
            "flash --dry-run".into(),
            s(&["flash", "board", "--dry-run"]),
        ),
    ];
    if have(&[Tool::yosys()]) {
        v.push((
            "build --what synth".into(),
            s(&["build", "tiny", "--what", "synth"]),
        ));
    }
    v
}

/// Run `args` (OUT replaced by a fresh path) with standard output going to `stdout`.
fn run_to(d: &Path, args: &[String], k: usize, stdout: Stdio) -> (i32, String) {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.replace("OUT", &format!("out{k}")))
        .collect();
    let o = bin()
        .args(&args)
        .current_dir(d)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("qrnn-hw runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn output_errors_never_panic_for_any_printing_subcommand() {
    let d = tempfile::tempdir().unwrap();
    let demo = example("demo-lstm-ternary.qw");
    // a board project for `flash --dry-run`, a small core for `build`
    let (c, _, e) = run(
        d.path(),
        &["gen", &demo, "--board", "icebreaker", "-o", "board", "-q"],
    );
    assert_eq!(c, 0, "{e}");
    // `flash --dry-run` prints the programmer's command; it needs a bitstream file to name
    std::fs::create_dir_all(d.path().join("board/build")).unwrap();
    std::fs::write(
        d.path().join("board/build/top.bin"),
        b"not a real bitstream",
    )
    .unwrap();
    let tiny = example("tiny-gru-quaternary.qw.toml");
    let (c, _, e) = run(d.path(), &["gen", &tiny, "-o", "tiny", "-q"]);
    assert_eq!(c, 0, "{e}");
    let mut k = 0;
    for (what, args) in printing_commands(d.path()) {
        // each prints normally first (so the test below is about the output, not the input)
        k += 1;
        let (c, e) = run_to(d.path(), &args, k, Stdio::null());
        assert_eq!(c, 0, "{what} fails even with a working stdout:\n{e}");

        // a pipe whose reader has gone: quiet, 141 (128 + SIGPIPE), as a shell reports it
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        k += 1;
        let (c, e) = run_to(d.path(), &args, k, Stdio::from(writer));
        no_panic(&what, &e);
        assert_eq!(c, 141, "{what} | (closed): exit {c}\n{e}");
        assert!(
            !e.contains("standard output"),
            "{what}: a closed pipe ends quietly:\n{e}"
        );

        // a full disk: a diagnostic and exit 1
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        k += 1;
        let (c, e) = run_to(d.path(), &args, k, Stdio::from(full));
        no_panic(&what, &e);
        assert_eq!(c, 1, "{what} > /dev/full: exit {c}\n{e}");
        assert!(
            flat(&e).contains("cannot write to standard output: No space left on device"),
            "{what} > /dev/full:\n{e}"
        );
    }
}

#[test]
fn force_replaces_only_a_qrnn_project_and_leaves_nothing_behind() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let demo = example("demo-lstm-ternary.qw");
    let gen = |out: &str, force: bool| {
        let mut a = vec!["gen", demo.as_str(), "-o", out, "-q"];
        if force {
            a.push("--force");
        }
        run(p, &a)
    };
    // a file, a directory that is not a project, a link to a project, a FIFO: refused, untouched
    std::fs::write(p.join("file"), b"keep me").unwrap();
    std::fs::create_dir(p.join("mine")).unwrap();
    std::fs::write(p.join("mine/notes.txt"), b"mine").unwrap();
    assert_eq!(gen("proj", false).0, 0);
    std::os::unix::fs::symlink(p.join("proj"), p.join("link")).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(p.join("fifo"))
        .status()
        .is_ok_and(|s| s.success());
    let mut cases = vec![
        ("file", "it is a file"),
        ("mine", "not a qrnn-hw project"),
        ("link", "symbolic link"),
    ];
    if fifo {
        cases.push(("fifo", "device, socket or pipe"));
    }
    let before = entries(p);
    for (target, why) in cases {
        for force in [false, true] {
            let (c, _, e) = gen(target, force);
            no_panic(target, &e);
            assert_eq!(c, 1, "gen -o {target} (force {force}) must fail:\n{e}");
            let f = flat(&e);
            assert!(f.contains("cannot be replaced") && f.contains(why), "{f}");
        }
    }
    assert_eq!(entries(p), before, "a refused gen changed the directory");
    assert_eq!(std::fs::read(p.join("file")).unwrap(), b"keep me");
    assert_eq!(entries(&p.join("mine")), ["notes.txt"]);
    assert!(std::fs::symlink_metadata(p.join("link"))
        .unwrap()
        .file_type()
        .is_symlink());

    // a project: refused without --force, replaced with it, and nothing hidden is left beside it
    let (c, _, e) = gen("proj", false);
    assert_eq!(c, 1);
    assert!(flat(&e).contains("already holds a qrnn-hw project"), "{e}");
    std::fs::write(p.join("proj/stale.txt"), b"old").unwrap();
    let (c, _, e) = gen("proj", true);
    assert_eq!(c, 0, "{e}");
    assert!(
        !p.join("proj/stale.txt").exists(),
        "the old project was replaced"
    );
    assert!(p.join("proj/qrnn.json").exists());
    assert_eq!(
        entries(p),
        before,
        "regenerating left something beside the project"
    );

    // leftovers of an interrupted run (a process that has ended) are removed by the next run
    let dead = {
        let mut c = Command::new("true").spawn().unwrap();
        let id = c.id();
        c.wait().unwrap();
        id
    };
    for kind in ["tmp", "old"] {
        let left = p.join(format!(".proj.{kind}-{dead}"));
        std::fs::create_dir_all(left.join("rtl")).unwrap();
        std::fs::write(left.join("rtl/x.v"), b"partial").unwrap();
    }
    let (c, _, e) = run(p, &["gen", &demo, "-o", "proj", "--force"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("left by an interrupted run"), "{e}");
    assert_eq!(entries(p), before);

    // an empty directory is filled without --force
    std::fs::create_dir(p.join("empty")).unwrap();
    assert_eq!(gen("empty", false).0, 0);
    assert!(p.join("empty/qrnn.json").exists());

    // a model file is never written over a directory or a FIFO
    let (c, _, e) = run(p, &["example", "-o", "mine", "-q"]);
    assert_eq!(c, 1, "{e}");
    assert!(flat(&e).contains("not a regular file"), "{e}");
    assert_eq!(entries(&p.join("mine")), ["notes.txt"]);
}

/// Run `args` in `dir` under a 2 GiB address-space limit; exit code, stderr and wall time.
fn bounded(dir: &Path, args: &[&str]) -> (i32, String, Duration) {
    let t = Instant::now();
    let o = common::qrnn_limited(dir, 2 << 20, args);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        t.elapsed(),
    )
}

fn refused(dir: &Path, args: &[&str], fragments: &[&str]) {
    let (c, e, t) = bounded(dir, args);
    no_panic(&args.join(" "), &e);
    assert_eq!(c, 1, "{args:?} must be refused, exit {c}:\n{e}");
    let f = flat(&e);
    for x in fragments {
        assert!(f.contains(x), "{args:?}: the message lacks {x:?}:\n{e}");
    }
    assert!(
        t < Duration::from_secs(10),
        "{args:?} took {t:?} to be refused"
    );
}

#[test]
fn unbounded_work_is_refused_before_it_starts() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let demo = example("demo-lstm-ternary.qw");
    // a hidden-512 LSTM fully parallel (> 7.7 GB before)
    let (c, _, e) = run(p, &["example", "--hidden", "512", "-o", "h512.qw", "-q"]);
    assert_eq!(c, 0, "{e}");
    refused(
        p,
        &["gen", "h512.qw", "--fold", "all=4096x1024", "-o", "x"],
        &[
            "would need about",
            "of memory",
            "limit of 2.0 GiB",
            "--max-memory",
        ],
    );
    // the limit is the user's: lowered, a small design is refused too; raised, it is allowed
    refused(
        p,
        &["gen", &demo, "--max-memory", "1M", "-o", "x"],
        &["limit of 1.0 MiB"],
    );
    let (c, e, _) = bounded(p, &["gen", &demo, "-o", "ok", "-q"]);
    assert_eq!(c, 0, "{e}");
    // 100 million co-simulation timesteps
    refused(
        p,
        &["gen", &demo, "--sim-steps", "100000000", "-o", "x"],
        &["100000000 co-simulation timesteps", "--sim-steps"],
    );
    // the output limit
    refused(
        p,
        &[
            "gen",
            &demo,
            "--sim-steps",
            "2000",
            "--max-output",
            "100K",
            "-o",
            "x",
        ],
        &["would write about", "--max-output"],
    );
    // a ConvLSTM over a 1024×1024 map (a 666 MB golden trace, then out of memory, before)
    let (c, _, e) = run(
        p,
        &[
            "example",
            "--cell",
            "convlstm",
            "--map",
            "1024x1024",
            "--hidden",
            "4",
            "-o",
            "conv.qw",
            "-q",
        ],
    );
    assert_eq!(c, 0, "{e}");
    refused(p, &["gen", "conv.qw", "-o", "x"], &["would need about"]);
    assert!(!p.join("x").exists(), "nothing is written by a refused gen");

    // a 100 MB sequence file: within the default limit it runs in under 2 GiB (the trace of
    // every step is no longer kept); the file is mostly white space so that the debug build
    // runs it quickly, but it is read and parsed whole
    let big = p.join("big.json");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        f.write_all(b"[").unwrap();
        for t in 0..20_000 {
            let v = (t % 17) as f64 / 17.0 - 0.5;
            write!(
                f,
                "{}[{v},{v},{},{}]",
                if t > 0 { "," } else { "" },
                -v,
                v / 2.0
            )
            .unwrap();
        }
        let pad = vec![b' '; 1 << 20];
        for _ in 0..100 {
            f.write_all(&pad).unwrap();
        }
        f.write_all(b"]").unwrap();
    }
    assert!(std::fs::metadata(&big).unwrap().len() > 100 << 20);
    for cmd in [["run", "-i"], ["eval", "--data"]] {
        let args = [cmd[0], demo.as_str(), cmd[1], "big.json", "-q"];
        let (c, e, _) = bounded(p, &args);
        no_panic(cmd[0], &e);
        assert_eq!(c, 0, "{} on a 100 MB file within 2 GiB:\n{e}", cmd[0]);
        // and with a lower limit it is refused before it is read
        let mut low = args.to_vec();
        low.extend(["--max-memory", "1G"]);
        refused(p, &low, &["big.json", "input file", "--max-memory"]);
    }
}

#[test]
fn eval_refuses_labels_outside_the_outputs_and_non_finite_figures() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let demo = example("demo-lstm-ternary.qw"); // a 3-output head
    let seq = vec![vec![0.25, -0.5, 0.5, 0.0]; 4];
    std::fs::write(
        p.join("labels.json"),
        serde_json::json!({"sequences": [seq, seq], "labels": [1, 99]}).to_string(),
    )
    .unwrap();
    let (c, _, e) = run(p, &["eval", &demo, "--data", "labels.json"]);
    no_panic("eval", &e);
    assert_eq!(c, 1, "{e}");
    let f = flat(&e);
    assert!(
        f.contains("labels[1] is 99") && f.contains("3 outputs"),
        "{f}"
    );
    let targets = vec![vec![1e308, 0.0, 0.0]; 4];
    std::fs::write(
        p.join("targets.json"),
        serde_json::json!({"sequences": [seq], "targets": [targets]}).to_string(),
    )
    .unwrap();
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["eval", demo.as_str(), "--data", "targets.json"];
        args.extend(extra);
        let (c, out, e) = run(p, &args);
        no_panic("eval", &e);
        assert_eq!(c, 1, "non-finite MSE must fail:\n{out}{e}");
        assert!(!out.contains("null"), "{out}");
        assert!(flat(&e).contains("not finite"), "{e}");
    }
    // an empty data set
    std::fs::write(p.join("empty.json"), r#"{"sequences": [], "labels": []}"#).unwrap();
    let (c, _, e) = run(p, &["eval", &demo, "--data", "empty.json"]);
    assert_eq!(c, 1, "{e}");
    assert!(
        flat(&e).contains("empty.json") && flat(&e).contains("empty"),
        "{e}"
    );
}

/// A PyTorch-style LSTM state dict (input 4, hidden 4) in safetensors, every value `v`.
fn lstm_safetensors(v: f32) -> Vec<u8> {
    let tensors = [
        ("weight_ih_l0", vec![16usize, 4]),
        ("weight_hh_l0", vec![16, 4]),
        ("bias_ih_l0", vec![16]),
        ("bias_hh_l0", vec![16]),
    ];
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape) in &tensors {
        let n: usize = shape.iter().product();
        let start = data.len();
        for _ in 0..n {
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.insert(
            name.to_string(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let h = serde_json::Value::Object(header).to_string();
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(&data);
    out
}

#[test]
fn import_refuses_weights_too_small_for_any_scale() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("tiny.safetensors"), lstm_safetensors(1e-45)).unwrap();
    let (c, _, e) = run(p, &["import", "tiny.safetensors", "-o", "t.qw"]);
    no_panic("import", &e);
    assert_eq!(c, 1, "{e}");
    let f = flat(&e);
    assert!(
        f.contains("tiny.safetensors") && f.contains("too small for a .qw scale"),
        "{f}"
    );
    assert!(!p.join("t.qw").exists());
    // ordinary weights of the same file import
    std::fs::write(p.join("ok.safetensors"), lstm_safetensors(0.25)).unwrap();
    let (c, _, e) = run(p, &["import", "ok.safetensors", "-o", "ok.qw", "-q"]);
    assert_eq!(c, 0, "{e}");
}
