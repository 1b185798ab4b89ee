//! Mutation test of the co-simulation (issue 12, item 6): does the default `make sim` — the default
//! stimulus of `qrnn-hw gen` ([`Stimulus::default_for`], seed 1) against the golden model's
//! vectors — catch small faults in a generated project?
//!
//! Seven designs (LSTM, GRU and ConvLSTM; ROM and hard-wired weights; five of the bundled
//! examples, an int8 two-layer LSTM on a 4×4 folding and a low-precision LSTM) get 90 single-point
//! mutations each, drawn with a fixed seed (`QRNN_MUTATION_SEED=n` changes it;
//! `QRNN_MUTATION_QUOTA=kind=n,…` the numbers per kind; `QRNN_MUTATION_VERBOSE=1` lists the killed
//! mutants too; `QRNN_MUTATION_SIM_STEPS=5,1,3` measures the stimulus of `gen --sim-steps 5,1,3`
//! instead, and then asserts nothing):
//!
//! | kind | per design | mutation |
//! |---|---|---|
//! | weight | 61 | one weight code changed to another valid code of its scheme (int-k: one bit of the code flipped): one word of a `$readmemh` weight ROM, or one `case` constant of a hard-wired (`logic`) weight ROM |
//! | bias | 10 | one bias ± one LSB of the point it is added at (the pre-activation or the head's output; a smaller change is rounded away for every input) |
//! | table | 8 | one σ or tanh table entry ± 1 |
//! | rounding | 8 | the round-half-up constant `K = 2^(s-1)` of one requantization `(x + K) >>> s` → `0` (truncation), `K/2` or `2K` |
//! | saturation | 3 | one bound of one saturation `rq > HI ? HI : rq < LO ? LO : rq` (both occurrences) → the bound of the format one bit narrower or one bit wider |
//!
//! The shares are a choice. Weights are most of a design's mutable constants (about 70 %); σ/tanh
//! tables about 25 %, but many entries are unreachable for a given model (pre-activations its
//! weights cannot produce), so fewer are drawn; rounding and saturation constants are 1–2 % of the
//! constants each and are over-sampled so that every run covers every point. Most saturation
//! bounds are dead or masked logic in calibrated designs (the formats leave headroom, and σ/tanh
//! are flat where the tanh index saturates): those mutants survive any stimulus, and since they
//! are RTL constants they are never excluded (see below), so they are reported as survived.
//!
//! The data mutations (weight, bias, table) are made in the model and located by regenerating the
//! RTL: exactly one non-comment line of one generated file must change (a draw that changes more,
//! e.g. an accumulator width, is not a single-point change of the design and is drawn again;
//! the report counts these as "redrawn").
//!
//! Each design is built once with Verilator (mutant schemata): every mutated Verilog constant `K`
//! becomes `(qrnn_mut == N ? K' : K)`, where the module reads `qrnn_mut` from the plusarg `+mut=N`
//! (-1, no mutant, without it), and a mutated ROM word is a mutated copy of its `.hex` file in a
//! run directory of its own, read by the same binary at run time. Then the binary runs once per
//! mutant; a mutant is killed when the testbench does not print `PASS` (what makes `make sim`
//! fail: a mismatch of an output or of any layer's `h` or `c`, a wrong cycle count, a timeout).
//!
//! A surviving data mutant is excluded as equivalent only with evidence: the golden model run on
//! the mutated model gives exactly the same outputs and every layer's `h` and `c` at every
//! timestep as the original over a long, different stimulus (three default stimuli of other seeds
//! and two 400-step random sequences over the whole input range). Surviving RTL-constant mutants
//! are never excluded: a yosys proof of equivalence of the whole core was tried and is too slow
//! for CI (`equiv_induct` ran for minutes on one mutant of the demo core; a combinational check
//! with the flip-flops cut does not finish on the unchanged multipliers), so they count as
//! survived.
//!
//! The test prints a table (design, mutants, killed, survived, excluded, catch rate, and the same
//! per kind) to stderr — uncaptured, so it shows in CI logs — and to
//! `target/qrnn-mutation-report.txt`, and asserts at least 200 mutants, a catch rate of at least
//! 95 % over the non-excluded mutants and at most 10 % excluded.

mod common;
use common::{project_files, write_files};
use qrnn_testkit::docregion;

