//! Negative tests for `Design::verify` (crates/rtl/src/ir.rs): a verify that always passed would
//! otherwise go unnoticed. Every check `verify` makes is listed in [`cases`]; each case takes a
//! design that verifies (lowered from an LSTM, a GRU or a ConvLSTM example model and captured after
//! a pass), breaks exactly the one invariant that check guards, and asserts that `verify` refuses it
//! with a message naming the problem. The checks are:
//!
//! - a design has at least one layer;
//! - U has as many rows as W (W's rows are the engine's);
//! - one bias per row; a recurrent bias b_h per row for GRU layers, none for others;
//! - σ and tanh tables of 2^(pre-activation width) entries (layers);
//! - the fold is within 1..=rows × 1..=max(cols) (P = 0, S = 0, P > rows, S > cols);
//! - every named signal is 1..=64 bits wide;
//! - every accumulator is at most 64 bits and no narrower than its chunk sum;
//! - a weight ROM (W's and U's) has ⌈rows/P⌉·⌈cols/S⌉ words of P·S·bits bits;
//! - every ROM word is exactly ⌈width/4⌉ hex digits and its top digit fits the width;
//! - after `place-memories` and `schedule` no memory is unplaced;
//! - after `schedule` every engine is folded;
//! - after `schedule` `cycles_mv` equals the HARDWARE.md formula (dense engines, ConvLSTM layers,
//!   the 1×1 ConvLSTM head);
//! - after `schedule` every engine's `cycles_mv` and `cycles_update` are its cycle terms;
//! - after `size` every named signal the elaboration reads is there;
//! - after `place-memories` and `schedule` the buffer memories are the ones the folding needs
//!   (names, banks, widths, words: `Design::plan_buffers`), each holds its elements and has 1 or 2
//!   read ports (docs/HARDWARE.md §4.1);
//! - after `schedule` `cycles_per_step` is the input, every engine's phases and the output summed,
//!   and the sum of the cycle terms, each of which evaluates to its value.

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_rtl::ir::{Design, Engine, Mv, Placement};
use qrnn_rtl::manifest::Phase;
use qrnn_rtl::passes::{pass_names, run_pipeline, Options};
use qrnn_rtl::EngineId;
use std::collections::BTreeMap;

/// The example models every case runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Two LSTM layers and a head, ternary weights.
    Lstm,
    /// One GRU layer and a head, binary weights, per-row multipliers.
    Gru,
    /// One ConvLSTM layer (3 channels, 3×3 kernel, 4×4 map) and its 1×1 head, ternary weights.
    ConvLstm,
}

const KINDS: [Kind; 3] = [Kind::Lstm, Kind::Gru, Kind::ConvLstm];

fn model(kind: Kind) -> Model {
    let spec = match kind {
        Kind::Lstm => ExampleSpec {
            hidden: vec![4, 3],
            head: Some(2),
            ..ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 4, 11)
        },
        Kind::Gru => ExampleSpec {
            head: Some(2),
            per_row_mult: true,
            ..ExampleSpec::new(Cell::Gru, Scheme::Binary, 5, 3, 12)
        },
        Kind::ConvLstm => ExampleSpec {
            head: Some(1),
            map: Some((4, 4)),
            kernel: 3,
            ..ExampleSpec::new(Cell::ConvLstm, Scheme::Ternary, 2, 3, 13)
        },
    };
    example(&spec)
}

/// The design after every pass (`lower` first), by pass name.
fn stages(kind: Kind) -> BTreeMap<String, Design> {
    let mut out = BTreeMap::new();
    run_pipeline(&model(kind), &Options::default(), |pass, d| {
        out.insert(pass.to_string(), d.clone());
    })
    .unwrap_or_else(|e| panic!("{kind:?}: the pipeline fails: {e}"));
    assert_eq!(
        out.keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        pass_names().iter().map(|s| s.to_string()).collect(),
        "{kind:?}: a design after every pass"
    );
    out
}

