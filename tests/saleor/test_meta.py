"""Meta inside a real Saleor: productUpdate -> catalog items, checkoutComplete -> Purchase.

Active in two channels, each with its own catalog and pixel on the fake Graph API, so a call
reaching the wrong channel shows up in the wrong catalog or pixel. Jobs are delivered in the
test (Saleor's test settings run Celery eagerly, which the kernel refuses for provider calls).
"""

from __future__ import annotations

from typing import Any

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content

from saleor_plugins.core import delivery
from saleor_plugins.core.models import Job, JobStatus
from saleor_plugins.testing.providers.meta import (
    CATALOG,
    CATALOG_2,
    PIXEL,
    PIXEL_2,
    TOKEN,
    FakeGraph,
)
from tests.saleor.conftest import enable

pytestmark = pytest.mark.saleor

META = "saleor_plugins.meta"
PLUGIN = "saleor_plugins.meta.plugin.MetaPlugin"


@pytest.fixture
def graph(httpserver, settings) -> Any:  # type: ignore[no-untyped-def]
    from saleor_plugins.core import registry
    from saleor_plugins.meta import connector

    settings.PLUGINS = [*settings.PLUGINS, PLUGIN]
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)
    fake = FakeGraph(httpserver)
    fake.install()
    settings.SALEOR_PLUGINS_META_GRAPH_URL = fake.url
    settings.SALEOR_PLUGINS_META_POLL_SECONDS = 0.0
    yield fake
    assert fake.problems == []


@pytest.fixture
def active(graph, channel_USD, channel_PLN) -> FakeGraph:  # type: ignore[no-untyped-def]
    for channel, catalog, pixel in (
        (channel_USD, CATALOG, PIXEL),
        (channel_PLN, CATALOG_2, PIXEL_2),
    ):
        config = {
            "access_token": TOKEN,
            "catalog_id": catalog,
            "pixel_id": pixel,
            "product_url_template": "https://shop.example.com/{channel}/{slug}?v={variant_id}",
            "storefront_url": "https://shop.example.com",
        }
        enable(META, channel, config)
    return graph


def deliver_all() -> list[tuple[str, str, str]]:
    done = []
    for job in Job.objects.filter(integration=META, status=JobStatus.PENDING).order_by("id"):
        result = delivery.deliver(job.id)
        done.append((job.channel, job.event, result.outcome))
    return done


PRODUCT_UPDATE = """
mutation($id: ID!, $input: ProductInput!) {
  productUpdate(id: $id, input: $input) { errors { field message } }
}
"""
CHECKOUT_COMPLETE = """
mutation($id: ID, $redirectUrl: String) {
  checkoutComplete(id: $id, redirectUrl: $redirectUrl) { order { id number } errors { message } }
}
"""


def test_product_update_sends_one_catalog_update_per_channel_where_meta_is_active(
    staff_api_client, permission_manage_products, active, product_with_image, channel_USD
):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_products)
    variables = {
        "id": graphene.Node.to_global_id("Product", product_with_image.pk),
        "input": {"name": "Renamed shirt"},
    }
    data = get_graphql_content(staff_api_client.post_graphql(PRODUCT_UPDATE, variables))
    assert data["data"]["productUpdate"]["errors"] == []
    assert deliver_all() == [(channel_USD.slug, "product_upserted", "succeeded")]
    assert active.calls["items_batch"] == 1
    variant = product_with_image.variants.get()
    items = active.catalogs[CATALOG]
    assert list(items) == [variant.sku or str(variant.pk)]
    item = next(iter(items.values()))
    assert item["title"] == "Renamed shirt"
    assert item["price"] == "10.00 USD"
    assert item["availability"] == "in stock"
    assert item["item_group_id"] == str(product_with_image.pk)
    assert active.catalogs[CATALOG_2] == {}  # not listed in PLN: nothing sent there


