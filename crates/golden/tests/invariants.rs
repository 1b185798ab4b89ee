//! Properties of the integer golden model over random example models (NUMERICS.md §5.1, §6, §7,
//! §9, §10): no value ever leaves its spec interval, every value lies in its format, the state is
//! cleared by `reset`, runs are deterministic, and with wide formats the integer model tracks the
//! float reference closely.

use proptest::prelude::*;
use proptest::test_runner::Config;
use qrnn_golden::{float, output_to_f64, quantize_input, run, Executor, GoldenError, StepTrace};
use qrnn_model::example::{example, random_inputs, ExampleSpec, Formats, Rng};
use qrnn_model::{ActFmt, Cell, Fmt, Model, Scheme};

fn fixed_fmt(
    w: std::ops::RangeInclusive<u32>,
    f: std::ops::RangeInclusive<i32>,
) -> impl Strategy<Value = Fmt> {
    (w, f).prop_map(|(w, f)| Fmt::new(w, f).unwrap())
}

fn act_fmt() -> impl Strategy<Value = ActFmt> {
    prop_oneof![
        1 => Just(ActFmt::Binary),
        3 => fixed_fmt(1..=16, -4..=18).prop_map(ActFmt::Fixed),
    ]
}

/// Random formats within the validation limits (§1, §6): widths 1..=32, pre width 2..=12,
/// Fa 1..=14, fractions that may be negative or exceed the width.
fn formats() -> impl Strategy<Value = Formats> {
    (
        act_fmt(),
        act_fmt(),
        fixed_fmt(1..=32, -4..=24),
        fixed_fmt(2..=12, -3..=11),
        1u32..=14,
        fixed_fmt(1..=24, -4..=20),
        fixed_fmt(1..=32, -4..=20),
    )
        .prop_map(|(x, h, c, pre, act_frac, bias, out)| Formats {
            x,
            h,
            c,
            pre,
            act_frac,
            bias,
            out,
        })
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop_oneof![
        Just(Scheme::Binary),
        Just(Scheme::Ternary),
        Just(Scheme::Quaternary),
        Just(Scheme::Int(8)),
        (2u8..=7).prop_map(Scheme::Int),
    ]
}

fn spec() -> impl Strategy<Value = ExampleSpec> {
    (
        prop_oneof![Just(Cell::Lstm), Just(Cell::Gru), Just(Cell::ConvLstm)],
        scheme(),
        1usize..=5,
        prop::collection::vec(1usize..=5, 1..=2),
        prop::option::of(1usize..=5),
        prop_oneof![Just(1usize), Just(3), Just(5)],
        (1usize..=4, 1usize..=4),
        formats(),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(cell, scheme, input, hidden, head, kernel, map, formats, per_row_mult, seed)| {
                let conv = cell == Cell::ConvLstm;
                ExampleSpec {
                    cell,
                    scheme,
                    input,
                    hidden,
                    head,
                    kernel: if conv { kernel } else { 1 },
                    map: conv.then_some(map),
                    formats,
                    per_row_mult,
                    seed,
                }
            },
        )
}

/// A random valid model (specs that fail `validate`, e.g. a 62-bit interval overflow, are skipped).
fn valid_model(spec: &ExampleSpec) -> Option<Model> {
    let m = example(spec);
    m.validate().ok().map(|_| m)
}

/// `steps` timesteps of integer inputs: either uniform over the input format's integers, or real
/// numbers in [-4, 4] through `quantize_input` (point `input`, which may saturate).
fn inputs(m: &Model, steps: usize, seed: u64) -> Vec<Vec<i64>> {
    let mut rng = Rng::new(seed);
    if seed.is_multiple_of(2) {
        let reals: Vec<Vec<f64>> = (0..steps)
            .map(|_| (0..m.input_len()).map(|_| rng.unit() * 8.0 - 4.0).collect())
            .collect();
        return quantize_input(m, &reals);
    }
    (0..steps)
        .map(|_| {
            (0..m.input_len())
                .map(|_| match m.input.format {
                    ActFmt::Binary => {
                        if rng.below(2) == 0 {
                            -1
                        } else {
                            1
                        }
                    }
                    ActFmt::Fixed(f) => rng.range(f.min(), f.max()),
                })
                .collect()
        })
        .collect()
}

