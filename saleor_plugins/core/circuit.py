"""Circuit breaking per integration and channel.

An :class:`~saleor_plugins.core.errors.AuthenticationError` or
:class:`~saleor_plugins.core.errors.ConfigurationError` opens the circuit: jobs wait
(their attempts are not spent) until ``retry_at``, when exactly one job probes (the
others keep waiting for its result). Another refusal doubles the wait (5 min, 10 min ...
capped at 6 h). Saving the plugin's configuration closes the circuit at once and
re-dispatches the waiting jobs, so fixed credentials are tried immediately.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from . import secrets
from .models import Circuit, Job, JobStatus
from .outbox import dispatch_on_commit

FIRST_WAIT = timedelta(minutes=5)
MAX_WAIT = timedelta(hours=6)
#: How long the other jobs wait for the one probing call once ``retry_at`` is reached.
PROBE_WAIT = timedelta(seconds=60)


def blocked_until(integration: str, channel: str) -> datetime | None:
    """When the next attempt may be made, or None if the caller may call the provider.

    Once ``retry_at`` is reached exactly one caller wins the probe (an atomic UPDATE);
    the others are told to wait :data:`PROBE_WAIT`, so N workers make one call, not N.
    """
    row = (
        Circuit.objects.filter(integration=integration, channel=channel, is_open=True)
        .values_list("retry_at", flat=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row > now:
        return row
    won = Circuit.objects.filter(
        integration=integration, channel=channel, is_open=True, retry_at=row
    ).update(retry_at=now + PROBE_WAIT)
    return None if won else now + PROBE_WAIT


def open_circuit(integration: str, channel: str, reason: str) -> tuple[Circuit, bool]:
    """Open (or re-open) the circuit; returns it and whether it was newly opened."""
    now = timezone.now()
    with transaction.atomic():
        circuit, _ = Circuit.objects.select_for_update().get_or_create(
            integration=integration, channel=channel
        )
        newly = not circuit.is_open
        circuit.failures += 1
        wait = min(FIRST_WAIT * (2 ** (circuit.failures - 1)), MAX_WAIT)
        circuit.is_open = True
        circuit.opened_at = circuit.opened_at if not newly else now
        circuit.retry_at = now + wait
        circuit.reason = secrets.scrub(reason)[:2000]
        circuit.save()
    return circuit, newly


def close_circuit(integration: str, channel: str) -> list[int]:
    """Close the circuit (new credentials saved) and re-dispatch the jobs that waited."""
    return _close(integration, channel)


def close_circuit_if_open(integration: str, channel: str) -> list[int]:
    """A successful call closes a probing circuit (one cheap query when it is closed)."""
    if not Circuit.objects.filter(integration=integration, channel=channel, is_open=True).exists():
        return []
    return _close(integration, channel)


def _close(integration: str, channel: str) -> list[int]:
    """Close an open circuit; the jobs parked until its ``retry_at`` run now.

    Returns the ids of the released jobs (dispatched once the transaction commits). A job
    in ordinary backoff that was due before then is released too: one early retry is
    cheaper than telling jobs apart by why they wait.
    """
    now = timezone.now()
    with transaction.atomic():
        retry_at = (
            Circuit.objects.select_for_update()
            .filter(integration=integration, channel=channel, is_open=True)
            .values_list("retry_at", flat=True)
            .first()
        )
        if retry_at is None:
            return []
        Circuit.objects.filter(integration=integration, channel=channel).update(
            is_open=False, failures=0, retry_at=None, reason=""
        )
        # a parked job's not_before is at most the latest retry_at (+ a probe wait)
        waiting = Job.objects.filter(
            integration=integration,
            channel=channel,
            status=JobStatus.PENDING,
            not_before__lte=max(retry_at, now) + PROBE_WAIT,
        )
        ids = list(waiting.values_list("id", flat=True))
        if ids:
            Job.objects.filter(id__in=ids, not_before__gt=now).update(not_before=now)
            dispatch_on_commit(ids)
    return ids
