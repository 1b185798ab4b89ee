//! `qrnn-bench docs`: docs/BENCHMARKS.md and docs/bench/*.svg from bench/results/*.json alone.

use crate::plot::{chart, line_plot, Chart, Mark, Series, VLine};
use crate::util::{read_json, write_text};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        _ => "—".into(),
    }
}

/// Multiply-accumulates per timestep of the matrix-vector engines and the ideal cycle count
/// `Σ ⌈MACs_e/(P_e·S_e)⌉`, from a manifest (`None` for ConvLSTM: its manifest has no map size).
pub fn macs_and_ideal(m: &Value) -> Option<(u64, u64)> {
    // read through the typed manifest, as every other reader of qrnn.json does
    let m: qrnn_rtl::manifest::Manifest = serde_json::from_value(m.clone()).ok()?;
    let mut macs = 0u64;
    let mut ideal = 0u64;
    let mut last_h = 0u64;
    for l in &m.layers {
        let g = match l.cell.as_str() {
            "lstm" => 4,
            "gru" => 3,
            _ => return None,
        };
        let (i, h) = (l.input as u64, l.hidden as u64);
        let ps = (l.fold.p * l.fold.s) as u64;
        let mc = g * h * (i + h);
        macs += mc;
        ideal += mc.div_ceil(ps);
        last_h = h;
    }
    if let Some(hd) = &m.head {
        let o = hd.outputs as u64;
        let ps = (hd.fold.p * hd.fold.s) as u64;
        macs += o * last_h;
        ideal += (o * last_h).div_ceil(ps);
    }
    Some((macs, ideal))
}

struct Row<'a> {
    d: &'a Value,
}

impl Row<'_> {
    fn syn(&self, k: &str) -> Option<f64> {
        f(&self.d["report"]["synthesis"][k])
    }
    fn placed(&self, k: &str) -> Option<f64> {
        f(&self.d["report"]["placed"][k])
    }
    /// LUT4s, counting the LUTs that carry cells occupy: an ECP5 CCU2C is two LUT4s of a slice and a
    /// Gowin ALU one LUT; an iCE40 SB_CARRY sits beside the SB_LUT4 that computes the sum bit, which
    /// yosys already counts.
    fn lut(&self) -> Option<f64> {
        let carry = self.syn("carry").unwrap_or(0.0);
        let per = match self.d["family"].as_str() {
            Some("ecp5") => 2.0,
            Some("gowin") => 1.0,
            _ => 0.0,
        };
        self.syn("lut").map(|l| l + per * carry)
    }
    /// DSP blocks outside the element-wise products: the matrix-vector path's.
    fn mv_dsp(&self) -> Option<f64> {
        let ew = self.d["manifest"]["resources"]["elementwise_multipliers"]
            .as_f64()
            .unwrap_or(0.0);
        self.syn("dsp").map(|d| (d - ew).max(0.0))
    }
    fn fmax(&self) -> Option<f64> {
        f(&self.d["report"]["fmax_mhz"])
    }
    fn cycles(&self) -> Option<f64> {
        f(&self.d["report"]["cycles_per_step"])
    }
}

fn hardware_section(md: &mut String, hw: &Value) -> Vec<String> {
    let mut notes = Vec::new();
    let designs: Vec<&Value> = hw["designs"]
        .as_array()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    // group → family → scheme → design
    let mut groups: BTreeMap<(String, String), BTreeMap<String, &Value>> = BTreeMap::new();
    for d in &designs {
        let g = d["group"].as_str().unwrap_or("?").to_string();
        let fam = d["family"].as_str().unwrap_or("?").to_string();
        let s = d["scheme"].as_str().unwrap_or("?").to_string();
        groups.entry((g, fam)).or_default().insert(s, d);
    }
    let _ = writeln!(
        md,
        "| model | family (device placed) | scheme | LUT | FF | BRAM | DSP (all / MV path) | Fmax MHz | cycles/step | ideal ⌈MACs/(P·S)⌉ | cycles/ideal | timesteps/s @Fmax | latency µs @Fmax | ops/s per LUT | LUT vs int8 | LUT+DSP vs int8 |"
    );
    let _ = writeln!(md, "|{}", "---|".repeat(16));
    for ((g, fam), by) in &groups {
        let base = by.get("int8").map(|d| Row { d });
        for s in ["binary", "ternary", "quaternary", "int8"] {
            let Some(d) = by.get(s) else { continue };
            if let Some(e) = d["error"].as_str() {
                let _ = writeln!(
                    md,
                    "| {g} | {fam} | {s} | failed: {} |{}",
                    e.replace('\n', " ").replace('|', "/"),
                    " |".repeat(12)
                );
                continue;
            }
            let r = Row { d };
            let dev = d["device"].as_str().unwrap_or("?");
            let ideal = macs_and_ideal(&d["manifest"]);
            let cyc = r.cycles();
            let tps = match (r.fmax(), cyc) {
                (Some(fm), Some(c)) => Some(fm * 1e6 / c),
                _ => None,
            };
            let lat = match (r.fmax(), cyc) {
                (Some(fm), Some(c)) => Some(c / fm),
                _ => None,
            };
            let opsl = match (ideal, tps, r.lut()) {
                (Some((macs, _)), Some(t), Some(l)) => Some(2.0 * macs as f64 * t / l),
                _ => None,
            };
            let (lr, ldr) = match (&base, s) {
                (Some(b), s) if s != "int8" => {
                    let lr = match (r.lut(), b.lut()) {
                        (Some(a), Some(bb)) => Some(a / bb),
                        _ => None,
                    };
                    let ldr = match (r.lut(), r.syn("dsp"), b.lut(), b.syn("dsp")) {
                        (Some(a), Some(ad), Some(bl), Some(bd)) => Some((a + ad) / (bl + bd)),
                        _ => None,
                    };
                    if let Some(x) = ldr {
                        if x >= 1.0 {
                            notes.push(format!(
                                "{g} on {fam}, {s}: {:.0} LUT + {:.0} DSP against int8's {:.0} + {:.0} (ratio {x:.2})",
                                r.lut().unwrap_or(0.0),
                                r.syn("dsp").unwrap_or(0.0),
                                b.lut().unwrap_or(0.0),
                                b.syn("dsp").unwrap_or(0.0)
                            ));
                        }
                    }
                    (lr, ldr)
                }
                _ => (None, None),
            };
            let placed = if r.placed("lut").is_some() || r.fmax().is_some() {
                dev.to_string()
            } else {
                format!("{dev}: synth only")
            };
            let _ = writeln!(
                md,
                "| {g} | {fam} ({placed}) | {s} | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                fmt_opt(r.lut(), 0),
                fmt_opt(r.syn("ff"), 0),
                fmt_opt(r.syn("bram"), 0),
                fmt_opt(r.syn("dsp"), 0),
                fmt_opt(r.mv_dsp(), 0),
                fmt_opt(r.fmax(), 1),
                fmt_opt(cyc, 0),
                ideal.map(|i| i.1.to_string()).unwrap_or("—".into()),
                match (cyc, ideal) {
                    (Some(c), Some((_, i))) => format!("{:.2}", c / i as f64),
                    _ => "—".into(),
                },
                fmt_opt(tps, 0),
                fmt_opt(lat, 1),
                fmt_opt(opsl, 0),
                fmt_opt(lr, 2),
                fmt_opt(ldr, 2),
            );
            // the first line of a place-and-route note is nextpnr's error; the rest is make's echo
            if let Some(n) = d["pnr_note"].as_str().and_then(|n| n.lines().next()) {
                if !n.trim().is_empty() {
                    notes.push(format!("{g} on {fam}, {s}: {}", n.trim()));
                }
            }
        }
    }
    notes
}

