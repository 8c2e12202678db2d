"""Shared set-up for the kernel benchmarks: a fresh database, no-op integrations.

Django runs on the demo settings against its own database (created and migrated here)
and its own Redis database, so a benchmark never touches the demo's or the tests' data.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# overridable, so two benchmark runs on one machine do not truncate each other's tables
DB_NAME = os.environ.get("BENCH_DB_NAME", "saleor_plugins_bench_core")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
os.environ["DJANGO_SETTINGS_MODULE"] = "saleor_plugins.demo.settings"
os.environ["PGDATABASE"] = DB_NAME
os.environ["CELERY_BROKER_URL"] = REDIS_URL
os.environ["SALEOR_PLUGINS_REDIS_URL"] = REDIS_URL

CHANNEL = "default-channel"


def setup() -> None:
    """Create (once) and migrate the benchmark database; empty the tables we fill."""
    import django
    import psycopg
    import redis

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            c.execute(f'CREATE DATABASE "{DB_NAME}"')
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE saleor_plugins_job, saleor_plugins_attempt, saleor_plugins_circuit, "
            "saleor_plugins_demo_demoorder, saleor_plugins_demo_demoinstallation CASCADE"
        )
    redis.Redis.from_url(REDIS_URL).flushdb()
    import saleor_plugins.demo.celery  # noqa: F401 - the Celery app sending our tasks


def noop_integrations(count: int, calls: list[Any] | None = None) -> list[str]:
    """Register and install ``count`` integrations that call no provider; their ids."""
    from saleor_plugins.core import registry
    from saleor_plugins.core.events import EventType
    from saleor_plugins.core.hookspecs import hookimpl
    from saleor_plugins.core.integration import Integration, JobContext, Outcome
    from saleor_plugins.core.settings import ChannelSettings
    from saleor_plugins.demo.store import install

    class NoopSettings(ChannelSettings):
        pass

    classes: list[type[Integration]] = []
    for n in range(count):

        class Noop(Integration):
            id = f"bench.noop{n}"
            name = f"No-op {n}"
            settings_class = NoopSettings
            subscribes = frozenset({EventType.ORDER_CREATED, EventType.PRODUCT_UPSERTED})

            def handle(self, job: JobContext) -> Outcome:
                if calls is not None:
                    calls.append(job.id)
                return Outcome(status_code=200)

        classes.append(Noop)

    class Provides:
        @hookimpl
        def saleor_plugins_integrations(self) -> list[type[Integration]]:
            return classes

    registry.register(Provides())
    for cls in classes:
        install(cls.id, CHANNEL)
    return [cls.id for cls in classes]


def result(bench: str, figure: str, value: str) -> None:
    """One figure for ``bench/run.py``'s summary table (and a readable line)."""
    print(f"RESULT\t{bench}\t{figure}\t{value}", flush=True)
