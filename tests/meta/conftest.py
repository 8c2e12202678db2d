"""Fixtures: a fake Graph API, Meta settings, product and order snapshots, an installation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from saleor_plugins.core import snapshots as s
from saleor_plugins.meta.settings import MetaSettings
from saleor_plugins.testing.providers.meta import CATALOG, PIXEL, TOKEN, FakeGraph

from ..catalog import builders
from ..catalog.builders import CHANNEL, PAST, money, variant

__all__ = ["CHANNEL", "PAST", "money", "variant"]

META = "saleor_plugins.meta"


@pytest.fixture
def graph(httpserver: HTTPServer, settings: Any) -> Iterator[FakeGraph]:
    fake = FakeGraph(httpserver)
    fake.install()
    settings.SALEOR_PLUGINS_META_GRAPH_URL = fake.url
    settings.SALEOR_PLUGINS_META_POLL_SECONDS = 0.0
    yield fake
    assert fake.problems == [], fake.problems


def config(**overrides: Any) -> dict[str, Any]:
    raw = {
        "access_token": TOKEN,
        "catalog_id": CATALOG,
        "pixel_id": PIXEL,
        "product_url_template": "https://shop.example.com/p/{slug}?v={variant_id}",
        "storefront_url": "https://shop.example.com",
        "consent_metadata_key": "marketing_consent",
    }
    return raw | overrides


def plain_settings(**overrides: Any) -> MetaSettings:
    return MetaSettings.parse(config(**overrides))


def product(pid: str = "p1", variants: tuple[s.Variant, ...] | None = None, **kw: Any) -> s.Product:
    """The catalog tests' product, with a second image."""
    media = (
        s.Media("https://img.example.com/a.jpg"),
        s.Media("https://img.example.com/b.jpg", sort_order=1),
    )
    return builders.product(pid, variants, **({"media": media} | kw))


def order(oid: str = "o1", *, age: timedelta = timedelta(minutes=5), **kw: Any) -> s.Order:
    when = datetime.now(UTC) - age
    line = s.OrderLine(
        id="l1",
        product_id="p1",
        variant_id="v1",
        sku="SKU-v1",
        product_name="Cotton shirt",
        variant_name="M",
        quantity=2,
        unit_price_net=money("10.00"),
        unit_price_gross=money("12.00"),
        total_net=money("20.00"),
        total_gross=money("24.00"),
    )
    zero = money("0")
    defaults: dict[str, Any] = {
        "number": "1042",
        "channel": CHANNEL,
        "status": "unfulfilled",
        "charge_status": "full",
        "currency": "USD",
        "email": " John_Smith@Gmail.com ",
        "lines": (line,),
        "subtotal_net": money("20.00"),
        "subtotal_gross": money("24.00"),
        "shipping_net": zero,
        "shipping_gross": zero,
        "total_net": money("20.00"),
        "total_gross": money("24.00"),
        "total_charged": money("24.00"),
        "total_refunded": zero,
        "discount": zero,
        "billing_address": s.Address(
            first_name="John",
            last_name="Smith",
            city="Menlo Park",
            postal_code="94025-1234",
            country="US",
            country_area="CA",
            phone="+1 (650) 555-1212",
        ),
        "created_at": when,
        "updated_at": when,
        "payments": (s.Payment("pay1", "dummy", "psp", money("24.00"), created_at=when),),
        "metadata": {
            "marketing_consent": "true",
            "meta_fbp": "fb.1.1596403881668.1116446470",
            "meta_fbc": "fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890",
            "meta_client_ip": "203.0.113.7",
            "meta_client_user_agent": "Mozilla/5.0 (test)",
        },
    }
    return s.Order(id=oid, **(defaults | kw))


def checkout(
    token: str = "c1",  # noqa: S107 - a checkout token
    *,
    age: timedelta = timedelta(minutes=5),
    **kw: Any,
) -> s.Checkout:
    when = datetime.now(UTC) - age
    line = s.CheckoutLine("v1", "p1", "SKU-v1", "Cotton shirt", 2, money("12.00"))
    defaults: dict[str, Any] = {
        "channel": CHANNEL,
        "email": "Shopper@Example.com",
        "currency": "USD",
        "lines": (line,),
        "total": money("24.00"),
        "created_at": when,
        "updated_at": when,
        "metadata": {"marketing_consent": "true", "meta_fbp": "fb.1.1596403881668.1116446470"},
    }
    return s.Checkout(token=token, **(defaults | kw))


class MemoryHost:
    products: dict[str, s.Product] = {}
    orders: dict[str, s.Order] = {}
    checkouts: dict[str, s.Checkout] = {}

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        sources: dict[str, dict[str, Any]] = {
            "product": self.products, "order": self.orders, "checkout": self.checkouts,
        }  # fmt: skip
        return sources.get(object_type, {}).get(object_id)

    def iter_objects(self, object_type: str, channel: str, *, page_size: int = 500) -> Any:
        source = self.products if object_type == "product" else {}
        for key in sorted(source):
            yield source[key]

    def installation(self, integration: str, channel: str) -> Any:
        from saleor_plugins.demo.host import DemoHost

        return DemoHost().installation(integration, channel)

    def installations(self, integration: str | None = None) -> Any:
        from saleor_plugins.demo.host import DemoHost

        return DemoHost().installations(integration)


@pytest.fixture
def store(transactional_db: None, graph: FakeGraph, settings: Any) -> Iterator[type[MemoryHost]]:
    """Meta active in CHANNEL over in-memory products and orders (returned, mutable)."""
    from saleor_plugins.core import registry
    from saleor_plugins.core.host import get_host
    from saleor_plugins.demo.store import install
    from saleor_plugins.meta import connector

    settings.SALEOR_PLUGINS_HOST = "tests.meta.conftest.MemoryHost"
    get_host.cache_clear()
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)
    install(META, CHANNEL, **config())
    MemoryHost.products, MemoryHost.orders, MemoryHost.checkouts = {}, {}, {}
    yield MemoryHost
    MemoryHost.products, MemoryHost.orders, MemoryHost.checkouts = {}, {}, {}
    get_host.cache_clear()
