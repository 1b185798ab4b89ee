//! Hand-checked traces of the integer golden model, an independent check of `qrnn-golden` against
//! the text of docs/NUMERICS.md.
//!
//! Every expected value below was worked out from the spec text alone (not from the Rust code),
//! and the working is written next to it in the style of NUMERICS.md §11. Notation as in the spec:
//! `rshift(v, s) = (v + 2^(s-1)) >> s` (RHU, floor shift), `sat_W`, `requant(v, G → fixed<W,F>) =
//! sat_W(rshift(v, G - F))`, and `a << s` exact alignment. Table values are
//! `round_half_away(2^Fa · σ(v))` / `round_half_away(2^Fa · tanh(v))` with `v = z · 2^-Fz` (§6); the
//! real number before rounding is given in brackets, e.g. `S(4) = round(4.9797) = 5`.

use qrnn_golden::run;
use qrnn_model::table::{sigmoid_table, tanh_table};
use qrnn_model::{
    ActFmt, Cell, Fmt, Head, InputSpec, Layer, Model, Provenance, Scale, Scheme, Weights,
};

fn fmt(width: u32, frac: i32) -> Fmt {
    Fmt::new(width, frac).unwrap()
}

fn fixed(width: u32, frac: i32) -> ActFmt {
    ActFmt::Fixed(fmt(width, frac))
}

fn weights(scheme: Scheme, shape: &[usize], codes: &[i8], mult: &[u32], shift: i32) -> Weights {
    Weights {
        scheme,
        shape: shape.to_vec(),
        codes: codes.to_vec(),
        scale: Scale {
            mult: mult.to_vec(),
            shift,
        },
    }
}

/// The layer parameters that differ between the tests.
struct L {
    cell: Cell,
    hidden: usize,
    kernel: usize,
    pre: Fmt,
    act_frac: u32,
    c_fmt: Option<Fmt>,
    h_fmt: ActFmt,
    bias_fmt: Fmt,
    w: Weights,
    u: Weights,
    bias: Vec<i64>,
    bias_h: Vec<i64>,
}

fn layer(l: L) -> Layer {
    Layer {
        cell: l.cell,
        hidden: l.hidden,
        kernel: l.kernel,
        pre: l.pre,
        act_frac: l.act_frac,
        c_fmt: l.c_fmt,
        h_fmt: l.h_fmt,
        bias_fmt: l.bias_fmt,
        w: l.w,
        u: l.u,
        bias: l.bias,
        bias_h: l.bias_h,
        sigmoid: sigmoid_table(l.pre, l.act_frac),
        tanh: tanh_table(l.pre, l.act_frac),
    }
}

fn model(
    size: usize,
    map: Option<(usize, usize)>,
    format: ActFmt,
    layers: Vec<Layer>,
    head: Option<Head>,
) -> Model {
    let m = Model {
        name: "hand-checked".into(),
        input: InputSpec { size, map, format },
        layers,
        head,
        provenance: Provenance::default(),
    };
    m.validate().expect("the hand-built model is valid");
    m
}

/// The table entries (pre = fixed<6,3>, Fa = 3, index z + 32) that the tests below read, checked
/// against §6 directly, so that a table mistake and an executor mistake cannot be confused.
#[test]
fn tables_used_below() {
    let s = sigmoid_table(fmt(6, 3), 3);
    let t = tanh_table(fmt(6, 3), 3);
    let sv = |z: i64| s[(z + 32) as usize];
    let tv = |z: i64| t[(z + 32) as usize];
    // σ: 8·σ(z/8)
    assert_eq!(sv(-10), 2); // 1.7816
    assert_eq!(sv(-6), 3); // 2.5666
    assert_eq!(sv(-5), 3); // 2.7892
    assert_eq!(sv(-4), 3); // 3.0203
    assert_eq!(sv(-3), 3); // 3.2587
    assert_eq!(sv(-2), 4); // 3.5026
    assert_eq!(sv(-1), 4); // 3.7503
    assert_eq!(sv(0), 4); // 4 exactly
    assert_eq!(sv(1), 4); // 4.2497
    assert_eq!(sv(2), 4); // 4.4974
    assert_eq!(sv(3), 5); // 4.7413
    assert_eq!(sv(4), 5); // 4.9797
    assert_eq!(sv(5), 5); // 5.2108
    assert_eq!(sv(6), 5); // 5.4334
    assert_eq!(sv(7), 6); // 5.6463
    assert_eq!(sv(20), 7); // 8·σ(2.5) = 7.3931
    assert_eq!(sv(22), 8); // 8·σ(2.75) = 7.5193
                           // tanh: 8·tanh(z/8)
    assert_eq!(tv(-16), -8); // -7.7122
    assert_eq!(tv(-5), -4); // -4.4368
    assert_eq!(tv(-4), -4); // -3.6969
    assert_eq!(tv(-3), -3); // -2.8669
    assert_eq!(tv(-2), -2); // -1.9593
    assert_eq!(tv(-1), -1); // -0.9948
    assert_eq!(tv(0), 0);
    assert_eq!(tv(1), 1); // 0.9948
    assert_eq!(tv(2), 2); // 1.9593
    assert_eq!(tv(3), 3); // 2.8669
    assert_eq!(tv(4), 4); // 3.6969
}

// ---------------------------------------------------------------------------------------------
// GRU (§7.2), H = 2, I = 1, two timesteps.
// ---------------------------------------------------------------------------------------------

