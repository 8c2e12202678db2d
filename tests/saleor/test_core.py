"""The kernel inside a real Saleor: discovery, per-channel configuration, routing."""

from __future__ import annotations

import re
from collections import Counter

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content
from saleor.plugins.base_plugin import BasePlugin
from saleor.plugins.models import PluginConfiguration

from saleor_plugins.core.models import Job
from tests.saleor.conftest import enable

pytestmark = pytest.mark.saleor

SANDBOX_ID = "saleor_plugins.sandbox"
KEY = "sk_sandbox_abcdefghijklmnop"

PLUGINS_QUERY = """
query { plugins(first: 50) { edges { node { id name channelConfigurations {
  active channel { slug } configuration { name value type } } } } } }
"""

PLUGIN_UPDATE = """
mutation($id: ID!, $channelId: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channelId, input: $input) {
    plugin { id channelConfigurations { active channel { slug }
      configuration { name value } } }
    errors { field message code }
  }
}
"""


def _update(client, channel, active, **config):  # type: ignore[no-untyped-def]
    variables = {
        "id": SANDBOX_ID,
        "channelId": graphene.Node.to_global_id("Channel", channel.pk),
        "input": {
            "active": active,
            "configuration": [{"name": k, "value": v} for k, v in config.items()],
        },
    }
    return get_graphql_content(client.post_graphql(PLUGIN_UPDATE, variables))["data"][
        "pluginUpdate"
    ]


@pytest.fixture
def staff(staff_api_client, permission_manage_plugins):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    return staff_api_client


def test_plugin_is_listed_with_generated_configuration(staff, channel_USD):  # type: ignore[no-untyped-def]
    content = get_graphql_content(staff.post_graphql(PLUGINS_QUERY))
    nodes = {e["node"]["id"]: e["node"] for e in content["data"]["plugins"]["edges"]}
    assert SANDBOX_ID in nodes
    assert "saleor_plugins.router" not in nodes  # hidden: routing cannot be switched off
    config = nodes[SANDBOX_ID]["channelConfigurations"][0]["configuration"]
    types = {c["name"]: c["type"] for c in config}
    assert types == {"endpoint": "STRING", "api_key": "SECRET", "sync_status": "OUTPUT"}


def test_plugin_update_enables_one_channel_only(staff, channel_USD, channel_PLN):  # type: ignore[no-untyped-def]
    result = _update(staff, channel_USD, True, endpoint="https://sandbox.example", api_key=KEY)
    assert result["errors"] == []
    rows = PluginConfiguration.objects.filter(identifier=SANDBOX_ID)
    assert {(r.channel.slug, r.active) for r in rows} == {(channel_USD.slug, True)}
    by_channel = {c["channel"]["slug"]: c for c in result["plugin"]["channelConfigurations"]}
    assert by_channel[channel_USD.slug]["active"] is True
    assert by_channel[channel_PLN.slug]["active"] is False
    shown = {c["name"]: c["value"] for c in by_channel[channel_USD.slug]["configuration"]}
    assert shown["api_key"] == KEY[-4:]  # masked by Saleor: a Secret field
    assert "waiting: 0" in shown["sync_status"]


def test_invalid_value_is_refused_with_the_field_named(staff, channel_USD):  # type: ignore[no-untyped-def]
    result = _update(staff, channel_USD, True, endpoint="ftp://nope", api_key=KEY)
    assert [e["field"] for e in result["errors"]] == ["endpoint"]
    assert "http" in result["errors"][0]["message"]
    assert not PluginConfiguration.objects.filter(identifier=SANDBOX_ID, active=True).exists()


def test_a_missing_required_field_is_reported_alone(staff, channel_USD):  # type: ignore[no-untyped-def]
    result = _update(staff, channel_USD, True, endpoint="https://sandbox.example")
    # Saleor camel-cases the key of the ValidationError it reports (api_key -> apiKey)
    assert [e["field"] for e in result["errors"]] == ["apiKey"]
    assert "API key is required" in result["errors"][0]["message"]


