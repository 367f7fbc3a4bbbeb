#!/bin/sh
# The whole test suite (the README's test command; .ci/run calls it): formatting, lints,
# unit, property and end-to-end tests, then the end-to-end runs with the real Gemini CLI and
# the real Claude Code, the real Codex CLI and the real Qwen Code.
set -eu
cd "$(dirname -- "$0")/.."

# Every test points MAESTRO_HOOKS_DIR (and HOME) at a temp dir; the hooks' default base, the
# real /tmp/maestro-hooks, must come out of the run exactly as it went in. (A runtime of your
# own running hooks at the same time would also change it: run the suite without one.)
real_hooks=/tmp/maestro-hooks
fingerprint() { find "$real_hooks" -printf '%p %y %T@ %s\n' 2>/dev/null | sort | cksum; }
hooks_before=$(fingerprint)

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
echo "== end to end with the real Qwen Code"
E2E_NO_BUILD=1 sh scripts/e2e-qwen.sh
if [ "$(fingerprint)" != "$hooks_before" ]; then
    echo "test.sh: FAILED: the run wrote into the real $real_hooks; a test or script ran a hook without MAESTRO_HOOKS_DIR pointing at a temp dir:" >&2
    find "$real_hooks" -newermt "@$(date +%s -d '-2 hours')" 2>/dev/null | head -20 >&2
    exit 1
fi
echo "== the real $real_hooks is untouched"
