#!/usr/bin/env python3
"""A scripted stand-in for the Anthropic Messages API, so the real Claude Code runs offline.

    mock-messages-api.py --script FILE --log FILE --port-file FILE
                         [--max-requests N] [--max-seconds S]

Binds 127.0.0.1 only, on a free port written to --port-file once it listens. It stops by
itself after --max-requests requests (default 60) or --max-seconds seconds (default 240),
whichever comes first, so a hung client can never keep it alive. Python 3.11 standard library.

Every request is appended to --log as one JSON line: {"n", "method", "path", "reply", "body"}
("reply" names the scripted reply that answered it).

The script is JSON: {"replies": [REPLY, ...], "fallback": "text"}. A POST /v1/messages gets
the first REPLY not yet used (or marked "reuse": true) whose "match" conditions all hold:

    "system":      text found in the system prompt
    "first_user":  text found in the first user message
    "last_user":   text found in the last user message (text and tool_result blocks)
    "tool_result": true / false, whether the last user message carries a tool_result
    "offers":      a tool the request offers ("@subagent" = the sub-agent tool, Agent or Task)

A REPLY's "say" is a list of blocks: {"text": T} or {"tool": NAME, "input": {...}}, where the
tool name "@subagent" becomes the sub-agent tool the request offers. Nothing matching: the
"fallback" text (default "OK."). A request with "stream": true is answered with server-sent
events (message_start, content_block_start / _delta / _stop per block, message_delta with the
stop reason and usage, message_stop), otherwise with one JSON message. POST .../count_tokens,
GET /v1/models and anything else get small plausible answers.
"""

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUBAGENT = "@subagent"
USAGE = {"input_tokens": 120, "output_tokens": 30, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}


def flatten(content):
    """The text of a message content: a string, or blocks (tool_result contents included)."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            parts.append(flatten(block.get("content")))
    return "\n".join(parts)


def subagent_tool(request):
    offered = [t.get("name") for t in request.get("tools") or [] if isinstance(t, dict)]
    return "Agent" if "Agent" in offered or "Task" not in offered else "Task"


class Script:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.replies = data.get("replies", [])
        self.fallback = data.get("fallback", "OK.")
        self.used = set()
        self.lock = threading.Lock()

    @staticmethod
    def holds(match, request):
        users = [m for m in request.get("messages", []) if m.get("role") == "user"]
        first = flatten(users[0].get("content")) if users else ""
        last_content = users[-1].get("content") if users else ""
        last = flatten(last_content)
        system = flatten(request.get("system", ""))
        offered = [t.get("name") for t in request.get("tools") or [] if isinstance(t, dict)]
        has_result = isinstance(last_content, list) and any(
            isinstance(b, dict) and b.get("type") == "tool_result" for b in last_content
        )
        for key, want in match.items():
            if key == "system":
                ok = want in system
            elif key == "first_user":
                ok = want in first
            elif key == "last_user":
                ok = want in last
            elif key == "tool_result":
                ok = has_result == want
            elif key == "offers":
                ok = (subagent_tool(request) if want == SUBAGENT else want) in offered
            else:
                ok = False
            if not ok:
                return False
        return True

    def pick(self, request):
        """(name, blocks) of the reply for `request`."""
        with self.lock:
            for i, reply in enumerate(self.replies):
                if i in self.used and not reply.get("reuse"):
                    continue
                if self.holds(reply.get("match", {}), request):
                    self.used.add(i)
                    return reply.get("name", f"reply-{i}"), reply.get("say", [])
        return "fallback", [{"text": self.fallback}]


def content_blocks(say, request, n):
    blocks = []
    for i, item in enumerate(say):
        if "tool" in item:
            name = subagent_tool(request) if item["tool"] == SUBAGENT else item["tool"]
            blocks.append(
                {"type": "tool_use", "id": f"toolu_mock_{n:04d}_{i}", "name": name, "input": item.get("input", {})}
            )
        else:
            blocks.append({"type": "text", "text": item.get("text", "")})
    return blocks


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = Script(args.script)
        self.log_path = args.log
        self.max_requests = args.max_requests
        self.count = 0
        self.count_lock = threading.Lock()

    def record(self, entry):
        """Logs one request; returns False once the request budget is spent."""
        with self.count_lock:
            self.count += 1
            entry["n"] = self.count
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
            if self.count >= self.max_requests:
                threading.Thread(target=self.shutdown, daemon=True).start()
            return self.count <= self.max_requests


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, *args):
        pass

    def send_json(self, obj, code=200):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        size = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(size) if size > 0 else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def do_GET(self):
        self.server.record({"method": "GET", "path": self.path, "reply": "get", "body": None})
        if self.path.startswith("/v1/models"):
            models = [
                {"type": "model", "id": m, "display_name": m, "created_at": "2026-01-01T00:00:00Z"}
                for m in ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")
            ]
            return self.send_json(
                {"data": models, "has_more": False, "first_id": models[0]["id"], "last_id": models[-1]["id"]}
            )
        self.send_json({})

    def do_POST(self):
        body = self.read_body()
        path = self.path.split("?", 1)[0]
        if path.endswith("/count_tokens"):
            self.server.record({"method": "POST", "path": self.path, "reply": "count_tokens", "body": body})
            return self.send_json({"input_tokens": len(json.dumps(body)) // 4})
        if not path.endswith("/v1/messages") or not isinstance(body, dict):
            self.server.record({"method": "POST", "path": self.path, "reply": "other", "body": body})
            return self.send_json({})
        name, say = self.server.script.pick(body)
        within = self.server.record({"method": "POST", "path": self.path, "reply": name, "body": body})
        if not within:
            return self.send_json(
                {"type": "error", "error": {"type": "overloaded_error", "message": "mock request budget spent"}}, 529
            )
        blocks = content_blocks(say, body, self.server.count)
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        model = body.get("model", "claude-sonnet-4-5")
        message_id = f"msg_mock_{self.server.count:04d}"
        if not body.get("stream"):
            return self.send_json(
                {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": blocks,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": USAGE,
                }
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def event(kind, data):
            data = dict(data, type=kind)
            self.wfile.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())

        event(
            "message_start",
            {
                "message": {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": dict(USAGE, output_tokens=1),
                }
            },
        )
        for i, block in enumerate(blocks):
            if block["type"] == "text":
                event("content_block_start", {"index": i, "content_block": {"type": "text", "text": ""}})
                event("content_block_delta", {"index": i, "delta": {"type": "text_delta", "text": block["text"]}})
            else:
                event(
                    "content_block_start",
                    {
                        "index": i,
                        "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}},
                    },
                )
                event(
                    "content_block_delta",
                    {"index": i, "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}},
                )
            event("content_block_stop", {"index": i})
        event(
            "message_delta",
            {"delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": USAGE["output_tokens"]}},
        )
        event("message_stop", {})
        self.wfile.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--max-requests", type=int, default=60)
    parser.add_argument("--max-seconds", type=float, default=240.0)
    args = parser.parse_args()
    server = Server(args)
    deadline = threading.Timer(args.max_seconds, server.shutdown)
    deadline.daemon = True
    deadline.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    # Renamed into place, so a reader never sees a half-written port.
    os.replace(tmp, args.port_file)
    started = time.monotonic()
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    print(f"mock-messages-api: stopped after {server.count} request(s), {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
