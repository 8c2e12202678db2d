"""Daily summary mode, for every accounting provider: one sale per channel, day and currency.

The orders' own jobs make no provider call; the day's job (emitted once the day is over
in the channel's time zone) books the day's invoice per currency, a payment per gateway,
a credit note per gateway for the day's refunds: each total the sum of Saleor's orders to
the cent, each document once however often the job runs. A late order is never lost.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from saleor_plugins.accounting import summary
from saleor_plugins.core import delivery
from saleor_plugins.core import snapshots as s
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Job
from saleor_plugins.core.settings import SettingsErrors
from saleor_plugins.quickbooks.settings import QuickBooksSettings
from saleor_plugins.xero.settings import XeroSettings
from tests.accounting.conftest import CHANNEL, Provider
from tests.accounting.orders import line, order
from tests.accounting.test_providers import deliver, mixed, paid
from tests.quickbooks import conftest as qb
from tests.xero import conftest as xero

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SUMMARY_CUSTOMER = "58"


def summarise(p: Provider, **more: str) -> None:
    values = {"booking_mode": "daily_summary", **more}
    if p.name == "quickbooks":
        values["summary_customer"] = SUMMARY_CUSTOMER
        p.fake.state.documents["Customer"][SUMMARY_CUSTOMER] = {
            "Id": SUMMARY_CUSTOMER,
            "DisplayName": "Web shop",
        }
    p.host.configs[CHANNEL] = (True, p.config(**values))


def on(o: s.Order, n: int, when: datetime = DAY, **changes: Any) -> s.Order:
    return replace(o, id=f"order-{n}", number=str(1000 + n), created_at=when, **changes)


def book_days(p: Provider) -> list[delivery.Result]:
    """What the periodic task does, then the workers: every due day's job delivered."""
    summary.emit_due_for(_integration(p))
    results = []
    for job in Job.objects.filter(event="channel_sync", status="pending").order_by("id"):
        results.append(delivery.deliver(job.id))
    return results


def _integration(p: Provider) -> Any:
    from saleor_plugins.core.registry import get_integration

    return get_integration(p.integration)


def payments(p: Provider) -> list[Decimal]:
    if p.name == "xero":
        docs = p.fake.state.documents["Payments"].values()
        return sorted(Decimal(str(d["Amount"])) for d in docs if not d.get("CreditNote"))
    return sorted(Decimal(str(d["TotalAmt"])) for d in p.fake.docs("Payment"))


def sale_dates(p: Provider) -> list[str]:
    if p.name == "xero":  # the SDK sends "/Date(<ms since 1970>)/"
        stamps = [int(str(d["Date"])[6:-2]) for d in p.fake.state.documents["Invoices"].values()]
        return [datetime.fromtimestamp(ms / 1000, UTC).date().isoformat() for ms in stamps]
    return [str(d["TxnDate"]) for d in p.fake.docs("Invoice")]


def test_a_day_is_one_invoice_per_currency_and_a_payment_per_gateway(provider: Provider) -> None:
    summarise(provider)
    eur = [
        paid(on(mixed(), 1)),
        paid(on(mixed(), 2), gateway="saleor.payments.adyen"),
        paid(on(order([line(1, "3.33", 7, "0.07", "EUR")], "EUR"), 3)),
    ]
    usd = paid(on(order([line(1, "9.99", 3, "0.0825", "USD")], "USD", shipping="5"), 4))
    before = provider.writes()
    for o in [*eur, usd]:
        assert deliver(provider, o, EventType.ORDER_PAID, "1").outcome == "succeeded"
    assert provider.writes() == before  # the orders' jobs: no request at all
    (result,) = book_days(provider)
    assert result.outcome == "succeeded", result.error
    eur_total = sum((o.total_gross.amount for o in eur), Decimal(0))
    assert sorted(provider.sales()) == sorted([eur_total, usd.total_gross.amount])
    stripe = eur[0].total_gross.amount + eur[2].total_gross.amount
    assert payments(provider) == sorted([stripe, eur[1].total_gross.amount, usd.total_gross.amount])


def test_the_days_job_run_again_or_re_emitted_books_nothing_twice(provider: Provider) -> None:
    summarise(provider)
    deliver(provider, paid(on(mixed(), 1)), EventType.ORDER_PAID, "1")
    book_days(provider)
    writes = provider.writes()
    job = Job.objects.get(event="channel_sync")
    Job.objects.filter(id=job.id).update(status="pending", not_before=datetime.now(UTC))
    assert delivery.deliver(job.id).outcome == "succeeded"  # replayed
    assert book_days(provider) == []  # the periodic task again: the day is booked
    assert provider.writes() == writes
    assert len(provider.sales()) == 1


def test_a_lost_answer_is_replayed_by_the_provider_not_booked_twice(provider: Provider) -> None:
    summarise(provider)
    o = paid(on(mixed(), 1))
    deliver(provider, o, EventType.ORDER_PAID, "1")
    provider.fake.state.drop_next_answer = True
    (first,) = book_days(provider)
    assert first.outcome == "retry"
    job = Job.objects.get(event="channel_sync")
    Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))
    assert delivery.deliver(job.id).outcome == "succeeded"
    assert provider.sales() == [o.total_gross.amount]
    assert payments(provider) == [o.total_gross.amount]