/// GRU step with nonzero `b_x`, `b_h`, a quaternary `W`, and a nonzero `h` in the second step, so
/// that the reset gate multiplies `U_n h + b_hn` (point `gru_hn`).
///
/// Model: X = fixed<4,2>, Hf = fixed<6,4>, B = fixed<7,3>, pre = fixed<6,3>, Fa = 3.
/// Rows in order [r0, r1, z0, z1, n0, n1].
///   W quaternary codes [2, -1, 1, -2, 1, 2] (shape [6,1]), kW = 2 (code unit 0.25),
///   U ternary codes [[1,0], [-1,1], [0,-1], [1,1], [1,-1], [-1,0]], kU = 1,
///   b_x = [2, -3, 1, 0, 1, -2], b_h = [-1, 2, 3, -2, 3, 5] (fraction 3).
/// Fractions: φW = kW + F(X) = 4, φU = kU + F(Hf) = 5, Fb = 3;
///   G = max(4,5,3) = 5, Gh = max(φU,Fb) = 5, Gx = max(φW,Fb) = 4, Gn = max(Gx, Fa+Fz) = 6,
///   Gh' = max(2Fa, Fa+F(Hf)) = max(6, 7) = 7.
///
/// t = 0: x = [3] (0.75), h = [0, 0].
///   acc^W = codes·3 = [6, -3, 3, -6, 3, 6] = TW; TU = 0.
///   z_r0 = rshift(6<<1 + 0 + (2-1)<<2, 5-3) = rshift(16, 2) = (16+2)>>2 = 4
///   z_r1 = rshift(-3<<1 + (-3+2)<<2, 2) = rshift(-10, 2) = (-10+2)>>2 = -2   (-2.5: tie, up)
///   z_z0 = rshift(3<<1 + (1+3)<<2, 2) = rshift(22, 2) = 24>>2 = 6
///   z_z1 = rshift(-6<<1 + (0-2)<<2, 2) = rshift(-20, 2) = -18>>2 = -5
///   hn0 = requant(TU_n0<<0 + b_hn0<<(5-3), 5 → pre) = rshift(0 + 3·4, 2) = 14>>2 = 3
///   hn1 = rshift(0 + 5·4, 2) = 22>>2 = 5
///   xn0 = TW_n0<<(4-4) + b_xn0<<(4-3) = 3 + 1·2 = 5;  xn1 = 6 + (-2)·2 = 2
///   r0 = S(4) = round(4.9797) = 5, z0 = S(6) = round(5.4334) = 5,
///   r1 = S(-2) = round(3.5026) = 4, z1 = S(-5) = round(2.7892) = 3
///   z_n0 = rshift(xn0<<(6-4) + (r0·hn0)<<(6-3-3), 6-3) = rshift(20 + 15, 3) = 39>>3 = 4
///   z_n1 = rshift(2<<2 + 4·5, 3) = rshift(28, 3) = 32>>3 = 4              (3.5: tie, up)
///   n0 = n1 = T(4) = round(3.6969) = 4
///   v0 = ((8-5)·4)<<(7-6) + (5·0)<<(7-3-4) = 24;  h0 = rshift(24, 7-4) = 28>>3 = 3
///   v1 = ((8-3)·4)<<1 + 0 = 40;                  h1 = rshift(40, 3) = 44>>3 = 5
/// t = 1: x = [-2] (-0.5), h = [3, 5].
///   acc^W = [-4, 2, -2, 4, -2, -4]; acc^U = U·[3,5] = [3, 2, -5, 8, -2, -3].
///   z_r0 = rshift(-4<<1 + 3 + 1<<2, 2) = rshift(-1, 2) = 1>>2 = 0
///   z_r1 = rshift(2<<1 + 2 + (-1)<<2, 2) = rshift(2, 2) = 4>>2 = 1          (0.5: tie, up)
///   z_z0 = rshift(-2<<1 - 5 + 4<<2, 2) = rshift(7, 2) = 9>>2 = 2
///   z_z1 = rshift(4<<1 + 8 + (-2)<<2, 2) = rshift(8, 2) = 10>>2 = 2
///   hn0 = rshift(-2 + 3<<2, 2) = rshift(10, 2) = 12>>2 = 3
///   hn1 = rshift(-3 + 5<<2, 2) = rshift(17, 2) = 19>>2 = 4
///   xn0 = -2 + 1·2 = 0;  xn1 = -4 + (-2)·2 = -8
///   r0 = S(0) = 4, z0 = S(2) = round(4.4974) = 4, r1 = S(1) = round(4.2497) = 4, z1 = S(2) = 4
///   z_n0 = rshift(0<<2 + 4·3, 3) = rshift(12, 3) = 16>>3 = 2              (1.5: tie, up)
///   z_n1 = rshift(-8<<2 + 4·4, 3) = rshift(-16, 3) = -12>>3 = -2
///   n0 = T(2) = round(1.9593) = 2, n1 = T(-2) = -2
///   v0 = ((8-4)·2)<<1 + (4·3)<<0 = 16 + 12 = 28;  h0 = rshift(28, 3) = 32>>3 = 4
///   v1 = ((8-4)·(-2))<<1 + (4·5)<<0 = -16 + 20 = 4; h1 = rshift(4, 3) = 8>>3 = 1   (0.5: tie, up)
///
/// Had the reset gate been applied to h before U (Keras `reset_after=False`), t = 1 would differ:
/// in reals (α_U = 0.5, h = [0.1875, 0.3125], r = [0.5, 0.5], b_hn1 = 0.625) unit 1 would add
/// U_n1·(r⊙h) + b_hn1 = -0.5·(0.5·0.1875) + 0.625 ≈ 0.578 to xn1, rather than
/// r1·(U_n1 h + b_hn1) = 0.5·(-0.09375 + 0.625) ≈ 0.266 (here r1·hn1 = 4·4 = 16 at fraction 6 = 0.25),
/// so hn and z_n above pin PyTorch's placement.
#[test]
fn gru_two_steps_every_trace_value() {
    let l = layer(L {
        cell: Cell::Gru,
        hidden: 2,
        kernel: 1,
        pre: fmt(6, 3),
        act_frac: 3,
        c_fmt: None,
        h_fmt: fixed(6, 4),
        bias_fmt: fmt(7, 3),
        w: weights(Scheme::Quaternary, &[6, 1], &[2, -1, 1, -2, 1, 2], &[1], 2),
        u: weights(
            Scheme::Ternary,
            &[6, 2],
            &[1, 0, -1, 1, 0, -1, 1, 1, 1, -1, -1, 0],
            &[1],
            1,
        ),
        bias: vec![2, -3, 1, 0, 1, -2],
        bias_h: vec![-1, 2, 3, -2, 3, 5],
    });
    let m = model(1, None, fixed(4, 2), vec![l], None);
    let r = run(&m, &[vec![3], vec![-2]]).unwrap();

    let t0 = &r.trace[0].layers[0];
    assert_eq!(
        t0.pre,
        vec![4, -2, 6, -5, 4, 4],
        "t0 pre [z_r0, z_r1, z_z0, z_z1, z_n0, z_n1]"
    );
    assert_eq!(
        t0.gates,
        vec![5, 4, 5, 3, 4, 4],
        "t0 gates [r0, r1, z0, z1, n0, n1]"
    );
    assert_eq!(t0.hn, Some(vec![3, 5]), "t0 hn");
    assert_eq!(t0.c, None);
    assert_eq!(t0.tanh_c, None);
    assert_eq!(t0.h, vec![3, 5], "t0 h");

    let t1 = &r.trace[1].layers[0];
    assert_eq!(t1.pre, vec![0, 1, 2, 2, 2, -2], "t1 pre");
    assert_eq!(t1.gates, vec![4, 4, 4, 4, 2, -2], "t1 gates");
    assert_eq!(t1.hn, Some(vec![3, 4]), "t1 hn");
    assert_eq!(t1.h, vec![4, 1], "t1 h");

    assert_eq!(r.outputs, vec![vec![3, 5], vec![4, 1]]);
}

// ---------------------------------------------------------------------------------------------
// ConvLSTM (§7.3), 3×3 map, Cin = Ch = 1, k = 3, binary weights, two timesteps.
// ---------------------------------------------------------------------------------------------