def test_checkout_complete_sends_one_purchase_in_that_channel_only(
    user_api_client, checkout_ready_to_complete, payment_dummy, active, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order

    from .conftest import pay_with_dummy

    checkout = checkout_ready_to_complete
    checkout.metadata_storage.store_value_in_metadata(
        {"marketing_consent": "true", "meta_fbp": "fb.1.1596403881668.1116446470"}
    )
    checkout.metadata_storage.save()
    pay_with_dummy(checkout, payment_dummy)
    variables = {
        "id": graphene.Node.to_global_id("Checkout", checkout.pk),
        "redirectUrl": "https://www.example.com",
    }
    content = get_graphql_content(user_api_client.post_graphql(CHECKOUT_COMPLETE, variables))
    assert content["data"]["checkoutComplete"]["errors"] == []
    order = Order.objects.get(checkout_token=checkout.token)
    done = deliver_all()
    assert {c for c, _, _ in done} == {channel_USD.slug}
    assert all(outcome == "succeeded" for _, _, outcome in done)
    purchases = [e for e in active.pixels[PIXEL] if e["event_name"] == "Purchase"]
    assert len(purchases) == 1
    event = purchases[0]
    assert event["event_id"] == f"order-{order.number}"
    assert event["custom_data"]["currency"] == "USD"
    assert event["custom_data"]["value"] == float(order.total_gross_amount)
    assert event["user_data"]["fbp"] == "fb.1.1596403881668.1116446470"
    assert "em" in event["user_data"]
    assert active.pixels[PIXEL_2] == []
    # a replay of every order job sends nothing more
    for job in Job.objects.filter(integration=META, object_type="order"):
        job.status = JobStatus.PENDING
        job.save(update_fields=["status"])
    deliver_all()
    assert len([e for e in active.pixels[PIXEL] if e["event_name"] == "Purchase"]) == 1


PLUGIN_UPDATE = """
mutation($id: ID!, $channelId: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channelId, input: $input) {
    plugin { channelConfigurations { active configuration { name value } } }
    errors { field message code }
  }
}
"""


def test_the_dashboard_shows_a_refused_token_beside_its_field(
    staff_api_client, permission_manage_plugins, graph, channel_USD
):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    values = {
        "access_token": TOKEN,
        "catalog_id": CATALOG,
        "pixel_id": PIXEL,
        "product_url_template": "https://shop.example.com/{slug}",
    }

    def update(config: dict[str, Any]) -> dict[str, Any]:
        variables = {
            "id": META,
            "channelId": graphene.Node.to_global_id("Channel", channel_USD.pk),
            "input": {
                "active": True,
                "configuration": [{"name": k, "value": v} for k, v in config.items()],
            },
        }
        content = get_graphql_content(staff_api_client.post_graphql(PLUGIN_UPDATE, variables))
        result: dict[str, Any] = content["data"]["pluginUpdate"]
        return result

    badly_formed = update({**values, "pixel_id": "pixel-1"})
    assert [e["field"] for e in badly_formed["errors"]] == ["pixelId"]
    refused = update({**values, "access_token": "EAAB-revoked-token-000000000000"})
    assert [e["field"] for e in refused["errors"]] == ["accessToken"]
    assert "Meta refused the token" in refused["errors"][0]["message"]
    assert graph.calls["read"] == 0
    saved = update(values)
    assert saved["errors"] == []
    status = [
        c["value"]
        for c in saved["plugin"]["channelConfigurations"][0]["configuration"]
        if c["name"] == "sync_status"
    ]
    assert status and "Catalog: 0 item(s) at Meta" in status[0]
    assert TOKEN not in str(saved)  # masked by Saleor


def test_the_csv_feed_is_served_only_with_its_token(client, graph, channel_USD, product_with_image):  # type: ignore[no-untyped-def]
    token = "feed-token-0123456789abcdefghij-klmno"  # 32 to 128 characters
    config = {
        "access_token": TOKEN,
        "catalog_id": CATALOG,
        "events": "none",
        "product_url_template": "https://shop.example.com/{slug}",
        "feed_token": token,
    }
    enable(META, channel_USD, config)
    url = f"/plugins/channel/{channel_USD.slug}/{META}/feed.csv"
    assert client.get(url).status_code == 403
    assert client.get(url, {"token": "wrong-token-0123456789abcdef"}).status_code == 403
    response = client.get(url, {"token": token})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    variant = product_with_image.variants.get()
    assert text.splitlines()[0].startswith("id,title,description,availability")
    assert (variant.sku or str(variant.pk)) in text
    assert graph.calls["items_batch"] == 0  # a feed read calls nothing at Meta


CHECKOUT_EMAIL_UPDATE = """
mutation($id: ID, $email: String!) {
  checkoutEmailUpdate(id: $id, email: $email) { errors { field message } }
}
"""


@pytest.mark.parametrize("events", ["Purchase", "Purchase, InitiateCheckout"])
def test_a_checkout_change_writes_a_meta_job_only_where_checkout_events_are_on(
    user_api_client, checkout_with_item, graph, channel_USD, events
):  # type: ignore[no-untyped-def]
    config = {
        "access_token": TOKEN,
        "catalog_id": CATALOG,
        "pixel_id": PIXEL,
        "product_url_template": "https://shop.example.com/{slug}",
        "storefront_url": "https://shop.example.com",
        "events": events,
    }
    enable(META, channel_USD, config)
    variables = {
        "id": graphene.Node.to_global_id("Checkout", checkout_with_item.pk),
        "email": "ann@example.com",
    }
    data = get_graphql_content(user_api_client.post_graphql(CHECKOUT_EMAIL_UPDATE, variables))
    assert data["data"]["checkoutEmailUpdate"]["errors"] == []
    jobs = Job.objects.filter(integration=META, event="checkout_upserted")
    assert jobs.count() == (1 if "InitiateCheckout" in events else 0)
