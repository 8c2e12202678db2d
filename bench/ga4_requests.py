"""Requests to Google per 1,000 orders, each paid then partly refunded (figures printed).

1,000 orders go through the kernel's real delivery loop (outbox jobs, claim, ledger) and
the plugin's real HTTP client to a local fake GA4, three jobs per order (order created,
paid, refunded), in three runs of the same process:

- live: each job is delivered before the next event happens (a worker keeping up);
- backlog: the three jobs of an order are all pending when the worker reaches them
  (a worker catching up after an outage, or a refund soon after payment);
- faults: live, with the first request of one order in ten answered 503 (retried) and
  every event emitted twice more (a retried request, a reconciliation re-emit): GA4 must
  still receive each event once.

The baseline is one request per event (a purchase and a refund per order: 2,000), what a
sender posting each event on its own makes; ratios are against it.

Run: ./run bench ga4  (or .venv/bin/python bench/ga4_requests.py --orders N --modes live,faults)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django
import psycopg

import tests.settings as test_settings

DB_NAME = "saleor_plugins_bench_ga4"
test_settings.DATABASES["default"]["NAME"] = DB_NAME
test_settings.LOGGING["loggers"]["saleor_plugins"]["level"] = "ERROR"  # type: ignore[index]
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402

from saleor_plugins.core import delivery, outbox, registry  # noqa: E402
from saleor_plugins.core.events import EventType  # noqa: E402
from saleor_plugins.core.models import Attempt, Job  # noqa: E402
from saleor_plugins.google_tag_manager import connector  # noqa: E402
from saleor_plugins.google_tag_manager.models import SentEvent  # noqa: E402
from saleor_plugins.testing.providers.google_tag_manager import FakeGA4  # noqa: E402
from tests.google_tag_manager.conftest import (  # noqa: E402
    CHANNEL,
    ID,
    MemoryHost,
    config,
    order,
    refund,
    refunded,
)


def prepare() -> None:
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            c.execute(f'CREATE DATABASE "{DB_NAME}"')
    call_command("migrate", verbosity=0)
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)


def reset() -> None:
    Attempt.objects.all().delete()
    Job.objects.all().delete()
    SentEvent.objects.all().delete()


def deliver_pending() -> None:
    while True:
        ids = list(
            Job.objects.filter(status="pending", not_before__lte=datetime.now(UTC))
            .order_by("id")
            .values_list("id", flat=True)
        )
        if not ids:
            return
        for job_id in ids:
            delivery.deliver(job_id)
        # a retried job waits its backoff: make it due now (the clock is not the subject)
        Job.objects.filter(status="pending").update(not_before=datetime.now(UTC))


def run(host: MemoryHost, fake: FakeGA4, mode: str, orders: int) -> dict[str, Any]:
    reset()
    fake.requests.clear()
    fake.failed = 0
    started = time.perf_counter()
    for i in range(orders):
        oid = f"00000000-0000-4000-8000-{i:012d}"
        o = host.add(order(oid, number=str(10000 + i), client=f"{1000 + i}.1764590000"))
        events = [
            (EventType.ORDER_CREATED, o, ""),
            (EventType.ORDER_PAID, o, "paid"),
            (EventType.ORDER_REFUNDED, refunded(o, refund(f"r{i}", "12.00", ("line-1", 1))), "r"),
        ]
        for event, snapshot, version in events:
            if mode == "backlog":  # the worker reaches the order once all three happened
                outbox.emit(event, oid, [(ID, CHANNEL)], version=version)
                continue
            host.add(snapshot)
            for _ in range(3 if mode == "faults" else 1):  # re-emits: refused by the dedupe key
                outbox.emit(event, oid, [(ID, CHANNEL)], version=version)
            if mode == "faults" and i % 10 == 0 and event is EventType.ORDER_CREATED:
                fake.fail_next.append(503)  # the order's first request fails once
            deliver_pending()
        if mode == "backlog":
            host.add(events[-1][1])
            deliver_pending()
    elapsed = time.perf_counter() - started
    names = [e["name"] for e in fake.events()]
    return {
        "requests": len(fake.requests) + fake.failed,  # answered 503 ones included
        "purchases": names.count("purchase"),
        "refunds": names.count("refund"),
        "jobs": Job.objects.count(),
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--modes", default="live,backlog,faults")
    args = parser.parse_args()
    orders = args.orders
    prepare()
    # requests are counted, not timed: the per-stream rate limit would only add sleeps
    connector.GoogleTagManagerIntegration.rate_limit = None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    fake = FakeGA4(server)
    fake.install()
    settings.SALEOR_PLUGINS_GA4_ENDPOINT = fake.url
    host = MemoryHost()
    host.configs[CHANNEL] = (True, config())
    delivery.get_host = lambda: host  # type: ignore[assignment]
    baseline = 2 * orders  # one request per event: a purchase and a refund per order
    print(f"{orders} orders, each paid then partly refunded; baseline: {baseline} requests")
    try:
        for mode in args.modes.split(","):
            r = run(host, fake, mode, orders)
            attempts = ""
            if mode == "faults":
                attempts = f", {Attempt.objects.filter(outcome='retry').count()} retried"
            print(
                f"  {mode:8} {r['requests']:5} requests ({r['requests'] / baseline:.2f}x the "
                f"baseline) for {r['purchases']} purchases and {r['refunds']} refunds, "
                f"{r['jobs']} jobs{attempts}; {r['seconds']:.1f} s locally"
            )
            print(f"RESULT\tga4_requests\trequests, {orders} orders ({mode})\t{r['requests']}")
            print(
                f"RESULT\tga4_requests\tvs one request per event ({mode})\t"
                f"{r['requests'] / baseline:.2f}x"
            )
            print(
                f"RESULT\tga4_requests\tevents at GA4 ({mode})\t"
                f"{r['purchases']} purchases, {r['refunds']} refunds"
            )
        problems = len(fake.problems)
        print(f"  payloads Google's rules would refuse: {problems}")
    finally:
        server.stop()
        reset()


if __name__ == "__main__":
    main()
