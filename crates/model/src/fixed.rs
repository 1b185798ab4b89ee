//! Fixed-point formats and the arithmetic of docs/NUMERICS.md §1–§2.
//!
//! Everything here is exact integer arithmetic on `i64` (models are validated so that no named value
//! needs more than 62 bits, §5.1). There is one rounding mode, RHU (round half up, ties toward +∞),
//! and one saturation, to a signed width. The golden model and the hardware generator both take
//! their definitions from the spec; this module is the golden side's helper and is also used by
//! `qrnn-model` to build tables and analyse intervals.

use std::fmt;
use std::str::FromStr;

/// A signed fixed-point format `fixed<W,F>`: a `width`-bit two's complement integer `q` read as
/// `q · 2^-frac` (§1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fmt {
    /// Total width in bits, sign included (1..=32).
    pub width: u32,
    /// Fraction bits (−32..=32); may exceed `width` or be negative.
    pub frac: i32,
}

impl Fmt {
    /// Largest width a fixed format may have.
    pub const MAX_WIDTH: u32 = 32;

    /// A format, checked against the limits of §1.
    pub fn new(width: u32, frac: i32) -> Result<Fmt, String> {
        if !(1..=Self::MAX_WIDTH).contains(&width) {
            return Err(format!("width {width} is outside 1..=32"));
        }
        if !(-32..=32).contains(&frac) {
            return Err(format!("fraction {frac} is outside -32..=32"));
        }
        Ok(Fmt { width, frac })
    }
    /// Smallest representable integer, `-2^(W-1)`.
    pub fn min(self) -> i64 {
        -(1i64 << (self.width - 1))
    }
    /// Largest representable integer, `2^(W-1) - 1`.
    pub fn max(self) -> i64 {
        (1i64 << (self.width - 1)) - 1
    }
    /// The integer range as an interval.
    pub fn interval(self) -> Interval {
        Interval::new(self.min(), self.max())
    }
    /// Saturate `v` to this width (§2).
    pub fn sat(self, v: i64) -> i64 {
        sat(v, self.width)
    }
    /// `requant(v, from → self)` (§2): one RHU rounding, then saturation.
    pub fn requant(self, v: i64, from_frac: i32) -> i64 {
        requant(v, from_frac, self)
    }
    /// Real value of an integer in this format.
    pub fn to_f64(self, q: i64) -> f64 {
        q as f64 * (2f64).powi(-self.frac)
    }
    /// Quantize a real number to this format (§9 point `input`): `sat(⌊x·2^F + 1/2⌋)`, computed
    /// exactly. NaN maps to 0; infinities saturate.
    ///
    /// `y = x·2^F` is exact (a power-of-two scaling), but `(y + 0.5).floor()` is not: for
    /// `y = 0.49999999999999994` (the largest f64 below 1/2) the f64 sum rounds to 1.0. So the
    /// fraction `y − ⌊y⌋` is compared with 1/2 instead; that subtraction is exact except for
    /// −1/2 < y < 0, where the true fraction exceeds 1/2 and its rounding cannot fall below 1/2.
    pub fn quantize(self, x: f64) -> i64 {
        if x.is_nan() {
            return 0;
        }
        let y = x * (2f64).powi(self.frac);
        let fl = y.floor();
        let q = if y - fl >= 0.5 { fl + 1.0 } else { fl };
        q.clamp(self.min() as f64, self.max() as f64) as i64
    }
}

impl fmt::Display for Fmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fixed<{},{}>", self.width, self.frac)
    }
}

/// Whether `s` is an integer written the one canonical way: an optional `-` (when `signed`),
/// then `0` or digits without a leading zero; no sign `+`, no spaces.
fn canonical_int(s: &str, signed: bool) -> bool {
    let digits = if signed {
        s.strip_prefix('-').unwrap_or(s)
    } else {
        s
    };
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(digits == "0" && s.starts_with('-'))
}

