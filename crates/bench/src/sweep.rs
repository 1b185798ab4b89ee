//! `qrnn-bench sweep`: the multiplier-free schemes against int8 at several foldings (issue #16).
//!
//! One model, the ternary LSTM 16→64's shape (`qrnn-hw example --cell lstm --hidden 64 --input 16
//! --seed 1`) in every scheme — binary with 1-bit activations (XNOR/popcount), binary, ternary,
//! quaternary, int8 — generated at `--fold all=1x8`, `4x16` and `16x16` (P·S = 8, 64, 256) for each
//! family and synthesised (`make synth`, the project's own flow) twice: with the family's DSP blocks
//! allowed and with DSPs off (`SYNTH_OPTS`: iCE40 without `-dsp`, ECP5 and Gowin with `-nodsp`).
//! The DSP-off LUT count is the design's LUT-equivalent: every multiplier the DSPs would hold is
//! then built from that family's LUTs, i.e. each DSP valued at the LUT cost of the same
//! multiplier on the same family. Synthesis only (no place and route): the comparison is of logic.
//! Cached per point like `qrnn-bench hw` (a hash of the model, the options and the tool versions,
//! checked against the generated RTL), so a run cut short keeps what it built; `--cached-only`
//! writes `sweep.json` from the cache alone (points not built are left out).

use crate::hw::generate;
use crate::util::{
    machine, make_synth, read_json, report_json, run_in, tail, tool_versions, write_json,
};
use qrnn_rtl::Family;
use serde_json::{json, Value};
use std::path::Path;

/// The schemes: label, `--quant`, 1-bit activations.
pub const SCHEMES: [(&str, &str, bool); 5] = [
    ("binary-xnor", "binary", true),
    ("binary", "binary", false),
    ("ternary", "ternary", false),
    ("quaternary", "quaternary", false),
    ("int8", "int8", false),
];
/// The foldings, in the order they are built (the gate's P·S ≥ 64 first).
pub const FOLDS: [&str; 3] = ["4x16", "16x16", "1x8"];

/// One point of the sweep.
#[derive(Clone, Debug)]
pub struct Point {
    pub scheme: &'static str,
    pub quant: &'static str,
    pub binary_act: bool,
    pub fold: &'static str,
    pub family: Family,
    pub dsp: bool,
}

/// Every point, most important first: DSPs off (the LUT-equivalents) before on, P·S = 64 first.
pub fn points(families: &[Family]) -> Vec<Point> {
    let mut v = Vec::new();
    for dsp in [false, true] {
        for fold in FOLDS {
            for family in families {
                for (scheme, quant, binary_act) in SCHEMES {
                    v.push(Point {
                        scheme,
                        quant,
                        binary_act,
                        fold,
                        family: *family,
                        dsp,
                    });
                }
            }
        }
    }
    v
}

/// `SYNTH_OPTS` of the project's `make synth` for a family with DSPs on or off.
fn synth_opts(family: Family, dsp: bool) -> &'static str {
    match (family, dsp) {
        (Family::Ice40, true) => "-dsp",
        (Family::Ice40, false) => "",
        (_, true) => "",
        (_, false) => "-nodsp",
    }
}

/// What every point's build needs.
struct Ctx<'a> {
    qrnn: String,
    work: &'a Path,
    cache: std::path::PathBuf,
    tools: Value,
    /// Leave out (`Null`) a point that is not in the cache instead of building it.
    cached_only: bool,
}

/// The model of a point: `qrnn-hw example` arguments.
fn example_args(p: &Point) -> Vec<&'static str> {
    let mut ex = vec![
        "example", "--cell", "lstm", "--quant", p.quant, "--hidden", HIDDEN, "--input", INPUT,
        "--seed", "1",
    ];
    if p.binary_act {
        ex.push("--binary-act");
    }
    ex
}

/// The model shape of every point.
const HIDDEN: &str = "64";
const INPUT: &str = "16";

