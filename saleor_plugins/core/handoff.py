"""Handing job ids to Celery: the only module that talks to the broker.

Tasks are sent by name (``saleor_plugins.deliver``, ``saleor_plugins.dispatch``), so
the modules that write jobs (:mod:`.outbox`) or decide what runs next (:mod:`.delivery`,
:mod:`.circuit`) never import :mod:`.tasks`: the kernel's imports point one way,
``tasks → delivery → circuit → handoff`` and ``outbox → handoff``.

Inside a request (between Django's ``request_started`` and ``request_finished``, see
:func:`open_request`) publishes wait until the response has been sent, and go out
together as one message: the shopper does not wait for the broker. A process that dies
in between leaves committed jobs the sweep dispatches.

Bulk work (a backfill) is handed over behind live events: with a Redis broker as a
lower message priority (Redis serves priority 0 first), or on its own queue when
``SALEOR_PLUGINS_BULK_QUEUE`` names one (any broker; run a worker for it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

DELIVER = "saleor_plugins.deliver"
FAN_OUT = "saleor_plugins.dispatch"

#: Job priorities (the ``priority`` column): live store events before bulk work.
LIVE = 0
BULK = 1
#: Redis serves its priority lists in order 0 (first) .. 9 (last).
_REDIS_LAST = 9

#: Publishes waiting for the end of this thread's request (None: not in a request).
_request = threading.local()


def routing(priority: int) -> dict[str, Any]:
    """Celery options that put bulk jobs behind live ones on this host's broker."""
    if priority == LIVE:
        return {}
    queue = getattr(settings, "SALEOR_PLUGINS_BULK_QUEUE", "")
    if queue:
        return {"queue": str(queue)}
    broker = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if broker.startswith(("redis://", "rediss://", "unix://")):
        return {"priority": _REDIS_LAST}
    return {}  # other brokers: FIFO unless a bulk queue is configured (docs/architecture.md)


def dispatch_on_commit(job_ids: list[int], countdown: float = 0.0, priority: int = LIVE) -> None:
    """Hand the jobs to Celery once the surrounding transaction (if any) commits.

    Several jobs (one event, several integrations) go out as ONE message whose worker
    dispatches each job: the request pays for one publish, however many integrations.
    """
    ids = list(job_ids)
    transaction.on_commit(lambda: _publish(ids, countdown, priority))


def _publish(ids: list[int], countdown: float, priority: int) -> None:
    waiting: list[tuple[list[int], float, int]] | None = getattr(_request, "publishes", None)
    if waiting is not None:
        waiting.append((ids, countdown, priority))
    else:
        dispatch(ids, countdown=countdown, fan_out=True, priority=priority)


def open_request() -> None:
    """A request began: publishes wait for :func:`close_request` (after the response)."""
    close_request()  # a request that never finished (its thread reused) sends what it kept
    _request.publishes = []


def close_request() -> int:
    """The response has been sent: publish what the request committed, one message per
    (countdown, priority) however many events and integrations. Returns jobs handed over."""
    waiting: list[tuple[list[int], float, int]] | None = getattr(_request, "publishes", None)
    _request.publishes = None
    if not waiting:
        return 0
    groups: dict[tuple[float, int], list[int]] = {}
    for ids, countdown, priority in waiting:
        groups.setdefault((countdown, priority), []).extend(ids)
    return sum(
        dispatch(list(dict.fromkeys(ids)), countdown=countdown, fan_out=True, priority=priority)
        for (countdown, priority), ids in groups.items()
    )


def dispatch(
    job_ids: Iterable[int], countdown: float = 0.0, *, fan_out: bool = False, priority: int = LIVE
) -> int:
    """Send job ids to the broker now. A failure leaves the jobs for the sweep."""
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
    options = routing(priority)
    if fan_out and len(job_ids) > 1:
        try:
            # live: the message older workers understand (a rolling deploy mixes them)
            args = (job_ids, countdown) if priority == LIVE else (job_ids, countdown, priority)
            _send(FAN_OUT, args, retry=False, **options)
        except Exception:  # noqa: BLE001 - any broker failure: the sweep retries
            logger.warning("saleor_plugins: broker unavailable, jobs left for the sweep")
            return 0
        return len(job_ids)
    sent = 0
    for job_id in job_ids:
        try:
            # no publish retries: a broker that is down must not hold the request;
            # the committed job waits for the sweep instead
            _send(DELIVER, (job_id,), countdown=max(0.0, countdown), retry=False, **options)
        except Exception:  # noqa: BLE001 - any broker failure: the sweep retries
            logger.warning("saleor_plugins: broker unavailable, job %s left for the sweep", job_id)
            break
        sent += 1
    return sent


def _send(name: str, args: tuple[Any, ...], **options: Any) -> None:
    """Send a task by name: the registered task where this process knows it, else by name."""
    task = current_app.tasks.get(name)
    if task is not None:
        task.apply_async(args, **options)
    else:
        current_app.send_task(name, args, **options)
