"""Several pending product jobs of one channel sent in one batch request.

The kernel delivers jobs one by one. When a product job runs, the handler also claims
other *due* product jobs of the same integration and channel (each with the kernel's own
atomic claim, so a job claimed here is never run twice, and per-object order holds) and
settles them itself once the batch is answered.

This leans on two kernel functions, ``delivery.claim`` (public) and ``delivery._record``
(private); the kernel API that would replace it is described in docs/google_merchant.md
(``delivery.claim_companions`` / ``delivery.settle``).
"""

from __future__ import annotations

import time

from django.utils import timezone

from ..core import circuit, delivery, secrets
from ..core.errors import AuthenticationError, ConfigurationError
from ..core.events import EventType
from ..core.integration import JobContext
from ..core.models import Job, JobStatus

PRODUCT_EVENTS = (EventType.PRODUCT_UPSERTED.value, EventType.PRODUCT_DELETED.value)


def claim_companions(job: JobContext, limit: int) -> list[JobContext]:
    """Claim up to ``limit`` other due product jobs of the job's integration and channel."""
    if limit <= 0:
        return []
    candidates = (
        Job.objects.filter(
            integration=job.integration,
            channel=job.channel,
            event__in=PRODUCT_EVENTS,
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
        # the kernel's claim refuses a job while an earlier one of its object is unfinished
        context = delivery.claim(job_id)
        if context is None:
            continue
        claimed.append(context)
        if len(claimed) >= limit:
            break
    return claimed


def settle(job: JobContext, error: BaseException | None, started: float) -> None:
    """Record the outcome of a companion job exactly as the kernel records its own."""
    if error is None:
        result = delivery.Result("succeeded")
    elif isinstance(error, AuthenticationError | ConfigurationError):
        # the delivered job opens the circuit once; companions just wait behind it (going
        # through ``_failed`` would count one circuit failure per companion and stretch
        # the wait to its cap at once)
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
