#!/bin/sh
# The product in a few minutes, in a scratch folder: install from source (as ./install.sh does
# for you), then the first command install.sh prints, a session with phases, what a runtime's
# hooks answer when a specialist hands back a report without its Downstream Context (the deny)
# and when it answers again (allowed), `maestro-session show`, `watch --once` and the event log.
# When the real Gemini CLI is installed under target/ (as scripts/e2e-gemini.sh leaves it), it
# then drives the same deny and retry itself, offline against a scripted model.
#
#   sh scripts/demo.sh          build (about 3 minutes the first time on 2 cores), then run
#   DEMO_NO_BUILD=1 sh scripts/demo.sh   install what an earlier build left in target/
#
# Nothing outside a temp folder is touched: HOME, the runtimes' homes, the hook base and TMPDIR
# point into it, and it is removed at the end. Exits non-zero when a step does not do what it
# shows (scripts/test.sh runs it).
set -eu
. "$(dirname -- "$0")/lib.sh"

world=$(mktemp -d)
trap 'rm -rf "$world"' EXIT
isolate_home "$world/home"
export MAESTRO_HOOKS_DIR="$world/hooks" TMPDIR="$world/tmp" PROJECT="$world/proj"
export MAESTRO_HOOK_LOG="$world/hooks.log"
mkdir -p "$TMPDIR" "$PROJECT" "$HOME/.gemini"
# Gemini CLI offline: API-key auth, so it never asks to log in (the key is fake, the model scripted).
printf '%s\n' '{"security":{"auth":{"selectedType":"gemini-api-key"}}}' > "$HOME/.gemini/settings.json"
prefix="$world/prefix"
bin="$prefix/share/maestro-session/bin"
GEMINI="$TARGET/gemini-cli-$GEMINI_VERSION/node_modules/.bin/gemini"
real=0
[ -x "$GEMINI" ] && command -v node >/dev/null 2>&1 && real=1

fail() { echo "demo: FAILED: $*" >&2; exit 1; }
section() { printf '\n== %s\n' "$*"; }
# show ARGS: prints the command as typed (arguments with spaces quoted).
show() {
    printf '$'
    for a in "$@"; do
        case "$a" in
            *[!A-Za-z0-9_./=:-]*) printf " '%s'" "$a" ;;
            *) printf ' %s' "$a" ;;
        esac
    done
    printf '\n'
}
# run ARGS: shows the command, then runs it in the project.
run() { show "$@"; (cd "$PROJECT" && "$@"); }
# hook NAME PAYLOAD: what the runtime does: the recorded payload on stdin, the JSON answer on
# stdout (shown), the project given as Gemini CLI gives it.
hook() {
    printf '$ %s < %s\n' "$1" "tests/fixtures/gemini-cli-0.61/$2.json"
    answer=$(cd "$PROJECT" && GEMINI_PROJECT_DIR="$PROJECT" "$bin/$1" < "$FIXTURES/$2.json")
    printf '%s\n' "$answer"
}

section "install from source into a scratch prefix (./install.sh --prefix DIR)"
# With the real Gemini CLI on PATH, install.sh also links the extension into the scratch HOME.
[ "$real" = 1 ] && link="" || link="--no-link"
PATH="$(dirname "$GEMINI"):$PATH" "$ROOT/install.sh" --prefix "$prefix" $link \
    ${DEMO_NO_BUILD:+--no-build} > "$world/install.log" 2>&1 \
    || { cat "$world/install.log" >&2; fail "install.sh"; }
grep -E '^install.sh: (built|done)' "$world/install.log" || true
export PATH="$prefix/bin:$bin:$PATH"

section "the first command install.sh suggests, in a fresh git project"
next=$(sed -n 's/^install\.sh: .*Next, in a project: //p; s/^install\.sh: then, in a project: //p' "$world/install.log")
[ -n "$next" ] || fail "install.sh printed no first command: $(tail -3 "$world/install.log")"
git -C "$PROJECT" init -q
printf '$ %s\n' "$next"
(cd "$PROJECT" && eval "$next") || fail "install.sh's first command failed: $next"
(cd "$PROJECT" && maestro-session --json show active) | grep -q '"total_phases": [1-9]' \
    || fail "install.sh's first command made a session without phases"
run maestro-session phase start active 1
run maestro-session cancel active

section "a session with phases, each phase for a specialist"
run maestro-session create "Add token authentication" \
    --phase "Design the token model=architect" \
    --phase "Implement middleware=coder" \
    --phase "Write integration tests=tester"
run maestro-session phase start active 1
run maestro-session context active 1 --interface "TokenStore trait"
run maestro-session phase complete active 1 --output "Token model designed."
run maestro-session phase start active 2

section "what Gemini CLI's hooks answer (recorded payloads; the runtime sends them on stdin)"
hook session-start session-start
hook before-agent before-agent-deny-run
echo "# the coder hands back a report without its Downstream Context:"
hook after-agent after-agent-missing-section
case "$answer" in *'"decision":"deny"'*'Missing Downstream Context'*) ;; *) fail "after-agent did not deny: $answer" ;; esac
echo "# Gemini CLI re-prompts the coder with the reason; the corrected report:"
hook before-agent before-agent-after-deny
hook after-agent after-agent-retry
case "$answer" in *'"decision":"deny"'*) fail "the retry was denied: $answer" ;; esac
hook session-end session-end-deny-run

section "the session as people see it"
run maestro-session show active
run maestro-session watch --once active
run maestro-session log active
(cd "$PROJECT" && maestro-session log active) | grep -q 'agent blocked' || fail "the event log has no blocked agent"

if [ "$real" = 1 ]; then
    section "the real Gemini CLI $GEMINI_VERSION, offline against a scripted model, with our hooks"
    : > "$MAESTRO_HOOK_LOG"
    show gemini -p "delegate to coder: implement phase 2" --fake-responses tests/fixtures/gemini-cli-0.61/fake-responses-deny-retry.jsonl
    run_gemini "delegate to coder: implement phase 2" "$FIXTURES/fake-responses-deny-retry.jsonl" \
        > "$world/gemini.out" 2> "$world/gemini.err" || fail "gemini: $(tail -5 "$world/gemini.err")"
    sed 's/^/  /' "$world/gemini.out"
    echo "# each hook run, as MAESTRO_HOOK_LOG records it:"
    sed 's/^\(.\{160\}\).*/\1…/; s/^/  /' "$MAESTRO_HOOK_LOG"
    grep -F '"hook":"after-agent"' "$MAESTRO_HOOK_LOG" | grep -qF '"decision":"deny"' \
        || fail "the real client's run had no deny"
    run maestro-session log active
else
    section "the real Gemini CLI is not under target/ (sh scripts/e2e-gemini.sh installs it with npm); skipped"
fi
section "done; install for yourself with ./install.sh (see ./install.sh --help)"
