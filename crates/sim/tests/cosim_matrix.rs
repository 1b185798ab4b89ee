//! The co-simulation matrix (issue #3): {LSTM, GRU} × {binary, ternary, quaternary, int8} ×
//! {fully folded 1x1, wide 4x8} on two-layer stacks with a dense head, plus 1-bit activation
//! variants (XNOR/popcount for binary weights), each generated, built with Verilator and run
//! against the golden model's vectors: every output and every layer's h and c at every timestep
//! equal, and the cycle count equal to the compiler's prediction. A subset also runs on Icarus, and
//! a subset (LSTM and GRU, multi-bit and 1-bit activations, folded and wide, one on Icarus too) a
//! second time with random backpressure on the input and output handshakes. Two more designs
//! stream at the pace of their input or output port (`II = IN_LEN + 1`, `II = OUT_LEN + 1`).

mod common;

use qrnn_model::example::{example, ExampleSpec, Formats};
use qrnn_model::{ActFmt, Cell, Model, Scheme};
use qrnn_project::Request;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::{EngineId, Fold};

/// 1-bit activations (input and hidden state) for the spec's model.
fn binary_acts(spec: &mut ExampleSpec) {
    spec.formats = Formats {
        x: ActFmt::Binary,
        h: ActFmt::Binary,
        ..Formats::default()
    };
}

fn model(cell: Cell, scheme: Scheme, binary_act: bool, seed: u64) -> Model {
    let mut spec = ExampleSpec::new(cell, scheme, 5, 6, seed);
    spec.hidden = vec![6, 3];
    spec.head = Some(3);
    if binary_act {
        binary_acts(&mut spec);
    }
    let m = example(&spec);
    m.validate().expect("matrix models are valid");
    m
}

fn opts(m: &Model, wide: bool, weights: WeightsMode) -> Request {
    let mut o = Request {
        weights,
        ..Request::default()
    };
    for (l, layer) in m.layers.iter().enumerate() {
        let cols = m.layer_input_size(l).max(layer.hidden);
        let f = if wide {
            Fold {
                p: 4.min(layer.rows()),
                s: 8.min(cols),
            }
        } else {
            Fold { p: 1, s: 1 }
        };
        o.folds.pin(EngineId::Layer(l), f);
    }
    if let Some(h) = &m.head {
        let f = if wide {
            Fold {
                p: 4.min(h.outputs()),
                s: 8.min(m.layers.last().unwrap().hidden),
            }
        } else {
            Fold { p: 1, s: 1 }
        };
        o.folds.pin(EngineId::Head, f);
    }
    o
}

fn cosim(name: &str, m: &Model, o: &Request, also_icarus: bool) {
    common::cosim(name, m, o, &[4, 1, 3], 11, also_icarus);
}

/// The matrix's last column: a number runs the design a second time with random backpressure
/// (docs/HARDWARE.md §3) of that seed on each of its simulators; `-` does not.
macro_rules! matrix {
    ($($name:ident: $cell:expr, $scheme:expr, $bin:expr, $wide:expr, $weights:expr, $icarus:expr, $bp:tt;)*) => {$(
        #[test]
        fn $name() {
            let m = model($cell, $scheme, $bin, 3);
            let o = opts(&m, $wide, $weights);
            let bp = matrix!(@bp $bp);
            common::cosim_with(stringify!($name), &m, &o, &[4, 1, 3], 11, $icarus, bp);
        }
    )*};
    (@bp -) => { None };
    (@bp $seed:literal) => { Some($seed) };
}

use Cell::{Gru, Lstm};
use Scheme::{Binary, Int, Quaternary, Ternary};
use WeightsMode::{Auto, Logic, Rom};

