//! The naming rule for strings that come from input files (docs/QW_FORMAT.md §3.1), and the
//! escapers every emitter of generated files uses (docs/DESIGN.md §7).
//!
//! Three rules, each checked where a model is read ([`crate::Model::validate`], which every reader
//! and writer goes through) and where a name is given on the command line:
//!
//! - a **name** (the model's `name`, the keys of `provenance.metrics`, `--name`) is 1 to
//!   [`MAX_NAME_CHARS`] characters from `A-Z a-z 0-9 _ . -` and does not start with `-` or `.`;
//! - a **label** (`provenance.tool`, `dataset`, `task`) is at most [`MAX_LABEL_CHARS`] characters
//!   of any Unicode text without control characters (newline, tab, escape, NUL, …), line or
//!   paragraph separators, or bidirectional-text controls;
//! - **notes** (`provenance.notes`) are free text with the same exclusions, except that newline and
//!   tab are allowed.
//!
//! Tensor names need no rule of their own: every one must be a canonical name (`layer0.w`, …),
//! and any other is refused as an unknown tensor.
//!
//! The rule alone is not trusted by the emitters: whatever reaches a generated file goes through
//! one of the [`escape`] functions for its context, which leave ordinary names unchanged, so that a
//! field added later (or a rule relaxed) cannot put a newline into a Makefile or a backtick into
//! Verilog.

use crate::error::QwError;

/// Most characters of a name.
pub const MAX_NAME_CHARS: usize = 64;
/// Most characters of a label (`provenance.tool`, `dataset`, `task`).
pub const MAX_LABEL_CHARS: usize = 256;

/// The rule, in words, as every error states it.
pub const NAME_RULE: &str =
    "a name is 1 to 64 characters from A-Z a-z 0-9 _ . - and does not start with - or .";
const LABEL_RULE: &str = "a provenance label is at most 256 characters without control characters, line separators or bidirectional-text controls";
const NOTES_RULE: &str = "notes are free text without control characters (other than newline and tab), line separators or bidirectional-text controls";

/// Whether `c` may appear in a name.
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Characters no label or notes may hold: control characters (C0, DEL, C1), the Unicode line and
/// paragraph separators, and the bidirectional-text controls (which can make text display
/// differently from what it is).
fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'
                ..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// A character as an error shows it: quoted and escaped, with its code point (`'\n' (U+000A)`).
pub fn show_char(c: char) -> String {
    format!("'{}' (U+{:04X})", c.escape_debug(), c as u32)
}

/// A string as an error shows it: quoted and escaped (control characters visible), the first 40
/// characters only.
pub fn show(s: &str) -> String {
    let n = s.chars().count();
    if n <= 40 {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(40).collect();
        format!("{head:?}… ({n} characters)")
    }
}

/// What is wrong with `s` as a name (its first problem), or `None` if it is a valid name.
pub fn name_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("is empty".into());
    }
    if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !is_name_char(*c)) {
        return Some(format!("has {} at position {}", show_char(c), i + 1));
    }
    let n = s.chars().count();
    if n > MAX_NAME_CHARS {
        return Some(format!(
            "is {n} characters long, more than {MAX_NAME_CHARS}"
        ));
    }
    match s.chars().next() {
        Some(c @ ('-' | '.')) => Some(format!("starts with {}", show_char(c))),
        _ => None,
    }
}

/// Whether `s` is a valid name.
pub fn is_name(s: &str) -> bool {
    name_problem(s).is_none()
}

/// A valid name made from `s`: every run of other characters becomes one `_`, a leading `-` or
/// `.` becomes `_`, at most [`MAX_NAME_CHARS`] characters are kept, and nothing left gives
/// `model`. A valid name is returned unchanged. Used for names derived from file names (the
/// defaults of `import` and `train`) and to suggest a name in errors.
pub fn legalise(s: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in s.chars() {
        if is_name_char(c) {
            out.push(c);
            gap = false;
        } else if !gap {
            out.push('_');
            gap = true;
        }
    }
    if out.starts_with(['-', '.']) {
        out.replace_range(..1, "_");
    }
    let out: String = out.chars().take(MAX_NAME_CHARS).collect();
    if out.is_empty() || out == "_" {
        "model".into()
    } else {
        out
    }
}