def test_an_inactive_plugin_may_be_saved_half_filled(staff, channel_USD):  # type: ignore[no-untyped-def]
    result = _update(staff, channel_USD, False, endpoint="https://sandbox.example")
    assert result["errors"] == []


PRODUCT_UPDATE = """
mutation($id: ID!, $input: ProductInput!) {
  productUpdate(id: $id, input: $input) { errors { field message } product { name } }
}
"""


def _activate(channel, **config):  # type: ignore[no-untyped-def]
    enable(SANDBOX_ID, channel, {"endpoint": "https://sandbox.example", "api_key": KEY, **config})


def test_product_update_writes_one_job_per_listed_channel(
    staff_api_client, permission_manage_products, product, channel_USD, channel_PLN
):  # type: ignore[no-untyped-def]
    # the product fixture is listed in channel_USD only; the plugin is active in both
    _activate(channel_USD)
    _activate(channel_PLN)
    staff_api_client.user.user_permissions.add(permission_manage_products)
    variables = {
        "id": graphene.Node.to_global_id("Product", product.pk),
        "input": {"name": "Renamed"},
    }
    for _ in range(3):
        content = get_graphql_content(staff_api_client.post_graphql(PRODUCT_UPDATE, variables))
        assert content["data"]["productUpdate"]["errors"] == []
    jobs = list(Job.objects.filter(object_type="product", object_id=str(product.pk)))
    assert [(j.integration, j.channel, j.event) for j in jobs] == [
        (SANDBOX_ID, channel_USD.slug, "product_upserted")
    ]
    assert jobs[0].coalesced == 2  # three updates, one pending job


def test_product_update_reaches_no_inactive_channel(
    staff_api_client, permission_manage_products, product, channel_USD
):  # type: ignore[no-untyped-def]
    _activate(channel_USD)
    PluginConfiguration.objects.filter(identifier=SANDBOX_ID).update(active=False)
    staff_api_client.user.user_permissions.add(permission_manage_products)
    variables = {
        "id": graphene.Node.to_global_id("Product", product.pk),
        "input": {"name": "Renamed"},
    }
    get_graphql_content(staff_api_client.post_graphql(PRODUCT_UPDATE, variables))
    assert not Job.objects.exists()


CHECKOUT_COMPLETE = """
mutation($id: ID, $redirectUrl: String) {
  checkoutComplete(id: $id, redirectUrl: $redirectUrl) {
    order { id } errors { field message code }
  }
}
"""


