"""The QuickBooks Online integration: each order booked once, to the cent, per channel.

Per order: a sales receipt when it is paid (one document, into the gateway's deposit
account), or an invoice (when paid or created, a setting) and a payment per captured
gateway payment; a refund receipt or credit memo per refund; a void (unpaid invoice) or
refund document (paid) when cancelled. Orders paid by several gateways or partly by
gift card are booked as invoice + payments, each payment into its own account.

What was booked is in the kernel's ledger (``invoice``, ``payment``, ``credit_note``,
``contact``): a retried or replayed job books nothing twice, and every write carries a
``requestid`` derived from the document, so a write whose answer was lost is answered
again by QuickBooks instead of applied twice.

A backlog (a backfill, jobs that waited: ``accounting/backlog.py``) is booked through
the batch endpoint, 30 operations a request (:meth:`book_many`). In daily summary mode
the documents are the day's (``accounting/summary.py``), booked to the summary customer.
"""

from __future__ import annotations

import hashlib
import json
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
from .client import BATCH_SIZE, INTEGRATION, QuickBooksClient, provider
from .settings import QuickBooksSettings, RefundDocument, SaleDocument

DUPLICATE_NAME = "6240"


def request_id(realm: str, channel: str, source_id: str, body: Any) -> str:
    """The same document, the same id (QuickBooks keeps up to 50 characters)."""
    text = json.dumps(body, sort_keys=True, default=str)
    return "sp" + hashlib.sha256(f"{realm}|{channel}|{source_id}|{text}".encode()).hexdigest()[:40]