impl FromStr for Fmt {
    type Err = String;
    /// Parse the one canonical spelling `fixed<W,F>` (what the writer produces): no spaces,
    /// no leading zeros, no `+`; so that equal formats are equal strings in every file.
    fn from_str(s: &str) -> Result<Fmt, String> {
        let inner = s
            .strip_prefix("fixed<")
            .and_then(|r| r.strip_suffix('>'))
            .ok_or_else(|| format!("expected a format like \"fixed<8,6>\", found {s:?}"))?;
        let (w, f) = inner
            .split_once(',')
            .ok_or_else(|| format!("expected \"fixed<WIDTH,FRAC>\", found {s:?}"))?;
        if !canonical_int(w, false) {
            return Err(format!(
                "width {w:?} in {s:?} is not a number written plainly (digits, no spaces or leading zeros, e.g. \"fixed<8,6>\")"
            ));
        }
        if !canonical_int(f, true) {
            return Err(format!(
                "fraction {f:?} in {s:?} is not a number written plainly (digits with an optional '-', no spaces or leading zeros, e.g. \"fixed<8,6>\")"
            ));
        }
        let width: u32 = w
            .parse()
            .map_err(|_| format!("width {w:?} in {s:?} is out of range"))?;
        let frac: i32 = f
            .parse()
            .map_err(|_| format!("fraction {f:?} in {s:?} is out of range"))?;
        Fmt::new(width, frac).map_err(|e| format!("{s:?}: {e}"))
    }
}

/// The format of an activation tensor (network input `x`, hidden state `h`): fixed, or 1-bit
/// `binary` {-1,+1} (§1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActFmt {
    /// Multi-bit signed fixed point.
    Fixed(Fmt),
    /// 1-bit {-1,+1}; integer value ±1 at fraction 0; bit 1 = +1.
    Binary,
}

impl ActFmt {
    /// Fraction of the integer value (0 for binary).
    pub fn frac(self) -> i32 {
        match self {
            ActFmt::Fixed(f) => f.frac,
            ActFmt::Binary => 0,
        }
    }
    /// Storage width in bits (1 for binary).
    pub fn width(self) -> u32 {
        match self {
            ActFmt::Fixed(f) => f.width,
            ActFmt::Binary => 1,
        }
    }
    /// The interval of integer values (§5.1).
    pub fn interval(self) -> Interval {
        match self {
            ActFmt::Fixed(f) => f.interval(),
            ActFmt::Binary => Interval::new(-1, 1),
        }
    }
    /// True for the 1-bit format.
    pub fn is_binary(self) -> bool {
        matches!(self, ActFmt::Binary)
    }
    /// Real value of an integer in this format.
    pub fn to_f64(self, q: i64) -> f64 {
        match self {
            ActFmt::Fixed(f) => f.to_f64(q),
            ActFmt::Binary => q as f64,
        }
    }
    /// Quantize a real number (§9 point `input`); binary: `+1 if x ≥ 0` (NaN → +1).
    pub fn quantize(self, x: f64) -> i64 {
        match self {
            ActFmt::Fixed(f) => f.quantize(x),
            ActFmt::Binary => binarize_f64(x),
        }
    }
    /// Whether `q` is a legal integer value of this format.
    pub fn contains(self, q: i64) -> bool {
        match self {
            ActFmt::Fixed(f) => (f.min()..=f.max()).contains(&q),
            ActFmt::Binary => q == 1 || q == -1,
        }
    }
    /// The value every element of `h` holds at the start of a sequence (§7): 0, or +1 for binary.
    pub fn initial(self) -> i64 {
        match self {
            ActFmt::Fixed(_) => 0,
            ActFmt::Binary => 1,
        }
    }
}

impl fmt::Display for ActFmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActFmt::Fixed(x) => x.fmt(f),
            ActFmt::Binary => f.write_str("binary"),
        }
    }
}

impl FromStr for ActFmt {
    type Err = String;
    fn from_str(s: &str) -> Result<ActFmt, String> {
        if s == "binary" {
            Ok(ActFmt::Binary)
        } else {
            s.parse::<Fmt>()
                .map(ActFmt::Fixed)
                .map_err(|e| format!("{e} (or \"binary\")"))
        }
    }
}

