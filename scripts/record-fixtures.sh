#!/bin/sh
# Records the hook payloads that the real Gemini CLI sends, into tests/fixtures/gemini-cli-0.61/.
# Each hook of the installed extension is wrapped by a script that keeps a copy of its stdin;
# home and project paths are then renamed to /home/dev/... Run after changing the scripted
# replies or the pinned Gemini CLI version. Needs npm.
set -eu
. "$(dirname -- "$0")/lib.sh"

GEMINI=$(gemini_bin)
world=$(mktemp -d)
trap 'rm -rf "$world"' EXIT
scratch_world "$world"
rec="$world/rec"
mkdir -p "$rec"

"$ROOT/install.sh" --prefix "$world/prefix" --no-link >/dev/null
ext="$world/prefix/share/maestro-session"
for hook in session-start before-agent after-agent session-end; do
    mv "$ext/bin/$hook" "$ext/bin/$hook.real"
    cat > "$ext/bin/$hook" <<WRAP
#!/bin/sh
n=\$(ls "$rec" | wc -l)
tee "$rec/\$(printf %03d "\$n")-$hook.json" | "$ext/bin/$hook.real" "\$@"
WRAP
    chmod +x "$ext/bin/$hook"
done
PATH="$(dirname "$GEMINI"):$PATH" "$GEMINI" extensions link "$ext" --consent >/dev/null

run_gemini "delegate to coder: implement phase 2 (the parser)" "$FIXTURES/fake-responses-report.jsonl" >/dev/null
mkdir -p "$rec/report" && mv "$rec"/*.json "$rec/report/"
run_gemini "delegate to coder: implement phase 2" "$FIXTURES/fake-responses-deny-retry.jsonl" >/dev/null
mkdir -p "$rec/deny" && mv "$rec"/*.json "$rec/deny/"

sanitize() { sed -e "s|$PROJECT|/home/dev/proj|g" -e "s|$HOME|/home/dev|g" "$1"; }
pick() { sanitize "$(ls "$rec/$1"/*-"$2".json | sed -n "${3}p")" > "$FIXTURES/$4.json"; }
pick report session-start 1 session-start
pick report before-agent 1 before-agent
pick report after-agent 1 after-agent
pick report session-end 1 session-end
pick deny before-agent 1 before-agent-deny-run
pick deny after-agent 1 after-agent-missing-section
pick deny before-agent 2 before-agent-after-deny
pick deny after-agent 2 after-agent-retry
pick deny session-end 1 session-end-deny-run
echo "recorded into $FIXTURES:"
ls "$FIXTURES"
