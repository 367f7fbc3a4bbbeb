#!/bin/bash
# End-to-end team sessions (issue 19) with real tmux, real git and real podman, offline.
#
# Part 1, tmux: a team of two real runtimes (pinned, npm-installed under target/, their
# interactive TUIs driven with tmux send-keys): `lead` is Claude Code against
# scripts/mock-messages-api.py, `coder` is Codex against scripts/codex-mock-responses.py. Each
# takes a turn; the tmux server is killed with SIGKILL; `team health` reports both missing and
# forgets nothing; `team resume` starts `claude --resume <id>` (the id the team chose) and
# `codex resume <id>` (the thread id our SessionStart hook captured); each member's second-turn
# request carries its own first turn: both conversations continued.
#
# Part 2, podman: a team in containers (an image imported from a busybox rootfs; podman
# configured by CONTAINERS_CONF & co under the scratch world, nothing under /etc), whose member
# is a small fake runtime keeping its conversation in HOME (a per-member volume). A turn,
# `team stop` (containers stopped, never removed), `team resume`, a turn that sees the first;
# the container removed by hand, `team resume` refusing to guess, `team cleanup --fix-broken`
# recreating it on the surviving volume, a turn that sees both; `cleanup` refusing a dirty
# worktree, then removing everything it made once clean.
#
# Installs tmux, podman, runc and busybox-static with apt-get when missing (as root:
# scripts/system-packages.sh). Part 2 is
# skipped, saying so, where podman cannot run containers here (E2E_TEAM_NO_PODMAN=1 skips it).
#   bash scripts/e2e-team.sh [--keep]      E2E_NO_BUILD=1: use the debug build already there
set -eu
. "$(dirname -- "$0")/lib.sh"

e2e_begin e2e-team "$@"
checks=0
fail() {
    echo "e2e-team: FAILED: $*" >&2
    for w in lead coder w; do
        tmux -S "$sock" capture-pane -p -t "=$tsess:=$w" 2>/dev/null | tail -15 | sed "s/^/  pane $w: /" >&2 || true
    done
    exit 1
}
ok() { checks=$((checks + 1)); echo "  ok: $*"; }

sh "$ROOT/scripts/system-packages.sh"

if [ -z "${E2E_NO_BUILD:-}" ]; then
    (cd "$ROOT" && cargo build --locked -q -p maestro-session -p maestro-session-hooks)
fi
bin="$TARGET/debug"
sh "$ROOT/scripts/hook-links.sh" "$bin"
cli="$bin/maestro-session"

# Everything the team starts inherits this environment through its own tmux server.
sock="$world/tmux.sock"
export MAESTRO_TMUX_SOCKET="$sock"
export MAESTRO_HOOKS_DIR="$world/hooks"
export MAESTRO_HOOK_LOG="$world/hook-log.jsonl"
export TMPDIR="$world/tmp"
export LANG=C.UTF-8 TERM=xterm-256color
unset CLAUDE_CONFIG_DIR
mkdir -p "$TMPDIR" "$MAESTRO_HOOKS_DIR"
# The processes this run left working in its world, by pid: Codex's TUI starts an app-server
# daemon (its own session, cwd the member's worktree) that outlives its window.
world_pids() {
    for d in /proc/[0-9]*; do
        case "$(readlink "$d/cwd" 2> /dev/null)$(readlink "$d/exe" 2> /dev/null)" in
            *"$world"*) echo "${d#/proc/}" ;;
        esac
    done
}
cleanup_world() {
    tmux -S "$sock" kill-server 2> /dev/null || true
    for p in $(world_pids); do [ "$p" = $$ ] || kill "$p" 2> /dev/null || true; done
    if [ -n "${PODMAN_READY:-}" ]; then
        podman ps -a --format '{{.Names}}' 2> /dev/null | grep '^maestro-' | xargs -r podman rm -f -t 0 > /dev/null 2>&1 || true
        podman volume ls -q 2> /dev/null | grep '^maestro-' | xargs -r podman volume rm > /dev/null 2>&1 || true
        podman system reset -f > /dev/null 2>&1 || true
    fi
    if [ -n "${codex_mock_pid:-}" ]; then kill "$codex_mock_pid" 2> /dev/null || true; wait "$codex_mock_pid" 2> /dev/null || true; fi
    sleep 0.5
    e2e_cleanup
    # A daemon killed above may still have written while it ended.
    if [ "$keep" != 1 ]; then rm -rf "$world"; fi
}
trap cleanup_world EXIT

