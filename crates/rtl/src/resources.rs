//! The resource model: a first-order prediction of LUT4s, flip-flops, block RAM and multipliers of a
//! scheduled design, written into `qrnn.json` and compared against synthesis by the FPGA flow.
//! docs/HARDWARE.md §6 states every term; keep the two in step.

use crate::ir::{Buffer, Design, Engine, Mv, Placement, RamStyle};
use crate::vocab::{Family, Fold};
use qrnn_model::{Cell, Scheme};
use serde::{Deserialize, Serialize};

/// Predicted resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// 4-input LUTs (logic, adders, muxes, LUT-based ROMs and multipliers).
    pub lut4: u64,
    /// Flip-flops.
    pub ff: u64,
    /// Bits in block RAM (weight ROMs placed in ROM, σ/tanh tables, one copy per read port).
    pub bram_bits: u64,
    /// Block RAMs of the target family (`bram_bits` packed per memory).
    pub bram_blocks: u64,
    /// iCE40UP5K SPRAM blocks (SB_SPRAM256KA) of the weight memories placed there (§4.3).
    #[serde(default)]
    pub spram_blocks: u64,
    /// Multipliers in the matrix-vector engines (int-k baseline only; 0 for binary/ternary/quaternary).
    pub mv_multipliers: u64,
    /// Element-wise multipliers of the cell updates and per-row scales (may map to DSPs).
    pub elementwise_multipliers: u64,
    /// LUT4s of the matrix-vector lanes and adder trees alone.
    pub mv_lut4: u64,
    /// Flip-flops of the pipeline levels that logic feeds directly (sums, comparisons): on iCE40
    /// nextpnr packs each into the logic cell of the LUT that drives it (docs/HARDWARE.md §4.4).
    #[serde(default)]
    pub ff_packed: u64,
}

fn lane_luts(mv: &Mv) -> u64 {
    let a = mv.act.width() as u64;
    match mv.scheme {
        Scheme::Binary if mv.act.is_binary() => 1,
        Scheme::Binary | Scheme::Ternary => a + 1,
        Scheme::Quaternary => a + 2,
        Scheme::Int(k) => k as u64 * a,
    }
}

/// LUT4s of a `depth`:1 read multiplexer of `width` bits (a register array read at a run-time index):
/// about one LUT4 per 2:1 mux level pair, `width · (depth − 1) / 2`.
fn read_mux(depth: u64, width: u64) -> u64 {
    width * depth.saturating_sub(1).div_ceil(2)
}

/// LUT4s of a `wa × wb` signed multiplier built from LUTs and carry chains: about `wa · wb / 2`.
fn lut_mul(wa: u64, wb: u64) -> u64 {
    (wa * wb).div_ceil(2)
}

