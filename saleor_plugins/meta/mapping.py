"""Snapshots -> Meta payloads: catalog items (one per variant) and Conversions API events.

Pure functions over :mod:`saleor_plugins.core.snapshots`; each rule tested on its own.
Several catalog rules are the same as Google Merchant's (availability from stock, sale
price windows, link template, image order, title and description); they are written here
on the core snapshots so that no integration imports another (see docs/meta.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..core import userdata
from ..core.richtext import render as render_rich_text
from ..core.snapshots import Address, ChannelListing, Money, Order, Product, Variant
from .settings import ContentIdRule, MetaSettings, PurchaseOn

TITLE_MAX = 200
DESCRIPTION_MAX = 9999
ADDITIONAL_IMAGES_MAX = 20
RETAILER_ID_MAX = 100
#: Meta refuses a whole request holding one event older than this
MAX_EVENT_AGE = timedelta(days=7)
CONSENT_YES = frozenset({"true", "yes", "1", "granted", "on"})

#: checkout metadata keys the storefront writes (Saleor copies them onto the order)
META_FBP = "meta_fbp"
META_FBC = "meta_fbc"
META_CLIENT_IP = "meta_client_ip"
META_USER_AGENT = "meta_client_user_agent"
META_SOURCE_URL = "meta_event_source_url"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
AVAILABILITY = {"in_stock": "in stock", "out_of_stock": "out of stock", "preorder": "preorder"}


# -- ids --------------------------------------------------------------------------------------
def content_id(sku: str, variant_id: str, rule: ContentIdRule) -> str:
    """The id of a variant in the catalog and in the pixel's ``content_ids``."""
    if rule is ContentIdRule.SKU and sku.strip():
        return sku.strip()[:RETAILER_ID_MAX]
    return str(variant_id)[:RETAILER_ID_MAX]


def event_id(order: Order) -> str:
    """The Purchase's ``event_id``: the order number, which the storefront's order
    confirmation page also knows and passes to ``fbq('track', 'Purchase', ..., {eventID})``."""
    return f"order-{order.number}"


