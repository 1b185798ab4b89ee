//! A small typed Verilog-2005 AST and its one deterministic printer.
//!
//! Every expression carries its width and signedness ([`Ty`]); constructors check operand widths,
//! so the printed Verilog never relies on Verilog's context-dependent width and sign rules:
//! - arithmetic (`Add`, `Sub`, `Neg`) takes operands of the result's width and signedness;
//! - only `Ext` (sign or zero extension), `Slice` (truncation) and `Mul` change widths, and `Mul`'s
//!   result is exactly `wa + wb` bits of two signed operands (the idiom every tool agrees on);
//! - constants are printed as sized hex bit patterns (`12'sh800`), never as negative decimals.
//!
//! [`Module::check`] re-verifies a whole module: every referenced name declared once, every assignment
//! width-exact. The printer emits names, declarations and statements in insertion order: the same
//! construction gives byte-identical text.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Width and signedness of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ty {
    /// Bits (≥ 1).
    pub width: u32,
    /// Two's complement if true.
    pub signed: bool,
}

impl Ty {
    /// A signed type.
    pub fn s(width: u32) -> Ty {
        Ty {
            width,
            signed: true,
        }
    }
    /// An unsigned type.
    pub fn u(width: u32) -> Ty {
        Ty {
            width,
            signed: false,
        }
    }
    fn decl(self) -> String {
        let s = if self.signed { "signed " } else { "" };
        format!("{s}[{}:0] ", self.width - 1)
    }
}

/// Binary operators with same-width operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+` (result width = operand width).
    Add,
    /// `-`.
    Sub,
    /// `&`.
    And,
    /// `|`.
    Or,
    /// `^`.
    Xor,
    /// `==` (1-bit unsigned result).
    Eq,
    /// `!=`.
    Ne,
    /// `<` (signedness from the operands).
    Lt,
    /// `>`.
    Gt,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A declared signal or port (with its type).
    Ref(String, Ty),
    /// An element of a declared array: `name[index]`.
    Index(String, Box<Expr>, Ty),
    /// A constant bit pattern.
    Const(i128, Ty),
    /// A wide constant given as hex digits (most significant first), for ROM words.
    ConstHex(String, Ty),
    /// Binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>, Ty),
    /// Signed multiplication of two signed operands, result `wa + wb` bits.
    Mul(Box<Expr>, Box<Expr>, Ty),
    /// Two's complement negation (same width).
    Neg(Box<Expr>, Ty),
    /// Bitwise not.
    Not(Box<Expr>, Ty),
    /// `c ? a : b`, `c` 1 bit, `a`/`b` the result type.
    Mux(Box<Expr>, Box<Expr>, Box<Expr>, Ty),
    /// Extension to a wider type: sign-extends a signed operand, zero-extends an unsigned one.
    Ext(Box<Expr>, Ty),
    /// Bits `[lo + width - 1 : lo]` of a signal reference (truncation or field selection).
    Slice(Box<Expr>, u32, Ty),
    /// Arithmetic shift right by a constant (signed operand, same width).
    Sra(Box<Expr>, u32, Ty),
    /// Shift left by a constant (same width; bits shifted out are lost).
    Shl(Box<Expr>, u32, Ty),
    /// Concatenation, most significant first (unsigned result).
    Cat(Vec<Expr>, Ty),
    /// Reinterpret the bits with another signedness (same width).
    Cast(Box<Expr>, Ty),
}

impl Expr {
    /// Type of the expression.
    pub fn ty(&self) -> Ty {
        match self {
            Expr::Ref(_, t)
            | Expr::Index(_, _, t)
            | Expr::Const(_, t)
            | Expr::ConstHex(_, t)
            | Expr::Bin(_, _, _, t)
            | Expr::Mul(_, _, t)
            | Expr::Neg(_, t)
            | Expr::Not(_, t)
            | Expr::Mux(_, _, _, t)
            | Expr::Ext(_, t)
            | Expr::Slice(_, _, t)
            | Expr::Sra(_, _, t)
            | Expr::Shl(_, _, t)
            | Expr::Cat(_, t)
            | Expr::Cast(_, t) => *t,
        }
    }
    /// Width.
    pub fn width(&self) -> u32 {
        self.ty().width
    }
}

