//! Writes a seed corpus for the `qw_reader` fuzz target: the binary `.qw` and the text twin of a
//! small example model of every cell and weight scheme, with and without a head.
//!
//! ```text
//! cd fuzz && cargo run --example seed_corpus -- corpus/qw_reader
//! ```
//!
//! (The bundled models in `examples/` at the top of the repository are good seeds too.)

use qrnn_model::example::{example, ExampleSpec};
use qrnn_model::qw::{to_bytes, to_text};
use qrnn_model::{ActFmt, Cell, Fmt, Scheme};
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "corpus/qw_reader".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let mut n = 0;
    for cell in [Cell::Lstm, Cell::Gru, Cell::ConvLstm] {
        for scheme in [
            Scheme::Binary,
            Scheme::Ternary,
            Scheme::Quaternary,
            Scheme::Int(4),
            Scheme::Int(8),
        ] {
            for head in [None, Some(2)] {
                let mut s = ExampleSpec::new(cell, scheme, 2, 1, 1);
                s.head = head;
                s.kernel = 1;
                s.map = (cell == Cell::ConvLstm).then_some((2, 2));
                // small tables keep the seeds short, so mutations hit the header and the codes
                s.formats.pre = Fmt::new(3, 1).expect("valid format");
                s.formats.act_frac = 2;
                if scheme == Scheme::Binary {
                    s.formats.x = ActFmt::Binary;
                    s.formats.h = ActFmt::Binary;
                }
                if head.is_some() {
                    s.per_row_mult = true;
                }
                let m = example(&s);
                let stem = format!(
                    "{cell}-{scheme}-{}",
                    if head.is_some() { "head" } else { "nohead" }
                );
                std::fs::write(dir.join(format!("{stem}.qw")), to_bytes(&m))?;
                std::fs::write(dir.join(format!("{stem}.qw.toml")), to_text(&m))?;
                n += 2;
            }
        }
    }
    println!("wrote {n} seed files to {}", dir.display());
    Ok(())
}
