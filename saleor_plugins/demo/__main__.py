"""Run the kernel on the demo store: events in, provider calls out, the sync log filling.

    python -m saleor_plugins.demo [--orders N] [--products N]

Creates (once) and migrates the demo database, starts the sandbox provider on 127.0.0.1,
enables the sandbox integration in two channels, starts a real Celery worker on Redis,
then places orders and creates products in the demo store, one event at a time. Each event
prints a line (``->``) as the store writes it, each delivery a line (``<-``) as the worker's
sync log records it. The sandbox fails two calls on purpose (a 503, a 429 with
Retry-After): watch them retried, and nothing applied twice. Exit status 1 if a job was
left undelivered, a write applied twice, a provider call made in the request path, or
the secret seen in the sync log.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from typing import IO, Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor_plugins.demo.settings")

CHANNELS = ["default-channel", "channel-pln"]
LOCK_KEY = 0x5A1E0D  # a PostgreSQL advisory lock: one demo at a time per database
QUIET = ("Warm shutdown", "Cold shutdown")


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


def start_worker() -> subprocess.Popen[str]:
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, our own arguments
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
            "-Q",
            os.environ["DEMO_CELERY_QUEUE"],
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    threading.Thread(target=_relay, args=(worker.stdout,), daemon=True).start()
    return worker


def _relay(stream: IO[str] | None) -> None:
    """The worker's own output, minus Celery's shutdown banner (the demo says it stopped)."""
    assert stream is not None
    for line in stream:
        if line.strip() and not any(q in line for q in QUIET):
            print(f"  worker | {line.rstrip()}", flush=True)


def wait_for_worker(timeout: float = 30.0) -> bool:
    from saleor_plugins.demo.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m saleor_plugins.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--pace", type=float, default=0.1, help="seconds between store events")
    args = parser.parse_args(argv)
    # this run's own Celery queue: a worker of another demo on the same broker never takes ours
    os.environ.setdefault("DEMO_CELERY_QUEUE", f"saleor_plugins_demo_{os.getpid()}")

    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            name = connection.settings_dict["NAME"]
            print(f"another demo is running on database {name}: wait, or set PGDATABASE")
            return 2
    call_command("migrate", verbosity=0)
    return run(args)


def run(args: argparse.Namespace) -> int:
    from saleor_plugins.core.models import Attempt, Job
    from saleor_plugins.demo.models import DemoOrder, DemoProduct
    from saleor_plugins.demo.sandbox import Sandbox

    # a fresh run each time
    Attempt.objects.all().delete()
    Job.objects.all().delete()
    DemoOrder.objects.all().delete()
    DemoProduct.objects.all().delete()

    api_key = "sk_demo_" + os.urandom(8).hex()

    injected: list[int] = []

    def faults(method: str, path: str, n: int) -> tuple[object, ...] | None:
        fault: tuple[object, ...] | None = None
        if n == 3:
            fault = ("status", 503)
        elif n == 7:
            fault = ("status", 429, {"Retry-After": "1"})
        if fault is not None:
            injected.append(int(fault[1]))  # type: ignore[call-overload]
        return fault

    with Sandbox(api_key) as sandbox:
        sandbox.state.fault = faults
        from saleor_plugins.demo import store

        for channel in CHANNELS:
            store.install("saleor_plugins.sandbox", channel, endpoint=sandbox.url, api_key=api_key)
        print(
            f"Sandbox provider at {sandbox.url}; the sandbox integration is enabled in "
            f"{' and '.join(CHANNELS)}.\nStarting a Celery worker…",
            flush=True,
        )
        worker = start_worker()
        try:
            if not wait_for_worker():
                print("the Celery worker did not answer within 30 s (is Redis running?)")
                return 1
            print(
                "\n  time      event / delivery (integration, channel, event, outcome, "
                "HTTP status, duration)",
                flush=True,
            )
            totals = drive(args, sandbox)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        print("\nWorker stopped.")
        return summarise(sandbox, api_key, totals, injected)


def drive(args: argparse.Namespace, sandbox: Any) -> dict[str, int]:
    """Write the store events (as Saleor's requests would), printing deliveries meanwhile."""
    from saleor_plugins.core.maintenance import sweep
    from saleor_plugins.core.models import Job, JobStatus
    from saleor_plugins.demo import store
    from saleor_plugins.demo.report import RequestPathProbe, SyncLogTail, event_line

    host, port = sandbox.server.server_address[:2]
    probe = RequestPathProbe((str(host), int(port)))
    started = time.monotonic()
    tail = SyncLogTail(started)
    totals = {"orders": 0, "paid": 0, "products": 0, "request_path_calls": 0}

    def written(event: str, what: str, channels: list[str], write: Any) -> Any:
        before = Job.objects.count()
        with probe.installed():  # the request path: the store's write and its emit
            result = write()
        jobs = Job.objects.count() - before
        print(event_line(time.monotonic() - started, event, what, jobs, channels), flush=True)
        tail.print_new(time.monotonic())
        time.sleep(args.pace)
        return result

    for i in range(args.products):
        written(
            "product_upserted",
            f"Product {i}",
            CHANNELS,
            lambda i=i: store.upsert_product(
                f"Product {i}",
                CHANNELS,
                [{"sku": f"SKU-{i}", "price": "12.50", "currency": "USD", "quantity": 5}],
            ),
        )
        totals["products"] += 1
    for i in range(args.orders):
        channel = CHANNELS[i % 2]
        line = {
            "sku": f"SKU-{i % max(1, args.products)}",
            "name": "Mug",
            "quantity": 1,
            "unit_price": "12.50",
        }
        order = written(
            "order_created",
            f"order of shopper{i}@…",
            [channel],
            lambda channel=channel, i=i, line=line: store.place_order(
                channel, f"shopper{i}@example.com", [line]
            ),
        )
        totals["orders"] += 1
        if i % 3 == 0:
            written(
                "order_paid",
                "  the same order, paid",
                [channel],
                lambda o=order: store.mark_paid(o),
            )
            totals["paid"] += 1
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        tail.print_new(time.monotonic())
        if not Job.objects.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING]).exists():
            break
        sweep()  # Celery beat runs it every minute in a Saleor; the demo runs it inline
        time.sleep(0.2)
    tail.print_new(time.monotonic())
    totals["request_path_calls"] = probe.count
    return totals


