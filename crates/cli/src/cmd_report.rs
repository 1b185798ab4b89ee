//! `qrnn-hw report DIR`: resources (yosys, nextpnr) beside the compiler's prediction, Fmax, and
//! timesteps per second and latency at the achieved clock, for a generated project after
//! `make synth` (and `make pnr`). Writes `DIR/report.json` and prints a table (or `--json`).

use crate::Ctx;
use miette::{IntoDiagnostic, Result};
use std::path::PathBuf;

/// Arguments of `report`.
#[derive(clap::Args)]
pub struct Args {
    /// The generated project directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Run `report`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    let r = qrnn_fpga::report::report(&a.dir)?;
    let json = serde_json::to_string_pretty(&r).into_diagnostic()? + "\n";
    let out = a.dir.join("report.json");
    qrnn_model::qw::write_atomic(&out, json.as_bytes())?;
    if a.json {
        print!("{json}");
    } else {
        print!("{}", qrnn_fpga::report::render(&r));
        if !ctx.quiet {
            eprintln!("wrote {}", out.display());
        }
    }
    Ok(())
}
