"""Delivering one job: claim, check, call the integration, record, decide what next.

A job is claimed with one atomic UPDATE, so a job dispatched twice (sweep, broker
redelivery) runs once at a time, and after every earlier unfinished job for the same
object (per-object order). Every attempt is written to the sync log.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import backoff, circuit, secrets
from .errors import (
    AuthenticationError,
    ConfigurationError,
    IntegrationError,
    PermanentError,
    TransientError,
)
from .events import EventType
from .host import get_host
from .integration import Integration, JobContext, Outcome
from .models import Attempt, Job, JobStatus
from .outbox import dispatch_on_commit, idempotency_key
from .ratelimit import limiter
from .registry import get_integration, hook
from .settings import SettingsErrors

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
#: Retry delays longer than this are left to the sweep instead of a broker countdown
#: (Redis redelivers long-ETA tasks after its visibility timeout).
MAX_COUNTDOWN = 300.0
#: A connector bug (an exception outside our error tree) is retried this often.
MAX_UNEXPECTED_ATTEMPTS = 5

_CLAIM = """
UPDATE saleor_plugins_job AS j
   SET status = 'running', attempts = j.attempts + 1, locked_until = %(lease)s,
       updated_at = %(now)s
 WHERE j.id = %(id)s AND j.status = 'pending' AND j.not_before <= %(now)s
   AND NOT EXISTS (
       SELECT 1 FROM saleor_plugins_job e
        WHERE e.integration = j.integration AND e.channel = j.channel
          AND e.object_type = j.object_type AND e.object_id = j.object_id
          AND e.id < j.id AND e.status IN ('pending', 'running'))
RETURNING j.integration, j.channel, j.event, j.object_type, j.object_id, j.payload,
          j.attempts, j.dedupe_key, j.coalesce_key
"""

_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    ConnectionError,
    socket.timeout,
)
try:  # requests is everywhere an SDK is, but the kernel does not require it
    import requests

    _TRANSPORT_ERRORS += (requests.ConnectionError, requests.Timeout)
except ImportError:  # pragma: no cover
    pass


@dataclass(slots=True)
class Result:
    outcome: str  # succeeded, retry, dead, circuit, skipped, not-claimed
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None
    detail: str = ""
    wait_until: datetime | None = None  # circuit: when the channel may call again


def claim(job_id: int) -> JobContext | None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, {"id": job_id, "now": now, "lease": now + LEASE})
        row = cursor.fetchone()
    if row is None:
        return None
    integration, channel, event, object_type, object_id, payload, attempts, dkey, ckey = row
    if isinstance(payload, str):  # psycopg returns jsonb decoded, raw SQL drivers may not
        import json

        payload = json.loads(payload)
    key = idempotency_key(integration, channel, dkey or f"{ckey}#{job_id}")
    return JobContext(
        id=job_id,
        integration=integration,
        channel=channel,
        event=EventType(event),
        object_type=object_type,
        object_id=object_id,
        payload=payload or {},
        attempt=attempts,
        idempotency_key=key,
    )


def load_installation(job: JobContext) -> Integration | None:
    """The integration installed in the job's channel, or None when inactive there."""
    cls = get_integration(job.integration)
    if cls is None:
        raise PermanentError(f"integration {job.integration!r} is not installed")
    stored = get_host().installation(job.integration, job.channel)
    if stored is None or not stored.active:
        return None
    try:
        settings = cls.settings_class.from_configuration(stored.configuration, active=True)
    except SettingsErrors as e:
        raise ConfigurationError(f"invalid configuration: {e}") from e
    return cls(settings, channel=job.channel, host=get_host())


def deliver(job_id: int) -> Result:
    job = claim(job_id)
    if job is None:
        return Result("not-claimed")
    started = time.monotonic()
    try:
        result = _run(job)
    except Exception as e:  # noqa: BLE001 - every failure is classified and recorded
        result = _failed(job, e)
    duration = int((time.monotonic() - started) * 1000)
    _record(job, result, duration)
    try:
        hook().saleor_plugins_after_deliver(
            job=job, outcome=result.outcome, status_code=result.status_code
        )
    except Exception:
        logger.exception("saleor_plugins: after_deliver hook failed")
    return result


def _run(job: JobContext) -> Result:
    installation = load_installation(job)
    if installation is None:
        return Result("skipped", error="integration inactive in this channel")
    until = circuit.blocked_until(job.integration, job.channel)
    if until is not None:
        return Result(
            "circuit", error="circuit open: waiting for valid credentials", wait_until=until
        )
    hook().saleor_plugins_before_deliver(job=job)
    limit = type(installation).rate_limit
    if limit is not None:
        with limiter.slot(installation.account_key(), limit):
            outcome = installation.handle(job)
    else:
        outcome = installation.handle(job)
    outcome = outcome or Outcome()
    detail = secrets.scrub(outcome.detail)[:2000]
    return Result("succeeded", status_code=outcome.status_code, detail=detail)


