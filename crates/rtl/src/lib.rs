//! `qrnn-rtl`: the hardware generator of qrnn-hw.
//!
//! model → `passes::lower` → [`ir::Design`] → passes (fold, size, pack-weights, place-memories,
//! schedule; `verify()` after each) → `elab::elaborate` → typed Verilog AST ([`verilog`]) → one
//! deterministic printer. The generator implements docs/NUMERICS.md independently of the golden
//! model (`qrnn-golden`), which it never calls; co-simulation compares the two.

pub mod build;
pub mod elab;
pub mod ir;
pub mod manifest;
pub mod passes;
pub mod resources;
pub mod verilog;

use manifest::{ElementwiseProduct, HeadManifest, LayerManifest, Manifest};
use qrnn_model::{Cell, Model};

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
) -> Result<Generated, String> {
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
) -> Result<Generated, String> {
    let (modules, mut files) = elab::elaborate(&design)?;
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

fn manifest_of(model: &Model, d: &ir::Design, opts: &passes::Options) -> Manifest {
    let mut products = Vec::new();
    let layers = d
        .layers
        .iter()
        .enumerate()
        .map(|(l, e)| {
            let tw = e.table_width;
            match e.cell {
                Some(Cell::Gru) => {
                    products.push(ElementwiseProduct {
                        layer: l,
                        what: "r*hn".into(),
                        widths: (tw, e.pre.width),
                    });
                    products.push(ElementwiseProduct {
                        layer: l,
                        what: "(1-z)*n".into(),
                        widths: (tw.max(e.act_frac + 2), tw),
                    });
                    products.push(ElementwiseProduct {
                        layer: l,
                        what: "z*h".into(),
                        widths: (tw, e.h_fmt.width().max(2)),
                    });
                }
                _ => {
                    products.push(ElementwiseProduct {
                        layer: l,
                        what: "f*c".into(),
                        widths: (tw, e.c_fmt.map(|c| c.width).unwrap_or(0)),
                    });
                    products.push(ElementwiseProduct {
                        layer: l,
                        what: "i*g".into(),
                        widths: (tw, tw),
                    });
                    products.push(ElementwiseProduct {
                        layer: l,
                        what: "o*tanh(c)".into(),
                        widths: (tw, tw),
                    });
                }
            }
            // per-row scale multipliers m_r·acc, one per lane (P) and weight tensor that has them
            let p = e.fold.map(|f| f.p).unwrap_or(1);
            for (nm, mv) in [("w", Some(&e.w)), ("u", e.u.as_ref())] {
                if let Some(mv) = mv.filter(|m| m.has_mult()) {
                    for lane in 0..p {
                        products.push(ElementwiseProduct {
                            layer: l,
                            what: format!("m_r*acc_{nm} lane {lane}"),
                            widths: (17, mv.acc_width),
                        });
                    }
                }
            }
            let placement = e.w.rom.as_ref().map(|r| r.placement);
            LayerManifest {
                cell: e.cell.map(|c| c.to_string()).unwrap_or_default(),
                input: e.w.cols,
                hidden: e.hidden,
                scheme: e.w.scheme.to_string(),
                fold: e.fold.unwrap_or(manifest::Fold { p: 1, s: 1 }),
                weights: if placement == Some(ir::Placement::Logic) {
                    "logic".into()
                } else {
                    "rom".into()
                },
                h_width: e.h_fmt.width(),
                h_binary: e.h_fmt.is_binary(),
                c_width: e.c_fmt.map(|c| c.width),
                cycles_mv: e.cycles_mv,
                cycles_update: e.cycles_update,
            }
        })
        .collect();
    if let Some(h) = d.head.as_ref().filter(|h| h.w.has_mult()) {
        for lane in 0..h.fold.map(|f| f.p).unwrap_or(1) {
            products.push(ElementwiseProduct {
                layer: d.layers.len(),
                what: format!("head m_r*acc lane {lane}"),
                widths: (17, h.w.acc_width),
            });
        }
    }
    let head = d.head.as_ref().map(|h| HeadManifest {
        outputs: h.rows,
        fold: h.fold.unwrap_or(manifest::Fold { p: 1, s: 1 }),
        cycles: h.cycles_mv,
    });
    Manifest {
        model_name: model.name.clone(),
        model_hash: d.model_hash.clone(),
        generator: format!("qrnn-hw {}", env!("CARGO_PKG_VERSION")),
        target: opts.target.clone(),
        board: None,
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
        cycle_formula: manifest::cycle_formula(&d.cycle_terms),
        cycle_terms: d.cycle_terms.clone(),
        elementwise_products: products,
        resources: resources::predict(d, &opts.target),
        fit: None,
    }
}