use qrnn_model::example::{example, ExampleSpec, Formats, Rng};
use qrnn_model::{ActFmt, Cell, Fmt, Model, Scheme, Weights};
use qrnn_project::Request;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::Fold;
use qrnn_sim::stimulus::{pattern_sequence, Pattern};
use qrnn_sim::{verilator_fast, Stimulus, Tool};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Mutants per design, and how they split over the kinds.
const QUOTA: [(Kind, usize); 5] = [
    (Kind::Weight, 61),
    (Kind::Bias, 10),
    (Kind::Table, 8),
    (Kind::Rounding, 8),
    (Kind::Saturation, 3),
];
/// [`QUOTA`], or `QRNN_MUTATION_QUOTA=kind=n,…` (e.g. `saturation=1000,weight=0` runs every
/// saturation mutant and no weight mutant).
fn quota() -> Vec<(Kind, usize)> {
    let mut q = QUOTA.to_vec();
    if let Ok(s) = std::env::var("QRNN_MUTATION_QUOTA") {
        for item in s.split(',').filter(|i| !i.trim().is_empty()) {
            let (k, n) = item
                .split_once('=')
                .unwrap_or_else(|| panic!("QRNN_MUTATION_QUOTA: {item:?} is not kind=n"));
            let n: usize = n.trim().parse().expect("QRNN_MUTATION_QUOTA: a count");
            let e = q
                .iter_mut()
                .find(|e| e.0.name() == k.trim())
                .unwrap_or_else(|| panic!("QRNN_MUTATION_QUOTA: unknown kind {k:?}"));
            e.1 = n;
        }
    }
    q
}

/// The seed `gen` uses for the default stimulus.
const GEN_SEED: u64 = 1;
/// Wall-clock limit of one mutant's simulation (the testbench has its own cycle timeout).
const RUN_LIMIT: Duration = Duration::from_secs(300);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Weight,
    Bias,
    Table,
    Rounding,
    Saturation,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Weight => "weight",
            Kind::Bias => "bias",
            Kind::Table => "table",
            Kind::Rounding => "rounding",
            Kind::Saturation => "saturation",
        }
    }
    fn is_data(self) -> bool {
        matches!(self, Kind::Weight | Kind::Bias | Kind::Table)
    }
}

/// Where a mutant changes the generated project.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Site {
    /// Word `line` of a `$readmemh` file becomes `word` (a mutated copy of the file).
    Hex {
        file: String,
        line: usize,
        word: String,
    },
    /// Every occurrence of the literal `old` on a Verilog line becomes `new` when `+mut=N`.
    Verilog {
        file: String,
        line: usize,
        old: String,
        new: String,
    },
}

struct Mutant {
    id: usize,
    kind: Kind,
    what: String,
    site: Site,
    /// The mutated model (data mutants), for the equivalence evidence.
    model: Option<Model>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    Killed,
    Survived,
    Excluded,
}

struct Design {
    name: String,
    model: Model,
    opts: Request,
}

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn load(name: &str) -> Model {
    let p = examples().join(name);
    Model::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn designs() -> Vec<Design> {
    // a two-layer int8 LSTM with a head on a wide folding, ROM weights
    let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Int(8), 3, 5, 12);
    spec.hidden = vec![5, 3];
    spec.head = Some(2);
    let lstm_int8 = example(&spec);
    let mut wide = Request {
        weights: WeightsMode::Rom,
        ..Request::default()
    };
    for e in &qrnn_rtl::passes::lower(&lstm_int8).expect("lowers").layers {
        wide.folds
            .pin(e.id, Fold { p: 4, s: 4 }.clamp_to(e.fold_limit()));
    }
    let rom = Request {
        weights: WeightsMode::Rom,
        ..Request::default()
    };
    // low-precision formats (6-bit pre-activation, 4-bit h, 8-bit c): saturation is reached more
    // often than with the calibrated formats of the examples
    let mut spec = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 4, 6, 21);
    spec.head = Some(2);
    spec.formats = Formats {
        x: ActFmt::Fixed(Fmt { width: 6, frac: 4 }),
        h: ActFmt::Fixed(Fmt { width: 4, frac: 3 }),
        c: Fmt { width: 8, frac: 5 },
        pre: Fmt { width: 6, frac: 3 },
        act_frac: 6,
        bias: Fmt { width: 12, frac: 6 },
        out: Fmt { width: 8, frac: 4 },
    };
    let narrow = example(&spec);
    narrow.validate().expect("valid narrow-format model");
    vec![
        Design {
            name: "lstm narrow formats ternary".into(),
            model: narrow,
            opts: Request::default(),
        },
        Design {
            name: "lstm demo ternary (logic)".into(),
            model: load("demo-lstm-ternary.qw"),
            opts: Request::default(),
        },
        Design {
            name: "lstm int8 2-layer 4x4 (rom)".into(),
            model: lstm_int8,
            opts: wide,
        },
        Design {
            name: "gru gunpoint ternary (rom)".into(),
            model: load("trained-gunpoint-gru-ternary.qw"),
            opts: rom,
        },
        Design {
            name: "gru tiny quaternary (logic)".into(),
            model: load("tiny-gru-quaternary.qw.toml"),
            opts: Request::default(),
        },
        Design {
            name: "convlstm tiny binary 7x5".into(),
            model: load("tiny-convlstm-binary.qw.toml"),
            opts: Request::default(),
        },
        Design {
            name: "convlstm digits binary 10x10".into(),
            model: load("trained-moving-digits-convlstm-binary.qw"),
            opts: Request::default(),
        },
    ]
}