/// ConvLSTM with zero padding at corners and edges.
///
/// Model: X = fixed<4,2>, Hf = fixed<6,5>, C = fixed<8,4>, B = fixed<8,4>, pre = fixed<6,3>, Fa = 3,
/// map 3×3, k = 3, p = 1. Binary kernels (OIHW [4,1,3,3], rows dy, columns dx), kW = kU = 2:
///
/// ```text
///        W_i      W_f        W_g        W_o        U_i        U_f      U_g        U_o
///       + + +    - - -      + + +      + - -      - - -      + + +    - - +      + + +
///       + + +    - - -      - - -      + - -      - + -      + + +    - - +      + + +
///       + + +    - - -      - - -      + - -      - - -      + + +    - - +      - - -
/// ```
/// b = [i 1, f 8, g 0, o -2] (fraction 4).
/// Fractions: φW = 2 + 2 = 4, φU = 2 + 5 = 7, Fb = 4, G = 7 (so s = accW<<3 + accU + b<<3 and
/// z = rshift(s, 4)); Gc = max(Fa+Fc, 2Fa) = max(7, 6) = 7.
/// Element-wise: c' = requant((f·c)<<0 + (i·g)<<1, 7 → C) = sat8(rshift(·, 3)),
/// zc = rshift(c', 4-3 = 1), h' = requant(o·tc, 6 → fixed<6,5>) = rshift(o·tc, 1).
///
/// t = 0: h = 0, c = 0, x (row y, column x):
/// ```text
///        1  0 -1
///        2  3  1
///        0 -2  1
/// ```
/// Padded taps contribute 0. Corner (0,0): only taps (dy,dx) ∈ {1,2}² are inside, covering
/// x[0..2][0..2] = {1, 0, 2, 3}; so acc^W_i(0,0) = 1+0+2+3 = 6, acc^W_g(0,0) = -6 (the `+` top row
/// of W_g lies entirely in the padding), acc^W_o(0,0) = -6 (the `+` left column is padding too).
/// Centre (1,1): all nine taps, acc^W_i = Σx = 5, acc^W_f = -5, acc^W_g = (1+0-1) - (2+3+1+0-2+1)
/// = -5, acc^W_o = (1+2+0) - (0-1+3+1-2+1) = 1. All maps:
/// ```text
///   acc^W_i         acc^W_f          acc^W_g        acc^W_o
///   6  6  3        -6 -6 -3         -6 -6 -3       -6  0  3
///   4  5  2        -4 -5 -2         -2 -5 -4       -4  1  0
///   3  5  3        -3 -5 -3          7  7  5       -3 -1 -1
/// ```
/// z = rshift(acc<<3 + b<<3, 4):
/// ```text
///   z_i (b=1)       z_f (b=8)        z_g (b=0)      z_o (b=-2)
///   4  4  2         1  1  3         -3 -3 -1       -4 -1  1
///   3  3  2         2  2  3         -1 -2 -2       -3  0 -1
///   2  3  2         3  2  3          4  4  3       -2 -1 -1
/// ```
/// e.g. corner z_i = rshift(56, 4) = 64>>4 = 4; centre z_i = rshift(48, 4) = 56>>4 = 3;
/// corner z_o = rshift(-64, 4) = -56>>4 = -4; centre z_o = rshift(-8, 4) = 0>>4 = 0 (-0.5: tie, up);
/// corner (0,2) z_g = rshift(-24, 4) = -16>>4 = -1 (-1.5: tie, up).
/// Per pixel (i,f,g,o → v = (i·g)<<1, c' = rshift(v,3), zc, tc = T(zc), h' = rshift(o·tc, 1)):
/// ```text
///   (0,0) 5,4,-3,3: v=-30 c'=-4 zc=-2 tc=-2 o·tc=-6  h=-3     (-26>>3 = -4; -5>>1 = -3)
///   (0,1) 5,4,-3,4: v=-30 c'=-4 zc=-2 tc=-2 o·tc=-8  h=-4
///   (0,2) 4,5,-1,4: v=-8  c'=-1 zc=0  tc=0  o·tc=0   h=0      (-4>>3 = -1; zc=(-1+1)>>1 = 0)
///   (1,0) 5,4,-1,3: v=-10 c'=-1 zc=0  tc=0  o·tc=0   h=0
///   (1,1) 5,4,-2,4: v=-20 c'=-2 zc=-1 tc=-1 o·tc=-4  h=-2     (-16>>3 = -2)
///   (1,2) 4,5,-2,4: v=-16 c'=-2 zc=-1 tc=-1 o·tc=-4  h=-2
///   (2,0) 4,5,4,4:  v=32  c'=4  zc=2  tc=2  o·tc=8   h=4
///   (2,1) 5,4,4,4:  v=40  c'=5  zc=3  tc=3  o·tc=12  h=6      (zc = 6>>1 = 3)
///   (2,2) 4,5,3,4:  v=24  c'=3  zc=2  tc=2  o·tc=8   h=4      (zc = 4>>1 = 2)
/// ```
/// (gates from the tables: S(4)=S(3)=5, S(2)=S(1)=4, S(-1)=S(-2)=4, S(-3)=S(-4)=3, T(-3)=-3, T(-1)=-1,
/// T(-2)=-2, T(4)=4, T(3)=3.)
///
/// t = 1: x, and h, c from t = 0:
/// ```text
///   x:  -1  2  0      h:  -3 -4  0      c:  -4 -4 -1
///        1 -3  2           0 -2 -2          -1 -2 -2
///        3  0 -1           4  6  4           4  5  3
/// ```
/// Corner (0,0) of acc^U (taps h[0..2][0..2] = {-3,-4,0,-2}): U_i: centre tap + on h(0,0), others -:
/// -3 - (-4+0-2) = 3; U_f: -9; U_g: the `+` right column (dx=2) covers h(0,1), h(1,1): -4-2 = -6,
/// minus the rest (-3+0) → -6+3 = -3; U_o: rows dy=1 (+) and dy=2 (-): (-3-4) - (0-2) = -5.
/// Centre (1,1) of acc^U, with Σh = -3-4+0+0-2-2+4+6+4 = 3: U_i = h(1,1) - (Σh - h(1,1)) =
/// -2 - 5 = -7; U_f = Σh = 3; U_g = (0-2+4) - (Σh - 2) = 2 - 1 = 1;
/// U_o = (-3-4+0+0-2-2) - (4+6+4) = -11 - 14 = -25.
/// ```text
///   acc^W_i     acc^U_i      acc^W_f     acc^U_f     acc^W_g     acc^U_g     acc^W_o     acc^U_o
///   -1  1  1    3  3  8      1 -1 -1    -9 -11 -8     1 -1 -1    -3  7  8     1 -1 -3    -5  -3   0
///    2  3  0   -1 -7 -6     -2 -3  0     1   3  2     0 -1  4    -1  1 -2    -2  3 -2   -19 -25 -18
///    1  2 -2    0  2  2     -1 -2  2     8  10  6    -5 -2  0     0 -6 -6    -1  6 -4     8  10   6
/// ```
/// s = accW<<3 + accU + b<<3 and z = rshift(s, 4):
/// ```text
///   s_i           z_i       s_f           z_f       s_g            z_g        s_o             z_o
///    3 19 24     0 1 2     63 45 48     4 3 3       5 -1  0     0  0 0    -13 -27 -40    -1 -2 -2
///   23 25  2     1 2 0     49 43 66     3 3 4      -1 -7 30     0  0 2    -51 -17 -50    -3 -1 -3
///   16 26 -6     1 2 0     64 58 86     4 4 5     -40 -22 -6   -2 -1 0    -16  42 -42    -1  3 -3
/// ```
/// e.g. corner: s_i = -8 + 3 + 8 = 3 → (3+8)>>4 = 0; s_f = 8 - 9 + 64 = 63 → 71>>4 = 4;
/// s_g = 8 - 3 + 0 = 5 → 0; s_o = 8 - 5 - 16 = -13 → -5>>4 = -1.
/// centre: s_i = 24 - 7 + 8 = 25 → 33>>4 = 2; s_f = -24 + 3 + 64 = 43 → 51>>4 = 3;
/// s_g = -8 + 1 + 0 = -7 → 1>>4 = 0; s_o = 24 - 25 - 16 = -17 → -9>>4 = -1.
/// Per pixel (v = (f·c)<<0 + (i·g)<<1):
/// ```text
///   (0,0) i4 f5 g0 o4:  v=5·-4 + 0 = -20   c'=-2 zc=-1 tc=-1 o·tc=-4 h=-2
///   (0,1) i4 f5 g0 o4:  v=-20              c'=-2 zc=-1 tc=-1 o·tc=-4 h=-2
///   (0,2) i4 f5 g0 o4:  v=-5               c'=-1 zc=0  tc=0  o·tc=0  h=0    (-1>>3 = -1)
///   (1,0) i4 f5 g0 o3:  v=-5               c'=-1 zc=0  tc=0  o·tc=0  h=0
///   (1,1) i4 f5 g0 o4:  v=-10              c'=-1 zc=0  tc=0  o·tc=0  h=0    (-6>>3 = -1)
///   (1,2) i4 f5 g2 o3:  v=-10 + 16 = 6     c'=1  zc=1  tc=1  o·tc=3  h=2    (3: (3+1)>>1 = 2)
///   (2,0) i4 f5 g-2 o4: v=20 - 16 = 4      c'=1  zc=1  tc=1  o·tc=4  h=2    (8>>3 = 1)
///   (2,1) i4 f5 g-1 o5: v=25 - 8 = 17      c'=2  zc=1  tc=1  o·tc=5  h=3    (21>>3 = 2; 3>>1 = 1)
///   (2,2) i4 f5 g0 o3:  v=15               c'=2  zc=1  tc=1  o·tc=3  h=2
/// ```
/// (S(0)=S(1)=S(2)=4, S(3)=S(4)=S(5)=5, S(-1)=S(-2)=4, S(-3)=3; T(0)=0, T(2)=2, T(-2)=-2, T(-1)=-1.)
#[test]
fn convlstm_3x3_padding_two_steps() {
    #[rustfmt::skip]
    let w: [i8; 36] = [
        1, 1, 1, 1, 1, 1, 1, 1, 1, // i
        -1, -1, -1, -1, -1, -1, -1, -1, -1, // f
        1, 1, 1, -1, -1, -1, -1, -1, -1, // g
        1, -1, -1, 1, -1, -1, 1, -1, -1, // o
    ];
    #[rustfmt::skip]
    let u: [i8; 36] = [
        -1, -1, -1, -1, 1, -1, -1, -1, -1, // i
        1, 1, 1, 1, 1, 1, 1, 1, 1, // f
        -1, -1, 1, -1, -1, 1, -1, -1, 1, // g
        1, 1, 1, 1, 1, 1, -1, -1, -1, // o
    ];
    let l = layer(L {
        cell: Cell::ConvLstm,
        hidden: 1,
        kernel: 3,
        pre: fmt(6, 3),
        act_frac: 3,
        c_fmt: Some(fmt(8, 4)),
        h_fmt: fixed(6, 5),
        bias_fmt: fmt(8, 4),
        w: weights(Scheme::Binary, &[4, 1, 3, 3], &w, &[1], 2),
        u: weights(Scheme::Binary, &[4, 1, 3, 3], &u, &[1], 2),
        bias: vec![1, 8, 0, -2],
        bias_h: vec![],
    });
    let m = model(1, Some((3, 3)), fixed(4, 2), vec![l], None);
    let x0 = vec![1, 0, -1, 2, 3, 1, 0, -2, 1];
    let x1 = vec![-1, 2, 0, 1, -3, 2, 3, 0, -1];
    let r = run(&m, &[x0, x1]).unwrap();
    // pre layout: pixel-major, [i, f, g, o] per pixel (Ch = 1).
    let pre_at = |t: usize, y: usize, x: usize| {
        r.trace[t].layers[0].pre[(y * 3 + x) * 4..(y * 3 + x) * 4 + 4].to_vec()
    };

    let t0 = &r.trace[0].layers[0];
    assert_eq!(
        pre_at(0, 0, 0),
        vec![4, 1, -3, -4],
        "t0 corner (0,0) [z_i, z_f, z_g, z_o]"
    );
    assert_eq!(pre_at(0, 0, 2), vec![2, 3, -1, 1], "t0 corner (0,2)");
    assert_eq!(pre_at(0, 2, 0), vec![2, 3, 4, -2], "t0 corner (2,0)");
    assert_eq!(pre_at(0, 0, 1), vec![4, 1, -3, -1], "t0 edge (0,1)");
    assert_eq!(pre_at(0, 1, 1), vec![3, 2, -2, 0], "t0 centre (1,1)");
    #[rustfmt::skip]
    let pre0 = vec![
        4, 1, -3, -4,   4, 1, -3, -1,   2, 3, -1, 1,
        3, 2, -1, -3,   3, 2, -2, 0,    2, 3, -2, -1,
        2, 3, 4, -2,    3, 2, 4, -1,    2, 3, 3, -1,
    ];
    assert_eq!(t0.pre, pre0, "t0 all pre");
    assert_eq!(&t0.gates[0..4], &[5, 4, -3, 3], "t0 gates at (0,0)");
    assert_eq!(&t0.gates[16..20], &[5, 4, -2, 4], "t0 gates at (1,1)");
    assert_eq!(t0.c, Some(vec![-4, -4, -1, -1, -2, -2, 4, 5, 3]), "t0 c");
    assert_eq!(
        t0.tanh_c,
        Some(vec![-2, -2, 0, 0, -1, -1, 2, 3, 2]),
        "t0 tanh(c)"
    );
    assert_eq!(t0.h, vec![-3, -4, 0, 0, -2, -2, 4, 6, 4], "t0 h");

    let t1 = &r.trace[1].layers[0];
    assert_eq!(pre_at(1, 0, 0), vec![0, 4, 0, -1], "t1 corner (0,0)");
    assert_eq!(pre_at(1, 2, 2), vec![0, 5, 0, -3], "t1 corner (2,2)");
    assert_eq!(pre_at(1, 1, 1), vec![2, 3, 0, -1], "t1 centre (1,1)");
    assert_eq!(pre_at(1, 1, 2), vec![0, 4, 2, -3], "t1 edge (1,2)");
    assert_eq!(t1.c, Some(vec![-2, -2, -1, -1, -1, 1, 1, 2, 2]), "t1 c");
    assert_eq!(
        t1.tanh_c,
        Some(vec![-1, -1, 0, 0, 0, 1, 1, 1, 1]),
        "t1 tanh(c)"
    );
    assert_eq!(t1.h, vec![-2, -2, 0, 0, 0, 2, 2, 3, 2], "t1 h");
}

