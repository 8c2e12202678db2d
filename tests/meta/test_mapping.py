"""One test per mapping rule: catalog items and the Purchase event."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from saleor_plugins.core import snapshots as s
from saleor_plugins.meta import mapping
from saleor_plugins.meta.settings import ContentIdRule, PurchaseOn

from .conftest import CHANNEL, money, order, plain_settings, product, variant

NOW = datetime.now(UTC)


def items(p: s.Product, **settings: str) -> mapping.Items:
    return mapping.map_product(p, plain_settings(**settings), CHANNEL, NOW)


def test_content_id_is_the_sku_else_the_variant_id() -> None:
    assert mapping.content_id("SKU-1", "v1", ContentIdRule.SKU) == "SKU-1"
    assert mapping.content_id("  ", "v1", ContentIdRule.SKU) == "v1"
    assert mapping.content_id("SKU-1", "v1", ContentIdRule.VARIANT_ID) == "v1"


def test_one_item_per_variant_with_the_required_fields() -> None:
    found = items(product("p1", (variant("a"), variant("b"))))
    assert [i["id"] for i in found.items] == ["SKU-a", "SKU-b"]
    item = found.items[0]
    assert item == {
        "id": "SKU-a",
        "title": "Cotton shirt - Size a",
        "description": "Soft cotton shirt.",
        "availability": "in stock",
        "condition": "new",
        "price": "19.99 USD",
        "link": "https://shop.example.com/p/shirt-p1?v=a",
        "image_link": "https://img.example.com/a.jpg",
        "brand": "Acme",
        "item_group_id": "p1",
        "additional_image_link": ["https://img.example.com/b.jpg"],
        "product_type": "apparel > shirts",
    }


def test_a_running_sale_gives_sale_price_and_its_window() -> None:
    price = s.ChannelPrice(
        CHANNEL, money("20"), discounted_price=money("15"), sale_ends=NOW + timedelta(days=2)
    )
    item = items(product("p1", (variant("a", prices=(price,)),))).items[0]
    assert item["price"] == "20.00 USD" and item["sale_price"] == "15.00 USD"
    assert item["sale_price_effective_date"].endswith(
        (NOW + timedelta(days=2)).isoformat(timespec="minutes")
    )
    ended = s.ChannelPrice(
        CHANNEL, money("20"), discounted_price=money("15"), sale_ends=NOW - timedelta(hours=1)
    )
    assert "sale_price" not in items(product("p1", (variant("a", prices=(ended,)),))).items[0]


def test_purchase_event_fields() -> None:
    event, why = mapping.purchase_event(order(), plain_settings(), NOW)
    assert why == "" and event is not None
    assert event["event_name"] == "Purchase"
    assert event["event_id"] == "order-1042"
    assert event["action_source"] == "website"
    assert event["event_source_url"] == "https://shop.example.com"
    assert NOW.timestamp() - event["event_time"] < 3600
    assert event["custom_data"]["currency"] == "USD"
    assert event["custom_data"]["value"] == 24.0
    assert event["custom_data"]["contents"] == [{"id": "SKU-v1", "quantity": 2, "item_price": 12.0}]
    user = event["user_data"]
    assert user["em"] == [hashlib.sha256(b"john_smith@gmail.com").hexdigest()]
    assert user["ph"] == [hashlib.sha256(b"16505551212").hexdigest()]
    assert user["zp"] == hashlib.sha256(b"94025").hexdigest()
    assert user["ct"] == hashlib.sha256(b"menlopark").hexdigest()
    assert user["st"] == hashlib.sha256(b"ca").hexdigest()
    assert user["fn"] == hashlib.sha256(b"john").hexdigest()
    # browser identifiers travel unhashed, as Meta requires
    assert user["fbp"] == "fb.1.1596403881668.1116446470"
    assert user["client_ip_address"] == "203.0.113.7"
    assert user["client_user_agent"] == "Mozilla/5.0 (test)"


def test_event_time_is_when_it_happened() -> None:
    placed = NOW - timedelta(days=2)
    paid = NOW - timedelta(days=1)
    o = order(created_at=placed, payments=(s.Payment("p", "g", "r", money("24"), created_at=paid),))
    assert mapping.purchase_time(o, PurchaseOn.CREATED) == placed
    assert mapping.purchase_time(o, PurchaseOn.PAID) == paid


def test_events_older_than_seven_days_are_not_sent() -> None:
    event, why = mapping.purchase_event(order(age=timedelta(days=8)), plain_settings(), NOW)
    assert event is None and "7 days" in why


def test_without_consent_nothing_is_sent() -> None:
    denied = order(metadata={"marketing_consent": "false"})
    event, why = mapping.purchase_event(denied, plain_settings(), NOW)
    assert event is None and "consent" in why
    missing = order(metadata={})
    assert mapping.purchase_event(missing, plain_settings(), NOW)[0] is None
    # no key configured: no consent asked
    assert mapping.purchase_event(missing, plain_settings(require_consent="false"), NOW)[0]


def test_the_storefront_can_give_the_event_source_url() -> None:
    o = order(
        metadata={
            "marketing_consent": "yes",
            "meta_event_source_url": "https://shop.example.com/thanks",
        }
    )
    event, _ = mapping.purchase_event(o, plain_settings(), NOW)
    assert event is not None and event["event_source_url"] == "https://shop.example.com/thanks"
    assert "fbp" not in event["user_data"]
