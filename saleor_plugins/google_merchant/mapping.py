"""Product snapshots -> Merchant Center offers, one per variant; each rule on its own.

:func:`map_product` returns the offers of a product in a channel, for each variant left
out the field that was missing, and notes on values dropped or matched (an invalid GTIN,
the category matched by slug or by name). :func:`to_product_input` turns an offer into the
Merchant API's ``ProductInput``; :mod:`.feed` writes the same offer as an XML item or a
TSV row. :func:`report` is the one wording of both counts for the merchant.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from ..core.richtext import render as render_rich_text
from ..core.snapshots import Attribute, ChannelListing, Media, Money, Product, Variant
from .settings import GoogleMerchantSettings, OutOfStock

__all__ = ["Offer", "map_product", "render_rich_text", "to_product_input"]

TITLE_MAX = 150
DESCRIPTION_MAX = 5000
ADDITIONAL_IMAGES_MAX = 10
GTINS_MAX = 10
ID_MAX = 50
GENDERS = {"male": "male", "men": "male", "female": "female", "women": "female", "unisex": "unisex"}
AGE_GROUPS = frozenset({"adult", "kids", "toddler", "infant", "newborn"})


@dataclass(frozen=True, slots=True)
class Offer:
    offer_id: str
    item_group_id: str
    title: str
    description: str
    link: str
    price: Money
    availability: str  # in_stock, out_of_stock, backorder, preorder
    condition: str
    image_link: str = ""
    additional_image_links: tuple[str, ...] = ()
    sale_price: Money | None = None
    sale_starts: datetime | None = None
    sale_ends: datetime | None = None
    availability_date: datetime | None = None
    brand: str = ""
    gtins: tuple[str, ...] = ()
    mpn: str = ""
    identifier_exists: bool = True
    color: str = ""
    size: str = ""
    gender: str = ""
    age_group: str = ""
    material: str = ""
    google_product_category: str = ""
    product_type: str = ""
    shipping_weight_grams: Decimal | None = None


#: notes on offers that were sent (a value dropped, how the category matched), as
#: :func:`report` words them
NOTES = {
    "gtin_invalid": "GTIN values dropped (wrong length or check digit)",
    "category_slug": "categories matched by slug",
    "category_name": "categories matched by name",
    "category_unmapped": "offers without a mapped category",
}


@dataclass(slots=True)
class Mapped:
    offers: list[Offer] = field(default_factory=list)
    #: (variant id, missing field) for every variant left out
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: key of :data:`NOTES` -> count, over the offers sent
    notes: Counter[str] = field(default_factory=Counter)


def report(left_out: Mapping[str, int], notes: Mapping[str, int]) -> str:
    """ "left out: 2 without price; 3 GTIN values dropped (...), 5 categories matched by
    slug" for a sync log or the dashboard ("" when there is nothing to say)."""
    parts = []
    left = ", ".join(f"{n} without {f}" for f, n in sorted(left_out.items()) if n)
    if left:
        parts.append(f"left out: {left}")
    noted = ", ".join(f"{notes[k]} {label}" for k, label in NOTES.items() if notes.get(k))
    if noted:
        parts.append(noted)
    return "; ".join(parts)


# -- single rules ---------------------------------------------------------------------------


#: what XML 1.0 cannot carry (C0 controls but tab, LF, CR; surrogates; U+FFFE/U+FFFF), and
#: DEL and the C1 controls, which Google shows as garbage
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


def title_for(product: Product, variant: Variant) -> str:
    """The product name, plus the variant name when the product has several variants."""
    title = product.name.strip()
    name = variant.name.strip()
    if name and len(product.variants) > 1 and name.lower() not in title.lower():
        title = f"{title} - {name}"
    return truncate(title, TITLE_MAX)


def description_for(product: Product) -> str:
    text = product.description or ""
    if text.lstrip().startswith("{"):
        text = render_rich_text(text)
    return truncate(text, DESCRIPTION_MAX) if text else truncate(product.name, DESCRIPTION_MAX)


def attribute_values(product: Product, variant: Variant) -> dict[str, str]:
    """Attribute slug -> its first non-empty value, the variant's before the product's."""
    found: dict[str, str] = {}
    attributes: tuple[Attribute, ...] = variant.attributes + product.attributes
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


def images_for(product: Product, variant: Variant) -> tuple[str, ...]:
    """Every image URL: the variant's own first, then the product's, without repeats."""
    media: list[Media] = sorted(variant.media, key=lambda m: m.sort_order)
    media += sorted(product.media, key=lambda m: m.sort_order)
    return tuple(dict.fromkeys(m.url for m in media if m.url))


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


def prices_for(
    variant: Variant, channel: str, now: datetime
) -> tuple[Money, Money | None, datetime | None, datetime | None] | None:
    """(price, sale price, sale start, sale end), or None without a price in the channel."""
    listed = variant.price_in(channel)
    if listed is None:
        return None
    sale = listed.discounted_price
    if sale is None or sale.amount >= listed.price.amount or sale.amount <= 0:
        return listed.price, None, None, None
    if listed.sale_ends is not None and listed.sale_ends <= now:
        return listed.price, None, None, None
    return listed.price, sale, listed.sale_starts, listed.sale_ends


def availability_for(
    variant: Variant,
    listing: ChannelListing,
    settings: GoogleMerchantSettings,
    now: datetime,
) -> tuple[str, datetime | None] | None:
    """(availability, availability date), or None when the variant is left out."""
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


