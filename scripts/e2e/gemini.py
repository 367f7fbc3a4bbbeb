"""The checks of scripts/e2e-gemini.sh over what the real Gemini CLI left in the scratch world.
Python 3.11 standard library.

    gemini.py CHECK WORLD

WORLD (scripts/lib.sh: scratch_world) holds home/ (HOME and GEMINI_CLI_HOME: Gemini CLI's
settings, policies and chat recordings), proj/ (a git project whose active Maestro session is
tests/fixtures/maestro-state/active-session.yaml.md), hooks/ (MAESTRO_HOOKS_DIR), hooks.log
(MAESTRO_HOOK_LOG), prefix/ (install.sh --prefix), install.log, and per scenario N the reply
outN.txt and the errors errN.txt of `gemini -p`. Each CHECK is one scenario of the driver.
"""

import difflib
import json
import re
import tomllib
from typing import Any

import common
from common import Failed, HookLog, Run, read_text, want

SID = "2026-11-20-rest-api-auth"
NO_SESSION = "No active session\n"


class World:
    """The paths of the scratch world."""

    def __init__(self, run: Run):
        w = run.world
        self.world = w
        self.home = w / "home"
        self.project = w / "proj"
        self.state = self.project / "docs/maestro/state"
        self.session = self.state / "active-session.md"
        self.hooks = w / "hooks"
        self.log = HookLog(w / "hooks.log")
        self.prefix = w / "prefix"
        self.ext = self.prefix / "share/maestro-session"
        self.bin = self.ext / "bin"
        self.cli = self.prefix / "bin/maestro-session"
        self.read_tool = str(self.bin.resolve() / "read-active-session")
        self.policy = self.home / ".gemini/policies/maestro-session.toml"

    def text(self, name: str) -> str:
        return read_text(self.world / name)


def policy_rules(value: Any) -> list[dict[str, Any]]:
    """Every table of a parsed TOML document, nested ones and array items included."""
    if isinstance(value, dict):
        return [value] + [t for v in value.values() for t in policy_rules(v)]
    if isinstance(value, list):
        return [t for v in value for t in policy_rules(v)]
    return []


def check_install(run: Run) -> None:
    w = World(run)
    log = w.text("install.log")
    want("linked successfully" in log, f"extension not linked: {log}")
    run.ok(f"installed and linked the extension {w.ext}")
    try:
        policy = tomllib.loads(read_text(w.policy))
    except tomllib.TOMLDecodeError as e:
        raise Failed(f"{w.policy} is not TOML: {e}") from e
    rules = [r for r in policy_rules(policy) if r.get("commandPrefix") == w.read_tool]
    want(rules, f"no rule for {w.read_tool} in {w.policy}: {policy}")
    want(
        any(r.get("decision") == "allow" and r.get("priority") == 100 for r in rules),
        f"policy rule: {rules}",
    )
    want(
        f"Gemini CLI user policy {w.policy}: written" in log,
        f"install.sh did not say it wrote {w.policy}: {log}",
    )
    want("Gemini CLI ignores allow rules from extensions" in log, "install.sh did not say why")
    run.ok(f"install.sh wrote the user policy allowing {w.read_tool} and said why")
    for c in ("status", "resume", "archive"):
        command = read_text(w.ext / f"commands/maestro/{c}.toml")
        want(f"!{{{w.read_tool}}}" in command, f"commands/maestro/{c}.toml does not run {w.read_tool}")
    run.ok("commands/maestro/{status,resume,archive}.toml run " + f"{w.read_tool} in their !{{...}} block")


