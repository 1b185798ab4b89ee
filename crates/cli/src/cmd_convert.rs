//! `qrnn-hw convert IN OUT`: binary `.qw` ⇄ text twin `.qw.toml`, chosen by OUT's extension;
//! `--name NEW` renames the model. It is the one reader that accepts a model whose name or
//! provenance breaks the naming rule (docs/CLI.md#names), so that old files can be repaired: the
//! name must then be replaced with `--name`, and provenance text is escaped (with a note).

use crate::Ctx;
use miette::Result;
use qrnn_model::{FileError, Model};
use std::path::PathBuf;

/// Arguments of `convert`.
#[derive(clap::Args)]
pub struct Args {
    /// Model to read (.qw or .qw.toml).
    input: PathBuf,
    /// File to write: `.toml` writes the text twin, anything else the binary .qw.
    output: PathBuf,
    /// Rename the model: 1 to 64 characters from A-Z a-z 0-9 _ . - (docs/CLI.md#names). Also
    /// repairs a file whose name breaks that rule.
    #[arg(long)]
    name: Option<String>,
}

/// Run `convert`.
pub fn run(ctx: Ctx, a: Args) -> Result<()> {
    if let Some(n) = &a.name {
        qrnn_model::name::check_name("--name", n)?;
    }
    // Memory, before reading (docs/CLI.md "Budgets"): the file, the model, its encoding.
    crate::util::check_model_file(ctx, &a.input, "converting")?;
    let mut m = Model::load_to_rename(&a.input)?;
    if let Some(n) = &a.name {
        m.name = n.clone();
    }
    let repaired = m.provenance.legalise();
    // A name that breaks the rule and no --name: refused, the error says how to rename.
    m.check_names().map_err(|error| FileError::Model {
        path: a.input.clone(),
        error,
    })?;
    if !ctx.quiet {
        for f in repaired {
            note!(
                "note: {}: `{f}` broke the naming rule (docs/CLI.md#names); written with its forbidden characters escaped",
                a.input.display()
            );
        }
    }
    m.save(&a.output)?;
    if !ctx.quiet {
        note!("wrote {} (model hash {})", a.output.display(), m.hash());
    }
    Ok(())
}