proj="$world/proj"
mkdir -p "$proj"
git -C "$proj" init -q -b main
git -C "$proj" -c user.name=e2e -c user.email=e2e@example.com commit -q --allow-empty -m init
(cd "$proj" && "$cli" init > /dev/null)
team() { (cd "$proj" && "$cli" team "$@"); }
team_json() { (cd "$proj" && "$cli" --json team "$@"); }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
pane() { tmux -S "$sock" capture-pane -p -S -200 -t "=$tsess:=$1" 2> /dev/null || true; }
wait_pane() { # ROLE TEXT [tenths]
    i=0
    while ! pane "$1" | grep -qF -- "$2"; do
        i=$((i + 1)); [ "$i" -le "${3:-300}" ] || return 1
        sleep 0.1
    done
}
# codex_trust_prompt: answers the trust prompt or hooks list of the coder's Codex if one shows,
# and closes a hooks list left open (true), else false.
codex_trust_prompt() {
    # What the window shows now (no scrollback: a prompt answered earlier is not answered again).
    shown=$(tmux -S "$sock" capture-pane -p -t "=$tsess:=coder" 2> /dev/null || true)
    case "$shown" in
    *'2. Trust all and continue'*)
        tmux -S "$sock" send-keys -t "=$tsess:=coder" 2
        sleep 0.5
        tmux -S "$sock" send-keys -t "=$tsess:=coder" Enter
        # Until the prompt is gone (up to 10 s): a TUI slow to redraw still shows it, and a
        # second answer would type `2` into Codex's composer (CI-like cold run, 2026-12-07).
        n=0
        while [ "$n" -lt 100 ] && tmux -S "$sock" capture-pane -p -t "=$tsess:=coder" 2> /dev/null | grep -qF '2. Trust all and continue'; do
            n=$((n + 1)); sleep 0.1
        done
        sleep 1 ;;
    # A `2` that reached the composer anyway: taken back.
    *'› 2'*)
        if printf '%s\n' "$shown" | grep -qx '› 2 *'; then
            tmux -S "$sock" send-keys -t "=$tsess:=coder" BSpace
            sleep 0.5
        else
            return 1
        fi ;;
    *'t trust'*)
        tmux -S "$sock" send-keys -t "=$tsess:=coder" t
        sleep 1
        tmux -S "$sock" send-keys -t "=$tsess:=coder" Escape
        sleep 1 ;;
    # The hooks list with our hook trusted, still open: an Escape sent above can be lost under
    # load (CI-like cold run, 2026-12-07), which left the list open until the 2-minute limit.
    *'Lifecycle hooks'*'esc close'*)
        tmux -S "$sock" send-keys -t "=$tsess:=coder" Escape
        sleep 1 ;;
    *) return 1 ;;
    esac
}
# codex_ready: waits (up to 2 min) until the coder's Codex shows its prompt, answering a trust
# prompt on the way; a window still blank after 15 s is resized, which makes Codex draw.
codex_ready() {
    i=0
    # Its prompt: the empty composer's placeholder, or one holding a turn typed before a trust
    # prompt took its Enter (the caller presses Enter again).
    while ! pane coder | grep -qF 'Ask Codex' && ! tmux -S "$sock" capture-pane -p -t "=$tsess:=coder" 2> /dev/null | grep -q '^› [A-Z]*-TURN'; do
        i=$((i + 1)); [ "$i" -le 1200 ] || fail "the Codex TUI did not start"
        codex_trust_prompt || true
        if [ $((i % 150)) = 0 ] && [ -z "$(pane coder | tr -d ' \n')" ]; then
            tmux -S "$sock" resize-window -t "=$tsess:=coder" -x 200 -y 50 2>/dev/null || true
            tmux -S "$sock" resize-window -t "=$tsess:=coder" -A 2>/dev/null || true
        fi
        sleep 0.1
    done
    sleep 1.5
}
type_line() { # ROLE TEXT (Enter a second later: Codex takes a fast Enter for part of a paste)
    tmux -S "$sock" send-keys -t "=$tsess:=$1" -l "$2"
    sleep 1
    tmux -S "$sock" send-keys -t "=$tsess:=$1" Enter
}
# submit ROLE TEXT PATTERN: types TEXT, then presses Enter until PATTERN shows (a TUI under load
# may take the first Enter as part of the typed text).
submit() {
    type_line "$1" "$2"
    n=0
    while ! wait_pane "$1" "$3" 50; do
        n=$((n + 1)); [ "$n" -le 6 ] || return 1
        tmux -S "$sock" send-keys -t "=$tsess:=$1" Enter
    done
}
kill_tmux_server() {
    spid=$(tmux -S "$sock" display-message -p '#{pid}')
    kill -9 "$spid"
    i=0
    while tmux -S "$sock" ls > /dev/null 2>&1; do i=$((i + 1)); [ "$i" -le 50 ] || fail "tmux server still answers"; sleep 0.1; done
}

