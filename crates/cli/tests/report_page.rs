//! `qrnn-hw report DIR --html/--md` (docs/CLI.md "One page"): the page of a trained model's
//! board project after `make sim synth pnr`, opened in a real headless Chromium — it loads with
//! no console message, its DOM shows the key figures of the project's own files (cycles per
//! timestep from qrnn.json, Fmax and placed counts from report.json, the PASS line, the model's
//! accuracy, the inline plot), and a screenshot is taken. With `QRNN_UPDATE_DOCS=1` the page and
//! its screenshot are written to docs/report/ (`make docs`). Needs verilator, yosys,
//! nextpnr-ice40 and chromium: skipped without them locally, failed under `QRNN_REQUIRE_TOOLS=1`.

use std::path::Path;
use std::process::Command;

mod common;
use common::{have_cmds, run_in as run};

/// Headless Chromium on `page` (a file) with `args` (`--dump-dom`, `--screenshot=…`): stdout,
/// and the console messages it logged (stderr lines with `:CONSOLE`).
fn chromium(page: &Path, args: &[String]) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

#[test]
fn the_report_page_shows_the_projects_figures_in_chromium() {
    if !have_cmds(&["verilator", "yosys", "nextpnr-ice40", "make", "chromium"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let root = qrnn_testkit::repo_root();
    std::fs::copy(
        root.join("examples/trained-gunpoint-gru-ternary.qw"),
        d.join("gunpoint.qw"),
    )
    .unwrap();
    let q = env!("CARGO_BIN_EXE_qrnn-hw");
    // before anything is built, the page says what to run
    run(
        d,
        Command::new(q).args([
            "-q",
            "gen",
            "gunpoint.qw",
            "--board",
            "icebreaker",
            "-o",
            "hw",
        ]),
    );
    run(
        d,
        Command::new(q).args(["report", "hw", "--html", "early.html"]),
    );
    let early = std::fs::read_to_string(d.join("early.html")).unwrap();
    for want in [
        "Not synthesised yet",
        "make -C hw synth pnr",
        "not run (make sim)",
    ] {
        assert!(early.contains(want), "{want:?} not in the early page");
    }
    run(
        d,
        Command::new("make").args(["-s", "-C", "hw", "sim", "synth", "pnr"]),
    );
    let err = run(
        d,
        Command::new(q).args(["report", "hw", "--html", "page.html", "--md", "page.md"]),
    );
    assert!(
        err.contains("wrote page.html") && err.contains("wrote page.md"),
        "{err}"
    );

    // the figures the page must show, from the project's own files
    let json = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join(p)).unwrap()).unwrap()
    };
    let (man, rep) = (json("hw/qrnn.json"), json("hw/report.json"));
    let pass = std::fs::read_to_string(d.join("hw/build/sim.log"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("PASS"))
        .expect("make sim passed")
        .to_string();
    let wants = [
        "trained-gunpoint-gru-ternary: ice40 hardware report".to_string(),
        format!("{} cycles per timestep", man["cycles_per_step"]),
        format!("Fmax {:.2} MHz", rep["fmax_mhz"].as_f64().unwrap()),
        format!("{} logic cells placed", rep["placed"]["lut"]),
        pass,
        "golden_accuracy 0.9667".to_string(),
        "ucr:GunPoint".to_string(),
        "board icebreaker".to_string(),
        "predicted (qrnn-hw)".to_string(),
        "placed (nextpnr)".to_string(),
    ];

    // the page in a real browser: loads without a console message and shows every figure
    let page = d.join("page.html");
    let (dom, console) = chromium(&page, &["--dump-dom".to_string()]);
    assert!(console.is_empty(), "console messages: {console:#?}");
    for w in &wants {
        assert!(dom.contains(w.as_str()), "{w:?} not in the page's DOM");
    }
    assert!(dom.contains("<svg"), "no inline plot");
    assert!(dom.contains("design space"), "the plot has no title");
    assert!(
        dom.contains(&format!("this project ({} cycles)", man["cycles_per_step"])),
        "the plot does not mark the project's own design"
    );
    // nothing outside the page is fetched
    let html = std::fs::read_to_string(&page).unwrap();
    // (the inline SVG's xmlns names a namespace; it is not fetched)
    for remote in ["href=", "src=", "url(", "<script", "<link", "@import"] {
        assert!(!html.contains(remote), "the page refers to {remote}");
    }
    // the console check can fail: a page with a script error is caught
    std::fs::write(d.join("bad.html"), "<p>x</p><script>undefinedFn()</script>").unwrap();
    let (_, bad) = chromium(&d.join("bad.html"), &["--dump-dom".to_string()]);
    assert!(
        bad.iter().any(|l| l.contains("undefinedFn")),
        "the console check does not see errors: {bad:?}"
    );

    // the Markdown twin: the same figures, the plot beside it
    let md = std::fs::read_to_string(d.join("page.md")).unwrap();
    for w in &wants[1..] {
        assert!(md.contains(w.as_str()), "{w:?} not in page.md");
    }
    assert!(md.contains("![design space](page.svg)"));
    assert!(std::fs::read_to_string(d.join("page.svg"))
        .unwrap()
        .contains("<svg"));

    // a screenshot
    let png = d.join("page.png");
    chromium(
        &page,
        &[
            "--window-size=1200,2900".to_string(),
            format!("--screenshot={}", png.display()),
        ],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "{} bytes",
        bytes.len()
    );
    if std::env::var_os("QRNN_UPDATE_DOCS").is_some() {
        let docs = root.join("docs/report");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("gunpoint-icebreaker.html"), html).unwrap();
        std::fs::copy(&png, docs.join("gunpoint-icebreaker.png")).unwrap();
    }
}
