"""Catalog items -> the Merchant API's ``ProductInput``; the rules are the catalog layer's.

:func:`map_product` is :func:`saleor_plugins.catalog.mapping.map_product` with Merchant
Center's limits and offer id (the variant id); :func:`to_product_input` turns an offer into
the Merchant API's ``ProductInput``; :mod:`.feed` writes the same offer as an XML item or a
TSV row.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from ..catalog.mapping import NOTES, Item, Limits, Mapped, report
from ..catalog.mapping import map_product as map_items
from ..catalog.rules import UNSAFE, clean
from ..core.snapshots import Money, Product, Variant
from .settings import GoogleMerchantSettings

__all__ = ["NOTES", "UNSAFE", "Offer", "clean", "map_product", "report", "to_product_input"]

ID_MAX = 50
Offer = Item


def offer_id_for(variant: Variant) -> str:
    """The variant's ID: stable across SKU edits, and known after a product is deleted
    (``product_deleted`` carries variant IDs only), so its offer can still be removed."""
    return variant.id[:ID_MAX]


LIMITS = Limits(title=150, description=5000, additional_images=10, item_id=offer_id_for)


def map_product(
    product: Product, settings: GoogleMerchantSettings, channel: str, now: datetime
) -> Mapped:
    """Offers for every variant of a product listed in ``channel``."""
    return map_items(product, settings, channel, now, LIMITS)


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
