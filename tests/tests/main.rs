//! The end-to-end tests over the built executables, as one test binary (ripgrep's
//! `tests/tests.rs`, jj's `cli/tests/runner.rs`): one link step for the whole suite, and one
//! module per surface or issue, named so a reader finds the case by its name.
mod arguments;
mod attacks;
mod attacks_ids;
mod attacks_intents;
mod attacks_reads;
mod attacks_surface;
mod checkpoints;
mod claude_recorded;
mod cli_completions;
mod cli_concurrency_and_crash;
mod cli_manners;
mod cli_orchestration;
mod codex_recorded;
mod design_gate_reconciliation;
mod did_you_mean;
mod event_log;
mod export_import;
mod gemini_setup;
mod hooks_bad_input;
mod hooks_recorded;
mod maestro_format;
mod maestro_hook_tests;
mod maestro_session_tools;
mod mcp;
mod mcp_session_pack;
mod project_root;
mod qwen_recorded;
mod recovery_observability;
mod search;
mod settings_file;
mod setup_codex;
mod setup_qwen;
mod state_tools;
mod watch_report;
mod write_state_concurrency;
