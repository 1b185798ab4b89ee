//! Buffer memories in the core (docs/HARDWARE.md §4.1): the generated RAM modules (one write port,
//! one registered read port, a `ram_style` attribute) and the bookkeeping that turns the writes
//! and reads the elaboration asks for into one instance per bank, with its ports multiplexed by
//! the (mutually exclusive) conditions of the phases that use it.

use crate::build::*;
use crate::ir::{Buffer, RamStyle};
use crate::verilog::*;
use std::collections::BTreeMap;

/// Words of a RAM module: at least 2, so that its address is a real index.
fn depth(words: usize) -> usize {
    words.max(2)
}

/// Address width of a bank of `words` words.
pub fn addr_width(words: usize) -> u32 {
    clog2(depth(words))
}

/// Module name of a RAM of this style and shape.
pub fn module_name(style: RamStyle, width: u32, words: usize) -> String {
    format!("qrnn_ram_{}_{}x{}", style.name(), width, depth(words))
}

/// The RAM module: `mem[wa] <= wd` when `we`; `rd` is `mem[ra]` registered (latency 1).
pub fn module(style: RamStyle, width: u32, words: usize, header: Vec<String>) -> Module {
    let d = depth(words);
    let aw = addr_width(words);
    let mut m = Module::new(module_name(style, width, words));
    m.comment = header;
    m.input("clk", Ty::u(1));
    let we = m.input("we", Ty::u(1));
    let wa = m.input("wa", Ty::u(aw));
    let wd = m.input("wd", Ty::u(width));
    let ra = m.input("ra", Ty::u(aw));
    m.array(
        "mem",
        Ty::u(width),
        d,
        ArrayInit::None,
        Some("one write port, one registered read port (docs/HARDWARE.md §4.1)"),
    );
    m.attrs
        .insert("mem".into(), format!("ram_style = \"{}\"", style.attr()));
    let rd = m.reg("rd_q", Ty::u(width), Some("registered read data"));
    m.output("rd", rd);
    m.seq = vec![
        Stmt::If(we, vec![Stmt::AssignIndex("mem".into(), wa, wd)], vec![]),
        Stmt::Assign(
            "rd_q".into(),
            Expr::Index("mem".into(), Box::new(ra), Ty::u(width)),
        ),
    ];
    m
}

/// The writes and reads asked of one bank.
#[derive(Default)]
struct Uses {
    writes: Vec<(Expr, Expr, Expr)>,
    reads: Vec<(Expr, Expr)>,
}

/// The banks of the design's buffers and what the elaboration asks of them.
pub struct Rams {
    bufs: BTreeMap<String, Buffer>,
    uses: BTreeMap<(String, usize), Uses>,
}

impl Rams {
    /// The banks of `bufs`.
    pub fn new(bufs: &[Buffer]) -> Rams {
        Rams {
            bufs: bufs.iter().map(|b| (b.name.clone(), b.clone())).collect(),
            uses: BTreeMap::new(),
        }
    }

    /// The buffer `name`; internal error if the placement did not plan it.
    pub fn buf(&self, name: &str) -> Result<&Buffer, String> {
        self.bufs
            .get(name)
            .ok_or_else(|| format!("internal error: buffer `{name}` was not planned"))
    }

    /// Instance name of bank `k` of `name`.
    pub fn inst(name: &str, k: usize) -> String {
        format!("u_{name}_b{k}")
    }

    /// The registered read data of bank `k` of `name` (a wire driven by the instance).
    pub fn rd(&self, name: &str, k: usize) -> Result<Expr, String> {
        let b = self.buf(name)?;
        let w = *b
            .banks
            .get(k)
            .ok_or_else(|| format!("internal error: buffer `{name}` has no bank {k}"))?;
        Ok(Expr::Ref(format!("{name}_b{k}_rd"), Ty::u(w)))
    }

    /// Address width of `name`'s banks.
    pub fn aw(&self, name: &str) -> Result<u32, String> {
        Ok(addr_width(self.buf(name)?.words))
    }

    /// Ask bank `k` of `name` to write `data` at `addr` when `cond`.
    pub fn write(&mut self, name: &str, k: usize, cond: Expr, addr: Expr, data: Expr) {
        self.uses
            .entry((name.to_string(), k))
            .or_default()
            .writes
            .push((cond, addr, data));
    }

    /// Ask bank `k` of `name` to read `addr` when `cond` (data in `rd` one cycle later).
    pub fn read(&mut self, name: &str, k: usize, cond: Expr, addr: Expr) {
        self.uses
            .entry((name.to_string(), k))
            .or_default()
            .reads
            .push((cond, addr));
    }

    /// Declare the read-data wires of every bank (before the elaboration reads them).
    pub fn declare(&self, b: &mut B) {
        for (name, buf) in &self.bufs {
            for (k, w) in buf.banks.iter().enumerate() {
                b.m.wire_decl(&format!("{name}_b{k}_rd"), Ty::u(*w));
            }
        }
    }

