//! `import FILE|- [--as ID] [--activate [--park]]`: recreates an exported session here (the
//! format and its checks are `maestro_session_core::store::export`'s).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use maestro_session_core::store::Store;
use maestro_session_core::store::export::{self, ImportOptions, ImportReport, MAX_EXPORT_BYTES};
use maestro_session_fs::reader::{self, ReadKind};

use crate::output::Report;

/// `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export file (`-`: stdin).
    #[arg(value_parser = crate::cli::utf8_path())]
    pub file: PathBuf,
    /// Import under this session id (the session file and its checkpoints are rewritten).
    #[arg(long = "as", value_name = "ID")]
    pub as_id: Option<String>,
    /// Make it the active session (a finished active session is archived to make room).
    #[arg(long)]
    pub activate: bool,
    /// With --activate: archive an unfinished active session as paused.
    #[arg(long, requires = "activate")]
    pub park: bool,
}

/// Runs `import`.
pub fn run(store: &Store, args: ImportArgs) -> anyhow::Result<Report> {
    let bytes = if args.file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_EXPORT_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("read stdin")?;
        bytes
    } else {
        reader::read_path(&args.file, ReadKind::EXPORT)?
    };
    let file = export::parse(&bytes, &args.file)?;
    let report = store.import(
        &file,
        &ImportOptions {
            as_id: args.as_id,
            activate: args.activate,
            park: args.park,
        },
    )?;
    Ok(Report::new(
        serde_json::to_value(&report)?,
        imported(&report),
    ))
}

fn imported(r: &ImportReport) -> String {
    let mut out = format!("imported {}", r.imported);
    if let Some(from) = &r.from {
        out.push_str(&format!(" (exported as {from})"));
    }
    out.push_str(&format!(
        " into {} ({} events, {} checkpoints)\n",
        r.file, r.events, r.checkpoints
    ));
    for p in &r.plans {
        out.push_str(&format!("  plan: {p}\n"));
    }
    if let Some(parked) = &r.parked {
        out.push_str(&format!("  parked: {parked}\n"));
    }
    out
}
