//! The text twin read and written in memory proportional to the file (docs/QW_FORMAT.md "Text
//! twin", "Memory"): the `values` arrays are streamed out and pre-scanned in, the rest goes
//! through the TOML parser. These tests check that this is invisible: every model round-trips
//! text ↔ binary to the same model and hash; TOML the canonical writer never produces (comments
//! and line breaks inside arrays, CRLF, underscores and hex, strings holding `values = [` or
//! `[[tensor]]`) reads as the TOML parser reads it; errors after a pre-scanned array name the
//! line, column and byte of the file; and what the pre-scan refuses itself (a large array that is
//! not all integers, too much other TOML) is a clear error.

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::qw::{from_bytes, model_hash, to_bytes, to_text};
use qrnn_model::{Cell, Model, QwError, Scheme};

mod common;

fn models() -> Vec<Model> {
    let mut out = common::small_models();
    for (cell, scheme, hidden, head, per_row) in [
        (Cell::Lstm, Scheme::Ternary, vec![7, 5], Some(3), false),
        (Cell::Gru, Scheme::Quaternary, vec![6], None, true),
        (Cell::ConvLstm, Scheme::Binary, vec![3, 2], None, false),
        (Cell::ConvLstm, Scheme::Int(8), vec![2], None, true),
        (Cell::Lstm, Scheme::Int(3), vec![9], Some(4), true),
    ] {
        let mut s = ExampleSpec::new(cell, scheme, 3, hidden[0], 21);
        s.hidden = hidden;
        s.head = head;
        s.per_row_mult = per_row;
        s.map = Some((4, 3));
        out.push(example(&s));
    }
    out
}

fn read(text: &str) -> Result<Model, QwError> {
    from_bytes(text.as_bytes())
}

#[test]
fn every_model_round_trips_text_and_binary_with_one_hash() {
    for m in models() {
        let h = model_hash(&m);
        let bin = to_bytes(&m);
        let text = to_text(&m);
        let from_text = read(&text).unwrap_or_else(|e| panic!("{}: {e}", m.name));
        let from_bin = from_bytes(&bin).unwrap();
        assert_eq!(from_text, m, "{}", m.name);
        assert_eq!(from_bin, m, "{}", m.name);
        // binary → text → binary: the same bytes
        assert_eq!(to_bytes(&from_text), bin, "{}", m.name);
        assert_eq!(to_text(&from_bin), text, "{}", m.name);
        assert_eq!(model_hash(&from_text), h);
    }
}

/// Every `values = [a, b, c]` line of the tensor tables rewritten by `f` (given the inside
/// `a, b, c`). (Not those of the provenance notes, which are text inside a string.)
fn rewrite_values(text: &str, f: impl Fn(&str) -> String) -> String {
    let first = text.find("\n[[tensor]]\nname = ").unwrap();
    let mut out = text[..first].to_string();
    for line in text[first..].split_inclusive('\n') {
        match line
            .strip_prefix("values = [")
            .and_then(|r| r.strip_suffix("]\n"))
        {
            Some(inside) => {
                out.push_str("values = [");
                out.push_str(&f(inside));
                out.push_str("]\n");
            }
            None => out.push_str(line),
        }
    }
    out
}

/// `f` applied to the tensor tables (not to the provenance notes, text inside a string).
fn in_tensors(text: &str, f: impl Fn(&str) -> String) -> String {
    let first = text.find("\n[[tensor]]\nname = ").unwrap();
    format!("{}{}", &text[..first], f(&text[first..]))
}

