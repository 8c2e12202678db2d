"""Google Tag Manager and GA4 inside a real Saleor: the purchase and refunds, once, in the
order's channel only; the storefront's URLs; an invalid id refused by pluginUpdate.

Both channels (USD, PLN) have the plugin with their own GA4 stream; Saleor's own
mutations run; the jobs they write are delivered to a fake GA4 on 127.0.0.1 over the
plugin's real HTTP client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import graphene
import pytest
from pytest_httpserver import HTTPServer
from saleor.graphql.tests.utils import get_graphql_content

from saleor_plugins.core import delivery
from saleor_plugins.core.models import Job
from saleor_plugins.testing.providers.google_tag_manager import FakeGA4
from tests.saleor.conftest import enable

pytestmark = pytest.mark.saleor

GTM = "saleor_plugins.google_tag_manager"
SECRET = "ga4-secret-Zq8hN3kT2w"
CLIENT = "1234567890.1764590000"
STREAMS = {"USD": "G-USD12345", "PLN": "G-PLN12345"}  # by the channel's currency
PLUGINS = [
    "saleor.plugins.tests.gateways.dummy.DummyGatewayPlugin",
    "saleor_plugins.adapter.router.RouterPlugin",
    "saleor_plugins.google_tag_manager.plugin.GoogleTagManagerPlugin",
]


def gtm_config(channel: Any) -> dict[str, str]:
    return {
        "container_id": "GTM-ABC1234",
        "measurement_id": STREAMS[channel.currency_code],
        "api_secret": SECRET,
    }


@pytest.fixture
def ga4(
    settings: Any, httpserver: HTTPServer, channel_USD: Any, channel_PLN: Any
) -> Iterator[FakeGA4]:
    from saleor_plugins.core import registry
    from saleor_plugins.google_tag_manager import connector

    settings.PLUGINS = PLUGINS
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)
    for channel in (channel_USD, channel_PLN):
        enable(GTM, channel, gtm_config(channel))
    fake = FakeGA4(httpserver)
    fake.install()
    settings.SALEOR_PLUGINS_GA4_ENDPOINT = fake.url
    yield fake
    assert fake.problems == [], fake.problems


def deliver() -> list[tuple[str, str]]:
    done = []
    for job in Job.objects.filter(integration=GTM, status="pending").order_by("id"):
        result = delivery.deliver(job.id)
        job.refresh_from_db()
        assert result.outcome in ("succeeded", "skipped"), job.last_error
        done.append((job.channel, job.event))
    return done


CHECKOUT_COMPLETE = """
mutation($id: ID, $metadata: [MetadataInput!]) {
  checkoutComplete(id: $id, redirectUrl: "https://www.example.com", metadata: $metadata) {
    order { id number } errors { field message }
  }
}
"""
ORDER_REFUND = """
mutation($id: ID!, $amount: PositiveDecimal!) {
  orderRefund(id: $id, amount: $amount) { errors { field message } }
}
"""


def complete(client: Any, checkout: Any, payment: Any) -> Any:
    from saleor.order.models import Order

    from .conftest import pay_with_dummy

    pay_with_dummy(checkout, payment)
    variables = {
        "id": graphene.Node.to_global_id("Checkout", checkout.pk),
        "metadata": [{"key": "ga4_client_id", "value": f"GA1.1.{CLIENT}"}],
    }
    content = get_graphql_content(client.post_graphql(CHECKOUT_COMPLETE, variables))
    assert content["data"]["checkoutComplete"]["errors"] == []
    return Order.objects.get(checkout_token=checkout.token)


def test_checkout_complete_sends_one_purchase_with_the_client_id_in_that_channel_only(
    ga4: FakeGA4, user_api_client: Any, checkout_ready_to_complete: Any, payment_dummy: Any
) -> None:
    order = complete(user_api_client, checkout_ready_to_complete, payment_dummy)
    assert {c for c, _ in deliver()} == {order.channel.slug}
    deliver()  # nothing left, nothing new
    [request] = ga4.requests
    assert request.query["measurement_id"] == STREAMS[order.channel.currency_code]
    assert request.body["client_id"] == CLIENT
    [purchase] = request.events
    params = purchase["params"]
    assert params["transaction_id"] == str(order.number)
    assert params["currency"] == order.currency
    assert Decimal(str(params["value"])) == order.total_gross_amount
    lines = list(order.lines.all())
    assert [(i["item_id"], i["quantity"]) for i in params["items"]] == [
        (line.product_sku or str(line.variant_id), line.quantity) for line in lines
    ]
    # the category path comes from the product (the reader's one query for the page)
    category = lines[0].variant.product.category
    assert params["items"][0]["item_category"] == category.get_ancestors(include_self=True)[0].name


def test_order_refund_partial_then_the_rest_sends_two_refunds(
    ga4: FakeGA4,
    user_api_client: Any,
    staff_api_client: Any,
    permission_group_manage_orders: Any,
    checkout_ready_to_complete: Any,
    payment_dummy: Any,
) -> None:
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    order = complete(user_api_client, checkout_ready_to_complete, payment_dummy)
    deliver()
    order_id = graphene.Node.to_global_id("Order", order.pk)
    total = order.total_gross_amount
    for amount in (Decimal("1.00"), total - Decimal("1.00")):
        variables = {"id": order_id, "amount": str(amount)}
        content = get_graphql_content(staff_api_client.post_graphql(ORDER_REFUND, variables))
        assert content["data"]["orderRefund"]["errors"] == []
        deliver()
    refunds = ga4.events("refund")
    assert [Decimal(str(e["params"]["value"])) for e in refunds] == [Decimal("1.00"), total - 1]
    assert {e["params"]["transaction_id"] for e in refunds} == {str(order.number)}
    assert len(ga4.events("purchase")) == 1


def test_the_channel_with_the_plugin_inactive_sends_nothing(
    ga4: FakeGA4, user_api_client: Any, checkout_ready_to_complete: Any, payment_dummy: Any
) -> None:
    from saleor.plugins.models import PluginConfiguration

    channel = checkout_ready_to_complete.channel
    PluginConfiguration.objects.filter(identifier=GTM, channel=channel).update(active=False)
    complete(user_api_client, checkout_ready_to_complete, payment_dummy)
    deliver()
    assert ga4.requests == []


PLUGIN_UPDATE = """
mutation($id: ID!, $channelId: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channelId, input: $input) {
    errors { field message code }
  }
}
"""


def test_plugin_update_refuses_an_invalid_measurement_id_with_the_field_named(
    ga4: FakeGA4, staff_api_client: Any, permission_manage_plugins: Any, channel_USD: Any
) -> None:
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    config = {**gtm_config(channel_USD), "measurement_id": "UA-12345-1"}
    variables = {
        "id": GTM,
        "channelId": graphene.Node.to_global_id("Channel", channel_USD.pk),
        "input": {
            "active": True,
            "configuration": [{"name": k, "value": v} for k, v in config.items()],
        },
    }
    content = get_graphql_content(staff_api_client.post_graphql(PLUGIN_UPDATE, variables))
    errors = content["data"]["pluginUpdate"]["errors"]
    assert [e["field"] for e in errors] == ["measurementId"]
    assert "G-" in errors[0]["message"]
    config["measurement_id"] = "G-USD12345"  # valid: saved after Google validated a sample
    variables["input"]["configuration"] = [{"name": k, "value": v} for k, v in config.items()]
    content = get_graphql_content(staff_api_client.post_graphql(PLUGIN_UPDATE, variables))
    assert content["data"]["pluginUpdate"]["errors"] == []
    assert len(ga4.debug_requests) == 1 and ga4.requests == []


def test_config_json_is_public_cacheable_and_holds_no_secret(
    ga4: FakeGA4, client: Any, channel_USD: Any
) -> None:
    response = client.get(f"/plugins/channel/{channel_USD.slug}/{GTM}/config.json")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    body = json.loads(response.content)
    assert body["container_id"] == "GTM-ABC1234"
    assert body["measurement_id"] == STREAMS[channel_USD.currency_code]
    assert body["metadata_keys"]["client_id"] == "ga4_client_id"
    assert SECRET not in response.content.decode()


def test_the_ecommerce_object_of_an_order_by_its_token_matches_the_purchase(
    ga4: FakeGA4,
    client: Any,
    user_api_client: Any,
    checkout_ready_to_complete: Any,
    payment_dummy: Any,
    channel_PLN: Any,
) -> None:
    order = complete(user_api_client, checkout_ready_to_complete, payment_dummy)
    deliver()
    slug = order.channel.slug
    response = client.get(f"/plugins/channel/{slug}/{GTM}/orders/{order.pk}/ecommerce.json")
    assert response.status_code == 200
    ecommerce = json.loads(response.content)["ecommerce"]
    [purchase] = ga4.events("purchase")
    assert ecommerce["transaction_id"] == purchase["params"]["transaction_id"]
    assert ecommerce["items"] == purchase["params"]["items"]
    other = f"/plugins/channel/{channel_PLN.slug}/{GTM}/orders/{order.pk}/ecommerce.json"
    assert client.get(other).status_code == 404  # not an order of that channel
