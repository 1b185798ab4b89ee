//! End-to-end simulation of the board top (crates/fpga/hw/qrnn_board_top.v) with the stand-in core
//! (tests/data/stub_core.v): the host code of `qrnn_link::protocol` encodes a session — a PING, a
//! RESET, STEPs of two sequences, a STEP with a corrupted CRC, a truncated STEP followed by an idle
//! gap longer than the board's frame timeout, an unknown command, a STEP with a wrong LEN, an
//! oversized LEN and a byte with a 0 stop bit — into a stimulus; tests/data/board_tb.v drives it
//! into `uart_rx` at the baud rate and captures `uart_tx`; the same host code decodes the replies,
//! which must be the ID, the stand-in core's outputs and the documented ERROR replies, with the
//! link recovering after each. With `WEIGHT_LOADER = 1` (the stand-in core with the loader's ports)
//! the same session passes while the core holds `in_ready` low during its load, and a core that
//! rejects its weights gets ERROR 0x06 for STEP (sent during the load and after it) and RESET,
//! while PING and the frame checks work as before. With the PLL's lock (`pll_locked`) held low
//! for a while, a PING sent before it rises goes unanswered and one sent after it is answered: the
//! board and the core stay in reset until the PLL locks.
//!
//! Runs on Icarus Verilog and on Verilator (`--binary --timing`) when they are installed; a missing
//! simulator skips with a message, or fails under `QRNN_REQUIRE_TOOLS=1`.

use qrnn_link::protocol::{
    BoardId, ErrorCode, Frame, Host, Layout, ProtocolError, ReplayLink, Request, SYNC_REQUEST,
    VERSION,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use qrnn_testkit::{have, Tool};

const MODEL_ID: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
const TIMEOUT_BITS: u32 = 40;
const DIV: u32 = 16;
/// Cycles the stand-in core's load takes (longer than a RESET reply and a STEP frame, so the first
/// STEP after power-on or RESET waits for it).
const LOAD_CYCLES: u32 = 4000;

/// The core behind the board top: without the weight loader (`WEIGHT_LOADER = 0`), or with it,
/// loading its weights or rejecting them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loader {
    None,
    Loads,
    Rejects,
}

/// The hand-written primitives: qrnn-fpga's `hw/` (read at test time; qrnn-fpga embeds them).
fn hw_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga/hw")
}

fn sources() -> Vec<PathBuf> {
    let r = hw_dir();
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    vec![
        d.join("board_tb.v"),
        d.join("stub_core.v"),
        r.join("qrnn_board_top.v"),
        r.join("qrnn_uart_rx.v"),
        r.join("qrnn_uart_tx.v"),
        r.join("qrnn_crc8.v"),
    ]
}

/// The stand-in core's function (stub_core.v), with the board top's sequence-start rule: the first
/// STEP after power-on or RESET starts a sequence whatever its flag.
#[derive(Debug)]
struct StubModel {
    l: Layout,
    acc: i32,
    pending: bool,
}

impl StubModel {
    fn new(l: Layout) -> Self {
        Self {
            l,
            acc: 0,
            pending: true,
        }
    }
    fn reset(&mut self) {
        self.acc = 0;
        self.pending = true;
    }
    fn step(&mut self, seq_start: bool, xs: &[i64]) -> Vec<i64> {
        if seq_start || self.pending {
            self.acc = 0;
        }
        self.pending = false;
        let s: i64 = xs.iter().sum();
        self.acc = self.acc.wrapping_add(s as i32);
        (0..self.l.out_len)
            .map(|j| {
                let y = self.acc.wrapping_add(j as i32) as i64;
                if self.l.wy == 1 {
                    if y & 1 == 1 {
                        1
                    } else {
                        -1
                    }
                } else {
                    let sh = 64 - self.l.wy;
                    (y << sh) >> sh
                }
            })
            .collect()
    }
}

/// What one exchange of the session expects back.
#[derive(Debug)]
enum Expect {
    Id,
    Reset,
    Step(Vec<i64>),
    Error(ErrorCode, u8),
}

