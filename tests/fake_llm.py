"""A real HTTP server on loopback that speaks the OpenAI chat-completions API, scripted per test.
The real `openai` client talks HTTP to it."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Raw:
    """A reply body sent as is (an HTML error page, an empty or truncated body), optionally
    one byte every `trickle` seconds."""

    body: bytes
    content_type: str = "application/json"
    trickle: float = 0.0


def completion(content: str, *, prompt_tokens: int = 120, completion_tokens: int = 40, cached: int = 0) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


def grade_json(score=90, statuses=("covered",), evidence=("",), errors=(), feedback="不错", rating=None) -> str:
    points = [{"index": i, "status": s, "evidence": e} for i, (s, e) in enumerate(zip(statuses, evidence, strict=True))]
    rating = rating or (1 if score < 60 else 2 if score < 75 else 3 if score < 95 else 4)
    return json.dumps(
        {"score": score, "points": points, "errors": list(errors), "feedback": feedback, "suggested_rating": rating},
        ensure_ascii=False,
    )


ANSWER = re.compile(r"<<<ANSWER\n(.*)\nANSWER>>>", re.S)
# Fault modes (FakeLLM.fault): what the endpoint does to every grading request until switched back.
FAULTS = ("ok", "500", "hang", "truncated", "garbage")


class FakeLLM:
    """Replies are (status, body-dict-or-text, delay seconds), used in order; the last repeats.
    Or, once `fault(mode)` is called, every request gets what that mode says (FAULTS): "ok" a
    valid grade that quotes the answer (after `delay` seconds), "500" an error, "hang" no reply for
    `hang` seconds, "truncated" a body cut mid-JSON, "garbage" a completion whose content is not a
    grade. `served[answer]` counts the valid grades sent for each answer."""

    def __init__(self):
        self.replies: list[tuple[int, object, float]] = []
        self.requests: list[dict] = []
        self.mode: str | None = None
        self.delay, self.hang = 0.0, 60.0
        self.served: Counter = Counter()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with fake.lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "body": body,
                            "auth": self.headers.get("Authorization"),
                            "at": time.monotonic(),
                        }
                    )
                    index = min(len(fake.requests) - 1, len(fake.replies) - 1)
                    answer = answer_of(body)
                    mode = fake.mode
                status, payload, delay = fake.scripted(mode, answer) if mode else fake.replies[index]
                if delay:
                    time.sleep(delay)
                raw = payload if isinstance(payload, Raw) else None
                data = raw.body if raw else (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", raw.content_type if raw else "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if raw and raw.trickle:
                        for i in range(len(data)):  # one byte at a time, never tripping a read timeout
                            self.wfile.write(data[i : i + 1])
                            self.wfile.flush()
                            time.sleep(raw.trickle)
                    else:
                        self.wfile.write(data)
                        self.wfile.flush()
                    if mode == "ok" and status == 200:
                        with fake.lock:
                            fake.served[answer] += 1
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def reply(self, *replies) -> None:
        self.replies = [r if isinstance(r, tuple) else (200, r, 0) for r in replies]
        self.requests.clear()
        self.mode = None

    def fault(self, mode: str, *, delay: float | None = None, hang: float | None = None) -> None:
        """Switch every following request to `mode` (one of FAULTS); the log of requests stays."""
        if mode not in FAULTS:
            raise ValueError(mode)
        self.mode = mode
        self.delay = self.delay if delay is None else delay
        self.hang = self.hang if hang is None else hang

    def scripted(self, mode: str, answer: str) -> tuple[int, object, float]:
        if mode == "500":
            return error(500, "upstream overloaded")
        if mode == "hang":
            return (200, completion(grade_json(80, ("covered",), (answer[:6],))), self.hang)
        if mode == "truncated":
            return (200, Raw(b'{"id": "x", "choices": [{"message": {"content": "{\\"sco'), 0)
        if mode == "garbage":
            return (200, completion(json.dumps({"grade": "good", "points": "all"})), 0)
        return (200, completion(grade_json(80, ("covered",), (answer[:6],))), self.delay)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def answer_of(body: dict) -> str:
    """The candidate's answer inside a grading request ("" for any other request)."""
    for message in body.get("messages", [])[::-1]:
        found = ANSWER.search(str(message.get("content", "")))
        if found:
            return found.group(1)
    return ""


def error(status: int, message: str = "error") -> tuple[int, dict, float]:
    return (status, {"error": {"message": message, "type": "invalid_request_error", "code": None}}, 0)
