//! The UCR/UEA `.ts` time-series format (as written by sktime and aeon, and shipped in the sktime
//! wheel), read strictly. docs/DATASETS.md §"The .ts format" states the rules; in short:
//!
//! ```text
//! # comment lines start with '#' (or '%'); blank lines are ignored anywhere
//! @problemName BasicMotions            required
//! @timeStamps false                    required; `true` (timestamped tuples) is rejected
//! @missing false                       optional (default false): may '?' appear in the data?
//! @univariate false                    required
//! @dimensions 6                        optional (`@dimension` too); 1 when univariate
//! @equalLength true                    optional: all series the same length
//! @seriesLength 100                    optional: that length (implies equal length)
//! @classLabel true Standing Running    required unless @targetLabel true: the declared classes
//! @targetLabel true                    a real target per series instead (regression)
//! @data
//! v,v,v,…:v,v,v,…:…:Standing           one series per line: dimensions separated by ':',
//!                                      values by ','; then the label (when labelled)
//! ```
//!
//! Directive names are case-insensitive (`@problemname` occurs), values of the boolean ones are
//! `true`/`false`, and each directive may appear once. Class labels are compared exactly.
//! The dimensions of one series must have the same length (a series is `[T][dims]`); series may
//! differ in length unless `@equalLength true` or `@seriesLength` says otherwise. Missing values
//! (`?`) are rejected unless the header says `@missing true` *and* the caller chose
//! [`Missing::Fill`]; values must be finite numbers.

use super::{file_err, DataError, Dataset, DatasetError, Split, Task};
use std::path::Path;

/// What to do with a `?` (missing value) in a file whose header says `@missing true`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Missing {
    /// Refuse the file, naming the line, dimension and value (the default: none of the sets
    /// shipped with sktime has missing values).
    #[default]
    Reject,
    /// Replace each `?` by this value.
    Fill(f64),
}

/// Reading options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TsOptions {
    /// Missing-value policy.
    pub missing: Missing,
}

/// The header of a `.ts` file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TsHeader {
    /// `@problemName`.
    pub problem_name: String,
    /// `@timeStamps` (always false in a file that was read).
    pub timestamps: bool,
    /// `@missing` (false when absent).
    pub missing: bool,
    /// `@univariate`.
    pub univariate: bool,
    /// `@dimensions` / `@dimension`, if given.
    pub dimensions: Option<usize>,
    /// `@equalLength`, if given.
    pub equal_length: Option<bool>,
    /// `@seriesLength`, if given.
    pub series_length: Option<usize>,
    /// The classes of `@classLabel true …`; `None` for `@classLabel false` or regression.
    pub class_labels: Option<Vec<String>>,
    /// `@targetLabel true`.
    pub target_label: bool,
}

/// A `.ts` file that was read: its header and its series.
#[derive(Debug, Clone, PartialEq)]
pub struct TsFile {
    /// The header.
    pub header: TsHeader,
    /// The series (`[n][T][dims]`), with labels, targets, or none.
    pub dataset: Dataset,
}

/// Read and validate a `.ts` file.
pub fn read_ts(path: &Path, opts: &TsOptions) -> Result<TsFile, DataError> {
    let bytes = std::fs::read(path).map_err(|e| file_err(path, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        file_err(path, format!("line {line}: not UTF-8 text (byte {at})"))
    })?;
    parse_ts(path, &text, opts)
}

/// Read a train and a test file of one problem; the test file's classes must be the train
/// file's (in any order: test labels are renumbered to the train file's order), and both must
/// have the same number of dimensions.
pub fn read_ts_split(train: &Path, test: &Path, opts: &TsOptions) -> Result<Split, DatasetError> {
    let tr = read_ts(train, opts)?;
    let mut te = read_ts(test, opts)?;
    if tr.dataset.dims() != te.dataset.dims() {
        return Err(file_err(
            test,
            format!(
                "series have {} dimensions, the train file {} has {}",
                te.dataset.dims(),
                train.display(),
                tr.dataset.dims()
            ),
        )
        .into());
    }
    match (&tr.dataset.task, &mut te.dataset.task) {
        (
            Task::Classification { classes: a, .. },
            Task::Classification {
                classes: b,
                labels,
            },
        ) => {
            let mut sa = a.clone();
            let mut sb = b.clone();
            sa.sort();
            sb.sort();
            if sa != sb {
                return Err(file_err(
                    test,
                    format!(
                        "@classLabel declares {}, the train file {} declares {}",
                        b.join(" "),
                        train.display(),
                        a.join(" ")
                    ),
                )
                .into());
            }
            for l in labels.iter_mut() {
                *l = a.iter().position(|c| *c == b[*l]).unwrap_or(*l);
            }
            *b = a.clone();
        }
        (Task::Regression { .. }, Task::Regression { .. }) | (Task::Unlabelled, Task::Unlabelled) => {}
        _ => {
            return Err(file_err(
                test,
                format!(
                    "its labels (@classLabel/@targetLabel) are of another kind than the train file {}'s",
                    train.display()
                ),
            )
            .into())
        }
    }
    Ok(Split {
        train: tr.dataset,
        test: te.dataset,
    })
}

