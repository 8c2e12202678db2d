"""Delivering one job: claim, call the integration, record. Two statements per job.

1. **claim** (one statement): the job becomes ``running`` if it is pending, due, and no
   earlier job for the same object is unfinished (per-object order), under a new lease
   whose number is the fencing token. The same statement reads the circuit (winning its
   probe when due) and, where the host can say it in SQL, the stored installation.
2. the integration runs, rate limited per provider account; :mod:`.lease`'s heartbeat
   renews the lease while it does.
3. **record** (one statement): the job's new state, written only while this worker still
   holds the lease (a worker that outlived it is refused, and its attempt is logged as
   ``stale``); one sync-log row; the next job for the same object, to dispatch; and a
   probing circuit closed by a success, with the jobs that waited on it.

Times are the database's (:mod:`.clock`). What comes next (a retry, the successor, the
released jobs) is handed to Celery by :mod:`.handoff`.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connection, transaction

from . import backoff, circuit, clock, secrets, telemetry
from .errors import (
    AuthenticationError,
    ConfigurationError,
    IntegrationError,
    PermanentError,
    TransientError,
)
from .events import EventType
from .handoff import dispatch_on_commit
from .host import Installation, get_host
from .integration import Integration, JobContext, Outcome
from .lease import LEASE, heartbeat
from .outbox import idempotency_key
from .ratelimit import limiter
from .registry import get_integration, hook
from .settings import ChannelSettings, SettingsErrors

logger = logging.getLogger(__name__)

__all__ = ["LEASE", "Claimed", "Result", "claim", "deliver"]

#: Retry delays longer than this are left to the sweep instead of a broker countdown
#: (Redis redelivers long-ETA tasks after its visibility timeout).
MAX_COUNTDOWN = 300.0
#: A connector bug (an exception outside our error tree) is retried this often.
MAX_UNEXPECTED_ATTEMPTS = 5

NOW = clock.NOW

_CLAIM = f"""
WITH claimed AS (
  UPDATE saleor_plugins_job AS j
     SET status = 'running', attempts = j.attempts + 1, lease = j.lease + 1,
         locked_until = {NOW} + %(lease)s, updated_at = {NOW}
   WHERE j.id = %(id)s AND j.status = 'pending' AND j.not_before <= {NOW}
     AND NOT EXISTS (
         SELECT 1 FROM saleor_plugins_job AS e
          WHERE e.integration = j.integration AND e.channel = j.channel
            AND e.object_type = j.object_type AND e.object_id = j.object_id
            AND e.id < j.id AND e.status IN ('pending', 'running'))
  RETURNING j.integration, j.channel, j.event, j.object_type, j.object_id, j.payload,
            j.attempts, j.lease, j.dedupe_key, j.coalesce_key),
{circuit.PROBE_CTE.format(source="claimed")}
SELECT claimed.*, {circuit.STATE}, {{installation}}
  FROM claimed
  LEFT JOIN saleor_plugins_circuit AS c
    ON c.integration = claimed.integration AND c.channel = claimed.channel
{{join}}
"""
#: the installation columns when the host gives no SQL for it (read in a second query)
_NO_INSTALLATION = ("false, NULL, NULL", "")


@lru_cache(maxsize=4)
def _claim_sql(installation_sql: str | None) -> str:
    if not installation_sql:
        columns, join = _NO_INSTALLATION
    else:
        inner = installation_sql.format(
            integration="claimed.integration", channel="claimed.channel"
        )
        columns = "true, inst.active, inst.configuration::text"
        join = f"LEFT JOIN LATERAL ({inner}) AS inst (active, configuration) ON true"
    return _CLAIM.format(installation=columns, join=join)


_RECORD = f"""
WITH breaker AS (
  -- a circuit wait: the circuit as it is now, locked against a concurrent close
  -- (circuit.close_circuit then releases this job once it is recorded)
  SELECT k.is_open FROM saleor_plugins_circuit AS k
   WHERE %(until)s::timestamptz IS NOT NULL
     AND k.integration = %(integration)s AND k.channel = %(channel)s
     FOR SHARE),
