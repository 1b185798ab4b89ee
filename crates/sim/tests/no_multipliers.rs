//! The matrix-vector engines of binary, ternary and quaternary designs contain no multiplier
//! (docs/NUMERICS.md §5; the claim in every `qrnn_*_dot` module's header), checked by synthesis
//! rather than by reading the generator.
//!
//! For every generated `rtl/qrnn_*_dot.v` (one lanes module per weight tensor) yosys must find:
//! - after `proc; opt; wreduce`: no `$mul` (and no `$macc`) cell;
//! - after `alumacc`: no `$mul`, and no `$macc` *with a product term*. `alumacc` legitimately merges
//!   the multiplier-free adder tree of a lane group into one multi-operand `$macc` cell (yosys 0.23
//!   does this for every chunk sum of more than two terms), so "no `$macc` at all" would be wrong;
//!   `maccmap -unmap` turns every `$macc` back into `$add`/`$sub`/`$mul` cells, and a product term
//!   reappears there as a `$mul`, which must not exist;
//! - after `synth_ice40 -dsp`: no `SB_MAC16` (DSP block).
//!
//! Positive control: the same checks on int8 designs' dot modules FIND one `$mul` per lane
//! (P × S) and map them to `SB_MAC16` blocks, so the checks can fail.
//!
//! The cell update's element-wise products are the only multiplications a multiplier-free design
//! has (NUMERICS.md §7.1/§7.2): `qrnn.json` must list exactly three per layer, and yosys must find
//! exactly that many `$mul` cells in `qrnn_core` (power-of-two scales; per-row scale multipliers
//! are another matter, see `per_row_scale_multipliers_are_outside_the_lanes`).
//!
//! Statistics are read with `tee -q -o FILE stat -json` (yosys ≥ 0.10 has `stat -json`).

mod common;
use common::{project_files, write_files};

use qrnn_model::example::{example, ExampleSpec, Formats};
use qrnn_model::{ActFmt, Cell, Model, Scheme};
use qrnn_project::Request;
use qrnn_rtl::manifest::Manifest;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::{EngineId, FoldSpec};
use qrnn_sim::{Stimulus, Tool};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Cell counts by type of one `stat -json`.
type Cells = BTreeMap<String, u64>;

fn model(cell: Cell, scheme: Scheme, one_bit: bool, per_row_mult: bool, seed: u64) -> Model {
    let mut spec = ExampleSpec::new(cell, scheme, 8, 8, seed);
    spec.hidden = vec![8, 4];
    spec.head = Some(3);
    spec.per_row_mult = per_row_mult;
    if one_bit {
        spec.formats = Formats {
            x: ActFmt::Binary,
            h: ActFmt::Binary,
            ..Formats::default()
        };
    }
    let m = example(&spec);
    m.validate().expect("test models are valid");
    m
}

/// `p × s` for every engine, clipped to its rows and columns.
fn opts(p: usize, s: usize) -> Request {
    let mut o = Request {
        weights: WeightsMode::Auto,
        ..Request::default()
    };
    // every engine at P×S, clamped to its size (`--fold all=PxS`)
    o.folds = FoldSpec::parse(&[format!("all={p}x{s}")]).expect("a fold");
    o
}

/// Run a yosys script (in `dir`) whose `tee -q -o NAME.json stat -json` commands write the named
/// statistics; return the `design` cell counts of each, and the per-module counts of each.
fn yosys_stats(
    dir: &Path,
    script: &str,
    names: &[&str],
) -> BTreeMap<String, (Cells, BTreeMap<String, Cells>)> {
    let ys = dir.join("check.ys");
    std::fs::write(&ys, script).unwrap();
    let out = Command::new(Tool::yosys().cmd)
        .current_dir(dir)
        .args(["-q", "-s", "check.ys"])
        .output()
        .expect("yosys runs");
    assert!(
        out.status.success(),
        "yosys failed on script\n{script}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let cells = |v: &serde_json::Value| -> Cells {
        v["num_cells_by_type"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, n)| (k.clone(), n.as_u64().expect("a count")))
                    .collect()
            })
            .unwrap_or_default()
    };
    names
        .iter()
        .map(|n| {
            let path = dir.join(format!("{n}.json"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (script:\n{script})", path.display()));
            let v: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not JSON ({e}):\n{text}", path.display()));
            let modules = v["modules"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, m)| (k.trim_start_matches('\\').to_string(), cells(m)))
                        .collect()
                })
                .unwrap_or_default();
            (n.to_string(), (cells(&v["design"]), modules))
        })
        .collect()
}

