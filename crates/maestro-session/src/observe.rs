//! What `show`, `list` and `resume` add about an interrupted run and about token counts that
//! came from the runtimes' transcripts (issue 11). The decisions are session-core's
//! ([`owner::interrupted`], `transcript_usage`); this module only words them.

use maestro_session_core::session::session_file::{Location, SessionFile};
use maestro_session_core::store::Store;
use maestro_session_core::store::owner::{self, Interrupted};
use serde_json::{Value, json};

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

/// `show --json`: adds `"interrupted": bool` and, for the active session when an owner of its
/// run is recorded (see `Owner::ran`), `"owner"` (the `state/owner.json` record, plus
/// `"gone"`: why it is not running, or null).
pub fn add_to_session_json(store: &Store, s: &SessionFile, value: &mut Value) {
    let run = interrupted_for(store, s);
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    obj.insert("interrupted".into(), json!(run.is_some()));
    if s.location == Location::Active
        && let Ok(Some(o)) = store.owner()
        && o.ran(&s.meta)
    {
        let gone = o.gone().ok().flatten();
        let mut owner = serde_json::to_value(&o).unwrap_or(Value::Null);
        if let Some(map) = owner.as_object_mut() {
            map.insert("gone".into(), json!(gone));
        }
        obj.insert("owner".into(), owner);
    }
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

/// `list --json`: marks the interrupted session's row with `"interrupted": true` (every other
/// row gets `false`).
pub fn mark_list_json(value: &mut Value, run: Option<&Interrupted>) {
    let Some(rows) = value.get_mut("sessions").and_then(Value::as_array_mut) else {
        return;
    };
    for row in rows {
        let hit = run.is_some_and(|r| row["session_id"] == r.session_id.as_str())
            && row["location"] == "active";
        if let Some(obj) = row.as_object_mut() {
            obj.insert("interrupted".into(), json!(hit));
        }
    }
}
