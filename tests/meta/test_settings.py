"""Settings are validated field by field; the token check names the field."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_plugins.core.settings import Kind, SettingsErrors
from saleor_plugins.meta.settings import ContentIdRule, MetaSettings, PurchaseOn

from .conftest import config


def errors(**overrides: Any) -> dict[str, str]:
    with pytest.raises(SettingsErrors) as e:
        MetaSettings.parse(config(**overrides))
    return e.value.errors


def test_defaults_purchase_on_paid_and_sku_content_ids() -> None:
    parsed = MetaSettings.parse(config())
    assert parsed.purchase_on is PurchaseOn.PAID
    assert parsed.content_id_rule is ContentIdRule.SKU
    assert parsed.events == ("Purchase",)
    assert MetaSettings.kind_of("access_token") is Kind.SECRET
    assert "EAAB" not in repr(parsed)


def test_ids_must_be_numeric() -> None:
    assert set(errors(catalog_id="cat-1", pixel_id="12 34")) == {"catalog_id", "pixel_id"}


def test_unknown_events_and_purchase_moments_are_refused() -> None:
    assert "Purchase" in errors(events="Purchase, AddToWishlist")["events"]
    assert "purchase_on" in errors(purchase_on="shipped")


def test_events_none_means_catalog_only() -> None:
    parsed = MetaSettings.parse(config(events="none", pixel_id=""))
    assert parsed.events == () and not parsed.sends_purchase


def test_cross_field_rules() -> None:
    assert "catalog_id" in errors(catalog_id="", pixel_id="")
    assert "product_url_template" in errors(product_url_template="")
    assert "pixel_id" in errors(pixel_id="")


def test_token_required_only_when_active() -> None:
    assert "access_token" in errors(access_token="")
    MetaSettings.parse(config(access_token=""), active=False)


def test_field_formats() -> None:
    assert "test_event_code" in errors(test_event_code="TEST 1")
    assert "consent_metadata_key" in errors(consent_metadata_key="a b")
    assert "product_url_template" in errors(product_url_template="https://x/{nope}")
    assert "storefront_url" in errors(storefront_url="shop.example.com")
    assert "catalog_id" in errors(catalog_id="1" * 21)  # size bound
    assert "line 2" in errors(category_mapping="shirts = 1\nno equals sign")["category_mapping"]
