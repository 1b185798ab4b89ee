//! Every figure in the documentation that a command produces is produced by that command: this
//! test runs the commands (the `qrnn-hw` binary, as the docs show them), renders the generated
//! regions of docs/*.md (see `docregion`) and fails when a committed region differs — "run `make
//! docs`", which reruns it with `QRNN_UPDATE_DOCS=1` to rewrite them. It also fails on a region
//! marker that nothing renders, so a region cannot silently stop being checked.
//!
//! Not here: docs/BENCHMARKS.md and docs/RESULTS.md (`make bench`, `make results`); the mutation
//! table of docs/HARDWARE.md §8 (`crates/sim/tests/mutation.rs` checks it against the run it
//! makes anyway); measurements of tools and machines (yosys/nextpnr figures, the budget table of
//! docs/CLI.md from `scripts/measure-budgets.sh`: peak memory varies from run to run), which are
//! dated where they stand.

#[allow(dead_code)] // the shared helpers this test does not use (flat)
mod common;
use qrnn_testkit::docregion;

use common::qrnn_run;
use docregion::Regions;
use qrnn_rtl::manifest::{cycle_formula, Manifest};
use std::path::Path;

/// Regions that another test renders: (file, region, the test).
const OTHER_OWNERS: &[(&str, &str, &str)] = &[(
    "docs/HARDWARE.md",
    "mutation-table",
    "crates/sim/tests/mutation.rs",
)];

/// A scratch directory holding a copy of `examples/`, so commands run there read exactly as the
/// docs show them (`qrnn-hw gen examples/demo-lstm-ternary.qw … -o hw`).
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ex = dir.path().join("examples");
    std::fs::create_dir(&ex).unwrap();
    for f in ["demo-lstm-ternary.qw", "tiny-convlstm-binary.qw.toml"] {
        std::fs::copy(
            qrnn_testkit::repo_root().join("examples").join(f),
            ex.join(f),
        )
        .unwrap();
    }
    dir
}

/// Run `qrnn-hw ARGS` in `dir`; it must succeed. Returns stdout and stderr.
fn run_ok(dir: &Path, args: &[&str]) -> (String, String) {
    let (code, out, err) = qrnn_run(dir, args);
    assert_eq!(
        code,
        0,
        "qrnn-hw {}: exit {code}\n{out}\n{err}",
        args.join(" ")
    );
    (out, err)
}

fn manifest(project: &Path) -> Manifest {
    Manifest::read(project).unwrap_or_else(|e| panic!("{}: {e}", project.display()))
}

/// The cycle formula of a project as a code block: the terms of `qrnn.json` → `cycle_terms`, one
/// per line as `cycle_formula` writes each; joined, they must be its `cycle_formula`.
fn cycle_formula_block(m: &Manifest) -> String {
    let mut lines: Vec<String> = m
        .cycle_terms
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}{t}", if i == 0 { "  " } else { "+ " }))
        .collect();
    let total: u64 = m.cycle_terms.iter().map(|t| t.cycles).sum();
    assert_eq!(cycle_formula(&m.cycle_terms), m.cycle_formula);
    assert_eq!(total, m.latency);
    lines.push(format!("= {total}"));
    format!("```\n{}\n```", lines.join("\n"))
}

/// The table of each board's clock, PLL and default core clock, from `qrnn_fpga::pll`.
fn board_clocks() -> String {
    use qrnn_fpga::pll::{core_clock, fmt_mhz};
    let mut t = String::from(
        "| board | board clock (pin) | PLL | default core clock | parameters | VCO |\n|---|---|---|---|---|---|\n",
    );
    for b in qrnn_fpga::boards().unwrap() {
        let p = core_clock(&b, None).unwrap();
        t += &format!(
            "| `{}` | {} MHz ({}) | `{}` | {} MHz (of {}) | {} | {} MHz |\n",
            b.name,
            fmt_mhz(b.clock_mhz()),
            b.clock.pin,
            p.primitive(),
            fmt_mhz(p.out_mhz()),
            fmt_mhz(p.requested_mhz),
            p.params_text(),
            fmt_mhz(p.vco_hz() / 1e6),
        );
    }
    t.pop();
    t
}

