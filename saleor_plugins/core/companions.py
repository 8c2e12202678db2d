"""Several due jobs of one channel answered by one provider request (a batch API).

The kernel delivers jobs one by one. A handler whose provider takes batches claims other
*due* jobs of the same integration, channel and events alongside the one it delivers
(each with the kernel's own atomic claim, so a claimed job never runs twice and per-object
order holds: a job whose object has an earlier unfinished job is not claimable), sends
them all in one request, and settles each claimed job itself with :func:`settle`.

Google Merchant (offers) and Meta (catalog items) send their product jobs this way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.utils import timezone

from . import circuit, delivery, secrets
from .errors import AuthenticationError, ConfigurationError
from .events import EventType
from .integration import JobContext
from .models import Job, JobStatus


def claim(job: JobContext, events: Iterable[EventType], limit: int) -> list[JobContext]:
    """Claim up to ``limit`` other due jobs of ``events`` in the job's integration and channel."""
    if limit <= 0:
        return []
    candidates = (
        Job.objects.filter(
            integration=job.integration,
            channel=job.channel,
            event__in=[e.value for e in events],
            status=JobStatus.PENDING,
            not_before__lte=timezone.now(),
        )
        .exclude(id=job.id)
        .exclude(object_id=job.object_id)
        .order_by("not_before", "id")
        .values_list("id", flat=True)[: limit * 2]
    )
    claimed: list[JobContext] = []
    for job_id in candidates:
        context = delivery.claim(job_id)
        if context is None:
            continue
        claimed.append(context)
        if len(claimed) >= limit:
            break
    return claimed


def settle(job: JobContext, error: BaseException | None, started: float, detail: str = "") -> None:
    """Record a claimed job's outcome exactly as the kernel records its own."""
    if error is None:
        result = delivery.Result("succeeded", status_code=200, detail=secrets.scrub(detail)[:2000])
    elif isinstance(error, AuthenticationError | ConfigurationError):
        # the delivered job opens the circuit once; claimed jobs just wait behind it
        text = secrets.scrub(f"{type(error).__name__}: {error}")[:4000]
        result = delivery.Result(
            "circuit",
            status_code=getattr(error, "status", None),
            error=text,
            wait_until=circuit.blocked_until(job.integration, job.channel),
        )
    else:
        result = delivery._failed(job, error)
    delivery._record(job, result, int((time.monotonic() - started) * 1000))
