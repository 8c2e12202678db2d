"""Spans and metrics in the host's OpenTelemetry (Saleor configures it; we only use the API).

Without an SDK configured every call here is OpenTelemetry's no-op. Names:

spans
  ``saleor_plugins.emit``     the outbox INSERT in the request: event, object type,
                              integrations and channels targeted, jobs written
  ``saleor_plugins.deliver``  one delivery attempt: integration, channel, event, object
                              type, attempt, outcome, provider status (never a payload,
                              an object's content or a setting)
metrics
  ``saleor_plugins.delivery.duration``  histogram (ms) by integration, channel, event, outcome
  ``saleor_plugins.delivery.attempts``  counter by integration, channel, outcome, status
  ``saleor_plugins.provider.errors``    counter of failed attempts by integration, channel,
                                        status (error rate = errors / attempts)
  ``saleor_plugins.jobs``               gauge of jobs waiting / running / dead by
                                        integration and channel, as the last sweep counted
                                        them (reported by the process that ran it)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from .integration import JobContext

_tracer = trace.get_tracer("saleor_plugins")
_meter = metrics.get_meter("saleor_plugins")

_duration = _meter.create_histogram(
    "saleor_plugins.delivery.duration", unit="ms", description="Delivery attempt duration"
)
_attempts = _meter.create_counter(
    "saleor_plugins.delivery.attempts", description="Delivery attempts by outcome"
)
_errors = _meter.create_counter(
    "saleor_plugins.provider.errors", description="Failed delivery attempts"
)

#: (integration, channel, status) -> count, as the last sweep in this process saw them
_jobs: dict[tuple[str, str, str], int] = {}
_jobs_at = 0.0
_jobs_lock = threading.Lock()
#: counts older than this are not reported (the process stopped running the sweep)
JOBS_FRESH_SECONDS = 180.0
_FAILED = frozenset({"retry", "dead", "circuit", "stale"})


def _observe_jobs(options: CallbackOptions) -> Iterable[Observation]:
    with _jobs_lock:
        if time.monotonic() - _jobs_at > JOBS_FRESH_SECONDS:
            return []
        return [
            Observation(
                count,
                {"saleor_plugins.integration": i, "saleor_plugins.channel": c, "status": s},
            )
            for (i, c, s), count in _jobs.items()
        ]


_meter.create_observable_gauge(
    "saleor_plugins.jobs",
    callbacks=[_observe_jobs],
    description="Jobs waiting, running and dead per integration and channel",
)


def jobs_counted(rows: Iterable[tuple[str, str, str, int]]) -> None:
    """The sweep's count of unfinished and dead jobs (``integration, channel, status, n``)."""
    global _jobs_at
    counts = {(i, c, s): n for i, c, s, n in rows}
    with _jobs_lock:
        # a pair that had jobs and has none now reports 0, not its last value
        _jobs.update(dict.fromkeys(_jobs, 0))
        _jobs.update(counts)
        _jobs_at = time.monotonic()


def _job_attributes(job: JobContext) -> dict[str, Any]:
    return {
        "saleor_plugins.integration": job.integration,
        "saleor_plugins.channel": job.channel,
        "saleor_plugins.event": job.event.value,
    }


@contextmanager
def emit_span(event: str, object_type: str, targets: list[tuple[str, str]]) -> Iterator[Span]:
    with _tracer.start_as_current_span(
        "saleor_plugins.emit",
        kind=SpanKind.PRODUCER,
        attributes={
            "saleor_plugins.event": event,
            "saleor_plugins.object_type": object_type,
            "saleor_plugins.integrations": sorted({i for i, _ in targets}),
            "saleor_plugins.channels": sorted({c for _, c in targets}),
        },
    ) as span:
        yield span


@contextmanager
def delivery_span(job: JobContext) -> Iterator[Span]:
    attributes = _job_attributes(job) | {
        "saleor_plugins.object_type": job.object_type,
        "saleor_plugins.job_id": job.id,
        "saleor_plugins.attempt": job.attempt,
    }
    with _tracer.start_as_current_span(
        "saleor_plugins.deliver",
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        record_exception=False,  # an exception's text may quote a provider's reply
        set_status_on_exception=False,
    ) as span:
        yield span


def delivered(
    span: Span,
    job: JobContext,
    outcome: str,
    status_code: int | None,
    duration_ms: int,
    recorded: bool,
) -> None:
    """The attempt's outcome on its span, and in the delivery metrics."""
    outcome = outcome if recorded else "stale"
    span.set_attribute("saleor_plugins.outcome", outcome)
    if status_code is not None:
        span.set_attribute("http.response.status_code", status_code)
    if outcome in _FAILED:
        span.set_status(Status(StatusCode.ERROR, outcome))
    labels = _job_attributes(job)
    _duration.record(duration_ms, labels | {"saleor_plugins.outcome": outcome})
    status = {"http.response.status_code": status_code} if status_code is not None else {}
    _attempts.add(1, labels | {"saleor_plugins.outcome": outcome} | status)
    if outcome in _FAILED:
        _errors.add(1, labels | {"saleor_plugins.outcome": outcome} | status)