// ---------------------------------------------------------------------------------------------
// LSTM with binary input and binary h (XNOR / popcount), §5 and §7.
// ---------------------------------------------------------------------------------------------

/// Binary x (I = 3), binary h (H = 2), binary W and U: every acc is `2·popcount(XNOR) - N`.
///
/// Model: X = binary, Hf = binary, B = fixed<6,2>, pre = fixed<6,3>, Fa = 3, C = fixed<8,4>.
/// kW = kU = 1 (α = 0.5). Rows [i0, i1, f0, f1, g0, g1, o0, o1]:
///   W = [[+,-,+], [-,-,+], [+,+,-], [+,-,-], [+,+,+], [-,+,-], [+,-,+], [-,+,+]]
///   U = [[+,+], [-,+], [+,-], [-,-], [-,+], [+,+], [+,+], [-,+]]
///   b = [0, 1, 2, -1, -2, 0, 1, -3] (fraction 2).
/// Fractions: φW = kW + 0 = 1, φU = kU + 0 = 1, Fb = 2, G = 2; z = requant(s, 2 → 3) =
/// rshift(s, -1) = s << 1 (exact: a negative shift, §2). Gc = max(3+4, 6) = 7.
///
/// §7 initial state: Hf binary ⇒ h = [+1, +1] (not 0), c = 0.
///
/// t = 0: x = [+1, -1, +1] (bits 101), h = [+1, +1] (bits 11).
///   acc^W_r = 2·popcount(XNOR(wbits_r, 101)) - 3, with wbits (bit 1 = +1) and XNOR:
///     i0 101 → 111 → 3;  i1 001 → 011 → 1;  f0 110 → 100 → -1;  f1 100 → 110 → 1;
///     g0 111 → 101 → 1;  g1 010 → 000 → -3; o0 101 → 111 → 3;   o1 011 → 001 → -1.
///   (the same as Σ c·a, e.g. i1: -1·1 + -1·-1 + 1·1 = 1.)
///   acc^U (h = 11): row sums: [2, 0, 0, -2, 0, 2, 2, 0].
///   s = acc^W<<1 + acc^U<<1 + b: [10, 3, 0, -3, 0, -2, 11, -5]; z = s<<1 = [20, 6, 0, -6, 0, -4, 22, -10].
///   unit 0: i = S(20) = round(7.3931) = 7, f = S(0) = 4, g = T(0) = 0, o = S(22) = round(7.5193) = 8;
///     c' = requant((4·0)<<0 + (7·0)<<1, 7 → C) = 0, zc = 0, tc = T(0) = 0, o·tc = 0
///     → h = binarize(0) = +1 (sign(0) = +1, §2).
///   unit 1: i = S(6) = 5, f = S(-6) = round(2.5666) = 3, g = T(-4) = round(-3.6969) = -4,
///     o = S(-10) = round(1.7816) = 2; v = (3·0) + (5·-4)<<1 = -40; c' = rshift(-40, 3) = -36>>3 = -5;
///     zc = rshift(-5, 1) = -4>>1 = -2; tc = T(-2) = -2; o·tc = -4 → h = -1.
/// t = 1: x = [-1, -1, +1], h = [+1, -1], c = [0, -5].
///   acc^W: i0 -1+1+1 = 1; i1 1+1+1 = 3; f0 -1-1-1 = -3; f1 -1+1-1 = -1; g0 -1-1+1 = -1;
///     g1 1-1-1 = -1; o0 -1+1+1 = 1; o1 1-1+1 = 1.
///   acc^U (h = [+1,-1]): [0, -2, 2, 0, -2, 0, 0, -2].
///   s = [2, 3, 0, -3, -8, -2, 3, -5]; z = [4, 6, 0, -6, -16, -4, 6, -10].
///   unit 0: i = S(4) = 5, f = S(0) = 4, g = T(-16) = round(-7.7122) = -8, o = S(6) = 5;
///     v = (4·0) + (5·-8)<<1 = -80; c' = rshift(-80, 3) = -76>>3 = -10; zc = rshift(-10, 1) = -9>>1 = -5;
///     tc = T(-5) = round(-4.4368) = -4; o·tc = -20 → h = -1.
///   unit 1: i = S(6) = 5, f = S(-6) = 3, g = T(-4) = -4, o = S(-10) = 2;
///     v = (3·-5)<<0 + (5·-4)<<1 = -15 - 40 = -55; c' = rshift(-55, 3) = -51>>3 = -7;
///     zc = rshift(-7, 1) = -6>>1 = -3; tc = T(-3) = round(-2.8669) = -3; o·tc = -6 → h = -1.
#[test]
fn lstm_binary_input_binary_h_xnor_popcount() {
    #[rustfmt::skip]
    let w: [i8; 24] = [
        1, -1, 1,   -1, -1, 1,   1, 1, -1,   1, -1, -1,
        1, 1, 1,    -1, 1, -1,   1, -1, 1,   -1, 1, 1,
    ];
    #[rustfmt::skip]
    let u: [i8; 16] = [1, 1, -1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, 1, -1, 1];
    let l = layer(L {
        cell: Cell::Lstm,
        hidden: 2,
        kernel: 1,
        pre: fmt(6, 3),
        act_frac: 3,
        c_fmt: Some(fmt(8, 4)),
        h_fmt: ActFmt::Binary,
        bias_fmt: fmt(6, 2),
        w: weights(Scheme::Binary, &[8, 3], &w, &[1], 1),
        u: weights(Scheme::Binary, &[8, 2], &u, &[1], 1),
        bias: vec![0, 1, 2, -1, -2, 0, 1, -3],
        bias_h: vec![],
    });
    let m = model(3, None, ActFmt::Binary, vec![l], None);
    let r = run(&m, &[vec![1, -1, 1], vec![-1, -1, 1]]).unwrap();

    let t0 = &r.trace[0].layers[0];
    assert_eq!(
        t0.pre,
        vec![20, 6, 0, -6, 0, -4, 22, -10],
        "t0 pre (uses the initial h = +1)"
    );
    assert_eq!(t0.gates, vec![7, 5, 4, 3, 0, -4, 8, 2], "t0 gates");
    assert_eq!(t0.c, Some(vec![0, -5]), "t0 c");
    assert_eq!(t0.tanh_c, Some(vec![0, -2]), "t0 tanh(c)");
    assert_eq!(t0.h, vec![1, -1], "t0 h: binarize(0) = +1");

    let t1 = &r.trace[1].layers[0];
    assert_eq!(t1.pre, vec![4, 6, 0, -6, -16, -4, 6, -10], "t1 pre");
    assert_eq!(t1.gates, vec![5, 5, 4, 3, -8, -4, 5, 2], "t1 gates");
    assert_eq!(t1.c, Some(vec![-10, -7]), "t1 c");
    assert_eq!(t1.tanh_c, Some(vec![-4, -3]), "t1 tanh(c)");
    assert_eq!(t1.h, vec![-1, -1], "t1 h");
}

// ---------------------------------------------------------------------------------------------
// LSTM with per-row scale multipliers (§4) and an int8 weight tensor.
// ---------------------------------------------------------------------------------------------

