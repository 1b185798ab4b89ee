//! Golden-model throughput (timesteps/s) against the float reference on the same model
//! (`cargo bench -p qrnn-golden`). Criterion reports time per sequence of `STEPS` timesteps and,
//! with `Throughput::Elements`, timesteps per second.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use qrnn_model::example::{example, random_inputs, ExampleSpec};
use qrnn_model::{Cell, Scheme};

const STEPS: usize = 32;

fn golden_vs_float(c: &mut Criterion) {
    let mut g = c.benchmark_group("timesteps");
    g.throughput(Throughput::Elements(STEPS as u64));
    for (cell, hidden) in [
        (Cell::Lstm, 16usize),
        (Cell::Lstm, 64),
        (Cell::Gru, 64),
        (Cell::Lstm, 128),
    ] {
        let model = example(&ExampleSpec::new(cell, Scheme::Ternary, 16, hidden, 1));
        let seq = random_inputs(&model, STEPS, 7);
        let q = qrnn_golden::quantize_input(&model, &seq);
        let id = format!("{cell:?}-h{hidden}").to_lowercase();
        g.bench_with_input(BenchmarkId::new("golden", &id), &q, |b, q| {
            b.iter(|| qrnn_golden::run(&model, black_box(q)).expect("golden run"))
        });
        g.bench_with_input(BenchmarkId::new("float", &id), &seq, |b, seq| {
            b.iter(|| qrnn_golden::float::run(&model, black_box(seq)))
        });
    }
    g.finish();
}

criterion_group!(benches, golden_vs_float);
criterion_main!(benches);
