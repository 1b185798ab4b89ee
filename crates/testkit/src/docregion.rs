//! Generated regions of the documentation: the figures in docs/*.md and README.md that a command
//! produces, between a line `<!-- generated: NAME (make docs) -->` and a line
//! `<!-- end generated -->`. A test renders each region from the code and compares it with the
//! committed text; with `QRNN_UPDATE_DOCS=1` (what `make docs` sets) it rewrites the regions
//! instead (the file is written to a temporary file beside it and renamed into place).
//!
//! Used by `crates/cli/tests/doc_figures.rs` (every cheap region) and
//! `crates/sim/tests/mutation.rs` (the mutation table of docs/HARDWARE.md §8).

use std::collections::BTreeMap;

/// The opening marker of region `name`.
pub fn open_marker(name: &str) -> String {
    format!("<!-- generated: {name} (make docs) -->")
}

/// The closing marker of every region.
pub const END_MARKER: &str = "<!-- end generated -->";

/// The names of the regions of `text`, in order.
pub fn region_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("<!-- generated: ")
                .and_then(|r| r.strip_suffix(" (make docs) -->"))
                .map(str::to_string)
        })
        .collect()
}

/// `true` when regions are to be rewritten (`QRNN_UPDATE_DOCS=1`, set by `make docs`).
pub fn updating() -> bool {
    std::env::var("QRNN_UPDATE_DOCS").is_ok_and(|v| v == "1")
}

/// Byte range of the body of region `name` in `text` (the lines between the markers), or why
/// there is none.
fn body_range(text: &str, name: &str) -> Result<std::ops::Range<usize>, String> {
    let open = format!("{}\n", open_marker(name));
    let mut found = text.match_indices(&open);
    let (at, _) = found
        .next()
        .ok_or_else(|| format!("no line `{}`", open_marker(name)))?;
    if found.next().is_some() {
        return Err(format!("`{}` appears twice", open_marker(name)));
    }
    let start = at + open.len();
    let end_line = format!("{END_MARKER}\n");
    let len = if text[start..].starts_with(&end_line) {
        0
    } else {
        text[start..]
            .find(&format!("\n{end_line}"))
            .map(|i| i + 1)
            .ok_or_else(|| format!("region `{name}` has no line `{END_MARKER}`"))?
    };
    Ok(start..start + len)
}

/// The regions one test renders: compared with the committed files, or written into them.
#[derive(Default)]
pub struct Regions {
    /// Rendered bodies per file (relative to the repository root) and region name.
    bodies: BTreeMap<String, BTreeMap<String, String>>,
    /// Regions not rendered this time ([`Regions::keep`]).
    kept: Vec<(String, String)>,
}

impl Regions {
    /// Record the body of region `name` of `file` (a path relative to the repository root).
    /// The body is whole lines; a missing final newline is added.
    pub fn set(&mut self, file: &str, name: &str, body: &str) {
        let mut body = body.to_string();
        if !body.is_empty() && !body.ends_with('\n') {
            body.push('\n');
        }
        let old = self
            .bodies
            .entry(file.to_string())
            .or_default()
            .insert(name.to_string(), body);
        assert!(old.is_none(), "{file}: region `{name}` rendered twice");
    }

    /// Region `name` of `file` is not rendered this time (a tool it needs is missing): it is
    /// neither checked nor rewritten, but it counts as rendered.
    pub fn keep(&mut self, file: &str, name: &str) {
        self.kept.push((file.to_string(), name.to_string()));
    }

    /// Whether region `name` of `file` has been recorded.
    pub fn has(&self, file: &str, name: &str) -> bool {
        self.bodies.get(file).is_some_and(|m| m.contains_key(name))
            || self.kept.iter().any(|(f, n)| f == file && n == name)
    }

    /// Compare every recorded region with its file, or rewrite the files under
    /// [`updating`]. Panics with every stale region and "run `make docs`".
    pub fn finish(self) {
        let root = crate::repo_root();
        let update = updating();
        let mut problems = Vec::new();
        for (file, regions) in &self.bodies {
            let path = root.join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut new = text.clone();
            for (name, body) in regions {
                let range = match body_range(&new, name) {
                    Ok(r) => r,
                    Err(e) => {
                        problems.push(format!("{file}: {e}"));
                        continue;
                    }
                };
                if new[range.clone()] != *body {
                    if !update {
                        problems.push(format!(
                            "{file}: region `{name}` is not what the code gives\n{}",
                            first_difference(&new[range.clone()], body)
                        ));
                    }
                    new.replace_range(range, body);
                }
            }
            if update && new != text {
                let tmp = path.with_extension("md.qrnn-docs-tmp");
                std::fs::write(&tmp, &new).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
                std::fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                eprintln!("updated {file}");
            }
        }
        assert!(
            problems.is_empty(),
            "{}\n\nrun `make docs` to regenerate the figures (QRNN_UPDATE_DOCS=1), then review `git diff docs/ README.md`",
            problems.join("\n\n")
        );
    }
}

/// The first differing line of `committed` and `generated`, and the whole generated body.
fn first_difference(committed: &str, generated: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (committed.lines().collect(), generated.lines().collect());
    let i = (0..a.len().max(b.len()))
        .find(|&i| a.get(i) != b.get(i))
        .unwrap_or(0);
    format!(
        "  first difference, line {} of the region:\n    committed: {}\n    generated: {}\n  the region as generated:\n{}",
        i + 1,
        a.get(i).unwrap_or(&"(none)"),
        b.get(i).unwrap_or(&"(none)"),
        generated
            .lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}
