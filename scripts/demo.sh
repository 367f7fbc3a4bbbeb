#!/bin/sh
# Builds, installs and runs the main job end to end on a scratch workspace: the real Gemini CLI
# (pinned, offline, scripted model) when npm is available, else a replay of the payloads
# recorded from it through the installed hooks. Nothing outside a temp folder is touched.
set -eu
. "$(dirname -- "$0")/lib.sh"

if command -v npm >/dev/null 2>&1; then
    exec sh "$ROOT/scripts/e2e-gemini.sh" "$@"
fi

echo "npm not found: replaying the payloads recorded from Gemini CLI $GEMINI_VERSION"
world=$(mktemp -d)
trap 'rm -rf "$world"' EXIT
prefix="$world/prefix"
"$ROOT/install.sh" --prefix "$prefix" --no-link --no-policy >/dev/null
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
