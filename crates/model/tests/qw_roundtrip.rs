//! Round trips of the `.qw` format and its text twin (docs/QW_FORMAT.md): every cell, every weight
//! scheme, with and without a head, 1–3 layers, odd sizes, binary and fixed activations, per-row
//! multipliers, random formats and random provenance; plus atomic save/load.

use proptest::prelude::*;
use qrnn_model::example::{example, ExampleSpec, Formats};
use qrnn_model::name::{legalise, legalise_label, legalise_notes};
use qrnn_model::qw::{from_bytes, from_bytes_to_rename, model_hash, to_bytes, to_text};
use qrnn_model::{ActFmt, Cell, FileError, Fmt, Model, QwError, Scheme};
use std::collections::BTreeMap;

const SIZES: [usize; 3] = [1, 3, 17];
const SCHEMES: [Scheme; 5] = [
    Scheme::Binary,
    Scheme::Ternary,
    Scheme::Quaternary,
    Scheme::Int(8),
    Scheme::Int(4),
];
const CELLS: [Cell; 3] = [Cell::Lstm, Cell::Gru, Cell::ConvLstm];

fn fmt(width: u32, frac: i32) -> Fmt {
    Fmt::new(width, frac).expect("test formats are within the limits of §1")
}

/// An activation format: binary, or fixed with a width and fraction that keep every interval of
/// the example models well inside 62 bits.
fn act_fmt() -> impl Strategy<Value = ActFmt> {
    prop_oneof![
        1 => Just(ActFmt::Binary),
        3 => (2u32..=16, -4i32..=12).prop_map(|(w, f)| ActFmt::Fixed(fmt(w, f))),
    ]
}

fn formats() -> impl Strategy<Value = Formats> {
    (
        act_fmt(),
        act_fmt(),
        (2u32..=32, 0i32..=20),
        (2u32..=12, 0i32..=10),
        1u32..=14,
        (1u32..=24, -4i32..=16),
        (2u32..=32, -4i32..=16),
    )
        .prop_map(|(x, h, c, pre, act_frac, bias, out)| Formats {
            x,
            h,
            c: fmt(c.0, c.1),
            pre: fmt(pre.0, pre.1),
            act_frac,
            bias: fmt(bias.0, bias.1),
            out: fmt(out.0, out.1),
        })
}

fn spec() -> impl Strategy<Value = ExampleSpec> {
    (
        prop::sample::select(CELLS.to_vec()),
        prop::sample::select(SCHEMES.to_vec()),
        prop::sample::select(SIZES.to_vec()),
        prop::collection::vec(prop::sample::select(SIZES.to_vec()), 1..=3),
        prop::option::of(prop::sample::select(SIZES.to_vec())),
        prop::sample::select(vec![1usize, 3]),
        (1usize..=3, 1usize..=3),
        formats(),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(cell, scheme, input, hidden, head, kernel, map, formats, per_row_mult, seed)| {
                ExampleSpec {
                    cell,
                    scheme,
                    input,
                    hidden,
                    head,
                    kernel,
                    map: (cell == Cell::ConvLstm).then_some(map),
                    formats,
                    per_row_mult,
                    seed,
                }
            },
        )
}

/// Provenance strings of any characters (printable and control), finite metrics: the raw material
/// of [`provenance_edit`] (made valid) and of `names_outside_the_rule_are_refused_by_every_reader`.
fn raw_provenance() -> impl Strategy<
    Value = (
        String,
        Option<String>,
        Option<String>,
        BTreeMap<String, f64>,
    ),
> {
    (
        ".{0,12}",
        prop::option::of(".{0,8}"),
        prop::option::of("(.|\n|\r|\t|'|\"|\\\\){0,24}"),
        prop::collection::btree_map(
            "[a-z_]{1,10}|.{1,4}",
            prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL,
            0..4,
        ),
    )
}

/// Provenance within the naming rule (docs/QW_FORMAT.md §3.1): arbitrary strings made valid.
fn provenance_edit() -> impl Strategy<
    Value = (
        String,
        Option<String>,
        Option<String>,
        BTreeMap<String, f64>,
    ),
> {
    raw_provenance().prop_map(|(name, dataset, notes, metrics)| {
        (
            legalise(&name),
            dataset.map(|d| legalise_label(&d)),
            notes.map(|n| legalise_notes(&n)),
            metrics
                .into_iter()
                .map(|(k, v)| (legalise(&k), v))
                .collect(),
        )
    })
}