fn count(c: &Cells, ty: &str) -> u64 {
    c.get(ty).copied().unwrap_or(0)
}

/// The dot modules' cell statistics: for each `rtl/qrnn_*_dot.v`, (module name, pre-alumacc,
/// post-alumacc, after `maccmap -unmap`, after `synth_ice40 -dsp`). Modules whose text is the same
/// up to their name and comments (e.g. `l0_w` and `l1_w` with the same folding and widths) are
/// synthesized once.
fn dot_stats(dir: &Path) -> Vec<(String, [Cells; 4])> {
    let mut dots: Vec<String> = std::fs::read_dir(dir.join("rtl"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("qrnn_") && n.ends_with("_dot.v"))
        .collect();
    dots.sort();
    let mut seen: BTreeMap<String, [Cells; 4]> = BTreeMap::new();
    dots.into_iter()
        .map(|f| {
            let m = f.trim_end_matches(".v").to_string();
            let text = std::fs::read_to_string(dir.join("rtl").join(&f)).unwrap();
            let key: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| l.replace(&m, "MODULE") + "\n")
                .collect();
            if let Some(s) = seen.get(&key) {
                return (m, s.clone());
            }
            let script = format!(
                "read_verilog rtl/{f}\nhierarchy -top {m}\nproc\nopt\nwreduce\n\
                 tee -q -o pre.json stat -json\nalumacc\ntee -q -o alumacc.json stat -json\n\
                 maccmap -unmap\ntee -q -o unmap.json stat -json\ndesign -reset\n\
                 read_verilog rtl/{f}\nsynth_ice40 -dsp -top {m}\ntee -q -o ice40.json stat -json\n"
            );
            let s = yosys_stats(dir, &script, &["pre", "alumacc", "unmap", "ice40"]);
            let g = |n: &str| s[n].0.clone();
            let stats = [g("pre"), g("alumacc"), g("unmap"), g("ice40")];
            seen.insert(key, stats.clone());
            (m, stats)
        })
        .collect()
}

/// Generate and write a project; `None` when yosys is missing (skip).
fn project(m: &Model, o: &Request) -> Option<(tempfile::TempDir, Manifest)> {
    if !common::have(&[Tool::yosys()]) {
        return None;
    }
    let dir = tempfile::Builder::new()
        .prefix("qrnn-nomul-")
        .tempdir()
        .unwrap();
    let stim = Stimulus::random(m, &[2], 5);
    let (man, files) = project_files(m, o, &stim).expect("generation succeeds");
    write_files(dir.path(), &files).unwrap();
    // the manifest as the project holds it, not as the generator returned it
    let json = files
        .iter()
        .find(|(p, _)| p == "qrnn.json")
        .map(|(_, c)| c.clone())
        .expect("qrnn.json is written");
    let written: Manifest = serde_json::from_str(&json).expect("qrnn.json parses");
    assert_eq!(
        written, man,
        "qrnn.json differs from the generator's manifest"
    );
    Some((dir, written))
}

/// The cell update's products of a layer: three, but an LSTM with 1-bit activations takes the sign
/// of `o·tanh(c)` without the product.
fn update_products(layer: &qrnn_model::Layer) -> &'static [&'static str] {
    match layer.cell {
        Cell::Gru => &["r*hn", "(1-z)*n", "z*h"],
        _ if layer.h_fmt.is_binary() => &["f*c", "i*g"],
        _ => &["f*c", "i*g", "o*tanh(c)"],
    }
}