# -- catalog rules ------------------------------------------------------------------------------
def truncate(text: str, limit: int) -> str:
    text = _CONTROL.sub("", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def title_for(product: Product, variant: Variant) -> str:
    title = product.name.strip()
    name = variant.name.strip()
    if name and len(product.variants) > 1 and name.lower() not in title.lower():
        title = f"{title} - {name}"
    return truncate(title, TITLE_MAX)


def description_for(product: Product) -> str:
    text = product.description or ""
    if text.lstrip().startswith("{"):
        text = render_rich_text(text)
    return truncate(text or product.name, DESCRIPTION_MAX)


def images_for(product: Product, variant: Variant) -> tuple[str, ...]:
    """Image URLs: the variant's own first, then the product's, without repeats."""
    media = sorted(variant.media, key=lambda m: m.sort_order)
    media += sorted(product.media, key=lambda m: m.sort_order)
    return tuple(dict.fromkeys(m.url for m in media if m.url))


def attribute_value(product: Product, variant: Variant, slug: str) -> str:
    if not slug:
        return ""
    for attribute in variant.attributes + product.attributes:
        if attribute.slug == slug:
            for value in attribute.values:
                if value.strip():
                    return value.strip()
    return ""


def category_for(product: Product, mapping: dict[str, str]) -> str:
    """Google product category of the deepest mapped Saleor category (slug or name)."""
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


def availability_for(variant: Variant, listing: ChannelListing, now: datetime) -> str | None:
    """Meta's availability, or None when the variant may not be listed yet."""
    starts = listing.available_for_purchase_at
    if starts is None or starts > now:
        return None
    if variant.preorder:
        return "preorder"
    if not variant.track_inventory or variant.quantity_available > 0:
        return "in stock"
    return "out of stock"


def money(value: Money) -> str:
    """Meta's price format: ``19.99 USD``."""
    return f"{value.amount.quantize(Decimal('0.01'))} {value.currency}"


def prices_for(variant: Variant, channel: str, now: datetime) -> dict[str, str] | None:
    """``price`` and, while a sale runs, ``sale_price`` with its effective window."""
    listed = variant.price_in(channel)
    if listed is None or listed.price.amount <= 0:
        return None
    out = {"price": money(listed.price)}
    sale = listed.discounted_price
    if sale is None or sale.amount >= listed.price.amount or sale.amount <= 0:
        return out
    if listed.sale_ends is not None and listed.sale_ends <= now:
        return out
    out["sale_price"] = money(sale)
    if listed.sale_starts or listed.sale_ends:
        start = (listed.sale_starts or now).isoformat(timespec="minutes")
        end = (listed.sale_ends or now + timedelta(days=365)).isoformat(timespec="minutes")
        out["sale_price_effective_date"] = f"{start}/{end}"
    return out


def link_for(settings: MetaSettings, product: Product, variant: Variant, channel: str) -> str:
    return settings.product_url_template.format(
        slug=product.slug,
        product_id=product.id,
        variant_id=variant.id,
        sku=variant.sku,
        channel=channel,
    )


@dataclass(slots=True)
class Items:
    """A product's catalog items, and the variants left out with the reason."""

    items: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (retailer id, reason)


def map_product(product: Product, settings: MetaSettings, channel: str, now: datetime) -> Items:
    """One catalog item per variant listed in the channel (Meta's required fields)."""
    result = Items()
    rule = settings.content_id_rule
    listing = product.listing_in(channel)
    published = listing is not None and listing.is_published
    if listing is not None and listing.published_at is not None and listing.published_at > now:
        published = False
    if listing is None or not published:
        result.skipped = [(content_id(v.sku, v.id, rule), "not listed") for v in product.variants]
        return result
    description = description_for(product)
    category = category_for(product, settings.categories())
    for variant in product.variants:
        retailer_id = content_id(variant.sku, variant.id, rule)
        prices = prices_for(variant, channel, now)
        if prices is None:
            result.skipped.append((retailer_id, "no price"))
            continue
        images = images_for(product, variant)
        if not images:
            result.skipped.append((retailer_id, "no image"))
            continue
        availability = availability_for(variant, listing, now)
        if availability is None:
            result.skipped.append((retailer_id, "not available for purchase"))
            continue
        brand = attribute_value(product, variant, settings.brand_attribute)
        item: dict[str, Any] = {
            "id": retailer_id,
            "title": title_for(product, variant),
            "description": description,
            "availability": availability,
            "condition": settings.condition.value,
            **prices,
            "link": link_for(settings, product, variant, channel),
            "image_link": images[0],
            "brand": truncate(brand or settings.default_brand or product.name, 100),
            "item_group_id": product.id,
        }
        if category:
            item["google_product_category"] = category
        if len(images) > 1:
            item["additional_image_link"] = list(images[1 : 1 + ADDITIONAL_IMAGES_MAX])
        result.items.append(item)
    return result


def upsert_request(item: dict[str, Any]) -> dict[str, Any]:
    return {"method": "UPDATE", "data": item}


def delete_request(retailer_id: str) -> dict[str, Any]:
    return {"method": "DELETE", "data": {"id": retailer_id}}


# -- Conversions API ----------------------------------------------------------------------------
def consent_given(order: Order, settings: MetaSettings) -> bool:
    """True when no consent is required or the order's metadata grants it."""
    if not settings.require_consent:
        return True
    key = settings.consent_metadata_key
    return str(order.metadata.get(key, "")).strip().lower() in CONSENT_YES


def purchase_time(order: Order, on: PurchaseOn) -> datetime | None:
    """When the purchase happened: the order's creation, or its last payment when paid."""
    if on is PurchaseOn.PAID:
        paid = [p.created_at for p in order.payments if p.created_at is not None]
        if paid:
            return max(paid)
        return order.updated_at or order.created_at
    return order.created_at or order.updated_at


def user_data(order: Order) -> dict[str, Any]:
    """Hashed contact data (Meta's normalisation) plus the unhashed browser identifiers."""
    address: Address = order.billing_address or order.shipping_address or Address()
    data: dict[str, Any] = userdata.meta_user_data(
        email=order.email,
        phone=address.phone,
        first_name=address.first_name,
        last_name=address.last_name,
        city=address.city,
        state=address.country_area if address.country == "US" else "",
        postal_code=address.postal_code,
        country=address.country,
    )
    if order.customer is not None and order.customer.id:
        data["external_id"] = [userdata.sha256(order.customer.id)]
    browser = {
        "client_ip_address": META_CLIENT_IP,
        "client_user_agent": META_USER_AGENT,
        "fbp": META_FBP,
        "fbc": META_FBC,
    }
    for field_name, key in browser.items():
        value = str(order.metadata.get(key, "")).strip()[:500]
        if value:
            data[field_name] = value
    return data


def purchase_event(
    order: Order, settings: MetaSettings, now: datetime
) -> tuple[dict[str, Any] | None, str]:
    """The Purchase event for the order, or (None, why it is not sent)."""
    if not consent_given(order, settings):
        return None, f"no consent (order metadata {settings.consent_metadata_key!r})"
    when = purchase_time(order, settings.purchase_on)
    if when is None:
        return None, "the order has no date"
    when = min(when, now)
    if now - when > MAX_EVENT_AGE:
        return None, f"happened {when:%Y-%m-%d %H:%M} UTC, over 7 days ago (Meta refuses it)"
    rule = settings.content_id_rule
    contents = [
        {
            "id": content_id(line.sku, line.variant_id, rule),
            "quantity": line.quantity,
            "item_price": float(line.unit_price_gross.amount),
        }
        for line in order.lines
        if line.quantity > 0 and not line.is_gift_card
    ]
    source_url = str(order.metadata.get(META_SOURCE_URL, "")).strip()[:1000]
    event: dict[str, Any] = {
        "event_name": "Purchase",
        "event_time": int(when.timestamp()),
        "event_id": event_id(order),
        "action_source": "website",
        "user_data": user_data(order),
        "custom_data": {
            "currency": order.currency,
            "value": float(order.total_gross.amount),
            "order_id": order.number,
            "content_type": "product",
            "content_ids": [c["id"] for c in contents],
            "contents": contents,
            "num_items": sum(c["quantity"] for c in contents),
        },
    }
    if source_url or settings.storefront_url:
        event["event_source_url"] = source_url or settings.storefront_url
    return event, ""
