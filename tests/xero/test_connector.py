"""Xero: each order booked once, to the cent, through the kernel and the real SDK."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from saleor_plugins.core import delivery, outbox
from saleor_plugins.core import snapshots as s
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Attempt, Connection, Job
from saleor_plugins.testing.providers.xero import CLIENT_SECRET, FakeXero, dp
from tests.accounting.orders import line, order

from .conftest import CHANNEL, XERO, config

pytestmark = pytest.mark.django_db


def paid(o: s.Order, gateway: str = "saleor_plugins.stripe") -> s.Order:
    pay = s.Payment("payment-1", gateway, "pi_1", o.total_gross, created_at=o.created_at)
    return replace(o, payments=(pay,), total_charged=o.total_gross)


def deliver(host: Any, o: s.Order, event: EventType, version: str = "") -> delivery.Result:
    host.orders[o.id] = o
    (job_id,) = outbox.emit(event, o.id, [(XERO, CHANNEL)], version=version) or [
        Job.objects.filter(object_id=o.id, event=event.value).latest("id").id
    ]
    Job.objects.filter(id=job_id).update(status="pending", not_before=datetime.now(UTC))
    return delivery.deliver(job_id)


def documents(fake: FakeXero, kind: str) -> list[dict[str, Any]]:
    return list(fake.state.documents[kind].values())


def booked_total(doc: dict[str, Any]) -> Decimal:
    return dp(doc["Total"])


def mixed() -> s.Order:
    return order(
        [line(1, "0.99", 3, "0.23", "EUR"), line(2, "19.99", 1, "0", "EUR", product_type="Shirts")],
        "EUR",
        shipping="4.99",
        shipping_rate="0.23",
    )


def test_a_paid_order_is_one_invoice_and_one_payment_to_the_cent(
    connected: FakeXero, host: Any
) -> None:
    o = paid(mixed())
    assert deliver(host, o, EventType.ORDER_CREATED).outcome == "succeeded"
    assert documents(connected, "Invoices") == []  # invoice_on = paid
    result = deliver(host, o, EventType.ORDER_PAID, "1")
    assert result.outcome == "succeeded", result.error
    (invoice,) = documents(connected, "Invoices")
    assert booked_total(invoice) == o.total_gross.amount
    assert invoice["InvoiceNumber"] == o.number and invoice["CurrencyCode"] == "EUR"
    codes = [(li["AccountCode"], li["TaxType"]) for li in invoice["LineItems"]]
    assert codes[:3] == [("200", "OUTPUT2"), ("210", "EXEMPTOUTPUT"), ("260", "OUTPUT2")]
    (payment,) = documents(connected, "Payments")
    assert dp(payment["Amount"]) == o.total_gross.amount
    assert payment["Account"]["Code"] == "091"  # the Stripe clearing account


def test_retries_replays_and_re_emits_book_nothing_twice(connected: FakeXero, host: Any) -> None:
    o = paid(mixed())
    deliver(host, o, EventType.ORDER_PAID, "1")
    writes = len(connected.state.requests)
    deliver(host, o, EventType.ORDER_PAID, "2")  # another paid event for the same order
    deliver(host, o, EventType.ORDER_PAID, "1")  # the same job replayed (dead -> pending)
    assert len(documents(connected, "Invoices")) == 1
    assert len(documents(connected, "Payments")) == 1
    assert len(connected.state.requests) == writes  # the ledger answered: not even a call


def test_an_answer_lost_after_xero_applied_it_is_replayed_not_duplicated(
    connected: FakeXero, host: Any
) -> None:
    o = paid(mixed())
    connected.state.drop_next_answer = True
    assert deliver(host, o, EventType.ORDER_PAID, "1").outcome == "retry"
    assert len(documents(connected, "Invoices")) == 1  # Xero has it; we do not know yet
    job = Job.objects.get(object_id=o.id, event="order_paid")
    Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))
    assert delivery.deliver(job.id).outcome == "succeeded"
    assert len(documents(connected, "Invoices")) == 1  # same Idempotency-Key: replayed
    assert len(documents(connected, "Payments")) == 1


@pytest.mark.parametrize("currency", ["JPY", "KWD", "EUR"])
def test_zero_and_three_decimal_currencies_book_saleors_total(
    connected: FakeXero, host: Any, currency: str
) -> None:
    o = paid(
        order(
            [line(1, "1999" if currency == "JPY" else "3.333", 3, "0.1", currency)],
            currency,
            shipping="500" if currency == "JPY" else "1.250",
            shipping_rate="0.1",
        )
    )
    assert deliver(host, o, EventType.ORDER_PAID, "1").outcome == "succeeded"
    (invoice,) = documents(connected, "Invoices")
    # the fake computes like Xero (2-decimal lines); our rounding line closes any gap
    assert booked_total(invoice) == dp(o.total_gross.amount)


def test_partial_refunds_are_credit_notes_with_their_lines(connected: FakeXero, host: Any) -> None:
    o = paid(mixed())
    deliver(host, o, EventType.ORDER_PAID, "1")
    first = s.Refund(
        "refund-1",
        s.Money(Decimal("2.97"), "EUR"),
        lines=(s.RefundLine("line-1", 3),),
        gateway="saleor_plugins.stripe",
    )
    o = replace(o, refunds=(first,), total_refunded=s.Money(Decimal("2.97"), "EUR"))
    assert deliver(host, o, EventType.ORDER_REFUNDED, "1").outcome == "succeeded"
    second = s.Refund("refund-2", s.Money(Decimal("5.00"), "EUR"), gateway="saleor_plugins.stripe")
    o = replace(o, refunds=(first, second))
    deliver(host, o, EventType.ORDER_REFUNDED, "2")
    deliver(host, o, EventType.ORDER_REFUNDED, "2")  # replayed
    notes = documents(connected, "CreditNotes")
    assert sorted(booked_total(n) for n in notes) == [Decimal("2.97"), Decimal("5.00")]
    assert notes[0]["LineItems"][0]["Description"] == "Product 1"
    refunds = [p for p in documents(connected, "Payments") if p.get("CreditNote")]
    assert sorted(dp(p["Amount"]) for p in refunds) == [Decimal("2.97"), Decimal("5.00")]


def test_cancelled_before_payment_voids_after_payment_credits(
    connected: FakeXero, host: Any, settings: Any
) -> None:
    host.configs[CHANNEL] = (True, config(invoice_on="created"))
    unpaid = mixed()
    deliver(host, unpaid, EventType.ORDER_CREATED)
    deliver(host, unpaid, EventType.ORDER_CANCELLED)
    (invoice,) = documents(connected, "Invoices")
    assert invoice["Status"] == "VOIDED"
    o = paid(replace(mixed(), id="order-2", number="1002"))
    deliver(host, o, EventType.ORDER_CREATED)
    deliver(host, o, EventType.ORDER_PAID, "1")
    deliver(host, o, EventType.ORDER_CANCELLED)
    (note,) = documents(connected, "CreditNotes")
    assert booked_total(note) == o.total_gross.amount


def test_a_missing_mapping_pauses_the_channel_and_names_the_field(
    connected: FakeXero, host: Any
) -> None:
    o = paid(order([line(1, "50", 1, "0", "EUR", gift_card=True)], "EUR"))
    host.configs[CHANNEL] = (True, config(gift_card_account=""))
    result = deliver(host, o, EventType.ORDER_PAID, "1")
    assert result.outcome == "circuit" and "gift card liability account" in result.error
    assert documents(connected, "Invoices") == []


def test_xeros_validation_message_dead_letters_the_job(connected: FakeXero, host: Any) -> None:
    deliver(host, paid(mixed()), EventType.ORDER_PAID, "1")
    duplicate = replace(paid(mixed()), id="order-9")  # same number as an invoice Xero has
    result = deliver(host, duplicate, EventType.ORDER_PAID, "1")
    assert result.outcome == "dead" and "must be unique" in result.error


def test_429_waits_as_told_and_the_daily_quota_waits_for_tomorrow(
    connected: FakeXero, host: Any
) -> None:
    connected.state.faults.append(
        ("/Invoices", 429, {"Retry-After": "17", "X-Rate-Limit-Problem": "minute"})
    )
    result = deliver(host, paid(mixed()), EventType.ORDER_PAID, "1")
    assert (result.outcome, result.retry_after) == ("retry", 17.0)
    connected.state.day_remaining = 0
    result = deliver(
        host, paid(replace(mixed(), id="order-3", number="1003")), EventType.ORDER_PAID, "1"
    )
    assert result.outcome == "retry" and result.retry_after is not None and result.retry_after > 60


def test_a_revoked_connection_opens_one_circuit_and_resumes_after_reconnect(
    connected: FakeXero, host: Any
) -> None:
    connected.expire_access_tokens()
    connected.state.refresh.clear()  # disconnected in Xero
    Connection.objects.filter(channel=CHANNEL).update(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    o = paid(mixed())
    result = deliver(host, o, EventType.ORDER_PAID, "1")
    assert result.outcome == "circuit" and "reconnect" in result.error
    assert Job.objects.get(object_id=o.id).status == "pending"  # waits, nothing lost
    assert documents(connected, "Invoices") == []


def test_imported_orders_are_not_booked_unless_backfilled(connected: FakeXero, host: Any) -> None:
    o = replace(paid(mixed()), origin="bulk_create")
    assert deliver(host, o, EventType.ORDER_PAID, "1").outcome == "succeeded"
    assert documents(connected, "Invoices") == []
    assert "imported" in Attempt.objects.latest("id").detail


def test_no_secret_in_the_sync_log(connected: FakeXero, host: Any) -> None:
    connected.state.faults.append(("/Invoices", 500, {}))
    deliver(host, paid(mixed()), EventType.ORDER_PAID, "1")
    text = " ".join(f"{a.error} {a.detail}" for a in Attempt.objects.all())
    tokens = [*connected.state.access, *connected.state.refresh, CLIENT_SECRET]
    assert text and not [t for t in tokens if t in text]


def test_the_period_report_finds_what_is_missing_and_what_differs(
    connected: FakeXero, host: Any
) -> None:
    from datetime import date

    from saleor_plugins.core import ledger
    from saleor_plugins.xero.connector import XeroIntegration
    from saleor_plugins.xero.settings import XeroSettings

    booked = paid(mixed())
    missing = paid(replace(mixed(), id="order-2", number="1002"))
    unpaid = replace(mixed(), id="order-3", number="1003", charge_status="none")
    deliver(host, booked, EventType.ORDER_PAID, "1")
    host.orders.update({missing.id: missing, unpaid.id: unpaid})
    xero = XeroIntegration(XeroSettings.parse(config()), channel=CHANNEL, host=host())
    report = xero.reconcile_period(date(2026, 11, 1), date(2026, 11, 30))
    assert "missing: 1002" in report and "1003" not in report  # unpaid: not due yet
    ledger.hold(XERO, CHANNEL, "invoice", {booked.id: "x"}, amounts={booked.id: Decimal("1.00")})
    report = xero.reconcile_period(date(2026, 11, 1), date(2026, 11, 30))
    assert f"order 1001: Saleor {booked.total_gross.amount}, booked 1.0000" in report
    deliver(host, missing, EventType.ORDER_PAID, "1")
    ledger.hold(
        XERO, CHANNEL, "invoice", {booked.id: "x"}, amounts={booked.id: booked.total_gross.amount}
    )
    assert xero.reconcile_period(date(2026, 11, 1), date(2026, 11, 30)).endswith("to the cent.")


def test_a_backfill_books_a_date_range_once_imported_orders_included(
    connected: FakeXero, host: Any
) -> None:
    from saleor_plugins.xero.connector import XeroIntegration
    from saleor_plugins.xero.settings import XeroSettings

    inside = replace(paid(mixed()), origin="bulk_create")
    outside = replace(
        paid(mixed()), id="order-old", number="900", created_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    host.orders.update({inside.id: inside, outside.id: outside})
    xero = XeroIntegration(XeroSettings.parse(config()), channel=CHANNEL, host=host())
    options = {"extra": {"since": "2026-11-01", "until": "2026-11-30"}, "batch_size": 10}
    assert "1 to book, 1 job(s) emitted" in xero.backfill((), options)
    assert "1 to book, 0 job(s) emitted" in xero.backfill((), options)  # run twice: nothing new
    (job,) = Job.objects.filter(integration=XERO)
    assert delivery.deliver(job.id).outcome == "succeeded"
    (invoice,) = documents(connected, "Invoices")
    assert invoice["InvoiceNumber"] == inside.number