# ---------------------------------------------------------------- part 1: real Claude Code
echo "== part 1: Claude Code and Codex in tmux, tmux server killed, team resume"
CLAUDE=$(claude_bin)
CODEX=$(codex_bin)
mkdir -p "$world/cc-bin"
ln -sf "$CLAUDE" "$world/cc-bin/claude"
ln -sf "$CODEX" "$world/cc-bin/codex"
export PATH="$world/cc-bin:$PATH"
cat > "$world/cc-script.json" <<'JSON'
{"replies": [
  {"match": {"last_user": "FIRST-TURN"}, "say": [{"text": "ACK-FIRST: I will remember the code word PINEAPPLE-42."}]},
  {"match": {"last_user": "SECOND-TURN"}, "say": [{"text": "ACK-SECOND: the code word was PINEAPPLE-42."}]}
], "fallback": "OK."}
JSON
python3 "$ROOT/scripts/mock-messages-api.py" --script "$world/cc-script.json" --log "$world/cc-requests.jsonl" \
    --port-file "$world/cc-port" --max-requests 200 --max-seconds 400 2> "$world/cc-mock.err" &
mock_pid=$!
i=0; while [ ! -s "$world/cc-port" ]; do i=$((i + 1)); [ "$i" -le 100 ] || fail "mock did not start"; sleep 0.1; done
key=sk-ant-offline-fake-0123456789abcdef
export ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$world/cc-port")" ANTHROPIC_API_KEY=$key \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1
lead_wt="$world/proj.worktrees/duo-lead"
coder_wt="$world/proj.worktrees/duo-coder"
printf '%s\n' '{"turns": [' \
  '{"match": {"last": "FIRST-TURN"}, "reply": [{"text": "ACK-FIRST: I will remember the code word MANGO-7."}]},' \
  '{"match": {"last": "SECOND-TURN"}, "reply": [{"text": "ACK-SECOND: the code word was MANGO-7."}]}' \
  ']}' > "$world/codex-scenario.json"
python3 "$ROOT/scripts/codex-mock-responses.py" "$world/codex-scenario.json" --port-file "$world/codex-port" \
    --log "$world/codex-requests.jsonl" --max-requests 100 --lifetime 400 2> "$world/codex-mock.err" &
