//! What `show`, `list` and `resume` add about an interrupted run and about token counts that
//! came from the runtimes' transcripts (issue 11). The decisions are session-core's
//! ([`owner::interrupted`], `transcript_usage`); this module only words them.

use maestro_session_core::outputs::sessions::OwnerOutput;
use maestro_session_core::session::session_file::{Location, SessionFile};
use maestro_session_core::store::Store;
use maestro_session_core::store::owner::{self, Interrupted};

/// The interrupted run of the active session, if it is interrupted. A failure to tell (an
/// unreadable owner file, no `/proc`) reads as not interrupted: this is a report, not a rule.
pub fn interrupted(store: &Store) -> Option<Interrupted> {
    owner::interrupted(store).ok().flatten()
}

/// The interrupted run of `s`, when `s` is the active session and its run is interrupted.
pub fn interrupted_for(store: &Store, s: &SessionFile) -> Option<Interrupted> {
    if s.location != Location::Active {
        return None;
    }
    interrupted(store).filter(|i| i.session_id == s.meta.session_id)
}

/// `show --json`'s `"owner"`: for the active session when an owner of its run is recorded
/// (see `Owner::ran`), the `state/owner.json` record plus `"gone"` (why it is not running, or
/// null).
pub fn owner(store: &Store, s: &SessionFile) -> Option<OwnerOutput> {
    if s.location != Location::Active {
        return None;
    }
    let owner = store.owner().ok().flatten().filter(|o| o.ran(&s.meta))?;
    let gone = owner.gone().ok().flatten();
    Some(OwnerOutput { owner, gone })
}

/// Human `show`/`resume`: the one line saying the run was interrupted, or nothing.
pub fn interrupted_line(run: Option<&Interrupted>) -> String {
    run.map(|r| format!("\n{}\n", r.describe()))
        .unwrap_or_default()
}

/// Human `show`: which token counts came from transcripts, one line per agent
/// (`  coder: 1240 in / 300 out / 0 cached from transcripts (3 replies)`), or nothing.
pub fn transcript_lines(s: &SessionFile) -> String {
    let Some(tu) = &s.meta.transcript_usage else {
        return String::new();
    };
    let mut out = String::new();
    for (agent, c) in tu.by_agent.iter().filter(|(_, c)| !c.is_empty()) {
        out.push_str(&format!(
            "  {agent}: {} in / {} out / {} cached from transcripts ({} replies); the rest model-reported\n",
            c.input, c.output, c.cached, c.replies
        ));
    }
    out
}