fn mv_resources(e: &Engine, mv: &Mv, r: &mut Resources, target: Family) {
    let block = target.bram_block_bits();
    let f = e.fold.unwrap_or(Fold::SERIAL);
    let (p, s) = (f.p as u64, f.s as u64);
    // S lanes read the activation vector at run-time indices: with S a power of two, lane s reads
    // only the columns ≡ s (mod S), one of ⌈cols/S⌉ (elab.rs, "Lane s reads column …")
    let depth = if s.is_power_of_two() {
        (mv.cols() as u64).div_ceil(s)
    } else {
        mv.cols() as u64
    };
    // a dense engine's activations come from banked RAMs (their cost is the buffers'), a
    // ConvLSTM engine's through run-time read multiplexers and stage-1 registers
    let dense = e.conv.is_none();
    if !dense {
        r.lut4 += s.min(mv.cols() as u64) * read_mux(depth, mv.act.width() as u64);
        r.ff += s * mv.act.width() as u64;
    }
    let xnor = mv.scheme == Scheme::Binary && mv.act.is_binary();
    // outside the XNOR path: padding columns zero their activation (one LUT per bit, shared by
    // the P rows), and a multiplier-free row adds the count of its negated lanes (a popcount of
    // S bits and one more dot-width add)
    let masks = if xnor { 0 } else { s * mv.act.width() as u64 };
    let negs = if xnor || !mv.scheme.is_multiplier_free() {
        0
    } else {
        p * (s + mv.dot_width as u64)
    };
    let lanes = p * s * lane_luts(mv) + masks;
    let tree = p * s.saturating_sub(1) * mv.dot_width as u64 + negs;
    let acc = p * mv.acc_width as u64;
    r.mv_lut4 += lanes + tree;
    r.lut4 += lanes + tree + acc;
    r.ff += acc; // accumulators
    if e.side_by_side() && std::ptr::eq(mv, &e.w) {
        // side by side, W's group total waits in a hold register for the U lanes (§4.2)
        r.ff += acc;
    }
    // pipeline levels (docs/HARDWARE.md §4.4): the registers each level adds for this tensor,
    // with about 8 control bits per stage
    let lv = e.pipe.mv;
    let dw = mv.dot_width as u64;
    let lvl = |k: u32| u64::from(lv >= k);
    // levels 1, 2, 4 and 5 register sums (packed with the LUTs that make them), level 3 the
    // ROM and RAM outputs
    let summed = lvl(1) * acc + lvl(2) * p * dw + lvl(4) * acc;
    r.ff += summed
        + 8 * (lvl(1) + lvl(2) + lvl(3) + lvl(4))
        + lvl(3)
            * (mv.rom.as_ref().map_or(0, |m| m.width as u64) + s * (mv.act.width() as u64 + 1));
    r.ff_packed += summed;
    if lv >= 5 {
        let group = crate::ir::tree_group(f.s) as u64;
        let parts = p * 2 * s.div_ceil(group) * dw;
        r.ff += parts + 8;
        r.ff_packed += parts;
    }
    if matches!(mv.scheme, Scheme::Int(_)) {
        // a lane past the last column always reads activation 0: synthesis drops its multiplier
        r.mv_multipliers += p * s.min(mv.cols() as u64);
    }
    if mv.has_mult() {
        r.elementwise_multipliers += p;
    }
    if let Some(rom) = &mv.rom {
        match rom.placement {
            Placement::Logic => {
                r.ff += rom.width as u64; // registered read data
                r.lut4 += rom.width as u64 * (rom.words.len() as u64).div_ceil(16);
            }
            Placement::Spram => {
                // the blocks' outputs are registered inside them; the address multiplexer
                // (engine or loader) costs a LUT per address bit
                r.spram_blocks += rom.spram_blocks() as u64;
                r.lut4 += 14;
            }
            _ => {
                r.ff += rom.width as u64; // registered read data
                r.bram_bits += rom.bits();
                r.bram_blocks += rom
                    .bits()
                    .div_ceil(block)
                    .max((rom.width as u64).div_ceil(target.bram_max_width()));
            }
        }
    }
}

/// LUT4s of the P-way write multiplexers of the z buffer (layers) or output buffer (head):
/// `rows · width · (P − 1)`.
pub fn write_mux(e: &Engine, p: u64) -> u64 {
    e.rows() as u64 * e.pre.width as u64 * p.saturating_sub(1)
}

/// One buffer memory (docs/HARDWARE.md §4.1, §6): every bank in block RAM costs at least a whole
/// block (and one per `bram_max_width` bits of word); in flip-flops, its bits, its read
/// multiplexer, its word enables and its read register; in LUT RAM, a LUT4 per 16 bits and its
/// read register.
fn buffer_resources(b: &Buffer, target: Family, r: &mut Resources) {
    let block = target.bram_block_bits();
    for (k, &w) in b.banks.iter().enumerate() {
        let (w, words, bits) = (w as u64, b.words as u64, b.bank_bits(k));
        match b.style {
            RamStyle::Block => {
                r.bram_bits += bits;
                r.bram_blocks += bits
                    .div_ceil(block)
                    .max(w.div_ceil(target.bram_max_width()));
            }
            RamStyle::Registers => {
                r.ff += bits + w;
                r.lut4 += read_mux(words, w) + words;
            }
            RamStyle::Distributed => {
                r.lut4 += bits.div_ceil(16);
                r.ff += w;
            }
        }
    }
}

fn add_bram(r: &mut Resources, bits: u64, block: u64) {
    r.bram_bits += bits;
    r.bram_blocks += bits.div_ceil(block).max(1);
}

/// LUT4s of the weight loader (SPI master, header compare, CRC-32, SPRAM write port): yosys 0.23
/// `synth_ice40` of the loader of a ternary LSTM 16→128 with its U in SPRAM gives 284 SB_LUT4 and
/// 184 flip-flops (65 SB_CARRY).
pub const LOADER_LUT4: u64 = 284;
/// Flip-flops of the weight loader.
pub const LOADER_FF: u64 = 184;