codex_mock_pid=$!
i=0; while [ ! -s "$world/codex-port" ]; do i=$((i + 1)); [ "$i" -le 100 ] || fail "codex mock did not start"; sleep 0.1; done
export MOCK_API_KEY=offline-fake
printf '%s\n' 'model = "mock-model"' 'model_provider = "mock"' '[model_providers.mock]' 'name = "Mock Responses API"' \
    "base_url = \"http://127.0.0.1:$(cat "$world/codex-port")/v1\"" 'env_key = "MOCK_API_KEY"' 'wire_api = "responses"' \
    "[projects.\"$coder_wt\"]" 'trust_level = "trusted"' > "$CODEX_HOME/config.toml"
printf '{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "%s/session-start --runtime codex"}]}]}}\n' \
    "$bin" > "$CODEX_HOME/hooks.json"
# No onboarding, API-key or trust dialog may block the TUI; our SessionStart hook registered.
cat > "$HOME/.claude.json" <<JSON
{"hasCompletedOnboarding": true, "theme": "dark", "numStartups": 1,
 "customApiKeyResponses": {"approved": ["$(printf %s "$key" | tail -c 20)"], "rejected": []},
 "projects": {"$lead_wt": {"hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true, "allowedTools": []}}}
JSON
mkdir -p "$HOME/.claude"
cat > "$HOME/.claude/settings.json" <<JSON
{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "$bin/session-start --runtime claude"}]}]}}
JSON

team create duo --member lead=claude --member coder=codex > "$world/create.txt" || fail "team create: $(cat "$world/create.txt")"
tsess=$(team_json health duo | field 'd["tmux_session"]')
[ -d "$lead_wt" ] || fail "no worktree $lead_wt"
[ "$(git -C "$lead_wt" rev-parse --abbrev-ref HEAD)" = team/duo/lead ] || fail "the lead's worktree is not on team/duo/lead"
ok "team created: tmux session $tsess, the lead in its own worktree on team/duo/lead"
sid=$(team_json health duo | field 'd["members"][0]["runtime_session_id"]')
wait_pane lead '❯' 300 || wait_pane lead '>' 10 || fail "the Claude Code TUI did not start"
sleep 1.5
submit lead 'FIRST-TURN: remember the code word PINEAPPLE-42.' 'ACK-FIRST' || fail "no first answer in the lead's window"
ok "the lead took a turn (the mock answered ACK-FIRST)"
# Codex asks once to trust our SessionStart hook, at start or at the first turn, as a prompt
# ("Hooks need review": 2 = Trust all and continue) or, when a key chose "Review hooks", as its
# hooks list (t = trust, Esc = back): codex_ready answers whichever shows until the prompt does.
codex_ready
type_line coder 'FIRST-TURN: remember the code word MANGO-7.'
i=0
while ! pane coder | grep -qF 'ACK-FIRST'; do
    i=$((i + 1)); [ "$i" -le 600 ] || fail "no first answer in the coder's window"
    if codex_trust_prompt; then
        # The trust prompt took the turn's Enter. The text still in the composer: Enter again
        # (under load it stays there); gone: type it again.
        if tmux -S "$sock" capture-pane -p -t "=$tsess:=coder" | grep -q '^› FIRST-TURN'; then
            sleep 0.5
            tmux -S "$sock" send-keys -t "=$tsess:=coder" Enter
            sleep 1
        else
            codex_ready
            type_line coder 'FIRST-TURN: remember the code word MANGO-7.'
        fi
    fi
    sleep 0.1
done
ok "the coder (Codex) took a turn"
tid=""
i=0
while [ -z "$tid" ] || [ "$tid" = None ]; do
    i=$((i + 1)); [ "$i" -le 100 ] || fail "SessionStart did not record Codex's thread id"
    sleep 0.1
    tid=$(team_json health duo | field 'd["members"][1]["runtime_session_id"]')
