//! `qrnn-bench results`: the accuracy table of docs/RESULTS.md (`make results`).
//!
//! Every cell of the table is a `qrnn-hw train` run (quantization-aware training, export with
//! calibrated formats, then the float and golden-integer figures on the test split, recorded in
//! the `.qw` header and printed with `--json`). For each task, each recurrent cell and each weight
//! precision (full precision, binary, ternary, quaternary) the run is repeated for several seeds;
//! the table gives mean ± sample standard deviation. Runs are independent processes, so
//! `--jobs N` runs N at once (each `qrnn-hw train` is single-threaded: docs/TRAINING.md).
//!
//! `qrnn-bench results --qrnn BIN --work DIR --out bench/results --docs docs [--quick]` writes
//! `bench/results/accuracy.json` (every run: its command, metrics, epochs, time, weight bits) and
//! docs/RESULTS.md; `qrnn-bench results-docs` rewrites docs/RESULTS.md from the JSON alone.
//! `--quick` (GunPoint and moving digits only) writes `accuracy-quick.json` and
//! `RESULTS-quick.md` into the work directory instead, leaving the committed table alone.

use crate::util::{command_line, machine, read_json, run_in, tail, write_json, write_text};
use qrnn_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One task of the table: a data set and the training options shared by all its cells.
struct Task {
    key: &'static str,
    title: &'static str,
    /// `--data` and the options every run of the task gets.
    args: &'static [&'static str],
    cells: &'static [&'static str],
    /// Part of `--quick`.
    quick: bool,
}

const TASKS: &[Task] = &[
    Task {
        key: "gunpoint",
        title: "GunPoint (UCR; 2 classes, 50 train / 150 test, 150 steps averaged over windows of 5 → 30)",
        args: &[
            "--data", "ucr:GunPoint", "--stride", "5", "--hidden", "16", "--epochs", "200",
            "--patience", "0", "--batch", "8", "--lr", "0.01",
        ],
        cells: &["lstm", "gru"],
        quick: true,
    },
    Task {
        key: "italypowerdemand",
        title: "ItalyPowerDemand (UCR; 2 classes, 67 train / 1029 test, 24 steps)",
        args: &[
            "--data", "ucr:ItalyPowerDemand", "--hidden", "8", "--epochs", "150", "--patience",
            "40", "--batch", "8", "--lr", "0.01",
        ],
        cells: &["lstm", "gru"],
        quick: false,
    },
    Task {
        key: "japanesevowels",
        title: "JapaneseVowels (UEA; 9 speakers, 270 train / 370 test, 7–29 steps of 12 LPC cepstra, standardised with training-split statistics)",
        args: &[
            "--data", "ucr:JapaneseVowels", "--normalize", "train", "--hidden", "16", "--epochs", "80", "--patience",
            "20", "--batch", "16", "--lr", "0.01",
        ],
        cells: &["lstm", "gru"],
        quick: false,
    },
    Task {
        key: "basicmotions",
        title: "BasicMotions (UEA; 4 activities, 40 train / 40 test, 100 steps of 6 sensor axes standardised with training-split statistics, averaged over windows of 4 → 25)",
        args: &[
            "--data", "ucr:BasicMotions", "--normalize", "train", "--stride", "4", "--hidden", "16", "--epochs", "150",
            "--patience", "40", "--batch", "8", "--lr", "0.01",
        ],
        cells: &["lstm", "gru"],
        quick: false,
    },
    Task {
        key: "moving-digits",
        title: "Moving digits (next-frame prediction; 300 train / 100 test videos of 6 frames, 10×10, scikit-learn digits)",
        args: &[
            "--data", "digits-moving", "--hidden", "4", "--kernel", "3", "--epochs", "30",
            "--patience", "5", "--batch", "16", "--lr", "0.01",
        ],
        cells: &["convlstm"],
        quick: true,
    },
    Task {
        key: "rt-sentiment",
        title: "Rotten Tomatoes sentiment (2 classes, 10 244 train / 2564 test snippets, 24 tokens, 4000-word vocabulary, fixed random 64-d embedding)",
        args: &[
            "--data", "rt-sentiment", "--vocab", "4000", "--embed-dim", "64", "--hidden", "32",
            "--epochs", "20", "--patience", "4", "--batch", "32", "--lr", "0.003",
        ],
        cells: &["lstm", "gru"],
        quick: false,
    },
];