/// `qrnn.json` lists the cell update's products per layer, and `qrnn_core` has exactly that many
/// multipliers.
fn check_elementwise(name: &str, dir: &Path, m: &Model, man: &Manifest) {
    assert_eq!(
        man.elementwise_products.len(),
        m.layers
            .iter()
            .map(|l| update_products(l).len())
            .sum::<usize>(),
        "{name}: elementwise_products {:?}",
        man.elementwise_products
    );
    for (l, layer) in m.layers.iter().enumerate() {
        let listed: Vec<&str> = man
            .elementwise_products
            .iter()
            .filter(|p| p.layer == l)
            .map(|p| p.what.as_str())
            .collect();
        let expected = update_products(layer);
        assert_eq!(listed, expected, "{name}: layer {l} element-wise products");
        for p in man.elementwise_products.iter().filter(|p| p.layer == l) {
            assert!(
                p.widths.0 >= 2 && p.widths.1 >= 2,
                "{name}: {} has operand widths {:?}",
                p.what,
                p.widths
            );
            if p.what == "f*c" {
                assert_eq!(
                    Some(p.widths.1),
                    man.layers[l].c_width,
                    "{name}: f*c's c operand is the cell state"
                );
            }
        }
    }
    let script = "read_verilog rtl/*.v\nhierarchy -check -top qrnn_core\nproc\nopt\nwreduce\n\
                  tee -q -o core.json stat -json\n";
    let s = yosys_stats(dir, script, &["core"]);
    let core = s["core"].1.get("qrnn_core").expect("qrnn_core in stat");
    assert_eq!(
        count(core, "$mul"),
        man.elementwise_products.len() as u64,
        "{name}: qrnn_core's $mul cells vs qrnn.json elementwise_products {:?}; cells {core:?}",
        man.elementwise_products
    );
}

