"""The checks of scripts/e2e-qwen.sh over what the real Qwen Code left in the scratch world.
Python 3.11 standard library.

    qwen.py CHECK WORLD [TAG]

WORLD holds home/ (HOME; QWEN_HOME is home/.qwen, with the user's settings.json, settings.before
as it was, and our extension under extensions/maestro-session/), proj/ (a git project with a
one-phase Maestro session), hooks/ (MAESTRO_HOOKS_DIR), prefix/ (install.sh --prefix),
install.log and setup.log (the second `setup qwen`). TAG names a run of `qwen -p`, whose files
are WORLD/requests-TAG.jsonl (what the mock model got, scripts/mock-openai-chat.py),
WORLD/stream-TAG.jsonl (qwen's --output-format stream-json), WORLD/hooks-TAG.log (our hook log,
MAESTRO_HOOK_LOG) and WORLD/capture-TAG/ (the payloads the user's own hook saved). Exits 1
naming the first failed check.

CHECK:
    install        install.sh --qwen-home wrote the extension
    setup          setup qwen again changed nothing, and the user's settings.json is untouched
    mcp            the extension's MCP server connected, its tools were offered, and the lead
                   read the session through get_session_status
    block-retry    the coder got its phase through ${hook_context}, its incomplete report was
                   blocked once, the mock saw the retry, and the lead got the fixed report
    tokens         the session counted the coder's two replies from the coder's own transcript,
                   and nothing of the lead's
    no-session-end no SessionEnd under qwen -p, and nothing depends on it
    builtin        Explore and general-purpose were let through with no context and no retry,
                   and the lead got their real answers
    user-hook      the user's own hook in settings.json saw every event our hooks saw
    real-home-before, real-home
                   note the real ~/.qwen, then check that no step changed it
"""

import json
import os
import pwd
from pathlib import Path
from typing import Any

import common
from common import HookLog, read_json, read_jsonl, read_text, want


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


class World:
    """The paths of the scratch world."""

    def __init__(self, run: common.Run):
        w = run.world
        self.world = w
        self.home = w / "home"
        self.qwen_home = self.home / ".qwen"
        self.project = w / "proj"
        self.state = self.project / "docs/maestro/state"
        self.prefix = w / "prefix"
        self.bin = self.prefix / "share/maestro-session/bin"
        self.cli = self.prefix / "bin/maestro-session"
        self.manifest = self.qwen_home / "extensions/maestro-session/qwen-extension.json"
        self.settings = self.qwen_home / "settings.json"


class QwenRun:
    """What one run of `qwen -p` (its TAG, the check's argument) left in the world."""

    def __init__(self, run: common.Run):
        want(run.args, "the check needs the run's tag")
        self.world, self.tag = run.world, run.args[0]
        self.requests = [
            r
            for r in read_jsonl(self.world / f"requests-{self.tag}.jsonl")
            if isinstance(r.get("body"), dict) and "messages" in r["body"]
        ]
        self.stream = read_jsonl(self.world / f"stream-{self.tag}.jsonl")
        log = HookLog(self.world / f"hooks-{self.tag}.log")
        want(log.path.exists(), "no hook ran")
        log.no_errors()
        self.log = log.entries

    def replies(self) -> list[str]:
        return [r["reply"] for r in self.requests]

    def request(self, reply: str) -> dict[str, Any]:
        found = [r for r in self.requests if r["reply"] == reply]
        want(len(found) == 1, f"one request answered by {reply}, got {len(found)} ({self.replies()})")
        return found[0]["body"]

    def hooks(self, hook: str) -> list[dict[str, Any]]:
        return [e for e in self.log if e["hook"] == hook]

    def result(self) -> str:
        results = [e for e in self.stream if e.get("type") == "result"]
        want(results, "the stream has a result")
        return results[-1].get("result", "")


def system(body: dict[str, Any]) -> str:
    return "\n".join(text_of(m.get("content")) for m in body["messages"] if m.get("role") == "system")


def everything(body: dict[str, Any]) -> str:
    return "\n".join(text_of(m.get("content")) for m in body["messages"])


def check_install(run: common.Run) -> None:
    w = World(run)
    log = read_text(w.world / "install.log")
    wrote = (
        "qwen: wrote hooks SessionStart, SubagentStart, SubagentStop, SessionEnd"
        f" ({w.bin}/<hook> --runtime qwen) and MCP server maestro-session ({w.cli} mcp) into {w.manifest}"
    )
    want(wrote in log, f"install.sh --qwen-home did not write the extension: {log}")
    run.ok(f"install.sh --qwen-home wrote the Qwen extension {w.manifest}")


