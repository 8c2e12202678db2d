"""Fixtures: the fake QuickBooks, a connected channel, and orders served by a memory host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from saleor_plugins.core import oauth, registry
from saleor_plugins.core.host import get_host
from saleor_plugins.quickbooks import client, connector
from saleor_plugins.quickbooks.settings import QuickBooksSettings
from saleor_plugins.testing.providers.quickbooks import CLIENT_ID, CLIENT_SECRET, FakeQuickBooks
from tests.accounting.host import OrdersHost

CHANNEL = "default-channel"
QUICKBOOKS = connector.QuickBooksIntegration.id
REDIRECT = "https://shop.example.com/callback"


def config(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "sales_item": "1",
        "item_map": "Shirts = 2",
        "shipping_item": "3",
        "discount_item": "4",
        "gift_card_item": "5",
        "rounding_item": "6",
        "tax_map": "23% = 7\n10% = 8\n0% = 9",
        "default_tax_code": "7",
        "deposit_account": "35",
        "gateway_accounts": "saleor_plugins.stripe = 36\ngift_card = 37",
    }
    values.update(overrides)
    return values


class QuickBooksHost(OrdersHost):
    """Orders served to the QuickBooks integration (the suite's fixtures fill them)."""

    integration = QUICKBOOKS
    orders: ClassVar[dict[str, Any]] = {}
    configs: ClassVar[dict[str, tuple[bool, dict[str, Any]]]] = {}


def point_at(fake: FakeQuickBooks, settings: Any) -> None:
    for name in ("APPCENTER_URL", "OAUTH_URL", "REVOKE_URL", "API_URL"):
        setattr(settings, f"SALEOR_PLUGINS_QUICKBOOKS_{name}", fake.url)


@pytest.fixture
def quickbooks(settings: Any) -> Iterator[FakeQuickBooks]:
    with FakeQuickBooks() as fake:
        point_at(fake, settings)
        yield fake


def install_host(settings: Any) -> tuple[type[QuickBooksHost], bool]:
    QuickBooksHost.orders, QuickBooksHost.configs = {}, {CHANNEL: (True, config())}
    settings.SALEOR_PLUGINS_HOST = "tests.quickbooks.conftest.QuickBooksHost"
    get_host.cache_clear()
    registered = registry.plugin_manager().is_registered(connector)
    if not registered:
        registry.register(connector)
    return QuickBooksHost, registered


def uninstall_host(registered: bool) -> None:
    get_host.cache_clear()
    if not registered:
        registry.unregister(connector)


@pytest.fixture
def host(settings: Any) -> Iterator[type[QuickBooksHost]]:
    found, registered = install_host(settings)
    yield found
    uninstall_host(registered)


def connect(fake: FakeQuickBooks, channel: str = CHANNEL) -> None:
    """The merchant clicked 'Connect QuickBooks', chose the company and consented."""
    s = QuickBooksSettings.parse(config())
    url = oauth.begin(client.provider(s), QUICKBOOKS, channel, REDIRECT)
    code, state, realm = fake.authorize(url)
    connector.complete(s, channel, {"code": code, "state": state, "realmId": realm}, REDIRECT)


@pytest.fixture
def connected(quickbooks: FakeQuickBooks, host: type[QuickBooksHost], db: None) -> FakeQuickBooks:
    connect(quickbooks)
    return quickbooks
