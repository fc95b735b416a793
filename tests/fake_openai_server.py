"""A fault-injecting server that answers like the OpenAI chat-completions API.

Standard library only: ``http.server`` in a thread on 127.0.0.1, port 0 (a free port).
Each request takes the next mode from ``script`` (the last one repeats):

    ok           a normal answer (streamed as SSE when the request asks for a stream)
    401 429 500  an OpenAI-style JSON error with that status
    hang         wait ``hang_seconds`` before answering (past the client's timeout)
    hang-mid     stream half the answer, then stall (a read timeout mid-stream)
    cut          stream half the answer, then drop the connection mid chunked body
    cut-clean    stream half the answer, then end the body normally, with neither a
                 finish_reason nor ``data: [DONE]`` (nothing at the HTTP level is wrong)

    >>> with FakeOpenAI(reply="Seoul said so [1].", script=["429", "ok"]) as server:
    ...     server.url        # 'http://127.0.0.1:PORT/v1', for OPENAI_BASE_URL
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "401", "429", "500", "hang", "hang-mid", "cut", "cut-clean")
_ERRORS = {
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
}


@dataclass
class Request:
    """One request the server received, with the mode it was answered with."""

    at: float  # time.monotonic() on arrival
    path: str
    body: dict[str, Any]
    mode: str
    headers: dict[str, str] = field(default_factory=dict)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (for servers that need one named)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeOpenAI:
    """Start with ``with FakeOpenAI(...) as server`` (or ``start()``/``stop()``)."""

    def __init__(self, reply: str = "The reports say so [1].", script: list[str] | None = None,
                 hang_seconds: float = 10.0, model: str = "fake-model") -> None:
        self.reply = reply
        self.script = list(script or ["ok"])
        self.hang_seconds = hang_seconds
        self.model = model
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "start the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def set_script(self, *modes: str) -> None:
        """Modes for the next requests (the last one repeats)."""
        unknown = set(modes) - set(MODES)
        assert not unknown, f"unknown modes {unknown}; use {MODES}"
        with self._lock:
            self.script = list(modes)

    def _next_mode(self) -> str:
        with self._lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes any handler that is hanging on purpose
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- replies ---------------------------------------------------------------------------
    def pieces(self) -> list[str]:
        """The reply split into the pieces it is streamed in (words with their spaces)."""
        return re.findall(r"\S+\s*|\s+", self.reply)

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def completion(self) -> dict[str, Any]:
        return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
                "model": self.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": self.reply}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": len(self.pieces()),
                          "total_tokens": 10 + len(self.pieces())}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": self.fake.model,
                                                          "object": "model"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        mode = self.fake._next_mode()
        self.fake.requests.append(Request(time.monotonic(), self.path, body, mode,
                                          {k.lower(): v for k, v in self.headers.items()}))
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        if mode in ("401", "429", "500"):
            status = int(mode)
            message, kind, code = _ERRORS[status]
            return self._json(status, {"error": {"message": message, "type": kind,
                                                 "param": None, "code": code}})
        if mode == "hang" and self.fake._stop.wait(self.fake.hang_seconds):
            return
        if not body.get("stream"):
            return self._json(200, self.fake.completion())
        self._stream(mode, bool((body.get("stream_options") or {}).get("include_usage")))

    # -- writing ---------------------------------------------------------------------------
    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, mode: str, usage: bool) -> None:
        fake = self.fake
        pieces = fake.pieces()
        half = max(1, len(pieces) // 2)
        chunked = mode != "cut-clean"  # cut-clean: an HTTP/1.0 body that ends by closing
        if chunked:
            self.protocol_version = "HTTP/1.1"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def send(event: dict[str, Any] | str) -> None:
            line = event if isinstance(event, str) else json.dumps(event)
            data = f"data: {line}\n\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
            self.wfile.flush()

        send(fake.chunk({"role": "assistant", "content": ""}))
        for i, piece in enumerate(pieces):
            if i == half and mode in ("cut", "cut-clean", "hang-mid"):
                if mode == "hang-mid":
                    fake._stop.wait(fake.hang_seconds)
                elif mode == "cut":  # drop the TCP connection in the middle of the body
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            send(fake.chunk({"content": piece}))
            time.sleep(0.005)
        send(fake.chunk({}, finish="stop"))
        if usage:
            send({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                  "model": fake.model, "choices": [],
                  "usage": {"prompt_tokens": 10, "completion_tokens": len(pieces),
                            "total_tokens": 10 + len(pieces)}})
        send("[DONE]")
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
