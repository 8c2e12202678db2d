"""What the merchant sees about an integration in a channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q

from .models import Attempt, Circuit, Job, JobStatus


@dataclass(frozen=True, slots=True)
class State:
    integration: str
    channel: str
    waiting: int
    running: int
    dead: int
    last_success: datetime | None
    last_failure: datetime | None
    last_error: str
    circuit_open: bool
    circuit_reason: str
    circuit_retry_at: datetime | None


def state(integration: str, channel: str, *, using: str = "default") -> State:
    """Read-only: ``using`` lets a host read from its replica (Saleor's queries must)."""
    jobs = (
        Job.objects.using(using)
        .filter(integration=integration, channel=channel)
        .aggregate(
            waiting=Count("id", filter=Q(status=JobStatus.PENDING)),
            running=Count("id", filter=Q(status=JobStatus.RUNNING)),
            dead=Count("id", filter=Q(status=JobStatus.DEAD)),
        )
    )
    attempts = Attempt.objects.using(using).filter(integration=integration, channel=channel)
    marks = attempts.aggregate(
        ok=Max("created_at", filter=Q(outcome="succeeded")),
        bad=Max("created_at", filter=~Q(outcome__in=["succeeded", "skipped"])),
    )
    last_error = ""
    if marks["bad"] is not None:
        last_error = (
            attempts.filter(created_at=marks["bad"]).values_list("error", flat=True).first() or ""
        )
    breaker = Circuit.objects.using(using).filter(integration=integration, channel=channel).first()
    return State(
        integration=integration,
        channel=channel,
        waiting=jobs["waiting"],
        running=jobs["running"],
        dead=jobs["dead"],
        last_success=marks["ok"],
        last_failure=marks["bad"],
        last_error=last_error,
        circuit_open=bool(breaker and breaker.is_open),
        circuit_reason=breaker.reason if breaker else "",
        circuit_retry_at=breaker.retry_at if breaker else None,
    )


def summary(integration: str, channel: str, *, using: str = "default") -> str:
    s = state(integration, channel, using=using)
    when = s.last_success.strftime("%Y-%m-%d %H:%M UTC") if s.last_success else "never"
    parts = [f"Last success: {when}", f"waiting: {s.waiting}", f"failed (dead): {s.dead}"]
    if s.circuit_open:
        retry = s.circuit_retry_at.strftime("%H:%M UTC") if s.circuit_retry_at else "soon"
        parts.append(f"PAUSED, credentials refused ({s.circuit_reason[:200]}); next try {retry}")
    elif (
        s.last_error and s.last_failure and (not s.last_success or s.last_failure > s.last_success)
    ):
        parts.append(f"last error: {s.last_error[:200]}")
    return "; ".join(parts)
