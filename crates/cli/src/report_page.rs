//! `qrnn-hw report DIR --html OUT.html` / `--md OUT.md`: one page with what a user wants to know
//! of a generated project — the model and how it was trained, the design (engines, folds, cycles),
//! predicted against synthesised against placed resources with honest labels, Fmax, latency and
//! timesteps per second, the co-simulation's verdict and the design-space plot.
//!
//! Everything comes from the project directory: `qrnn.json` (the design and the prediction),
//! `qrnn.toml` (the model file, for its provenance and the design space), `build/` (yosys's and
//! nextpnr's results through [`qrnn_fpga::report::report`], `build/sim.log`). A part that has not
//! been made yet (no `make synth`, no `make sim`) is said so on the page, with the command that
//! makes it. The HTML page is self-contained: inline style and SVG, no script, nothing fetched.

use qrnn_fpga::report::Report;
use qrnn_model::Model;
use qrnn_rtl::manifest::Manifest;
use std::fmt::Write as _;
use std::path::Path;

/// A block of a section.
pub enum Block {
    /// A table: header and rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A paragraph of plain text.
    Para(String),
    /// Preformatted text.
    Code(String),
    /// The design-space plot (SVG text).
    Plot(String),
}

/// A page: title, then sections of blocks.
pub struct Page {
    /// The title.
    pub title: String,
    /// (heading, blocks).
    pub sections: Vec<(String, Vec<Block>)>,
}

/// What the page is made from.
pub struct Inputs<'a> {
    /// The project directory.
    pub dir: &'a Path,
    /// Its `qrnn.json`.
    pub manifest: &'a Manifest,
    /// The model, when `qrnn.toml` names a file that still holds it; else why not.
    pub model: Result<(&'a Model, &'a Path), String>,
    /// The synthesis and place-and-route report, when `make synth` has run; else why not.
    pub report: Result<&'a Report, String>,
    /// The design-space plot (SVG), or why there is none.
    pub plot: Result<String, String>,
    /// `build/sim.log` (`make sim`), when it exists.
    pub sim_log: Option<String>,
}

/// The co-simulation's PASS line in a `build/sim.log`.
fn pass_line(log: &str) -> Option<&str> {
    log.lines().find(|l| l.starts_with("PASS"))
}

fn kv(rows: &[(&str, String)]) -> Block {
    Block::Table(
        vec![String::new(), String::new()],
        rows.iter()
            .map(|(k, v)| vec![k.to_string(), v.clone()])
            .collect(),
    )
}