// ---------------------------------------------------------------- data mutations (in the model)

/// The weight tensors of a model in a fixed order: W, U of every layer, then the head.
fn tensors(m: &Model) -> Vec<(String, &Weights)> {
    let mut v = Vec::new();
    for (l, layer) in m.layers.iter().enumerate() {
        v.push((format!("layer{l}.w"), &layer.w));
        v.push((format!("layer{l}.u"), &layer.u));
    }
    if let Some(h) = &m.head {
        v.push(("head.w".into(), &h.w));
    }
    v
}

fn tensor_mut(m: &mut Model, t: usize) -> &mut Weights {
    let n = m.layers.len();
    if t < 2 * n {
        let layer = &mut m.layers[t / 2];
        if t.is_multiple_of(2) {
            &mut layer.w
        } else {
            &mut layer.u
        }
    } else {
        &mut m.head.as_mut().expect("head").w
    }
}

/// A random single-datum change of the model, with a description; `None` if the draw is invalid.
fn mutate_model(m: &Model, kind: Kind, rng: &mut Rng) -> Option<(Model, String)> {
    let mut mm = m.clone();
    let what = match kind {
        Kind::Weight => {
            let ts = tensors(m);
            let total: usize = ts.iter().map(|t| t.1.codes.len()).sum();
            let mut i = rng.below(total as u64) as usize;
            let mut t = 0;
            while i >= ts[t].1.codes.len() {
                i -= ts[t].1.codes.len();
                t += 1;
            }
            let w = ts[t].1;
            let old = w.codes[i] as i64;
            let new = match w.scheme {
                Scheme::Int(k) => {
                    let bits = (old as u32 ^ (1 << rng.below(k as u64))) & ((1 << k) - 1);
                    qrnn_model::scheme::sign_extend(bits, k as u32)
                }
                s => {
                    let others: Vec<i8> =
                        s.codes().into_iter().filter(|c| *c as i64 != old).collect();
                    rng.pick(&others) as i64
                }
            };
            if !w.scheme.is_valid(new) {
                return None;
            }
            let name = ts[t].0.clone();
            let n = w.row_len();
            tensor_mut(&mut mm, t).codes[i] = new as i8;
            format!("{name}[{}][{}] {old} -> {new}", i / n, i % n)
        }
        Kind::Bias => {
            // b of every layer, b_h of GRU layers, the head's bias
            let mut vecs: Vec<(String, usize, usize)> = Vec::new();
            for (l, layer) in m.layers.iter().enumerate() {
                vecs.push((format!("layer{l}.b"), l, 0));
                if !layer.bias_h.is_empty() {
                    vecs.push((format!("layer{l}.b_h"), l, 1));
                }
            }
            if m.head.is_some() {
                vecs.push(("head.b".into(), usize::MAX, 0));
            }
            let (name, l, which) = vecs[rng.below(vecs.len() as u64) as usize].clone();
            // one LSB of the point the bias is added at (the pre-activation, or the head's
            // output): a smaller change is rounded away for every input
            let (bias_frac, point_frac) = match m.layers.get(l) {
                Some(layer) => (layer.bias_fmt.frac, layer.pre.frac),
                None => {
                    let h = m.head.as_ref().expect("head");
                    (h.bias_fmt.frac, h.out_fmt.frac)
                }
            };
            let d = (1i64 << (bias_frac - point_frac).clamp(0, 40))
                * if rng.below(2) == 0 { -1 } else { 1 };
            let b = if l == usize::MAX {
                &mut mm.head.as_mut().expect("head").bias
            } else if which == 0 {
                &mut mm.layers[l].bias
            } else {
                &mut mm.layers[l].bias_h
            };
            let r = rng.below(b.len() as u64) as usize;
            let old = b[r];
            b[r] += d;
            format!("{name}[{r}] {old} -> {}", old + d)
        }
        Kind::Table => {
            let l = rng.below(m.layers.len() as u64) as usize;
            let sig = rng.below(2) == 0;
            let t = if sig {
                &mut mm.layers[l].sigmoid
            } else {
                &mut mm.layers[l].tanh
            };
            let i = rng.below(t.len() as u64) as usize;
            let d = if rng.below(2) == 0 { -1 } else { 1 };
            let old = t[i];
            t[i] += d;
            let name = if sig { "sigmoid" } else { "tanh" };
            format!("layer{l}.{name}[{i}] {old} -> {}", old + d)
        }
        _ => unreachable!("not a data mutation"),
    };
    mm.validate().ok()?;
    Some((mm, what))
}

