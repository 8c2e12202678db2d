"""The product reader as it was before it read rows (model instances, prefetches): the
baseline ``bench/saleor_catalogue.py`` measures the row reader against, in the same
process on the same data. Frozen here so the ratio stays measurable; not used by the
package. Only ``iter_objects`` is called.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from saleor_plugins.adapter.readers.common import metadata, money, optional_money, pages
from saleor_plugins.adapter.readers.product_rows import category_paths
from saleor_plugins.core import richtext
from saleor_plugins.core import snapshots as s

# Large columns a snapshot never reads: not fetched (building rows is the cost of a page).
_PRODUCT_UNUSED = (
    "search_document",
    "search_vector",
    "private_metadata",
    "seo_title",
    "seo_description",
    "product_type__private_metadata",
    "category__description",
    "category__private_metadata",
    "category__metadata",
    "category__seo_title",
    "category__seo_description",
)
_MEDIA_UNUSED = ("oembed_data", "metadata", "private_metadata")


def queryset() -> Any:
    from django.db.models import Prefetch
    from saleor.attribute.models import AssignedProductAttributeValue
    from saleor.product.models import (
        Product,
        ProductChannelListing,
        ProductMedia,
        ProductVariant,
        ProductVariantChannelListing,
    )
    from saleor.warehouse.models import Stock

    media = ProductMedia.objects.defer(*_MEDIA_UNUSED).order_by("sort_order", "pk")
    variants = (
        ProductVariant.objects.defer("private_metadata").order_by("sort_order", "pk")
    ).prefetch_related(
        Prefetch(
            "channel_listings",
            queryset=ProductVariantChannelListing.objects.select_related("channel").order_by(
                "channel__slug"
            ),
        ),
        Prefetch(
            "stocks",
            queryset=Stock.objects.select_related("warehouse").order_by("warehouse__slug"),
        ),
        Prefetch("media", queryset=media),
    )
    products = Product.objects.select_related("product_type", "category").defer(*_PRODUCT_UNUSED)
    return products.prefetch_related(
        Prefetch(
            "channel_listings",
            queryset=ProductChannelListing.objects.select_related("channel").order_by(
                "channel__slug"
            ),
        ),
        Prefetch("media", queryset=media),
        Prefetch(
            "attributevalues",
            queryset=AssignedProductAttributeValue.objects.select_related(
                "value__attribute"
            ).order_by("sort_order", "pk"),
        ),
        Prefetch("variants", queryset=variants),
    )


def grams(weight: Any) -> Decimal | None:
    """A django-measurement Weight in grams (3 decimals), or None."""
    if weight is None:
        return None
    return Decimal(str(round(weight.g, 3)))


def media_url(medium: Any) -> str:
    from saleor.core.utils import build_absolute_uri

    if medium.external_url and (medium.type != "IMAGE" or not medium.image):
        return str(medium.external_url)
    if medium.image:
        return str(build_absolute_uri(medium.image.url))
    return ""


def _media(items: Iterable[Any]) -> tuple[s.Media, ...]:
    out = (s.Media(media_url(m), m.alt or "", m.sort_order or 0) for m in items)
    return tuple(m for m in out if m.url)


def value_text(value: Any) -> str:
    """What a merchant reads for an attribute value: the plain or rich text when the
    attribute holds text, else the value's name (dropdowns, swatches, numbers, files)."""
    if value.plain_text:
        return str(value.plain_text)
    if value.rich_text:
        return richtext.render(value.rich_text)
    return str(value.name)


def _group(pairs: Iterable[tuple[Any, Any]]) -> tuple[s.Attribute, ...]:
    """(attribute, value) pairs, in order, grouped by attribute."""
    grouped: dict[int, tuple[Any, list[str]]] = {}
    for attribute, value in pairs:
        grouped.setdefault(attribute.pk, (attribute, []))[1].append(value_text(value))
    return tuple(s.Attribute(a.slug, a.name, tuple(v)) for a, v in grouped.values())


