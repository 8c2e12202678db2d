"""What our plugins add to ``checkoutCreate`` and ``checkoutComplete`` in a real Saleor.

Runs both mutations through Saleor's GraphQL view (``django.test.Client``: middleware, the
plugin manager built per request, the hooks, our INSERT and the broker publish),
alternating runs *with* our plugins (the router and five integrations active in the
channel: the two sandbox test plugins, Stripe, Mailchimp, Google Merchant) and *without*
them (Saleor's dummy gateway only) in one process, and prints p50/p90 of each, the ratio,
and the queries our plugins add to ``checkoutComplete``. Our write and publish run after
the response (Django's ``request_finished``; the test client runs it inside ``post()``,
a server after sending the response): timed apart, so the first figures are what the
shopper waits for and the last ones what the process does after answering.

Requests commit for real (Saleor runs the hooks after its commit; our INSERT then commits
on its own) in a scratch copy of ``DATABASE_URL``'s database, dropped at the end: any
migrated Saleor 3.24 database nobody is connected to will do (a copy of the database the
Saleor tests keep, for one). The broker is ``CELERY_BROKER_URL``, default ``memory://``
(nothing leaves the process); with a real broker the publish is measured too, so use one
no worker consumes::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_saleor_copy \\
        path/to/saleor-venv/bin/python bench/saleor_request_path.py [--runs 30] [--queries]

``--queries`` prints the statements our plugins add, ``--profile`` writes cProfile
files of both sides. Skipped, with a message, where ``import saleor`` fails.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor.tests.settings")
os.environ.setdefault("SEND_USAGE_TELEMETRY", "False")

try:
    import saleor  # noqa: F401
except ImportError:
    print("saleor_request_path: skipped (`import saleor` fails: run it with Saleor's Python)")
    sys.exit(0)


def scratch_database() -> tuple[str, str]:
    """Copy ``DATABASE_URL``'s database to a scratch one the runs commit to, for real."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    url = os.environ.get("DATABASE_URL")
    if not url:
        print("saleor_request_path: skipped (set DATABASE_URL to a migrated Saleor database)")
        sys.exit(0)
    parts = urlsplit(url)
    template = parts.path.lstrip("/")
    scratch = f"{template}_request_path_bench"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        conn.execute(f'CREATE DATABASE "{scratch}" TEMPLATE "{template}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{scratch}"))
    os.environ.pop("DATABASE_URL_REPLICA", None)
    return admin, scratch


def drop_scratch(admin: str, scratch: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


SCRATCH = scratch_database()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from saleor.tests.utils import prepare_test_db_connections  # noqa: E402

from tests.saleor.checkout_flow import Queries, Store, build_store  # noqa: E402

prepare_test_db_connections()  # one connection for both aliases, as in Saleor's tests

BENCH = "saleor_request_path"
DUMMY = "saleor.plugins.tests.gateways.dummy.DummyGatewayPlugin"
ROUTER = "saleor_plugins.adapter.router.RouterPlugin"
OURS = [
    ROUTER,
    "tests.saleor.plugins.SandboxPlugin",
    "tests.saleor.plugins.SecondSandboxPlugin",
    "saleor_plugins.stripe.plugin.StripeGatewayPlugin",
    "saleor_plugins.mailchimp.plugin.MailchimpPlugin",
    "saleor_plugins.google_merchant.plugin.GoogleMerchantPlugin",
]
WITHOUT = [DUMMY]
WITH = [DUMMY, *OURS]
SANDBOX_CONFIG = {"endpoint": "https://sandbox.example", "api_key": "sk_sandbox_abcdefghijklmnop"}
CONFIGS: dict[str, dict[str, str]] = {
    "saleor_plugins.sandbox": SANDBOX_CONFIG,
    "saleor_plugins.sandbox_two": SANDBOX_CONFIG,
    "saleor_plugins.stripe": {
        "secret_key": "sk_test_" + "b" * 24,
        "publishable_key": "pk_test_" + "b" * 24,
        "webhook_secret": "whsec_" + "b" * 24,
        "supported_currencies": "USD",
    },
    "saleor_plugins.mailchimp": {
        "api_key": "0123456789abcdef0123456789abcdef-us1",
        "audience_id": "aud-bench",
        "webhook_secret": "bench-webhook-secret-123456",
    },
    "saleor_plugins.google_merchant": {
        "merchant_id": "123456",
        "data_source": "1",
        "service_account_json": "",  # filled in below: a throwaway key
        "feed_label": "US",
        "product_url_template": "https://shop.example.com/{slug}",
    },
}


def service_account_json() -> str:
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "client_email": "bench@project.iam.gserviceaccount.com",
            "private_key": pem,
            "token_uri": "https://oauth2.invalid/token",
        }
    )