/// Every matrix-vector engine of an engine: W, then U if any.
fn mvs(e: &mut Engine) -> impl Iterator<Item = &mut Mv> {
    std::iter::once(&mut e.w).chain(e.u.iter_mut())
}

fn first_layer(d: &mut Design) -> &mut Engine {
    &mut d.layers[0]
}

fn head(d: &mut Design) -> &mut Engine {
    d.head.as_mut().expect("the example has a head")
}

/// The largest column count of an engine (the bound of S).
fn max_cols(e: &Engine) -> usize {
    e.fold_limit().s
}

/// `mv` with `rows` rows (contents and widths kept): the dimensions of an engine are private,
/// so a broken one is built anew.
fn with_rows(mv: &Mv, rows: usize) -> Mv {
    let mut n = Mv::new(
        mv.scheme,
        (rows, mv.cols()),
        mv.mult.clone(),
        mv.shift,
        mv.act,
    );
    n.rom = mv.rom.clone();
    n.lane_width = mv.lane_width;
    n.dot_width = mv.dot_width;
    n.acc_width = mv.acc_width;
    n
}

/// Move `cycles_mv` of layer `l` (`usize::MAX`: the head) by `delta` and `cycles_per_step` with it,
/// so that the engine's own cycle formula is broken but not the per-timestep sum of phases (the
/// expected fragment `cycles_mv` tells this check's error from the later sum checks').
fn shift_mv(d: &mut Design, l: usize, delta: i64) {
    let e = if l == usize::MAX {
        head(d)
    } else {
        &mut d.layers[l]
    };
    e.cycles_mv = e.cycles_mv.checked_add_signed(delta).expect("no underflow");
    d.cycles_per_step = d
        .cycles_per_step
        .checked_add_signed(delta)
        .expect("no underflow");
}

