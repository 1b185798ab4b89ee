//! NUMERICS.md §11, the worked example, executed.

use qrnn_golden::run;
use qrnn_model::table::{sigmoid_table, tanh_table};
use qrnn_model::{ActFmt, Cell, Fmt, InputSpec, Layer, Model, Provenance, Scale, Scheme, Weights};

#[test]
fn worked_example_numerics_s11() {
    let pre = Fmt::new(6, 3).unwrap();
    let layer = Layer {
        cell: Cell::Lstm,
        hidden: 1,
        kernel: 1,
        pre,
        act_frac: 3,
        c_fmt: Some(Fmt::new(8, 4).unwrap()),
        h_fmt: ActFmt::Fixed(Fmt::new(4, 3).unwrap()),
        bias_fmt: Fmt::new(8, 4).unwrap(),
        w: Weights {
            scheme: Scheme::Ternary,
            shape: vec![4, 1],
            codes: vec![1, 1, -1, 1],
            scale: Scale::pow2(1),
        },
        u: Weights {
            scheme: Scheme::Ternary,
            shape: vec![4, 1],
            codes: vec![0, 1, 1, 0],
            scale: Scale::pow2(1),
        },
        bias: vec![0; 4],
        bias_h: vec![],
        sigmoid: sigmoid_table(pre, 3),
        tanh: tanh_table(pre, 3),
    };
    let model = Model {
        name: "s11".into(),
        input: InputSpec {
            size: 1,
            map: None,
            format: ActFmt::Fixed(Fmt::new(4, 2).unwrap()),
        },
        layers: vec![layer],
        head: None,
        provenance: Provenance::default(),
    };
    let r = run(&model, &[vec![2]]).unwrap();
    let t = &r.trace[0].layers[0];
    assert_eq!(t.pre, vec![2, 2, -2, 2]);
    assert_eq!(t.gates, vec![4, 4, -2, 4]);
    assert_eq!(t.c, Some(vec![-2]));
    assert_eq!(t.tanh_c, Some(vec![-1]));
    assert_eq!(t.h, vec![0]);
}