const QUANTS: &[&str] = &["none", "binary", "ternary", "quaternary"];

/// The stated margin of a quantized classifier: its golden accuracy at most this many percentage
/// points below the full-precision float pass (medians over the seeds, so that one seed whose
/// training failed, in either row, does not decide it).
const MARGIN_POINTS: f64 = 3.0;
/// The stated margin of a quantized frame predictor: its golden MSE at most this fraction above
/// the full-precision float pass (medians over the seeds).
const MARGIN_MSE: f64 = 0.25;

/// One planned run.
#[derive(Clone)]
struct Plan {
    task: &'static Task,
    cell: &'static str,
    quant: &'static str,
    seed: u64,
}

impl Plan {
    fn id(&self) -> String {
        format!(
            "{}-{}-{}-s{}",
            self.task.key, self.cell, self.quant, self.seed
        )
    }
    fn args(&self, out: &Path) -> Vec<String> {
        let mut v: Vec<String> = ["-q", "train"].iter().map(|s| s.to_string()).collect();
        v.extend(self.task.args.iter().map(|s| s.to_string()));
        for (k, val) in [
            ("--cell", self.cell.to_string()),
            ("--quant", self.quant.to_string()),
            ("--seed", self.seed.to_string()),
        ] {
            v.push(k.into());
            v.push(val);
        }
        v.push("--json".into());
        v.push("-o".into());
        v.push(out.display().to_string());
        v
    }
}

/// Bits of weight memory of an exported model: input, recurrent and head weight codes
/// (`Weights::bits`: codes × bits per code; scales and biases not counted), and their count.
fn weight_bits(m: &Model) -> (u64, u64) {
    let mut bits = 0;
    let mut n = 0;
    for l in &m.layers {
        bits += l.w.bits() + l.u.bits();
        n += (l.w.codes.len() + l.u.codes.len()) as u64;
    }
    if let Some(h) = &m.head {
        bits += h.w.bits();
        n += h.w.codes.len() as u64;
    }
    (bits, n)
}

