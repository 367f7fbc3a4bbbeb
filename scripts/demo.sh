#!/bin/sh
# Builds, installs and runs the main job end to end on a scratch workspace: the real Gemini CLI
# (pinned, offline, scripted model) when npm is available, else a replay of the payloads
# recorded from it through the installed hooks. Nothing outside a temp folder is touched.
set -eu
. "$(dirname -- "$0")/lib.sh"

started=$(date +%s)
step() { echo "demo [$(( $(date +%s) - started )) s]: $*"; }

if command -v npm >/dev/null 2>&1; then
    step "1/3 build the release hooks, state tools and maestro-session: about 3 minutes the first time" \
        "on 2 cores, seconds afterwards (cargo shows each crate)"
    world=$(mktemp -d)
    trap 'rm -rf "$world"' EXIT
    # cargo's progress (stderr) goes to the terminal; install.sh's report to a log.
    "$ROOT/install.sh" --prefix "$world/prefix" --no-link --no-policy 2>&1 >"$world/install.log" \
        || { cat "$world/install.log"; exit 1; }
    step "$(sed -n 's/^install.sh: built/built/p' "$world/install.log")"
    step "2/3 Gemini CLI $GEMINI_VERSION into target/ (npm, first run only; about a minute)"
    gemini_bin >/dev/null
    step "3/3 the real Gemini CLI, offline against a scripted model, driving an orchestration"
    E2E_NO_BUILD=1 sh "$ROOT/scripts/e2e-gemini.sh" "$@"
    step "done. Install for yourself with ./install.sh (see ./install.sh --help)"
    exit 0
fi

step "npm not found: replaying the payloads recorded from Gemini CLI $GEMINI_VERSION"
world=$(mktemp -d)
trap 'rm -rf "$world"' EXIT
prefix="$world/prefix"
step "building and installing into a scratch prefix: about 3 minutes the first time (cargo shows each crate)"
"$ROOT/install.sh" --prefix "$prefix" --no-link --no-policy 2>&1 >"$world/install.log" \
    || { cat "$world/install.log"; exit 1; }
step "$(sed -n 's/^install.sh: built/built/p' "$world/install.log")"
step "running the installed hooks on the recorded payloads"
scratch_world "$world"
bin="$prefix/share/maestro-session/bin"
cd "$PROJECT"
for step in session-start:session-start before-agent:before-agent-deny-run \
    after-agent:after-agent-missing-section before-agent:before-agent-after-deny \
    after-agent:after-agent-retry session-end:session-end-deny-run; do
    hook=${step%%:*}
    payload="$FIXTURES/${step#*:}.json"
    printf '%-14s <- %s\n' "$hook" "$(basename "$payload")"
    printf '%-14s -> %s\n' "" "$("$bin/$hook" < "$payload")"
done
step "done. Install for yourself with ./install.sh (see ./install.sh --help)"