/// Constant of a type (the value is wrapped to the width).
pub fn konst(v: i128, ty: Ty) -> Expr {
    Expr::Const(v, ty)
}

/// Binary operation; panics (internal error) on mismatched operand types.
pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    let (ta, tb) = (a.ty(), b.ty());
    assert_eq!(
        ta, tb,
        "internal error: {op:?} operands {a:?} / {b:?} differ in type"
    );
    let t = match op {
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Gt => Ty::u(1),
        _ => ta,
    };
    Expr::Bin(op, Box::new(a), Box::new(b), t)
}

/// `a + b`.
pub fn add(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Add, a, b)
}
/// `a - b`.
pub fn sub(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Sub, a, b)
}
/// `-a`.
pub fn neg(a: Expr) -> Expr {
    let t = a.ty();
    Expr::Neg(Box::new(a), t)
}
/// `~a`.
pub fn not(a: Expr) -> Expr {
    let t = a.ty();
    Expr::Not(Box::new(a), t)
}
/// `c ? a : b`.
pub fn mux(c: Expr, a: Expr, b: Expr) -> Expr {
    assert_eq!(c.width(), 1, "internal error: mux select must be 1 bit");
    assert_eq!(
        a.ty(),
        b.ty(),
        "internal error: mux arms differ: {a:?} / {b:?}"
    );
    let t = a.ty();
    Expr::Mux(Box::new(c), Box::new(a), Box::new(b), t)
}
/// Extend to `width` (sign or zero by the operand's signedness); identity if already that wide.
pub fn ext(a: Expr, width: u32) -> Expr {
    let t = a.ty();
    assert!(
        width >= t.width,
        "internal error: ext narrows {} -> {width}",
        t.width
    );
    if width == t.width {
        return a;
    }
    Expr::Ext(
        Box::new(a),
        Ty {
            width,
            signed: t.signed,
        },
    )
}
/// The same bits as `a`, typed unsigned: an extension keeps its fill (a signed operand's
/// extension still replicates the sign bit) but prints as a plain concatenation, anything else is
/// `$unsigned(..)`. An adder over such operands is an unsigned (modular) cell in synthesis, which
/// yosys' `alumacc` does not merge into a multi-operand `$macc` (docs/HARDWARE.md §4.7).
pub fn bits(a: Expr) -> Expr {
    match a {
        Expr::Ext(x, t) => Expr::Ext(x, Ty::u(t.width)),
        e if !e.ty().signed => e,
        e => cast(e, false),
    }
}
/// Bits `[lo + width - 1 : lo]`, unsigned unless `signed`.
pub fn slice(a: Expr, lo: u32, width: u32, signed: bool) -> Expr {
    assert!(
        lo + width <= a.width(),
        "internal error: slice out of range"
    );
    Expr::Slice(Box::new(a), lo, Ty { width, signed })
}
/// Signed product of two signed operands, `wa + wb` bits.
pub fn mul(a: Expr, b: Expr) -> Expr {
    assert!(
        a.ty().signed && b.ty().signed,
        "internal error: mul operands must be signed"
    );
    let t = Ty::s(a.width() + b.width());
    Expr::Mul(Box::new(a), Box::new(b), t)
}
/// Arithmetic shift right by a constant.
pub fn sra(a: Expr, s: u32) -> Expr {
    let t = a.ty();
    Expr::Sra(Box::new(a), s, t)
}
/// Shift left by a constant.
pub fn shl(a: Expr, s: u32) -> Expr {
    let t = a.ty();
    Expr::Shl(Box::new(a), s, t)
}
/// Reinterpret signedness.
pub fn cast(a: Expr, signed: bool) -> Expr {
    let t = Ty {
        width: a.width(),
        signed,
    };
    Expr::Cast(Box::new(a), t)
}
/// Concatenation (unsigned).
pub fn cat(parts: Vec<Expr>) -> Expr {
    let w = parts.iter().map(|p| p.width()).sum();
    Expr::Cat(parts, Ty::u(w))
}

