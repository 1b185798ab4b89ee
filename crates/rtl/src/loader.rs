//! Weights in SPRAM and their loader (docs/HARDWARE.md §4.3).
//!
//! The iCE40UP5K's SPRAM (four SB_SPRAM256KA, 16384 × 16 bits each) is not initialised by the
//! bitstream. Weight memories placed there ([`Placement::Spram`]) are written at start-up by the
//! generated `qrnn_loader`, which reads the **weight image** from the board's SPI flash: it wakes
//! the flash (0xAB, release from deep power-down), waits [`WAKE_GAP`] cycles, reads the image with
//! one 0x03 command from [`Design::flash_offset`], checks the header against the constants it was
//! generated with (magic, version, model hash, payload length) and the CRC, and only then lets the
//! core out of reset. On a mismatch `load_err` rises and the core stays in reset.
//!
//! The image: [`HEADER_BYTES`] bytes of header — `QRWI`, version (u16), 0 (u16), the model's
//! SHA-256 (32 bytes), the payload length in bytes (u32) — then the payload, the 16-bit words of
//! every SPRAM block in turn (memories in engine order, `w` before `u`; block `t` of a memory holds
//! bits `[16t, 16t + 16)` of each of its words), each most significant byte first; then the
//! CRC-32/BZIP2 ([`crc32`]) of everything before it, most significant byte first. Integers are
//! big-endian. SPI delivers every byte most significant bit first, which is the bit order
//! CRC-32/BZIP2 consumes, so the loader updates its CRC one bit per SCK edge.

use crate::build::*;
use crate::ir::{Design, Memory, Placement, SPRAM_WIDTH, SPRAM_WORDS};
use crate::manifest::WeightImage;
use crate::verilog::*;

/// First bytes of every weight image.
pub const MAGIC: [u8; 4] = *b"QRWI";
/// Image format version.
pub const VERSION: u16 = 1;
/// Header bytes before the payload.
pub const HEADER_BYTES: usize = 44;
/// Cycles the loader waits after the release-from-power-down command (the flash needs 3 µs at
/// most, tRES1; 1024 cycles are 10 µs at 100 MHz).
pub const WAKE_GAP: u64 = 1024;
/// SPI command: release from deep power-down.
pub const CMD_WAKE: u8 = 0xAB;
/// SPI command: read data (24-bit address).
pub const CMD_READ: u8 = 0x03;
/// The image in a generated project: one byte per line in hex.
pub const IMAGE_FILE: &str = "flash/weights.hex";
/// Name of the SPRAM block module.
pub const SPRAM_MODULE: &str = "qrnn_spram";
/// Name of the loader module.
pub const LOADER_MODULE: &str = "qrnn_loader";
/// The behavioural SPI flash the loader is simulated against (hand-written, simulation only:
/// `crates/rtl/verilog/qrnn_spi_flash.v`), for the co-simulation testbench and the simulated board.
pub const FLASH_MODEL: &str = include_str!("../verilog/qrnn_spi_flash.v");

/// CRC-32/BZIP2 (polynomial 0x04C11DB7, initial value and final XOR 0xFFFFFFFF, no reflection;
/// `crc32(b"123456789") == 0xFC891918`).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        for i in (0..8).rev() {
            let fb = (c >> 31) ^ u32::from((b >> i) & 1);
            c <<= 1;
            if fb == 1 {
                c ^= 0x04C1_1DB7;
            }
        }
    }
    !c
}

/// The weight memories of `d` placed in SPRAM, in image order.
pub fn spram_memories(d: &Design) -> Vec<&Memory> {
    d.engines()
        .flat_map(|e| std::iter::once(&e.w).chain(e.u.iter()))
        .filter_map(|mv| mv.rom.as_ref())
        .filter(|r| r.placement == Placement::Spram)
        .collect()
}

/// Whether `d` has weight memories in SPRAM, and so a loader and a weight image.
pub fn has_image(d: &Design) -> bool {
    !spram_memories(d).is_empty()
}

