"""Fixtures: the fake GA4, an in-memory store (host) and order builders.

The app is installed by the shared settings, from the ``saleor.plugins`` entry points.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from saleor_plugins.core import snapshots as s
from saleor_plugins.core.host import Installation
from saleor_plugins.google_tag_manager import connector
from saleor_plugins.google_tag_manager.connector import GoogleTagManagerIntegration
from saleor_plugins.google_tag_manager.settings import GoogleTagManagerSettings
from saleor_plugins.testing.providers.google_tag_manager import FakeGA4

CHANNEL = "default-channel"
OTHER = "channel-pln"
SECRET = "ga4-secret-Zq8hN3kT2w"
MEASUREMENT = "G-TEST12345"
CLIENT = "1234567890.1764590000"
ID = GoogleTagManagerIntegration.id


def config(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "container_id": "GTM-ABC1234",
        "measurement_id": MEASUREMENT,
        "api_secret": SECRET,
        "brand_attribute": "brand",
    }
    values.update(overrides)
    return values


def cfg(**overrides: Any) -> GoogleTagManagerSettings:
    return GoogleTagManagerSettings.parse(config(**overrides))


class MemoryHost:
    def __init__(self) -> None:
        self.orders: dict[str, s.Order] = {}
        self.configs: dict[str, tuple[bool, dict[str, Any]]] = {}

    def add(self, order: s.Order) -> s.Order:
        self.orders[order.id] = order
        return order

    def installation(self, integration: str, channel: str) -> Installation | None:
        if channel not in self.configs:
            return None
        active, values = self.configs[channel]
        return Installation(
            integration,
            channel,
            active,
            [{"name": k, "value": v} for k, v in values.items()],
            # active long before the test's orders: reconciliation may re-emit them
            active_since=datetime(2000, 1, 1, tzinfo=UTC) if active else None,
        )

    def installations(self, integration: str | None = None) -> list[Installation]:
        found = [self.installation(ID, c) for c in self.configs]
        return [i for i in found if i is not None]

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        return self.orders.get(object_id) if object_type == "order" else None

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        return iter([o.id for o in self.orders.values() if o.channel == channel])

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        return iter([o for o in self.orders.values() if o.channel == channel])

    def recent_changes(self, since: datetime) -> Iterator[Any]:
        from saleor_plugins.core.host import Change

        for o in self.orders.values():
            if o.created_at and o.created_at >= since:
                yield Change("order_created", o.id, (o.channel,), o.created_at, "")

    def customer_channels(self, customer_id: str) -> tuple[str, ...]:
        return ()


# -- builders ------------------------------------------------------------------------------
def m(amount: str | int, currency: str = "USD") -> s.Money:
    return s.Money(Decimal(str(amount)), currency)


def line(
    n: int = 1, *, qty: int = 2, price: str = "12.00", currency: str = "USD", **kw: Any
) -> s.OrderLine:
    gross = Decimal(price)
    values: dict[str, Any] = {
        "id": f"line-{n}",
        "product_id": f"p{n}",
        "variant_id": f"v{n}",
        "sku": f"SKU-{n}",
        "product_name": f"Mug {n}",
        "variant_name": "Large",
        "quantity": qty,
        "unit_price_net": m(gross / Decimal("1.2"), currency),
        "unit_price_gross": m(gross, currency),
        "total_net": m(gross * qty / Decimal("1.2"), currency),
        "total_gross": m(gross * qty, currency),
        "category_path": ("Kitchen", "Mugs"),
        "product_attributes": (s.Attribute("brand", "Brand", ("Acme",)),),
    }
    values.update(kw)
    return s.OrderLine(**values)


def order(
    oid: str = "0b0e7f1e-0000-4000-8000-000000000001",
    *,
    created: datetime | None = None,
    charge: str = "full",
    lines: tuple[s.OrderLine, ...] | None = None,
    currency: str = "USD",
    client: str | None = CLIENT,
    channel: str = CHANNEL,
    metadata: dict[str, str] | None = None,
    **kw: Any,
) -> s.Order:
    lines = lines if lines is not None else (line(1), line(2, qty=1, price="30.00"))
    subtotal = sum((x.total_gross.amount for x in lines), Decimal(0))
    shipping = Decimal("5") if currency != "JPY" else Decimal("500")
    total = subtotal + shipping
    created = created or datetime.now(UTC) - timedelta(minutes=5)
    meta = {"ga4_client_id": client} if client else {}
    meta.update(metadata or {})
    values: dict[str, Any] = {
        "id": oid,
        "number": "1001",
        "channel": channel,
        "status": "unfulfilled",
        "charge_status": charge,
        "currency": currency,
        "email": "Ann.Lee@gmail.com",
        "lines": lines,
        "subtotal_net": m(subtotal / Decimal("1.2"), currency),
        "subtotal_gross": m(subtotal, currency),
        "shipping_net": m(shipping, currency),
        "shipping_gross": m(shipping, currency),
        "total_net": m(subtotal / Decimal("1.2") + shipping, currency),
        "total_gross": m(total, currency),
        "total_charged": m(total if charge == "full" else 0, currency),
        "total_refunded": m(0, currency),
        "discount": m(0, currency),
        "created_at": created,
        "updated_at": created,
        "metadata": meta,
        "billing_address": s.Address(
            first_name="Ann",
            last_name="Lee",
            street_1="1 Main St",
            city="Lyon",
            postal_code="69001",
            country="FR",
            phone="+33612345678",
        ),
    }
    values.update(kw)
    return s.Order(**values)


def refunded(o: s.Order, *refunds: s.Refund, extra: str = "0") -> s.Order:
    """``o`` with these refunds recorded (and ``extra`` refunded with no record)."""
    total = sum((r.amount.amount for r in refunds), Decimal(extra))
    return replace(
        o,
        refunds=tuple(refunds),
        total_refunded=m(total, o.currency),
        updated_at=datetime.now(UTC),
    )


def refund(rid: str, amount: str, *lines: tuple[str, int], when: datetime | None = None,
           currency: str = "USD") -> s.Refund:  # fmt: skip
    return s.Refund(
        id=rid,
        amount=m(amount, currency),
        lines=tuple(s.RefundLine(line_id, qty) for line_id, qty in lines),
        created_at=when or datetime.now(UTC),
    )


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def ga4(httpserver: HTTPServer, settings: Any) -> Iterator[FakeGA4]:
    fake = FakeGA4(httpserver)
    fake.install()
    settings.SALEOR_PLUGINS_GA4_ENDPOINT = fake.url
    yield fake
    assert fake.problems == [], fake.problems


@pytest.fixture
def host() -> MemoryHost:
    h = MemoryHost()
    h.configs[CHANNEL] = (True, config())
    return h


@pytest.fixture
def kernel(host: MemoryHost, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryHost]:
    """The kernel's delivery loop (and reconciliation) see GA4 and the memory host."""
    from saleor_plugins.core import delivery, maintenance, registry

    monkeypatch.setattr(delivery, "get_host", lambda: host)
    monkeypatch.setattr(maintenance, "get_host", lambda: host)
    registered = registry.plugin_manager().is_registered(connector)
    if not registered:
        registry.register(connector)
    yield host
    if not registered:
        registry.unregister(connector)
