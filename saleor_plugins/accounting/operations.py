"""The accounting operations every provider shares: what is due, reconcile, backfill.

``manage.py saleor_plugins_reconcile`` compares a period's orders with our ledger (no
provider read); ``manage.py saleor_plugins_backfill`` books a date range as bulk jobs,
which the workers then book in batches (:mod:`.backlog`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction

from ..core import ledger
from ..core import snapshots as s
from ..core.errors import ConfigurationError
from ..core.events import EventType
from ..core.handoff import BULK
from ..core.outbox import emit_many
from . import booking, build, reconcile

if TYPE_CHECKING:
    from .connector import AccountingIntegration


def bookable(acct: AccountingIntegration, order: s.Order) -> bool:
    """Whether the order should be in the books by now (the period report's question)."""
    if order.status in ("draft", "unconfirmed", "expired"):
        return False
    if order.origin == booking.IMPORTED and not acct.settings.book_imported_orders:
        return False
    if not acct.books_on_creation():
        return order.charge_status in ("full", "overcharged", "partial")
    return order.status != "canceled" or bool(order.payments)


def reconcile_period(acct: AccountingIntegration, since: date, until: date) -> str:
    days = reconcile.compare(
        acct.host.iter_objects("order", acct.channel),
        lambda ids: ledger.amounts(acct.id, acct.channel, "invoice", ids),
        since=since,
        until=until,
        bookable=lambda o: bookable(acct, o),
    )
    return reconcile.report(days)


def backfill(acct: AccountingIntegration, options: Mapping[str, Any]) -> str:
    """Book a date range of existing orders (``--option since=… --option until=…``).

    One bulk job per order, marked as a backfill (imported orders too), delivered by the
    workers at the provider's pace and in batches; orders already booked cost nothing.
    """
    extra = options.get("extra") or {}
    try:
        since = date.fromisoformat(extra.get("since", "2000-01-01"))
        until = date.fromisoformat(extra.get("until", "2999-12-31"))
    except ValueError as e:
        raise ConfigurationError(f"since/until must be YYYY-MM-DD: {e}") from e
    event = EventType.ORDER_CREATED if acct.books_on_creation() else EventType.ORDER_PAID
    batch: list[tuple[str, dict[str, Any], str]] = []
    emitted = seen = 0
    bar = options["progress"]("orders", 0, 0) if options.get("progress") else None
    target = [(acct.id, acct.channel)]

    def flush() -> int:
        with transaction.atomic():
            count = len(emit_many(event, batch, target, priority=BULK))
        if bar is not None:
            bar.update(len(batch))
        batch.clear()
        return count

    for order in acct.host.iter_objects("order", acct.channel):
        if not since <= build.day_of(order.created_at) <= until:
            continue
        if order.origin == booking.IMPORTED or bookable(acct, order):
            seen += 1
            batch.append((order.id, {"backfill": True}, "backfill"))
            if len(batch) >= int(options.get("batch_size") or 500):
                emitted += flush()
    if batch:
        emitted += flush()
    if bar is not None:
        bar.close()
    return (
        f"orders {since}..{until}: {seen} to book, {emitted} job(s) emitted "
        f"({seen - emitted} already queued or booked)."
    )
