//! The importer on state dicts made here, in memory: every container variant it accepts reads
//! the same network (safetensors F32/F64/F16/BF16, npz stored/deflated/Fortran-order), the
//! biases are split as NUMERICS.md §7 needs, Larq bit-packing follows its documented layout, and
//! every kind of bad file fails with an error that names the file and the tensor.

use qrnn_model::{Cell, Scheme};
use qrnn_train::import::{
    build_model, import, parse_net, read_state_dict, HeadChoice, ImportError, Matrix, ModelOptions,
    Net, NetOptions,
};
use qrnn_train::quant::QuantSpec;
use safetensors::Dtype;
use std::io::Write;
use std::path::{Path, PathBuf};

type T = (String, Vec<usize>, Vec<f32>);

/// Deterministic values `k/64` in about [-0.5, 0.5] (exact in f16 and bf16 too).
fn vals(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 37 + seed * 11) % 61) as f32 - 30.0) / 64.0)
        .collect()
}

/// An `nn.LSTM`/`nn.GRU` state dict: gates·h rows, `layers` layers, optional `fc` head.
fn rnn(prefix: &str, g: usize, i: usize, h: usize, layers: usize, head: Option<usize>) -> Vec<T> {
    let mut t = Vec::new();
    let mut inp = i;
    for k in 0..layers {
        t.push((
            format!("{prefix}weight_ih_l{k}"),
            vec![g * h, inp],
            vals(g * h * inp, 4 * k),
        ));
        t.push((
            format!("{prefix}weight_hh_l{k}"),
            vec![g * h, h],
            vals(g * h * h, 4 * k + 1),
        ));
        t.push((
            format!("{prefix}bias_ih_l{k}"),
            vec![g * h],
            vals(g * h, 4 * k + 2),
        ));
        t.push((
            format!("{prefix}bias_hh_l{k}"),
            vec![g * h],
            vals(g * h, 4 * k + 3),
        ));
        inp = h;
    }
    if let Some(o) = head {
        t.push(("fc.weight".into(), vec![o, h], vals(o * h, 90)));
        t.push(("fc.bias".into(), vec![o], vals(o, 91)));
    }
    t
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn st_raw(tensors: &[(String, Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(n, d, s, b)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(*d, s.clone(), b).expect("view"),
            )
        })
        .collect();
    safetensors::serialize(views, None).expect("serialize")
}

fn st(tensors: &[T]) -> Vec<u8> {
    let raw: Vec<_> = tensors
        .iter()
        .map(|(n, s, v)| (n.clone(), Dtype::F32, s.clone(), f32_bytes(v)))
        .collect();
    st_raw(&raw)
}

/// A `.npy` file (version 1.0) with the given dtype descr, order and raw data.
fn npy(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let shape_s = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut h = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape_s}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h.as_bytes());
    out.extend(data);
    out
}

fn npz(entries: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    });
    for (name, bytes) in entries {
        zw.start_file(format!("{name}.npy"), opts).expect("start");
        zw.write_all(bytes).expect("write");
    }
    zw.finish().expect("finish").into_inner()
}

fn npz_of(tensors: &[T], deflate: bool, fortran: bool) -> Vec<u8> {
    let entries: Vec<(String, Vec<u8>)> = tensors
        .iter()
        .map(|(n, s, v)| {
            let data = if fortran && s.len() == 2 {
                // column-major: element (r, c) at c·rows + r
                let mut f = vec![0f32; v.len()];
                for r in 0..s[0] {
                    for c in 0..s[1] {
                        f[c * s[0] + r] = v[r * s[1] + c];
                    }
                }
                f
            } else {
                v.clone()
            };
            (n.clone(), npy("<f4", fortran, s, &f32_bytes(&data)))
        })
        .collect();
    npz(&entries, deflate)
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().expect("tempdir"))
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }
}

fn net(path: &Path, opts: &NetOptions) -> Result<Net, ImportError> {
    parse_net(&read_state_dict(path)?, opts)
}

