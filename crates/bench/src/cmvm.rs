//! `qrnn-bench cmvm --matrices bench/da4ml/matrices --da4ml bench/da4ml/results.json --out
//! bench/results`: qrnn-hw's constant-matrix compiler (`qrnn_rtl::cmvm`, docs/HARDWARE.md §4.7) on
//! the random matrices of `bench/da4ml/` (8-bit signed inputs), beside what da4ml made of the same
//! matrices in that directory's last run (`bash bench/da4ml/run.sh`): adders and adder depth.
//! Writes `cmvm.json`; `qrnn-bench docs` renders it. Seconds: no synthesis (the LUT comparison of
//! one matrix through yosys is `bench/da4ml/compare.py`).

use serde_json::{json, Value};
use std::path::Path;

fn read(p: &Path) -> Result<Value, String> {
    let s = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&s).map_err(|e| format!("{}: {e}", p.display()))
}

/// One matrix file: its name and its rows of integer codes.
fn matrix(v: &Value, p: &Path) -> Result<(String, Vec<Vec<i64>>), String> {
    let bad = |what: &str| format!("{}: {what}", p.display());
    let name = v["name"]
        .as_str()
        .ok_or_else(|| bad("no `name`"))?
        .to_string();
    let rows = v["w"]
        .as_array()
        .ok_or_else(|| bad("no `w` array"))?
        .iter()
        .enumerate()
        .map(|(r, row)| {
            row.as_array()
                .ok_or_else(|| bad(&format!("`w[{r}]` is not an array")))?
                .iter()
                .enumerate()
                .map(|(c, x)| {
                    x.as_i64()
                        .filter(|x| *x == 0 || x.unsigned_abs().is_power_of_two())
                        .ok_or_else(|| bad(&format!("`w[{r}][{c}]` is not 0 or ± a power of two")))
                })
                .collect::<Result<Vec<i64>, String>>()
        })
        .collect::<Result<Vec<_>, String>>()?;
    let cols = rows.first().map_or(0, |r| r.len());
    if rows.is_empty() || rows.iter().any(|r| r.len() != cols) {
        return Err(bad("`w` is not a non-empty rectangle"));
    }
    Ok((name, rows))
}

/// da4ml's adders and depth range for `matrix` under `variant`, from its results file.
fn da4ml_of(d: &Value, matrix: &str, variant: &str) -> Value {
    d["designs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["matrix"] == matrix && x["variant"] == variant)
        .map_or(Value::Null, |x| {
            json!({
                "adders": x["da4ml_adders"],
                "depth": x["da4ml_latency_min_max"],
                "output_bits": x["output_bits"],
            })
        })
}

/// `qrnn-bench cmvm`.
pub fn run(matrices: &Path, da4ml: &Path, out: &Path) -> Result<(), String> {
    let mut files: Vec<_> = std::fs::read_dir(matrices)
        .map_err(|e| format!("{}: {e}", matrices.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no matrix (*.json)", matrices.display()));
    }
    let peer = read(da4ml).unwrap_or(Value::Null);
    let input = (-128i128, 127i128);
    let interval = qrnn_model::Interval::new(-128, 127);
    let mut rows = Vec::new();
    for p in &files {
        let (name, w) = matrix(&read(p)?, p)?;
        let cols = w[0].len();
        let t = std::time::Instant::now();
        let g = qrnn_rtl::cmvm::compile(&w, &vec![interval; cols]);
        let secs = t.elapsed().as_secs_f64();
        // the graph must compute W·x: at the corners and a few mixed inputs
        for k in 0..8u64 {
            let x: Vec<i128> = (0..cols)
                .map(|i| {
                    if (k.wrapping_mul(7).wrapping_add(i as u64 * 13)) % 3 == 0 {
                        input.0
                    } else {
                        input.1 - (k as i128)
                    }
                })
                .collect();
            let want: Vec<i128> = w
                .iter()
                .map(|r| r.iter().zip(&x).map(|(c, v)| *c as i128 * v).sum())
                .collect();
            if g.eval(&x) != want {
                return Err(format!("{name}: the adder graph does not compute W·x"));
            }
        }
        println!(
            "{name}: {} adders ({} shared), depth {}, {} in plain trees",
            g.adders(),
            g.shared(),
            g.depth(),
            qrnn_rtl::cmvm::plain_adders(&w)
        );
        rows.push(json!({
            "matrix": name,
            "rows": w.len(),
            "cols": cols,
            "adders": g.adders(),
            "shared": g.shared(),
            "depth": g.depth(),
            "plain_adders": qrnn_rtl::cmvm::plain_adders(&w),
            "output_bits": g.output_bits(),
            "compile_secs": secs,
            "da4ml": da4ml_of(&peer, &name, "comb"),
            "da4ml_dc0": da4ml_of(&peer, &name, "comb_dc0"),
        }));
    }
    let doc = json!({
        "command": "qrnn-bench cmvm --matrices bench/da4ml/matrices --da4ml bench/da4ml/results.json --out bench/results",
        "input": "8-bit signed integers, [-128, 127]",
        "da4ml_run": peer["date"],
        "da4ml_version": peer["versions"]["da4ml"],
        "matrices": rows,
    });
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = out.join("cmvm.json");
    let tmp = out.join("cmvm.json.tmp");
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
