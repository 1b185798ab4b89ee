//! A builder over [`Module`]: fresh names, and the fixed-point operations of NUMERICS.md §2 as
//! width-exact expression trees (RHU rounding, saturation, modular fitting, alignment).
//!
//! Width discipline: every intermediate that is sliced or extended is first named (a wire), so the
//! printed Verilog only ever bit-selects names. Sums are formed modulo `2^W` in the width `W` of
//! their analysed interval (NUMERICS.md §5.1): two's complement addition, subtraction and left
//! shifts are exact modulo `2^W`, and the final value is known to fit, so terms may be truncated to
//! `W` bits before adding.

use crate::verilog::*;

/// Bits to index `n` things (at least 1).
pub fn clog2(n: usize) -> u32 {
    let mut w = 1;
    while (1usize << w) < n {
        w += 1;
    }
    w
}

/// Bits to hold the value `n` unsigned (at least 1).
pub fn bits_for(n: usize) -> u32 {
    clog2(n + 1)
}

/// Module builder.
pub struct B {
    /// The module being built.
    pub m: Module,
    n: usize,
}

impl B {
    /// A builder for a new module.
    pub fn new(name: &str) -> B {
        B {
            m: Module::new(name),
            n: 0,
        }
    }

    /// Name `e` as a wire (unless it already is a reference).
    pub fn name(&mut self, hint: &str, e: Expr) -> Expr {
        if matches!(e, Expr::Ref(..)) {
            return e;
        }
        self.n += 1;
        let n = format!("{hint}_{}", self.n);
        self.m.wire(&n, e, None)
    }

    /// Named wire with a fixed name.
    pub fn wire(&mut self, name: &str, e: Expr) -> Expr {
        self.m.wire(name, e, None)
    }

    /// Extend (sign/zero by signedness) to `w ≥ width`.
    pub fn ext(&mut self, e: Expr, w: u32) -> Expr {
        if e.width() == w {
            return e;
        }
        let e = self.name("x", e);
        ext(e, w)
    }

    /// Low `w` bits, same signedness.
    pub fn trunc(&mut self, e: Expr, w: u32) -> Expr {
        if e.width() == w {
            return e;
        }
        let signed = e.ty().signed;
        let e = self.name("t", e);
        if let Expr::Ref(n, _) = &e {
            self.m.partial.insert(n.clone());
        }
        slice(e, 0, w, signed)
    }

    /// Extend or truncate to exactly `w` bits (modular when truncating).
    pub fn fit(&mut self, e: Expr, w: u32) -> Expr {
        if e.width() < w {
            self.ext(e, w)
        } else {
            self.trunc(e, w)
        }
    }

    /// `(e mod 2^w) << s` in `w` bits: alignment by `s ≥ 0` fraction bits (NUMERICS.md §2).
    pub fn align(&mut self, e: Expr, s: i32, w: u32) -> Expr {
        assert!(
            s >= 0,
            "internal error: alignment must not round (shift {s})"
        );
        let f = self.fit(e, w);
        if s == 0 {
            f
        } else {
            shl(f, s as u32)
        }
    }

    /// Saturate a signed value to `w` bits (§2).
    pub fn sat(&mut self, t: Expr, w: u32) -> Expr {
        let tw = t.width();
        if tw <= w {
            return self.ext(t, w);
        }
        let ty = t.ty();
        let t = self.name("sat_in", t);
        let max = konst((1i128 << (w - 1)) - 1, ty);
        let min = konst(-(1i128 << (w - 1)), ty);
        let v = mux(
            bin(BinOp::Gt, t.clone(), max.clone()),
            max,
            mux(bin(BinOp::Lt, t.clone(), min.clone()), min, t),
        );
        let v = self.name("sat", v);
        self.trunc(v, w)
    }

