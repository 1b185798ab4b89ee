//! Weight schemes, their integer code sets and bit encodings (docs/NUMERICS.md §3), and the
//! encodings of the other tensors of a `.qw` payload.

use std::fmt;
use std::str::FromStr;

/// A weight quantization scheme (§3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// {-1,+1}, 1 bit, bit 1 = +1.
    Binary,
    /// {-1,0,+1}, 2 bits: `00`=0, `01`=+1, `11`=−1, `10` invalid.
    Ternary,
    /// The paper's {-1,-0.5,+0.5,+1} as codes {-2,-1,+1,+2} (scale halved), 2 bits: sign, magnitude.
    Quaternary,
    /// Symmetric K-bit integers, 2 ≤ K ≤ 8, the multiplier baseline.
    Int(u8),
}

impl Scheme {
    /// All the multiplier-free schemes plus int8, for tests and sweeps.
    pub const ALL: [Scheme; 4] = [
        Scheme::Binary,
        Scheme::Ternary,
        Scheme::Quaternary,
        Scheme::Int(8),
    ];

    /// Bits per code in the payload.
    pub fn bits(self) -> u32 {
        match self {
            Scheme::Binary => 1,
            Scheme::Ternary | Scheme::Quaternary => 2,
            Scheme::Int(k) => k as u32,
        }
    }
    /// Whether `code` is in the code set.
    pub fn is_valid(self, code: i64) -> bool {
        match self {
            Scheme::Binary => code == 1 || code == -1,
            Scheme::Ternary => (-1..=1).contains(&code),
            Scheme::Quaternary => matches!(code, -2 | -1 | 1 | 2),
            Scheme::Int(k) => {
                let m = (1i64 << (k - 1)) - 1;
                (-m..=m).contains(&code)
            }
        }
    }
    /// The code set, smallest first (for random generation and docs).
    pub fn codes(self) -> Vec<i8> {
        match self {
            Scheme::Binary => vec![-1, 1],
            Scheme::Ternary => vec![-1, 0, 1],
            Scheme::Quaternary => vec![-2, -1, 1, 2],
            Scheme::Int(k) => {
                let m = (1i16 << (k - 1)) - 1;
                (-m..=m).map(|c| c as i8).collect()
            }
        }
    }
    /// Largest |code|.
    pub fn max_abs(self) -> i64 {
        match self {
            Scheme::Binary | Scheme::Ternary => 1,
            Scheme::Quaternary => 2,
            Scheme::Int(k) => (1i64 << (k - 1)) - 1,
        }
    }
    /// The bit pattern of a valid code (low `bits()` bits).
    pub fn encode(self, code: i64) -> u32 {
        debug_assert!(self.is_valid(code));
        match self {
            Scheme::Binary => u32::from(code > 0),
            Scheme::Ternary => match code {
                0 => 0b00,
                1 => 0b01,
                _ => 0b11,
            },
            Scheme::Quaternary => {
                let sign = u32::from(code < 0);
                let mag = u32::from(code.abs() == 2);
                (sign << 1) | mag
            }
            Scheme::Int(k) => (code as u32) & ((1u32 << k) - 1),
        }
    }
    /// The code of a bit pattern, or `None` for an invalid pattern.
    pub fn decode(self, bits: u32) -> Option<i64> {
        let c = match self {
            Scheme::Binary => {
                if bits & 1 == 1 {
                    1
                } else {
                    -1
                }
            }
            Scheme::Ternary => match bits & 3 {
                0b00 => 0,
                0b01 => 1,
                0b11 => -1,
                _ => return None,
            },
            Scheme::Quaternary => {
                let mag = if bits & 1 == 1 { 2 } else { 1 };
                if bits & 2 == 2 {
                    -mag
                } else {
                    mag
                }
            }
            Scheme::Int(k) => sign_extend(bits, k as u32),
        };
        self.is_valid(c).then_some(c)
    }
    /// True for the multiplier-free schemes (binary, ternary, quaternary).
    pub fn is_multiplier_free(self) -> bool {
        !matches!(self, Scheme::Int(_))
    }
}

/// Sign-extend the low `bits` bits of `v`.
pub fn sign_extend(v: u32, bits: u32) -> i64 {
    let v = (v as u64) & ((1u64 << bits) - 1);
    let sign = 1u64 << (bits - 1);
    (v ^ sign) as i64 - sign as i64
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scheme::Binary => f.write_str("binary"),
            Scheme::Ternary => f.write_str("ternary"),
            Scheme::Quaternary => f.write_str("quaternary"),
            Scheme::Int(k) => write!(f, "int{k}"),
        }
    }
}

