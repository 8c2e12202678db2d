"""The booking flow every accounting provider follows, on the kernel's events.

A provider's integration subclasses :class:`AccountingIntegration` and writes the
documents (:meth:`book_sale`, :meth:`book_refund`, :meth:`void_sale`); when to book, what
a refund or a cancellation books, and what an imported order books are decided here.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..core import ledger
from ..core import snapshots as s
from ..core.events import EventType
from ..core.integration import CustomerRoute, Integration, JobContext, Outcome
from ..core.settings import ChannelSettings
from . import booking, build
from .documents import CreditNote

EVENTS = frozenset(
    {
        EventType.ORDER_CREATED,
        EventType.ORDER_PAID,
        EventType.ORDER_REFUNDED,
        EventType.ORDER_CANCELLED,
    }
)


class AccountingIntegration[S: ChannelSettings](Integration[S]):
    subscribes = EVENTS
    customer_route = CustomerRoute.NONE
    #: what a cancellation says it gave back ("credit note", "refund")
    refund_word: ClassVar[str] = "credit note"

    settings: Any

    # -- what a provider writes ----------------------------------------------------------------
    def books_on_creation(self) -> bool:
        """True when an order is booked as soon as it is created (not when paid)."""
        raise NotImplementedError

    def book_sale(self, order: s.Order) -> list[str]:
        """Book the order's sale and its new payments (once); what was done."""
        raise NotImplementedError

    def book_refund(self, order: s.Order, note: CreditNote) -> list[str]:
        """Book one refund (once); what was done."""
        raise NotImplementedError

    def void_sale(self, order: s.Order, held: str) -> str | None:
        """Void the booked sale of an order nothing was paid for; None: it cannot be."""
        raise NotImplementedError

    # -- events ----------------------------------------------------------------------------------
    def on_order_created(self, job: JobContext) -> Outcome:
        if self.books_on_creation():
            return self._book(job)
        return Outcome(detail="booked when the order is paid")

    def on_order_paid(self, job: JobContext) -> Outcome:
        return self._book(job)

    def on_order_refunded(self, job: JobContext) -> Outcome:
        return self._book(job)

    def on_order_cancelled(self, job: JobContext) -> Outcome:
        order = self._read(job)
        if isinstance(order, Outcome):
            return order
        held = ledger.held(self.id, self.channel, "invoice", [order.id]).get(order.id)
        if not held:
            return Outcome(detail="cancelled before anything was booked: nothing to undo")
        if not booking.any_payment_booked(self.id, self.channel, order):
            voided = self.void_sale(order, held)
            if voided is not None:
                return Outcome(detail=voided)
        detail = self._book(job)
        cancel = booking.cancellation_refund(order)
        if cancel is not None:
            self.book_refund(order, build.credit_note(order, cancel))
        given = cancel.amount.amount if cancel else 0
        return Outcome(
            detail=f"cancelled after payment: {self.refund_word} for {given}; {detail.detail}"
        )

    # -- shared ----------------------------------------------------------------------------------
    def _read(self, job: JobContext) -> s.Order | Outcome:
        return booking.read_order(
            self.host, job, self.channel, book_imported=self.settings.book_imported_orders
        )

    def _book(self, job: JobContext) -> Outcome:
        order = self._read(job)
        if isinstance(order, Outcome):
            return order
        done = self.book_sale(order)
        for refund in order.refunds:
            note = build.credit_note(
                order, refund, separate_discounts=self.settings.separate_discounts
            )
            done += self.book_refund(order, note)
        return Outcome(detail="; ".join(done))
