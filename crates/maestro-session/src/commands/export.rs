//! `export SESSION [-o FILE [--force]] [--no-events]`: one self-contained, versioned JSON file
//! per session, to move it to another project (the format and the rules live in
//! `maestro_session_core::store::export` and the store's `exporting` half; `import` reads it).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use maestro_session_core::error::Error;
use maestro_session_core::outputs::command::ExportOutput;
use maestro_session_core::store::Store;
use maestro_session_core::store::export::ExportOptions;
use maestro_session_fs::durable;
use maestro_session_fs::reader;

use crate::output::Report;

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Session id or prefix (`active`: the active session).
    pub session: String,
    /// Write the export to this file (`-` or none: stdout). An existing file is refused
    /// unless --force.
    #[arg(long, short, value_name = "FILE", value_parser = crate::cli::utf8_path())]
    pub output: Option<PathBuf>,
    /// Replace an existing --output file.
    #[arg(long)]
    pub force: bool,
    /// Leave the event log out (an export over the 48 MiB `import` reads becomes importable).
    #[arg(long)]
    pub no_events: bool,
}

/// Runs `export`: streamed to stdout (the export file itself, in both output modes), or to
/// `--output` with a durable replace (a whole file or none).
pub fn run(store: &Store, args: ExportArgs) -> anyhow::Result<Report> {
    let opts = ExportOptions {
        no_events: args.no_events,
    };
    let Some(path) = args.output.filter(|p| p != Path::new("-")) else {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
        let summary = match store.export_to(&args.session, &opts, &mut out, Path::new("<stdout>")) {
            // A closed stdout ends the run quietly (see `failure`).
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
                return Err(source.into());
            }
            other => other?,
        };
        if let Some(warning) = summary.too_large_to_import() {
            anstream::eprintln!("warning: {warning}");
        }
        return Ok(Report::silent());
    };
    if !args.force && reader::lstat(&path).is_ok() {
        return Err(Error::refused(
            &args.session,
            format!(
                "{} already exists; pass --force to replace it",
                path.display()
            ),
        )
        .into());
    }
    let mut summary = None;
    durable::durable_replace_with::<maestro_session_core::Error>(
        &path,
        durable::STATE_FILE_MODE,
        &mut |file, _temp| {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
            summary = Some(store.export_to(&args.session, &opts, &mut out, &path)?);
            Ok(())
        },
    )?;
    let summary = summary.context("the export wrote nothing")?;
    let mut human = format!(
        "exported {} to {} ({} bytes, {} events, {} checkpoints, {} plans)\n",
        summary.exported,
        path.display(),
        summary.bytes,
        summary.events,
        summary.checkpoints,
        summary.plans
    );
    for s in &summary.skipped {
        human.push_str(&format!("  skipped: {s}\n"));
    }
    let warning = summary.too_large_to_import();
    if let Some(w) = &warning {
        human.push_str(&format!("  warning: {w}\n"));
    }
    Ok(Report::new(
        crate::output::json(&ExportOutput {
            exported: summary.exported.clone(),
            output: path.display().to_string(),
            bytes: summary.bytes,
            events: summary.events,
            checkpoints: summary.checkpoints,
            plans: summary.plans,
            skipped: summary.skipped.clone(),
            warning,
        })?,
        human,
    ))
}