#[test]
fn doc_figures_are_what_the_commands_give() {
    let dir = scratch();
    let d = dir.path();
    let mut r = Regions::default();

    // HARDWARE.md §5: the demo's cycle formula; §6: its resource prediction
    run_ok(
        d,
        &[
            "gen",
            "examples/demo-lstm-ternary.qw",
            "--target",
            "ice40",
            "-o",
            "demo",
        ],
    );
    let m = manifest(&d.join("demo"));
    r.set(
        "docs/HARDWARE.md",
        "demo-cycle-formula",
        &cycle_formula_block(&m),
    );
    let res = &m.resources;
    r.set(
        "docs/HARDWARE.md",
        "demo-resources",
        &format!(
            "Predicted for `examples/demo-lstm-ternary.qw` at the default folds (layer0 {}×{}, head {}×{})\n\
             on iCE40 (`qrnn.json` → `resources` of the project above): {} LUT4 ({} of them in the\n\
             matrix-vector lanes), {} FF, {} block RAMs ({} bits), {} lane multipliers, {} element-wise\n\
             multipliers.",
            m.layers[0].fold.p,
            m.layers[0].fold.s,
            m.head.as_ref().map_or(0, |h| h.fold.p),
            m.head.as_ref().map_or(0, |h| h.fold.s),
            res.lut4,
            res.mv_lut4,
            res.ff,
            res.bram_blocks,
            res.bram_bits,
            res.mv_multipliers,
            res.elementwise_multipliers,
        ),
    );

    // CLI.md "Project file": the qrnn.toml that gen writes, every key documented in it
    let pf = [
        "gen",
        "examples/demo-lstm-ternary.qw",
        "--board",
        "icebreaker",
        "--fold",
        "all=2x4",
        "--seed",
        "3",
        "-o",
        "ib",
    ];
    run_ok(d, &pf);
    let toml = std::fs::read_to_string(d.join("ib/qrnn.toml")).unwrap();
    r.set(
        "docs/CLI.md",
        "project-file",
        &format!(
            "```toml\n# $ qrnn-hw {}\n# ib/qrnn.toml:\n{toml}```",
            pf.join(" ")
        ),
    );

    // HARDWARE.md §9: the ConvLSTM example's cycle formula
    run_ok(
        d,
        &["gen", "examples/tiny-convlstm-binary.qw.toml", "-o", "conv"],
    );
    let m = manifest(&d.join("conv"));
    r.set(
        "docs/HARDWARE.md",
        "convlstm-cycle-formula",
        &cycle_formula_block(&m),
    );

    // HARDWARE.md §9: the 16×16 ConvLSTM's cycles and predicted resources on ECP5 and iCE40
    let ex = [
        "example",
        "--cell",
        "convlstm",
        "--quant",
        "ternary",
        "--map",
        "16x16",
        "--kernel",
        "3",
        "--hidden",
        "8",
        "--input",
        "1",
        "--head",
        "1",
        "--seed",
        "1",
        "-o",
        "md.qw.toml",
    ];
    run_ok(d, &ex);
    let pred: Vec<Manifest> = ["ecp5", "ice40"]
        .iter()
        .map(|t| {
            let out = format!("md-{t}");
            // one short sequence: the manifest does not depend on the stimulus
            let gen = [
                "gen",
                "md.qw.toml",
                "--target",
                t,
                "--sim-steps",
                "1",
                "-o",
                &out,
            ];
            run_ok(d, &gen);
            manifest(&d.join(&out))
        })
        .collect();
    let (e, i) = (&pred[0].resources, &pred[1].resources);
    assert_eq!(pred[0].cycles_per_step, pred[1].cycles_per_step);
    r.set(
        "docs/HARDWARE.md",
        "convlstm-16x16-prediction",
        &format!(
            "```\n$ qrnn-hw {}\n$ qrnn-hw gen md.qw.toml --target ecp5 -o md-ecp5     # and --target ice40\n```\n\
             {} cycles per timestep; predicted {} LUT4 ({} of them in the matrix-vector lanes) and {} FF\n\
             on both, {} block RAMs on ECP5 and {} on iCE40, {} element-wise multipliers.",
            ex.join(" "),
            pred[0].cycles_per_step,
            e.lut4,
            e.mv_lut4,
            e.ff,
            e.bram_blocks,
            i.bram_blocks,
            e.elementwise_multipliers,
        ),
    );

    // HARDWARE.md §8: how the default stimulus shrinks to its value budget
    {
        use qrnn_sim::stimulus::{default_plan, DEFAULT_PLAN, DEFAULT_VALUE_BUDGET, MIN_LONG};
        let full: usize = DEFAULT_PLAN.iter().map(|p| p.1).sum();
        let example = |f: &str| {
            let m = qrnn_model::Model::load(&qrnn_testkit::repo_root().join("examples").join(f))
                .unwrap_or_else(|e| panic!("{f}: {e}"));
            let (h, w) = m.input.map.expect("a ConvLSTM example");
            let steps: usize = default_plan(&m).iter().map(|p| p.1).sum();
            format!("the {h}×{w} (H×W) ConvLSTM example (`examples/{f}`) gets {steps}")
        };
        r.set(
            "docs/HARDWARE.md",
            "stimulus-budget",
            &format!(
                "When the full plan ({full} timesteps) would check more than {DEFAULT_VALUE_BUDGET} values, every\n\
                 sequence shrinks in proportion (each keeps at least one timestep, the long one at least\n\
                 {MIN_LONG}). Models that check up to {} values per timestep keep all {full} timesteps, larger\n\
                 ones get proportionally fewer: {}, {}.",
                DEFAULT_VALUE_BUDGET / full,
                example("tiny-convlstm-binary.qw.toml"),
                example("trained-moving-digits-convlstm-binary.qw"),
            ),
        );
    }

    // HARDWARE.md §10 and CLI.md gen: what `gen --fit` prints (stdout, then the note on stderr)
    let args = [
        "gen",
        "examples/demo-lstm-ternary.qw",
        "--fit",
        "--device",
        "up5k",
        "-o",
        "hw",
    ];
    let (out, err) = run_ok(d, &args);
    let block = format!("```\n$ qrnn-hw {}\n{out}{err}```", args.join(" "));
    r.set("docs/HARDWARE.md", "fit-demo-up5k", &block);
    r.set("docs/CLI.md", "fit-demo-up5k", &block);

    // CLI.md gen: the plain example and its co-simulation (Verilator; without it the committed
    // region is kept, or the test fails under QRNN_REQUIRE_TOOLS=1)
    if common::have(&[qrnn_sim::Tool::verilator()]) {
        let (_, err) = run_ok(
            d,
            &[
                "gen",
                "examples/demo-lstm-ternary.qw",
                "--target",
                "ice40",
                "-o",
                "x",
            ],
        );
        let sim = std::process::Command::new("make")
            .args(["-C", "x", "sim"])
            .current_dir(d)
            .output()
            .expect("make runs");
        let sim_out = String::from_utf8_lossy(&sim.stdout);
        assert!(sim.status.success(), "make -C x sim failed:\n{sim_out}");
        let pass = sim_out
            .lines()
            .find(|l| l.starts_with("PASS "))
            .unwrap_or_else(|| panic!("make -C x sim printed no PASS line:\n{sim_out}"));
        r.set(
            "docs/CLI.md",
            "gen-demo",
            &format!(
                "```\n$ qrnn-hw gen examples/demo-lstm-ternary.qw --target ice40 -o x\n{err}$ make -C x sim\n{pass}\n```"
            ),
        );
    } else {
        r.keep("docs/CLI.md", "gen-demo");
    }

    // CLI.md report: a GRU 4→8 with a 2-output head, synthesised and placed (yosys and
    // nextpnr-ice40; without them the committed region is kept, or the test fails under
    // QRNN_REQUIRE_TOOLS=1)
    if common::have_cmds(&["yosys", "nextpnr-ice40", "make"]) {
        let ex = [
            "example", "--cell", "gru", "--hidden", "8", "--head", "2", "--seed", "2", "-o", "g.qw",
        ];
        run_ok(d, &ex);
        run_ok(d, &["gen", "g.qw", "--target", "ice40", "-o", "rep", "-q"]);
        let mk = std::process::Command::new("make")
            .args(["-s", "-C", "rep", "synth", "pnr"])
            .current_dir(d)
            .output()
            .expect("make runs");
        assert!(
            mk.status.success(),
            "make synth pnr failed:\n{}{}",
            String::from_utf8_lossy(&mk.stdout),
            String::from_utf8_lossy(&mk.stderr)
        );
        let (out, _) = run_ok(d, &["report", "rep"]);
        r.set(
            "docs/CLI.md",
            "report-demo",
            &format!(
                "```\n$ qrnn-hw {}\n$ qrnn-hw gen g.qw --target ice40 -o rep\n$ make -C rep synth pnr && qrnn-hw report rep\n{out}```",
                ex.join(" ")
            ),
        );
    } else {
        r.keep("docs/CLI.md", "report-demo");
    }

    // CLI.md report --plot: the design space table, every point within the budget, the first
    // over it, and the last
    let args = [
        "report",
        "--plot",
        "demo.svg",
        "examples/demo-lstm-ternary.qw",
        "--target",
        "ice40",
    ];
    let (out, err) = run_ok(d, &args);
    let lines: Vec<&str> = out.lines().collect();
    let first_over = lines
        .iter()
        .position(|l| l.ends_with("(over budget)"))
        .unwrap_or(lines.len());
    let mut shown: Vec<&str> = lines[..(first_over + 1).min(lines.len())].to_vec();
    if first_over + 1 < lines.len() {
        if first_over + 2 < lines.len() {
            shown.push("...");
        }
        shown.push(lines[lines.len() - 1]);
    }
    r.set(
        "docs/CLI.md",
        "plot-demo",
        &format!(
            "```\n$ qrnn-hw {}\n{}\n{err}```",
            args.join(" "),
            shown.join("\n")
        ),
    );

    // CLI.md gen --fit: a model that fits at no folding (exit 1, the diagnostic on stderr)
    let ex = [
        "example", "--cell", "lstm", "--quant", "ternary", "--input", "16", "--hidden", "256",
        "--head", "4", "-o", "big.qw",
    ];
    run_ok(d, &ex);
    let fit = ["gen", "big.qw", "--fit", "--device", "up5k"];
    let (code, _, err) = qrnn_run(d, &fit);
    assert_eq!(code, 1, "{err}");
    let block = format!(
        "```\n$ qrnn-hw {}\n$ qrnn-hw {}\n{err}```",
        ex.join(" "),
        fit.join(" ")
    );
    r.set("docs/CLI.md", "no-fit-demo", &block);
    r.set("docs/HARDWARE.md", "no-fit-demo", &block);

    // HARDWARE.md §7 "Clocking": every board's clock, PLL and default core clock
    r.set("docs/HARDWARE.md", "board-clocks", &board_clocks());

    // CLI.md: the table of every subcommand, from `qrnn-hw --help`, each linked to its section
    // (which must exist)
    let (help, _) = run_ok(d, &["--help"]);
    let cli_md = std::fs::read_to_string(qrnn_testkit::repo_root().join("docs/CLI.md")).unwrap();
    let mut table = String::from("| subcommand | what it does |\n|---|---|\n");
    for l in help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
    {
        let (name, what) = l.trim().split_once(char::is_whitespace).unwrap();
        if name == "help" {
            continue;
        }
        assert!(
            cli_md.contains(&format!("\n## {name}\n")),
            "docs/CLI.md has no `## {name}` section"
        );
        table += &format!("| [`{name}`](#{name}) | {} |\n", what.trim());
    }
    r.set("docs/CLI.md", "subcommands", table.trim_end());

    // CLI.md boards: the table as the binary prints it
    let (out, _) = run_ok(d, &["boards"]);
    r.set(
        "docs/CLI.md",
        "boards",
        &format!("```console\n$ qrnn-hw boards\n{out}```"),
    );

    // CLI.md: the --help of the tool and of the subcommands it documents that way
    for cmd in [
        "", "inspect", "run", "eval", "example", "convert", "gen", "build", "report", "boards",
        "flash", "import", "train",
    ] {
        let args: Vec<&str> = cmd.split_whitespace().chain(["--help"]).collect();
        let (out, _) = run_ok(d, &args);
        let name = if cmd.is_empty() {
            "help".to_string()
        } else {
            format!("help-{cmd}")
        };
        r.set(
            "docs/CLI.md",
            &name,
            &format!("```text\n$ qrnn-hw {}\n{out}```", args.join(" ")),
        );
    }

    // every region marker in the docs is rendered here or by its owner
    let root = qrnn_testkit::repo_root();
    let mut files: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| format!("docs/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".md"))
        .collect();
    files.push("README.md".into());
    files.push("CONTRIBUTING.md".into());
    files.sort();
    let mut unowned = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(root.join(f)).unwrap();
        for name in docregion::region_names(&text) {
            let other = OTHER_OWNERS.iter().any(|o| o.0 == f && o.1 == name);
            if !other && !r.has(f, &name) {
                unowned.push(format!("{f}: region `{name}`"));
            }
        }
    }
    assert!(
        unowned.is_empty(),
        "generated regions that no test renders (add a renderer to crates/cli/tests/doc_figures.rs):\n{}",
        unowned.join("\n")
    );
    r.finish();
}

