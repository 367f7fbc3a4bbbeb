//! Property test: random sequences of operations against an independent model of the three
//! state machines. After every step the file parses, the totals equal the sums of `by_agent`,
//! the statuses match the model, status and stage are never an inconsistent pair (a terminal
//! status with a working stage, a paused session working, a working session paused), and a
//! refused operation leaves the file byte for byte as it was.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeMap;
use std::path::Path;

use maestro_session_core::operations::Operation;
use maestro_session_core::session::lifecycle::{
    PhaseStatus as P, SessionStatus as S, Stage as G, State,
};
use maestro_session_core::session::model::PhaseId;
use maestro_session_core::session::phase_spec::PhaseSpec;
use maestro_session_core::store::{CreateRequest, Store};
use maestro_session_core::workspace::paths::Workspace;
use maestro_session_core::{Env, EnvVars};
use proptest::prelude::*;

const AGENTS: [&str; 3] = ["coder", "tester", "architect"];
/// The stages that are neither terminal nor paused.
const WORKING: [G; 6] = [
    G::Initializing,
    G::Planning,
    G::GeneratingTasks,
    G::Implementing,
    G::Validating,
    G::GeneratingReport,
];
/// Phase id -> the phases it waits for.
const BLOCKED_BY: [&[u32]; 4] = [&[], &[1], &[1], &[2, 3]];
const MAX_RETRIES: u32 = 2;

/// The model: written from the issue's rules, not from the tables in `lifecycle`.
#[derive(Debug, Clone)]
struct Model {
    status: S,
    stage: G,
    paused_from: Option<G>,
    phases: Vec<(P, u32)>,
    errors: Vec<Vec<bool>>,
    tokens: BTreeMap<String, (u64, u64, u64)>,
}

impl Model {
    fn status_ok(from: S, to: S) -> bool {
        match from {
            S::InProgress => matches!(
                to,
                S::Paused | S::Completed | S::Failed | S::Timeout | S::Cancelled
            ),
            S::Paused | S::Failed | S::Timeout => matches!(to, S::InProgress | S::Cancelled),
            S::Completed | S::Cancelled => false,
        }
    }

    fn stage_ok(from: G, to: G) -> bool {
        let next = match from {
            G::Initializing => Some(G::Planning),
            G::Planning => Some(G::GeneratingTasks),
            G::GeneratingTasks => Some(G::Implementing),
            G::Implementing => Some(G::Validating),
            G::Validating => Some(G::GeneratingReport),
            G::GeneratingReport => Some(G::Completed),
            _ => None,
        };
        let working = WORKING.contains(&from);
        next == Some(to)
            || (from == G::Validating && to == G::Implementing)
            || (working && matches!(to, G::Failed | G::Paused))
            || (from == G::Paused && (WORKING.contains(&to) || to == G::Failed))
    }

    /// A status change, and the stage that follows it (the issue's rule).
    fn set_status(&mut self, to: S) -> bool {
        let ok = Self::status_ok(self.status, to);
        if ok {
            self.follow(to);
        }
        ok
    }

    /// The stage rule of a status change.
    fn follow(&mut self, to: S) {
        self.status = to;
        match to {
            S::Completed => (self.stage, self.paused_from) = (G::Completed, None),
            S::Cancelled => (self.stage, self.paused_from) = (G::Failed, None),
            S::Paused if WORKING.contains(&self.stage) => {
                self.paused_from = Some(self.stage);
                self.stage = G::Paused;
            }
            S::InProgress if self.stage == G::Paused => {
                self.stage = self.paused_from.take().unwrap_or(G::Implementing);
            }
            _ => {}
        }
    }

    fn done(&self, id: u32) -> bool {
        // Phases are numbered 1..=4 here.
        matches!(self.phases[id as usize - 1].0, P::Completed | P::Skipped)
    }