matrix! {
    lstm_binary_folded:        Lstm, Binary,     false, false, Rom,   true,  -;
    lstm_binary_wide:          Lstm, Binary,     false, true,  Logic, false, -;
    lstm_ternary_folded:       Lstm, Ternary,    false, false, Auto,  false, -;
    lstm_ternary_wide:         Lstm, Ternary,    false, true,  Rom,   true,  1;
    lstm_quaternary_folded:    Lstm, Quaternary, false, false, Logic, false, -;
    lstm_quaternary_wide:      Lstm, Quaternary, false, true,  Auto,  false, -;
    lstm_int8_folded:          Lstm, Int(8),     false, false, Rom,   false, 2;
    lstm_int8_wide:            Lstm, Int(8),     false, true,  Auto,  false, -;
    gru_binary_folded:         Gru,  Binary,     false, false, Auto,  false, -;
    gru_binary_wide:           Gru,  Binary,     false, true,  Rom,   false, 3;
    gru_ternary_folded:        Gru,  Ternary,    false, false, Logic, true,  -;
    gru_ternary_wide:          Gru,  Ternary,    false, true,  Auto,  false, -;
    gru_quaternary_folded:     Gru,  Quaternary, false, false, Rom,   false, 4;
    gru_quaternary_wide:       Gru,  Quaternary, false, true,  Logic, true,  -;
    gru_int8_folded:           Gru,  Int(8),     false, false, Auto,  false, -;
    gru_int8_wide:             Gru,  Int(8),     false, true,  Rom,   false, -;
    lstm_xnor_folded:          Lstm, Binary,     true,  false, Auto,  false, 5;
    lstm_xnor_wide:            Lstm, Binary,     true,  true,  Rom,   true,  -;
    lstm_ternary_1bit_folded:  Lstm, Ternary,    true,  false, Logic, false, -;
    lstm_ternary_1bit_wide:    Lstm, Ternary,    true,  true,  Auto,  false, -;
    gru_xnor_folded:           Gru,  Binary,     true,  false, Rom,   false, -;
    gru_xnor_wide:             Gru,  Binary,     true,  true,  Logic, false, 6;
    gru_quaternary_1bit_wide:  Gru,  Quaternary, true,  true,  Auto,  false, -;
    lstm_int8_1bit_wide:       Lstm, Int(8),     true,  true,  Auto,  false, -;
}

/// The DSP budget (docs/HARDWARE.md §10): for a device with too few DSP blocks, the products the
/// `place-memories` pass leaves without one are LUT multipliers (shift-and-add, no `*`), and the
/// design stays exact: an int8 GRU with per-row scales at a wide fold on the UP5K (8 SB_MAC16)
/// has cell-update and lane products as LUT multipliers, co-simulated on Verilator and Icarus.
#[test]
fn lut_multipliers_beyond_the_dsp_budget() {
    let mut spec = ExampleSpec::new(Gru, Int(8), 5, 6, 9);
    spec.hidden = vec![6, 3];
    spec.head = Some(3);
    spec.per_row_mult = true;
    let m = example(&spec);
    let mut o = opts(&m, true, Auto);
    o.device = qrnn_fpga::device("up5k");
    // the wide fold does not fit the UP5K's logic; only the products matter here
    o.allow_overfit = true;
    let stim = qrnn_sim::Stimulus::random(&m, &[2], 1);
    let (man, _) = common::project_files(&m, &o, &stim).expect("generates");
    assert!(
        man.lut_products.iter().any(|p| p.contains("lanes"))
            && man.lut_products.iter().any(|p| p.contains("*")),
        "{:?}",
        man.lut_products
    );
    cosim("lut_multipliers_beyond_the_dsp_budget", &m, &o, true);
}