fn name_error(field: &str, s: &str, problem: String, fix: String) -> QwError {
    QwError::Name {
        field: field.into(),
        shown: show(s),
        problem,
        rule: NAME_RULE.into(),
        fix,
    }
}

/// Check a name given as `field` (a header field such as `name`, or an option such as `--name`).
/// The error names the field, shows the string escaped, says which character (and where) or which
/// length breaks the rule, and suggests a valid name.
pub fn check_name(field: &str, s: &str) -> Result<(), QwError> {
    match name_problem(s) {
        None => Ok(()),
        Some(problem) => Err(name_error(
            field,
            s,
            problem,
            format!(
                "use only letters, digits, `_`, `.` and `-`, for example `{}`",
                legalise(s)
            ),
        )),
    }
}

/// [`check_name`] for the model name of a file: the fix says how to rename the file.
pub(crate) fn check_model_name(s: &str) -> Result<(), QwError> {
    match name_problem(s) {
        None => Ok(()),
        Some(problem) => Err(name_error(
            "name",
            s,
            problem,
            format!(
                "rename the model: `qrnn-hw convert IN OUT --name {}` reads a model whose name breaks the rule and writes it renamed (docs/CLI.md#names)",
                legalise(s)
            ),
        )),
    }
}

fn text_problem(s: &str, allow: &[char], max: Option<usize>) -> Option<String> {
    if let Some((i, c)) = s
        .chars()
        .enumerate()
        .find(|(_, c)| is_hidden_char(*c) && !allow.contains(c))
    {
        return Some(format!("has {} at position {}", show_char(c), i + 1));
    }
    let n = s.chars().count();
    match max {
        Some(max) if n > max => Some(format!("is {n} characters long, more than {max}")),
        _ => None,
    }
}

const TEXT_FIX: &str = "`qrnn-hw convert IN OUT` rewrites a model file with such provenance text escaped (docs/CLI.md#names)";

/// Check a provenance label (`provenance.tool`, `dataset`, `task`).
pub fn check_label(field: &str, s: &str) -> Result<(), QwError> {
    match text_problem(s, &[], Some(MAX_LABEL_CHARS)) {
        None => Ok(()),
        Some(problem) => Err(QwError::Name {
            field: field.into(),
            shown: show(s),
            problem,
            rule: LABEL_RULE.into(),
            fix: TEXT_FIX.into(),
        }),
    }
}

/// Check provenance notes.
pub fn check_notes(field: &str, s: &str) -> Result<(), QwError> {
    match text_problem(s, &['\n', '\t'], None) {
        None => Ok(()),
        Some(problem) => Err(QwError::Name {
            field: field.into(),
            shown: show(s),
            problem,
            rule: NOTES_RULE.into(),
            fix: TEXT_FIX.into(),
        }),
    }
}

