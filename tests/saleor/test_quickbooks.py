"""QuickBooks Online inside a real Saleor: the connect pages, and orders booked per channel.

Both channels (USD, PLN) have the plugin active; only the USD one is connected. Saleor's
own mutations run; the jobs they write are delivered through python-quickbooks' client
to a fake QuickBooks on 127.0.0.1.
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
from saleor_plugins.testing.providers.quickbooks import REALM, FakeQuickBooks
from tests.quickbooks.conftest import config, point_at
from tests.saleor.conftest import enable, pay_with_dummy

pytestmark = pytest.mark.saleor

QUICKBOOKS = "saleor_plugins.quickbooks"
PLUGINS = [
    "saleor.plugins.tests.gateways.dummy.DummyGatewayPlugin",
    "saleor_plugins.adapter.router.RouterPlugin",
    "saleor_plugins.quickbooks.plugin.QuickBooksPlugin",
]
SETTINGS = {"gateway_accounts": "mirumee.payments.dummy = 36"}


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture
def fake(settings: Any, channel_USD: Any, channel_PLN: Any) -> Iterator[FakeQuickBooks]:
    from saleor_plugins.core import registry
    from saleor_plugins.quickbooks import connector

    settings.PLUGINS = PLUGINS
    if not registry.plugin_manager().is_registered(connector):
        registry.register(connector)
    for channel in (channel_USD, channel_PLN):
        enable(QUICKBOOKS, channel, config(**SETTINGS))
    with FakeQuickBooks() as server:
        point_at(server, settings)
        yield server


def _manage_plugins() -> Any:
    from saleor.permission.models import Permission

    return Permission.objects.get(codename="manage_plugins")


def connect_in_saleor(
    client: Any, staff_api_client: Any, fake: FakeQuickBooks, channel: Any
) -> None:
    """What the merchant does: open the plugin's page, follow the link, consent, come back."""
    query = """query($id: ID!) { plugin(id: $id) { channelConfigurations {
        channel { slug } configuration { name value } } } }"""
    content = get_graphql_content(
        staff_api_client.post_graphql(query, {"id": QUICKBOOKS}, permissions=[_manage_plugins()])
    )
    (mine,) = [c for c in content["data"]["plugin"]["channelConfigurations"]
               if c["channel"]["slug"] == channel.slug]  # fmt: skip
    status = next(f["value"] for f in mine["configuration"] if f["name"] == "sync_status")
    assert "Not connected" in status
    link = status.split("Connect: ")[1].split()[0]
    answer = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert answer.status_code == 302
    code, state, realm = fake.authorize(answer["Location"])
    redirect = parse_qs(urlsplit(answer["Location"]).query)["redirect_uri"][0]
    back = client.get(urlsplit(redirect).path, {"code": code, "state": state, "realmId": realm})
    assert back.status_code == 200, back.content
    assert REALM.encode() in back.content


def test_connecting_keeps_the_company_intuit_names_for_that_channel_only(
    fake: FakeQuickBooks, client: Any, staff_api_client: Any, channel_USD: Any, channel_PLN: Any
) -> None:
    connect_in_saleor(client, staff_api_client, fake, channel_USD)
    conn = Connection.objects.get(integration=QUICKBOOKS, channel=channel_USD.slug)
    assert (conn.status, conn.tenant_id) == ("connected", REALM)
    assert not Connection.objects.filter(channel=channel_PLN.slug, status="connected").exists()
    callback = f"/plugins/channel/{channel_USD.slug}/{QUICKBOOKS}/callback"
    forged = client.get(callback, {"code": "x", "state": "y", "realmId": REALM})
    assert forged.status_code == 403
    assert client.get(callback, {"code": "x", "state": "y"}).status_code == 400  # no realm
    unsigned = client.get(f"/plugins/channel/{channel_USD.slug}/{QUICKBOOKS}/connect")
    assert unsigned.status_code == 403
    # Intuit's Reconnect URL: a page pointing at the dashboard, never a consent anyone starts
    reconnect = client.get(f"/plugins/channel/{channel_USD.slug}/{QUICKBOOKS}/reconnect")
    assert reconnect.status_code == 200 and b"Connect link" in reconnect.content


