"""Run the kernel on the demo store: events in, provider calls out, the sync log filling.

    python -m saleor_plugins.demo [--orders N] [--products N]

Creates (once) and migrates the demo database, starts the sandbox provider on 127.0.0.1,
enables the sandbox integration in two channels, starts a real Celery worker on Redis,
then places orders and edits products in the demo store. The sandbox fails a few calls on
purpose (a 503, a 429 with Retry-After): watch them retried, and nothing sent twice.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor_plugins.demo.settings")


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    conninfo = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (db["NAME"],)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m saleor_plugins.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from saleor_plugins.core import outbox
    from saleor_plugins.core.models import Attempt, Job, JobStatus
    from saleor_plugins.core.status import summary
    from saleor_plugins.demo import store
    from saleor_plugins.demo.models import DemoOrder, DemoProduct
    from saleor_plugins.demo.sandbox import Sandbox

    # a fresh run each time
    Attempt.objects.all().delete()
    Job.objects.all().delete()
    DemoOrder.objects.all().delete()
    DemoProduct.objects.all().delete()

    api_key = "sk_demo_" + os.urandom(8).hex()
    channels = ["default-channel", "channel-pln"]

    def faults(method: str, path: str, n: int) -> tuple[object, ...] | None:
        if n == 3:
            return ("status", 503)
        if n == 7:
            return ("status", 429, {"Retry-After": "1"})
        return None

    with Sandbox(api_key) as sandbox:
        sandbox.state.fault = faults
        for channel in channels:
            store.install("saleor_plugins.sandbox", channel, endpoint=sandbox.url, api_key=api_key)
        print(f"sandbox provider at {sandbox.url}; integration enabled in {', '.join(channels)}")
        worker = subprocess.Popen(
            [
                sys.executable,
                "-W",
                "ignore",
                "-m",
                "celery",
                "--quiet",
                "-A",
                "saleor_plugins.demo.celery",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            env=os.environ.copy(),
        )
        try:
            started = time.monotonic()
            for i in range(args.products):
                store.upsert_product(
                    f"Product {i}",
                    channels,
                    [{"sku": f"SKU-{i}", "price": "12.50", "currency": "USD", "quantity": 5}],
                )
            for i in range(args.orders):
                order = store.place_order(
                    channels[i % 2],
                    f"shopper{i}@example.com",
                    [
                        {
                            "sku": f"SKU-{i % max(1, args.products)}",
                            "name": "Mug",
                            "quantity": 1,
                            "unit_price": "12.50",
                        }
                    ],
                )
                if i % 3 == 0:
                    store.mark_paid(order)
            print(
                f"emitted {Job.objects.count()} jobs for {args.orders} orders and "
                f"{args.products} products in {time.monotonic() - started:.2f}s (no provider call)"
            )
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                open_jobs = Job.objects.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING])
                if not open_jobs.exists():
                    break
                # the sweep normally runs from Celery beat; the demo runs it inline
                from saleor_plugins.core.maintenance import sweep

                sweep()
                time.sleep(0.5)
            outbox.dispatch([])
        finally:
            worker.terminate()
            worker.wait(timeout=10)

        print("\nsync log (every retry, then the latest successes):")
        head = ("integration", "channel", "event", "outcome", "http", "ms")
        print(
            f"{head[0]:24} {head[1]:16} {head[2]:16} {head[3]:10} {head[4]:>4} {head[5]:>5}  error"
        )
        retries = list(Attempt.objects.exclude(outcome="succeeded").order_by("id"))
        latest = list(Attempt.objects.filter(outcome="succeeded").order_by("-id")[:8])[::-1]
        for a in retries + latest:
            print(
                f"{a.integration:24} {a.channel:16} {a.event:16} {a.outcome:10} "
                f"{a.status_code or '':>4} {a.duration_ms:>5}  {a.error[:60]}"
            )
        by_status = {s: Job.objects.filter(status=s).count() for s in JobStatus.values}
        print("\njobs:", ", ".join(f"{k}={v}" for k, v in by_status.items()))
        print(
            f"provider: {sandbox.state.requests} requests, "
            f"{sum(sandbox.state.effects.values())} effects, "
            f"duplicates: {sum(1 for v in sandbox.state.effects.values() if v > 1)}"
        )
        for channel in channels:
            print(f"status {channel}: {summary('saleor_plugins.sandbox', channel)}")
        leaked = api_key in "".join(a.error for a in Attempt.objects.all())
        print(f"secret in sync log: {'YES' if leaked else 'no'}")
        return 0 if by_status["pending"] == 0 and by_status["running"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
