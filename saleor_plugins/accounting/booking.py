"""The per-order booking rules every accounting provider follows (Xero, QuickBooks).

A provider's connector decides which documents it writes; when an order is booked,
which captures are new, and what a cancellation gives back are the same everywhere.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..core import ledger
from ..core import snapshots as s
from ..core.integration import JobContext, Outcome
from . import build
from .documents import Payment

#: Saleor's origin of orders created with orderBulkCreate (history)
IMPORTED = "bulk_create"


def read_order(
    host: Any, job: JobContext, channel: str, *, book_imported: bool
) -> s.Order | Outcome:
    """The job's order, or why nothing is booked (gone; imported and not backfilled)."""
    order = host.read("order", job.object_id, channel)
    if order is None:
        return Outcome(detail="order gone")
    if order.origin == IMPORTED and not (book_imported or job.payload.get("backfill")):
        return Outcome(detail="imported order (orderBulkCreate): booked only by a backfill")
    assert isinstance(order, s.Order)
    return order


def new_captures(integration: str, channel: str, order: s.Order) -> list[tuple[Payment, str]]:
    """Money captured and not booked yet: (the part to book, the ledger value once booked).

    The ledger keeps each payment's booked amount (``<provider id>|<amount>``), so a
    later capture of the same payment books only what was added, under its own key.
    """
    found = []
    for p in build.payments(order):
        booked = ledger.held(integration, channel, "payment", [p.source_id]).get(p.source_id)
        already = Decimal(booked.rpartition("|")[2]) if booked else Decimal(0)
        if p.amount > already:
            delta = replace(p, amount=p.amount - already, source_id=f"{p.source_id}@{p.amount}")
            found.append((delta, str(p.amount)))
    return found


def hold_capture(
    integration: str, channel: str, delta: Payment, provider_id: str, total: str
) -> None:
    source_id = delta.source_id.rpartition("@")[0]
    ledger.hold(integration, channel, "payment", {source_id: f"{provider_id}|{total}"})


def any_payment_booked(integration: str, channel: str, order: s.Order) -> bool:
    ids = [p.source_id for p in build.payments(order)]
    return bool(ledger.held(integration, channel, "payment", ids))


def cancellation_refund(order: s.Order) -> s.Refund | None:
    """What cancelling a paid order gives back: what was charged and not refunded yet."""
    remaining = order.total_charged.amount - order.total_refunded.amount
    if remaining <= 0:
        return None
    return s.Refund("cancel", s.Money(remaining, order.currency), created_at=order.updated_at)
