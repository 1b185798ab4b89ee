//! `qrnn-hw convert IN OUT`: binary `.qw` ⇄ text twin `.qw.toml`, chosen by OUT's extension.

use crate::{util, Ctx};
use miette::Result;
use std::path::PathBuf;

/// Arguments of `convert`.
#[derive(clap::Args)]
pub struct Args {
    /// Model to read (.qw or .qw.toml).
    input: PathBuf,
    /// File to write: `.toml` writes the text twin, anything else the binary .qw.
    output: PathBuf,
}

/// Run `convert`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    let m = util::load_model(&a.input)?;
    m.save(&a.output)?;
    if !ctx.quiet {
        eprintln!("wrote {} (model hash {})", a.output.display(), m.hash());
    }
    Ok(())
}
