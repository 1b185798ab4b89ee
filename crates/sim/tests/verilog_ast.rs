//! The typed Verilog AST and its printer (`qrnn_rtl::verilog`), and the fixed-point builder
//! (`qrnn_rtl::build::B`):
//! - `Module::check` rejects width mismatches, undeclared names, wrongly typed references and
//!   duplicated declarations, and accepts a well-formed module;
//! - constructors refuse mismatched operands; the printer refuses to slice an unnamed expression;
//! - constants print as sized hex bit patterns (`12'shfff`), never as negative decimals;
//! - the same construction prints byte-identical text;
//! - `B::requant`, `B::sat`, `B::binarize`, `B::align` and `B::sum_tree`, printed and simulated with
//!   Icarus Verilog over every value of a 10-bit and a 3-bit input, equal `qrnn_model::fixed`'s
//!   `requant`, `sat`, `binarize` and modular alignment (NUMERICS.md §2) for right shifts (RHU),
//!   zero and left shifts, shifts wider than the value, and saturation to narrower and wider
//!   widths; the printed module is also `verilator --lint-only -Wall` clean.

mod common;

use qrnn_model::fixed::{binarize, requant, sat};
use qrnn_model::Fmt;
use qrnn_rtl::build::B;
use qrnn_rtl::verilog::*;
use qrnn_sim::Tool;
use std::process::Command;

fn err_of(m: &Module) -> String {
    m.check().expect_err("the module must not check")
}

#[test]
fn check_accepts_a_well_formed_module() {
    let mut m = Module::new("ok");
    let clk = m.input("clk", Ty::u(1));
    let a = m.input("a", Ty::s(8));
    let b = m.input("b", Ty::s(8));
    let s = m.wire("s", add(a.clone(), b), None);
    let q = m.reg("q", Ty::s(8), Some("a register"));
    m.seq.push(Stmt::If(
        clk,
        vec![Stmt::Assign("q".into(), s)],
        vec![Stmt::Assign("q".into(), a)],
    ));
    m.output("y", q);
    m.check().expect("well-formed");
}

#[test]
fn check_rejects_a_wire_width_mismatch() {
    let mut m = Module::new("bad_wire");
    let a = m.input("a", Ty::s(8));
    // a 9-bit wire given an 8-bit value (bypassing `Module::wire`, which takes the value's type)
    m.decls
        .push((Decl::Wire("w".into(), Ty::s(9), Some(a)), None));
    let e = err_of(&m);
    assert!(e.contains("bad_wire") && e.contains("`w`"), "{e}");
    assert!(e.contains("9 bits") && e.contains('8'), "{e}");
}

#[test]
fn check_rejects_an_assignment_width_mismatch() {
    let mut m = Module::new("bad_assign");
    let a = m.input("a", Ty::s(8));
    m.decls
        .push((Decl::Output("y".into(), Ty::s(4), false), None));
    m.assigns.push(("y".into(), a.clone()));
    let e = err_of(&m);
    assert!(e.contains("`y`"), "{e}");

    let mut m = Module::new("bad_reg");
    let a = m.input("a", Ty::s(8));
    m.reg("q", Ty::s(7), None);
    m.seq.push(Stmt::Assign("q".into(), a));
    let e = err_of(&m);
    assert!(e.contains("`q`") && e.contains("8 bits"), "{e}");
}

#[test]
fn check_rejects_mismatched_operands_built_by_hand() {
    let mut m = Module::new("bad_op");
    let a = m.input("a", Ty::s(8));
    let b = m.input("b", Ty::s(9));
    let e = Expr::Bin(BinOp::Add, Box::new(a), Box::new(b), Ty::s(9));
    m.wire("w", e, None);
    let e = err_of(&m);
    assert!(e.contains("operands differ"), "{e}");
}

#[test]
fn check_rejects_an_undeclared_name() {
    let mut m = Module::new("undeclared");
    let a = m.input("a", Ty::s(8));
    let ghost = Expr::Ref("ghost".into(), Ty::s(8));
    m.wire("w", add(a, ghost), None);
    let e = err_of(&m);
    assert!(e.contains("`ghost` is not declared"), "{e}");

    let mut m = Module::new("undeclared_target");
    let a = m.input("a", Ty::s(8));
    m.assigns.push(("nowhere".into(), a));
    let e = err_of(&m);
    assert!(e.contains("nowhere"), "{e}");
}