#: Time spent in our ``request_finished`` work (the write and publish after the response),
#: per clock, since the last :func:`timed` began.
AFTER = {"wall": 0.0, "cpu": 0.0}
#: the profiler counting calls until the response, while :func:`call_counts` runs
COUNTING: dict[str, cProfile.Profile] = {}


def after_response_timer() -> None:
    """Time our work after the response: the test client runs it inside ``post()``, a
    server (uvicorn, gunicorn) after the response has been sent, so it is split out."""
    from saleor_plugins.core import outbox

    close = outbox.close_request

    def timed_close() -> int:
        counting = COUNTING.get("profiler")
        if counting is not None:
            counting.disable()  # calls after the response are not counted
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return close()
        finally:
            AFTER["wall"] += time.perf_counter() - wall
            AFTER["cpu"] += time.process_time() - cpu
            if counting is not None:
                counting.enable()

    outbox.close_request = timed_close  # type: ignore[assignment]


def timed(fn: Callable[[], Any]) -> tuple[dict[str, float], Any]:
    """Until the response, and after it (our write, the publish): wall time and this
    process's CPU time (steadier on a machine shared with others), in ms."""
    AFTER.update(wall=0.0, cpu=0.0)
    # the cyclic collector runs whenever allocations cross its threshold, adding tens of
    # ms to whichever request it lands in: collected before, paused during each run
    gc.collect()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        spent = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
    finally:
        gc.enable()
    after = {f"{clock} after": AFTER[clock] for clock in ("wall", "cpu")}
    response = {clock: spent[clock] - AFTER[clock] for clock in ("wall", "cpu")}
    return {clock: seconds * 1000 for clock, seconds in {**response, **after}.items()}, result


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=10, method="inclusive")
    return statistics.median(samples), cuts[8]


@contextmanager
def plugins(paths: list[str]) -> Iterator[None]:
    with override_settings(PLUGINS=paths):
        yield


def configure_celery() -> str:
    from celery import current_app

    url = os.environ.get("CELERY_BROKER_URL") or "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    current_app.conf.task_always_eager = False
    current_app.conf.broker_url = url
    return url.split("://", 1)[0]


def register_test_integrations() -> None:
    from saleor_plugins.core import registry
    from saleor_plugins.demo import connector
    from tests.saleor import plugins as test_plugins

    for module in (connector, test_plugins):
        if not registry.plugin_manager().is_registered(module):
            registry.register(module)
    registry.integrations.cache_clear()


def our_queries(store: Store, show: bool) -> dict[str, int]:
    """Queries our plugins add to each mutation: the same checkout without and with them."""
    import re
    from collections import Counter

    counts: dict[str, list[int]] = {"checkoutCreate": [], "checkoutComplete": []}
    shapes: dict[str, list[Counter[str]]] = {"checkoutCreate": [], "checkoutComplete": []}
    for paths in (WITH, WITHOUT, WITH):  # the first one only leaves both sides warm
        with plugins(paths):
            with Queries().capture() as created:
                checkout_id = store.create()
            store.prepare(checkout_id)
            with Queries().capture() as completed:
                store.complete(checkout_id)
        counts["checkoutCreate"].append(len(created))
        counts["checkoutComplete"].append(len(completed))
        for mutation, queries in (("checkoutCreate", created), ("checkoutComplete", completed)):
            shape = Counter(re.sub(r"'[^']*'|\d+", "?", sql) for sql in queries)
            shapes[mutation].append(shape)
    for mutation, (_, base, ours) in shapes.items() if show else ():
        for sql, n in (ours - base).items():
            print(f"{mutation}, added {n}x: {sql[:300]}")
    return {mutation: ours - base for mutation, (_, base, ours) in counts.items()}


def call_counts(store: Store, runs: int) -> dict[str, dict[str, float]]:
    """Python function calls per mutation until the response, without and with our plugins.

    A count does not depend on what else the machine is doing: the calls we add, times
    the CPU time per call of the runs without us, estimate what we add to the response
    steadier than a difference of two noisy timings."""
    counts: dict[str, dict[str, float]] = {}
    for label, paths in (("without", WITHOUT), ("with", WITH)):
        with plugins(paths):
            for mutation in ("checkoutCreate", "checkoutComplete"):
                total = 0
                for _ in range(runs):
                    checkout_id = store.create() if mutation == "checkoutComplete" else ""
                    if checkout_id:
                        store.prepare(checkout_id)
                    profiler = COUNTING["profiler"] = cProfile.Profile()
                    profiler.enable()
                    try:
                        if checkout_id:
                            store.complete(checkout_id)
                        else:
                            store.create()
                    finally:
                        profiler.disable()
                        COUNTING.pop("profiler")
                    total += pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
                counts.setdefault(mutation, {})[label] = total / runs
    return counts


