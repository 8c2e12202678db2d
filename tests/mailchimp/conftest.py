"""Fixtures: the fake Mailchimp, an in-memory store (host) and snapshot builders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from saleor_plugins.core import snapshots as s
from saleor_plugins.core.host import Installation
from saleor_plugins.mailchimp import connector
from saleor_plugins.mailchimp.connector import MailchimpIntegration
from saleor_plugins.mailchimp.models import BackfillBatch, BackfillCursor
from saleor_plugins.mailchimp.settings import MailchimpSettings
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp

API_KEY = "0123456789abcdef0123456789abcdef-us21"
AUDIENCE = "aud123"
CHANNEL = "default-channel"
SECRET = "whsec-mailchimp-0123456789"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SINCE = datetime(2020, 1, 1, tzinfo=UTC)  # products on sale since


def config(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "audience_id": AUDIENCE,
        "store_domain": "shop.example.com",
        "tags": "saleor, web",
        "product_url": "https://shop.example.com/p/{slug}",
        "cart_url": "https://shop.example.com/cart/{token}",
        "webhook_secret": SECRET,
        "default_language": "en",
    }
    values.update(overrides)
    return values


class MemoryHost:
    """The kernel's Host over dicts of snapshots (customers, checkouts, vouchers too)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], Any] = {}
        self.configs: dict[str, tuple[bool, dict[str, Any]]] = {}
        self.channels: dict[str, Any] = {}

    def add(self, object_type: str, obj: Any) -> Any:
        key = getattr(obj, "id", None) or obj.token
        self.objects[(object_type, str(key))] = obj
        return obj

    def installation(self, integration: str, channel: str) -> Installation | None:
        if channel not in self.configs:
            return None
        active, values = self.configs[channel]
        items = [{"name": k, "value": v} for k, v in values.items()]
        return Installation(integration, channel, active, items)

    def installations(self, integration: str | None = None) -> list[Installation]:
        found = [self.installation(MailchimpIntegration.id, c) for c in self.configs]
        return [i for i in found if i is not None]

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        if object_type == "channel":
            return self.channels.get(object_id)
        return self.objects.get((object_type, object_id))

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        for (kind, object_id), obj in self.objects.items():
            if kind == object_type and _in_channel(obj, channel):
                yield object_id

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        for object_id in self.iter_ids(object_type, channel):
            yield self.objects[(object_type, object_id)]

    def recent_changes(self, since: datetime) -> Iterator[Any]:
        return iter(())

    def customer_channels(self, customer_id: str) -> tuple[str, ...]:
        return ()


def _in_channel(obj: Any, channel: str) -> bool:
    if isinstance(obj, s.Product):
        return obj.listing_in(channel) is not None
    return getattr(obj, "channel", channel) == channel


# -- snapshot builders -------------------------------------------------------------------
def m(amount: str | int, currency: str = "USD") -> s.Money:
    return s.Money(Decimal(str(amount)), currency)


def customer(email: str = "ann@example.com", consent: str | None = None, **kw: Any) -> s.Customer:
    meta = {"marketing_consent": consent} if consent is not None else {}
    return s.Customer(
        id=kw.pop("id", "c1"), email=email, first_name="Ann", last_name="Lee", metadata=meta, **kw
    )


def product(pid: str = "p1", *, channel: str = CHANNEL, variants: int = 1, **kw: Any) -> s.Product:
    return s.Product(
        id=pid,
        slug=f"mug-{pid}",
        name=f"Mug {pid}",
        description="A mug",
        product_type="mugs",
        category="kitchen",
        category_path=("kitchen",),
        variants=tuple(
            s.Variant(
                id=f"{pid}-v{i}",
                sku=f"SKU-{pid}-{i}",
                name=f"Size {i}",
                prices=(s.ChannelPrice(channel, m("9.50")),),
                stocks=(s.Stock("wh", 5),),
            )
            for i in range(variants)
        ),
        listings=(s.ChannelListing(channel, True, available_for_purchase_at=SINCE),),
        **kw,
    )