    /// Applies `op` to the model; returns whether it is allowed.
    fn apply(&mut self, op: &Operation) -> bool {
        let running = self.status == S::InProgress;
        match op {
            Operation::SetStatus(to) => self.set_status(*to),
            Operation::Pause => self.set_status(S::Paused),
            Operation::Cancel => self.set_status(S::Cancelled),
            Operation::SetStage(to) => {
                let ok = Self::stage_ok(self.stage, *to) && consistent(self.status, *to);
                if ok {
                    if *to == G::Paused {
                        self.paused_from = Some(self.stage);
                    } else if self.stage == G::Paused {
                        self.paused_from = None;
                    }
                    self.stage = *to;
                }
                ok
            }
            Operation::PhaseStart(id) | Operation::PhaseRetry(id) => {
                let retry = matches!(op, Operation::PhaseRetry(_));
                let (status, retries) = self.phases[idx(id)];
                let unblocked = BLOCKED_BY[idx(id)].iter().all(|b| self.done(*b));
                let ok = running
                    && unblocked
                    && if retry {
                        status == P::Failed && retries < MAX_RETRIES
                    } else {
                        status == P::Pending
                    };
                if ok {
                    self.phases[idx(id)] = (P::InProgress, retries + u32::from(retry));
                }
                ok
            }
            Operation::PhaseComplete { id, .. } | Operation::PhaseFail { id, .. } => {
                let to = if matches!(op, Operation::PhaseComplete { .. }) {
                    P::Completed
                } else {
                    P::Failed
                };
                let ok = running && self.phases[idx(id)].0 == P::InProgress;
                if ok {
                    self.phases[idx(id)].0 = to;
                    if to == P::Failed {
                        self.errors[idx(id)].push(false);
                    }
                }
                ok
            }
            Operation::PhaseSkip(id) => {
                let ok = running && self.phases[idx(id)].0 == P::Pending;
                if ok {
                    self.phases[idx(id)].0 = P::Skipped;
                }
                ok
            }
            Operation::Tokens {
                agent,
                input,
                output,
                cached,
            } => {
                let e = self.tokens.entry(agent.to_string()).or_default();
                *e = (e.0 + input, e.1 + output, e.2 + cached);
                true
            }
            Operation::AddError { phase, .. } => {
                self.errors[idx(phase)].push(false);
                true
            }
            Operation::ResolveError { phase, index, .. } => {
                let errs = &mut self.errors[idx(phase)];
                match errs.get_mut(index - 1) {
                    Some(resolved) if !*resolved => {
                        *resolved = true;
                        true
                    }
                    _ => false,
                }
            }
            _ => unreachable!("not generated"),
        }
    }
}

/// Whether a status and a stage may stand together: written from the issue, not from
/// `lifecycle::check_pair`.
fn consistent(status: S, stage: G) -> bool {
    match status {
        S::Completed => stage == G::Completed,
        S::Cancelled => stage == G::Failed,
        S::Paused => matches!(stage, G::Paused | G::Completed | G::Failed),
        S::InProgress | S::Failed | S::Timeout => stage != G::Paused,
    }
}

fn op_strategy() -> impl Strategy<Value = Operation> {
    let phase = (1u64..=4).prop_map(PhaseId::Number);
    prop_oneof![
        prop::sample::select(S::ALL.to_vec()).prop_map(Operation::SetStatus),
        prop::sample::select(G::ALL.to_vec()).prop_map(Operation::SetStage),
        phase.clone().prop_map(Operation::PhaseStart),
        phase.clone().prop_map(|id| Operation::PhaseComplete {
            id,
            output: None,
            validation: None
        }),
        phase.clone().prop_map(|id| Operation::PhaseFail {
            id,
            kind: "runtime".into(),
            message: "boom".into(),
            agent: None
        }),
        phase.clone().prop_map(Operation::PhaseRetry),
        phase.clone().prop_map(Operation::PhaseSkip),
        (
            prop::sample::select(AGENTS.to_vec()),
            0u64..5000,
            0u64..5000,
            0u64..5000
        )
            .prop_map(|(a, input, output, cached)| Operation::Tokens {
                agent: maestro_session_core::session::agent_name::AgentName::parse(a)
                    .expect("name"),
                input,
                output,
                cached
            }),
        phase.clone().prop_map(|phase| Operation::AddError {
            phase,
            agent: maestro_session_core::session::agent_name::AgentName::parse("coder")
                .expect("name"),
            kind: "validation".into(),
            message: "e".into()
        }),
        (phase, 1usize..=3).prop_map(|(phase, index)| Operation::ResolveError {
            phase,
            index,
            resolution: "r".into()
        }),
        Just(Operation::Pause),
        Just(Operation::Cancel),
    ]
}