#[test]
fn check_rejects_a_reference_with_the_wrong_type() {
    let mut m = Module::new("retyped");
    m.input("a", Ty::s(8));
    // `a` is signed 8 bits; refer to it as unsigned 8 bits
    m.wire("w", Expr::Ref("a".into(), Ty::u(8)), None);
    let e = err_of(&m);
    assert!(e.contains("`a` used as"), "{e}");
}

#[test]
fn check_rejects_a_duplicated_declaration() {
    let mut m = Module::new("dup");
    let a = m.input("a", Ty::s(8));
    m.reg("a", Ty::s(8), None);
    m.output("y", a);
    let e = err_of(&m);
    assert!(e.contains("`a` declared twice"), "{e}");

    let mut m = Module::new("dup_wire");
    let a = m.input("a", Ty::s(8));
    m.wire("w", a.clone(), None);
    m.wire("w", a, None);
    assert!(err_of(&m).contains("`w` declared twice"));
}

#[test]
#[should_panic(expected = "differ in type")]
fn constructors_refuse_mismatched_operands() {
    let _ = add(
        Expr::Ref("a".into(), Ty::s(8)),
        Expr::Ref("b".into(), Ty::u(8)),
    );
}

#[test]
#[should_panic(expected = "name it with a wire first")]
fn printer_refuses_to_slice_an_unnamed_expression() {
    let a = Expr::Ref("a".into(), Ty::s(8));
    let _ = expr(&slice(add(a.clone(), a), 0, 4, true));
}

#[test]
fn constants_print_as_sized_hex() {
    let cases: &[(i128, Ty, &str)] = &[
        (-1, Ty::s(12), "12'shfff"),
        (-2048, Ty::s(12), "12'sh800"),
        (2047, Ty::s(12), "12'sh7ff"),
        (-3, Ty::s(12), "12'shffd"),
        (0, Ty::s(9), "9'sh0"),
        (5, Ty::u(4), "4'h5"),
        (300, Ty::u(8), "8'h2c"), // wrapped to the width
        (-1, Ty::u(3), "3'h7"),   // the bit pattern of -1
        (1, Ty::u(1), "1'h1"),
        (-1, Ty::s(64), "64'shffffffffffffffff"),
        (i128::from(i64::MIN), Ty::s(64), "64'sh8000000000000000"),
    ];
    for (v, t, want) in cases {
        assert_eq!(expr(&konst(*v, *t)), *want, "konst({v}, {t:?})");
    }
    // inside a module: no negative decimal constant anywhere
    let mut b = B::new("consts");
    let x = b.m.input("x", Ty::s(6));
    let y = b.requant(x, 2, 3);
    b.m.output("y", y);
    let text = print(&b.m);
    // requant to 3 bits of a 6-bit value shifted by 2: the half is 7'sh2; saturation at 3 and
    // -4 (3'sh4), decided on x itself beside the rounding (B::requant_parts): round(x) > 3 ⇔
    // x ≥ 14 (x > 6'shd), round(x) < -4 ⇔ x < -18 (6'sh2e)
    for c in ["7'sh2", "3'sh3", "3'sh4", "6'shd", "6'sh2e"] {
        assert!(text.contains(c), "{c} in:\n{text}");
    }
    for (i, c) in text.char_indices() {
        if c == '-' {
            let next = text[i + 1..].chars().next().unwrap_or(' ');
            assert!(!next.is_ascii_digit(), "negative decimal in:\n{text}");
        }
    }
}

#[test]
fn extensions_and_slices_print_explicitly() {
    let a = Expr::Ref("a".into(), Ty::s(8));
    let u = Expr::Ref("u".into(), Ty::u(8));
    assert_eq!(expr(&ext(a.clone(), 12)), "$signed({{4{a[7]}}, a})");
    assert_eq!(expr(&ext(u.clone(), 12)), "{4'h0, u}");
    assert_eq!(expr(&slice(a.clone(), 2, 3, true)), "$signed(a[4:2])");
    assert_eq!(expr(&slice(u.clone(), 7, 1, false)), "u[7]");
    assert_eq!(expr(&sra(a.clone(), 3)), "a >>> 3");
    assert_eq!(expr(&shl(u.clone(), 1)), "u << 1");
    assert_eq!(expr(&cast(u, true)), "$signed(u)");
    assert_eq!(
        expr(&mux(
            Expr::Ref("c".into(), Ty::u(1)),
            neg(a.clone()),
            konst(0, Ty::s(8))
        )),
        "c ? (-a) : 8'sh0"
    );
    assert_eq!(
        expr(&mul(a, Expr::Ref("b".into(), Ty::s(4)))),
        "a * b",
        "a product of two signed operands"
    );
}