fn check_round_trip(m: &Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(m.validate(), Ok(()));
    let bytes = to_bytes(m);
    prop_assert_eq!(&to_bytes(m), &bytes, "to_bytes must be deterministic");
    let back = from_bytes(&bytes).map_err(|e| TestCaseError::fail(format!("binary: {e}")))?;
    prop_assert_eq!(&back, m);
    prop_assert_eq!(to_bytes(&back), bytes.clone(), "re-encoding is canonical");
    let text = to_text(m);
    prop_assert_eq!(&to_text(m), &text, "to_text must be deterministic");
    let back_t = from_bytes(text.as_bytes())
        .map_err(|e| TestCaseError::fail(format!("text: {e}\n{text}")))?;
    prop_assert_eq!(&back_t, m);
    let h = model_hash(m);
    prop_assert_eq!(h.len(), 64);
    prop_assert_eq!(model_hash(&back), h.clone());
    prop_assert_eq!(model_hash(&back_t), h.clone());
    prop_assert_eq!(m.hash(), h.clone());
    // The hash is the checksum stored in the canonical file.
    let stored: String = bytes[bytes.len() - 32..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    prop_assert_eq!(stored, h);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_example_round_trips(spec in spec()) {
        let m = example(&spec);
        check_round_trip(&m)?;
    }

    #[test]
    fn provenance_round_trips(spec in spec(), (name, dataset, notes, metrics) in provenance_edit(), task in prop::option::of("classification|regression|frames"), epochs in prop::option::of(any::<u32>()), seed in prop::option::of(0..=i64::MAX as u64)) {
        let mut m = example(&spec);
        m.name = name;
        m.provenance.dataset = dataset;
        m.provenance.notes = notes;
        m.provenance.metrics = metrics;
        m.provenance.task = task;
        m.provenance.epochs = epochs;
        m.provenance.seed = seed;
        check_round_trip(&m)?;
    }

    /// Arbitrary names and provenance text: a model within the rule round-trips; one outside it is
    /// refused by validation and by both readers with a `Name` error naming the field, and read
    /// back unchanged only by the lenient reader of `qrnn-hw convert --name`.
    #[test]
    fn names_outside_the_rule_are_refused_by_every_reader(spec in spec(), (name, dataset, notes, metrics) in raw_provenance()) {
        let mut m = example(&spec);
        m.name = name;
        m.provenance.dataset = dataset;
        m.provenance.notes = notes;
        m.provenance.metrics = metrics;
        match m.check_names() {
            Ok(()) => check_round_trip(&m)?,
            Err(e) => {
                let is_name = |e: &QwError| matches!(e, QwError::Name { field, .. } if ["name", "provenance.dataset", "provenance.notes", "provenance.metrics"].contains(&field.as_str()));
                prop_assert!(is_name(&e), "{e:?}");
                prop_assert_eq!(m.validate(), Err(e.clone()));
                prop_assert_eq!(from_bytes(&to_bytes(&m)), Err(e.clone()));
                prop_assert_eq!(from_bytes(to_text(&m).as_bytes()), Err(e.clone()));
                prop_assert_eq!(from_bytes_to_rename(&to_bytes(&m)), Ok(m.clone()));
                prop_assert_eq!(from_bytes_to_rename(to_text(&m).as_bytes()), Ok(m.clone()));
                // Repaired as `convert --name` does, it is valid.
                m.name = legalise(&m.name);
                m.provenance.legalise();
                prop_assert_eq!(m.validate(), Ok(()));
            }
        }
    }
}

/// Every (cell, scheme) pair at least once, deterministically, with a head and per-row multipliers.
#[test]
fn every_cell_and_scheme_at_least_once() {
    for cell in CELLS {
        for scheme in SCHEMES {
            for (head, per_row) in [(None, false), (Some(3), true)] {
                let mut s = ExampleSpec::new(cell, scheme, 3, 17, 11);
                s.hidden = vec![3, 17];
                s.head = head;
                s.per_row_mult = per_row;
                let m = example(&s);
                check_round_trip(&m).unwrap_or_else(|e| panic!("{cell} {scheme}: {e}"));
            }
        }
    }
}

#[test]
fn model_hash_distinguishes_models() {
    let a = example(&ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 3, 1));
    let b = example(&ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 3, 2));
    assert_ne!(model_hash(&a), model_hash(&b));
    let mut c = a.clone();
    c.provenance.notes = Some("other".into());
    assert_ne!(
        model_hash(&a),
        model_hash(&c),
        "provenance is covered by the hash"
    );
}

// ---------------------------------------------------------------- save / load

fn tiny() -> Model {
    let mut s = ExampleSpec::new(Cell::Gru, Scheme::Quaternary, 3, 3, 5);
    s.head = Some(1);
    example(&s)
}