def check_deny_retry(run: Run) -> None:
    w = World(run)
    log = w.log
    want(log.has("session-start", answer={}), "session-start did not run")
    want(
        log.has("before-agent", f"Maestro session {SID}: status in_progress", agent="coder"),
        "before-agent did not record coder with context",
    )
    run.ok("before-agent recorded coder and gave the session context")
    want(
        log.has("after-agent", "Missing Downstream Context section", agent="coder", decision="deny"),
        "after-agent did not deny",
    )
    run.ok("after-agent denied the report lacking ## Downstream Context")
    want(len(log.of("before-agent")) == 2, "Gemini did not re-prompt after the deny")
    want(log.has("after-agent", decision="allow"), "the retry was not allowed")
    out = w.text("out1.txt")
    want("## Downstream Context" in out, f"final reply lacks the corrected report: {out}")
    run.ok("Gemini retried and the corrected report was allowed")
    ends = log.find("session-end", answer={})
    want(ends, "session-end did not run")
    sid = ends[0].get("session_id")
    want(sid and not (w.hooks / sid).exists(), f"session-end left {w.hooks}/{sid}")
    run.ok(f"session-end removed the hook-state folder of {sid}")
    log.no_errors()


def check_state_tools(run: Run) -> None:
    w = World(run)
    text = read_text(w.session)
    want('status: "paused"' in text.splitlines(), f"write-state did not pause the session: {text[:400]}")
    # read-state printed the file as write-state left it; AfterAgent then added the turn's
    # tokens from Gemini's chat record (transcript_usage), so compare without the token lines.
    now = common.without_tokens(w.session)
    printed = common.without_tokens(w.project / "readback.md")
    diff = "".join(list(difflib.unified_diff(printed.splitlines(True), now.splitlines(True)))[:20])
    want(now == printed, f"read-state did not print the file back: {diff}")
    run.ok("write-state replaced the session file and read-state printed it back")
    want(
        any(line.startswith("transcript_usage:") for line in text.splitlines()) and "/.gemini/tmp/" in text,
        f"AfterAgent did not count the turn's tokens from Gemini's chat record: {text[:1200]}",
    )
    run.ok("AfterAgent counted the turn's tokens from Gemini's chat record (transcript_usage)")
    refused = read_text(w.project / "refused.txt")
    want(
        re.search(r"^ERROR: .*active-session\.md:2: invalid YAML frontmatter", refused, re.MULTILINE),
        f"broken write not refused: {refused}",
    )
    want(
        any(line.startswith(f'session_id: "{SID}"') for line in text.splitlines()[:2]),
        "refused write damaged the session",
    )
    run.ok("a broken frontmatter from the shell was refused naming line 2, the session intact")
    left = [p.name for p in w.state.iterdir() if "maestro-tmp" in p.name]
    want(not left, f"temp files left behind: {left}")


def check_orchestration(run: Run) -> None:
    w = World(run)
    want(not w.session.exists(), f"the new session was not archived: {w.session}")
    archived = sorted((w.state / "archive").glob("*-add-a-parser.md"))
    want(archived, f"no archived add-a-parser session: {sorted(p.name for p in (w.state / 'archive').iterdir())}")
    bare = common.run([str(w.cli), "--json", "show", "add-a-parser"], w.project)
    want(bare.returncode != 0, "a bare task word must not match an id prefix")
    s = common.show(w.cli, w.project, archived[0].stem)
    want(
        s["status"] == "completed" and s["location"] == "archive",
        f"status/location {s['status']}/{s['location']}",
    )
    p1, p2 = s["phases"][0], s["phases"][1]
    want(p1["status"] == "completed" and p1["files_created"][:1] == ["src/parser.rs"], f"phase 1 {p1}")
    want(
        p1["downstream_context"]["key_interfaces_introduced"][:1] == ["parse(&str) -> Ast"],
        f"downstream context {p1['downstream_context']}",
    )
    want(p2["status"] == "skipped", f"phase 2 {p2['status']}")
    tokens = s["token_usage"]
    want(
        tokens["by_agent"]["coder"]["input"] == 1200 and tokens["total_cached"] == 300,
        f"tokens {tokens}",
    )
    want(
        any(line.startswith("## Phase 1: Write the parser ✅") for line in read_text(archived[0]).splitlines()),
        f"no phase 1 log section in {archived[0]}",
    )
    run.ok(
        "create, phase start, tokens, files, context, phase complete, skip, status and archive ran"
        " from the model's shell calls"
    )
    parked = common.show(w.cli, w.project, SID)
    want(parked["status"] == "paused", f"the parked session is not archived as paused: {parked['status']}")
    run.ok("the earlier active session was parked in the archive as paused")
    want(
        w.log.has("before-agent", f"Maestro session {SID}: status paused", agent="coder"),
        "before-agent context did not show the session",
    )
    want(w.log.has("after-agent", answer={"decision": "allow"}), "the final report was not allowed")
    w.log.no_errors()
    run.ok("the hooks ran alongside: BeforeAgent gave the context, AfterAgent allowed the report")


