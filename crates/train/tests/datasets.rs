//! Data set loaders: the `.ts` parser on small inline files (every directive, every rejection),
//! digit images from a gzip file made here, the moving-digits generator against an independent
//! reference of its documented algorithm, the aclImdb layout on a temporary tree, the Rotten
//! Tomatoes CSV, and the real installed files (skipped with a message when
//! `scripts/setup-data.sh` has not run, a failure under `QRNN_REQUIRE_DATA=1`).

use qrnn_train::datasets::digits::{
    moving_digits, parse_digit_csv, read_sklearn_digits, DigitImages, MovingDigitsConfig,
};
use qrnn_train::datasets::text::{
    parse_rotten_tomatoes, read_aclimdb, read_rotten_tomatoes, tokenize, Pad, SeqPolicy, Truncate,
    Vocab, PAD, UNK,
};
use qrnn_train::datasets::ts::{parse_ts, read_ts, read_ts_split, Missing, TsOptions};
use qrnn_train::datasets::{
    z_normalize_series, DataDir, Dataset, DatasetError, Standardizer, Task,
};
use std::io::Write;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// .ts format

fn ts(text: &str) -> Result<qrnn_train::datasets::ts::TsFile, String> {
    parse_ts(Path::new("x/t.ts"), text, &TsOptions::default()).map_err(|e| e.to_string())
}

fn ts_with(text: &str, missing: Missing) -> Result<qrnn_train::datasets::ts::TsFile, String> {
    parse_ts(Path::new("x/t.ts"), text, &TsOptions { missing }).map_err(|e| e.to_string())
}

/// Parse must fail, naming the file and containing every fragment.
#[track_caller]
fn ts_err(text: &str, fragments: &[&str]) {
    let e = match ts(text) {
        Ok(f) => panic!("accepted: {:?}\n---\n{text}", f.header),
        Err(e) => e,
    };
    assert!(e.starts_with("x/t.ts: "), "no file name in {e:?}");
    for f in fragments {
        assert!(e.contains(f), "{e:?} lacks {f:?}");
    }
}

const UNI: &str =
    "@problemName P\n@timeStamps false\n@univariate true\n@classLabel true a b\n@data\n";

#[test]
fn ts_every_directive_multivariate_equal_length() {
    let text = "\u{feff}# comment\r\n% another comment\r\n\r\n\
        @ProblemName Demo\r\n@TIMESTAMPS false\r\n@missing true\r\n@univariate false\r\n\
        @dimension 2\r\n@equalLength true\r\n@seriesLength 3\r\n@classLabel true a b c\r\n@data\r\n\
        1,2,3:4,5,6:b\r\n\r\n# comment between rows\r\n 7, 8 ,?:10,11,12 : c \r\n";
    let f = ts_with(text, Missing::Fill(-1.0)).unwrap();
    let h = &f.header;
    assert_eq!(h.problem_name, "Demo");
    assert!(!h.timestamps && h.missing && !h.univariate && !h.target_label);
    assert_eq!(h.dimensions, Some(2));
    assert_eq!(h.equal_length, Some(true));
    assert_eq!(h.series_length, Some(3));
    assert_eq!(
        h.class_labels.as_deref(),
        Some(&["a".to_string(), "b".into(), "c".into()][..])
    );
    let d = &f.dataset;
    assert_eq!(d.name, "Demo");
    assert_eq!(d.source, "x/t.ts");
    // [T][dims]: timestep t holds (dim1[t], dim2[t]).
    assert_eq!(
        d.sequences,
        vec![
            vec![vec![1.0, 4.0], vec![2.0, 5.0], vec![3.0, 6.0]],
            vec![vec![7.0, 10.0], vec![8.0, 11.0], vec![-1.0, 12.0]],
        ]
    );
    assert_eq!(d.labels(), Some(&[1usize, 2][..]));
    assert_eq!(d.classes(), ["a", "b", "c"]);
    assert_eq!(d.class_counts(), vec![0, 1, 1]);
    assert_eq!(d.dims(), 2);
    d.validate().unwrap();
}

#[test]
fn ts_unequal_lengths_kept_and_dimensions_inferred() {
    let text = "@problemName U\n@timeStamps false\n@univariate false\n@equalLength false\n\
        @classLabel true x y\n@data\n1,2:3,4:x\n5,6,7,8:1,1,1,1:y\n9:9:x\n";
    let f = ts(text).unwrap();
    assert_eq!(f.header.dimensions, Some(2), "inferred from the first row");
    let lens: Vec<usize> = f.dataset.sequences.iter().map(Vec::len).collect();
    assert_eq!(lens, vec![2, 4, 1]);
    assert_eq!(f.dataset.length_range(), (1, 4));
    assert_eq!(f.dataset.sequences[1][3], vec![8.0, 1.0]);
}

#[test]
fn ts_regression_and_unlabelled() {
    let f = ts("@problemName R\n@timeStamps false\n@univariate true\n@targetLabel true\n@data\n1,2,3:0.5\n4,5,6:-2e1\n").unwrap();
    assert_eq!(
        f.dataset.task,
        Task::Regression {
            targets: vec![0.5, -20.0]
        }
    );
    assert!(
        f.dataset.to_eval().is_err(),
        "scalar targets have no eval form"
    );
    let f = ts("@problemName N\n@timeStamps false\n@univariate true\n@classLabel false\n@data\n1,2,3\n4,5\n").unwrap();
    assert_eq!(f.dataset.task, Task::Unlabelled);
    assert_eq!(f.dataset.sequences[1], vec![vec![4.0], vec![5.0]]);
}