fn err(path: &Path, opts: &NetOptions) -> String {
    let e = net(path, opts).expect_err("should fail");
    let s = e.to_string();
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(s.contains(&file), "the error names the file: {s}");
    s
}

fn without(t: &[T], name: &str) -> Vec<T> {
    t.iter().filter(|x| x.0 != name).cloned().collect()
}

fn replace(t: &[T], name: &str, shape: Vec<usize>, v: Vec<f32>) -> Vec<T> {
    t.iter()
        .map(|x| {
            if x.0 == name {
                (name.to_string(), shape.clone(), v.clone())
            } else {
                x.clone()
            }
        })
        .collect()
}

#[test]
fn every_container_reads_the_same_network() {
    let d = Dir::new();
    let t = rnn("lstm.", 4, 3, 4, 2, Some(2));
    let base = net(&d.write("a.safetensors", &st(&t)), &NetOptions::default()).unwrap();
    assert_eq!(base.cell, Cell::Lstm);
    assert_eq!(base.input, 3);
    assert_eq!(base.layers.len(), 2);
    assert_eq!(base.rnn_prefix, "lstm.");
    assert_eq!(base.head.as_ref().unwrap().prefix, "fc");
    assert!(base.ignored.is_empty());
    let by_dtype = |dt: Dtype, conv: fn(f32) -> Vec<u8>| {
        let raw: Vec<_> = t
            .iter()
            .map(|(n, s, v)| {
                (
                    n.clone(),
                    dt,
                    s.clone(),
                    v.iter().flat_map(|x| conv(*x)).collect(),
                )
            })
            .collect();
        st_raw(&raw)
    };
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("stored.npz", npz_of(&t, false, false)),
        ("deflated.npz", npz_of(&t, true, false)),
        ("fortran.npz", npz_of(&t, false, true)),
        (
            "f64.safetensors",
            by_dtype(Dtype::F64, |x| (x as f64).to_le_bytes().to_vec()),
        ),
        (
            "bf16.safetensors",
            by_dtype(Dtype::BF16, |x| {
                ((x.to_bits() >> 16) as u16).to_le_bytes().to_vec()
            }),
        ),
        (
            "f16.safetensors",
            by_dtype(Dtype::F16, |x| {
                // x = k/64 with |k| ≤ 32: exact in f16
                let k = (x * 64.0) as i32;
                if k == 0 {
                    return vec![0, 0];
                }
                let (sign, mut m, mut e) = (u16::from(k < 0), k.unsigned_abs(), 0i32);
                while m >= 2 {
                    m >>= 1;
                    e += 1;
                }
                let mant = ((k.unsigned_abs() as f32 / (1u32 << e) as f32 - 1.0) * 1024.0) as u16;
                let exp = (e - 6 + 15) as u16;
                ((sign << 15) | (exp << 10) | mant).to_le_bytes().to_vec()
            }),
        ),
    ];
    for (name, bytes) in variants {
        let n = net(&d.write(name, &bytes), &NetOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(n, base, "{name}");
    }
    // the same in a 64-bit float .npy
    let entries: Vec<(String, Vec<u8>)> = t
        .iter()
        .map(|(n, s, v)| {
            let b: Vec<u8> = v.iter().flat_map(|x| (*x as f64).to_le_bytes()).collect();
            (n.clone(), npy("<f8", false, s, &b))
        })
        .collect();
    let n = net(
        &d.write("f8.npz", &npz(&entries, false)),
        &NetOptions::default(),
    )
    .unwrap();
    assert_eq!(n, base);
}