/// Timesteps overlap (docs/HARDWARE.md §4.2): a design whose input is longer than its compute
/// (`II = IN_LEN + 1`: an LSTM 64→2 at 8×16) and one whose output is (`II = OUT_LEN + 1`: a GRU
/// 2→3 with a 40-output head at 8×16) stream at the pace of that port. Each is co-simulated held high
/// (every timestep's latency and interval exact) and with random backpressure, on Verilator and
/// Icarus.
#[test]
fn input_and_output_bound_designs_stream_at_their_ports_pace() {
    for (name, cell, input, hidden, head) in [
        ("input_bound_lstm", Lstm, 64, 2, None),
        ("output_bound_gru", Gru, 2, 3, Some(40)),
    ] {
        let mut spec = ExampleSpec::new(cell, Ternary, input, hidden, 13);
        spec.head = head;
        let m = example(&spec);
        let mut o = Request::default();
        o.folds.pin(
            EngineId::Layer(0),
            Fold {
                p: 8.min(m.layers[0].rows()),
                s: 16.min(input.max(hidden)),
            },
        );
        if let Some(h) = &m.head {
            o.folds.pin(
                EngineId::Head,
                Fold {
                    p: 8.min(h.outputs()),
                    s: 16.min(hidden),
                },
            );
        }
        let stim = qrnn_sim::Stimulus::random(&m, &[2], 1);
        let (man, _) = common::project_files(&m, &o, &stim).expect("generates");
        let port = if head.is_some() {
            man.out_len
        } else {
            man.in_len
        } as u64;
        // a port takes one cycle more than its beats between timesteps (docs/HARDWARE.md §5)
        assert_eq!(
            man.cycles_per_step,
            port + 1,
            "{name}: {}",
            man.cycle_formula
        );
        assert!(man.latency > man.cycles_per_step, "{name}");
        common::cosim_with(name, &m, &o, &[4, 1, 3], 11, true, Some(7));
    }
}

/// Constant matrices (docs/HARDWARE.md §4.7): every tensor fully parallel (one row group, one
/// chunk) with hard-wired weights gets the shared adder graph of `qrnn_rtl::cmvm` instead of
/// per-row lane trees — binary (with multi-bit activations), ternary and quaternary LSTMs with a
/// head, and a ternary GRU with 1-bit activations. Each is checked to have the graph in every dot
/// module (and the XNOR path, binary weights with 1-bit activations, to keep its popcount), then
/// co-simulated, the ternary one also with backpressure and on Icarus.
#[test]
fn constant_matrices_compile_to_shared_adder_graphs() {
    for (name, cell, scheme, binary_act, graph, icarus, bp) in [
        ("const_lstm_binary", Lstm, Binary, false, true, false, None),
        (
            "const_lstm_ternary",
            Lstm,
            Ternary,
            false,
            true,
            true,
            Some(8),
        ),
        (
            "const_lstm_quaternary",
            Lstm,
            Quaternary,
            false,
            true,
            false,
            None,
        ),
        (
            "const_gru_ternary_1bit",
            Gru,
            Ternary,
            true,
            true,
            false,
            None,
        ),
        ("const_gru_xnor", Gru, Binary, true, false, false, None),
    ] {
        let mut spec = ExampleSpec::new(cell, scheme, 5, 6, 21);
        spec.head = Some(3);
        if binary_act {
            binary_acts(&mut spec);
        }
        let m = example(&spec);
        let mut o = Request {
            weights: Logic,
            ..Request::default()
        };
        o.folds.pin(
            EngineId::Layer(0),
            Fold {
                p: m.layers[0].rows(),
                s: 6,
            },
        );
        o.folds.pin(EngineId::Head, Fold { p: 3, s: 6 });
        let stim = qrnn_sim::Stimulus::random(&m, &[2], 1);
        let (_, files) = common::project_files(&m, &o, &stim).expect("generates");
        let dots: Vec<_> = files
            .iter()
            .filter(|(path, _)| path.ends_with("_dot.v"))
            .collect();
        assert_eq!(dots.len(), 3, "{name}: W, U and head lanes");
        for (path, text) in dots {
            assert_eq!(
                text.contains("adder graph"),
                graph,
                "{name}: {path} {}",
                text.lines().nth(1).unwrap_or_default()
            );
        }
        common::cosim_with(name, &m, &o, &[4, 1, 3], 11, icarus, bp);
    }
    // a ConvLSTM layer fully parallel with hard-wired weights keeps its lanes: it masks the window
    // taps outside the map, a mask that changes with the pixel (the graph ignores the mask, and
    // mismatched at the border before this case was excluded)
    let mut spec = ExampleSpec::new(Cell::ConvLstm, Ternary, 1, 2, 3);
    spec.map = Some((4, 4));
    spec.kernel = 3;
    let m = example(&spec);
    let mut o = Request {
        weights: Logic,
        ..Request::default()
    };
    o.folds.pin(EngineId::Layer(0), Fold { p: 8, s: 18 });
    let stim = qrnn_sim::Stimulus::random(&m, &[2], 1);
    let (_, files) = common::project_files(&m, &o, &stim).expect("generates");
    assert!(files
        .iter()
        .filter(|(path, _)| path.ends_with("_dot.v"))
        .all(|(_, text)| !text.contains("adder graph")));
    cosim("const_convlstm_keeps_its_lanes", &m, &o, false);
}

