"""One test per mapping rule: what GA4 receives for an order."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from saleor_plugins.core import userdata
from saleor_plugins.google_tag_manager import mapping
from saleor_plugins.google_tag_manager.settings import Consent

from .conftest import SECRET, cfg, line, m, order


def test_timestamp_is_in_microseconds_16_digits_and_exact() -> None:
    when = datetime(2026, 12, 1, 10, 30, 15, 123456, tzinfo=UTC)
    value = mapping.micros(when)
    assert len(str(value)) == 16
    assert value == 1_796_121_015_123_456


def test_purchase_carries_the_order_number_totals_and_items() -> None:
    o = order(voucher_code="SUMMER10")
    params = mapping.purchase(o, cfg())["params"]
    assert params["transaction_id"] == "1001"
    assert (params["value"], params["shipping"], params["currency"]) == (59.0, 5.0, "USD")
    assert params["tax"] == pytest.approx(9.0)
    assert params["coupon"] == "SUMMER10"
    assert [(i["item_id"], i["quantity"], i["price"]) for i in params["items"]] == [
        ("SKU-1", 2, 12.0),
        ("SKU-2", 1, 30.0),
    ]


def test_zero_decimal_currency_is_sent_in_yen_not_hundredths() -> None:
    o = order(currency="JPY", lines=(line(1, qty=1, price="1500", currency="JPY"),))
    params = mapping.purchase(o, cfg())["params"]
    assert params["value"] == 2000 and isinstance(params["value"], int)
    assert params["items"][0]["price"] == 1500


def test_item_id_is_the_sku_falling_back_to_the_variant_id() -> None:
    with_sku, without = line(1), line(2, sku="")
    assert mapping.item_id(with_sku, cfg()) == "SKU-1"
    assert mapping.item_id(without, cfg()) == "v2"
    assert mapping.item_id(with_sku, cfg(item_id="variant_id")) == "v1"


def test_categories_fill_item_category_to_item_category5_and_brand_from_the_attribute() -> None:
    deep = line(1, category_path=("A", "B", "C", "D", "E", "F"))
    item = mapping.item(deep, cfg(), 0)
    assert [item.get(k) for k in ("item_category", "item_category2", "item_category5")] == [
        "A",
        "B",
        "E",
    ]
    assert "item_category6" not in item
    assert item["item_brand"] == "Acme"
    assert "item_brand" not in mapping.item(deep, cfg(brand_attribute=""), 0)


def test_item_price_is_after_discounts_and_discount_is_per_unit() -> None:
    discounted = line(1, qty=2, price="9.00", discount=m("6.00"))
    item = mapping.item(discounted, cfg(), 0)
    assert (item["price"], item["discount"]) == (9.0, 3.0)


def test_long_names_are_cut_to_google_s_100_characters() -> None:
    long = line(1, product_name="x" * 300)
    assert len(mapping.item(long, cfg(), 0)["item_name"]) == 100


def test_parameters_with_names_google_refuses_are_dropped() -> None:
    params = {"ok_name": 1, "ga_reserved": 2, "9starts_with_digit": 3, "x" * 41: 4}
    params.update({f"p{i}": i for i in range(30)})
    cleaned = mapping.clean(params)
    assert "ok_name" in cleaned and len(cleaned) == 25
    assert not {"ga_reserved", "9starts_with_digit", "x" * 41} & set(cleaned)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GA1.1.1234567890.1764590000", "1234567890.1764590000"),
        ("1234567890.1764590000", "1234567890.1764590000"),
        ("not a client id", ""),
        ("<script>", ""),
    ],
)
def test_client_id_from_the_ga_cookie_or_itself(raw: str, expected: str) -> None:
    assert mapping.parse_client_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GS1.1.1764590000.3.1.1764590100.0.0.0", "1764590000"),
        ("GS2.1.s1764590000$o3$g1$t1764590100$j60$l0$h0", "1764590000"),
        ("1764590000", "1764590000"),
        ("GS1.1.abc", ""),
    ],
)
def test_session_id_from_the_stream_cookie_or_itself(raw: str, expected: str) -> None:
    assert mapping.parse_session_id(raw) == expected


def test_pseudonymous_id_is_stable_per_order_and_differs_between_orders() -> None:
    a, b = order(), order("0b0e7f1e-0000-4000-8000-000000000002")
    assert mapping.pseudonymous_client_id(a) == mapping.pseudonymous_client_id(replace(a))
    assert mapping.pseudonymous_client_id(a) != mapping.pseudonymous_client_id(b)
    assert mapping.CLIENT_ID_RE.match(mapping.pseudonymous_client_id(a))


def test_consent_from_metadata_json_one_word_or_the_defaults() -> None:
    settings = cfg(default_ad_user_data="GRANTED")
    as_json = order(metadata={"ga4_consent": json.dumps({"ad_user_data": "denied"})})
    assert mapping.consent(as_json, settings) == {
        "ad_user_data": "DENIED",
        "ad_personalization": "DENIED",  # not recorded: the default
    }
    one_word = order(metadata={"ga4_consent": "granted"})
    assert set(mapping.consent(one_word, cfg()).values()) == {Consent.GRANTED.value}
    assert mapping.consent(order(), settings)["ad_user_data"] == "GRANTED"


def test_user_data_is_hashed_after_google_s_normalisation() -> None:
    data = mapping.user_data(order())
    # gmail addresses lose their dots and case before hashing
    assert data["sha256_email_address"] == [userdata.sha256("annlee@gmail.com")]
    assert data["sha256_phone_number"] == [userdata.sha256("+33612345678")]
    address = data["address"][0]
    assert address["sha256_first_name"] == userdata.sha256("ann")
    assert (address["city"], address["country"]) == ("lyon", "FR")
    assert "Ann" not in json.dumps(data) and "Lee" not in json.dumps(data)


def test_partial_refund_names_the_refunded_items_and_quantities() -> None:
    from saleor_plugins.core import snapshots as s

    o = order()
    when = datetime.now(UTC)
    ev = mapping.refund(o, cfg(), Decimal("12"), when, (s.RefundLine("line-1", 1),))
    assert ev["params"]["value"] == 12.0
    assert [(i["item_id"], i["quantity"]) for i in ev["params"]["items"]] == [("SKU-1", 1)]
    whole = mapping.refund(o, cfg(), Decimal("59"), when)
    assert "items" not in whole["params"]  # a full refund: GA4 refunds every item


def test_the_storefront_ecommerce_object_matches_the_server_purchase() -> None:
    o = order()
    server = mapping.purchase(o, cfg(), session_id="1764590000")["params"]
    browser = mapping.ecommerce(o, cfg())
    assert browser["transaction_id"] == server["transaction_id"]
    assert browser["items"] == server["items"]
    assert browser["value"] == server["value"]


def test_requests_hold_at_most_25_events_and_130_kb() -> None:
    o = order()
    events = [mapping.purchase(o, cfg()) for _ in range(60)]
    chunks = list(mapping.requests_for("1.2", events, {}))
    assert [len(idx) for _, idx in chunks] == [25, 25, 10]
    big = replace(o, lines=tuple(line(i, product_name="n" * 100) for i in range(200)))
    heavy = [mapping.purchase(big, cfg()) for _ in range(10)]
    for body, _ in mapping.requests_for("1.2", heavy, {}):
        assert mapping.size(body) <= mapping.MAX_BYTES
    assert sum(len(i) for _, i in mapping.requests_for("1.2", heavy, {})) == 10


def test_the_storefront_config_never_holds_the_api_secret() -> None:
    public = mapping.storefront_config(cfg())
    assert SECRET not in json.dumps(public)
    assert public["container_id"] == "GTM-ABC1234"
    assert public["metadata_keys"]["client_id"] == "ga4_client_id"
