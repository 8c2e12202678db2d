"""Every built-in integration at work on the demo store, against local provider stand-ins.

    python -m saleor_plugins.demo [--orders N] [--products M]

Creates (once) and migrates the demo database, starts a stand-in of each provider on
127.0.0.1 (the test suite's, behind a proxy that injects one outage each), enables every
integration registered under the ``saleor_plugins.integrations`` entry points in the
store's two channels (Xero and QuickBooks connected through OAuth), starts a real Celery
worker, then has shoppers and the merchant use the store (:mod:`.scenario`). Each store
write prints a line (``->``), each delivery a line (``<-``) as the sync log records it;
then what every provider holds, checked against the store (:mod:`.holdings`). Exit status
1 if anything was lost or doubled, or a provider was called inside a request.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor_plugins.demo.settings")

LOCK_KEY = 0x5A1E0D  # a PostgreSQL advisory lock: one demo at a time per database


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
    parser.add_argument("--orders", type=int, default=12)
    parser.add_argument("--products", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--pace", type=float, default=0.02, help="seconds between store writes")
    args = parser.parse_args(argv)
    if args.products < 1:
        parser.error("--products must be at least 1 (the orders buy them)")
    # this run's own Celery queue: a worker of another demo on the same broker never takes ours
    os.environ.setdefault("DEMO_CELERY_QUEUE", f"saleor_plugins_demo_{os.getpid()}")

    from .providers import StandIns

    with StandIns() as stand_ins:
        stand_ins.export()  # before Django reads its settings, here and in the worker
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
        return run(args, stand_ins)


def run(args: argparse.Namespace, stand_ins: Any) -> int:
    from . import holdings, setup
    from .worker import start_worker, wait_for_worker

    setup.fresh_store()
    enabled = setup.enable_everything(stand_ins)
    print(
        f"Provider stand-ins on 127.0.0.1 for {len(enabled)} integrations: "
        + ", ".join(i.removeprefix("saleor_plugins.") for i in enabled)
        + f".\nEnabled in {' and '.join(setup.CHANNELS)}; Xero and QuickBooks connected "
        "through OAuth. Each provider fails a 503, a 429 (Retry-After: 1) and then refuses "
        "the key until the merchant saves it again (Stripe: its 503 and 429 at checkout, "
        "its refusal in the worker).\nStarting a Celery worker…",
        flush=True,
    )
    worker = start_worker()
    try:
        if not wait_for_worker():
            print("the Celery worker did not answer within 30 s (is Redis running?)")
            return 1
        print(
            "\n  time      store write / delivery (integration, channel, event, outcome, "
            "HTTP status, duration)",
            flush=True,
        )
        started = time.monotonic()
        done, request_path = drive(args, stand_ins, started)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    print(f"\nWorker stopped after {time.monotonic() - started:.1f} s.")
    return holdings.summarise(stand_ins, done, request_path, enabled)


def drive(args: argparse.Namespace, stand_ins: Any, started: float) -> tuple[Any, int]:
    """The store's writes (as Saleor's requests make them), deliveries printed meanwhile."""
    from ..core.models import Job
    from .report import RequestPathProbe, SyncLogTail, event_line
    from .scenario import Scenario
    from .setup import settle

    probe = RequestPathProbe(*(("127.0.0.1", port) for port in stand_ins.ports()))
    tail = SyncLogTail(started)

    def written(event: str, what: str, channels: list[str], write: Any) -> Any:
        before = Job.objects.count()
        with probe.installed():  # the request path: the store's write and its emit
            result = write()
        jobs = Job.objects.count() - before
        print(event_line(time.monotonic() - started, event, what, jobs, channels), flush=True)
        tail.print_new(time.monotonic())
        time.sleep(args.pace)
        return result

    done = Scenario(stand_ins, written).run(args.orders, args.products)
    settle(stand_ins, tail, deadline=time.monotonic() + args.timeout)
    return done, probe.count


if __name__ == "__main__":
    sys.exit(main())
