"""Google Merchant Center inside a real Saleor: mutations -> Merchant API calls, feed URL.

The plugin is active in two channels, each with its own API data source on the fake
Merchant API, so a call reaching the wrong channel shows up as an offer in the wrong source.
Jobs are delivered in the test (Saleor's test settings run Celery eagerly, which the kernel
refuses for provider calls).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import graphene
import pytest
import rsa
from saleor.graphql.tests.utils import get_graphql_content

from saleor_plugins.core import delivery
from saleor_plugins.core.models import Job, JobStatus
from saleor_plugins.testing.providers.google_merchant import FakeMerchant
from tests.saleor.conftest import enable

pytestmark = pytest.mark.saleor

GM = "saleor_plugins.google_merchant"
PLUGIN = "saleor_plugins.google_merchant.plugin.GoogleMerchantPlugin"
ACCOUNT = "123456"
SOURCES = {"usd": f"accounts/{ACCOUNT}/dataSources/1", "pln": f"accounts/{ACCOUNT}/dataSources/2"}
TOKEN = "feed-token_0123456789abcdefghijklmnop"  # the USD channel's; PLN has none


@pytest.fixture(scope="module")
def pem() -> str:
    return rsa.newkeys(1024)[1].save_pkcs1().decode()


@pytest.fixture
def merchant(httpserver, settings) -> Any:  # type: ignore[no-untyped-def]
    from saleor_plugins.core import registry
    from saleor_plugins.google_merchant import connector

    settings.PLUGINS = [*settings.PLUGINS, PLUGIN]
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)
    fake = FakeMerchant(httpserver)
    fake.install()
    settings.SALEOR_PLUGINS_GOOGLE_MERCHANT_ENDPOINT = fake.url
    yield fake
    assert fake.schema_problems == []


@pytest.fixture
def active(merchant, pem, channel_USD, channel_PLN) -> FakeMerchant:  # type: ignore[no-untyped-def]
    import json

    key = json.dumps({"type": "service_account", "client_email": "s@p.iam.gserviceaccount.com",
                      "private_key": pem, "token_uri": merchant.token_uri})  # fmt: skip
    for channel, source in ((channel_USD, "1"), (channel_PLN, "2")):
        config = {
            "merchant_id": ACCOUNT,
            "data_source": source,
            "service_account_json": key,
            "feed_label": channel.default_country.code,
            "product_url_template": "https://shop.example.com/{channel}/{slug}?v={variant_id}",
        }
        if channel is channel_USD:
            config["feed_token"] = TOKEN
        enable(GM, channel, config)
    return merchant


def deliver_all() -> list[tuple[str, str, str]]:
    """Deliver every pending job of ours; (channel, event, outcome) per job."""
    done = []
    for job in Job.objects.filter(integration=GM, status=JobStatus.PENDING).order_by("id"):
        result = delivery.deliver(job.id)
        done.append((job.channel, job.event, result.outcome))
    return done


def gid(kind: str, pk: int) -> str:
    return graphene.Node.to_global_id(kind, pk)


PRODUCT_UPDATE = """
mutation($id: ID!, $input: ProductInput!) {
  productUpdate(id: $id, input: $input) { errors { field message } }
}
"""
LISTING_UPDATE = """
mutation($id: ID!, $input: ProductChannelListingUpdateInput!) {
  productChannelListingUpdate(id: $id, input: $input) { errors { field message } }
}
"""
STOCKS_UPDATE = """
mutation($variantId: ID!, $stocks: [StockInput!]!) {
  productVariantStocksUpdate(variantId: $variantId, stocks: $stocks) { errors { field message } }
}
"""
PRODUCT_DELETE = """
mutation($id: ID!) { productDelete(id: $id) { errors { field message } } }
"""


@pytest.fixture
def staff(staff_api_client, permission_manage_products):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_products)
    return staff_api_client


def update(staff, product, name: str) -> None:  # type: ignore[no-untyped-def]
    variables = {"id": gid("Product", product.pk), "input": {"name": name}}
    data = get_graphql_content(staff.post_graphql(PRODUCT_UPDATE, variables))
    assert data["data"]["productUpdate"]["errors"] == []


def test_product_update_upserts_the_offer_in_the_listed_channel_only(
    staff, active, product_with_image, channel_USD
):  # type: ignore[no-untyped-def]
    update(staff, product_with_image, "Renamed shirt")
    assert deliver_all() == [(channel_USD.slug, "product_upserted", "succeeded")]
    variant = product_with_image.variants.get()
    offers = active.offers(SOURCES["usd"])
    assert list(offers) == [str(variant.pk)]
    attrs = offers[str(variant.pk)]["productAttributes"]
    assert attrs["title"] == "Renamed shirt"
    assert attrs["price"] == {"amountMicros": "10000000", "currencyCode": "USD"}
    assert attrs["availability"] == "IN_STOCK"
    assert attrs["imageLink"].startswith("https://example.com/media/")
    assert active.offers(SOURCES["pln"]) == {}


def test_unpublishing_and_removing_the_channel_delete_the_offer(
    staff, active, product_with_image, channel_USD
):  # type: ignore[no-untyped-def]
    update(staff, product_with_image, "Shirt")
    deliver_all()
    assert active.offers(SOURCES["usd"])
    variables = {
        "id": gid("Product", product_with_image.pk),
        "input": {
            "updateChannels": [{"channelId": gid("Channel", channel_USD.pk), "isPublished": False}]
        },
    }
    get_graphql_content(staff.post_graphql(LISTING_UPDATE, variables))
    assert deliver_all() == [(channel_USD.slug, "product_upserted", "succeeded")]
    assert active.offers() == {}
    update(staff, product_with_image, "Shirt again")  # unpublished: still nothing listed
    deliver_all()
    assert active.offers() == {}
    variables = {"id": gid("Product", product_with_image.pk),
                 "input": {"removeChannels": [gid("Channel", channel_USD.pk)]}}  # fmt: skip
    get_graphql_content(staff.post_graphql(LISTING_UPDATE, variables))
    # its offer is gone already: nothing held in USD, so no job there
    assert deliver_all() == []
    assert active.offers() == {}
    assert len(active.api_calls("DELETE")) == 1  # not one more per later update


def test_a_product_synced_long_ago_and_then_unlisted_loses_its_offer(
    staff, active, product_with_image, channel_USD, channel_PLN
):  # type: ignore[no-untyped-def]
    update(staff, product_with_image, "Shirt")
    deliver_all()
    assert active.offers(SOURCES["usd"])
    Job.objects.all().delete()  # a month on: the sweep pruned the succeeded jobs
    variables = {"id": gid("Product", product_with_image.pk),
                 "input": {"removeChannels": [gid("Channel", channel_USD.pk)]}}  # fmt: skip
    get_graphql_content(staff.post_graphql(LISTING_UPDATE, variables))
    # the kernel's ledger remembers Google holds it in USD (never sent to PLN: no job there)
    assert deliver_all() == [(channel_USD.slug, "product_upserted", "succeeded")]
    assert active.offers() == {}
    update(staff, product_with_image, "Shirt again")  # nothing held anywhere: no job
    assert deliver_all() == []
    assert len(active.api_calls("DELETE")) == 1


def test_listing_in_a_second_channel_reaches_that_channel(
    staff, active, product_with_image, channel_USD, channel_PLN
):  # type: ignore[no-untyped-def]
    variant = product_with_image.variants.get()
    variant.channel_listings.create(channel=channel_PLN, price_amount=40, currency="PLN")
    variables = {"id": gid("Product", product_with_image.pk), "input": {"updateChannels": [{
        "channelId": gid("Channel", channel_PLN.pk), "isPublished": True,
        "isAvailableForPurchase": True,
        "availableForPurchaseAt": datetime(2020, 1, 1, tzinfo=UTC).isoformat()}]}}  # fmt: skip
    data = get_graphql_content(staff.post_graphql(LISTING_UPDATE, variables))
    assert data["data"]["productChannelListingUpdate"]["errors"] == []
    assert sorted(c for c, _, o in deliver_all() if o == "succeeded") == sorted(
        [channel_USD.slug, channel_PLN.slug]
    )
    pln = active.offers(SOURCES["pln"])[str(variant.pk)]["productAttributes"]
    assert pln["price"] == {"amountMicros": "40000000", "currencyCode": "PLN"}
    assert str(variant.pk) in active.offers(SOURCES["usd"])


def test_stock_update_changes_availability(staff, active, product_with_image, channel_USD):  # type: ignore[no-untyped-def]
    from saleor_plugins.core import drain
    from saleor_plugins.core.host import get_host

    host = get_host()
    host.install()  # type: ignore[attr-defined]
    list(host.drain_changes())  # type: ignore[attr-defined]
    update(staff, product_with_image, "Shirt")
    deliver_all()
    variant = product_with_image.variants.get()
    stock = variant.stocks.get()
    empty = [{"warehouse": gid("Warehouse", stock.warehouse_id), "quantity": 0}]
    variables = {"variantId": gid("ProductVariant", variant.pk), "stocks": empty}
    data = get_graphql_content(staff.post_graphql(STOCKS_UPDATE, variables))
    assert data["data"]["productVariantStocksUpdate"]["errors"] == []
    # Saleor 3.24 calls no plugin hook here: the adapter's trigger records the change and
    # the kernel's drain task (every 15 s from beat) turns it into the product's jobs
    assert drain.drain() == 1
    assert deliver_all() == [(channel_USD.slug, "product_upserted", "succeeded")]
    attrs = active.offers(SOURCES["usd"])[str(variant.pk)]["productAttributes"]
    assert attrs["availability"] == "OUT_OF_STOCK"


def test_product_delete_deletes_its_offers(
    staff, active, product_with_image, channel_USD, channel_PLN
):  # type: ignore[no-untyped-def]
    update(staff, product_with_image, "Shirt")
    deliver_all()
    data = get_graphql_content(
        staff.post_graphql(PRODUCT_DELETE, {"id": gid("Product", product_with_image.pk)})
    )
    assert data["data"]["productDelete"]["errors"] == []
    outcomes = deliver_all()
    assert {o for _, _, o in outcomes} == {"succeeded"}
    assert {e for _, e, _ in outcomes} == {"product_deleted"}
    assert active.offers() == {}
    # both channels are told; only USD, where the offer was sent, calls Google
    assert sorted(c for c, _, _ in outcomes) == sorted([channel_USD.slug, channel_PLN.slug])
    assert len(active.api_calls("DELETE")) == 1


def basic(password: str, user: str = "google") -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {encoded}"}


def test_the_feed_url_serves_the_channels_feed_to_its_token(
    client, active, product_with_image, channel_USD, media_root
):  # type: ignore[no-untyped-def]
    from saleor_plugins.google_merchant import tasks

    tasks.generate_feed(channel_USD.slug, force=True)
    variant = product_with_image.variants.get()
    response = client.get(f"/plugins/channel/{channel_USD.slug}/{GM}/{TOKEN}/feed.xml")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert f"<g:id>{variant.pk}</g:id>" in body and "<g:price>10.00 USD</g:price>" in body
    tsv = client.get(f"/plugins/channel/{channel_USD.slug}/{GM}/{TOKEN}/feed.tsv")
    assert b"".join(tsv.streaming_content).decode().count("\n") == 2
    # HTTP basic auth (Google's scheduled fetch has a user name and password): any user
    by_auth = client.get(f"/plugins/channel/{channel_USD.slug}/{GM}/feed.xml", **basic(TOKEN))
    assert by_auth.status_code == 200
    assert b"".join(by_auth.streaming_content).decode() == body


def answer(response) -> tuple[int, bytes, list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    return response.status_code, response.content, sorted(response.headers.items())


def test_every_refusal_is_the_404_saleor_gives_for_an_unknown_channel(
    client, active, product_with_image, channel_USD, channel_PLN, media_root
):  # type: ignore[no-untyped-def]
    """Unknown channel, plugin inactive, no token configured, wrong or missing token, no
    feed published yet: one answer, so nothing tells which channels exist."""
    from saleor_plugins.google_merchant import tasks

    usd, pln = (f"/plugins/channel/{c.slug}/{GM}" for c in (channel_USD, channel_PLN))
    saleors = answer(client.get(f"/plugins/channel/no-such-channel/{GM}/{TOKEN}/feed.xml"))
    assert saleors[0] == 404
    refusals = {"no feed published yet": client.get(f"{usd}/{TOKEN}/feed.xml")}
    tasks.generate_feed(channel_USD.slug, force=True)
    tasks.generate_feed(channel_PLN.slug, force=True)
    refusals |= {
        "no token": client.get(f"{usd}/feed.xml"),
        "wrong token": client.get(f"{usd}/{TOKEN[:-1]}x/feed.xml"),
        "wrong token, longer": client.get(f"{usd}/{TOKEN}x/feed.xml"),
        "wrong password": client.get(f"{usd}/feed.tsv", **basic(TOKEN[::-1])),
        "malformed auth": client.get(f"{usd}/feed.xml", HTTP_AUTHORIZATION="Basic %%%"),
        "channel without a token": client.get(f"{pln}/{TOKEN}/feed.xml"),
        "channel without a token, no auth": client.get(f"{pln}/feed.xml"),
        "unknown file": client.get(f"{usd}/{TOKEN}/feed.csv"),
    }
    channel_PLN.pluginconfiguration_set.filter(identifier=GM).update(active=False)
    refusals["plugin inactive"] = client.get(f"{pln}/{TOKEN}/feed.xml")
    assert {name: answer(r) for name, r in refusals.items()} == dict.fromkeys(refusals, saleors)
    assert client.get(f"{usd}/{TOKEN}/feed.xml").status_code == 200


PLUGIN_QUERY = """
query($id: ID!) {
  plugin(id: $id) { channelConfigurations { channel { slug } configuration { name value } } }
}
"""


def test_the_dashboard_says_where_the_feed_is_without_showing_the_token(
    staff_api_client, permission_manage_plugins, active, channel_USD, channel_PLN
):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    data = get_graphql_content(staff_api_client.post_graphql(PLUGIN_QUERY, {"id": GM}))
    configs = {
        c["channel"]["slug"]: {i["name"]: i["value"] for i in c["configuration"]}
        for c in data["data"]["plugin"]["channelConfigurations"]
    }
    usd, pln = configs[channel_USD.slug], configs[channel_PLN.slug]
    url = f"/plugins/channel/{channel_USD.slug}/{GM}/<feed token>/feed.xml"
    assert url in usd["sync_status"]
    assert TOKEN not in str(configs)
    assert usd["feed_token"] == TOKEN[-4:]  # Saleor's mask
    assert "Feed not served: set a feed token" in pln["sync_status"]


def test_reading_the_catalogue_costs_the_same_queries_per_page_whatever_its_size(
    active, product_with_image, channel_USD, capsys
):  # type: ignore[no-untyped-def]
    """Figures printed for the benchmark; the constant per page is the behaviour checked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from saleor.product.models import (
        ProductChannelListing,
        ProductVariant,
        ProductVariantChannelListing,
    )
    from saleor.warehouse.models import Stock

    from saleor_plugins.core.host import get_host

    base = product_with_image
    listing = base.channel_listings.get()
    variant = base.variants.get()
    for i in range(12):  # 13 products in all
        clone = type(base).objects.create(
            name=f"Clone {i}", slug=f"clone-{i}", product_type=base.product_type,
            category=base.category,
        )  # fmt: skip
        ProductChannelListing.objects.create(
            product=clone, channel=channel_USD, is_published=True, currency="USD",
            available_for_purchase_at=listing.available_for_purchase_at,
        )  # fmt: skip
        for v in range(2):
            copy = ProductVariant.objects.create(product=clone, sku=f"clone-{i}-{v}")
            ProductVariantChannelListing.objects.create(
                variant=copy, channel=channel_USD, price_amount=10, currency="USD"
            )
            Stock.objects.create(
                warehouse=variant.stocks.get().warehouse, product_variant=copy, quantity=3
            )
    host = get_host()
    figures = []
    for size in (2, 4, 5, 50):
        with CaptureQueriesContext(connection) as queries:
            products = list(host.iter_objects("product", channel_USD.slug, page_size=size))
        pages = -(-len(products) // size)
        figures.append((size, pages, len(queries) / pages))
        assert len(products) == 13
    with capsys.disabled():
        print("\nSaleor reads: page size, pages, queries per page")
        for size, pages, per_page in figures:
            print(f"  {size:>4} {pages:>4} {per_page:>6.1f}")
    assert len({per_page for _, _, per_page in figures}) == 1


PLUGIN_UPDATE = """
mutation($id: ID!, $channelId: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channelId, input: $input) {
    plugin { channelConfigurations { channel { slug } configuration { name value } } }
    errors { field message }
  }
}
"""


def test_dashboard_starts_a_full_sync_and_shows_feed_and_statuses(
    staff_api_client,
    permission_manage_plugins,
    active,
    product_with_image,
    channel_USD,
    django_capture_on_commit_callbacks,
    media_root,
):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    variables = {
        "id": GM,
        "channelId": gid("Channel", channel_USD.pk),
        "input": {"active": True, "configuration": [{"name": "start_full_sync", "value": "true"}]},
    }
    with django_capture_on_commit_callbacks(execute=True):
        data = get_graphql_content(staff_api_client.post_graphql(PLUGIN_UPDATE, variables))
    result = data["data"]["pluginUpdate"]
    assert result["errors"] == []
    variant = product_with_image.variants.get()
    assert list(active.offers(SOURCES["usd"])) == [str(variant.pk)]  # the full sync ran
    config = {
        c["channel"]["slug"]: {i["name"]: i["value"] for i in c["configuration"]}
        for c in result["plugin"]["channelConfigurations"]
    }[channel_USD.slug]
    assert config["start_full_sync"] in (False, "false", "False")  # the box cleared itself
    assert "Feed: not generated yet" in config["sync_status"]
    assert "Merchant Center: statuses not pulled yet" in config["sync_status"]
