"""Fixtures: the fake Xero, a connected channel, and orders served by a memory host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from saleor_plugins.core import oauth, registry
from saleor_plugins.core.host import get_host
from saleor_plugins.core.models import Connection
from saleor_plugins.testing.providers.xero import CLIENT_ID, CLIENT_SECRET, TENANT, FakeXero
from saleor_plugins.xero import client, connector
from tests.accounting.host import OrdersHost

CHANNEL = "default-channel"
XERO = connector.XeroIntegration.id


def config(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "sales_account": "200",
        "shipping_account": "260",
        "discount_account": "270",
        "gift_card_account": "820",
        "rounding_account": "860",
        "payment_account": "090",
        "gateway_accounts": "saleor_plugins.stripe = 091\ngift_card = 821",
        "tax_map": "23% = OUTPUT2\n0% = EXEMPTOUTPUT",
        "account_map": "Shirts = 210",
    }
    values.update(overrides)
    return values


class XeroHost(OrdersHost):
    """Orders served to the Xero integration (the suite's fixtures fill them)."""

    integration = XERO
    orders: ClassVar[dict[str, Any]] = {}
    configs: ClassVar[dict[str, tuple[bool, dict[str, Any]]]] = {}


@pytest.fixture
def xero(settings: Any) -> Iterator[FakeXero]:
    with FakeXero() as fake:
        settings.SALEOR_PLUGINS_XERO_API_URL = fake.url
        settings.SALEOR_PLUGINS_XERO_LOGIN_URL = fake.url
        settings.SALEOR_PLUGINS_XERO_IDENTITY_URL = fake.url
        yield fake


@pytest.fixture
def host(settings: Any) -> Iterator[type[XeroHost]]:
    XeroHost.orders, XeroHost.configs = {}, {CHANNEL: (True, config())}
    settings.SALEOR_PLUGINS_HOST = "tests.xero.conftest.XeroHost"
    get_host.cache_clear()
    registered = registry.plugin_manager().is_registered(connector)
    if not registered:
        registry.register(connector)
    yield XeroHost
    get_host.cache_clear()
    if not registered:
        registry.unregister(connector)


@pytest.fixture
def connected(xero: FakeXero, host: type[XeroHost], db: None) -> FakeXero:
    """The merchant clicked 'Connect Xero' and consented; one organisation."""
    from saleor_plugins.xero.settings import XeroSettings

    s = XeroSettings.parse(config())
    p = client.provider(s)
    url = oauth.begin(p, XERO, CHANNEL, "https://shop.example.com/callback")
    code, state = xero.authorize(url)
    oauth.complete(
        p, XERO, CHANNEL, state=state, code=code, redirect_uri="https://shop.example.com/callback"
    )
    Connection.objects.filter(channel=CHANNEL).update(tenant_id=TENANT, tenant_name="Demo Co")
    return xero