#[test]
fn biases_lstm_summed_gru_apart() {
    let d = Dir::new();
    let opts = ModelOptions {
        auto_bias: true,
        ..ModelOptions::default()
    };
    let t = rnn("", 4, 2, 3, 1, None);
    let p = d.write("l.safetensors", &st(&t));
    let m = import(&p, &NetOptions::default(), &opts).unwrap().model;
    let l = &m.layers[0];
    assert_eq!(l.cell, Cell::Lstm);
    assert!(l.bias_h.is_empty());
    let (bi, bh) = (&t[2].2, &t[3].2);
    for r in 0..12 {
        assert_eq!(
            l.bias[r],
            l.bias_fmt.quantize((bi[r] + bh[r]) as f64),
            "row {r}"
        );
    }
    // auto bias format: |b| ≤ 1 → fixed<16,12>
    assert_eq!(l.bias_fmt.to_string(), "fixed<16,12>");
    let t = rnn("", 3, 2, 3, 1, None);
    let p = d.write("g.safetensors", &st(&t));
    let m = import(&p, &NetOptions::default(), &opts).unwrap().model;
    let l = &m.layers[0];
    assert_eq!(l.cell, Cell::Gru);
    let q = |v: &[f32]| {
        v.iter()
            .map(|x| l.bias_fmt.quantize(*x as f64))
            .collect::<Vec<_>>()
    };
    assert_eq!(l.bias, q(&t[2].2));
    assert_eq!(l.bias_h, q(&t[3].2));
    assert_eq!(m.name, "g");
    // bias=False: no bias tensors at all → zeros
    let t = without(
        &without(&rnn("", 3, 2, 3, 1, None), "bias_ih_l0"),
        "bias_hh_l0",
    );
    let m = import(
        &d.write("nb.npz", &npz_of(&t, false, false)),
        &NetOptions::default(),
        &opts,
    )
    .unwrap()
    .model;
    assert!(m.layers[0]
        .bias
        .iter()
        .chain(&m.layers[0].bias_h)
        .all(|b| *b == 0));
}

#[test]
fn missing_tensors() {
    let d = Dir::new();
    let t = rnn("", 4, 3, 4, 2, Some(2));
    let e = err(
        &d.write("m1.safetensors", &st(&without(&t, "bias_hh_l1"))),
        &NetOptions::default(),
    );
    assert!(e.contains("`bias_hh_l1` is missing"), "{e}");
    let e = err(
        &d.write(
            "m2.npz",
            &npz_of(&without(&t, "weight_ih_l1"), false, false),
        ),
        &NetOptions::default(),
    );
    assert!(e.contains("`weight_ih_l1` is missing"), "{e}");
    // nothing recurrent at all: the message lists what is there
    let only_head: Vec<T> = t
        .iter()
        .filter(|x| x.0.starts_with("fc"))
        .cloned()
        .collect();
    let p = d.write("m3.safetensors", &st(&only_head));
    match net(&p, &NetOptions::default()) {
        Err(ImportError::Missing { tensor, help, .. }) => {
            assert_eq!(tensor, "weight_ih_l0");
            assert!(help.unwrap().contains("`fc.weight`"));
        }
        other => panic!("{other:?}"),
    }
    // an explicit head prefix that is not there
    let e = err(
        &d.write("m4.safetensors", &st(&t)),
        &NetOptions {
            head: HeadChoice::Prefix("out".into()),
            ..NetOptions::default()
        },
    );
    assert!(e.contains("`out.weight` is missing"), "{e}");
}

