//! The doctor's check of the event logs: torn lines found, and with `--fix` repaired (the
//! damaged log's bytes set aside in the quarantine first).

use std::path::Path;

use super::{Doctor, ProblemKind};
use crate::error::Result;
use crate::store::event_log::{Damage, TornLine};
use crate::store::intent::{self, Intent, Step, shape};
use crate::store::quarantine::{self, free_name, why_text};
use crate::workspace::paths::EVENTS_REL;
use maestro_session_fs::durable;

impl Doctor<'_> {
    /// Event logs with lines reads skip (see [`crate::store::event_log`]); `--fix` sets each line
    /// aside and blanks it in place, as one intent per log: the log is never rewritten, so no
    /// line a hook appends meanwhile is lost.
    pub(super) fn event_logs(&mut self) -> Result<()> {
        if !self.usable_folder(Path::new(EVENTS_REL))? {
            return Ok(());
        }
        for (rel, id, scanned) in crate::store::event_log::damaged(self.root)? {
            // A log that is not a regular file is reported by `places`.
            let Ok(damage) = scanned else {
                continue;
            };
            if damage.lines.is_empty() {
                continue;
            }
            let shown: Vec<String> = damage.lines.iter().map(|l| l.line.to_string()).collect();
            let detail = format!(
                "event log of session {id}: line {} is not a JSON object (a torn append); reads skip it",
                shown.join(", ")
            );
            self.found(
                ProblemKind::TornEvent,
                &rel,
                detail.clone(),
                "--fix copies each such line to state/quarantine/ and blanks it in place; the log is never rewritten, so no line appended meanwhile is lost",
            );
            if self.fix {
                match self.repair_log(&rel, &id, damage) {
                    Ok(action) => self.repaired(ProblemKind::TornEvent, &rel, action),
                    Err(e) => self.failed(
                        ProblemKind::TornEvent,
                        &rel,
                        format!("could not set the torn lines aside: {e}"),
                        "reads skip them meanwhile; run doctor --fix again once the error is gone",
                    ),
                }
            }
        }
        Ok(())
    }

    pub(super) fn repair_log(
        &mut self,
        rel: &Path,
        id: &str,
        mut damage: Damage,
    ) -> Result<String> {
        if damage.unterminated {
            // Close the torn last line as the next append would; a line appended since is
            // already closed and gets nothing.
            self.root.append(rel, b"", durable::STATE_FILE_MODE, true)?;
            damage = crate::store::event_log::torn_lines(self.root, rel)?;
        }
        let (fixable, too_long): (Vec<TornLine>, Vec<TornLine>) = damage
            .lines
            .into_iter()
            .partition(|l| l.len <= shape::MAX_EXCERPT_BYTES);
        quarantine::prepare(self.root)?;
        let path = maestro_session_fs::beneath::slash_text(rel);
        let mut steps = Vec::new();
        let mut taken = Vec::new();
        for line in &fixable {
            let to = free_name(self.root, &format!("{id}.jsonl-line-{}", line.line), &taken)?;
            let why = why_text(
                self.root,
                rel,
                &format!(
                    "line {} (bytes {}..{}) of the event log of session {id} is not a JSON object (a torn append); doctor --fix copied it here and blanked it in the log",
                    line.line,
                    line.offset,
                    line.offset.saturating_add(line.len)
                ),
            );
            steps.push(Step::Excerpt {
                from: path.clone(),
                offset: line.offset,
                len: line.len,
                to: to.clone(),
            });
            steps.push(Step::Write {
                path: format!("{to}.why"),
                content: why,
            });
            steps.push(Step::Blank {
                path: path.clone(),
                offset: line.offset,
                len: line.len,
                kept: to.clone(),
            });
            taken.push(to);
        }
        if !steps.is_empty() {
            intent::run(
                self.root,
                &Intent::new(shape::Op::RepairEventLog.name(), id, steps),
            )?;
        }
        for line in &too_long {
            self.failed(
                ProblemKind::TornEvent,
                rel,
                format!(
                    "line {} is {} bytes, over the {} bytes doctor --fix sets aside",
                    line.line,
                    line.len,
                    shape::MAX_EXCERPT_BYTES
                ),
                "reads skip it; leave it, or move the log aside by hand",
            );
        }
        let lines: Vec<String> = fixable.iter().map(|l| l.line.to_string()).collect();
        Ok(format!(
            "set line {} aside in {} and blanked it in place",
            lines.join(", "),
            taken.join(", ")
        ))
    }
}
