"""The checks of scripts/e2e-codex.sh over what the real OpenAI Codex CLI left in the scratch
world. Python 3.11 standard library.

    codex.py CHECK WORLD

WORLD holds home/ (HOME; CODEX_HOME is home/.codex, with the user's config.toml and
hooks.json that `setup codex` merges into), proj/ (a git project with a one-phase Maestro
session; its file before the runs is session.before), hooks/ (MAESTRO_HOOKS_DIR),
hook-log.jsonl (MAESTRO_HOOK_LOG), payloads/ (what the user's own hook, capture.sh, kept),
prefix/ (install.sh --prefix), install.log, setup.log (the second `setup codex`),
requests.jsonl (what the mock Responses API, scripts/codex-mock-responses.py, got), port (its
port), and for each run OUT (gate, stream) OUT.jsonl (`codex exec --json`) and OUT.err.
`user-hooks` writes the user's hooks.json before the install; `record` keeps the run as the
fixtures of tests/tests/codex_recorded.rs.
"""

import difflib
import json
from pathlib import Path
from typing import Any

import common
from common import HookLog, Run, read_json, read_jsonl, read_text, want

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/fixtures/codex"
EVENTS = {
    "SessionStart": "session-start",
    "SubagentStart": "before-agent",
    "SubagentStop": "after-agent",
    "SessionEnd": "session-end",
}


class World:
    """The paths of the scratch world."""

    def __init__(self, run: Run):
        w = run.world
        self.world = w
        self.home = w / "home"
        self.codex_home = self.home / ".codex"
        self.project = w / "proj"
        self.session = self.project / "docs/maestro/state/active-session.md"
        self.hooks = w / "hooks"
        self.log = HookLog(w / "hook-log.jsonl")
        self.prefix = w / "prefix"
        self.bin = self.prefix / "share/maestro-session/bin"
        self.cli = self.prefix / "bin/maestro-session"
        self.capture = w / "capture.sh"

    def mcp(self) -> bool:
        """Whether this maestro-session has the MCP server (`maestro-session mcp`)."""
        return common.run([str(self.cli), "mcp", "--help"], self.world).returncode == 0


def user_hooks(run: Run) -> None:
    """Writes the user's own hooks.json: capture.sh for each of our four events."""
    w = World(run)
    group = [{"hooks": [{"type": "command", "command": str(w.capture), "timeout": 3}]}]
    hooks = {"hooks": {e: group for e in EVENTS}}
    (w.codex_home / "hooks.json").write_text(json.dumps(hooks, indent=4) + "\n", encoding="utf-8")


def check_install(run: Run) -> None:
    w = World(run)
    log = read_text(w.world / "install.log")
    want(
        any(
            line.startswith("hooks: merged SessionStart, SubagentStart, SubagentStop, SessionEnd")
            for line in log.splitlines()
        ),
        f"install.sh did not merge the Codex hooks: {log}",
    )
    want("Hooks need review" in log, "setup did not say how Codex trusts hooks")
    if w.mcp():
        want(
            any(line.startswith("mcp: merged [mcp_servers.maestro-session]") for line in log.splitlines()),
            f"no MCP server merged: {log}",
        )
    run.ok("install.sh --codex-home merged the hooks and said that Codex asks to trust them")


def check_setup(run: Run) -> None:
    w = World(run)
    hooks_json, config = w.codex_home / "hooks.json", w.codex_home / "config.toml"
    want(
        hooks_json.read_bytes() == (w.world / "hooks.once").read_bytes()
        and config.read_bytes() == (w.world / "config.once").read_bytes(),
        "setup codex is not idempotent",
    )
    setup_log = read_text(w.world / "setup.log")
    want("already has" in setup_log, f"a second setup did not say nothing changed: {setup_log}")
    run.ok("setup codex again left hooks.json and config.toml byte-identical")
    before = read_text(w.world / "config.before")
    now = read_text(config)
    want(now.startswith(before), f"config.toml lost what was there: {now}")
    hooks = read_json(hooks_json)["hooks"]
    for event, exe in EVENTS.items():
        groups = hooks.get(event, [])
        want(len(groups) == 2, f"{event}: {groups}")
        want(groups[0]["hooks"][0]["command"] == str(w.capture), f"{event}: the user's hook first: {groups[0]}")
        ours = [
            {
                "type": "command",
                "command": f"{w.bin}/{exe} --runtime claude",
                "timeout": 3 if event == "SessionEnd" else 5,
            }
        ]
        want(groups[1]["hooks"] == ours, f"{event}: ours second: {groups[1]}")
    run.ok("the user's own hooks and config keys were kept, ours added after them")