    /// The parts of `sat(t, w)` for a `t` wider than `w`: `t` above the largest `w`-bit value,
    /// below the smallest, and its low `w` bits, for [`B::sat_select`]; otherwise `Err` with `t`
    /// extended to `w` bits (nothing to saturate).
    pub fn sat_parts(&mut self, t: Expr, w: u32) -> Result<(Expr, Expr, Expr), Expr> {
        if t.width() <= w {
            return Err(self.ext(t, w));
        }
        let ty = t.ty();
        let t = self.name("sat_in", t);
        let max = (1i128 << (w - 1)) - 1;
        let min = -(1i128 << (w - 1));
        let hi = self.name("sat_hi", bin(BinOp::Gt, t.clone(), konst(max, ty)));
        let lo = self.name("sat_lo", bin(BinOp::Lt, t.clone(), konst(min, ty)));
        let v = self.trunc(t, w);
        Ok((hi, lo, v))
    }

    /// `requant` (§2): RHU shift right by `d` (left by `-d` if negative), then saturate to `w`.
    /// Built as [`B::requant_parts`] and one selection.
    pub fn requant(&mut self, s: Expr, d: i32, w: u32) -> Expr {
        match self.requant_parts(s, d, w) {
            Ok((hi, lo, v)) => self.sat_select(hi, lo, v),
            Err(t) => self.sat(t, w),
        }
    }

    /// The parts of `requant(s, d, w)` for `d > 0` and a sum wider than `w`: whether the rounded
    /// value is above the largest `w`-bit value, whether it is below the smallest, and its low
    /// `w` bits. The comparisons are made on `s` itself, beside the rounding adder rather than
    /// after it (RHU: `round(s) > max` ⇔ `s ≥ (max+1)·2^d − 2^(d−1)`, `round(s) < min` ⇔
    /// `s < min·2^d − 2^(d−1)`), so rounding and saturation cost one carry chain of delay, not
    /// two. Otherwise `Err` with the rounded (or shifted) value, to saturate as it is.
    pub fn requant_parts(&mut self, s: Expr, d: i32, w: u32) -> Result<(Expr, Expr, Expr), Expr> {
        let sw = s.width();
        if d <= 0 || sw <= w {
            return Err(self.round(s, d));
        }
        let max = (1i128 << (w - 1)) - 1;
        let min = -(1i128 << (w - 1));
        let half = 1i128 << (d - 1);
        let hi_t = ((max + 1) << d) - half;
        let lo_t = (min << d) - half;
        // a width that holds s and both thresholds
        let need = |v: i128| -> u32 {
            let mut k = 1;
            while !(-(1i128 << (k - 1))..(1i128 << (k - 1))).contains(&v) {
                k += 1;
            }
            k
        };
        let cw = sw.max(need(hi_t - 1)).max(need(lo_t));
        let s = self.name("rq_in", s);
        let se = self.ext(s.clone(), cw);
        let ty = Ty::s(cw);
        let hi = self.name("sat_hi", bin(BinOp::Gt, se.clone(), konst(hi_t - 1, ty)));
        let lo = self.name("sat_lo", bin(BinOp::Lt, se, konst(lo_t, ty)));
        let t = self.round(s, d);
        let v = self.trunc(t, w);
        Ok((hi, lo, v))
    }

    /// The saturation's selection: the largest `w`-bit value if `hi`, the smallest if `lo`,
    /// else `v` (`w` bits, signed).
    pub fn sat_select(&mut self, hi: Expr, lo: Expr, v: Expr) -> Expr {
        let w = v.width();
        let sw = Ty::s(w);
        let max = (1i128 << (w - 1)) - 1;
        let min = -(1i128 << (w - 1));
        let v = cast(v, true);
        let r = mux(hi, konst(max, sw), mux(lo, konst(min, sw), v));
        self.name("sat", r)
    }