target AS (
  SELECT j.id,
         CASE WHEN %(status)s = 'pending' AND (%(supersede)s OR (
                  j.coalesce_key IS NOT NULL AND EXISTS (
                    SELECT 1 FROM saleor_plugins_job AS p
                     WHERE p.integration = j.integration AND p.channel = j.channel
                       AND p.coalesce_key = j.coalesce_key AND p.status = 'pending')))
              THEN 'skipped' ELSE %(status)s END AS status
    FROM saleor_plugins_job AS j
   WHERE j.id = %(id)s AND j.status = 'running' AND j.lease = %(lease)s),
done AS (
  UPDATE saleor_plugins_job AS j
     SET status = t.status,
         finished_at = CASE WHEN t.status = 'pending' THEN NULL ELSE {NOW} END,
         not_before = CASE WHEN t.status <> 'pending' THEN j.not_before
                           -- waiting for a circuit the merchant closed meanwhile: not at all
                           WHEN %(until)s::timestamptz IS NOT NULL
                            AND NOT EXISTS (SELECT 1 FROM breaker WHERE is_open) THEN {NOW}
                           ELSE COALESCE(%(until)s, {NOW} + %(wait)s) END,
         attempts = j.attempts - %(refund)s,
         locked_until = NULL, updated_at = {NOW}, last_status_code = %(code)s,
         last_error = CASE WHEN t.status = 'skipped' AND %(status)s = 'pending'
                           THEN left('superseded by a newer change; ' || %(error)s, 4000)
                           ELSE %(error)s END
    FROM target AS t
   WHERE j.id = t.id AND j.status = 'running' AND j.lease = %(lease)s
  RETURNING j.id, j.status, j.integration, j.channel, j.object_type, j.object_id,
            EXTRACT(EPOCH FROM j.not_before - {NOW}) AS wait),
log AS (
  INSERT INTO saleor_plugins_attempt
         (job_id, integration, channel, event, object_type, object_id, outcome,
          status_code, duration_ms, error, detail, provider_ids, created_at)
  SELECT %(id)s, %(integration)s, %(channel)s, %(event)s, %(object_type)s, %(object_id)s,
         CASE WHEN EXISTS (SELECT 1 FROM done) THEN %(outcome)s ELSE 'stale' END,
         %(code)s, %(duration)s,
         CASE WHEN EXISTS (SELECT 1 FROM done) THEN %(error)s
              ELSE left('lease lost to another worker, result not recorded (was: '
                        || %(outcome)s || ') ' || %(error)s, 4000) END,
         %(detail)s, %(provider_ids)s::jsonb, {NOW}),
successor AS (
  SELECT s.id, GREATEST(0, EXTRACT(EPOCH FROM s.not_before - {NOW})) AS wait
    FROM saleor_plugins_job AS s JOIN done AS d
      ON s.integration = d.integration AND s.channel = d.channel
     AND s.object_type = d.object_type AND s.object_id = d.object_id
   WHERE d.status <> 'pending' AND s.status = 'pending' AND s.id > d.id
   ORDER BY s.id LIMIT 1),
{{close}}
SELECT (SELECT status FROM done), (SELECT wait FROM done),
       (SELECT id FROM successor), (SELECT wait FROM successor),
       (SELECT array_agg(id) FROM released)
