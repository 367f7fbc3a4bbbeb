//! `export` and `import`: one self-contained, versioned JSON file per session, to move it to
//! another project (the format and the rules live in `maestro_session_core::store::export` and the
//! store's `exporting` half).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use maestro_session_core::error::Error;
use maestro_session_core::store::Store;
use maestro_session_core::store::export::{self, MAX_EXPORT_BYTES};
use maestro_session_core::store::export::{ExportOptions, ImportOptions, ImportReport};
use maestro_session_fs::durable;
use maestro_session_fs::reader::{self, ReadKind};
use serde_json::json;

use crate::output::Report;

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Session id or prefix (`active`: the active session).
    pub session: String,
    /// Write the export to this file (`-` or none: stdout). An existing file is refused
    /// unless --force.
    #[arg(long, short, value_name = "FILE", value_parser = crate::args::utf8_path())]
    pub output: Option<PathBuf>,
    /// Replace an existing --output file.
    #[arg(long)]
    pub force: bool,
    /// Leave the event log out (an export over the 48 MiB `import` reads becomes importable).
    #[arg(long)]
    pub no_events: bool,
}

/// `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export file (`-`: stdin).
    #[arg(value_parser = crate::args::utf8_path())]
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

/// Runs `export`: streamed to stdout (the export file itself, in both output modes), or to
/// `--output` with a durable replace (a whole file or none).
pub fn export(store: &Store, args: ExportArgs) -> anyhow::Result<Report> {
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
        json!({
            "exported": summary.exported,
            "output": path.display().to_string(),
            "bytes": summary.bytes,
            "events": summary.events,
            "checkpoints": summary.checkpoints,
            "plans": summary.plans,
            "skipped": summary.skipped,
            "warning": warning,
        }),
        human,
    ))
}

/// Runs `import`.
pub fn import(store: &Store, args: ImportArgs) -> anyhow::Result<Report> {
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