/// A tiny deterministic generator (xorshift) for the inputs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn element(&mut self, w: u32) -> i64 {
        if w == 1 {
            return if self.next() & 1 == 1 { 1 } else { -1 };
        }
        let half = 1i64 << (w - 1);
        (self.next() % (2 * half as u64)) as i64 - half
    }
}

/// The stimulus (board_tb.v's format) and the replies expected, in order.
struct Session {
    stim: String,
    expect: Vec<Expect>,
    reply_bytes: usize,
    l: Layout,
}

impl Session {
    fn new(l: Layout) -> Self {
        Self {
            stim: String::new(),
            expect: vec![],
            reply_bytes: 0,
            l,
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        for x in b {
            self.stim += &format!("0 {x:02x}\n");
        }
    }
    fn gap(&mut self, bits: u32) {
        self.stim += &format!("1 {bits:x}\n");
    }
    /// Send a frame, wait for its reply (of `reply_payload` bytes); after an ERROR reply, stay quiet
    /// for the frame timeout as docs/PROTOCOL.md asks.
    fn exchange(&mut self, frame: &[u8], expect: Expect) {
        self.bytes(frame);
        let payload = match &expect {
            Expect::Id => qrnn_link::protocol::ID_LEN,
            Expect::Reset => 0,
            Expect::Step(_) => self.l.step_reply_len(),
            Expect::Error(..) => qrnn_link::protocol::ERROR_LEN,
        };
        self.reply_bytes += payload + 5;
        let is_err = matches!(expect, Expect::Error(..));
        self.expect.push(expect);
        self.stim += &format!("2 {:x}\n", self.reply_bytes);
        if is_err {
            self.gap(TIMEOUT_BITS + 10);
        }
    }
}

fn build_session(l: Layout, seed: u64) -> Session {
    let mut s = Session::new(l);
    let mut m = StubModel::new(l);
    let mut rng = Rng(seed);
    let step_frame = |seq_start: bool, xs: &[i64]| {
        Request::Step {
            seq_start,
            inputs: xs.to_vec(),
        }
        .encode(Some(&l))
        .unwrap()
    };

    // Line noise before anything: not a frame, ignored.
    s.bytes(&[0x00, 0x13, 0xFF]);
    s.exchange(&Request::Ping.encode(None).unwrap(), Expect::Id);
    s.exchange(&Request::Reset.encode(None).unwrap(), Expect::Reset);
    // Sequence 1: the first STEP has flag 0, but follows a RESET.
    for _ in 0..4 {
        let xs: Vec<i64> = (0..l.in_len).map(|_| rng.element(l.wx)).collect();
        let ys = m.step(false, &xs);
        s.exchange(&step_frame(false, &xs), Expect::Step(ys));
    }
    // Sequence 2 starts with flag 1.
    let xs: Vec<i64> = (0..l.in_len).map(|_| rng.element(l.wx)).collect();
    let ys = m.step(true, &xs);
    s.exchange(&step_frame(true, &xs), Expect::Step(ys));

    // A STEP with a corrupted CRC: rejected, and the core's state is untouched.
    let xs: Vec<i64> = (0..l.in_len).map(|_| rng.element(l.wx)).collect();
    let mut bad = step_frame(false, &xs);
    *bad.last_mut().unwrap() ^= 0x5A;
    s.exchange(&bad, Expect::Error(ErrorCode::BadCrc, 0x03));
    let ys = m.step(false, &xs);
    s.exchange(&step_frame(false, &xs), Expect::Step(ys));

    // A truncated STEP: the header and the flag, then silence past the frame timeout.
    let xs: Vec<i64> = (0..l.in_len).map(|_| rng.element(l.wx)).collect();
    let f = step_frame(false, &xs);
    s.bytes(&f[..5]);
    s.gap(TIMEOUT_BITS + 20);
    s.reply_bytes += 7;
    s.expect.push(Expect::Error(ErrorCode::Timeout, 0x03));
    s.stim += &format!("2 {:x}\n", s.reply_bytes);
    let ys = m.step(false, &xs);
    s.exchange(&f, Expect::Step(ys));

    // An unknown command.
    let unknown = Frame {
        cmd: 0x09,
        payload: vec![],
    }
    .encode(SYNC_REQUEST)
    .unwrap();
    s.exchange(&unknown, Expect::Error(ErrorCode::UnknownCommand, 0x09));
    // A STEP whose LEN is one short (a well-formed frame otherwise).
    let mut p = f[4..f.len() - 1].to_vec();
    p.pop();
    let short = Frame {
        cmd: 0x03,
        payload: p,
    }
    .encode(SYNC_REQUEST)
    .unwrap();
    s.exchange(&short, Expect::Error(ErrorCode::BadLength, 0x03));
    // A LEN longer than any request: rejected at once, the rest of the frame skipped. It holds
    // two whole valid PING frames, which must not be answered: one that arrives while the ERROR
    // reply is sent, one after the reply (the line not yet quiet: the board still ignores input).
    let mut huge = vec![SYNC_REQUEST, 0x03, 0x00, 0x01];
    huge.extend_from_slice(&Request::Ping.encode(None).unwrap());
    huge.extend_from_slice(&[0x00; 8]);
    huge.extend_from_slice(&Request::Ping.encode(None).unwrap());
    huge.extend_from_slice(&[0x00; 4]);
    s.exchange(&huge, Expect::Error(ErrorCode::BadLength, 0x03));

    // A byte with a 0 stop bit inside a PING frame.
    s.bytes(&[SYNC_REQUEST, 0x01]);
    s.stim += "3 00\n";
    s.reply_bytes += 7;
    s.expect.push(Expect::Error(ErrorCode::UartFraming, 0x01));
    s.stim += &format!("2 {:x}\n", s.reply_bytes);
    s.gap(TIMEOUT_BITS + 10);

    // The link works again; RESET restarts the sequence.
    let xs: Vec<i64> = (0..l.in_len).map(|_| rng.element(l.wx)).collect();
    let ys = m.step(false, &xs);
    s.exchange(&step_frame(false, &xs), Expect::Step(ys));
    s.exchange(&Request::Reset.encode(None).unwrap(), Expect::Reset);
    m.reset();
    for _ in 0..2 {
        let xs: Vec<i64> = (0..l.in_len).map(|_| rng.element(l.wx)).collect();
        let ys = m.step(false, &xs);
        s.exchange(&step_frame(false, &xs), Expect::Step(ys));
    }
    s.exchange(&Request::Ping.encode(None).unwrap(), Expect::Id);
    s
}

/// The session with a core that rejected its weight image: STEP and RESET get ERROR 0x06 (a STEP
/// sent while the core still loads gets it when the load fails), PING answers, and frames that
/// fail a check get the check's ERROR as before.
fn build_rejected_session(l: Layout, seed: u64) -> Session {
    let mut s = Session::new(l);
    let mut rng = Rng(seed);
    let mut step_frame = || {
        let xs: Vec<i64> = (0..l.in_len).map(|_| rng.element(l.wx)).collect();
        Request::Step {
            seq_start: false,
            inputs: xs,
        }
        .encode(Some(&l))
        .unwrap()
    };
    s.bytes(&[0x00, 0x13, 0xFF]);
    // Sent at once, while the core loads: answered when the load fails.
    let f = step_frame();
    s.exchange(&f, Expect::Error(ErrorCode::WeightsRejected, 0x03));
    s.exchange(&Request::Ping.encode(None).unwrap(), Expect::Id);
    s.exchange(
        &Request::Reset.encode(None).unwrap(),
        Expect::Error(ErrorCode::WeightsRejected, 0x02),
    );
    let f = step_frame();
    s.exchange(&f, Expect::Error(ErrorCode::WeightsRejected, 0x03));
    let mut bad = step_frame();
    *bad.last_mut().unwrap() ^= 0x5A;
    s.exchange(&bad, Expect::Error(ErrorCode::BadCrc, 0x03));
    let unknown = Frame {
        cmd: 0x09,
        payload: vec![],
    }
    .encode(SYNC_REQUEST)
    .unwrap();
    s.exchange(&unknown, Expect::Error(ErrorCode::UnknownCommand, 0x09));
    s.exchange(&Request::Ping.encode(None).unwrap(), Expect::Id);
    s
}

/// Parse board_tb.v's output file.
fn parse_capture(text: &str) -> Vec<u8> {
    let mut v = vec![];
    let mut ended = false;
    for line in text.lines() {
        match line.trim() {
            "end" => ended = true,
            "ferr" => panic!("a byte from the board had a 0 stop bit"),
            "wait_timeout" => panic!("the board did not reply (captured so far: {v:02x?})"),
            h => v.push(u8::from_str_radix(h, 16).expect("a hex byte")),
        }
    }
    assert!(ended, "the testbench did not finish: {text}");
    v
}

fn check_replies(s: &Session, captured: &[u8]) {
    if captured.len() != s.reply_bytes {
        let mut rest = captured;
        while let Ok((f, n)) = qrnn_link::protocol::decode_frame(0x5A, rest) {
            eprintln!("reply {:02x} {:02x?}", f.cmd, f.payload);
            rest = &rest[n..];
        }
        panic!(
            "{} reply bytes, expected {}; undecoded: {rest:02x?}",
            captured.len(),
            s.reply_bytes
        );
    }
    let mut host = Host::new(ReplayLink::new(captured), Duration::from_millis(1)).with_layout(s.l);
    let want_id = BoardId {
        version: VERSION,
        model_id: MODEL_ID,
        layout: s.l,
        frame_timeout_bits: TIMEOUT_BITS as u16,
    };
    let (mut steps, mut errors) = (0, 0);
    for (i, e) in s.expect.iter().enumerate() {
        match e {
            Expect::Id => assert_eq!(host.recv_ping().unwrap(), want_id, "exchange {i}"),
            Expect::Reset => host.recv_reset().unwrap(),
            Expect::Step(ys) => {
                assert_eq!(&host.recv_step().unwrap(), ys, "exchange {i}");
                steps += 1;
            }
            Expect::Error(code, cmd) => {
                assert_eq!(
                    host.recv_step().unwrap_err(),
                    ProtocolError::ErrorReply {
                        code: *code,
                        cmd: *cmd
                    },
                    "exchange {i}"
                );
                errors += 1;
            }
        }
    }
    assert_eq!(host.into_link().remaining(), 0);
    eprintln!(
        "board top {:?}: {} exchanges ({steps} STEPs, {errors} ERROR replies) as expected",
        s.l,
        s.expect.len()
    );
}

/// The board top's parameters (the first four, then the loader's), then the testbench's (with
/// the PLL locking at the testbench's default cycle).
fn params(l: &Layout, loader: Loader) -> Vec<(&'static str, String)> {
    params_locking(l, loader, None)
}

/// [`params`], with the PLL's lock rising at clock cycle `lock_after` if given.
fn params_locking(
    l: &Layout,
    loader: Loader,
    lock_after: Option<u32>,
) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("IN_LEN", l.in_len.to_string()),
        ("OUT_LEN", l.out_len.to_string()),
        ("WX", l.wx.to_string()),
        ("WY", l.wy.to_string()),
    ];
    if loader != Loader::None {
        v.push(("WEIGHT_LOADER", "1".to_string()));
    }
    v.push(("DIV", DIV.to_string()));
    v.push(("TIMEOUT_BITS", TIMEOUT_BITS.to_string()));
    if loader == Loader::Rejects {
        v.push(("FLASH_MISO", "1".to_string()));
    }
    if let Some(c) = lock_after {
        v.push(("LOCK_AFTER", c.to_string()));
    }
    v
}