def run(runs: int, profile: bool, show: bool) -> None:
    broker = configure_celery()
    register_test_integrations()
    after_response_timer()
    CONFIGS["saleor_plugins.google_merchant"]["service_account_json"] = service_account_json()
    store = build_store(CONFIGS)
    for paths in (WITHOUT, WITH):  # warm up: imports, schema, first connection
        with plugins(paths):
            for _ in range(3):
                checkout_id = store.create()
                store.prepare(checkout_id)
                store.complete(checkout_id)
    samples: dict[tuple[str, str, str], list[float]] = {}

    def record(mutation: str, label: str, spent: dict[str, float]) -> None:
        for clock, ms in spent.items():
            samples.setdefault((mutation, label, clock), []).append(ms)

    profilers = {"with": cProfile.Profile(), "without": cProfile.Profile()} if profile else {}
    for i in range(runs):
        order = (("without", WITHOUT), ("with", WITH))
        for label, paths in order if i % 2 == 0 else order[::-1]:
            with plugins(paths):
                profiler = profilers.get(label)
                if profiler:
                    profiler.enable()
                spent, checkout_id = timed(store.create)
                if profiler:
                    profiler.disable()
                record("checkoutCreate", label, spent)
                store.prepare(checkout_id)
                if profiler:
                    profiler.enable()
                spent, _ = timed(lambda: store.complete(checkout_id))  # noqa: B023
                if profiler:
                    profiler.disable()
                record("checkoutComplete", label, spent)
    added = our_queries(store, show)
    calls = call_counts(store, max(3, runs // 10))
    print(f"{runs} interleaved runs each, broker {broker}, five integrations active")
    print("until the response (what the shopper waits for):")
    for mutation in ("checkoutCreate", "checkoutComplete"):
        for clock in ("wall", "cpu"):
            p50_without, p90_without = quantiles(samples[(mutation, "without", clock)])
            p50_with, p90_with = quantiles(samples[(mutation, "with", clock)])
            ratio = p50_with / p50_without
            print(
                f"{mutation:17} {clock:4} without p50 {p50_without:7.2f} ms "
                f"p90 {p90_without:7.2f} | with p50 {p50_with:7.2f} ms p90 {p90_with:7.2f} | "
                f"added p50 {p50_with - p50_without:+6.2f} ms, ratio {ratio:.3f}"
            )
            both = f"{p50_without:.1f} / {p50_with:.1f}"
            print(f"RESULT\t{BENCH}\t{mutation} {clock} p50 without/with (ms)\t{both}")
            print(f"RESULT\t{BENCH}\t{mutation} {clock} p50 ratio with/without\t{ratio:.3f}")
            fastest = min(samples[(mutation, "with", clock)]) - min(
                samples[(mutation, "without", clock)]
            )
            print(f"{'':22} fastest run with - fastest without: {fastest:+6.2f} ms")
            print(f"RESULT\t{BENCH}\t{mutation} {clock} added, fastest runs (ms)\t{fastest:.2f}")
    print("after the response (our write and publish; the server has answered already):")
    for mutation in ("checkoutCreate", "checkoutComplete"):
        for clock in ("wall", "cpu"):
            p50, p90 = quantiles(samples[(mutation, "with", f"{clock} after")])
            print(f"{mutation:17} {clock:4} p50 {p50:6.2f} ms p90 {p90:6.2f} ms")
            print(f"RESULT\t{BENCH}\t{mutation} {clock} after the response p50 (ms)\t{p50:.2f}")
    print("function calls until the response (counted, not timed):")
    for mutation, per in calls.items():
        extra = per["with"] - per["without"]
        cpu = statistics.median(samples[(mutation, "without", "cpu")])
        estimate = extra * cpu / per["without"]
        print(
            f"{mutation:17} without {per['without']:9,.0f} calls | with {per['with']:9,.0f} | "
            f"added {extra:+7,.0f} ({extra / per['without']:+.2%}) = about {estimate:+.2f} ms "
            f"at the {cpu / per['without'] * 1e6:.0f} ns a call the runs without us took"
        )
        print(f"RESULT\t{BENCH}\t{mutation} calls added until the response\t{extra:.0f}")
        print(
            f"RESULT\t{BENCH}\t{mutation} added until the response, from calls (ms)\t{estimate:.2f}"
        )
    for mutation, n in added.items():
        print(f"{mutation}: our plugins add {n} queries")
        print(f"RESULT\t{BENCH}\t{mutation} queries added\t{n}")
    for label, profiler in profilers.items():
        path = Path(f"{BENCH}-{label}.prof").resolve()
        profiler.dump_stats(path)
        print(f"profile of the runs {label} our plugins: {path}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"saleor_plugins", 15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="cProfile the runs with plugins")
    parser.add_argument("--queries", action="store_true", help="print the queries we add")
    args = parser.parse_args()
    try:
        run(args.runs, args.profile, args.queries)
    finally:
        drop_scratch(*SCRATCH)


if __name__ == "__main__":
    main()
