"""The checks of scripts/e2e-claude.sh over what the real Claude Code left in the scratch world.
Python 3.11 standard library.

    claude.py CHECK WORLD

WORLD holds home/ (HOME; the project home/proj/ is a git repository with a two-phase Maestro
session), hooks/ (MAESTRO_HOOKS_DIR), hooks.log (MAESTRO_HOOK_LOG), prefix/ (install.sh
--prefix), install.log, requests.jsonl (what the mock model, scripts/mock-messages-api.py, got
in the last run), stream-TAG.jsonl (`claude -p --output-format stream-json` of run TAG) and
capture/ (for each hook run through the recording wrappers: NS-PID-HOOK.json, the payload;
.answer.json, our answer; .agents, the sub-agent records left after it). Each CHECK is one
scenario of the driver; `record SCENARIO` keeps a scenario's payloads as fixtures.
"""

import json
import os
import re
from pathlib import Path
from typing import Any

import common
from common import HookLog, Run, read_json, read_jsonl, read_text, want

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests/fixtures/claude-code/recorded"
SUB = "plugin:maestro-session:maestro-session"


class World:
    """The paths of the scratch world and what the last run left in it."""

    def __init__(self, run: Run):
        w = run.world
        self.world = w
        self.home = w / "home"
        self.project = self.home / "proj"
        self.session = self.project / "docs/maestro/state/active-session.md"
        self.hooks = w / "hooks"
        self.log = HookLog(w / "hooks.log")
        self.capture = w / "capture"
        self.prefix = w / "prefix"
        self.ext = self.prefix / "share/maestro-session"
        self.plugin = self.ext / "claude-plugin"
        self.cli = self.prefix / "bin/maestro-session"

    def requests(self) -> list[dict[str, Any]]:
        """The Messages API requests the mock answered in the last run."""
        return [
            r
            for r in read_jsonl(self.world / "requests.jsonl")
            if isinstance(r.get("body"), dict) and "messages" in r["body"]
        ]

    def stream(self, tag: str) -> list[dict[str, Any]]:
        return read_jsonl(self.world / f"stream-{tag}.jsonl")

    def caps(self, hook: str) -> list[tuple[dict[str, Any], dict[str, Any], list[str]]]:
        """(payload, answer, sub-agent records left) of each captured run of `hook`, in order."""
        names = sorted(p.name for p in self.capture.iterdir() if p.name.endswith(f"-{hook}.json"))
        out = []
        for name in names:
            base = self.capture / name.removesuffix(".json")
            out.append(
                (
                    read_json(self.capture / name),
                    read_json(Path(f"{base}.answer.json")),
                    read_text(Path(f"{base}.agents")).split(),
                )
            )
        return out

    def hooks_clean(self, *tags: str) -> None:
        """Every hook Claude Code ran in the runs `tags` answered with exit 0 and Claude Code
        took the answer; no hook reported an error."""
        for tag in tags:
            for e in self.stream(tag):
                if e.get("subtype") == "hook_response":
                    want(
                        e.get("exit_code") == 0 and e.get("outcome") == "success",
                        "hook answer not taken: " + json.dumps(e)[:400],
                    )
        self.log.no_errors()


def text(v: Any) -> str:
    """The text of a message content: a string, or blocks (tool results included)."""
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "\n".join(text(x) for x in v)
    if isinstance(v, dict):
        return "\n".join(text(x) for k, x in v.items() if k in ("text", "content"))
    return ""


def system(r: dict[str, Any]) -> str:
    return text(r["body"].get("system", ""))


def convo(r: dict[str, Any]) -> str:
    return "\n".join(text(m.get("content")) for m in r["body"]["messages"])


def check_install(run: Run) -> None:
    w = World(run)
    log = read_text(w.world / "install.log")
    want(f"claude --plugin-dir {w.plugin}" in log, "install.sh did not say how to load the plugin")
    for f in (".claude-plugin/plugin.json", "hooks/hooks.json", ".mcp.json", "commands/status.md"):
        p = w.plugin / f
        want(p.is_file() and p.stat().st_size > 0, f"the plugin folder lacks {f}")
    run.ok(f"install.sh placed the plugin folder {w.plugin} and said how to load it")