def check_reinstall(run: Run) -> None:
    w = World(run)
    want(
        w.policy.read_bytes() == (w.world / "policy.before").read_bytes(),
        f"the policy changed on reinstall: {read_text(w.policy)}",
    )
    status = w.ext / "commands/maestro/status.toml"
    want(status.read_bytes() == (w.world / "status.before").read_bytes(), "status.toml changed on reinstall")
    log = w.text("install2.log")
    want(
        f"Gemini CLI user policy {w.policy}: unchanged" in log,
        f"reinstall did not report the policy unchanged: {log}",
    )
    run.ok("the reinstall left the policy and the commands byte for byte as they were")


def sent_prompt(w: World, shown: str) -> str:
    """The text Gemini CLI sent to the model for the user message it recorded as `shown` (a
    slash command as typed): its chat recording (home/.gemini/tmp/<project>/chats/
    session-*.jsonl) keeps the sent parts as `content` and the typed line as `displayContent`.
    Exactly one such message must exist (the driver clears the recordings before each run)."""

    def joined(parts: Any) -> str:
        return "".join(p.get("text") or "" for p in parts or [] if isinstance(p, dict))

    sent = []
    for chat in sorted((w.home / ".gemini/tmp").glob("*/chats/session-*.jsonl")):
        for line in read_text(chat).splitlines():
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if isinstance(m, dict) and m.get("type") == "user" and joined(m.get("displayContent")) == shown:
                sent.append(joined(m.get("content")))
    want(len(sent) == 1, f"{len(sent)} recorded messages typed as {shown}")
    return sent[0]


def state_is(sent: str, expected: str) -> None:
    """The text between the <session-state> tags of the prompt `sent` is `expected`, whose final
    newline Gemini CLI drops. Gemini CLI 0.61 may add one line after a command's output,
    `[Shell command ... terminated by signal 0]` (a pty's exit signal 0 taken for a signal); it
    is not part of what our executable printed."""
    m = re.search(r"\n<session-state>\n(.*?)\n</session-state>\n", sent, re.DOTALL)
    want(m, f"no <session-state> block in: {sent}")
    assert m is not None
    got = re.sub(r"\n\[Shell command [^\n]* terminated by signal 0\]$", "", m.group(1))
    want_ = expected.removesuffix("\n")
    want(got == want_, f"session state {got!r} is not {want_!r}")


def check_status_none(run: Run) -> None:
    w = World(run)
    sent = sent_prompt(w, "/maestro:status")
    state_is(sent, NO_SESSION)
    want(
        "Report the state of the active Maestro orchestration session." in sent,
        "the status prompt did not reach the model",
    )
    out = w.text("out5.txt")
    want("Summary of the Maestro session state" in out, f"no reply: {out}")
    run.ok("the model got exactly the line No active session between <session-state> tags")


def check_resume(run: Run) -> None:
    w = World(run)
    sent = sent_prompt(w, f"/maestro:resume {SID}")
    want(f"<user-request>\n{SID}\n</user-request>" in sent, f"the id did not reach the model: {sent}")
    state_is(sent, NO_SESSION)
    resume = f"{(w.prefix / 'bin').resolve()}/maestro-session resume <session id>"
    want(resume in sent, "the prompt does not name maestro-session resume by path")
    head = read_text(w.session).splitlines()[:8] if w.session.exists() else []
    want('status: "in_progress"' in head, f"the session was not resumed: {head}")
    run.ok("the id reached the model between <user-request> tags and the session is active again, in progress")


