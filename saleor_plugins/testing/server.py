"""A local HTTP provider on 127.0.0.1 for a connector's tests (no network, no SDK patching).

Point the connector's base URL setting at ``server.url``; every request is recorded
(method, path, headers, body) and answered from what the test scripted, in order::

    server.reply("POST", "/v1/contacts", 201, {"id": "c_1"})
    server.reply("POST", "/v1/contacts", 503)            # the next one fails
    server.requests[0].json()                             # what the connector sent

A route with nothing scripted answers ``200 {}``; the last scripted answer of a route
is repeated once its queue is down to it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path
        reply = self.server.provider._record(
            Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    provider: ProviderServer


class ProviderServer:
    """Start with ``with ProviderServer() as server:`` (the ``provider_server`` fixture)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.provider = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._lock = threading.Lock()
        self._scripted: dict[tuple[str, str], list[_Reply]] = {}
        self.requests: list[Recorded] = []

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reply(
        self,
        method: str,
        path: str,
        status: int = 200,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Queue the answer to the next ``method path`` request (``body``: JSON or bytes)."""
        raw = body if isinstance(body, bytes) else json.dumps({} if body is None else body)
        with self._lock:
            self._scripted.setdefault((method.upper(), path), []).append(
                _Reply(status, raw.encode() if isinstance(raw, str) else raw, headers or {})
            )

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        """The recorded requests, of one method and path if given."""
        return [
            r
            for r in self.requests
            if method in (None, r.method) and (path is None or r.path == path)
        ]

    def _record(self, request: Recorded) -> _Reply:
        with self._lock:
            self.requests.append(request)
            queue = self._scripted.get((request.method, request.path.split("?")[0]), [])
            if not queue:
                return _Reply(200, b"{}")
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def __enter__(self) -> ProviderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
