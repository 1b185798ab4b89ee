//! The host side of the board top's UART protocol (docs/PROTOCOL.md): frames, CRC-8, element
//! packing, a [`Link`] to the board and a [`Host`] that pings, resets and steps it.
//!
//! Invariants: a frame is returned only if its sync byte, CRC and length are right, and an element
//! only if its bytes are a well-formed encoding for its width ([`unpack_element`]); anything else is
//! a typed [`ProtocolError`], never a guessed value. The same code encodes requests and decodes
//! replies for the real board (`qrnn-hw run --port`) and for the simulated board top
//! (crates/link/tests/board_top_sim.rs).

use miette::Diagnostic;
use std::collections::VecDeque;
use std::time::Duration;
use thiserror::Error;

/// First byte of a host→board frame.
pub const SYNC_REQUEST: u8 = 0xA5;
/// First byte of a board→host frame.
pub const SYNC_REPLY: u8 = 0x5A;
/// The ID reply starts with these bytes ("QRNN").
pub const MAGIC: [u8; 4] = *b"QRNN";
/// Protocol version this code speaks.
pub const VERSION: u8 = 1;
/// Payload length of the PING reply.
pub const ID_LEN: usize = 21;
/// CMD byte of an ERROR reply.
pub const REPLY_ERROR: u8 = 0xFF;
/// Payload length of an ERROR reply (code, the CMD byte of the rejected frame).
pub const ERROR_LEN: usize = 2;
/// A successful reply's CMD byte is the request's with this bit set.
pub const REPLY_BIT: u8 = 0x80;
/// Bytes of a frame besides its payload: sync, CMD, LEN_LO, LEN_HI, CRC.
pub const FRAME_OVERHEAD: usize = 5;

/// A request command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Command {
    /// Read the board's ID (magic, version, model hash, lengths, widths, frame timeout).
    Ping = 0x01,
    /// Reset the core's state: the next STEP starts a sequence.
    Reset = 0x02,
    /// One timestep: a flag byte, then IN_LEN packed elements; the reply has OUT_LEN elements.
    Step = 0x03,
}

impl Command {
    /// The CMD byte of this command's successful reply.
    pub fn reply(self) -> u8 {
        self as u8 | REPLY_BIT
    }
}

/// The code of an ERROR reply (docs/PROTOCOL.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 0x01: the CRC byte did not match.
    BadCrc,
    /// 0x02: LEN is not the command's (or longer than any request).
    BadLength,
    /// 0x03: the CMD byte is not a command.
    UnknownCommand,
    /// 0x04: the frame stopped arriving before its CRC byte.
    Timeout,
    /// 0x05: a byte of the frame had a 0 stop bit (baud rate mismatch or line noise).
    UartFraming,
    /// 0x06: the core rejected the weight image it read from the board's flash at start-up (bad
    /// magic, version, model hash, length or CRC), so it cannot run STEP or RESET.
    WeightsRejected,
    /// A code this host does not know.
    Other(u8),
}

impl ErrorCode {
    /// From the wire byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x01 => Self::BadCrc,
            0x02 => Self::BadLength,
            0x03 => Self::UnknownCommand,
            0x04 => Self::Timeout,
            0x05 => Self::UartFraming,
            0x06 => Self::WeightsRejected,
            b => Self::Other(b),
        }
    }

    /// The wire byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::BadCrc => 0x01,
            Self::BadLength => 0x02,
            Self::UnknownCommand => 0x03,
            Self::Timeout => 0x04,
            Self::UartFraming => 0x05,
            Self::WeightsRejected => 0x06,
            Self::Other(b) => b,
        }
    }

    /// What to do about an ERROR reply with this code.
    pub fn help(self) -> &'static str {
        match self {
            Self::WeightsRejected => {
                "the board keeps refusing STEP and RESET until it starts with a good weight image: \
                 write the project's bitstream and weight image with `qrnn-hw flash DIR`"
            }
            _ => {
                "the board ignores input until the line has been quiet for its frame timeout; \
                 then retry"
            }
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadCrc => write!(f, "bad CRC"),
            Self::BadLength => write!(f, "bad length"),
            Self::UnknownCommand => write!(f, "unknown command"),
            Self::Timeout => write!(f, "timeout inside a frame"),
            Self::UartFraming => write!(f, "UART framing error"),
            Self::WeightsRejected => write!(
                f,
                "the weight image in flash was rejected (model hash, length or CRC): flash it with `qrnn-hw flash`"
            ),
            Self::Other(b) => write!(f, "unknown error code 0x{b:02x}"),
        }
    }
}