fn run_one(qrnn: &Path, work: &Path, p: &Plan) -> Result<Value, String> {
    let out = work.join(format!("{}.qw", p.id()));
    let args = p.args(&out);
    let argv: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let r = run_in(work, &qrnn.to_string_lossy(), &argv)?;
    if !r.ok {
        return Err(format!(
            "{}: qrnn-hw {} failed:\n{}",
            p.id(),
            args.join(" "),
            tail(&r.stderr, 15)
        ));
    }
    let j: Value = serde_json::from_str(&r.stdout)
        .map_err(|e| format!("{}: qrnn-hw train --json printed no JSON ({e})", p.id()))?;
    let m = Model::load(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let (bits, n) = weight_bits(&m);
    Ok(json!({
        "id": p.id(),
        "task": p.task.key,
        "cell": p.cell,
        "quant": p.quant,
        "seed": p.seed,
        "command": format!("qrnn-hw {}", args[1..args.len() - 2].join(" ")),
        "metrics": j["metrics"],
        "epochs": j["epochs"],
        "best_epoch": j["best_epoch"],
        "stopped_early": j["stopped_early"],
        "seconds": r.secs,
        "hash": j["hash"],
        "weights": n,
        "qw_weight_bits": bits,
    }))
}

/// Run the table (all of it, or the `--quick` subset) and write the JSON and the docs.
pub fn run(
    qrnn: &Path,
    work: &Path,
    out: &Path,
    docs: &Path,
    quick: bool,
    seeds: u64,
    jobs: usize,
) -> Result<(), String> {
    std::fs::create_dir_all(work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    // the quick subset is a check of the machinery: it leaves the committed table alone
    let (out, docs) = if quick { (work, work) } else { (out, docs) };
    let mut plans = Vec::new();
    for task in TASKS.iter().filter(|t| !quick || t.quick) {
        for &cell in task.cells {
            for &quant in QUANTS {
                for seed in 1..=seeds {
                    plans.push(Plan {
                        task,
                        cell,
                        quant,
                        seed,
                    });
                }
            }
        }
    }
    let total = plans.len();
    eprintln!(
        "{total} training runs ({} tasks, {seeds} seeds), {jobs} at a time; models in {}",
        TASKS.iter().filter(|t| !quick || t.quick).count(),
        work.display()
    );
    let t0 = Instant::now();
    let results = crate::util::run_queue(
        total,
        jobs,
        |i| run_one(qrnn, work, &plans[i]),
        |i, slots| {
            let k = slots.iter().flatten().count();
            match slots[i].as_ref() {
                Some(Ok(v)) => eprintln!(
                    "[{k:>3}/{total}] {:<40} {} ({:.1} s, {:.0} s elapsed)",
                    plans[i].id(),
                    summary(&v["metrics"]),
                    v["seconds"].as_f64().unwrap_or(0.0),
                    t0.elapsed().as_secs_f64()
                ),
                Some(Err(e)) => eprintln!("[{k:>3}/{total}] FAILED {e}"),
                None => {}
            }
        },
    );
    let mut runs = Vec::new();
    let mut failed = Vec::new();
    for r in results.into_iter().flatten() {
        match r {
            Ok(v) => runs.push(v),
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return Err(format!(
            "{} of {total} runs failed; the first:\n{}",
            failed.len(),
            failed[0]
        ));
    }
    let doc = json!({
        "command": command_line(),
        "make": if quick { "make results QUICK=1" } else { "make results" },
        "quick": quick,
        "seeds": seeds,
        "jobs": jobs,
        "wall_seconds": t0.elapsed().as_secs_f64(),
        "qrnn-hw": crate::util::version_of(&qrnn.to_string_lossy(), "--version"),
        "machine": machine(),
        "runs": runs,
    });
    let name = if quick {
        "accuracy-quick.json"
    } else {
        "accuracy.json"
    };
    write_json(&out.join(name), &doc)?;
    eprintln!(
        "wrote {} ({total} runs, {:.0} s)",
        out.join(name).display(),
        t0.elapsed().as_secs_f64()
    );
    write_docs(out, docs, quick)
}

fn summary(m: &Value) -> String {
    let g = |k: &str| m[k].as_f64();
    if let Some(a) = g("golden_accuracy") {
        let fl = g("float_accuracy").or(g("quantized_float_accuracy"));
        format!(
            "acc {} golden {a:.4}",
            fl.map_or("-".into(), |v| format!("{v:.4}"))
        )
    } else {
        let fl = g("float_mse").or(g("quantized_float_mse"));
        format!(
            "mse {} golden {:.5} ssim {:.4}",
            fl.map_or("-".into(), |v| format!("{v:.5}")),
            g("golden_mse").unwrap_or(f64::NAN),
            g("golden_ssim").unwrap_or(f64::NAN)
        )
    }
}

/// Mean and sample standard deviation.
fn mean_std(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Some((mean, sd))
}

/// Median (the mean of the middle two for an even count).
fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut w = v.to_vec();
    w.sort_by(|a, b| a.total_cmp(b));
    let n = w.len();
    Some(if n % 2 == 1 {
        w[n / 2]
    } else {
        (w[n / 2 - 1] + w[n / 2]) / 2.0
    })
}

fn pm(v: &[f64], scale: f64, digits: usize) -> String {
    match mean_std(v) {
        Some((m, s)) => format!("{:.digits$} ± {:.digits$}", m * scale, s * scale),
        None => "—".into(),
    }
}

fn bits_per_weight(quant: &str) -> u64 {
    match quant {
        "binary" => 1,
        "ternary" | "quaternary" => 2,
        _ => 32,
    }
}

/// Published full-precision test accuracies on the same train/test splits: (task key, method,
/// accuracy, source key of the list in bench/results/accuracy-notes.md). Each value was read in
/// the source named; none is from memory.
const PUBLISHED: &[(&str, &str, f64, &str)] = &[
    ("gunpoint", "1-NN Euclidean (archive)", 1.0 - 0.0867, "UCR"),
    (
        "gunpoint",
        "1-NN DTW, full window (archive)",
        1.0 - 0.0933,
        "UCR",
    ),
    ("gunpoint", "FCN, mean of 10 runs", 1.000, "Fawaz"),
    ("gunpoint", "ResNet, mean of 10 runs", 0.991, "Fawaz"),
    ("gunpoint", "LSTM-FCN", 1.000, "Karim"),
    (
        "italypowerdemand",
        "1-NN Euclidean (archive)",
        1.0 - 0.0447,
        "UCR",
    ),
    (
        "italypowerdemand",
        "1-NN DTW, full window (archive)",
        1.0 - 0.0496,
        "UCR",
    ),
    ("italypowerdemand", "FCN, mean of 10 runs", 0.961, "Fawaz"),
    (
        "italypowerdemand",
        "ResNet, mean of 10 runs",
        0.963,
        "Fawaz",
    ),
    ("italypowerdemand", "LSTM-FCN", 0.9621, "Karim"),
    ("japanesevowels", "FCN, mean of 10 runs", 0.993, "Fawaz-MTS"),
    (
        "japanesevowels",
        "ResNet, mean of 10 runs",
        0.992,
        "Fawaz-MTS",
    ),
    ("basicmotions", "1-NN DTW (dependent)", 0.975, "tsml"),
    ("basicmotions", "1-NN DTW (independent)", 0.725, "tsml"),
    ("basicmotions", "ResNet", 1.000, "tsml"),
    ("basicmotions", "InceptionTime", 1.000, "tsml"),
];

/// Write docs/RESULTS.md from `bench/results/accuracy.json` (or `accuracy-quick.json`).
pub fn write_docs(out: &Path, docs: &Path, quick: bool) -> Result<(), String> {
    let name = if quick {
        "accuracy-quick.json"
    } else {
        "accuracy.json"
    };
    let d = read_json(&out.join(name))?;
    let runs = d["runs"].as_array().ok_or("no runs in the results")?;
    // (task, cell, quant) → runs
    let mut groups: BTreeMap<(String, String, String), Vec<&Value>> = BTreeMap::new();
    for r in runs {
        let k = (
            r["task"].as_str().unwrap_or("").to_string(),
            r["cell"].as_str().unwrap_or("").to_string(),
            r["quant"].as_str().unwrap_or("").to_string(),
        );
        groups.entry(k).or_default().push(r);
    }
    let mut s = String::new();
    let notes = std::fs::read_to_string(out.join("accuracy-notes.md")).unwrap_or_default();
    let _ = writeln!(s, "# Results: quantized recurrent networks on real data\n");
    let _ = writeln!(
        s,
        "<!-- generated by `{}` from bench/results/{name}; do not edit (the discussion comes from \
         bench/results/accuracy-notes.md) -->\n",
        d["make"].as_str().unwrap_or("make results")
    );
    let wall = d["wall_seconds"].as_f64().unwrap_or(0.0);
    let mach = &d["machine"];
    let _ = writeln!(
        s,
        "Reproduce with **`{}`** ({} runs, {} seeds each, {} at a time: **{:.0} min {:02.0} s** wall \
         on this machine — {} cores, {}, {}; `{}`). Each row is `qrnn-hw train` (quantization-aware \
         training, docs/TRAINING.md) repeated with seeds 1…{}; figures are mean ± sample standard \
         deviation over the seeds, on each data set's test split. Every run's command, figures, \
         epochs, time and model hash are in `bench/results/{name}`.\n",
        d["make"].as_str().unwrap_or("make results"),
        runs.len(),
        d["seeds"],
        d["jobs"],
        (wall / 60.0).floor(),
        wall % 60.0,
        mach["nproc"],
        mach["cpu"].as_str().unwrap_or("?"),
        mach["date"].as_str().unwrap_or("?"),
        d["qrnn-hw"].as_str().unwrap_or("qrnn-hw"),
        d["seeds"],
    );
    let _ = writeln!(
        s,
        "Columns:\n\n\
         - **float pass** — for full precision (FP), the trained float network (candle, 32-bit \
         weights); for binary/ternary/quaternary, the exported `.qw`'s float reference (quantized \
         weights, real-valued activations), i.e. what the quantized network computes before any \
         fixed-point rounding.\n\
         - **golden (.qw)** — the hardware-exact integer model (`qrnn_golden`, bit for bit what the \
         generated Verilog computes) on the exported `.qw`, as recorded in its header and \
         reproduced by `qrnn-hw eval MODEL --data SPEC`. A full-precision run is exported with \
         int8 weights (a `.qw` has no float weights), so its golden figure is the int8 model's.\n\
         - **Δ golden − FP** — the quantized model's golden figure minus the FP float pass, \
         both means.\n\
         - **weight bits** — input, recurrent and head weights (`W`, `U`, head `D`) × bits per \
         weight (FP: 32-bit floats; binary 1, ternary and quaternary 2); per-tensor scales and \
         biases are not counted.\n"
    );
    for task in TASKS {
        let cells: Vec<&str> = task
            .cells
            .iter()
            .copied()
            .filter(|c| {
                groups.contains_key(&(task.key.to_string(), c.to_string(), "none".to_string()))
            })
            .collect();
        if cells.is_empty() {
            continue;
        }
        let _ = writeln!(s, "## {}\n", task.title);
        let _ = writeln!(
            s,
            "`qrnn-hw train {} --cell CELL --quant Q --seed S`\n",
            task.args.join(" ")
        );
        let frames = task.key == "moving-digits";
        if frames {
            let _ = writeln!(
                s,
                "| cell | weights | weight bits | float-pass MSE | golden MSE (.qw) | golden MSE per seed | Δ golden − FP | golden SSIM (.qw) | epochs | s/run |\n\
                 |---|---|---|---|---|---|---|---|---|---|"
            );
        } else {
            let _ = writeln!(
                s,
                "| cell | weights | weight bits | float-pass accuracy % | golden accuracy % (.qw) | golden % per seed | Δ golden − FP (points) | epochs | s/run |\n\
                 |---|---|---|---|---|---|---|---|---|"
            );
        }
        let mut outside: Vec<String> = Vec::new();
        for cell in cells {
            let key = |q: &str| (task.key.to_string(), cell.to_string(), q.to_string());
            let fp_float: Vec<f64> = groups
                .get(&key("none"))
                .map(|g| {
                    g.iter()
                        .filter_map(|r| {
                            r["metrics"][if frames {
                                "float_mse"
                            } else {
                                "float_accuracy"
                            }]
                            .as_f64()
                        })
                        .collect()
                })
                .unwrap_or_default();
            let fp_mean = mean_std(&fp_float).map(|x| x.0);
            for &q in QUANTS {
                let Some(g) = groups.get(&key(q)) else {
                    continue;
                };
                let col = |k: &str| -> Vec<f64> {
                    g.iter().filter_map(|r| r["metrics"][k].as_f64()).collect()
                };
                let float_key = match (q, frames) {
                    ("none", false) => "float_accuracy",
                    ("none", true) => "float_mse",
                    (_, false) => "quantized_float_accuracy",
                    (_, true) => "quantized_float_mse",
                };
                let golden_key = if frames {
                    "golden_mse"
                } else {
                    "golden_accuracy"
                };
                let fl = col(float_key);
                let gold = col(golden_key);
                let n = g[0]["weights"].as_u64().unwrap_or(0);
                let bits = n * bits_per_weight(q);
                let epochs: Vec<f64> = g.iter().filter_map(|r| r["epochs"].as_f64()).collect();
                let secs: Vec<f64> = g.iter().filter_map(|r| r["seconds"].as_f64()).collect();
                let delta = match (mean_std(&gold), fp_mean) {
                    (Some((gm, _)), Some(f)) => {
                        if frames {
                            format!("{:+.5}", gm - f)
                        } else {
                            format!("{:+.1}", 100.0 * (gm - f))
                        }
                    }
                    _ => "—".into(),
                };
                let label = if q == "none" { "FP (int8 .qw)" } else { q };
                let per_seed = |scale: f64, digits: usize| -> String {
                    gold.iter()
                        .map(|v| format!("{:.digits$}", v * scale))
                        .collect::<Vec<_>>()
                        .join(" / ")
                };
                if q != "none" {
                    if let (Some(gm), Some(f)) = (median(&gold), median(&fp_float)) {
                        let beyond = if frames {
                            gm > f * (1.0 + MARGIN_MSE)
                        } else {
                            100.0 * (f - gm) > MARGIN_POINTS
                        };
                        if beyond {
                            outside.push(format!("{cell} {q}"));
                        }
                    }
                }
                let mean_of = |v: &[f64]| mean_std(v).map_or(0.0, |x| x.0);
                if frames {
                    let _ = writeln!(
                        s,
                        "| {cell} | {label} | {bits} ({n} × {}) | {} | {} | {} | {delta} | {} | {:.0} | {:.0} |",
                        bits_per_weight(q),
                        pm(&fl, 1.0, 5),
                        pm(&gold, 1.0, 5),
                        per_seed(1.0, 4),
                        pm(&col("golden_ssim"), 1.0, 4),
                        mean_of(&epochs),
                        mean_of(&secs)
                    );
                } else {
                    let _ = writeln!(
                        s,
                        "| {cell} | {label} | {bits} ({n} × {}) | {} | {} | {} | {delta} | {:.0} | {:.0} |",
                        bits_per_weight(q),
                        pm(&fl, 100.0, 1),
                        pm(&gold, 100.0, 1),
                        per_seed(100.0, 1),
                        mean_of(&epochs),
                        mean_of(&secs)
                    );
                }
            }
        }
        let margin = if frames {
            format!(
                "golden MSE at most {:.0} % above the full-precision float pass",
                100.0 * MARGIN_MSE
            )
        } else {
            format!("golden accuracy at most {MARGIN_POINTS} points below the full-precision float pass")
        };
        if outside.is_empty() {
            let _ = writeln!(
                s,
                "\nEvery quantized row is within the margin ({margin}; medians over the seeds)."
            );
        } else {
            let _ = writeln!(
                s,
                "\nBeyond the margin ({margin}; medians over the seeds): {}. See \
                 [Discussion](#discussion).",
                outside.join(", ")
            );
        }
        let published: Vec<_> = PUBLISHED.iter().filter(|p| p.0 == task.key).collect();
        if !published.is_empty() {
            let _ = writeln!(
                s,
                "\nPublished full-precision test accuracy on the same split (sources: \
                 [Published baselines](#published-baselines)):\n"
            );
            let list: Vec<String> = published
                .iter()
                .map(|p| format!("{} {:.1} % [{}]", p.1, 100.0 * p.2, p.3))
                .collect();
            let _ = writeln!(s, "{}.", list.join("; "));
        }
        let _ = writeln!(s);
    }
    if !notes.is_empty() {
        s.push_str(notes.trim_end());
        s.push('\n');
    }
    let path: PathBuf = docs.join(if quick {
        "RESULTS-quick.md"
    } else {
        "RESULTS.md"
    });
    write_text(&path, &s)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_std() {
        let (m, s) = mean_std(&[0.9, 1.0, 0.95]).unwrap();
        assert!((m - 0.95).abs() < 1e-12);
        assert!((s - 0.05).abs() < 1e-12);
        assert_eq!(mean_std(&[0.5]), Some((0.5, 0.0)));
        assert_eq!(mean_std(&[]), None);
        assert_eq!(pm(&[0.9, 1.0, 0.95], 100.0, 1), "95.0 ± 5.0");
        assert_eq!(median(&[0.5, 0.9, 0.1]), Some(0.5));
        assert_eq!(median(&[0.4, 0.1, 0.9, 0.5]), Some(0.45));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn run_commands_name_cell_quant_and_seed() {
        let p = Plan {
            task: &TASKS[0],
            cell: "gru",
            quant: "ternary",
            seed: 2,
        };
        let a = p.args(Path::new("/w/x.qw"));
        let s = a.join(" ");
        assert!(
            s.starts_with("-q train --data ucr:GunPoint --stride 5"),
            "{s}"
        );
        assert!(
            s.ends_with("--cell gru --quant ternary --seed 2 --json -o /w/x.qw"),
            "{s}"
        );
        assert_eq!(p.id(), "gunpoint-gru-ternary-s2");
    }
}
