"""Each catalog provider seen the same way: its output for a product, read back into the
catalog layer's terms, so one test checks one rule for every provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from saleor_plugins.catalog.settings import CatalogSettings
from saleor_plugins.core import snapshots as s
from saleor_plugins.google_merchant import mapping as merchant
from saleor_plugins.google_merchant.settings import GoogleMerchantSettings
from saleor_plugins.meta import mapping as meta
from saleor_plugins.meta.settings import MetaSettings

from .builders import CHANNEL, NOW

TEMPLATE = "https://shop.example.com/p/{slug}?v={variant_id}"


def _price(micros: dict[str, str] | None) -> str:
    if not micros:
        return ""
    amount = Decimal(micros["amountMicros"]) / 1_000_000
    return f"{amount.quantize(Decimal('0.01'))} {micros['currencyCode']}"


def _merchant_view(body: dict[str, Any]) -> dict[str, Any]:
    a = body["productAttributes"]
    return {
        "id": body["offerId"],
        "title": a["title"],
        "description": a["description"],
        "link": a["link"],
        "image": a.get("imageLink", ""),
        "more_images": a.get("additionalImageLinks", []),
        "price": _price(a["price"]),
        "sale_price": _price(a.get("salePrice")),
        "availability": a["availability"].lower(),
        "condition": a["condition"].lower(),
        "brand": a.get("brand", ""),
        "gtins": a.get("gtins", []),
        "mpn": a.get("mpn", ""),
        "color": a.get("color", ""),
        "size": a.get("size", ""),
        "gender": a.get("gender", "").lower(),
        "age_group": a.get("ageGroup", "").lower(),
        "material": a.get("material", ""),
        "category": a.get("googleProductCategory", ""),
        "group": a["itemGroupId"],
    }


_META_AVAILABILITY = {v: k for k, v in meta.AVAILABILITY.items()}


def _meta_view(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "title": item["title"],
        "description": item["description"],
        "link": item["link"],
        "image": item["image_link"],
        "more_images": item.get("additional_image_link", []),
        "price": item["price"],
        "sale_price": item.get("sale_price", ""),
        "availability": _META_AVAILABILITY[item["availability"]],
        "condition": item["condition"],
        "brand": item["brand"],
        "gtins": [item["gtin"]] if "gtin" in item else [],
        "mpn": item.get("mpn", ""),
        "color": item.get("color", ""),
        "size": item.get("size", ""),
        "gender": item.get("gender", ""),
        "age_group": item.get("age_group", ""),
        "material": item.get("material", ""),
        "category": item.get("google_product_category", ""),
        "group": item["item_group_id"],
    }


@dataclass(frozen=True)
class Provider:
    name: str
    settings: Callable[..., CatalogSettings]
    #: product, settings -> the provider's payloads, read back as catalog terms
    views: Callable[[s.Product, Any], list[dict[str, Any]]]
    #: product, settings -> (missing field -> variants left out, notes)
    report: Callable[[s.Product, Any], tuple[dict[str, int], dict[str, int]]]
    title_max: int
    description_max: int

    def items(self, product: s.Product, **settings: Any) -> list[dict[str, Any]]:
        return self.views(product, self.settings(**settings))

    def left_out(
        self, product: s.Product, **settings: Any
    ) -> tuple[dict[str, int], dict[str, int]]:
        return self.report(product, self.settings(**settings))


def merchant_settings(**overrides: Any) -> GoogleMerchantSettings:
    raw = {"merchant_id": "123456", "product_url_template": TEMPLATE}
    return GoogleMerchantSettings.parse(raw | overrides, active=False)


def meta_settings(**overrides: Any) -> MetaSettings:
    raw = {"catalog_id": "111", "product_url_template": TEMPLATE, "brand_attribute": ""}
    return MetaSettings.parse(raw | overrides, active=False)


def _merchant_views(product: s.Product, settings: Any) -> list[dict[str, Any]]:
    mapped = merchant.map_product(product, settings, CHANNEL, NOW)
    return [_merchant_view(merchant.to_product_input(o, settings)) for o in mapped.items]


def _merchant_report(product: s.Product, settings: Any) -> tuple[dict[str, int], dict[str, int]]:
    mapped = merchant.map_product(product, settings, CHANNEL, NOW)
    return dict(mapped.left_out()), dict(mapped.notes)


def _meta_views(product: s.Product, settings: Any) -> list[dict[str, Any]]:
    return [_meta_view(i) for i in meta.map_product(product, settings, CHANNEL, NOW).items]


def _meta_report(product: s.Product, settings: Any) -> tuple[dict[str, int], dict[str, int]]:
    mapped = meta.map_product(product, settings, CHANNEL, NOW)
    return dict(mapped.left_out), dict(mapped.notes)


PROVIDERS = {
    "google_merchant": Provider(
        "google_merchant", merchant_settings, _merchant_views, _merchant_report, 150, 5000
    ),
    "meta": Provider("meta", meta_settings, _meta_views, _meta_report, 200, 9999),
}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> Provider:
    return PROVIDERS[request.param]
