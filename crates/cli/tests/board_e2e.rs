//! The simulated board end to end, with a generated core: `qrnn-hw gen --board icebreaker` of a
//! bundled model, `make sim-board-build` (Verilator: board/qrnn_top.v, hw/*.v, rtl/*.v and the
//! pseudo-terminal bridge sim/uart_pty.cpp), the bridge started, and then over its pty:
//!
//! a. `qrnn-hw run MODEL --port PTY --check` with four sequences (two files and a data set of two):
//!    `CHECK PASS`, and the printed outputs equal those of `qrnn-hw run MODEL` without `--port`
//!    (the golden model), in text and in JSON;
//! b. `SerialLink` + `Host` directly: a STEP with a corrupted CRC gets ERROR BAD_CRC, a truncated
//!    STEP followed by silence gets ERROR TIMEOUT (docs/PROTOCOL.md §5), and after each the board
//!    answers PING and computes a sequence equal to the golden model's;
//! c. `run --port` with a different model: the model-hash error naming both hashes, exit 1;
//! d. the bridge stopped (SIGSTOP, so its pty stays but nothing answers): `run --port` ends with
//!    the timeout error, exit 1, well before a hang; a missing port is a clear error too.
//!
//! A second test does the same with the weights in SPRAM (`--place l0_w=spram --place
//! l0_u=spram`): the simulated board has the SPI flash with the weight image
//! (`sim/qrnn_board_sim.v`), `run --port --check` passes, and with one byte of the image changed
//! the board answers PING but refuses RESET and STEP with ERROR 0x06; then a larger model whose
//! load (about 395 000 cycles) is longer than the bridge's idle bound without it (2 368 bit
//! times, 246 272 cycles) passes `run --port --check` too (the bridge simulates through the load
//! after start-up and after RESET).
//!
//! The bridge is killed at the end, also when the test panics (`Bridge`'s Drop). Without Verilator
//! (or make) the test is skipped with a message, or fails under `QRNN_REQUIRE_TOOLS=1`.

use qrnn_link::protocol::{ErrorCode, Host, Link, ProtocolError, Request};
use qrnn_link::serial::SerialLink;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{flat, have_cmds};