/// A small module exercising every declaration kind, built from scratch each time.
fn sample() -> Module {
    let mut b = B::new("sample");
    b.m.comment = vec!["a sample".into()];
    let _clk = b.m.input("clk", Ty::u(1));
    let x = b.m.input("x", Ty::s(10));
    let sel = b.m.input("sel", Ty::u(2));
    b.m.param("DEPTH", 4);
    b.m.array(
        "mem",
        Ty::u(8),
        4,
        ArrayInit::Hex("rtl/rom/m.hex".into()),
        None,
    );
    let r = b.requant(x.clone(), 3, 6);
    let s = b.sat(x.clone(), 4);
    let z = b.binarize(x.clone());
    let t = b.sum_tree("acc", vec![x.clone(), x.clone(), x], 12);
    let q = b.m.reg("q", Ty::s(6), Some("state"));
    b.m.seq.push(Stmt::Case(
        sel.clone(),
        vec![
            (0, vec![Stmt::Assign("q".into(), r)]),
            (1, vec![Stmt::Comment("hold".into())]),
        ],
        vec![Stmt::Assign("q".into(), konst(-1, Ty::s(6)))],
    ));
    let m0 = Expr::Index("mem".into(), Box::new(sel), Ty::u(8));
    b.m.output("y", q);
    b.m.output("s", s);
    b.m.output("z", z);
    b.m.output("t", t);
    b.m.output("m", m0);
    b.m
}

#[test]
fn the_same_construction_prints_identical_text() {
    let (a, b) = (sample(), sample());
    a.check().expect("sample checks");
    assert_eq!(a, b);
    let (ta, tb) = (print(&a), print(&b));
    assert_eq!(ta, tb);
    assert_eq!(ta, print(&a), "printing twice");
    assert!(ta.starts_with("// a sample\nmodule sample (\n"), "{ta}");
    assert!(ta.contains("$readmemh(\"rtl/rom/m.hex\", mem);"), "{ta}");
    assert!(ta.contains("localparam DEPTH = 4;"), "{ta}");
    assert!(ta.contains("/* verilator lint_off UNUSEDSIGNAL */"), "{ta}");
    assert!(ta.trim_end().ends_with("endmodule"), "{ta}");
}

// ------------------------------------------------------------------ simulated arithmetic

/// What an output of the arithmetic module computes, for the reference.
#[derive(Clone, Copy, Debug)]
enum Op {
    Requant(i32, u32),
    Sat(u32),
    Binarize,
    Align(i32, u32),
    /// `v + u + v` in the given width.
    Sum(u32),
}

/// Inputs: `v` (signed 10 bits) and `u` (signed 3 bits).
const VW: u32 = 10;
const UW: u32 = 3;

fn ops() -> Vec<(bool, Op)> {
    let mut v = Vec::new();
    // (on u?, op)
    for d in [-3, -1, 0, 1, 2, 3, 5, 9, 10, 11, 14] {
        for w in [2, 3, 6, 10, 12, 16] {
            v.push((false, Op::Requant(d, w)));
        }
    }
    for d in [-2, 0, 1, 2, 3, 4, 7] {
        for w in [2, 3, 5] {
            v.push((true, Op::Requant(d, w)));
        }
    }
    for w in [2, 5, 9, 10, 11] {
        v.push((false, Op::Sat(w)));
    }
    v.push((false, Op::Binarize));
    v.push((true, Op::Binarize));
    for (s, w) in [(0, 10), (2, 12), (3, 8), (1, 6)] {
        v.push((false, Op::Align(s, w)));
    }
    v.push((false, Op::Sum(12)));
    v.push((false, Op::Sum(8)));
    v
}

fn wrap(v: i64, w: u32) -> i64 {
    let m = 1i64 << w;
    let r = v.rem_euclid(m);
    if r >= m / 2 {
        r - m
    } else {
        r
    }
}

fn reference(op: Op, x: i64, u: i64) -> i64 {
    match op {
        Op::Requant(d, w) => requant(x, d, Fmt { width: w, frac: 0 }),
        Op::Sat(w) => sat(x, w),
        Op::Binarize => i64::from(binarize(x) > 0),
        Op::Align(s, w) => wrap(x << s, w),
        Op::Sum(w) => wrap(x + u + x, w),
    }
}