def check_block_retry(run: Run) -> None:
    w = World(run)
    log = w.log
    w.hooks_clean("block-retry")
    want(log.has("session-start", answer={}), "SessionStart did not run")
    want(
        log.has(
            "before-agent",
            'your phase 1 of 2 "Implement the parser" (in_progress)',
            "Unresolved errors of phase 1 (1): coder, validation: E2E-ERROR: cargo test fails",
            agent="coder",
        ),
        "SubagentStart did not give the coder its phase",
    )
    run.ok("SubagentStart recorded the coder and gave it phase 1 with its unresolved error")
    want(
        log.has("after-agent", "Missing Downstream Context section", agent="coder", decision="block"),
        "SubagentStop did not block the incomplete report",
    )
    want(log.has("after-agent", agent="coder", answer={}), "the retry was not allowed")
    n = len(log.of("after-agent"))
    want(n == 2, f"expected 2 SubagentStop runs, got {n}")
    run.ok("SubagentStop blocked the report lacking ## Downstream Context, then allowed the retry")
    stops = w.caps("after-agent")
    want(len(stops) == 2, "two SubagentStop captures")
    (first, a1, left1), (second, a2, left2) = stops
    want(a1.get("decision") == "block" and not first["stop_hook_active"], "first stop blocked")
    want(second["stop_hook_active"] is True and a2 == {}, "retry has stop_hook_active and is allowed")
    want(first["agent_id"] in left1, f"the blocked agent kept its record: {left1!r}")
    want(first["agent_id"] not in left2, f"the allowed agent lost its record: {left2!r}")
    reqs = w.requests()
    coder = [r for r in reqs if "coder specialist" in system(r)]
    want(
        any(
            "SubagentStart hook additional context: Maestro session" in convo(r) and "your phase 1 of 2" in convo(r)
            for r in coder
        ),
        "the coder saw its context",
    )
    want(
        any("Stop hook feedback" in convo(r) and "Missing Downstream Context section" in convo(r) for r in coder),
        "the coder saw the block reason",
    )
    lead = [r for r in reqs if "E2E-LEAD" in convo(r) and "coder specialist" not in system(r)]
    want(lead, "the lead asked the model")
    last = text(lead[-1]["body"]["messages"][-1].get("content"))
    want("E2E-CODER-FIXED" in last, "the lead got the fixed report: " + last[:300])
    want(
        any(e.get("type") == "result" and "E2E-LEAD-DONE" in e.get("result", "") for e in w.stream("block-retry")),
        "the run ended with the lead reply",
    )
    run.ok(
        "the coder saw its context and the block reason; the record stayed while blocked; the lead got the fixed report"
    )
    ends = log.find("session-end", answer={})
    want(ends, "SessionEnd did not run")
    sid = ends[0].get("session_id")
    want(sid and not (w.hooks / sid).exists(), f"SessionEnd left {w.hooks}/{sid}")
    # For the driver's --resume, and the resume check.
    (w.world / "claude-session-id").write_text(sid, encoding="utf-8")
    run.ok(f"SessionEnd removed the hook-state folder of {sid}")


def check_resume(run: Run) -> None:
    w = World(run)
    sid = read_text(w.world / "claude-session-id")
    w.hooks_clean("resume")
    starts = w.caps("session-start")
    want(len(starts) == 1, "one SessionStart")
    payload = starts[0][0]
    want(
        payload.get("source") == "resume" and payload.get("session_id") == sid,
        f"SessionStart source resume of the same session: {payload!r}",
    )
    want(w.log.has("session-end", session_id=sid), "SessionEnd of the resumed session did not run")
    want(not (w.hooks / sid).exists(), f"SessionEnd left {w.hooks}/{sid}")
    run.ok(f"--resume fired SessionStart with source resume for {sid}, and SessionEnd cleaned up")