""".format(
    # a success closes a probing circuit (only when this worker's result was recorded)
    close=circuit.close_ctes(
        "%(integration)s", "%(channel)s", "%(succeeded)s AND EXISTS (SELECT 1 FROM done)"
    )
)

#: leases taken while a delivery runs (an integration may claim companion jobs to send
#: in one batch): none is renewed after the delivery ends, settled or not
_held_by_delivery: ContextVar[list[tuple[int, int]] | None] = ContextVar(
    "saleor_plugins_held_by_delivery", default=None
)

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


@dataclass(frozen=True, slots=True)
class Claimed(JobContext):
    """A job as its claim returned it: the lease number is the fencing token."""

    lease: int = 0
    #: the circuit: when the channel may call again (None: now)
    blocked_until: datetime | None = None
    #: the stored installation, when the claim read it (``found``, active, configuration)
    installation: tuple[bool, bool | None, str | None] = (False, None, None)


@dataclass(slots=True)
class Result:
    outcome: str  # succeeded, retry, dead, circuit, skipped, not-claimed
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None
    detail: str = ""
    wait_until: datetime | None = None  # circuit: when the channel may call again
    provider_ids: dict[str, str] = field(default_factory=dict)


def claim(job_id: int) -> Claimed | None:
    """Claim the job for this worker (one statement); None if it is not claimable now.

    The lease is renewed by this process's heartbeat until the result is recorded.
    """
    host = get_host()
    sql = _claim_sql(getattr(host, "installation_sql", lambda: None)())
    with connection.cursor() as cursor:
        cursor.execute(sql, clock.params(id=job_id, lease=LEASE, probe_wait=circuit.PROBE_WAIT))
        row = cursor.fetchone()
    if row is None:
        return None
    (integration, channel, event, object_type, object_id, payload, attempts, lease, dkey,
     ckey, blocked, found, active, configuration) = row  # fmt: skip
    if isinstance(payload, str):  # psycopg returns jsonb decoded, raw SQL drivers may not
        payload = json.loads(payload)
    key = idempotency_key(integration, channel, dkey or f"{ckey}#{job_id}")
    heartbeat.hold(job_id, lease)
    held = _held_by_delivery.get()
    if held is not None:
        held.append((job_id, lease))
    return Claimed(
        id=job_id,
        integration=integration,
        channel=channel,
        event=EventType(event),
        object_type=object_type,
        object_id=object_id,
        payload=payload or {},
        attempt=attempts,
        idempotency_key=key,
        lease=lease,
        blocked_until=blocked,
        installation=(bool(found), active, configuration),
    )


@lru_cache(maxsize=512)
def _parse(cls: type[Integration], configuration: str) -> ChannelSettings:
    """Settings parsed once per stored configuration, not once per job."""
    try:
        return cls.settings_class.from_configuration(json.loads(configuration), active=True)
    except SettingsErrors as e:
        raise ConfigurationError(f"invalid configuration: {e}") from e


def load_installation(job: JobContext) -> Integration | None:
    """The integration installed in the job's channel, or None when inactive there."""
    cls = get_integration(job.integration)
    if cls is None:
        raise PermanentError(f"integration {job.integration!r} is not installed")
    found, active, configuration = getattr(job, "installation", (False, None, None))
    if not found:  # the host reads it itself (one more round trip)
        stored: Installation | None = get_host().installation(job.integration, job.channel)
        if stored is None:
            return None
        active = stored.active
        configuration = json.dumps(stored.configuration, sort_keys=True, default=str)
    if not active or configuration is None:
        return None
    settings = _parse(cls, configuration)  # type: ignore[arg-type]  # classes hash
    return cls(settings, channel=job.channel, host=get_host())


def deliver(job_id: int) -> Result:
    job = claim(job_id)
    if job is None:
        return Result("not-claimed")
    held: list[tuple[int, int]] = []
    token = _held_by_delivery.set(held)
    try:
        with telemetry.delivery_span(job) as span:
            started = time.monotonic()
            try:
                result = _run(job)
            except Exception as e:  # noqa: BLE001 - every failure is classified and recorded
                result = _failed(job, e)
            duration = int((time.monotonic() - started) * 1000)
            recorded = _record(job, result, duration)
            telemetry.delivered(span, job, result.outcome, result.status_code, duration, recorded)
    finally:
        # recorded or not (the database failed), this worker stops renewing the lease
        # (and those of companion jobs it claimed): the sweep gives an unrecorded job to
        # another worker once its lease runs out
        _held_by_delivery.reset(token)
        for held_id, held_lease in [(job.id, job.lease), *held]:
            heartbeat.release(held_id, held_lease)
    try:
        hook().saleor_plugins_after_deliver(
            job=job, outcome=result.outcome, status_code=result.status_code
        )
    except Exception:
        logger.exception("saleor_plugins: after_deliver hook failed")
    return result


