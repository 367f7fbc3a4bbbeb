#!/usr/bin/env python3
"""The checks of scripts/e2e-qwen.sh over what one run of the real Qwen Code left in the
scratch world. Python 3.11 standard library.

    e2e-qwen-check.py CHECK WORLD TAG [ARGS...]

WORLD is the scratch world; TAG names the run, whose files are WORLD/requests-TAG.jsonl (what
the mock model got, scripts/mock-openai-chat.py), WORLD/stream-TAG.jsonl (qwen's
--output-format stream-json), WORLD/hooks-TAG.log (our hook log, MAESTRO_HOOK_LOG),
WORLD/capture-TAG/ (the payloads the user's own hook saved) and WORLD/show-TAG.json
(`maestro-session --json show active` after the run). Exits 1 naming the first failed check.

CHECK:
    mcp            the extension's MCP server connected, its tools were offered, and the lead
                   read the session through get_session_status
    block-retry    the coder got its phase through ${hook_context}, its incomplete report was
                   blocked once, the mock saw the retry, and the lead got the fixed report
    tokens         the session counted the coder's two replies from the coder's own transcript
                   (ARGS: the Qwen home), and nothing of the lead's
    builtin        Explore and general-purpose were let through with no context and no retry,
                   and the lead got their real answers
    user-hook      the user's own hook in settings.json saw every event our hooks saw
"""
import json
import os
import sys


def fail(msg):
    print("e2e-qwen: check failed: " + msg, file=sys.stderr)
    sys.exit(1)


def want(cond, msg):
    if not cond:
        fail(msg)


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def text_of(content):
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


class Run:
    def __init__(self, world, tag):
        self.world, self.tag = world, tag
        self.requests = [r for r in lines(os.path.join(world, "requests-%s.jsonl" % tag))
                         if isinstance(r.get("body"), dict) and "messages" in r["body"]]
        self.stream = lines(os.path.join(world, "stream-%s.jsonl" % tag))
        self.log = lines(os.path.join(world, "hooks-%s.log" % tag))

    def replies(self):
        return [r["reply"] for r in self.requests]

    def request(self, reply):
        found = [r for r in self.requests if r["reply"] == reply]
        want(len(found) == 1, "one request answered by %s, got %d (%s)" % (reply, len(found), self.replies()))
        return found[0]["body"]

    def hooks(self, hook):
        return [e for e in self.log if e["hook"] == hook]

    def result(self):
        results = [e for e in self.stream if e.get("type") == "result"]
        want(results, "the stream has a result")
        return results[-1].get("result", "")

    def show(self):
        with open(os.path.join(self.world, "show-%s.json" % self.tag), encoding="utf-8") as f:
            return json.load(f)


def system(body):
    return "\n".join(text_of(m.get("content")) for m in body["messages"] if m.get("role") == "system")


def everything(body):
    return "\n".join(text_of(m.get("content")) for m in body["messages"])


def check_mcp(run):
    init = [e for e in run.stream if e.get("subtype") == "init"]
    want(init, "the stream has an init event")
    servers = {s.get("name"): s.get("status") for s in init[0].get("mcp_servers", [])}
    want(servers.get("maestro-session") == "connected", "the MCP server connected: %r" % servers)
    want("mcp__maestro-session__get_session_status" in init[0].get("tools", []),
         "the MCP tools are offered: %r" % init[0].get("tools"))
    body = run.request("lead-delegates")
    result = body["messages"][-1]
    want(result.get("role") == "tool" and '"task":"E2E-SESSION-TASK' in text_of(result.get("content")).replace(" ", ""),
         "get_session_status answered with the session: %s" % text_of(result.get("content"))[:300])


