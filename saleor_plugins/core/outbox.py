"""Writing jobs: one INSERT for every integration an event concerns, no network call.

:func:`emit` is what hooks call in the request. It writes one row per (integration,
channel) target in a single statement; inside a transaction the rows commit or roll back
with it. Celery is told after commit (:func:`.handoff.dispatch_on_commit`); if the broker
is down the rows are still there and the sweep dispatches them later. Times are the
database's (:mod:`.clock`), like every time the kernel compares.

A job's ``priority`` says whether it is a live store event (:data:`~.handoff.LIVE`) or
bulk work such as a backfill (:data:`~.handoff.BULK`): bulk jobs are handed to the
broker behind live ones, so a million-job backfill does not delay an order.

Inside a request a hook's event may be written *after* the response (``defer=True``, what
the Saleor adapter's hooks pass, outside a transaction only: the store's change has
committed already): every event of the request then goes out in one INSERT per kind, and
one publish, once the shopper has the answer (:func:`open_request`, :func:`close_request`,
connected to Django's request signals). A process that dies in between loses no event:
the reconcile task re-emits store changes that have no job.

Duplicates are refused by the database, not by hope:
- non-coalescing events carry a ``dedupe_key`` (``event:object[@version]``) unique per
  integration and channel, so a re-emit (reconciliation, a retried request) is a no-op;
- coalescing events share a ``coalesce_key`` (``type:object``) unique among *pending* jobs,
  so a later change replaces the pending job instead of queueing another.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection

from . import clock, handoff, telemetry
from .events import EventType
from .handoff import LIVE, dispatch, dispatch_on_commit

# dispatch and dispatch_on_commit live in .handoff; re-exported for older imports
__all__ = [
    "close_request",
    "dispatch",
    "dispatch_on_commit",
    "emit",
    "emit_many",
    "idempotency_key",
    "open_request",
]

logger = logging.getLogger(__name__)

Target = tuple[str, str]  # (integration id, channel slug)

#: Rows per INSERT statement (a backfill emits many objects at once).
MAX_ROWS = 1000

Obj = tuple[str, dict[str, Any], str]  # (object id, payload, version)


@dataclass(frozen=True)
class _Emit:
    event: EventType
    objects: list[Obj]
    targets: list[Target]
    wait: timedelta
    priority: int


#: Events this thread's request writes after its response (None: not in a request).
_request = threading.local()


def coalescing_window() -> timedelta:
    """How long a coalescing job waits for later changes before it is delivered."""
    return timedelta(seconds=float(getattr(settings, "SALEOR_PLUGINS_COALESCE_SECONDS", 2.0)))


def dedupe_key(event: EventType, object_id: str, version: str = "") -> str:
    key = f"{event.value}:{object_id}"
    return f"{key}@{version}" if version else key


def coalesce_key(event: EventType, object_id: str) -> str:
    return f"{event.object_type.value}:{object_id}"


def idempotency_key(integration: str, channel: str, key: str) -> str:
    """A provider idempotency key derived from the job (stable across its retries)."""
    digest = hashlib.sha256(f"{integration}|{channel}|{key}".encode()).hexdigest()[:40]
    return f"sp-{digest}"


_INSERT = """
INSERT INTO saleor_plugins_job (
    integration, channel, event, object_type, object_id, payload, dedupe_key,
    coalesce_key, coalesced, status, attempts, lease, priority, not_before, created_at,
    updated_at, last_error
) VALUES {values}
"""
_ROW = (
    "(%s, %s, %s, %s, %s, %s::jsonb, %s, %s, 0, 'pending', 0, 0, %s,"
    " statement_timestamp() + %s, statement_timestamp() + %s, statement_timestamp() + %s, '')"
)
_ON_DEDUPE = " ON CONFLICT (integration, channel, dedupe_key) DO NOTHING RETURNING id"
_ON_COALESCE = """ ON CONFLICT (integration, channel, coalesce_key)
    WHERE status = 'pending' AND coalesce_key IS NOT NULL
    DO UPDATE SET event = EXCLUDED.event, payload = EXCLUDED.payload,
        coalesced = saleor_plugins_job.coalesced + 1, updated_at = EXCLUDED.updated_at,
        priority = LEAST(saleor_plugins_job.priority, EXCLUDED.priority)
    RETURNING id, (xmax = 0) AS inserted"""


def emit(
    event: EventType,
    object_id: str,
    targets: Iterable[Target],
    *,
    payload: dict[str, Any] | None = None,
    version: str = "",
    delay: timedelta | None = None,
    priority: int = LIVE,
    defer: bool = False,
) -> list[int]:
    """Write the jobs for ``event`` on ``object_id`` for every target in one statement.

    Returns the ids of jobs that are new (coalesced or duplicate emits return nothing new;
    a deferred write returns nothing yet).
    """
    return emit_many(
        event,
        [(object_id, payload or {}, version)],
        targets,
        delay=delay,
        priority=priority,
        defer=defer,
    )


def emit_many(
    event: EventType,
    objects: Sequence[Obj],
    targets: Iterable[Target],
    *,
    delay: timedelta | None = None,
    priority: int = LIVE,
    defer: bool = False,
) -> list[int]:
    """Like :func:`emit` for many objects at once (backfill, reconciliation)."""
    targets = list(dict.fromkeys(targets))
    if not targets or not objects:
        return []
    coalescing = event.coalesces
    wait = delay if delay is not None else (coalescing_window() if coalescing else timedelta(0))
    pending = _Emit(event, list(objects), targets, wait, priority)
    waiting: list[_Emit] | None = getattr(_request, "emits", None)
    if defer and waiting is not None and not connection.in_atomic_block:
        waiting.append(pending)
        return []
    with telemetry.emit_span(event.value, event.object_type.value, targets) as span:
        new_ids = _write([pending])
        span.set_attribute("saleor_plugins.jobs_new", len(new_ids))
    if new_ids:
        dispatch_on_commit(new_ids, countdown=wait.total_seconds(), priority=priority)
    return new_ids


def open_request() -> None:
    """A request began: deferred events and publishes wait for :func:`close_request`."""
    close_request()  # a request that never finished (its thread reused) writes what it kept
    _request.emits = []
    handoff.open_request()


def close_request() -> int:
    """The response has been sent: write the request's deferred events (one INSERT per
    kind: coalescing or not, delay, priority) and publish them with the rest, once.
    Returns the number of new jobs written."""
    waiting: list[_Emit] | None = getattr(_request, "emits", None)
    _request.emits = None
    written = 0
    try:
        groups: dict[tuple[bool, timedelta, int], list[_Emit]] = {}
        for pending in waiting or ():
            key = (pending.event.coalesces, pending.wait, pending.priority)
            groups.setdefault(key, []).append(pending)
        for (_, wait, priority), emits in groups.items():
            with telemetry.emit_span(
                ",".join(sorted({e.event.value for e in emits})),
                ",".join(sorted({e.event.object_type.value for e in emits})),
                sorted({t for e in emits for t in e.targets}),
            ) as span:
                new_ids = _write(emits)
                span.set_attribute("saleor_plugins.jobs_new", len(new_ids))
            written += len(new_ids)
            if new_ids:
                dispatch_on_commit(new_ids, countdown=wait.total_seconds(), priority=priority)
    except Exception:
        logger.exception(
            "saleor_plugins: events of a request not written; the reconcile task re-emits them"
        )
    finally:
        handoff.close_request()
    return written


def _write(emits: Sequence[_Emit]) -> list[int]:
    """Write emits of one kind (all coalescing or none; same delay and priority)."""
    coalescing = emits[0].event.coalesces
    # One row once per statement: PostgreSQL refuses to update a row twice in one
    # INSERT ... ON CONFLICT, and the last state is the one that counts.
    rows: dict[tuple[str, str, str, str, str], tuple[EventType, Obj, Target]] = {}
    for pending in emits:
        for obj in pending.objects:
            for target in pending.targets:
                kind = pending.event.object_type.value if coalescing else pending.event.value
                version = "" if coalescing else obj[2]
                rows[(kind, str(obj[0]), version, *target)] = (pending.event, obj, target)
    unique = list(rows.values())
    result: list[tuple[Any, ...]] = []
    for start in range(0, len(unique), MAX_ROWS):
        result += _insert(unique[start : start + MAX_ROWS], emits[0].wait, emits[0].priority)
    return [row[0] for row in result if not coalescing or row[1]]


def _insert(
    rows: Sequence[tuple[EventType, Obj, Target]], wait: timedelta, priority: int
) -> list[tuple[Any, ...]]:
    coalescing = rows[0][0].coalesces
    skew = clock.skew()
    params: list[Any] = []
    values = []
    bodies: dict[int, str] = {}  # one JSON text per object, however many targets
    for event, obj, (integration, channel) in rows:
        object_id, payload, version = obj
        body = bodies.get(id(obj))
        if body is None:
            body = bodies[id(obj)] = json.dumps(payload, default=str)
        values.append(_ROW)
        params += [
            integration,
            channel,
            event.value,
            event.object_type.value,
            str(object_id),
            body,
            None if coalescing else dedupe_key(event, str(object_id), version),
            coalesce_key(event, str(object_id)) if coalescing else None,
            priority,
            skew + wait,
            skew,
            skew,
        ]
    sql = _INSERT.format(values=", ".join(values)) + (_ON_COALESCE if coalescing else _ON_DEDUPE)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
