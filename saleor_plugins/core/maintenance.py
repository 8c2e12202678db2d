"""The periodic safety nets: the sweep and reconciliation.

- :func:`sweep` re-dispatches jobs whose dispatch was lost (broker down at emit, worker
  killed mid-job: its lease runs out) and prunes the old sync log.
- :func:`reconcile` compares what the store changed recently with the jobs emitted and
  emits what is missing, for the case of a process dying between the store's commit and
  our emit. Emitting is idempotent (dedupe keys), so reconciling twice changes nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from . import clock, ledger, telemetry
from .events import EventType
from .handoff import BULK, LIVE, dispatch
from .host import Change, get_host
from .integration import CustomerRoute
from .models import Attempt, Job, JobStatus
from .outbox import Target, emit_many
from .registry import integrations
from .webhooks import prune as prune_inbound

logger = logging.getLogger(__name__)

GRACE = timedelta(seconds=60)
_FOREVER = datetime.max.replace(tzinfo=UTC)
SWEEP_BATCH = 1000


def retention() -> timedelta:
    return timedelta(days=int(getattr(settings, "SALEOR_PLUGINS_SYNC_LOG_DAYS", 30)))


def reconcile_window() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "SALEOR_PLUGINS_RECONCILE_MINUTES", 60)))


# A released coalescing job whose object has a newer pending job is superseded (skipped):
# the newer job reads the latest state, and the unique index on pending coalesce keys
# would refuse a second pending row (failing the whole sweep). Leases are judged on the
# database's clock; a released job's worker, if it still lives, can no longer record
# (its fencing token is the lease it held, and the job is no longer running under it).
_RELEASE_EXPIRED = f"""
UPDATE saleor_plugins_job AS j
   SET status = CASE WHEN j.coalesce_key IS NOT NULL AND EXISTS (
           SELECT 1 FROM saleor_plugins_job p
            WHERE p.integration = j.integration AND p.channel = j.channel
              AND p.coalesce_key = j.coalesce_key AND p.status = 'pending')
           THEN 'skipped' ELSE 'pending' END,
       locked_until = NULL, not_before = {clock.NOW}, updated_at = {clock.NOW},
       finished_at = CASE WHEN j.coalesce_key IS NOT NULL AND EXISTS (
           SELECT 1 FROM saleor_plugins_job p
            WHERE p.integration = j.integration AND p.channel = j.channel
              AND p.coalesce_key = j.coalesce_key AND p.status = 'pending')
           THEN {clock.NOW} END,
       last_error = 'worker lost while running'
 WHERE j.status = 'running' AND j.locked_until < {clock.NOW} + %(offset)s
RETURNING j.id, j.status
"""

_DUE = f"""
UPDATE saleor_plugins_job SET dispatched_at = {clock.NOW}
 WHERE id IN (
   SELECT j.id FROM saleor_plugins_job j
    WHERE j.status = 'pending' AND j.not_before <= {clock.NOW} + %(offset)s - %(grace)s
      AND (j.dispatched_at IS NULL OR j.dispatched_at <= {clock.NOW} + %(offset)s - %(grace)s)
      AND NOT EXISTS (
          SELECT 1 FROM saleor_plugins_job e
           WHERE e.integration = j.integration AND e.channel = j.channel
             AND e.object_type = j.object_type AND e.object_id = j.object_id
             AND e.id < j.id AND e.status IN ('pending', 'running'))
    ORDER BY j.priority, j.not_before LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED)
RETURNING id, priority
"""

#: what the telemetry gauge reports (the partial indexes cover every status counted)
_COUNT = """
SELECT integration, channel, status, count(*) FROM saleor_plugins_job
 WHERE status IN ('pending', 'running', 'dead')
 GROUP BY integration, channel, status
