"""Snapshots -> Meta payloads: catalog items (one per variant) and Conversions API events.

Pure functions over :mod:`saleor_plugins.core.snapshots`. The catalog's rules (which
variants are listed, title, description, images, attributes, GTINs, sale windows,
availability, link, category) are the catalog layer's (:mod:`saleor_plugins.catalog`),
shared with Google Merchant; here are only Meta's field names, limits and item id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..catalog.mapping import Item, Limits
from ..catalog.mapping import map_product as map_items
from ..catalog.rules import money_text
from ..core import userdata
from ..core.snapshots import Address, Checkout, Customer, Order, Product
from .settings import ContentIdRule, MetaSettings, PurchaseOn

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
#: checkout metadata key the storefront sets when the shopper gave payment details
META_PAYMENT_INFO = "meta_payment_info_added"
#: the last part of a checkout event's event_id
CHECKOUT_EVENT_IDS = {"InitiateCheckout": "initiate", "AddPaymentInfo": "payment"}

#: the catalog layer's availability -> Meta's
AVAILABILITY = {
    "in_stock": "in stock",
    "out_of_stock": "out of stock",
    "preorder": "preorder",
    "backorder": "available for order",
}


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


# -- catalog items --------------------------------------------------------------------------
@lru_cache(maxsize=4)
def limits(rule: ContentIdRule) -> Limits:
    """Meta's limits (title 200, description 9,999, 20 additional images, a brand
    required) and its item id, the ``content_id``."""
    return Limits(
        title=200,
        description=9999,
        additional_images=20,
        item_id=lambda v: content_id(v.sku, v.id, rule),
        brand_required=True,
        brand=100,
    )


def item_fields(item: Item, now: datetime) -> dict[str, Any]:
    """A catalog item in Meta's field names (``items_batch`` data and the CSV columns)."""
    fields: dict[str, Any] = {
        "id": item.offer_id,
        "title": item.title,
        "description": item.description,
        "availability": AVAILABILITY[item.availability],
        "condition": item.condition,
        "price": money_text(item.price),
        "link": item.link,
        "image_link": item.image_link,
        "brand": item.brand,
        "item_group_id": item.item_group_id,
    }
    if item.sale_price is not None:
        fields["sale_price"] = money_text(item.sale_price)
        if item.sale_starts or item.sale_ends:
            start = (item.sale_starts or now).isoformat(timespec="minutes")
            end = (item.sale_ends or now + timedelta(days=365)).isoformat(timespec="minutes")
            fields["sale_price_effective_date"] = f"{start}/{end}"
    optional: dict[str, Any] = {
        "additional_image_link": list(item.additional_image_links),
        "google_product_category": item.google_product_category,
        "product_type": item.product_type,
        "gtin": item.gtins[0] if item.gtins else "",
        "mpn": item.mpn,
        "color": item.color,
        "size": item.size,
        "gender": item.gender,
        "age_group": item.age_group,
        "material": item.material,
    }
    return fields | {k: v for k, v in optional.items() if v}