    /// One instance per bank, its ports the priority multiplexers of what was asked of it (the
    /// conditions are exclusive by the schedule; the last read's address is the default). Returns
    /// the RAM modules used, one per shape.
    pub fn finish(self, b: &mut B) -> Result<BTreeMap<String, (RamStyle, u32, usize)>, String> {
        let mut mods = BTreeMap::new();
        for (name, buf) in &self.bufs {
            let aw = addr_width(buf.words);
            for (k, &w) in buf.banks.iter().enumerate() {
                let u = self.uses.get(&(name.clone(), k));
                let fit = |b: &mut B, e: Expr, w: u32| -> Expr {
                    if e.width() == w {
                        e
                    } else {
                        b.fit(e, w)
                    }
                };
                let (mut we, mut wa, mut wd) = (zero(), uc(0, aw), konst(0, Ty::u(w)));
                let (mut ra, mut rcount) = (uc(0, aw), 0);
                if let Some(u) = u {
                    for (i, (c, a, d)) in u.writes.iter().enumerate().rev() {
                        let a = fit(b, a.clone(), aw);
                        let d = fit(b, d.clone(), w);
                        if i + 1 == u.writes.len() {
                            we = c.clone();
                            wa = a;
                            wd = d;
                        } else {
                            we = bin(BinOp::Or, c.clone(), we);
                            wa = mux(c.clone(), a, wa);
                            wd = mux(c.clone(), d, wd);
                        }
                    }
                    for (i, (c, a)) in u.reads.iter().enumerate().rev() {
                        let a = fit(b, a.clone(), aw);
                        ra = if i + 1 == u.reads.len() {
                            a
                        } else {
                            mux(c.clone(), a, ra)
                        };
                        rcount += 1;
                    }
                }
                if rcount == 0 {
                    return Err(format!(
                        "internal error: bank {k} of buffer `{name}` is never read"
                    ));
                }
                let pre = format!("{name}_b{k}");
                let we = b.name(&format!("{pre}_we"), we);
                let wa = b.name(&format!("{pre}_wa"), wa);
                let wd = b.name(&format!("{pre}_wd"), wd);
                let ra = b.name(&format!("{pre}_ra"), ra);
                let module = module_name(buf.style, w, buf.words);
                mods.insert(module.clone(), (buf.style, w, buf.words));
                b.m.instances.push(Instance {
                    module,
                    name: Rams::inst(name, k),
                    ports: vec![
                        ("clk".into(), Expr::Ref("clk".into(), Ty::u(1))),
                        ("we".into(), we),
                        ("wa".into(), wa),
                        ("wd".into(), wd),
                        ("ra".into(), ra),
                        ("rd".into(), Expr::Ref(format!("{pre}_rd"), Ty::u(w))),
                    ],
                });
            }
        }
        Ok(mods)
    }
}

/// A (bank, address) pair of a running index `i` with `m` banks: `i mod m`, `i div m`, kept as
/// two counters (never a division). Cleared while `clear`, stepped when `step`; `next_*` are the
/// values after this cycle (what a read one element ahead presents).
pub struct ModCtr {
    /// Current bank `i mod m` (width ≥ 1).
    pub bank: Expr,
    /// Current address `i div m`.
    pub addr: Expr,
    /// Bank after this cycle.
    pub next_bank: Expr,
    /// Address after this cycle.
    pub next_addr: Expr,
}

/// Build a [`ModCtr`] named `name` (registers `<name>_bk_q`, `<name>_ad_q`) and push its
/// statements onto `seq`.
pub fn modctr(
    b: &mut B,
    seq: &mut Vec<Stmt>,
    name: &str,
    m: usize,
    aw: u32,
    step: Expr,
    clear: Expr,
) -> ModCtr {
    let bw = clog2(m.max(2));
    let bank = b.m.reg(&format!("{name}_bk_q"), Ty::u(bw), None);
    let addr = b.m.reg(&format!("{name}_ad_q"), Ty::u(aw), None);
    let wrap = b.name(&format!("{name}_wrap"), eq_c(&bank, m - 1));
    let bank_inc = mux(wrap.clone(), uc(0, bw), add_c(&bank, 1));
    let addr_inc = mux(wrap, add_c(&addr, 1), addr.clone());
    let step_b = mux(step.clone(), bank_inc, bank.clone());
    let step_a = mux(step, addr_inc, addr.clone());
    let next_bank = b.name(
        &format!("{name}_bk_n"),
        mux(clear.clone(), uc(0, bw), step_b),
    );
    let next_addr = b.name(&format!("{name}_ad_n"), mux(clear, uc(0, aw), step_a));
    seq.push(Stmt::Assign(format!("{name}_bk_q"), next_bank.clone()));
    seq.push(Stmt::Assign(format!("{name}_ad_q"), next_addr.clone()));
    ModCtr {
        bank,
        addr,
        next_bank,
        next_addr,
    }
}

/// A register `name` that follows `bank` one cycle late (the bank select of a registered read),
/// or `None` when there is one bank.
pub fn sel_reg(
    b: &mut B,
    seq: &mut Vec<Stmt>,
    name: &str,
    bank: &Expr,
    banks: usize,
    what: &str,
) -> Option<Expr> {
    if banks < 2 {
        return None;
    }
    let r = b.m.reg(name, bank.ty(), Some(what));
    seq.push(Stmt::Assign(name.into(), bank.clone()));
    Some(r)
}

/// `v` (bits of one element) chosen among `opts` by the registered bank select `sel` (none: one
/// option).
pub fn select(b: &mut B, hint: &str, sel: Option<&Expr>, opts: &[Expr]) -> Expr {
    let Some(sel) = sel else {
        return b.name(hint, opts[0].clone());
    };
    let mut v = opts[opts.len() - 1].clone();
    for (k, o) in opts.iter().enumerate().rev().skip(1) {
        v = mux(eq_c(sel, k), o.clone(), v);
    }
    b.name(hint, v)
}
