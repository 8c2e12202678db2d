"""Product snapshots -> Merchant Center offers, one per variant; each rule on its own.

:func:`map_product` returns the offers of a product in a channel and, for each variant left
out, the field that was missing. :func:`to_product_input` turns an offer into the Merchant
API's ``ProductInput``; :mod:`.feed` writes the same offer as an XML item or a TSV row.
"""

from __future__ import annotations

import base64
import re
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


@dataclass(slots=True)
class Mapped:
    offers: list[Offer] = field(default_factory=list)
    #: (variant id, missing field) for every variant left out
    skipped: list[tuple[str, str]] = field(default_factory=list)


# -- single rules ---------------------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def truncate(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary with an ellipsis;
    control characters (which XML cannot carry) removed."""
    text = _CONTROL.sub("", text).strip()
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


def attribute_value(product: Product, variant: Variant, slug: str) -> str:
    """First value of the attribute, the variant's before the product's."""
    if not slug:
        return ""
    attributes: tuple[Attribute, ...] = variant.attributes + product.attributes
    for attribute in attributes:
        if attribute.slug == slug:
            for value in attribute.values:
                if value.strip():
                    return value.strip()
    return ""


def gender_of(value: str) -> str:
    return GENDERS.get(value.strip().lower(), "")


def age_group_of(value: str) -> str:
    value = value.strip().lower()
    return value if value in AGE_GROUPS else ""


def gtins_of(value: str) -> tuple[str, ...]:
    """GTIN attribute values: digits only, 8/12/13/14 long, up to 10."""
    found = []
    for part in value.replace(";", ",").split(","):
        digits = "".join(c for c in part if c.isdigit())
        if len(digits) in (8, 12, 13, 14):
            found.append(digits)
    return tuple(found[:GTINS_MAX])


def images_for(product: Product, variant: Variant) -> tuple[str, ...]:
    """Every image URL: the variant's own first, then the product's, without repeats."""
    media: list[Media] = sorted(variant.media, key=lambda m: m.sort_order)
    media += sorted(product.media, key=lambda m: m.sort_order)
    return tuple(dict.fromkeys(m.url for m in media if m.url))


def category_for(product: Product, mapping: dict[str, str]) -> str:
    """Google category of the deepest mapped Saleor category (by slug or name)."""
    if not mapping:
        return ""
    path = [*product.category_path]
    if product.category and (not path or path[-1] != product.category):
        path.append(product.category)
    for name in reversed(path):
        found = mapping.get(name.strip().lower())
        if found:
            return found
    return ""


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
    category = category_for(product, settings.categories())
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
        attr = partial(attribute_value, product, variant)
        gtins = gtins_of(attr(settings.gtin_attribute))
        mpn = attr(settings.mpn_attribute)
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
