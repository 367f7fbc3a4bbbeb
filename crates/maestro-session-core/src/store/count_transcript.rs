//! Adding a transcript's new usage to the active session, once (issue 11, issue 15).
//!
//! The transcript is opened first through the one reader ([`maestro_session_fs::reader::open_path`]:
//! a FIFO or device is refused without blocking, before any lock). Then, under the state lock:
//! the active session is read, the transcript's mark is found by the file's identity
//! (`(dev, ino)`, [`TranscriptUsage::mark_of`]), the bytes appended since its offset are
//! counted window by window ([`transcript_usage::count_appended`]: one poisoned or over-long line is
//! skipped and reported, never a wall), and the counts, added to
//! `token_usage.by_agent.<agent>` (checked, totals kept equal to the sums) and to
//! `transcript_usage.by_agent.<agent>`, are written together with the transcript's new offset
//! in one durable write of the session file. A crash before the write loses nothing and counts
//! nothing; after it, the offset says the bytes were counted. So the same transcript is never
//! counted twice, and a SubagentStop repeated with nothing new writes nothing.

use std::path::Path;

use crate::error::Result;
use crate::operations::{self, Operation};
use crate::session::agent_name::AgentName;
use crate::session::model::SessionMetadata;
use crate::session::transcript_usage::{
    self, Skipped, TranscriptMark, TranscriptUsage, UsageCounts,
};
use crate::store::Store;
use maestro_session_fs::reader::{self, ReadKind};

/// Most new bytes of one transcript read by one count; the rest is counted next time.
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
    /// The lines skipped (poisoned counts, counts that would overflow, over-long lines): the
    /// offset moved past them and nothing of them was counted.
    pub skipped: Vec<Skipped>,
}

/// How much each count of `agent` in `meta` may still grow: to 2^64 − 1 for the session's
/// totals (the sums over `token_usage.by_agent`) and for the agent's `transcript_usage` counts.
fn room(meta: &SessionMetadata, agent: Option<&str>) -> UsageCounts {
    let Some(agent) = agent else {
        return UsageCounts::UNLIMITED;
    };
    let mut sums = [0u64; 3];
    let mut over = [false; 3];
    for t in meta.token_usage.by_agent.values() {
        for (i, count) in [t.input, t.output, t.cached].into_iter().enumerate() {
            match sums[i].checked_add(count) {
                Some(s) => sums[i] = s,
                None => over[i] = true,
            }
        }
    }
    let left = |i: usize| if over[i] { 0 } else { u64::MAX - sums[i] };
    let counted = meta
        .transcript_usage
        .as_ref()
        .and_then(|tu| tu.by_agent.get(agent).copied())
        .unwrap_or_default();
    UsageCounts {
        input: left(0).min(u64::MAX - counted.input),
        output: left(1).min(u64::MAX - counted.output),
        cached: left(2).min(u64::MAX - counted.cached),
        cache_creation: u64::MAX - counted.cache_creation,
        replies: u64::MAX - counted.replies,
    }
}