/// The page of a project.
pub fn page(i: &Inputs) -> Page {
    let m = i.manifest;
    let mut sections = Vec::new();

    // the model and its training
    let mut rows: Vec<(&str, String)> = vec![
        ("name", m.model_name.clone()),
        ("sha256", m.model_hash.clone()),
    ];
    let layers: Vec<String> = m
        .layers
        .iter()
        .map(|l| format!("{} {}→{} ({})", l.cell, l.input, l.hidden, l.scheme))
        .collect();
    rows.push(("layers", layers.join(", ")));
    if let Some(h) = &m.head {
        rows.push(("head", format!("dense, {} outputs", h.outputs)));
    }
    let mut blocks = Vec::new();
    match &i.model {
        Ok((model, path)) => {
            let rel = if path.is_absolute() {
                ""
            } else {
                " (qrnn.toml's path, relative to the project)"
            };
            rows.insert(1, ("file", format!("{}{rel}", path.display())));
            rows.push((
                "input",
                format!(
                    "{} features per timestep, {}",
                    model.input.size, model.input.format
                ),
            ));
            let p = &model.provenance;
            rows.push(("made by", p.tool.clone()));
            if let Some(d) = &p.dataset {
                rows.push(("data set", d.clone()));
            }
            if let Some(t) = &p.task {
                rows.push(("task", t.clone()));
            }
            if let Some(e) = p.epochs {
                rows.push(("epochs", e.to_string()));
            }
            if let Some(s) = p.seed {
                rows.push(("seed", s.to_string()));
            }
            for (k, v) in &p.metrics {
                rows.push((k.as_str(), format!("{v:.4}")));
            }
            if p.metrics.is_empty() {
                blocks.push(Block::Para(
                    "No accuracy is recorded in the model file (`qrnn-hw train` records the test accuracy of the integer model; `qrnn-hw eval MODEL --data …` measures it).".into(),
                ));
            }
        }
        Err(why) => blocks.push(Block::Para(format!(
            "The model file is not at hand ({why}): its provenance and the design space are left out."
        ))),
    }
    blocks.insert(0, kv(&rows));
    sections.push(("Model".to_string(), blocks));

    // the design
    let mut rows: Vec<(&str, String)> = vec![("target", m.target.to_string())];
    if let Some(b) = &m.board {
        rows.push(("board", b.clone()));
    }
    if let Some(d) = &m.device {
        rows.push((
            "device",
            format!(
                "{d}{}",
                m.package
                    .as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(c) = &m.board_clock {
        rows.push((
            "core clock",
            format!(
                "{} MHz from the PLL (requested {} MHz; board clock {} MHz)",
                qrnn_fpga::pll::fmt_mhz(c.achieved_mhz),
                qrnn_fpga::pll::fmt_mhz(c.requested_mhz),
                qrnn_fpga::pll::fmt_mhz(c.board_hz as f64 / 1e6)
            ),
        ));
    }
    rows.push(("cycles per timestep", m.cycles_per_step.to_string()));
    rows.push((
        "latency of a timestep",
        format!("{} cycles (first input to last output)", m.latency),
    ));
    rows.push(("cycle formula", m.cycle_formula.clone()));
    let mut engines: Vec<Vec<String>> = m
        .layers
        .iter()
        .enumerate()
        .map(|(k, l)| {
            vec![
                format!("layer{k}"),
                format!("{} {}→{}", l.cell, l.input, l.hidden),
                l.scheme.clone(),
                format!("{}x{}", l.fold.p, l.fold.s),
                l.update_units.max(1).to_string(),
                l.weights.clone(),
                format!("{} + {}", l.cycles_mv, l.cycles_update),
            ]
        })
        .collect();
    if let Some(h) = &m.head {
        engines.push(vec![
            "head".into(),
            format!("dense →{}", h.outputs),
            "-".into(),
            format!("{}x{}", h.fold.p, h.fold.s),
            "-".into(),
            "-".into(),
            h.cycles.to_string(),
        ]);
    }
    sections.push((
        "Design".to_string(),
        vec![
            kv(&rows),
            Block::Table(
                [
                    "engine",
                    "cell",
                    "weights",
                    "fold PxS",
                    "update units",
                    "memory",
                    "cycles (MV + update)",
                ]
                .map(String::from)
                .to_vec(),
                engines,
            ),
        ],
    ));

    // resources
    let header = |last: &[&str]| {
        ["resource", "predicted (qrnn-hw)"]
            .iter()
            .chain(last)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let res = match &i.report {
        Ok(r) => vec![
            Block::Table(
                header(&["synthesised (yosys)", "placed (nextpnr)"]),
                qrnn_fpga::report::rows(r)
                    .into_iter()
                    .map(|r| r.to_vec())
                    .collect(),
            ),
            Block::Para(labels_note(&m.target.to_string())),
        ],
        Err(why) => {
            let p = &m.resources;
            let mut rows = vec![vec!["LUT4".to_string(), p.lut4.to_string()]];
            if let Some(u) = m
                .family_use
                .as_ref()
                .filter(|u| u.logic_unit == "logic_cells")
            {
                rows.push(vec!["logic cell".into(), u.logic.to_string()]);
            }
            rows.push(vec!["FF".into(), p.ff.to_string()]);
            rows.push(vec!["BRAM".into(), p.bram_blocks.to_string()]);
            if p.spram_blocks > 0 {
                rows.push(vec!["SPRAM".into(), p.spram_blocks.to_string()]);
            }
            rows.push(vec![
                "DSP".into(),
                m.family_use
                    .as_ref()
                    .map_or(p.mv_multipliers + p.elementwise_multipliers, |u| u.dsp)
                    .to_string(),
            ]);
            vec![
                Block::Table(header(&[]), rows),
                Block::Para(format!(
                    "Not synthesised yet ({why}): `make -C {} synth pnr` runs yosys and nextpnr, then this page shows their counts beside the prediction.",
                    i.dir.display()
                )),
            ]
        }
    };
    sections.push(("Resources".to_string(), res));

    // timing and throughput
    let mut rows: Vec<(&str, String)> = Vec::new();
    let mut blocks = Vec::new();
    match &i.report {
        Ok(r) => match (r.fmax_mhz, r.target_mhz) {
            (Some(f), Some(t)) => {
                rows.push((
                    "Fmax (nextpnr, the core alone)",
                    format!(
                        "{f:.2} MHz (`make pnr`'s timing target {t:.2} MHz: {})",
                        if f >= t { "met" } else { "MISSED" }
                    ),
                ));
                if let Some(c) = &m.board_clock {
                    rows.push((
                        "board core clock",
                        format!(
                            "{} MHz: `make pnr` placed the core alone for {t:.2} MHz; `make` places the whole board top for {} MHz and fails if it misses it",
                            qrnn_fpga::pll::fmt_mhz(c.achieved_mhz),
                            qrnn_fpga::pll::fmt_mhz(c.achieved_mhz),
                        ),
                    ));
                }
                rows.push((
                    "timesteps/s at Fmax",
                    format!("{:.0}", r.timesteps_per_s.unwrap_or(0.0)),
                ));
                rows.push((
                    "latency at Fmax",
                    format!("{:.2} µs", r.latency_us.unwrap_or(0.0)),
                ));
            }
            _ => blocks.push(Block::Para(match &r.pnr_failure {
                Some(why) => format!("Place and route FAILED: {why}"),
                None => format!("Not placed yet: `make -C {} pnr`.", i.dir.display()),
            })),
        },
        Err(_) => blocks.push(Block::Para(format!(
            "Not placed yet: `make -C {} synth pnr` gives the achieved Fmax.",
            i.dir.display()
        ))),
    }
    rows.push((
        "estimate (timing model)",
        format!(
            "{:.0} MHz, {:.0} timesteps/s",
            m.fmax_estimate_mhz, m.timesteps_per_second_estimate
        ),
    ));
    blocks.insert(0, kv(&rows));
    sections.push(("Timing and throughput".to_string(), blocks));

    // co-simulation
    sections.push((
        "Co-simulation against the golden model".to_string(),
        vec![sim_block(i)],
    ));

    // design space
    sections.push((
        "Design space".to_string(),
        vec![match &i.plot {
            Ok(svg) => Block::Plot(svg.clone()),
            Err(why) => Block::Para(format!("No design-space plot: {why}.")),
        }],
    ));

    sections.insert(0, ("Summary".to_string(), vec![kv(&summary(i))]));
    Page {
        title: format!("{}: {} hardware report", m.model_name, m.target),
        sections,
    }
}

/// The key figures, first on the page.
fn summary(i: &Inputs) -> Vec<(&'static str, String)> {
    let m = i.manifest;
    let mut rows = vec![(
        "design",
        format!(
            "{} on {}{}: {} cycles per timestep",
            m.model_name,
            m.board
                .as_deref()
                .map(|b| format!("board {b}, "))
                .unwrap_or_default(),
            m.device.as_deref().unwrap_or(m.target.name()),
            m.cycles_per_step
        ),
    )];
    if let Ok((model, _)) = &i.model {
        let acc: Vec<String> = model
            .provenance
            .metrics
            .iter()
            .filter(|(k, _)| k.contains("accuracy"))
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect();
        if !acc.is_empty() {
            rows.push(("accuracy", acc.join(", ")));
        }
    }
    match &i.report {
        Ok(r) => {
            let placed = r.placed.as_ref();
            let logic = match (r.family.as_str(), placed) {
                ("ice40", Some(c)) => format!("{} logic cells placed", c.lut),
                (_, Some(c)) => format!("{} LUT4 placed", c.lut),
                (_, None) => format!("{} LUT4 synthesised", r.synthesis.lut),
            };
            let predicted = match &r.family_use {
                Some(u) if u.logic_unit == "logic_cells" => format!("{} logic cells", u.logic),
                _ => format!("{} LUT4", r.predicted.lut4),
            };
            rows.push((
                "resources",
                format!(
                    "{logic}, {} FF, {} BRAM, {} DSP (predicted {predicted})",
                    placed.map_or(r.synthesis.ff, |c| c.ff),
                    placed.map_or(r.synthesis.bram, |c| c.bram),
                    placed.map_or(r.synthesis.dsp, |c| c.dsp),
                ),
            ));
            if let (Some(f), Some(t), Some(l)) = (r.fmax_mhz, r.timesteps_per_s, r.latency_us) {
                rows.push((
                    "speed",
                    format!("Fmax {f:.2} MHz: {t:.0} timesteps/s, {l:.2} µs per timestep"),
                ));
            }
        }
        Err(_) => rows.push((
            "resources",
            format!(
                "predicted {} LUT4, {} FF, {} BRAM (not synthesised yet)",
                m.resources.lut4, m.resources.ff, m.resources.bram_blocks
            ),
        )),
    }
    let sim = match &i.sim_log {
        Some(log) => pass_line(log)
            .unwrap_or("FAILED (build/sim.log)")
            .to_string(),
        None => "not run (make sim)".into(),
    };
    rows.push(("co-simulation", sim));
    rows
}

/// What the resource labels count, for the family.
fn labels_note(family: &str) -> String {
    let mut s = String::from(
        "Predicted: the compiler's resource model (qrnn.json → resources). Synthesised: yosys's cells (build/stat.json). Placed: nextpnr's utilisation (build/pnr.json). `-`: not counted in that column.",
    );
    match family {
        "ice40" => s.push_str(" On iCE40 nextpnr counts logic cells (a LUT4 with its flip-flop and carry), not LUTs: they have a row of their own."),
        "ecp5" => s.push_str(" On ECP5 nextpnr counts a carry chain's halves among its LUTs, so it has no placed carry figure."),
        _ => {}
    }
    s
}

/// The co-simulation's verdict from `build/sim.log` (`make sim`).
fn sim_block(i: &Inputs) -> Block {
    match &i.sim_log {
        Some(log) => match pass_line(log) {
            Some(pass) => Block::Code(format!("$ make sim\n{pass}")),
            None => {
                let tail: Vec<&str> = log.lines().rev().take(8).collect();
                Block::Code(format!(
                    "$ make sim   (FAILED: build/sim.log has no PASS line)\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ))
            }
        },
        None => Block::Para(format!(
            "Not simulated yet: `make -C {} sim` co-simulates the Verilog against the golden model's vectors.",
            i.dir.display()
        )),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text with `code` spans.
fn inline_html(s: &str) -> String {
    let mut out = String::new();
    for (k, part) in s.split('`').enumerate() {
        if k % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#1d1d1f;line-height:1.45}\
h1{font-size:1.6em;border-bottom:2px solid #1f77b4;padding-bottom:.3em}h2{font-size:1.2em;margin-top:1.6em;color:#1f4e79}\
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .7em;text-align:left;vertical-align:top}\
th{background:#eef3f8}td.n{text-align:right;font-variant-numeric:tabular-nums}table.kv td:first-child{font-weight:600;background:#f7f7f7;white-space:nowrap}\
code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.92em}pre{background:#f4f4f4;padding:.7em;border-radius:4px;overflow-x:auto}\
.plot svg{max-width:100%;height:auto;border:1px solid #ddd}footer{margin-top:2em;color:#666;font-size:.85em}";

fn numeric(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
}

/// The page as a self-contained HTML document.
pub fn html(p: &Page, generator: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&p.title),
        esc(&p.title)
    );
    for (h, blocks) in &p.sections {
        let id: String = h
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let _ = writeln!(s, "<section id=\"{id}\">\n<h2>{}</h2>", esc(h));
        for b in blocks {
            match b {
                Block::Table(head, rows) => {
                    let is_kv = head.iter().all(|h| h.is_empty());
                    s.push_str(if is_kv {
                        "<table class=\"kv\">\n"
                    } else {
                        "<table>\n"
                    });
                    if !is_kv {
                        s.push_str("<tr>");
                        for h in head {
                            let _ = write!(s, "<th>{}</th>", esc(h));
                        }
                        s.push_str("</tr>\n");
                    }
                    for r in rows {
                        s.push_str("<tr>");
                        for c in r {
                            let class = if !is_kv && numeric(c) {
                                " class=\"n\""
                            } else {
                                ""
                            };
                            let _ = write!(s, "<td{class}>{}</td>", inline_html(c));
                        }
                        s.push_str("</tr>\n");
                    }
                    s.push_str("</table>\n");
                }
                Block::Para(t) => {
                    let _ = writeln!(s, "<p>{}</p>", inline_html(t));
                }
                Block::Code(t) => {
                    let _ = writeln!(s, "<pre>{}</pre>", esc(t));
                }
                Block::Plot(svg) => {
                    // the SVG inline, without an XML declaration
                    let body = match svg.find("<svg") {
                        Some(i) => &svg[i..],
                        None => svg.as_str(),
                    };
                    let _ = writeln!(s, "<div class=\"plot\">{body}</div>");
                }
            }
        }
        s.push_str("</section>\n");
    }
    let _ = write!(
        s,
        "<footer>Written by {} (<code>qrnn-hw report --html</code>).</footer>\n</body>\n</html>\n",
        esc(generator)
    );
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The page as Markdown; the plot is the file `plot_file` (written beside it by the caller).
pub fn markdown(p: &Page, plot_file: &str, generator: &str) -> String {
    let mut s = format!("# {}\n", p.title);
    for (h, blocks) in &p.sections {
        let _ = writeln!(s, "\n## {h}\n");
        for b in blocks {
            match b {
                Block::Table(head, rows) => {
                    let n = head.len();
                    let _ = writeln!(
                        s,
                        "| {} |",
                        head.iter()
                            .map(|h| md_cell(h))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    );
                    let _ = writeln!(s, "|{}", "---|".repeat(n));
                    for r in rows {
                        let _ = writeln!(
                            s,
                            "| {} |",
                            r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
                        );
                    }
                    s.push('\n');
                }
                Block::Para(t) => {
                    let _ = writeln!(s, "{t}\n");
                }
                Block::Code(t) => {
                    let _ = writeln!(s, "```\n{t}\n```\n");
                }
                Block::Plot(_) => {
                    let _ = writeln!(s, "![design space]({plot_file})\n");
                }
            }
        }
    }
    let _ = writeln!(s, "---\nWritten by {generator} (`qrnn-hw report --md`).");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Page {
        Page {
            title: "m <x>: ice40 hardware report".into(),
            sections: vec![(
                "Resources".into(),
                vec![
                    Block::Table(
                        vec!["resource".into(), "predicted".into()],
                        vec![
                            vec!["LUT".into(), "12".into()],
                            vec!["a|b".into(), "-".into()],
                        ],
                    ),
                    Block::Para("run `make sim` & see".into()),
                    Block::Plot("<?xml version=\"1.0\"?>\n<svg x=\"1\"></svg>".into()),
                ],
            )],
        }
    }

    #[test]
    fn html_is_escaped_and_self_contained() {
        let h = html(&page(), "qrnn-hw 0");
        assert!(
            h.contains("<title>m &lt;x&gt;: ice40 hardware report</title>"),
            "{h}"
        );
        assert!(h.contains("<td class=\"n\">12</td>"), "{h}");
        assert!(h.contains("run <code>make sim</code> &amp; see"), "{h}");
        assert!(
            h.contains("<div class=\"plot\"><svg x=\"1\"></svg></div>"),
            "{h}"
        );
        assert!(!h.contains("<?xml"));
        for remote in ["http:", "https:", "<script", "<link", "@import"] {
            assert!(!h.contains(remote), "{remote}");
        }
    }

    #[test]
    fn markdown_tables_escape_pipes() {
        let m = markdown(&page(), "p.svg", "qrnn-hw 0");
        assert!(
            m.contains("| resource | predicted |\n|---|---|\n| LUT | 12 |\n| a\\|b | - |\n"),
            "{m}"
        );
        assert!(m.contains("![design space](p.svg)"), "{m}");
    }
}
