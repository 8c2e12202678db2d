"""Payouts: a payment provider's transfers to the bank, handed to whoever books them.

A payment integration (Stripe) learns that a payout was paid, failed or was canceled,
itemises it (:class:`~.snapshots.Payout`: charges, refunds, fees, other, net) and calls
:func:`publish` with the channels its provider account serves. The kernel writes one job
(``payout_paid`` / ``payout_failed``) for every integration that subscribes to it and is
active in those channels (the accounting integrations), carrying the snapshot itself:
a payout is not an object of the store, so there is nothing for ``host.read`` to read
later, and the snapshot is what the provider said when it happened. The job's dedupe
key is the payout's key, so a webhook received twice, or a payment job retried, writes
no second job. The booking side reads it back with :func:`read`; neither side imports
the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from .events import EventType
from .integration import JobContext
from .maintenance import active_targets
from .outbox import emit
from .snapshots import Payout

_AMOUNTS = ("amount", "charges", "refunds", "fees", "other")


def event_for(payout: Payout) -> EventType:
    return EventType.PAYOUT_PAID if payout.status == "paid" else EventType.PAYOUT_FAILED


def to_payload(payout: Payout) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": payout.id,
        "provider": payout.provider,
        "gateway": payout.gateway,
        "status": payout.status,
        "currency": payout.currency,
        "arrival_date": payout.arrival_date.isoformat(),
        "itemised": payout.itemised,
        "transactions": payout.transactions,
    }
    data.update({name: str(getattr(payout, name)) for name in _AMOUNTS})
    return data


def from_payload(data: dict[str, Any]) -> Payout:
    return Payout(
        id=str(data["id"]),
        provider=str(data["provider"]),
        gateway=str(data["gateway"]),
        status=str(data["status"]),
        currency=str(data["currency"]),
        arrival_date=date.fromisoformat(str(data["arrival_date"])),
        itemised=bool(data.get("itemised")),
        transactions=int(data.get("transactions") or 0),
        **{name: Decimal(str(data.get(name) or 0)) for name in _AMOUNTS},
    )


def publish(payout: Payout, channels: Iterable[str]) -> list[int]:
    """One job per subscribed integration active in ``channels``; the new job ids."""
    event = event_for(payout)
    targets = active_targets(event, list(channels))
    if not targets:
        return []
    return emit(event, payout.key, targets, payload={"payout": to_payload(payout)})


def read(job: JobContext) -> Payout:
    return from_payload(job.payload["payout"])
