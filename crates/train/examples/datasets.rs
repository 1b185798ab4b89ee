//! Look at the installed data sets (docs/DATASETS.md).
//!
//! ```sh
//! scripts/setup-data.sh                                      # once: installs the data
//! cargo run -p qrnn-train --example datasets -- list         # what is installed, with sizes
//! cargo run -p qrnn-train --example datasets -- show GunPoint  # counts, lengths, classes
//! cargo run -p qrnn-train --example datasets -- show digits | mnist5k | rotten-tomatoes
//! cargo run -p qrnn-train --example datasets -- show moving-digits [seed]
//! cargo run -p qrnn-train --example datasets -- show /path/to/aclImdb
//! ```
//!
//! Exit status: 0 on success, 1 on a data error (printed with its file and line), 2 on bad usage.

use qrnn_train::datasets::digits::{moving_digits, MovingDigitsConfig};
use qrnn_train::datasets::text::{SeqPolicy, TextCorpus};
use qrnn_train::datasets::ts::TsOptions;
use qrnn_train::datasets::{DataDir, Dataset, DatasetError, Split};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["list"] => list(),
        ["show", name] => show(name, None),
        ["show", name, seed] => match seed.parse() {
            Ok(s) => show(name, Some(s)),
            Err(_) => usage(),
        },
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("{:?}", miette::Report::new(e));
        std::process::exit(1);
    }
}

fn usage() -> Result<(), DatasetError> {
    eprintln!("usage: datasets list | show NAME [SEED] | show PATH/aclImdb");
    std::process::exit(2);
}

fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

fn list() -> Result<(), DatasetError> {
    let dir = DataDir::locate()?;
    println!("data directory: {}", dir.root().display());
    if let Some(w) = dir.entry("WHEELS") {
        println!("wheels: {w}");
    }
    let sets = dir.installed();
    if sets.is_empty() {
        println!("nothing installed: run scripts/setup-data.sh");
    }
    let mut total = 0;
    for s in &sets {
        total += s.bytes;
        println!(
            "{:<18} {:<7} {:>10}  {}",
            s.name,
            s.kind,
            human(s.bytes),
            s.files[0].display()
        );
    }
    println!("{} data sets, {}", sets.len(), human(total));
    Ok(())
}

fn describe(ds: &Dataset) {
    let (lo, hi) = ds.length_range();
    let len = if lo == hi {
        format!("{lo}")
    } else {
        format!("{lo}..{hi}")
    };
    let classes = ds
        .classes()
        .iter()
        .zip(ds.class_counts())
        .map(|(c, n)| format!("{c}:{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    println!(
        "  {:<28} {:>6} sequences, length {len}, {} values per timestep{}",
        ds.name,
        ds.len(),
        ds.dims(),
        if classes.is_empty() {
            String::new()
        } else {
            format!(", classes {classes}")
        }
    );
}

fn show_split(s: &Split) {
    describe(&s.train);
    describe(&s.test);
}

fn show_text(c: &TextCorpus) {
    println!(
        "{}: {} train / {} test texts, classes {}",
        c.name,
        c.train.len(),
        c.test.len(),
        c.classes.join(" ")
    );
    let enc = c.encode(10_000, 1, 200, SeqPolicy::default());
    println!(
        "  vocabulary {} ids (top words: {})",
        enc.vocab.len(),
        enc.vocab.words()[2..12.min(enc.vocab.len())].join(" ")
    );
    show_split(&enc.split);
}

fn show(name: &str, seed: Option<u64>) -> Result<(), DatasetError> {
    if Path::new(name).join("train").is_dir() {
        return {
            show_text(&qrnn_train::datasets::text::read_aclimdb(Path::new(name))?);
            Ok(())
        };
    }
    let dir = DataDir::locate()?;
    match name {
        "digits" | "mnist5k" => {
            let d = if name == "digits" {
                dir.load_digits()?
            } else {
                dir.load_mnist5k()?
            };
            println!("{}: {} images {}×{}", d.name, d.len(), d.side, d.side);
            describe(&d.to_row_sequences());
        }
        "moving-digits" => {
            let d = dir.load_digits()?;
            let cfg = MovingDigitsConfig {
                sequences: 4,
                seed: seed.unwrap_or(1),
                ..MovingDigitsConfig::default()
            };
            let m = moving_digits(&d, &cfg)?;
            println!("{}", m.source);
            for (t, frame) in m.videos[0].iter().enumerate().take(3) {
                println!("frame {t}:");
                for row in frame.chunks(cfg.width) {
                    let s: String = row
                        .iter()
                        .map(|&v| match v {
                            v if v > 0.66 => '#',
                            v if v > 0.33 => '+',
                            v if v > 0.0 => '.',
                            _ => ' ',
                        })
                        .collect();
                    println!("  |{s}|");
                }
            }
            describe(&m.predict_next(cfg.frames / 2)?);
        }
        "rotten-tomatoes" => show_text(&dir.load_rotten_tomatoes()?),
        _ => {
            let s = dir.load_ucr(name, &TsOptions::default())?;
            println!("{name} (UCR/UEA)");
            show_split(&s);
        }
    }
    Ok(())
}
