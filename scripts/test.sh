#!/bin/sh
# The whole test suite (the README's test command; .ci/run calls it): formatting, lints,
# unit, property and end-to-end tests, then the end-to-end runs with the real Gemini CLI and
# the real Claude Code, the real Codex CLI and the real Qwen Code.
set -eu
cd "$(dirname -- "$0")/.."

# Every test points MAESTRO_HOOKS_DIR, HOME and the runtimes' homes at temp dirs; the hooks'
# default base, the real /tmp/maestro-hooks, and the user's ~/.gemini, ~/.claude, ~/.codex and ~/.qwen
# must come out of the run exactly as they went in. (A runtime of your own running at the same
# time would also change them: run the suite without one.)
real_hooks=/tmp/maestro-hooks
watched="$real_hooks ${GEMINI_CLI_HOME:-$HOME}/.gemini ${CLAUDE_CONFIG_DIR:-$HOME/.claude} ${CODEX_HOME:-$HOME/.codex} ${QWEN_HOME:-$HOME/.qwen}"
fingerprint() { find "$1" -printf '%p %y %T@ %s\n' 2>/dev/null | sort | cksum; }
fingerprints() { for dir in $watched; do echo "$dir $(fingerprint "$dir")"; done; }
before=$(fingerprints)

# Each stage's header says when it started, in seconds since the run began, so a log gives
# every stage's time (docs/benchmarks.md).
t0=$(date +%s)
stage() { echo "== [$(($(date +%s) - t0)) s] $*"; }

sh scripts/lint-python.sh
stage "cargo fmt --check"
cargo fmt --all --check
stage "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The libraries and executables as a release build has them: without the tests' features
# (fault injection), which --all-targets turns on through the dev-dependencies.
cargo clippy --workspace --lib --bins --locked -- -D warnings
cargo check -p maestro-session --no-default-features --locked # the CLI without MCP (no rmcp, no tokio)
stage "cargo doc (the libraries' docs, broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --locked -p maestro-session-fs -p maestro-session-core -p maestro-session-setup -p maestro-session-hooks -p e2e-tests
python3 scripts/check-links.py --self-test && python3 scripts/check-links.py
stage "cargo test"
sh scripts/system-packages.sh
cargo test --workspace --locked
stage "cross: macOS type-checked and linked, Windows built and its hook contract tests run under wine (skip: --no-cross)"; sh scripts/cross.sh "$@"
stage "end to end with the real Gemini CLI"
sh scripts/e2e-gemini.sh
# Not `demo.sh && stage ...`: under `set -e` a failure on the left of `&&` does not stop the
# script, so a failing demo would have passed unnoticed.
DEMO_NO_BUILD=1 sh scripts/demo.sh > /dev/null
stage "scripts/demo.sh ran every step"
stage "end to end with the real Claude Code"
E2E_NO_BUILD=1 sh scripts/e2e-claude.sh
stage "end to end with the real Codex CLI"
sh scripts/e2e-codex.sh
stage "end to end with the real Qwen Code"
E2E_NO_BUILD=1 sh scripts/e2e-qwen.sh
stage "release archives and npm packages, installed with no Rust on PATH"; sh scripts/e2e-dist.sh
stage "end to end team sessions (tmux, Claude Code, Codex, podman)" && E2E_NO_BUILD=1 bash scripts/e2e-team.sh
after=$(fingerprints)
if [ "$after" != "$before" ]; then
    for dir in $watched; do
        if [ "$(echo "$before" | grep -F "$dir ")" != "$(echo "$after" | grep -F "$dir ")" ]; then
            echo "test.sh: FAILED: the run changed the real $dir; a test or script ran without MAESTRO_HOOKS_DIR, HOME, GEMINI_CLI_HOME, CLAUDE_CONFIG_DIR, CODEX_HOME or QWEN_HOME pointing at a temp dir:" >&2
            find "$dir" -newermt "@$(date +%s -d '-2 hours')" 2>/dev/null | head -20 >&2
        fi
    done
    exit 1
fi
stage "the real $watched are untouched; done"