def check_block_retry(run):
    want(run.replies()[:5] == ["lead-status", "lead-delegates", "coder-incomplete", "coder-fixed", "lead-final"],
         "the scripted conversation ran in order: %r" % run.replies())
    coder = run.request("coder-incomplete")
    want('your phase 1 of 1 "Implement the parser" (in_progress)' in system(coder),
         "the coder's system prompt has its phase, through ${hook_context}: %s" % system(coder)[-600:])
    retry = run.request("coder-fixed")
    last = text_of(retry["messages"][-1].get("content"))
    want(last.startswith("[Message from parent agent]: Handoff report validation failed: Missing Downstream Context"),
         "the coder was re-prompted with our reason: %s" % last[:300])
    stops = run.hooks("after-agent")
    want([s["answer"].get("decision") for s in stops] == ["block", None],
         "SubagentStop blocked once, then allowed: %r" % [s["answer"] for s in stops])
    want(all(s["agent"] == "coder" for s in stops), "both stops were the coder's")
    lead = run.request("lead-final")
    got = text_of(lead["messages"][-1].get("content"))
    want("E2E-CODER-FIXED" in got and "E2E-CODER-FIRST" not in got, "the lead got only the fixed report: %s" % got[:300])
    want("E2E-LEAD-DONE" in run.result(), "the run ended with the lead's reply")


def check_tokens(run, qwen_home):
    show = run.show()
    coder = show["token_usage"]["by_agent"].get("coder")
    want(coder == {"input": 700 + 760, "output": 40 + 60, "cached": 0},
         "the coder's two replies are counted, nothing of the lead's: %r" % show["token_usage"])
    want(show["token_usage"]["total_input"] == 1460, "totals are the coder's alone: %r" % show["token_usage"])
    # Marks are keyed by the transcript's identity (dev:ino) and name the path they counted.
    marks = list(show["transcript_usage"]["transcripts"].values())
    want(len(marks) == 1, "one transcript counted: %r" % marks)
    path = marks[0].get("path", "")
    start = run.hooks("before-agent")[0]
    sid = start["session_id"]
    want(path.startswith(os.path.join(qwen_home, "projects")) and "/subagents/%s/agent-coder-" % sid in path,
         "the coder's own transcript was counted, not the lead's: %s" % path)
    want(show["transcript_usage"]["by_agent"]["coder"]["replies"] == 2, "two replies")
    want(show.get("interrupted") in (None, False), "the run is not reported interrupted: %r" % show.get("interrupted"))


def check_builtin(run):
    for hook in ("before-agent", "after-agent"):
        entries = run.hooks(hook)
        agents = sorted(e["agent"] for e in entries)
        want(agents == ["explore", "general_purpose"], "%s ran for both built-ins: %r" % (hook, agents))
        want(all(e["answer"] == {} for e in entries), "%s answered {}: %r" % (hook, [e["answer"] for e in entries]))
    want(not any("[Message from parent agent]" in everything(r["body"]) for r in run.requests),
         "nobody was re-prompted")
    lead = run.request("lead-final")
    got = everything(lead)
    want("E2E-EXPLORE-ANSWER" in got and "E2E-GENERAL-ANSWER" in got, "the lead got both real answers")
    for reply in ("explore-answers", "general-answers"):
        want("Maestro session" not in system(run.request(reply)), "%s got no session context" % reply)
    want("E2E-LEAD-DONE" in run.result(), "the run ended with the lead's reply")


def check_user_hook(run):
    folder = os.path.join(run.world, "capture-%s" % run.tag)
    seen = []
    for name in sorted(os.listdir(folder), key=lambda n: int(n.split("-")[0])):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            seen.append(json.load(f)["hook_event_name"])
    names = {"session-start": "SessionStart", "before-agent": "SubagentStart",
             "after-agent": "SubagentStop", "session-end": "SessionEnd"}
    ours = [names[e["hook"]] for e in run.log]
    want(sorted(seen) == sorted(ours), "the user's hook saw what ours saw: %r vs %r" % (seen, ours))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    check, world, tag, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    run = Run(world, tag)
    checks = {"mcp": check_mcp, "block-retry": check_block_retry, "tokens": check_tokens,
              "builtin": check_builtin, "user-hook": check_user_hook}
    if check not in checks:
        sys.exit("unknown check %r; see --help" % check)
    checks[check](run, *args)


if __name__ == "__main__":
    main()
