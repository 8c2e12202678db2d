"""Mailchimp inside a real Saleor: the right calls, for the right channel only.

Two channels (USD, PLN) each have Mailchimp active with their own audience and store.
Saleor's own mutations run; the jobs they write are delivered to a fake Mailchimp on
127.0.0.1 through the real SDK.

Run: ``SALEOR_PYTHON=<Python with Saleor> ./run saleor-tests tests/saleor/test_mailchimp.py``
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content

from saleor_plugins.core import delivery, outbox
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Job
from saleor_plugins.mailchimp.client import subscriber_hash
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp
from tests.saleor.conftest import enable

pytestmark = pytest.mark.saleor

MC = "saleor_plugins.mailchimp"
KEY = "0123456789abcdef0123456789abcdef-us21"
SECRET = "whsec-mailchimp-0123456789"
PLUGINS = [
    "saleor.plugins.tests.gateways.dummy.DummyGatewayPlugin",
    "saleor_plugins.adapter.router.RouterPlugin",
    "saleor_plugins.mailchimp.plugin.MailchimpPlugin",
]


@pytest.fixture
def fake(settings: Any, channel_USD: Any, channel_PLN: Any) -> Iterator[FakeMailchimp]:
    from saleor_plugins.core import registry
    from saleor_plugins.mailchimp import connector

    settings.PLUGINS = PLUGINS
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)
    connector._known_stores.clear()
    for channel, audience in ((channel_USD, "aud-usd"), (channel_PLN, "aud-pln")):
        config = {
            "api_key": KEY,
            "audience_id": audience,
            "webhook_secret": SECRET,
            "cart_url": "https://shop.example.com/cart/{token}",
        }
        enable(MC, channel, config)
    with FakeMailchimp(KEY) as server:
        settings.SALEOR_PLUGINS_MAILCHIMP_API_URL = server.api_url
        yield server
    connector._known_stores.clear()


def deliver() -> list[tuple[str, str, str]]:
    """Deliver every pending Mailchimp job; (channel, event, outcome) for each."""
    done = []
    for job in Job.objects.filter(integration=MC, status="pending").order_by("id"):
        result = delivery.deliver(job.id)
        job.refresh_from_db()
        assert result.outcome == "succeeded", job.last_error
        done.append((job.channel, job.event, result.outcome))
    return done


def store(channel: Any) -> str:
    return f"/ecommerce/stores/saleor-{channel.slug}"


def touched(fake: FakeMailchimp, channel: Any) -> list[tuple[str, str, int]]:
    return fake.calls(prefix=store(channel))


CHECKOUT_EMAIL_UPDATE = """
mutation($id: ID, $email: String!) {
  checkoutEmailUpdate(id: $id, email: $email) { errors { field message } }
}
"""


def test_checkout_email_update_makes_a_cart_in_that_channels_store_only(
    fake: FakeMailchimp,
    user_api_client: Any,
    checkout_with_item: Any,
    channel_USD: Any,
    channel_PLN: Any,
) -> None:
    checkout = checkout_with_item
    assert checkout.channel == channel_USD
    checkout.email = None
    checkout.save(update_fields=["email"])
    variables = {
        "id": graphene.Node.to_global_id("Checkout", checkout.pk),
        "email": "shopper@example.com",
    }
    content = get_graphql_content(user_api_client.post_graphql(CHECKOUT_EMAIL_UPDATE, variables))
    assert content["data"]["checkoutEmailUpdate"]["errors"] == []
    assert {(c, e) for c, e, _ in deliver()} == {(channel_USD.slug, "checkout_upserted")}
    cart = fake.get(f"{store(channel_USD)}/carts/{checkout.token}")
    assert cart is not None
    assert cart["customer"]["email_address"] == "shopper@example.com"
    assert cart["checkout_url"] == f"https://shop.example.com/cart/{checkout.token}"
    created = fake.get(store(channel_USD))
    assert created is not None  # created on first use, from the channel
    assert (created["name"], created["currency_code"], created["list_id"]) == (
        channel_USD.name,
        channel_USD.currency_code,
        "aud-usd",
    )
    assert touched(fake, channel_PLN) == []


CHECKOUT_COMPLETE = """
mutation($id: ID, $redirectUrl: String) {
  checkoutComplete(id: $id, redirectUrl: $redirectUrl) { order { id } errors { message } }
}
"""


def test_checkout_complete_turns_the_cart_into_an_order(
    fake: FakeMailchimp,
    user_api_client: Any,
    checkout_ready_to_complete: Any,
    payment_dummy: Any,
    channel_USD: Any,
    channel_PLN: Any,
) -> None:
    from saleor.order.models import Order

    from .conftest import pay_with_dummy

    checkout = checkout_ready_to_complete
    outbox.emit(EventType.CHECKOUT_UPSERTED, str(checkout.token), [(MC, channel_USD.slug)])
    deliver()
    assert fake.get(f"{store(channel_USD)}/carts/{checkout.token}") is not None

    pay_with_dummy(checkout, payment_dummy)
    variables = {
        "id": graphene.Node.to_global_id("Checkout", checkout.pk),
        "redirectUrl": "https://www.example.com",
    }
    content = get_graphql_content(user_api_client.post_graphql(CHECKOUT_COMPLETE, variables))
    assert content["data"]["checkoutComplete"]["errors"] == []
    order = Order.objects.get(checkout_token=checkout.token)
    assert {c for c, _, _ in deliver()} == {channel_USD.slug}
    assert fake.get(f"{store(channel_USD)}/orders/{order.pk}") is not None
    assert fake.get(f"{store(channel_USD)}/carts/{checkout.token}") is None  # no reminder
    assert touched(fake, channel_PLN) == []


ORDER_FULFILL = """
mutation($order: ID, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) { errors { field message } }
}
"""
ORDER_CANCEL = """
mutation($id: ID!) { orderCancel(id: $id) { errors { field message } } }
"""


def test_order_fulfill_marks_the_order_shipped_in_its_channel(
    fake: FakeMailchimp,
    staff_api_client: Any,
    permission_group_manage_orders: Any,
    order_with_lines: Any,
    channel_USD: Any,
    channel_PLN: Any,
) -> None:
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    order = order_with_lines
    assert order.channel == channel_USD
    lines = [
        {
            "orderLineId": graphene.Node.to_global_id("OrderLine", line.pk),
            "stocks": [
                {
                    "quantity": line.quantity,
                    "warehouse": graphene.Node.to_global_id(
                        "Warehouse", line.allocations.first().stock.warehouse_id
                    ),
                }
            ],
        }
        for line in order.lines.all()
    ]
    variables = {
        "order": graphene.Node.to_global_id("Order", order.pk),
        "input": {"lines": lines, "notifyCustomer": False},
    }
    content = get_graphql_content(staff_api_client.post_graphql(ORDER_FULFILL, variables))
    assert content["data"]["orderFulfill"]["errors"] == []
    events = deliver()
    assert (channel_USD.slug, "order_fulfilled", "succeeded") in events
    assert {c for c, _, _ in events} == {channel_USD.slug}
    sent = fake.get(f"{store(channel_USD)}/orders/{order.pk}")
    assert sent is not None and sent["fulfillment_status"] == "shipped"
    assert touched(fake, channel_PLN) == []


def test_order_cancel_marks_the_order_cancelled_in_its_channel(
    fake: FakeMailchimp,
    staff_api_client: Any,
    permission_group_manage_orders: Any,
    order_with_lines: Any,
    channel_USD: Any,
    channel_PLN: Any,
) -> None:
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    order = order_with_lines
    variables = {"id": graphene.Node.to_global_id("Order", order.pk)}
    content = get_graphql_content(staff_api_client.post_graphql(ORDER_CANCEL, variables))
    assert content["data"]["orderCancel"]["errors"] == []
    events = deliver()
    assert (channel_USD.slug, "order_cancelled", "succeeded") in events
    sent = fake.get(f"{store(channel_USD)}/orders/{order.pk}")
    assert sent is not None and sent["financial_status"] == "cancelled"
    assert touched(fake, channel_PLN) == []


ACCOUNT_REGISTER = """
mutation($input: AccountRegisterInput!) {
  accountRegister(input: $input) { errors { field message code } }
}
"""


def test_account_register_with_a_channel_joins_that_channels_audience_only(
    fake: FakeMailchimp, api_client: Any, site_settings: Any, channel_USD: Any, channel_PLN: Any
) -> None:
    site_settings.enable_account_confirmation_by_email = True
    site_settings.save(update_fields=["enable_account_confirmation_by_email"])
    variables = {
        "input": {
            "email": "new@example.com",
            "password": "Str0ng-passw0rd!",
            "channel": channel_PLN.slug,
            "redirectUrl": "https://www.example.com/confirm",
            "languageCode": "PL",
            "metadata": [{"key": "marketing_consent", "value": "true"}],
        }
    }
    content = get_graphql_content(api_client.post_graphql(ACCOUNT_REGISTER, variables))
    assert content["data"]["accountRegister"]["errors"] == []
    assert {(c, e) for c, e, _ in deliver()} == {(channel_PLN.slug, "customer_upserted")}
    member = fake.get(f"/lists/aud-pln/members/{subscriber_hash('new@example.com')}")
    assert member is not None
    assert (member["status"], member["language"]) == ("pending", "pl")
    assert fake.calls(prefix="/lists/aud-usd") == []


CUSTOMER_CREATE = """
mutation($input: UserCreateInput!) {
  customerCreate(input: $input) { user { id } errors { field message } }
}
"""
CUSTOMER_UPDATE = """
mutation($id: ID!, $input: CustomerInput!) {
  customerUpdate(id: $id, input: $input) { errors { field message } }
}
"""


def test_a_customer_created_in_the_dashboard_joins_no_audience_until_they_engage(
    fake: FakeMailchimp,
    staff_api_client: Any,
    permission_manage_users: Any,
    order_with_lines: Any,
    channel_USD: Any,
    channel_PLN: Any,
) -> None:
    staff_api_client.user.user_permissions.add(permission_manage_users)
    variables = {
        "input": {
            "email": "walkin@example.com",
            "metadata": [{"key": "marketing_consent", "value": "true"}],
        }
    }
    content = get_graphql_content(staff_api_client.post_graphql(CUSTOMER_CREATE, variables))
    assert content["data"]["customerCreate"]["errors"] == []
    assert not Job.objects.filter(integration=MC).exists()  # no channel named, none engaged

    # a customer who ordered in USD is routed there, and only there
    buyer = order_with_lines.user
    buyer.store_value_in_metadata({"marketing_consent": "true"})
    buyer.save(update_fields=["metadata"])
    variables = {
        "id": graphene.Node.to_global_id("User", buyer.pk),
        "input": {"firstName": "Renamed"},
    }
    content = get_graphql_content(staff_api_client.post_graphql(CUSTOMER_UPDATE, variables))
    assert content["data"]["customerUpdate"]["errors"] == []
    assert {(c, e) for c, e, _ in deliver()} == {(channel_USD.slug, "customer_upserted")}
    assert fake.get(f"/lists/aud-usd/members/{subscriber_hash(buyer.email)}") is not None
    assert fake.calls(prefix="/lists/aud-pln") == []


def test_an_unsubscribe_from_mailchimp_clears_consent_in_that_channel_only(
    fake: FakeMailchimp,
    client: Any,
    customer_user: Any,
    channel_USD: Any,
    channel_PLN: Any,
) -> None:
    from saleor.checkout.models import Checkout, CheckoutMetadata

    from saleor_plugins.adapter.host import SaleorHost
    from saleor_plugins.mailchimp import mapping

    customer_user.store_value_in_metadata({"marketing_consent": "true"})
    customer_user.save(update_fields=["metadata"])
    carts = {}
    for channel in (channel_USD, channel_PLN):
        cart = Checkout.objects.create(channel=channel, email=customer_user.email, currency="USD")
        storage = CheckoutMetadata.objects.create(checkout=cart)
        storage.store_value_in_metadata({"marketing_consent": "true"})
        storage.save()
        carts[channel.slug] = storage

    def body(list_id: str) -> str:
        return urlencode(
            {
                "type": "unsubscribe",
                "fired_at": "2026-11-26 21:35:57",
                "data[email]": customer_user.email,
                "data[list_id]": list_id,
                "data[reason]": "manual",
            }
        )

    url = f"/plugins/channel/{channel_USD.slug}/{MC}/list/{SECRET}"
    form = "application/x-www-form-urlencoded"
    assert client.post(url + "x", body("aud-usd"), content_type=form).status_code == 400
    # the PLN audience's event sent to the USD channel's URL: refused
    assert client.post(url, body("aud-pln"), content_type=form).status_code == 400
    response = client.post(url, body("aud-usd"), content_type=form)
    assert response.status_code == 200
    assert deliver() == [(channel_USD.slug, "webhook_received", "succeeded")]

    customer_user.refresh_from_db()
    assert customer_user.metadata["marketing_consent"] == "true"  # other channels keep it
    assert customer_user.metadata[f"marketing_consent.{channel_USD.slug}"] == "false"
    for slug, expected in ((channel_USD.slug, "false"), (channel_PLN.slug, "true")):
        carts[slug].refresh_from_db()
        assert carts[slug].metadata["marketing_consent"] == expected
    snapshot = SaleorHost().read("customer", str(customer_user.pk), channel_USD.slug)
    assert mapping.consent("marketing_consent", channel_USD.slug, snapshot) is False
    assert mapping.consent("marketing_consent", channel_PLN.slug, snapshot) is True


PRODUCT_LISTING_UPDATE = """
mutation($id: ID!, $input: ProductChannelListingUpdateInput!) {
  productChannelListingUpdate(id: $id, input: $input) { errors { field message } }
}
"""


def test_a_product_unpublished_in_the_channel_is_hidden_in_its_store(
    fake: FakeMailchimp,
    staff_api_client: Any,
    permission_manage_products: Any,
    product: Any,
    channel_USD: Any,
) -> None:
    staff_api_client.user.user_permissions.add(permission_manage_products)
    variant = product.variants.get()

    def listing(**changes: Any) -> None:
        channel = {"channelId": graphene.Node.to_global_id("Channel", channel_USD.pk), **changes}
        variables = {
            "id": graphene.Node.to_global_id("Product", product.pk),
            "input": {"updateChannels": [channel]},
        }
        content = get_graphql_content(
            staff_api_client.post_graphql(PRODUCT_LISTING_UPDATE, variables)
        )
        assert content["data"]["productChannelListingUpdate"]["errors"] == []
        deliver()

    def visibility() -> str:
        sent = fake.get(f"{store(channel_USD)}/products/{product.pk}/variants/{variant.pk}")
        assert sent is not None
        return str(sent["visibility"])

    listing(isPublished=True)
    assert visibility() == "visible"
    listing(isPublished=False)
    assert visibility() == "hidden"
    listing(isPublished=True, publishedAt="2100-01-01T00:00:00+00:00")  # scheduled
    assert visibility() == "hidden"