def check_gate(run: Run) -> None:
    w = World(run)
    want(not w.log.path.exists(), f"a hook ran without trust: {w.log.entries}")
    want(not any((w.world / "payloads").iterdir()), "the user's hook ran without trust")
    gate = read_jsonl(w.world / "gate.jsonl")
    want(any(e.get("type") == "turn.completed" for e in gate), f"the turn did not complete: {gate}")
    run.ok("without trust (and without --dangerously-bypass-hook-trust) Codex ran no hook and said nothing")


def check_spawn(run: Run) -> None:
    w = World(run)
    log = w.log
    mcp = w.mcp()
    sid = common.show(w.cli, w.project, "active")["session_id"]
    want(log.has("session-start", answer={}), "session-start did not run")
    starts = log.find("before-agent", f"Maestro session {sid}", "Implement the parser", agent="coder")
    want(
        any((e["answer"].get("hookSpecificOutput") or {}).get("hookEventName") == "SubagentStart" for e in starts),
        "before-agent did not record coder with the session context",
    )
    run.ok(f"SubagentStart: before-agent recorded coder and gave the context of session {sid}")
    want(
        log.has("after-agent", "Missing Downstream Context section", agent="coder", decision="block"),
        "after-agent did not block the incomplete report",
    )
    stops = log.of("after-agent")
    want(len(stops) == 2, "Codex did not re-prompt the sub-agent after the block")
    want(stops[-1]["answer"].get("decision") != "block", "the retry was blocked again")
    run.ok("SubagentStop: after-agent blocked the report, Codex re-prompted, the corrected report was allowed")
    ends = log.find("session-end", answer={})
    want(ends, "session-end did not run")
    want(not (w.hooks / str(ends[0].get("session_id"))).exists(), "session-end left the hook-state folder")
    log.no_errors()
    run.ok("SessionStart and SessionEnd ran; no hook reported an error; the hook-state folder is gone")

    stream = read_jsonl(w.world / "stream.jsonl")
    requests = read_jsonl(w.world / "requests.jsonl")
    items = [e["item"] for e in stream if e.get("type") == "item.completed"]
    bypass = "`--dangerously-bypass-hook-trust` is enabled"
    hook_errors = [
        i["message"]
        for i in items
        if i["type"] == "error" and "hook" in i["message"].lower() and not i["message"].startswith(bypass)
    ]
    want(not hook_errors, f"hook error items: {hook_errors}")
    want(not any(i["type"] == "error" and "mcp" in i["message"].lower() for i in items), "MCP error item")
    waits = [i for i in items if i["type"] == "collab_tool_call" and i["tool"] == "wait"]
    reports = [s["message"] for wait in waits for s in wait["agents_states"].values()]
    want(any("## Downstream Context" in (r or "") for r in reports), f"no corrected report: {reports}")
    want(
        any(i["type"] == "agent_message" and i["text"] == "Phase 1 is done." for i in items),
        "the lead's last message",
    )
    want(stream and stream[-1]["type"] == "turn.completed", f"the stream ends with turn.completed: {stream[-1:]}")
    # What the sub-agent was told: our context (developer message), then our block reason.
    sub = [r["body"] for r in requests if r["turn"].startswith("coder-")]
    want(len(sub) == 2, f"two requests of the coder: {[r['turn'] for r in requests]}")
    want("Maestro session" in json.dumps(sub[0]["input"]), "the context did not reach the sub-agent")
    last = json.dumps(sub[1]["input"][-1])
    want("<hook_prompt" in last and "Missing Downstream Context section" in last, f"the block reason: {last}")
    if mcp:
        calls = [i for i in items if i["type"] == "mcp_tool_call"]
        # Answered by the server (a tool-level error would still carry a result), not refused by Codex.
        want(
            calls and calls[0]["server"] == "maestro-session" and calls[0]["error"] is None,
            f"the MCP call: {calls}",
        )
        lead = [r for r in requests if r["turn"].startswith("lead-")]
        offered = [t.get("name") for t in lead[0]["body"].get("tools", [])] if lead else []
        want("mcp__maestro_session" in offered, f"the MCP tools offered: {offered}")
    run.ok("the --json stream has no hook error; the sub-agent got our context and our block reason")
    if mcp:
        run.ok("Codex started maestro-session mcp, offered its tools and the lead's get_session_status call reached it")

    after = common.without_tokens(w.session)
    before = common.without_tokens(w.world / "session.before")
    diff = "".join(list(difflib.unified_diff(before.splitlines(True), after.splitlines(True)))[:20])
    want(after == before, f"the hooks changed the session file beyond token accounting: {diff}")
    shown: dict[str, Any] = common.show(w.cli, w.project, "active")
    want(
        "coder" in (shown.get("transcript_usage") or {}).get("by_agent", {}),
        "SubagentStop did not count the coder's tokens from its Codex rollout",
    )
    run.ok("the hooks changed the session only to count the coder's tokens from its real Codex rollout")


