//! `.qw` read time: binary and text twin, per model size (`cargo bench -p qrnn-model`).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::qw::{from_bytes, to_bytes, to_text};
use qrnn_model::{Cell, Scheme};

fn qw_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("qw_read");
    for hidden in [16usize, 64, 256] {
        let model = example(&ExampleSpec::new(
            Cell::Lstm,
            Scheme::Ternary,
            16,
            hidden,
            1,
        ));
        let bin = to_bytes(&model);
        let text = to_text(&model).into_bytes();
        g.throughput(Throughput::Bytes(bin.len() as u64));
        g.bench_with_input(BenchmarkId::new("binary", hidden), &bin, |b, bytes| {
            b.iter(|| from_bytes(black_box(bytes)).expect("valid binary .qw"))
        });
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("text", hidden), &text, |b, bytes| {
            b.iter(|| from_bytes(black_box(bytes)).expect("valid text .qw"))
        });
    }
    g.finish();
}

criterion_group!(benches, qw_read);
criterion_main!(benches);