/// A declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Decl {
    /// `input wire`.
    Input(String, Ty),
    /// `output wire` (driven by an assign) or `output reg`.
    Output(String, Ty, bool),
    /// `wire` with an optional continuous assignment.
    Wire(String, Ty, Option<Expr>),
    /// `reg`.
    Reg(String, Ty),
    /// `reg [..] name [0:depth-1]`, optionally initialised from a hex file or constant contents.
    Array(String, Ty, usize, ArrayInit),
    /// `localparam`.
    Param(String, i128),
}

/// Initial contents of an array.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayInit {
    /// None (run-time state).
    None,
    /// `$readmemh(path)` in an initial block.
    Hex(String),
}

/// A statement inside `always @(posedge clk)`.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `name <= e;`
    Assign(String, Expr),
    /// `name[index] <= e;`
    AssignIndex(String, Expr, Expr),
    /// `if (c) begin .. end else begin .. end`
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `case (sel) k: ...; default: ... endcase` (constant keys).
    Case(Expr, Vec<(i128, Vec<Stmt>)>, Vec<Stmt>),
    /// A comment line.
    Comment(String),
}

/// A module instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// Module name.
    pub module: String,
    /// Instance name.
    pub name: String,
    /// Port connections in order.
    pub ports: Vec<(String, Expr)>,
}

/// A Verilog module.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Module {
    /// Name.
    pub name: String,
    /// Header comment lines (provenance).
    pub comment: Vec<String>,
    /// Declarations in order (ports first).
    pub decls: Vec<(Decl, Option<String>)>,
    /// Sequential statements (one `always @(posedge clk)` block).
    pub seq: Vec<Stmt>,
    /// Instances.
    pub instances: Vec<Instance>,
    /// Continuous assignments to outputs/wires declared without a value.
    pub assigns: Vec<(String, Expr)>,
    /// Wires only some of whose bits are read (rounding and sign bits dropped at a named point);
    /// the printer wraps their declarations in a targeted Verilator `UNUSEDSIGNAL` waiver.
    pub partial: std::collections::BTreeSet<String>,
    /// Synthesis attributes of declarations, printed as `(* … *)` before them (e.g. an array's
    /// `ram_style = "block"`).
    pub attrs: BTreeMap<String, String>,
    /// Simulation-only views (docs/HARDWARE.md §2), printed between `` `ifndef SYNTHESIS `` and
    /// `` `endif ``.
    pub views: Vec<View>,
}

/// A simulation-only wire array whose element `i` is word `elems[i].1` of the `mem` array of
/// instance `elems[i].0`: how the testbench reads state held in RAM instances.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// Array name.
    pub name: String,
    /// Element type.
    pub ty: Ty,
    /// Per element: (instance name, word address in its `mem`).
    pub elems: Vec<(String, usize)>,
    /// A memory of two halves (docs/HARDWARE.md §4.1): element address `a` is word `2·a + h`,
    /// where `h` is this 1-bit signal (the half to show).
    pub half: Option<String>,
    /// What it shows.
    pub comment: String,
}

impl Module {
    /// A new empty module.
    pub fn new(name: impl Into<String>) -> Module {
        Module {
            name: name.into(),
            ..Default::default()
        }
    }
    /// Declare an input port and return a reference to it.
    pub fn input(&mut self, name: &str, ty: Ty) -> Expr {
        self.decls.push((Decl::Input(name.into(), ty), None));
        Expr::Ref(name.into(), ty)
    }
    /// Declare an output port driven by `assign`.
    pub fn output(&mut self, name: &str, e: Expr) {
        let ty = e.ty();
        self.decls
            .push((Decl::Output(name.into(), ty, false), None));
        self.assigns.push((name.into(), e));
    }
    /// Declare a named wire with a value; returns a reference.
    pub fn wire(&mut self, name: &str, e: Expr, comment: Option<&str>) -> Expr {
        let ty = e.ty();
        self.decls.push((
            Decl::Wire(name.into(), ty, Some(e)),
            comment.map(str::to_string),
        ));
        Expr::Ref(name.into(), ty)
    }
    /// Declare a wire driven later (by an instance output).
    pub fn wire_decl(&mut self, name: &str, ty: Ty) -> Expr {
        self.decls.push((Decl::Wire(name.into(), ty, None), None));
        Expr::Ref(name.into(), ty)
    }
    /// Declare a register; returns a reference.
    pub fn reg(&mut self, name: &str, ty: Ty, comment: Option<&str>) -> Expr {
        self.decls
            .push((Decl::Reg(name.into(), ty), comment.map(str::to_string)));
        Expr::Ref(name.into(), ty)
    }
    /// Declare an array.
    pub fn array(
        &mut self,
        name: &str,
        ty: Ty,
        depth: usize,
        init: ArrayInit,
        comment: Option<&str>,
    ) {
        self.decls.push((
            Decl::Array(name.into(), ty, depth, init),
            comment.map(str::to_string),
        ));
    }
    /// Declare a localparam.
    pub fn param(&mut self, name: &str, v: i128) {
        self.decls.push((Decl::Param(name.into(), v), None));
    }