const MODEL: &str = "examples/tiny-gru-quaternary.qw.toml";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What one run of the binary did.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn qrnn(dir: &Path, args: &[&str]) -> Out {
    let out = common::qrnn_cmd()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the qrnn-hw binary runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(o: Out, what: &str) -> Out {
    assert_eq!(
        o.code, 0,
        "{what} failed\nstdout:\n{}\nstderr:\n{}",
        o.stdout, o.stderr
    );
    o
}

/// The running simulated board; killed when dropped.
struct Bridge {
    child: Child,
    pty: String,
    log: PathBuf,
}

impl Bridge {
    fn start(project: &Path) -> Self {
        let log = project.join("build/board-sim/bridge.log");
        let mut child = Command::new(project.join("build/board-sim/Vqrnn_top"))
            .arg("+idle_exit_s=120")
            .current_dir(project)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the simulated board starts");
        let mut line = String::new();
        let mut r = BufReader::new(child.stdout.take().unwrap());
        r.read_line(&mut line).unwrap();
        let pty = match line.trim().strip_prefix("PTY ") {
            Some(p) => p.to_string(),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the bridge printed {line:?}, not `PTY /dev/pts/N`; its log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        Bridge { child, pty, log }
    }

    fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(st.success(), "kill {sig} failed");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn simulated_board_runs_a_generated_core_over_a_pty() {
    if !have_cmds(&["verilator", "make"]) {
        return;
    }
    let t0 = Instant::now();
    let tmp = tempfile::Builder::new()
        .prefix("qrnn-board-e2e-")
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    let model = root().join(MODEL);
    let model_s = model.to_str().unwrap();
    ok(
        qrnn(
            dir,
            &["gen", model_s, "--board", "icebreaker", "-o", "proj"],
        ),
        "gen --board icebreaker",
    );
    let proj = dir.join("proj");
    let mk = Command::new("make")
        .args(["-s", "sim-board-build"])
        .current_dir(&proj)
        .output()
        .unwrap();
    assert!(
        mk.status.success(),
        "make sim-board-build failed:\n{}{}",
        String::from_utf8_lossy(&mk.stdout),
        String::from_utf8_lossy(&mk.stderr)
    );
    eprintln!("built the simulated board in {:.1?}", t0.elapsed());
    let bridge = Bridge::start(&proj);
    let pty = bridge.pty.clone();

    // ---- a. four sequences through `run --port --check`, equal to the golden model's ----
    write(
        dir,
        "s0.json",
        "[[0.1, -0.5], [0.9, 0.3], [-1.2, 0.0], [0.25, 0.75], [0.6, -0.9]]",
    );
    write(dir, "s1.csv", "0.5,0.5\n-0.5,0.25\n");
    write(
        dir,
        "set.json",
        r#"{"sequences": [[[0.3, -0.2], [0.1, 0.1], [1.5, -1.5]], [[-0.7, 0.6]]], "labels": [0, 1]}"#,
    );
    let inputs = ["-i", "s0.json", "-i", "s1.csv", "-i", "set.json"];
    let golden = ok(qrnn(dir, &[&["run", model_s][..], &inputs].concat()), "run");
    let board = ok(
        qrnn(
            dir,
            &[&["run", model_s, "--port", &pty, "--check"][..], &inputs].concat(),
        ),
        "run --port --check",
    );
    let last = board.stdout.lines().last().unwrap_or("");
    assert_eq!(
        last, "CHECK PASS sequences=4 timesteps=11 values=44",
        "{}",
        board.stdout
    );
    let board_outputs: String = board
        .stdout
        .lines()
        .filter(|l| !l.starts_with("CHECK "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        board_outputs, golden.stdout,
        "board and golden outputs differ"
    );
    assert!(golden
        .stdout
        .contains("sequence 3 (set.json[1]): 1 timesteps"));
    // the same in JSON
    let gj: Value = serde_json::from_str(
        &ok(
            qrnn(dir, &[&["run", model_s, "--json"][..], &inputs].concat()),
            "run --json",
        )
        .stdout,
    )
    .unwrap();
    let bj: Value = serde_json::from_str(
        &ok(
            qrnn(
                dir,
                &[
                    &["run", model_s, "--json", "--check", "--port", &pty][..],
                    &inputs,
                ]
                .concat(),
            ),
            "run --port --json",
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(bj["sequences"], gj["sequences"]);
    assert_eq!(bj["check"]["pass"], Value::Bool(true));
    assert_eq!(bj["port"], Value::String(pty.clone()));

    // ---- b. corrupted and truncated frames through SerialLink + Host ----
    let m = qrnn_model::Model::load(&model).unwrap();
    let hash = m.hash();
    let mut id = [0u8; 8];
    for (i, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hash[2 * i..2 * i + 2], 16).unwrap();
    }
    let seq: Vec<Vec<f64>> = vec![vec![0.2, -0.3], vec![-0.6, 0.8], vec![0.9, 0.1]];
    let xq = qrnn_golden::quantize_input(&m, &seq);
    let expect = qrnn_golden::run(&m, &xq).unwrap().outputs;

    let link = SerialLink::open(&pty, 115_200).unwrap();
    let mut host = Host::new(link, Duration::from_secs(5));
    let bid = host.connect(Some(id)).expect("PING");
    let layout = bid.layout;
    assert_eq!((layout.in_len, layout.out_len), (2, 4));
    // the host's quiet time after an ERROR reply (docs/PROTOCOL.md §6), with a margin
    let quiet = Duration::from_millis(u64::from(bid.frame_timeout_bits) * 1000 / 115_200 + 50);
    let replay = |host: &mut Host<SerialLink>, what: &str| {
        host.reset()
            .unwrap_or_else(|e| panic!("RESET after {what}: {e}"));
        for (t, x) in xq.iter().enumerate() {
            let y = host
                .step(t == 0, x)
                .unwrap_or_else(|e| panic!("STEP {t} after {what}: {e}"));
            assert_eq!(y, expect[t], "timestep {t} after {what}");
        }
    };
    replay(&mut host, "connecting");

    let mut frame = Request::Step {
        seq_start: true,
        inputs: xq[0].clone(),
    }
    .encode(Some(&layout))
    .unwrap();
    // a corrupted CRC
    let n = frame.len();
    frame[n - 1] ^= 0x5A;
    host.link_mut().send(&frame).unwrap();
    assert_eq!(
        host.recv_step(),
        Err(ProtocolError::ErrorReply {
            code: ErrorCode::BadCrc,
            cmd: 0x03
        })
    );
    std::thread::sleep(quiet);
    assert_eq!(host.ping().expect("PING after BAD_CRC"), bid);
    replay(&mut host, "BAD_CRC");

    // a truncated frame, then silence longer than the frame timeout
    frame[n - 1] ^= 0x5A;
    host.link_mut().send(&frame[..5]).unwrap();
    assert_eq!(
        host.recv_step(),
        Err(ProtocolError::ErrorReply {
            code: ErrorCode::Timeout,
            cmd: 0x03
        })
    );
    std::thread::sleep(quiet);
    assert_eq!(host.ping().expect("PING after TIMEOUT"), bid);
    replay(&mut host, "TIMEOUT");
    drop(host);

    // ---- c. another model: the model-hash error, exit 1 ----
    ok(
        qrnn(
            dir,
            &[
                "example",
                "--cell",
                "gru",
                "--quant",
                "quaternary",
                "--hidden",
                "4",
                "--input",
                "2",
                "--head",
                "4",
                "--seed",
                "99",
                "-o",
                "other.qw",
            ],
        ),
        "example",
    );
    let other = qrnn_model::Model::load(&dir.join("other.qw"))
        .unwrap()
        .hash();
    assert_ne!(other, hash);
    let o = qrnn(
        dir,
        &[
            "run", "other.qw", "-i", "s0.json", "--port", &pty, "--check",
        ],
    );
    let msg = flat(&o.stderr);
    assert_eq!(o.code, 1, "wrong model: {}", o.stderr);
    assert!(
        msg.contains("qrnn::fpga::protocol::model_mismatch"),
        "{msg}"
    );
    assert!(msg.contains("model hash mismatch"), "{msg}");
    assert!(
        msg.contains(&format!("the board has {}", &hash[..16])),
        "{msg}"
    );
    assert!(msg.contains(&format!("expected {}", &other[..16])), "{msg}");
    assert!(o.stdout.is_empty(), "nothing is printed: {}", o.stdout);
    // and the board is still fine
    let again = ok(
        qrnn(
            dir,
            &["run", model_s, "-i", "s1.csv", "--port", &pty, "--check"],
        ),
        "run --port after the wrong model",
    );
    assert!(again
        .stdout
        .contains("CHECK PASS sequences=1 timesteps=2 values=8"));

    // ---- d. nothing answers: a timeout error, not a hang ----
    bridge.signal("-STOP");
    let start = Instant::now();
    let o = qrnn(
        dir,
        &[
            "run",
            model_s,
            "-i",
            "s1.csv",
            "--port",
            &pty,
            "--timeout-ms",
            "400",
        ],
    );
    let waited = start.elapsed();
    bridge.signal("-CONT");
    let msg = flat(&o.stderr);
    assert_eq!(o.code, 1, "timeout: {}", o.stderr);
    assert!(msg.contains("qrnn::fpga::protocol::timeout"), "{msg}");
    assert!(
        msg.contains("no reply from the board within 400 ms"),
        "{msg}"
    );
    assert!(msg.contains(&pty), "{msg}");
    assert!(waited < Duration::from_secs(10), "took {waited:?}");
    // a port that does not exist
    let o = qrnn(
        dir,
        &[
            "run",
            model_s,
            "-i",
            "s1.csv",
            "--port",
            "/dev/qrnn-no-port",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        flat(&o.stderr).contains("cannot open serial port /dev/qrnn-no-port"),
        "{}",
        o.stderr
    );

    // ---- the bridge stops cleanly on SIGTERM ----
    let mut bridge = bridge;
    bridge.signal("-TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = bridge.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the bridge ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status.success(),
        "bridge exit {status:?}:\n{}",
        bridge.log()
    );
    assert!(
        bridge.log().contains("signal 15, exiting"),
        "{}",
        bridge.log()
    );
    eprintln!("board end-to-end test took {:.1?}", t0.elapsed());
}

#[test]
fn simulated_board_loads_its_weights_from_flash() {
    if !have_cmds(&["verilator", "make"]) {
        return;
    }
    let tmp = tempfile::Builder::new()
        .prefix("qrnn-board-e2e-spram-")
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    let model = root().join(MODEL);
    let model_s = model.to_str().unwrap();
    ok(
        qrnn(
            dir,
            &[
                "gen",
                model_s,
                "--board",
                "icebreaker",
                "--place",
                "l0_w=spram",
                "--place",
                "l0_u=spram",
                "-o",
                "proj",
            ],
        ),
        "gen --board icebreaker --place …=spram",
    );
    let proj = dir.join("proj");
    let man: Value =
        serde_json::from_str(&std::fs::read_to_string(proj.join("qrnn.json")).unwrap()).unwrap();
    assert_eq!(man["weight_image"]["offset"], 0x10_0000, "{man}");
    assert!(
        proj.join("sim/qrnn_board_sim.v").is_file(),
        "no sim/qrnn_board_sim.v: qrnn_project must add qrnn_link::board_sim::files and ::rules"
    );
    let mk = Command::new("make")
        .args(["-s", "sim-board-build"])
        .current_dir(&proj)
        .output()
        .unwrap();
    assert!(
        mk.status.success(),
        "make sim-board-build failed:\n{}{}",
        String::from_utf8_lossy(&mk.stdout),
        String::from_utf8_lossy(&mk.stderr)
    );
    write(
        dir,
        "s0.json",
        "[[0.1, -0.5], [0.9, 0.3], [-1.2, 0.0], [0.25, 0.75], [0.6, -0.9]]",
    );
    {
        let bridge = Bridge::start(&proj);
        let golden = ok(qrnn(dir, &["run", model_s, "-i", "s0.json"]), "run");
        let board = ok(
            qrnn(
                dir,
                &[
                    "run",
                    model_s,
                    "-i",
                    "s0.json",
                    "--port",
                    &bridge.pty,
                    "--check",
                ],
            ),
            "run --port --check (weights from flash)",
        );
        assert!(
            board
                .stdout
                .ends_with("CHECK PASS sequences=1 timesteps=5 values=20\n"),
            "{}\n{}",
            board.stdout,
            bridge.log()
        );
        assert!(board.stdout.starts_with(&golden.stdout), "{}", board.stdout);
    }

    // one byte of the payload changed: the CRC no longer matches
    let hex = proj.join("flash/weights.hex");
    let text = std::fs::read_to_string(&hex).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let b = u8::from_str_radix(&lines[50], 16).unwrap() ^ 0x01;
    lines[50] = format!("{b:02x}");
    std::fs::write(&hex, lines.join("\n") + "\n").unwrap();
    let bridge = Bridge::start(&proj);
    let link = SerialLink::open(&bridge.pty, 115_200).unwrap();
    let mut host = Host::new(link, Duration::from_secs(5));
    let bid = host
        .connect(None)
        .expect("PING answers with rejected weights");
    let quiet = Duration::from_millis(u64::from(bid.frame_timeout_bits) * 1000 / 115_200 + 50);
    assert_eq!(
        host.reset(),
        Err(ProtocolError::ErrorReply {
            code: ErrorCode::WeightsRejected,
            cmd: 0x02
        })
    );
    std::thread::sleep(quiet);
    let x = vec![0i64; bid.layout.in_len];
    assert_eq!(
        host.step(true, &x),
        Err(ProtocolError::ErrorReply {
            code: ErrorCode::WeightsRejected,
            cmd: 0x03
        })
    );
    std::thread::sleep(quiet);
    assert_eq!(host.ping().expect("PING again"), bid);
    drop(host);
    let o = qrnn(
        dir,
        &["run", model_s, "-i", "s0.json", "--port", &bridge.pty],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let msg = flat(&o.stderr);
    assert!(
        msg.contains("the weight image in flash was rejected") && msg.contains("qrnn-hw flash"),
        "{msg}"
    );
    drop(bridge);

    // a load longer than the bridge's idle bound without it
    ok(
        qrnn(
            dir,
            &[
                "example", "--cell", "lstm", "--quant", "ternary", "--hidden", "128", "--input",
                "64", "--seed", "3", "-o", "big.qw",
            ],
        ),
        "example (big)",
    );
    ok(
        qrnn(
            dir,
            &[
                "gen",
                "big.qw",
                "--board",
                "icebreaker",
                "--place",
                "l0_w=spram",
                "--place",
                "l0_u=spram",
                "--allow-overfit",
                "-o",
                "big",
            ],
        ),
        "gen big",
    );
    let big = dir.join("big");
    let man: Value =
        serde_json::from_str(&std::fs::read_to_string(big.join("qrnn.json")).unwrap()).unwrap();
    let load = man["weight_image"]["load_cycles"].as_u64().unwrap();
    assert!(load > (2304 + 64) * 104, "load_cycles {load}");
    let mk = Command::new("make")
        .args(["-s", "sim-board-build"])
        .current_dir(&big)
        .output()
        .unwrap();
    assert!(
        mk.status.success(),
        "make sim-board-build (big) failed:\n{}{}",
        String::from_utf8_lossy(&mk.stdout),
        String::from_utf8_lossy(&mk.stderr)
    );
    let x: Vec<String> = (0..64)
        .map(|i| format!("{}", (i % 7) as f64 * 0.1 - 0.3))
        .collect();
    write(
        dir,
        "big.json",
        &format!("[[{}], [{}]]", x.join(","), x.join(",")),
    );
    let bridge = Bridge::start(&big);
    let o = ok(
        qrnn(
            dir,
            &[
                "run",
                "big.qw",
                "-i",
                "big.json",
                "--port",
                &bridge.pty,
                "--check",
            ],
        ),
        "run --port --check (big weight image)",
    );
    assert!(
        o.stdout
            .ends_with("CHECK PASS sequences=1 timesteps=2 values=256\n"),
        "{}\n{}",
        o.stdout,
        bridge.log()
    );
}