/// `T_r = m_r · acc_r` with m = [3, 5, 1, 7] on an int8 W, and a single multiplier 3 on U.
///
/// Model: X = fixed<8,4>, I = 2, H = 1, Hf = fixed<8,6>, B = fixed<10,6>, pre = fixed<8,4>, Fa = 6,
/// C = fixed<12,8>. Rows [i, f, g, o]:
///   W int8 [[100, -37], [-5, 77], [12, -127], [64, 3]], mult [3, 5, 1, 7], kW = 9,
///   U ternary [[1], [-1], [1], [0]], mult [3] (one for all rows), kU = 2,
///   b = [10, 20, -5, 0] (fraction 6).
/// Fractions: φW = 9 + 4 = 13, φU = 2 + 6 = 8, Fb = 6, G = 13; z = rshift(s, 13 - 4 = 9).
/// Gc = max(Fa + Fc, 2Fa) = max(14, 12) = 14. Tables: 256 entries, index z + 128, v = z/16,
/// S = round(64·σ(v)), T = round(64·tanh(v)).
///
/// t = 0: x = [23, -41], h = 0, c = 0.
///   acc^W = [100·23 + 37·41, -5·23 - 77·41, 12·23 + 127·41, 64·23 - 3·41]
///         = [2300+1517, -115-3157, 276+5207, 1472-123] = [3817, -3272, 5483, 1349]
///   TW = m·acc = [11451, -16360, 5483, 9443]; TU = 0.
///   s = TW + b<<7 = [11451+1280, -16360+2560, 5483-640, 9443] = [12731, -13800, 4843, 9443]
///   z = rshift(s, 9) = [(12731+256)>>9, (-13800+256)>>9, (4843+256)>>9, (9443+256)>>9]
///     = [12987>>9 = 25, -13544>>9 = -27, 5099>>9 = 9, 9699>>9 = 18]
///   i = S(25) = round(52.9096) = 53, f = S(-27) = round(9.9907) = 10, g = T(9) = round(32.6291) = 33,
///   o = S(18) = round(48.3146) = 48.
///   c' = requant((10·0)<<(14-6-8) + (53·33)<<(14-12), 14 → C) = rshift(1749·4 = 6996, 6)
///      = 7028>>6 = 109;  zc = rshift(109, 8-4) = 117>>4 = 7;  tc = T(7) = round(26.3405) = 26;
///   h = requant(48·26 = 1248, 12 → fixed<8,6>) = rshift(1248, 6) = 1280>>6 = 20.
/// t = 1: x = [-7, 64], h = [20], c = [109].
///   acc^W = [-700 - 2368, 35 + 4928, -84 - 8128, -448 + 192] = [-3068, 4963, -8212, -256]
///   TW = [-9204, 24815, -8212, -1792]; acc^U = [20, -20, 20, 0], TU = 3·acc^U = [60, -60, 60, 0].
///   s = TW + TU<<(13-8) + b<<7 = [-9204+1920+1280, 24815-1920+2560, -8212+1920-640, -1792]
///     = [-6004, 25455, -6932, -1792]
///   z = rshift(s, 9) = [-5748>>9 = -12, 25711>>9 = 50, -6676>>9 = -14, -1536>>9 = -3]
///     (-1792/512 = -3.5 exactly: a tie, rounded up to -3)
///   i = S(-12) = round(20.5326) = 21, f = S(50) = round(61.3064) = 61, g = T(-14) = round(-45.05) = -45,
///   o = S(-3) = round(29.0088) = 29.
///   c' = rshift((61·109)<<0 + (21·-45)<<2, 6) = rshift(6649 - 3780 = 2869, 6) = 2901>>6 = 45;
///   zc = rshift(45, 4) = 53>>4 = 3; tc = T(3) = round(11.8613) = 12;
///   h = rshift(29·12 = 348, 6) = 380>>6 = 5.
#[test]
fn lstm_per_row_multiplier_int8() {
    let l = layer(L {
        cell: Cell::Lstm,
        hidden: 1,
        kernel: 1,
        pre: fmt(8, 4),
        act_frac: 6,
        c_fmt: Some(fmt(12, 8)),
        h_fmt: fixed(8, 6),
        bias_fmt: fmt(10, 6),
        w: weights(
            Scheme::Int(8),
            &[4, 2],
            &[100, -37, -5, 77, 12, -127, 64, 3],
            &[3, 5, 1, 7],
            9,
        ),
        u: weights(Scheme::Ternary, &[4, 1], &[1, -1, 1, 0], &[3], 2),
        bias: vec![10, 20, -5, 0],
        bias_h: vec![],
    });
    let m = model(2, None, fixed(8, 4), vec![l], None);
    let r = run(&m, &[vec![23, -41], vec![-7, 64]]).unwrap();

    let t0 = &r.trace[0].layers[0];
    assert_eq!(t0.pre, vec![25, -27, 9, 18], "t0 pre");
    assert_eq!(t0.gates, vec![53, 10, 33, 48], "t0 gates");
    assert_eq!(t0.c, Some(vec![109]), "t0 c");
    assert_eq!(t0.tanh_c, Some(vec![26]), "t0 tanh(c)");
    assert_eq!(t0.h, vec![20], "t0 h");

    let t1 = &r.trace[1].layers[0];
    assert_eq!(t1.pre, vec![-12, 50, -14, -3], "t1 pre");
    assert_eq!(t1.gates, vec![21, 61, -45, 29], "t1 gates");
    assert_eq!(t1.c, Some(vec![45]), "t1 c");
    assert_eq!(t1.tanh_c, Some(vec![12]), "t1 tanh(c)");
    assert_eq!(t1.h, vec![5], "t1 h");
}

// ---------------------------------------------------------------------------------------------
// Dense head (§8) on an LSTM.
// ---------------------------------------------------------------------------------------------

/// A quaternary head with per-row multipliers and its own bias format, on an LSTM with H = 2.
///
/// LSTM: X = fixed<4,2>, I = 1, Hf = fixed<6,4>, B = fixed<8,4>, pre = fixed<6,3>, Fa = 3,
/// C = fixed<8,4>. Rows [i0, i1, f0, f1, g0, g1, o0, o1]:
///   W ternary [1, 0, 1, 1, 1, -1, 1, 0] (shape [8,1]), kW = 1,
///   U ternary [[0,1], [1,0], [0,0], [1,-1], [1,0], [-1,1], [0,1], [1,1]], kU = 1,
///   b = [0, 4, 8, 0, 0, -2, 4, 0].
/// Fractions: φW = 1 + 2 = 3, φU = 1 + 4 = 5, Fb = 4, G = 5; z = rshift(s, 2); Gc = 7.
/// Head: D quaternary [[2, -1], [1, 1]], mult [3, 1], kD = 3; bD = [7, -12] in fixed<10,5>;
/// Y = fixed<8,4>. φD = kD + F(Hf) = 7, G_D = max(7, 5) = 7;
/// y_o = requant((m_o·acc_o)<<0 + bD_o<<2, 7 → Y) = sat8(rshift(·, 3)).
///
/// t = 0: x = [3], h = 0, c = 0. acc^W = [3, 0, 3, 3, 3, -3, 3, 0], TU = 0.
///   s = acc^W<<2 + b<<1 = [12, 8, 28, 12, 12, -16, 20, 0]; z = rshift(s, 2) = [3, 2, 7, 3, 3, -4, 5, 0]
///   (12 → 14>>2 = 3; 28 → 30>>2 = 7; 20 → 22>>2 = 5; -16 → -14>>2 = -4)
///   unit 0: i = S(3) = 5, f = S(7) = round(5.6463) = 6, g = T(3) = 3, o = S(5) = 5;
///     c' = rshift((5·3)<<1 = 30, 3) = 34>>3 = 4; zc = rshift(4, 1) = 2; tc = T(2) = 2;
///     h = requant(5·2 = 10, 6 → fixed<6,4>) = rshift(10, 2) = 12>>2 = 3.
///   unit 1: i = S(2) = 4, f = S(3) = 5, g = T(-4) = -4, o = S(0) = 4;
///     c' = rshift((4·-4)<<1 = -32, 3) = -28>>3 = -4; zc = rshift(-4, 1) = -3>>1 = -2; tc = -2;
///     h = rshift(4·-2 = -8, 2) = -6>>2 = -2.
///   head: acc = D·[3, -2] = [2·3 + 2, 3 - 2] = [8, 1];
///     y0 = rshift(3·8 + 7·4 = 52, 3) = 56>>3 = 7;  y1 = rshift(1·1 - 12·4 = -47, 3) = -43>>3 = -6.
/// t = 1: x = [-2], h = [3, -2], c = [4, -4]. acc^W = [-2, 0, -2, -2, -2, 2, -2, 0];
///   acc^U = U·[3,-2] = [-2, 3, 0, 5, 3, -5, -2, 1].
///   s = acc^W<<2 + acc^U + b<<1 = [-10, 11, 8, -3, -5, -1, -2, 1]
///   z = rshift(s, 2) = [-8>>2 = -2, 13>>2 = 3, 10>>2 = 2, -1>>2 = -1, -3>>2 = -1, 1>>2 = 0, 0>>2 = 0, 3>>2 = 0]
///   unit 0: i = S(-2) = 4, f = S(2) = 4, g = T(-1) = -1, o = S(0) = 4;
///     c' = rshift((4·4)<<0 + (4·-1)<<1 = 8, 3) = 12>>3 = 1; zc = rshift(1, 1) = 1; tc = T(1) = 1;
///     h = rshift(4·1 = 4, 2) = 6>>2 = 1.
///   unit 1: i = S(3) = 5, f = S(-1) = 4, g = T(0) = 0, o = S(0) = 4;
///     c' = rshift((4·-4) + 0 = -16, 3) = -12>>3 = -2; zc = rshift(-2, 1) = -1; tc = T(-1) = -1;
///     h = rshift(-4, 2) = -2>>2 = -1.
///   head: acc = D·[1, -1] = [2 + 1, 1 - 1] = [3, 0];
///     y0 = rshift(3·3 + 28 = 37, 3) = 41>>3 = 5;  y1 = rshift(0 - 48, 3) = -44>>3 = -6.
#[test]
fn lstm_with_dense_head() {
    let l = layer(L {
        cell: Cell::Lstm,
        hidden: 2,
        kernel: 1,
        pre: fmt(6, 3),
        act_frac: 3,
        c_fmt: Some(fmt(8, 4)),
        h_fmt: fixed(6, 4),
        bias_fmt: fmt(8, 4),
        w: weights(
            Scheme::Ternary,
            &[8, 1],
            &[1, 0, 1, 1, 1, -1, 1, 0],
            &[1],
            1,
        ),
        u: weights(
            Scheme::Ternary,
            &[8, 2],
            &[0, 1, 1, 0, 0, 0, 1, -1, 1, 0, -1, 1, 0, 1, 1, 1],
            &[1],
            1,
        ),
        bias: vec![0, 4, 8, 0, 0, -2, 4, 0],
        bias_h: vec![],
    });
    let head = Head {
        w: weights(Scheme::Quaternary, &[2, 2], &[2, -1, 1, 1], &[3, 1], 3),
        bias: vec![7, -12],
        bias_fmt: fmt(10, 5),
        out_fmt: fmt(8, 4),
    };
    let m = model(1, None, fixed(4, 2), vec![l], Some(head));
    let r = run(&m, &[vec![3], vec![-2]]).unwrap();

    let t0 = &r.trace[0];
    assert_eq!(t0.layers[0].pre, vec![3, 2, 7, 3, 3, -4, 5, 0], "t0 pre");
    assert_eq!(
        t0.layers[0].gates,
        vec![5, 4, 6, 5, 3, -4, 5, 4],
        "t0 gates"
    );
    assert_eq!(t0.layers[0].c, Some(vec![4, -4]), "t0 c");
    assert_eq!(t0.layers[0].h, vec![3, -2], "t0 h");
    assert_eq!(t0.head, Some(vec![7, -6]), "t0 head");

    let t1 = &r.trace[1];
    assert_eq!(t1.layers[0].pre, vec![-2, 3, 2, -1, -1, 0, 0, 0], "t1 pre");
    assert_eq!(
        t1.layers[0].gates,
        vec![4, 5, 4, 4, -1, 0, 4, 4],
        "t1 gates"
    );
    assert_eq!(t1.layers[0].c, Some(vec![1, -2]), "t1 c");
    assert_eq!(t1.layers[0].h, vec![1, -1], "t1 h");
    assert_eq!(t1.head, Some(vec![5, -6]), "t1 head");

    // The model's output is the head's output at every timestep (§8).
    assert_eq!(r.outputs, vec![vec![7, -6], vec![5, -6]]);
}

