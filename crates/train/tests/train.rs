//! Quantization-aware training: the candle forward pass against qrnn-golden's float reference on
//! exported models (the same quantized weights must give the same outputs within 1e-5), the
//! straight-through gradient, reproducibility (same seed → bit-identical weights; resume = the
//! uninterrupted run), and export figures.

use candle_core::{Device, Tensor, Var};
use qrnn_golden::float::real_weights;
use qrnn_model::example::Rng;
use qrnn_model::{Cell, Model, Scheme};
use qrnn_train::datasets::{Dataset, Task};
use qrnn_train::quant::QuantSpec;
use qrnn_train::train::data::{DataRecord, Prepared, TaskKind};
use qrnn_train::train::export::value_tensors;
use qrnn_train::train::net::{forward, quantized_values, Params, Precision, Role};
use qrnn_train::train::{export_trained, train, training_spec, Silent, TrainConfig};

/// A classification task no network solves by chance: the class is the sign of the mean of
/// feature 0 over the last half of the sequence (feature 1 is noise).
fn sign_task(n: usize, len: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut seqs = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..n {
        let s: Vec<Vec<f64>> = (0..len)
            .map(|_| vec![2.0 * rng.unit() - 1.0, 2.0 * rng.unit() - 1.0])
            .collect();
        let m: f64 = s[len / 2..].iter().map(|t| t[0]).sum();
        labels.push(usize::from(m > 0.0));
        seqs.push(s);
    }
    Dataset {
        name: "sign".into(),
        sequences: seqs,
        task: Task::Classification {
            labels,
            classes: vec!["neg".into(), "pos".into()],
        },
        source: "generated".into(),
    }
}

fn record(kind: TaskKind, n: usize, m: usize) -> DataRecord {
    DataRecord {
        spec: "generated".into(),
        task: kind.name().into(),
        normalize: None,
        moving: None,
        text: None,
        test_file: None,
        stride: None,
        train_sequences: n,
        test_sequences: m,
    }
}

fn classification() -> Prepared {
    let train = sign_task(96, 10, 1);
    let test = sign_task(40, 10, 2);
    Prepared {
        record: record(TaskKind::Classification, 96, 40),
        kind: TaskKind::Classification,
        train,
        test,
        input_size: 2,
        map: None,
        outputs: 2,
    }
}

/// Frames: a 1-channel 5×5 blob moving right; predict the next frame.
fn frames() -> Prepared {
    let (h, w) = (5usize, 5usize);
    let mut rng = Rng::new(3);
    let mut mk = |n: usize| {
        let mut seqs = Vec::new();
        let mut tg = Vec::new();
        for _ in 0..n {
            let y = rng.below(h as u64) as usize;
            let x0 = rng.below(2) as usize;
            let frame = |x: usize| {
                let mut f = vec![0.0; h * w];
                if x < w {
                    f[y * w + x] = 1.0;
                }
                f
            };
            seqs.push((0..3).map(|t| frame(x0 + t)).collect::<Vec<_>>());
            tg.push((1..4).map(|t| frame(x0 + t)).collect::<Vec<_>>());
        }
        Dataset {
            name: "blob".into(),
            sequences: seqs,
            task: Task::Sequence { targets: tg },
            source: "generated".into(),
        }
    };
    let train = mk(24);
    let test = mk(8);
    Prepared {
        record: record(TaskKind::Frames, 24, 8),
        kind: TaskKind::Frames,
        train,
        test,
        input_size: 1,
        map: Some((h, w)),
        outputs: 1,
    }
}

fn cfg(cell: Cell, prec: Precision, epochs: u32) -> TrainConfig {
    TrainConfig {
        cell,
        hidden: 4,
        layers: 1,
        kernel: 3,
        precision: prec,
        epochs,
        lr: 0.02,
        batch: 16,
        seed: 5,
        patience: 0,
        val_fraction: 0.2,
        clip_norm: 5.0,
        checkpoint: None,
        resume: false,
    }
}

/// Parameters holding exactly the real weights and biases a model stores.
fn params_of_model(m: &Model, template: &Params) -> Params {
    let mut p = template.clone();
    for t in &mut p.list {
        let v: Vec<f64> = match t.role {
            Role::W(l) => real_weights(&m.layers[l].w),
            Role::U(l) => real_weights(&m.layers[l].u),
            Role::B(l) => {
                let ly = &m.layers[l];
                ly.bias.iter().map(|b| ly.bias_fmt.to_f64(*b)).collect()
            }
            Role::Bh(l) => {
                let ly = &m.layers[l];
                ly.bias_h.iter().map(|b| ly.bias_fmt.to_f64(*b)).collect()
            }
            Role::HeadW => real_weights(&m.head.as_ref().unwrap().w),
            Role::HeadB => {
                let h = m.head.as_ref().unwrap();
                h.bias.iter().map(|b| h.bias_fmt.to_f64(*b)).collect()
            }
        };
        assert_eq!(v.len(), t.data.len(), "{}", t.name);
        t.data = v.iter().map(|x| *x as f32).collect();
    }
    p
}