def check_status_active(run: Run) -> None:
    w = World(run)
    sent = sent_prompt(w, "/maestro:status")
    state_is(sent, w.text("status-session.md"))
    want(
        f'<session-state>\n---\nsession_id: "{SID}"\n' in sent,
        "the frontmatter does not open the session state",
    )
    want(w.log.has("before-agent", agent=None), "before-agent took the session state for a delegation")
    want(w.log.has("after-agent", answer={"decision": "allow"}), "after-agent did not allow the status reply")
    run.ok("the session file, frontmatter first, reached the model between <session-state> tags, byte for byte")


def check_archive(run: Run) -> None:
    w = World(run)
    sent = sent_prompt(w, "/maestro:archive")
    state_is(sent, w.text("archived-session.md"))
    want(
        not w.session.exists() and (w.state / f"archive/{SID}.md").is_file(),
        "the session was not archived",
    )
    done = common.run([str(w.bin / "read-active-session")], w.project)
    want(done.stdout.strip() == "No active session", f"read-active-session still finds a session: {done.stdout}")
    run.ok("the model saw the session and archived it; read-active-session prints No active session again")


def check_blocked(run: Run) -> None:
    w = World(run)
    want(w.text("rc9").strip() != "0", "gemini ran /maestro:status without the policy")
    err = w.text("err9.txt")
    want(
        f'Blocked command: "{w.read_tool}". Reason: Blocked by policy.' in err,
        f"unexpected refusal: {err[-600:]}",
    )
    run.ok(f"Gemini CLI blocked {w.read_tool} by policy: the user policy is what lets the command run")


def json_objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects inside the strings of a value: each string's text from its first `{` to
    its last `}` (Gemini CLI 0.61 wraps an MCP text block in <untrusted_context>)."""
    found = []
    for s in common.strings(value):
        start, end = s.find("{"), s.rfind("}")
        if 0 <= start < end:
            try:
                o = json.loads(s[start : end + 1])
            except ValueError:
                continue
            if isinstance(o, dict):
                found.append(o)
    return found


def check_mcp(run: Run) -> None:
    w = World(run)
    # The chat recording holds each tool call with the function response the model was sent.
    calls = []
    for path in sorted((w.home / ".gemini/tmp").rglob("*")):
        if not path.is_file() or "chats" not in str(path):
            continue
        for line in read_text(path).splitlines():
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if not isinstance(m, dict):
                continue
            messages = [m, *((m.get("$set") or {}).get("messages") or [])]
            for msg in messages:
                if isinstance(msg, dict):
                    calls.extend(c for c in msg.get("toolCalls") or [] if isinstance(c, dict))
    named = [c for c in calls if c.get("name") == "mcp_maestro-session_get_session_status"]
    want(named, f"no get_session_status call recorded; calls: {[c.get('name') for c in calls]}")
    call = named[0]
    status = [o for o in json_objects(call.get("result")) if o.get("exists") is True]
    want(
        call.get("status") == "success"
        and status
        and status[0].get("session_id") == SID
        and status[0].get("current_phase") == 2
        and len(status[0].get("phases", [])) == 3,
        f"unexpected {call.get('status')} result {call.get('result')}",
    )
    run.ok(
        "Gemini CLI started maestro-session mcp from the extension; the model called"
        " mcp_maestro-session_get_session_status and got the session's status"
    )
    out = w.text("out10.txt")
    want("## Downstream Context" in out, f"no final reply after the tool call: {out}")


CHECKS = {
    "install": check_install,
    "deny-retry": check_deny_retry,
    "state-tools": check_state_tools,
    "orchestration": check_orchestration,
    "reinstall": check_reinstall,
    "status-none": check_status_none,
    "resume": check_resume,
    "status-active": check_status_active,
    "archive": check_archive,
    "blocked": check_blocked,
    "mcp": check_mcp,
}

if __name__ == "__main__":
    common.main("gemini", CHECKS, lambda run: [run.world / "hooks.log"])
