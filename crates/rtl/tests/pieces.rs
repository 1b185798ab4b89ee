//! Unit tests of `qrnn-rtl`'s public pieces that nothing else tests on its own:
//! - `generate` is deterministic: the same model and options give byte-identical files and manifest,
//!   and the IR dump (`Display`) is stable, for an LSTM, a GRU and a ConvLSTM;
//! - the pass registry lists `lower` and the pipeline in order;
//! - the printer gives identical text for the same module, and every generated module checks;
//! - the Verilog constructors refuse mismatched operands (internal-error panics);
//! - `bits_to_hex` packs bit 0 into the least significant digit;
//! - no generated memory has more than two read ports, and dense layers keep no register arrays
//!   of state (docs/HARDWARE.md §4.1).

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_rtl::build::uc;
use qrnn_rtl::passes::{bits_to_hex, pass_names, run_pipeline, Options};
use qrnn_rtl::verilog::*;

fn models() -> Vec<Model> {
    vec![
        example(&ExampleSpec {
            hidden: vec![4, 3],
            head: Some(2),
            ..ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 4, 21)
        }),
        example(&ExampleSpec {
            head: Some(2),
            ..ExampleSpec::new(Cell::Gru, Scheme::Int(4), 5, 3, 22)
        }),
        example(&ExampleSpec {
            head: Some(1),
            ..ExampleSpec::new(Cell::ConvLstm, Scheme::Binary, 2, 2, 23)
        }),
    ]
}

#[test]
fn generate_is_deterministic() {
    for m in models() {
        let opts = Options::default();
        let a = qrnn_rtl::generate(&m, &opts, |_, _| {}).expect("generates");
        let b = qrnn_rtl::generate(&m, &opts, |_, _| {}).expect("generates");
        assert!(!a.files.is_empty(), "{}", m.name);
        assert_eq!(a.files, b.files, "{}: files differ between runs", m.name);
        assert_eq!(
            serde_json::to_string(&a.manifest).expect("serialises"),
            serde_json::to_string(&b.manifest).expect("serialises"),
            "{}: manifests differ between runs",
            m.name
        );
        assert_eq!(a.design, b.design, "{}", m.name);
        assert_eq!(a.design.to_string(), b.design.to_string(), "{}", m.name);
        // files sorted by path, no path twice
        let paths: Vec<&String> = a.files.iter().map(|(p, _)| p).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(paths, sorted, "{}: files sorted and unique", m.name);
        assert_eq!(a.manifest.cycles_per_step, a.design.cycles_per_step);
    }
}

#[test]
fn the_ir_dump_names_every_engine_and_the_cycles() {
    for m in models() {
        let d = run_pipeline(&m, &Options::default(), |_, _| {}).expect("lowers");
        let text = d.to_string();
        for e in d.engines() {
            assert!(
                text.contains(&format!("engine {} ", e.id)),
                "{}: {text}",
                m.name
            );
        }
        assert!(
            text.contains(&format!("cycles/timestep {}", d.cycles_per_step)),
            "{text}"
        );
    }
}

#[test]
fn pass_names_are_lower_then_the_pipeline_in_order() {
    assert_eq!(
        pass_names(),
        [
            "lower",
            "fold",
            "size",
            "pack-weights",
            "place-memories",
            "schedule"
        ]
    );
}

#[test]
fn every_generated_module_checks_and_prints_identically() {
    for m in models() {
        let d = run_pipeline(&m, &Options::default(), |_, _| {}).expect("lowers");
        let (modules, _) = qrnn_rtl::elab::elaborate(&d).expect("elaborates");
        assert!(!modules.is_empty());
        for v in &modules {
            v.check()
                .unwrap_or_else(|e| panic!("{}: {}: {e}", m.name, v.name));
            let (a, b) = (print(v), print(&v.clone()));
            assert_eq!(a, b, "{}: {} prints differently", m.name, v.name);
            assert!(a.contains(&format!("module {} (", v.name)), "{a}");
        }
    }
}

/// docs/HARDWARE.md §4.1: no memory of any generated module has more than two read ports, over
/// LSTM, GRU and ConvLSTM designs at foldings that give one bank, several banks, `B > P` z banks
/// and wide lanes; and every dense layer's state is in RAM instances, not register arrays.
#[test]
fn no_generated_memory_has_more_than_two_read_ports() {
    let mut designs = 0;
    for m in models() {
        for (p, s) in [(1, 1), (1, 8), (2, 3), (3, 4), (5, 2), (8, 16)] {
            let mut opts = Options::default();
            opts.folds.add(&format!("all={p}x{s}")).expect("a fold");
            let d = run_pipeline(&m, &opts, |_, _| {}).expect("lowers");
            let (modules, _) = qrnn_rtl::elab::elaborate(&d).expect("elaborates");
            for v in &modules {
                for (a, n) in v.array_read_ports() {
                    assert!(
                        n <= qrnn_rtl::ir::MAX_READ_PORTS,
                        "{} at {p}x{s}: `{a}` of {} has {n} read ports",
                        m.name,
                        v.name
                    );
                }
            }
            let core = modules
                .iter()
                .find(|v| v.name == "qrnn_core")
                .expect("core");
            for (l, e) in d.layers.iter().enumerate() {
                if e.conv.is_none() {
                    let arrays: Vec<String> = core
                        .decls
                        .iter()
                        .filter_map(|(d, _)| match d {
                            Decl::Array(n, ..) => Some(n.clone()),
                            _ => None,
                        })
                        .collect();
                    for state in [
                        format!("l{l}_h_q"),
                        format!("l{l}_c_q"),
                        format!("l{l}_z_q"),
                    ] {
                        assert!(
                            !arrays.contains(&state),
                            "{}: {state} is a register array",
                            m.name
                        );
                    }
                    assert!(
                        core.instances
                            .iter()
                            .any(|i| i.name == format!("u_l{l}_h0_b0")),
                        "{}: layer {l}'s h is not in a RAM instance",
                        m.name
                    );
                }
            }
            designs += 1;
        }
    }
    assert_eq!(designs, 18);
}