/// Predict the resources of a scheduled design for a target family.
pub fn predict(d: &Design, target: Family) -> Resources {
    let block = target.bram_block_bits();
    let mut r = Resources::default();
    // controller: phase, counters, MV sequencing
    r.lut4 += 60;
    r.ff += 48;
    let in_bits = d.in_len as u64 * d.x_fmt.width() as u64;
    if d.layers[0].conv.is_some() {
        // ConvLSTM input frame: one word per pixel in block RAM
        add_bram(&mut r, in_bits, block);
    }
    // the weight loader, when weights are in SPRAM (§4.3)
    if crate::loader::has_image(d) {
        r.lut4 += LOADER_LUT4;
        r.ff += LOADER_FF;
    }
    // the dense layers' buffers as placed (x, h copies, c, z), and their bank/address counters
    for b in &d.buffers {
        buffer_resources(b, target, &mut r);
        r.ff += 8;
        r.lut4 += 8;
    }
    for e in d.engines() {
        mv_resources(e, &e.w, &mut r, target);
        if let Some(u) = &e.u {
            mv_resources(e, u, &mut r, target);
        }
        let f = e.fold.unwrap_or(Fold::SERIAL);
        // requantization per lane: aligned adds, rounding add, two compares and a mux per bit
        let ws = e.sigs.iter().map(|s| s.width as u64).max().unwrap_or(8);
        r.lut4 += f.p as u64 * 4 * ws;
        // per lane, reads of the constant per-row arrays at the lane's row: the bias (and the GRU's
        // b_h), and the 17-bit scale multipliers of tensors that have them; LUT ROMs of
        // `width · ⌈rows/16⌉` LUT4s each
        // (P > 1: lane p's own array of the G rows it computes, `width · ⌈G/16⌉`)
        let row_words = if f.p > 1 {
            (e.rows().div_ceil(f.p) as u64).div_ceil(16)
        } else {
            (e.rows() as u64).div_ceil(16)
        };
        let biases = if e.cell == Some(Cell::Gru) { 2 } else { 1 };
        let mults = std::iter::once(&e.w)
            .chain(e.u.iter())
            .filter(|m| m.has_mult())
            .count() as u64;
        r.lut4 += f.p as u64 * row_words * (biases * e.bias_fmt.width as u64 + mults * 17);
        // the P lanes write the z buffer (layers) or the output buffer (dense head) at run-time
        // rows: with P > 1 every bit gets a P-way write multiplexer (measured: about
        // `rows · width · (P − 1)` LUT4s, docs/HARDWARE.md "Auto-fit")
        // (a dense layer: P lanes into B = G·⌈P/G⌉ z banks, a P-way data mux per bank unless
        // B = P, where lane p writes bank p)
        let zbanks = e.z_banks() as u64;
        if e.unit_major() {
            if zbanks != f.p as u64 {
                r.lut4 += zbanks * e.pre.width as u64 * (f.p as u64).saturating_sub(1);
            }
        } else if e.cell.is_some() || e.conv.is_none() {
            r.lut4 += write_mux(e, f.p as u64);
        }
        match e.cell {
            Some(cell) => {
                let pix = e.conv.map(|g| g.pixels() as u64).unwrap_or(1);
                if let Some(g) = e.conv {
                    // line buffers (shift registers of (k−1)·W + k pixels) for the x and h maps, their
                    // pixel read multiplexers, the K-way tap selection of every lane, the sequencer
                    let l = g.window_len() as u64;
                    let (xw, hw) = (
                        g.cin as u64 * e.w.act.width() as u64,
                        e.hidden as u64 * e.h_fmt.width() as u64,
                    );
                    r.ff += l * (xw + hw) + xw + hw + 64; // line buffers, read registers, sequencer
                    r.lut4 += 40;
                    let k =
                        e.w.chunks(f)
                            .max(e.u.as_ref().map(|u| u.chunks(f)).unwrap_or(1))
                            as u64;
                    r.lut4 += f.s as u64
                        * (e.w.act.width() as u64 + e.h_fmt.width() as u64)
                        * k.div_ceil(2);
                }
                let h = e.hidden as u64 * pix;
                let hw = e.h_fmt.width() as u64;
                let zw = e.pre.width as u64;
                let state_bits = h * hw + e.c_fmt.map(|c| h * c.width as u64).unwrap_or(0);
                if e.conv.is_some() {
                    r.ff += e.rows() as u64 * zw; // z buffer
                                                  // ConvLSTM h and c maps: synchronous-read arrays that synthesis places in block RAM
                    add_bram(&mut r, h * hw, block);
                    add_bram(&mut r, state_bits - h * hw, block);
                }
                // σ/tanh tables, one copy per read port; the datapath below once per update unit
                let un = e.units.max(1) as u64;
                let ports = un * if cell == Cell::Gru { 3 } else { 5 };
                let tbits = (1u64 << e.pre.width) * e.table_width as u64;
                r.bram_bits += ports * tbits;
                r.bram_blocks += ports * tbits.div_ceil(block).max(1);
                r.elementwise_multipliers += 3 * un;
                let tw = e.table_width as u64;
                r.lut4 += un * 3 * ws * 3; // update adds, rounding, saturation
                                           // the three element-wise products, in LUTs unless mapped to DSPs
                let cw = e.c_fmt.map(|c| c.width as u64).unwrap_or(zw);
                r.lut4 += un * (lut_mul(tw, cw) + 2 * lut_mul(tw, tw));
                if e.conv.is_some() {
                    // run-time reads of the z buffer (4 gates) and its write enables
                    r.lut4 += 4 * read_mux(e.rows() as u64, zw);
                    r.lut4 += e.rows() as u64 * f.p as u64;
                } else {
                    // each gate chosen among the B/G z banks of its unit, the z-bank write enables
                    let m = zbanks / e.gates() as u64 / un;
                    r.lut4 += un * e.gates() as u64 * read_mux(m, zw) + zbanks * f.p as u64;
                }
                r.ff += un * (6 * tw + 2 * 16);
                // update pipeline levels: about four gate-wide and two state-wide registers each
                r.ff += un * e.pipe.update as u64 * (4 * tw + 2 * cw);
                r.ff_packed += un * e.pipe.update as u64 * (2 * tw + cw);
            }
            None => {
                let ybits = e.rows() as u64
                    * e.pre.width as u64
                    * e.conv.map(|g| g.pixels() as u64).unwrap_or(1);
                if e.conv.is_some() {
                    r.lut4 += ybits.div_ceil(32); // output map in distributed (LUT) RAM
                } else {
                    r.ff += ybits;
                }
                r.lut4 += read_mux(e.rows() as u64, e.pre.width as u64);
            }
        }
    }
    r
}

