//! The resource model: a first-order prediction of LUT4s, flip-flops, block RAM and multipliers of a
//! scheduled design, written into `qrnn.json` and compared against synthesis by the FPGA flow.
//! docs/HARDWARE.md §6 states every term; keep the two in step.

use crate::ir::{Design, Engine, Mv, Placement};
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
    /// Multipliers in the matrix-vector engines (int-k baseline only; 0 for binary/ternary/quaternary).
    pub mv_multipliers: u64,
    /// Element-wise multipliers of the cell updates and per-row scales (may map to DSPs).
    pub elementwise_multipliers: u64,
    /// LUT4s of the matrix-vector lanes and adder trees alone.
    pub mv_lut4: u64,
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

fn mv_resources(e: &Engine, mv: &Mv, r: &mut Resources, block: u64) {
    let f = e.fold.unwrap_or(Fold::SERIAL);
    let (p, s) = (f.p as u64, f.s as u64);
    // S lanes read the activation vector at run-time indices: with S a power of two, lane s reads
    // only the columns ≡ s (mod S), one of ⌈cols/S⌉ (elab.rs, "Lane s reads column …")
    let depth = if s.is_power_of_two() {
        (mv.cols() as u64).div_ceil(s)
    } else {
        mv.cols() as u64
    };
    r.lut4 += s.min(mv.cols() as u64) * read_mux(depth, mv.act.width() as u64);
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
    r.ff += acc + s * mv.act.width() as u64; // accumulators, stage-1 activation registers
    if matches!(mv.scheme, Scheme::Int(_)) {
        // a lane past the last column always reads activation 0: synthesis drops its multiplier
        r.mv_multipliers += p * s.min(mv.cols() as u64);
    }
    if mv.has_mult() {
        r.elementwise_multipliers += p;
    }
    if let Some(rom) = &mv.rom {
        r.ff += rom.width as u64; // registered read data
        match rom.placement {
            Placement::Logic => r.lut4 += rom.width as u64 * (rom.words.len() as u64).div_ceil(16),
            _ => {
                r.bram_bits += rom.bits();
                r.bram_blocks += rom.bits().div_ceil(block).max(1);
            }
        }
    }
}

/// LUT4s of the P-way write multiplexers of the z buffer (layers) or output buffer (head):
/// `rows · width · (P − 1)`.
pub fn write_mux(e: &Engine, p: u64) -> u64 {
    e.rows() as u64 * e.pre.width as u64 * p.saturating_sub(1)
}

fn add_bram(r: &mut Resources, bits: u64, block: u64) {
    r.bram_bits += bits;
    r.bram_blocks += bits.div_ceil(block).max(1);
}

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
    } else {
        r.ff += in_bits;
    }
    for e in d.engines() {
        mv_resources(e, &e.w, &mut r, block);
        if let Some(u) = &e.u {
            mv_resources(e, u, &mut r, block);
        }
        let f = e.fold.unwrap_or(Fold::SERIAL);
        // requantization per lane: aligned adds, rounding add, two compares and a mux per bit
        let ws = e.sigs.iter().map(|s| s.width as u64).max().unwrap_or(8);
        r.lut4 += f.p as u64 * 4 * ws;
        // per lane, reads of the constant per-row arrays at the lane's row: the bias (and the GRU's
        // b_h), and the 17-bit scale multipliers of tensors that have them; LUT ROMs of
        // `width · ⌈rows/16⌉` LUT4s each
        let row_words = (e.rows() as u64).div_ceil(16);
        let biases = if e.cell == Some(Cell::Gru) { 2 } else { 1 };
        let mults = std::iter::once(&e.w)
            .chain(e.u.iter())
            .filter(|m| m.has_mult())
            .count() as u64;
        r.lut4 += f.p as u64 * row_words * (biases * e.bias_fmt.width as u64 + mults * 17);
        // the P lanes write the z buffer (layers) or the output buffer (dense head) at run-time
        // rows: with P > 1 every bit gets a P-way write multiplexer (measured: about
        // `rows · width · (P − 1)` LUT4s, docs/HARDWARE.md "Auto-fit")
        if e.cell.is_some() || e.conv.is_none() {
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
                r.ff += e.rows() as u64 * zw; // z buffer
                let state_bits = h * hw + e.c_fmt.map(|c| h * c.width as u64).unwrap_or(0);
                if e.conv.is_some() {
                    // ConvLSTM h and c maps: synchronous-read arrays that synthesis places in block RAM
                    add_bram(&mut r, h * hw, block);
                    add_bram(&mut r, state_bits - h * hw, block);
                } else {
                    r.ff += state_bits;
                }
                if cell == Cell::Gru {
                    r.ff += h * (zw + ws);
                }
                let h = e.hidden as u64; // units per pixel, for the per-unit terms below
                                         // σ/tanh tables, one copy per simultaneous read port
                let ports = if cell == Cell::Gru { 4 } else { 5 };
                let tbits = (1u64 << e.pre.width) * e.table_width as u64;
                r.bram_bits += ports * tbits;
                r.bram_blocks += ports * tbits.div_ceil(block).max(1);
                r.elementwise_multipliers += 3;
                let tw = e.table_width as u64;
                r.lut4 += 3 * ws * 3; // update adds, rounding, saturation
                                      // the three element-wise products, in LUTs unless mapped to DSPs
                let cw = e.c_fmt.map(|c| c.width as u64).unwrap_or(zw);
                r.lut4 += lut_mul(tw, cw) + 2 * lut_mul(tw, tw);
                // run-time reads of the z buffer (4 or 2 gates), c/h of the unit, and writes
                let gates = if cell == Cell::Gru { 2 } else { 4 };
                r.lut4 += gates * read_mux(e.rows() as u64, zw);
                if e.conv.is_none() {
                    r.lut4 += read_mux(h, cw.max(hw)) + 2 * h; // state reads and write enables
                }
                r.lut4 += e.rows() as u64 * f.p as u64; // z-buffer write enables
                r.ff += 6 * tw + 2 * 16;
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
