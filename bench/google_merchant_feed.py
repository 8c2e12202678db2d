"""Google Merchant benchmark (figures printed, nothing asserted).

1. Feed generation from a **synthetic** catalogue (snapshots built in memory, no database:
   mapping and writing only, not reading a Saleor): the streaming writer (XML + TSV to
   temporary files) beside an in-memory build of the same feed (every offer collected, then
   both documents rendered to strings), in the same run: seconds, variants per second, peak
   memory growth (RSS sampled every 20 ms), and the streaming rate as a ratio to the
   in-memory one.
2. Merchant API HTTP requests per 1,000 changed variants against the local fake server
   driven through the real client: one job at a time, jobs sent with their companions
   (the connector's batching), and the full sync.

Run: ./run bench google_merchant_feed [--sizes 100000,1000000] [--traced 10000]
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

import tests.settings as test_settings

if "saleor_plugins.google_merchant" not in test_settings.INSTALLED_APPS:
    test_settings.INSTALLED_APPS = [*test_settings.INSTALLED_APPS, "saleor_plugins.google_merchant"]
django.setup()

from saleor_plugins.core import snapshots as s  # noqa: E402
from saleor_plugins.google_merchant import feed  # noqa: E402
from saleor_plugins.google_merchant.mapping import map_product  # noqa: E402
from saleor_plugins.google_merchant.settings import GoogleMerchantSettings  # noqa: E402

CHANNEL = "default-channel"
NOW = datetime(2026, 11, 27, tzinfo=UTC)
VARIANTS_PER_PRODUCT = 4
SETTINGS = GoogleMerchantSettings.parse(
    {
        "merchant_id": "123456",
        "product_url_template": "https://shop.example.com/products/{slug}?variant={variant_id}",
        "brand_attribute": "brand",
        "gtin_attribute": "gtin",
        "color_attribute": "color",
        "size_attribute": "size",
        "category_mapping": "shirts = Apparel & Accessories > Clothing > Shirts & Tops",
    },
    active=False,
)
SALE = s.Money(Decimal("14.99"), "USD")
DESCRIPTION = "A soft, breathable cotton shirt cut for everyday wear. " * 6


def gtin13(number: int) -> str:
    """A GTIN-13 with its GS1 check digit (invalid ones would be dropped by the mapping)."""
    body = f"{number:012d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def catalogue(variants: int) -> Iterator[s.Product]:
    """Synthetic products, built on the fly (the catalogue is never held)."""
    listing = (
        s.ChannelListing(CHANNEL, True, available_for_purchase_at=datetime(2026, 1, 1, tzinfo=UTC)),
    )
    brand = (s.Attribute("brand", "Brand", ("Acme",)),)
    for p in range(variants // VARIANTS_PER_PRODUCT):
        vs = tuple(
            s.Variant(
                id=f"UHJvZHVjdFZhcmlhbnQ6{p * VARIANTS_PER_PRODUCT + v}",
                sku=f"SKU-{p}-{v}",
                name=("S", "M", "L", "XL")[v],
                prices=(s.ChannelPrice(CHANNEL, s.Money(Decimal("19.99") + v, "USD"),
                                       discounted_price=SALE if v == 0 else None),),
                stocks=(s.Stock("main", (p + v) % 7),),
                attributes=(s.Attribute("size", "Size", (("S", "M", "L", "XL")[v],)),
                            s.Attribute("gtin", "GTIN", (gtin13(400638100000 + p * 4 + v),))),
                weight_grams=Decimal(250),
            )
            for v in range(VARIANTS_PER_PRODUCT)
        )  # fmt: skip
        yield s.Product(
            id=f"UHJvZHVjdDo{p}",
            slug=f"cotton-shirt-{p}",
            name=f"Cotton shirt {p}",
            description=DESCRIPTION,
            product_type="Shirt",
            category="shirts",
            category_path=("apparel", "shirts"),
            variants=vs,
            listings=listing,
            attributes=(*brand, s.Attribute("color", "Colour", (("Blue", "Red")[p % 2],))),
            media=(s.Media(f"https://img.example.com/{p}/1.jpg"),
                   s.Media(f"https://img.example.com/{p}/2.jpg")),
        )  # fmt: skip


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(work: Callable[[], int]) -> tuple[int, float, float, int]:
    """(variants written, seconds, CPU seconds, peak RSS growth in bytes). CPU seconds are
    the steadier figure on a machine shared with other work."""
    gc.collect()
    base = rss()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started, cpu = time.perf_counter(), time.process_time()
    rows = work()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    done.set()
    sampler.join()
    peak[0] = max(peak[0], rss())
    return rows, seconds, cpu, peak[0] - base


def streaming(variants: int) -> int:
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as x,
        tempfile.TemporaryFile("w+", encoding="utf-8") as t,
    ):
        rows, _ = feed.write_feeds(catalogue(variants), SETTINGS, CHANNEL, x, t, now=NOW)
    return rows


def in_memory(variants: int) -> int:
    offers = [o for p in catalogue(variants) for o in map_product(p, SETTINGS, CHANNEL, NOW).items]
    xml_out, tsv_out = io.StringIO(), io.StringIO()
    xml, tsv = feed.XmlFeed(xml_out, "t", "https://shop.example.com"), feed.TsvFeed(tsv_out)
    for offer in offers:
        xml.write(offer)
        tsv.write(offer)
    xml.close()
    documents = (xml_out.getvalue(), tsv_out.getvalue())
    rows = len(offers) if all(documents) else 0
    del offers, documents, xml_out, tsv_out
    return rows


def feeds(sizes: list[int]) -> None:
    print(
        "Feed generation (XML + TSV, synthetic catalogue, 4 variants per product): mapping "
        "and writing only, no database read (from a database: saleor_catalogue, catalogue_demo)"
    )
    print(f"{'variants':>10} {'build':>10} {'seconds':>9} {'variants/s':>11} "
          f"{'CPU s':>7} {'variants/CPU s':>15} {'peak growth':>12}")  # fmt: skip
    for size in sizes:
        rates = {}
        for name, work in (("streaming", streaming), ("in-memory", in_memory)):
            rows, seconds, cpu, growth = measure(partial(work, size))
            rates[name] = rows / cpu
            print(f"{rows:>10,} {name:>10} {seconds:>9.1f} {rows / seconds:>11,.0f} "
                  f"{cpu:>7.1f} {rows / cpu:>15,.0f} {growth / 2**20:>9.1f} MiB",
                  flush=True)  # fmt: skip
            print(f"RESULT\tgoogle_merchant_feed\t{name} {size:,} synthetic variants/CPU s"
                  f"\t{rows / cpu:,.0f}")  # fmt: skip
            print(f"RESULT\tgoogle_merchant_feed\t{name} {size:,} peak RSS growth"
                  f"\t{growth / 2**20:.1f} MiB")  # fmt: skip
        ratio = rates["streaming"] / rates["in-memory"]
        print(f"{'':>10} streaming / in-memory rate (per CPU second): {ratio:.2f}")


def requests_per_thousand() -> None:
    import json

    import rsa
    from pytest_httpserver import HTTPServer

    from saleor_plugins.google_merchant.client import MerchantClient
    from saleor_plugins.google_merchant.connector import GoogleMerchantIntegration
    from saleor_plugins.google_merchant.sync import Plan, plan_product
    from saleor_plugins.testing.providers.google_merchant import FakeMerchant

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log in the output
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        fake = FakeMerchant(server)
        fake.install()
        _, key = rsa.newkeys(1024)
        info = {"type": "service_account", "client_email": "b@p.iam.gserviceaccount.com",
                "private_key": key.save_pkcs1().decode(), "token_uri": fake.token_uri}  # fmt: skip
        settings = GoogleMerchantSettings.parse(
            {
                "merchant_id": "123456",
                "data_source": "777",
                "service_account_json": json.dumps(info),
                "product_url_template": "https://shop.example.com/p/{slug}",
            }
        )
        products = list(catalogue(1000))
        plans = [plan_product(p, settings, CHANNEL, NOW) for p in products]

        def run(groups: list[list[Plan]]) -> int:
            fake.http_requests.clear()
            client = MerchantClient(settings, api_endpoint=fake.url)
            for group in groups:
                whole = Plan()
                for plan in group:
                    whole.extend(plan)
                client.write(whole.upserts, whole.deletes)
            return sum(v for k, v in fake.http_requests.items() if k != "token")

        per_job = run([[p] for p in plans])
        size = GoogleMerchantIntegration.COMPANIONS + 1
        companions = run([plans[i : i + size] for i in range(0, len(plans), size)])
        full = run([plans])
        print("\nMerchant API HTTP requests per 1,000 changed variants (250 products x 4)")
        print(f"  one request per variant (no batching)          : {1000:>5}")
        print(f"  one batch per product job                      : {per_job:>5}")
        print(f"  product jobs with companions ({size} per batch)  : {companions:>5}")
        print(f"  full sync (up to 1,000 calls per batch)        : {full:>5}")
        for name, value in (("per product job", per_job), ("with companions", companions),
                            ("full sync", full)):  # fmt: skip
            print(f"RESULT\tgoogle_merchant_feed\trequests per 1,000 variants, {name}\t{value}")
        held = len(fake.offers())
        print(f"  (plus one OAuth token request per worker and hour; {held} offers held)")
    finally:
        server.stop()


def traced(sizes: list[int]) -> None:
    """Python-heap peaks (tracemalloc), to corroborate the RSS figures on small runs."""
    import tracemalloc

    print("\nPython heap peak during the build (tracemalloc; slower, so small sizes)")
    for size in sizes:
        for name, work in (("streaming", streaming), ("in-memory", in_memory)):
            gc.collect()
            tracemalloc.start()
            work(size)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"{size:>10,} {name:>10} {peak / 2**20:>9.1f} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--traced", default="", help="sizes for the tracemalloc check")
    args = parser.parse_args()
    requests_per_thousand()
    print()
    feeds([int(x) for x in args.sizes.split(",") if x])
    if args.traced:
        traced([int(x) for x in args.traced.split(",")])


if __name__ == "__main__":
    main()