/// RHU shift (§2): `v >> s` rounding half up for `s > 0`, exact `v << -s` for `s < 0`.
///
/// Callers keep `|v|` and shifts within the 62-bit budget of §5.1; the left shift is checked in
/// debug builds by the `i64` arithmetic.
pub fn rshift(v: i64, s: i32) -> i64 {
    match s.cmp(&0) {
        std::cmp::Ordering::Equal => v,
        std::cmp::Ordering::Greater => {
            if s >= 63 {
                // (v + 2^(s-1)) >> s for |v| < 2^62 is 0 for v ≥ -2^(s-1), else -1; with
                // |v| < 2^62 ≤ 2^(s-1) this is always 0.
                0
            } else {
                (v + (1i64 << (s - 1))) >> s
            }
        }
        std::cmp::Ordering::Less => v << (-s),
    }
}

/// Saturate to a signed `width`-bit range (§2).
pub fn sat(v: i64, width: u32) -> i64 {
    let hi = (1i64 << (width - 1)) - 1;
    let lo = -(1i64 << (width - 1));
    v.clamp(lo, hi)
}

/// `requant(v, G → fmt)` (§2).
pub fn requant(v: i64, from_frac: i32, fmt: Fmt) -> i64 {
    sat(rshift(v, from_frac - fmt.frac), fmt.width)
}

/// Align an exact value from fraction `from` to fraction `to ≥ from` (§2), exactly.
pub fn align(v: i64, from: i32, to: i32) -> i64 {
    debug_assert!(to >= from, "align must not round: {from} -> {to}");
    v << (to - from)
}

/// Binarize an exact value: +1 if `v ≥ 0` else −1 (§2).
pub fn binarize(v: i64) -> i64 {
    if v >= 0 {
        1
    } else {
        -1
    }
}

fn binarize_f64(x: f64) -> i64 {
    if x < 0.0 {
        -1
    } else {
        1
    }
}

/// A closed integer interval `[lo, hi]` (§5.1), kept in `i128` so that analysis itself never
/// overflows even for models that are then rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// Lower bound.
    pub lo: i128,
    /// Upper bound.
    pub hi: i128,
}

