"""A generated Saleor catalogue for the database benchmarks (``bench/saleor_catalogue.py``).

``ensure_catalogue(products, variants)`` fills a migrated Saleor 3.24 database, once, with
``products`` products x ``variants`` variants through ``bulk_create`` (no GraphQL, no
signals), and returns the channel the benchmarks read. A database that already holds the
catalogue (its channel exists) is reused as it is, whatever size was asked.

What a product holds (roughly a clothing shop's):

- one of 4 product types (with a weight) and one of 48 leaf categories under 8 roots;
- listings in 2 channels: ``bench-usd`` (9 in 10 products, 1 in 20 of those unpublished)
  and ``bench-eur`` (all);
- 3 media, a two-block rich-text description, product attributes brand and material
  (dropdowns) and, for 1 in 4, a rich-text "care" value of its own;
- per variant: a price in each channel (cost price; a discounted price for 1 in 3), stock
  in 2 of 3 warehouses, 1 medium, variant attributes size and colour (dropdowns) and gtin
  (plain text, a valid GTIN-13 of its own); 1 in 3 variants has a weight of its own.

Saleor's models are imported from the installed Saleor; nothing of Saleor is copied here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

CHANNEL = "bench-usd"
OTHER_CHANNEL = "bench-eur"
BATCH = 5000
SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # listings published and on sale since
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
COLOURS = ("Black", "White", "Navy", "Red", "Green", "Grey", "Beige", "Blue")
TYPES = (("Shirt", 250), ("Shoe", 900), ("Bag", 600), ("Hat", 150))
ROOTS = ("Apparel", "Footwear", "Bags", "Hats", "Outdoor", "Kids", "Sport", "Sale")


def gtin13(number: int) -> str:
    """A GTIN-13 with its GS1 check digit."""
    body = f"{number:012d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, BATCH)):
        yield chunk


def _bulk(model: Any, objects: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for chunk in _chunks(objects):
        out += model.objects.bulk_create(chunk)
    return out


def _editorjs(*texts: str) -> dict[str, Any]:
    return {"time": 1, "blocks": [{"type": "paragraph", "data": {"text": t}} for t in texts]}


def existing() -> str | None:
    from saleor.channel.models import Channel

    return CHANNEL if Channel.objects.filter(slug=CHANNEL).exists() else None


def ensure_catalogue(products: int, variants: int) -> str:
    """The benchmark channel, generating the catalogue first when the database has none."""
    if existing():
        return CHANNEL
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic():
        generate(products, variants)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum would give them
    print(
        f"generated {products:,} products x {variants} variants in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return CHANNEL


def _shop() -> dict[str, Any]:
    """Channels, warehouses, categories, types and attributes: the few rows products share."""
    from measurement.measures import Weight
    from saleor.account.models import Address
    from saleor.attribute.models import (
        Attribute,
        AttributeProduct,
        AttributeValue,
        AttributeVariant,
    )
    from saleor.channel.models import Channel
    from saleor.product.models import Category, ProductType
    from saleor.warehouse.models import Warehouse

    usd = Channel.objects.create(
        name="Bench USD", slug=CHANNEL, currency_code="USD", default_country="US"
    )
    eur = Channel.objects.create(
        name="Bench EUR", slug=OTHER_CHANNEL, currency_code="EUR", default_country="DE"
    )
    address = Address.objects.create(city="Wroclaw", country="PL")
    warehouses = [
        Warehouse.objects.create(name=f"Bench W{i}", slug=f"bench-w{i}", address=address)
        for i in range(3)
    ]
    leaves = []
    for root_name in ROOTS:
        root = Category.objects.create(name=root_name, slug=f"bench-{root_name.lower()}")
        leaves += [
            Category.objects.create(name=f"{root_name} {n}", slug=f"{root.slug}-{n}", parent=root)
            for n in range(6)
        ]

    def attribute(slug: str, name: str, kind: str, values: Iterable[str] = ()) -> Any:
        attr = Attribute.objects.create(slug=slug, name=name, type="PRODUCT_TYPE", input_type=kind)
        made = AttributeValue.objects.bulk_create(
            AttributeValue(attribute=attr, name=v, slug=f"{slug}-{i}", sort_order=i)
            for i, v in enumerate(values)
        )
        return attr, made

    brand = attribute("brand", "Brand", "dropdown", (f"Brand {i}" for i in range(30)))
    material = attribute("material", "Material", "dropdown", ("Cotton", "Wool", "Linen", "Silk"))
    care = attribute("care", "Care", "rich-text")
    size = attribute("size", "Size", "dropdown", SIZES)
    colour = attribute("colour", "Colour", "dropdown", COLOURS)
    gtin = attribute("gtin", "GTIN", "plain-text")
    types = []
    for name, grams in TYPES:
        ptype = ProductType.objects.create(
            name=name, slug=f"bench-{name.lower()}", kind="normal", weight=Weight(g=grams)
        )
        for order, (attr, _) in enumerate((brand, material, care)):
            AttributeProduct.objects.create(attribute=attr, product_type=ptype, sort_order=order)
        assignments = [
            AttributeVariant.objects.create(attribute=attr, product_type=ptype, sort_order=order)
            for order, (attr, _) in enumerate((size, colour, gtin))
        ]
        types.append((ptype, assignments))
    return {
        "channels": (usd, eur), "warehouses": warehouses, "leaves": leaves, "types": types,
        "brand": brand[1], "material": material[1], "care": care[0], "size": size[1],
        "colour": colour[1], "gtin": gtin[0],
    }  # fmt: skip


def generate(n_products: int, n_variants: int) -> None:
    from measurement.measures import Weight
    from saleor.attribute.models import (
        AssignedProductAttributeValue,
        AttributeValue,
    )
    from saleor.product.models import (
        Product,
        ProductChannelListing,
        ProductMedia,
        ProductVariant,
        ProductVariantChannelListing,
        VariantMedia,
    )
    from saleor.warehouse.models import Stock

    shop = _shop()
    usd, eur = shop["channels"]
    types, leaves = shop["types"], shop["leaves"]
    description = _editorjs(
        "A <b>soft</b>, breathable piece cut for everyday wear &amp; travel.",
        "Machine washable at 30 degrees; made in Portugal.",
    )
    products = _bulk(
        Product,
        (
            Product(
                name=f"Bench product {i}",
                slug=f"bench-product-{i}",
                product_type=types[i % len(types)][0],
                category=leaves[i % len(leaves)],
                description=description,
                description_plaintext="A soft, breathable piece.",
                metadata={"origin": "bench"},
            )
            for i in range(n_products)
        ),
    )
    listed = {p.pk for i, p in enumerate(products) if i % 10 != 9}
    _bulk(
        ProductChannelListing,
        (
            ProductChannelListing(
                product=p, channel=c, currency=c.currency_code, visible_in_listings=True,
                is_published=not (c is usd and i % 20 == 3), published_at=SINCE,
                available_for_purchase_at=SINCE,
            )
            for i, p in enumerate(products)
            for c in ((usd, eur) if p.pk in listed else (eur,))
        ),
    )  # fmt: skip
    media = _bulk(
        ProductMedia,
        (
            ProductMedia(product=p, image=f"products/{p.slug}-{n}.jpg", alt=f"{p.name} {n}",
                         sort_order=n)
            for p in products
            for n in range(3)
        ),
    )  # fmt: skip
    cares = _bulk(
        AttributeValue,
        (
            AttributeValue(
                attribute=shop["care"], name=f"care {p.pk}", slug=f"care-{p.pk}",
                rich_text=_editorjs(f"Wash <i>cold</i>, item {p.pk}."),
            )
            for i, p in enumerate(products)
            if i % 4 == 0
        ),
    )  # fmt: skip
    care_of = {int(v.slug.rsplit("-", 1)[1]): v for v in cares}
    brands, materials = shop["brand"], shop["material"]
    _bulk(
        AssignedProductAttributeValue,
        (
            AssignedProductAttributeValue(product=p, value=value, sort_order=order)
            for i, p in enumerate(products)
            for order, value in enumerate(
                (brands[i % len(brands)], materials[i % len(materials)], care_of.get(p.pk))
            )
            if value is not None
        ),
    )
    variants = _bulk(
        ProductVariant,
        (
            ProductVariant(
                product=p, sku=f"BENCH-{p.pk}-{n}", name=SIZES[n % len(SIZES)], sort_order=n,
                weight=Weight(g=200 + n * 10) if n % 3 == 0 else None,
            )
            for p in products
            for n in range(n_variants)
        ),
    )  # fmt: skip
    in_usd = {p.pk: p.pk in listed for p in products}
    _bulk(
        ProductVariantChannelListing,
        (
            ProductVariantChannelListing(
                variant=v, channel=c, currency=c.currency_code,
                price_amount=Decimal("19.99") + v.sort_order,
                cost_price_amount=Decimal("7.50"),
                discounted_price_amount=Decimal("14.99") if v.pk % 3 == 0 else None,
            )
            for v in variants
            for c in ((usd, eur) if in_usd[v.product_id] else (eur,))
        ),
    )  # fmt: skip
    warehouses = shop["warehouses"]
    _bulk(
        Stock,
        (
            Stock(product_variant=v, warehouse=warehouses[(v.pk + k) % 3], quantity=v.pk % 9,
                  quantity_allocated=v.pk % 2)
            for v in variants
            for k in range(2)
        ),
    )  # fmt: skip
    first = {m.product_id: m for m in media if m.sort_order == 0}
    _bulk(VariantMedia, (VariantMedia(variant=v, media=first[v.product_id]) for v in variants))
    _variant_attributes(shop, products, variants)


def _variant_attributes(shop: dict[str, Any], products: list[Any], variants: list[Any]) -> None:
    from saleor.attribute.models import (
        AssignedVariantAttribute,
        AssignedVariantAttributeValue,
        AttributeValue,
    )

    gtins = _bulk(
        AttributeValue,
        (
            AttributeValue(attribute=shop["gtin"], name=code, slug=f"gtin-{v.pk}", plain_text=code)
            for v in variants
            for code in (gtin13(400638000000 + v.pk),)
        ),
    )
    type_of = {p.pk: p.product_type_id for p in products}
    assignments = {ptype.pk: a for ptype, a in shop["types"]}
    sizes, colours = shop["size"], shop["colour"]
    for chunk in _chunks(zip(variants, gtins, strict=True)):
        picked = [
            (v, assignment, value)
            for v, gtin in chunk
            for assignment, value in zip(
                assignments[type_of[v.product_id]],
                (sizes[v.sort_order % len(sizes)], colours[v.pk % len(colours)], gtin),
                strict=True,
            )
        ]
        assigned = AssignedVariantAttribute.objects.bulk_create(
            AssignedVariantAttribute(variant=v, assignment=a) for v, a, _ in picked
        )
        AssignedVariantAttributeValue.objects.bulk_create(
            AssignedVariantAttributeValue(assignment=row, value=value, variant=v)
            for row, (v, _, value) in zip(assigned, picked, strict=True)
        )