def check_parallel(run: Run) -> None:
    w = World(run)
    log = w.log
    w.hooks_clean("parallel")
    want(
        log.has("before-agent", 'your phase 1 of 2 "Implement the parser" (in_progress)', agent="coder"),
        "the coder did not get phase 1",
    )
    want(
        log.has(
            "before-agent",
            'your phase 2 of 2 "Test the parser" (pending)',
            'Blocked by: phase 1 "Implement the parser" (in_progress).',
            "From phase 1: key interfaces: parse(&str) -> Ast.",
            agent="tester",
        ),
        "the tester did not get phase 2",
    )
    want(not log.has("before-agent", "your phase 1", agent="tester"), "the tester was told about phase 1 as its own")
    run.ok(
        "SubagentStart gave the coder phase 1 and the tester phase 2 (blocked by phase 1, with its downstream context)"
    )
    starts = w.caps("before-agent")
    want(len(starts) == 2 and len({p["agent_id"] for p, _, _ in starts}) == 2, "two sub-agents with distinct ids")
    reqs = w.requests()
    coder = [r for r in reqs if "coder specialist" in system(r)]
    tester = [r for r in reqs if "tester specialist" in system(r)]
    want(coder and tester, "both sub-agents asked the model")
    want(
        all("your phase 1 of 2" in convo(r) and "your phase 2" not in convo(r) for r in coder),
        "the coder saw only phase 1",
    )
    want(
        all("your phase 2 of 2" in convo(r) and "your phase 1" not in convo(r) for r in tester),
        "the tester saw only phase 2",
    )
    blocked = [p for p, a, _ in w.caps("after-agent") if a.get("decision") == "block"]
    want(len(blocked) == 1 and blocked[0]["agent_type"] == "tester", "only the tester was blocked")
    lead = [r for r in reqs if "E2E-LEAD" in convo(r) and "specialist" not in system(r)]
    want(any("E2E-TESTER-FIXED" in convo(r) for r in lead), "the lead got the fixed tester report")
    run.ok("each sub-agent saw only its own phase; only the tester was blocked and the lead got its fixed report")


def check_builtin(run: Run) -> None:
    w = World(run)
    log = w.log
    w.hooks_clean("builtin")
    want(log.has("before-agent", agent="explore", answer={}), "SubagentStart for Explore did not answer {}")
    want(log.has("after-agent", agent="explore", answer={}), "SubagentStop for Explore did not answer {}")
    blocked = [e for e in log.entries if (e.get("answer") or {}).get("decision") == "block"]
    want(not blocked, f"a hook blocked the built-in agent: {blocked}")
    run.ok("Explore: SubagentStart and SubagentStop answered {}")
    reqs = w.requests()
    want(not any("Stop hook feedback" in convo(r) for r in reqs), "nobody was re-prompted")
    lead = [
        r
        for r in reqs
        if "E2E-LEAD" in convo(r) and "E2E-EXPLORE-TASK" not in text(r["body"]["messages"][0].get("content"))
    ]
    want(lead, "the lead asked the model")
    last = text(lead[-1]["body"]["messages"][-1].get("content"))
    want("E2E-EXPLORE-ANSWER" in last, "the lead got the real answer: " + last[:300])
    stops = w.caps("after-agent")
    want(len(stops) == 1 and stops[0][0]["agent_type"] == "Explore" and stops[0][2] == [], "one stop, record gone")
    run.ok("the lead got Explore's real answer, unchanged")


def check_plugin_validate(run: Run) -> None:
    w = World(run)
    out = read_text(w.world / "validate.out")
    want("Validation passed" in out, f"plugin validation: {out}")
    run.ok("claude plugin validate accepts the installed plugin")