/// Everything that can go wrong talking to a board.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
pub enum ProtocolError {
    /// No (complete) reply within the timeout.
    #[error(
        "timeout: no reply from the board within {waited_ms} ms ({got} bytes of a frame received)"
    )]
    #[diagnostic(
        code(qrnn::fpga::protocol::timeout),
        help(
            "check the port, the baud rate and that the board is programmed with a qrnn board top"
        )
    )]
    Timeout {
        /// How long was waited for the next byte.
        waited_ms: u64,
        /// Bytes of the frame received before the wait.
        got: usize,
    },
    /// A reply did not start with the sync byte.
    #[error("bad sync: a reply started with 0x{got:02x}, not 0x{expected:02x}")]
    #[diagnostic(
        code(qrnn::fpga::protocol::bad_sync),
        help("garbled line or wrong baud rate")
    )]
    BadSync {
        /// The sync byte expected.
        expected: u8,
        /// The byte seen.
        got: u8,
    },
    /// A reply's CRC did not match.
    #[error("bad CRC in a reply: computed 0x{computed:02x}, frame has 0x{got:02x}")]
    #[diagnostic(
        code(qrnn::fpga::protocol::bad_crc),
        help("garbled line or wrong baud rate")
    )]
    BadCrc {
        /// CRC-8 of CMD..PAYLOAD.
        computed: u8,
        /// The frame's CRC byte.
        got: u8,
    },
    /// A reply's payload has the wrong length.
    #[error("reply 0x{cmd:02x} has {got} payload bytes, expected {expected}")]
    #[diagnostic(code(qrnn::fpga::protocol::wrong_length))]
    WrongLength {
        /// The reply's CMD byte.
        cmd: u8,
        /// Expected payload length.
        expected: usize,
        /// Actual payload length.
        got: usize,
    },
    /// The board answered with an ERROR frame.
    #[error("the board rejected request 0x{cmd:02x}: {code}")]
    #[diagnostic(
        code(qrnn::fpga::protocol::error_reply),
        help("{}", code.help())
    )]
    ErrorReply {
        /// The error code.
        code: ErrorCode,
        /// The CMD byte of the rejected frame as the board read it (0 if it had none).
        cmd: u8,
    },
    /// A reply to another command than the one sent.
    #[error("expected reply 0x{expected:02x}, got 0x{got:02x}")]
    #[diagnostic(code(qrnn::fpga::protocol::unexpected_reply))]
    UnexpectedReply {
        /// Expected CMD byte.
        expected: u8,
        /// Received CMD byte.
        got: u8,
    },
    /// The ID reply is not a qrnn board top's of this protocol version.
    #[error("not a qrnn board top: ID magic {magic:02x?}, version {version}")]
    #[diagnostic(
        code(qrnn::fpga::protocol::bad_id),
        help("this host speaks protocol version 1; regenerate and reprogram the board top")
    )]
    BadId {
        /// The first 4 bytes of the ID.
        magic: [u8; 4],
        /// The version byte.
        version: u8,
    },
    /// The ID reply has the right magic and version but a field out of range.
    #[error("malformed board ID: {field} is {value}, expected {expected}")]
    #[diagnostic(
        code(qrnn::fpga::protocol::bad_id_field),
        help("the board answered as a qrnn board top but its ID is corrupt: check the link (baud rate, wiring), then reprogram the board")
    )]
    BadIdField {
        /// Which field, with its byte offset in the ID.
        field: &'static str,
        /// Its value.
        value: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// The board runs another model.
    #[error("model hash mismatch: the board has {got}, expected {expected}")]
    #[diagnostic(
        code(qrnn::fpga::protocol::model_mismatch),
        help("program the board with this model's bitstream (`qrnn-hw flash`)")
    )]
    ModelMismatch {
        /// Expected first 8 bytes of the model hash, hex.
        expected: String,
        /// The board's, hex.
        got: String,
    },
    /// A value does not fit its element format.
    #[error("value {value} does not fit a {width}-bit element")]
    #[diagnostic(code(qrnn::fpga::protocol::value_range))]
    ValueRange {
        /// The value.
        value: i64,
        /// The element width in bits.
        width: u32,
    },
    /// An element's bytes are not a well-formed encoding for its width.
    #[error("malformed {width}-bit element {bytes:02x?} in a reply")]
    #[diagnostic(code(qrnn::fpga::protocol::bad_element))]
    BadElement {
        /// The element's bytes.
        bytes: Vec<u8>,
        /// The width.
        width: u32,
    },
    /// A STEP with the wrong number of inputs.
    #[error("a timestep has {expected} inputs, {got} given")]
    #[diagnostic(code(qrnn::fpga::protocol::input_count))]
    InputCount {
        /// IN_LEN.
        expected: usize,
        /// Given.
        got: usize,
    },
    /// A payload longer than LEN can say, or a width the protocol cannot carry.
    #[error("{0}")]
    #[diagnostic(code(qrnn::fpga::protocol::unsupported))]
    Unsupported(String),
    /// STEP before the layout is known.
    #[error("the board's layout is unknown: ping it first")]
    #[diagnostic(code(qrnn::fpga::protocol::not_connected))]
    NotConnected,
    /// The link failed.
    #[error("link error: {0}")]
    #[diagnostic(code(qrnn::fpga::protocol::link))]
    Link(String),
}