    /// Read ports of each array: the distinct index expressions it is read at, anywhere in the
    /// module (docs/HARDWARE.md §4.1: at most two per memory).
    pub fn array_read_ports(&self) -> BTreeMap<String, usize> {
        fn walk(e: &Expr, out: &mut BTreeMap<String, std::collections::BTreeSet<String>>) {
            match e {
                Expr::Index(n, i, _) => {
                    out.entry(n.clone()).or_default().insert(expr(i));
                    walk(i, out);
                }
                Expr::Ref(..) | Expr::Const(..) | Expr::ConstHex(..) => {}
                Expr::Bin(_, a, b, _) | Expr::Mul(a, b, _) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Neg(a, _)
                | Expr::Not(a, _)
                | Expr::Ext(a, _)
                | Expr::Slice(a, _, _)
                | Expr::Sra(a, _, _)
                | Expr::Shl(a, _, _)
                | Expr::Cast(a, _) => walk(a, out),
                Expr::Mux(c, a, b, _) => {
                    walk(c, out);
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Cat(v, _) => v.iter().for_each(|x| walk(x, out)),
            }
        }
        fn stmts(ss: &[Stmt], out: &mut BTreeMap<String, std::collections::BTreeSet<String>>) {
            for s in ss {
                match s {
                    Stmt::Assign(_, e) => walk(e, out),
                    Stmt::AssignIndex(_, i, e) => {
                        walk(i, out);
                        walk(e, out);
                    }
                    Stmt::If(c, a, b) => {
                        walk(c, out);
                        stmts(a, out);
                        stmts(b, out);
                    }
                    Stmt::Case(c, arms, d) => {
                        walk(c, out);
                        arms.iter().for_each(|(_, a)| stmts(a, out));
                        stmts(d, out);
                    }
                    Stmt::Comment(_) => {}
                }
            }
        }
        let mut out = BTreeMap::new();
        for (d, _) in &self.decls {
            if let Decl::Wire(_, _, Some(e)) = d {
                walk(e, &mut out);
            }
        }
        self.assigns.iter().for_each(|(_, e)| walk(e, &mut out));
        self.instances
            .iter()
            .flat_map(|i| i.ports.iter())
            .for_each(|(_, e)| walk(e, &mut out));
        stmts(&self.seq, &mut out);
        out.into_iter().map(|(k, v)| (k, v.len())).collect()
    }

    /// Verify the module: unique declarations, references to declared names with their declared
    /// types, assignment widths exact. Returns the first problem.
    pub fn check(&self) -> Result<(), String> {
        let mut names: BTreeMap<&str, (Ty, bool)> = BTreeMap::new(); // (type, is_array)
        for (d, _) in &self.decls {
            let (n, t, arr) = match d {
                Decl::Input(n, t)
                | Decl::Output(n, t, _)
                | Decl::Wire(n, t, _)
                | Decl::Reg(n, t) => (n.as_str(), *t, false),
                Decl::Array(n, t, _, _) => (n.as_str(), *t, true),
                Decl::Param(n, _) => (n.as_str(), Ty::s(32), false),
            };
            if names.insert(n, (t, arr)).is_some() {
                return Err(format!("{}: `{n}` declared twice", self.name));
            }
            if t.width == 0 {
                return Err(format!("{}: `{n}` has width 0", self.name));
            }
        }
        let chk = |e: &Expr| check_expr(e, &names).map_err(|m| format!("{}: {m}", self.name));
        for (d, _) in &self.decls {
            if let Decl::Wire(n, t, Some(e)) = d {
                chk(e)?;
                if e.ty().width != t.width {
                    return Err(format!(
                        "{}: wire `{n}` is {} bits, its value {}",
                        self.name,
                        t.width,
                        e.width()
                    ));
                }
            }
        }
        for (n, e) in &self.assigns {
            chk(e)?;
            let (t, _) = names
                .get(n.as_str())
                .ok_or_else(|| format!("{}: assign to undeclared `{n}`", self.name))?;
            if t.width != e.width() {
                return Err(format!(
                    "{}: assign `{n}` ({} bits) = {} bits",
                    self.name,
                    t.width,
                    e.width()
                ));
            }
        }
        fn stmts(ss: &[Stmt], names: &BTreeMap<&str, (Ty, bool)>) -> Result<(), String> {
            for s in ss {
                match s {
                    Stmt::Assign(n, e) => {
                        check_expr(e, names)?;
                        let (t, arr) = names
                            .get(n.as_str())
                            .ok_or_else(|| format!("assign to undeclared `{n}`"))?;
                        if *arr || t.width != e.width() {
                            return Err(format!(
                                "`{n}` <= {} bits (declared {})",
                                e.width(),
                                t.width
                            ));
                        }
                    }
                    Stmt::AssignIndex(n, i, e) => {
                        check_expr(i, names)?;
                        check_expr(e, names)?;
                        let (t, arr) = names
                            .get(n.as_str())
                            .ok_or_else(|| format!("assign to undeclared `{n}`"))?;
                        if !*arr || t.width != e.width() {
                            return Err(format!(
                                "`{n}[..]` <= {} bits (declared {})",
                                e.width(),
                                t.width
                            ));
                        }
                    }
                    Stmt::If(c, a, b) => {
                        check_expr(c, names)?;
                        if c.width() != 1 {
                            return Err("if condition is not 1 bit".into());
                        }
                        stmts(a, names)?;
                        stmts(b, names)?;
                    }
                    Stmt::Case(sel, arms, def) => {
                        check_expr(sel, names)?;
                        for (_, a) in arms {
                            stmts(a, names)?;
                        }
                        stmts(def, names)?;
                    }
                    Stmt::Comment(_) => {}
                }
            }
            Ok(())
        }
        stmts(&self.seq, &names).map_err(|m| format!("{}: {m}", self.name))?;
        for inst in &self.instances {
            for (_, e) in &inst.ports {
                chk(e)?;
            }
        }
        for v in &self.views {
            if names.contains_key(v.name.as_str()) {
                return Err(format!("{}: view `{}` declared twice", self.name, v.name));
            }
            for (inst, _) in &v.elems {
                if !self.instances.iter().any(|i| &i.name == inst) {
                    return Err(format!(
                        "{}: view `{}` reads instance `{inst}`, which does not exist",
                        self.name, v.name
                    ));
                }
            }
        }
        for n in self.attrs.keys() {
            if !names.contains_key(n.as_str()) {
                return Err(format!("{}: attribute on undeclared `{n}`", self.name));
            }
        }
        Ok(())
    }
}

fn check_expr(e: &Expr, names: &BTreeMap<&str, (Ty, bool)>) -> Result<(), String> {
    let sub = |x: &Expr| check_expr(x, names);
    match e {
        Expr::Ref(n, t) => match names.get(n.as_str()) {
            Some((dt, false)) if dt == t => Ok(()),
            Some((dt, arr)) => Err(format!(
                "`{n}` used as {t:?} but declared {dt:?}{}",
                if *arr { " array" } else { "" }
            )),
            None => Err(format!("`{n}` is not declared")),
        },
        Expr::Index(n, i, t) => {
            sub(i)?;
            match names.get(n.as_str()) {
                Some((dt, true)) if dt == t => Ok(()),
                _ => Err(format!("`{n}[..]` is not an array of {t:?}")),
            }
        }
        Expr::Const(_, _) | Expr::ConstHex(_, _) => Ok(()),
        Expr::Bin(_, a, b, _) => {
            sub(a)?;
            sub(b)?;
            if a.ty() != b.ty() {
                return Err(format!("operands differ: {:?} / {:?}", a.ty(), b.ty()));
            }
            Ok(())
        }
        Expr::Mul(a, b, t) => {
            sub(a)?;
            sub(b)?;
            if t.width != a.width() + b.width() {
                return Err("mul width".into());
            }
            Ok(())
        }
        Expr::Neg(a, t) | Expr::Not(a, t) | Expr::Sra(a, _, t) | Expr::Shl(a, _, t) => {
            sub(a)?;
            if a.ty() != *t {
                return Err("unary op changes type".into());
            }
            Ok(())
        }
        Expr::Mux(c, a, b, _) => {
            sub(c)?;
            sub(a)?;
            sub(b)?;
            if c.width() != 1 || a.ty() != b.ty() {
                return Err("mux types".into());
            }
            Ok(())
        }
        Expr::Ext(a, t) => {
            sub(a)?;
            if t.width < a.width() {
                return Err("ext narrows".into());
            }
            Ok(())
        }
        Expr::Slice(a, lo, t) => {
            sub(a)?;
            if lo + t.width > a.width() {
                return Err("slice out of range".into());
            }
            Ok(())
        }
        Expr::Cat(parts, _) => parts.iter().try_for_each(sub),
        Expr::Cast(a, t) => {
            sub(a)?;
            if a.width() != t.width {
                return Err("cast changes width".into());
            }
            Ok(())
        }
    }
}

// ------------------------------------------------------------------ printing

/// Sized hex literal of the low `ty.width` bits of `v`.
fn lit(v: i128, ty: Ty) -> String {
    let w = ty.width;
    let mask: u128 = if w >= 128 {
        u128::MAX
    } else {
        (1u128 << w) - 1
    };
    let bits = (v as u128) & mask;
    format!("{w}'{}h{bits:x}", if ty.signed { "s" } else { "" })
}

/// Whether an expression prints as a primary (no parentheses needed around it).
fn primary(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Ref(..)
            | Expr::Index(..)
            | Expr::Const(..)
            | Expr::Cat(..)
            | Expr::Ext(..)
            | Expr::Slice(..)
            | Expr::Cast(..)
    )
}