/// One broken design: on the design of `kinds` after pass `stage` (which must verify at that
/// stage), `break_it` breaks one invariant; `verify(stage)` must then fail with a message
/// containing every fragment of `expect`.
struct Case {
    /// What is broken.
    what: &'static str,
    /// Models it applies to.
    kinds: &'static [Kind],
    /// The pass after which the design is taken, and the stage it is verified at.
    stage: &'static str,
    /// Break the invariant.
    break_it: fn(&mut Design),
    /// Fragments the error must contain.
    expect: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    const ALL: &[Kind] = &KINDS;
    const DENSE: &[Kind] = &[Kind::Lstm, Kind::Gru];
    vec![
        // ---- buffer memories (docs/HARDWARE.md §4.1)
        Case {
            what: "a buffer with three read ports",
            kinds: DENSE,
            stage: "place-memories",
            break_it: |d| d.buffers[0].read_ports = 3,
            expect: &["read ports", "1..=2"],
        },
        Case {
            what: "a buffer with no read port",
            kinds: DENSE,
            stage: "schedule",
            break_it: |d| d.buffers[1].read_ports = 0,
            expect: &["read ports"],
        },
        Case {
            what: "a buffer too small for its elements",
            kinds: DENSE,
            stage: "schedule",
            break_it: |d| {
                let b = d.buffers.last_mut().expect("buffers");
                b.words -= 1;
            },
            expect: &["words in", "elements"],
        },
        Case {
            what: "the z buffer with one bank too few",
            kinds: DENSE,
            stage: "schedule",
            break_it: |d| {
                let b = d
                    .buffers
                    .iter_mut()
                    .find(|b| b.name == "l0_z")
                    .expect("z buffer");
                b.banks.pop();
                b.words *= 2;
            },
            expect: &["not the ones the folding needs"],
        },
        Case {
            what: "a buffer missing",
            kinds: DENSE,
            stage: "place-memories",
            break_it: |d| {
                d.buffers.remove(0);
            },
            expect: &["not the ones the folding needs"],
        },
        // ---- a design has at least one layer
        Case {
            what: "no layers",
            kinds: ALL,
            stage: "lower",
            break_it: |d| d.layers.clear(),
            expect: &["at least one layer"],
        },
        Case {
            what: "no layers (scheduled design)",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| d.layers.clear(),
            expect: &["at least one layer"],
        },
        // ---- engine rows
        Case {
            what: "W has one row more than U",
            kinds: ALL,
            stage: "lower",
            break_it: |d| {
                let e = first_layer(d);
                e.w = with_rows(&e.w, e.w.rows() + 1);
            },
            expect: &["U's rows differ from W's"],
        },
        Case {
            what: "U has one row fewer than the layer",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let u = first_layer(d).u.as_mut().expect("a layer has U");
                *u = with_rows(u, u.rows() - 1);
            },
            expect: &["rows differ"],
        },
        Case {
            what: "head W has one row more than the head's biases",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let e = head(d);
                e.w = with_rows(&e.w, e.w.rows() + 1);
            },
            expect: &["head", "biases for"],
        },
        // ---- one bias per row
        Case {
            what: "a bias missing",
            kinds: ALL,
            stage: "lower",
            break_it: |d| {
                first_layer(d).bias.pop();
            },
            expect: &["biases for"],
        },
        Case {
            what: "an extra head bias",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| head(d).bias.push(0),
            expect: &["head", "biases for"],
        },
        // ---- the fold is within the engine
        Case {
            what: "fold P = 0",
            kinds: ALL,
            stage: "fold",
            break_it: |d| first_layer(d).fold.as_mut().expect("folded").p = 0,
            expect: &["fold 0x"],
        },
        Case {
            what: "fold S = 0",
            kinds: ALL,
            stage: "fold",
            break_it: |d| first_layer(d).fold.as_mut().expect("folded").s = 0,
            expect: &["x0 outside"],
        },
        Case {
            what: "fold P larger than the engine's rows",
            kinds: ALL,
            stage: "fold",
            break_it: |d| {
                let e = first_layer(d);
                let rows = e.rows();
                e.fold.as_mut().expect("folded").p = rows + 1;
            },
            expect: &["fold", "outside"],
        },
        Case {
            what: "fold S larger than the engine's columns",
            kinds: ALL,
            stage: "fold",
            break_it: |d| {
                let e = head(d);
                let cols = max_cols(e);
                e.fold.as_mut().expect("folded").s = cols + 1;
            },
            expect: &["head", "fold", "outside"],
        },
        // ---- signal widths
        Case {
            what: "a signal of width 0",
            kinds: ALL,
            stage: "size",
            break_it: |d| first_layer(d).sigs[0].width = 0,
            expect: &["signal `", "has width 0"],
        },
        Case {
            what: "a signal of width 65",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| head(d).sigs.last_mut().expect("head signals").width = 65,
            expect: &["head", "has width 65"],
        },
        // ---- accumulator widths
        Case {
            what: "an accumulator narrower than its chunk sum",
            kinds: ALL,
            stage: "size",
            break_it: |d| {
                let w = &mut first_layer(d).w;
                w.acc_width = w.dot_width - 1;
            },
            expect: &["accumulator", "narrower than its chunk sum"],
        },
        Case {
            what: "a U accumulator wider than 64 bits",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| first_layer(d).u.as_mut().expect("U").acc_width = 65,
            expect: &["accumulator 65 bits"],
        },
        // ---- ROM shape
        Case {
            what: "a W ROM with one word too few",
            kinds: ALL,
            stage: "pack-weights",
            break_it: |d| {
                first_layer(d).w.rom.as_mut().expect("packed").words.pop();
            },
            expect: &["ROM", "the fold needs"],
        },
        Case {
            what: "a U ROM with one word too many",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let rom = first_layer(d).u.as_mut().expect("U").rom.as_mut();
                let rom = rom.expect("packed");
                let w = rom.words[0].clone();
                rom.words.push(w);
            },
            expect: &["ROM", "the fold needs"],
        },
        Case {
            what: "a head ROM of the wrong width",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| head(d).w.rom.as_mut().expect("packed").width += 1,
            expect: &["head", "ROM", "the fold needs"],
        },
        Case {
            what: "a ROM word with one hex digit too many",
            kinds: ALL,
            stage: "pack-weights",
            break_it: |d| {
                let rom = first_layer(d).w.rom.as_mut().expect("packed");
                rom.words[0].insert(0, '0');
            },
            expect: &["ROM", "not", "bits of hex"],
        },
        Case {
            what: "a ROM word with one hex digit too few",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let rom = head(d).w.rom.as_mut().expect("packed");
                let last = rom.words.len() - 1;
                rom.words[last].remove(0);
            },
            expect: &["head", "ROM", "bits of hex"],
        },
        Case {
            what: "a ROM word whose top digit is not hex",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let rom = first_layer(d).w.rom.as_mut().expect("packed");
                rom.words[0].replace_range(0..1, "g");
            },
            expect: &["ROM", "bits of hex"],
        },
        Case {
            what: "a ROM word whose last digit is not hex",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let rom = first_layer(d).w.rom.as_mut().expect("packed");
                let n = rom.words[0].len();
                rom.words[0].replace_range(n - 1..n, "g");
            },
            expect: &["ROM", "bits of hex"],
        },
        Case {
            what: "a ROM word of the right length in bytes starting with a non-ASCII character",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let rom = first_layer(d).w.rom.as_mut().expect("packed");
                let n = rom.words[0].len();
                // 'é' is two bytes: a word of n bytes that a byte slice [..1] would split
                if n >= 2 {
                    rom.words[0] = format!("é{}", &rom.words[0][2..]);
                } else {
                    rom.words[0] = "é".to_string();
                }
            },
            expect: &["ROM", "bits of hex"],
        },
        Case {
            what: "a ROM word wider than the ROM (top digit overflows)",
            // the LSTM's ROMs are all whole hex digits wide at its default folds
            kinds: &[Kind::Gru, Kind::ConvLstm],
            stage: "schedule",
            break_it: |d| {
                // the first ROM whose width is not a multiple of 4, its top digit set to the
                // smallest value that does not fit
                let rom = d
                    .layers
                    .iter_mut()
                    .chain(d.head.iter_mut())
                    .flat_map(|e| mvs(e).filter_map(|mv| mv.rom.as_mut()).collect::<Vec<_>>())
                    .find(|r| r.width % 4 != 0)
                    .expect("a ROM whose width is not a multiple of 4");
                let top = 1u32 << (rom.width % 4);
                let digit = char::from_digit(top, 16).expect("a hex digit");
                rom.words[0].replace_range(0..1, &digit.to_string());
            },
            expect: &["ROM", "bits of hex"],
        },
        // ---- placement
        Case {
            what: "a memory left unplaced after place-memories",
            kinds: ALL,
            stage: "place-memories",
            break_it: |d| {
                first_layer(d).w.rom.as_mut().expect("packed").placement = Placement::Unplaced
            },
            expect: &["memory left unplaced"],
        },
        Case {
            what: "a memory left unplaced after schedule",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let u = first_layer(d).u.as_mut().expect("U");
                u.rom.as_mut().expect("packed").placement = Placement::Unplaced;
            },
            expect: &["memory left unplaced"],
        },
        // ---- schedule: folded, cycles
        Case {
            what: "an unfolded engine after schedule",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| head(d).fold = None,
            expect: &["unfolded"],
        },
        Case {
            what: "dense layer cycles_mv off by one",
            kinds: &[Kind::Lstm, Kind::Gru],
            stage: "schedule",
            break_it: |d| shift_mv(d, 0, 1),
            expect: &["cycles_mv", "!="],
        },
        Case {
            what: "dense head cycles_mv off by one",
            kinds: &[Kind::Lstm, Kind::Gru],
            stage: "schedule",
            break_it: |d| shift_mv(d, usize::MAX, -1),
            expect: &["head", "cycles_mv", "!="],
        },
        Case {
            what: "ConvLSTM layer cycles_mv off by one",
            kinds: &[Kind::ConvLstm],
            stage: "schedule",
            break_it: |d| shift_mv(d, 0, 1),
            expect: &["cycles_mv", "!="],
        },
        Case {
            what: "ConvLSTM layer cycles_mv missing the line-buffer priming",
            kinds: &[Kind::ConvLstm],
            stage: "schedule",
            break_it: |d| {
                let prime = first_layer(d).conv.expect("conv").prime() as i64;
                assert!(prime > 0, "a 3×3 kernel primes its line buffers");
                shift_mv(d, 0, -prime);
            },
            expect: &["cycles_mv", "!="],
        },
        Case {
            what: "ConvLSTM 1×1 head cycles_mv off by one",
            kinds: &[Kind::ConvLstm],
            stage: "schedule",
            break_it: |d| shift_mv(d, usize::MAX, 1),
            expect: &["head", "cycles_mv", "!="],
        },
        Case {
            what: "cycles_per_step off by one",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| d.cycles_per_step += 1,
            expect: &["cycles_per_step", "initiation interval"],
        },
        Case {
            what: "an update phase (and its term) that disagrees with cycles_per_step",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                first_layer(d).cycles_update += 1;
                let t = d
                    .cycle_terms
                    .iter_mut()
                    .find(|t| t.phase == Phase::Update(EngineId::Layer(0)))
                    .expect("an update term");
                t.cycles += 1;
            },
            expect: &["cycles_per_step", "initiation interval"],
        },
        Case {
            what: "an update phase that disagrees with its cycle term",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| first_layer(d).cycles_update += 1,
            expect: &["layer0", "cycles_update", "differ from the cycle terms"],
        },
        Case {
            what: "a head MV phase that disagrees with its cycle term",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                let t = d
                    .cycle_terms
                    .iter_mut()
                    .find(|t| t.phase == Phase::Mv(EngineId::Head))
                    .expect("a head term");
                t.cycles += 1;
            },
            expect: &["head", "differ from the cycle terms"],
        },
        Case {
            what: "a GRU-only recurrent bias on another layer, or one missing",
            kinds: ALL,
            stage: "lower",
            break_it: |d| {
                let e = first_layer(d);
                if e.bias_h.is_empty() {
                    e.bias_h.push(0);
                } else {
                    e.bias_h.pop();
                }
            },
            expect: &["layer0", "recurrent biases b_h"],
        },
        Case {
            what: "a σ table one entry short",
            kinds: ALL,
            stage: "lower",
            break_it: |d| {
                first_layer(d).sigmoid.pop();
            },
            expect: &["layer0", "sigmoid table of", "expected"],
        },
        Case {
            what: "a tanh table one entry long",
            kinds: ALL,
            stage: "size",
            break_it: |d| first_layer(d).tanh.push(0),
            expect: &["layer0", "tanh table of", "expected"],
        },
        Case {
            what: "a named signal missing after size",
            kinds: ALL,
            stage: "size",
            break_it: |d| {
                first_layer(d).sigs.retain(|s| s.name != "pre_sum");
            },
            expect: &["layer0", "signal `pre_sum` missing"],
        },
        Case {
            what: "the head's output signal missing after schedule",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| {
                head(d).sigs.retain(|s| s.name != "y");
            },
            expect: &["head", "signal `y` missing"],
        },
        Case {
            what: "cycles_per_step missing the output phase",
            kinds: ALL,
            stage: "schedule",
            break_it: |d| d.cycles_per_step -= d.out_len as u64,
            expect: &["cycles_per_step", "initiation interval"],
        },
    ]
}

