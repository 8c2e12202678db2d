"""Jobs delivered to the integration lead to the right Mailchimp calls (fake server)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from saleor_plugins.core.errors import ConfigurationError, PermanentError
from saleor_plugins.core.events import EventType
from saleor_plugins.core.integration import JobContext
from saleor_plugins.mailchimp.client import subscriber_hash
from saleor_plugins.mailchimp.connector import MailchimpIntegration
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp

from .conftest import (
    AUDIENCE,
    CHANNEL,
    MemoryHost,
    checkout,
    customer,
    integration,
    order,
    product,
    voucher,
)

STORE = f"/ecommerce/stores/saleor-{CHANNEL}"
pytestmark = pytest.mark.django_db


def job(event: EventType, object_id: str, **payload: Any) -> JobContext:
    return JobContext(
        id=1,
        integration=MailchimpIntegration.id,
        channel=CHANNEL,
        event=event,
        object_type=event.object_type.value,
        object_id=object_id,
        payload=payload,
        attempt=1,
        idempotency_key="sp-test",
    )


def test_store_is_created_once_with_the_channels_name_currency_and_domain(
    fake: FakeMailchimp, mc: MailchimpIntegration
) -> None:
    mc.ensure_store()
    mc.ensure_store()
    store = fake.get(STORE)
    assert store is not None
    assert (store["name"], store["currency_code"], store["domain"], store["list_id"]) == (
        "Default channel",
        "USD",
        "shop.example.com",
        AUDIENCE,
    )
    assert len(fake.calls("POST", "/ecommerce/stores")) == 1


def test_a_store_tied_to_another_audience_is_a_configuration_error(
    fake: FakeMailchimp, host: MemoryHost
) -> None:
    fake.state.objects[STORE] = {"id": f"saleor-{CHANNEL}", "list_id": "someone-else"}
    with pytest.raises(ConfigurationError) as err:
        integration(host).ensure_store()
    assert err.value.field == "audience_id"


def test_consenting_buyer_becomes_a_pending_member_with_language_and_tags(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product())
    buyer = customer(consent="true", language="FR_CA")
    host.add("order", order(cust=buyer))
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    member = fake.member(AUDIENCE, "ann@example.com")
    assert member is not None
    assert member["status"] == "pending"  # double opt-in: Mailchimp asks them to confirm
    assert member["language"] == "fr_CA"
    assert member["tags"] == ["saleor", "web"]
    assert member["merge_fields"]["FNAME"] == "Ann"
    assert member["merge_fields"]["ADDRESS"]["city"] == "Lyon"
    sent = fake.get(f"{STORE}/orders/o1")
    assert sent is not None and sent["customer"]["opt_in_status"] is False


def test_without_double_opt_in_a_consenting_buyer_is_subscribed(
    fake: FakeMailchimp, host: MemoryHost
) -> None:
    host.add("product", product())
    host.add("order", order(metadata={"marketing_consent": "yes"}))
    integration(host, double_opt_in="false").handle(job(EventType.ORDER_CREATED, "o1"))
    member = fake.member(AUDIENCE, "ann@example.com")
    assert member is not None and member["status"] == "subscribed"
    assert member["language"] == "en"  # no customer language: the channel's


def test_a_buyer_without_consent_is_only_an_ecommerce_customer(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product())
    host.add("order", order())
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    assert not fake.calls("PUT", f"/lists/{AUDIENCE}/members")
    member = fake.member(AUDIENCE, "ann@example.com")
    assert member is not None and member["status"] == "transactional"
    cid = subscriber_hash("ann@example.com")
    assert fake.get(f"{STORE}/customers/{cid}")["opt_in_status"] is False  # type: ignore[index]


def test_an_unsubscribed_member_is_never_subscribed_again(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    path = f"/lists/{AUDIENCE}/members/{subscriber_hash('ann@example.com')}"
    fake.state.objects[path] = {"email_address": "ann@example.com", "status": "unsubscribed"}
    host.add("product", product())
    host.add("order", order(metadata={"marketing_consent": "true"}))
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    assert fake.get(path)["status"] == "unsubscribed"  # type: ignore[index]
    assert not fake.calls("PATCH", path)


def test_a_previous_buyer_who_now_agrees_is_asked_to_confirm(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    path = f"/lists/{AUDIENCE}/members/{subscriber_hash('ann@example.com')}"
    fake.state.objects[path] = {"email_address": "ann@example.com", "status": "transactional"}
    host.add("customer", customer(consent="true"))
    mc.handle(job(EventType.CUSTOMER_UPSERTED, "c1"))
    assert fake.get(path)["status"] == "pending"  # type: ignore[index]


def test_a_customer_who_withdrew_consent_in_the_store_is_unsubscribed(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    path = f"/lists/{AUDIENCE}/members/{subscriber_hash('ann@example.com')}"
    fake.state.objects[path] = {"email_address": "ann@example.com", "status": "subscribed"}
    host.add("customer", customer(consent="false"))
    mc.handle(job(EventType.CUSTOMER_UPSERTED, "c1"))
    assert fake.get(path)["status"] == "unsubscribed"  # type: ignore[index]


def test_a_refusal_on_the_customer_wins_over_a_checkbox_on_the_order(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product())
    host.add("order", order(cust=customer(consent="false"), metadata={"marketing_consent": "true"}))
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    assert fake.member(AUDIENCE, "ann@example.com")["status"] == "transactional"  # type: ignore[index]


def test_order_lines_naming_an_unsynced_product_sync_it_first(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product("p9", variants=2))
    host.add("order", order(pid="p9", metadata={"mc_cid": "cmp-42"}))
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    sent = fake.get(f"{STORE}/orders/o1")
    assert sent is not None
    assert sent["campaign_id"] == "cmp-42"
    assert (sent["order_total"], sent["shipping_total"], sent["tax_total"]) == (24.0, 5.0, 3.0)
    assert sent["lines"][0]["product_variant_id"] == "p9-v0"
    assert fake.get(f"{STORE}/products/p9/variants/p9-v1") is not None


@pytest.mark.parametrize(
    ("event", "changes", "financial", "shipped"),
    [
        (EventType.ORDER_PAID, {"charge_status": "full"}, "paid", False),
        (EventType.ORDER_FULFILLED, {"charge_status": "full", "status": "fulfilled"}, "paid", True),
        (EventType.ORDER_CANCELLED, {"status": "canceled"}, "cancelled", False),
        (EventType.ORDER_REFUNDED, {"charge_status": "full"}, "refunded", False),
    ],
)
def test_order_status_changes_reach_the_store(
    fake: FakeMailchimp,
    mc: MailchimpIntegration,
    host: MemoryHost,
    event: EventType,
    changes: dict[str, str],
    financial: str,
    shipped: bool,
) -> None:
    host.add("product", product())
    host.add("order", order())
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    refunded = {"total_refunded": order().total_gross} if event is EventType.ORDER_REFUNDED else {}
    host.add("order", replace(order(), **changes, **refunded))  # type: ignore[arg-type]
    mc.handle(job(event, "o1"))
    sent = fake.get(f"{STORE}/orders/o1")
    assert sent is not None and sent["financial_status"] == financial
    assert (sent.get("fulfillment_status") == "shipped") is shipped
    assert fake.calls("PATCH", f"{STORE}/orders/o1")


def test_checkout_with_an_email_becomes_a_cart_removed_when_completed(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product())
    host.add("checkout", checkout())
    mc.handle(job(EventType.CHECKOUT_UPSERTED, "chk-1"))
    cart = fake.get(f"{STORE}/carts/chk-1")
    assert cart is not None
    assert cart["checkout_url"] == "https://shop.example.com/cart/chk-1"
    assert cart["customer"]["opt_in_status"] is False
    completed = order()
    host.add("order", replace(completed, checkout_token="chk-1"))
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    assert fake.get(f"{STORE}/carts/chk-1") is None
    assert fake.get(f"{STORE}/orders/o1") is not None


def test_checkout_without_an_email_is_not_a_cart(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("checkout", checkout(email=""))
    mc.handle(job(EventType.CHECKOUT_UPSERTED, "chk-1"))
    assert fake.get(f"{STORE}/carts/chk-1") is None
    assert not fake.calls("POST", f"{STORE}/carts")


def test_carts_are_not_sent_when_the_merchant_left_them_out(
    fake: FakeMailchimp, host: MemoryHost
) -> None:
    host.add("checkout", checkout())
    integration(host, sync="orders, products").handle(job(EventType.CHECKOUT_UPSERTED, "chk-1"))
    assert fake.state.log == []


def test_product_changes_update_variants_and_drop_removed_ones(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product(variants=2))
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    assert fake.get(f"{STORE}/products/p1/variants/p1-v1") is not None
    host.add("product", replace(product(variants=1), name="Big mug"))
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    assert fake.get(f"{STORE}/products/p1")["title"] == "Big mug"  # type: ignore[index]
    assert fake.get(f"{STORE}/products/p1/variants/p1-v1") is None
    variant = fake.get(f"{STORE}/products/p1/variants/p1-v0")
    assert variant is not None
    assert (variant["price"], variant["url"]) == (9.5, "https://shop.example.com/p/mug-p1")


def test_a_product_unlisted_from_the_channel_or_deleted_leaves_the_store(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("product", product())
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    host.add("product", product(channel="other"))
    mc.handle(job(EventType.PRODUCT_UPSERTED, "p1"))
    assert fake.get(f"{STORE}/products/p1") is None
    mc.handle(job(EventType.PRODUCT_DELETED, "p1"))  # already gone: still a success


def test_vouchers_become_promo_rules_and_codes(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("voucher", voucher())
    mc.handle(job(EventType.VOUCHER_UPSERTED, "v1"))
    rule = fake.get(f"{STORE}/promo-rules/v1")
    assert rule is not None and (rule["type"], rule["amount"]) == ("percentage", 0.1)
    codes = [
        v["code"]
        for k, v in fake.state.objects.items()
        if k.startswith(f"{STORE}/promo-rules/v1/promo-codes/")
    ]
    assert sorted(codes) == ["SUMMER10", "summer10"]
    mc.handle(job(EventType.VOUCHER_UPSERTED, "v1"))  # again: updated, not duplicated
    mc.handle(job(EventType.VOUCHER_DELETED, "v1"))
    assert fake.get(f"{STORE}/promo-rules/v1") is None


def test_an_order_naming_a_product_no_longer_sold_here_still_reaches_the_store(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    host.add("order", order(pid="gone"))  # the product was deleted since
    mc.handle(job(EventType.ORDER_CREATED, "o1"))
    assert fake.get(f"{STORE}/orders/o1") is not None
    placeholder = fake.get(f"{STORE}/products/gone/variants/gone-v0")
    assert placeholder is not None and placeholder["visibility"] == "hidden"


def test_a_forgotten_address_still_gets_its_order_and_the_refusal_is_permanent(
    fake: FakeMailchimp, mc: MailchimpIntegration, host: MemoryHost
) -> None:
    fake.state.forgotten.add("ann@example.com")
    host.add("product", product())
    host.add("order", order(metadata={"marketing_consent": "true"}))
    with pytest.raises(PermanentError) as err:
        mc.handle(job(EventType.ORDER_CREATED, "o1"))
    assert err.value.code == "forgotten"
    assert fake.get(f"{STORE}/orders/o1") is not None