@dataclass(slots=True)
class Items:
    """A product's catalog items in Meta's fields, and what the mapping left out or noted
    (worded by :func:`saleor_plugins.catalog.mapping.report`)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)  # missing field -> variants
    notes: Counter[str] = field(default_factory=Counter)


def map_product(product: Product, settings: MetaSettings, channel: str, now: datetime) -> Items:
    """One catalog item per variant listed in the channel (the catalog layer's rules)."""
    mapped = map_items(product, settings, channel, now, limits(settings.content_id_rule))
    return Items(
        items=[item_fields(i, now) for i in mapped.items],
        left_out=mapped.left_out(),
        notes=mapped.notes,
    )


def upsert_request(item: dict[str, Any]) -> dict[str, Any]:
    return {"method": "UPDATE", "data": item}


def delete_request(retailer_id: str) -> dict[str, Any]:
    return {"method": "DELETE", "data": {"id": retailer_id}}


# -- Conversions API ----------------------------------------------------------------------------
def consent_given(metadata: Mapping[str, str], settings: MetaSettings) -> bool:
    """True when no consent is required or the order's (checkout's) metadata grants it."""
    if not settings.require_consent:
        return True
    key = settings.consent_metadata_key
    return str(metadata.get(key, "")).strip().lower() in CONSENT_YES


def purchase_time(order: Order, on: PurchaseOn) -> datetime | None:
    """When the purchase happened: the order's creation, or its last payment when paid."""
    if on is PurchaseOn.PAID:
        paid = [p.created_at for p in order.payments if p.created_at is not None]
        if paid:
            return max(paid)
        return order.updated_at or order.created_at
    return order.created_at or order.updated_at


def user_data(
    email: str, address: Address | None, customer: Customer | None, metadata: Mapping[str, str]
) -> dict[str, Any]:
    """Hashed contact data (Meta's normalisation) plus the unhashed browser identifiers."""
    address = address or Address()
    data: dict[str, Any] = userdata.meta_user_data(
        email=email,
        phone=address.phone,
        first_name=address.first_name,
        last_name=address.last_name,
        city=address.city,
        state=address.country_area if address.country == "US" else "",
        postal_code=address.postal_code,
        country=address.country,
    )
    if customer is not None and customer.id:
        data["external_id"] = [userdata.sha256(customer.id)]
    browser = {
        "client_ip_address": META_CLIENT_IP,
        "client_user_agent": META_USER_AGENT,
        "fbp": META_FBP,
        "fbc": META_FBC,
    }
    for field_name, key in browser.items():
        value = str(metadata.get(key, "")).strip()[:500]
        if value:
            data[field_name] = value
    return data


@dataclass(frozen=True, slots=True)
class Happened:
    """What an event reports, from an order or a checkout."""

    name: str
    event_id: str
    when: datetime | None
    metadata: Mapping[str, str]
    user: dict[str, Any]
    currency: str
    value: Decimal
    #: (content id, quantity, unit price) of each line
    lines: list[tuple[str, int, Decimal]]
    extra: dict[str, Any] = field(default_factory=dict)  # more custom_data


def event(
    happened: Happened, settings: MetaSettings, now: datetime
) -> tuple[dict[str, Any] | None, str]:
    """The Conversions API event, or (None, why it is not sent): consent, the 7-day rule."""
    if not consent_given(happened.metadata, settings):
        return None, f"no consent (metadata {settings.consent_metadata_key!r})"
    if happened.when is None:
        return None, "it has no date"
    when = min(happened.when, now)
    if now - when > MAX_EVENT_AGE:
        return None, f"happened {when:%Y-%m-%d %H:%M} UTC, over 7 days ago (Meta refuses it)"
    contents = [
        {"id": key, "quantity": quantity, "item_price": float(price)}
        for key, quantity, price in happened.lines
    ]
    source_url = str(happened.metadata.get(META_SOURCE_URL, "")).strip()[:1000]
    body: dict[str, Any] = {
        "event_name": happened.name,
        "event_time": int(when.timestamp()),
        "event_id": happened.event_id,
        "action_source": "website",
        "user_data": happened.user,
        "custom_data": {
            "currency": happened.currency,
            "value": float(happened.value),
            **happened.extra,
            "content_type": "product",
            "content_ids": [c["id"] for c in contents],
            "contents": contents,
            "num_items": sum(c["quantity"] for c in contents),
        },
    }
    if source_url or settings.storefront_url:
        body["event_source_url"] = source_url or settings.storefront_url
    return body, ""


def purchase_event(
    order: Order, settings: MetaSettings, now: datetime
) -> tuple[dict[str, Any] | None, str]:
    """The Purchase event for the order, or (None, why it is not sent)."""
    rule = settings.content_id_rule
    happened = Happened(
        name="Purchase",
        event_id=event_id(order),
        when=purchase_time(order, settings.purchase_on),
        metadata=order.metadata,
        user=user_data(
            order.email,
            order.billing_address or order.shipping_address,
            order.customer,
            order.metadata,
        ),
        currency=order.currency,
        value=order.total_gross.amount,
        lines=[
            (
                content_id(line.sku, line.variant_id, rule),
                line.quantity,
                line.unit_price_gross.amount,
            )
            for line in order.lines
            if line.quantity > 0 and not line.is_gift_card
        ],
        extra={"order_id": order.number},
    )
    return event(happened, settings, now)


def checkout_event_id(name: str, token: str) -> str:
    """The ``event_id`` of a checkout event: the storefront knows the checkout token and
    passes the same id to ``fbq('track', name, ..., {eventID})``."""
    return f"checkout-{token}-{CHECKOUT_EVENT_IDS[name]}"


def checkout_event(
    name: str, checkout: Checkout, settings: MetaSettings, now: datetime
) -> tuple[dict[str, Any] | None, str]:
    """InitiateCheckout (a checkout with lines) or AddPaymentInfo (once the storefront
    wrote :data:`META_PAYMENT_INFO` into its metadata), or (None, why not yet / never)."""
    if checkout.completed:
        return None, "the checkout is completed"
    if not checkout.lines:
        return None, "the checkout has no lines yet"
    if name == "AddPaymentInfo" and not str(checkout.metadata.get(META_PAYMENT_INFO, "")).strip():
        return None, f"no payment information yet (checkout metadata {META_PAYMENT_INFO!r})"
    user = user_data(checkout.email, None, checkout.customer, checkout.metadata)
    if not user:
        return None, "nothing identifies the shopper yet (no e-mail, customer or browser ids)"
    rule = settings.content_id_rule
    happened = Happened(
        name=name,
        event_id=checkout_event_id(name, checkout.token),
        when=(checkout.created_at if name == "InitiateCheckout" else checkout.updated_at) or now,
        metadata=checkout.metadata,
        user=user,
        currency=checkout.currency,
        value=checkout.total.amount,
        lines=[
            (content_id(line.sku, line.variant_id, rule), line.quantity, line.unit_price.amount)
            for line in checkout.lines
            if line.quantity > 0
        ],
    )
    return event(happened, settings, now)