/// Hard multipliers one `wa × wb` product takes on `family`, following yosys 0.23: `synth_ice40
/// -dsp` maps a product with both operands ≥ 2 bits and a result ≥ 11 bits onto SB_MAC16 blocks
/// (16×16, split by `mul2dsp`), `synth_ecp5` one with both operands ≥ 2 bits onto MULT18X18D
/// (18×18); Gowin is counted like ECP5 (newer yosys infers its MULT18X18; 0.23 uses LUTs, which
/// the LUT prediction already counts). Smaller products are LUTs.
pub fn dsp_blocks(family: Family, wa: u32, wb: u32, wy: u32) -> u64 {
    let (w, min_y) = match family {
        Family::Ice40 => (16, 11),
        Family::Ecp5 | Family::Gowin => (18, 0),
    };
    if wa < 2 || wb < 2 || wy < min_y {
        return 0;
    }
    u64::from(wa.div_ceil(w)) * u64::from(wb.div_ceil(w))
}

/// The products of a design that do NOT get DSP blocks when the device has `budget` of them
/// (docs/HARDWARE.md §10 "DSP budget"): the products are taken widest first (the slowest as LUT
/// logic), all `P·S` lanes of an int-k tensor as one unit, and each gets its blocks while the
/// budget lasts; the rest are LUT multipliers. `(engine, what)` as `Engine::multipliers` names
/// them. No budget: none.
pub fn lut_products(
    d: &Design,
    family: Family,
    budget: Option<u64>,
) -> std::collections::BTreeSet<(crate::EngineId, String)> {
    let mut out = std::collections::BTreeSet::new();
    let Some(budget) = budget else {
        return out;
    };
    // units: (engine, what, width product, blocks of the unit), in design order
    let mut units: Vec<(crate::EngineId, String, u64, u64)> = Vec::new();
    for e in d.engines() {
        for m in e.multipliers() {
            let blocks = dsp_blocks(family, m.widths.0, m.widths.1, m.result);
            if blocks == 0 {
                continue;
            }
            let area = u64::from(m.widths.0) * u64::from(m.widths.1);
            match units.iter_mut().find(|u| u.0 == e.id && u.1 == m.what) {
                Some(u) => u.3 += blocks,
                None => units.push((e.id, m.what.clone(), area, blocks)),
            }
        }
    }
    // widest first; a stable sort keeps the design order among equals
    units.sort_by_key(|u| std::cmp::Reverse(u.2));
    let mut left = budget;
    for (id, what, _, blocks) in units {
        if blocks <= left {
            left -= blocks;
        } else {
            out.insert((id, what));
        }
    }
    out
}
