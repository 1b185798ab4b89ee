//! Negative tests for the `cycle_terms` checks of `Design::verify` (after `schedule`): the terms
//! sum to `cycles_per_step`, and every term's numeric expression evaluates to its cycles. Each case
//! breaks exactly that one invariant of a scheduled LSTM, GRU or ConvLSTM design (the per-phase
//! cycle counts and their sum stay right) and asserts the error names it. The other checks of
//! `verify` are covered in `verify.rs`.

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Model, Scheme};
use qrnn_rtl::ir::Design;
use qrnn_rtl::passes::{run_pipeline, Options};

fn models() -> Vec<Model> {
    vec![
        example(&ExampleSpec {
            hidden: vec![4, 3],
            head: Some(2),
            ..ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 4, 31)
        }),
        example(&ExampleSpec {
            head: Some(2),
            ..ExampleSpec::new(Cell::Gru, Scheme::Binary, 5, 3, 32)
        }),
        example(&ExampleSpec {
            head: Some(1),
            ..ExampleSpec::new(Cell::ConvLstm, Scheme::Ternary, 2, 3, 33)
        }),
    ]
}

fn scheduled(m: &Model) -> Design {
    let d = run_pipeline(m, &Options::default(), |_, _| {}).expect("lowers");
    d.verify("schedule").expect("a scheduled design verifies");
    assert!(!d.cycle_terms.is_empty(), "{}: no cycle terms", m.name);
    d
}

type Break = fn(&mut Design);

#[test]
fn verify_refuses_broken_cycle_terms() {
    let cases: [(&str, Break, &[&str]); 4] = [
        (
            "a term one cycle more (its expression with it): terms no longer sum to the total",
            |d| {
                let t = d.cycle_terms.last_mut().expect("terms");
                t.cycles += 1;
                t.numeric = format!("{} + 1", t.numeric);
            },
            &["latency", "sum of cycle terms"],
        ),
        (
            "a term missing: terms no longer sum to the total",
            |d| {
                let i = d
                    .cycle_terms
                    .iter()
                    .position(|t| t.cycles > 0)
                    .expect("a term");
                d.cycle_terms.remove(i);
            },
            &["latency", "sum of cycle terms"],
        ),
        (
            "a term's expression that evaluates to one more than its cycles",
            |d| {
                let t = &mut d.cycle_terms[0];
                t.numeric = format!("({}) + 1", t.numeric);
            },
            &["cycle term", "evaluates to", "not"],
        ),
        (
            "a term's expression that does not parse",
            |d| {
                let t = d.cycle_terms.last_mut().expect("terms");
                t.numeric = format!("{} +", t.numeric);
            },
            &["cycle term", "evaluates to Err"],
        ),
    ];
    let mut failures = Vec::new();
    for m in models() {
        let good = scheduled(&m);
        for (what, break_it, expect) in &cases {
            let mut d = good.clone();
            break_it(&mut d);
            match d.verify("schedule") {
                Ok(()) => failures.push(format!("{}: {what}: accepted", m.name)),
                Err(e) => {
                    let missing: Vec<_> = expect.iter().filter(|f| !e.contains(**f)).collect();
                    if !missing.is_empty() {
                        failures.push(format!("{}: {what}: `{e}` lacks {missing:?}", m.name));
                    }
                }
            }
            // the per-phase checks before it are untouched: the design verifies before schedule
            d.verify("place-memories")
                .unwrap_or_else(|e| panic!("{}: {what}: broke more than the terms: {e}", m.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
