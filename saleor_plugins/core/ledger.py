"""The kernel's ledger: what each integration holds at its provider, per channel.

Jobs are pruned after a while; what a provider holds is not forgotten with them. An
integration records an object here when its provider confirmed the write
(:func:`hold`) and removes it when the provider confirmed the delete (:func:`release`).
It reads the ledger to choose the call that will succeed (create or update; delete only
what exists), and routing reads it to reach a channel that still holds an object no
longer listed there (:func:`holders`). ``object_type`` is the integration's own word
(``product``, ``order``, ``cart``, ``offer``...); ``provider_id`` is optional.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from .models import Held

#: Rows per statement when many objects are recorded at once (a backfill).
BATCH = 1000


def hold(
    integration: str,
    channel: str,
    object_type: str,
    objects: Mapping[str, str] | Iterable[str],
    *,
    amounts: Mapping[str, Decimal] | None = None,
) -> None:
    """Record that the provider now holds ``objects`` (ids, or id -> provider id).

    ``amounts``: what the provider booked for each id (accounting totals), for
    reconciliation; ids without one keep none.
    """
    items = dict(objects) if isinstance(objects, Mapping) else dict.fromkeys(objects, "")
    if not items:
        return
    now = timezone.now()
    rows = [
        Held(
            integration=integration,
            channel=channel,
            object_type=object_type,
            object_id=str(object_id),
            provider_id=str(provider_id or ""),
            amount=(amounts or {}).get(object_id),
            updated_at=now,
        )
        for object_id, provider_id in items.items()
    ]
    Held.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["integration", "channel", "object_type", "object_id"],
        update_fields=["provider_id", "amount", "updated_at"]
        if amounts
        else ["provider_id", "updated_at"],
    )


def _batches(
    integration: str, channel: str, object_type: str, object_ids: Iterable[str]
) -> Iterator[QuerySet[Held]]:
    """The rows of ``object_ids``, one query of at most :data:`BATCH` ids at a time."""
    ids = [str(i) for i in object_ids]
    for start in range(0, len(ids), BATCH):
        yield Held.objects.filter(
            integration=integration,
            channel=channel,
            object_type=object_type,
            object_id__in=ids[start : start + BATCH],
        )


def release(integration: str, channel: str, object_type: str, object_ids: Iterable[str]) -> None:
    """Record that the provider no longer holds ``object_ids`` (deleted, or never was)."""
    for rows in _batches(integration, channel, object_type, object_ids):
        rows.delete()


def held(
    integration: str, channel: str, object_type: str, object_ids: Iterable[str]
) -> dict[str, str]:
    """Which of ``object_ids`` the provider holds: id -> provider id ('' when none)."""
    found: dict[str, str] = {}
    for rows in _batches(integration, channel, object_type, object_ids):
        found.update(rows.values_list("object_id", "provider_id"))
    return found


def holds(integration: str, channel: str, object_type: str, object_id: str) -> bool:
    return str(object_id) in held(integration, channel, object_type, [object_id])


def holders(
    object_type: str, object_id: str, integrations: Iterable[str] | None = None
) -> set[tuple[str, str]]:
    """(integration, channel) pairs whose provider holds the object (routing)."""
    qs = Held.objects.filter(object_type=object_type, object_id=str(object_id))
    if integrations is not None:
        qs = qs.filter(integration__in=list(integrations))
    return set(qs.values_list("integration", "channel"))


def holders_of(
    object_type: str, object_ids: Iterable[str], integrations: Iterable[str] | None = None
) -> dict[str, set[tuple[str, str]]]:
    """:func:`holders` for many objects: object id -> (integration, channel) pairs."""
    ids = list(dict.fromkeys(str(i) for i in object_ids))
    wanted = None if integrations is None else list(integrations)
    found: dict[str, set[tuple[str, str]]] = {}
    for start in range(0, len(ids), BATCH):
        qs = Held.objects.filter(object_type=object_type, object_id__in=ids[start : start + BATCH])
        if wanted is not None:
            qs = qs.filter(integration__in=wanted)
        for object_id, integration, channel in qs.values_list(
            "object_id", "integration", "channel"
        ):
            found.setdefault(object_id, set()).add((integration, channel))
    return found


def amounts(
    integration: str, channel: str, object_type: str, object_ids: Iterable[str]
) -> dict[str, Decimal | None]:
    """What the provider booked for each held id (None: held, no amount recorded)."""
    found: dict[str, Decimal | None] = {}
    for rows in _batches(integration, channel, object_type, object_ids):
        found.update(rows.values_list("object_id", "amount"))
    return found


def claim(integration: str, scope: str, object_type: str, object_id: str, claimant: str) -> str:
    """Make ``claimant`` the one who writes ``object_id`` in ``scope``, unless one already is.

    Returns the claimant on record: ``claimant`` itself when it is first (or claims
    again, a retry), another one's name when that one came first. Concurrent claims
    are decided by the ledger's unique constraint, so exactly one wins. For documents
    booked once per provider account that several channels reach (``scope``: the
    account, not a channel).
    """
    row, _ = Held.objects.get_or_create(
        integration=integration,
        channel=scope,
        object_type=object_type,
        object_id=str(object_id),
        defaults={"provider_id": claimant, "updated_at": timezone.now()},
    )
    return row.provider_id