def summarise(sandbox: Any, api_key: str, totals: dict[str, int], injected: list[int]) -> int:
    from saleor_plugins.core.models import Attempt, Job, JobStatus
    from saleor_plugins.core.status import summary

    jobs = {s: Job.objects.filter(status=s).count() for s in JobStatus.values}
    attempts = Attempt.objects.count()
    by_outcome = {
        o: Attempt.objects.filter(outcome=o).count()
        for o in Attempt.objects.values_list("outcome", flat=True).distinct()
    }
    events = totals["orders"] + totals["paid"] + totals["products"]
    expected = totals["orders"] + totals["paid"] + totals["products"] * len(CHANNELS)
    written = sum(jobs.values())
    effects = sandbox.state.effects
    twice = sum(1 for n in effects.values() if n > 1)
    retried = attempts - jobs["succeeded"] - jobs["dead"]
    leaked = api_key in "".join(a.error + a.detail for a in Attempt.objects.all())
    undelivered = jobs["pending"] + jobs["running"] + jobs["dead"]

    print("\nWhat happened")
    print(
        f"  store events : {events} = {totals['products']} products created, "
        f"{totals['orders']} orders placed, {totals['paid']} of them paid"
    )
    print(
        f"  jobs written : {written} (expected {expected}: one per order event in its own "
        f"channel, one per product in each of its {len(CHANNELS)} channels); each event's "
        "jobs are one INSERT in the store's transaction"
    )
    print(
        f"  request path : {totals['request_path_calls']} provider calls made while the "
        "store wrote its events (connections counted from the writing process)"
    )
    print(
        f"  deliveries   : {attempts} attempts by the worker = {jobs['succeeded']} jobs "
        f"succeeded + {retried} retries (outcomes: "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_outcome.items()))
        + f"); the sandbox failed {len(injected)} call(s) on purpose "
        + f"({', '.join(map(str, injected)) or 'none'}; a 429 carries Retry-After)"
    )
    requests = sandbox.state.requests
    per = "one per attempt" if requests == attempts else f"{attempts} attempts"
    print(
        f"  provider     : {requests} requests received ({per}), "
        f"{sum(effects.values())} writes applied to {len(effects)} objects, "
        f"{twice} applied twice"
    )
    print("  jobs now     : " + ", ".join(f"{k} {v}" for k, v in jobs.items()))
    for channel in CHANNELS:
        print(f"  status       : {channel}: {summary('saleor_plugins.sandbox', channel)}")
    print(f"  secret in the sync log: {'YES' if leaked else 'no'}")
    ok = (
        undelivered == 0
        and twice == 0
        and written == expected
        and totals["request_path_calls"] == 0
        and not leaked
    )
    print(
        "\nOK: every event delivered once, none in the request path."
        if ok
        else "\nFAILED: see the lines above."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