#[test]
fn every_pass_leaves_a_design_that_verifies() {
    for kind in KINDS {
        for (stage, d) in stages(kind) {
            d.verify(&stage)
                .unwrap_or_else(|e| panic!("{kind:?} after `{stage}`: {e}"));
        }
    }
}

#[test]
fn verify_refuses_each_broken_invariant() {
    let designs: BTreeMap<Kind, BTreeMap<String, Design>> =
        KINDS.iter().map(|&k| (k, stages(k))).collect();
    let mut failures = Vec::new();
    let mut ran = 0;
    for c in cases() {
        for &kind in c.kinds {
            let mut d = designs[&kind]
                .get(c.stage)
                .unwrap_or_else(|| panic!("no pass `{}`", c.stage))
                .clone();
            if let Err(e) = d.verify(c.stage) {
                failures.push(format!("{kind:?} {}: the valid design fails: {e}", c.what));
                continue;
            }
            (c.break_it)(&mut d);
            ran += 1;
            match d.verify(c.stage) {
                Ok(()) => failures.push(format!(
                    "{kind:?} {}: verify(`{}`) accepted the broken design",
                    c.what, c.stage
                )),
                Err(e) => {
                    let missing: Vec<_> = c.expect.iter().filter(|f| !e.contains(**f)).collect();
                    if !missing.is_empty() {
                        failures.push(format!(
                            "{kind:?} {}: error `{e}` lacks {missing:?}",
                            c.what
                        ));
                    }
                }
            }
        }
    }
    assert!(ran >= 80, "only {ran} broken designs were tried");
    assert!(
        failures.is_empty(),
        "{} of {ran} broken designs not caught as expected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_name_the_stage_and_the_engine() {
    for kind in KINDS {
        let s = stages(kind);
        let mut d = s["size"].clone();
        d.layers[0].bias.pop();
        let e = d.verify("size").expect_err("a bias is missing");
        assert!(e.contains("after pass `size`"), "{kind:?}: {e}");
        assert!(e.contains("layer0"), "{kind:?}: {e}");
        let mut d = s["schedule"].clone();
        let h = d.head.as_mut().expect("head");
        h.sigs[0].width = 0;
        let name = h.sigs[0].name;
        let e = d.verify("schedule").expect_err("a zero-width signal");
        assert!(e.contains("after pass `schedule`"), "{kind:?}: {e}");
        assert!(e.contains("head") && e.contains(name), "{kind:?}: {e}");
    }
}

/// Some checks hold only from the pass that establishes them on: a design before `place-memories`
/// (or before `schedule`) is not wrong for lacking what those passes add.
#[test]
fn stage_gated_checks_apply_from_their_pass_on() {
    for kind in KINDS {
        let s = stages(kind);
        // after pack-weights every ROM is unplaced: fine then, an error from place-memories on
        let d = &s["pack-weights"];
        d.verify("pack-weights")
            .expect("unplaced is fine before placement");
        for stage in ["place-memories", "schedule"] {
            let e = d.verify(stage).expect_err("unplaced after placement");
            assert!(e.contains("memory left unplaced"), "{kind:?} {stage}: {e}");
        }
        // after place-memories nothing is scheduled: fine then, an error at schedule
        let d = &s["place-memories"];
        let e = d.verify("schedule").expect_err("not scheduled");
        assert!(
            e.contains("cycles_mv") || e.contains("cycles_per_step"),
            "{kind:?}: {e}"
        );
        // after lower nothing is folded: the schedule check says so
        let e = s["lower"].verify("schedule").expect_err("unfolded");
        assert!(e.contains("unfolded"), "{kind:?}: {e}");
        // a broken cycle count is only checked at schedule
        let mut d = s["schedule"].clone();
        d.cycles_per_step += 1;
        d.layers[0].cycles_mv += 1;
        d.verify("place-memories")
            .expect("cycles are not checked before schedule");
    }
}
