//! `qrnn-rtl`: the hardware generator of qrnn-hw.
//!
//! model → `passes::lower` → [`ir::Design`] → passes (fold, size, pack-weights, place-memories,
//! schedule; `verify()` after each) → `elab::elaborate` → typed Verilog AST ([`verilog`]) → one
//! deterministic printer. The generator implements docs/NUMERICS.md independently of the golden
//! model (`qrnn-golden`), which it never calls; co-simulation compares the two.

pub mod build;
pub mod cmvm;
pub mod elab;
pub mod error;
pub mod ir;
pub mod loader;
pub mod manifest;
pub mod passes;
pub mod ram;
pub mod resources;
pub mod synth;
pub mod timing;
pub mod verilog;
pub mod vocab;

pub use error::RtlError;
pub use vocab::{EngineId, Family, Fold, FoldSpec};

use manifest::{ElementwiseProduct, HeadManifest, LayerManifest, Manifest};
use qrnn_model::Model;

/// Everything `gen` writes for the RTL: Verilog files (one module per file), ROM hex files, and
/// the manifest.
pub struct Generated {
    /// The scheduled design.
    pub design: ir::Design,
    /// `(path, contents)` relative to the project root, sorted by path.
    pub files: Vec<(String, String)>,
    /// `qrnn.json` contents.
    pub manifest: Manifest,
}

/// Generate the RTL of a model. `dump` receives each pass name and the IR after it.
pub fn generate(
    model: &Model,
    opts: &passes::Options,
    dump: impl FnMut(&str, &ir::Design),
) -> Result<Generated, RtlError> {
    let design = passes::run_pipeline(model, opts, dump)?;
    elaborate(model, design, opts)
}

/// Elaborate a design that [`passes::run_pipeline`] produced from `model` with `opts` (so that a
/// caller can look at the lowered design, e.g. to estimate the cost of elaborating it, without
/// running the passes twice): the Verilog files and the manifest.
pub fn elaborate(
    model: &Model,
    design: ir::Design,
    opts: &passes::Options,
) -> Result<Generated, RtlError> {
    let (modules, mut files) =
        elab::elaborate(&design).map_err(|m| RtlError::internal("elaborate", m))?;
    for m in &modules {
        files.push((format!("rtl/{}.v", m.name), verilog::print(m)));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let manifest = manifest_of(model, &design, opts);
    Ok(Generated {
        design,
        files,
        manifest,
    })
}

/// The products `qrnn.json` lists for engine `e` (number `l`): the cell update's and the
/// per-row scales' ([`ir::Engine::multipliers`] without the int-k lanes).
fn manifest_products(l: usize, e: &ir::Engine) -> impl Iterator<Item = ElementwiseProduct> {
    e.multipliers()
        .into_iter()
        .filter(|m| m.kind != ir::MultKind::Lane)
        .map(move |m| ElementwiseProduct {
            layer: l,
            what: m.what,
            widths: m.widths,
        })
}

fn manifest_of(model: &Model, d: &ir::Design, opts: &passes::Options) -> Manifest {
    let mut products = Vec::new();
    let layers = d
        .layers
        .iter()
        .enumerate()
        .map(|(l, e)| {
            products.extend(manifest_products(l, e));
            let placement = e.w.rom.as_ref().map(|r| r.placement);
            LayerManifest {
                cell: e.cell.map(|c| c.to_string()).unwrap_or_default(),
                input: e.w.cols(),
                hidden: e.hidden,
                scheme: e.w.scheme.to_string(),
                fold: e.fold.unwrap_or(Fold::SERIAL),
                weights: match placement {
                    Some(ir::Placement::Logic) => "logic".into(),
                    Some(ir::Placement::Spram) => "spram".into(),
                    _ => "rom".into(),
                },
                h_width: e.h_fmt.width(),
                h_binary: e.h_fmt.is_binary(),
                c_width: e.c_fmt.map(|c| c.width),
                cycles_mv: e.cycles_mv,
                cycles_update: e.cycles_update,
                update_units: e.units,
            }
        })
        .collect();
    if let Some(h) = &d.head {
        products.extend(manifest_products(d.layers.len(), h));
    }
    let head = d.head.as_ref().map(|h| HeadManifest {
        outputs: h.rows(),
        fold: h.fold.unwrap_or(Fold::SERIAL),
        cycles: h.cycles_mv,
    });
    // a ConvLSTM model's engines are not pipelined: its estimate is the unpipelined clock's
    let pipe = d
        .engines()
        .find(|e| e.conv.is_none())
        .map_or(ir::Pipe::NONE, |e| e.pipe);
    let mhz = timing::fmax_estimate(opts.target, None, pipe);
    Manifest {
        model_name: model.name.clone(),
        model_hash: d.model_hash.clone(),
        generator: format!("qrnn-hw {}", env!("CARGO_PKG_VERSION")),
        target: opts.target,
        board: None,
        board_clock: None,
        device: None,
        package: None,
        in_len: d.in_len,
        out_len: d.out_len,
        wx: d.x_fmt.width(),
        wy: d.out_width,
        x_binary: d.x_fmt.is_binary(),
        y_binary: d.head.is_none() && d.layers.last().is_some_and(|l| l.h_fmt.is_binary()),
        layers,
        head,
        cycles_per_step: d.cycles_per_step,
        latency: d.latency(),
        initiation_interval: d.cycles_per_step,
        pipeline: pipe,
        fmax_estimate_mhz: mhz,
        timesteps_per_second_estimate: timing::rate(mhz, d.cycles_per_step),
        buffers: d.buffers.clone(),
        lut_products: d
            .lut_products
            .iter()
            .map(|(e, w)| format!("{e}: {w}"))
            .collect(),
        constant_matrices: cmvm::report(d),
        weight_image: crate::loader::image_manifest(d),
        cycle_formula: manifest::cycle_formula(&d.cycle_terms),
        cycle_terms: d.cycle_terms.clone(),
        elementwise_products: products,
        resources: resources::predict(d, opts.target),
        fit: None,
        family_use: None,
    }
}