/// The candle forward pass (f32) of the model's own weights equals qrnn-golden's float
/// reference (f64) within 1e-5 on every output of every timestep.
fn check_forward_matches_golden_float(m: &Model, trained: &Params, data: &Prepared) {
    let p = params_of_model(m, trained);
    let dev = Device::Cpu;
    let values: Vec<Vec<f32>> = p.list.iter().map(|t| t.data.clone()).collect();
    let w = value_tensors(&p, &values, &dev).unwrap();
    let mut worst = 0f64;
    for seq in data.test.sequences.iter().take(8) {
        let xs: Vec<Tensor> = seq
            .iter()
            .map(|r| {
                Tensor::from_vec(
                    r.iter().map(|v| *v as f32).collect::<Vec<_>>(),
                    (1, r.len()),
                    &dev,
                )
                .unwrap()
            })
            .collect();
        let ours = forward(&p.arch, &w, &xs, true, None).unwrap();
        let reference = qrnn_golden::float::run(m, seq);
        assert_eq!(ours.len(), reference.len());
        for (a, b) in ours.iter().zip(&reference) {
            let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(b) {
                worst = worst.max((*x as f64 - y).abs());
            }
        }
    }
    assert!(
        worst < 1e-5,
        "{}: candle and the float reference differ by {worst}",
        m.name
    );
}

#[test]
fn exported_models_run_the_trained_network() {
    qrnn_train::train::single_thread();
    let data = classification();
    for (cell, scheme) in [
        (Cell::Lstm, Scheme::Ternary),
        (Cell::Gru, Scheme::Quaternary),
        (Cell::Gru, Scheme::Binary),
    ] {
        let c = cfg(cell, Precision::Quant(training_spec(scheme)), 2);
        let t = train(&c, &data, &mut Silent).unwrap();
        let ex = export_trained(&c, &data, &t, "t").unwrap();
        let m = &ex.model;
        m.validate().unwrap();
        assert_eq!(m.layers[0].w.scheme, scheme);
        // the .qw holds exactly the quantized weights the network was trained with
        let spec = match &c.precision {
            Precision::Quant(s) => s.clone(),
            _ => unreachable!(),
        };
        for p in &t.best.list {
            if let Role::W(_) = p.role {
                let q = quantized_values(p, &spec, &mut Rng::new(0)).unwrap();
                let stored: Vec<f32> = real_weights(&m.layers[0].w)
                    .iter()
                    .map(|v| *v as f32)
                    .collect();
                assert_eq!(q, stored);
            }
        }
        check_forward_matches_golden_float(m, &t.best, &data);
        let g = ex.metrics.values["golden_accuracy"];
        assert!((0.0..=1.0).contains(&g));
        assert_eq!(m.provenance.metrics["golden_accuracy"], g);
        assert!(m
            .provenance
            .metrics
            .contains_key("quantized_float_accuracy"));
        assert!(!m.provenance.metrics.contains_key("float_accuracy"));
        // the round trip through the file keeps it
        let back = qrnn_model::qw::from_bytes(&qrnn_model::qw::to_bytes(m)).unwrap();
        assert_eq!(&back, m);
    }
    // full precision: exported as int8, float accuracy recorded
    let c = cfg(Cell::Lstm, Precision::Full, 2);
    let t = train(&c, &data, &mut Silent).unwrap();
    let ex = export_trained(&c, &data, &t, "fp").unwrap();
    assert_eq!(ex.model.layers[0].w.scheme, Scheme::Int(8));
    assert!(ex.model.provenance.metrics.contains_key("float_accuracy"));
    check_forward_matches_golden_float(&ex.model, &t.best, &data);
}

#[test]
fn convlstm_frames_export_matches() {
    qrnn_train::train::single_thread();
    let data = frames();
    let c = cfg(
        Cell::ConvLstm,
        Precision::Quant(training_spec(Scheme::Binary)),
        2,
    );
    let t = train(&c, &data, &mut Silent).unwrap();
    let ex = export_trained(&c, &data, &t, "conv").unwrap();
    assert_eq!(ex.model.layers[0].w.shape, vec![16, 1, 3, 3]);
    assert_eq!(ex.model.input.map, Some((5, 5)));
    check_forward_matches_golden_float(&ex.model, &t.best, &data);
    for k in ["golden_mse", "quantized_float_mse", "golden_ssim"] {
        assert!(ex.metrics.values.contains_key(k), "{k}");
    }
}