def _failed(job: JobContext, error: BaseException) -> Result:
    # whatever client raised it, its chained causes (printed by tracebacks and error
    # trackers) may quote a URL or body holding a configured secret
    secrets.scrub_exception(error)
    status = getattr(error, "status", None)
    text = secrets.scrub(f"{type(error).__name__}: {error}")[:4000]
    if isinstance(error, AuthenticationError | ConfigurationError):
        breaker, newly = circuit.open_circuit(job.integration, job.channel, text)
        if newly:
            logger.error(
                "saleor_plugins: %s in channel %s refused its credentials; circuit open: %s",
                job.integration,
                job.channel,
                text,
            )
            try:
                hook().saleor_plugins_circuit_opened(
                    integration=job.integration, channel=job.channel, reason=text
                )
            except Exception:
                logger.exception("saleor_plugins: circuit_opened hook failed")
        return Result("circuit", status_code=status, error=text, wait_until=breaker.retry_at)
    if isinstance(error, PermanentError):
        return Result("dead", status_code=status, error=text)
    transient = isinstance(error, (TransientError, *_TRANSPORT_ERRORS))
    limit = backoff.MAX_ATTEMPTS if transient else MAX_UNEXPECTED_ATTEMPTS
    if not isinstance(error, IntegrationError) and not transient:
        logger.error("saleor_plugins: unexpected error in job %s", job.id, exc_info=error)
    if job.attempt >= limit:
        gave_up = f"gave up after {job.attempt} attempts: {text}"
        return Result("dead", status_code=status, error=gave_up)
    retry_after = getattr(error, "retry_after", None)
    return Result("retry", status_code=status, error=text, retry_after=retry_after)


def _record(job: JobContext, result: Result, duration_ms: int) -> None:
    now = timezone.now()
    update: dict[str, Any] = {
        "updated_at": now,
        "locked_until": None,
        "last_error": result.error,
        "last_status_code": result.status_code,
    }
    countdown: float | None = None
    if result.outcome == "succeeded":
        update |= {"status": JobStatus.SUCCEEDED, "finished_at": now}
    elif result.outcome in ("dead", "skipped"):
        status = JobStatus.DEAD if result.outcome == "dead" else JobStatus.SKIPPED
        update |= {"status": status, "finished_at": now}
    elif result.outcome == "circuit":
        until = result.wait_until or now + circuit.FIRST_WAIT
        # waiting on credentials does not spend the job's attempts
        update |= {"status": JobStatus.PENDING, "not_before": until, "attempts": job.attempt - 1}
    else:  # retry
        wait = backoff.delay(job.attempt, result.retry_after)
        update |= {"status": JobStatus.PENDING, "not_before": now + timedelta(seconds=wait)}
        countdown = wait if wait <= MAX_COUNTDOWN else None
    with transaction.atomic():
        if update["status"] == JobStatus.PENDING:
            try:
                with transaction.atomic():  # a savepoint: the unique index may refuse it
                    Job.objects.filter(id=job.id).update(**update)
            except IntegrityError:
                # A newer change of this object was queued while this job ran (pending
                # coalescing jobs are unique per object): that job reads the latest state,
                # so this one is superseded instead of retried.
                update |= {
                    "status": JobStatus.SKIPPED,
                    "finished_at": now,
                    "last_error": f"superseded by a newer change; {result.error}"[:4000],
                }
                countdown = None
                Job.objects.filter(id=job.id).update(**update)
        else:
            Job.objects.filter(id=job.id).update(**update)
        Attempt.objects.create(
            job_id=job.id,
            integration=job.integration,
            channel=job.channel,
            event=job.event.value,
            object_type=job.object_type,
            object_id=job.object_id,
            outcome=result.outcome,
            status_code=result.status_code,
            duration_ms=duration_ms,
            error=result.error,
            detail=result.detail,
        )
        if countdown is not None:
            dispatch_on_commit([job.id], countdown=countdown)
        if update.get("finished_at"):
            _kick_successor(job)
    if result.outcome == "succeeded":
        circuit.close_circuit_if_open(job.integration, job.channel)


def _kick_successor(job: JobContext) -> None:
    """Dispatch the next job for the same object, which waited for this one."""
    successor = (
        Job.objects.filter(
            integration=job.integration,
            channel=job.channel,
            object_type=job.object_type,
            object_id=job.object_id,
            status=JobStatus.PENDING,
            id__gt=job.id,
        )
        .order_by("id")
        .values_list("id", "not_before")
        .first()
    )
    if successor is not None:
        wait = max(0.0, (successor[1] - timezone.now()).total_seconds())
        if wait <= MAX_COUNTDOWN:
            dispatch_on_commit([successor[0]], countdown=wait)
