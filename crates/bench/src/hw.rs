//! Hardware reference set (`qrnn-bench hw`): synthesis (+ place and route where it runs) of each
//! design, cached per design by a hash of (model bytes, generator options, family, device, tool
//! versions), and `bench/results/hardware.json` with every design's report.

use crate::util::{
    cached_result, machine, make_synth, read_json, report_json, run_in, tail, tool_versions,
    write_json,
};
use qrnn_rtl::Family;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One design of the reference set.
#[derive(Clone, Debug)]
pub struct Design {
    /// Model group: designs of one group differ only in the weight scheme.
    pub group: String,
    /// `qrnn-hw example` arguments, or a bundled model path.
    pub model: ModelSrc,
    pub scheme: String,
    pub fold: String,
    pub family: Family,
}

#[derive(Clone, Debug)]
pub enum ModelSrc {
    Example(Vec<String>),
    File(PathBuf),
}

const SCHEMES: [&str; 4] = ["binary", "ternary", "quaternary", "int8"];

fn example_args(cell: &str, hidden: usize, input: usize, scheme: &str) -> Vec<String> {
    let mut v: Vec<String> = [
        "--cell",
        cell,
        "--quant",
        scheme,
        "--hidden",
        &hidden.to_string(),
        "--input",
        &input.to_string(),
        "--seed",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if cell == "convlstm" {
        v.extend(["--map", "6x6", "--kernel", "3"].map(String::from));
    }
    v
}

/// The reference set, most important first (so a run cut short still has the small designs).
pub fn reference_set(quick: bool, families: &[Family]) -> Vec<Design> {
    let mut v = Vec::new();
    let sizes: &[usize] = if quick { &[16] } else { &[16, 32, 64, 128] };
    let fams: Vec<&Family> = if quick {
        families.iter().take(1).collect()
    } else {
        families.iter().collect()
    };
    for &h in sizes {
        for cell in ["lstm", "gru"] {
            for fam in &fams {
                for s in SCHEMES {
                    v.push(Design {
                        group: format!("{cell} 4→{h}"),
                        model: ModelSrc::Example(example_args(cell, h, 4, s)),
                        scheme: s.into(),
                        fold: "1x8".into(),
                        family: **fam,
                    });
                }
            }
        }
        if h == 16 && !quick {
            for fam in &fams {
                for s in SCHEMES {
                    v.push(Design {
                        group: "convlstm 2→4 (6×6, k3)".into(),
                        model: ModelSrc::Example(example_args("convlstm", 4, 2, s)),
                        scheme: s.into(),
                        fold: "1x8".into(),
                        family: **fam,
                    });
                }
            }
            for (f, s) in [
                ("examples/demo-lstm-ternary.qw", "ternary"),
                ("examples/tiny-gru-quaternary.qw.toml", "quaternary"),
                ("examples/xnor-lstm.qw", "binary"),
            ] {
                for fam in &fams {
                    // the generator's default fold (P = 1, S = min(8, max(cols))): `all=1x8`
                    // is out of range for models with fewer than 8 columns
                    v.push(Design {
                        group: format!("bundled {f}"),
                        model: ModelSrc::File(PathBuf::from(f)),
                        scheme: s.into(),
                        fold: "default".into(),
                        family: **fam,
                    });
                }
            }
        }
    }
    v
}

/// SHA-256 over every file under `dir` (sorted relative path, NUL, contents, NUL), hex.
/// `bench/results/backfill_rtl_hash.py` computes the same.
pub fn rtl_hash(dir: &Path) -> Result<String, String> {
    fn walk(d: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
        let rd = std::fs::read_dir(d).map_err(|e| format!("cannot list {}: {e}", d.display()))?;
        for e in rd {
            let p = e
                .map_err(|e| format!("cannot list {}: {e}", d.display()))?
                .path();
            if p.is_dir() {
                walk(&p, base, out)?;
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, p));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort();
    let mut h = Sha256::new();
    for (rel, p) in files {
        let b = std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        h.update(rel.as_bytes());
        h.update([0u8]);
        h.update(&b);
        h.update([0u8]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Build (or fetch from the cache) one design; the result record.
fn build(d: &Design, qrnn: &Path, work: &Path, cache: &Path, tools: &Value) -> Value {
    let t = Instant::now();
    match build_inner(d, qrnn, work, cache, tools) {
        Ok(mut v) => {
            v["wall_secs_this_run"] = json!(t.elapsed().as_secs_f64());
            v
        }
        Err(e) => {
            eprintln!("    error: {e}");
            json!({"group": d.group, "scheme": d.scheme, "fold": d.fold, "family": d.family,
                "error": e})
        }
    }
}

fn build_inner(
    d: &Design,
    qrnn: &Path,
    work: &Path,
    cache: &Path,
    tools: &Value,
) -> Result<Value, String> {
    let q = qrnn.to_string_lossy().into_owned();
    let slug: String = format!("{}-{}-{}-{}", d.group, d.scheme, d.fold, d.family)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let dir = work.join(&slug);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let model_path = match &d.model {
        ModelSrc::Example(args) => {
            let mut a: Vec<&str> = vec!["example"];
            a.extend(args.iter().map(|s| s.as_str()));
            a.extend(["-o", "model.qw", "-q"]);
            let r = run_in(&dir, &q, &a)?;
            if !r.ok {
                return Err(format!("qrnn-hw example failed: {}", tail(&r.stderr, 5)));
            }
            dir.join("model.qw")
        }
        ModelSrc::File(p) => {
            std::fs::canonicalize(p).map_err(|e| format!("{}: {e}", p.display()))?
        }
    };
    let bytes = std::fs::read(&model_path)
        .map_err(|e| format!("cannot read {}: {e}", model_path.display()))?;
    let (device, package) = (d.family.default_device(), d.family.default_package());
    // (this order is part of the cache key: keep it)
    let mut gen_args: Vec<String> = vec!["--target".into(), d.family.to_string()];
    if d.fold != "default" {
        gen_args.extend(["--fold".to_string(), format!("all={}", d.fold)]);
    }
    gen_args.extend(["--weights".to_string(), "rom".to_string()]);
    let mp = model_path.to_string_lossy().into_owned();
    let args: Vec<&str> = gen_args.iter().map(|s| s.as_str()).collect();
    let g = generate(
        &q,
        &dir,
        &mp,
        &args,
        &[&bytes, device.as_bytes()],
        tools,
        cache,
        "",
    )?;
    if let Some(v) = g.cached {
        return Ok(v);
    }
    let (key, rtl, cached) = (g.key, g.rtl, g.file);
    let hw = dir.join("hw");
    let synth = make_synth(&hw, "3600", &[])?;
    let mut pnr_note = String::new();
    let mut pnr_device = device.to_string();
    let mut pnr_secs = 0.0;
    if d.family != Family::Gowin {
        let dev = format!("DEVICE={device}");
        let pkg = format!("PACKAGE={package}");
        let r = run_in(&hw, "timeout", &["3600", "make", "pnr", &dev, &pkg])?;
        pnr_secs += r.secs;
        if !r.ok && d.family == Family::Ice40 {
            pnr_note = format!(
                "does not place on iCE40UP5K ({}); placed on HX8K",
                tail(&(r.stdout.clone() + &r.stderr), 3)
                    .lines()
                    .find(|l| l.contains("ERROR") || l.contains("fail"))
                    .unwrap_or("nextpnr failed")
                    .trim()
            );
            pnr_device = "hx8k".into();
            // HX8K has no DSPs: resynthesise without -dsp so the netlist places there
            let _ = std::fs::remove_file(hw.join("build/synth.json"));
            let _ = std::fs::remove_file(hw.join("build/stat.json"));
            let s = run_in(
                &hw,
                "timeout",
                &["3600", "make", "pnr", "DEVICE=hx8k", "PACKAGE=ct256"],
            )?;
            pnr_secs += s.secs;
            if !s.ok {
                pnr_note = format!(
                    "does not place on iCE40UP5K nor HX8K: {}",
                    tail(&(s.stdout + &s.stderr), 3)
                );
            }
        } else if !r.ok {
            pnr_note = format!(
                "place and route failed: {}",
                tail(&(r.stdout + &r.stderr), 3)
            );
        }
    } else {
        pnr_note = "synthesis only: Gowin place and route of the core alone needs a board".into();
    }
    let report = report_json(&q, &hw)?;
    let manifest = read_json(&hw.join("qrnn.json"))?;
    let v = json!({
        "key": key, "group": d.group, "scheme": d.scheme, "fold": d.fold, "family": d.family,
        "device": pnr_device, "model": match &d.model {
            ModelSrc::Example(a) => format!("qrnn-hw example {}", a.join(" ")),
            ModelSrc::File(p) => p.display().to_string() },
        "gen_args": gen_args.join(" "), "synth_secs": synth.secs, "pnr_secs": pnr_secs,
        "pnr_note": pnr_note, "report": report, "manifest": manifest, "rtl_sha256": rtl,
    });
    write_json(&cached, &v)?;
    Ok(v)
}

/// A generated project (`DIR/hw`) and its cache key.
pub struct Generated {
    /// The cache key: a hash of `parts`, the `gen` options and the tool versions.
    pub key: String,
    /// [`rtl_hash`] of the generated RTL.
    pub rtl: String,
    /// The cached result, where one exists for this key and this RTL.
    pub cached: Option<Value>,
    /// Where the result is cached.
    pub file: PathBuf,
}

/// `qrnn-hw gen MODEL -o hw GEN_ARGS` in `dir`, and the cache entry `CACHE/PREFIXKEY.json` if
/// it was built from the same RTL. `gen` is cheap and deterministic: a cached result counts only
/// if the RTL it was built from is byte-identical to what this qrnn-hw generates now (a generator
/// change without a version bump rebuilds).
#[allow(clippy::too_many_arguments)]
pub fn generate(
    qrnn: &str,
    dir: &Path,
    model: &str,
    gen_args: &[&str],
    parts: &[&[u8]],
    tools: &Value,
    cache: &Path,
    prefix: &str,
) -> Result<Generated, String> {
    // (this order is part of the cache key: keep it)
    let mut h = Sha256::new();
    let mut parts = parts.iter();
    if let Some(model_bytes) = parts.next() {
        h.update(model_bytes);
    }
    h.update(gen_args.join(" ").as_bytes());
    for p in parts {
        h.update(p);
    }
    h.update(tools.to_string().as_bytes());
    let key: String = h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut a: Vec<&str> = vec!["gen", model, "-o", "hw", "--force", "-q"];
    a.extend(gen_args);
    let r = run_in(dir, qrnn, &a)?;
    if !r.ok {
        return Err(format!("qrnn-hw gen failed: {}", tail(&r.stderr, 5)));
    }
    let rtl = rtl_hash(&dir.join("hw/rtl"))?;
    let file = cache.join(format!("{prefix}{key}.json"));
    let cached = cached_result(&file, &rtl)?;
    Ok(Generated {
        key,
        rtl,
        cached,
        file,
    })
}

/// `qrnn-bench hw`: build the reference set, `jobs` designs at a time (each design runs yosys and
/// nextpnr, single-threaded tools), writing the results file after every finished design so that
/// a run cut short keeps what it built (in set order, unfinished designs left out).
pub fn run(
    qrnn: &Path,
    work: &Path,
    out: &Path,
    quick: bool,
    families: &[Family],
    jobs: usize,
) -> Result<(), String> {
    let tools = tool_versions(qrnn);
    let cache = out.join("designs");
    let set = reference_set(quick, families);
    let file = out.join(if quick {
        format!(
            "hardware-quick-{}.json",
            families.first().map_or("ice40", |f| f.name())
        )
    } else {
        "hardware.json".to_string()
    });
    let header = json!({"command": crate::util::command_line(), "machine": machine(),
        "tools": tools, "quick": quick, "set_size": set.len()});
    crate::util::run_to_file(&file, &header, "designs", set.len(), jobs, |i| {
        let d = &set[i];
        eprintln!(
            "[{}/{}] {} {} fold {} on {}",
            i + 1,
            set.len(),
            d.group,
            d.scheme,
            d.fold,
            d.family
        );
        build(d, qrnn, work, &cache, &tools)
    })
}