/// How many of [`params`] the board top itself has.
fn board_top_params(loader: Loader) -> usize {
    4 + usize::from(loader != Loader::None)
}

fn defines(l: &Layout, loader: Loader) -> Vec<String> {
    let mut v = vec![
        format!("-DQRNN_STUB_IN_LEN={}", l.in_len),
        format!("-DQRNN_STUB_OUT_LEN={}", l.out_len),
        format!("-DQRNN_STUB_WX={}", l.wx),
        format!("-DQRNN_STUB_WY={}", l.wy),
    ];
    if loader != Loader::None {
        v.push("-DQRNN_STUB_LOADER".to_string());
        v.push(format!("-DQRNN_STUB_LOAD_CYCLES={LOAD_CYCLES}"));
    }
    v
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One simulation of board_tb.v: the board top with the PLL locking at `lock_after` (the
/// testbench's default if `None`).
struct Sim<'a> {
    dir: &'a Path,
    l: &'a Layout,
    loader: Loader,
    lock_after: Option<u32>,
    stim: &'a Path,
    out: &'a Path,
}

fn simulate(sim: &str, s: &Sim) {
    match sim {
        "icarus" => simulate_icarus(s),
        _ => simulate_verilator(s),
    }
}

fn simulate_icarus(s: &Sim) {
    let (dir, l, loader, stim, out) = (s.dir, s.l, s.loader, s.stim, s.out);
    let exe = dir.join("board_tb.vvp");
    let mut c = Command::new(Tool::iverilog().cmd);
    c.args(["-g2005", "-Wall", "-s", "board_tb", "-o"])
        .arg(&exe);
    for (k, v) in params_locking(l, loader, s.lock_after) {
        c.arg(format!("-Pboard_tb.{k}={v}"));
    }
    c.args(defines(l, loader));
    c.args(sources());
    run(&mut c);
    run(Command::new(Tool::vvp().cmd)
        .arg("-n")
        .arg(&exe)
        .arg(format!("+stim={}", stim.display()))
        .arg(format!("+out={}", out.display())));
}

fn simulate_verilator(s: &Sim) {
    let (dir, l, loader, stim, out) = (s.dir, s.l, s.loader, s.stim, s.out);
    let obj = dir.join("obj_dir");
    let mut c = Command::new(Tool::verilator().cmd);
    c.args([
        "--binary",
        "--timing",
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "--top-module",
        "board_tb",
        "-O1",
        "--Mdir",
    ])
    .arg(&obj);
    for (k, v) in params_locking(l, loader, s.lock_after) {
        c.arg(format!("-G{k}={v}"));
    }
    c.args(defines(l, loader));
    c.args(sources());
    run(&mut c);
    run(Command::new(obj.join("Vboard_tb"))
        .arg(format!("+stim={}", stim.display()))
        .arg(format!("+out={}", out.display())));
}

fn layouts() -> Vec<Layout> {
    vec![
        // 1-byte inputs, 2-byte signed outputs.
        Layout {
            in_len: 3,
            out_len: 2,
            wx: 5,
            wy: 12,
        },
        // 2-byte inputs, binary (1-bit) outputs.
        Layout {
            in_len: 4,
            out_len: 3,
            wx: 9,
            wy: 1,
        },
        // Binary inputs, full 16-bit outputs, one input element.
        Layout {
            in_len: 1,
            out_len: 1,
            wx: 1,
            wy: 16,
        },
    ]
}

/// Every layout without the loader, the first two with a core that loads its weights, and the
/// first with one that rejects them.
fn variants() -> Vec<(Layout, Loader)> {
    let ls = layouts();
    let mut v: Vec<(Layout, Loader)> = ls.iter().map(|&l| (l, Loader::None)).collect();
    v.push((ls[0], Loader::Loads));
    v.push((ls[1], Loader::Loads));
    v.push((ls[0], Loader::Rejects));
    v
}

fn end_to_end(sim: &str) {
    for (i, (l, loader)) in variants().into_iter().enumerate() {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ (i % 3) as u64;
        let s = match loader {
            Loader::Rejects => build_rejected_session(l, seed),
            _ => build_session(l, seed),
        };
        let dir = tempfile::Builder::new()
            .prefix("qrnn-board-top-")
            .tempdir()
            .unwrap();
        let stim = dir.path().join("stim.txt");
        let out = dir.path().join("out.txt");
        std::fs::write(&stim, &s.stim).unwrap();
        simulate(
            sim,
            &Sim {
                dir: dir.path(),
                l: &l,
                loader,
                lock_after: None,
                stim: &stim,
                out: &out,
            },
        );
        let captured = parse_capture(&std::fs::read_to_string(&out).unwrap());
        eprint!("{loader:?}: ");
        check_replies(&s, &captured);
    }
}

/// The PLL locks at cycle 3000 of the testbench (it starts sending at cycle 100): a PING sent
/// before that (800 cycles at 16 a bit) gets no reply, the board being held in reset; one sent
/// well after it gets the ID, once, and nothing else comes (a quiet stretch longer than a reply
/// follows), then a STEP its outputs. With the weight loader too: the core's load starts only
/// when the reset falls. (A board top that ignored the lock answers both PINGs: checked by hand
/// with the lock's reset term removed: 54 bytes back instead of 35.)
fn waits_for_the_pll_lock(sim: &str) {
    const LOCK_AFTER: u32 = 3000;
    for loader in [Loader::None, Loader::Loads] {
        let l = layouts()[0];
        let mut s = Session::new(l);
        s.bytes(&Request::Ping.encode(None).unwrap());
        // past the lock (and the 2-cycle synchroniser and 15-cycle power-on count), and longer
        // than a reply to that PING would take (26 bytes, 260 bit times), which would otherwise
        // make the board ignore the next PING and hide the first reply's extra bytes
        s.gap(LOCK_AFTER / DIV + 300);
        s.exchange(&Request::Ping.encode(None).unwrap(), Expect::Id);
        s.gap(400);
        // a STEP, answered once the core is out of reset (and, with the loader, loaded)
        let mut m = StubModel::new(l);
        let xs: Vec<i64> = (0..l.in_len as i64).collect();
        let ys = m.step(true, &xs);
        let step = Request::Step {
            seq_start: true,
            inputs: xs,
        }
        .encode(Some(&l))
        .unwrap();
        s.exchange(&step, Expect::Step(ys));
        let dir = tempfile::Builder::new()
            .prefix("qrnn-board-lock-")
            .tempdir()
            .unwrap();
        let stim = dir.path().join("stim.txt");
        let out = dir.path().join("out.txt");
        std::fs::write(&stim, &s.stim).unwrap();
        simulate(
            sim,
            &Sim {
                dir: dir.path(),
                l: &l,
                loader,
                lock_after: Some(LOCK_AFTER),
                stim: &stim,
                out: &out,
            },
        );
        let captured = parse_capture(&std::fs::read_to_string(&out).unwrap());
        eprint!("lock at {LOCK_AFTER}, {loader:?}: ");
        check_replies(&s, &captured);
    }
}

#[test]
fn board_top_waits_for_the_pll_lock_icarus() {
    if have(&[Tool::iverilog(), Tool::vvp()]) {
        waits_for_the_pll_lock("icarus");
    }
}

#[test]
fn board_top_waits_for_the_pll_lock_verilator() {
    if have(&[Tool::verilator()]) {
        waits_for_the_pll_lock("verilator");
    }
}

/// The board top and its primitives are clean under `verilator --lint-only -Wall` for every
/// layout of the session tests, with and without the weight loader (the stand-in core carries
/// its own waivers).
#[test]
fn board_top_lints_clean() {
    if !have(&[Tool::verilator()]) {
        return;
    }
    for (l, loader) in variants() {
        let mut c = Command::new(Tool::verilator().cmd);
        c.args(["--lint-only", "-Wall", "--top-module", "qrnn_board_top"]);
        for (k, v) in &params(&l, loader)[..board_top_params(loader)] {
            c.arg(format!("-G{k}={v}"));
        }
        c.args(defines(&l, loader));
        c.args(&sources()[1..]);
        run(&mut c);
    }
}

/// yosys reads and checks the board top with either kind of core: the generate branch that is
/// not taken may name ports the core does not have.
#[test]
fn board_top_synthesises_with_and_without_the_loader() {
    if !have(&[Tool::yosys()]) {
        return;
    }
    for loader in [Loader::None, Loader::Loads] {
        let l = layouts()[0];
        let defs = defines(&l, loader);
        let files: Vec<String> = sources()[1..]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let chparam = if loader == Loader::None {
            String::new()
        } else {
            "chparam -set WEIGHT_LOADER 1 qrnn_board_top; ".to_string()
        };
        let script = format!(
            "read_verilog {} {}; {chparam}hierarchy -check -top qrnn_board_top; proc; \
             check -assert",
            defs.join(" "),
            files.join(" ")
        );
        run(Command::new(Tool::yosys().cmd).args(["-q", "-p", &script]));
    }
}

#[test]
fn board_top_end_to_end_icarus() {
    if have(&[Tool::iverilog(), Tool::vvp()]) {
        end_to_end("icarus");
    }
}

#[test]
fn board_top_end_to_end_verilator() {
    if have(&[Tool::verilator()]) {
        end_to_end("verilator");
    }
}

/// The generated `board/qrnn_top.v` and `board/qrnn_pll.v` of a design without and with a weight
/// image (the committed manifests of `tests/rtl/`), around the board top and the stand-in core of
/// the same kind: with `SIMULATION` defined (the PLL's behavioural model, `hw/qrnn_pll_sim.v`)
/// clean under `verilator --lint-only -Wall` and compiled by Icarus; without it (the iCE40 PLL
/// primitive, from yosys's iCE40 cell library) checked by yosys `hierarchy -check`, as the board
/// build reads them.
#[test]
fn generated_wrapper_builds_with_either_kind_of_core() {
    if !have(&[Tool::verilator(), Tool::iverilog(), Tool::yosys()]) {
        return;
    }
    let board = qrnn_fpga::find_board("icebreaker").unwrap();
    let pll = qrnn_fpga::pll::core_clock(&board, None).unwrap();
    for (name, loader) in [
        ("lstm_binary_1x1", Loader::None),
        ("lstm_ternary_spram", Loader::Loads),
    ] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/rtl/{name}"));
        let man = qrnn_rtl::manifest::Manifest::read(&p).unwrap();
        assert_eq!(man.weight_image.is_some(), loader != Loader::None, "{name}");
        let l = Layout {
            in_len: man.in_len,
            out_len: man.out_len,
            wx: man.wx,
            wy: man.wy,
        };
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("qrnn_top.v");
        std::fs::write(&top, qrnn_fpga::project::wrapper(&board, &man, &pll)).unwrap();
        let pll_v = dir.path().join("qrnn_pll.v");
        std::fs::write(&pll_v, pll.verilog(&board)).unwrap();
        let mut files: Vec<PathBuf> = vec![top, pll_v, hw_dir().join("qrnn_pll_sim.v")];
        files.extend(sources()[1..].iter().cloned());
        let mut c = Command::new(Tool::verilator().cmd);
        c.args([
            "--lint-only",
            "-Wall",
            "-DSIMULATION",
            "--top-module",
            "qrnn_top",
        ])
        .args(defines(&l, loader))
        .args(&files);
        run(&mut c);
        let mut c = Command::new(Tool::iverilog().cmd);
        c.args(["-g2005", "-Wall", "-DSIMULATION", "-s", "qrnn_top", "-o"])
            .arg(dir.path().join("top.vvp"))
            .args(defines(&l, loader))
            .args(&files);
        run(&mut c);
        let script = format!(
            "read_verilog -lib -specify +/ice40/cells_sim.v; read_verilog {} {}; \
             hierarchy -check -top qrnn_top; proc; check -assert",
            defines(&l, loader).join(" "),
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
        run(Command::new(Tool::yosys().cmd).args(["-q", "-p", &script]));
    }
}