"""


def sweep(*, grace: timedelta = GRACE, now_offset: timedelta = timedelta(0)) -> int:
    """Re-dispatch lost jobs; returns how many were sent to the broker.

    ``now_offset`` makes the sweep judge leases and due times as if it ran that much
    later (tests, an operator draining a queue); what it writes (``not_before`` of a
    released job, ``dispatched_at``) stays on the real clock, so a released job is due now.
    """
    released = release_expired(now_offset=now_offset)
    with connection.cursor() as cursor:
        cursor.execute(_DUE, clock.params(offset=now_offset, grace=grace, limit=SWEEP_BATCH))
        due = cursor.fetchall()
        cursor.execute(_COUNT)
        telemetry.jobs_counted(cursor.fetchall())
    live = [job_id for job_id, priority in due if priority == LIVE]
    bulk = [job_id for job_id, priority in due if priority != LIVE]
    ids = list(dict.fromkeys(released + live))
    sent = dispatch(ids) if ids else 0
    sent += dispatch(bulk, priority=BULK) if bulk else 0
    cutoff = timezone.now() - retention()
    Attempt.objects.filter(created_at__lt=cutoff).delete()
    Job.objects.filter(
        status__in=[JobStatus.SUCCEEDED, JobStatus.SKIPPED], finished_at__lt=cutoff
    ).delete()
    prune_inbound(cutoff)
    return sent


def release_expired(*, now_offset: timedelta = timedelta(0)) -> list[int]:
    """Put jobs whose worker died (lease expired) back to pending, due now; their ids."""
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_EXPIRED, clock.params(offset=now_offset))
        rows = cursor.fetchall()
    released = [job_id for job_id, status in rows if status == JobStatus.PENDING]
    superseded = [job_id for job_id, status in rows if status != JobStatus.PENDING]
    if superseded:
        Job.objects.filter(id__in=superseded).update(
            last_error="superseded by a newer change (worker lost while running)"
        )
    if released:
        logger.warning("saleor_plugins: %d job(s) released from dead workers", len(released))
    return released


def active_targets(event: EventType, channels: Iterable[str] | None) -> list[Target]:
    """(integration, channel) pairs active in ``channels`` (None: any) and subscribed."""
    return list(activations(event, channels))


def activations(event: EventType, channels: Iterable[str] | None) -> dict[Target, datetime | None]:
    """:func:`active_targets`, each with the time it became active (None: unknown)."""
    wanted = None if channels is None else set(channels)
    subscribed = {i for i, cls in integrations().items() if event in cls.subscribes}
    return {
        (inst.integration, inst.channel): inst.active_since
        for inst in get_host().installations()
        if inst.active
        and inst.integration in subscribed
        and (wanted is None or inst.channel in wanted)
    }


def _everywhere(event: EventType) -> set[str]:
    """Integrations that take this event in every channel whatever it names.

    Customer events name the channels the customer engaged with; an integration whose
    ``customer_route`` is ``ALL`` takes every customer, engaged or not.
    """
    if event is not EventType.CUSTOMER_UPSERTED:
        return set()
    return {i for i, cls in integrations().items() if cls.customer_route == CustomerRoute.ALL}


def _holders(event: EventType, changes: list[Change]) -> dict[str, set[Target]]:
    """Where a provider still holds a changed product: routing reaches there too, listed
    or not (``adapter.routing.product_targets``), so reconciliation does."""
    if event is not EventType.PRODUCT_UPSERTED:
        return {}
    return ledger.holders_of(event.object_type.value, [c.object_id for c in changes])


def reconcile(*, window: timedelta | None = None, settle: timedelta = GRACE) -> int:
    """Emit the jobs that recent store changes should have produced; returns how many.

    Only what the hooks would have emitted when the change happened: for an integration
    active in the channel *since before* the change. A change made while it was off there
    (or before it was first switched on) is history, sent only by an explicit backfill.
    """
    now = timezone.now()
    since = now - (window or reconcile_window())
    until = now - settle  # leave in-flight requests alone
    emitted = 0
    by_event: dict[EventType, list[Change]] = defaultdict(list)
    for change in get_host().recent_changes(since):
        if change.changed_at <= until:
            by_event[EventType(change.event)].append(change)
    for event, changes in by_event.items():
        for start in range(0, len(changes), 500):
            emitted += _reconcile_batch(event, changes[start : start + 500])
    if emitted:
        logger.warning("saleor_plugins: reconciliation emitted %d missing job(s)", emitted)
    return emitted


def _reconcile_batch(event: EventType, changes: list[Change]) -> int:
    emitted = 0
    everywhere = _everywhere(event)
    held = _holders(event, changes)
    all_channels = {c for ch in changes for c in ch.channels}
    all_channels |= {c for pairs in held.values() for _, c in pairs}
    since = activations(event, None if everywhere else all_channels)
    unknown = sorted(t for t, at in since.items() if at is None)
    if unknown:
        logger.warning(
            "saleor_plugins: not reconciling %s: the host cannot tell when it became active",
            ", ".join(f"{i} in {c}" for i, c in unknown),
        )
    targets = [t for t, at in since.items() if at is not None]
    if not targets:
        return 0
    latest: dict[tuple[str, str, str], datetime] = {}
    if event.coalesces:
        # A job reads the object when it runs, so a change is covered by a job that is
        # still pending, or by one created after the change. A job that was already
        # running when the change happened may have read the old state: not covered.
        rows = (
            Job.objects.filter(
                object_type=event.object_type.value,
                object_id__in=[c.object_id for c in changes],
            )
            .filter(
                Q(status=JobStatus.PENDING) | Q(created_at__gte=min(c.changed_at for c in changes))
            )
            .values_list("integration", "channel", "object_id")
            .annotate(
                latest=Max("created_at"),
                pending=Count("id", filter=Q(status=JobStatus.PENDING)),
            )
        )
        latest = {(i, ch, o): (_FOREVER if n else at) for i, ch, o, at, n in rows}

    def covered(target: Target, change: Change) -> bool:
        at = latest.get((target[0], target[1], change.object_id))
        return at is not None and at >= change.changed_at

    def routed(target: Target, change: Change) -> bool:
        """Would routing send it there: a channel it names, every channel, or a holder."""
        return (
            target[1] in change.channels
            or target[0] in everywhere
            or target in held.get(change.object_id, ())
        )

    def hooked(target: Target, change: Change) -> bool:
        """Would the hook have emitted it: was the integration on there at the time?"""
        at = since[target]
        return at is not None and change.changed_at >= at

    # one INSERT per set of targets (most changes share theirs), not one per change
    groups: dict[tuple[Target, ...], dict[tuple[str, str], Change]] = defaultdict(dict)
    for change in changes:
        change_targets = tuple(
            t for t in targets if routed(t, change) and hooked(t, change) and not covered(t, change)
        )
        if change_targets:
            # a coalescing INSERT may not touch one row twice: one change per object
            key = (change.object_id, "" if event.coalesces else change.version)
            groups[change_targets][key] = change
    with transaction.atomic():
        for group_targets, group in groups.items():
            objects: list[tuple[str, dict[str, Any], str]] = [
                (c.object_id, {}, c.version) for c in group.values()
            ]
            emitted += len(emit_many(event, objects, group_targets))
    return emitted