#[test]
fn save_and_load_binary_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let m = tiny();
    for name in ["m.qw", "m.qw.toml"] {
        let p = dir.path().join(name);
        m.save(&p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        if name.ends_with(".toml") {
            assert!(
                bytes.starts_with(b"# qrnn-hw text model"),
                "{name} is the text twin"
            );
            assert_eq!(bytes, to_text(&m).into_bytes());
        } else {
            assert_eq!(bytes, to_bytes(&m), "{name} is the canonical binary");
        }
        assert_eq!(Model::load(&p).unwrap(), m);
        // saving again over an existing file works and gives the same bytes
        m.save(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), bytes);
    }
    // No temporary files are left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["m.qw", "m.qw.toml"]);
}

#[test]
fn saving_an_invalid_model_fails_and_leaves_the_existing_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let good = tiny();
    let mut bad = good.clone();
    bad.layers[0].act_frac = 0;
    for name in ["m.qw", "m.qw.toml"] {
        let p = dir.path().join(name);
        good.save(&p).unwrap();
        let before = std::fs::read(&p).unwrap();
        let err = bad.save(&p).unwrap_err();
        match &err {
            FileError::Model {
                path,
                error: QwError::Field { field, .. },
            } => {
                assert_eq!(path, &p);
                assert_eq!(field, "layer[0].act_frac");
            }
            other => panic!("expected a Field error, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains(name) && msg.contains("layer[0].act_frac"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read(&p).unwrap(),
            before,
            "{name} must be untouched"
        );
        assert_eq!(Model::load(&p).unwrap(), good);
    }
    // A fresh path is not created either.
    let fresh = dir.path().join("new.qw");
    assert!(bad.save(&fresh).is_err());
    assert!(!fresh.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary file is left"
    );
}

#[test]
fn save_into_a_missing_directory_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("no/such/dir/m.qw");
    let err = tiny().save(&p).unwrap_err();
    assert!(matches!(err, FileError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("no/such/dir/m.qw"), "{err}");
    let err = Model::load(&p).unwrap_err();
    assert!(
        matches!(err, FileError::Io { action: "read", .. }),
        "{err:?}"
    );
}

#[test]
fn load_reports_the_path_and_the_model_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junk.qw");
    std::fs::write(&p, b"PK\x03\x04 not a model").unwrap();
    let err = Model::load(&p).unwrap_err();
    assert!(
        matches!(err.model_error(), Some(QwError::Magic { .. })),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("junk.qw") && msg.contains("bytes 0..8"),
        "{msg}"
    );
}

// ---------------------------------------------------------------- docs/QW_FORMAT.md §8

/// The contents of the fenced block that follows `<!-- tiny-example:{marker} -->`.
fn doc_block(doc: &str, marker: &str) -> String {
    let tag = format!("<!-- tiny-example:{marker} -->\n");
    let start = doc
        .find(&tag)
        .unwrap_or_else(|| panic!("docs/QW_FORMAT.md has no {tag:?}"))
        + tag.len();
    let body = &doc[start..];
    let open = body.find('\n').expect("a fence line") + 1;
    let body = &body[open..];
    let close = body.find("\n```\n").expect("a closing fence");
    format!("{}\n", &body[..close])
}

/// The tiny example of docs/QW_FORMAT.md §8 is the writer's real output.
#[test]
fn the_tiny_example_in_qw_format_md_is_real() {
    let mut s = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 2, 1, 7);
    s.head = Some(1);
    s.formats.pre = fmt(3, 1);
    s.formats.act_frac = 2;
    let m = example(&s);
    let bytes = to_bytes(&m);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/QW_FORMAT.md");
    let doc = std::fs::read_to_string(&path).expect("docs/QW_FORMAT.md");
    let hex: Vec<String> = bytes[..24].iter().map(|b| format!("{b:02X}")).collect();
    let hint = "regenerate the block in docs/QW_FORMAT.md §8 from the writer's output";
    assert_eq!(doc_block(&doc, "preamble").trim(), hex.join(" "), "{hint}");
    let (header, payload) = {
        let n = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        (
            std::str::from_utf8(&bytes[24..24 + n]).unwrap().to_string(),
            bytes[24 + n..bytes.len() - 32].to_vec(),
        )
    };
    assert_eq!(doc_block(&doc, "header"), header, "{hint}");
    assert_eq!(doc_block(&doc, "hash").trim(), model_hash(&m), "{hint}");
    assert_eq!(doc_block(&doc, "text"), to_text(&m), "{hint}");
    // the facts quoted in the prose
    assert_eq!((header.len(), payload.len(), bytes.len()), (1113, 46, 1215));
    assert_eq!(&payload[..3], &[0x1C, 0xCC, 0x73]);
    assert_eq!(from_bytes(doc_block(&doc, "text").as_bytes()).unwrap(), m);
}
