#!/bin/sh
# The whole test suite (the README's test command; .ci/run calls it): formatting, lints,
# unit, property and end-to-end tests, then the end-to-end runs with the real Gemini CLI and
# the real Claude Code and the real Codex CLI.
set -eu
cd "$(dirname -- "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo doc (the libraries' docs, broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --locked -p session-core -p hooks -p e2e-tests
echo "== cargo test"
cargo test --workspace --locked
echo "== end to end with the real Gemini CLI"
sh scripts/e2e-gemini.sh
echo "== end to end with the real Claude Code"
E2E_NO_BUILD=1 sh scripts/e2e-claude.sh
echo "== end to end with the real Codex CLI"
sh scripts/e2e-codex.sh