def _run(job: Claimed) -> Result:
    installation = load_installation(job)
    if installation is None:
        return Result("skipped", error="integration inactive in this channel")
    if job.blocked_until is not None:
        return Result(
            "circuit",
            error="circuit open: waiting for valid credentials",
            wait_until=job.blocked_until,
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
    ids = {str(k): secrets.scrub(str(v))[:255] for k, v in outcome.provider_ids.items()}
    return Result("succeeded", status_code=outcome.status_code, detail=detail, provider_ids=ids)


def _failed(job: JobContext, error: BaseException) -> Result:
    # whatever client raised it, its chained causes (printed by tracebacks and error
    # trackers) may quote a URL or body holding a configured secret
    secrets.scrub_exception(error)
    status = getattr(error, "status", None)
    text = secrets.scrub(f"{type(error).__name__}: {error}")[:4000]
    if isinstance(error, AuthenticationError | ConfigurationError):
        retry_at, newly = circuit.open_circuit(job.integration, job.channel, text)
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
        return Result("circuit", status_code=status, error=text, wait_until=retry_at)
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


_STATUS = {"succeeded": "succeeded", "dead": "dead", "skipped": "skipped"}


def _record(job: JobContext, result: Result, duration_ms: int) -> bool:
    """Record the attempt (one statement); False when this worker no longer held the job."""
    if not isinstance(job, Claimed):
        raise TypeError("only a job returned by claim() can be recorded (it holds the lease)")
    status = _STATUS.get(result.outcome, "pending")
    wait = 0.0
    until = None
    if result.outcome == "circuit":
        # waiting on credentials does not spend the job's attempts
        until = result.wait_until
        wait = circuit.FIRST_WAIT.total_seconds()
    elif status == "pending":
        wait = backoff.delay(job.attempt, result.retry_after)
    params = clock.params(
        id=job.id,
        lease=job.lease,
        status=status,
        supersede=False,
        until=until,
        wait=timedelta(seconds=wait),
        refund=1 if result.outcome == "circuit" else 0,
        code=result.status_code,
        error=result.error,
        integration=job.integration,
        channel=job.channel,
        event=job.event.value,
        object_type=job.object_type,
        object_id=job.object_id,
        outcome=result.outcome,
        duration=max(0, duration_ms),
        detail=result.detail,
        provider_ids=json.dumps(result.provider_ids),
        succeeded=result.outcome == "succeeded",
        probe_wait=circuit.PROBE_WAIT,
    )
    try:
        row = _execute_record(params)
    except IntegrityError:
        # A newer change of this object was queued while this job ran, after the
        # statement looked (pending coalescing jobs are unique per object): that job
        # reads the latest state, so this one is superseded instead of retried.
        row = _execute_record(params | {"supersede": True})
    heartbeat.release(job.id, job.lease)
    final, own_wait, successor, successor_wait, released = row
    if final is None:
        logger.warning(
            "saleor_plugins: job %s (%s/%s) outlived its lease; another worker holds it, "
            "so this attempt's result (%s) was not recorded",
            job.id,
            job.integration,
            job.channel,
            result.outcome,
        )
        return False
    if final == "pending" and result.outcome == "retry" and own_wait <= MAX_COUNTDOWN:
        dispatch_on_commit([job.id], countdown=max(0.0, float(own_wait)))
    if final == "pending" and result.outcome == "circuit" and own_wait <= 0:
        dispatch_on_commit([job.id])  # the circuit closed while this job looked: go now
    if successor is not None and successor_wait <= MAX_COUNTDOWN:
        dispatch_on_commit([successor], countdown=float(successor_wait))
    if released:
        dispatch_on_commit(list(released))
    return True


def _execute_record(params: dict[str, Any]) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint: the unique index may refuse it
                cursor.execute(_RECORD, params)
                return tuple(cursor.fetchone())
        cursor.execute(_RECORD, params)  # autocommit: the statement is the transaction
        return tuple(cursor.fetchone())