// ---------------------------------------------------------------------------------------------
// Saturation at points `pre`, `c`, `c_pre` and `h` (§2, §9).
// ---------------------------------------------------------------------------------------------

/// Pre-activations far outside `pre = fixed<4,1>` ([-8, 7]) saturate, and the cell state saturates
/// at point `c` (C = fixed<4,3>, [-8, 7]), in both directions.
///
/// Model: X = fixed<8,0>, I = 1, H = 2, Hf = fixed<4,2>, B = fixed<6,1> (b = 0), Fa = 3.
///   W int8 [127, 127, 127, 127, 127, -127, 127, 127] (rows i0 i1 f0 f1 g0 g1 o0 o1), kW = 0;
///   U ternary all 0, kU = -1. φW = 0, φU = -1 + 2 = 1, Fb = 1, G = 1.
/// Tables (pre = fixed<4,1>, 16 entries, index z + 8, v = z/2): S(7) = round(8·σ(3.5) = 7.7655) = 8,
/// T(7) = round(7.9854) = 8, T(-8) = round(-7.9946) = -8, T(2) = round(6.0928) = 6, T(-2) = -6.
/// Gc = max(Fa + Fc, 2Fa) = max(6, 6) = 6.
///
/// t = 0, x = [100]: s = (±127·100)<<(1-0) = ±25400; z = sat4(rshift(±25400, 1-1 = 0)) = 7 or -8.
///   pre = [7, 7, 7, 7, 7, -8, 7, 7]; gates i = f = o = 8, g = [8, -8].
///   unit 0: c' = sat4(rshift((8·0) + (8·8) = 64, 3) = 8) = 7            ← saturates at `c`
///     zc = rshift(7, 3-1) = 9>>2 = 2; tc = T(2) = 6; h = rshift(8·6 = 48, 6-2) = 56>>4 = 3.
///   unit 1: c' = sat4(rshift(-64, 3) = -60>>3 = -8) = -8 (exactly the minimum, no saturation)
///     zc = rshift(-8, 2) = -6>>2 = -2; tc = -6; h = rshift(-48, 4) = -40>>4 = -3.
/// t = 1, x = [100]: same pre and gates (U = 0).
///   unit 0: c' = sat4(rshift((8·7)<<0 + 64 = 120, 3) = 124>>3 = 15) = 7     ← saturates
///   unit 1: c' = sat4(rshift((8·-8) + (-64) = -128, 3) = -124>>3 = -16) = -8 ← saturates
///   tc and h as at t = 0: [6, -6], [3, -3].
#[test]
fn saturation_at_pre_and_c() {
    let l = layer(L {
        cell: Cell::Lstm,
        hidden: 2,
        kernel: 1,
        pre: fmt(4, 1),
        act_frac: 3,
        c_fmt: Some(fmt(4, 3)),
        h_fmt: fixed(4, 2),
        bias_fmt: fmt(6, 1),
        w: weights(
            Scheme::Int(8),
            &[8, 1],
            &[127, 127, 127, 127, 127, -127, 127, 127],
            &[1],
            0,
        ),
        u: weights(Scheme::Ternary, &[8, 2], &[0; 16], &[1], -1),
        bias: vec![0; 8],
        bias_h: vec![],
    });
    let m = model(1, None, fixed(8, 0), vec![l], None);
    let r = run(&m, &[vec![100], vec![100]]).unwrap();
    for (t, step) in r.trace.iter().enumerate() {
        let lt = &step.layers[0];
        assert_eq!(
            lt.pre,
            vec![7, 7, 7, 7, 7, -8, 7, 7],
            "t{t} pre saturates to [-8, 7]"
        );
        assert_eq!(lt.gates, vec![8, 8, 8, 8, 8, -8, 8, 8], "t{t} gates");
        assert_eq!(lt.c, Some(vec![7, -8]), "t{t} c saturates to [-8, 7]");
        assert_eq!(lt.tanh_c, Some(vec![6, -6]), "t{t} tanh(c)");
        assert_eq!(lt.h, vec![3, -3], "t{t} h");
    }
}

/// Saturation at `c_pre` (the cell state into the tanh table) and at `h`.
///
/// Model: X = fixed<8,0>, I = 1, H = 1, Hf = fixed<3,3> ([-4, 3]), B = fixed<6,3> (b = 0),
/// pre = fixed<4,3> ([-8, 7], i.e. [-1, 0.875]), Fa = 3, C = fixed<8,3>.
///   W int8 [127, 127, 127, 127], kW = 0; U ternary 0, kU = 0. φW = 0, φU = 3, Fb = 3, G = 3.
/// Tables (index z + 8, v = z/8): S(7) = round(5.6463) = 6, T(7) = round(5.6312) = 6,
/// T(5) = round(4.4368) = 4. Gc = max(3 + 3, 6) = 6.
///
/// t = 0, x = [100]: s = 12700<<3 = 101600 → z = sat4(101600) = 7 for every row; i = f = g = o = 6.
///   c' = rshift((6·0) + (6·6) = 36, 6-3) = 40>>3 = 5; zc = requant(5, 3 → fixed<4,3>) = 5;
///   tc = T(5) = 4; h = requant(6·4 = 24, 6 → fixed<3,3>) = rshift(24, 3) = 28>>3 = 3 (= max, exact).
/// t = 1, x = [100]: same gates.
///   c' = rshift((6·5)<<0 + 36 = 66, 3) = 70>>3 = 8 (fits C);
///   zc = requant(8, 3 → fixed<4,3>) = sat4(8) = 7                        ← saturates at `c_pre`
///   tc = T(7) = 6; h = sat3(rshift(36, 3) = 40>>3 = 5) = 3                ← saturates at `h`
#[test]
fn saturation_at_c_pre_and_h() {
    let l = layer(L {
        cell: Cell::Lstm,
        hidden: 1,
        kernel: 1,
        pre: fmt(4, 3),
        act_frac: 3,
        c_fmt: Some(fmt(8, 3)),
        h_fmt: fixed(3, 3),
        bias_fmt: fmt(6, 3),
        w: weights(Scheme::Int(8), &[4, 1], &[127, 127, 127, 127], &[1], 0),
        u: weights(Scheme::Ternary, &[4, 1], &[0; 4], &[1], 0),
        bias: vec![0; 4],
        bias_h: vec![],
    });
    let m = model(1, None, fixed(8, 0), vec![l], None);
    let r = run(&m, &[vec![100], vec![100]]).unwrap();
    let t0 = &r.trace[0].layers[0];
    assert_eq!(t0.pre, vec![7; 4]);
    assert_eq!(t0.gates, vec![6; 4]);
    assert_eq!(t0.c, Some(vec![5]));
    assert_eq!(t0.tanh_c, Some(vec![4]));
    assert_eq!(t0.h, vec![3]);
    let t1 = &r.trace[1].layers[0];
    assert_eq!(t1.c, Some(vec![8]), "t1 c = 8 fits fixed<8,3>");
    assert_eq!(t1.tanh_c, Some(vec![6]), "t1 tanh(c) reads T(sat4(8) = 7)");
    assert_eq!(t1.h, vec![3], "t1 h saturates");
}

// ---------------------------------------------------------------------------------------------
// Binary h in a GRU (§7.2 with F(Hf) = 0, initial h = +1, binarize(0) = +1).
// ---------------------------------------------------------------------------------------------