/// Every traced value lies in its format / table range, and vectors have the right lengths.
fn check_trace(m: &Model, trace: &[StepTrace]) -> Result<(), TestCaseError> {
    let px = m.pixels();
    for st in trace {
        prop_assert_eq!(st.layers.len(), m.layers.len());
        for (l, (layer, lt)) in m.layers.iter().zip(&st.layers).enumerate() {
            let hsz = layer.hidden;
            let rows = layer.rows();
            let one = 1i64 << layer.act_frac;
            prop_assert_eq!(lt.pre.len(), px * rows);
            prop_assert_eq!(lt.gates.len(), px * rows);
            prop_assert_eq!(lt.h.len(), px * hsz);
            for (k, z) in lt.pre.iter().enumerate() {
                prop_assert!(
                    (layer.pre.min()..=layer.pre.max()).contains(z),
                    "t{} layer {l} pre[{k}] = {z} outside {}",
                    st.t,
                    layer.pre
                );
            }
            for (k, g) in lt.gates.iter().enumerate() {
                // row r = gate·H + u within each pixel's block of `rows`; gate 2 is tanh (g of
                // LSTM/ConvLSTM, n of GRU), the others σ.
                let gate = (k % rows) / hsz;
                let range = if gate == 2 { -one..=one } else { 0..=one };
                prop_assert!(
                    range.contains(g),
                    "t{} layer {l} gate {gate} value {g} outside {range:?}",
                    st.t
                );
            }
            for (k, h) in lt.h.iter().enumerate() {
                prop_assert!(
                    layer.h_fmt.contains(*h),
                    "t{} layer {l} h[{k}] = {h} outside {}",
                    st.t,
                    layer.h_fmt
                );
                if layer.h_fmt.is_binary() {
                    prop_assert!(*h == 1 || *h == -1);
                }
            }
            match layer.cell {
                Cell::Gru => {
                    prop_assert!(lt.c.is_none() && lt.tanh_c.is_none());
                    let hn = lt.hn.as_ref().expect("GRU traces hn");
                    prop_assert_eq!(hn.len(), px * hsz);
                    prop_assert!(
                        hn.iter()
                            .all(|v| (layer.pre.min()..=layer.pre.max()).contains(v)),
                        "hn outside pre"
                    );
                }
                Cell::Lstm | Cell::ConvLstm => {
                    prop_assert!(lt.hn.is_none());
                    let cf = layer.c_fmt.unwrap();
                    let c = lt.c.as_ref().expect("LSTM traces c");
                    prop_assert_eq!(c.len(), px * hsz);
                    prop_assert!(
                        c.iter().all(|v| (cf.min()..=cf.max()).contains(v)),
                        "c outside {}",
                        cf
                    );
                    let tc = lt.tanh_c.as_ref().expect("LSTM traces tanh(c)");
                    prop_assert!(
                        tc.iter().all(|v| (-one..=one).contains(v)),
                        "tanh(c) outside ±2^Fa"
                    );
                }
            }
        }
        match (&m.head, &st.head) {
            (Some(h), Some(y)) => {
                prop_assert_eq!(y.len(), px * h.outputs());
                prop_assert!(
                    y.iter()
                        .all(|v| (h.out_fmt.min()..=h.out_fmt.max()).contains(v)),
                    "head outside {}",
                    h.out_fmt
                );
            }
            (None, None) => {}
            _ => prop_assert!(false, "head trace present iff the model has a head"),
        }
        prop_assert_eq!(st.output().len(), m.output_len());
    }
    Ok(())
}

fn run_steps(ex: &mut Executor, seq: &[Vec<i64>]) -> Vec<StepTrace> {
    seq.iter()
        .map(|x| ex.step(x).expect("in-format inputs never fail"))
        .collect()
}

