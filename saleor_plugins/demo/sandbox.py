"""A local sandbox provider on 127.0.0.1: a tiny order/product API with idempotency keys.

It behaves like the providers we integrate with where it matters to the kernel: it
authenticates with a bearer key (401 otherwise), replays the first response for a reused
``Idempotency-Key``, and can be told to fail (5xx, 429 with ``Retry-After``, a slow answer,
a reset connection). It counts *effects*, so a test can prove nothing happened twice.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A fault decides, per request, what goes wrong: None (nothing), ("status", code, headers),
# ("sleep", seconds) or ("reset",).
Fault = Callable[[str, str, int], tuple[Any, ...] | None]


@dataclass
class SandboxState:
    api_key: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    replies: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    effects: Counter[str] = field(default_factory=Counter)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[tuple[str, str, int]] = field(default_factory=list)
    fault: Fault | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(
        self, code: int, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _handle(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with state.lock:
            state.requests += 1
            n = state.requests
        fault = state.fault(self.command, self.path, n) if state.fault else None
        if fault and fault[0] == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault and fault[0] == "sleep":
            import time

            time.sleep(fault[1])
        if fault and fault[0] == "status":
            self._reply(fault[1], {"error": "injected"}, fault[2] if len(fault) > 2 else None)
            return
        if self.headers.get("Authorization") != f"Bearer {state.api_key}":
            self._reply(401, {"error": "invalid api key"})
            return
        key = self.headers.get("Idempotency-Key", "")
        with state.lock:
            if key and key in state.replies:
                code, raw = state.replies[key]
                state.log.append((self.command, self.path, code))
                self._reply(code, raw, {"Idempotent-Replayed": "true"})
                return
            code, reply = self._apply(state, body)
            raw = json.dumps(reply).encode()
            if key:
                state.replies[key] = (code, raw)
            state.log.append((self.command, self.path, code))
        self._reply(code, raw)

    def _apply(self, state: SandboxState, body: bytes) -> tuple[int, dict[str, Any]]:
        data = json.loads(body or b"{}")
        if self.command in ("POST", "PUT"):
            state.effects[f"{self.command} {self.path}"] += 1
            state.objects[self.path] = data
            return 200, {"ok": True, "path": self.path}
        if self.command == "DELETE":
            state.effects[f"DELETE {self.path}"] += 1
            state.objects.pop(self.path, None)
            return 200, {"ok": True}
        if self.command == "GET":
            obj = state.objects.get(self.path)
            return (200, obj) if obj is not None else (404, {"error": "not found"})
        return 405, {"error": "method not allowed"}

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: SandboxState

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection we reset on purpose (or a client that timed out) is not news."""
        import sys

        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class Sandbox:
    """Start with ``with Sandbox(api_key) as sb: ...``; ``sb.url`` is its base URL."""

    def __init__(self, api_key: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = _Server((host, port), _Handler)
        self.server.state = SandboxState(api_key=api_key)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self) -> SandboxState:
        return self.server.state

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Sandbox:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