// `add`, `mul` and `shl` are saturating interval operations with their own signatures (`shl` takes
// a signed distance), not the `std::ops` traits.
#[allow(clippy::should_implement_trait)]
impl Interval {
    /// `[lo, hi]`.
    pub fn new(lo: i64, hi: i64) -> Interval {
        Interval {
            lo: lo as i128,
            hi: hi as i128,
        }
    }
    /// The interval `[0, 0]`.
    pub const ZERO: Interval = Interval { lo: 0, hi: 0 };
    /// Product with a constant.
    pub fn scale(self, c: i64) -> Interval {
        let c = c as i128;
        let (a, b) = (self.lo.saturating_mul(c), self.hi.saturating_mul(c));
        Interval {
            lo: a.min(b),
            hi: a.max(b),
        }
    }
    /// Alignment by `2^s` (`s ≥ 0`).
    pub fn shl(self, s: i32) -> Interval {
        let f = 1i128
            .checked_shl(s.clamp(0, 100) as u32)
            .unwrap_or(i128::MAX);
        if s >= 100 {
            return Interval {
                lo: if self.lo < 0 { i128::MIN / 4 } else { 0 },
                hi: if self.hi > 0 { i128::MAX / 4 } else { 0 },
            };
        }
        Interval {
            lo: self.lo.saturating_mul(f),
            hi: self.hi.saturating_mul(f),
        }
    }
    /// Interval sum.
    pub fn add(self, o: Interval) -> Interval {
        Interval {
            lo: self.lo.saturating_add(o.lo),
            hi: self.hi.saturating_add(o.hi),
        }
    }
    /// Product of two variables: min/max of the corner products.
    pub fn mul(self, o: Interval) -> Interval {
        let c = [
            self.lo.saturating_mul(o.lo),
            self.lo.saturating_mul(o.hi),
            self.hi.saturating_mul(o.lo),
            self.hi.saturating_mul(o.hi),
        ];
        Interval {
            lo: *c.iter().min().unwrap_or(&0),
            hi: *c.iter().max().unwrap_or(&0),
        }
    }
    /// Smallest interval containing both.
    pub fn union(self, o: Interval) -> Interval {
        Interval {
            lo: self.lo.min(o.lo),
            hi: self.hi.max(o.hi),
        }
    }
    /// Signed width: smallest `n` with `-2^(n-1) ≤ lo` and `hi ≤ 2^(n-1)-1` (§5.1). At least 1.
    pub fn width(self) -> u32 {
        let mut n = 1u32;
        while n < 127 {
            let half = 1i128 << (n - 1);
            if -half <= self.lo && self.hi < half {
                return n;
            }
            n += 1;
        }
        127
    }
    /// Whether `v` lies in the interval.
    pub fn contains(self, v: i64) -> bool {
        (self.lo..=self.hi).contains(&(v as i128))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}] ({} bits)", self.lo, self.hi, self.width())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reference RHU in f64/i128: ⌊v / 2^s + 1/2⌋ computed exactly with i128 floor division.
    fn rhu_ref(v: i64, s: i32) -> i128 {
        if s <= 0 {
            return (v as i128) << (-s);
        }
        let num = 2 * v as i128 + (1i128 << s); // 2v + 2^s over 2^(s+1)
        num.div_euclid(1i128 << (s + 1))
    }

    proptest! {
        #[test]
        fn rshift_matches_i128_reference(v in -(1i64 << 50)..(1i64 << 50), s in -8i32..62) {
            let got = rshift(v, s) as i128;
            prop_assert_eq!(got, rhu_ref(v, s));
        }

        #[test]
        fn rshift_matches_f64_when_exact(v in -(1i64 << 40)..(1i64 << 40), s in 1i32..20) {
            // v / 2^s + 0.5 is exact in f64 for |v| < 2^52.
            let f = (v as f64 / (2f64).powi(s) + 0.5).floor() as i64;
            prop_assert_eq!(rshift(v, s), f);
        }

        #[test]
        fn sat_matches_clamp(v in any::<i64>(), w in 1u32..=32) {
            let lo = -(1i128 << (w - 1));
            let hi = (1i128 << (w - 1)) - 1;
            prop_assert_eq!(sat(v, w) as i128, (v as i128).clamp(lo, hi));
        }

        #[test]
        fn requant_is_round_then_saturate(v in -(1i64 << 40)..(1i64 << 40), g in -4i32..30, w in 1u32..=32, f in -8i32..24) {
            // the contract (§5.1): an exact left shift stays within 62 bits
            prop_assume!(g >= f || (v.unsigned_abs() as u128) << (f - g) < 1u128 << 62);
            let fmt = Fmt::new(w, f).unwrap();
            let r = rhu_ref(v, g - f);
            let expect = r.clamp(fmt.min() as i128, fmt.max() as i128);
            prop_assert_eq!(requant(v, g, fmt) as i128, expect);
        }

        #[test]
        fn align_is_exact(v in -(1i64 << 40)..(1i64 << 40), from in -8i32..16, d in 0i32..16) {
            let a = align(v, from, from + d);
            prop_assert_eq!(a as i128, (v as i128) * (1i128 << d));
            // aligning then rounding back is the identity
            prop_assert_eq!(rshift(a, d), v);
        }

        #[test]
        fn quantize_matches_exact_reference(n in -(1i64 << 40)..(1i64 << 40), e in 0u32..30, w in 2u32..=24, f in 0i32..12) {
            // x = n / 2^e is exact in f64; the exact ⌊x·2^f + 1/2⌋ = ⌊(n·2^f + 2^(e-1)) / 2^e⌋ in i128.
            let x = n as f64 / (1u64 << e) as f64;
            let fmt = Fmt::new(w, f).unwrap();
            let num = (n as i128) << f;
            let exact = if e == 0 { num } else { (num + (1i128 << (e - 1))).div_euclid(1i128 << e) };
            let expect = exact.clamp(fmt.min() as i128, fmt.max() as i128) as i64;
            prop_assert_eq!(fmt.quantize(x), expect);
        }

        #[test]
        fn interval_width_is_minimal(lo in -(1i64<<40)..0, hi in 0i64..(1i64<<40)) {
            let iv = Interval::new(lo, hi);
            let n = iv.width();
            let half = 1i128 << (n - 1);
            prop_assert!(-half <= lo as i128 && (hi as i128) < half);
            if n > 1 {
                let h2 = 1i128 << (n - 2);
                prop_assert!(!(-h2 <= lo as i128 && (hi as i128) < h2));
            }
        }

        #[test]
        fn interval_mul_contains_products(a in -1000i64..1000, b in -1000i64..1000, c in -1000i64..1000, d in -1000i64..1000) {
            let x = Interval::new(a.min(b), a.max(b));
            let y = Interval::new(c.min(d), c.max(d));
            let p = x.mul(y);
            for u in [a, b] { for v in [c, d] { prop_assert!(p.contains(u * v)); } }
        }
    }

    #[test]
    fn quantize_is_exact_below_one_half() {
        let f = Fmt::new(8, 0).unwrap();
        assert_eq!(f.quantize(0.49999999999999994), 0);
        assert_eq!(f.quantize(0.5), 1);
        assert_eq!(f.quantize(-0.5), 0);
        assert_eq!(f.quantize(-0.5000000000000001), -1);
        assert_eq!(f.quantize(f64::NAN), 0);
        assert_eq!(f.quantize(f64::INFINITY), 127);
        assert_eq!(f.quantize(f64::NEG_INFINITY), -128);
    }

    #[test]
    fn rhu_ties_go_up() {
        assert_eq!(rshift(1, 1), 1); // 0.5 -> 1
        assert_eq!(rshift(-1, 1), 0); // -0.5 -> 0
        assert_eq!(rshift(3, 1), 2); // 1.5 -> 2
        assert_eq!(rshift(-3, 1), -1); // -1.5 -> -1
        assert_eq!(rshift(-4, 3), 0); // -0.5 -> 0
        assert_eq!(rshift(5, -2), 20);
    }

    #[test]
    fn format_parse_and_print() {
        let f: Fmt = "fixed<8,6>".parse().unwrap();
        assert_eq!(f, Fmt { width: 8, frac: 6 });
        assert_eq!(f.to_string(), "fixed<8,6>");
        assert_eq!("binary".parse::<ActFmt>().unwrap(), ActFmt::Binary);
        assert!("fixed<0,1>".parse::<Fmt>().is_err());
        assert!("fixed<33,1>".parse::<Fmt>().is_err());
        assert!("q8.6".parse::<Fmt>().is_err());
        // one canonical spelling: no spaces, leading zeros, '+' or '-0'
        for bad in [
            "fixed< 8 , 6 >",
            "fixed<08,06>",
            "fixed<8, 6>",
            " fixed<8,6>",
            "fixed<+8,6>",
            "fixed<8,-0>",
            "fixed<8,+6>",
            "fixed<8,6> ",
        ] {
            let e = bad.parse::<Fmt>().unwrap_err();
            assert!(e.contains("fixed<8,6>"), "{bad:?}: {e}");
        }
        assert_eq!("fixed<8,-2>".parse::<Fmt>().unwrap().frac, -2);
        assert_eq!("fixed<16,0>".parse::<Fmt>().unwrap().frac, 0);
        assert!(" binary".parse::<ActFmt>().is_err());
        assert_eq!(f.min(), -128);
        assert_eq!(f.max(), 127);
        assert_eq!(Fmt::new(1, 0).unwrap().interval(), Interval::new(-1, 0));
    }
}