def variant_attributes(variant_ids: list[int]) -> dict[int, tuple[s.Attribute, ...]]:
    """Each variant's attributes, from one query (not a prefetch nested two levels deep,
    which Django skips on a page without any, making the query count vary)."""
    from saleor.attribute.models import AssignedVariantAttributeValue

    rows = (
        AssignedVariantAttributeValue.objects.filter(assignment__variant_id__in=variant_ids)
        .select_related("value", "assignment__assignment__attribute")
        .order_by(
            "assignment__variant_id",
            "assignment__assignment__sort_order",
            "assignment__assignment_id",
            "sort_order",
            "pk",
        )
    )
    pairs: dict[int, list[tuple[Any, Any]]] = {}
    for row in rows:
        attribute = row.assignment.assignment.attribute
        pairs.setdefault(row.assignment.variant_id, []).append((attribute, row.value))
    return {variant_id: _group(p) for variant_id, p in pairs.items()}


def _variant(
    variant: Any, fallback_weight: Decimal | None, attributes: tuple[s.Attribute, ...]
) -> s.Variant:
    prices = tuple(
        s.ChannelPrice(
            channel=listing.channel.slug,
            price=money(listing.price_amount, listing.currency),
            cost_price=optional_money(listing.cost_price_amount, listing.currency),
            discounted_price=optional_money(listing.discounted_price_amount, listing.currency),
        )
        for listing in variant.channel_listings.all()
        if listing.price_amount is not None  # no price: not purchasable in that channel
    )
    stocks = tuple(
        s.Stock(st.warehouse.slug, int(st.quantity), int(st.quantity_allocated))
        for st in variant.stocks.all()
    )
    own = grams(variant.weight)
    return s.Variant(
        id=str(variant.pk),
        sku=variant.sku or "",
        name=variant.name or "",
        prices=prices,
        stocks=stocks,
        attributes=attributes,
        media=_media(variant.media.all()),
        track_inventory=bool(variant.track_inventory),
        preorder=bool(variant.is_preorder),
        weight_grams=own if own is not None else fallback_weight,
        external_reference=variant.external_reference or "",
        preorder_end_date=variant.preorder_end_date,
    )


def snapshot(
    product: Any,
    category_path: tuple[tuple[str, str], ...],
    attributes: dict[int, tuple[s.Attribute, ...]],
) -> s.Product:
    weight = grams(product.weight)
    if weight is None:
        weight = grams(product.product_type.weight)
    return s.Product(
        id=str(product.pk),
        slug=product.slug,
        name=product.name,
        description=richtext.render(product.description) or product.description_plaintext,
        product_type=product.product_type.name,
        category=product.category.name if product.category is not None else "",
        category_path=tuple(name for name, _ in category_path),
        category_slugs=tuple(slug for _, slug in category_path),
        variants=tuple(
            _variant(v, weight, attributes.get(v.pk, ())) for v in product.variants.all()
        ),
        listings=tuple(
            s.ChannelListing(
                channel=listing.channel.slug,
                is_published=bool(listing.is_published),
                visible_in_listings=bool(listing.visible_in_listings),
                available_for_purchase_at=listing.available_for_purchase_at,
                published_at=listing.published_at,
            )
            for listing in product.channel_listings.all()
        ),
        attributes=_group((av.value.attribute, av.value) for av in product.attributevalues.all()),
        media=_media(product.media.all()),
        weight_grams=weight,
        updated_at=product.updated_at,
        metadata=metadata(product),
    )


def snapshots(products: list[Any]) -> list[s.Product]:
    paths = category_paths(p.category for p in products if p.category is not None)
    attributes = variant_attributes([v.pk for p in products for v in p.variants.all()])
    return [snapshot(p, paths.get(p.category_id, ()), attributes) for p in products]


def iter_objects(channel: str, page_size: int) -> Iterator[s.Product]:
    qs = queryset().filter(channel_listings__channel__slug=channel)
    for page in pages(qs, "pk", page_size):
        yield from snapshots(page)