/// Notes `"<design>: <text>"` with the same text said once, naming every design it applies to,
/// in order of first appearance.
fn group_notes(notes: &[String]) -> Vec<String> {
    let mut order: Vec<(String, Vec<String>)> = Vec::new();
    for n in notes {
        let (who, text) = n.split_once(": ").unwrap_or(("", n));
        match order.iter_mut().find(|(t, _)| t == text) {
            Some((_, w)) => w.push(who.to_string()),
            None => order.push((text.to_string(), vec![who.to_string()])),
        }
    }
    order
        .into_iter()
        .map(|(t, w)| {
            if w.len() == 1 {
                format!("{}: {t}", w[0])
            } else {
                format!("{t} ({} designs: {})", w.len(), w.join("; "))
            }
        })
        .collect()
}

fn software_section(md: &mut String, sw: &Value, plots: &Path) -> Result<(), String> {
    let _ = writeln!(md, "### `gen` time per model size (in process: passes + elaboration + Verilog print, no file writes; median of 3)\n");
    let _ = writeln!(
        md,
        "| cell | hidden | input | scheme | ms | output bytes | cycles/step |\n|---|---|---|---|---|---|---|"
    );
    let mut by_cell: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for r in sw["gen"].as_array().into_iter().flatten() {
        let ms = r["secs"].as_f64().unwrap_or(f64::NAN) * 1e3;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {ms:.1} | {} | {} |",
            r["cell"].as_str().unwrap_or(""),
            r["hidden"],
            r["input"],
            r["scheme"].as_str().unwrap_or(""),
            r["output_bytes"],
            r["cycles_per_step"]
        );
        by_cell
            .entry(r["cell"].as_str().unwrap_or("").to_string())
            .or_default()
            .push((r["hidden"].as_f64().unwrap_or(0.0), ms));
    }
    let series: Vec<Series> = by_cell
        .into_iter()
        .map(|(name, points)| Series {
            name,
            points,
            line: true,
        })
        .collect();
    if !series.is_empty() {
        line_plot(
            &plots.join("gen-time.svg"),
            "qrnn-hw gen time (ternary, input 16, default fold)",
            "hidden size",
            "ms",
            &series,
            true,
        )?;
        let _ = writeln!(
            md,
            "\n![gen time against hidden size](bench/gen-time.svg)\n"
        );
    }
    let _ = writeln!(
        md,
        "### Golden model against the float reference (same model, 64 timesteps, median of 5)\n"
    );
    let _ = writeln!(md, "| cell | hidden | input | golden timesteps/s | float timesteps/s | golden ÷ float |\n|---|---|---|---|---|---|");
    for r in sw["golden_vs_float"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.0} | {:.0} | {:.2} |",
            r["cell"].as_str().unwrap_or(""),
            r["hidden"],
            r["input"],
            r["golden_steps_per_s"].as_f64().unwrap_or(f64::NAN),
            r["float_steps_per_s"].as_f64().unwrap_or(f64::NAN),
            r["golden_over_float"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let _ = writeln!(md, "\n### `.qw` read time (LSTM 16→H ternary; median)\n");
    let _ = writeln!(
        md,
        "| hidden | binary bytes | binary ms | text bytes | text ms |\n|---|---|---|---|---|"
    );
    for r in sw["qw_read"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} | {} | {:.3} |",
            r["hidden"],
            r["binary_bytes"],
            r["binary_secs"].as_f64().unwrap_or(f64::NAN) * 1e3,
            r["text_bytes"],
            r["text_secs"].as_f64().unwrap_or(f64::NAN) * 1e3
        );
    }
    let v = &sw["verilator"];
    let _ = writeln!(md, "\n### Verilator simulation speed\n");
    if let Some(e) = v["error"].as_str() {
        let _ = writeln!(md, "Not measured: {e}\n");
    } else {
        let _ = writeln!(
            md,
            "{}: `{}`; {} simulated cycles in {:.2} s (median of 3 runs of `make sim` on an up-to-date build, make's start-up and the testbench's file reads included) = **{:.0} cycles/s**. Verilator build plus first run: {:.1} s.\n",
            v["model"].as_str().unwrap_or(""),
            v["pass_line"].as_str().unwrap_or(""),
            v["cycles"],
            v["run_secs"].as_f64().unwrap_or(f64::NAN),
            v["cycles_per_s"].as_f64().unwrap_or(f64::NAN),
            v["build_and_first_run_secs"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let w = &sw["whole_flow"];
    let _ = writeln!(md, "### Whole flow gen → bitstream (one iCE40 board)\n");
    if let Some(e) = w["error"].as_str() {
        let _ = writeln!(md, "Not measured: {e}\n");
    } else {
        let _ = writeln!(
            md,
            "`qrnn-hw gen {} --board {}` {:.2} s, then `make` (yosys → nextpnr-ice40 → icepack) {:.1} s: **{:.1} s** in all, bitstream {} bytes.\n",
            w["model"].as_str().unwrap_or(""),
            w["board"].as_str().unwrap_or(""),
            w["gen_secs"].as_f64().unwrap_or(f64::NAN),
            w["bitstream_secs"].as_f64().unwrap_or(f64::NAN),
            w["total_secs"].as_f64().unwrap_or(f64::NAN),
            w["bitstream_bytes"]
        );
    }
    design_space_section(md, &sw["design_space"], plots)?;
    Ok(())
}

fn design_space_section(md: &mut String, ds: &Value, plots: &Path) -> Result<(), String> {
    let _ = writeln!(
        md,
        "### Design space of the demo model (resource model, no synthesis)\n"
    );
    if let Some(e) = ds["error"].as_str() {
        let _ = writeln!(md, "Not measured: {e}\n");
        return Ok(());
    }
    let points: Vec<&Value> = ds["points"].as_array().into_iter().flatten().collect();
    let xy = |r: &Value| Some((r["logic"].as_f64()?, r["cycles_per_step"].as_f64()?));
    let front: Vec<&Value> = ds["front"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| points.get(i.as_u64()? as usize).copied())
        .collect();
    let fit = ds["fit"]
        .as_u64()
        .and_then(|i| points.get(i as usize).copied());
    let max_of = |k: &str| {
        points
            .iter()
            .filter_map(|r| r[k].as_u64())
            .max()
            .unwrap_or(1)
    };
    let logic = ds["logic"].as_str().unwrap_or("logic");
    let (avail, budget) = ds["budget"]
        .as_object()
        .and_then(|b| b.get("logic_cells").or_else(|| b.get("lut4")))
        .map(|b| (b["available"].as_u64(), b["budget"].as_u64()))
        .unwrap_or((None, None));
    let folds = |r: &Value| {
        r["folds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .map(|f| f.replace('=', " "))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let fit_text = match fit {
        Some(f) => format!(
            "The choice of `qrnn-hw gen --fit --device {dev}` ({}) is marked: {} cycles per timestep, {} {logic}, within the budget of {} (the vertical line: {:.0} % of the {}).",
            folds(f),
            f["cycles_per_step"],
            f["logic"],
            budget.map_or("?".into(), |b| b.to_string()),
            ds["budget"]["logic_cells"]["ceiling"]
                .as_f64()
                .or(ds["budget"]["lut4"]["ceiling"].as_f64())
                .unwrap_or(f64::NAN)
                * 100.0,
            avail.map_or("?".into(), |a| a.to_string()),
            dev = ds["device"].as_str().unwrap_or("?"),
        ),
        None => format!(
            "`qrnn-hw gen --fit` finds no folding within the budget: {}",
            ds["fit_error"].as_str().unwrap_or("?")
        ),
    };
    let _ = writeln!(
        md,
        "`{}` with `--fold all=PxS` for P ∈ {{1…{}}}, S ∈ {{1…{}}} (powers of 2, clamped per engine), on the {} (`{}`): predicted {logic}, as `gen --fit` budgets them (docs/HARDWARE.md \"Auto-fit\"), against the exact cycles per timestep; latency = cycles / f_clk. {} foldings, {} on the Pareto front. {fit_text} `qrnn-hw report --plot OUT.svg MODEL --device DEV` draws this plot for any model (latency in µs at the board's clock).\n",
        ds["model"].as_str().unwrap_or("?"),
        max_of("p"),
        max_of("s"),
        ds["part"].as_str().unwrap_or("?"),
        ds["device"].as_str().unwrap_or("?"),
        points.len(),
        front.len()
    );
    let _ = writeln!(
        md,
        "| fold | {logic} | FF | BRAM | DSP | cycles/step |\n|---|---|---|---|---|---|"
    );
    let row = |md: &mut String, r: &Value| {
        let _ = writeln!(
            md,
            "| {}{} | {} | {} | {} | {} | {} |",
            match r["label"].as_str().unwrap_or("?") {
                "--fit" => folds(r),
                l => l.trim_start_matches("all=").to_string(),
            },
            if r["fit"] == true { " (`--fit`)" } else { "" },
            r["logic"],
            r["ff"],
            r["bram"],
            r["dsp"],
            r["cycles_per_step"]
        );
    };
    for r in &front {
        row(md, r);
    }
    if let Some(f) = fit.filter(|f| f["front"] != true) {
        row(md, f);
    }
    let series = [
        Series {
            name: "Pareto front".into(),
            points: front.iter().filter_map(|r| xy(r)).collect(),
            line: true,
        },
        Series {
            name: "all=PxS foldings".into(),
            points: points.iter().filter_map(|r| xy(r)).collect(),
            line: false,
        },
    ];
    let marks: Vec<Mark> = fit
        .and_then(|f| {
            Some(Mark {
                name: format!("--fit for {}", ds["device"].as_str()?),
                label: format!(
                    "--fit: {} ({} cycles)",
                    f["folds"]
                        .as_array()?
                        .iter()
                        .filter_map(|v| Some(v.as_str()?.split_once('=')?.1))
                        .collect::<Vec<_>>()
                        .join("/"),
                    f["cycles_per_step"]
                ),
                at: xy(f)?,
            })
        })
        .into_iter()
        .collect();
    let vlines: Vec<VLine> = budget
        .map(|b| VLine {
            name: format!(
                "{} budget: {b} of {}",
                ds["device"].as_str().unwrap_or("?"),
                avail.unwrap_or(0)
            ),
            x: b as f64,
        })
        .into_iter()
        .collect();
    let x_label = format!("predicted {logic}");
    let title = format!(
        "demo model on the {}: design space",
        ds["part"].as_str().unwrap_or("?")
    );
    chart(
        &plots.join("pareto.svg"),
        &Chart {
            title: &title,
            x_label: &x_label,
            y_label: "cycles per timestep",
            series: &series,
            marks: &marks,
            vlines: &vlines,
            log_x: true,
            log_y: true,
        },
    )?;
    let _ = writeln!(md, "\n![Pareto front](bench/pareto.svg)\n");
    Ok(())
}

fn hw_plots(md: &mut String, hw: &Value, plots: &Path) -> Result<(), String> {
    let designs: Vec<&Value> = hw["designs"].as_array().into_iter().flatten().collect();
    let mut families: Vec<&str> = designs
        .iter()
        .filter_map(|d| d["family"].as_str())
        .collect();
    families.sort();
    families.dedup();
    for fam in families {
        // LSTM/GRU rows of the reference set only; series "cell scheme", x = hidden size
        let mut luts: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        let mut fmax: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for d in &designs {
            let g = d["group"].as_str().unwrap_or("");
            if d["family"] != fam
                || d.get("error").is_some()
                || !(g.starts_with("lstm") || g.starts_with("gru"))
            {
                continue;
            }
            let Some(l0) = d["manifest"]["layers"].get(0) else {
                continue;
            };
            let name = format!(
                "{} {}",
                l0["cell"].as_str().unwrap_or(""),
                d["scheme"].as_str().unwrap_or("")
            );
            let h = l0["hidden"].as_f64().unwrap_or(0.0);
            if let Some(l) = (Row { d }).lut() {
                luts.entry(name.clone()).or_default().push((h, l));
            }
            if let Some(fm) = d["report"]["fmax_mhz"].as_f64() {
                fmax.entry(name).or_default().push((h, fm));
            }
        }
        let sizes = luts
            .values()
            .flatten()
            .map(|p| p.0 as u64)
            .collect::<std::collections::BTreeSet<_>>();
        let to_series = |m: BTreeMap<String, Vec<(f64, f64)>>| -> Vec<Series> {
            m.into_iter()
                .map(|(name, mut points)| {
                    points.sort_by(|a, b| a.0.total_cmp(&b.0));
                    Series {
                        name,
                        points,
                        line: true,
                    }
                })
                .collect()
        };
        if sizes.len() < 2 {
            let _ = writeln!(
                md,
                "(No {fam} LUT/Fmax-against-hidden-size plot: these results have one hidden size only.)\n"
            );
            continue;
        }
        if !luts.is_empty() {
            let f = format!("luts-{fam}.svg");
            line_plot(
                &plots.join(&f),
                &format!("{fam}: LUT4 after synthesis (fold 1x8, weights in ROM)"),
                "hidden size",
                "LUT4",
                &to_series(luts),
                false,
            )?;
            let _ = writeln!(md, "![{fam} LUTs against hidden size](bench/{f})\n");
        }
        if !fmax.is_empty() {
            let f = format!("fmax-{fam}.svg");
            line_plot(
                &plots.join(&f),
                &format!("{fam}: Fmax after place and route (core alone)"),
                "hidden size",
                "MHz",
                &to_series(fmax),
                false,
            )?;
            let _ = writeln!(md, "![{fam} Fmax against hidden size](bench/{f})\n");
        }
    }
    Ok(())
}

fn header(md: &mut String, v: &Value, what: &str) {
    let m = &v["machine"];
    let _ = writeln!(
        md,
        "{what}: `{}` on {} ({} CPUs, load average {} at the start), {}.\n",
        v["command"].as_str().unwrap_or(""),
        m["cpu"].as_str().unwrap_or("?"),
        m["nproc"],
        m["loadavg_at_start"].as_str().unwrap_or("?"),
        m["date"].as_str().unwrap_or("?")
    );
    let tools: Vec<String> = v["tools"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k}: `{}`", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let _ = writeln!(md, "Tools: {}.\n", tools.join("; "));
}

/// Issue #16's gate against int8: at P·S ≥ 64, ternary and quaternary need at least this many
/// times fewer LUT-equivalents than int8 at the same folding; its targets for binary with
/// multi-bit and with 1-bit (XNOR) activations.
const INT8_GATE: f64 = 2.5;
const INT8_TARGET_BINARY: f64 = 2.5;
const INT8_TARGET_XNOR: f64 = 4.0;

fn sweep_section(md: &mut String, v: &Value, plots: &Path) -> Result<(), String> {
    let _ = writeln!(md, "## Multiplier-free against int8 at several foldings\n");
    let pts: Vec<&Value> = v["points"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "One model shape, `{}`, in every scheme, at `--fold all=1x8`, `4x16` and `16x16`, synthesised by each project's own `make synth` twice: with the family's DSP blocks and with DSPs off. The DSP-off LUT count is the **LUT-equivalent**: every multiplier a DSP would hold is then built from the same family's LUTs, i.e. each DSP valued at the LUT cost of the same multiplier on that family (ECP5 and Gowin count carry cells as LUTs, as in the tables above). Synthesis only. Written by `{}`; {} of {} points built{}.\n",
        v["model"].as_str().unwrap_or("?"),
        v["command"].as_str().unwrap_or("qrnn-bench sweep"),
        pts.len(),
        v["set_size"],
        if (pts.len() as u64) < v["set_size"].as_u64().unwrap_or(0) {
            " (the run was stopped; the rest are `—`: `qrnn-bench sweep` builds them, cached per point)"
        } else {
            ""
        },
    );
    // (fold, family, scheme, dsp) → point
    let mut by: BTreeMap<(String, String, String, bool), &Value> = BTreeMap::new();
    for p in &pts {
        by.insert(
            (
                p["fold"].as_str().unwrap_or("?").into(),
                p["family"].as_str().unwrap_or("?").into(),
                p["scheme"].as_str().unwrap_or("?").into(),
                p["dsp"].as_bool().unwrap_or(false),
            ),
            p,
        );
    }
    let schemes = crate::sweep::SCHEMES.map(|s| s.0);
    let ps = |fold: &str| -> f64 {
        fold.split('x')
            .filter_map(|x| x.parse::<f64>().ok())
            .product()
    };
    let mut folds: Vec<&str> = crate::sweep::FOLDS.to_vec();
    folds.sort_by(|a, b| ps(a).total_cmp(&ps(b)));
    let families: std::collections::BTreeSet<String> = by.keys().map(|k| k.1.clone()).collect();
    let eq = |d: Option<&&Value>| -> Option<f64> {
        d.filter(|d| d["error"].is_null())
            .and_then(|d| Row { d }.lut())
    };
    let _ = writeln!(
        md,
        "| fold (P·S) | family | scheme | LUT-equivalent (DSPs off) | int8 ÷ scheme | LUT + DSP (DSPs on) | FF | BRAM |\n|---|---|---|---|---|---|---|---|"
    );
    let mut gate_lines = Vec::new();
    for fold in &folds {
        for fam in &families {
            let base = eq(by.get(&(fold.to_string(), fam.clone(), "int8".into(), false)));
            for s in schemes {
                let off = by.get(&(fold.to_string(), fam.clone(), s.into(), false));
                let on = by.get(&(fold.to_string(), fam.clone(), s.into(), true));
                let l = eq(off);
                let ratio = match (base, l) {
                    (Some(b), Some(l)) if s != "int8" => Some(b / l),
                    _ => None,
                };
                let on_txt = match on.filter(|d| d["error"].is_null()) {
                    Some(d) => {
                        let r = Row { d };
                        format!("{} + {}", fmt_opt(r.lut(), 0), fmt_opt(r.syn("dsp"), 0))
                    }
                    None => "—".into(),
                };
                let err = off
                    .and_then(|d| d["error"].as_str())
                    .map(|e| {
                        format!(
                            " (failed: {})",
                            e.lines().last().unwrap_or("").replace('|', "/")
                        )
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    md,
                    "| {fold} ({}) | {fam} | {s} | {}{err} | {} | {on_txt} | {} | {} |",
                    ps(fold),
                    fmt_opt(l, 0),
                    fmt_opt(ratio, 2),
                    fmt_opt(off.and_then(|d| Row { d }.syn("ff")), 0),
                    fmt_opt(off.and_then(|d| Row { d }.syn("bram")), 0),
                );
                if ps(fold) >= 64.0 && s != "int8" {
                    let (need, kind) = match s {
                        "ternary" | "quaternary" => (INT8_GATE, "gate"),
                        "binary" => (INT8_TARGET_BINARY, "target"),
                        _ => (INT8_TARGET_XNOR, "target"),
                    };
                    gate_lines.push(format!(
                        "- {kind}, {s} at {fold} on {fam}: int8 ÷ {s} = {} (needs ≥ {need}) — **{}**",
                        fmt_opt(ratio, 2),
                        match ratio {
                            Some(r) if r >= need => "met",
                            Some(_) => "not met",
                            None => "not measured",
                        }
                    ));
                }
            }
        }
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "**Issue #16, at P·S ≥ 64 on every family: ternary and quaternary ≥ {INT8_GATE}× fewer LUT-equivalents than int8 (gate); binary ≥ {INT8_TARGET_BINARY}×, binary with XNOR activations ≥ {INT8_TARGET_XNOR}× (targets):**\n"
    );
    for l in gate_lines {
        let _ = writeln!(md, "{l}");
    }
    md.push('\n');
    for fam in &families {
        let series: Vec<Series> = schemes
            .iter()
            .map(|s| Series {
                name: s.to_string(),
                points: folds
                    .iter()
                    .filter_map(|f| {
                        eq(by.get(&(f.to_string(), fam.clone(), s.to_string(), false)))
                            .map(|l| (ps(f), l))
                    })
                    .collect(),
                line: true,
            })
            .filter(|s| !s.points.is_empty())
            .collect();
        if series.is_empty() {
            continue;
        }
        let file = format!("sweep-{fam}.svg");
        line_plot(
            &plots.join(&file),
            &format!("LUT-equivalents against P·S, {fam} (DSPs off)"),
            "P·S (lanes)",
            "LUT-equivalents",
            &series,
            true,
        )?;
        let _ = writeln!(
            md,
            "![LUT-equivalents against P·S on {fam}](bench/{file})\n"
        );
    }
    Ok(())
}

/// Issue #16's LUT gate against da4ml: geometric mean at most this, no matrix above `DA4ML_MAX`.
const DA4ML_GEOMEAN: f64 = 1.0;
const DA4ML_MAX: f64 = 1.15;

fn da4ml_section(md: &mut String, v: &Value) {
    let _ = writeln!(md, "## Against a peer: da4ml\n");
    let _ = writeln!(
        md,
        "qrnn-hw's constant-matrix compiler (docs/HARDWARE.md §4.7) and da4ml {} on the same constant matrices y = W·x, {}: the recurrent matrix of the demo-sized example (`example_u_64x16`) and the random matrices of `bench/da4ml/matrices/` (ternary with 40 % zeros, binary, quaternary). qrnn-hw compiles each as the input matrix of an LSTM at `--fold all=ROWSxCOLS --weights logic` (fully parallel, hard-wired), combinational (`--pipeline none`, like da4ml's default) and with its default pipeline (one register level); every design is simulated with Icarus against W·x ({} of {} pass). All get the same wrapper (registered inputs and outputs), the same {} and nextpnr (iCE40 HX8K ct256; ECP5 25k CABGA256). LUTs: iCE40 SB_LUT4; ECP5 LUT4 + 2·CCU2C. Each is given as `synth_FAMILY` / with `maccmap -unmap` (yosys' merged adders turned back into two-operand adders, the flow qrnn-hw's projects use on ECP5 and Gowin). Written by `{}` (run {}, {:.0} s).\n",
        v["da4ml_version"].as_str().unwrap_or("?"),
        v["input"].as_str().unwrap_or("?"),
        v["matrices"].as_array().map_or(0, |ms| ms
            .iter()
            .flat_map(|m| m["generators"].as_object().into_iter().flatten())
            .filter(|(_, g)| g["sim"]["pass"].as_bool() == Some(true))
            .count()),
        v["matrices"].as_array().map_or(0, |ms| ms
            .iter()
            .flat_map(|m| m["generators"].as_object().into_iter().flatten())
            .count()),
        v["yosys"].as_str().unwrap_or("yosys"),
        v["command"].as_str().unwrap_or("bench/da4ml/compare.py"),
        v["date"].as_str().unwrap_or("?"),
        v["run_secs"].as_f64().unwrap_or(0.0),
    );
    if let Some(e) = v["error"].as_str() {
        let _ = writeln!(md, "da4ml could not run here: `{e}`\n");
    }
    let gens = ["qrnn-hw comb", "qrnn-hw", "da4ml"];
    let lut = |r: &Value| match (r["lut"].as_f64(), r["lut_unmap"].as_f64()) {
        (Some(a), Some(b)) => format!("{a:.0} / {b:.0}"),
        _ => r["error"].as_str().map_or("—".into(), |e| {
            format!(
                "failed: {}",
                e.lines().last().unwrap_or("").replace('|', "/")
            )
        }),
    };
    let fmax = |r: &Value| match r["fmax_mhz"].as_f64() {
        Some(x) => format!("{x:.1}"),
        None if r["pnr_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("not run")) =>
        {
            "not placed".into()
        }
        None => format!(
            "— ({})",
            r["pnr_error"]
                .as_str()
                .unwrap_or("no place and route")
                .lines()
                .last()
                .unwrap_or("")
                .replace('|', "/")
        ),
    };
    let _ = writeln!(
        md,
        "| matrix | family | qrnn-hw, combinational | qrnn-hw, pipelined | da4ml | ratio (project flow) | adders qrnn-hw / da4ml | depth qrnn-hw / da4ml |\n|---|---|---|---|---|---|---|---|"
    );
    let gates = &v["gates"];
    for m in v["matrices"].as_array().into_iter().flatten() {
        let name = m["name"].as_str().unwrap_or("?");
        for fam in ["ice40", "ecp5"] {
            let f = &m["families"][fam];
            let o = &m["generators"]["qrnn-hw comb"];
            let d = &m["generators"]["da4ml"];
            let _ = writeln!(
                md,
                "| {name} ({}×{}, {}) | {fam} | {} | {} | {} | {} | {} / {} | {} / {} |",
                m["rows"],
                m["cols"],
                m["scheme"].as_str().unwrap_or("?"),
                lut(&f[gens[0]]),
                lut(&f[gens[1]]),
                lut(&f[gens[2]]),
                fmt_opt(gates[fam]["ratios"][name].as_f64(), 3),
                o["adders"],
                d["adders"],
                o["depth"],
                d["depth"].as_u64().map_or("—".into(), |x| x.to_string()),
            );
        }
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "Fmax (MHz, nextpnr, register to register: inputs shifted in through one pin, outputs registered and XOR-reduced to one pin so the I/O fits). Only the 64×16 matrices are placed: the 32×64 designs each took more than 20 minutes on the 2-CPU bench machine (`PNR_MAX_CELLS` in compare.py), and designs larger than the device are not placed either:\n\n| matrix | family | qrnn-hw, combinational | qrnn-hw, pipelined | da4ml |\n|---|---|---|---|---|"
    );
    for m in v["matrices"].as_array().into_iter().flatten() {
        for fam in ["ice40", "ecp5"] {
            let f = &m["families"][fam];
            let _ = writeln!(
                md,
                "| {} | {fam} | {} | {} | {} |",
                m["name"].as_str().unwrap_or("?"),
                fmax(&f[gens[0]]),
                fmax(&f[gens[1]]),
                fmax(&f[gens[2]]),
            );
        }
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "**Gate (issue #16): qrnn-hw's LUTs against da4ml's at equal pipeline depth (both combinational), geometric mean ≤ {DA4ML_GEOMEAN:.2}× and no matrix above {DA4ML_MAX:.2}×**, per family in the flow qrnn-hw's projects use there:\n"
    );
    for fam in ["ice40", "ecp5"] {
        let g = &gates[fam];
        let (gm, mx) = (g["geomean"].as_f64(), g["max"].as_f64());
        let met = matches!((gm, mx), (Some(a), Some(b)) if a <= DA4ML_GEOMEAN && b <= DA4ML_MAX);
        let _ = writeln!(
            md,
            "- {fam} ({}): geometric mean {}×, largest {}× — **{}**; against the smaller of da4ml's two flows: {}×, largest {}×.",
            g["flow"].as_str().unwrap_or("?"),
            fmt_opt(gm, 3),
            fmt_opt(mx, 3),
            if met { "met" } else { "not met" },
            fmt_opt(g["geomean_vs_best_da4ml"].as_f64(), 3),
            fmt_opt(g["max_vs_best_da4ml"].as_f64(), 3),
        );
    }
    md.push('\n');
    fmax_gate(md, v);
}

/// Issue #16's Fmax gate: on every placed matrix, qrnn-hw's combinational design at least as fast
/// as da4ml's (both combinational: equal pipeline depth), judged on what was placed.
fn fmax_gate(md: &mut String, v: &Value) {
    let mut placed = Vec::new();
    for m in v["matrices"].as_array().into_iter().flatten() {
        for fam in ["ice40", "ecp5"] {
            let f = &m["families"][fam];
            let (ours, theirs) = (
                f["qrnn-hw comb"]["fmax_mhz"].as_f64(),
                f["da4ml"]["fmax_mhz"].as_f64(),
            );
            if let (Some(o), Some(t)) = (ours, theirs) {
                placed.push((m["name"].as_str().unwrap_or("?").to_string(), fam, o, t));
            }
        }
    }
    if placed.is_empty() {
        return;
    }
    let missed: Vec<String> = placed
        .iter()
        .filter(|(_, _, o, t)| o < t)
        .map(|(n, fam, o, t)| format!("{n} on {fam} ({o:.1} against {t:.1} MHz)"))
        .collect();
    let _ = writeln!(
        md,
        "**Gate (issue #16): Fmax at least da4ml's at equal pipeline depth** (both combinational; one nextpnr seed per design): {} of {} placed designs — **{}**{}.\n",
        placed.len() - missed.len(),
        placed.len(),
        if missed.is_empty() { "met" } else { "not met" },
        if missed.is_empty() {
            String::new()
        } else {
            format!("; slower: {}", missed.join(", "))
        }
    );
}

fn cmvm_section(md: &mut String, v: &Value) {
    let _ = writeln!(md, "### Adder graphs on the random matrices\n");
    let _ = writeln!(
        md,
        "qrnn-hw's constant-matrix compiler (docs/HARDWARE.md §4.7) on the matrices of `bench/da4ml/matrices/` ({}), beside da4ml {} on the same matrices (`bash bench/da4ml/run.sh`, run {}): adders (qrnn-hw: of them shared) and adder depth. da4ml's default has no depth bound; `hard_dc=0` holds its depth to the minimum. qrnn-hw bounds its shared adders by the depth of a plain tree of the widest row. Written by `{}`; the LUTs and Fmax of these matrices are in the table above.\n",
        v["input"].as_str().unwrap_or("?"),
        v["da4ml_version"].as_str().unwrap_or("?"),
        v["da4ml_run"].as_str().unwrap_or("not run"),
        v["command"].as_str().unwrap_or("qrnn-bench cmvm"),
    );
    let _ = writeln!(
        md,
        "| matrix | plain trees | qrnn-hw adders (shared) | depth | da4ml adders | depth | da4ml `hard_dc=0` | depth |\n|---|---|---|---|---|---|---|---|"
    );
    let depth = |d: &Value| match d.as_array().map(|a| a.as_slice()) {
        Some([lo, hi]) => match (lo.as_f64(), hi.as_f64()) {
            (Some(lo), Some(hi)) if lo == hi => format!("{lo:.0}"),
            (Some(lo), Some(hi)) => format!("{lo:.0}–{hi:.0}"),
            _ => "—".into(),
        },
        _ => "—".into(),
    };
    for m in v["matrices"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "| {} ({}×{}) | {} | {} ({}) | {} | {} | {} | {} | {} |",
            m["matrix"].as_str().unwrap_or("?"),
            m["rows"],
            m["cols"],
            m["plain_adders"],
            m["adders"],
            m["shared"],
            m["depth"],
            fmt_opt(m["da4ml"]["adders"].as_f64(), 0),
            depth(&m["da4ml"]["depth"]),
            fmt_opt(m["da4ml_dc0"]["adders"].as_f64(), 0),
            depth(&m["da4ml_dc0"]["depth"]),
        );
    }
    md.push('\n');
}

/// A results page (`bench/results/*.md`, a `# title` and its sections) as a section of
/// BENCHMARKS.md: its title replaced, its headings one level down, where it comes from said first.
fn embed_results(md: &mut String, path: &Path, title: &str, how: &str) {
    let Ok(s) = std::fs::read_to_string(path) else {
        return;
    };
    let _ = writeln!(md, "## {title}\n");
    let _ = writeln!(md, "From `{}`, {how}:\n", path.display());
    let body = s
        .trim_end()
        .lines()
        .skip_while(|l| !l.starts_with("# "))
        .skip(1);
    for l in body {
        if l.starts_with('#') {
            let _ = writeln!(md, "#{l}");
        } else {
            let _ = writeln!(md, "{l}");
        }
    }
    md.push('\n');
}

/// `qrnn-bench docs`.
pub fn run(results: &Path, docs: &Path) -> Result<(), String> {
    let plots = docs.join("bench");
    let mut md = String::new();
    let intro = docs.join("bench/intro.md");
    let _ = writeln!(md, "# BENCHMARKS — how fast, how small, how it scales\n");
    let _ = writeln!(md, "<!-- generated by `make bench` (qrnn-bench docs) from bench/results/*.json and docs/bench/*.md; edit those, not this file -->\n");
    if let Ok(s) = std::fs::read_to_string(&intro) {
        let _ = writeln!(md, "{}", s.trim_end());
        md.push('\n');
    }
    let _ = writeln!(md, "## Software\n");
    let swp = results.join("software.json");
    if swp.exists() {
        let sw = read_json(&swp)?;
        header(&mut md, &sw, "Measured with");
        software_section(&mut md, &sw, &plots)?;
    } else {
        let _ = writeln!(
            md,
            "No software results yet (`make bench` writes {}).\n",
            swp.display()
        );
    }
    let _ = writeln!(md, "## Hardware\n");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(results)
        .map_err(|e| format!("cannot list {}: {e}", results.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.starts_with("hardware") && n.ends_with(".json")
        })
        .collect();
    files.sort();
    for p in files {
        let hw = read_json(&p)?;
        let _ = writeln!(md, "### `{}`\n", p.display());
        header(&mut md, &hw, "Measured with");
        if let (Some(n), Some(set)) = (
            hw["designs"].as_array().map(|v| v.len()),
            hw["set_size"].as_u64(),
        ) {
            if (n as u64) < set {
                let _ = writeln!(md, "**Partial:** {n} of the {set} designs of this set were built when this run was stopped (the set is ordered smallest first).\n");
            }
        }
        let notes = hardware_section(&mut md, &hw);
        if !notes.is_empty() {
            let _ = writeln!(md, "\nNotes per design:\n");
            for n in group_notes(&notes) {
                let _ = writeln!(md, "- {n}");
            }
        }
        md.push('\n');
        hw_plots(&mut md, &hw, &plots)?;
    }
    let extra = |md: &mut String, name: &str| {
        if let Ok(s) = std::fs::read_to_string(plots.join(name)) {
            let _ = writeln!(md, "{}\n", s.trim_end());
        }
    };
    extra(&mut md, "hardware-notes.md");
    // the per-fold figures of issue #15: utilisation (`make bench` regenerates it) and the placed
    // clock at the --fit folds (scripts/measure-timing.sh, about 50 minutes: run on its own)
    for (file, title, how) in [
        (
            "utilisation.md",
            "Utilisation and timesteps/s per fold",
            "written by `bash scripts/measure-utilisation.sh`, which `make bench` runs",
        ),
        (
            "timing.md",
            "Placed Fmax and timesteps/s at the `--fit` folds",
            "written by `bash scripts/measure-timing.sh` (about 50 minutes on 2 CPUs; `make bench` does not run it)",
        ),
    ] {
        embed_results(&mut md, &results.join(file), title, how);
    }
    let dp = results.join("da4ml.json");
    if dp.exists() {
        da4ml_section(&mut md, &read_json(&dp)?);
    }
    extra(&mut md, "da4ml-notes.md");
    let sp = results.join("sweep.json");
    if sp.exists() {
        sweep_section(&mut md, &read_json(&sp)?, &plots)?;
        extra(&mut md, "sweep-notes.md");
    }
    let mp = results.join("cmvm.json");
    if mp.exists() {
        cmvm_section(&mut md, &read_json(&mp)?);
    }
    let cp = results.join("criterion.txt");
    if let Ok(s) = std::fs::read_to_string(&cp) {
        let _ = writeln!(
            md,
            "## Criterion output\n\nThe last `cargo bench` run kept in `{}` (same paths as the software tables; see the note on noise above):\n\n```\n{}\n```\n",
            cp.display(),
            s.trim_end()
        );
    }
    let out = docs.join("BENCHMARKS.md");
    write_text(&out, &md)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_results_page_is_embedded_with_its_headings_one_level_down() {
        let dir = std::env::temp_dir().join(format!("qrnn-bench-embed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("utilisation.md");
        std::fs::write(
            &p,
            "# Engine utilisation\n\nWritten by x.\n\n## 1. Rows\n\n| a |\n",
        )
        .unwrap();
        let mut md = String::new();
        embed_results(&mut md, &p, "Per fold", "by the script");
        assert!(md.starts_with("## Per fold\n\nFrom `"), "{md}");
        assert!(md.contains("by the script:\n\n\nWritten by x."), "{md}");
        assert!(md.contains("\n### 1. Rows\n"), "{md}");
        assert!(!md.contains("Engine utilisation"), "{md}");
        let mut none = String::new();
        embed_results(&mut none, &dir.join("missing.md"), "t", "h");
        assert!(none.is_empty());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_fmax_gate_names_each_slower_design() {
        let fam =
            |o: f64, t: f64| json!({"qrnn-hw comb": {"fmax_mhz": o}, "da4ml": {"fmax_mhz": t}});
        let v = json!({"matrices": [
            {"name": "a", "families": {"ice40": fam(70.0, 66.0), "ecp5": fam(78.6, 84.5)}},
            {"name": "b", "families": {"ice40": {"qrnn-hw comb": {"fmax_mhz": null}}, "ecp5": fam(90.0, 90.0)}},
        ]});
        let mut md = String::new();
        fmax_gate(&mut md, &v);
        assert!(md.contains("2 of 3 placed designs — **not met**"), "{md}");
        assert!(
            md.contains("slower: a on ecp5 (78.6 against 84.5 MHz)"),
            "{md}"
        );
        let v = json!({"matrices": [{"name": "a", "families": {"ice40": fam(70.0, 66.0)}}]});
        let mut md = String::new();
        fmax_gate(&mut md, &v);
        assert!(md.contains("1 of 1 placed designs — **met**."), "{md}");
    }

    #[test]
    fn notes_with_the_same_text_are_said_once() {
        let notes = [
            "gru 4→16 on gowin, binary: synthesis only".to_string(),
            "gru 4→16 on ecp5, quaternary: 1731 LUT + 3 DSP".to_string(),
            "lstm 4→16 on gowin, int8: synthesis only".to_string(),
        ];
        assert_eq!(
            group_notes(&notes),
            [
                "synthesis only (2 designs: gru 4→16 on gowin, binary; lstm 4→16 on gowin, int8)",
                "gru 4→16 on ecp5, quaternary: 1731 LUT + 3 DSP",
            ]
        );
    }

    #[test]
    fn ecp5_and_gowin_luts_count_the_carry_cells() {
        let d =
            |fam: &str| json!({"family": fam, "report": {"synthesis": {"lut": 100, "carry": 10}}});
        let (e, g, i) = (d("ecp5"), d("gowin"), d("ice40"));
        assert_eq!(Row { d: &e }.lut(), Some(120.0));
        assert_eq!(Row { d: &g }.lut(), Some(110.0));
        assert_eq!(Row { d: &i }.lut(), Some(100.0));
    }

    #[test]
    fn the_int8_gate_is_judged_on_the_dsp_off_luts() {
        let p = |scheme: &str, fold: &str, dsp: bool, lut: u64| {
            json!({"scheme": scheme, "fold": fold, "family": "ice40", "dsp": dsp,
                "report": {"synthesis": {"lut": lut, "carry": 0, "dsp": if dsp { 4 } else { 0 }}}})
        };
        let v = json!({"model": "m", "command": "c", "set_size": 6, "points": [
            p("int8", "4x16", false, 30000), p("ternary", "4x16", false, 10000),
            p("quaternary", "4x16", false, 13000), p("int8", "1x8", false, 9000),
            p("ternary", "1x8", false, 8000), p("int8", "4x16", true, 1000),
        ]});
        let dir = std::env::temp_dir().join(format!("qrnn-sweep-doc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut md = String::new();
        sweep_section(&mut md, &v, &dir).unwrap();
        // 30000 / 10000 = 3.0 meets 2.5; 30000 / 13000 = 2.31 does not; P·S = 8 is not judged
        assert!(
            md.contains(
                "gate, ternary at 4x16 on ice40: int8 ÷ ternary = 3.00 (needs ≥ 2.5) — **met**"
            ),
            "{md}"
        );
        assert!(md.contains("gate, quaternary at 4x16 on ice40: int8 ÷ quaternary = 2.31 (needs ≥ 2.5) — **not met**"), "{md}");
        assert!(
            md.contains(
                "binary at 4x16 on ice40: int8 ÷ binary = — (needs ≥ 2.5) — **not measured**"
            ),
            "{md}"
        );
        assert!(!md.contains("at 1x8 on ice40: int8"), "{md}");
        // DSPs on are shown as LUT + DSP, never used for the ratio
        assert!(
            md.contains("| 4x16 (64) | ice40 | int8 | 30000 | — | 1000 + 4 |"),
            "{md}"
        );
        assert!(md.contains("6 of 6 points built"), "{md}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_da4ml_gate_needs_the_mean_and_every_matrix() {
        let m = |name: &str, ours: u64, peer: u64| {
            let fam = |o: u64, d: u64| {
                json!({"qrnn-hw comb": {"lut": o, "lut_unmap": o},
                "da4ml": {"lut": d, "lut_unmap": d}})
            };
            json!({"name": name, "rows": 4, "cols": 4, "scheme": "ternary",
                "generators": {}, "families": {"ice40": fam(ours, peer), "ecp5": fam(ours, peer)}})
        };
        let g = |r: &[f64]| {
            let gm = (r.iter().map(|x| x.ln()).sum::<f64>() / r.len() as f64).exp();
            json!({"flow": "f", "geomean": gm, "max": r.iter().cloned().fold(0.0, f64::max),
                "ratios": {}, "geomean_vs_best_da4ml": gm, "max_vs_best_da4ml": 1.0})
        };
        // a mean under 1 with one matrix above 1.15 is not met
        let v = json!({"matrices": [m("a", 80, 100), m("b", 120, 100)],
            "gates": {"ice40": g(&[0.8, 1.2]), "ecp5": g(&[0.9, 1.0])}});
        let mut md = String::new();
        da4ml_section(&mut md, &v);
        assert!(
            md.contains("- ice40 (f): geometric mean 0.980×, largest 1.200× — **not met**"),
            "{md}"
        );
        assert!(
            md.contains("- ecp5 (f): geometric mean 0.949×, largest 1.000× — **met**"),
            "{md}"
        );
    }
}
