"""Meta benchmark (figures printed, nothing asserted): Graph API requests, counted.

Against the local fake Graph API driven through the real client, no database:

1. per 10,000 changed variants (2,500 products x 4): one items_batch per variant (a
   naive integration), one per product job, product jobs sent with their companions (the
   connector: up to 500 jobs per batch), and everything in one send (chunked at 3,000);
   each items_batch handle is then polled once until finished (the fake finishes at once),
   so status checks are counted beside the writes;
2. per 1,000 orders: one Purchase request per order (the live path: one job per order),
   beside what a batched send would take (1,000 events per request).

Run: ./run bench meta_requests [--variants 10000] [--orders 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.conf import settings as django_settings  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402

from saleor_plugins.core import snapshots as s  # noqa: E402
from saleor_plugins.meta import catalog  # noqa: E402
from saleor_plugins.meta.client import MetaClient  # noqa: E402
from saleor_plugins.meta.connector import MetaIntegration  # noqa: E402
from saleor_plugins.meta.mapping import map_product, purchase_event  # noqa: E402
from saleor_plugins.meta.settings import MetaSettings  # noqa: E402
from saleor_plugins.testing.providers.meta import CATALOG, PIXEL, TOKEN, FakeGraph  # noqa: E402

CHANNEL = "default-channel"
NOW = datetime.now(UTC)
PER_PRODUCT = 4
SETTINGS = MetaSettings.parse(
    {
        "access_token": TOKEN,
        "catalog_id": CATALOG,
        "pixel_id": PIXEL,
        "product_url_template": "https://shop.example.com/p/{slug}?v={variant_id}",
        "require_consent": "false",
    }
)


def money(amount: str) -> s.Money:
    return s.Money(Decimal(amount), "USD")


def products(variants: int) -> list[s.Product]:
    listing = (s.ChannelListing(CHANNEL, True, available_for_purchase_at=NOW - timedelta(days=9)),)
    out = []
    for p in range(variants // PER_PRODUCT):
        vs = tuple(
            s.Variant(
                id=f"{p}-{v}",
                sku=f"SKU-{p}-{v}",
                name=f"Size {v}",
                prices=(s.ChannelPrice(CHANNEL, money("19.99")),),
                stocks=(s.Stock("wh", 3),),
            )
            for v in range(PER_PRODUCT)
        )
        out.append(
            s.Product(
                id=str(p),
                slug=f"product-{p}",
                name=f"Product {p}",
                description="A product.",
                product_type="Shirt",
                category="shirts",
                category_path=("shirts",),
                variants=vs,
                listings=listing,
                media=(s.Media(f"https://img.example.com/{p}.jpg"),),
            )
        )
    return out


def order(n: int) -> s.Order:
    line = s.OrderLine(
        id=f"l{n}", product_id="1", variant_id="1-0", sku="SKU-1-0", product_name="P",
        variant_name="S", quantity=1, unit_price_net=money("10"), unit_price_gross=money("12"),
        total_net=money("10"), total_gross=money("12"),
    )  # fmt: skip
    zero = money("0")
    return s.Order(
        id=f"o{n}", number=str(n), channel=CHANNEL, status="unfulfilled", charge_status="full",
        currency="USD", email=f"c{n}@example.com", lines=(line,), subtotal_net=money("10"),
        subtotal_gross=money("12"), shipping_net=zero, shipping_gross=zero,
        total_net=money("10"), total_gross=money("12"), total_charged=money("12"),
        total_refunded=zero, discount=zero, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def plan_of(product: s.Product) -> catalog.Plan:
    mapped = map_product(product, SETTINGS, CHANNEL, NOW)
    return catalog.Plan(product_id=product.id, upserts=mapped.items, left_out=mapped.left_out)


def result(figure: str, value: object) -> None:
    print(f"RESULT\tmeta\t{figure}\t{value}", flush=True)


def catalog_requests(fake: FakeGraph, variants: int) -> None:
    plans = [plan_of(p) for p in products(variants)]
    items = [catalog.Plan(product_id=p.product_id, upserts=[i]) for p in plans for i in p.upserts]

    def run(groups: list[list[catalog.Plan]]) -> tuple[int, int]:
        fake.calls.clear()
        client = MetaClient(TOKEN)
        for group in groups:
            catalog.send(client, CATALOG, group, interval=0.0)
        return fake.calls["items_batch"], fake.calls["status"]

    size = MetaIntegration.COMPANIONS + 1
    sample = min(len(items), 1000)
    writes, checks = run([[i] for i in items[:sample]])
    scale = len(items) / sample
    name = "one items_batch per variant (no batching)"
    print(f"\nGraph API requests per {variants:,} changed variants ({len(plans):,} products x 4)")
    print(f"  {'':48} {'writes':>7} {'status':>7} {'total':>7}")
    per_item = round((writes + checks) * scale)
    print(f"  {name:48} {round(writes * scale):>7,} {round(checks * scale):>7,} {per_item:>7,}")
    print(f"    (measured on {sample:,} variants, scaled x{scale:g})")
    result(f"catalog requests / {variants:,} variants: {name}", per_item)
    rows = [
        ("one items_batch per product job", [[p] for p in plans]),
        (
            f"product jobs with companions ({size} per batch)",
            [plans[i : i + size] for i in range(0, len(plans), size)],
        ),
        ("everything in one send (3,000 per request)", [plans]),
    ]
    for name, groups in rows:
        writes, checks = run(groups)
        total = writes + checks
        ratio = per_item / total if total else 0
        print(f"  {name:48} {writes:>7,} {checks:>7,} {total:>7,}  ({ratio:,.0f}x fewer)")
        result(f"catalog requests / {variants:,} variants: {name}", total)
    print(f"  ({len(fake.items):,} items held by the fake)")


def order_requests(fake: FakeGraph, orders: int) -> None:
    events = []
    for n in range(orders):
        event, _ = purchase_event(order(n), SETTINGS, NOW)
        assert event is not None
        events.append(event)
    fake.calls.clear()
    client = MetaClient(TOKEN)
    for event in events:
        client.send_events(PIXEL, [event])
    live = fake.calls["events"]
    fake.calls.clear()
    client.send_events(PIXEL, events)
    batched = fake.calls["events"]
    print(f"\nConversions API requests per {orders:,} orders")
    print(f"  one job per order (the live path)              : {live:>7,}")
    print(f"  batched (1,000 events per request)             : {batched:>7,}")
    result(f"events requests / {orders:,} orders: one per order", live)
    result(f"events requests / {orders:,} orders: batched", batched)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=1_000)
    args = parser.parse_args()
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        fake = FakeGraph(server)
        fake.install()
        django_settings.SALEOR_PLUGINS_META_GRAPH_URL = fake.url
        catalog_requests(fake, args.variants)
        order_requests(fake, args.orders)
        if fake.problems:
            print(f"fake Graph API problems: {fake.problems[:3]}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