fn p(e: &Expr) -> String {
    let s = expr(e);
    if primary(e) {
        s
    } else {
        format!("({s})")
    }
}

/// Print an expression.
pub fn expr(e: &Expr) -> String {
    match e {
        Expr::Ref(n, _) => n.clone(),
        Expr::Index(n, i, _) => format!("{n}[{}]", expr(i)),
        Expr::Const(v, t) => lit(*v, *t),
        Expr::ConstHex(h, t) => format!("{}'h{h}", t.width),
        Expr::Bin(op, a, b, _) => {
            let o = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::And => "&",
                BinOp::Or => "|",
                BinOp::Xor => "^",
                BinOp::Eq => "==",
                BinOp::Ne => "!=",
                BinOp::Lt => "<",
                BinOp::Gt => ">",
            };
            format!("{} {o} {}", p(a), p(b))
        }
        Expr::Mul(a, b, _) => format!("{} * {}", p(a), p(b)),
        Expr::Neg(a, _) => format!("-{}", p(a)),
        Expr::Not(a, _) => format!("~{}", p(a)),
        Expr::Mux(c, a, b, _) => format!("{} ? {} : {}", p(c), p(a), p(b)),
        Expr::Ext(a, t) => {
            let d = t.width - a.width();
            let inner = expr_sliceable(a);
            let fill = if a.ty().signed {
                format!("{{{d}{{{inner}[{}]}}}}", a.width() - 1)
            } else {
                format!("{d}'h0")
            };
            let c = format!("{{{fill}, {inner}}}");
            if t.signed {
                format!("$signed({c})")
            } else {
                c
            }
        }
        Expr::Slice(a, lo, t) => {
            let inner = expr_sliceable(a);
            let s = if t.width == 1 {
                format!("{inner}[{lo}]")
            } else {
                format!("{inner}[{}:{lo}]", lo + t.width - 1)
            };
            if t.signed {
                format!("$signed({s})")
            } else {
                s
            }
        }
        Expr::Sra(a, s, _) => format!("{} >>> {s}", p(a)),
        Expr::Shl(a, s, _) => format!("{} << {s}", p(a)),
        Expr::Cat(parts, _) => format!(
            "{{{}}}",
            parts.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        Expr::Cast(a, t) => format!(
            "{}({})",
            if t.signed { "$signed" } else { "$unsigned" },
            expr(a)
        ),
    }
}

