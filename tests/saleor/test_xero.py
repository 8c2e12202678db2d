"""Xero inside a real Saleor: the connect pages, and each order booked in its channel only.

Both channels (USD, PLN) have the plugin active; only the USD one is connected. Saleor's
own mutations run; the jobs they write are delivered through the real SDK to a fake Xero
on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content

from saleor_plugins.core import delivery
from saleor_plugins.core.models import Connection, Job
from saleor_plugins.testing.providers.xero import TENANT, FakeXero, dp
from tests.saleor.conftest import enable, pay_with_dummy
from tests.xero.conftest import config

pytestmark = pytest.mark.saleor

XERO = "saleor_plugins.xero"
PLUGINS = [
    "saleor.plugins.tests.gateways.dummy.DummyGatewayPlugin",
    "saleor_plugins.adapter.router.RouterPlugin",
    "saleor_plugins.xero.plugin.XeroPlugin",
]


@pytest.fixture
def fake(settings: Any, channel_USD: Any, channel_PLN: Any) -> Iterator[FakeXero]:
    from saleor_plugins.core import registry
    from saleor_plugins.xero import connector

    settings.PLUGINS = PLUGINS
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)
    for channel in (channel_USD, channel_PLN):
        enable(XERO, channel, config(gateway_accounts="mirumee.payments.dummy = 091"))
    with FakeXero() as server:
        settings.SALEOR_PLUGINS_XERO_API_URL = server.url
        settings.SALEOR_PLUGINS_XERO_LOGIN_URL = server.url
        settings.SALEOR_PLUGINS_XERO_IDENTITY_URL = server.url
        yield server


def connect_in_saleor(client: Any, staff_api_client: Any, fake: FakeXero, channel: Any) -> None:
    """What the merchant does: open the plugin's page, follow the link, consent, come back."""
    query = """query($id: ID!) { plugin(id: $id) { channelConfigurations {
        channel { slug } configuration { name value } } } }"""
    content = get_graphql_content(
        staff_api_client.post_graphql(query, {"id": XERO}, permissions=[_manage_plugins()])
    )
    (mine,) = [c for c in content["data"]["plugin"]["channelConfigurations"]
               if c["channel"]["slug"] == channel.slug]  # fmt: skip
    status = next(f["value"] for f in mine["configuration"] if f["name"] == "sync_status")
    assert "Not connected" in status
    link = status.split("Connect: ")[1].split()[0]
    answer = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert answer.status_code == 302
    code, state = fake.authorize(answer["Location"])
    redirect = parse_qs(urlsplit(answer["Location"]).query)["redirect_uri"][0]
    back = client.get(urlsplit(redirect).path, {"code": code, "state": state})
    assert back.status_code == 200, back.content
    assert b"Demo Co" in back.content


def _manage_plugins() -> Any:
    from saleor.permission.models import Permission

    return Permission.objects.get(codename="manage_plugins")


def test_connecting_from_the_plugin_page_binds_the_organisation_to_that_channel(
    fake: FakeXero, client: Any, staff_api_client: Any, channel_USD: Any, channel_PLN: Any
) -> None:
    connect_in_saleor(client, staff_api_client, fake, channel_USD)
    conn = Connection.objects.get(integration=XERO, channel=channel_USD.slug)
    assert (conn.status, conn.tenant_id) == ("connected", TENANT)
    assert not Connection.objects.filter(channel=channel_PLN.slug, status="connected").exists()
    # a forged or replayed callback is refused
    forged = client.get(
        f"/plugins/channel/{channel_USD.slug}/{XERO}/callback", {"code": "x", "state": "y"}
    )
    assert forged.status_code == 403
    unsigned = client.get(f"/plugins/channel/{channel_USD.slug}/{XERO}/connect")
    assert unsigned.status_code == 403


PLUGIN_UPDATE = """
mutation($id: ID!, $channel: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channel, input: $input) { errors { field message } }
}
"""


def test_plugin_update_refuses_a_bad_account_code_naming_the_field(
    fake: FakeXero, staff_api_client: Any, channel_USD: Any
) -> None:
    variables = {
        "id": XERO,
        "channel": graphene.Node.to_global_id("Channel", channel_USD.pk),
        "input": {
            "active": True,
            "configuration": [{"name": "sales_account", "value": "not a code!"}],
        },
    }
    content = get_graphql_content(
        staff_api_client.post_graphql(PLUGIN_UPDATE, variables, permissions=[_manage_plugins()])
    )
    errors = content["data"]["pluginUpdate"]["errors"]
    assert [e["field"] for e in errors] == ["salesAccount"]
    assert "account code" in errors[0]["message"]


CHECKOUT_COMPLETE = """
mutation($id: ID, $redirectUrl: String) {
  checkoutComplete(id: $id, redirectUrl: $redirectUrl) { order { id } errors { message } }
}
"""