/// Every diagnostic code the sources define (`code(qrnn::…)`, `code = "qrnn::…"`) has a row in
/// docs/CLI.md's table of codes, so a new error cannot go undocumented.
#[test]
fn every_error_code_is_documented() {
    let root = qrnn_testkit::repo_root();
    let doc = std::fs::read_to_string(root.join("docs/CLI.md")).unwrap();
    let table: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `qrnn::")).collect();
    let mut codes = std::collections::BTreeSet::new();
    let mut dirs = vec![root.join("crates")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                // sources only: a test's own codes are not the tool's
                if p.file_name().is_some_and(|n| n != "tests" && n != "target") {
                    dirs.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for start in ["code(qrnn::", "code = \"qrnn::"] {
                    for (i, _) in text.match_indices(start) {
                        let rest = &text[i + start.len() - "qrnn::".len()..];
                        let code: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                            .collect();
                        codes.insert(code);
                    }
                }
            }
        }
    }
    assert!(codes.len() > 50, "found only {} codes", codes.len());
    let undocumented: Vec<&String> = codes
        .iter()
        .filter(|c| {
            let star = format!("`{}::*`", c.rsplit_once("::").map_or(c.as_str(), |x| x.0));
            !table
                .iter()
                .any(|row| row.contains(&format!("`{c}`")) || row.contains(&star))
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "diagnostic codes without a row in docs/CLI.md's table: {undocumented:?}"
    );
}
