//! Helpers shared by the CLI's integration tests.

/// A diagnostic with miette's line wrapping undone: words joined by single spaces, the `│`
/// gutter of continuation lines and the `╰─▶` cause marker dropped. Messages are asserted on
/// this form, so a test does not depend on where a long path (a temp directory, a CI checkout)
/// makes the 80-column wrap fall.
pub fn flat(s: &str) -> String {
    s.split_whitespace()
        .filter(|w| *w != "│" && *w != "╰─▶")
        .collect::<Vec<_>>()
        .join(" ")
}

/// `true` if every tool runs; otherwise the test skips that part (and says so), or panics under
/// `QRNN_REQUIRE_TOOLS=1`, as CI sets it.
#[allow(dead_code)] // not every test binary that includes this module needs tools
pub fn have(tools: &[qrnn_sim::Tool]) -> bool {
    let required = std::env::var("QRNN_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    for t in tools {
        if !t.available() {
            if required {
                panic!("QRNN_REQUIRE_TOOLS=1 and {}", t.missing());
            }
            eprintln!(
                "SKIPPED (tool missing, set QRNN_REQUIRE_TOOLS=1 to fail instead): {}",
                t.missing()
            );
            return false;
        }
    }
    true
}

/// The names of a directory's entries, sorted.
#[allow(dead_code)]
pub fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// [`have`] for commands that are not a [`qrnn_sim::Tool`] (nextpnr, the packers, make): `true` if
/// every command can be started (`CMD --help`; some exit non-zero, only starting counts).
#[allow(dead_code)]
pub fn have_cmds(cmds: &[&str]) -> bool {
    let required = std::env::var("QRNN_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    for c in cmds {
        if std::process::Command::new(c)
            .arg("--help")
            .output()
            .is_err()
        {
            let msg = format!("`{c}` not found on PATH (scripts/setup.sh installs it)");
            if required {
                panic!("QRNN_REQUIRE_TOOLS=1 and {msg}");
            }
            eprintln!("SKIPPED (tool missing, set QRNN_REQUIRE_TOOLS=1 to fail instead): {msg}");
            return false;
        }
    }
    true
}
