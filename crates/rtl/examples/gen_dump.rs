//! Developer aid: `cargo run -p qrnn-rtl --example gen_dump -- MODEL OUTDIR [PxS]` writes the RTL.
use qrnn_rtl::{generate, passes::Options};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let m = qrnn_model::Model::load(std::path::Path::new(&a[1])).unwrap();
    let mut o = Options::default();
    if let Some(f) = a.get(3) {
        o.folds = qrnn_rtl::FoldSpec::parse(&[format!("all={f}")]).unwrap();
    }
    let g = generate(&m, &o, |n, d| eprintln!("== after {n}\n{d}")).unwrap();
    for (p, c) in &g.files {
        let path = std::path::Path::new(&a[2]).join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
    std::fs::write(
        std::path::Path::new(&a[2]).join("qrnn.json"),
        serde_json::to_string_pretty(&g.manifest).unwrap(),
    )
    .unwrap();
}