/// The generated RTL files (`rtl/…`) of a model, by path.
fn rtl_files(m: &Model, o: &Request) -> Option<BTreeMap<String, String>> {
    let g = qrnn_rtl::generate(m, &o.options(), |_, _| {}).ok()?;
    Some(g.files.into_iter().collect())
}

/// The single changed literal or word between two generated RTL file sets, ignoring comment lines
/// (the model hash is in a header comment); `None` if anything else changed.
fn locate(orig: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Option<Site> {
    if orig.keys().ne(new.keys()) {
        return None;
    }
    let mut diff = None;
    for (path, a) in orig {
        let b = &new[path];
        if a == b {
            continue;
        }
        let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        if la.len() != lb.len() {
            return None;
        }
        for (i, (x, y)) in la.iter().zip(&lb).enumerate() {
            if x == y || (x.trim_start().starts_with("//") && y.trim_start().starts_with("//")) {
                continue;
            }
            if diff.is_some() {
                return None;
            }
            diff = Some((path.clone(), i, x.to_string(), y.to_string()));
        }
    }
    let (file, line, old, new) = diff?;
    if file.ends_with(".hex") {
        return Some(Site::Hex {
            file,
            line,
            word: new.trim().to_string(),
        });
    }
    // a `case` arm of a hard-wired ROM: `data_q <= W'hWORD;`
    let (ta, tb): (Vec<&str>, Vec<&str>) = (
        old.split_whitespace().collect(),
        new.split_whitespace().collect(),
    );
    if ta.len() != tb.len() {
        return None;
    }
    let d: Vec<usize> = (0..ta.len()).filter(|&i| ta[i] != tb[i]).collect();
    let [i] = d[..] else { return None };
    let strip = |t: &str| t.trim_end_matches(';').to_string();
    let (o, n) = (strip(ta[i]), strip(tb[i]));
    (o.contains('\'') && n.contains('\'')).then_some(Site::Verilog {
        file,
        line,
        old: o,
        new: n,
    })
}

// ------------------------------------------------------------- RTL constants (in the Verilog)

/// A sized hex literal `W'hV` or `W'shV`: (width, signed, value).
fn parse_lit(t: &str) -> Option<(u32, bool, u128)> {
    let (w, rest) = t.split_once('\'')?;
    let w: u32 = w.parse().ok()?;
    let (signed, hex) = match rest.strip_prefix('s') {
        Some(r) => (true, r.strip_prefix('h')?),
        None => (false, rest.strip_prefix('h')?),
    };
    Some((w, signed, u128::from_str_radix(hex, 16).ok()?))
}

/// The mutated values of a rounding or saturation literal, as literals of the same width:
/// rounding `K = 2^(s-1)` → `0` (truncation), `K/2` and `2K` (the constant of a neighbouring
/// shift); a saturation bound → the bound of the format one bit narrower or one bit wider.
fn mutations(kind: Kind, lit: &str) -> Vec<String> {
    let Some((w, signed, v)) = parse_lit(lit) else {
        return Vec::new();
    };
    if !(2..=120).contains(&w) {
        return Vec::new();
    }
    // the value as a signed integer of width w
    let x = if signed && (v >> (w - 1)) & 1 == 1 {
        v as i128 - (1i128 << w)
    } else {
        v as i128
    };
    let new: Vec<i128> = match kind {
        Kind::Rounding => vec![0, x / 2, 2 * x],
        _ if x >= 0 => vec![x >> 1, 2 * x + 1],
        _ => vec![x >> 1, 2 * x],
    };
    let (lo, hi) = (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1);
    let mut out: Vec<String> = new
        .into_iter()
        .filter(|n| *n != x && (lo..=hi).contains(n))
        .map(|n| {
            let bits = (n as u128) & ((1u128 << w) - 1);
            format!("{w}'{}h{bits:x}", if signed { "s" } else { "" })
        })
        .collect();
    out.dedup();
    out
}

/// Candidate rounding and saturation mutants of the generated Verilog: (kind, site, what).
fn constant_sites(files: &BTreeMap<String, String>) -> Vec<(Kind, Site, String)> {
    let mut v = Vec::new();
    for (file, text) in files.iter().filter(|f| f.0.ends_with(".v")) {
        let lines: Vec<&str> = text.lines().collect();
        // the wire declared by the first later line that reads `ident`
        let consumer = |from: usize, ident: &str| -> Option<String> {
            lines[from + 1..].iter().find_map(|l| {
                let t: Vec<&str> = l.split_whitespace().collect();
                let reads = l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
                (t.first() == Some(&"wire") && reads.skip(1).any(|w| w == ident))
                    .then(|| t.get(3).map(|s| s.to_string()))
                    .flatten()
            })
        };
        // the NUMERICS.md point a requantization feeds: the wire reading its saturation, less
        // its serial number (`l0_z0_72` → `l0_z0`)
        let point = |from: usize, sat: &str| -> String {
            consumer(from, sat)
                .map(|w| match w.rsplit_once('_') {
                    Some((a, n)) if n.chars().all(|c| c.is_ascii_digit()) => a.to_string(),
                    _ => w,
                })
                .unwrap_or_else(|| "?".into())
        };
        for (line, l) in lines.iter().enumerate() {
            let t: Vec<&str> = l.split_whitespace().collect();
            let Some(name) = t.get(3) else { continue };
            let role = if name.starts_with("rq_") {
                consumer(line, name).map(|sat| point(line, &sat))
            } else if name.starts_with("sat_") {
                Some(point(line, name))
            } else {
                None
            };
            let role = role.unwrap_or_default();
            let mut add = |kind: Kind, lit: &str| {
                for new in mutations(kind, lit) {
                    v.push((
                        kind,
                        Site::Verilog {
                            file: file.clone(),
                            line,
                            old: lit.to_string(),
                            new: new.clone(),
                        },
                        format!("{role} ({name}) {lit} -> {new}"),
                    ));
                }
            };
            if t[0] != "wire" {
                continue;
            }
            if name.starts_with("rq_") {
                // wire signed [..] rq_N = (… + W'shK) >>> S;
                if let Some(p) = t.iter().position(|x| *x == ">>>") {
                    let lit = t[p - 1].trim_end_matches(')');
                    if t[p - 2] == "+" && parse_lit(lit).is_some() {
                        add(Kind::Rounding, lit);
                    }
                }
            } else if name.starts_with("sat_") {
                // wire signed [..] sat_N = (rq > HI) ? HI : ((rq < LO) ? LO : rq);
                let lits: BTreeSet<&str> = t
                    .iter()
                    .map(|x| x.trim_end_matches(')'))
                    .filter(|x| parse_lit(x).is_some())
                    .collect();
                for lit in lits {
                    add(Kind::Saturation, lit);
                }
            }
        }
    }
    v
}

/// Replace every occurrence of the literal `lit` that is a whole token.
fn replace_lit(line: &str, lit: &str, with: &str) -> String {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '\'';
    let mut out = String::new();
    let mut rest = line;
    while let Some(p) = rest.find(lit) {
        let before = rest[..p].chars().last().or(out.chars().last());
        let after = rest[p + lit.len()..].chars().next();
        out.push_str(&rest[..p]);
        if before.is_some_and(word) || after.is_some_and(word) {
            out.push_str(lit);
        } else {
            out.push_str(with);
        }
        rest = &rest[p + lit.len()..];
    }
    out.push_str(rest);
    out
}

/// The mutant schemata: every Verilog mutant's literal becomes `(qrnn_mut == N ? NEW : OLD)`, and
/// every module with one reads `qrnn_mut` from the plusarg `+mut=N`.
fn schemata(files: &mut [(String, String)], mutants: &[Mutant]) {
    // (file, line, old) → [(id, new)]
    type At<'a> = BTreeMap<(&'a str, usize, &'a str), Vec<(usize, &'a str)>>;
    let mut at: At = BTreeMap::new();
    for m in mutants {
        if let Site::Verilog {
            file,
            line,
            old,
            new,
        } = &m.site
        {
            at.entry((file.as_str(), *line, old.as_str()))
                .or_default()
                .push((m.id, new.as_str()));
        }
    }
    for (path, text) in files.iter_mut() {
        let here: Vec<_> = at.iter().filter(|e| e.0 .0 == path.as_str()).collect();
        if here.is_empty() {
            continue;
        }
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for ((_, line, old), muts) in &here {
            let expr = muts.iter().rev().fold(old.to_string(), |acc, (id, new)| {
                format!("(qrnn_mut == {id} ? {new} : {acc})")
            });
            lines[*line] = replace_lit(&lines[*line], old, &expr);
        }
        let end = lines
            .iter()
            .position(|l| l == ");")
            .unwrap_or_else(|| panic!("{path}: no end of the port list"));
        let decl = [
            "    // mutation test: the mutant chosen by the plusarg +mut=N (-1: none)",
            "    integer qrnn_mut;",
            "    initial begin",
            "        if (!$value$plusargs(\"mut=%d\", qrnn_mut)) qrnn_mut = -1;",
            "    end",
        ];
        for (k, d) in decl.iter().enumerate() {
            lines.insert(end + 1 + k, d.to_string());
        }
        *text = lines.join("\n") + "\n";
    }
}