/// Bit-selects only apply to names in Verilog-2005; the IR only slices/extends references.
fn expr_sliceable(a: &Expr) -> String {
    match a {
        Expr::Ref(n, _) => n.clone(),
        other => panic!("internal error: slice/ext of a non-reference expression {other:?}; name it with a wire first"),
    }
}

fn stmts(out: &mut String, ss: &[Stmt], ind: usize) {
    let pad = "    ".repeat(ind);
    for s in ss {
        match s {
            Stmt::Assign(n, e) => {
                let _ = writeln!(out, "{pad}{n} <= {};", expr(e));
            }
            Stmt::AssignIndex(n, i, e) => {
                let _ = writeln!(out, "{pad}{n}[{}] <= {};", expr(i), expr(e));
            }
            Stmt::If(c, a, b) => {
                let _ = writeln!(out, "{pad}if ({}) begin", expr(c));
                stmts(out, a, ind + 1);
                if b.is_empty() {
                    let _ = writeln!(out, "{pad}end");
                } else {
                    let _ = writeln!(out, "{pad}end else begin");
                    stmts(out, b, ind + 1);
                    let _ = writeln!(out, "{pad}end");
                }
            }
            Stmt::Case(sel, arms, def) => {
                let _ = writeln!(out, "{pad}case ({})", expr(sel));
                for (k, a) in arms {
                    let _ = writeln!(out, "{pad}    {}: begin", lit(*k, sel.ty()));
                    stmts(out, a, ind + 2);
                    let _ = writeln!(out, "{pad}    end");
                }
                let _ = writeln!(out, "{pad}    default: begin");
                stmts(out, def, ind + 2);
                let _ = writeln!(out, "{pad}    end");
                let _ = writeln!(out, "{pad}endcase");
            }
            Stmt::Comment(c) => {
                let _ = writeln!(out, "{pad}// {c}");
            }
        }
    }
}