/// The point's result (`Null` where `cx.cached_only` and it is not in the cache).
fn build(p: &Point, cx: &Ctx) -> Result<Value, String> {
    let (q, tools, cache) = (&cx.qrnn, &cx.tools, &cx.cache);
    let slug = format!(
        "{}-{}-{}-{}",
        p.scheme,
        p.fold,
        p.family,
        if p.dsp { "dsp" } else { "nodsp" }
    );
    let dir = cx.work.join(&slug);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ex = example_args(p);
    let model = format!("qrnn-hw {}", ex.join(" "));
    let mut a = ex.clone();
    a.extend(["-o", "model.qw", "-q"]);
    let r = run_in(&dir, q, &a)?;
    if !r.ok {
        return Err(format!("qrnn-hw example failed: {}", tail(&r.stderr, 5)));
    }
    let bytes = std::fs::read(dir.join("model.qw")).map_err(|e| format!("model.qw: {e}"))?;
    let fold = format!("all={}", p.fold);
    let gen_args = [
        "--target",
        p.family.name(),
        "--fold",
        &fold,
        "--weights",
        "rom",
    ];
    let opts = synth_opts(p.family, p.dsp);
    let so = format!("SYNTH_OPTS={opts}");
    let g = generate(
        q,
        &dir,
        "model.qw",
        &gen_args,
        &[&bytes, so.as_bytes()],
        tools,
        cache,
        "sweep-",
    )?;
    if let Some(v) = g.cached {
        return Ok(v);
    }
    if cx.cached_only {
        return Ok(Value::Null);
    }
    let (key, rtl, cached) = (g.key, g.rtl, g.file);
    let hw = dir.join("hw");
    let synth = make_synth(&hw, "7200", &[&so])?;
    let report = report_json(q, &hw)?;
    let manifest = read_json(&hw.join("qrnn.json"))?;
    let v = json!({
        "key": key, "scheme": p.scheme, "fold": p.fold, "family": p.family, "dsp": p.dsp,
        "synth_opts": opts, "model": model,
        "gen_args": gen_args.join(" "), "synth_secs": synth.secs,
        "report": {"synthesis": report["synthesis"]},
        "cycles_per_step": manifest["cycles_per_step"], "rtl_sha256": rtl,
    });
    write_json(&cached, &v)?;
    Ok(v)
}

/// `qrnn-bench sweep`: every point, `jobs` at a time, into `OUT/sweep.json` after each.
pub fn run(
    qrnn: &Path,
    work: &Path,
    out: &Path,
    families: &[Family],
    jobs: usize,
    cached_only: bool,
) -> Result<(), String> {
    let cx = Ctx {
        qrnn: qrnn.to_string_lossy().into_owned(),
        work,
        cache: out.join("designs"),
        tools: tool_versions(qrnn),
        cached_only,
    };
    std::fs::create_dir_all(&cx.cache).map_err(|e| format!("{}: {e}", cx.cache.display()))?;
    let set = points(families);
    let file = out.join("sweep.json");
    let header = json!({"command": crate::util::command_line(), "machine": machine(),
        "tools": cx.tools, "set_size": set.len(),
        "model": format!("qrnn-hw example --cell lstm --hidden {HIDDEN} --input {INPUT} --seed 1 --quant SCHEME [--binary-act]")});
    crate::util::run_to_file(&file, &header, "points", set.len(), jobs, |i| {
        let p = &set[i];
        eprintln!(
            "[{}/{}] {} fold {} on {}, DSPs {}",
            i + 1,
            set.len(),
            p.scheme,
            p.fold,
            p.family,
            if p.dsp { "on" } else { "off" }
        );
        build(p, &cx).unwrap_or_else(|e| {
            json!({"scheme": p.scheme, "fold": p.fold, "family": p.family, "dsp": p.dsp,
                "error": e})
        })
    })
}
