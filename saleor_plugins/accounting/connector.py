"""The booking flow every accounting provider follows, on the kernel's events.

A provider's integration subclasses :class:`AccountingIntegration` and writes the
documents (:meth:`book_sale`, :meth:`book_refund`, :meth:`void_sale`); when to book, what
a refund or a cancellation books, and what an imported order books are decided here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from ..core import ledger
from ..core import snapshots as s
from ..core.errors import PermanentError
from ..core.events import EventType
from ..core.integration import CustomerRoute, JobContext, Outcome
from . import backlog, booking, build, operations, summary
from .documents import CreditNote, Invoice, Payment
from .payouts import PAYOUT_EVENTS, PayoutBooking
from .settings import AccountingSettings, BookingMode

EVENTS = (
    frozenset(
        {
            EventType.ORDER_CREATED,
            EventType.ORDER_PAID,
            EventType.ORDER_REFUNDED,
            EventType.ORDER_CANCELLED,
        }
    )
    | PAYOUT_EVENTS
)


class AccountingIntegration[S: AccountingSettings](PayoutBooking[S]):
    subscribes = EVENTS
    customer_route = CustomerRoute.NONE
    #: what a cancellation says it gave back ("credit note", "refund")
    refund_word: ClassVar[str] = "credit note"
    #: other due sale jobs claimed with one and booked together (0: never batched)
    BACKLOG: ClassVar[int] = 0

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

    def book_many(self, orders: Sequence[s.Order]) -> dict[str, str]:
        """Book many orders' sales and payments at once; order id -> the provider's refusal."""
        refused = {}
        for order in orders:
            try:
                self.book_sale(order)
            except PermanentError as e:  # a refusal fails that order only
                refused[order.id] = e.message
        return refused

    def book_summary(self, invoice: Invoice) -> str:
        """Write a day's summary invoice (:mod:`.summary`); its provider id."""
        raise NotImplementedError

    def book_summary_payment(self, payment: Payment) -> str:
        """Write a day's payment for one gateway against a summary invoice; its provider id."""
        raise NotImplementedError

    def book_summary_refund(self, note: CreditNote) -> str:
        """Write a day's credit note for one gateway, and its refund payment; its id."""
        raise NotImplementedError

    def summary_mode(self) -> bool:
        return getattr(self.settings, "booking_mode", None) is BookingMode.DAILY_SUMMARY

    # -- events ----------------------------------------------------------------------------------
    def on_channel_sync(self, job: JobContext) -> Outcome:
        """A day's summary (emitted by the provider's periodic ``summaries`` task)."""
        day = job.payload.get("summary")
        if not day:
            return Outcome(detail="no summary day in the job")
        return Outcome(detail=summary.book_day(self, date.fromisoformat(day)))

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
        if self.summary_mode():
            return Outcome(detail=summary.cancel(self, order))
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
        if self.summary_mode():
            return Outcome(detail="; ".join(summary.record(self, order)) or "already summarised")
        if self.BACKLOG and job.event in backlog.sale_events(self):
            return backlog.book_with_companions(self, job, order)
        return self.book_one(order)

    def book_one(self, order: s.Order) -> Outcome:
        done = self.book_sale(order)
        for refund in order.refunds:
            note = build.credit_note(
                order, refund, separate_discounts=self.settings.separate_discounts
            )
            done += self.book_refund(order, note)
        return Outcome(detail="; ".join(done))

    # -- operations (manage.py saleor_plugins_reconcile / _backfill) ---------------------------
    def reconcile_period(self, since: date, until: date) -> str:
        return operations.reconcile_period(self, since, until)

    def backfill(self, object_types: Sequence[str], options: Mapping[str, Any]) -> str:
        return operations.backfill(self, options)
