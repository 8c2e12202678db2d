"""Mailchimp backfill benchmark (figures printed, nothing asserted).

A channel of 120,000 orders and 20,000 products (two variants each) is backfilled against
the local fake Mailchimp, through the real SDK, in two ways in the same run:

1. batch operations (the plugin's backfill: ``POST /batches`` with 500 operations each);
2. one job per object, through the same handlers live events use (``on_product_upserted``,
   ``on_order_created``). This path is run on a sample (``--sample`` objects of each kind)
   and its request count is scaled to the full size: labelled "extrapolated".

Simulated wall time = HTTP requests x ``--latency`` (default 0.3 s, a typical Mailchimp
round trip), divided by the 10 connections Mailchimp allows per account where requests can
run in parallel (one job per object, with 10 workers). Batches are submitted one after the
other (a single backfill process). Mailchimp's own asynchronous processing of the queued
operations happens on its side and is not in these figures. Local seconds are what this
machine spent (mapping, JSON, the fake), for scale only.

It also plays a store's day of live events (``tests/mailchimp/scenario.py``: products,
carts, orders and their status changes, customers, vouchers) and prints how many of the
calls Mailchimp answered with an error (4xx/5xx).

Run: ./run bench mailchimp_backfill [--orders 120000 --products 20000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django
import psycopg

import tests.settings as test_settings

DB_NAME = "saleor_plugins_bench_mailchimp"
if "saleor_plugins.mailchimp" not in test_settings.INSTALLED_APPS:
    test_settings.INSTALLED_APPS = [*test_settings.INSTALLED_APPS, "saleor_plugins.mailchimp"]
test_settings.DATABASES["default"]["NAME"] = DB_NAME
test_settings.LOGGING["loggers"]["saleor_plugins"]["level"] = "ERROR"  # type: ignore[index]
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from saleor_plugins.core.events import EventType  # noqa: E402
from saleor_plugins.core.integration import JobContext  # noqa: E402
from saleor_plugins.core.models import Held  # noqa: E402
from saleor_plugins.mailchimp import backfill as backfill_module  # noqa: E402
from saleor_plugins.mailchimp import connector  # noqa: E402
from saleor_plugins.mailchimp.backfill import Backfill  # noqa: E402
from saleor_plugins.mailchimp.models import BackfillBatch, BackfillCursor  # noqa: E402
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp  # noqa: E402
from tests.mailchimp.conftest import (  # noqa: E402
    API_KEY,
    CHANNEL,
    MemoryHost,
    config,
    integration,
    order,
    product,
)

CONCURRENCY = 10  # Mailchimp's connections per account


class SyntheticHost(MemoryHost):
    """Builds snapshots on demand instead of holding 140,000 of them."""

    def __init__(self, orders: int, products: int) -> None:
        super().__init__()
        self.n_orders, self.n_products = orders, products
        self.configs[CHANNEL] = (True, config())
        self.channels[CHANNEL] = type("Channel", (), {"name": "Bench", "currency_code": "USD"})()

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        if object_type == "product":
            return product(object_id, variants=2)
        if object_type == "order":
            i = int(object_id[1:])
            consent = {"marketing_consent": "true"} if i % 4 == 0 else {}
            return order(
                object_id,
                email=f"buyer{i % 50000}@example.com",
                pid=f"p{i % self.n_products}",
                metadata=consent,
            )
        return super().read(object_type, object_id, channel)

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        if object_type == "product":
            yield from (f"p{i}" for i in range(self.n_products))
        elif object_type == "order":
            yield from (f"o{i}" for i in range(self.n_orders))

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        for object_id in self.iter_ids(object_type, channel):
            yield self.read(object_type, object_id, channel)


def prepare_database() -> None:
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            c.execute(f'CREATE DATABASE "{DB_NAME}"')
    call_command("migrate", verbosity=0)
    BackfillBatch.objects.all().delete()
    BackfillCursor.objects.all().delete()
    forget_the_store()


def forget_the_store() -> None:
    """A new fake Mailchimp holds nothing: neither does the ledger, nor this process."""
    Held.objects.filter(integration=connector.MailchimpIntegration.id).delete()
    connector._known_stores.clear()


def batch_run(host: SyntheticHost, fake: FakeMailchimp) -> dict[str, float]:
    mc = integration(host, sync="products, orders, customers")
    backfill_module.get_host = lambda: host  # type: ignore[assignment]
    polls = 0

    def mailchimp_runs_batches(_: float) -> None:
        nonlocal polls
        polls += 1
        fake.run_batches()

    started = time.perf_counter()
    summary = Backfill(mc, batch_size=500, poll_interval=0, sleep=mailchimp_runs_batches).run()
    local = time.perf_counter() - started
    assert summary.finished
    return {
        "requests": fake.state.requests,
        "local": local,
        "objects": sum(summary.sent.values()),
        "errored": summary.errored,
        "batches": summary.batches,
        "operations": sum(BackfillBatch.objects.values_list("operations", flat=True)),
    }


def per_object_sample(host: SyntheticHost, fake: FakeMailchimp, sample: int) -> dict[str, float]:
    mc = integration(host, sync="products, orders, customers")
    before = fake.state.requests
    started = time.perf_counter()
    for i in range(sample):
        for event, object_id in (
            (EventType.PRODUCT_UPSERTED, f"p{i}"),
            (EventType.ORDER_CREATED, f"o{i}"),
        ):
            mc.handle(
                JobContext(
                    0, mc.id, CHANNEL, event, event.object_type.value, object_id, {}, 1, "bench"
                )
            )
    return {"requests": fake.state.requests - before, "local": time.perf_counter() - started}


def live_day(host: SyntheticHost, fake: FakeMailchimp) -> Any:
    from tests.mailchimp import scenario

    day = MemoryHost()
    day.configs, day.channels = host.configs, host.channels
    return scenario.run(integration(day), day, fake, size=100)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=120_000)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    prepare_database()
    host = SyntheticHost(args.orders, args.products)
    objects = args.orders + args.products
    latency = args.latency

    with FakeMailchimp(API_KEY) as fake:
        settings.SALEOR_PLUGINS_MAILCHIMP_API_URL = fake.api_url
        batch = batch_run(host, fake)
    forget_the_store()
    with FakeMailchimp(API_KEY) as fake:
        settings.SALEOR_PLUGINS_MAILCHIMP_API_URL = fake.api_url
        sample = per_object_sample(host, fake, args.sample)
    forget_the_store()
    with FakeMailchimp(API_KEY) as fake:
        settings.SALEOR_PLUGINS_MAILCHIMP_API_URL = fake.api_url
        day = live_day(host, fake)

    per_pair = sample["requests"] / args.sample  # one product + one order
    # products and orders cost about the same each: scale by objects, not pairs
    per_object_requests = per_pair / 2 * objects
    print(
        f"Mailchimp backfill: {args.orders:,} orders + {args.products:,} products "
        f"(2 variants each), latency {latency * 1000:.0f} ms per request"
    )
    print(
        f"  batch operations : {batch['requests']:>9,.0f} HTTP requests, simulated "
        f"{batch['requests'] * latency / 60:7.1f} min sequential "
        f"({batch['objects']:,.0f} objects sent, {batch['errored']:.0f} refused); "
        f"local {batch['local']:.1f} s"
    )
    sequential = per_object_requests * latency
    print(
        f"  one job per object: {per_object_requests:>9,.0f} HTTP requests "
        f"(extrapolated from {args.sample:,} products + {args.sample:,} orders: "
        f"{per_pair / 2:.2f} requests per object), simulated "
        f"{sequential / 60:7.1f} min with 1 connection, "
        f"{sequential / CONCURRENCY / 60:6.1f} min with {CONCURRENCY}; "
        f"local {sample['local']:.1f} s for the sample"
    )
    floor = objects * latency / CONCURRENCY
    print(
        f"  floor for one request per object: {objects:,} requests, "
        f"{floor / 60:.1f} min at {CONCURRENCY} connections"
    )
    ratio = per_object_requests / max(batch["requests"], 1)
    print(
        f"  batch backfill sends {ratio:,.0f}x fewer requests; {batch['batches']:,.0f} "
        f"batches, {batch['operations']:,.0f} operations (orders, products, and members "
        "for buyers who agreed)"
    )
    print(f"  live sync, a store day of events: {day}")
    result("batch backfill requests", f"{batch['requests']:,.0f}")
    result("per-object requests (extrapolated)", f"{per_object_requests:,.0f}")
    result("batch vs per-object", f"{ratio:,.0f}x fewer requests")
    result("live sync failed calls", f"{day.failed} of {day.total} ({day.share:.1%})")


def result(figure: str, value: str) -> None:
    print(f"RESULT\tmailchimp\t{figure}\t{value}", flush=True)


if __name__ == "__main__":
    main()