proptest! {
    #![proptest_config(Config { cases: 1000, max_global_rejects: 4096, ..Config::default() })]

    #[test]
    fn random_models_stay_in_range_and_reset_clears_state(
        spec in spec(),
        steps in 1usize..=5,
        seed_a in any::<u64>(),
        seed_b in any::<u64>(),
    ) {
        let m = valid_model(&spec);
        prop_assume!(m.is_some());
        let m = m.unwrap();
        let a = inputs(&m, steps, seed_a);
        let b = inputs(&m, steps, seed_b);

        // Never a Range error (nor any other): every value stays in its §5.1 interval.
        let ra = match run(&m, &a) {
            Ok(r) => r,
            Err(e) => return Err(TestCaseError::fail(format!("{}: {e}", m.name))),
        };
        check_trace(&m, &ra.trace)?;
        prop_assert_eq!(ra.outputs.len(), steps);

        // Deterministic.
        prop_assert_eq!(&run(&m, &a).unwrap(), &ra);

        // reset, then the same sequence again: identical traces (t restarts at 0 too).
        let mut ex = Executor::new(&m).unwrap();
        let first = run_steps(&mut ex, &a);
        prop_assert_eq!(&first, &ra.trace);
        ex.reset();
        let again = run_steps(&mut ex, &a);
        prop_assert_eq!(&again, &first);

        // Two sequences with a reset between = two fresh runs.
        ex.reset();
        let tb = run_steps(&mut ex, &b);
        let rb = run(&m, &b).unwrap();
        prop_assert_eq!(&tb, &rb.trace);
        check_trace(&m, &rb.trace)?;
    }
}

/// Formats wide enough that the integer model approximates the float reference (§10).
fn wide() -> Formats {
    Formats {
        x: ActFmt::Fixed(Fmt::new(16, 12).unwrap()),
        h: ActFmt::Fixed(Fmt::new(16, 14).unwrap()),
        c: Fmt::new(24, 16).unwrap(),
        pre: Fmt::new(12, 6).unwrap(),
        act_frac: 14,
        bias: Fmt::new(16, 12).unwrap(),
        out: Fmt::new(16, 8).unwrap(),
    }
}

proptest! {
    #![proptest_config(Config { cases: 64, ..Config::default() })]

    /// A 1-layer LSTM or GRU with hidden 4 over 5 steps, wide formats: the integer output is within
    /// 0.1 of `float::run` on the same real inputs.
    ///
    /// Why 0.1. The rounding points and their worst case (half an ulp) are: input 2^-13
    /// (x = fixed<16,12>), `pre` 2^-7 (Fz = 6), table entries 2^-15 (Fa = 14), `gru_hn` 2^-7,
    /// `c` 2^-17 (Fc = 16), `c_pre` 2^-7, `h` 2^-15 (F = 14). No saturation is reached: |x| ≤ 1,
    /// the example's scales keep α·Σ|code| ≲ √fan-in = 2, so pre-activations stay far inside
    /// ±32 (pre range) and |c| ≤ 5 after 5 steps, far inside ±128 (C range). The error is thus
    /// dominated by the two 2^-7 ≈ 0.0078 roundings (pre and c_pre / gru_hn): since σ' ≤ 1/4,
    /// tanh' ≤ 1 and gates lie in [0, 1], a pre-activation error δ moves h by ≲ 1.5·δ in one step,
    /// so one step adds ≲ 2·1.5·0.0078 ≈ 0.023 of new error. Carried-over error is damped by the
    /// forget/update gate (< 1) and fed back through U; the sign of each rounding is effectively
    /// random, so errors add like a random walk rather than linearly: ≈ 0.023·√5 ≈ 0.05 even with
    /// gain ~1 feedback. (A strict worst-case linear bound compounds with loop gain up to ~2 and
    /// is not useful here.) Measured over 1,200 such models (4 schemes × 300 seeds) the largest
    /// deviation was 0.0106 for LSTM and 0.0115 for GRU, so 0.1 leaves ~10× margin while any
    /// systematic mistake (a lost bias ~±0.5, a fraction misaligned by one bit doubling a term, a
    /// swapped gate) shows up as errors ≳ 0.1.
    #[test]
    fn wide_formats_track_the_float_reference(
        seed in any::<u64>(),
        scheme in prop_oneof![Just(Scheme::Binary), Just(Scheme::Ternary), Just(Scheme::Quaternary), Just(Scheme::Int(8))],
        cell in prop_oneof![Just(Cell::Lstm), Just(Cell::Gru)],
        per_row_mult in any::<bool>(),
    ) {
        let mut spec = ExampleSpec::new(cell, scheme, 3, 4, seed);
        spec.formats = wide();
        spec.per_row_mult = per_row_mult;
        let m = example(&spec);
        m.validate().unwrap();
        let seq = random_inputs(&m, 5, seed);
        let r = run(&m, &quantize_input(&m, &seq)).unwrap();
        let f = float::run(&m, &seq);
        let mut worst = 0f64;
        for (qi, fi) in r.outputs.iter().zip(&f) {
            prop_assert_eq!(qi.len(), fi.len());
            for (q, v) in qi.iter().zip(fi) {
                worst = worst.max((output_to_f64(&m, *q) - v).abs());
            }
        }
        prop_assert!(worst < 0.1, "{}: max |integer - float| = {worst}", m.name);
    }
}