def check_setup(run: common.Run) -> None:
    w = World(run)
    want(w.manifest.read_bytes() == (w.world / "manifest.once").read_bytes(), f"setup qwen again changed {w.manifest}")
    log = read_text(w.world / "setup.log")
    want(f"qwen: {w.manifest} already has hooks" in log, f"a second setup did not say nothing changed: {log}")
    want(
        w.settings.read_bytes() == (w.world / "settings.before").read_bytes(),
        "setup changed the user's settings.json",
    )
    want(str(w.bin) not in read_text(w.settings), "our hooks are in settings.json, not only in the extension")
    run.ok(
        "setup qwen again (from $QWEN_HOME) changed nothing; the user's settings.json is untouched"
        " and has none of our hooks"
    )


def check_mcp(run: common.Run) -> None:
    q = QwenRun(run)
    init = [e for e in q.stream if e.get("subtype") == "init"]
    want(init, "the stream has an init event")
    servers = {s.get("name"): s.get("status") for s in init[0].get("mcp_servers", [])}
    want(servers.get("maestro-session") == "connected", f"the MCP server connected: {servers!r}")
    want(
        "mcp__maestro-session__get_session_status" in init[0].get("tools", []),
        f"the MCP tools are offered: {init[0].get('tools')!r}",
    )
    body = q.request("lead-delegates")
    result = body["messages"][-1]
    content = text_of(result.get("content"))
    want(
        result.get("role") == "tool" and '"task":"E2E-SESSION-TASK' in content.replace(" ", ""),
        f"get_session_status answered with the session: {content[:300]}",
    )
    run.ok("the extension's MCP server connected and the lead read the session with get_session_status")


def check_block_retry(run: common.Run) -> None:
    q = QwenRun(run)
    order = ["lead-status", "lead-delegates", "coder-incomplete", "coder-fixed", "lead-final"]
    want(q.replies()[:5] == order, f"the scripted conversation ran in order: {q.replies()!r}")
    coder = q.request("coder-incomplete")
    want(
        'your phase 1 of 1 "Implement the parser" (in_progress)' in system(coder),
        "the coder's system prompt has its phase, through ${hook_context}: " + system(coder)[-600:],
    )
    retry = q.request("coder-fixed")
    last = text_of(retry["messages"][-1].get("content"))
    want(
        last.startswith("[Message from parent agent]: Handoff report validation failed: Missing Downstream Context"),
        f"the coder was re-prompted with our reason: {last[:300]}",
    )
    stops = q.hooks("after-agent")
    want(
        [s["answer"].get("decision") for s in stops] == ["block", None],
        f"SubagentStop blocked once, then allowed: {[s['answer'] for s in stops]!r}",
    )
    want(all(s["agent"] == "coder" for s in stops), "both stops were the coder's")
    lead = q.request("lead-final")
    got = text_of(lead["messages"][-1].get("content"))
    want(
        "E2E-CODER-FIXED" in got and "E2E-CODER-FIRST" not in got,
        f"the lead got only the fixed report: {got[:300]}",
    )
    want("E2E-LEAD-DONE" in q.result(), "the run ended with the lead's reply")
    run.ok(
        "the coder got its phase through ${hook_context}; its report lacking ## Downstream Context was"
        " blocked, the mock saw the retry, the lead got the fixed report"
    )


def check_tokens(run: common.Run) -> None:
    w, q = World(run), QwenRun(run)
    show = common.show(w.cli, w.project, "active")
    usage = show["token_usage"]
    want(
        usage["by_agent"].get("coder") == {"input": 700 + 760, "output": 40 + 60, "cached": 0},
        f"the coder's two replies are counted, nothing of the lead's: {usage!r}",
    )
    want(usage["total_input"] == 1460, f"totals are the coder's alone: {usage!r}")
    # Marks are keyed by the transcript's identity (dev:ino) and name the path they counted.
    marks = list(show["transcript_usage"]["transcripts"].values())
    want(len(marks) == 1, f"one transcript counted: {marks!r}")
    path = marks[0].get("path", "")
    starts = q.hooks("before-agent")
    want(starts, "before-agent ran")
    sid = starts[0]["session_id"]
    want(
        path.startswith(str(w.qwen_home / "projects")) and f"/subagents/{sid}/agent-coder-" in path,
        f"the coder's own transcript was counted, not the lead's: {path}",
    )
    want(show["transcript_usage"]["by_agent"]["coder"]["replies"] == 2, "two replies")
    want(
        show.get("interrupted") in (None, False),
        f"the run is not reported interrupted: {show.get('interrupted')!r}",
    )
    run.ok("the coder's replies (1460 in, 100 out) were counted from its own subagents/ transcript, none of the lead's")