def record(run: Run) -> None:
    """Writes the run's hook payloads (NN-HOOK.json) with our answers (NN-HOOK.answer.json), the
    --json stream, the session file before the run and the files setup wrote to
    tests/fixtures/codex/, the scratch paths made neutral."""
    w = World(run)
    port = read_text(w.world / "port").strip()
    renames = [(str(w.project), "/home/dev/proj"), (str(w.home), "/home/dev"), (str(w.world), "/tmp/e2e-codex")]

    def neutral(s: str) -> str:
        for old, new in renames:
            s = s.replace(old, new)
        return s

    payload_dir = w.world / "payloads"
    names = sorted((p.name for p in payload_dir.iterdir()), key=lambda n: int(n.split("-")[0]))
    payloads = [read_text(payload_dir / n) for n in names]
    answers = w.log.entries
    want(len(payloads) == len(answers), f"{len(payloads)} payloads, {len(answers)} hook runs")
    for old in FIXTURES.glob("[0-9][0-9]-*.json"):
        old.unlink()
    for n, (raw, line) in enumerate(zip(payloads, answers, strict=True), 1):
        hook = EVENTS[json.loads(raw)["hook_event_name"]]
        want(hook == line["hook"], f"run {n}: payload of {hook}, answer of {line['hook']}")
        (FIXTURES / f"{n:02d}-{hook}.json").write_text(neutral(raw), encoding="utf-8")
        answer = json.dumps(line["answer"]) + "\n"
        (FIXTURES / f"{n:02d}-{hook}.answer.json").write_text(neutral(answer), encoding="utf-8")
    copies = {
        "stream.jsonl": read_text(w.world / "stream.jsonl"),
        "active-session.md": read_text(w.world / "session.before"),
        "hooks.json": read_text(w.codex_home / "hooks.json"),
        "config.toml": read_text(w.codex_home / "config.toml").replace(f"127.0.0.1:{port}", "127.0.0.1:PORT"),
    }
    for name, content in copies.items():
        (FIXTURES / name).write_text(neutral(content), encoding="utf-8")
    print(f"  recorded {len(payloads)} payloads into {FIXTURES}")


CHECKS = {
    "user-hooks": user_hooks,
    "install": check_install,
    "setup": check_setup,
    "gate": check_gate,
    "spawn": check_spawn,
    "record": record,
}

if __name__ == "__main__":
    common.main("codex", CHECKS, lambda run: [run.world / "hook-log.jsonl"])