impl FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Scheme, String> {
        match s {
            "binary" => Ok(Scheme::Binary),
            "ternary" => Ok(Scheme::Ternary),
            "quaternary" => Ok(Scheme::Quaternary),
            _ => match s.strip_prefix("int").and_then(|k| k.parse::<u8>().ok()) {
                Some(k) if (2..=8).contains(&k) => Ok(Scheme::Int(k)),
                _ => Err(format!(
                    "unknown weight scheme {s:?}: expected binary, ternary, quaternary or int2..int8"
                )),
            },
        }
    }
}

/// How a tensor's elements are stored in the payload: weight codes of a scheme, or plain `N`-bit
/// two's complement integers (`sint<N>`, biases and activation tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Weight codes.
    Weights(Scheme),
    /// N-bit two's complement, 1 ≤ N ≤ 32.
    Sint(u32),
}

impl Encoding {
    /// Bits per element.
    pub fn bits(self) -> u32 {
        match self {
            Encoding::Weights(s) => s.bits(),
            Encoding::Sint(n) => n,
        }
    }
    /// Whether `v` is representable.
    pub fn is_valid(self, v: i64) -> bool {
        match self {
            Encoding::Weights(s) => s.is_valid(v),
            Encoding::Sint(n) => (-(1i64 << (n - 1))..(1i64 << (n - 1))).contains(&v),
        }
    }
    /// Bit pattern of a valid value.
    pub fn encode(self, v: i64) -> u32 {
        match self {
            Encoding::Weights(s) => s.encode(v),
            Encoding::Sint(n) => (v as u64 & ((1u64 << n) - 1)) as u32,
        }
    }
    /// Value of a bit pattern, `None` if invalid.
    pub fn decode(self, bits: u32) -> Option<i64> {
        match self {
            Encoding::Weights(s) => s.decode(bits),
            Encoding::Sint(n) => Some(sign_extend(bits, n)),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Encoding::Weights(s) => s.fmt(f),
            Encoding::Sint(n) => write!(f, "sint{n}"),
        }
    }
}

impl FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Encoding, String> {
        if let Some(n) = s.strip_prefix("sint") {
            return match n.parse::<u32>() {
                Ok(n) if (1..=32).contains(&n) => Ok(Encoding::Sint(n)),
                _ => Err(format!("encoding {s:?}: sint width must be 1..=32")),
            };
        }
        s.parse::<Scheme>()
            .map(Encoding::Weights)
            .map_err(|e| format!("{e}; or sint1..sint32 for biases and tables"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip_and_match_the_spec_table() {
        // §3 table, literally.
        assert_eq!(Scheme::Binary.encode(1), 1);
        assert_eq!(Scheme::Binary.encode(-1), 0);
        assert_eq!(Scheme::Ternary.encode(0), 0b00);
        assert_eq!(Scheme::Ternary.encode(1), 0b01);
        assert_eq!(Scheme::Ternary.encode(-1), 0b11);
        assert_eq!(Scheme::Ternary.decode(0b10), None);
        assert_eq!(Scheme::Quaternary.encode(1), 0b00);
        assert_eq!(Scheme::Quaternary.encode(2), 0b01);
        assert_eq!(Scheme::Quaternary.encode(-1), 0b10);
        assert_eq!(Scheme::Quaternary.encode(-2), 0b11);
        assert_eq!(
            Scheme::Int(8).decode(0x80),
            None,
            "-128 is outside the symmetric range"
        );
        assert_eq!(Scheme::Int(8).decode(0x81), Some(-127));
        for s in [
            Scheme::Binary,
            Scheme::Ternary,
            Scheme::Quaternary,
            Scheme::Int(2),
            Scheme::Int(5),
            Scheme::Int(8),
        ] {
            for c in s.codes() {
                assert_eq!(s.decode(s.encode(c as i64)), Some(c as i64), "{s} {c}");
            }
            assert_eq!(s.to_string().parse::<Scheme>().unwrap(), s);
            let valid = (0..(1u32 << s.bits()))
                .filter(|b| s.decode(*b).is_some())
                .count();
            assert_eq!(
                valid,
                s.codes().len(),
                "{s}: each code has exactly one pattern"
            );
        }
        assert!("int9".parse::<Scheme>().is_err());
        assert!("int1".parse::<Scheme>().is_err());
        assert_eq!(
            Encoding::Sint(16).decode(Encoding::Sint(16).encode(-5)),
            Some(-5)
        );
        assert_eq!("sint12".parse::<Encoding>().unwrap(), Encoding::Sint(12));
    }
}