def test_checkout_complete_books_one_invoice_and_payment_in_that_channel_only(
    fake: FakeXero, client: Any, staff_api_client: Any, user_api_client: Any,
    checkout_ready_to_complete: Any, payment_dummy: Any, channel_USD: Any, channel_PLN: Any,
) -> None:  # fmt: skip
    from saleor.order.models import Order

    connect_in_saleor(client, staff_api_client, fake, channel_USD)
    checkout = checkout_ready_to_complete
    pay_with_dummy(checkout, payment_dummy)
    variables = {
        "id": graphene.Node.to_global_id("Checkout", checkout.pk),
        "redirectUrl": "https://www.example.com",
    }
    content = get_graphql_content(user_api_client.post_graphql(CHECKOUT_COMPLETE, variables))
    assert content["data"]["checkoutComplete"]["errors"] == []
    order = Order.objects.get(checkout_token=checkout.token)
    jobs = list(Job.objects.filter(integration=XERO).order_by("id"))
    assert {j.channel for j in jobs} == {channel_USD.slug}
    for job in jobs:
        result = delivery.deliver(job.id)
        assert result.outcome == "succeeded", result.error
    (invoice,) = fake.state.documents["Invoices"].values()
    assert dp(invoice["Total"]) == dp(order.total_gross_amount)
    assert invoice["InvoiceNumber"] == str(order.number)
    payments = list(fake.state.documents["Payments"].values())
    assert sum(dp(p["Amount"]) for p in payments) == dp(order.total_charged_amount)
    assert {p["Account"]["Code"] for p in payments} == {"091"}
    for job in jobs:  # replayed jobs book nothing new
        Job.objects.filter(id=job.id).update(status="pending")
        delivery.deliver(job.id)
    assert len(fake.state.documents["Invoices"]) == 1
    assert Decimal(len(fake.state.documents["Payments"])) == len(payments)


ORDER_REFUND = """
mutation($id: ID!, $amount: PositiveDecimal!) {
  orderRefund(id: $id, amount: $amount) { errors { field message } }
}
"""
ORDER_CANCEL = "mutation($id: ID!) { orderCancel(id: $id) { errors { field message } } }"


def _deliver_all() -> None:
    for job in Job.objects.filter(integration=XERO, status="pending").order_by("id"):
        result = delivery.deliver(job.id)
        assert result.outcome == "succeeded", result.error


def test_order_refund_in_part_then_the_rest_is_two_credit_notes(
    fake: FakeXero,
    client: Any,
    staff_api_client: Any,
    payment_txn_captured: Any,
    channel_USD: Any,
    permission_group_manage_orders: Any,
) -> None:
    from saleor_plugins.core import outbox
    from saleor_plugins.core.events import EventType

    permission_group_manage_orders.user_set.add(staff_api_client.user)
    connect_in_saleor(client, staff_api_client, fake, channel_USD)
    order = payment_txn_captured.order
    outbox.emit(EventType.ORDER_PAID, str(order.pk), [(XERO, order.channel.slug)], version="1")
    _deliver_all()
    order_id = graphene.Node.to_global_id("Order", order.pk)
    for amount in ("10.00", str(dp(payment_txn_captured.captured_amount) - Decimal("10.00"))):
        content = get_graphql_content(
            staff_api_client.post_graphql(ORDER_REFUND, {"id": order_id, "amount": amount})
        )
        assert content["data"]["orderRefund"]["errors"] == []
        _deliver_all()
    notes = sorted(dp(n["Total"]) for n in fake.state.documents["CreditNotes"].values())
    assert notes == sorted(
        [Decimal("10.00"), dp(payment_txn_captured.captured_amount) - Decimal("10.00")]
    )
    (invoice,) = fake.state.documents["Invoices"].values()
    assert sum(notes) == dp(invoice["Total"])  # refunded in full, to the cent


def test_order_cancel_of_an_unpaid_order_voids_its_invoice(
    fake: FakeXero,
    client: Any,
    staff_api_client: Any,
    order_with_lines: Any,
    channel_USD: Any,
    permission_group_manage_orders: Any,
) -> None:
    from saleor.plugins.models import PluginConfiguration

    from saleor_plugins.core import outbox
    from saleor_plugins.core.events import EventType

    PluginConfiguration.objects.filter(identifier=XERO, channel=channel_USD).update(
        configuration=[{"name": k, "value": v} for k, v in config(invoice_on="created").items()]
    )
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    connect_in_saleor(client, staff_api_client, fake, channel_USD)
    outbox.emit(EventType.ORDER_CREATED, str(order_with_lines.pk), [(XERO, channel_USD.slug)])
    _deliver_all()
    order_id = graphene.Node.to_global_id("Order", order_with_lines.pk)
    content = get_graphql_content(staff_api_client.post_graphql(ORDER_CANCEL, {"id": order_id}))
    assert content["data"]["orderCancel"]["errors"] == []
    _deliver_all()
    (invoice,) = fake.state.documents["Invoices"].values()
    assert invoice["Status"] == "VOIDED"
