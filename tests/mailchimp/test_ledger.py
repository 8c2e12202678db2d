"""The ledger is the integration's memory of what Mailchimp holds; when it is wrong,
Mailchimp's answer corrects it and nothing is lost."""

from __future__ import annotations

from dataclasses import replace

import pytest

from saleor_plugins.core import ledger
from saleor_plugins.core.events import EventType
from saleor_plugins.mailchimp.connector import MailchimpIntegration
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp

from .conftest import CHANNEL, MemoryHost, checkout, order, product
from .scenario import job

pytestmark = pytest.mark.django_db
STORE = f"/ecommerce/stores/saleor-{CHANNEL}"
ID = MailchimpIntegration.id


def failed(fake: FakeMailchimp) -> list[tuple[str, str, int]]:
    return [c for c in fake.state.log if c[2] >= 400]


def test_a_new_product_is_created_with_one_call_and_remembered_for_routing(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product(variants=2))
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    assert [(m, p) for m, p, _ in fake.calls(prefix=f"{STORE}/products")] == [
        ("POST", f"{STORE}/products")
    ]
    assert ledger.holders("product", "p1") == {(ID, CHANNEL)}
    host.add("product", product(channel="elsewhere"))  # unlisted here: removed, forgotten
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    assert fake.get(f"{STORE}/products/p1") is None
    assert ledger.holders("product", "p1") == set()
    assert failed(fake) == []


def test_a_product_never_sent_is_not_deleted(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product(channel="elsewhere"))
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    mc.handle(job(EventType.PRODUCT_DELETED, "p1"))
    assert fake.state.log == []


def test_a_product_deleted_at_mailchimp_is_created_again(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product(variants=2))
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    for key in [k for k in fake.state.objects if k.startswith(f"{STORE}/products/p1")]:
        del fake.state.objects[key]  # the merchant deleted it in Mailchimp
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    assert fake.get(f"{STORE}/products/p1/variants/p1-v1") is not None
    assert ledger.holds(ID, CHANNEL, "product", "p1")


def test_an_order_sent_before_the_ledger_knew_it_is_updated_not_lost(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product())
    host.add("order", order())
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    ledger.release(ID, CHANNEL, "order", ["o1"])  # e.g. sent by an older version
    host.add("order", replace(order(), charge_status="full"))
    mc.handle(job(EventType.ORDER_PAID, "o1"))
    assert fake.get(f"{STORE}/orders/o1")["financial_status"] == "paid"  # type: ignore[index]
    assert ledger.holds(ID, CHANNEL, "order", "o1")


def test_an_order_naming_a_product_not_yet_sent_sends_the_product_first(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product("p9", variants=2))
    host.add("order", order(pid="p9"))
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    orders = [(m, p) for m, p, _ in fake.state.log if "/orders" in p or "/products" in p]
    assert orders == [("POST", f"{STORE}/products"), ("POST", f"{STORE}/orders")]
    assert failed(fake) == []


def test_a_product_the_ledger_holds_but_mailchimp_lost_is_sent_again_with_the_order(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product())
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    for key in [k for k in fake.state.objects if k.startswith(f"{STORE}/products/p1")]:
        del fake.state.objects[key]
    host.add("order", order())
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    assert fake.get(f"{STORE}/orders/o1") is not None
    assert fake.get(f"{STORE}/products/p1") is not None


def test_a_cart_is_deleted_only_when_one_was_made(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product())
    host.add("order", replace(order("o1"), checkout_token="never-a-cart"))
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    mc.handle(job(EventType.CHECKOUT_UPSERTED, "never-a-cart"))  # the completed checkout
    assert fake.calls("DELETE") == []
    host.add("checkout", checkout("chk-1"))
    mc.handle(job(EventType.CHECKOUT_UPSERTED, "chk-1"))
    host.add("order", replace(order("o2"), checkout_token="chk-1"))
    mc.handle(job(EventType.ORDER_CREATED, "o2"))
    assert [p for _, p, _ in fake.calls("DELETE")] == [f"{STORE}/carts/chk-1"]
    assert fake.get(f"{STORE}/carts/chk-1") is None
    assert failed(fake) == []


def test_a_store_deleted_at_mailchimp_is_made_again_by_a_new_process(
    fake: FakeMailchimp, host: MemoryHost
) -> None:
    from saleor_plugins.mailchimp import connector

    from .conftest import integration

    integration(host).ensure_store()
    del fake.state.objects[STORE]
    connector._known_stores.clear()  # a worker started since
    integration(host).ensure_store()
    assert fake.get(STORE) is not None
