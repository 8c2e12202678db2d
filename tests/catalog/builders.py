"""Product snapshots for the catalog tests of every provider (one variant, in stock, priced
and published in CHANNEL unless told otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from saleor_plugins.core import snapshots as s

CHANNEL = "default-channel"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PAST = datetime(2026, 1, 1, tzinfo=UTC)


def money(amount: str, currency: str = "USD") -> s.Money:
    return s.Money(Decimal(amount), currency)


def variant(vid: str = "v1", **kw: Any) -> s.Variant:
    defaults: dict[str, Any] = {
        "sku": f"SKU-{vid}",
        "name": f"Size {vid}",
        "prices": (s.ChannelPrice(CHANNEL, money("19.99")),),
        "stocks": (s.Stock("wh", 5),),
    }
    return s.Variant(id=vid, **(defaults | kw))


def product(pid: str = "p1", variants: tuple[s.Variant, ...] | None = None, **kw: Any) -> s.Product:
    defaults: dict[str, Any] = {
        "slug": f"shirt-{pid}",
        "name": "Cotton shirt",
        "description": "Soft cotton shirt.",
        "product_type": "Shirt",
        "category": "shirts",
        "category_path": ("apparel", "shirts"),
        "variants": variants if variants is not None else (variant("v1"),),
        "listings": (s.ChannelListing(CHANNEL, True, available_for_purchase_at=PAST),),
        "media": (s.Media("https://img.example.com/a.jpg"),),
        "attributes": (s.Attribute("brand", "Brand", ("Acme",)),),
    }
    return s.Product(id=pid, **(defaults | kw))