def test_checkout_complete_writes_the_order_job_in_that_channel_only(
    user_api_client, checkout_ready_to_complete, payment_dummy, channel_USD, channel_PLN
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order

    from .conftest import pay_with_dummy

    _activate(channel_USD)
    _activate(channel_PLN)
    checkout = checkout_ready_to_complete
    assert checkout.channel == channel_USD
    pay_with_dummy(checkout, payment_dummy)

    variables = {
        "id": graphene.Node.to_global_id("Checkout", checkout.pk),
        "redirectUrl": "https://www.example.com",
    }
    content = get_graphql_content(user_api_client.post_graphql(CHECKOUT_COMPLETE, variables))
    data = content["data"]["checkoutComplete"]
    assert data["errors"] == []
    order = Order.objects.get(pk=graphene.Node.from_global_id(data["order"]["id"])[1])
    jobs = Job.objects.filter(object_type="order", object_id=str(order.pk))
    events = sorted((j.channel, j.event) for j in jobs)
    assert (channel_USD.slug, "order_created") in events
    assert {c for c, _ in events} == {channel_USD.slug}
    created = [e for e in events if e[1] == "order_created"]
    assert len(created) == 1


def test_an_order_event_for_two_integrations_is_one_insert(
    order_with_lines, channel_USD, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from saleor.plugins.manager import get_plugins_manager

    _activate(channel_USD)
    PluginConfiguration.objects.create(
        identifier="saleor_plugins.sandbox_two",
        channel=channel_USD,
        active=True,
        configuration=[
            {"name": "endpoint", "value": "https://two.example"},
            {"name": "api_key", "value": KEY},
        ],
    )
    manager = get_plugins_manager(allow_replica=False)
    manager.get_plugins(channel_slug=channel_USD.slug)  # load plugins outside the count
    assert order_with_lines.channel.slug  # Saleor's own lookup, outside the count
    with CaptureQueriesContext(connection) as queries:
        manager.order_created(order_with_lines)
    writes = [q["sql"] for q in queries if "saleor_plugins_job" in q["sql"]]
    assert len(writes) == 1 and writes[0].startswith("\nINSERT")
    assert len(queries) == 1  # nothing else in the request path: no read, no network
    jobs = Job.objects.filter(object_id=str(order_with_lines.pk), event="order_created")
    assert sorted(j.integration for j in jobs) == [SANDBOX_ID, "saleor_plugins.sandbox_two"]


# -- the request path: what our plugins add to a storefront's requests ----------------------

SANDBOXES = {
    SANDBOX_ID: {"endpoint": "https://sandbox.example", "api_key": KEY},
    "saleor_plugins.sandbox_two": {"endpoint": "https://two.example", "api_key": KEY},
}


@pytest.mark.parametrize(
    "pay",
    [
        pytest.param(False, id="unpaid"),
        # committed for real, as in production: Saleor calls the order hooks after its commit
        pytest.param(True, id="paid", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def test_checkout_complete_costs_one_query_for_our_plugins(settings, pay):  # type: ignore[no-untyped-def]
    """Two integrations subscribed to the order: one INSERT, nothing else (no per-plugin
    channel lookup, no read): the same checkoutComplete with and without our plugins.
    Paid, the order has two events (created, paid): still one INSERT, after the response."""
    from .checkout_flow import Queries, build_store
    from .conftest import DUMMY

    ours = list(settings.PLUGINS)
    store = build_store(SANDBOXES, allow_unpaid_orders=not pay)
    counts, sql = [], []
    for plugins in ([DUMMY], ours, [DUMMY], ours):
        settings.PLUGINS = plugins
        checkout_id = store.create()
        store.prepare(checkout_id, pay=pay)
        with Queries().capture() as queries:
            store.complete(checkout_id)
        counts.append(len(queries))
        sql.append(queries)
    assert counts[0] == counts[2] and counts[1] == counts[3]  # the count is stable

    def shapes(queries: list[str]) -> Counter[str]:
        return Counter(re.sub(r"\d+", "N", q)[:200] for q in queries)

    added = sorted((shapes(sql[1]) - shapes(sql[0])).elements())
    assert counts[1] - counts[0] == 1, "\n".join(added)
    assert sum("saleor_plugins_job" in q for q in sql[1]) == 1
    for event in ["order_created", "order_paid"] if pay else ["order_created"]:
        jobs = Job.objects.filter(event=event, channel=store.channel.slug)
        assert sorted(j.integration for j in jobs) == sorted([*SANDBOXES] * 2), event


def test_each_configured_plugin_gets_the_channel_without_a_query(channel_USD):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from saleor.plugins.manager import get_plugins_manager

    for plugin_id, config in SANDBOXES.items():
        enable(plugin_id, channel_USD, config)
    manager = get_plugins_manager(allow_replica=False)
    with CaptureQueriesContext(connection) as queries:
        plugins = manager.get_plugins(channel_slug=channel_USD.slug, active_only=True)
    ours = [p for p in plugins if p.PLUGIN_ID in SANDBOXES]
    assert len(ours) == 2 and all(p.channel.slug == channel_USD.slug for p in ours)
    channel_reads = [q for q in queries if 'FROM "channel_channel"' in q["sql"]]
    assert len(channel_reads) == 1  # Saleor's own lookup of the channel, not one per plugin


class ExplodingPlugin(BasePlugin):
    """A third-party per-channel plugin that raises in ``order_paid``."""

    PLUGIN_ID = "tests.exploding"
    PLUGIN_NAME = "Exploding"
    CONFIGURATION_PER_CHANNEL = True
    DEFAULT_ACTIVE = True

    def order_paid(self, order, previous_value=None, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("third-party plugin failed")


def test_votes_of_a_loop_that_raised_never_reach_a_later_event(
    settings, order_with_lines, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.plugins.manager import get_plugins_manager

    from saleor_plugins.adapter import votes

    for plugin_id, config in SANDBOXES.items():
        enable(plugin_id, channel_USD, config)
    plugins = list(settings.PLUGINS)
    settings.PLUGINS = [*plugins, f"{__name__}.ExplodingPlugin"]
    with pytest.raises(RuntimeError):  # both sandboxes voted, the router was never reached
        get_plugins_manager(allow_replica=False).order_paid(order_with_lines)
    assert not Job.objects.exists()

    # the merchant switches the second sandbox off; the order is paid again later
    settings.PLUGINS = plugins
    PluginConfiguration.objects.filter(identifier="saleor_plugins.sandbox_two").update(active=False)
    get_plugins_manager(allow_replica=False).order_paid(order_with_lines)
    jobs = Job.objects.filter(object_id=str(order_with_lines.pk), event="order_paid")
    assert [j.integration for j in jobs] == [SANDBOX_ID]  # no job for the inactive one
    assert votes.pending() == 0


def test_ballots_left_behind_are_capped_per_thread():  # type: ignore[no-untyped-def]
    from saleor_plugins.adapter import votes
    from saleor_plugins.core.events import EventType

    for n in range(votes.MAX_BALLOTS + 10):  # loops that never reached the router
        votes.vote("order_paid", EventType.ORDER_PAID, f"order-{n}", SANDBOX_ID, "main", "v1")
    assert votes.pending() == votes.MAX_BALLOTS
    for n in range(votes.MAX_BALLOTS + 10):
        votes.collect("order_paid", f"order-{n}")
    assert votes.pending() == 0


@pytest.mark.django_db(transaction=True)
def test_through_saleors_asgi_server_the_job_is_written_after_the_response_is_sent(
    staff_user, permission_manage_products, product, channel_USD, monkeypatch
):  # type: ignore[no-untyped-def]
    """Saleor's production ASGI handler (what uvicorn serves): when the response body goes
    out our job is not written yet, and it is once the request has finished."""
    import asyncio
    import json

    from asgiref.sync import sync_to_async
    from django.db import connections
    from saleor.asgi.asgi_handler import get_asgi_application
    from saleor.core.jwt import create_access_token

    # the server's threads open their own connections: the replica alias, which the
    # tests point at the default one in this thread only, must name the test database too
    for alias in connections.settings:
        name = connections["default"].settings_dict["NAME"]
        monkeypatch.setitem(connections.settings[alias], "NAME", name)
    _activate(channel_USD)
    staff_user.user_permissions.add(permission_manage_products)
    body = json.dumps(
        {
            "query": PRODUCT_UPDATE,
            "variables": {
                "id": graphene.Node.to_global_id("Product", product.pk),
                "input": {"name": "Renamed over ASGI"},
            },
        }
    ).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql/",
        "raw_path": b"/graphql/",
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"authorization", f"JWT {create_access_token(staff_user)}".encode()),
        ],
    }

    def jobs() -> int:
        try:  # another thread, another connection: sees only what was committed
            return Job.objects.filter(object_type="product", object_id=str(product.pk)).count()
        finally:
            connections.close_all()

    seen: dict[str, object] = {}

    async def drive() -> None:
        requested = False
        disconnect = asyncio.Event()

        async def receive() -> dict[str, object]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnect.wait()  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                seen["answer"] = json.loads(bytes(message["body"]))  # type: ignore[arg-type]
                seen["jobs when the response was sent"] = await sync_to_async(
                    jobs, thread_sensitive=False
                )()

        await get_asgi_application()(scope, receive, send)
        disconnect.set()

    asyncio.run(drive())
    assert seen["status"] == 200
    assert seen["answer"]["data"]["productUpdate"]["errors"] == []  # type: ignore[index]
    assert seen["jobs when the response was sent"] == 0
    assert jobs() == 1
