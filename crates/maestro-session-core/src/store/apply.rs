//! Changing a session by [`Operation`]s under the lock, with one durable write, a checkpoint
//! before a phase transition and one event-log line.

use super::resolve::get_in;
use super::{Store, event_log};
use crate::clock;
use crate::error::Result;
use crate::operations::{self, OpContext, Operation};
use crate::session::lifecycle::{self};
use crate::session::session_file::SessionFile;

impl Store {
    pub(super) fn op_context(&self) -> Result<OpContext> {
        Ok(OpContext {
            now: clock::now_iso(),
            max_retries: lifecycle::max_retries(&self.env)?,
        })
    }

    /// Applies `op` to the session named by `prefix` (or the active one) under the lock and
    /// durably writes the result. A refused operation changes nothing.
    pub fn apply(&self, prefix: Option<&str>, op: &Operation) -> Result<SessionFile> {
        self.apply_with(prefix, |_| Ok(vec![op.clone()]))
    }

    /// Applies the operations `plan` returns for the session named by `prefix` (or the active
    /// one), in order, under one lock and with one durable write: `plan` sees the session as
    /// read under the lock (so a check it makes cannot race another writer). When `plan` or any
    /// operation refuses, nothing changes.
    pub fn apply_with(
        &self,
        prefix: Option<&str>,
        plan: impl FnOnce(&SessionFile) -> Result<Vec<Operation>>,
    ) -> Result<SessionFile> {
        let l = self.locked()?;
        let (mut session, rel) = get_in(&l.root, prefix)?;
        let ops = plan(&session)?;
        self.checkpoint_before_ops(&l, &rel, &session, &ops)?;
        let mut meta = session.meta.clone();
        let mut body = session.body.clone();
        let ctx = self.op_context()?;
        for op in &ops {
            operations::apply(&mut meta, &mut body, op, &ctx)?;
        }
        let before = std::mem::replace(&mut session.meta, meta);
        session.body = body;
        session.write_in(&l.root, &rel)?;
        let op = event_log::op_name(&ops);
        self.record(
            &l,
            session.id(),
            &op,
            Some(&before),
            Some(&session.meta),
            &[],
        );
        Ok(session)
    }
}