def test_the_days_refunds_are_one_credit_per_gateway_to_the_cent(provider: Provider) -> None:
    summarise(provider)
    a, b = paid(on(mixed(), 1)), paid(on(mixed(), 2), gateway="saleor.payments.adyen")
    for o in (a, b):
        deliver(provider, o, EventType.ORDER_PAID, "1")
    lines = s.Refund(
        "r1", s.Money(Decimal("2.97"), "EUR"), lines=(s.RefundLine("line-1", 3),),
        gateway="saleor_plugins.stripe", created_at=DAY,
    )  # fmt: skip
    amount = s.Refund("r2", s.Money(Decimal("5.00"), "EUR"), gateway="saleor_plugins.stripe",
                      created_at=DAY)  # fmt: skip
    other = s.Refund(
        "r3", s.Money(Decimal("1.01"), "EUR"), gateway="saleor.payments.adyen", created_at=DAY
    )
    deliver(provider, replace(a, refunds=(lines, amount)), EventType.ORDER_REFUNDED, "1")
    deliver(provider, replace(b, refunds=(other,)), EventType.ORDER_REFUNDED, "1")
    assert all(r.outcome == "succeeded" for r in book_days(provider))
    assert provider.refunds() == [Decimal("1.01"), Decimal("7.97")]
    assert provider.sales() == [a.total_gross.amount + b.total_gross.amount]


def test_an_order_arriving_after_its_day_was_booked_goes_to_the_next_summary(
    provider: Provider,
) -> None:
    summarise(provider)
    first = paid(on(mixed(), 1))
    deliver(provider, first, EventType.ORDER_PAID, "1")
    book_days(provider)
    late = paid(on(mixed(), 2))  # of the same day, its job delivered after the day's summary
    result = deliver(provider, late, EventType.ORDER_PAID, "1")
    assert "summary of 2026-11-21" in result.detail
    assert all(r.outcome == "succeeded" for r in book_days(provider))
    assert provider.sales() == [first.total_gross.amount, late.total_gross.amount]
    report = _integration(provider)(
        _settings(provider), channel=CHANNEL, host=provider.host()
    ).reconcile_period(DAY.date(), DAY.date())
    assert report.endswith("to the cent.")  # both orders of the 20th are in the books


def test_the_day_closes_at_midnight_in_the_channels_time_zone(provider: Provider) -> None:
    summarise(provider, summary_timezone="Europe/Warsaw")
    late_evening = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # 00:30 on the 21st in Warsaw
    deliver(provider, paid(on(mixed(), 1, late_evening)), EventType.ORDER_PAID, "1")
    book_days(provider)
    (booked,) = sale_dates(provider)
    assert booked == "2026-11-21"


def test_a_day_not_over_yet_is_not_booked(provider: Provider) -> None:
    summarise(provider)
    deliver(provider, paid(on(mixed(), 1, datetime.now(UTC))), EventType.ORDER_PAID, "1")
    assert book_days(provider) == []
    assert provider.sales() == []


def _settings(p: Provider) -> Any:
    cls = XeroSettings if p.name == "xero" else QuickBooksSettings
    return cls.parse(p.host.configs[CHANNEL][1])


@pytest.mark.parametrize(
    ("cls", "config", "changes", "field"),
    [
        (XeroSettings, xero.config, {"invoice_on": "created"}, "invoice_on"),
        (XeroSettings, xero.config, {"summary_timezone": "Mars/Olympus"}, "summary_timezone"),
        (QuickBooksSettings, qb.config, {}, "summary_customer"),
    ],
)
def test_summary_settings_are_validated(cls: Any, config: Any, changes: Any, field: str) -> None:
    with pytest.raises(SettingsErrors) as caught:
        cls.parse(config(booking_mode="daily_summary", **changes))
    assert field in caught.value.errors


def test_a_cancelled_order_leaves_an_open_day_or_is_credited(provider: Provider) -> None:
    summarise(provider)
    unpaid = on(mixed(), 1, charge_status="none", total_charged=s.Money(Decimal(0), "EUR"))
    deliver(provider, unpaid, EventType.ORDER_PAID, "1")
    result = deliver(provider, replace(unpaid, status="canceled"), EventType.ORDER_CANCELLED)
    assert "taken out of the summary" in result.detail
    refunded = paid(on(mixed(), 2))
    deliver(provider, refunded, EventType.ORDER_PAID, "1")
    cancelled = replace(refunded, status="canceled", updated_at=DAY)
    assert deliver(provider, cancelled, EventType.ORDER_CANCELLED).outcome == "succeeded"
    assert all(r.outcome == "succeeded" for r in book_days(provider))
    assert provider.sales() == [refunded.total_gross.amount]  # the unpaid one is not in it
    assert provider.refunds() == [refunded.total_gross.amount]