#[test]
fn training_learns_and_is_reproducible() {
    qrnn_train::train::single_thread();
    let data = classification();
    let c = TrainConfig {
        epochs: 12,
        ..cfg(
            Cell::Gru,
            Precision::Quant(training_spec(Scheme::Ternary)),
            12,
        )
    };
    let a = train(&c, &data, &mut Silent).unwrap();
    let b = train(&c, &data, &mut Silent).unwrap();
    assert_eq!(a.best, b.best, "same seed, same weights");
    assert_eq!(a.history, b.history);
    let other = train(
        &TrainConfig {
            seed: 6,
            ..c.clone()
        },
        &data,
        &mut Silent,
    )
    .unwrap();
    assert_ne!(a.best, other.best);
    // every quantized shadow weight stays in [-1, 1]
    for p in &a.best.list {
        if matches!(p.role, Role::W(_) | Role::U(_)) {
            assert!(p.data.iter().all(|v| v.abs() <= 1.0), "{}", p.name);
        }
    }
    // it learnt something: better than the majority class on the test split
    let ex = export_trained(&c, &data, &a, "r").unwrap();
    let labels = data.test.labels().unwrap();
    let majority = labels
        .iter()
        .filter(|l| **l == 1)
        .count()
        .max(labels.iter().filter(|l| **l == 0).count()) as f64
        / labels.len() as f64;
    let g = ex.metrics.values["golden_accuracy"];
    assert!(g > majority, "golden accuracy {g} ≤ majority {majority}");
    let first = a.history.first().unwrap().0;
    let last = a.history.last().unwrap().0;
    assert!(last < first, "training loss {first} → {last}");
}

#[test]
fn resume_continues_the_same_run() {
    qrnn_train::train::single_thread();
    let data = classification();
    let dir = tempfile::tempdir().unwrap();
    let base = TrainConfig {
        checkpoint: Some(dir.path().to_path_buf()),
        ..cfg(
            Cell::Lstm,
            Precision::Quant(training_spec(Scheme::Ternary)),
            4,
        )
    };
    let full = train(&base, &data, &mut Silent).unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let part = TrainConfig {
        epochs: 2,
        checkpoint: Some(dir2.path().to_path_buf()),
        ..base.clone()
    };
    train(&part, &data, &mut Silent).unwrap();
    assert!(dir2.path().join("best.safetensors").is_file());
    let resumed = train(
        &TrainConfig {
            resume: true,
            checkpoint: Some(dir2.path().to_path_buf()),
            ..base.clone()
        },
        &data,
        &mut Silent,
    )
    .unwrap();
    assert_eq!(resumed.history, full.history);
    assert_eq!(resumed.best, full.best);
    assert_eq!(resumed.reports.len(), 2);
    // another run's checkpoint is refused
    let e = train(
        &TrainConfig {
            resume: true,
            lr: 0.5,
            checkpoint: Some(dir2.path().to_path_buf()),
            ..base
        },
        &data,
        &mut Silent,
    )
    .unwrap_err();
    assert!(e.to_string().contains("another run"), "{e}");
}

#[test]
fn straight_through_gradient_of_a_quantized_matmul() {
    // y = Σ (x · Q(w)ᵀ): forward uses Q(w), dL/dw = dL/dQ(w) = Σ_batch x (for every row)
    let dev = Device::Cpu;
    let w: Vec<f32> = vec![0.9, -0.05, 0.3, -0.7, 0.02, 0.6];
    let spec = QuantSpec {
        reference: qrnn_train::quant::Reference::Unit,
        ..QuantSpec::new(Scheme::Ternary)
    };
    let q = spec.quantize(&w, &[2, 3], &mut Rng::new(0)).unwrap();
    let qv = qrnn_train::train::net::real_values(&q);
    let var = Var::from_vec(w.clone(), (2, 3), &dev).unwrap();
    let delta: Vec<f32> = qv.iter().zip(&w).map(|(a, b)| a - b).collect();
    let eff = var
        .as_tensor()
        .add(&Tensor::from_vec(delta, (2, 3), &dev).unwrap())
        .unwrap();
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, -1.0, 0.5, 4.0], (2, 3), &dev).unwrap();
    let y = x.matmul(&eff.t().unwrap()).unwrap();
    // forward: x·Q(w)ᵀ
    let yv = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let xs = [[1.0f32, 2.0, 3.0], [-1.0, 0.5, 4.0]];
    for b in 0..2 {
        for r in 0..2 {
            let e: f32 = (0..3).map(|j| xs[b][j] * qv[r * 3 + j]).sum();
            assert!((yv[b * 2 + r] - e).abs() < 1e-6);
        }
    }
    let grads = y.sum_all().unwrap().backward().unwrap();
    let g = grads
        .get(var.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert_eq!(g, vec![0.0, 2.5, 7.0, 0.0, 2.5, 7.0]);
    // and the STE mask of §6 would zero a gradient where |w| > 1
    assert_eq!(
        qrnn_train::quant::ste_grad(&[1.5, 1.0, -0.2], &[1.0, 1.0, 1.0]),
        vec![0.0, 1.0, 1.0]
    );
}

#[test]
fn downsample_averages_windows() {
    let mut ds = sign_task(2, 7, 5);
    let orig = ds.sequences.clone();
    qrnn_train::train::data::downsample(&mut ds, 3);
    for (s, o) in ds.sequences.iter().zip(&orig) {
        assert_eq!(s.len(), 3, "ceil(7 / 3) timesteps");
        for (k, w) in o.chunks(3).enumerate() {
            for f in 0..o[0].len() {
                let mean = w.iter().map(|t| t[f]).sum::<f64>() / w.len() as f64;
                assert!((s[k][f] - mean).abs() < 1e-12, "window {k} feature {f}");
            }
        }
    }
    assert_eq!(
        ds.sequences[0][2], orig[0][6],
        "the last window holds one step"
    );
}