done
ls "$CODEX_HOME"/sessions/*/*/*/*"$tid"*.jsonl > /dev/null 2>&1 || fail "no Codex rollout for thread $tid"
ok "our SessionStart hook recorded the coder's Codex thread $tid"
captured=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['members'][0]['last_activity'] or '')" "$proj/docs/maestro/state/teams/duo.json")
[ -n "$captured" ] || fail "SessionStart did not report to the team record"
ok "our SessionStart hook recorded the lead's runtime session $sid"

kill_tmux_server
st=$(team_json health duo | field '",".join(m["state"] for m in d["members"])') || true
[ "$st" = missing,missing ] || fail "after the kill the members are $st, not missing"
team health duo > /dev/null 2>&1 && fail "team health exited 0 with a missing member"
[ "$(team_json health duo | field 'd["members"][0]["runtime_session_id"]')" = "$sid" ] || fail "the record lost the session id"
[ "$(team_json health duo | field 'd["members"][1]["runtime_session_id"]')" = "$tid" ] || fail "the record lost the thread id"
ok "tmux server killed: both members reported missing, the record kept them and their ids"

team resume duo > "$world/resume.txt" || fail "team resume: $(cat "$world/resume.txt")"
wait_pane lead 'ACK-FIRST' 200 || fail "the resumed TUI does not show the earlier turn"
sleep 1.5
submit lead 'SECOND-TURN: what was the code word?' 'ACK-SECOND' || fail "no second answer"
python3 - "$world/cc-requests.jsonl" <<'PY' || fail "the second turn's request does not carry the first turn"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def texts(msg):
    c = msg.get("content")
    if isinstance(c, str):
        return c
    return " ".join(b.get("text", "") for b in c if isinstance(b, dict))
for r in rows:
    body = r.get("body") or {}
    msgs = body.get("messages") or []
    if not msgs or "SECOND-TURN" not in texts(msgs[-1]):
        continue
    alltext = " ".join(texts(m) for m in msgs)
    if "FIRST-TURN" in alltext and "ACK-FIRST" in alltext:
        sys.exit(0)
sys.exit(1)
PY
ok "team resume continued Claude Code's conversation: the SECOND-TURN request holds FIRST-TURN and ACK-FIRST"
tmux -S "$sock" list-panes -s -t "=$tsess" -F '#{pane_start_command}' | grep -qF "resume $tid" ||
    fail "the coder was not started with codex resume $tid"
codex_ready
wait_pane coder 'ACK-FIRST' 200 || fail "the resumed Codex TUI does not show the earlier turn"
submit coder 'SECOND-TURN: what was the code word?' 'ACK-SECOND' || fail "no second answer from Codex"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    items = json.loads(line).get("body", {}).get("input") or []
    text = [json.dumps(i) for i in items]
    if items and "SECOND-TURN" in text[-1] and any("FIRST-TURN" in t for t in text) and any("ACK-FIRST" in t for t in text):
        sys.exit(0)
sys.exit(1)
' "$world/codex-requests.jsonl" || fail "Codex's second-turn request does not carry its first turn"
ok "team resume continued Codex's conversation (codex resume $tid): the SECOND-TURN request holds FIRST-TURN and ACK-FIRST"
team stop duo > /dev/null
kill "$mock_pid" 2> /dev/null || true; wait "$mock_pid" 2> /dev/null || true; mock_pid=
daemons=$(for p in $(world_pids); do case "$(readlink "/proc/$p/cwd")" in "$coder_wt"*) echo "$p" ;; esac; done)
if [ -n "$daemons" ]; then
    team cleanup --remove duo > "$world/cleanup0.txt" && fail "cleanup removed a worktree a process works in"
    grep -qF "live process" "$world/cleanup0.txt" || fail "cleanup did not name the live process: $(cat "$world/cleanup0.txt")"
    [ -d "$coder_wt" ] || fail "the coder's worktree is gone while a process works in it"
    ok "cleanup refused the coder's worktree while Codex's app-server daemon works in it (pid $(echo $daemons))"
    # shellcheck disable=SC2086
    kill $daemons
    sleep 1
fi
team cleanup --remove duo > "$world/cleanup1.txt" || fail "cleanup of duo: $(cat "$world/cleanup1.txt")"
{ [ ! -e "$lead_wt" ] && [ ! -e "$coder_wt" ]; } || fail "the clean worktrees were not removed: $(cat "$world/cleanup1.txt")"
ok "cleanup removed the clean team (window, worktree, merged branch, record)"

# ---------------------------------------------------------------- part 2: podman
if [ -n "${E2E_TEAM_NO_PODMAN:-}" ]; then
    echo "e2e-team: part 2 skipped (E2E_TEAM_NO_PODMAN)"
    echo "e2e-team: $checks checks passed"
    exit 0
fi
echo "== part 2: a member in a podman container: stop, resume, --fix-broken, cleanup"
P="$world/podman"
mkdir -p "$P/storage" "$P/run" "$P/tmp" "$P/xdg" "$P/net" "$P/volumes"
chmod 700 "$P/xdg"
runc_path=$(command -v runc || echo /usr/sbin/runc)
cat > "$P/containers.conf" <<EOF
[containers]
default_ulimits = []
[network]
network_config_dir = "$P/net"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
volume_path = "$P/volumes"
pull_policy = "never"
[engine.runtimes]
runc = ["$runc_path"]
EOF
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' "$P/storage" "$P/run" > "$P/storage.conf"
printf 'unqualified-search-registries = []\n' > "$P/registries.conf"
export CONTAINERS_CONF="$P/containers.conf" CONTAINERS_STORAGE_CONF="$P/storage.conf" \
    CONTAINERS_REGISTRIES_CONF="$P/registries.conf" XDG_RUNTIME_DIR="$P/xdg"
PODMAN_READY=1
# The image: static busybox, imported from a rootfs (no registry is reachable).
R="$P/rootfs"
mkdir -p "$R/bin" "$R/etc" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/root" "$R/usr"
cp /bin/busybox "$R/bin/"
for a in $("$R/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
ln -s ../bin "$R/usr/bin"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
chmod 1777 "$R/tmp"
img=localhost/maestro-team/fake:1
tar -C "$R" -c . | podman import --change 'CMD ["/bin/sh"]' - "$img" > /dev/null 2> "$world/import.err" ||
    { echo "e2e-team: part 2 skipped: podman cannot import an image here: $(cat "$world/import.err")"; echo "e2e-team: $checks checks passed"; exit 0; }
if ! podman run --rm --network host "$img" true > /dev/null 2> "$world/run.err"; then
    echo "e2e-team: part 2 skipped: podman cannot run a container here: $(cat "$world/run.err")"
    echo "e2e-team: $checks checks passed"
    exit 0
fi
ok "podman runs containers with a test-local configuration (image $img)"

# The fake runtime: each line typed is a turn; the conversation lives in $HOME/conversation.
fake="$world/fake-runtime.sh"
cat > "$fake" <<'SH'
#!/bin/sh
conv="$HOME/conversation"
echo "FAKE-READY resume=${MAESTRO_TEAM_RESUME_ID:-none} earlier=$(cat "$conv" 2>/dev/null | tr '\n' ',')"
while IFS= read -r line; do
    echo "$line" >> "$conv"
    echo "FAKE-ANSWER turn $(wc -l < "$conv"): $(tr '\n' ',' < "$conv")"
done
SH
chmod 755 "$fake"
team create box --containers podman --image "$img" --mount "$fake" --memory 256m \
    --member "w=command:/bin/sh $fake" > "$world/create2.txt" 2>&1 || fail "team create box: $(cat "$world/create2.txt")"
tsess=$(team_json health box | field 'd["tmux_session"]')
ctr=$(team_json health box | field 'd["members"][0]["role"]')
ctr="$tsess-w"
[ "$(podman inspect -f '{{.State.Running}}' "$ctr")" = true ] || fail "container $ctr is not running"
ok "member container $ctr runs, attached to tmux window w"
wait_pane w FAKE-READY 100 || fail "the fake runtime did not start in the container"
type_line w alpha
wait_pane w 'turn 1: alpha,' 100 || fail "no first turn"
team stop box > /dev/null || fail "team stop"
[ "$(podman inspect -f '{{.State.Running}}' "$ctr")" = false ] || fail "team stop did not stop the container"
[ "$(team_json health box | field 'd["members"][0]["state"]')" = stopped ] || fail "not reported stopped"
ok "team stop stopped the container (kept) and closed the window"
team resume box > /dev/null || fail "team resume box"
wait_pane w 'earlier=alpha,' 100 || fail "the resumed member does not see its earlier turn"
type_line w beta
wait_pane w 'turn 2: alpha,beta,' 100 || fail "no second turn"
ok "team resume: the container restarted and its HOME volume kept the conversation"

podman rm -f -t 0 "$ctr" > /dev/null
[ "$(team_json health box | field 'd["members"][0]["state"]')" = missing ] || fail "a removed container is not missing"
team resume box > "$world/resume2.txt" 2>&1 && fail "team resume exited 0 with a container missing"
grep -qF -- "--fix-broken" "$world/resume2.txt" || fail "team resume did not point at --fix-broken: $(cat "$world/resume2.txt")"
[ "$(team_json health box | field 'len(d["members"])')" = 1 ] || fail "the record forgot the member"
ok "container removed by hand: reported missing, kept, resume points at --fix-broken"
team cleanup --fix-broken --remove box > "$world/fix.txt" 2>&1 || fail "cleanup --fix-broken: $(cat "$world/fix.txt")"
[ "$(podman inspect -f '{{.State.Running}}' "$ctr")" = true ] || fail "--fix-broken did not recreate the container"
wait_pane w 'earlier=alpha,beta,' 100 || fail "the recreated member lost its conversation"
type_line w gamma
wait_pane w 'turn 3: alpha,beta,gamma,' 100 || fail "no third turn"
ok "cleanup --fix-broken recreated the container from the record on the surviving volume"

wt="$world/proj.worktrees/box-w"
echo "unsaved work" > "$wt/notes.txt"
team stop box > /dev/null
team cleanup --remove box --volumes > "$world/cleanup2.txt" 2>&1 && fail "cleanup removed a team with a dirty worktree"
grep -qF "untracked" "$world/cleanup2.txt" || fail "cleanup did not say why: $(cat "$world/cleanup2.txt")"
[ -f "$wt/notes.txt" ] || fail "the dirty worktree lost its file"
podman inspect "$ctr" > /dev/null 2>&1 || fail "a refused cleanup removed the container"
ok "cleanup refused the dirty worktree and changed nothing"
rm "$wt/notes.txt"
team cleanup --remove box --volumes > "$world/cleanup3.txt" 2>&1 || fail "cleanup: $(cat "$world/cleanup3.txt")"
podman inspect "$ctr" > /dev/null 2>&1 && fail "the container is still there"
podman volume inspect "$ctr-home" > /dev/null 2>&1 && fail "the volume is still there (asked --volumes)"
[ ! -e "$wt" ] || fail "the worktree is still there"
[ ! -e "$proj/docs/maestro/state/teams/box.json" ] || fail "the record is still there"
podman image inspect "$img" > /dev/null 2>&1 || fail "cleanup removed an image it did not make"
ok "cleanup, once clean, removed what the team made (container, volume, worktree, record), not the image"
echo "e2e-team: $checks checks passed in $(($(date +%s) - started)) s"
