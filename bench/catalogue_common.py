"""What the catalogue benchmarks run and measure (``bench/saleor_catalogue.py`` over a
generated Saleor catalogue, ``bench/catalogue_demo.py`` over the kernel's demo store).

Three workloads read every product of a channel through ``host.iter_objects``:

- **feed**: ``google_merchant.feed.generate`` (XML + TSV written to a temporary storage);
- **full sync**: ``google_merchant.fullsync.full_sync`` against an in-process stand-in of
  the Merchant API that accepts every call (no HTTP: reading, mapping, batching and the
  sent-offer ledger are measured, Google's latency is not);
- **backfill**: the Mailchimp product backfill (``Backfill(only=("product",))``) against
  the local fake Mailchimp (HTTP on 127.0.0.1, batches of 500 operations).

Each is measured with :class:`Meter`: variants read, wall seconds, this process's CPU
seconds, the database server's CPU seconds where its process can be read (same
machine), SQL statements and the time spent in them, and the peak RSS growth (sampled
every 20 ms). Django must be set up before anything here is called.
"""

from __future__ import annotations

import gc
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

FEED_SETTINGS = {
    "merchant_id": "123456",
    "product_url_template": "https://shop.example.com/products/{slug}?variant={variant_id}",
    "brand_attribute": "brand",
    "gtin_attribute": "gtin",
    "color_attribute": "colour, color",
    "size_attribute": "size",
    "material_attribute": "material",
    "category_mapping": "Apparel = Apparel & Accessories > Clothing",
}


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def server_cpu(pid: int | None) -> float | None:
    """CPU seconds of a local process (the database backend), or None if unreadable."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Figures:
    variants: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    server_cpu: float | None = None
    statements: int = 0
    sql_seconds: float = 0.0
    peak_growth: int = 0
    digest: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.variants / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        """Variants per CPU-second of this process (steadier than wall time on a shared
        machine; the database's own CPU is not in it)."""
        return self.variants / self.cpu if self.cpu else 0.0


class Meter:
    """Measure one workload: ``with Meter() as m: ...; m.figures``."""

    def __init__(self) -> None:
        self.figures = Figures()
        self._done = threading.Event()

    def _sql(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, ctx)
        finally:
            self.figures.sql_seconds += time.perf_counter() - started
            self.figures.statements += 1

    def __enter__(self) -> Meter:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self._backend = int(cursor.fetchone()[0])
        gc.collect()
        self._base = self._peak = rss()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self._wrapper = connection.execute_wrapper(self._sql)
        self._wrapper.__enter__()
        self._server = server_cpu(self._backend)
        self._started, self._cpu = time.perf_counter(), time.process_time()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self._peak = max(self._peak, rss())

    def __exit__(self, *exc: Any) -> None:
        f = self.figures
        f.seconds = time.perf_counter() - self._started
        f.cpu = time.process_time() - self._cpu
        after = server_cpu(self._backend)
        if after is not None and self._server is not None:
            f.server_cpu = after - self._server
        self._wrapper.__exit__(*exc)
        self._done.set()
        self._sampler.join()
        f.peak_growth = max(self._peak, rss()) - self._base


class Counting:
    """A host whose ``iter_objects`` counts the variants of the products it yields."""

    def __init__(self, host: Any, figures: Figures, limit: int = 0) -> None:
        self._host, self._figures, self._limit = host, figures, limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)

    def iter_objects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        objects = self._host.iter_objects(*args, **kwargs)
        for obj in islice(objects, self._limit) if self._limit else objects:
            self._figures.variants += len(getattr(obj, "variants", ()))
            yield obj


def feed(host: Any, channel: str, figures: Figures) -> None:
    from django.core.files.storage import FileSystemStorage

    from saleor_plugins.google_merchant import feed as gm_feed
    from saleor_plugins.google_merchant.settings import GoogleMerchantSettings

    settings = GoogleMerchantSettings.parse(FEED_SETTINGS, active=False)
    with tempfile.TemporaryDirectory() as folder:
        storage = FileSystemStorage(location=folder)
        run = gm_feed.generate(channel, settings, host, force=True, storage=storage)
        digest = hashlib.sha256()
        for path in (run.xml_path, run.tsv_path):
            with storage.open(path, "rb") as f:
                digest.update(f.read())
        figures.digest = digest.hexdigest()[:12]
    figures.extra["rows"] = run.rows