type Result<T> = std::result::Result<T, ProtocolError>;

/// CRC-8, polynomial 0x07 (x^8 + x^2 + x + 1), initial value 0x00, MSB first, no reflection, no
/// final XOR (CRC-8/SMBUS; `crc8(b"123456789") == 0xF4`).
pub fn crc8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |c, &b| crc8_byte(c, b))
}

/// One byte of [`crc8`]: the register after shifting in `b`.
pub fn crc8_byte(crc: u8, b: u8) -> u8 {
    let mut c = crc ^ b;
    for _ in 0..8 {
        c = if c & 0x80 != 0 {
            (c << 1) ^ 0x07
        } else {
            c << 1
        };
    }
    c
}

/// One frame: its CMD byte and payload (the sync byte is implied by the direction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// CMD byte.
    pub cmd: u8,
    /// PAYLOAD, at most 65535 bytes.
    pub payload: Vec<u8>,
}

impl Frame {
    /// The frame's bytes: `sync, CMD, LEN_LO, LEN_HI, PAYLOAD, CRC8(CMD..PAYLOAD)`.
    pub fn encode(&self, sync: u8) -> Result<Vec<u8>> {
        let len = u16::try_from(self.payload.len()).map_err(|_| {
            ProtocolError::Unsupported(format!(
                "payload of {} bytes is longer than a frame can carry (65535)",
                self.payload.len()
            ))
        })?;
        let mut v = Vec::with_capacity(self.payload.len() + FRAME_OVERHEAD);
        v.push(sync);
        v.push(self.cmd);
        v.extend_from_slice(&len.to_le_bytes());
        v.extend_from_slice(&self.payload);
        v.push(crc8(&v[1..]));
        Ok(v)
    }
}

/// The board's element layout: lengths of a timestep's input and output, element widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Input elements per timestep.
    pub in_len: usize,
    /// Output elements per timestep.
    pub out_len: usize,
    /// Input element width in bits (1..=64).
    pub wx: u32,
    /// Output element width in bits (1..=64).
    pub wy: u32,
}

impl Layout {
    /// Bytes per input element, ceil(WX/8).
    pub fn in_bytes(&self) -> usize {
        self.wx.div_ceil(8) as usize
    }
    /// Bytes per output element, ceil(WY/8).
    pub fn out_bytes(&self) -> usize {
        self.wy.div_ceil(8) as usize
    }
    /// LEN of a STEP request: the flag byte and IN_LEN elements.
    pub fn step_len(&self) -> usize {
        1 + self.in_len * self.in_bytes()
    }
    /// LEN of a STEP reply.
    pub fn step_reply_len(&self) -> usize {
        self.out_len * self.out_bytes()
    }
}

/// The range of a `width`-bit element: `-2^(w-1) ..= 2^(w-1)-1`, or {-1, +1} for a 1-bit one.
pub fn element_fits(v: i64, width: u32) -> bool {
    match width {
        1 => v == 1 || v == -1,
        64 => true,
        w => {
            let half = 1i64 << (w - 1);
            (-half..half).contains(&v)
        }
    }
}

/// Pack one element: ceil(width/8) bytes, little endian, two's complement sign-extended to the
/// bytes; a 1-bit element (+1/−1) is the byte 0x01 / 0x00.
pub fn pack_element(v: i64, width: u32, out: &mut Vec<u8>) -> Result<()> {
    if !(1..=64).contains(&width) {
        return Err(ProtocolError::Unsupported(format!(
            "element width {width} (1..=64 bits)"
        )));
    }
    if !element_fits(v, width) {
        return Err(ProtocolError::ValueRange { value: v, width });
    }
    let n = width.div_ceil(8) as usize;
    let raw = if width == 1 {
        u64::from(v == 1)
    } else {
        v as u64
    };
    out.extend_from_slice(&raw.to_le_bytes()[..n]);
    Ok(())
}

