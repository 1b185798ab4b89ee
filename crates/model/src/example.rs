//! Example models with random but valid weights, for demos and tests (`qrnn-hw example`).
//!
//! Generation is deterministic for a given [`ExampleSpec`]: the random source is SplitMix64, a
//! fixed algorithm written out here, so the same seed gives the same model on every machine and
//! every version of every dependency (unlike `rand`'s `StdRng`, which may change between releases).

use crate::fixed::{ActFmt, Fmt};
use crate::model::{Cell, Head, InputSpec, Layer, Model, Provenance, Scale, Weights};
use crate::scheme::Scheme;
use crate::table::{sigmoid_table, tanh_table};

/// SplitMix64: a tiny, fixed, seedable generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// One element of a slice.
    pub fn pick<T: Copy>(&mut self, s: &[T]) -> T {
        s[self.below(s.len() as u64) as usize]
    }
}

/// Fixed-point formats of an example model.
#[derive(Clone, Debug, PartialEq)]
pub struct Formats {
    /// Network input.
    pub x: ActFmt,
    /// Hidden state (every layer).
    pub h: ActFmt,
    /// Cell state.
    pub c: Fmt,
    /// Pre-activation (table index).
    pub pre: Fmt,
    /// Gate fraction `Fa`.
    pub act_frac: u32,
    /// Biases.
    pub bias: Fmt,
    /// Head output.
    pub out: Fmt,
}

impl Default for Formats {
    fn default() -> Formats {
        Formats {
            x: ActFmt::Fixed(Fmt { width: 8, frac: 6 }),
            h: ActFmt::Fixed(Fmt { width: 8, frac: 7 }),
            c: Fmt {
                width: 16,
                frac: 11,
            },
            pre: Fmt { width: 8, frac: 4 },
            act_frac: 7,
            bias: Fmt {
                width: 16,
                frac: 10,
            },
            out: Fmt { width: 16, frac: 8 },
        }
    }
}

/// What example to make.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleSpec {
    /// Cell of every layer.
    pub cell: Cell,
    /// Weight scheme of every tensor.
    pub scheme: Scheme,
    /// Input features (channels for ConvLSTM).
    pub input: usize,
    /// Hidden size of each layer (its length is the number of layers).
    pub hidden: Vec<usize>,
    /// Head outputs, if any.
    pub head: Option<usize>,
    /// ConvLSTM kernel.
    pub kernel: usize,
    /// ConvLSTM map (height, width).
    pub map: Option<(usize, usize)>,
    /// Formats.
    pub formats: Formats,
    /// Per-row scale multipliers instead of a power-of-two scale.
    pub per_row_mult: bool,
    /// Seed. Only its low 63 bits are used (and recorded in the provenance), because a `.qw`
    /// header stores it as a TOML integer, which is signed 64-bit.
    pub seed: u64,
}

impl ExampleSpec {
    /// A one-layer example with default formats.
    pub fn new(cell: Cell, scheme: Scheme, input: usize, hidden: usize, seed: u64) -> ExampleSpec {
        ExampleSpec {
            cell,
            scheme,
            input,
            hidden: vec![hidden],
            head: None,
            kernel: 3,
            map: (cell == Cell::ConvLstm).then_some((4, 4)),
            formats: Formats::default(),
            per_row_mult: false,
            seed,
        }
    }
}

/// `⌈log2(sqrt(n))⌉`-ish shift so that `α·Σ|c|` stays near 1 for `n` inputs.
fn fan_in_shift(n: usize, scheme: Scheme) -> i32 {
    let mut s = 0i32;
    while (1usize << (2 * s as usize)) < n {
        s += 1;
    }
    s + match scheme {
        Scheme::Quaternary => 1,
        Scheme::Int(k) => k as i32 - 1,
        _ => 0,
    }
}