def check_plugin(run: Run) -> None:
    w = World(run)
    w.hooks_clean("plugin")
    mcp = common.run([str(w.cli), "mcp", "--help"], w.project).returncode == 0
    stream = w.stream("plugin")
    inits = [e for e in stream if e.get("subtype") == "init"]
    want(inits, "the stream has an init event")
    init = inits[0]
    want(
        any(p.get("name") == "maestro-session" and p.get("path") == str(w.plugin) for p in init.get("plugins", [])),
        f"init lists the plugin: {init.get('plugins')!r}",
    )
    want("maestro-session:status" in init.get("slash_commands", []), "init lists /maestro-session:status")
    servers = {s.get("name"): s.get("status") for s in init.get("mcp_servers", [])}
    want(SUB in servers, f"init lists the MCP server: {servers!r}")
    if mcp:
        want(servers[SUB] == "connected", f"the MCP server connected: {servers!r}")
        want(
            any(t.startswith("mcp__plugin_maestro-session_maestro-session__") for t in init.get("tools", [])),
            "the MCP tools are offered",
        )
    hooked = {e.get("hook_event") for e in stream if e.get("subtype") == "hook_response"}
    want({"SessionStart", "SubagentStart", "SubagentStop"} <= hooked, f"the plugin hooks ran: {hooked!r}")
    if mcp:
        run.ok("--plugin-dir loaded the plugin: hooks, /maestro-session:status and the connected MCP server")
    else:
        run.ok(
            "--plugin-dir loaded the plugin: hooks, /maestro-session:status, the MCP server listed"
            " (maestro-session mcp does not exist in this build: its connection is not checked)"
        )
    log = w.log
    want(
        log.has("before-agent", "your phase 1 of 2", agent="coder"),
        "the plugin's SubagentStart did not run before-agent",
    )
    want(log.has("after-agent", agent="coder", decision="block"), "the plugin's SubagentStop did not block")
    want(log.has("after-agent", agent="coder", answer={}), "the plugin's SubagentStop did not allow the retry")
    want(log.has("session-end", answer={}), "the plugin's SessionEnd did not run")
    run.ok("the plugin's hooks blocked and then allowed the coder, and cleaned up")


def check_status(run: Run) -> None:
    w = World(run)
    sid = common.show(w.cli, w.project, "active")["session_id"]
    quoted = f'"session_id": "{sid}"'
    want(
        any(quoted in convo(r) and "Test the parser" in convo(r) for r in w.requests()),
        "the status command put the session file into the prompt",
    )
    run.ok("/maestro-session:status injected the active session through read-active-session")


def check_cleanup(run: Run) -> None:
    w = World(run)
    cc_tmp = Path(f"/tmp/claude-{os.getuid()}") / re.sub(r"[^A-Za-z0-9]", "-", str(w.project))
    want(not cc_tmp.exists(), f"Claude Code wrote outside the scratch world: {cc_tmp}")
    left = sorted(p.name for p in w.hooks.iterdir() if not p.name.startswith("."))
    want(not left, f"hook-state folders left behind: {left}")
    run.ok("nothing left outside the scratch world; no hook-state folder left")


def record(run: Run) -> None:
    """`record SCENARIO`: the payloads and answers of the scenario just run go into
    tests/fixtures/claude-code/recorded/SCENARIO/ as NN-HOOK.json and NN-HOOK.answer.json (in
    the order they ran), with the session file as session.md, the scratch paths renamed."""
    want(run.args, "record needs the scenario's name")
    w = World(run)
    dest = RECORDED / run.args[0]
    home = str(w.home)
    renames = [
        (home, "/home/dev"),
        (re.sub(r"[^A-Za-z0-9]", "-", home), "-home-dev"),
        (str(w.world), "/tmp/e2e"),
    ]

    def neutral(s: str) -> str:
        for old, new in renames:
            s = s.replace(old, new)
        return s

    runs = []
    for p in w.capture.iterdir():
        m = re.fullmatch(r"(\d+)-(\d+)-([a-z-]+)\.json", p.name)
        if m:
            runs.append((int(m.group(1)), p.name.removesuffix(".json"), m.group(3)))
    if dest.exists():
        for old in dest.iterdir():
            old.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    for n, (_, base, hook) in enumerate(sorted(runs), 1):
        for ext in ("json", "answer.json"):
            raw = read_text(w.capture / f"{base}.{ext}")
            (dest / f"{n:02d}-{hook}.{ext}").write_text(neutral(raw), encoding="utf-8")
    (dest / "session.md").write_text(read_text(w.session).replace(home, "/home/dev"), encoding="utf-8")
    print(f"  recorded {len(runs)} hook runs into {dest}")


CHECKS = {
    "install": check_install,
    "block-retry": check_block_retry,
    "resume": check_resume,
    "parallel": check_parallel,
    "builtin": check_builtin,
    "plugin-validate": check_plugin_validate,
    "plugin": check_plugin,
    "status": check_status,
    "cleanup": check_cleanup,
    "record": record,
}

if __name__ == "__main__":
    common.main("claude", CHECKS, lambda run: [run.world / "hooks.log"])