class StubMerchant:
    """The Merchant API accepting every call at once, in process (no HTTP)."""

    def __init__(self) -> None:
        from saleor_plugins.google_merchant.client import BATCH_LIMIT

        self.batch_limit = BATCH_LIMIT
        self.upserts = 0

    def write(self, upserts: Any = (), deletes: Any = ()) -> Any:
        from saleor_plugins.google_merchant.client import BatchOutcome

        self.upserts += len(upserts)
        done = [b["offerId"] for b in upserts] + [key for key, _ in deletes]
        return BatchOutcome(done=done, requests=1)

    def iter_products(self) -> Iterator[dict[str, Any]]:
        return iter(())


def full_sync(host: Any, channel: str, figures: Figures) -> None:
    from saleor_plugins.google_merchant.fullsync import full_sync as run
    from saleor_plugins.google_merchant.settings import GoogleMerchantSettings

    settings = GoogleMerchantSettings.parse(FEED_SETTINGS, active=False)
    stub = StubMerchant()
    report = run(channel, settings, host, client=stub)  # type: ignore[arg-type]
    figures.extra["rows"] = report.upserted


def backfill(host: Any, channel: str, figures: Figures) -> None:
    from django.conf import settings

    from saleor_plugins.mailchimp import connector
    from saleor_plugins.mailchimp.backfill import Backfill
    from saleor_plugins.mailchimp.settings import MailchimpSettings
    from saleor_plugins.testing.providers.mailchimp import FakeMailchimp
    from tests.mailchimp.conftest import API_KEY, config

    with FakeMailchimp(API_KEY) as fake:
        settings.SALEOR_PLUGINS_MAILCHIMP_API_URL = fake.api_url
        connector._known_stores.clear()
        cfg = MailchimpSettings.parse(config(sync="products", currency="USD"))
        mc = connector.MailchimpIntegration(cfg, channel=channel, host=host)
        summary = Backfill(
            mc, batch_size=500, poll_interval=0, sleep=lambda _: fake.run_batches(),
            only=("product",),
        ).run()  # fmt: skip
        figures.extra["rows"] = summary.sent.get("product", 0)
        figures.extra["requests"] = fake.state.requests


WORKLOADS: dict[str, Callable[[Any, str, Figures], None]] = {
    "feed": feed,
    "full sync": full_sync,
    "backfill": backfill,
}


def measure(name: str, host: Any, channel: str, limit: int = 0) -> Figures:
    """Run a workload once and roll back what it wrote (feed runs, ledger, cursors);
    ``limit``: on the channel's first ``limit`` products only."""
    from django.db import transaction

    class Rollback(Exception):
        pass

    meter = Meter()
    try:
        with transaction.atomic(), meter:
            WORKLOADS[name](Counting(host, meter.figures, limit), channel, meter.figures)
            raise Rollback
    except Rollback:
        pass
    return meter.figures


HEADER = (
    f"{'workload':<10} {'readers':<8} {'variants':>9} {'seconds':>8} {'variants/s':>11} "
    f"{'CPU s':>6} {'DB CPU s':>8} {'SQL':>6} {'SQL s':>6} {'peak MiB':>9}  xml+tsv"
)


def row(name: str, label: str, f: Figures) -> str:
    db = f"{f.server_cpu:8.1f}" if f.server_cpu is not None else f"{'n/a':>8}"
    return (
        f"{name:<10} {label:<8} {f.variants:>9,} {f.seconds:>8.1f} {f.rate:>11,.0f} "
        f"{f.cpu:>6.1f} {db} {f.statements:>6,} {f.sql_seconds:>6.1f} "
        f"{f.peak_growth / 2**20:>9.1f}  {f.digest or '-'}"
    )


def result(bench: str, figure: str, value: str) -> None:
    print(f"RESULT\t{bench}\t{figure}\t{value}", flush=True)
