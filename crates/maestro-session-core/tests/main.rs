//! The integration and property tests of `maestro-session-core`, as one test binary: one link
//! step, one module per property or rule.
mod architecture;
mod common;
mod context_cache;
mod doctor_kill_props;
mod dotenv_props;
mod emitter_props;
mod fidelity;
mod found_by_kill_props;
mod generated_docs;
mod intent_props;
mod kill_props;
mod listing_order;
mod output_schemas;
mod round_trip;
mod splice_props;
mod state_machine_props;
mod transcript_props;
mod yaml_emit_props;
