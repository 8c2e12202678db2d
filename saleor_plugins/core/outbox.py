"""Writing jobs: one INSERT for every integration an event concerns, no network call.

:func:`emit` is what hooks call in the request. It writes one row per (integration,
channel) target in a single statement; inside a transaction the rows commit or roll back
with it. Celery is told after commit (:func:`dispatch_on_commit`); if the broker is down
the rows are still there and the sweep dispatches them later.

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
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .events import EventType

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
    coalesce_key, coalesced, status, attempts, not_before, created_at, updated_at,
    last_error
) VALUES {values}
"""
_ROW = "(%s, %s, %s, %s, %s, %s::jsonb, %s, %s, 0, 'pending', 0, %s, %s, %s, '')"
_ON_DEDUPE = " ON CONFLICT (integration, channel, dedupe_key) DO NOTHING RETURNING id"
_ON_COALESCE = """ ON CONFLICT (integration, channel, coalesce_key)
    WHERE status = 'pending' AND coalesce_key IS NOT NULL
    DO UPDATE SET event = EXCLUDED.event, payload = EXCLUDED.payload,
        coalesced = saleor_plugins_job.coalesced + 1, updated_at = EXCLUDED.updated_at
    RETURNING id, (xmax = 0) AS inserted"""


def emit(
    event: EventType,
    object_id: str,
    targets: Iterable[Target],
    *,
    payload: dict[str, Any] | None = None,
    version: str = "",
    delay: timedelta | None = None,
) -> list[int]:
    """Write the jobs for ``event`` on ``object_id`` for every target in one statement.

    Returns the ids of jobs that are new (coalesced or duplicate emits return nothing new).
    """
    return emit_many(event, [(object_id, payload or {}, version)], targets, delay=delay)


def emit_many(
    event: EventType,
    objects: Sequence[tuple[str, dict[str, Any], str]],
    targets: Iterable[Target],
    *,
    delay: timedelta | None = None,
) -> list[int]:
    """Like :func:`emit` for many objects at once (backfill, reconciliation)."""
    targets = list(dict.fromkeys(targets))
    if not targets or not objects:
        return []
    now = timezone.now()
    coalescing = event.coalesces
    not_before: datetime = now + (
        delay if delay is not None else (coalescing_window() if coalescing else timedelta(0))
    )
    # One object once per statement: PostgreSQL refuses to update a row twice in one
    # INSERT ... ON CONFLICT, and the last state is the one that counts.
    unique = list({(str(o[0]), "" if coalescing else o[2]): o for o in objects}.values())
    per_statement = max(1, MAX_ROWS // len(targets))
    result: list[tuple[Any, ...]] = []
    for start in range(0, len(unique), per_statement):
        result += _insert(event, unique[start : start + per_statement], targets, not_before, now)
    new_ids = [row[0] for row in result if not coalescing or row[1]]
    if new_ids:
        dispatch_on_commit(new_ids, countdown=(not_before - now).total_seconds())
    return new_ids


def _insert(
    event: EventType,
    objects: Sequence[tuple[str, dict[str, Any], str]],
    targets: list[Target],
    not_before: datetime,
    now: datetime,
) -> list[tuple[Any, ...]]:
    coalescing = event.coalesces
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
                not_before,
                now,
                now,
            ]
    sql = _INSERT.format(values=", ".join(rows)) + (_ON_COALESCE if coalescing else _ON_DEDUPE)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def dispatch_on_commit(job_ids: list[int], countdown: float = 0.0) -> None:
    """Hand the jobs to Celery once the surrounding transaction (if any) commits.

    Several jobs (one event, several integrations) go out as ONE message whose worker
    dispatches each job: the request pays for one publish, however many integrations.
    """
    ids = list(job_ids)
    transaction.on_commit(lambda: dispatch(ids, countdown=countdown, fan_out=True))


def dispatch(job_ids: Iterable[int], countdown: float = 0.0, *, fan_out: bool = False) -> int:
    """Send job ids to the broker now. A failure leaves the jobs for the sweep."""
    from .tasks import deliver_job, dispatch_jobs

    job_ids = list(job_ids)
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) and not getattr(
        settings, "SALEOR_PLUGINS_ALLOW_EAGER", False
    ):
        # Never run provider calls inside the request; the system check says why.
        logger.warning(
            "saleor_plugins: Celery runs eagerly, %d job(s) left for the worker "
            "(set CELERY_BROKER_URL, see `manage.py check`)",
            len(job_ids),
        )
        return 0
    if fan_out and len(job_ids) > 1:
        try:
            dispatch_jobs.apply_async((job_ids, countdown), retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: the sweep retries
            logger.warning("saleor_plugins: broker unavailable, jobs left for the sweep")
            return 0
        return len(job_ids)
    sent = 0
    for job_id in job_ids:
        try:
            # no publish retries: a broker that is down must not hold the request;
            # the committed job waits for the sweep instead
            deliver_job.apply_async((job_id,), countdown=max(0.0, countdown), retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: the sweep retries
            logger.warning("saleor_plugins: broker unavailable, job %s left for the sweep", job_id)
            break
        sent += 1
    return sent