/// Unpack one element of `width` bits from exactly ceil(width/8) bytes; bytes that are not what
/// [`pack_element`] would give for some value are [`ProtocolError::BadElement`].
pub fn unpack_element(bytes: &[u8], width: u32) -> Result<i64> {
    let n = width.div_ceil(8) as usize;
    let bad = || ProtocolError::BadElement {
        bytes: bytes.to_vec(),
        width,
    };
    if !(1..=64).contains(&width) || bytes.len() != n {
        return Err(bad());
    }
    if width == 1 {
        return match bytes[0] {
            0 => Ok(-1),
            1 => Ok(1),
            _ => Err(bad()),
        };
    }
    let mut le = [0u8; 8];
    le[..n].copy_from_slice(bytes);
    let shift = 64 - 8 * n as u32;
    let v = (u64::from_le_bytes(le) << shift) as i64 >> shift;
    if element_fits(v, width) {
        Ok(v)
    } else {
        Err(bad())
    }
}

/// The board's ID (the PING reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardId {
    /// Protocol version.
    pub version: u8,
    /// The first 8 bytes of the model hash (MODEL_ID, most significant byte first).
    pub model_id: [u8; 8],
    /// The element layout.
    pub layout: Layout,
    /// FRAME_TIMEOUT_BITS: the board drops a frame after this many bit times without a byte.
    pub frame_timeout_bits: u16,
}

impl BoardId {
    /// The PING reply payload (the board top's ID ROM).
    pub fn to_payload(&self) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.push(self.version);
        v.extend_from_slice(&self.model_id);
        v.extend_from_slice(&(self.layout.in_len as u16).to_le_bytes());
        v.extend_from_slice(&(self.layout.out_len as u16).to_le_bytes());
        v.push(self.layout.wx as u8);
        v.push(self.layout.wy as u8);
        v.extend_from_slice(&self.frame_timeout_bits.to_le_bytes());
        v
    }

    /// Parse a PING reply payload.
    pub fn from_payload(p: &[u8]) -> Result<Self> {
        if p.len() != ID_LEN {
            return Err(ProtocolError::WrongLength {
                cmd: Command::Ping.reply(),
                expected: ID_LEN,
                got: p.len(),
            });
        }
        let magic = [p[0], p[1], p[2], p[3]];
        if magic != MAGIC || p[4] != VERSION {
            return Err(ProtocolError::BadId {
                magic,
                version: p[4],
            });
        }
        let u16at = |i: usize| u16::from_le_bytes([p[i], p[i + 1]]);
        let layout = Layout {
            in_len: usize::from(u16at(13)),
            out_len: usize::from(u16at(15)),
            wx: u32::from(p[17]),
            wy: u32::from(p[18]),
        };
        let bad = |field: &'static str, value: usize, expected: &'static str| {
            Err(ProtocolError::BadIdField {
                field,
                value,
                expected,
            })
        };
        if !(1..=64).contains(&layout.wx) {
            return bad("input width (byte 17)", layout.wx as usize, "1..=64 bits");
        }
        if !(1..=64).contains(&layout.wy) {
            return bad("output width (byte 18)", layout.wy as usize, "1..=64 bits");
        }
        if layout.in_len == 0 {
            return bad("input length (bytes 13-14)", 0, "at least 1 value");
        }
        let mut model_id = [0u8; 8];
        model_id.copy_from_slice(&p[5..13]);
        Ok(Self {
            version: p[4],
            model_id,
            layout,
            frame_timeout_bits: u16at(19),
        })
    }

    /// The model id as hex.
    pub fn model_hex(&self) -> String {
        hex(&self.model_id)
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A request to the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// PING.
    Ping,
    /// RESET.
    Reset,
    /// STEP: one timestep's inputs; `seq_start` = this timestep starts a sequence.
    Step {
        /// Flag bit 0.
        seq_start: bool,
        /// IN_LEN input values.
        inputs: Vec<i64>,
    },
}

