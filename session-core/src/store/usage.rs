//! Adding a transcript's new usage to the active session, once (issue 11).
//!
//! Under the state lock: the active session is read, the transcript is read from where it was
//! last counted (only the new bytes: [`crate::fs::appended::read_from`]), its complete lines are
//! counted ([`crate::session::usage::count_lines`]), and the counts, added to
//! `token_usage.by_agent.<agent>` (checked, totals kept equal to the sums) and to
//! `transcript_usage.by_agent.<agent>`, are written together with the transcript's new offset
//! in one durable write of the session file. A crash before the write loses nothing and counts
//! nothing; after it, the offset says the bytes were counted. So the same transcript is never
//! counted twice, and a SubagentStop repeated with nothing new writes nothing.

use std::path::Path;

use crate::error::Result;
use crate::fs::appended;
use crate::operations::{self, Operation};
use crate::session::agent_name::AgentName;
use crate::session::usage::{self, TranscriptMark, UsageCounts};
use crate::store::Store;

/// Most new bytes of one transcript read by one hook run; the rest is counted next time.
pub const MAX_NEW_BYTES: u64 = 64 * 1024 * 1024;

/// What [`Store::count_transcript`] added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// The active session's id.
    pub session_id: String,
    /// The agent the counts went to (`None`: the offset only moved on).
    pub agent: Option<String>,
    /// What was added.
    pub added: UsageCounts,
    /// The transcript's offset now, in bytes.
    pub offset: u64,
}

