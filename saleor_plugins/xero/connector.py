"""The Xero integration: each order booked once, to the cent, per channel.

Per order: an invoice (when the order is paid, or created — a setting), a payment per
captured gateway payment (gift cards as their own payment), a credit note and a refund
payment per refund, a void (unpaid) or credit note (paid) when cancelled. What was
booked is in the kernel's ledger (``invoice``, ``payment``, ``credit_note``,
``contact``): a retried, replayed or re-emitted job books nothing twice, and each write
carries an ``Idempotency-Key`` derived from the document, so a write whose answer was
lost is answered again by Xero instead of applied twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import transaction

from ..accounting import booking, build, reconcile
from ..accounting.connector import AccountingIntegration
from ..accounting.documents import CreditNote
from ..accounting.settings import InvoiceOn
from ..core import ledger, oauth
from ..core import snapshots as s
from ..core.errors import ConfigurationError, PermanentError
from ..core.events import EventType
from ..core.hookspecs import hookimpl
from ..core.integration import Integration, RateLimit
from ..core.models import Connection
from ..core.outbox import emit_many
from . import mapping
from .client import INTEGRATION, Element, XeroClient
from .settings import XeroSettings


def write_key(channel: str, source_id: str, body: Any) -> str:
    """The same document, the same key: a lost answer is replayed by Xero, not re-applied."""
    from xero_python.api_client import serializer

    digest = hashlib.sha256(
        f"{channel}|{source_id}|{serializer.serialize(body)}".encode()
    ).hexdigest()
    return f"sp-{digest[:48]}"


class XeroIntegration(AccountingIntegration[XeroSettings]):
    id = INTEGRATION
    name = "Xero"
    description = "Orders, payments and refunds booked in Xero once, to the cent, per channel."
    settings_class = XeroSettings
    # per organisation: 60 calls a minute, 5 at a time (the daily quota: see client.py)
    rate_limit = RateLimit(per_minute=60, concurrency=5)

    settings: XeroSettings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client: XeroClient | None = None

    @property
    def client(self) -> XeroClient:
        if self._client is None:
            self._client = XeroClient(self.settings, self.channel)
        return self._client

    def tenant(self) -> str:
        if self.settings.tenant_id:
            return self.settings.tenant_id
        conn = Connection.objects.filter(integration=self.id, channel=self.channel).first()
        if conn is None or not conn.tenant_id:
            raise ConfigurationError(
                "Connect Xero and choose the organisation from the plugin's page.",
                field="tenant_id",
            )
        return conn.tenant_id

    def account_key(self) -> str:
        return f"xero:{self.tenant()}"

    # -- the accounting layer's flow (accounting/connector.py) --------------------------------
    def books_on_creation(self) -> bool:
        return self.settings.invoice_on is InvoiceOn.CREATED

    def book_sale(self, order: s.Order) -> list[str]:
        invoice_id = self._invoice(order)
        return [f"invoice {invoice_id}", *self._payments(order, invoice_id)]

    def book_refund(self, order: s.Order, note: CreditNote) -> list[str]:
        return self._credit(order, note)

    def void_sale(self, order: s.Order, held: str) -> str | None:
        from xero_python.accounting import Invoice

        void = Invoice(invoice_id=held, status="VOIDED")
        self._put("put_invoices", void, f"{order.id}:void")
        return f"invoice {held} voided"

    def _contact_id(self, order: s.Order) -> str:
        email = (order.email or "").casefold()
        return (
            ledger.held(self.id, self.channel, "contact", [email]).get(email, "") if email else ""
        )

    def _remember_contact(self, order: s.Order, element: Element) -> None:
        contact_id = str((element.raw.get("Contact") or {}).get("ContactID") or "")
        if contact_id and order.email:
            ledger.hold(self.id, self.channel, "contact", {order.email.casefold(): contact_id})

    def _invoice(self, order: s.Order) -> str:
        known = ledger.held(self.id, self.channel, "invoice", [order.id]).get(order.id)
        if known:
            return known
        doc = build.invoice(order, separate_discounts=self.settings.separate_discounts)
        body = mapping.invoice(doc, self.settings, contact_id=self._contact_id(order))
        element = self._put("put_invoices", body, doc.source_id)
        ledger.hold(
            self.id, self.channel, "invoice", {order.id: element.id}, amounts={order.id: doc.total}
        )
        self._remember_contact(order, element)
        return element.id

    def _payments(self, order: s.Order, invoice_id: str) -> list[str]:
        done = []
        for delta, total in booking.new_captures(self.id, self.channel, order):
            body = mapping.payment(delta, self.settings, invoice_id=invoice_id)
            element = self._put("put_payments", body, delta.source_id)
            booking.hold_capture(self.id, self.channel, delta, element.id, total)
            done.append(f"payment {delta.amount} ({delta.account_key})")
        return done

    def _credit(self, order: s.Order, note: CreditNote) -> list[str]:
        if ledger.held(self.id, self.channel, "credit_note", [note.source_id]):
            return []
        body = mapping.credit_note(note, self.settings, contact_id=self._contact_id(order))
        element = self._put("put_credit_notes", body, note.source_id)
        ledger.hold(
            self.id,
            self.channel,
            "credit_note",
            {note.source_id: element.id},
            amounts={note.source_id: note.total},
        )
        refund = mapping.refund_payment(note, self.settings, element.id)
        self._put("put_payments", refund, f"{note.source_id}:paid")
        return [f"credit note {note.total}"]

    def _put(self, method: str, body: Any, source_id: str) -> Element:
        """Write one document; Xero's validation messages make the job dead, with them."""
        key = write_key(self.channel, source_id, body)
        (element,) = getattr(self.client, method)([body], key, self.tenant())
        if element.errors:
            message = "; ".join(element.errors)[:1000]
            raise PermanentError(
                f"Xero refused {source_id}: {message}", provider="xero", status=400
            )
        return element

    # -- operations ----------------------------------------------------------------------------
    def _bookable(self, order: s.Order) -> bool:
        if order.status in ("draft", "unconfirmed", "expired"):
            return False
        if order.origin == booking.IMPORTED and not self.settings.book_imported_orders:
            return False
        if self.settings.invoice_on is InvoiceOn.PAID:
            return order.charge_status in ("full", "overcharged", "partial")
        return order.status != "canceled" or bool(order.payments)

    def reconcile_period(self, since: date, until: date) -> str:
        days = reconcile.compare(
            self.host.iter_objects("order", self.channel),
            lambda ids: ledger.amounts(self.id, self.channel, "invoice", ids),
            since=since,
            until=until,
            bookable=self._bookable,
        )
        return reconcile.report(days)

    def backfill(self, object_types: Sequence[str], options: Mapping[str, Any]) -> str:
        """Book a date range of existing orders (``--option since=… --option until=…``).

        One job per order, marked as a backfill (imported orders too), delivered by the
        workers at Xero's pace; orders already booked cost nothing (the ledger).
        """
        extra = options.get("extra") or {}
        try:
            since = date.fromisoformat(extra.get("since", "2000-01-01"))
            until = date.fromisoformat(extra.get("until", "2999-12-31"))
        except ValueError as e:
            raise ConfigurationError(f"since/until must be YYYY-MM-DD: {e}") from e
        event = (
            EventType.ORDER_CREATED
            if self.settings.invoice_on is InvoiceOn.CREATED
            else EventType.ORDER_PAID
        )
        batch: list[tuple[str, dict[str, Any], str]] = []
        emitted = seen = 0
        bar = options["progress"]("orders", 0, 0) if options.get("progress") else None
        target = [(self.id, self.channel)]

        def flush() -> int:
            with transaction.atomic():
                count = len(emit_many(event, batch, target))
            if bar is not None:
                bar.update(len(batch))
            batch.clear()
            return count

        for order in self.host.iter_objects("order", self.channel):
            if not since <= build.day_of(order.created_at) <= until:
                continue
            if order.origin == booking.IMPORTED or self._bookable(order):
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

    # -- dashboard ---------------------------------------------------------------------------
    def check_settings(self, timeout: float) -> dict[str, str]:
        return {}


def connection_status(channel: str, *, using: str = "default") -> str:
    return oauth.describe(INTEGRATION, channel, using=using)


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [XeroIntegration]