/// Each `[[tensor]]` table with its `values` line first.
fn values_first(text: &str) -> String {
    let first = text.find("\n[[tensor]]\nname = ").unwrap();
    let mut out = text[..first].to_string();
    let mut held: Option<String> = None;
    for line in text[first..].split_inclusive('\n') {
        if line == "[[tensor]]\n" {
            out.push_str(line);
            held = Some(String::new());
        } else if let Some(h) = held.as_mut() {
            if line.starts_with("values = [") {
                out.push_str(line);
                out.push_str(h);
                held = None;
            } else {
                h.push_str(line);
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

#[test]
fn toml_the_writer_never_makes_reads_as_the_parser_reads_it() {
    for mut m in models() {
        // provenance notes that hold what the pre-scan looks for, in a multi-line string
        m.provenance.notes = Some(
            "values = [1, 2]\n[[tensor]]\nvalues = [3]\n\"\"\" ''' # ] [ {\n\tend".to_string(),
        );
        // as written (long arrays a row a line), and with every array on one line, the form the
        // rewrites below start from
        let wrapped = to_text(&m);
        let text = wrapped
            .replace("[\n    ", "[")
            .replace(",\n    ", ", ")
            .replace(",\n]", "]");
        assert!(text.contains("\n[[tensor]]\n"), "the notes are one string");
        let variants: Vec<(&str, String)> = vec![
            ("as written", wrapped.clone()),
            ("canonical", text.clone()),
            ("CRLF", text.replace('\n', "\r\n")),
            (
                "one value a line, comments, trailing comma",
                rewrite_values(&text, |v| {
                    let mut s = String::from("  # first\n");
                    for x in v.split(", ") {
                        s.push_str(&format!("  {x}, # ü ] [[tensor]] values = [\n"));
                    }
                    s
                }),
            ),
            (
                "CRLF inside arrays",
                rewrite_values(&text, |v| format!("\r\n{}\r\n", v.replace(", ", ",\r\n"))),
            ),
            (
                "hex, octal, binary, underscores and plus signs",
                rewrite_values(&text, |v| {
                    v.split(", ")
                        .enumerate()
                        .map(|(i, x)| {
                            let n: i64 = x.parse().unwrap();
                            match (n >= 0, i % 5) {
                                (true, 0) => format!("0x{n:X}"),
                                (true, 1) => format!("0o{n:o}"),
                                (true, 2) => format!("0b{n:b}"),
                                (true, 3) => format!("+{n}"),
                                _ if n.abs() >= 10 => {
                                    let s = n.to_string();
                                    format!("{}_{}", &s[..s.len() - 1], &s[s.len() - 1..])
                                }
                                _ => x.to_string(),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ,")
                }),
            ),
            (
                "spaced headers, comments that look like values",
                in_tensors(&text, |t| {
                    t.replace(
                        "[[tensor]]\n",
                        "[[ tensor ]] # a tensor\n# values = [1, 2]\n",
                    )
                    .replace("\nvalues = [", "\n \t values\t=\t[")
                }),
            ),
            ("values before the other keys", values_first(&text)),
        ];
        for (what, t) in variants {
            let back = read(&t).unwrap_or_else(|e| panic!("{what}, {}: {e}", m.name));
            assert_eq!(back, m, "{what}, {}", m.name);
        }
    }
}

#[test]
fn a_values_array_the_pre_scan_leaves_is_read_by_the_parser() {
    // floats, strings and nested arrays are the parser's: small arrays get its message
    let m = &models()[0];
    let text = to_text(m);
    let start = text.find("name = \"layer0.w\"").unwrap();
    let v = start + text[start..].find("values = [").unwrap() + "values = [".len();
    for (bad, want) in [("1.5, ", "invalid type"), ("\"1\", ", "invalid type")] {
        let t = format!("{}{bad}{}", &text[..v], &text[v..]);
        let byte = v;
        let line = t[..byte].matches('\n').count() + 1;
        let col = byte - t[..byte].rfind('\n').unwrap();
        let e = read(&t).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "text model line {line}, column {col} (byte {byte})"
            )) && e.contains(want),
            "{bad}: {e}"
        );
    }
    // a duplicate `values` key (the first is taken, the second is the parser's)
    let t = text.replacen(
        "encoding = \"ternary\"\n",
        "encoding = \"ternary\"\nvalues = [1]\n",
        1,
    );
    let e = read(&t).unwrap_err().to_string();
    assert!(e.contains("duplicate key") || e.contains("values"), "{e}");
}

#[test]
fn errors_after_a_pre_scanned_array_name_the_place_in_the_file() {
    let m = &models()[0];
    let text = to_text(m);
    // the first tensor's scale comes after its (taken) values array
    let bad = text.replacen("shift = ", "shift = \"x\" # ", 1);
    assert_ne!(bad, text);
    let byte = bad.find("\"x\"").unwrap();
    let line = bad[..byte].matches('\n').count() + 1;
    let col = byte - bad[..byte].rfind('\n').unwrap();
    let e = read(&bad).unwrap_err();
    assert!(
        matches!(e, QwError::Header { ref location, .. }
            if *location == format!("text model line {line}, column {col} (byte {byte})")),
        "{e:?}"
    );
    // a syntax error in the last table, after every array
    let bad = format!("{text}bias = = 3\n");
    let byte = bad.rfind("= 3").unwrap();
    let line = bad[..byte].matches('\n').count() + 1;
    let e = read(&bad).unwrap_err();
    assert!(
        matches!(e, QwError::Header { ref location, .. }
            if location.starts_with(&format!("text model line {line}, column "))),
        "{e:?}"
    );
}

/// An LSTM of hidden `h` whose text twin is a few MB.
fn big(h: usize) -> Model {
    example(&ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 4, h, 5))
}

#[test]
fn a_large_array_that_is_not_all_integers_is_refused_by_the_pre_scan() {
    let m = big(128); // layer0.u: 512 × 128 values, more than 64 KiB of text
    let text = to_text(&m);
    let start = text.find("name = \"layer0.u\"").unwrap();
    let v = start + text[start..].find("values = [").unwrap() + "values = [".len();
    let at = v + text[v..].find(", ").unwrap() + 2; // the second value
    for (bad, want) in [
        ("1.5", "tensor values: expected an integer, found `1.5`"),
        ("\"1\"", "tensor values: expected an integer, found `\"1\"`"),
        ("4294967296", "integer `4294967296` is out of range"),
        ("1 2", "expected `,` or `]` after a value, found `2`"),
    ] {
        let t = format!("{}{bad}, {}", &text[..at], &text[at..]);
        let line = t[..at].matches('\n').count() + 1;
        let col = at - t[..at].rfind('\n').unwrap();
        let e = read(&t).unwrap_err();
        let want_at = if bad == "1 2" { at + 2 } else { at };
        let loc = format!(
            "text model line {line}, column {} (byte {want_at})",
            col + want_at - at
        );
        assert!(
            matches!(&e, QwError::Header { location, message }
                if *location == loc && message.contains(want)),
            "{bad}: {e:?}, expected {loc}: {want}"
        );
    }
    // a large array that is never closed
    let open = format!("{}{}", &text[..at], "1, ".repeat(40_000));
    let e = read(&open).unwrap_err().to_string();
    assert!(e.contains("tensor values: the array is not closed"), "{e}");
}

#[test]
fn too_much_toml_besides_the_values_is_refused() {
    let m = big(8);
    let text = to_text(&m);
    // 9 MiB of a key the parser would have to hold as a 4.5 M-element array
    let junk = format!("\n[provenance.metrics]\nx = [{}0]\n", "0,".repeat(9 << 19));
    let t = text.replacen("\n[[layer]]", &format!("{junk}\n[[layer]]"), 1);
    let e = read(&t).unwrap_err().to_string();
    assert!(
        e.contains("bytes of TOML besides the tensors' `values` arrays"),
        "{}",
        &e[..e.len().min(300)]
    );
}

#[test]
fn tensor_tables_the_pre_scan_does_not_follow() {
    // `[["tensor"]]` is the same table to TOML, but not to the pre-scan, which then parses a
    // small text whole, as before
    let quote_last = |t: &str| {
        let i = t.rfind("[[tensor]]").unwrap();
        format!("{}[[\"tensor\"]]{}", &t[..i], &t[i + 10..])
    };
    let m = &models()[0];
    assert_eq!(read(&quote_last(&to_text(m))).unwrap(), *m);
    // a large one would need the parser's 90 bytes a byte: refused, saying how to write it
    let m = big(1024);
    let text = to_text(&m);
    assert!(text.len() > 8 << 20);
    let e = read(&quote_last(&text)).unwrap_err().to_string();
    assert!(
        e.contains("could not be matched with its `[[tensor]]` tables"),
        "{e}"
    );
}