impl Request {
    /// The request as a frame (STEP needs the layout).
    pub fn frame(&self, layout: Option<&Layout>) -> Result<Frame> {
        Ok(match self {
            Request::Ping => Frame {
                cmd: Command::Ping as u8,
                payload: vec![],
            },
            Request::Reset => Frame {
                cmd: Command::Reset as u8,
                payload: vec![],
            },
            Request::Step { seq_start, inputs } => {
                let l = layout.ok_or(ProtocolError::NotConnected)?;
                if inputs.len() != l.in_len {
                    return Err(ProtocolError::InputCount {
                        expected: l.in_len,
                        got: inputs.len(),
                    });
                }
                let mut payload = Vec::with_capacity(l.step_len());
                payload.push(u8::from(*seq_start));
                for &v in inputs {
                    pack_element(v, l.wx, &mut payload)?;
                }
                Frame {
                    cmd: Command::Step as u8,
                    payload,
                }
            }
        })
    }

    /// The request's bytes on the wire.
    pub fn encode(&self, layout: Option<&Layout>) -> Result<Vec<u8>> {
        self.frame(layout)?.encode(SYNC_REQUEST)
    }
}

/// A byte link to the board (a serial port, a socket into a simulator, a recorded stream).
pub trait Link {
    /// Send all of `bytes`.
    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Receive up to `buf.len()` bytes, waiting at most `timeout` for the first; `Ok(0)` means
    /// nothing arrived in time.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> std::io::Result<usize>;
}

/// A [`Link`] over recorded bytes: `recv` returns the bytes given to [`ReplayLink::new`] (and
/// times out when they run out), `send` appends to [`ReplayLink::sent`]. For decoding a
/// simulator's captured output and for tests.
#[derive(Debug, Default, Clone)]
pub struct ReplayLink {
    rx: VecDeque<u8>,
    /// Everything sent.
    pub sent: Vec<u8>,
}

impl ReplayLink {
    /// A link whose receive side replays `rx`.
    pub fn new(rx: &[u8]) -> Self {
        Self {
            rx: rx.iter().copied().collect(),
            sent: vec![],
        }
    }
    /// Bytes not yet received.
    pub fn remaining(&self) -> usize {
        self.rx.len()
    }
}

impl Link for ReplayLink {
    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.sent.extend_from_slice(bytes);
        Ok(())
    }
    fn recv(&mut self, buf: &mut [u8], _timeout: Duration) -> std::io::Result<usize> {
        let n = buf.len().min(self.rx.len());
        for (i, b) in self.rx.drain(..n).enumerate() {
            buf[i] = b;
        }
        Ok(n)
    }
}

fn read_exact<L: Link + ?Sized>(
    link: &mut L,
    buf: &mut [u8],
    timeout: Duration,
    before: usize,
) -> Result<()> {
    let mut got = 0;
    while got < buf.len() {
        let n = link
            .recv(&mut buf[got..], timeout)
            .map_err(|e| ProtocolError::Link(e.to_string()))?;
        if n == 0 {
            return Err(ProtocolError::Timeout {
                waited_ms: timeout.as_millis() as u64,
                got: before + got,
            });
        }
        got += n;
    }
    Ok(())
}

/// Read one frame with sync byte `sync` from `link`: checks the sync byte and the CRC.
pub fn read_frame<L: Link + ?Sized>(link: &mut L, sync: u8, timeout: Duration) -> Result<Frame> {
    let mut hdr = [0u8; 4];
    read_exact(link, &mut hdr[..1], timeout, 0)?;
    if hdr[0] != sync {
        return Err(ProtocolError::BadSync {
            expected: sync,
            got: hdr[0],
        });
    }
    read_exact(link, &mut hdr[1..], timeout, 1)?;
    let len = usize::from(u16::from_le_bytes([hdr[2], hdr[3]]));
    let mut rest = vec![0u8; len + 1];
    read_exact(link, &mut rest, timeout, 4)?;
    let got = rest[len];
    let computed = rest[..len]
        .iter()
        .fold(crc8(&hdr[1..]), |c, &b| crc8_byte(c, b));
    if computed != got {
        return Err(ProtocolError::BadCrc { computed, got });
    }
    rest.truncate(len);
    Ok(Frame {
        cmd: hdr[1],
        payload: rest,
    })
}

/// Decode one frame from the start of `bytes`; returns it and the bytes it used. A frame cut
/// short is [`ProtocolError::Timeout`] with `waited_ms` 0.
pub fn decode_frame(sync: u8, bytes: &[u8]) -> Result<(Frame, usize)> {
    let mut link = ReplayLink::new(bytes);
    let f = read_frame(&mut link, sync, Duration::ZERO)?;
    Ok((f, bytes.len() - link.remaining()))
}