// ------------------------------------------------------------------------ drawing the mutants

fn draw(d: &Design, seed: u64, orig_rtl: &BTreeMap<String, String>) -> (Vec<Mutant>, usize) {
    let mut rng = Rng::new(seed);
    let mut mutants: Vec<Mutant> = Vec::new();
    let mut seen: BTreeSet<Site> = BTreeSet::new();
    let mut redrawn = 0;
    let constants = constant_sites(orig_rtl);
    for (kind, quota) in quota() {
        if kind.is_data() {
            let mut got = 0;
            let mut tries = 0;
            while got < quota && tries < 40 * quota {
                tries += 1;
                let Some((mm, what)) = mutate_model(&d.model, kind, &mut rng) else {
                    redrawn += 1;
                    continue;
                };
                let Some(site) = rtl_files(&mm, &d.opts).and_then(|f| locate(orig_rtl, &f)) else {
                    redrawn += 1;
                    continue;
                };
                if !seen.insert(site.clone()) {
                    continue;
                }
                mutants.push(Mutant {
                    id: mutants.len(),
                    kind,
                    what,
                    site,
                    model: Some(mm),
                });
                got += 1;
            }
        } else {
            let mut cands: Vec<&(Kind, Site, String)> =
                constants.iter().filter(|c| c.0 == kind).collect();
            // Fisher–Yates
            for i in (1..cands.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                cands.swap(i, j);
            }
            for (k, s, what) in cands.into_iter().take(quota) {
                seen.insert(s.clone());
                mutants.push(Mutant {
                    id: mutants.len(),
                    kind: *k,
                    what: what.clone(),
                    site: s.clone(),
                    model: None,
                });
            }
        }
    }
    (mutants, redrawn)
}

