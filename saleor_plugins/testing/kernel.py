"""Run jobs through the real kernel in a test: emit, deliver until settled, read the log.

:func:`run_job` writes the job as the store would (the outbox), delivers it with
:func:`saleor_plugins.core.delivery.deliver` — the worker's own code: claim, settings,
rate limit, your handler, error classification, the sync log — and returns the job's
sync-log rows (:class:`~saleor_plugins.core.models.Attempt`), one per attempt. A retry
is made at once instead of after its backoff; it stops at the first attempt that
settles the job (succeeded, dead, skipped) or opens the circuit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.utils import timezone

from ..core import delivery, outbox, registry
from ..core.events import EventType
from ..core.hookspecs import hookimpl
from ..core.integration import Integration
from ..core.models import Attempt, Job, JobStatus

#: attempts :func:`run_job` makes at most (the kernel itself allows many more)
MAX_ATTEMPTS = 10


class Provides:
    """A pluggy plugin object offering the given integration classes."""

    def __init__(self, *classes: type[Integration[Any]]) -> None:
        self.classes = list(classes)

    @hookimpl
    def saleor_plugins_integrations(self) -> list[type[Integration[Any]]]:
        return self.classes


@contextmanager
def provided(*classes: type[Integration[Any]]) -> Iterator[Provides]:
    """Register integrations (not installed by entry point) for the ``with`` block."""
    plugin = Provides(*classes)
    registry.register(plugin)
    try:
        yield plugin
    finally:
        registry.unregister(plugin)


def run_job(
    event: EventType | str,
    object_id: str,
    *,
    integration: str,
    channel: str,
    payload: dict[str, Any] | None = None,
    version: str = "",
    max_attempts: int = MAX_ATTEMPTS,
) -> list[Attempt]:
    """Emit ``event`` on ``object_id`` for the integration in the channel and deliver it.

    Returns the attempts in order (``outcome``: succeeded, retry, dead, circuit, skipped;
    ``status_code``, ``error``, ``detail``, ``provider_ids``).
    """
    ids = outbox.emit(
        EventType(event),
        str(object_id),
        [(integration, channel)],
        payload=payload,
        version=version,
        delay=timedelta(0),
    )
    if not ids:
        raise ValueError(
            f"no new job for {event} {object_id}: this event and version was emitted before"
        )
    return deliver_until_settled(ids[0], max_attempts=max_attempts)


def deliver_until_settled(job_id: int, *, max_attempts: int = MAX_ATTEMPTS) -> list[Attempt]:
    """Deliver an existing job, retrying at once, and return its attempts."""
    for _ in range(max_attempts):
        result = delivery.deliver(job_id)
        if result.outcome in ("not-claimed", "circuit"):
            break
        if not Job.objects.filter(pk=job_id, status=JobStatus.PENDING).exists():
            break
        # the backoff is the kernel's business (tested there): retry now
        Job.objects.filter(pk=job_id).update(not_before=timezone.now() - timedelta(seconds=1))
    return list(Attempt.objects.filter(job_id=job_id).order_by("id"))