#[test]
fn wrong_input_length_is_input_len_error() {
    let m = example(&ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 2, 1));
    match run(&m, &[vec![0, 0]]) {
        Err(GoldenError::InputLen { t, found, expected }) => {
            assert_eq!((t, found, expected), (0, 2, 3))
        }
        other => panic!("expected InputLen, got {other:?}"),
    }
    // at the second timestep, after a good one
    match run(&m, &[vec![0, 0, 0], vec![0, 0, 0, 0]]) {
        Err(GoldenError::InputLen { t, found, expected }) => {
            assert_eq!((t, found, expected), (1, 4, 3))
        }
        other => panic!("expected InputLen, got {other:?}"),
    }
    // ConvLSTM: pixels × channels (4×4 map, 2 channels = 32 values)
    let mc = example(&ExampleSpec::new(Cell::ConvLstm, Scheme::Binary, 2, 1, 1));
    match run(&mc, &[vec![0; 2]]) {
        Err(GoldenError::InputLen {
            found, expected, ..
        }) => assert_eq!((found, expected), (2, 32)),
        other => panic!("expected InputLen, got {other:?}"),
    }
}

#[test]
fn out_of_format_input_is_input_error() {
    // default x = fixed<8,6>: integers -128..=127
    let m = example(&ExampleSpec::new(Cell::Gru, Scheme::Quaternary, 3, 2, 1));
    assert!(run(&m, &[vec![-128, 127, 0]]).is_ok());
    match run(&m, &[vec![0, 128, 0]]) {
        Err(GoldenError::Input {
            t, index, value, ..
        }) => assert_eq!((t, index, value), (0, 1, 128)),
        other => panic!("expected Input, got {other:?}"),
    }
    match run(&m, &[vec![0, 0, 0], vec![0, 0, -129]]) {
        Err(GoldenError::Input {
            t, index, value, ..
        }) => assert_eq!((t, index, value), (1, 2, -129)),
        other => panic!("expected Input, got {other:?}"),
    }
    // binary input: only ±1 are values of the format (0 is not)
    let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Binary, 2, 2, 1);
    spec.formats.x = ActFmt::Binary;
    let mb = example(&spec);
    assert!(run(&mb, &[vec![1, -1]]).is_ok());
    match run(&mb, &[vec![1, 0]]) {
        Err(GoldenError::Input { index, value, .. }) => assert_eq!((index, value), (1, 0)),
        other => panic!("expected Input, got {other:?}"),
    }
    // Executor::step reports the same, and a failed step does not advance the state
    let mut ex = Executor::new(&m).unwrap();
    assert!(matches!(
        ex.step(&[0, 0, 999]),
        Err(GoldenError::Input { .. })
    ));
    let good = ex.step(&[5, -7, 9]).unwrap();
    assert_eq!(good, run(&m, &[vec![5, -7, 9]]).unwrap().trace[0]);
}