class QuickBooksIntegration(AccountingIntegration[QuickBooksSettings]):
    id = INTEGRATION
    name = "QuickBooks Online"
    description = "Orders, payments and refunds booked in QuickBooks once, to the cent."
    settings_class = QuickBooksSettings
    # per company (realm): Intuit's 500 a minute, 10 a second, 10 at a time
    rate_limit = RateLimit(per_second=10, per_minute=500, concurrency=10)
    #: sale jobs claimed with one: a batch request of customers, one of sales receipts
    BACKLOG = BATCH_SIZE - 1

    settings: QuickBooksSettings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client: QuickBooksClient | None = None

    @property
    def client(self) -> QuickBooksClient:
        if self._client is None:
            self._client = QuickBooksClient(self.settings, self.channel, self.realm())
        return self._client

    def realm(self) -> str:
        """The company: the setting, else the ``realmId`` Intuit gave on the callback."""
        if self.settings.realm_id:
            return self.settings.realm_id
        conn = Connection.objects.filter(integration=self.id, channel=self.channel).first()
        if conn is None or not conn.tenant_id:
            raise ConfigurationError("Connect QuickBooks from the plugin's page.", field="realm_id")
        return conn.tenant_id

    def account_key(self) -> str:
        return f"quickbooks:{self.realm()}"

    # -- the accounting layer's flow (accounting/connector.py) --------------------------------
    refund_word = "refund"

    def books_on_creation(self) -> bool:
        return (
            self.settings.sale_document is SaleDocument.INVOICE
            and self.settings.invoice_on is InvoiceOn.CREATED
        )

    def book_sale(self, order: s.Order) -> list[str]:
        return [self._sale(order)]

    def book_refund(self, order: s.Order, note: CreditNote) -> list[str]:
        return self._refund(order, note)

    def void_sale(self, order: s.Order, held: str) -> str | None:
        entity, doc_id, sync = held.split("|")
        if entity != "Invoice":  # a sales receipt is money received: it is credited
            return None
        body = {"Id": doc_id, "SyncToken": sync}
        self._write("Invoice", body, f"{order.id}:void", operation="void")
        return f"invoice {doc_id} voided"

    # -- payouts (accounting/payouts.py decides; quickbooks/payouts.py writes) -----------------
    def books_payouts(self) -> bool:
        return bool(self.settings.payout_bank_account)

    def book_transfer(self, transfer: Transfer) -> str:
        body = payouts.transfer(transfer, self.settings)
        return str(self._write("Transfer", body, transfer.source_id)["Id"])

    def book_fees(self, fees: Fees) -> str:
        entity, body = payouts.fees(fees, self.settings)
        return str(self._write(entity, body, fees.source_id)["Id"])

    def _receipt_gateway(self, order: s.Order) -> str | None:
        """The one gateway a sales receipt can deposit to; None when the order needs more."""
        paid = build.payments(order)
        accounts = {mapping.deposit_account(p.account_key, self.settings) for p in paid}
        if len(accounts) != 1 or any(p.account_key == build.GIFT_CARD_GATEWAY for p in paid):
            return None
        if sum((p.amount for p in paid), Decimal(0)) != order.total_gross.amount:
            return None
        return paid[0].account_key

    def _sale(self, order: s.Order) -> str:
        held = ledger.held(self.id, self.channel, "invoice", [order.id]).get(order.id)
        if held:
            entity, doc_id, _ = held.split("|")
        else:
            doc = build.invoice(order, separate_discounts=self.settings.separate_discounts)
            customer_id = self._customer(order)
            gateway = (
                self._receipt_gateway(order)
                if self.settings.sale_document is SaleDocument.SALES_RECEIPT
                else None
            )
            if gateway is not None:
                entity = "SalesReceipt"
                body = mapping.sales_receipt(doc, self.settings, customer_id, gateway)
            else:
                entity = "Invoice"
                body = mapping.invoice(doc, self.settings, customer_id)
            answer = self._checked(entity, body, doc.source_id, doc.total)
            doc_id = str(answer["Id"])
            ledger.hold(
                self.id,
                self.channel,
                "invoice",
                {order.id: f"{entity}|{doc_id}|{answer.get('SyncToken', '0')}"},
            )
        done = f"{entity} {doc_id}"
        if entity == "Invoice":
            done = "; ".join([done, *self._payments(order, doc_id)])
        return done

    def _payments(self, order: s.Order, invoice_id: str) -> list[str]:
        done = []
        for delta, total in booking.new_captures(self.id, self.channel, order):
            body = mapping.payment(delta, self.settings, self._customer(order), invoice_id)
            answer = self._write("Payment", body, delta.source_id)
            booking.hold_capture(self.id, self.channel, delta, str(answer["Id"]), total)
            done.append(f"payment {delta.amount} ({delta.account_key})")
        return done

    def _refund(self, order: s.Order, note: CreditNote) -> list[str]:
        if ledger.held(self.id, self.channel, "credit_note", [note.source_id]):
            return []
        receipt = self.settings.refund_document is RefundDocument.REFUND_RECEIPT
        entity = "RefundReceipt" if receipt else "CreditMemo"
        body = mapping.refund(note, self.settings, self._customer(order), receipt=receipt)
        answer = self._checked(entity, body, note.source_id, note.total)
        ledger.hold(self.id, self.channel, "credit_note", {note.source_id: str(answer["Id"])})
        return [f"{entity} {note.total}"]

    def _customer(self, order: s.Order) -> str:
        """Our ledger's customer for the e-mail, else created (guests: one, if configured)."""
        if order.customer is None and self.settings.guest_customer:
            return self.settings.guest_customer
        contact = build.contact(order)
        key = (contact.email or f"order:{order.id}").casefold()
        known = ledger.held(self.id, self.channel, "contact", [key]).get(key)
        if known:
            return known
        body = mapping.customer(contact)
        try:
            customer_id = str(self._write("Customer", body, f"customer:{key}")["Id"])
        except PermanentError as e:
            if f"({DUPLICATE_NAME})" not in e.message:
                raise
            found = self.client.customer_named(body["DisplayName"])  # made outside our ledger
            if found is None:
                raise
            customer_id = str(found["Id"])
        ledger.hold(self.id, self.channel, "contact", {key: customer_id})
        return customer_id

    def _checked(
        self, entity: str, body: dict[str, Any], source_id: str, total: Decimal
    ) -> dict[str, Any]:
        """Write a sales document, then check QuickBooks' recalculated total against Saleor's.

        Our rounding line already covers QuickBooks' per-line rounding; a total that still
        differs means a tax code whose rate is not Saleor's rate. The document is then
        updated once with an untaxed adjustment line, so the ledger still agrees with the
        shop, and the line says why (the merchant should fix the tax code mapping).
        """
        return self._adjust(entity, body, self._write(entity, body, source_id), source_id, total)

    def _adjust(
        self,
        entity: str,
        body: dict[str, Any],
        answer: dict[str, Any],
        source_id: str,
        total: Decimal,
    ) -> dict[str, Any]:
        difference = total - Decimal(str(answer.get("TotalAmt", total)))
        if not difference:
            return answer
        currency = str(body["CurrencyRef"]["value"])
        fixed = mapping.adjusted(body, difference, currency, self.settings)
        fixed.update(Id=answer["Id"], SyncToken=answer.get("SyncToken", "0"))
        return self._write(entity, fixed, f"{source_id}:adjusted")

    def _write(self, entity: str, body: Any, source_id: str, **params: str) -> dict[str, Any]:
        rid = request_id(self.realm(), self.channel, source_id, body)
        return self.client.create(entity, body, rid, **params)

    # -- backlogs ---------------------------------------------------------------------------
    def book_many(self, orders: Sequence[s.Order]) -> dict[str, str]:
        """Many paid orders at once (a backfill): customers, then sales receipts, 30 a request.

        Returns the orders QuickBooks refused, with its message; every other one is in the
        ledger. Each batch carries a ``requestid`` over its content and our own ``bId`` s,
        so a batch whose answer was lost is answered again, never applied twice. Orders a
        sales receipt cannot carry (invoice mode, several gateways) are booked one by one.
        """
        held = ledger.held(self.id, self.channel, "invoice", [o.id for o in orders])
        receipts, single = [], []
        for o in orders:
            if o.id in held:
                continue
            gateway = (
                self._receipt_gateway(o)
                if self.settings.sale_document is SaleDocument.SALES_RECEIPT
                else None
            )
            if gateway:
                receipts.append((o, gateway))
            else:
                single.append(o)
        refused = self._customers([o for o, _ in receipts])
        for start in range(0, len(receipts), BATCH_SIZE):
            chunk = [(o, g) for o, g in receipts[start : start + BATCH_SIZE] if o.id not in refused]
            items, docs = [], {}
            for n, (o, gateway) in enumerate(chunk):
                doc = build.invoice(o, separate_discounts=self.settings.separate_discounts)
                body = mapping.sales_receipt(doc, self.settings, self._customer(o), gateway)
                items.append((str(n), "SalesReceipt", body))
                docs[str(n)] = (o, doc, body)
            if not items:
                continue
            rid = request_id(self.realm(), self.channel, "batch", [b for _, _, b in items])
            answers = self.client.batch(items, rid)
            for bid, (o, doc, body) in docs.items():
                obj, error = answers.get(bid, (None, "QuickBooks did not answer this item"))
                if obj is None:
                    refused[o.id] = error
                    continue
                obj = self._adjust("SalesReceipt", body, obj, doc.source_id, doc.total)
                value = f"SalesReceipt|{obj['Id']}|{obj.get('SyncToken', '0')}"
                ledger.hold(self.id, self.channel, "invoice", {o.id: value})
        for o in single:
            try:
                self._sale(o)
            except PermanentError as e:
                refused[o.id] = e.message
        return refused

    def _customers(self, orders: Sequence[s.Order]) -> dict[str, str]:
        """Create the customers ``orders`` need and our ledger lacks, in batches."""
        wanted: dict[str, dict[str, Any]] = {}
        by_key: dict[str, list[str]] = {}
        for o in orders:
            if o.customer is None and self.settings.guest_customer:
                continue
            key = (o.email or f"order:{o.id}").casefold()
            wanted.setdefault(key, mapping.customer(build.contact(o)))
            by_key.setdefault(key, []).append(o.id)
        known = ledger.held(self.id, self.channel, "contact", list(wanted))
        missing = [k for k in wanted if k not in known]
        refused: dict[str, str] = {}
        for start in range(0, len(missing), BATCH_SIZE):
            keys = missing[start : start + BATCH_SIZE]
            items = [(str(n), "Customer", wanted[k]) for n, k in enumerate(keys)]
            rid = request_id(self.realm(), self.channel, "customers", [b for _, _, b in items])
            answers = self.client.batch(items, rid)
            for n, key in enumerate(keys):
                obj, error = answers.get(str(n), (None, "QuickBooks did not answer this item"))
                if obj is None and f"({DUPLICATE_NAME})" in error:
                    obj = self.client.customer_named(wanted[key]["DisplayName"])
                if obj is None:
                    refused.update(dict.fromkeys(by_key[key], error))
                    continue
                ledger.hold(self.id, self.channel, "contact", {key: str(obj["Id"])})
        return refused

    # -- daily summary (accounting/summary.py) -----------------------------------------------
    def book_summary(self, invoice: Invoice) -> str:
        body = mapping.invoice(invoice, self.settings, self.settings.summary_customer)
        return str(self._checked("Invoice", body, invoice.source_id, invoice.total)["Id"])

    def book_summary_payment(self, payment: Payment) -> str:
        invoice_id = summary.summary_document(self, payment.invoice_source_id)
        if invoice_id is None:
            raise TransientError(
                f"waiting for the summary invoice {payment.invoice_source_id}",
                provider="quickbooks",
            )
        customer = self.settings.summary_customer
        body = mapping.payment(payment, self.settings, customer, invoice_id)
        return str(self._write("Payment", body, payment.source_id)["Id"])

    def book_summary_refund(self, note: CreditNote) -> str:
        receipt = (
            self.settings.refund_document is RefundDocument.REFUND_RECEIPT
            and note.refund_account_key != summary.CREDIT_ONLY
        )
        entity = "RefundReceipt" if receipt else "CreditMemo"
        body = mapping.refund(note, self.settings, self.settings.summary_customer, receipt=receipt)
        return str(self._checked(entity, body, note.source_id, note.total)["Id"])

    # -- dashboard ---------------------------------------------------------------------------
    def check_settings(self, timeout: float) -> dict[str, str]:
        return {}


def complete(
    settings: QuickBooksSettings, channel: str, query: Any, redirect_uri: str
) -> Connection:
    """Trade the callback's code for tokens and keep the company Intuit named (realmId)."""
    conn = oauth.complete(
        provider(settings),
        QuickBooksIntegration.id,
        channel,
        state=query.get("state", ""),
        code=query.get("code", ""),
        redirect_uri=redirect_uri,
    )
    realm = str(query.get("realmId", ""))
    conn.tenant_id, conn.tenant_name = realm, f"QuickBooks company {realm}"
    conn.tenants = [{"id": realm, "name": conn.tenant_name}]
    conn.save(update_fields=["tenant_id", "tenant_name", "tenants"])
    return conn


def connection_status(channel: str, *, using: str = "default") -> str:
    return oauth.describe(INTEGRATION, channel, using=using)


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [QuickBooksIntegration]