/// 1-based character column of byte offset `off` in `line`.
fn column(line: &str, off: usize) -> usize {
    line[..off.min(line.len())].chars().count() + 1
}

fn parse_bool(path: &Path, ln: usize, key: &str, args: &[&str]) -> Result<bool, DataError> {
    match args {
        [v] if v.eq_ignore_ascii_case("true") => Ok(true),
        [v] if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(file_err(
            path,
            format!(
                "line {ln}: @{key} expects one value, true or false, found {:?}",
                args.join(" ")
            ),
        )),
    }
}

fn parse_count(path: &Path, ln: usize, key: &str, args: &[&str]) -> Result<usize, DataError> {
    match args {
        [v] => match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(file_err(
                path,
                format!("line {ln}: @{key} expects a positive integer, found {v:?}"),
            )),
        },
        _ => Err(file_err(
            path,
            format!(
                "line {ln}: @{key} expects one positive integer, found {:?}",
                args.join(" ")
            ),
        )),
    }
}

fn clip(s: &str) -> String {
    let mut c: String = s.chars().take(40).collect();
    if c.len() < s.len() {
        c.push('…');
    }
    c
}

/// Parse the text of a `.ts` file (`path` names it in errors).
pub fn parse_ts(path: &Path, text: &str, opts: &TsOptions) -> Result<TsFile, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut h = TsHeader::default();
    // directive (canonical lowercase name) → line where it was given
    let mut seen: Vec<(&'static str, usize)> = Vec::new();
    let mut data_line: Option<usize> = None;
    let mut class_line = 0;
    let mut expect_dims: Option<usize> = None;
    let mut first_len: Option<(usize, usize)> = None; // (length, line)
    let mut sequences = Vec::new();
    let mut labels = Vec::new();
    let mut targets = Vec::new();
    let labelled = |h: &TsHeader| h.class_labels.is_some() || h.target_label;

    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('%') {
            continue;
        }
        if data_line.is_none() {
            let Some(directive) = line.strip_prefix('@') else {
                return Err(file_err(
                    path,
                    format!(
                        "line {ln}: expected a header directive (@problemName, …, @data) or a comment (#), found {:?}",
                        clip(line)
                    ),
                ));
            };
            let mut toks = directive.split_whitespace();
            let name = toks.next().unwrap_or("");
            let args: Vec<&str> = toks.collect();
            let key: &'static str = match name.to_ascii_lowercase().as_str() {
                "problemname" => "problemName",
                "timestamps" => "timeStamps",
                "missing" => "missing",
                "univariate" => "univariate",
                "dimension" | "dimensions" => "dimensions",
                "equallength" => "equalLength",
                "serieslength" => "seriesLength",
                "classlabel" => "classLabel",
                "targetlabel" => "targetLabel",
                "data" => "data",
                _ => {
                    return Err(file_err(
                        path,
                        format!(
                            "line {ln}: unknown header directive @{name} (known: @problemName @timeStamps @missing @univariate @dimensions @equalLength @seriesLength @classLabel @targetLabel @data)"
                        ),
                    ))
                }
            };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                return Err(file_err(
                    path,
                    format!("line {ln}: @{key} is given twice (first on line {first})"),
                ));
            }
            seen.push((key, ln));
            match key {
                "problemName" => match args.as_slice() {
                    [n] => h.problem_name = (*n).to_string(),
                    _ => {
                        return Err(file_err(
                            path,
                            format!(
                                "line {ln}: @problemName expects one name, found {:?}",
                                args.join(" ")
                            ),
                        ))
                    }
                },
                "timeStamps" => {
                    h.timestamps = parse_bool(path, ln, key, &args)?;
                    if h.timestamps {
                        return Err(file_err(
                            path,
                            format!("line {ln}: @timeStamps true: timestamped (time,value) tuples are not supported; this loader reads equally spaced values (every UCR/UEA set shipped with sktime has @timeStamps false)"),
                        ));
                    }
                }
                "missing" => h.missing = parse_bool(path, ln, key, &args)?,
                "univariate" => h.univariate = parse_bool(path, ln, key, &args)?,
                "dimensions" => h.dimensions = Some(parse_count(path, ln, key, &args)?),
                "equalLength" => h.equal_length = Some(parse_bool(path, ln, key, &args)?),
                "seriesLength" => h.series_length = Some(parse_count(path, ln, key, &args)?),
                "targetLabel" => h.target_label = parse_bool(path, ln, key, &args)?,
                "classLabel" => {
                    let Some((flag, classes)) = args.split_first() else {
                        return Err(file_err(
                            path,
                            format!("line {ln}: @classLabel expects true followed by the class labels, or false"),
                        ));
                    };
                    class_line = ln;
                    if parse_bool(path, ln, key, &[flag])? {
                        if classes.is_empty() {
                            return Err(file_err(
                                path,
                                format!("line {ln}: @classLabel true must be followed by the class labels"),
                            ));
                        }
                        for (j, c) in classes.iter().enumerate() {
                            if classes[..j].contains(c) {
                                return Err(file_err(
                                    path,
                                    format!("line {ln}: class label {c:?} is declared twice in @classLabel"),
                                ));
                            }
                        }
                        h.class_labels = Some(classes.iter().map(|c| c.to_string()).collect());
                    } else if !classes.is_empty() {
                        return Err(file_err(
                            path,
                            format!(
                                "line {ln}: @classLabel false takes no labels, found {:?}",
                                classes.join(" ")
                            ),
                        ));
                    }
                }
                "data" => {
                    if !args.is_empty() {
                        return Err(file_err(
                            path,
                            format!(
                                "line {ln}: @data takes no value, found {:?}",
                                args.join(" ")
                            ),
                        ));
                    }
                    let has = |k: &str| seen.iter().any(|(s, _)| *s == k);
                    let mut missing: Vec<&str> = ["problemName", "timeStamps", "univariate"]
                        .into_iter()
                        .filter(|k| !has(k))
                        .collect();
                    if !has("classLabel") && !has("targetLabel") {
                        missing.push("classLabel (or targetLabel)");
                    }
                    if !missing.is_empty() {
                        return Err(file_err(
                            path,
                            format!(
                                "line {ln}: @data comes before the required header directive(s) @{}",
                                missing.join(", @")
                            ),
                        ));
                    }
                    if h.target_label && h.class_labels.is_some() {
                        return Err(file_err(
                            path,
                            format!("line {ln}: the header has both @classLabel true (line {class_line}) and @targetLabel true: a series has one label"),
                        ));
                    }
                    if h.univariate {
                        if let Some(d) = h.dimensions.filter(|&d| d != 1) {
                            return Err(file_err(
                                path,
                                format!("line {ln}: the header says @univariate true but @dimensions {d}"),
                            ));
                        }
                        expect_dims = Some(1);
                    } else {
                        expect_dims = h.dimensions;
                    }
                    if h.equal_length == Some(false) {
                        if let Some(l) = h.series_length {
                            return Err(file_err(
                                path,
                                format!("line {ln}: the header says @equalLength false but @seriesLength {l}"),
                            ));
                        }
                    }
                    data_line = Some(ln);
                }
                _ => unreachable!("every directive name is matched above"),
            }
            continue;
        }

        // A data row.
        if line.starts_with('@') {
            return Err(file_err(
                path,
                format!(
                    "line {ln}: header directive {:?} after @data (line {})",
                    clip(line),
                    data_line.unwrap_or(0)
                ),
            ));
        }
        let lead = raw.len() - raw.trim_start().len();
        let (body, label) = if labelled(&h) {
            match line.rfind(':') {
                Some(p) => (&line[..p], Some((line[p + 1..].trim(), lead + p + 1))),
                None => {
                    return Err(file_err(
                        path,
                        format!(
                        "line {ln}: expected the series' values, ':' and its label, found no ':'"
                    ),
                    ))
                }
            }
        } else {
            (line, None)
        };
        let mut dims: Vec<Vec<f64>> = Vec::new();
        let mut off = lead;
        for (d, part) in body.split(':').enumerate() {
            let dim_off = off;
            off += part.len() + 1;
            if part.trim().is_empty() {
                return Err(file_err(
                    path,
                    format!(
                        "line {ln}, dimension {} (column {}): no values",
                        d + 1,
                        column(raw, dim_off)
                    ),
                ));
            }
            let mut vals = Vec::new();
            let mut voff = dim_off;
            for (k, tok) in part.split(',').enumerate() {
                let at = voff + (tok.len() - tok.trim_start().len());
                voff += tok.len() + 1;
                let tok = tok.trim();
                let place = || {
                    format!(
                        "line {ln}, dimension {}, value {} (column {})",
                        d + 1,
                        k + 1,
                        column(raw, at)
                    )
                };
                let v = if tok == "?" {
                    if !h.missing {
                        return Err(file_err(
                            path,
                            format!(
                                "{}: '?' (a missing value), but the header does not say @missing true",
                                place()
                            ),
                        ));
                    }
                    match opts.missing {
                        Missing::Reject => {
                            return Err(file_err(
                                path,
                                format!(
                                    "{}: missing value '?': the reader's policy is to reject them (TsOptions {{ missing: Missing::Fill(v) }} replaces them)",
                                    place()
                                ),
                            ))
                        }
                        Missing::Fill(v) => v,
                    }
                } else {
                    match tok.parse::<f64>() {
                        Ok(v) if v.is_finite() => v,
                        Ok(_) => {
                            return Err(file_err(
                                path,
                                format!("{}: {tok:?} is not a finite number", place()),
                            ))
                        }
                        Err(_) => {
                            return Err(file_err(
                                path,
                                format!("{}: {:?} is not a number", place(), clip(tok)),
                            ))
                        }
                    }
                };
                vals.push(v);
            }
            if let Some(first) = dims.first() {
                if vals.len() != first.len() {
                    return Err(file_err(
                        path,
                        format!(
                            "line {ln}: dimension {} has {} values but dimension 1 has {}; the dimensions of one series must have the same length",
                            d + 1,
                            vals.len(),
                            first.len()
                        ),
                    ));
                }
            }
            dims.push(vals);
        }
        let n_dims = dims.len();
        match expect_dims {
            Some(e) if e != n_dims => {
                let why = if h.dimensions.is_some() {
                    "as @dimensions says".to_string()
                } else if h.univariate {
                    "as @univariate true says".to_string()
                } else {
                    format!(
                        "as the first series (line {}) has",
                        first_len.map_or(0, |f| f.1)
                    )
                };
                return Err(file_err(
                    path,
                    format!("line {ln}: {n_dims} dimension(s), expected {e} {why}"),
                ));
            }
            Some(_) => {}
            None => expect_dims = Some(n_dims),
        }
        let t_len = dims[0].len();
        if let Some(l) = h.series_length.filter(|&l| l != t_len) {
            return Err(file_err(
                path,
                format!("line {ln}: the series has {t_len} values per dimension, the header says @seriesLength {l}"),
            ));
        }
        match first_len {
            None => first_len = Some((t_len, ln)),
            Some((l0, line0)) if h.equal_length == Some(true) && l0 != t_len => {
                return Err(file_err(
                    path,
                    format!("line {ln}: the series has {t_len} values per dimension, the first series (line {line0}) {l0}, but the header says @equalLength true"),
                ));
            }
            Some(_) => {}
        }
        sequences.push(
            (0..t_len)
                .map(|t| dims.iter().map(|dv| dv[t]).collect::<Vec<f64>>())
                .collect::<Vec<_>>(),
        );
        if let Some((lab, at)) = label {
            if lab.is_empty() {
                return Err(file_err(
                    path,
                    format!(
                        "line {ln}, column {}: no label after the last ':'",
                        column(raw, at)
                    ),
                ));
            }
            if let Some(classes) = &h.class_labels {
                match classes.iter().position(|c| c == lab) {
                    Some(k) => labels.push(k),
                    None => {
                        return Err(file_err(
                            path,
                            format!(
                                "line {ln}, column {}: class label {:?} is not declared by @classLabel (line {class_line}): expected one of {}",
                                column(raw, at),
                                clip(lab),
                                classes.join(" ")
                            ),
                        ))
                    }
                }
            } else {
                match lab.parse::<f64>() {
                    Ok(v) if v.is_finite() => targets.push(v),
                    _ => {
                        return Err(file_err(
                            path,
                            format!(
                                "line {ln}, column {}: target {:?} is not a finite number (@targetLabel true)",
                                column(raw, at),
                                clip(lab)
                            ),
                        ))
                    }
                }
            }
        }
    }

    let Some(dl) = data_line else {
        return Err(file_err(
            path,
            format!(
                "no @data line: the header must end with @data, followed by one series per line ({} lines read)",
                text.lines().count()
            ),
        ));
    };
    if sequences.is_empty() {
        return Err(file_err(path, format!("no series after @data (line {dl})")));
    }
    let task = match (&h.class_labels, h.target_label) {
        (Some(classes), _) => Task::Classification {
            labels,
            classes: classes.clone(),
        },
        (None, true) => Task::Regression { targets },
        (None, false) => Task::Unlabelled,
    };
    if h.dimensions.is_none() {
        h.dimensions = expect_dims;
    }
    let name = h.problem_name.clone();
    Ok(TsFile {
        header: h,
        dataset: Dataset {
            name,
            sequences,
            task,
            source: path.display().to_string(),
        },
    })
}