    /// The rounding half of [`B::requant`]: RHU shift right by `d` (left by `-d`), unsaturated.
    pub fn round(&mut self, s: Expr, d: i32) -> Expr {
        let sw = s.width();
        let t = if d > 0 {
            // (s + 2^(d-1)) >>> d in max(sw, d) + 1 bits: the half always fits, the sum never overflows
            let wsum = sw.max(d as u32) + 1;
            let se = self.ext(s, wsum);
            let half = konst(1i128 << (d - 1), se.ty());
            sra(add(se, half), d as u32)
        } else if d == 0 {
            s
        } else {
            let se = self.ext(s, sw + (-d) as u32);
            shl(se, (-d) as u32)
        };
        self.name("rq", t)
    }

    /// Binarize (§2): 1 (= +1) when the signed value is ≥ 0.
    pub fn binarize(&mut self, v: Expr) -> Expr {
        let w = v.width();
        let v = self.name("bz", v);
        if let Expr::Ref(n, _) = &v {
            self.m.partial.insert(n.clone());
        }
        not(slice(v, w - 1, 1, false))
    }

    /// `a · c` (both signed) as LUT logic: shifted copies of `a` selected by the bits of `c`
    /// (the top bit's subtracted) and added in a balanced tree, `wa + wb` bits, exact. Written
    /// without `*` so that synthesis cannot map it to a DSP block (docs/HARDWARE.md §10 "DSP
    /// budget").
    pub fn lut_mul(&mut self, a: Expr, c: Expr) -> Expr {
        assert!(
            a.ty().signed && c.ty().signed,
            "internal error: lut_mul of unsigned operands"
        );
        let w = a.width() + c.width();
        let (a, c) = if a.width() >= c.width() {
            (a, c)
        } else {
            (c, a)
        };
        let c = self.name("lm_c", c);
        let ae = self.ext(a, w);
        let ae = self.name("lm_a", ae);
        let n = c.width();
        let mut terms = Vec::with_capacity(n as usize);
        for i in 0..n {
            let bit = slice(c.clone(), i, 1, false);
            let sh = if i == 0 {
                ae.clone()
            } else {
                shl(ae.clone(), i)
            };
            let t = mux(bit, sh, konst(0, Ty::s(w)));
            let t = if i + 1 == n { neg(t) } else { t };
            terms.push(self.name("lm_t", t));
        }
        self.sum_tree("lm", terms, w)
    }

    /// Sum of signed terms, each extended to `w`, as a balanced tree of named wires.
    pub fn sum_tree(&mut self, hint: &str, terms: Vec<Expr>, w: u32) -> Expr {
        let mut level: Vec<Expr> = terms.into_iter().map(|t| self.fit(t, w)).collect();
        if level.is_empty() {
            return konst(0, Ty::s(w));
        }
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len().div_ceil(2));
            let mut it = level.into_iter();
            while let Some(a) = it.next() {
                match it.next() {
                    Some(b) => {
                        let s = add(a, b);
                        next.push(self.name(hint, s));
                    }
                    None => next.push(a),
                }
            }
            level = next;
        }
        level.pop().expect("non-empty")
    }
}

/// Unsigned constant.
pub fn uc(v: usize, w: u32) -> Expr {
    konst(v as i128, Ty::u(w))
}

/// `a == v` for an unsigned `a`.
pub fn eq_c(a: &Expr, v: usize) -> Expr {
    bin(BinOp::Eq, a.clone(), uc(v, a.width()))
}

/// `a < v` for an unsigned `a`.
pub fn lt_c(a: &Expr, v: usize) -> Expr {
    bin(BinOp::Lt, a.clone(), uc(v, a.width()))
}

/// `a + v` (same width) for an unsigned `a`.
pub fn add_c(a: &Expr, v: usize) -> Expr {
    add(a.clone(), uc(v, a.width()))
}

/// Logical and of 1-bit values.
pub fn and(a: Expr, b: Expr) -> Expr {
    bin(BinOp::And, a, b)
}

/// A 1-bit true.
pub fn one() -> Expr {
    uc(1, 1)
}

/// A 1-bit false.
pub fn zero() -> Expr {
    uc(0, 1)
}