/// Print a module as Verilog-2005. Deterministic.
pub fn print(m: &Module) -> String {
    let mut s = String::new();
    for c in &m.comment {
        let _ = writeln!(s, "// {c}");
    }
    let ports: Vec<&(Decl, Option<String>)> = m
        .decls
        .iter()
        .filter(|(d, _)| matches!(d, Decl::Input(..) | Decl::Output(..)))
        .collect();
    let _ = writeln!(s, "module {} (", m.name);
    for (i, (d, _)) in ports.iter().enumerate() {
        let comma = if i + 1 < ports.len() { "," } else { "" };
        match d {
            Decl::Input(n, t) => {
                if m.partial.contains(n) {
                    let _ = writeln!(s, "    /* verilator lint_off UNUSEDSIGNAL */");
                    let _ = writeln!(s, "    input  wire {}{n}{comma}", t.decl());
                    let _ = writeln!(s, "    /* verilator lint_on UNUSEDSIGNAL */");
                } else {
                    let _ = writeln!(s, "    input  wire {}{n}{comma}", t.decl());
                }
            }
            Decl::Output(n, t, r) => {
                let _ = writeln!(
                    s,
                    "    output {} {}{n}{comma}",
                    if *r { "reg " } else { "wire" },
                    t.decl()
                );
            }
            _ => {}
        }
    }
    let _ = writeln!(s, ");");
    let mut inits = Vec::new();
    for (d, c) in &m.decls {
        if let Some(c) = c {
            let _ = writeln!(s, "    // {c}");
        }
        let dn = match d {
            Decl::Input(n, _)
            | Decl::Output(n, _, _)
            | Decl::Wire(n, _, _)
            | Decl::Reg(n, _)
            | Decl::Array(n, _, _, _)
            | Decl::Param(n, _) => n,
        };
        if let Some(a) = m.attrs.get(dn) {
            let _ = writeln!(s, "    (* {a} *)");
        }
        match d {
            Decl::Wire(n, t, Some(e)) => {
                if m.partial.contains(n) {
                    let _ = writeln!(s, "    /* verilator lint_off UNUSEDSIGNAL */");
                    let _ = writeln!(s, "    wire {}{n} = {};", t.decl(), expr(e));
                    let _ = writeln!(s, "    /* verilator lint_on UNUSEDSIGNAL */");
                } else {
                    let _ = writeln!(s, "    wire {}{n} = {};", t.decl(), expr(e));
                }
            }
            Decl::Wire(n, t, None) => {
                let _ = writeln!(s, "    wire {}{n};", t.decl());
            }
            Decl::Reg(n, t) => {
                if m.partial.contains(n) {
                    let _ = writeln!(s, "    /* verilator lint_off UNUSEDSIGNAL */");
                    let _ = writeln!(s, "    reg {}{n};", t.decl());
                    let _ = writeln!(s, "    /* verilator lint_on UNUSEDSIGNAL */");
                } else {
                    let _ = writeln!(s, "    reg {}{n};", t.decl());
                }
            }
            Decl::Array(n, t, depth, init) => {
                let _ = writeln!(s, "    reg {}{n} [0:{}];", t.decl(), depth - 1);
                if let ArrayInit::Hex(path) = init {
                    inits.push(format!("        $readmemh(\"{path}\", {n});"));
                }
            }
            Decl::Param(n, v) => {
                let _ = writeln!(s, "    localparam {n} = {v};");
            }
            _ => {}
        }
    }
    if !inits.is_empty() {
        let _ = writeln!(s, "    initial begin");
        for i in inits {
            let _ = writeln!(s, "{i}");
        }
        let _ = writeln!(s, "    end");
    }
    for inst in &m.instances {
        let _ = writeln!(s, "    {} {} (", inst.module, inst.name);
        for (i, (port, e)) in inst.ports.iter().enumerate() {
            let comma = if i + 1 < inst.ports.len() { "," } else { "" };
            let _ = writeln!(s, "        .{port}({}){comma}", expr(e));
        }
        let _ = writeln!(s, "    );");
    }
    for (n, e) in &m.assigns {
        let _ = writeln!(s, "    assign {n} = {};", expr(e));
    }
    if !m.views.is_empty() {
        let _ = writeln!(s, "`ifndef SYNTHESIS");
        let _ = writeln!(s, "    /* verilator lint_off UNUSEDSIGNAL */");
        for v in &m.views {
            let _ = writeln!(s, "    // {}", v.comment);
            let _ = writeln!(
                s,
                "    wire {}{} [0:{}];",
                v.ty.decl(),
                v.name,
                v.elems.len().max(1) - 1
            );
            for (i, (inst, a)) in v.elems.iter().enumerate() {
                match &v.half {
                    None => {
                        let _ = writeln!(s, "    assign {}[{i}] = {inst}.mem[{a}];", v.name);
                    }
                    Some(h) => {
                        let _ = writeln!(
                            s,
                            "    assign {}[{i}] = {h} ? {inst}.mem[{}] : {inst}.mem[{}];",
                            v.name,
                            2 * a + 1,
                            2 * a
                        );
                    }
                }
            }
        }
        let _ = writeln!(s, "    /* verilator lint_on UNUSEDSIGNAL */");
        let _ = writeln!(s, "`endif");
    }
    if !m.seq.is_empty() {
        let _ = writeln!(s, "    always @(posedge clk) begin");
        stmts(&mut s, &m.seq, 2);
        let _ = writeln!(s, "    end");
    }
    let _ = writeln!(s, "endmodule");
    s
}