def link_for(
    settings: GoogleMerchantSettings, product: Product, variant: Variant, channel: str
) -> str:
    return settings.product_url_template.format(
        slug=product.slug,
        product_id=product.id,
        variant_id=variant.id,
        sku=variant.sku,
        channel=channel,
    )


def offer_id_for(variant: Variant) -> str:
    """The variant's ID: stable across SKU edits, and known after a product is deleted
    (``product_deleted`` carries variant IDs only), so its offer can still be removed."""
    return variant.id[:ID_MAX]


# -- a whole product ------------------------------------------------------------------------


def map_product(
    product: Product, settings: GoogleMerchantSettings, channel: str, now: datetime
) -> Mapped:
    """Offers for every variant of a product listed in ``channel``."""
    result = Mapped()
    listing = product.listing_in(channel)
    if listing is None or not listing.is_published:
        result.skipped = [(v.id, "listing") for v in product.variants]
        return result
    description = description_for(product)
    category, matched = category_for(product, settings.categories())
    path = product.category_path or ((product.category,) if product.category else ())
    product_type = " > ".join(path)
    for variant in product.variants:
        prices = prices_for(variant, channel, now)
        if prices is None:
            result.skipped.append((variant.id, "price"))
            continue
        images = images_for(product, variant)
        if not images:
            result.skipped.append((variant.id, "image_link"))
            continue
        availability = availability_for(variant, listing, settings, now)
        if availability is None:
            result.skipped.append((variant.id, "availability"))
            continue
        attr = partial(attribute_value, attribute_values(product, variant))
        gtins, invalid = gtins_of(attr(settings.gtin_attribute))
        mpn = attr(settings.mpn_attribute)
        if invalid:
            result.notes["gtin_invalid"] += invalid
        price, sale, sale_starts, sale_ends = prices
        result.offers.append(
            Offer(
                offer_id=offer_id_for(variant),
                item_group_id=product.id,
                title=title_for(product, variant),
                description=description,
                link=link_for(settings, product, variant, channel),
                price=price,
                sale_price=sale,
                sale_starts=sale_starts,
                sale_ends=sale_ends,
                availability=availability[0],
                availability_date=availability[1],
                condition=settings.condition.value,
                image_link=images[0],
                additional_image_links=images[1 : 1 + ADDITIONAL_IMAGES_MAX],
                brand=attr(settings.brand_attribute) or settings.default_brand,
                gtins=gtins,
                mpn=mpn,
                identifier_exists=bool(gtins or mpn),
                color=attr(settings.color_attribute),
                size=attr(settings.size_attribute),
                gender=gender_of(attr(settings.gender_attribute)),
                age_group=age_group_of(attr(settings.age_group_attribute)),
                material=attr(settings.material_attribute),
                google_product_category=category,
                product_type=product_type,
                shipping_weight_grams=variant.weight_grams or product.weight_grams,
            )
        )
    if settings.category_mapping and result.offers:
        result.notes[f"category_{matched or 'unmapped'}"] += len(result.offers)
    return result


# -- Merchant API ---------------------------------------------------------------------------


def micros(money: Money) -> dict[str, str]:
    amount = int((money.amount * 1_000_000).to_integral_value())
    return {"amountMicros": str(amount), "currencyCode": money.currency}


def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def product_attributes(offer: Offer) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "title": offer.title,
        "description": offer.description,
        "link": offer.link,
        "itemGroupId": offer.item_group_id,
        "price": micros(offer.price),
        "availability": offer.availability.upper(),
        "condition": offer.condition.upper(),
        "identifierExists": offer.identifier_exists,
    }
    optional: dict[str, Any] = {
        "imageLink": offer.image_link,
        "additionalImageLinks": list(offer.additional_image_links),
        "brand": offer.brand,
        "gtins": list(offer.gtins),
        "mpn": offer.mpn,
        "color": offer.color,
        "size": offer.size,
        "gender": offer.gender.upper(),
        "ageGroup": offer.age_group.upper(),
        "material": offer.material,
        "googleProductCategory": offer.google_product_category,
        "productTypes": [offer.product_type] if offer.product_type else [],
    }
    attributes |= {k: v for k, v in optional.items() if v}
    if offer.sale_price is not None:
        attributes["salePrice"] = micros(offer.sale_price)
        interval = {}
        if offer.sale_starts is not None:
            interval["startTime"] = _timestamp(offer.sale_starts)
        if offer.sale_ends is not None:
            interval["endTime"] = _timestamp(offer.sale_ends)
        if interval:
            attributes["salePriceEffectiveDate"] = interval
    if offer.availability_date is not None:
        attributes["availabilityDate"] = _timestamp(offer.availability_date)
    if offer.shipping_weight_grams:
        attributes["shippingWeight"] = {"value": float(offer.shipping_weight_grams), "unit": "g"}
    return attributes


def to_product_input(offer: Offer, settings: GoogleMerchantSettings) -> dict[str, Any]:
    """The Merchant API ``ProductInput`` body of an offer."""
    return {
        "offerId": offer.offer_id,
        "contentLanguage": settings.content_language,
        "feedLabel": settings.feed_label,
        "productAttributes": product_attributes(offer),
    }


def product_input_name(account: str, settings: GoogleMerchantSettings, offer_id: str) -> str:
    """``accounts/{a}/productInputs/{id}`` with the id in the unpadded base64url form."""
    raw = f"{settings.content_language}~{settings.feed_label}~{offer_id}".encode()
    encoded = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"accounts/{account}/productInputs/{encoded}"
