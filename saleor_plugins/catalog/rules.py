"""The single rules of a catalog item, each on its own: text, images, attributes, GTINs,
category, prices, availability, link. Pure functions over the core snapshots."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from ..core.richtext import render as render_rich_text
from ..core.snapshots import Attribute, ChannelListing, Media, Money, Product, Variant
from .settings import CatalogSettings, OutOfStock

GTINS_MAX = 10
GENDERS = {"male": "male", "men": "male", "female": "female", "women": "female", "unisex": "unisex"}
AGE_GROUPS = frozenset({"adult", "kids", "toddler", "infant", "newborn"})

#: what XML 1.0 cannot carry (C0 controls but tab, LF, CR; surrogates; U+FFFE/U+FFFF), and
#: DEL and the C1 controls, which providers show as garbage
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` without the characters of :data:`UNSAFE`."""
    return UNSAFE.sub("", text)


def truncate(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary with an ellipsis;
    unsafe characters removed first, so they do not count."""
    text = clean(text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def title_for(product: Product, variant: Variant, limit: int) -> str:
    """The product name, plus the variant name when the product has several variants."""
    title = product.name.strip()
    name = variant.name.strip()
    if name and len(product.variants) > 1 and name.lower() not in title.lower():
        title = f"{title} - {name}"
    return truncate(title, limit)


def description_for(product: Product, limit: int) -> str:
    """The description as plain text (Saleor's rich text rendered), else the name."""
    text = product.description or ""
    if text.lstrip().startswith("{"):
        text = render_rich_text(text)
    return truncate(text, limit) if text else truncate(product.name, limit)


def images_for(product: Product, variant: Variant) -> tuple[str, ...]:
    """Every image URL: the variant's own first, then the product's, without repeats."""
    return image_urls(variant.media, product.media)


def image_urls(*groups: tuple[Media, ...]) -> tuple[str, ...]:
    """The media's URLs, group after group, each group in its sort order, without
    repeats."""
    media: list[Media] = []
    for group in groups:
        media += sorted(group, key=_sort_order)
    return tuple(dict.fromkeys(m.url for m in media if m.url))


def _sort_order(medium: Media) -> int:
    return medium.sort_order


def attribute_values(
    product: Product, variant: Variant, product_values: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Attribute slug -> its first non-empty value, the variant's before the product's
    (``product_values``: :func:`first_values` of the product's, computed once for all
    its variants)."""
    if product_values is None:
        product_values = first_values(product.attributes)
    return {**product_values, **first_values(variant.attributes)}


def first_values(attributes: tuple[Attribute, ...]) -> dict[str, str]:
    """Attribute slug -> its first non-empty value (stripped); of two attributes with a
    slug, the first that has one."""
    found: dict[str, str] = {}
    for attribute in attributes:
        if attribute.slug not in found:
            for value in attribute.values:
                value = value.strip()
                if value:
                    found[attribute.slug] = value
                    break
    return found


def attribute_value(values: Mapping[str, str], slugs: tuple[str, ...]) -> str:
    """The value of the first of ``slugs`` that has one (settings list them in priority)."""
    for slug in slugs:
        value = values.get(slug)
        if value:
            return value
    return ""


def gender_of(value: str) -> str:
    return GENDERS.get(value.strip().lower(), "")


def age_group_of(value: str) -> str:
    value = value.strip().lower()
    return value if value in AGE_GROUPS else ""


_GTIN_SEPARATORS = str.maketrans("", "", " -.")


def gtin_is_valid(digits: str) -> bool:
    """A GTIN-8, -12 (UPC), -13 (EAN) or -14 with a correct GS1 check digit."""
    if len(digits) not in (8, 12, 13, 14) or not digits.isascii() or not digits.isdigit():
        return False
    raw = digits.encode()  # ASCII codes: digit + 48
    # weights 3, 1, 3, ... leftwards from the digit left of the check digit
    threes, ones = raw[-2::-2], raw[-3::-2]
    total = 3 * sum(threes) + sum(ones) - 48 * (3 * len(threes) + len(ones))
    return (10 - total % 10) % 10 == raw[-1] - 48


def gtins_of(value: str) -> tuple[tuple[str, ...], int]:
    """(valid GTINs, up to 10; how many values were dropped as invalid) of an attribute
    value such as ``"4006381333931"`` or ``"0-12345-67890-5, 4006381333931"``."""
    found, invalid = [], 0
    for part in value.replace(";", ",").split(","):
        if not part.strip():
            continue
        digits = part.translate(_GTIN_SEPARATORS)
        if gtin_is_valid(digits):
            found.append(digits)
        else:
            invalid += 1
    return tuple(found[:GTINS_MAX]), invalid


def category_for(product: Product, mapping: Mapping[str, str]) -> tuple[str, str]:
    """(Google category, how it matched: "slug", "name" or "" for none) of the deepest
    Saleor category with a mapping line; at one depth the slug (unique) wins."""
    if not mapping:
        return "", ""
    names = [*product.category_path]
    if product.category and (not names or names[-1] != product.category):
        names.append(product.category)
    slugs = [*product.category_slugs]
    depth = max(len(names), len(slugs))
    # both paths run root to leaf: align them on the leaf
    names = [""] * (depth - len(names)) + names
    slugs = [""] * (depth - len(slugs)) + slugs
    for name, slug in zip(reversed(names), reversed(slugs), strict=True):
        for key, how in ((slug, "slug"), (name, "name")):
            found = mapping.get(key.strip().lower()) if key else None
            if found:
                return found, how
    return "", ""


def published(listing: ChannelListing | None, now: datetime) -> bool:
    """Visible in the channel: listed, published, and its publication date reached."""
    if listing is None or not listing.is_published:
        return False
    return listing.published_at is None or listing.published_at <= now


def prices_for(
    variant: Variant, channel: str, now: datetime
) -> tuple[Money, Money | None, datetime | None, datetime | None] | None:
    """(price, sale price, sale start, sale end), or None without a price above zero."""
    listed = variant.price_in(channel)
    if listed is None or listed.price.amount <= 0:
        return None
    sale = listed.discounted_price
    if sale is None or sale.amount >= listed.price.amount or sale.amount <= 0:
        return listed.price, None, None, None
    if listed.sale_ends is not None and listed.sale_ends <= now:
        return listed.price, None, None, None
    return listed.price, sale, listed.sale_starts, listed.sale_ends


def availability_for(
    variant: Variant, listing: ChannelListing, settings: CatalogSettings, now: datetime
) -> tuple[str, datetime | None] | None:
    """(availability: in_stock, out_of_stock, backorder or preorder; availability date),
    or None when the variant is left out."""
    starts = listing.available_for_purchase_at
    if starts is None or starts > now:
        if not settings.list_unavailable:
            return None
        return ("preorder", starts) if starts is not None else ("out_of_stock", None)
    if variant.preorder:
        end = variant.preorder_end_date
        return "preorder", end if end is not None and end > now else None
    if not variant.track_inventory or variant.quantity_available > 0:
        return "in_stock", None
    if settings.out_of_stock is OutOfStock.SKIP:
        return None
    if settings.out_of_stock is OutOfStock.BACKORDER:
        return "backorder", None
    return "out_of_stock", None


def link_for(settings: CatalogSettings, product: Product, variant: Variant, channel: str) -> str:
    return settings.product_url_template.format(
        slug=product.slug,
        product_id=product.id,
        variant_id=variant.id,
        sku=variant.sku,
        channel=channel,
    )


def money_text(value: Money | None) -> str:
    """The feed format of a price: ``19.99 USD`` ("" for none)."""
    if value is None:
        return ""
    return f"{value.amount.quantize(Decimal('0.01'))} {value.currency}"
