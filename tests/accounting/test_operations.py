"""Operations every accounting provider shares: backfill in batches, reconcile, history.

``manage.py saleor_plugins_backfill`` emits a bulk job per order of a date range; the
workers claim the waiting sale jobs together and book them in the provider's batches
(Xero: arrays of 50 with ``summarizeErrors=false``; QuickBooks: batch requests of 30).
One order the provider refuses fails only its own job, with the provider's message.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from saleor_plugins.core import delivery
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Attempt, Job
from tests.accounting.conftest import CHANNEL, Provider
from tests.accounting.test_providers import deliver, mixed, paid

pytestmark = pytest.mark.django_db
DUPLICATE = "1007"


def orders(count: int, origin: str = "") -> list[Any]:
    found = []
    for n in range(1, count + 1):
        o = replace(paid(mixed()), id=f"order-{n}", number=str(1000 + n), email=f"s{n % 3}@x.io")
        found.append(replace(o, origin=origin) if origin else o)
    return found


def seed_duplicate(p: Provider, number: str) -> None:
    """A document with this number already at the provider (booked by hand, say)."""
    if p.name == "xero":
        p.fake.state.documents["Invoices"]["seeded"] = {
            "InvoiceID": "seeded", "InvoiceNumber": number, "Total": 0, "Status": "VOIDED",
        }  # fmt: skip
    else:
        p.fake.state.documents["SalesReceipt"]["1"] = {
            "Id": "1", "DocNumber": number, "TotalAmt": 0, "PrivateNote": "Voided",
        }  # fmt: skip


def run(command: str, *args: str) -> str:
    out = StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=StringIO())
    except SystemExit:
        pass
    return out.getvalue()


def deliver_all() -> dict[str, str]:
    for job in Job.objects.filter(status="pending").order_by("id"):
        delivery.deliver(job.id)  # a job already claimed with another is not claimable
    return dict(Job.objects.values_list("object_id", "status"))


def test_a_backfill_is_booked_in_batches_and_a_refused_order_fails_alone(
    provider: Provider,
) -> None:
    backlog = orders(40)
    provider.host.orders.update({o.id: o for o in backlog})
    seed_duplicate(provider, DUPLICATE)
    args = ("--integration", provider.integration, "--channel", CHANNEL, "--no-progress")
    assert "40 to book, 40 job(s) emitted" in run("saleor_plugins_backfill", *args)
    before = provider.writes()
    statuses = deliver_all()
    assert statuses.pop(f"order-{int(DUPLICATE) - 1000}") == "dead"
    assert set(statuses.values()) == {"succeeded"}
    refused = Attempt.objects.filter(outcome="dead").get()
    assert "must be unique" in refused.error or "Duplicate Document Number" in refused.error
    booked = sorted(provider.sales())
    assert booked == [backlog[0].total_gross.amount] * 39
    assert provider.received() == backlog[0].total_gross.amount * 39
    # 40 sales and 40 payments (or receipts) in a handful of requests, not 80
    assert provider.writes() - before <= 6
    assert "0 job(s) emitted" in run("saleor_plugins_backfill", *args)  # run again: nothing


def test_the_period_report_lists_what_is_missing_for_every_provider(provider: Provider) -> None:
    booked, missing = orders(2)
    deliver(provider, booked, EventType.ORDER_PAID, "1")
    provider.host.orders[missing.id] = missing
    args = ("--integration", provider.integration, "--channel", CHANNEL)
    period = ("--since", "2026-11-01", "--until", "2026-11-30")
    report = run("saleor_plugins_reconcile", *args, *period)
    assert f"missing: {missing.number}" in report and booked.number not in report
    deliver(provider, missing, EventType.ORDER_PAID, "1")
    assert run("saleor_plugins_reconcile", *args, *period).rstrip().endswith("to the cent.")


def test_imported_orders_book_nothing_unless_backfilled(provider: Provider) -> None:
    (imported,) = orders(1, origin="bulk_create")
    before = provider.writes()
    result = deliver(provider, imported, EventType.ORDER_PAID, "1")
    assert result.outcome == "succeeded" and "imported" in result.detail
    assert (provider.sales(), provider.writes()) == ([], before)
    args = ("--integration", provider.integration, "--channel", CHANNEL, "--no-progress")
    run("saleor_plugins_backfill", *args, "--option", "since=2026-11-30")
    deliver_all()
    assert provider.sales() == [imported.total_gross.amount]


def test_a_backfill_leaves_orders_outside_its_range(provider: Provider) -> None:
    old = replace(orders(1)[0], created_at=datetime(2025, 1, 1, tzinfo=UTC))
    provider.host.orders[old.id] = old
    args = ("--integration", provider.integration, "--channel", CHANNEL, "--no-progress")
    out = run("saleor_plugins_backfill", *args, "--option", f"since={date(2026, 1, 1)}")
    assert "0 to book" in out
    assert provider.sales() == [] and Decimal(0) == provider.received()
