//! README.md's "Using it" block, run as a newcomer would: every line of its `sh` block in order,
//! in a fresh temporary directory that holds only the bundled files the block names (`examples/`,
//! `tests/import/lstm_h4.safetensors`), with the `qrnn-hw` under test first on `PATH`. Each line
//! must exit 0 and print what it promises (the table `EXPECT`); the line that starts the simulated
//! board in the background (`… sim-board &`) is started, its `PTY /dev/pts/N` read, and the next
//! line's `/dev/pts/N` replaced by it; the board is stopped at the end, also when the test fails.
//!
//! Needs Verilator, Icarus, yosys, nextpnr-ice40 and icepack (it fails without them under
//! `QRNN_REQUIRE_TOOLS=1`, else skips) and the packaged data sets for the `train` line
//! (`scripts/setup-data.sh`; fails without them under `QRNN_REQUIRE_DATA=1`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

mod common;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What a line must print (stdout and stderr together), by a piece of the line that names it
/// (the longest piece a line holds applies).
const EXPECT: &[(&str, &[&str])] = &[
    ("qrnn-hw example", &["wrote model.qw", "wrote seq.json"]),
    ("qrnn-hw inspect", &["4→16", "ternary"]),
    ("qrnn-hw run model.qw --input", &["t=7"]),
    ("qrnn-hw eval", &["agreement", "golden_accuracy"]),
    ("qrnn-hw convert", &["wrote model.qw.toml (model hash"]),
    (
        "qrnn-hw gen model.qw --target ice40 -o hw",
        &["wrote hw (", "cycles per timestep"],
    ),
    ("qrnn-hw boards", &["icebreaker", "ulx3s"]),
    ("make -C hw sim SIM=icarus", &["PASS"]),
    ("make -C hw sim", &["PASS"]),
    (
        "make -C hw lint",
        &["verilator --lint-only -Wall", "check -assert"],
    ),
    ("make -C hw synth pnr report", &["Fmax"]),
    ("qrnn-hw report hw --html", &["wrote report.html"]),
    (
        "qrnn-hw gen --config hw/qrnn.toml",
        &["wrote hw-2x4 (", "cycles per timestep"],
    ),
    ("--fit --device up5k", &["wrote hw-fit (", "DSP (SB_MAC16)"]),
    (
        "qrnn-hw build hw-board",
        &["bitstream: hw-board/build/top.bin"],
    ),
    ("qrnn-hw flash hw-board --dry-run", &["iceprog"]),
    ("--port", &["CHECK PASS"]),
    ("qrnn-hw import", &["wrote imported.qw ("]),
    ("qrnn-hw train", &["ucr:GunPoint test accuracy:", "golden"]),
];

/// The simulated board started in the background; killed when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        // the make process group: make and the bridge under it
        // (`--`: procps' kill takes a bare `-PGID` after `-TERM` for another option)
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines of the first `sh` block after `## Using it`, without their comments.
fn using_it(readme: &str) -> Vec<String> {
    let sec = readme
        .split("\n## Using it\n")
        .nth(1)
        .expect("README.md has a `## Using it` section");
    let block = sec
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the section has an sh block");
    block
        .lines()
        .map(|l| match l.find("  #") {
            Some(i) => l[..i].trim_end().to_string(),
            None => l.trim_end().to_string(),
        })
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn every_line_of_the_readme_using_it_block_runs_in_order() {
    if !common::have_cmds(&[
        "make",
        "verilator",
        "iverilog",
        "yosys",
        "nextpnr-ice40",
        "icepack",
    ]) {
        return;
    }
    let data = std::env::var_os("QRNN_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".data"));
    if !data.join("paths.env").exists()
        && !qrnn_testkit::data_missing(&format!(
            "{} has no paths.env: the `train` line needs the packaged GunPoint set",
            data.display()
        ))
    {
        return;
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = using_it(&readme);
    assert!(lines.len() >= 15, "{lines:?}");
    let tmp = tempfile::Builder::new()
        .prefix("qrnn-readme-")
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    // the bundled files the block names
    std::fs::create_dir_all(dir.join("examples")).unwrap();
    for f in ["demo-lstm-ternary.qw", "demo-data.json"] {
        std::fs::copy(
            root().join("examples").join(f),
            dir.join("examples").join(f),
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir.join("tests/import")).unwrap();
    std::fs::copy(
        root().join("tests/import/lstm_h4.safetensors"),
        dir.join("tests/import/lstm_h4.safetensors"),
    )
    .unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_qrnn-hw"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let sh = |line: &str| {
        let mut c = Command::new("bash");
        c.args(["-c", line])
            .current_dir(dir)
            .env("PATH", &path)
            .env("QRNN_DATA_DIR", &data)
            .env("NO_COLOR", "1")
            .env_remove("QRNN_MAX_MEMORY")
            .env_remove("QRNN_MAX_OUTPUT");
        c
    };
    let mut pty: Option<String> = None;
    let mut _board: Option<Background> = None;
    for line in &lines {
        let t0 = Instant::now();
        if let Some(bg) = line.strip_suffix('&') {
            // the simulated board: started, then its pseudo-terminal read from its output
            let mut c = sh(bg.trim_end());
            c.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            // its own process group, so that the drop stops make and the bridge together
            std::os::unix::process::CommandExt::process_group(&mut c, 0);
            let mut child = c.spawn().expect("bash runs");
            let out = child.stdout.take().unwrap();
            let guard = Background(child);
            let mut seen = String::new();
            for l in BufReader::new(out).lines().map_while(|l| l.ok()) {
                seen.push_str(&l);
                seen.push('\n');
                if let Some(p) = l.trim().strip_prefix("PTY ") {
                    pty = Some(p.to_string());
                    break;
                }
            }
            assert!(
                pty.is_some(),
                "`{line}` printed no `PTY /dev/pts/N`:\n{seen}"
            );
            _board = Some(guard);
            eprintln!("ok ({:.1} s): {line}", t0.elapsed().as_secs_f64());
            continue;
        }
        let run = match &pty {
            Some(p) => line.replace("/dev/pts/N", p),
            None => line.clone(),
        };
        let o = sh(&run).output().expect("bash runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "`{run}` failed ({}):\n{text}", o.status);
        // the longest key the line holds (`make -C hw sim SIM=icarus` before `make -C hw sim`)
        let want = EXPECT
            .iter()
            .filter(|(k, _)| line.contains(k))
            .max_by_key(|(k, _)| k.len())
            .unwrap_or_else(|| panic!("no expectation for `{line}`: add one to EXPECT"));
        for w in want.1 {
            assert!(text.contains(w), "`{run}` printed no `{w}`:\n{text}");
        }
        // the trained model is not at chance (train warns when it is)
        if line.contains("qrnn-hw train") {
            assert!(!text.contains("warning:"), "{text}");
        }
        eprintln!("ok ({:.1} s): {line}", t0.elapsed().as_secs_f64());
    }
    // what the lines wrote, each where the block says
    for f in [
        "model.qw",
        "seq.json",
        "model.qw.toml",
        "hw/qrnn.json",
        "hw-fit/qrnn.json",
        "hw-board/build/top.bin",
        "imported.qw",
        "trained.qw",
    ] {
        assert!(dir.join(f).exists(), "{f} was not written");
    }
}

#[test]
fn the_block_is_parsed_as_written() {
    let lines = using_it("x\n## Using it\n\ntext\n```sh\na b   # c\n\nd &   # e\n```\nmore\n");
    assert_eq!(lines, ["a b", "d &"]);
}