// --------------------------------------------------------------------------------- running

/// Run the design's binary for one mutant; `true` if the testbench printed PASS.
fn survives(dir: &Path, m: &Mutant) -> bool {
    let mdir = dir.join(format!("mut/{}", m.id));
    std::fs::create_dir_all(&mdir).unwrap();
    let (cwd, plusarg) = match &m.site {
        Site::Hex { file, line, word } => {
            // a copy of the run directory: sim/ linked, rtl/rom/ linked file by file but the
            // mutated one
            let rom = mdir.join("rtl/rom");
            std::fs::create_dir_all(&rom).unwrap();
            std::os::unix::fs::symlink(dir.join("sim"), mdir.join("sim")).unwrap();
            for e in std::fs::read_dir(dir.join("rtl/rom")).unwrap() {
                let e = e.unwrap();
                let rel = format!("rtl/rom/{}", e.file_name().to_string_lossy());
                if &rel == file {
                    let text = std::fs::read_to_string(e.path()).unwrap();
                    let mut lines: Vec<&str> = text.lines().collect();
                    lines[*line] = word;
                    std::fs::write(mdir.join(&rel), lines.join("\n") + "\n").unwrap();
                } else {
                    std::os::unix::fs::symlink(e.path(), mdir.join(&rel)).unwrap();
                }
            }
            (mdir.clone(), "+mut=-1".to_string())
        }
        Site::Verilog { .. } => (dir.to_path_buf(), format!("+mut={}", m.id)),
    };
    let log = mdir.join("sim.log");
    let mut child = Command::new(dir.join("build/fast/Vqrnn_tb"))
        .arg(&plusarg)
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    let pass = status.is_some_and(|s| s.success()) && out.lines().any(|l| l.starts_with("PASS"));
    let _ = std::fs::remove_dir_all(&mdir);
    pass
}

/// The long evidence stimulus for equivalence: three default stimuli of other seeds and two
/// 400-step random sequences over the input format's whole range.
fn evidence_stimulus(m: &Model) -> Vec<Vec<Vec<i64>>> {
    let mut seqs = Vec::new();
    for s in [1001, 1002, 1003] {
        seqs.extend(Stimulus::default_for(m, s).sequences);
    }
    for s in [1004, 1005] {
        seqs.push(pattern_sequence(m, Pattern::Random, 400, s));
    }
    seqs
}

/// Whether the golden model gives the same outputs, `h` and `c` everywhere for both models.
fn golden_equivalent(a: &Model, b: &Model, seqs: &[Vec<Vec<i64>>]) -> bool {
    seqs.iter().all(|s| {
        let (Ok(ra), Ok(rb)) = (qrnn_golden::run(a, s), qrnn_golden::run(b, s)) else {
            return false;
        };
        ra.outputs == rb.outputs
            && ra.trace.iter().zip(&rb.trace).all(|(x, y)| {
                x.layers
                    .iter()
                    .zip(&y.layers)
                    .all(|(p, q)| p.h == q.h && p.c == q.c)
            })
    })
}

struct Built {
    dir: tempfile::TempDir,
    mutants: Vec<Mutant>,
    redrawn: usize,
    steps: usize,
}