def check_no_session_end(run: common.Run) -> None:
    w, q = World(run), QwenRun(run)
    want(
        not (w.state / "owner.json").exists(),
        "SessionStart recorded an owner, which no SessionEnd under qwen -p clears",
    )
    want(
        not q.hooks("session-end"),
        "SessionEnd fired under qwen -p: the README and hooks::qwen say it does not",
    )
    done = common.run([str(w.cli), "--json", "doctor"], w.project)
    want(done.returncode == 0, f"doctor: {done.stdout}{done.stderr}")
    try:
        problems = json.loads(done.stdout).get("problems")
    except json.JSONDecodeError as e:
        raise common.Failed(f"doctor printed no JSON ({e}): {done.stdout[:300]}") from e
    want(problems == [], f"doctor found problems after the run: {done.stdout}")
    run.ok(
        "no SessionEnd under qwen -p, and nothing depends on it: no owner recorded, the run is not"
        " reported interrupted, doctor is clean"
    )


def check_builtin(run: common.Run) -> None:
    q = QwenRun(run)
    for hook in ("before-agent", "after-agent"):
        entries = q.hooks(hook)
        agents = sorted(e["agent"] for e in entries)
        want(agents == ["explore", "general_purpose"], f"{hook} ran for both built-ins: {agents!r}")
        want(all(e["answer"] == {} for e in entries), f"{hook} answered {{}}: {[e['answer'] for e in entries]!r}")
    want(
        not any("[Message from parent agent]" in everything(r["body"]) for r in q.requests),
        "nobody was re-prompted",
    )
    got = everything(q.request("lead-final"))
    want("E2E-EXPLORE-ANSWER" in got and "E2E-GENERAL-ANSWER" in got, "the lead got both real answers")
    for reply in ("explore-answers", "general-answers"):
        want("Maestro session" not in system(q.request(reply)), f"{reply} got no session context")
    want("E2E-LEAD-DONE" in q.result(), "the run ended with the lead's reply")
    run.ok(
        "Explore and general-purpose (named in MAESTRO_SPECIALISTS) got no context, were never blocked,"
        " and the lead got their real answers"
    )


def check_user_hook(run: common.Run) -> None:
    q = QwenRun(run)
    folder = q.world / f"capture-{q.tag}"
    seen = [
        read_json(folder / name)["hook_event_name"]
        for name in sorted(os.listdir(folder), key=lambda n: int(n.split("-")[0]))
    ]
    names = {
        "session-start": "SessionStart",
        "before-agent": "SubagentStart",
        "after-agent": "SubagentStop",
        "session-end": "SessionEnd",
    }
    ours = [names[e["hook"]] for e in q.log]
    want(sorted(seen) == sorted(ours), f"the user's hook saw what ours saw: {seen!r} vs {ours!r}")
    run.ok("the user's own hook in settings.json ran beside ours for every event")


def real_qwen() -> Path:
    """The real Qwen home of this user (from the password database, not $HOME)."""
    return Path(pwd.getpwuid(os.getuid()).pw_dir) / ".qwen"


def fingerprint(root: Path) -> list[str]:
    """Each file and folder under `root` with its type, modification time and size."""
    if not root.exists():
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            out.append(f"{os.path.join(dirpath, name)} {st.st_mode:o} {st.st_mtime_ns} {st.st_size}")
    return sorted(out)


def real_home_before(run: common.Run) -> None:
    (run.world / "real-qwen.before").write_text(json.dumps(fingerprint(real_qwen())), encoding="utf-8")


def check_real_home(run: common.Run) -> None:
    before = read_json(run.world / "real-qwen.before")
    after = fingerprint(real_qwen())
    changed = sorted(set(before) ^ set(after))
    want(not changed, f"the run changed the real {real_qwen()}: {changed[:10]}")
    run.ok(f"the real {real_qwen()} is untouched")


CHECKS = {
    "install": check_install,
    "setup": check_setup,
    "mcp": check_mcp,
    "block-retry": check_block_retry,
    "tokens": check_tokens,
    "no-session-end": check_no_session_end,
    "builtin": check_builtin,
    "user-hook": check_user_hook,
    "real-home-before": real_home_before,
    "real-home": check_real_home,
}

if __name__ == "__main__":
    common.main("qwen", CHECKS, lambda run: [run.world / f"hooks-{t}.log" for t in run.args[:1]])