def order(
    oid: str = "o1",
    *,
    email: str = "ann@example.com",
    cust: s.Customer | None = None,
    status: str = "unfulfilled",
    charge: str = "none",
    refunded: str = "0",
    metadata: dict[str, str] | None = None,
    pid: str = "p1",
    channel: str = CHANNEL,
    **kw: Any,
) -> s.Order:
    line = s.OrderLine(
        id=f"{oid}-l1",
        product_id=pid,
        variant_id=f"{pid}-v0",
        sku="SKU",
        product_name="Mug",
        variant_name="",
        quantity=2,
        unit_price_net=m("8"),
        unit_price_gross=m("9.50"),
        total_net=m("16"),
        total_gross=m("19"),
    )
    return s.Order(
        id=oid,
        number="1001",
        channel=channel,
        status=status,
        charge_status=charge,
        currency="USD",
        email=email,
        lines=(line,),
        subtotal_net=m("16"),
        subtotal_gross=m("19"),
        shipping_net=m("5"),
        shipping_gross=m("5"),
        total_net=m("21"),
        total_gross=m("24"),
        total_charged=m("0"),
        total_refunded=m(refunded),
        discount=m("0"),
        customer=cust,
        created_at=NOW,
        updated_at=NOW,
        metadata=metadata or {},
        billing_address=s.Address(
            first_name="Ann",
            last_name="Lee",
            street_1="1 Main St",
            city="Lyon",
            postal_code="69001",
            country="FR",
        ),
        **kw,
    )


def checkout(
    token: str = "chk-1",  # noqa: S107 - a checkout token, not a password
    *,
    email: str = "ann@example.com",
    metadata: dict[str, str] | None = None,
    **kw: Any,
) -> s.Checkout:
    line = s.CheckoutLine(
        variant_id="p1-v0",
        product_id="p1",
        sku="SKU",
        product_name="Mug",
        quantity=1,
        unit_price=m("9.50"),
    )
    return s.Checkout(
        token=token,
        channel=CHANNEL,
        email=email,
        currency="USD",
        lines=(line,),
        total=m("9.50"),
        metadata=metadata or {},
        **kw,
    )


def voucher(vid: str = "v1", **kw: Any) -> s.Voucher:
    values: dict[str, Any] = {
        "id": vid,
        "codes": ("SUMMER10", "summer10"),
        "name": "Summer",
        "discount_type": "percentage",
        "value": Decimal("10"),
        "channel": CHANNEL,
    }
    values.update(kw)
    return s.Voucher(**values)


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _forget_stores() -> Iterator[None]:
    connector._known_stores.clear()
    yield
    connector._known_stores.clear()


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeMailchimp]:
    with FakeMailchimp(API_KEY) as server:
        settings.SALEOR_PLUGINS_MAILCHIMP_API_URL = server.api_url
        yield server


@pytest.fixture
def host() -> MemoryHost:
    h = MemoryHost()
    h.configs[CHANNEL] = (True, config())
    h.channels[CHANNEL] = type("Channel", (), {"name": "Default channel", "currency_code": "USD"})()
    return h


def integration(host: MemoryHost, channel: str = CHANNEL, **overrides: Any) -> MailchimpIntegration:
    values = {**host.configs.get(channel, (True, config()))[1], **overrides}
    cfg = MailchimpSettings.parse(values)
    return MailchimpIntegration(cfg, channel=channel, host=host)


@pytest.fixture
def mc(fake: FakeMailchimp, host: MemoryHost) -> MailchimpIntegration:
    return integration(host)


@pytest.fixture
def tables(django_db_blocker: Any) -> Iterator[None]:
    """The app's tables, also where the test settings do not install the app."""
    with django_db_blocker.unblock():
        existing = set(connection.introspection.table_names())
        with connection.schema_editor() as editor:
            for model in (BackfillCursor, BackfillBatch):
                if model._meta.db_table not in existing:
                    editor.create_model(model)
        yield
        BackfillBatch.objects.all().delete()
        BackfillCursor.objects.all().delete()


def with_consent(c: s.Customer, value: str) -> s.Customer:
    return replace(c, metadata={**c.metadata, "marketing_consent": value})


@pytest.fixture
def kernel(host: MemoryHost, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryHost]:
    """The kernel's delivery loop sees the Mailchimp integration and the memory host."""
    from saleor_plugins.core import delivery, registry
    from saleor_plugins.core.management.commands import (
        saleor_plugins_backfill as backfill_command,
    )
    from saleor_plugins.mailchimp import backfill

    monkeypatch.setattr(delivery, "get_host", lambda: host)
    monkeypatch.setattr(backfill, "get_host", lambda: host)
    monkeypatch.setattr(backfill_command, "get_host", lambda: host)
    registered = registry.plugin_manager().is_registered(connector)
    if not registered:
        registry.register(connector)
    yield host
    if not registered:
        registry.unregister(connector)