/// GRU, H = 1, I = 2, binary h: the `z·h` term uses h = ±1 at fraction 0.
///
/// Model: X = fixed<4,2>, Hf = binary, B = fixed<6,3>, pre = fixed<6,3>, Fa = 3. Rows [r, z, n]:
///   W ternary [[1,-1], [0,1], [-1,1]], kW = 1; U binary [1, -1, 1], kU = 2;
///   b_x = [1, 1, -4], b_h = [2, 1, -4].
/// Fractions: φW = 1 + 2 = 3, φU = 2 + 0 = 2, Fb = 3; G = 3, Gh = max(2,3) = 3, Gx = 3,
///   Gn = max(3, 3+3) = 6, Gh' = max(2·3, 3+0) = 6. So z_r = sat6(TW_r + TU_r<<1 + b_xr + b_hr),
///   hn = sat6(TU_n<<1 + b_hn), xn = TW_n + b_xn, z_n = rshift(xn<<3 + r·hn, 3),
///   v = (8 - z)·n + (z·h)<<3, h' = binarize(v).
///
/// t = 0: x = [7, -2], h = [+1] (§7: binary h starts at +1). TW = [9, -2, -9], TU = [1, -1, 1].
///   z_r = 9 + 2 + 3 = 14, z_z = -2 - 2 + 2 = -2, hn = 2 - 4 = -2, xn = -9 - 4 = -13.
///   r = S(14) = round(6.8156) = 7, z = S(-2) = round(3.5026) = 4.
///   z_n = rshift(-104 + 7·-2 = -118, 3) = -114>>3 = -15; n = T(-15) = round(-7.6337) = -8.
///   v = (8-4)·(-8) + (4·1)<<3 = -32 + 32 = 0 → h = binarize(0) = +1.
/// t = 1: x = [-2, -4], h = [+1]. TW = [2, -4, -2], TU = [1, -1, 1].
///   z_r = 2 + 2 + 3 = 7, z_z = -4 - 2 + 2 = -4, hn = -2, xn = -2 - 4 = -6.
///   r = S(7) = round(5.6463) = 6, z = S(-4) = round(3.0203) = 3.
///   z_n = rshift(-48 + 6·-2 = -60, 3) = -56>>3 = -7; n = T(-7) = round(-5.6312) = -6.
///   v = 5·(-6) + (3·1)<<3 = -30 + 24 = -6 → h = -1.
/// t = 2: x = [3, 3], h = [-1]. TW = [0, 3, 0], TU = [-1, 1, -1].
///   z_r = 0 - 2 + 3 = 1, z_z = 3 + 2 + 2 = 7, hn = -2 - 4 = -6, xn = 0 - 4 = -4.
///   r = S(1) = round(4.2497) = 4, z = S(7) = 6.
///   z_n = rshift(-32 + 4·-6 = -56, 3) = -52>>3 = -7; n = T(-7) = -6.
///   v = 2·(-6) + (6·-1)<<3 = -12 - 48 = -60 → h = -1.
#[test]
fn gru_binary_h() {
    let l = layer(L {
        cell: Cell::Gru,
        hidden: 1,
        kernel: 1,
        pre: fmt(6, 3),
        act_frac: 3,
        c_fmt: None,
        h_fmt: ActFmt::Binary,
        bias_fmt: fmt(6, 3),
        w: weights(Scheme::Ternary, &[3, 2], &[1, -1, 0, 1, -1, 1], &[1], 1),
        u: weights(Scheme::Binary, &[3, 1], &[1, -1, 1], &[1], 2),
        bias: vec![1, 1, -4],
        bias_h: vec![2, 1, -4],
    });
    let m = model(2, None, fixed(4, 2), vec![l], None);
    let r = run(&m, &[vec![7, -2], vec![-2, -4], vec![3, 3]]).unwrap();
    let want = [
        // (pre [z_r, z_z, z_n], gates [r, z, n], hn, h)
        ([14, -2, -15], [7, 4, -8], -2, 1),
        ([7, -4, -7], [6, 3, -6], -2, -1),
        ([1, 7, -7], [4, 6, -6], -6, -1),
    ];
    for (t, (pre, gates, hn, h)) in want.iter().enumerate() {
        let lt = &r.trace[t].layers[0];
        assert_eq!(lt.pre, pre.to_vec(), "t{t} pre");
        assert_eq!(lt.gates, gates.to_vec(), "t{t} gates");
        assert_eq!(lt.hn, Some(vec![*hn]), "t{t} hn");
        assert_eq!(lt.h, vec![*h], "t{t} h");
    }
}

// ---------------------------------------------------------------------------------------------
// ConvLSTM with binary x and binary h: padded taps are 0, not -1 (§7.3); 1×1-conv head (§8).
// ---------------------------------------------------------------------------------------------