/// Parallel update units (docs/HARDWARE.md §4.2): at a fold whose row groups complete more units
/// than one update per cycle keeps up with, the last layer's update (no head) issues a batch of 2
/// or 4 units per cycle, each with its own datapath and its own bank of `c`, of the GRU's `hg`
/// and of every copy of `h`. Two-layer stacks without a head, so that the output reads the banked
/// output copy and the first layer (whose `h` the second reads) keeps one unit, one with
/// multi-bit and one with 1-bit activations, on Verilator and Icarus and with backpressure: the
/// values and the cycle contract (with the shorter wait `D`) exact.
#[test]
fn parallel_update_units() {
    for (name, cell, binary_act, p, units, icarus) in [
        // the first layer's h is read by the second: it keeps one unit (Design::update_units);
        // side by side (§4.2) its two groups finish one cycle apart, so 2 units leave D = 3
        ("units_lstm_stack", Lstm, false, 16, [1, 4], true),
        ("units_gru_1bit_stack", Gru, true, 24, [1, 4], false),
    ] {
        let mut spec = ExampleSpec::new(cell, Ternary, 4, 8, 17);
        spec.hidden = vec![8, 8];
        if binary_act {
            binary_acts(&mut spec);
        }
        let m = example(&spec);
        let mut o = Request::default();
        for l in 0..2 {
            o.folds.pin(EngineId::Layer(l), Fold { p, s: 8 });
        }
        let stim = qrnn_sim::Stimulus::random(&m, &[2], 1);
        let (man, _) = common::project_files(&m, &o, &stim).expect("generates");
        let got: Vec<usize> = man.layers.iter().map(|l| l.update_units).collect();
        assert_eq!(got, units, "{name}: {}", man.cycle_formula);
        let last = man.layers.last().unwrap();
        assert!(
            last.cycles_update <= 3 + 2 * 4 + 2,
            "{name}: {}",
            man.cycle_formula
        );
        common::cosim_with(name, &m, &o, &[4, 1, 3], 11, icarus, Some(5));
    }
}

/// Verilator 5.006 miscompiled this core (docs/HARDWARE.md §8): an int8 LSTM 17→5 whose `U`
/// weights are hard-wired (`logic`) and fully parallel (one word: `P` = its 20 rows, `S` = 16 ≥
/// its 5 columns) computed a wrong `h` from the third timestep on, where Icarus agrees with the
/// golden model. Every Verilator build of a project turns DFG and module inlining off
/// (`-fno-dfg -fno-inline`); with Verilator's defaults this design fails.
#[test]
fn verilator_miscompile_stays_worked_around() {
    let m = example(&ExampleSpec::new(Lstm, Int(8), 17, 5, 3));
    let mut o = Request {
        weights: Rom,
        ..Request::default()
    };
    o.folds.pin(EngineId::Layer(0), Fold { p: 20, s: 16 });
    o.place
        .insert("l0_u".into(), qrnn_rtl::ir::Placement::Logic);
    common::cosim("miscompile_int8_logic_u", &m, &o, &[12, 5], 1, true);
}
