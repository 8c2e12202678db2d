"""The accounting suites' provider fixture: each provider connected to its local fake.

A :class:`Provider` says how to connect, configure, and read back what the fake booked;
the tests only speak of sales, money received and refunds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from saleor_plugins.core import oauth, registry
from saleor_plugins.core.host import get_host
from saleor_plugins.core.models import Connection
from saleor_plugins.testing.providers.quickbooks import FakeQuickBooks
from saleor_plugins.testing.providers.xero import TENANT, FakeXero, dp
from saleor_plugins.xero import client as xero_client
from saleor_plugins.xero import connector as xero_connector
from saleor_plugins.xero.settings import XeroSettings
from tests.quickbooks import conftest as qb
from tests.xero import conftest as xero

CHANNEL = "default-channel"


@dataclass
class Provider:
    name: str
    integration: str
    fake: Any
    host: Any
    config: Callable[..., dict[str, Any]]
    invoice_on_created: dict[str, str]
    sales: Callable[[], list[Decimal]]  # totals of the sales documents booked (not voided)
    voided: Callable[[], int]
    received: Callable[[], Decimal]  # money booked as received against sales
    refunds: Callable[[], list[Decimal]]  # totals of the refund documents
    writes: Callable[[], int]  # requests that reached the provider's API


def _xero(fake: FakeXero) -> Provider:
    def docs(kind: str) -> list[dict[str, Any]]:
        return list(fake.state.documents[kind].values())

    return Provider(
        name="xero",
        integration=xero.XERO,
        fake=fake,
        host=xero.XeroHost,
        config=xero.config,
        invoice_on_created={"invoice_on": "created"},
        sales=lambda: [dp(d["Total"]) for d in docs("Invoices") if d.get("Status") != "VOIDED"],
        voided=lambda: sum(1 for d in docs("Invoices") if d.get("Status") == "VOIDED"),
        received=lambda: sum(
            (dp(p["Amount"]) for p in docs("Payments") if not p.get("CreditNote")), Decimal(0)
        ),
        refunds=lambda: sorted(dp(d["Total"]) for d in docs("CreditNotes")),
        writes=lambda: len(fake.state.requests),
    )


def _quickbooks(fake: FakeQuickBooks) -> Provider:
    def total(d: dict[str, Any]) -> Decimal:
        return Decimal(str(d["TotalAmt"]))

    def sales() -> list[dict[str, Any]]:
        return fake.docs("SalesReceipt") + fake.docs("Invoice")

    return Provider(
        name="quickbooks",
        integration=qb.QUICKBOOKS,
        fake=fake,
        host=qb.QuickBooksHost,
        config=qb.config,
        invoice_on_created={"sale_document": "invoice", "invoice_on": "created"},
        sales=lambda: [total(d) for d in sales() if d.get("PrivateNote") != "Voided"],
        voided=lambda: sum(1 for d in fake.docs("Invoice") if d.get("PrivateNote") == "Voided"),
        received=lambda: sum(
            (total(d) for d in fake.docs("Payment") + fake.docs("SalesReceipt")), Decimal(0)
        ),
        refunds=lambda: sorted(
            total(d) for d in fake.docs("RefundReceipt") + fake.docs("CreditMemo")
        ),
        writes=lambda: len(fake.state.requests),
    )


@pytest.fixture(params=["xero", "quickbooks"])
def provider(request: Any, settings: Any, db: None) -> Iterator[Provider]:
    if request.param == "xero":
        with FakeXero() as fx:
            settings.SALEOR_PLUGINS_XERO_API_URL = fx.url
            settings.SALEOR_PLUGINS_XERO_LOGIN_URL = fx.url
            settings.SALEOR_PLUGINS_XERO_IDENTITY_URL = fx.url
            registered = _install_xero(settings)
            _connect_xero(fx)
            yield _xero(fx)
            _uninstall(xero_connector, registered)
        return
    with FakeQuickBooks() as fq:
        qb.point_at(fq, settings)
        _, registered = qb.install_host(settings)
        qb.connect(fq)
        yield _quickbooks(fq)
        qb.uninstall_host(registered)


def _install_xero(settings: Any) -> bool:
    xero.XeroHost.orders, xero.XeroHost.configs = {}, {CHANNEL: (True, xero.config())}
    settings.SALEOR_PLUGINS_HOST = "tests.xero.conftest.XeroHost"
    get_host.cache_clear()
    registered = registry.plugin_manager().is_registered(xero_connector)
    if not registered:
        registry.register(xero_connector)
    return registered


def _uninstall(module: Any, registered: bool) -> None:
    get_host.cache_clear()
    if not registered:
        registry.unregister(module)


def _connect_xero(fake: FakeXero) -> None:
    p = xero_client.provider(XeroSettings.parse(xero.config()))
    url = oauth.begin(p, xero.XERO, CHANNEL, "https://shop.example.com/callback")
    code, state = fake.authorize(url)
    oauth.complete(
        p,
        xero.XERO,
        CHANNEL,
        state=state,
        code=code,
        redirect_uri="https://shop.example.com/callback",
    )
    Connection.objects.filter(channel=CHANNEL).update(tenant_id=TENANT, tenant_name="Demo Co")
