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
