#!/usr/bin/env python3
"""A scripted stand-in for the OpenAI Responses API, for running the real Codex CLI offline.

    codex-mock-responses.py SCENARIO.json --port-file FILE --log FILE
                            [--max-requests N] [--lifetime SECONDS]

Binds 127.0.0.1 on a free port (written to --port-file once listening) and serves until it
has answered --max-requests requests (default 40) or --lifetime seconds have passed (default
180), whichever comes first; then it exits by itself. Python 3.11 standard library only.

Codex (model_provider with wire_api = "responses") sends POST <base_url>/responses with the
whole conversation of one thread in `input`; the answer is a server-sent event stream:
response.created, then per output item response.output_item.added / (text delta) /
response.output_item.done, then response.completed with token usage.

SCENARIO is {"turns": [TURN, ...]}. For each request the first TURN not yet used (or marked
"repeat": true) whose "match" holds answers it:
    "match": {"has": [S...],        every S occurs in the JSON text of the request's input
              "lacks": [S...],      no S occurs in it
              "last": S,            S occurs in the last input item
              "called": [N...],     the input holds a function_call named N, for every N
              "not_called": [N...], it holds none named N
              "offers": [N...]}     the request's `tools` has a tool or namespace named N
    "reply": [{"text": T} | {"call": NAME, "namespace": NS, "args": {...}}]
In "args", the string "@spawned" is replaced by the list of agent ids that earlier
spawn_agent calls returned (read from the request's function_call_output items).
A request no TURN matches gets the text "OK.". Every request is appended to --log as one JSON
line {"n", "turn", "path", "body"}.
"""

import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_args(argv):
    opts = {"--port-file": None, "--log": None, "--max-requests": "40", "--lifetime": "180"}
    rest = []
    while argv:
        arg = argv.pop(0)
        if arg in opts:
            if not argv:
                sys.exit(f"codex-mock-responses: {arg} needs a value")
            opts[arg] = argv.pop(0)
        else:
            rest.append(arg)
    if len(rest) != 1 or not opts["--port-file"] or not opts["--log"]:
        sys.exit(__doc__)
    return rest[0], opts


class Scenario:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.turns = json.load(f)["turns"]
        self.used = set()
        self.lock = threading.Lock()

    @staticmethod
    def holds(match, body):
        items = body.get("input") or []
        text = json.dumps(items)
        if any(s not in text for s in match.get("has", [])):
            return False
        if any(s in text for s in match.get("lacks", [])):
            return False
        if "last" in match and (not items or match["last"] not in json.dumps(items[-1])):
            return False
        called = {i.get("name") for i in items if i.get("type") == "function_call"}
        if any(n not in called for n in match.get("called", [])):
            return False
        if any(n in called for n in match.get("not_called", [])):
            return False
        offered = {t.get("name") for t in body.get("tools") or []}
        return all(n in offered for n in match.get("offers", []))

    def pick(self, body):
        with self.lock:
            for i, turn in enumerate(self.turns):
                if i in self.used and not turn.get("repeat"):
                    continue
                if self.holds(turn.get("match", {}), body):
                    self.used.add(i)
                    return turn.get("name", f"turn-{i}"), turn["reply"]
        return "unmatched", [{"text": "OK."}]


def spawned_ids(body):
    """Agent ids from spawn_agent outputs in the request's input, in order, without repeats."""
    ids = []
    for item in body.get("input") or []:
        if item.get("type") != "function_call_output":
            continue
        output = json.dumps(item.get("output"))
        for found in re.findall(r'agent_id\\*"\s*:\s*\\*"([0-9a-fA-F-]{8,})', output):
            if found not in ids:
                ids.append(found)
    return ids


def substitute(value, ids):
    if value == "@spawned":
        return ids
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    return value


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, scenario, log_path, max_requests):
        super().__init__(("127.0.0.1", 0), Handler)
        self.scenario = scenario
        self.log_path = log_path
        self.max_requests = max_requests
        self.count = 0
        self.count_lock = threading.Lock()

    def record(self, turn, path, body):
        with self.count_lock:
            self.count += 1
            n = self.count
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"n": n, "turn": turn, "path": path, "body": body}) + "\n")
            if n >= self.max_requests:
                threading.Thread(target=self.shutdown, daemon=True).start()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.record("get", self.path, None)
        self.send_json({"object": "list", "data": [], "models": []})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not self.path.split("?")[0].endswith("/responses"):
            self.server.record("other", self.path, body)
            return self.send_json({})
        turn, reply = self.server.scenario.pick(body)
        self.server.record(turn, self.path, body)
        self.stream(reply, spawned_ids(body))

    def stream(self, reply, ids):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        response_id = "resp_" + uuid.uuid4().hex[:20]

        def event(kind, data):
            data = dict(data, type=kind)
            self.wfile.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        event("response.created", {"response": {"id": response_id}})
        for index, out in enumerate(reply):
            if "text" in out:
                item = {
                    "type": "message",
                    "role": "assistant",
                    "id": "msg_" + uuid.uuid4().hex[:16],
                    "content": [{"type": "output_text", "text": out["text"], "annotations": []}],
                }
                event("response.output_item.added", {"output_index": index, "item": dict(item, content=[])})
                event(
                    "response.output_text.delta",
                    {"output_index": index, "content_index": 0, "item_id": item["id"], "delta": out["text"]},
                )
            else:
                item = {
                    "type": "function_call",
                    "id": "fc_" + uuid.uuid4().hex[:16],
                    "call_id": "call_" + uuid.uuid4().hex[:16],
                    "name": out["call"],
                    "arguments": json.dumps(substitute(out.get("args", {}), ids)),
                }
                if out.get("namespace"):
                    item["namespace"] = out["namespace"]
            event("response.output_item.done", {"output_index": index, "item": item})
        event(
            "response.completed",
            {
                "response": {
                    "id": response_id,
                    "usage": {
                        "input_tokens": 100,
                        "input_tokens_details": {"cached_tokens": 0},
                        "output_tokens": 20,
                        "output_tokens_details": {"reasoning_tokens": 0},
                        "total_tokens": 120,
                    },
                }
            },
        )


def main():
    scenario_path, opts = parse_args(sys.argv[1:])
    server = Server(Scenario(scenario_path), opts["--log"], int(opts["--max-requests"]))
    lifetime = float(opts["--lifetime"])
    timer = threading.Timer(lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    with open(opts["--port-file"] + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    # Renamed into place so a reader never sees a half-written port.
    os.replace(opts["--port-file"] + ".tmp", opts["--port-file"])
    started = time.monotonic()
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    print(
        f"codex-mock-responses: stopped after {server.count} request(s), {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