fn weights(rng: &mut Rng, scheme: Scheme, shape: Vec<usize>, per_row: bool) -> Weights {
    let n: usize = shape.iter().product();
    let fan_in: usize = shape.iter().skip(1).product();
    let codes_set = scheme.codes();
    let codes = (0..n)
        .map(|_| match scheme {
            // a bell-ish distribution for int codes: the sum of two uniforms
            Scheme::Int(_) => {
                let m = scheme.max_abs();
                ((rng.range(-m, m) + rng.range(-m, m)) / 2) as i8
            }
            _ => rng.pick(&codes_set),
        })
        .collect();
    let shift = fan_in_shift(fan_in, scheme);
    let scale = if per_row {
        Scale {
            mult: (0..shape[0]).map(|_| rng.range(1, 7) as u32).collect(),
            shift: shift + 2,
        }
    } else {
        Scale::pow2(shift)
    };
    Weights {
        scheme,
        shape,
        codes,
        scale,
    }
}

fn biases(rng: &mut Rng, n: usize, fmt: Fmt) -> Vec<i64> {
    // uniform in about ±0.5 (real), clipped to the format
    let half = if fmt.frac >= 1 {
        1i64 << (fmt.frac - 1).min(40)
    } else {
        1
    };
    (0..n).map(|_| fmt.sat(rng.range(-half, half))).collect()
}

/// Make the example model. The result always passes [`Model::validate`] for sizes within limits.
pub fn example(spec: &ExampleSpec) -> Model {
    let seed = spec.seed & i64::MAX as u64;
    let mut rng = Rng::new(seed);
    let f = &spec.formats;
    let conv = spec.cell == Cell::ConvLstm;
    let mut layers = Vec::new();
    let mut in_size = spec.input;
    for &hidden in &spec.hidden {
        let rows = spec.cell.gates() * hidden;
        let k = if conv { spec.kernel } else { 1 };
        let (ws, us) = if conv {
            (vec![rows, in_size, k, k], vec![rows, hidden, k, k])
        } else {
            (vec![rows, in_size], vec![rows, hidden])
        };
        let w = weights(&mut rng, spec.scheme, ws, spec.per_row_mult);
        let u = weights(&mut rng, spec.scheme, us, spec.per_row_mult);
        let bias = biases(&mut rng, rows, f.bias);
        let bias_h = if spec.cell == Cell::Gru {
            biases(&mut rng, rows, f.bias)
        } else {
            Vec::new()
        };
        layers.push(Layer {
            cell: spec.cell,
            hidden,
            kernel: k,
            pre: f.pre,
            act_frac: f.act_frac,
            c_fmt: spec.cell.has_c().then_some(f.c),
            h_fmt: f.h,
            bias_fmt: f.bias,
            w,
            u,
            bias,
            bias_h,
            sigmoid: sigmoid_table(f.pre, f.act_frac),
            tanh: tanh_table(f.pre, f.act_frac),
        });
        in_size = hidden;
    }
    let head = spec.head.map(|o| {
        let last = *spec.hidden.last().unwrap_or(&1);
        Head {
            w: weights(&mut rng, spec.scheme, vec![o, last], spec.per_row_mult),
            bias: biases(&mut rng, o, f.bias),
            bias_fmt: f.bias,
            out_fmt: f.out,
        }
    });
    let name = format!(
        "example-{}-{}-h{}-s{}",
        spec.cell,
        spec.scheme,
        spec.hidden
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join("x"),
        seed
    );
    Model {
        name,
        input: InputSpec {
            size: spec.input,
            map: if conv { spec.map } else { None },
            format: f.x,
        },
        layers,
        head,
        provenance: Provenance {
            tool: format!("qrnn-hw {} example", env!("CARGO_PKG_VERSION")),
            dataset: None,
            task: None,
            seed: Some(seed),
            epochs: Some(0),
            metrics: Default::default(),
            notes: Some(
                "random weights: an example for tests and demos, not a trained model".into(),
            ),
        },
    }
}

/// A random input sequence for a model: `steps` timesteps of `model.input_len()` reals, each
/// uniform in about [-1, 1].
pub fn random_inputs(model: &Model, steps: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed ^ 0x5EED_1234_ABCD_0000);
    (0..steps)
        .map(|_| {
            (0..model.input_len())
                .map(|_| rng.unit() * 2.0 - 1.0)
                .collect()
        })
        .collect()
}