/// 2×2 map, k = 3: every pixel's window covers the whole map and 5 padded taps.
///
/// Model: X = binary, Hf = binary, Cin = Ch = 1, B = fixed<6,2>, pre = fixed<6,3>, Fa = 3,
/// C = fixed<6,2> (Fc = 2 < Fz = 3, so `c_pre` is an exact left shift). Binary kernels, kW = kU = 1:
/// ```text
///     W_i    W_f    W_g    W_o        U_i    U_f    U_g    U_o
///    + + +  + - +  + + -  - + -      + + +  - - -  - + +  + - +
///    + + +  - + -  + - -  + + +      + + +  - + -  - + +  + + -
///    + + +  + - +  - - -  - + -      + + +  - - -  - - +  - - -
/// ```
/// b = [i 0, f 2, g -1, o 1]. Head: binary D = [[1], [-1]] (O = 2), kD = 1, bD = [3, 1] in
/// fixed<8,3>, Y = fixed<6,2>.
/// Fractions: φW = φU = 1 + 0 = 1, Fb = 2, G = 2; z = requant(s, 2 → 3) = s<<1 (exact).
/// Gc = max(Fa + Fc, 2Fa) = max(5, 6) = 6: c' = sat6(rshift((f·c)<<1 + i·g, 4)), zc = c'<<1,
/// h = binarize(o·tc). Head: φD = 1 + 0 = 1, G_D = max(1, 3) = 3,
/// y_o = rshift((D_o·h)<<2 + bD_o, 3 - 2 = 1): h = +1 → [rshift(7,1) = 4, rshift(-3,1) = -2>>1 = -1];
/// h = -1 → [rshift(-1,1) = 0>>1 = 0, rshift(5,1) = 6>>1 = 3].
///
/// Padding: pixel (0,0) reads the kernel's lower-right 2×2 block (taps dy,dx ∈ {1,2}), (0,1) the
/// lower-left, (1,0) the upper-right, (1,1) the upper-left; the other 5 taps are padding and add
/// 0 even though every in-map activation is ±1.
///
/// t = 0: x = [[+1,-1],[-1,-1]], h = +1 everywhere (§7), c = 0. With h = +1, acc^U is the sum of
/// the block's codes: U_i 4 at every pixel (had padding counted as -1 it would be 4 - 5 = -1);
/// U_f -2 (centre + and three -); U_g [[2,-2],[4,0]]; U_o [[-2,0],[0,2]].
/// acc^W: W_i Σx = -2 everywhere; W_f (0,0): [[+,-],[-,+]]⊙x = 1+1+1-1 = 2, → [[2,-2],[-2,2]];
/// W_g [[2,4],[4,0]]; W_o [[0,0],[0,-4]].
/// s = accW<<1 + accU<<1 + b, z = s<<1:
/// ```text
///     z_i      z_f        z_g       z_o
///    8  8    4 -12     14   6    -6  2
///    8  8  -12   4     30  -2     2 -6
/// ```
/// (e.g. z_g(0,0) = (2·2 + 2·2 - 1)·2 = 14.)  Gates: S(8) = round(5.8485) = 6, S(4) = 5,
/// S(-12) = round(1.4594) = 1, T(14) = round(7.531) = 8, T(6) = round(5.0812) = 5, T(30) = 8,
/// T(-2) = -2, S(-6) = 3, S(2) = 4.
/// ```text
///   (0,0) i6 f5 g8  o3: v = 48  c' = 56>>4 = 3   zc = 6  tc = T(6) = 5  o·tc = 15 → +1
///   (0,1) i6 f1 g5  o4: v = 30  c' = 38>>4 = 2   zc = 4  tc = 4         o·tc = 16 → +1
///   (1,0) i6 f1 g8  o4: v = 48  c' = 3           zc = 6  tc = 5         o·tc = 20 → +1
///   (1,1) i6 f5 g-2 o3: v = -12 c' = -4>>4 = -1  zc = -2 tc = -2        o·tc = -6 → -1
/// ```
/// head = [4,-1, 4,-1, 4,-1, 0,3] (pixel-major, O = 2 per pixel).
///
/// t = 1: x = [[-1,+1],[+1,+1]], h = [[+1,+1],[+1,-1]], c = [[3,2],[3,-1]].
/// acc^W: i [[2,2],[2,2]], f [[-2,2],[2,-2]], g [[-2,-4],[-4,0]], o [[0,0],[0,4]];
/// acc^U: i [[2,2],[2,2]], f [[0,0],[0,-4]], g [[0,0],[2,-2]], o [[0,2],[2,0]]
/// (e.g. U_f at (1,1): upper-left block [[-,-],[-,+]] ⊙ h = -1 - 1 - 1 - 1 = -4).
/// ```text
///     z_i        z_f          z_g           z_o
///    16 16     -4  12     -10 -18       2  10
///    16 16     12 -20     -10 -10      10  18
/// ```
/// Gates: S(16) = round(7.0464) = 7, S(-4) = 3, S(12) = round(6.5406) = 7, S(-20) = round(0.6069) = 1,
/// T(-10) = round(-6.7863) = -7, T(-18) = round(-7.8242) = -8, S(2) = 4, S(10) = round(6.2184) = 6,
/// S(18) = round(7.2372) = 7.
/// ```text
///   (0,0) i7 f3 g-7 o4: v = (3·3)<<1 - 49 = -31  c' = -23>>4 = -2  zc = -4 tc = -4      → -1
///   (0,1) i7 f7 g-8 o6: v = (7·2)<<1 - 56 = -28  c' = -20>>4 = -2  zc = -4 tc = -4      → -1
///   (1,0) i7 f7 g-7 o6: v = (7·3)<<1 - 49 = -7   c' = 1>>4 = 0     zc = 0  tc = 0  o·tc = 0 → +1
///   (1,1) i7 f1 g-7 o7: v = (1·-1)<<1 - 49 = -51 c' = -43>>4 = -3  zc = -6 tc = T(-6) = -5 → -1
/// ```
/// head = [0,3, 0,3, 4,-1, 0,3].
#[test]
fn convlstm_binary_activations_padding_and_head() {
    #[rustfmt::skip]
    let w: [i8; 36] = [
        1, 1, 1, 1, 1, 1, 1, 1, 1, // i
        1, -1, 1, -1, 1, -1, 1, -1, 1, // f
        1, 1, -1, 1, -1, -1, -1, -1, -1, // g
        -1, 1, -1, 1, 1, 1, -1, 1, -1, // o
    ];
    #[rustfmt::skip]
    let u: [i8; 36] = [
        1, 1, 1, 1, 1, 1, 1, 1, 1, // i
        -1, -1, -1, -1, 1, -1, -1, -1, -1, // f
        -1, 1, 1, -1, 1, 1, -1, -1, 1, // g
        1, -1, 1, 1, 1, -1, -1, -1, -1, // o
    ];
    let l = layer(L {
        cell: Cell::ConvLstm,
        hidden: 1,
        kernel: 3,
        pre: fmt(6, 3),
        act_frac: 3,
        c_fmt: Some(fmt(6, 2)),
        h_fmt: ActFmt::Binary,
        bias_fmt: fmt(6, 2),
        w: weights(Scheme::Binary, &[4, 1, 3, 3], &w, &[1], 1),
        u: weights(Scheme::Binary, &[4, 1, 3, 3], &u, &[1], 1),
        bias: vec![0, 2, -1, 1],
        bias_h: vec![],
    });
    let head = Head {
        w: weights(Scheme::Binary, &[2, 1], &[1, -1], &[1], 1),
        bias: vec![3, 1],
        bias_fmt: fmt(8, 3),
        out_fmt: fmt(6, 2),
    };
    let m = model(1, Some((2, 2)), ActFmt::Binary, vec![l], Some(head));
    let r = run(&m, &[vec![1, -1, -1, -1], vec![-1, 1, 1, 1]]).unwrap();

    let t0 = &r.trace[0];
    #[rustfmt::skip]
    let pre0 = vec![
        8, 4, 14, -6,    8, -12, 6, 2,
        8, -12, 30, 2,   8, 4, -2, -6,
    ];
    assert_eq!(t0.layers[0].pre, pre0, "t0 pre ([i,f,g,o] per pixel)");
    #[rustfmt::skip]
    let gates0 = vec![6, 5, 8, 3,   6, 1, 5, 4,   6, 1, 8, 4,   6, 5, -2, 3];
    assert_eq!(t0.layers[0].gates, gates0, "t0 gates");
    assert_eq!(t0.layers[0].c, Some(vec![3, 2, 3, -1]), "t0 c");
    assert_eq!(t0.layers[0].tanh_c, Some(vec![5, 4, 5, -2]), "t0 tanh(c)");
    assert_eq!(t0.layers[0].h, vec![1, 1, 1, -1], "t0 h");
    assert_eq!(t0.head, Some(vec![4, -1, 4, -1, 4, -1, 0, 3]), "t0 head");

    let t1 = &r.trace[1];
    #[rustfmt::skip]
    let pre1 = vec![
        16, -4, -10, 2,   16, 12, -18, 10,
        16, 12, -10, 10,  16, -20, -10, 18,
    ];
    assert_eq!(t1.layers[0].pre, pre1, "t1 pre");
    #[rustfmt::skip]
    let gates1 = vec![7, 3, -7, 4,   7, 7, -8, 6,   7, 7, -7, 6,   7, 1, -7, 7];
    assert_eq!(t1.layers[0].gates, gates1, "t1 gates");
    assert_eq!(t1.layers[0].c, Some(vec![-2, -2, 0, -3]), "t1 c");
    assert_eq!(t1.layers[0].tanh_c, Some(vec![-4, -4, 0, -5]), "t1 tanh(c)");
    assert_eq!(
        t1.layers[0].h,
        vec![-1, -1, 1, -1],
        "t1 h: binarize(0) = +1 at (1,0)"
    );
    assert_eq!(t1.head, Some(vec![0, 3, 0, 3, 4, -1, 0, 3]), "t1 head");
    assert_eq!(r.outputs[1], vec![0, 3, 0, 3, 4, -1, 0, 3]);
}

// ---------------------------------------------------------------------------------------------
// Point `input` (§9): sat(⌊x·2^F + 1/2⌋); binary: +1 if x ≥ 0.
// ---------------------------------------------------------------------------------------------

fn input_model(x: ActFmt) -> Model {
    let mut spec = qrnn_model::example::ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 1, 1, 1);
    spec.formats.x = x;
    let m = qrnn_model::example::example(&spec);
    m.validate().unwrap();
    m
}

fn quantize_one(m: &Model, x: f64) -> i64 {
    qrnn_golden::quantize_input(m, &[vec![x]])[0][0]
}

#[test]
fn input_point_rounds_half_up_and_saturates() {
    // fixed<4,2>: q = sat4(⌊4x + 1/2⌋), range [-8, 7]
    let m = input_model(fixed(4, 2));
    assert_eq!(quantize_one(&m, 0.375), 2); // ⌊1.5 + 0.5⌋ = 2 (tie, up)
    assert_eq!(quantize_one(&m, -0.375), -1); // ⌊-1.5 + 0.5⌋ = -1 (tie, up: toward +∞)
    assert_eq!(quantize_one(&m, 0.125), 1); // ⌊0.5 + 0.5⌋ = 1
    assert_eq!(quantize_one(&m, -0.125), 0); // ⌊-0.5 + 0.5⌋ = 0
    assert_eq!(quantize_one(&m, 1.8), 7); // ⌊7.2 + 0.5⌋ = 7
    assert_eq!(quantize_one(&m, 1.9), 7); // ⌊7.6 + 0.5⌋ = 8 → sat 7
    assert_eq!(quantize_one(&m, -2.0), -8); // -8 exactly, the minimum
    assert_eq!(quantize_one(&m, -2.2), -8); // ⌊-8.8 + 0.5⌋ = -9 → sat -8
    assert_eq!(quantize_one(&m, 1e300), 7);
    assert_eq!(quantize_one(&m, f64::NEG_INFINITY), -8);
    // The largest f64 below 1/2, scaled: 4x = 0.49999999999999994 (= 1/2 - 2^-54), so
    // ⌊4x + 1/2⌋ = ⌊1 - 2^-54⌋ = 0. (In f64, 4x + 0.5 rounds to exactly 1.0: a naive
    // `(x·2^F + 0.5).floor()` gives 1 here.)
    let below_half = 0.5f64.next_down();
    assert_eq!(below_half, 0.49999999999999994);
    assert_eq!(quantize_one(&m, below_half / 4.0), 0);
    assert_eq!(quantize_one(&m, -below_half / 4.0), 0); // ⌊2^-54⌋ = 0
                                                        // fixed<8,0>: integers
    let m0 = input_model(fixed(8, 0));
    assert_eq!(quantize_one(&m0, below_half), 0);
    assert_eq!(quantize_one(&m0, 0.5), 1);
    assert_eq!(quantize_one(&m0, 2.5), 3);
    assert_eq!(quantize_one(&m0, -2.5), -2);
    // fixed<4,-1>: q = ⌊x/2 + 1/2⌋, one unit = 2
    let mn = input_model(fixed(4, -1));
    assert_eq!(quantize_one(&mn, 3.0), 2); // ⌊1.5 + 0.5⌋ = 2 (real 4)
    assert_eq!(quantize_one(&mn, 2.9), 1); // ⌊1.45 + 0.5⌋ = 1
    assert_eq!(quantize_one(&mn, -3.0), -1); // ⌊-1.5 + 0.5⌋ = -1
                                             // binary: +1 if x ≥ 0 (so 0 and -0.0 give +1)
    let mb = input_model(ActFmt::Binary);
    assert_eq!(quantize_one(&mb, 0.0), 1);
    assert_eq!(quantize_one(&mb, -0.0), 1);
    assert_eq!(quantize_one(&mb, 0.3), 1);
    assert_eq!(quantize_one(&mb, -1e-300), -1);
}
