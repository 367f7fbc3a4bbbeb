//! `checkpoint create|list|restore|diff`: durable copies of a session file and rolling back to
//! them (the rules live in `maestro_session_core::store::checkpoint`).

use std::fmt::Write as _;

use clap::Subcommand;
use maestro_session_core::outputs::command::CheckpointListOutput;
use maestro_session_core::store::Store;
use maestro_session_core::store::checkpoint::{
    CheckpointList, CheckpointMeta, CheckpointTaken, DiffReport, RestoreReport,
};

use crate::output::Report;

/// `checkpoint`.
#[derive(Debug, Subcommand)]
pub enum CheckpointCommand {
    /// Take a checkpoint of a session by hand (kept until removed by hand; automatic ones are
    /// taken before every phase transition, resume, doctor --fix and restore).
    Create {
        /// Session id or prefix.
        session: String,
        /// A name to restore it by: letters, digits, `-`, `_`, `.`, at most 64 bytes, not all
        /// digits, unique within the session.
        #[arg(long)]
        name: Option<String>,
    },
    /// List a session's checkpoints, newest first.
    List {
        /// Session id or prefix.
        session: String,
    },
    /// Replace the session file with a checkpoint's bytes (after taking a `restore`
    /// checkpoint of it, which undoes this).
    Restore {
        /// Session id or prefix.
        session: String,
        /// Checkpoint id or name.
        checkpoint: String,
    },
    /// Unified diff of checkpoint A against checkpoint B, or against the session file now.
    Diff {
        /// Session id or prefix.
        session: String,
        /// Checkpoint id or name.
        a: String,
        /// Checkpoint id or name (default: the session file as it is now).
        b: Option<String>,
    },
}

/// Runs one `checkpoint` command.
pub fn run(store: &Store, command: CheckpointCommand) -> anyhow::Result<Report> {
    Ok(match command {
        CheckpointCommand::Create { session, name } => {
            let taken = store.checkpoint_create(&session, name.as_deref())?;
            Report::new(serde_json::to_value(&taken)?, created(&taken))
        }
        CheckpointCommand::List { session } => {
            let list = store.checkpoint_list(&session)?;
            Report::new(
                crate::output::json(&CheckpointListOutput::of(&list))?,
                listed(&list),
            )
        }
        CheckpointCommand::Restore {
            session,
            checkpoint,
        } => {
            let r = store.checkpoint_restore(&session, &checkpoint)?;
            Report::new(serde_json::to_value(&r)?, restored(&r))
        }
        CheckpointCommand::Diff { session, a, b } => {
            let d = store.checkpoint_diff(&session, &a, b.as_deref())?;
            Report::new(serde_json::to_value(&d)?, diffed(&d))
        }
    })
}

/// `checkpoint 3 "before-refactor"` or `checkpoint 3`.
fn title(m: &CheckpointMeta) -> String {
    match &m.name {
        Some(name) => format!("checkpoint {} {name:?}", m.id),
        None => format!("checkpoint {}", m.id),
    }
}

/// The first 12 hex digits of a commit, or `-`.
fn short_commit(m: &CheckpointMeta) -> &str {
    m.git_commit
        .as_deref()
        .map(|c| c.get(..12).unwrap_or(c))
        .unwrap_or("-")
}

fn created(t: &CheckpointTaken) -> String {
    let m = &t.checkpoint;
    format!(
        "{} of {} taken ({}, {} bytes, {}, commit {})\n  {}\n",
        title(m),
        t.session,
        m.reason,
        m.bytes,
        m.time,
        short_commit(m),
        t.path.display()
    )
}

fn listed(l: &CheckpointList) -> String {
    let mut out = String::new();
    if l.checkpoints.is_empty() {
        let _ = writeln!(out, "{}: no checkpoints", l.session);
    } else {
        let _ = writeln!(out, "checkpoints of {}, newest first", l.session);
        let rows: Vec<[String; 6]> = l
            .checkpoints
            .iter()
            .map(|m| {
                [
                    m.id.to_string(),
                    m.name.clone().unwrap_or_else(|| "-".into()),
                    m.reason.clone(),
                    m.time.clone(),
                    short_commit(m).to_string(),
                    if m.automatic { "auto" } else { "manual" }.to_string(),
                ]
            })
            .collect();
        let header = ["ID", "NAME", "REASON", "TIME", "COMMIT", "KIND"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(header.map(String::from)).chain(rows) {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<w$}  ");
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    for u in &l.unreadable {
        let _ = writeln!(out, "unreadable: {u}");
    }
    out
}

fn restored(r: &RestoreReport) -> String {
    let taken = if r.restored.automatic {
        format!("taken before {}", r.restored.reason)
    } else {
        "taken by hand".to_string()
    };
    let mut out = format!(
        "restored {} from {} ({taken}, {})\n  {}\n",
        r.session,
        title(&r.restored),
        r.restored.time,
        r.path.display()
    );
    if let Some(note) = &r.note {
        let _ = writeln!(out, "  note: {note}");
    }
    let _ = writeln!(
        out,
        "  undo with: maestro-session checkpoint restore {} {}",
        r.session, r.undo.id
    );
    out
}

fn diffed(d: &DiffReport) -> String {
    if d.changed {
        if !d.minimal {
            // On stderr: stdout stays a unified diff `patch` reads.
            anstream::eprintln!(
                "note: after {} s the rest of the diff was shown line by line: it is correct but may not be the smallest",
                maestro_session_core::store::checkpoint::DIFF_DEADLINE.as_secs()
            );
        }
        d.diff.clone()
    } else {
        format!("{} and {} are identical\n", d.from, d.to)
    }
}