fn build(d: &Design, seed: u64) -> Built {
    // `QRNN_MUTATION_SIM_STEPS=5,1,3`: what `gen --sim-steps 5,1,3` writes (the old default)
    let stim = match std::env::var("QRNN_MUTATION_SIM_STEPS") {
        Ok(l) => {
            let lens: Vec<usize> = l
                .split(',')
                .map(|n| n.trim().parse().expect("QRNN_MUTATION_SIM_STEPS: lengths"))
                .collect();
            Stimulus::random(&d.model, &lens, GEN_SEED)
        }
        Err(_) => Stimulus::default_for(&d.model, GEN_SEED),
    };
    let (_man, mut files) = project_files(&d.model, &d.opts, &stim)
        .unwrap_or_else(|e| panic!("{}: generation failed: {e}", d.name));
    let orig_rtl: BTreeMap<String, String> = files
        .iter()
        .filter(|f| f.0.starts_with("rtl/"))
        .cloned()
        .collect();
    let (mutants, redrawn) = draw(d, seed, &orig_rtl);
    schemata(&mut files, &mutants);
    let dir = tempfile::Builder::new()
        .prefix("qrnn-mutation-")
        .tempdir()
        .unwrap();
    write_files(dir.path(), &files).unwrap();
    let out = verilator_fast(dir.path(), Some(&common::cache_dir())).unwrap();
    assert!(
        out.pass,
        "{}: the design with its mutant schemata (no mutant selected) must pass:\n{}",
        d.name, out.output
    );
    Built {
        dir,
        mutants,
        redrawn,
        steps: stim.steps(),
    }
}

fn seed() -> u64 {
    std::env::var("QRNN_MUTATION_SEED")
        .map(|s| s.parse().expect("QRNN_MUTATION_SEED must be a number"))
        .unwrap_or(1)
}