#[test]
fn ts_missing_values_follow_header_and_policy() {
    let h = "@problemName M\n@timeStamps false\n@missing true\n@univariate true\n@classLabel true a\n@data\n";
    let f = ts_with(&format!("{h}1,?,3:a\n"), Missing::Fill(0.25)).unwrap();
    assert_eq!(
        f.dataset.sequences[0],
        vec![vec![1.0], vec![0.25], vec![3.0]]
    );
    let e = ts_with(&format!("{h}1,?,3:a\n"), Missing::Reject).unwrap_err();
    assert!(
        e.contains("line 7, dimension 1, value 2 (column 3): missing value '?'"),
        "{e}"
    );
    ts_err(
        &format!("{UNI}1, ?,3:a\n"),
        &[
            "line 6, dimension 1, value 2 (column 4)",
            "does not say @missing true",
        ],
    );
    ts_err(
        &format!("{}?:b\n", UNI.replace("@data\n", "@missing false\n@data\n")),
        &["line 7, dimension 1, value 1 (column 1): '?' (a missing value)"],
    );
}

#[test]
fn ts_rejects_bad_headers() {
    ts_err(
        "this is not a header\n@data\n",
        &[
            "line 1: expected a header directive",
            "\"this is not a header\"",
        ],
    );
    ts_err(
        "@problemName P\n@frobnicate yes\n",
        &["line 2: unknown header directive @frobnicate"],
    );
    ts_err(
        "@problemName P\n@problemname Q\n",
        &["line 2: @problemName is given twice (first on line 1)"],
    );
    ts_err(
        "@problemName P\n@dimension 2\n@dimensions 2\n",
        &["line 3: @dimensions is given twice"],
    );
    ts_err("@problemName\n", &["line 1: @problemName expects one name"]);
    ts_err(
        "@univariate yes\n",
        &["line 1: @univariate expects one value, true or false, found \"yes\""],
    );
    ts_err("@missing\n", &["line 1: @missing expects one value"]);
    ts_err(
        "@equalLength true false\n",
        &["line 1: @equalLength expects one value"],
    );
    ts_err(
        "@dimensions 0\n",
        &["line 1: @dimensions expects a positive integer, found \"0\""],
    );
    ts_err(
        "@seriesLength abc\n",
        &["line 1: @seriesLength expects a positive integer"],
    );
    ts_err(
        "@seriesLength\n",
        &["line 1: @seriesLength expects one positive integer"],
    );
    ts_err(
        "@classLabel true\n",
        &["line 1: @classLabel true must be followed by the class labels"],
    );
    ts_err("@classLabel\n", &["line 1: @classLabel expects true"]);
    ts_err(
        "@classLabel maybe a\n",
        &["line 1: @classLabel expects one value, true or false"],
    );
    ts_err(
        "@classLabel true a b a\n",
        &["line 1: class label \"a\" is declared twice"],
    );
    ts_err(
        "@classLabel false a\n",
        &["line 1: @classLabel false takes no labels"],
    );
    ts_err(
        "@timeStamps true\n",
        &["line 1: @timeStamps true", "not supported"],
    );
    ts_err(
        &UNI.replace("@data\n", "@data now\n"),
        &["line 5: @data takes no value"],
    );
    ts_err(
        "@problemName P\n@classLabel true a\n@data\n1:a\n",
        &["line 3: @data comes before the required header directive(s) @timeStamps, @univariate"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate true\n@data\n1\n",
        &["line 4:", "@classLabel (or targetLabel)"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate true\n@classLabel true a\n@targetLabel true\n@data\n",
        &["line 6: the header has both @classLabel true (line 4) and @targetLabel true"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate true\n@dimensions 3\n@classLabel true a\n@data\n",
        &["line 6: the header says @univariate true but @dimensions 3"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate true\n@equalLength false\n@seriesLength 4\n@classLabel true a\n@data\n",
        &["line 7: the header says @equalLength false but @seriesLength 4"],
    );
}

#[test]
fn ts_rejects_missing_data_section() {
    ts_err(
        "# only a comment\n@problemName P\n@timeStamps false\n",
        &["no @data line", "(3 lines read)"],
    );
    ts_err("", &["no @data line"]);
    ts_err(UNI, &["no series after @data (line 5)"]);
    ts_err(
        &format!("{UNI}\n# nothing\n"),
        &["no series after @data (line 5)"],
    );
}

#[test]
fn ts_rejects_bad_rows() {
    // wrong dimension count: declared, univariate, inferred
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate false\n@dimensions 2\n@classLabel true a\n@data\n1,2:3,4:a\n1,2:a\n",
        &["line 8: 1 dimension(s), expected 2 as @dimensions says"],
    );
    ts_err(
        &format!("{UNI}1,2:3,4:a\n"),
        &["line 6: 2 dimension(s), expected 1 as @univariate true says"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate false\n@classLabel true a\n@data\n1:2:3:a\n\n1:2:a\n",
        &["line 8: 2 dimension(s), expected 3 as the first series (line 6) has"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate false\n@classLabel true a\n@data\n1,2:3:a\n",
        &["line 6: dimension 2 has 1 values but dimension 1 has 2"],
    );
    ts_err(
        &format!("{UNI}1,2,x3:a\n"),
        &["line 6, dimension 1, value 3 (column 5): \"x3\" is not a number"],
    );
    ts_err(
        &format!("{UNI}1,,3:a\n"),
        &["line 6, dimension 1, value 2 (column 3): \"\" is not a number"],
    );
    ts_err(
        &format!("{UNI}1,NaN:a\n"),
        &["line 6, dimension 1, value 2 (column 3): \"NaN\" is not a finite number"],
    );
    ts_err(&format!("{UNI}inf:a\n"), &["is not a finite number"]);
    ts_err(&format!("{UNI}1,2:c\n"), &["line 6, column 5: class label \"c\" is not declared by @classLabel (line 4): expected one of a b"]);
    ts_err(
        &format!("{UNI}1,2:A\n"),
        &["class label \"A\" is not declared"],
    );
    ts_err(
        &format!("{UNI}1,2,3\n"),
        &["line 6: expected the series' values, ':' and its label, found no ':'"],
    );
    ts_err(
        &format!("{UNI}1,2,3:\n"),
        &["line 6, column 7: no label after the last ':'"],
    );
    ts_err(
        &format!("{UNI}:a\n"),
        &["line 6, dimension 1 (column 1): no values"],
    );
    ts_err(
        &format!("{UNI}1,2:a\n@data\n"),
        &["line 7: header directive \"@data\" after @data (line 5)"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate true\n@seriesLength 3\n@classLabel true a\n@data\n1,2,3:a\n1,2:a\n",
        &["line 8: the series has 2 values per dimension, the header says @seriesLength 3"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate true\n@equalLength true\n@classLabel true a\n@data\n1,2,3:a\n\n1,2:a\n",
        &["line 9: the series has 2 values per dimension, the first series (line 7) 3, but the header says @equalLength true"],
    );
    ts_err(
        "@problemName P\n@timeStamps false\n@univariate true\n@targetLabel true\n@data\n1,2:high\n",
        &["line 6, column 5: target \"high\" is not a finite number"],
    );
}

#[test]
fn ts_file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("Bad_TRAIN.ts");
    std::fs::write(&p, b"@problemName P\n@timeStamps false\n\xff\xfe\n").unwrap();
    let e = read_ts(&p, &TsOptions::default()).unwrap_err().to_string();
    assert!(e.contains("Bad_TRAIN.ts: line 3: not UTF-8 text"), "{e}");
    let e = read_ts(&dir.path().join("absent.ts"), &TsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("absent.ts: cannot read"), "{e}");
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn ts_split_renumbers_test_classes_and_checks_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let tr = dir.path().join("tr.ts");
    let te = dir.path().join("te.ts");
    write(&tr, "@problemName S\n@timeStamps false\n@univariate true\n@classLabel true a b\n@data\n1:a\n2:b\n");
    write(&te, "@problemName S\n@timeStamps false\n@univariate true\n@classLabel true b a\n@data\n3:a\n4:b\n");
    let s = read_ts_split(&tr, &te, &TsOptions::default()).unwrap();
    assert_eq!(s.test.labels(), Some(&[0usize, 1][..]));
    assert_eq!(s.test.classes(), ["a", "b"]);
    write(
        &te,
        "@problemName S\n@timeStamps false\n@univariate true\n@classLabel true a c\n@data\n3:a\n",
    );
    let e = read_ts_split(&tr, &te, &TsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("te.ts: @classLabel declares a c, the train file"),
        "{e}"
    );
    write(&te, "@problemName S\n@timeStamps false\n@univariate false\n@classLabel true a b\n@data\n3:3:a\n");
    let e = read_ts_split(&tr, &te, &TsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("te.ts: series have 2 dimensions"), "{e}");
    write(
        &te,
        "@problemName S\n@timeStamps false\n@univariate true\n@targetLabel true\n@data\n3:1\n",
    );
    let e = read_ts_split(&tr, &te, &TsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("of another kind"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Data directory

#[test]
fn data_dir_paths_and_missing_sets() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Default layout, nothing installed.
    let dd = DataDir::at(root).unwrap();
    let e = dd.load_digits().unwrap_err();
    assert!(matches!(e, DatasetError::NotInstalled { .. }));
    let report = format!("{:?}", miette::Report::new(e));
    assert!(
        report.contains("digits (scikit-learn) is not installed"),
        "{report}"
    );
    assert!(report.contains("scripts/setup-data.sh"), "{report}");
    let e = dd.load_ucr("GunPoint", &TsOptions::default()).unwrap_err();
    assert!(matches!(e, DatasetError::NotInstalled { .. }), "{e}");
    assert!(dd.installed().is_empty());

    // paths.env with a custom UCR directory.
    write(
        &root.join("paths.env"),
        "# c\nUCR_DIR=mine/ucr\nWHEELS=x==1\n",
    );
    let ucr = root.join("mine/ucr/Tiny");
    write(&ucr.join("Tiny_TRAIN.ts"), "@problemName Tiny\n@timeStamps false\n@univariate true\n@classLabel true 0 1\n@data\n1,2:0\n3,4:1\n");
    write(&ucr.join("Tiny_TEST.ts"), "@problemName Tiny\n@timeStamps false\n@univariate true\n@classLabel true 0 1\n@data\n5,6:1\n");
    let dd = DataDir::at(root).unwrap();
    assert_eq!(dd.entry("WHEELS"), Some("x==1"));
    assert_eq!(dd.ucr_names(), vec!["Tiny".to_string()]);
    let s = dd.load_ucr("Tiny", &TsOptions::default()).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (2, 1));
    let e = dd
        .load_ucr("Nope", &TsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no UCR/UEA set \"Nope\"") && e.contains("installed are Tiny"),
        "{e}"
    );
    let inst = dd.installed();
    assert_eq!(inst.len(), 1);
    assert_eq!(inst[0].name, "Tiny");
    assert!(inst[0].bytes > 100);

    write(&root.join("paths.env"), "UCR_DIR=a\nthis line is wrong\n");
    let e = DataDir::at(root).unwrap_err().to_string();
    assert!(e.contains("paths.env: line 2: expected KEY=value"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Standardisation and conversions

fn tiny(seqs: Vec<Vec<Vec<f64>>>) -> Dataset {
    let n = seqs.len();
    Dataset {
        name: "t".into(),
        sequences: seqs,
        task: Task::Classification {
            labels: vec![0; n],
            classes: vec!["c".into()],
        },
        source: "test".into(),
    }
}

#[test]
fn standardisation() {
    let mut d = tiny(vec![
        vec![vec![1.0, 5.0], vec![3.0, 5.0]],
        vec![vec![2.0, 5.0], vec![6.0, 5.0], vec![8.0, 5.0]],
    ]);
    let mut z = d.clone();
    z_normalize_series(&mut z);
    // series 0, dim 0: mean 2, population std 1 → -1, 1; constant dim → 0.
    assert_eq!(z.sequences[0], vec![vec![-1.0, 0.0], vec![1.0, 0.0]]);
    let s1: Vec<f64> = z.sequences[1].iter().map(|t| t[0]).collect();
    let m = s1.iter().sum::<f64>() / 3.0;
    let v = s1.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 3.0;
    assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12);

    let st = Standardizer::fit(&d);
    // dim 0 over all 5 timesteps: 1,3,2,6,8 → mean 4, var (9+1+4+4+16)/5 = 6.8.
    assert_eq!(st.mean, vec![4.0, 5.0]);
    assert!((st.std[0] - 6.8f64.sqrt()).abs() < 1e-12);
    assert_eq!(st.std[1], 1.0, "a constant dimension is only centred");
    st.apply(&mut d);
    assert_eq!(d.sequences[0][0][1], 0.0);
    assert!((d.sequences[1][2][0] - 4.0 / 6.8f64.sqrt()).abs() < 1e-12);
}

#[test]
fn validate_and_eval_form() {
    let d = tiny(vec![vec![vec![1.0]], vec![vec![2.0], vec![3.0]]]);
    d.validate().unwrap();
    let e = d.to_eval().unwrap();
    assert_eq!(e.labels, Some(vec![0, 0]));
    let mut bad = d.clone();
    bad.sequences[1][1].push(0.0);
    assert!(bad
        .validate()
        .unwrap_err()
        .contains("sequences[1][1] has 2 values, expected 1"));
    let mut bad = d.clone();
    bad.task = Task::Classification {
        labels: vec![0, 3],
        classes: vec!["c".into()],
    };
    assert!(bad.validate().unwrap_err().contains("labels[1] = 3"));
    let mut bad = d;
    bad.sequences[0][0][0] = f64::NAN;
    assert!(bad.validate().unwrap_err().contains("not finite"));
}

// ---------------------------------------------------------------------------------------------
// Digits

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn digits_csv_gz() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("digits.csv.gz");
    let row = |v: u32, label: u32| {
        let mut f: Vec<String> = (0..64).map(|i| ((i + v) % 17).to_string()).collect();
        f.push(label.to_string());
        f.join(",")
    };
    std::fs::write(
        &p,
        gz(format!("{}\n\n{}\n", row(0, 3), row(5, 9)).as_bytes()),
    )
    .unwrap();
    let d = read_sklearn_digits(&p).unwrap();
    assert_eq!((d.len(), d.side, d.name.as_str()), (2, 8, "digits"));
    assert_eq!(d.labels, vec![3, 9]);
    assert_eq!(d.images[0][16], 16.0 / 16.0);
    assert_eq!(d.images[1][0], 5.0 / 16.0);
    let rows = d.to_row_sequences();
    assert_eq!(
        (rows.len(), rows.length_range(), rows.dims()),
        (2, (8, 8), 8)
    );
    assert_eq!(
        rows.sequences[1][0][..3],
        [5.0 / 16.0, 6.0 / 16.0, 7.0 / 16.0]
    );
    rows.validate().unwrap();
    let (tr, te) = d.split_at(1);
    assert_eq!((tr.labels.clone(), te.labels.clone()), (vec![3], vec![9]));

    let bad = |text: &str, frag: &str| {
        let e = parse_digit_csv(Path::new("d.csv"), text, 2, 16.0, "t")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("d.csv: ") && e.contains(frag),
            "{e:?} lacks {frag:?}"
        );
    };
    bad(
        "1,2,3,4,5\n1,2,3\n",
        "line 2: 3 fields, expected 5 (4 pixels of a 2×2 image",
    );
    bad("1,2,x,4,5\n", "line 1, field 3: \"x\" is not a number");
    bad(
        "1,2,17,4,5\n",
        "line 1, field 3: pixel value 17 is outside 0..=16",
    );
    bad("1,2,-1,4,5\n", "pixel value -1 is outside");
    bad(
        "1,2,3,4,10\n",
        "line 1, field 5: label \"10\" is not a digit 0..9",
    );
    bad("1,2,3,4,1.5\n", "label \"1.5\" is not a digit");
    bad("\n\n", "no images");
    let notgz = dir.path().join("plain.csv.gz");
    std::fs::write(&notgz, b"1,2,3\n").unwrap();
    let e = read_sklearn_digits(&notgz).unwrap_err().to_string();
    assert!(e.contains("plain.csv.gz: not a valid gzip file"), "{e}");
}

/// The reference of the documented algorithm, written independently (Python, then pasted):
/// SplitMix64(7); 3 videos × 2 digits from 5 images, 16×16, side 8, max speed 2, 6 frames.
/// Per digit: (image, start row, start column, velocity row, velocity column), then the
/// (row, column) positions of frames 0..6.
/// (image, start row, start column, velocity row, velocity column, positions of frames 0..6).
type Track = (usize, usize, usize, i64, i64, [(usize, usize); 6]);

const REFERENCE: [[Track; 2]; 3] = [
    [
        (
            1,
            0,
            8,
            1,
            -1,
            [(0, 8), (1, 7), (2, 6), (3, 5), (4, 4), (5, 3)],
        ),
        (
            1,
            4,
            2,
            -2,
            -1,
            [(4, 2), (2, 1), (0, 0), (2, 1), (4, 2), (6, 3)],
        ),
    ],
    [
        (
            0,
            8,
            8,
            2,
            2,
            [(8, 8), (6, 6), (4, 4), (2, 2), (0, 0), (2, 2)],
        ),
        (
            2,
            7,
            2,
            1,
            2,
            [(7, 2), (8, 4), (7, 6), (6, 8), (5, 6), (4, 4)],
        ),
    ],
    [
        (
            3,
            0,
            3,
            -1,
            2,
            [(0, 3), (1, 5), (2, 7), (3, 7), (4, 5), (5, 3)],
        ),
        (
            4,
            0,
            3,
            2,
            -1,
            [(0, 3), (2, 2), (4, 1), (6, 0), (8, 1), (6, 2)],
        ),
    ],
];

fn synthetic_images(n: usize, side: usize) -> DigitImages {
    DigitImages {
        name: "synthetic".into(),
        side,
        images: (0..n)
            .map(|k| {
                (0..side * side)
                    .map(|p| ((p * 7 + k * 13) % 11) as f64 / 10.0)
                    .collect()
            })
            .collect(),
        labels: (0..n).map(|k| k % 10).collect(),
        source: "test".into(),
    }
}

#[test]
fn moving_digits_matches_the_documented_algorithm() {
    let imgs = synthetic_images(5, 8);
    let cfg = MovingDigitsConfig {
        sequences: 3,
        frames: 6,
        height: 16,
        width: 16,
        digits: 2,
        max_speed: 2,
        seed: 7,
    };
    let m = moving_digits(&imgs, &cfg).unwrap();
    for (n, refs) in REFERENCE.iter().enumerate() {
        for (j, &(image, r, c, vr, vc, _)) in refs.iter().enumerate() {
            let t = m.tracks[n][j];
            assert_eq!(
                (t.image, t.start, t.velocity),
                (image, (r, c), (vr, vc)),
                "video {n} digit {j}"
            );
            assert_eq!(t.label, image % 10);
        }
        for f in 0..6 {
            // Render from the reference positions, independently of the generator.
            let mut want = vec![0.0f64; 256];
            for &(image, _, _, _, _, pos) in refs {
                let (r, c) = pos[f];
                for y in 0..8 {
                    for x in 0..8 {
                        let p = &mut want[(r + y) * 16 + c + x];
                        *p = p.max(imgs.images[image][y * 8 + x]);
                    }
                }
            }
            assert_eq!(m.videos[n][f], want, "video {n} frame {f}");
        }
    }
}

#[test]
fn moving_digits_deterministic_bounded_and_split() {
    let imgs = synthetic_images(20, 8);
    let cfg = MovingDigitsConfig {
        sequences: 30,
        frames: 20,
        digits: 1,
        max_speed: 3,
        ..MovingDigitsConfig::default()
    };
    let a = moving_digits(&imgs, &cfg).unwrap();
    let b = moving_digits(&imgs, &cfg).unwrap();
    assert_eq!(a, b, "same seed, same videos");
    let c = moving_digits(
        &imgs,
        &MovingDigitsConfig {
            seed: cfg.seed + 1,
            ..cfg.clone()
        },
    )
    .unwrap();
    assert_ne!(a.videos, c.videos, "another seed, other videos");
    for (n, v) in a.videos.iter().enumerate() {
        assert_eq!(v.len(), 20);
        let mass: f64 = imgs.images[a.tracks[n][0].image].iter().sum();
        for f in v {
            assert_eq!(f.len(), 256);
            assert!(f.iter().all(|&p| (0.0..=1.0).contains(&p)));
            // One digit, never clipped by the edges: every frame holds the whole image.
            assert!((f.iter().sum::<f64>() - mass).abs() < 1e-9);
        }
    }
    let ds = a.predict_next(12).unwrap();
    assert_eq!(
        (ds.len(), ds.length_range(), ds.dims()),
        (30, (12, 12), 256)
    );
    match &ds.task {
        Task::Sequence { targets } => {
            assert_eq!(targets[4].len(), 8);
            assert_eq!(targets[4][0], a.videos[4][12]);
        }
        t => panic!("{t:?}"),
    }
    ds.validate().unwrap();
    assert!(ds.to_eval().is_err(), "12 inputs, 8 targets: no eval form");
    let one = a.one_step();
    assert_eq!(one.sequences[0].len(), 19);
    let e = one.to_eval().unwrap();
    assert_eq!(e.targets.as_ref().unwrap()[0][0], a.videos[0][1]);
    for k in [0, 20] {
        assert!(a
            .predict_next(k)
            .unwrap_err()
            .to_string()
            .contains("must be in 1..20"));
    }
    let bad = |cfg: MovingDigitsConfig, frag: &str| {
        let e = moving_digits(&imgs, &cfg).unwrap_err().to_string();
        assert!(e.contains(frag), "{e:?} lacks {frag:?}");
    };
    bad(
        MovingDigitsConfig {
            frames: 1,
            ..cfg.clone()
        },
        "frames = 1",
    );
    bad(
        MovingDigitsConfig {
            width: 8,
            ..cfg.clone()
        },
        "no room to move",
    );
    bad(
        MovingDigitsConfig {
            max_speed: 9,
            ..cfg.clone()
        },
        "max_speed = 9: must be in 1..=8",
    );
    bad(
        MovingDigitsConfig {
            max_speed: 0,
            ..cfg.clone()
        },
        "max_speed = 0",
    );
    bad(
        MovingDigitsConfig {
            digits: 0,
            ..cfg.clone()
        },
        "at least 1",
    );
    let none = DigitImages {
        images: vec![],
        labels: vec![],
        ..imgs.clone()
    };
    assert!(moving_digits(&none, &cfg)
        .unwrap_err()
        .to_string()
        .contains("no images"));
}

// ---------------------------------------------------------------------------------------------
// Text

fn s(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn tokenizer() {
    assert_eq!(
        tokenize("Great movie!<br /><br />I'd SEE it again... 10/10 – Ünïcode café"),
        s(&[
            "great",
            "movie",
            "i",
            "d",
            "see",
            "it",
            "again",
            "10",
            "10",
            "ünïcode",
            "café"
        ])
    );
    assert_eq!(tokenize("a<BR/>b<br>c"), s(&["a", "b", "c"]));
    assert!(tokenize("  ... !!! ").is_empty());
}

#[test]
fn vocabulary_and_encoding() {
    let docs = [
        s(&["b", "a", "c", "a"]),
        s(&["c", "b", "d", "e"]),
        s(&["a"]),
    ];
    let v = Vocab::build(docs.iter().map(Vec::as_slice), 3, 1);
    // counts: a 3, b 2, c 2, d 1, e 1 → a, then b and c tied (byte order), d/e cut.
    assert_eq!(v.words(), ["<pad>", "<unk>", "a", "b", "c"]);
    assert_eq!(
        (v.id("a"), v.id("c"), v.id("d"), v.id("<pad>")),
        (2, 4, UNK, UNK)
    );
    assert_eq!(v.word(PAD), Some("<pad>"));
    let v2 = Vocab::build(docs.iter().map(Vec::as_slice), 100, 2);
    assert_eq!(
        v2.words(),
        ["<pad>", "<unk>", "a", "b", "c"],
        "min_count drops d and e"
    );
    let t = s(&["a", "b", "x", "c"]);
    let pol = |truncate, pad| SeqPolicy { truncate, pad };
    assert_eq!(
        v.encode(&t, 6, SeqPolicy::default()),
        vec![0, 0, 2, 3, 1, 4]
    );
    assert_eq!(
        v.encode(&t, 6, pol(Truncate::KeepFirst, Pad::Back)),
        vec![2, 3, 1, 4, 0, 0]
    );
    assert_eq!(v.encode(&t, 2, SeqPolicy::default()), vec![1, 4]);
    assert_eq!(
        v.encode(&t, 2, pol(Truncate::KeepFirst, Pad::Front)),
        vec![2, 3]
    );
    assert_eq!(v.encode(&[], 3, SeqPolicy::default()), vec![0, 0, 0]);
}

fn acl_tree(root: &Path) {
    let files = [
        ("train/pos/10_9.txt", "A <br />wonderful film. Wonderful!"),
        ("train/pos/2_7.txt", "Good acting, good story."),
        ("train/neg/3_1.txt", "Awful. Simply awful."),
        ("train/neg/1_4.txt", "Boring and too long"),
        ("test/pos/5_10.txt", "Wonderful, a masterpiece"),
        ("test/neg/6_2.txt", "awful boring"),
        ("train/unsup/0_0.txt", "ignored"),
        ("train/urls_pos.txt", "ignored"),
        ("train/pos/.DS_Store", "ignored"),
    ];
    for (p, t) in files {
        write(&root.join(p), t);
    }
}

#[test]
fn aclimdb_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("aclImdb");
    acl_tree(&root);
    let c = read_aclimdb(&root).unwrap();
    assert_eq!(c.classes, ["neg", "pos"]);
    // neg then pos, each in id order.
    let got: Vec<(usize, Option<u8>)> = c.train.iter().map(|d| (d.label, d.rating)).collect();
    assert_eq!(
        got,
        vec![(0, Some(4)), (0, Some(1)), (1, Some(7)), (1, Some(9))]
    );
    assert!(c.train[3].source.ends_with("10_9.txt"));
    assert_eq!(c.test.len(), 2);
    let enc = c.encode(100, 1, 5, SeqPolicy::default());
    // "masterpiece" only occurs in test: unknown.
    assert_eq!(enc.vocab.id("masterpiece"), UNK);
    // Train counts: awful, good, wonderful 2 each (test's third "wonderful" does not count);
    // ties in byte order.
    assert_eq!(enc.vocab.words()[2..5], ["awful", "good", "wonderful"]);
    assert_eq!(
        enc.test_ids[0],
        vec![0, 0, 0, enc.vocab.id("awful"), enc.vocab.id("boring")]
    );
    assert_eq!(
        enc.test_ids[1],
        vec![0, 0, enc.vocab.id("wonderful"), enc.vocab.id("a"), UNK]
    );
    assert_eq!(enc.split.train.len(), 4);
    assert_eq!(enc.split.test.labels(), Some(&[0usize, 1][..]));
    assert_eq!(enc.split.train.dims(), 1);
    enc.split.train.validate().unwrap();

    let case = |setup: &dyn Fn(&Path), frag: &str| {
        let d = tempfile::tempdir().unwrap();
        let r = d.path().join("aclImdb");
        acl_tree(&r);
        setup(&r);
        let e = read_aclimdb(&r).unwrap_err().to_string();
        assert!(e.contains(frag), "{e:?} lacks {frag:?}");
    };
    case(
        &|r| std::fs::remove_dir_all(r.join("test/neg")).unwrap(),
        "test/neg: missing directory",
    );
    case(
        &|r| write(&r.join("train/pos/notes.md"), "x"),
        "notes.md: file name: expected <id>_<rating>.txt",
    );
    case(
        &|r| write(&r.join("train/pos/7_x.txt"), "x"),
        "7_x.txt: file name",
    );
    case(
        &|r| write(&r.join("train/pos/8_3.txt"), "x"),
        "8_3.txt: rating 3 in a pos directory",
    );
    case(
        &|r| write(&r.join("test/neg/9_8.txt"), "x"),
        "9_8.txt: rating 8 in a neg directory",
    );
    case(
        &|r| write(&r.join("train/neg/3_2.txt"), "x"),
        "3_2.txt: review id 3 appears twice",
    );
    case(
        &|r| std::fs::write(r.join("test/pos/11_8.txt"), b"caf\xe9").unwrap(),
        "11_8.txt: not UTF-8 text (byte 3)",
    );
    case(
        &|r| std::fs::remove_file(r.join("test/pos/5_10.txt")).unwrap(),
        "test/pos: no reviews",
    );
    case(
        &|r| std::fs::create_dir_all(r.join("train/neg/12_1.txt")).unwrap(),
        "12_1.txt: not a regular file",
    );
}

const RT: &str = "category,text,movie_name,has_plot_and_reviews\n\
plot,\"A plot.\nOn two lines.\",m0,True\n\
fresh,Lovely film,m0,True\n\
rotten,\"Dull, \"\"really\"\" dull\",m1,False\n\
fresh,Fine,m2,True\n\
rotten,Bad,m3,True\n\
fresh,Great,m4,True\n\
rotten,Awful,m4,True\n";

#[test]
fn rotten_tomatoes_csv() {
    let c = parse_rotten_tomatoes(Path::new("rt.csv"), RT).unwrap();
    assert_eq!(c.classes, ["rotten", "fresh"]);
    // movies m0..m4 sorted: index 4 (m4) is the test movie.
    let tr: Vec<(&str, usize)> = c.train.iter().map(|d| (d.text.as_str(), d.label)).collect();
    assert_eq!(
        tr,
        vec![
            ("Lovely film", 1),
            ("Dull, \"really\" dull", 0),
            ("Fine", 1),
            ("Bad", 0)
        ]
    );
    assert_eq!(c.test.len(), 2);
    assert_eq!(
        c.train[0].source, "rt.csv:4",
        "the plot row spans lines 2-3"
    );

    let bad = |text: &str, frag: &str| {
        let e = parse_rotten_tomatoes(Path::new("rt.csv"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("rt.csv: ") && e.contains(frag),
            "{e:?} lacks {frag:?}"
        );
    };
    bad(
        "category,body,movie_name\nfresh,x,m\n",
        "line 1: the header has no column \"text\"",
    );
    bad(
        &format!("{RT}meh,So-so,m5,True\n"),
        "line 10, field 1: category \"meh\": expected fresh, rotten or plot",
    );
    bad(
        &format!("{RT}fresh, ,m5,True\n"),
        "line 10, field 2: empty text",
    );
    bad(&format!("{RT}fresh,x\n"), "line 10: 2 fields, expected 4");
    bad(
        "category,text,movie_name\nplot,x,m\n",
        "no fresh or rotten rows",
    );

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rt.csv.bz2");
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(RT.as_bytes()).unwrap();
    std::fs::write(&p, e.finish().unwrap()).unwrap();
    let c2 = read_rotten_tomatoes(&p).unwrap();
    assert_eq!((c2.train.len(), c2.test.len()), (4, 2));
    std::fs::write(&p, RT).unwrap();
    let e = read_rotten_tomatoes(&p).unwrap_err().to_string();
    assert!(e.contains("rt.csv.bz2: not a valid bzip2 file"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The real installed files

/// The located data directory, or `None` after printing why (a failure under
/// `QRNN_REQUIRE_DATA=1`).
fn real_data() -> Option<DataDir> {
    let found = DataDir::locate().ok().filter(|d| d.ucr_dir().is_dir());
    if found.is_none() {
        qrnn_testkit::data_missing("the packaged data is not installed");
    }
    found
}

fn first(ds: &Dataset) -> Vec<f64> {
    ds.sequences[0].iter().map(|t| t[0]).collect()
}

#[test]
fn real_ucr_sets() {
    let Some(dd) = real_data() else { return };
    let o = TsOptions::default();
    let gp = dd.load_ucr("GunPoint", &o).unwrap();
    assert_eq!((gp.train.len(), gp.test.len()), (50, 150));
    assert_eq!((gp.train.length_range(), gp.train.dims()), ((150, 150), 1));
    assert_eq!(gp.train.classes(), ["1", "2"]);
    assert_eq!(gp.train.class_counts(), vec![24, 26]);
    assert_eq!(gp.test.class_counts(), vec![76, 74]);
    assert_eq!(
        first(&gp.train)[..3],
        [-0.6478854, -0.64199155, -0.63818632]
    );
    assert_eq!(first(&gp.train)[149], -0.63865722);
    assert_eq!(
        gp.train.labels().unwrap()[0],
        1,
        "first series is class \"2\""
    );
    assert_eq!(gp.test.sequences[149][0][0], -1.4272055);

    let ah = dd.load_ucr("ArrowHead", &o).unwrap();
    assert_eq!(
        (ah.train.len(), ah.test.len(), ah.train.length_range()),
        (36, 175, (251, 251))
    );
    assert_eq!(ah.train.classes().len(), 3);

    let bm = dd.load_ucr("BasicMotions", &o).unwrap();
    assert_eq!(
        (bm.train.len(), bm.test.len(), bm.train.dims()),
        (40, 40, 6)
    );
    assert_eq!(bm.train.length_range(), (100, 100));
    assert_eq!(
        bm.train.classes(),
        ["Standing", "Running", "Walking", "Badminton"]
    );
    assert_eq!(
        bm.train.sequences[0][0],
        vec![0.079106, 0.394032, 0.551444, 0.351565, 0.02397, 0.633883]
    );
    assert_eq!(bm.train.sequences[0][99][5], -0.03196);

    let jv = dd.load_ucr("JapaneseVowels", &o).unwrap();
    assert_eq!(
        (jv.train.len(), jv.test.len(), jv.train.dims()),
        (270, 370, 12)
    );
    assert_eq!(
        (jv.train.length_range(), jv.test.length_range()),
        ((7, 26), (7, 29))
    );
    let steps = |d: &Dataset| d.sequences.iter().map(Vec::len).sum::<usize>();
    assert_eq!((steps(&jv.train), steps(&jv.test)), (4274, 5687));
    assert_eq!(jv.train.sequences[0].len(), 20);
    assert_eq!(jv.train.sequences[0][19][11], -0.175986);
    assert_eq!(jv.train.classes().len(), 9);

    let ip = dd.load_ucr("ItalyPowerDemand", &o).unwrap();
    assert_eq!(
        (ip.train.len(), ip.test.len(), ip.train.length_range()),
        (67, 1029, (24, 24))
    );

    // Every installed set loads and is consistent, except sktime's own UnitTest files, whose
    // test half gives @problemName twice.
    let names = dd.ucr_names();
    for n in [
        "GunPoint",
        "ArrowHead",
        "BasicMotions",
        "JapaneseVowels",
        "ItalyPowerDemand",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    for n in &names {
        match dd.load_ucr(n, &o) {
            Ok(s) => {
                s.train.validate().unwrap_or_else(|e| panic!("{n}: {e}"));
                s.test.validate().unwrap_or_else(|e| panic!("{n}: {e}"));
            }
            Err(e) if n == "UnitTest" => {
                assert!(
                    e.to_string()
                        .contains("UnitTest_TEST.ts: line 5: @problemName is given twice"),
                    "{e}"
                )
            }
            Err(e) => panic!("{n}: {e}"),
        }
    }
    let mut z = gp.train.clone();
    z_normalize_series(&mut z);
    let m: f64 = first(&z).iter().sum::<f64>() / 150.0;
    assert!(m.abs() < 1e-9);
}

#[test]
fn real_digits_and_moving_digits() {
    let Some(dd) = real_data() else { return };
    let d = dd.load_digits().unwrap();
    assert_eq!((d.len(), d.side), (1797, 8));
    assert_eq!(
        d.images[0][..8]
            .iter()
            .map(|v| v * 16.0)
            .collect::<Vec<_>>(),
        vec![0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]
    );
    assert_eq!(d.labels[..3], [0, 1, 2]);
    let counts = d.to_row_sequences().class_counts();
    assert_eq!(
        counts,
        vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    let (tr, te) = d.train_test();
    assert_eq!((tr.len(), te.len()), (1347, 450));

    let cfg = MovingDigitsConfig {
        sequences: 50,
        ..MovingDigitsConfig::default()
    };
    let a = moving_digits(&tr, &cfg).unwrap();
    assert_eq!(a, moving_digits(&tr, &cfg).unwrap());
    assert_ne!(
        a.videos,
        moving_digits(
            &tr,
            &MovingDigitsConfig {
                seed: 2,
                ..cfg.clone()
            }
        )
        .unwrap()
        .videos
    );
    a.predict_next(5).unwrap().validate().unwrap();

    let m = dd.load_mnist5k().unwrap();
    assert_eq!((m.len(), m.side), (5000, 28));
    assert_eq!(m.to_row_sequences().class_counts(), vec![500; 10]);
}

#[test]
fn real_rotten_tomatoes() {
    let Some(dd) = real_data() else { return };
    let c = dd.load_rotten_tomatoes().unwrap();
    assert_eq!((c.train.len(), c.test.len()), (10244, 2564));
    let count = |docs: &[qrnn_train::datasets::text::TextDoc], l| {
        docs.iter().filter(|d| d.label == l).count()
    };
    assert_eq!((count(&c.train, 0), count(&c.train, 1)), (4485, 5759));
    assert_eq!((count(&c.test, 0), count(&c.test, 1)), (920, 1644));
    let enc = c.encode(5000, 2, 40, SeqPolicy::default());
    assert_eq!(enc.vocab.len(), 5002);
    assert_eq!(enc.vocab.words()[2], "the");
    enc.split.test.validate().unwrap();
}

#[test]
fn installed_listing_matches_files() {
    let Some(dd) = real_data() else { return };
    let inst = dd.installed();
    for want in ["GunPoint", "digits", "mnist5k", "rotten-tomatoes"] {
        assert!(inst.iter().any(|i| i.name == want), "{want} not listed");
    }
    for i in &inst {
        let on_disk: u64 = i
            .files
            .iter()
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum();
        assert_eq!(i.bytes, on_disk, "{}", i.name);
    }
}
