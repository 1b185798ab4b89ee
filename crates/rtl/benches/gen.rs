//! The `gen` pipeline (lowering, passes, elaboration, Verilog print) per model size
//! (`cargo bench -p qrnn-rtl`). No file I/O: `qrnn_rtl::generate` returns the files in memory.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::{Cell, Scheme};
use qrnn_rtl::passes::Options;

fn gen(c: &mut Criterion) {
    let mut g = c.benchmark_group("gen");
    g.sample_size(10);
    for (cell, hidden) in [
        (Cell::Lstm, 16usize),
        (Cell::Lstm, 32),
        (Cell::Lstm, 64),
        (Cell::Lstm, 128),
        (Cell::Gru, 64),
    ] {
        let model = example(&ExampleSpec::new(cell, Scheme::Ternary, 16, hidden, 1));
        let opts = Options::default();
        let id = format!("{cell:?}-h{hidden}").to_lowercase();
        g.bench_with_input(BenchmarkId::from_parameter(id), &model, |b, m| {
            b.iter(|| qrnn_rtl::generate(black_box(m), &opts, |_, _| {}).expect("generate"))
        });
    }
    g.finish();
}

criterion_group!(benches, gen);
criterion_main!(benches);