#[test]
fn wrong_shapes_and_inconsistent_hidden_sizes() {
    let d = Dir::new();
    let t = rnn("", 4, 3, 4, 2, Some(2));
    // weight_hh not gates·h × h
    let e = err(
        &d.write(
            "s1.safetensors",
            &st(&replace(&t, "weight_hh_l0", vec![16, 5], vals(80, 0))),
        ),
        &NetOptions::default(),
    );
    assert!(e.contains("`weight_hh_l0` has shape [16, 5]"), "{e}");
    // layer 1's input weights do not take layer 0's hidden size
    let e = err(
        &d.write(
            "s2.safetensors",
            &st(&replace(&t, "weight_ih_l1", vec![16, 5], vals(80, 0))),
        ),
        &NetOptions::default(),
    );
    assert!(
        e.contains("`weight_ih_l1`") && e.contains("inconsistent hidden sizes"),
        "{e}"
    );
    // layer 1 with a different hidden size but W rows of the old one
    let e = err(
        &d.write(
            "s3.safetensors",
            &st(&replace(&t, "weight_hh_l1", vec![20, 5], vals(100, 0))),
        ),
        &NetOptions::default(),
    );
    assert!(
        e.contains("`weight_ih_l1`") && e.contains("inconsistent hidden sizes"),
        "{e}"
    );
    // a bias of the wrong length
    let e = err(
        &d.write(
            "s4.safetensors",
            &st(&replace(&t, "bias_ih_l0", vec![15], vals(15, 0))),
        ),
        &NetOptions::default(),
    );
    assert!(
        e.contains("`bias_ih_l0` has shape [15], expected [16]"),
        "{e}"
    );
    // the head over the wrong hidden size
    let e = err(
        &d.write(
            "s5.safetensors",
            &st(&replace(&t, "fc.weight", vec![2, 5], vals(10, 0))),
        ),
        &NetOptions::default(),
    );
    assert!(
        e.contains("`fc.weight`") && e.contains("inconsistent hidden sizes"),
        "{e}"
    );
    // a 3-D weight
    let e = err(
        &d.write(
            "s6.safetensors",
            &st(&replace(&t, "weight_ih_l0", vec![16, 3, 1], vals(48, 0))),
        ),
        &NetOptions::default(),
    );
    assert!(e.contains("`weight_ih_l0` has shape [16, 3, 1]"), "{e}");
    // --cell that disagrees
    let e = err(
        &d.write("s7.safetensors", &st(&t)),
        &NetOptions {
            cell: Some(Cell::Gru),
            ..NetOptions::default()
        },
    );
    assert!(e.contains("LSTM"), "{e}");
}