#[test]
fn default_stimulus_kills_mutants() {
    if !common::have(&[Tool::verilator()]) {
        return;
    }
    let t0 = Instant::now();
    let seed = seed();
    let designs = designs();
    // build every design (two at a time)
    let built: Vec<Mutex<Option<Built>>> = designs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(d) = designs.get(i) else { break };
                let b = build(d, seed.wrapping_mul(1000).wrapping_add(i as u64));
                *built[i].lock().unwrap() = Some(b);
            });
        }
    });
    let built: Vec<Built> = built
        .into_iter()
        .map(|b| b.into_inner().unwrap().unwrap())
        .collect();
    let t_build = t0.elapsed();
    // run every mutant (two at a time)
    let jobs: Vec<(usize, usize)> = built
        .iter()
        .enumerate()
        .flat_map(|(d, b)| (0..b.mutants.len()).map(move |m| (d, m)))
        .collect();
    let verdicts: Vec<Mutex<Option<Verdict>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let evidence: Vec<Vec<Vec<Vec<i64>>>> = designs
        .iter()
        .map(|d| evidence_stimulus(&d.model))
        .collect();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let j = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(d, m)) = jobs.get(j) else { break };
                let b = &built[d];
                let mu = &b.mutants[m];
                let v = if !survives(b.dir.path(), mu) {
                    Verdict::Killed
                } else if mu
                    .model
                    .as_ref()
                    .is_some_and(|mm| golden_equivalent(&designs[d].model, mm, &evidence[d]))
                {
                    Verdict::Excluded
                } else {
                    Verdict::Survived
                };
                *verdicts[j].lock().unwrap() = Some(v);
            });
        }
    });
    let verdicts: Vec<Verdict> = verdicts
        .into_iter()
        .map(|v| v.into_inner().unwrap().unwrap())
        .collect();
    // the report
    let mut rows = Vec::new();
    let (mut n_all, mut k_all, mut s_all, mut e_all) = (0, 0, 0, 0);
    let mut notes = Vec::new();
    let mut by_kind: BTreeMap<Kind, [usize; 3]> = BTreeMap::new();
    for (d, b) in built.iter().enumerate() {
        let v: Vec<(&Mutant, Verdict)> = jobs
            .iter()
            .zip(&verdicts)
            .filter(|(j, _)| j.0 == d)
            .map(|(j, v)| (&b.mutants[j.1], *v))
            .collect();
        let count = |x: Verdict| v.iter().filter(|p| p.1 == x).count();
        let (k, s, e) = (
            count(Verdict::Killed),
            count(Verdict::Survived),
            count(Verdict::Excluded),
        );
        let kinds: BTreeMap<Kind, usize> = v.iter().fold(BTreeMap::new(), |mut m, p| {
            *m.entry(p.0.kind).or_default() += 1;
            m
        });
        rows.push(format!(
            "{:<30} {:>7} {:>7} {:>8} {:>8} {:>8.1} %  {} steps; {}; {} redrawn",
            designs[d].name,
            v.len(),
            k,
            s,
            e,
            100.0 * k as f64 / (k + s).max(1) as f64,
            b.steps,
            kinds
                .iter()
                .map(|(k, n)| format!("{} {n}", k.name()))
                .collect::<Vec<_>>()
                .join(", "),
            b.redrawn
        ));
        for (m, x) in &v {
            let e = by_kind.entry(m.kind).or_insert([0; 3]);
            e[match x {
                Verdict::Killed => 0,
                Verdict::Survived => 1,
                Verdict::Excluded => 2,
            }] += 1;
            match x {
                Verdict::Survived => notes.push(format!(
                    "  survived  {}: {} {} ({})",
                    designs[d].name,
                    m.kind.name(),
                    m.what,
                    match &m.site {
                        Site::Hex { file, line, .. } => format!("{file} word {line}"),
                        Site::Verilog { file, line, .. } => format!("{file} line {}", line + 1),
                    }
                )),
                Verdict::Excluded => notes.push(format!(
                    "  excluded  {}: {} {} (equivalent: the golden model gives identical outputs, h and c over {} timesteps)",
                    designs[d].name,
                    m.kind.name(),
                    m.what,
                    evidence[d].iter().map(Vec::len).sum::<usize>()
                )),
                Verdict::Killed if std::env::var_os("QRNN_MUTATION_VERBOSE").is_some() => notes
                    .push(format!(
                        "  killed    {}: {} {}",
                        designs[d].name,
                        m.kind.name(),
                        m.what
                    )),
                Verdict::Killed => {}
            }
        }
        n_all += v.len();
        k_all += k;
        s_all += s;
        e_all += e;
    }
    let rate = 100.0 * k_all as f64 / (k_all + s_all).max(1) as f64;
    let excluded = 100.0 * e_all as f64 / n_all.max(1) as f64;
    let mut report = format!(
        "mutation test (seed {seed}; QRNN_MUTATION_SEED changes it): the default stimulus of `qrnn-hw gen`\n\
         {:<30} {:>7} {:>7} {:>8} {:>8} {:>10}\n",
        "design", "mutants", "killed", "survived", "excluded", "catch rate"
    );
    for r in &rows {
        report.push_str(r);
        report.push('\n');
    }
    report.push_str(&format!(
        "{:<30} {:>7} {:>7} {:>8} {:>8} {:>8.1} %  (excluded {:.1} %; build {:.0} s, total {:.0} s)\n",
        "all",
        n_all,
        k_all,
        s_all,
        e_all,
        rate,
        excluded,
        t_build.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    ));
    for (kind, [k, s, e]) in &by_kind {
        report.push_str(&format!(
            "{:<30} {:>7} {:>7} {:>8} {:>8} {:>8.1} %\n",
            format!("  kind {}", kind.name()),
            k + s + e,
            k,
            s,
            e,
            100.0 * *k as f64 / (k + s).max(1) as f64
        ));
    }
    for n in &notes {
        report.push_str(n);
        report.push('\n');
    }
    // straight to stderr, not through the test harness's capture: the table shows in CI logs
    let _ = std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes());
    if let Some(target) = common::cache_dir().parent() {
        let _ = std::fs::write(target.join("qrnn-mutation-report.txt"), &report);
    }
    if std::env::var_os("QRNN_MUTATION_QUOTA").is_none() {
        assert!(n_all >= 200, "only {n_all} mutants");
    }
    // docs/HARDWARE.md §8 quotes this run's table (the default seed, quotas and stimulus): a
    // generated region, checked here, rewritten under QRNN_UPDATE_DOCS=1 (`make docs`)
    if seed == 1
        && std::env::var_os("QRNN_MUTATION_QUOTA").is_none()
        && std::env::var_os("QRNN_MUTATION_SIM_STEPS").is_none()
    {
        let pct = |k: usize, s: usize| {
            if k > 0 && s == 0 {
                "100 %".to_string()
            } else {
                format!("{:.1} %", 100.0 * k as f64 / (k + s).max(1) as f64)
            }
        };
        let mut table = String::from(
            "| | mutants | killed | survived | excluded | catch rate |\n|---|---|---|---|---|---|\n",
        );
        table.push_str(&format!(
            "| all | {n_all} | {k_all} | {s_all} | {e_all} ({excluded:.1} %) | **{}** |\n",
            pct(k_all, s_all)
        ));
        for (kind, [k, s, e]) in &by_kind {
            table.push_str(&format!(
                "| {} | {} | {k} | {s} | {e} | {} |\n",
                kind.name(),
                k + s + e,
                pct(*k, *s)
            ));
        }
        let mut r = docregion::Regions::default();
        r.set("docs/HARDWARE.md", "mutation-table", &table);
        r.finish();
    }
    if std::env::var_os("QRNN_MUTATION_SIM_STEPS").is_some() {
        return; // a measurement of another stimulus, not the check of the default
    }
    assert!(
        excluded <= 10.0,
        "{excluded:.1} % of the mutants excluded as equivalent (at most 10 %)"
    );
    assert!(rate >= 95.0, "catch rate {rate:.1} % < 95 %:\n{report}");
}