/// One SPRAM block's part of the image: `(memory, block, words)`, in image order.
pub fn segments(d: &Design) -> Vec<(String, u32, usize)> {
    spram_memories(d)
        .into_iter()
        .flat_map(|m| (0..m.spram_blocks()).map(move |t| (m.name.clone(), t, m.words.len())))
        .collect()
}

/// Payload words of `d`'s image.
fn payload(d: &Design) -> Vec<u16> {
    spram_memories(d)
        .into_iter()
        .flat_map(|m| (0..m.spram_blocks()).flat_map(move |t| m.spram_words(t)))
        .collect()
}

/// The model hash as 32 bytes (zeros where the hex is not a SHA-256).
fn hash_bytes(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let digits: Vec<u8> = hex
        .chars()
        .filter_map(|c| c.to_digit(16).map(|v| v as u8))
        .collect();
    for (i, o) in out.iter_mut().enumerate() {
        if let (Some(a), Some(b)) = (digits.get(2 * i), digits.get(2 * i + 1)) {
            *o = (a << 4) | b;
        }
    }
    out
}

/// The header of `d`'s image for a payload of `payload_bytes` bytes.
fn header(d: &Design, payload_bytes: usize) -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER_BYTES);
    h.extend_from_slice(&MAGIC);
    h.extend_from_slice(&VERSION.to_be_bytes());
    h.extend_from_slice(&0u16.to_be_bytes());
    h.extend_from_slice(&hash_bytes(&d.model_hash));
    h.extend_from_slice(&(payload_bytes as u32).to_be_bytes());
    h
}

/// The weight image of `d`, or `None` when no weight memory is in SPRAM.
pub fn image(d: &Design) -> Option<Vec<u8>> {
    if !has_image(d) {
        return None;
    }
    let words = payload(d);
    let mut img = header(d, 2 * words.len());
    for w in words {
        img.extend_from_slice(&w.to_be_bytes());
    }
    let crc = crc32(&img);
    img.extend_from_slice(&crc.to_be_bytes());
    Some(img)
}

/// The image as the project writes it ([`IMAGE_FILE`]): one byte per line, two hex digits.
pub fn image_hex(img: &[u8]) -> String {
    img.iter().map(|b| format!("{b:02x}\n")).collect()
}

/// Cycles from the release of `rst` to the first cycle the core can accept input, for an image of
/// `bytes` bytes: 16 for the wake-up command and 1 to end it, [`WAKE_GAP`], 64 for the read command
/// and its address, 16 per image byte, and 1 to end the read and decide.
pub fn load_cycles(bytes: usize) -> u64 {
    16 + 1 + WAKE_GAP + 64 + 16 * bytes as u64 + 1
}

/// The manifest entry of `d`'s image, or `None` when no weight memory is in SPRAM.
pub fn image_manifest(d: &Design) -> Option<WeightImage> {
    let img = image(d)?;
    let n = img.len();
    let crc = u32::from_be_bytes([img[n - 4], img[n - 3], img[n - 2], img[n - 1]]);
    Some(WeightImage {
        file: IMAGE_FILE.into(),
        offset: d.flash_offset,
        bytes: n as u32,
        crc32: crc,
        memories: spram_memories(d).iter().map(|m| m.name.clone()).collect(),
        spram_blocks: segments(d).len() as u32,
        load_cycles: load_cycles(n),
    })
}

/// The SPRAM block module: one SB_SPRAM256KA (yosys infers it from `ram_style = "huge"`), a
/// single port that writes when `we` and otherwise reads, registered (latency 1).
pub fn spram_module(header: Vec<String>) -> Module {
    let mut m = Module::new(SPRAM_MODULE);
    m.comment = header;
    m.input("clk", Ty::u(1));
    let we = m.input("we", Ty::u(1));
    let a = m.input("a", Ty::u(clog2(SPRAM_WORDS)));
    let wd = m.input("wd", Ty::u(SPRAM_WIDTH));
    m.array(
        "mem",
        Ty::u(SPRAM_WIDTH),
        SPRAM_WORDS,
        ArrayInit::None,
        Some("one SPRAM block: not initialised by the bitstream, written by the loader"),
    );
    m.attrs.insert("mem".into(), "ram_style = \"huge\"".into());
    let rd = m.reg("rd_q", Ty::u(SPRAM_WIDTH), Some("registered read data"));
    m.output("rd", rd);
    m.seq = vec![Stmt::If(
        we,
        vec![Stmt::AssignIndex("mem".into(), a.clone(), wd)],
        vec![Stmt::Assign(
            "rd_q".into(),
            Expr::Index("mem".into(), Box::new(a), Ty::u(SPRAM_WIDTH)),
        )],
    )];
    m
}