#[test]
fn wrong_dtypes_and_values() {
    let d = Dir::new();
    let t = rnn("", 3, 2, 3, 1, None);
    let mut raw: Vec<_> = t
        .iter()
        .map(|(n, s, v)| (n.clone(), Dtype::F32, s.clone(), f32_bytes(v)))
        .collect();
    raw[1] = (
        "weight_hh_l0".into(),
        Dtype::I32,
        vec![9, 3],
        vec![0u8; 9 * 3 * 4],
    );
    let e = err(
        &d.write("d1.safetensors", &st_raw(&raw)),
        &NetOptions::default(),
    );
    assert!(e.contains("`weight_hh_l0` has dtype I32"), "{e}");
    raw[1] = (
        "weight_hh_l0".into(),
        Dtype::U16,
        vec![9, 3],
        vec![0u8; 9 * 3 * 2],
    );
    let e = err(
        &d.write("d2.safetensors", &st_raw(&raw)),
        &NetOptions::default(),
    );
    assert!(e.contains("`weight_hh_l0` has dtype U16"), "{e}");
    // npz: a string array
    let mut entries: Vec<(String, Vec<u8>)> = t
        .iter()
        .map(|(n, s, v)| (n.clone(), npy("<f4", false, s, &f32_bytes(v))))
        .collect();
    entries[0].1 = npy("<U1", false, &[6, 2], &[0u8; 48]);
    let e = err(
        &d.write("d3.npz", &npz(&entries, false)),
        &NetOptions::default(),
    );
    assert!(e.contains("`weight_ih_l0` has dtype"), "{e}");
    // not finite
    let mut w = vals(9 * 2, 0);
    w[5] = f32::NAN;
    let e = err(
        &d.write(
            "d4.safetensors",
            &st(&replace(&t, "weight_ih_l0", vec![9, 2], w)),
        ),
        &NetOptions::default(),
    );
    assert!(e.contains("`weight_ih_l0`, element 5"), "{e}");
    // too large to quantize: a scale beyond 65535·2^16
    let w = vec![1e30f32; 18];
    let p = d.write(
        "d5.safetensors",
        &st(&replace(&t, "weight_ih_l0", vec![9, 2], w)),
    );
    let e = import(&p, &NetOptions::default(), &ModelOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("d5.safetensors") && e.contains("`weight_ih_l0`") && e.contains("too large"),
        "{e}"
    );
    // a bias no 16-bit format holds
    let p = d.write(
        "d6.safetensors",
        &st(&replace(&t, "bias_hh_l0", vec![9], vec![1e6; 9])),
    );
    let e = import(&p, &NetOptions::default(), &ModelOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bias") && e.contains("--bias-format"), "{e}");
    // a truncated npz entry
    let mut entries: Vec<(String, Vec<u8>)> = t
        .iter()
        .map(|(n, s, v)| (n.clone(), npy("<f4", false, s, &f32_bytes(v))))
        .collect();
    let n = entries[1].1.len();
    entries[1].1.truncate(n - 4);
    let e = err(
        &d.write("d7.npz", &npz(&entries, true)),
        &NetOptions::default(),
    );
    assert!(e.contains("`weight_hh_l0`"), "{e}");
}

#[test]
fn unsupported_networks_and_ambiguity() {
    let d = Dir::new();
    let mut t = rnn("", 4, 3, 4, 1, None);
    t.push(("weight_ih_l0_reverse".into(), vec![16, 3], vals(48, 1)));
    let e = err(&d.write("u1.safetensors", &st(&t)), &NetOptions::default());
    assert!(
        e.contains("bidirectional") && e.contains("weight_ih_l0_reverse"),
        "{e}"
    );
    let mut t = rnn("", 4, 3, 4, 1, None);
    t.push(("weight_hr_l0".into(), vec![2, 4], vals(8, 1)));
    let e = err(&d.write("u2.safetensors", &st(&t)), &NetOptions::default());
    assert!(e.contains("proj_size"), "{e}");
    // two recurrent modules: ambiguous until a prefix is given
    let mut t = rnn("a.", 4, 3, 4, 1, None);
    t.extend(rnn("b.", 3, 3, 2, 1, None));
    let p = d.write("u3.safetensors", &st(&t));
    let e = err(&p, &NetOptions::default());
    assert!(
        e.contains("--rnn-prefix") && e.contains("`a.weight_ih_l0`"),
        "{e}"
    );
    let n = net(
        &p,
        &NetOptions {
            rnn_prefix: Some("b.".into()),
            ..NetOptions::default()
        },
    )
    .unwrap();
    assert_eq!((n.cell, n.layers[0].hidden), (Cell::Gru, 2));
    assert_eq!(n.ignored.len(), 4, "{:?}", n.ignored);
    // two head candidates
    let mut t = rnn("", 4, 3, 4, 1, Some(2));
    t.push(("out.weight".into(), vec![3, 4], vals(12, 5)));
    let p = d.write("u4.safetensors", &st(&t));
    let e = err(&p, &NetOptions::default());
    assert!(
        e.contains("--head-prefix") && e.contains("`out.weight`") && e.contains("`fc.weight`"),
        "{e}"
    );
    let n = net(
        &p,
        &NetOptions {
            head: HeadChoice::Prefix("out".into()),
            ..NetOptions::default()
        },
    )
    .unwrap();
    let h = n.head.unwrap();
    assert_eq!(
        (h.weight.rows, h.bias.clone()),
        (3, vec![0.0; 3]),
        "no out.bias: zeros"
    );
    assert_eq!(
        n.ignored,
        vec!["fc.bias".to_string(), "fc.weight".to_string()]
    );
    let n = net(
        &p,
        &NetOptions {
            head: HeadChoice::None,
            ..NetOptions::default()
        },
    )
    .unwrap();
    assert!(n.head.is_none());
    assert_eq!(n.ignored.len(), 3);
}

/// Larq packing of a `[rows, cols]` ±1 matrix: bit 1 = −1, LSB first, `per` bytes a row.
fn pack(codes: &[i8], rows: usize, cols: usize, per: usize) -> Vec<u8> {
    let mut out = vec![0u8; rows * per];
    for r in 0..rows {
        for c in 0..cols {
            if codes[r * cols + c] == -1 {
                out[r * per + c / 8] |= 1 << (c % 8);
            }
        }
    }
    out
}

fn larq_file(
    w_packed: (Dtype, Vec<usize>, Vec<u8>),
    extra: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
) -> Vec<u8> {
    // GRU, input 10, hidden 2: W [6, 10] packed; U float
    let mut raw = vec![
        (
            "weight_ih_l0.packed".to_string(),
            w_packed.0,
            w_packed.1,
            w_packed.2,
        ),
        (
            "weight_hh_l0".into(),
            Dtype::F32,
            vec![6, 2],
            f32_bytes(&vals(12, 1)),
        ),
        (
            "bias_ih_l0".into(),
            Dtype::F32,
            vec![6],
            f32_bytes(&vals(6, 2)),
        ),
        (
            "bias_hh_l0".into(),
            Dtype::F32,
            vec![6],
            f32_bytes(&vals(6, 3)),
        ),
    ];
    raw.extend(extra);
    st_raw(&raw)
}

#[test]
fn larq_packed_bits() {
    let d = Dir::new();
    let (rows, cols) = (6usize, 10usize);
    let codes: Vec<i8> = (0..rows * cols)
        .map(|i| if (i * 7) % 3 == 0 { -1 } else { 1 })
        .collect();
    let shape = (
        "weight_ih_l0.shape".to_string(),
        Dtype::I64,
        vec![2],
        [6i64, 10]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<u8>>(),
    );
    let larq = NetOptions {
        larq_bits: true,
        ..NetOptions::default()
    };
    // uint8, 2 bytes a row
    let u8_file = larq_file(
        (Dtype::U8, vec![6, 2], pack(&codes, rows, cols, 2)),
        vec![shape.clone()],
    );
    let n8 = net(&d.write("p8.safetensors", &u8_file), &larq).unwrap();
    match &n8.layers[0].w_ih.m {
        Matrix::Packed { codes: c, alpha } => {
            assert_eq!(c, &codes);
            assert_eq!(alpha, &vec![1.0]);
        }
        m => panic!("{m:?}"),
    }
    // the bit convention, literally: first byte 0b0000_0101 → columns 0 and 2 are −1
    let mut one = vec![0u8; 12];
    one[0] = 0b0000_0101;
    let n = net(
        &d.write(
            "lit.safetensors",
            &larq_file((Dtype::U8, vec![6, 2], one), vec![shape.clone()]),
        ),
        &larq,
    )
    .unwrap();
    let Matrix::Packed { codes: c, .. } = &n.layers[0].w_ih.m else {
        panic!()
    };
    assert_eq!(&c[..4], &[-1, 1, -1, 1]);
    assert!(c[4..].iter().all(|x| *x == 1));
    // int32 words, one a row, little-endian: the same network
    let words: Vec<u8> = pack(&codes, rows, cols, 4);
    let n32 = net(
        &d.write(
            "p32.safetensors",
            &larq_file((Dtype::I32, vec![6, 1], words), vec![shape.clone()]),
        ),
        &larq,
    )
    .unwrap();
    assert_eq!(n32, n8);
    // a scale per row
    let scale = (
        "weight_ih_l0.scale".to_string(),
        Dtype::F32,
        vec![6],
        f32_bytes(&[0.5, 0.25, 1.0, 2.0, 0.125, 0.75]),
    );
    let n = net(
        &d.write(
            "ps.safetensors",
            &larq_file(
                (Dtype::U8, vec![6, 2], pack(&codes, rows, cols, 2)),
                vec![shape.clone(), scale],
            ),
        ),
        &larq,
    )
    .unwrap();
    let w = n.layers[0].w_ih.to_f32();
    assert_eq!(w[10], 0.25 * codes[10] as f32);
    // import: binary weights with those codes and scales
    let p = d.write("imp.safetensors", &u8_file);
    let m = import(
        &p,
        &larq,
        &ModelOptions {
            quant: QuantSpec::new(Scheme::Binary),
            ..ModelOptions::default()
        },
    )
    .unwrap()
    .model;
    assert_eq!(m.layers[0].w.codes, codes);
    assert_eq!(m.layers[0].w.scheme, Scheme::Binary);
    assert_eq!(m.layers[0].w.scale.alpha(0), 1.0);
    // ... and not with another scheme
    let e = import(&p, &larq, &ModelOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("binary scheme"), "{e}");

    // bad packed files
    let mut bad = pack(&codes, rows, cols, 2);
    bad[3] |= 0x80; // row 1, column 15: padding
    let e = err(
        &d.write(
            "b1.safetensors",
            &larq_file((Dtype::U8, vec![6, 2], bad), vec![shape.clone()]),
        ),
        &larq,
    );
    assert!(
        e.contains("`weight_ih_l0.packed`") && e.contains("padding bit 15"),
        "{e}"
    );
    let e = err(
        &d.write(
            "b2.safetensors",
            &larq_file((Dtype::U8, vec![6, 3], vec![0; 18]), vec![shape.clone()]),
        ),
        &larq,
    );
    assert!(
        e.contains("`weight_ih_l0.packed` has shape [6, 3], expected [6, 2]"),
        "{e}"
    );
    let e = err(
        &d.write(
            "b3.safetensors",
            &larq_file((Dtype::U8, vec![6, 2], vec![0; 12]), vec![]),
        ),
        &larq,
    );
    assert!(e.contains("`weight_ih_l0.shape` is missing"), "{e}");
    let e = err(
        &d.write(
            "b4.safetensors",
            &larq_file((Dtype::F32, vec![6, 2], vec![0; 48]), vec![shape.clone()]),
        ),
        &larq,
    );
    assert!(e.contains("`weight_ih_l0.packed` has dtype F32"), "{e}");
    let bad_scale = (
        "weight_ih_l0.scale".to_string(),
        Dtype::F32,
        vec![4],
        f32_bytes(&[1.0; 4]),
    );
    let e = err(
        &d.write(
            "b5.safetensors",
            &larq_file(
                (Dtype::U8, vec![6, 2], vec![0; 12]),
                vec![shape.clone(), bad_scale],
            ),
        ),
        &larq,
    );
    assert!(e.contains("`weight_ih_l0.scale` has shape [4]"), "{e}");
    let p = d.write(
        "b6.safetensors",
        &larq_file((Dtype::U8, vec![6, 2], vec![0; 12]), vec![shape]),
    );
    match net(&p, &NetOptions::default()) {
        Err(ImportError::Missing { tensor, help, .. }) => {
            assert_eq!(tensor, "weight_ih_l0");
            assert!(help.unwrap().contains("--larq-bits"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn provenance_records_the_import() {
    let d = Dir::new();
    let t = rnn("", 4, 3, 4, 1, Some(2));
    let p = d.write("rec.npz", &npz_of(&t, true, false));
    let mut spec = QuantSpec::new(Scheme::Binary);
    spec.stochastic_seed = Some(9);
    let sd = read_state_dict(&p).unwrap();
    let n = parse_net(&sd, &NetOptions::default()).unwrap();
    let imp = build_model(
        &sd,
        &n,
        &ModelOptions {
            quant: spec.clone(),
            ..ModelOptions::default()
        },
    )
    .unwrap();
    let m = &imp.model;
    assert_eq!(m.provenance.seed, Some(9));
    let notes: serde_json::Value =
        serde_json::from_str(m.provenance.notes.as_deref().unwrap()).unwrap();
    assert_eq!(notes["import"]["source"], "rec.npz");
    assert_eq!(notes["import"]["format"], "npz");
    assert_eq!(notes["import"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(notes["import"]["sha256"], sd.sha256.as_str());
    let q: QuantSpec = serde_json::from_value(notes["quant"].clone()).unwrap();
    assert_eq!(q, spec);
    assert_eq!(notes["formats"]["bias"], "auto");
    assert_eq!(imp.errors.len(), 3);
    // the head is int8 unless --quant-head
    assert_eq!(m.head.as_ref().unwrap().w.scheme, Scheme::Int(8));
    // a different seed gives different stochastic codes
    let mut s2 = spec;
    s2.stochastic_seed = Some(10);
    let m2 = build_model(
        &sd,
        &n,
        &ModelOptions {
            quant: s2,
            ..ModelOptions::default()
        },
    )
    .unwrap()
    .model;
    assert_ne!(m2.layers[0].w.codes, m.layers[0].w.codes);
}

/// Headers are bounded and checked against the bytes there are before anything is allocated
/// for them (docs/CLI.md "Budgets"); a file that is not the container its name or first bytes
/// say is reported as that container, with what was expected.
#[test]
fn forged_headers_and_wrong_containers_fail_clearly() {
    let d = Dir::new();
    let opts = NetOptions::default();
    let good = rnn("rnn", 4, 3, 2, 1, None);
    // an .npy member whose (version 2.0) header length is 0xFFFFFFFF: 14 bytes in all
    let mut forged = b"\x93NUMPY\x02\x00".to_vec();
    forged.extend([0xFF, 0xFF, 0xFF, 0xFF, b'{', b'}']);
    let mut entries: Vec<(String, Vec<u8>)> = vec![("rnn.weight_ih_l0".into(), forged)];
    let p = d.write("forged.npz", &npz(&entries, false));
    let e = err(&p, &opts);
    assert!(
        e.contains("not a valid npz file")
            && e.contains("member rnn.weight_ih_l0.npy")
            && e.contains("bytes 8..12: header length 4294967295 is more than the 65536"),
        "{e}"
    );
    // a member with less data than its shape × dtype needs
    entries[0].1 = npy("<f4", false, &[1000, 1000], &[0; 16]);
    let p = d.write("short.npz", &npz(&entries, true));
    let e = err(&p, &opts);
    assert!(
        e.contains("array shape (1000, 1000) of '<f4' needs 4000000 bytes of data")
            && e.contains("the file has 16"),
        "{e}"
    );
    // an empty file and a text file named .npz: npz is what was expected
    for (name, bytes) in [("empty.npz", &b""[..]), ("text.npz", b"hello, world\n")] {
        let p = d.write(name, bytes);
        let e = err(&p, &opts);
        assert!(
            e.contains("not a valid npz file") && e.contains("expected a zip archive"),
            "{e}"
        );
        assert!(!e.contains("safetensors"), "{e}");
    }
    assert!(err(&d.write("empty.npz", b""), &opts).contains("the file is empty (0 bytes)"));
    // a safetensors file named .npz is read as what it is
    let p = d.write("really-safetensors.npz", &st(&good));
    assert!(net(&p, &opts).is_ok());
    // an unknown extension and unknown content: both containers are named
    let e = err(&d.write("weights.bin", b"\x00\x01\x02"), &opts);
    assert!(
        e.contains("not a valid safetensors or npz file") && e.contains("bytes 0..3 are 00 01 02"),
        "{e}"
    );
    // a safetensors header length of 2^63 and one past the end of the file
    let mut huge = (1u64 << 63).to_le_bytes().to_vec();
    huge.extend(b"{}");
    let e = err(&d.write("huge.safetensors", &huge), &opts);
    assert!(
        e.contains("not a valid safetensors file")
            && e.contains(
                "bytes 0..8: header length 9223372036854775808 is more than the 100000000"
            ),
        "{e}"
    );
    let mut past = 1000u64.to_le_bytes().to_vec();
    past.extend(b"{}");
    let e = err(&d.write("past.safetensors", &past), &opts);
    assert!(
        e.contains("header length 1000 runs to byte 1008, past the end of the 10-byte file"),
        "{e}"
    );
}
