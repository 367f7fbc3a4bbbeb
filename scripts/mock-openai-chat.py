#!/usr/bin/env python3
"""A scripted stand-in for an OpenAI-compatible Chat Completions API, so the real Qwen Code
runs offline.

    mock-openai-chat.py --script FILE --log FILE --port-file FILE
                        [--max-requests N] [--max-seconds S]

Binds 127.0.0.1 only, on a free port written to --port-file once it listens. It stops by
itself after --max-requests requests (default 60) or --max-seconds seconds (default 240),
whichever comes first, so a hung client can never keep it alive. Python 3.11 standard library.

Every request is appended to --log as one JSON line: {"n", "method", "path", "reply", "body"}
("reply" names the scripted reply that answered it).

The script is JSON: {"replies": [REPLY, ...], "fallback": "text"}. A POST .../chat/completions
gets the first REPLY not yet used (or marked "reuse": true) whose "match" conditions all hold:

    "system":       text found in the system message(s)
    "no_system":    text NOT found in the system message(s)
    "first_user":   text found in the first user message
    "last":         text found in the last user or tool message
    "tool_result":  true / false, whether the last message is a tool result
    "offers":       a function tool the request offers ("mcp__*" = any tool of an MCP server)

A REPLY's "say" is a list of parts: {"text": T} or {"tool": NAME, "input": {...}, "id": ID?}
(a tool call; its id defaults to call_<n>, n counting the calls made). "usage" is
{"prompt", "completion", "cached"} in tokens (default 100, 20, 0). Nothing matching: the
"fallback" text. A request with "stream": true (what Qwen Code sends, with
stream_options.include_usage) is answered with server-sent chat.completion.chunk events, the
usage in a last chunk without choices, then "data: [DONE]"; otherwise with one
chat.completion object. GET .../models lists the requested model; anything else is a 404.
"""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def text_of(content):
    """The text of a message content: a string or a list of parts."""
    if isinstance(content, str):
        return content
    parts = []
    for part in content if isinstance(content, list) else []:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
        elif isinstance(part, str):
            parts.append(part)
    return "\n".join(parts)


def messages(request, *roles):
    return [m for m in request.get("messages") or [] if isinstance(m, dict) and m.get("role") in roles]


def offered(request):
    return [(t.get("function") or {}).get("name") for t in request.get("tools") or [] if isinstance(t, dict)]


class Script:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.replies = data.get("replies", [])
        self.fallback = data.get("fallback", "OK.")
        self.used = set()
        self.calls = 0
        self.lock = threading.Lock()

    @staticmethod
    def holds(match, request):
        system = "\n".join(text_of(m.get("content")) for m in messages(request, "system", "developer"))
        users = messages(request, "user")
        inputs = messages(request, "user", "tool")
        every = request.get("messages") or []
        tools = offered(request)
        for key, want in match.items():
            if key == "system" and want not in system:
                return False
            if key == "no_system" and want in system:
                return False
            if key == "first_user" and (not users or want not in text_of(users[0].get("content"))):
                return False
            if key == "last" and (not inputs or want not in text_of(inputs[-1].get("content"))):
                return False
            if key == "tool_result" and (bool(every) and every[-1].get("role") == "tool") != want:
                return False
            if key == "offers":
                if want == "mcp__*":
                    if not any((t or "").startswith("mcp__") for t in tools):
                        return False
                elif want not in tools:
                    return False
        return True

    def answer(self, request):
        """(name, text, tool calls, usage) for a request."""
        with self.lock:
            for i, reply in enumerate(self.replies):
                if i in self.used and not reply.get("reuse"):
                    continue
                if not self.holds(reply.get("match", {}), request):
                    continue
                self.used.add(i)
                text, calls = [], []
                for part in reply.get("say", []):
                    if "tool" in part:
                        self.calls += 1
                        calls.append(
                            {
                                "id": part.get("id") or f"call_{self.calls}",
                                "type": "function",
                                "function": {"name": part["tool"], "arguments": json.dumps(part.get("input", {}))},
                            }
                        )
                    else:
                        text.append(part.get("text", ""))
                return reply.get("name", f"reply{i}"), "\n".join(text), calls, reply.get("usage", {})
        return "fallback", self.fallback, [], {}


def usage_of(u):
    prompt, completion = int(u.get("prompt", 100)), int(u.get("completion", 20))
    out = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    if u.get("cached"):
        out["prompt_tokens_details"] = {"cached_tokens": int(u["cached"])}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--script", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--max-requests", type=int, default=60)
    ap.add_argument("--max-seconds", type=float, default=240)
    args = ap.parse_args()
    script = Script(args.script)
    count = [0]
    log_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def record(self, body, reply):
            with log_lock:
                count[0] += 1
                with open(args.log, "a", encoding="utf-8") as f:
                    f.write(
                        json.dumps(
                            {"n": count[0], "method": self.command, "path": self.path, "reply": reply, "body": body}
                        )
                        + "\n"
                    )
                if count[0] >= args.max_requests:
                    threading.Thread(target=self.server.shutdown, daemon=True).start()

        def send_json(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.record(None, "get")
            if self.path.split("?")[0].endswith("/models"):
                return self.send_json(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": "mock-qwen-coder", "object": "model", "created": 0, "owned_by": "mock"}],
                    },
                )
            self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        def do_POST(self):
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(size) if size else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            if not self.path.split("?")[0].endswith("/chat/completions") or not isinstance(body, dict):
                self.record(body, "unknown")
                return self.send_json(
                    404, {"error": {"message": "only /chat/completions", "type": "invalid_request_error"}}
                )
            name, text, calls, usage = script.answer(body)
            self.record(body, name)
            usage = usage_of(usage)
            model = body.get("model", "mock-qwen-coder")
            base = {"id": f"chatcmpl-{count[0]}", "created": int(time.time()), "model": model}
            finish = "tool_calls" if calls else "stop"
            if not body.get("stream"):
                message = {"role": "assistant", "content": text}
                if calls:
                    message["tool_calls"] = calls
                return self.send_json(
                    200,
                    dict(
                        base,
                        object="chat.completion",
                        usage=usage,
                        choices=[{"index": 0, "message": message, "finish_reason": finish}],
                    ),
                )
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

            def event(choices, **extra):
                chunk = dict(base, object="chat.completion.chunk", choices=choices, **extra)
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())

            def delta(d, finish_reason=None):
                event([{"index": 0, "delta": d, "finish_reason": finish_reason}])

            delta({"role": "assistant", "content": ""})
            if text:
                delta({"content": text})
            for i, call in enumerate(calls):
                delta(
                    {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": call["id"],
                                "type": "function",
                                "function": {"name": call["function"]["name"], "arguments": ""},
                            }
                        ]
                    }
                )
                delta({"tool_calls": [{"index": i, "function": {"arguments": call["function"]["arguments"]}}]})
            delta({}, finish)
            event([], usage=usage)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