fn arith_module() -> (Module, Vec<(bool, Op, String, Ty)>) {
    let mut b = B::new("arith");
    let v = b.m.input("v", Ty::s(VW));
    let u = b.m.input("u", Ty::s(UW));
    let mut outs = Vec::new();
    for (k, (on_u, op)) in ops().into_iter().enumerate() {
        let x = if on_u { u.clone() } else { v.clone() };
        let e = match op {
            Op::Requant(d, w) => b.requant(x, d, w),
            Op::Sat(w) => b.sat(x, w),
            Op::Binarize => b.binarize(x),
            Op::Align(s, w) => b.align(x, s, w),
            Op::Sum(w) => b.sum_tree("sum", vec![v.clone(), u.clone(), v.clone()], w),
        };
        let name = format!("o{k}");
        outs.push((on_u, op, name.clone(), e.ty()));
        b.m.output(&name, e);
    }
    (b.m, outs)
}

#[test]
fn builder_arithmetic_matches_the_numerics_in_simulation() {
    let (m, outs) = arith_module();
    m.check().expect("the arithmetic module checks");
    if !common::have(&[Tool::iverilog(), Tool::vvp()]) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("qrnn-arith-")
        .tempdir()
        .unwrap();
    let dut = print(&m);
    std::fs::write(dir.path().join("arith.v"), &dut).unwrap();
    let mut tb = String::from("`timescale 1ns/1ns\nmodule tb;\n");
    tb.push_str(&format!(
        "    reg signed [{}:0] v;\n    reg signed [{}:0] u;\n    integer i;\n",
        VW - 1,
        UW - 1
    ));
    for (_, _, n, t) in &outs {
        tb.push_str(&format!(
            "    wire {}[{}:0] {n};\n",
            if t.signed { "signed " } else { "" },
            t.width - 1
        ));
    }
    tb.push_str("    arith dut (.v(v), .u(u)");
    for (_, _, n, _) in &outs {
        tb.push_str(&format!(", .{n}({n})"));
    }
    tb.push_str(");\n    initial begin\n");
    tb.push_str(&format!(
        "        for (i = 0; i < {}; i = i + 1) begin\n            v = i;\n            u = i;\n            #1;\n            $write(\"%0d %0d\", v, u);\n",
        1 << VW
    ));
    for (_, _, n, _) in &outs {
        tb.push_str(&format!("            $write(\" %0d\", {n});\n"));
    }
    tb.push_str(
        "            $write(\"\\n\");\n        end\n        $finish;\n    end\nendmodule\n",
    );
    std::fs::write(dir.path().join("tb.v"), &tb).unwrap();
    let run = |cmd: &str, args: &[&str]| {
        let o = Command::new(cmd)
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            o.status.success(),
            "{cmd} {args:?} failed:\n{text}\n--- dut:\n{dut}"
        );
        text
    };
    run(
        &Tool::iverilog().cmd,
        &["-g2005", "-s", "tb", "-o", "tb.vvp", "tb.v", "arith.v"],
    );
    let out = run(&Tool::vvp().cmd, &["-n", "tb.vvp"]);
    let mut rows = 0;
    let mut checked = 0u64;
    for line in out.lines().filter(|l| {
        l.chars()
            .next()
            .is_some_and(|c| c == '-' || c.is_ascii_digit())
    }) {
        let vals: Vec<i64> = line
            .split_whitespace()
            .map(|t| t.parse().unwrap_or_else(|_| panic!("bad line {line:?}")))
            .collect();
        assert_eq!(vals.len(), 2 + outs.len(), "{line}");
        let (x, u) = (vals[0], vals[1]);
        for ((on_u, op, name, t), got) in outs.iter().zip(&vals[2..]) {
            let input = if *on_u { u } else { x };
            let want = reference(*op, input, u);
            assert_eq!(
                *got,
                want,
                "{op:?} of {} = {input} ({name}, {t:?}): hardware {got}, qrnn_model::fixed {want}",
                if *on_u { "u" } else { "v" }
            );
            checked += 1;
        }
        rows += 1;
    }
    assert_eq!(rows, 1 << VW, "every input value simulated:\n{out}");
    eprintln!(
        "{checked} values of {} operations equal qrnn_model::fixed",
        outs.len()
    );

    // the lint of the builder's output is not optional: under QRNN_REQUIRE_TOOLS=1 a missing
    // Verilator fails the test
    if common::have(&[Tool::verilator()]) {
        let o = Command::new(Tool::verilator().cmd)
            .current_dir(dir.path())
            .args(["--lint-only", "-Wall", "--top-module", "arith", "arith.v"])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "verilator --lint-only -Wall on the builder's output:\n{}{}\n--- dut:\n{dut}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