/// The host side: requests and typed replies over a [`Link`].
#[derive(Debug)]
pub struct Host<L: Link> {
    link: L,
    /// How long to wait for each byte of a reply.
    pub timeout: Duration,
    layout: Option<Layout>,
}

impl<L: Link> Host<L> {
    /// A host on `link`; the layout is learnt by [`Host::connect`] or set by [`Host::with_layout`].
    pub fn new(link: L, timeout: Duration) -> Self {
        Self {
            link,
            timeout,
            layout: None,
        }
    }

    /// Use `layout` for STEP without asking the board.
    pub fn with_layout(mut self, layout: Layout) -> Self {
        self.layout = Some(layout);
        self
    }

    /// The layout in use.
    pub fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// The link.
    pub fn link_mut(&mut self) -> &mut L {
        &mut self.link
    }

    /// Give the link back.
    pub fn into_link(self) -> L {
        self.link
    }

    /// Send one request.
    pub fn send_request(&mut self, r: &Request) -> Result<()> {
        let bytes = r.encode(self.layout.as_ref())?;
        self.link
            .send(&bytes)
            .map_err(|e| ProtocolError::Link(e.to_string()))
    }

    /// Read one reply to `cmd`: an ERROR reply becomes [`ProtocolError::ErrorReply`]; a reply to
    /// another command, or a payload of another length than `len`, is an error.
    pub fn recv_reply(&mut self, cmd: Command, len: usize) -> Result<Vec<u8>> {
        let f = read_frame(&mut self.link, SYNC_REPLY, self.timeout)?;
        if f.cmd == REPLY_ERROR {
            if f.payload.len() != ERROR_LEN {
                return Err(ProtocolError::WrongLength {
                    cmd: f.cmd,
                    expected: ERROR_LEN,
                    got: f.payload.len(),
                });
            }
            return Err(ProtocolError::ErrorReply {
                code: ErrorCode::from_byte(f.payload[0]),
                cmd: f.payload[1],
            });
        }
        if f.cmd != cmd.reply() {
            return Err(ProtocolError::UnexpectedReply {
                expected: cmd.reply(),
                got: f.cmd,
            });
        }
        if f.payload.len() != len {
            return Err(ProtocolError::WrongLength {
                cmd: f.cmd,
                expected: len,
                got: f.payload.len(),
            });
        }
        Ok(f.payload)
    }

    /// Read a PING reply.
    pub fn recv_ping(&mut self) -> Result<BoardId> {
        BoardId::from_payload(&self.recv_reply(Command::Ping, ID_LEN)?)
    }

    /// Read a RESET reply.
    pub fn recv_reset(&mut self) -> Result<()> {
        self.recv_reply(Command::Reset, 0).map(|_| ())
    }

    /// Read a STEP reply: OUT_LEN elements.
    pub fn recv_step(&mut self) -> Result<Vec<i64>> {
        let l = self.layout.ok_or(ProtocolError::NotConnected)?;
        let p = self.recv_reply(Command::Step, l.step_reply_len())?;
        p.chunks(l.out_bytes())
            .map(|c| unpack_element(c, l.wy))
            .collect()
    }

    /// PING: the board's ID.
    pub fn ping(&mut self) -> Result<BoardId> {
        self.send_request(&Request::Ping)?;
        self.recv_ping()
    }

    /// PING, check the model hash (if given) and adopt the board's layout.
    pub fn connect(&mut self, expected_model_id: Option<[u8; 8]>) -> Result<BoardId> {
        let id = self.ping()?;
        if let Some(e) = expected_model_id {
            if e != id.model_id {
                return Err(ProtocolError::ModelMismatch {
                    expected: hex(&e),
                    got: id.model_hex(),
                });
            }
        }
        self.layout = Some(id.layout);
        Ok(id)
    }

    /// RESET: the next STEP starts a sequence.
    pub fn reset(&mut self) -> Result<()> {
        self.send_request(&Request::Reset)?;
        self.recv_reset()
    }

    /// STEP: one timestep's inputs in, its outputs back.
    pub fn step(&mut self, seq_start: bool, inputs: &[i64]) -> Result<Vec<i64>> {
        self.send_request(&Request::Step {
            seq_start,
            inputs: inputs.to_vec(),
        })?;
        self.recv_step()
    }
}

#[cfg(test)]
mod tests;