/// The read-port count sees every read: a module that reads one array at three indices has three.
#[test]
fn read_ports_are_counted_per_distinct_index() {
    let mut m = Module::new("three");
    let i = m.input("i", Ty::u(2));
    let j = m.input("j", Ty::u(2));
    m.array("mem", Ty::u(4), 4, ArrayInit::None, None);
    let r = |e: Expr| Expr::Index("mem".into(), Box::new(e), Ty::u(4));
    let a = m.wire("a", r(i.clone()), None);
    let b = m.wire("b", r(j), None);
    let c = m.wire("c", r(uc(0, 2)), None);
    let q = m.reg("q", Ty::u(4), None);
    m.seq.push(Stmt::Assign("q".into(), r(i)));
    m.output("y", cat(vec![a, b, c, q]));
    m.check().expect("checks");
    assert_eq!(m.array_read_ports().get("mem"), Some(&3));
}

fn small_module() -> Module {
    let mut m = Module::new("tiny");
    let a = m.input("a", Ty::s(8));
    let b = m.input("b", Ty::s(8));
    let s = m.wire("s", add(a, b), Some("sum"));
    let q = m.reg("q", Ty::s(8), None);
    m.seq.push(Stmt::Assign("q".into(), s));
    m.output("y", q);
    m
}

#[test]
fn printing_the_same_construction_twice_gives_identical_text() {
    let (a, b) = (print(&small_module()), print(&small_module()));
    assert_eq!(a, b);
    small_module().check().expect("well-formed");
    assert!(a.contains("module tiny ("), "{a}");
}

#[test]
#[should_panic(expected = "differ in type")]
fn add_refuses_operands_of_different_widths() {
    let _ = add(konst(1, Ty::s(8)), konst(1, Ty::s(9)));
}

#[test]
#[should_panic(expected = "differ in type")]
fn add_refuses_operands_of_different_signedness() {
    let _ = add(konst(1, Ty::s(8)), konst(1, Ty::u(8)));
}

#[test]
#[should_panic(expected = "mux select must be 1 bit")]
fn mux_refuses_a_wide_select() {
    let _ = mux(konst(1, Ty::u(2)), konst(1, Ty::s(8)), konst(2, Ty::s(8)));
}

#[test]
#[should_panic(expected = "mux arms differ")]
fn mux_refuses_arms_of_different_types() {
    let _ = mux(konst(1, Ty::u(1)), konst(1, Ty::s(8)), konst(2, Ty::s(7)));
}

#[test]
#[should_panic(expected = "ext narrows")]
fn ext_refuses_to_narrow() {
    let _ = ext(konst(1, Ty::s(8)), 7);
}

#[test]
#[should_panic(expected = "slice out of range")]
fn slice_refuses_bits_past_the_top() {
    let _ = slice(konst(1, Ty::s(8)), 4, 5, false);
}

#[test]
#[should_panic(expected = "mul operands must be signed")]
fn mul_refuses_unsigned_operands() {
    let _ = mul(konst(1, Ty::u(8)), konst(1, Ty::s(8)));
}

#[test]
fn constructors_give_the_documented_types() {
    let a = konst(1, Ty::s(8));
    assert_eq!(mul(a.clone(), konst(1, Ty::s(5))).ty(), Ty::s(13));
    assert_eq!(ext(a.clone(), 12).ty(), Ty::s(12));
    assert_eq!(
        ext(a.clone(), 8),
        a,
        "ext to the same width is the identity"
    );
    assert_eq!(slice(a.clone(), 2, 3, true).ty(), Ty::s(3));
    assert_eq!(cat(vec![a.clone(), konst(0, Ty::u(3))]).ty(), Ty::u(11));
    assert_eq!(bin(BinOp::Lt, a.clone(), a.clone()).ty(), Ty::u(1));
    assert_eq!(cast(a.clone(), false).ty(), Ty::u(8));
}

#[test]
fn bits_to_hex_puts_bit_0_in_the_last_digit() {
    assert_eq!(bits_to_hex(&[]), "");
    assert_eq!(bits_to_hex(&[true]), "1");
    assert_eq!(bits_to_hex(&[false, false, false, true]), "8");
    assert_eq!(bits_to_hex(&[true, false, false, false, true]), "11");
    assert_eq!(bits_to_hex(&[true; 10]), "3ff");
}
