"""Fixtures: a fake Merchant API, service-account keys, snapshots.

The app is installed by the shared settings, from the ``saleor.plugins`` entry points.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import rsa
from pytest_httpserver import HTTPServer

from saleor_plugins.core import snapshots as s
from saleor_plugins.google_merchant.settings import GoogleMerchantSettings
from saleor_plugins.testing.providers.google_merchant import FakeMerchant

from ..catalog.builders import CHANNEL, NOW, PAST, product, variant

__all__ = ["CHANNEL", "NOW", "PAST", "product", "variant"]

ACCOUNT = "123456"
DATA_SOURCE = "777"


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    _, private = rsa.newkeys(1024)
    return private.save_pkcs1().decode()


@pytest.fixture
def merchant(httpserver: HTTPServer, settings: Any) -> Iterator[FakeMerchant]:
    fake = FakeMerchant(httpserver)
    fake.install()
    settings.SALEOR_PLUGINS_GOOGLE_MERCHANT_ENDPOINT = fake.url
    yield fake
    assert fake.schema_problems == [], fake.schema_problems


def service_account(token_uri: str, pem: str) -> str:
    return json.dumps(
        {
            "type": "service_account",
            "client_email": "saleor@test-project.iam.gserviceaccount.com",
            "private_key": pem,
            "private_key_id": "k1",
            "token_uri": token_uri,
        }
    )


@pytest.fixture
def config(merchant: FakeMerchant, private_key_pem: str) -> dict[str, Any]:
    return {
        "merchant_id": ACCOUNT,
        "data_source": DATA_SOURCE,
        "service_account_json": service_account(merchant.token_uri, private_key_pem),
        "content_language": "en",
        "feed_label": "US",
        "product_url_template": "https://shop.example.com/products/{slug}?variant={variant_id}",
        "brand_attribute": "brand",
        "gtin_attribute": "gtin",
        "color_attribute": "color",
        "size_attribute": "size",
    }


@pytest.fixture
def gm_settings(config: dict[str, Any]) -> GoogleMerchantSettings:
    return GoogleMerchantSettings.parse(config)


def plain_settings(**overrides: Any) -> GoogleMerchantSettings:
    """Settings for mapping tests (no server)."""
    raw = {
        "merchant_id": ACCOUNT,
        "product_url_template": "https://shop.example.com/p/{slug}?v={variant_id}",
    }
    return GoogleMerchantSettings.parse(raw | overrides, active=False)


class MemoryHost:
    """A Host over snapshots kept in memory."""

    products: dict[str, s.Product] = {}

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        return self.products.get(object_id) if object_type == "product" else None

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        for pid in sorted(self.products):
            item = self.products[pid]
            if item.listing_in(channel) is not None:
                yield item

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        for item in self.iter_objects(object_type, channel):
            yield item.id


class InstalledHost(MemoryHost):
    """Installations from the demo store's table, products from memory."""

    def installation(self, integration: str, channel: str) -> Any:
        from saleor_plugins.demo.host import DemoHost

        return DemoHost().installation(integration, channel)

    def installations(self, integration: str | None = None) -> Any:
        from saleor_plugins.demo.host import DemoHost

        return DemoHost().installations(integration)


@pytest.fixture
def installed(
    transactional_db: None, config: dict[str, Any], settings: Any
) -> Iterator[dict[str, s.Product]]:
    """The integration active in CHANNEL over an in-memory catalogue (returned, mutable)."""
    from saleor_plugins.core import registry
    from saleor_plugins.core.host import get_host
    from saleor_plugins.demo.store import install
    from saleor_plugins.google_merchant import connector

    settings.SALEOR_PLUGINS_HOST = "tests.google_merchant.conftest.InstalledHost"
    get_host.cache_clear()
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)
    install("saleor_plugins.google_merchant", CHANNEL, **config)
    MemoryHost.products = {}
    yield MemoryHost.products
    MemoryHost.products = {}
    get_host.cache_clear()
