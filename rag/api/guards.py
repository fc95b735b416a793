"""What stands before the engine: the API key, body size caps, and the bounded queue.

- Listening beyond loopback needs ``RAG_API_KEY``; when it is set, every request must send
  ``Authorization: Bearer <key>`` (compared in constant time).
- A body over its cap is refused with 413 while it is read, before it is all in memory.
- At most ``RAG_API_MAX_QUEUE`` questions are admitted at once (one is answered at a time by
  an embedded model, the others wait for its lock); one more is answered 429 at once.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from rag.errors import ConfigError

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]

MAX_JSON_BYTES = 2_000_000  # a long Open WebUI conversation is ~100 kB
MAX_UPLOAD_BYTES = 100_000_000  # one POST /reports (each file: ingest.MAX_FILE_BYTES)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, localhost: addresses only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond loopback without an API key."""
    if not is_loopback(host) and not api_key:
        raise ConfigError(f"Listening on {host} lets other machines ask and change the index; "
                          f"set RAG_API_KEY to a long random token (clients then send "
                          f"`Authorization: Bearer <token>`), or listen on 127.0.0.1.")


def error_body(status: int, message: str, kind: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "code": status}}).encode()


async def _send_error(send: Callable, status: int, message: str, kind: str,
                      headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = error_body(status, message, kind)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: bearer token and body size, for every HTTP request."""

    def __init__(self, app: ASGIApp, api_key: str | None) -> None:
        self.app = app
        self.api_key = api_key

    def _authorized(self, scope: Scope) -> bool:
        if not self.api_key:
            return True
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.api_key.encode())

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._authorized(scope):
            await _send_error(send, 401, "Missing or wrong API key: send the header "
                              "`Authorization: Bearer <RAG_API_KEY>`.", "authentication_error",
                              [(b"www-authenticate", b"Bearer")])
            return
        cap = MAX_UPLOAD_BYTES if scope["path"] == "/reports" else MAX_JSON_BYTES
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:  # the server reads no more than this
            if not declared.isdigit() or int(declared) > cap:
                await _send_error(send, 413, too_large_message(cap), "request_too_large")
                return
            await self.app(scope, receive, send)
            return
        body, more = [], True  # chunked: read it here, counting, before the app sees it
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left
            body.append(message.get("body", b""))
            more = message.get("more_body", False)
            if sum(map(len, body)) > cap:
                await _send_error(send, 413, too_large_message(cap), "request_too_large")
                return
        replay = [{"type": "http.request", "body": b"".join(body), "more_body": False}]

        async def replayed() -> dict:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)


def too_large_message(cap: int) -> str:
    return (f"The request body is over the {cap / 1e6:.0f} MB limit; send less history, "
            f"or fewer or smaller files per upload.")


class Admission:
    """A bounded queue: ``try_enter`` admits at most ``size`` holders at once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots = threading.BoundedSemaphore(size)

    def try_enter(self) -> bool:
        return self._slots.acquire(blocking=False)

    def leave(self) -> None:
        self._slots.release()