impl Store {
    /// Counts what `transcript` gained since it was last counted and adds it to the active
    /// session under `agent` (with `agent` `None` the bytes are only marked as read, so a later
    /// agent is not charged for them). `Ok(None)` when there is no active session or nothing
    /// new (then nothing is written).
    ///
    /// Errors: the lock, the session or the transcript cannot be read
    /// ([`crate::Error::Io`] naming the path, [`crate::Error::NotRegular`]); a count would pass
    /// 2^64−1 ([`crate::Error::Refused`], nothing changed); the write fails.
    pub fn count_transcript(
        &self,
        transcript: &Path,
        agent: Option<&str>,
    ) -> Result<Option<Counted>> {
        // The boundary of the hooks' agent names: one rule ([`AgentName`]) for every key of
        // `by_agent`.
        let name = agent.map(AgentName::parse).transpose().map_err(|e| {
            crate::Error::Invalid(format!("the agent of {}: {e}", transcript.display()))
        })?;
        let agent = name.as_ref().map(AgentName::as_str);
        let Some(l) = self.locked_existing()? else {
            return Ok(None);
        };
        let Some(mut session) = super::active_in(&l.root)? else {
            return Ok(None);
        };
        let key = transcript.to_string_lossy().into_owned();
        let mut tu = session.meta.transcript_usage.clone().unwrap_or_default();
        let old = tu.transcripts.get(&key).cloned().unwrap_or_default();
        let new = appended::read_from(
            transcript,
            Some((old.dev, old.ino)),
            old.offset,
            MAX_NEW_BYTES,
        )?;
        let mut mark = if new.start == old.offset && (new.dev, new.ino) == (old.dev, old.ino) {
            old.clone()
        } else {
            // Another file, or a shorter one: counted from the start.
            TranscriptMark::default()
        };
        mark.dev = new.dev;
        mark.ino = new.ino;
        let (added, used) = usage::count_lines(&new.bytes, &mut mark);
        mark.offset = new.start + used;
        if let Some(agent) = agent {
            mark.agent = Some(agent.to_string());
        }
        if mark == old {
            return Ok(None);
        }
        let before = session.meta.clone();
        let mut meta = session.meta.clone();
        let mut body = session.body.clone();
        if let Some(agent) = name.as_ref().filter(|_| !added.is_empty()) {
            let op = Operation::Tokens {
                agent: agent.clone(),
                input: added.input,
                output: added.output,
                cached: added.cached,
            };
            operations::apply(&mut meta, &mut body, &op, &self.op_context()?)?;
            let entry = tu.by_agent.entry(agent.to_string()).or_default();
            *entry = entry.plus(added);
        }
        let offset = mark.offset;
        tu.transcripts.insert(key.clone(), mark);
        meta.transcript_usage = Some(tu);
        session.meta = meta;
        session.body = body;
        let rel = Path::new(crate::workspace::paths::ACTIVE_REL);
        session.write_in(&l.root, rel)?;
        let counted = Counted {
            session_id: session.meta.session_id.clone(),
            agent: agent.map(str::to_string),
            added,
            offset,
        };
        // The event log: a `tokens` event with the frontmatter's changes (the counts and the
        // offset), saying where they came from.
        let mut extra = vec![
            ("source", serde_json::Value::from("transcript")),
            ("transcript", serde_json::Value::from(key)),
            ("offset", serde_json::Value::from(offset)),
        ];
        if let Some(agent) = agent {
            extra.push(("agent", serde_json::Value::from(agent)));
        }
        self.record(
            &l,
            &counted.session_id,
            "tokens",
            Some(&before),
            Some(&session.meta),
            &extra,
        );
        Ok(Some(counted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;
    use crate::fs::durable;
    use crate::session::lifecycle::SessionStatus;
    use crate::store::CreateRequest;
    use crate::workspace::paths::Workspace;

    fn store(t: &Path) -> Store {
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let ws = Workspace::with_state_dir(&env, t, Path::new("docs/maestro")).expect("ws");
        let store = Store::new(ws, env);
        store.init().expect("init");
        store
            .create(&CreateRequest {
                task: "t".into(),
                ..CreateRequest::default()
            })
            .expect("create");
        store
    }

    const FIXTURE: &str = include_str!(
        "../../../tests/fixtures/claude-code/transcripts/agent-ab6e9f662501aaedc.jsonl"
    );

    #[test]
    fn counts_once_only_new_bytes_and_restarts_on_a_replaced_file() {
        let t = tempfile::tempdir().expect("tmp");
        let store = store(t.path());
        let path = t.path().join("agent.jsonl");
        // The first reply and half of the second line.
        let lines: Vec<&str> = FIXTURE.split_inclusive('\n').collect();
        let first_reply = lines
            .iter()
            .position(|l| l.contains(r#""type":"assistant""#))
            .expect("a reply");
        let head: String = lines[..=first_reply].concat();
        let half = &lines[first_reply + 1][..10];
        durable::atomic_replace(&path, format!("{head}{half}").as_bytes(), 0o600).expect("write");
        let c = store
            .count_transcript(&path, Some("coder"))
            .expect("count")
            .expect("counted");
        assert_eq!(
            (c.added.input, c.added.output, c.added.replies),
            (100, 20, 1)
        );
        assert_eq!(c.offset, head.len() as u64, "the partial line is left");
        // Again with nothing new: nothing counted, nothing written.
        assert_eq!(
            store.count_transcript(&path, Some("coder")).expect("again"),
            None
        );
        // The file grows to the whole transcript (a blocked agent's retry).
        durable::atomic_replace(&path, FIXTURE.as_bytes(), 0o600).expect("grow");
        // atomic_replace makes a new inode: a replaced file is counted from the start.
        let c = store
            .count_transcript(&path, Some("coder"))
            .expect("count")
            .expect("counted");
        assert_eq!(c.added.replies, 2, "replaced: counted from 0");
        let s = store.active().expect("read").expect("active");
        let t_usage = s.meta.transcript_usage.expect("kept");
        assert_eq!(t_usage.by_agent["coder"].replies, 3);
        assert_eq!(s.meta.token_usage.by_agent["coder"].input, 300);
        assert_eq!(s.meta.token_usage.total_output, 60);
        assert_eq!(s.meta.status, SessionStatus::InProgress);
        assert_eq!(
            store.count_transcript(&path, Some("coder")).expect("idem"),
            None
        );
    }

    #[test]
    fn appended_bytes_are_read_from_the_offset() {
        use std::io::Write as _;
        let t = tempfile::tempdir().expect("tmp");
        let store = store(t.path());
        let path = t.path().join("agent.jsonl");
        let lines: Vec<&str> = FIXTURE.split_inclusive('\n').collect();
        let cut = lines.len() / 2;
        durable::atomic_replace(&path, lines[..cut].concat().as_bytes(), 0o600).expect("write");
        let first = store.count_transcript(&path, Some("coder")).expect("count");
        #[allow(clippy::disallowed_methods)] // the runtime appends; so does the test
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        f.write_all(lines[cut..].concat().as_bytes())
            .expect("append");
        let second = store.count_transcript(&path, Some("coder")).expect("count");
        let replies = |c: Option<Counted>| c.map_or(0, |c| c.added.replies);
        assert_eq!(replies(first) + replies(second), 2);
        let s = store.active().expect("read").expect("active");
        assert_eq!(s.meta.token_usage.by_agent["coder"].output, 40);
    }
}
