"""One accounting suite, every accounting provider: the same scenarios, the same promises.

Each provider (Xero, QuickBooks Online) runs against its local fake through the kernel's
delivery and its real SDK (the ``provider`` fixture, ``conftest.py``); the tests only
speak of sales, money received and refunds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from saleor_plugins.core import delivery, outbox
from saleor_plugins.core import snapshots as s
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Connection, Job
from saleor_plugins.testing.providers.xero import dp
from tests.accounting.conftest import CHANNEL, Provider
from tests.accounting.orders import line, order

pytestmark = pytest.mark.django_db


def deliver(p: Provider, o: s.Order, event: EventType, version: str = "") -> delivery.Result:
    p.host.orders[o.id] = o
    (job_id,) = outbox.emit(event, o.id, [(p.integration, CHANNEL)], version=version) or [
        Job.objects.filter(object_id=o.id, event=event.value).latest("id").id
    ]
    Job.objects.filter(id=job_id).update(status="pending", not_before=datetime.now(UTC))
    return delivery.deliver(job_id)


def paid(o: s.Order, gateway: str = "saleor_plugins.stripe") -> s.Order:
    pay = s.Payment("payment-1", gateway, "pi_1", o.total_gross, created_at=o.created_at)
    return replace(o, payments=(pay,), total_charged=o.total_gross)


def mixed(n: int = 1) -> s.Order:
    o = order(
        [line(1, "0.99", 3, "0.23", "EUR"), line(2, "19.99", 1, "0", "EUR", product_type="Shirts")],
        "EUR",
        shipping="4.99",
        shipping_rate="0.23",
    )
    return replace(o, id=f"order-{n}", number=str(1000 + n)) if n != 1 else o


def test_a_paid_order_is_one_sale_and_its_money_to_the_cent(provider: Provider) -> None:
    o = paid(mixed())
    assert deliver(provider, o, EventType.ORDER_CREATED).outcome == "succeeded"
    assert provider.sales() == []  # booked when paid (the default)
    result = deliver(provider, o, EventType.ORDER_PAID, "1")
    assert result.outcome == "succeeded", result.error
    assert provider.sales() == [o.total_gross.amount]
    assert provider.received() == o.total_gross.amount


def test_retries_replays_and_re_emits_book_nothing_twice(provider: Provider) -> None:
    o = paid(mixed())
    deliver(provider, o, EventType.ORDER_PAID, "1")
    writes = provider.writes()
    deliver(provider, o, EventType.ORDER_PAID, "2")  # another paid event for the same order
    deliver(provider, o, EventType.ORDER_PAID, "1")  # the same job replayed
    assert provider.sales() == [o.total_gross.amount]
    assert provider.received() == o.total_gross.amount
    assert provider.writes() == writes  # our ledger answered: not even a call


def test_an_answer_lost_after_the_provider_applied_it_is_not_booked_twice(
    provider: Provider,
) -> None:
    o = paid(mixed())
    provider.fake.state.drop_next_answer = True
    assert deliver(provider, o, EventType.ORDER_PAID, "1").outcome == "retry"
    job = Job.objects.get(object_id=o.id, event="order_paid")
    Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))
    assert delivery.deliver(job.id).outcome == "succeeded"
    assert provider.sales() == [o.total_gross.amount]
    assert provider.received() == o.total_gross.amount


def test_a_later_capture_books_only_what_was_added(provider: Provider) -> None:
    o = mixed()
    part = s.Money(Decimal("10.00"), "EUR")
    first = replace(o, payments=(s.Payment("payment-1", "saleor_plugins.stripe", "pi_1", part),))
    assert deliver(provider, first, EventType.ORDER_PAID, "1").outcome == "succeeded"
    assert provider.received() == Decimal("10.00")
    full = paid(o)  # the same payment, now captured in full
    assert deliver(provider, full, EventType.ORDER_PAID, "2").outcome == "succeeded"
    deliver(provider, full, EventType.ORDER_PAID, "2")  # replayed
    assert provider.sales() == [o.total_gross.amount]
    assert provider.received() == o.total_gross.amount


def test_partial_refunds_are_booked_once_each(provider: Provider) -> None:
    o = paid(mixed())
    deliver(provider, o, EventType.ORDER_PAID, "1")
    first = s.Refund(
        "refund-1",
        s.Money(Decimal("2.97"), "EUR"),
        lines=(s.RefundLine("line-1", 3),),
        gateway="saleor_plugins.stripe",
    )
    o = replace(o, refunds=(first,), total_refunded=s.Money(Decimal("2.97"), "EUR"))
    assert deliver(provider, o, EventType.ORDER_REFUNDED, "1").outcome == "succeeded"
    second = s.Refund("refund-2", s.Money(Decimal("5.00"), "EUR"), gateway="saleor_plugins.stripe")
    o = replace(o, refunds=(first, second))
    deliver(provider, o, EventType.ORDER_REFUNDED, "2")
    deliver(provider, o, EventType.ORDER_REFUNDED, "2")  # replayed
    assert provider.refunds() == [Decimal("2.97"), Decimal("5.00")]
    assert provider.sales() == [o.total_gross.amount]


def test_cancelled_before_payment_voids_after_payment_refunds(provider: Provider) -> None:
    provider.host.configs[CHANNEL] = (True, provider.config(**provider.invoice_on_created))
    unpaid = mixed()
    deliver(provider, unpaid, EventType.ORDER_CREATED)
    assert deliver(provider, unpaid, EventType.ORDER_CANCELLED).outcome == "succeeded"
    assert (provider.voided(), provider.sales()) == (1, [])
    o = paid(mixed(2))
    deliver(provider, o, EventType.ORDER_CREATED)
    deliver(provider, o, EventType.ORDER_PAID, "1")
    deliver(provider, o, EventType.ORDER_CANCELLED)
    assert provider.refunds() == [o.total_gross.amount]


def test_cancelled_before_anything_was_booked_books_nothing(provider: Provider) -> None:
    o, before = mixed(), provider.writes()
    assert deliver(provider, o, EventType.ORDER_CANCELLED).outcome == "succeeded"
    assert (provider.sales(), provider.voided(), provider.writes()) == ([], 0, before)


@pytest.mark.parametrize("currency", ["JPY", "KWD", "EUR"])
def test_zero_and_three_decimal_currencies_book_saleors_total(
    provider: Provider, currency: str
) -> None:
    o = paid(
        order(
            [line(1, "1999" if currency == "JPY" else "3.333", 3, "0.1", currency)],
            currency,
            shipping="500" if currency == "JPY" else "1.250",
            shipping_rate="0.1",
        )
    )
    result = deliver(provider, o, EventType.ORDER_PAID, "1")
    assert result.outcome == "succeeded", result.error
    places = 2 if provider.name == "xero" else {"JPY": 0, "KWD": 3, "EUR": 2}[currency]
    assert provider.sales() == [dp(o.total_gross.amount, places)]


def test_a_revoked_connection_opens_one_circuit_and_loses_nothing(provider: Provider) -> None:
    provider.fake.expire_access_tokens()
    provider.fake.state.refresh.clear()  # the merchant disconnected the app at the provider
    Connection.objects.filter(channel=CHANNEL).update(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    o = paid(mixed())
    result = deliver(provider, o, EventType.ORDER_PAID, "1")
    assert result.outcome == "circuit" and "reconnect" in result.error
    assert Job.objects.get(object_id=o.id).status == "pending"  # waits, nothing lost
    assert Connection.objects.get(channel=CHANNEL).status == "reconnect"
    assert provider.sales() == []
