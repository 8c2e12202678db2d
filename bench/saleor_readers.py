"""Queries and time per page of product snapshots, for page sizes 10, 100 and 500.

Builds a catalogue inside a transaction on a migrated Saleor database, reads it back with
``readers.iter_objects("product", ...)`` and rolls everything back. Any migrated Saleor
3.24 database will do; the test database the Saleor tests keep (``--reuse-db``) is one:

    SALEOR_PYTHON=<saleor venv>/bin/python \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_saleor \\
        ./run bench saleor_readers [--products 1234] [--variants 3]

Without Saleor (or without ``DATABASE_URL``) it says so and exits with status 77, which
``bench/run.py`` reports as skipped.

Each product: listings in 2 channels, 2 media, 1 attribute value, ``--variants`` variants
each with 2 channel prices, 2 stocks, 1 medium and 1 attribute value, in a 2-level category.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from saleor_setup_common import setup

setup("saleor_readers.py")

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


class Rollback(Exception):
    pass


def build(products: int, variants_per_product: int) -> str:
    from saleor.account.models import Address
    from saleor.attribute.models import (
        AssignedProductAttributeValue,
        AssignedVariantAttribute,
        AssignedVariantAttributeValue,
        Attribute,
        AttributeProduct,
        AttributeValue,
        AttributeVariant,
    )
    from saleor.channel.models import Channel
    from saleor.product.models import (
        Category,
        Product,
        ProductChannelListing,
        ProductMedia,
        ProductType,
        ProductVariant,
        ProductVariantChannelListing,
        VariantMedia,
    )
    from saleor.warehouse.models import Stock, Warehouse

    channels = [
        Channel.objects.create(
            name=f"Bench {c}", slug=f"bench-{c.lower()}", currency_code=c, default_country="US"
        )
        for c in ("USD", "EUR")
    ]
    address = Address.objects.create(city="Wroclaw", country="PL")
    warehouses = [
        Warehouse.objects.create(name=f"W{i}", slug=f"bench-w{i}", address=address)
        for i in range(2)
    ]
    ptype = ProductType.objects.create(name="Bench type", slug="bench-type", kind="normal")
    color = Attribute.objects.create(name="Bench colour", slug="bench-colour", type="PRODUCT_TYPE")
    size = Attribute.objects.create(name="Bench size", slug="bench-size", type="PRODUCT_TYPE")
    red = AttributeValue.objects.create(attribute=color, name="Red", slug="red")
    small = AttributeValue.objects.create(attribute=size, name="S", slug="s")
    AttributeProduct.objects.create(attribute=color, product_type=ptype)
    variant_assignment = AttributeVariant.objects.create(attribute=size, product_type=ptype)
    root = Category.objects.create(name="Bench", slug="bench")
    leaf = Category.objects.create(name="Bench leaf", slug="bench-leaf", parent=root)
    description = {"blocks": [{"type": "paragraph", "data": {"text": "<b>Bench</b> product"}}]}
    prods = Product.objects.bulk_create(
        Product(
            name=f"Bench {i}",
            slug=f"bench-{i}",
            product_type=ptype,
            category=leaf,
            description=description,
        )
        for i in range(products)
    )
    ProductChannelListing.objects.bulk_create(
        ProductChannelListing(product=p, channel=c, is_published=True, currency=c.currency_code)
        for p in prods
        for c in channels
    )
    media = ProductMedia.objects.bulk_create(
        ProductMedia(product=p, image=f"products/{p.slug}-{n}.jpg", sort_order=n)
        for p in prods
        for n in range(2)
    )
    AssignedProductAttributeValue.objects.bulk_create(
        AssignedProductAttributeValue(product=p, value=red) for p in prods
    )
    variants = ProductVariant.objects.bulk_create(
        ProductVariant(product=p, sku=f"{p.slug}-{n}", sort_order=n)
        for p in prods
        for n in range(variants_per_product)
    )
    ProductVariantChannelListing.objects.bulk_create(
        ProductVariantChannelListing(
            variant=v, channel=c, price_amount=Decimal("9.99"), currency=c.currency_code
        )
        for v in variants
        for c in channels
    )
    Stock.objects.bulk_create(
        Stock(product_variant=v, warehouse=w, quantity=7) for v in variants for w in warehouses
    )
    first = {m.product_id: m for m in media if m.sort_order == 0}
    VariantMedia.objects.bulk_create(
        VariantMedia(variant=v, media=first[v.product_id]) for v in variants
    )
    assigned = AssignedVariantAttribute.objects.bulk_create(
        AssignedVariantAttribute(variant=v, assignment=variant_assignment) for v in variants
    )
    AssignedVariantAttributeValue.objects.bulk_create(
        AssignedVariantAttributeValue(assignment=a, value=small, variant_id=a.variant_id)
        for a in assigned
    )
    return channels[0].slug


def measure(channel: str, page_size: int) -> tuple[int, int, float, int]:
    """(pages, queries, seconds, products) for a full iteration."""
    from saleor_plugins.adapter import readers

    count = 0
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        for _ in readers.iter_objects("product", channel, page_size=page_size):
            count += 1
        elapsed = time.perf_counter() - start
    pages = -(-count // page_size)  # an exact multiple costs one more, empty, query
    return pages, len(ctx.captured_queries), elapsed, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=1234)
    parser.add_argument("--variants", type=int, default=3)
    args = parser.parse_args()
    rows = []
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            channel = build(args.products, args.variants)
            built = time.perf_counter() - t0
            measure(channel, 10)  # warm caches (content types, site)
            for size in (10, 100, 500):
                rows.append((size, *measure(channel, size)))
            raise Rollback
    except Rollback:
        pass
    print(
        f"{args.products} products x {args.variants} variants "
        f"(built in {built:.1f}s, rolled back)\n"
    )
    print(f"{'page size':>9} {'pages':>6} {'queries':>8} {'queries/page':>13} "
          f"{'ms/page':>8} {'ms/product':>11}")  # fmt: skip
    for size, pages, queries, seconds, count in rows:
        print(
            f"{size:>9} {pages:>6} {queries:>8} {queries / pages:>13.1f} "
            f"{1000 * seconds / pages:>8.1f} {1000 * seconds / count:>11.2f}"
        )


if __name__ == "__main__":
    main()
