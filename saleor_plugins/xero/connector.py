"""The Xero integration: each order booked once, to the cent, per channel.

Per order: an invoice (when the order is paid, or created — a setting), a payment per
captured gateway payment (gift cards as their own payment), a credit note and a refund
payment per refund, a void (unpaid) or credit note (paid) when cancelled. What was
booked is in the kernel's ledger (``invoice``, ``payment``, ``credit_note``,
``contact``): a retried, replayed or re-emitted job books nothing twice, and each write
carries an ``Idempotency-Key`` derived from the document, so a write whose answer was
lost is answered again by Xero instead of applied twice.

A backlog (a backfill, jobs that waited) is booked in arrays: up to 50 invoices in one
PUT, then their payments, 50 a PUT, each with ``summarizeErrors=false`` and a key over
the array's content; Xero's message for an invalid invoice fails only its order's job.
In daily summary mode the documents are the day's (``accounting/summary.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..accounting import booking, build, summary
from ..accounting.connector import AccountingIntegration
from ..accounting.documents import CreditNote, Invoice, Payment
from ..accounting.payouts import Fees, Transfer
from ..accounting.settings import InvoiceOn
from ..core import ledger, oauth
from ..core import snapshots as s
from ..core.errors import ConfigurationError, PermanentError, TransientError
from ..core.hookspecs import hookimpl
from ..core.integration import Integration, RateLimit
from ..core.models import Connection
from . import mapping, payouts
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
    #: documents per PUT (Xero's advice for arrays); sale jobs claimed with one
    BATCH = 50
    BACKLOG = BATCH - 1

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

    # -- payouts (accounting/payouts.py decides; xero/payouts.py writes) -----------------------
    def books_payouts(self) -> bool:
        return bool(self.settings.payout_bank_account)

    def book_transfer(self, transfer: Transfer) -> str:
        return self._put(
            "put_bank_transfers", payouts.transfer(transfer, self.settings), transfer.source_id
        ).id

    def book_fees(self, fees: Fees) -> str:
        return self._put(
            "put_bank_transactions", payouts.fees(fees, self.settings), fees.source_id
        ).id

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

    # -- backlogs in arrays ------------------------------------------------------------------
    def book_many(self, orders: Sequence[s.Order]) -> dict[str, str]:
        """Invoices 50 a request, then payments 50 a request; order id -> Xero's refusal."""
        refused: dict[str, str] = {}
        held = ledger.held(self.id, self.channel, "invoice", [o.id for o in orders])
        todo = [o for o in orders if o.id not in held]
        for start in range(0, len(todo), self.BATCH):
            chunk = todo[start : start + self.BATCH]
            docs = [build.invoice(o, separate_discounts=self.settings.separate_discounts)
                    for o in chunk]  # fmt: skip
            bodies = [
                mapping.invoice(d, self.settings, contact_id=self._contact_id(o))
                for o, d in zip(chunk, docs, strict=True)
            ]
            booked: dict[str, str] = {}
            amounts: dict[str, Decimal] = {}
            for n, el in self._put_many("put_invoices", bodies, chunk, refused):
                booked[chunk[n].id], amounts[chunk[n].id] = el.id, docs[n].total
                self._remember_contact(chunk[n], el)
            ledger.hold(self.id, self.channel, "invoice", booked, amounts=amounts)
            held.update(booked)
        captures = [
            (o, delta, total)
            for o in orders
            if o.id in held and o.id not in refused
            for delta, total in booking.new_captures(self.id, self.channel, o)
        ]
        for start in range(0, len(captures), self.BATCH):
            part = captures[start : start + self.BATCH]
            bodies = [mapping.payment(d, self.settings, invoice_id=held[o.id]) for o, d, _ in part]
            owners = [o for o, _, _ in part]
            for n, el in self._put_many("put_payments", bodies, owners, refused):
                booking.hold_capture(self.id, self.channel, part[n][1], el.id, part[n][2])
        return refused

    def _put_many(
        self, method: str, bodies: list[Any], orders: list[s.Order], refused: dict[str, str]
    ) -> list[tuple[int, Element]]:
        """One array PUT (``bodies[n]`` is ``orders[n]``'s): what Xero accepted, by index.

        An element Xero refused (or did not answer) puts its order in ``refused``.
        """
        key = write_key(self.channel, f"batch:{method}", bodies)
        elements = getattr(self.client, method)(bodies, key, self.tenant())
        accepted = []
        for n, order in enumerate(orders):
            element = elements[n] if n < len(elements) else None
            if element is None or element.errors or not element.id:
                why = "; ".join(element.errors) if element else "Xero did not answer it"
                refused[order.id] = why[:1000] or "Xero returned no id"
            else:
                accepted.append((n, element))
        return accepted

    # -- daily summary (accounting/summary.py) -----------------------------------------------
    def book_summary(self, invoice: Invoice) -> str:
        body = mapping.invoice(invoice, self.settings)
        return self._put("put_invoices", body, invoice.source_id).id

    def book_summary_payment(self, payment: Payment) -> str:
        invoice_id = summary.summary_document(self, payment.invoice_source_id)
        if invoice_id is None:
            raise TransientError(
                f"waiting for the summary invoice {payment.invoice_source_id}", provider="xero"
            )
        body = mapping.payment(payment, self.settings, invoice_id=invoice_id)
        return self._put("put_payments", body, payment.source_id).id

    def book_summary_refund(self, note: CreditNote) -> str:
        element = self._put("put_credit_notes", mapping.credit_note(note, self.settings),
                            note.source_id)  # fmt: skip
        if note.refund_account_key != summary.CREDIT_ONLY:
            refund = mapping.refund_payment(note, self.settings, element.id)
            self._put("put_payments", refund, f"{note.source_id}:paid")
        return element.id

    # -- dashboard ---------------------------------------------------------------------------
    def check_settings(self, timeout: float) -> dict[str, str]:
        return {}


def connection_status(channel: str, *, using: str = "default") -> str:
    return oauth.describe(INTEGRATION, channel, using=using)


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [XeroIntegration]
