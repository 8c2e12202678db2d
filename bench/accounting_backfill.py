"""Accounting backfill benchmark: 10,000 orders into Xero and into QuickBooks, side by side.

Figures printed, nothing asserted. For each provider:

1. *measured*: a sample of ``--sample`` random orders (several currencies and tax rates,
   one shopper in three a returning one) is booked through the real connector and SDK
   against the local fake; the requests it made per order are counted;
2. *one request per document*: that count scaled to ``--orders``, run through a
   simulation of the provider's limits (per second, per minute, per day, concurrent
   requests) with ``--latency`` seconds per round trip and as many workers as the
   provider allows concurrent requests;
3. *batched*: each provider's backlog path (``book_many``, what the workers call for
   sale jobs claimed together after a backfill) measured on the same sample against the
   same fake and scaled: Xero's arrays of 50 invoices, then 50 payments, per PUT
   (``summarizeErrors=false``); QuickBooks' customers, then sales receipts, 30 operations
   a batch request, 40 batch requests a minute.

Run: .venv/bin/python bench/accounting_backfill.py [--orders 10000 --sample 200]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
from collections import deque
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django
import psycopg

import tests.settings as test_settings

DB_NAME = os.environ.get("BENCH_DB_NAME", "saleor_plugins_bench_accounting")
test_settings.DATABASES["default"]["NAME"] = DB_NAME
test_settings.LOGGING["loggers"]["saleor_plugins"]["level"] = "ERROR"  # type: ignore[index]
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from saleor_plugins.core import oauth  # noqa: E402
from saleor_plugins.core import snapshots as s  # noqa: E402
from saleor_plugins.core.events import EventType  # noqa: E402
from saleor_plugins.core.integration import JobContext  # noqa: E402
from saleor_plugins.core.models import Connection, Held  # noqa: E402
from saleor_plugins.quickbooks import client as qb_client  # noqa: E402
from saleor_plugins.quickbooks.connector import QuickBooksIntegration, complete  # noqa: E402
from saleor_plugins.quickbooks.settings import QuickBooksSettings  # noqa: E402
from saleor_plugins.testing.providers import quickbooks as fake_quickbooks  # noqa: E402
from saleor_plugins.testing.providers.xero import TENANT, FakeXero  # noqa: E402
from saleor_plugins.xero import client as xero_client  # noqa: E402
from saleor_plugins.xero.connector import XeroIntegration  # noqa: E402
from saleor_plugins.xero.settings import XeroSettings  # noqa: E402
from tests.accounting.orders import RATES, random_order  # noqa: E402
from tests.quickbooks import conftest as qb_tests  # noqa: E402
from tests.xero import conftest as xero_tests  # noqa: E402

CHANNEL = "default-channel"
REDIRECT = "https://shop.example.com/callback"


@dataclass(frozen=True)
class Limits:
    per_second: int | None
    per_minute: int
    concurrency: int
    per_day: int | None = None


XERO = Limits(per_second=None, per_minute=60, concurrency=5, per_day=5000)
QUICKBOOKS = Limits(per_second=10, per_minute=500, concurrency=10)
QUICKBOOKS_BATCH = Limits(per_second=10, per_minute=40, concurrency=10)


def simulate(requests: int, limits: Limits, latency: float) -> float:
    """Seconds until the last of ``requests`` answers, each starting as soon as allowed."""
    slots = [0.0] * limits.concurrency  # when each concurrent slot is free again
    windows = [(1.0, limits.per_second), (60.0, limits.per_minute), (86400.0, limits.per_day)]
    started: list[deque[float]] = [deque() for _ in windows]
    end = 0.0
    for _ in range(requests):
        slot = min(range(len(slots)), key=slots.__getitem__)
        at = slots[slot]
        for (span, cap), seen in zip(windows, started, strict=True):
            if cap is None:
                continue
            while seen and seen[0] <= at - span:
                seen.popleft()
            if len(seen) >= cap:  # wait until the oldest start in the window leaves it
                at = seen[len(seen) - cap] + span
        for (_, cap), seen in zip(windows, started, strict=True):
            if cap is not None:
                seen.append(at)
        slots[slot] = at + latency
        end = max(end, at + latency)
    return end


def human(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min"


class Host:
    def __init__(self) -> None:
        self.orders: dict[str, s.Order] = {}

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        return self.orders.get(object_id)


def sample_orders(count: int, seed: int = 7) -> list[s.Order]:
    rng = random.Random(seed)
    found = []
    for n in range(count):
        o = random_order(rng, rng.choice(["EUR", "EUR", "USD", "JPY", "KWD"]), 5000 + n)
        shopper = rng.randint(0, count // 3) if rng.random() < 1 / 3 else count + n
        pay = s.Payment(f"pay-{n}", "saleor_plugins.stripe", f"pi_{n}", o.total_gross)
        found.append(
            replace(o, email=f"shopper{shopper}@example.com", payments=(pay,), currency=o.currency)
        )
    return found


def book(integration: Any, host: Host, orders: list[s.Order]) -> None:
    for n, o in enumerate(orders):
        host.orders[o.id] = o
        job = JobContext(
            n, integration.id, CHANNEL, EventType.ORDER_PAID, "order", o.id, {}, 1, f"k{n}"
        )
        integration.on_order_paid(job)


def xero_sample(orders: list[s.Order], *, batched: bool = False) -> tuple[int, int]:
    """(requests, documents) to book ``orders`` in Xero, one by one or in arrays."""
    Held.objects.filter(integration=XeroIntegration.id).delete()
    Connection.objects.filter(integration=XeroIntegration.id).delete()
    with FakeXero() as fake:
        for name in ("API_URL", "LOGIN_URL", "IDENTITY_URL"):
            setattr(settings, f"SALEOR_PLUGINS_XERO_{name}", fake.url)
        cfg = XeroSettings.parse(xero_tests.config())
        p = xero_client.provider(cfg)
        code, state = fake.authorize(oauth.begin(p, XeroIntegration.id, CHANNEL, REDIRECT))
        oauth.complete(
            p, XeroIntegration.id, CHANNEL, state=state, code=code, redirect_uri=REDIRECT
        )
        Connection.objects.filter(integration=XeroIntegration.id).update(tenant_id=TENANT)
        before = len(fake.state.requests)
        host = Host()
        integration = XeroIntegration(cfg, channel=CHANNEL, host=host)  # type: ignore[arg-type]
        if batched:
            refused = integration.book_many(orders)
            assert not refused, refused
        else:
            book(integration, host, orders)
        requests = len(fake.state.requests) - before
        docs = sum(len(v) for k, v in fake.state.documents.items() if k != "Contacts")
    return requests, docs


def quickbooks_sample(orders: list[s.Order], *, batched: bool) -> tuple[int, int]:
    """(requests, documents) to book ``orders`` in QuickBooks, customers included."""
    Held.objects.filter(integration=QuickBooksIntegration.id).delete()
    codes = {f"{(Decimal(r) * 100).normalize():f}%": f"{10 + i}" for i, r in enumerate(RATES)}
    fake_quickbooks.TAX_CODES.update({v: Decimal(k[:-1]) / 100 for k, v in codes.items()})
    with fake_quickbooks.FakeQuickBooks() as fake:
        qb_tests.point_at(fake, settings)
        tax_map = "\n".join(f"{k} = {v}" for k, v in codes.items())
        cfg = QuickBooksSettings.parse(qb_tests.config(tax_map=tax_map))
        p = qb_client.provider(cfg)
        url = oauth.begin(p, QuickBooksIntegration.id, CHANNEL, REDIRECT)
        code, state, realm = fake.authorize(url)
        complete(cfg, CHANNEL, {"code": code, "state": state, "realmId": realm}, REDIRECT)
        host = Host()
        integration = QuickBooksIntegration(cfg, channel=CHANNEL, host=host)  # type: ignore[arg-type]
        if batched:
            host.orders.update({o.id: o for o in orders})
            refused = integration.book_many(orders)
            assert not refused, refused
        else:
            book(integration, host, orders)
        docs = sum(len(v) for v in fake.state.documents.values())
        return fake.writes(), docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            c.execute(f'CREATE DATABASE "{DB_NAME}"')
    call_command("migrate", verbosity=0)
    Held.objects.all().delete()
    Connection.objects.all().delete()
    orders = sample_orders(args.sample)
    scale = args.orders / args.sample
    print(f"backfill of {args.orders} paid orders, latency {args.latency}s per request")
    print(f"{'provider':<12}{'mode':<28}{'requests':>10}{'wall time':>14}")
    rows = []
    x_req, x_docs = xero_sample(orders)
    ledger_rows = Held.objects.count()
    per_doc = math.ceil(x_req * scale)
    rows.append(
        ("Xero", "one request per document", per_doc, simulate(per_doc, XERO, args.latency))
    )
    x_batches, x_batch_docs = xero_sample(orders, batched=True)
    assert x_batch_docs == x_docs, (x_batch_docs, x_docs)  # the same documents booked
    batched = math.ceil(x_batches * scale)
    rows.append(("Xero", "batched, 50 (measured)", batched, simulate(batched, XERO, args.latency)))
    q_req, _ = quickbooks_sample(orders, batched=False)
    qb_batches, _ = quickbooks_sample(orders, batched=True)
    per_doc = math.ceil(q_req * scale)
    rows.append(
        (
            "QuickBooks",
            "one request per document",
            per_doc,
            simulate(per_doc, QUICKBOOKS, args.latency),
        )
    )
    batched = math.ceil(qb_batches * scale)
    rows.append(
        (
            "QuickBooks",
            "batched, 30 (measured)",
            batched,
            simulate(batched, QUICKBOOKS_BATCH, args.latency),
        )
    )
    for name, mode, requests, seconds in rows:
        print(f"{name:<12}{mode:<28}{requests:>10}{human(seconds):>14}")
    xero_wall, qb_wall = rows[0][3], rows[2][3]
    print(
        f"measured on {args.sample} orders: Xero {x_req / args.sample:.2f} requests/order, "
        f"QuickBooks {q_req / args.sample:.2f} (customers included); "
        f"Xero ledger rows {ledger_rows}"
    )
    print(f"QuickBooks per-document backfill is {xero_wall / qb_wall:.0f}x faster than Xero's")
    print(
        f"batched vs one request per document: Xero {rows[0][2] / rows[1][2]:.0f}x fewer "
        f"requests ({rows[0][3] / rows[1][3]:.0f}x less wall time), QuickBooks "
        f"{rows[2][2] / rows[3][2]:.1f}x fewer ({rows[2][3] / rows[3][3]:.1f}x)"
    )


if __name__ == "__main__":
    main()