PLUGIN_UPDATE = """
mutation($id: ID!, $channel: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channel, input: $input) { errors { field message } }
}
"""


def test_plugin_update_refuses_a_bad_item_id_naming_the_field(
    fake: FakeQuickBooks, staff_api_client: Any, channel_USD: Any
) -> None:
    variables = {
        "id": QUICKBOOKS,
        "channel": graphene.Node.to_global_id("Channel", channel_USD.pk),
        "input": {
            "active": True,
            "configuration": [{"name": "sales_item", "value": "not an id!"}],
        },
    }
    content = get_graphql_content(
        staff_api_client.post_graphql(PLUGIN_UPDATE, variables, permissions=[_manage_plugins()])
    )
    errors = content["data"]["pluginUpdate"]["errors"]
    assert [e["field"] for e in errors] == ["salesItem"]
    assert "QuickBooks id" in errors[0]["message"]


CHECKOUT_COMPLETE = """
mutation($id: ID, $redirectUrl: String) {
  checkoutComplete(id: $id, redirectUrl: $redirectUrl) { order { id } errors { message } }
}
"""


def test_checkout_complete_books_one_sales_receipt_in_that_channel_only(
    fake: FakeQuickBooks, client: Any, staff_api_client: Any, user_api_client: Any,
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
    jobs = list(Job.objects.filter(integration=QUICKBOOKS).order_by("id"))
    assert {j.channel for j in jobs} == {channel_USD.slug}
    for job in jobs:
        result = delivery.deliver(job.id)
        assert result.outcome == "succeeded", result.error
    (receipt,) = fake.docs("SalesReceipt")
    assert cents(receipt["TotalAmt"]) == cents(order.total_gross_amount)
    assert receipt["DocNumber"] == str(order.number)
    assert receipt["DepositToAccountRef"] == {"value": "36"}
    writes = fake.writes()
    for job in jobs:  # replayed jobs book nothing new
        Job.objects.filter(id=job.id).update(status="pending")
        delivery.deliver(job.id)
    assert len(fake.docs("SalesReceipt")) == 1 and fake.writes() == writes


ORDER_REFUND = """
mutation($id: ID!, $amount: PositiveDecimal!) {
  orderRefund(id: $id, amount: $amount) { errors { field message } }
}
"""
ORDER_CANCEL = "mutation($id: ID!) { orderCancel(id: $id) { errors { field message } } }"


def _deliver_all() -> None:
    for job in Job.objects.filter(integration=QUICKBOOKS, status="pending").order_by("id"):
        result = delivery.deliver(job.id)
        assert result.outcome == "succeeded", result.error


def test_order_refund_in_part_then_the_rest_is_two_refund_receipts(
    fake: FakeQuickBooks,
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
    outbox.emit(
        EventType.ORDER_PAID, str(order.pk), [(QUICKBOOKS, order.channel.slug)], version="1"
    )
    _deliver_all()
    order_id = graphene.Node.to_global_id("Order", order.pk)
    captured = cents(payment_txn_captured.captured_amount)
    for amount in ("10.00", str(captured - Decimal("10.00"))):
        content = get_graphql_content(
            staff_api_client.post_graphql(ORDER_REFUND, {"id": order_id, "amount": amount})
        )
        assert content["data"]["orderRefund"]["errors"] == []
        _deliver_all()
    refunds = sorted(cents(r["TotalAmt"]) for r in fake.docs("RefundReceipt"))
    assert refunds == sorted([Decimal("10.00"), captured - Decimal("10.00")])
    sales = fake.docs("SalesReceipt") + fake.docs("Invoice")
    assert sum(refunds) == sum(cents(d["TotalAmt"]) for d in sales)  # in full, to the cent


def test_order_cancel_of_an_unpaid_order_voids_its_invoice(
    fake: FakeQuickBooks,
    client: Any,
    staff_api_client: Any,
    order_with_lines: Any,
    channel_USD: Any,
    permission_group_manage_orders: Any,
) -> None:
    from saleor.plugins.models import PluginConfiguration

    from saleor_plugins.core import outbox
    from saleor_plugins.core.events import EventType

    values = config(**SETTINGS, sale_document="invoice", invoice_on="created")
    PluginConfiguration.objects.filter(identifier=QUICKBOOKS, channel=channel_USD).update(
        configuration=[{"name": k, "value": v} for k, v in values.items()]
    )
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    connect_in_saleor(client, staff_api_client, fake, channel_USD)
    outbox.emit(EventType.ORDER_CREATED, str(order_with_lines.pk), [(QUICKBOOKS, channel_USD.slug)])
    _deliver_all()
    order_id = graphene.Node.to_global_id("Order", order_with_lines.pk)
    content = get_graphql_content(staff_api_client.post_graphql(ORDER_CANCEL, {"id": order_id}))
    assert content["data"]["orderCancel"]["errors"] == []
    _deliver_all()
    (invoice,) = fake.docs("Invoice")
    assert invoice["PrivateNote"] == "Voided" and cents(invoice["TotalAmt"]) == 0


ORDER_BULK_CREATE = """
mutation($orders: [OrderBulkCreateInput!]!) {
  orderBulkCreate(orders: $orders, errorPolicy: REJECT_EVERYTHING, stockUpdatePolicy: SKIP) {
    count errors { path message } results { order { id } errors { path message } }
  }
}
"""


def test_order_bulk_create_books_nothing_by_default(
    fake: FakeQuickBooks, client: Any, staff_api_client: Any, channel_USD: Any, variant: Any,
    warehouse: Any, graphql_address_data: Any, permission_manage_orders_import: Any,
    permission_manage_orders: Any, default_tax_class: Any,
) -> None:  # fmt: skip
    """History imported with orderBulkCreate, paid in full: no job, reconciled or not, books it."""
    from datetime import timedelta

    from django.utils import timezone

    from saleor_plugins.core import maintenance

    connect_in_saleor(client, staff_api_client, fake, channel_USD)
    line = {
        "variantId": graphene.Node.to_global_id("ProductVariant", variant.id),
        "createdAt": timezone.now().isoformat(), "productName": "Imported",
        "isShippingRequired": False, "isGiftCard": False, "quantity": 2,
        "totalPrice": {"gross": 24, "net": 20}, "undiscountedTotalPrice": {"gross": 24, "net": 20},
        "warehouse": graphene.Node.to_global_id("Warehouse", warehouse.id), "taxRate": 0.2,
        "taxClassId": graphene.Node.to_global_id("TaxClass", default_tax_class.id),
    }  # fmt: skip
    charged = {"name": "Imported payment", "pspReference": "psp-imported",
               "amountCharged": {"amount": 24, "currency": "USD"}}  # fmt: skip
    order = {
        "channel": channel_USD.slug, "createdAt": timezone.now().isoformat(),
        "status": "UNFULFILLED", "user": {"email": "history@example.com"},
        "billingAddress": graphql_address_data, "currency": "USD", "languageCode": "EN",
        "lines": [line], "transactions": [charged],
    }  # fmt: skip
    staff_api_client.user.user_permissions.add(
        permission_manage_orders_import, permission_manage_orders
    )
    content = get_graphql_content(staff_api_client.post_graphql(ORDER_BULK_CREATE,
                                                                {"orders": [order]}))  # fmt: skip
    assert content["data"]["orderBulkCreate"]["count"] == 1, content["data"]["orderBulkCreate"][
        "results"
    ]
    maintenance.reconcile(settle=timedelta(0))  # a missed hook, re-emitted
    for job in Job.objects.filter(integration=QUICKBOOKS, status="pending").order_by("id"):
        assert delivery.deliver(job.id).outcome == "succeeded"
    # even a paid event for it (a capture hook, reconciliation) books nothing: it is history
    from saleor.order.models import Order

    from saleor_plugins.core import outbox
    from saleor_plugins.core.events import EventType

    imported = Order.objects.get(channel=channel_USD, origin="bulk_create")
    (job_id,) = outbox.emit(
        EventType.ORDER_PAID, str(imported.pk), [(QUICKBOOKS, channel_USD.slug)]
    )
    result = delivery.deliver(job_id)
    assert result.outcome == "succeeded" and "imported" in result.detail, result
    assert fake.docs("SalesReceipt") == [] and fake.docs("Invoice") == []
