"""The network between the connectors and a provider's stand-in, with one outage in it.

Each provider's calls go through a :class:`FaultProxy` on 127.0.0.1 that forwards them
unchanged, except three: one answered ``503``, one ``429`` with ``Retry-After: 1``, and from
the third on every call is refused (``401``, as a revoked key is) until :meth:`fix` — the
merchant saving a new key — so the circuit opens, the jobs wait, and recovery shows.
OAuth token calls are never failed (they are not the integration's jobs).
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
SPARED = ("/token", "/oauth", "/connect/", "/identity")


@dataclass
class Outage:
    """Which of a provider's calls fail: the n-th (1-based) forwarded call."""

    unavailable: int | None = 1  # 503 (None: never)
    throttled: int | None = 3  # 429 Retry-After: 1
    refused: int | None = 5  # 401 from here until fixed
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: int = 0
    fixed: bool = False
    injected: list[int] = field(default_factory=list)

    def decide(self, path: str) -> tuple[int, dict[str, str]] | None:
        if any(p in path for p in SPARED):
            return None
        with self.lock:
            self.calls += 1
            n = self.calls
            if n == self.unavailable:
                fault: tuple[int, dict[str, str]] | None = (503, {})
            elif n == self.throttled:
                fault = (429, {"Retry-After": "1"})
            elif self.refused is not None and n >= self.refused and not self.fixed:
                fault = (401, {})
            else:
                fault = None
            if fault is not None:
                self.injected.append(fault[0])
            return fault


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if not size:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _handle(self) -> None:
        body = self._body()
        fault = self.server.outage.decide(self.path)
        if fault is not None:
            status, extra = fault
            raw = b'{"error": {"code": %d, "message": "injected by the demo"}}' % status
            self._send(status, [("Content-Type", "application/json"), *extra.items()], raw)
            return
        host, port = self.server.upstream
        upstream = http.client.HTTPConnection(host, port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = f"{host}:{port}"
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            reply = upstream.getresponse()
            data = reply.read()
            kept = [(k, v) for k, v in reply.getheaders() if k.lower() not in HOP_BY_HOP]
            self._send(reply.status, kept, data)
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: tuple[str, int]
    outage: Outage


class FaultProxy:
    """``FaultProxy(stand_in_url)``; ``.url`` is where the connector is pointed."""

    def __init__(self, upstream_url: str, outage: Outage | None = None) -> None:
        split = urlsplit(upstream_url)
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.upstream = (split.hostname or "127.0.0.1", int(split.port or 80))
        self.server.outage = outage or Outage()
        self.prefix = split.path.rstrip("/")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def outage(self) -> Outage:
        return self.server.outage

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        """The upstream's URL with the proxy's address (its path kept)."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def fix(self) -> None:
        self.outage.fixed = True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