fn escape_hidden(s: &str, allow: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hidden_char(c) && !allow.contains(&c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A valid label made from `s`: forbidden characters written as escapes (`\n`, `\u{1b}`), then
/// cut to [`MAX_LABEL_CHARS`] characters (ending in `…` when cut). A valid label is unchanged.
pub fn legalise_label(s: &str) -> String {
    if text_problem(s, &[], Some(MAX_LABEL_CHARS)).is_none() {
        return s.to_string();
    }
    let e = escape_hidden(s, &[]);
    if e.chars().count() <= MAX_LABEL_CHARS {
        e
    } else {
        let mut cut: String = e.chars().take(MAX_LABEL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// Valid notes made from `s`: forbidden characters written as escapes. Valid notes are unchanged.
pub fn legalise_notes(s: &str) -> String {
    escape_hidden(s, &['\n', '\t'])
}

/// Escapers for the contexts a model-derived string is written into. Each keeps printable ASCII
/// that is harmless in its context (so a valid name comes out unchanged) and writes everything
/// else as `\u{HEX}` (or the context's own escape), so the result is one line that cannot end a
/// comment, start a directive, expand a variable or break a table.
pub mod escape {
    use std::borrow::Cow;
    use std::fmt::Write;

    fn plain(c: char) -> bool {
        (' '..='~').contains(&c) && c != '\\'
    }

    fn escaped(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
        let ok = |c: char| plain(c) && keep(c);
        if s.chars().all(ok) {
            return Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(s.len() + 16);
        for c in s.chars() {
            if ok(c) {
                out.push(c);
            } else {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
        Cow::Owned(out)
    }

    /// Text on one line of a plain-text file (a `#` line of `sim/golden_trace.txt`): printable
    /// ASCII, no backslash.
    pub fn text_line(s: &str) -> Cow<'_, str> {
        escaped(s, |_| true)
    }

    /// Text inside a Verilog `//` comment (RTL headers, `sim/tb_params.vh`, board tops): also no
    /// backtick (a compiler directive) and no `*` (so no `/*` or `*/`).
    pub fn verilog_comment(s: &str) -> Cow<'_, str> {
        escaped(s, |c| c != '`' && c != '*')
    }

    /// Text inside a Makefile `#` comment: also no `$`, `#` or backtick.
    pub fn makefile_comment(s: &str) -> Cow<'_, str> {
        escaped(s, |c| !matches!(c, '$' | '#' | '`'))
    }

    /// Text inside a Markdown code span (`` `…` ``): no backtick.
    pub fn markdown_code(s: &str) -> Cow<'_, str> {
        escaped(s, |c| c != '`')
    }

    /// Markdown text (a heading, a table cell): ASCII punctuation other than `.`, `-` and a `_`
    /// between letters or digits is backslash-escaped; anything not printable ASCII becomes a
    /// numeric character reference (`&#xA;`), which Markdown shows as text.
    pub fn markdown_text(s: &str) -> Cow<'_, str> {
        let chars: Vec<char> = s.chars().collect();
        let word = |i: Option<usize>| {
            i.and_then(|i| chars.get(i))
                .is_some_and(|c| c.is_ascii_alphanumeric())
        };
        let safe = |i: usize, c: char| {
            c.is_ascii_alphanumeric()
                || matches!(c, ' ' | '.' | '-')
                || (c == '_' && word(i.checked_sub(1)) && word(Some(i + 1)))
        };
        if chars.iter().enumerate().all(|(i, c)| safe(i, *c)) {
            return Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(s.len() + 16);
        for (i, &c) in chars.iter().enumerate() {
            if safe(i, c) {
                out.push(c);
            } else if c.is_ascii_punctuation() {
                out.push('\\');
                out.push(c);
            } else {
                let _ = write!(out, "&#x{:X};", c as u32);
            }
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::escape::*;
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "tiny",
            "example-lstm-ternary-h16-s7",
            "a",
            "_x",
            "v1.2",
            &"a".repeat(64),
        ] {
            assert!(is_name(ok), "{ok}");
            assert_eq!(legalise(ok), ok);
            assert!(check_name("name", ok).is_ok());
        }
        let cases = [
            ("", "is empty"),
            (
                "tiny\n$(shell touch pwned)\n#",
                "has '\\n' (U+000A) at position 5",
            ),
            ("my model", "has ' ' (U+0020) at position 3"),
            ("-x", "starts with '-' (U+002D)"),
            (".x", "starts with '.' (U+002E)"),
            ("é", "has 'é' (U+00E9) at position 1"),
            ("a\u{202e}b", "has '\\u{202e}' (U+202E) at position 2"),
        ];
        for (s, want) in cases {
            assert_eq!(name_problem(s).as_deref(), Some(want), "{s:?}");
        }
        assert_eq!(
            name_problem(&"a".repeat(65)).as_deref(),
            Some("is 65 characters long, more than 64")
        );
        let e = check_name("--name", "tiny\n$(shell touch pwned)\n#").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("`--name`"), "{msg}");
        assert!(msg.contains(r#""tiny\n$(shell touch pwned)\n#""#), "{msg}");
        assert!(msg.contains("'\\n' (U+000A) at position 5"), "{msg}");
        assert!(msg.contains(NAME_RULE), "{msg}");
        assert_eq!(
            legalise("tiny\n$(shell touch pwned)\n#"),
            "tiny_shell_touch_pwned_"
        );
        assert_eq!(legalise("my model"), "my_model");
        assert_eq!(legalise(".hidden"), "_hidden");
        assert_eq!(legalise(""), "model");
        assert_eq!(legalise("$$$"), "model");
        assert_eq!(legalise(&"ab".repeat(50)).len(), 64);
        for s in ["", "\n", "-", "..", "a b", "ü", &"x".repeat(99)] {
            assert!(is_name(&legalise(s)), "{s:?}");
        }
    }

    #[test]
    fn labels_and_notes() {
        assert!(check_label("provenance.dataset", "imdb:/data/aclImdb (ü)").is_ok());
        assert!(check_label("provenance.tool", "").is_ok());
        let e = check_label("provenance.dataset", "a\nb")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`provenance.dataset`") && e.contains("position 2"),
            "{e}"
        );
        assert!(check_label("provenance.task", &"x".repeat(257)).is_err());
        assert!(check_notes("provenance.notes", "line 1\nline 2\tx").is_ok());
        assert!(check_notes("provenance.notes", "bell\u{7}").is_err());
        assert!(check_notes("provenance.notes", "\u{1b}[31mred").is_err());
        assert_eq!(legalise_label("a\nb"), "a\\nb");
        assert_eq!(legalise_label(&"x".repeat(300)).chars().count(), 256);
        assert_eq!(legalise_notes("a\nb\u{1b}"), "a\nb\\u{1b}");
        assert!(check_notes("n", &legalise_notes("\u{0}\u{202e}\r")).is_ok());
    }

    #[test]
    fn escapers_keep_names_and_defuse_the_rest() {
        for name in ["tiny", "example-lstm-ternary-h16-s7", "a_b.c-d", "_x_"] {
            assert_eq!(verilog_comment(name), name);
            assert_eq!(makefile_comment(name), name);
            assert_eq!(text_line(name), name);
            assert_eq!(markdown_code(name), name);
        }
        assert_eq!(markdown_text("a_b.c-d"), "a_b.c-d");
        assert_eq!(markdown_text("_x_"), "\\_x\\_");
        let evil = "tiny\n$(shell touch pwned)\n# `define X */ \\ \u{7f}é";
        for e in [
            verilog_comment(evil),
            makefile_comment(evil),
            text_line(evil),
            markdown_code(evil),
            markdown_text(evil),
        ] {
            assert!(
                !e.contains('\n') && !e.contains('\r') && !e.contains('\u{7f}'),
                "{e}"
            );
            assert!(e.is_ascii(), "{e}");
        }
        let v = verilog_comment(evil);
        assert!(
            !v.contains('`') && !v.contains("*/") && !v.contains("/*"),
            "{v}"
        );
        let m = makefile_comment(evil);
        assert!(
            !m.contains('$') && !m.contains('#') && !m.contains('`'),
            "{m}"
        );
        assert_eq!(makefile_comment("a\\"), "a\\u{5c}");
        assert!(!markdown_code(evil).contains('`'));
        assert_eq!(markdown_text("a`b<c>"), "a\\`b\\<c\\>");
        assert_eq!(markdown_text("a\nb"), "a&#xA;b");
    }
}
