"""What the demo prints: events going in, deliveries coming out, and the totals explained.

The deliveries are read from the sync log (one ``Attempt`` row per attempt, written by the
worker), so each line is what the merchant's sync log holds. The request-path probe counts
the TCP connections this process opens to the provider: store writes run here, deliveries
run in the worker, so any provider call made inside a request would show up as one.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..core.models import Attempt

OUT = (
    "{when:>6.2f}s  <- {integration:18} {channel:16} {event:17} {outcome:9} {http:>4} "
    "{ms:>5} ms{note}"
)
IN = "{when:>6.2f}s  -> {event:17} {what:34} {jobs} job(s) for {channels}"


class RequestPathProbe:
    """Counts connections this process opens to ``addresses`` while it is installed."""

    def __init__(self, *addresses: tuple[str, int]) -> None:
        self.addresses = set(addresses)
        self.count = 0
        self._lock = threading.Lock()

    @contextmanager
    def installed(self) -> Iterator[RequestPathProbe]:
        original = socket.socket.connect
        probe = self
        # the request's own thread: the stand-ins and proxies serve the worker from other
        # threads of this process, and their connections are not the request's
        request_thread = threading.get_ident()

        def connect(sock: socket.socket, addr: Any) -> None:
            if (
                threading.get_ident() == request_thread
                and isinstance(addr, tuple)
                and tuple(addr[:2]) in probe.addresses
            ):
                with probe._lock:
                    probe.count += 1
            original(sock, addr)

        socket.socket.connect = connect  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            socket.socket.connect = original  # type: ignore[method-assign]


class SyncLogTail:
    """Prints the sync log's new rows, one line per delivery attempt."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.last_id = 0
        self.printed = 0

    def print_new(self, now: float) -> int:
        rows = list(Attempt.objects.filter(id__gt=self.last_id).order_by("id"))
        for a in rows:
            note = f"  {a.error[:60]}" if a.outcome != "succeeded" else ""
            print(
                OUT.format(
                    when=now - self.started,
                    integration=a.integration.removeprefix("saleor_plugins."),
                    channel=a.channel,
                    event=a.event,
                    outcome=a.outcome,
                    http=a.status_code or "",
                    ms=a.duration_ms,
                    note=note,
                ),
                flush=True,
            )
            self.last_id = a.id
        self.printed += len(rows)
        return len(rows)


def event_line(when: float, event: str, what: str, jobs: int, channels: list[str]) -> str:
    line = IN.format(when=when, event=event, what=what, jobs=jobs, channels=", ".join(channels))
    return (
        line
        if jobs
        else line.replace("0 job(s) for", "0 new job(s) (merged into pending ones) for")
    )