/// Width of the loader's segment index for `n` segments.
pub fn seg_width(n: usize) -> u32 {
    clog2(n.max(2))
}

// loader states
const WAKE: usize = 0;
const GAP: usize = 1;
const CMD: usize = 2;
const READ: usize = 3;
const DONE: usize = 4;
const FAIL: usize = 5;

/// The loader module of `d` (which has at least one SPRAM memory): SPI master, header and CRC
/// check, and the SPRAM write port (`ld_we`, `ld_seg`, `ld_addr`, `ld_data`).
pub fn loader_module(d: &Design, header_comment: Vec<String>) -> Result<Module, String> {
    let img = image(d).ok_or("internal error: a loader for a design without SPRAM weights")?;
    let segs = segments(d);
    let total = img.len();
    let pay_end = total - 4;
    if d.flash_offset as usize + total > 1 << 24 {
        return Err(format!(
            "the weight image ({total} bytes at flash offset 0x{:x}) does not fit the 16 MiB a \
             24-bit read address reaches",
            d.flash_offset
        ));
    }
    let mut b = B::new(LOADER_MODULE);
    b.m.comment = header_comment;
    let _clk = b.m.input("clk", Ty::u(1));
    let rst = b.m.input("rst", Ty::u(1));
    let miso = b.m.input("flash_miso", Ty::u(1));
    let sw = seg_width(segs.len());
    let aw = clog2(SPRAM_WORDS);
    let bw = bits_for(total);
    let st = b.m.reg(
        "st_q",
        Ty::u(3),
        Some("WAKE, GAP (after 0xAB), CMD (0x03 + address), READ, DONE, FAIL"),
    );
    let half = b.m.reg(
        "half_q",
        Ty::u(1),
        Some("second half of an SPI bit (SCK rises)"),
    );
    let bit = b.m.reg("bit_q", Ty::u(6), Some("command bits sent"));
    let sr =
        b.m.reg("sr_q", Ty::u(32), Some("command shift register, MSB first"));
    let gap = b.m.reg(
        "gap_q",
        Ty::u(bits_for(WAKE_GAP as usize)),
        Some("cycles waited after the wake-up command"),
    );
    let inb =
        b.m.reg("in_q", Ty::u(7), Some("bits of the byte being read"));
    let nb =
        b.m.reg("nb_q", Ty::u(3), Some("bits of the byte read so far"));
    let byte = b.m.reg("byte_q", Ty::u(bw), Some("image bytes read"));
    let crc = b.m.reg(
        "crc_q",
        Ty::u(32),
        Some("CRC-32/BZIP2 of the bytes before the CRC"),
    );
    let rcv =
        b.m.reg("rcv_q", Ty::u(32), Some("the CRC stored in the image"));
    let hi =
        b.m.reg("hi_q", Ty::u(8), Some("first byte of a payload word"));
    let err = b.m.reg("err_q", Ty::u(1), Some("a header byte differed"));
    let seg =
        b.m.reg("seg_q", Ty::u(sw), Some("SPRAM block being written"));
    let addr =
        b.m.reg("addr_q", Ty::u(aw), Some("next word of that block"));
    let csn =
        b.m.reg("csn_q", Ty::u(1), Some("flash chip select (active low)"));
    let sck =
        b.m.reg("sck_q", Ty::u(1), Some("flash clock (mode 0: idle low)"));
    let mosi = b.m.reg("mosi_q", Ty::u(1), Some("to the flash"));
    let we = b.m.reg("we_q", Ty::u(1), Some("write a payload word"));
    let ws = b.m.reg("ws_q", Ty::u(sw), Some("its block"));
    let wa = b.m.reg("wa_q", Ty::u(aw), Some("its address"));
    let wd = b.m.reg("wd_q", Ty::u(16), Some("the word"));
    b.m.output("flash_csn", csn);
    b.m.output("flash_sck", sck);
    b.m.output("flash_mosi", mosi);
    b.m.output("ld_we", we);
    b.m.output("ld_seg", ws);
    b.m.output("ld_addr", wa);
    b.m.output("ld_data", wd);
    b.m.output("loaded", eq_c(&st, DONE));
    b.m.output("load_err", eq_c(&st, FAIL));

    let set = |n: &str, e: Expr| Stmt::Assign(n.into(), e);
    let read_cmd = ((CMD_READ as usize) << 24) | d.flash_offset as usize;
    // one bit out: SCK low and MOSI set up, then SCK high
    let setup = vec![
        set("csn_q", zero()),
        set("sck_q", zero()),
        set("mosi_q", slice(sr.clone(), 31, 1, false)),
        set("half_q", one()),
    ];
    let sr_lo = b.name("sr_lo", slice(sr.clone(), 0, 31, false));
    let rise = vec![
        set("sck_q", one()),
        set("sr_q", cat(vec![sr_lo, zero()])),
        set("bit_q", add_c(&bit, 1)),
        set("half_q", zero()),
    ];
    let not_half = not(half.clone());
    let wake = vec![Stmt::If(
        not_half.clone(),
        vec![Stmt::If(
            eq_c(&bit, 8),
            vec![
                set("csn_q", one()),
                set("sck_q", zero()),
                set("gap_q", uc(0, gap.width())),
                set("st_q", uc(GAP, 3)),
            ],
            setup.clone(),
        )],
        rise.clone(),
    )];
    let gapst = vec![
        set("gap_q", add_c(&gap, 1)),
        Stmt::If(
            eq_c(&gap, WAKE_GAP as usize - 1),
            vec![
                set("st_q", uc(CMD, 3)),
                set("bit_q", uc(0, 6)),
                set("sr_q", uc(read_cmd, 32)),
            ],
            vec![],
        ),
    ];
    let mut cmd_rise = rise;
    cmd_rise.push(Stmt::If(
        eq_c(&bit, 31),
        vec![set("st_q", uc(READ, 3))],
        vec![],
    ));
    let cmdst = vec![Stmt::If(not_half.clone(), setup, cmd_rise)];

    // READ: a byte arrives MSB first; the CRC covers the bytes before the last four
    let fb = b.name(
        "crc_fb",
        bin(BinOp::Xor, slice(crc.clone(), 31, 1, false), miso.clone()),
    );
    let crc_lo = b.name("crc_lo", slice(crc.clone(), 0, 31, false));
    let crc_sh = b.name("crc_sh", cat(vec![crc_lo, zero()]));
    let crc_next = mux(
        fb,
        bin(BinOp::Xor, crc_sh.clone(), uc(0x04C1_1DB7, 32)),
        crc_sh,
    );
    let crc_next = b.name("crc_next", crc_next);
    let rcv_lo = b.name("rcv_lo", slice(rcv.clone(), 0, 31, false));
    let full = b.wire("rd_byte", cat(vec![inb.clone(), miso.clone()]));
    let in_lo = b.name("in_lo", slice(inb.clone(), 0, 6, false));
    let hdr = header(d, pay_end - HEADER_BYTES);
    let arms: Vec<(i128, Vec<Stmt>)> = hdr
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                i as i128,
                vec![Stmt::If(
                    bin(BinOp::Ne, full.clone(), uc(*v as usize, 8)),
                    vec![set("err_q", one())],
                    vec![],
                )],
            )
        })
        .collect();
    // the last word of each SPRAM block
    let mut last = uc(segs.last().map_or(0, |s| s.2 - 1), aw);
    for (k, s) in segs.iter().enumerate().rev().skip(1) {
        last = mux(eq_c(&seg, k), uc(s.2 - 1, aw), last);
    }
    let last = b.name("seg_last", last);
    let byte0 = b.name("byte_odd", slice(byte.clone(), 0, 1, false));
    // the word, its address and block are registered every cycle (`we_q` says when they are a
    // write), so the deep condition of a write enables only the counters: as the enable of the
    // data registers too it was promoted to a global clock enable, on the core's critical path
    let free = [
        set("wd_q", cat(vec![hi.clone(), full.clone()])),
        set("wa_q", addr.clone()),
        set("ws_q", seg.clone()),
    ];
    let write = vec![
        set("we_q", one()),
        Stmt::If(
            bin(BinOp::Eq, addr.clone(), last),
            vec![set("seg_q", add_c(&seg, 1)), set("addr_q", uc(0, aw))],
            vec![set("addr_q", add_c(&addr, 1))],
        ),
    ];
    let payload = Stmt::If(
        lt_c(&byte, pay_end),
        vec![Stmt::If(byte0, write, vec![set("hi_q", full.clone())])],
        vec![],
    );
    let on_byte = vec![
        set("byte_q", add_c(&byte, 1)),
        Stmt::If(
            lt_c(&byte, HEADER_BYTES),
            vec![Stmt::Case(byte.clone(), arms, vec![])],
            vec![payload],
        ),
    ];
    let sample = vec![
        set("sck_q", one()),
        set("half_q", zero()),
        set("in_q", cat(vec![in_lo, miso.clone()])),
        set("nb_q", add_c(&nb, 1)),
        Stmt::If(
            lt_c(&byte, pay_end),
            vec![set("crc_q", crc_next)],
            vec![set("rcv_q", cat(vec![rcv_lo, miso.clone()]))],
        ),
        Stmt::If(eq_c(&nb, 7), on_byte, vec![]),
    ];
    let crc_inv = b.name("crc_final", not(crc.clone()));
    let ok = b.name(
        "image_ok",
        and(not(err.clone()), bin(BinOp::Eq, crc_inv, rcv.clone())),
    );
    let readst = vec![Stmt::If(
        not_half,
        vec![Stmt::If(
            eq_c(&byte, total),
            vec![
                set("csn_q", one()),
                set("sck_q", zero()),
                set("st_q", mux(ok, uc(DONE, 3), uc(FAIL, 3))),
            ],
            vec![
                set("sck_q", zero()),
                set("mosi_q", zero()),
                set("half_q", one()),
            ],
        )],
        sample,
    )];
    let run = vec![
        set("we_q", zero()),
        Stmt::Case(
            st.clone(),
            vec![
                (WAKE as i128, wake),
                (GAP as i128, gapst),
                (CMD as i128, cmdst),
                (READ as i128, readst),
            ],
            vec![],
        ),
    ];
    let reset = vec![
        set("st_q", uc(WAKE, 3)),
        set("half_q", zero()),
        set("bit_q", uc(0, 6)),
        set("sr_q", uc((CMD_WAKE as usize) << 24, 32)),
        set("gap_q", uc(0, gap.width())),
        set("nb_q", uc(0, 3)),
        set("byte_q", uc(0, bw)),
        set("crc_q", uc(0xFFFF_FFFF, 32)),
        set("err_q", zero()),
        set("seg_q", uc(0, sw)),
        set("addr_q", uc(0, aw)),
        set("csn_q", one()),
        set("sck_q", zero()),
        set("mosi_q", zero()),
        set("we_q", zero()),
    ];
    b.m.seq = vec![Stmt::If(rst, reset, run)];
    b.m.seq.extend(free);
    Ok(b.m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_bzip2() {
        assert_eq!(crc32(b"123456789"), 0xFC89_1918);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn load_cycles_counts_every_phase() {
        // 17 for the wake-up, the gap, 64 for the command, 16 per byte, 1 to decide
        assert_eq!(load_cycles(0), 17 + WAKE_GAP + 64 + 1);
        assert_eq!(load_cycles(10) - load_cycles(9), 16);
    }
}
