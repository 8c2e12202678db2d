"""Writing jobs: one INSERT for every integration an event concerns, no network call.

:func:`emit` is what hooks call in the request. It writes one row per (integration,
channel) target in a single statement; inside a transaction the rows commit or roll back
with it. Celery is told after commit (:func:`.handoff.dispatch_on_commit`); if the broker
is down the rows are still there and the sweep dispatches them later. Times are the
database's (:mod:`.clock`), like every time the kernel compares.

A job's ``priority`` says whether it is a live store event (:data:`~.handoff.LIVE`) or
bulk work such as a backfill (:data:`~.handoff.BULK`): bulk jobs are handed to the
broker behind live ones, so a million-job backfill does not delay an order.

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
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection

from . import clock, telemetry
from .events import EventType
from .handoff import LIVE, dispatch, dispatch_on_commit

# dispatch and dispatch_on_commit live in .handoff; re-exported for older imports
__all__ = ["dispatch", "dispatch_on_commit", "emit", "emit_many", "idempotency_key"]

logger = logging.getLogger(__name__)

Target = tuple[str, str]  # (integration id, channel slug)

#: Rows per INSERT statement (a backfill emits many objects at once).
MAX_ROWS = 1000


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
) -> list[int]:
    """Write the jobs for ``event`` on ``object_id`` for every target in one statement.

    Returns the ids of jobs that are new (coalesced or duplicate emits return nothing new).
    """
    return emit_many(
        event, [(object_id, payload or {}, version)], targets, delay=delay, priority=priority
    )


def emit_many(
    event: EventType,
    objects: Sequence[tuple[str, dict[str, Any], str]],
    targets: Iterable[Target],
    *,
    delay: timedelta | None = None,
    priority: int = LIVE,
) -> list[int]:
    """Like :func:`emit` for many objects at once (backfill, reconciliation)."""
    targets = list(dict.fromkeys(targets))
    if not targets or not objects:
        return []
    coalescing = event.coalesces
    wait = delay if delay is not None else (coalescing_window() if coalescing else timedelta(0))
    # One object once per statement: PostgreSQL refuses to update a row twice in one
    # INSERT ... ON CONFLICT, and the last state is the one that counts.
    unique = list({(str(o[0]), "" if coalescing else o[2]): o for o in objects}.values())
    per_statement = max(1, MAX_ROWS // len(targets))
    result: list[tuple[Any, ...]] = []
    with telemetry.emit_span(event.value, event.object_type.value, targets) as span:
        for start in range(0, len(unique), per_statement):
            batch = unique[start : start + per_statement]
            result += _insert(event, batch, targets, wait, priority)
        new_ids = [row[0] for row in result if not coalescing or row[1]]
        span.set_attribute("saleor_plugins.jobs_new", len(new_ids))
    if new_ids:
        dispatch_on_commit(new_ids, countdown=wait.total_seconds(), priority=priority)
    return new_ids


def _insert(
    event: EventType,
    objects: Sequence[tuple[str, dict[str, Any], str]],
    targets: list[Target],
    wait: timedelta,
    priority: int,
) -> list[tuple[Any, ...]]:
    coalescing = event.coalesces
    skew = clock.skew()
    params: list[Any] = []
    rows = []
    for object_id, payload, version in objects:
        body = json.dumps(payload, default=str)
        for integration, channel in targets:
            rows.append(_ROW)
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
    sql = _INSERT.format(values=", ".join(rows)) + (_ON_COALESCE if coalescing else _ON_DEDUPE)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