impl Store {
    /// Counts what `transcript` gained since it was last counted and adds it to the active
    /// session under `agent` (with `agent` `None` the bytes are only marked as read, so a later
    /// agent is not charged for them). `Ok(None)` when there is no active session or nothing
    /// new (then nothing is written).
    ///
    /// Errors: the transcript cannot be opened ([`crate::Error::Io`] naming it, not-found
    /// when it does not exist; [`crate::Error::NotRegular`] for a FIFO, device or folder); the
    /// lock cannot be taken in time ([`crate::Error::LockTimeout`]); the session cannot be read;
    /// the write fails. Nothing is changed then. A line that cannot be counted is not an error:
    /// it is skipped and listed in [`Counted::skipped`].
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
        let file = reader::open_path(transcript)?;
        let Some(l) = self.locked_existing()? else {
            return Ok(None);
        };
        let Some(mut session) = super::resolve::active_in(&l.root)? else {
            return Ok(None);
        };
        let (dev, ino) = file.identity();
        let key = TranscriptUsage::key(dev, ino);
        let path_text = transcript.to_string_lossy().into_owned();
        let mut tu = session.meta.transcript_usage.clone().unwrap_or_default();
        let old = tu.mark_of(dev, ino).cloned();
        let stored_by_identity = tu.transcripts.contains_key(&key);
        let mut mark = match &old {
            Some(m) if m.offset <= file.len() => m.clone(),
            // New, or shorter than the offset (truncated): counted from the start.
            _ => TranscriptMark {
                dev,
                ino,
                ..TranscriptMark::default()
            },
        };
        mark.path = Some(path_text.clone());
        let window = ReadKind::TRANSCRIPT_WINDOW;
        let counting = transcript_usage::count_appended(
            |offset, max| file.read_window(offset, max, window),
            file.len(),
            &mut mark,
            &room(&session.meta, agent),
            window.cap,
            MAX_NEW_BYTES,
        )?;
        if let Some(agent) = agent {
            mark.agent = Some(agent.to_string());
        }
        if old.as_ref() == Some(&mark) && stored_by_identity {
            return Ok(None);
        }
        let added = counting.counts;
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
        tu.set_mark(mark);
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
            skipped: counting.skipped,
        };
        // The event log: a `tokens` event with the frontmatter's changes (the counts and the
        // offset), saying where they came from and what was skipped.
        let mut extra = vec![
            ("source", serde_json::Value::from("transcript")),
            ("transcript", serde_json::Value::from(path_text)),
            ("offset", serde_json::Value::from(offset)),
        ];
        if let Some(agent) = agent {
            extra.push(("agent", serde_json::Value::from(agent)));
        }
        if !counted.skipped.is_empty() {
            extra.push((
                "skipped",
                serde_json::to_value(&counted.skipped).unwrap_or_default(),
            ));
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
    use crate::session::lifecycle::SessionStatus;
    use crate::store::CreateRequest;
    use crate::workspace::paths::Workspace;
    use maestro_session_fs::durable;

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
        "../../../../tests/fixtures/claude-code/transcripts/agent-ab6e9f662501aaedc.jsonl"
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
    #[allow(clippy::disallowed_methods)] // a hard link as a fixture
    fn marks_are_keyed_by_identity_and_a_legacy_path_key_moves_over() {
        use std::os::unix::fs::MetadataExt as _;
        let t = tempfile::tempdir().expect("tmp");
        let store = store(t.path());
        let path = t.path().join("agent.jsonl");
        let line = r#"{"type":"gemini","tokens":{"input":4,"output":1}}"#;
        durable::atomic_replace(&path, format!("{line}\n").as_bytes(), 0o600).expect("write");
        let c = store
            .count_transcript(&path, Some("coder"))
            .expect("count")
            .expect("counted");
        assert_eq!(c.added.input, 4);
        let meta = reader::lstat(&path).expect("stat");
        let key = TranscriptUsage::key(meta.dev(), meta.ino());
        let s = store.active().expect("read").expect("active");
        let tu = s.meta.transcript_usage.expect("kept");
        assert_eq!(tu.transcripts.keys().collect::<Vec<_>>(), vec![&key]);
        assert_eq!(
            tu.transcripts[&key].path.as_deref(),
            Some(path.to_string_lossy().as_ref())
        );
        // The same file under another name (a hard link) is not counted again.
        let link = t.path().join("link.jsonl");
        std::fs::hard_link(&path, &link).expect("link");
        let via_link = store.count_transcript(&link, Some("coder")).expect("count");
        assert!(via_link.is_none_or(|c| c.added.is_empty()));
        let s = store.active().expect("read").expect("active");
        assert_eq!(s.meta.token_usage.total_input, 4, "never counted twice");
        // A mark an older version keyed by path is found by dev/ino and moved to the key.
        let mut session = store.active().expect("read").expect("active");
        let mut tu = session.meta.transcript_usage.clone().expect("kept");
        let mut mark = tu.transcripts.shift_remove(&key).expect("mark");
        mark.path = None;
        tu.transcripts
            .insert(path.to_string_lossy().into_owned(), mark);
        session.meta.transcript_usage = Some(tu);
        let root = store
            .ws
            .open_state_dir(false)
            .expect("open")
            .expect("exists");
        session
            .write_in(&root, Path::new(crate::workspace::paths::ACTIVE_REL))
            .expect("write legacy");
        let moved = store.count_transcript(&path, Some("coder")).expect("count");
        assert_eq!(moved.map(|c| c.added), Some(UsageCounts::default()));
        let s = store.active().expect("read").expect("active");
        let tu = s.meta.transcript_usage.expect("kept");
        assert_eq!(tu.transcripts.keys().collect::<Vec<_>>(), vec![&key]);
        assert_eq!(s.meta.token_usage.total_input, 4);
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