fn multiplier_free(name: &str, cell: Cell, scheme: Scheme, one_bit: bool, p: usize, s: usize) {
    assert!(scheme.is_multiplier_free());
    let m = model(cell, scheme, one_bit, false, 3);
    let o = opts(p, s);
    let Some((dir, man)) = project(&m, &o) else {
        return;
    };
    let stats = dot_stats(dir.path());
    let tensors = 2 * m.layers.len() + usize::from(m.head.is_some());
    assert_eq!(
        stats.len(),
        tensors,
        "{name}: one dot module per weight tensor: {:?}",
        stats.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    for (module, [pre, alu, unmap, ice]) in &stats {
        let ctx = format!(
            "{name} {module}: pre-alumacc {pre:?}; alumacc {alu:?}; unmapped {unmap:?}; ice40 {ice:?}"
        );
        assert_eq!(count(pre, "$mul"), 0, "{ctx}");
        assert_eq!(count(pre, "$macc"), 0, "{ctx}");
        assert_eq!(count(alu, "$mul"), 0, "{ctx}");
        assert_eq!(
            count(unmap, "$mul"),
            0,
            "{ctx}: a $macc made by alumacc has a product term"
        );
        assert_eq!(
            count(unmap, "$macc"),
            0,
            "{ctx}: maccmap -unmap left a $macc"
        );
        assert_eq!(count(ice, "SB_MAC16"), 0, "{ctx}");
        assert_eq!(count(ice, "$mul"), 0, "{ctx}");
        eprintln!(
            "{name} {module}: no multipliers ({} product-free $macc after alumacc; ice40: {} LUT4, {} CARRY)",
            count(alu, "$macc"),
            count(ice, "SB_LUT4"),
            count(ice, "SB_CARRY")
        );
    }
    check_elementwise(name, dir.path(), &m, &man);
}

macro_rules! free {
    ($($name:ident: $cell:expr, $scheme:expr, $one_bit:expr, $p:expr, $s:expr;)*) => {$(
        #[test]
        fn $name() {
            multiplier_free(stringify!($name), $cell, $scheme, $one_bit, $p, $s);
        }
    )*};
}

use Cell::{ConvLstm, Gru, Lstm};
use Scheme::{Binary, Int, Quaternary, Ternary};

free! {
    lstm_binary_1x1:           Lstm, Binary,     false, 1, 1;
    lstm_binary_4x8:           Lstm, Binary,     false, 4, 8;
    gru_binary_4x8:            Gru,  Binary,     false, 4, 8;
    lstm_ternary_4x8:          Lstm, Ternary,    false, 4, 8;
    gru_ternary_2x3:           Gru,  Ternary,    false, 2, 3;
    lstm_quaternary_4x8:       Lstm, Quaternary, false, 4, 8;
    gru_quaternary_1x1:        Gru,  Quaternary, false, 1, 1;
    lstm_xnor_4x8:             Lstm, Binary,     true,  4, 8;
    gru_xnor_2x3:              Gru,  Binary,     true,  2, 3;
    lstm_ternary_1bit_4x8:     Lstm, Ternary,    true,  4, 8;
    gru_quaternary_1bit_4x8:   Gru,  Quaternary, true,  4, 8;
    convlstm_ternary_4x8:      ConvLstm, Ternary,    false, 4, 8;
    convlstm_xnor_2x3:         ConvLstm, Binary,     true,  2, 3;
    convlstm_quaternary_1x1:   ConvLstm, Quaternary, false, 1, 1;
}

/// Positive control: int8 lanes multiply, one `$mul` per lane, and ice40 synthesis puts them in
/// DSP blocks. (yosys 0.23's `synth_ice40 -dsp` maps a signed 8×8 → 16-bit product to
/// `SB_MAC16`: its `DSP_Y_MINWIDTH` is 11.)
fn int8_control(name: &str, cell: Cell, p: usize, s: usize) {
    let m = model(cell, Int(8), false, false, 3);
    let o = opts(p, s);
    let Some((dir, man)) = project(&m, &o) else {
        return;
    };
    let stats = dot_stats(dir.path());
    assert_eq!(stats.len(), 2 * m.layers.len() + 1, "{name}");
    for (module, [pre, alu, unmap, ice]) in &stats {
        let ctx = format!(
            "{name} {module}: pre-alumacc {pre:?}; alumacc {alu:?}; unmapped {unmap:?}; ice40 {ice:?}"
        );
        // lanes of this module: its engine's fold
        let engine = if module.starts_with("qrnn_hd_") {
            EngineId::Head
        } else {
            let l: String = module
                .trim_start_matches("qrnn_l")
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            EngineId::Layer(l.parse().expect("a layer module"))
        };
        let f = match engine {
            EngineId::Head => man.head.as_ref().map(|h| h.fold),
            EngineId::Layer(l) => man.layers.get(l).map(|x| x.fold),
        };
        let lanes = f.map(|f| (f.p * f.s) as u64);
        assert!(count(pre, "$mul") > 0, "{ctx}: the control must find $mul");
        if let Some(lanes) = lanes {
            assert_eq!(count(pre, "$mul"), lanes, "{ctx}: one $mul per lane");
            assert_eq!(count(unmap, "$mul"), lanes, "{ctx}");
        }
        assert!(
            count(alu, "$macc") > 0,
            "{ctx}: alumacc absorbs the products into $macc"
        );
        assert!(
            count(ice, "SB_MAC16") > 0,
            "{ctx}: the control must map to SB_MAC16"
        );
        eprintln!(
            "{name} {module} (control): {} $mul, {} SB_MAC16",
            count(pre, "$mul"),
            count(ice, "SB_MAC16")
        );
    }
    check_elementwise(name, dir.path(), &m, &man);
}

#[test]
fn control_lstm_int8_4x8() {
    int8_control("control_lstm_int8_4x8", Lstm, 4, 8);
}

#[test]
fn control_gru_int8_1x1() {
    int8_control("control_gru_int8_1x1", Gru, 1, 1);
}

/// Per-row scale multipliers (`m_r ≠ 1`, NUMERICS.md §4) are applied to the chunk sums in
/// `qrnn_core`, outside the lanes: the lanes stay multiplier-free.
#[test]
fn per_row_scale_multipliers_are_outside_the_lanes() {
    let m = model(Lstm, Ternary, false, true, 4);
    let o = opts(2, 4);
    let Some((dir, _man)) = project(&m, &o) else {
        return;
    };
    for (module, [pre, _, unmap, ice]) in &dot_stats(dir.path()) {
        assert_eq!(count(pre, "$mul"), 0, "{module}: {pre:?}");
        assert_eq!(count(unmap, "$mul"), 0, "{module}: {unmap:?}");
        assert_eq!(count(ice, "SB_MAC16"), 0, "{module}: {ice:?}");
    }
}