fn new_store(dir: &Path) -> Store {
    let env = Env::from_pairs([(EnvVars::MAESTRO_WORKSPACE_PATH, dir.to_str().expect("utf8"))]);
    let store = Store::new(
        Workspace::with_state_dir(&env, dir, Path::new("state-dir")).expect("inside"),
        Env::default(),
    );
    let phases = (0..4)
        .map(|i| PhaseSpec {
            name: format!("Phase {}", i + 1),
            agents: vec![AGENTS[i % 3].into()],
            blocked_by: Some(BLOCKED_BY[i].iter().map(|&b| PhaseId::from(b)).collect()),
            ..PhaseSpec::default()
        })
        .collect();
    store
        .create(&CreateRequest {
            task: "Property test".into(),
            phases,
            ..Default::default()
        })
        .expect("create");
    store
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn operations_follow_the_model(ops in prop::collection::vec(op_strategy(), 1..40)) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = new_store(dir.path());
        let path = store.workspace().active_session_path();
        let mut model = Model { status: S::InProgress, stage: G::Initializing, paused_from: None, phases: vec![(P::Pending, 0); 4], errors: vec![Vec::new(); 4], tokens: BTreeMap::new() };
        for op in &ops {
            let before = std::fs::read(&path).expect("read");
            let allowed = model.apply(op);
            let result = store.apply(None, op);
            prop_assert_eq!(result.is_ok(), allowed, "{:?}: {:?}", op, result.err());
            if !allowed {
                prop_assert_eq!(std::fs::read(&path).expect("read"), before, "refused {:?} changed the file", op);
            }
            let file = store.active().expect("file parses").expect("still active");
            let m = &file.meta;
            prop_assert_eq!(m.status, model.status);
            prop_assert_eq!(m.stage.unwrap_or_default(), model.stage);
            prop_assert!(consistent(m.status, model.stage), "inconsistent pair {} / {} after {:?}", m.status, model.stage, op);
            prop_assert_eq!(m.paused_from_stage, model.paused_from);
            let phases: Vec<(P, u32)> = m.phases.iter().map(|p| (p.status, p.retry_count)).collect();
            prop_assert_eq!(&phases, &model.phases);
            let errors: Vec<Vec<bool>> = m.phases.iter().map(|p| p.errors.iter().map(|e| e.resolved).collect()).collect();
            prop_assert_eq!(&errors, &model.errors);
            let u = &m.token_usage;
            prop_assert_eq!(u.total_input, u.by_agent.values().map(|a| a.input).sum::<u64>());
            prop_assert_eq!(u.total_output, u.by_agent.values().map(|a| a.output).sum::<u64>());
            prop_assert_eq!(u.total_cached, u.by_agent.values().map(|a| a.cached).sum::<u64>());
            let tokens: BTreeMap<String, (u64, u64, u64)> = u.by_agent.iter().map(|(k, a)| (k.clone(), (a.input, a.output, a.cached))).collect();
            prop_assert_eq!(&tokens, &model.tokens);
        }
    }
}

/// The model's index of phase `id` (numbered 1..=4 by `new_store`).
fn idx(id: &PhaseId) -> usize {
    match id {
        PhaseId::Number(n) => usize::try_from(*n).expect("small") - 1,
        PhaseId::Name(name) => panic!("the model numbers its phases, got {name:?}"),
    }
}
