"""The Stripe gateway inside a real Saleor: GraphQL checkout, order mutations, webhooks.

Stripe is the local fake (saleor_plugins/testing/providers/stripe.py) driven through the real SDK.
Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/saleor SALEOR_PYTHON=... \\
     ./run saleor-tests tests/saleor/test_stripe.py
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import graphene
import pluggy
import pytest
import stripe
from saleor.graphql.tests.utils import get_graphql_content

from saleor_plugins.core import delivery, hookspecs, registry
from saleor_plugins.core.models import InboundEvent, Job
from saleor_plugins.stripe import connector
from saleor_plugins.stripe.connector import PLUGIN_ID
from saleor_plugins.testing.providers.stripe import FakeStripe, event, refund, sign
from saleor_plugins.testing.providers.stripe import charge as charge_of
from tests.saleor.conftest import enable
from tests.stripe.conftest import RAW_SETTINGS, SECRET_KEY, WEBHOOK_SECRET

pytestmark = pytest.mark.saleor

STRIPE = "saleor_plugins.stripe.plugin.StripeGatewayPlugin"
ROUTER = "saleor_plugins.adapter.router.RouterPlugin"


PAYMENT_CREATE = """
mutation($id: ID, $input: PaymentInput!) {
  checkoutPaymentCreate(id: $id, input: $input) {
    payment { id chargeStatus } errors { field message code }
  }
}
"""
COMPLETE = """
mutation($id: ID, $paymentData: JSONString) {
  checkoutComplete(id: $id, paymentData: $paymentData, redirectUrl: "https://www.example.com") {
    order { id number } confirmationNeeded confirmationData errors { field message code }
  }
}
"""
CAPTURE = """mutation($id: ID!, $amount: PositiveDecimal!) {
  orderCapture(id: $id, amount: $amount) { order { id } errors { field message code } } }"""
REFUND = """mutation($id: ID!, $amount: PositiveDecimal!) {
  orderRefund(id: $id, amount: $amount) { order { id } errors { field message code } } }"""
VOID = """mutation($id: ID!) {
  orderVoid(id: $id) { order { id } errors { field message code } } }"""
GATEWAYS = """query($id: ID) { checkout(id: $id) { availablePaymentGateways {
  id config { field value } currencies } } }"""


@pytest.fixture
def fake(settings, monkeypatch) -> Iterator[FakeStripe]:  # type: ignore[no-untyped-def]
    settings.PLUGINS = [ROUTER, STRIPE]
    # the kernel sees this connector alone, whatever else is installed
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(connector)
    monkeypatch.setattr(registry, "plugin_manager", lambda: pm)
    registry.integrations.cache_clear()
    previous = stripe.api_base
    with FakeStripe(SECRET_KEY) as server:
        stripe.api_base = server.url
        yield server
    stripe.api_base = previous
    registry.integrations.cache_clear()


def activate(channel: Any, **overrides: str) -> None:
    enable(PLUGIN_ID, channel, {**RAW_SETTINGS, "supported_currencies": "USD", **overrides})


def checkout_total(checkout: Any) -> Decimal:
    from saleor.checkout import calculations
    from saleor.checkout.fetch import fetch_checkout_info, fetch_checkout_lines
    from saleor.plugins.manager import get_plugins_manager

    manager = get_plugins_manager(allow_replica=False)
    lines, _ = fetch_checkout_lines(checkout)
    info = fetch_checkout_info(checkout, lines, manager)
    return calculations.calculate_checkout_total_with_gift_cards(manager, info, lines).gross.amount


def gid(kind: str, pk: Any) -> str:
    return graphene.Node.to_global_id(kind, pk)


def pay(client: Any, checkout: Any, payment_data: dict[str, Any] | None) -> dict[str, Any]:
    total = checkout_total(checkout)
    created = get_graphql_content(
        client.post_graphql(
            PAYMENT_CREATE,
            {
                "id": gid("Checkout", checkout.pk),
                "input": {"gateway": PLUGIN_ID, "amount": str(total)},
            },
        )
    )["data"]["checkoutPaymentCreate"]
    assert created["errors"] == []
    return complete(client, checkout, payment_data)


def complete(client: Any, checkout: Any, payment_data: dict[str, Any] | None) -> dict[str, Any]:
    variables = {
        "id": gid("Checkout", checkout.pk),
        "paymentData": json.dumps(payment_data) if payment_data is not None else None,
    }
    data: dict[str, Any] = get_graphql_content(client.post_graphql(COMPLETE, variables))["data"][
        "checkoutComplete"
    ]
    return data


def test_the_gateway_is_offered_with_its_publishable_key(
    api_client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    activate(channel_USD)
    content = get_graphql_content(
        api_client.post_graphql(GATEWAYS, {"id": gid("Checkout", checkout_ready_to_complete.pk)})
    )
    gateways = {g["id"]: g for g in content["data"]["checkout"]["availablePaymentGateways"]}
    config = {c["field"]: c["value"] for c in gateways[PLUGIN_ID]["config"]}
    assert config["api_key"] == RAW_SETTINGS["publishable_key"]
    assert gateways[PLUGIN_ID]["currencies"] == ["USD"]
    assert RAW_SETTINGS["secret_key"] not in json.dumps(content)


def test_a_card_checkout_is_paid_and_completed(
    api_client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order
    from saleor.payment.models import Payment

    activate(channel_USD)
    checkout = checkout_ready_to_complete
    total = checkout_total(checkout)
    data = pay(api_client, checkout, {"payment_method_id": "pm_card_visa"})
    assert data["errors"] == [] and data["order"] is not None
    order = Order.objects.get()
    payment = Payment.objects.get()
    assert order.charge_status == "full"
    assert payment.psp_reference and payment.psp_reference.startswith("pi_")
    assert payment.cc_last_digits == "4242"
    assert fake.state.effects["captured"] == int(total * 100)
    # create (recorded), then confirm: the intent's id is ours before money moves
    assert fake.state.count() == 2


def test_three_d_secure_returns_to_the_storefront_then_completes(
    api_client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order

    activate(channel_USD)
    checkout = checkout_ready_to_complete
    first = pay(api_client, checkout, {"payment_method_id": "pm_card_threeDSecure2Required"})
    assert first["errors"] == [] and first["order"] is None
    assert first["confirmationNeeded"] is True
    action = json.loads(first["confirmationData"])
    assert action["client_secret"].startswith(action["id"])
    fake.complete_action(action["id"])  # Stripe.js in the shopper's browser
    second = complete(api_client, checkout, None)
    assert second["errors"] == [] and second["order"] is not None
    assert Order.objects.get().charge_status == "full"
    assert fake.state.count() == 3  # create, confirm (3-D Secure asked), read


def test_a_declined_card_is_a_clear_error_and_no_order(
    api_client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order

    activate(channel_USD)
    data = pay(
        api_client, checkout_ready_to_complete, {"payment_method_id": "pm_card_chargeDeclined"}
    )
    assert data["order"] is None
    assert [(e["code"], e["message"]) for e in data["errors"]] == [
        ("PAYMENT_ERROR", "Your card was declined.")
    ]
    assert not Order.objects.exists()
    # the shopper tries the same card again (funds added): a new attempt reaches Stripe
    again = complete(
        api_client, checkout_ready_to_complete, {"payment_method_id": "pm_card_chargeDeclined"}
    )
    assert again["errors"][0]["message"] == "Your card was declined."
    assert len(fake.state.intents) == 1  # one intent per checkout, confirmed again
    # then another card on the same payment completes the checkout
    paid = complete(api_client, checkout_ready_to_complete, {"payment_method_id": "pm_card_visa"})
    assert paid["errors"] == [] and Order.objects.count() == 1


def _authorised_order(api_client, fake, checkout, channel):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order

    activate(channel, capture_mode="manual")
    data = pay(api_client, checkout, {"payment_method_id": "pm_card_visa"})
    assert data["errors"] == []
    order = Order.objects.get()
    assert fake.state.effects["authorized"] > 0 and fake.state.effects["captured"] == 0
    return order


def test_capture_and_partial_refunds_from_the_order(
    api_client,
    staff_api_client,
    permission_group_manage_orders,
    fake,
    checkout_ready_to_complete,
    channel_USD,
):  # type: ignore[no-untyped-def]
    from saleor.payment.models import Payment

    order = _authorised_order(api_client, fake, checkout_ready_to_complete, channel_USD)
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    order_id = gid("Order", order.pk)
    total = order.total_gross_amount
    capture = get_graphql_content(
        staff_api_client.post_graphql(CAPTURE, {"id": order_id, "amount": str(total)})
    )["data"]["orderCapture"]
    assert capture["errors"] == []
    assert fake.state.effects["captured"] == int(total * 100)
    for _ in range(2):
        refund = get_graphql_content(
            staff_api_client.post_graphql(REFUND, {"id": order_id, "amount": "1.00"})
        )["data"]["orderRefund"]
        assert refund["errors"] == []
    assert fake.state.effects["refunded"] == 200  # two refunds of 1.00, each once
    payment = Payment.objects.get()
    assert payment.captured_amount == total - Decimal("2.00")
    assert payment.charge_status == "partially-refunded"


def test_void_from_the_order(
    api_client,
    staff_api_client,
    permission_group_manage_orders,
    fake,
    checkout_ready_to_complete,
    channel_USD,
):  # type: ignore[no-untyped-def]
    from saleor.payment.models import Payment

    order = _authorised_order(api_client, fake, checkout_ready_to_complete, channel_USD)
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    void = get_graphql_content(staff_api_client.post_graphql(VOID, {"id": gid("Order", order.pk)}))[
        "data"
    ]["orderVoid"]
    assert void["errors"] == []
    intent_id = Payment.objects.get().psp_reference
    assert fake.state.intents[intent_id]["status"] == "canceled"
    assert Payment.objects.get().is_active is False


def test_a_webhook_before_checkout_complete_completes_the_checkout_once(
    api_client, client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order

    activate(channel_USD)
    checkout = checkout_ready_to_complete
    first = pay(api_client, checkout, {"payment_method_id": "pm_card_threeDSecure2Required"})
    intent_id = json.loads(first["confirmationData"])["id"]
    intent = fake.complete_action(intent_id)  # paid; the shopper never comes back
    body = json.dumps(event(fake.state, "payment_intent.succeeded", intent)).encode()
    url = f"/plugins/channel/{channel_USD.slug}/{PLUGIN_ID}/webhooks/"
    for _ in range(2):  # Stripe may deliver twice
        response = client.post(
            url,
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, WEBHOOK_SECRET),
        )
        assert response.status_code == 200
    assert InboundEvent.objects.count() == 1
    assert not Order.objects.exists()  # nothing is processed in Stripe's request
    [job] = Job.objects.filter(integration=PLUGIN_ID)
    assert delivery.deliver(job.id).outcome == "succeeded"
    order = Order.objects.get()
    assert order.charge_status == "full"
    # the shopper's browser comes back late: the same order, no second charge
    late = complete(api_client, checkout, None)
    assert late["errors"] == [] and late["order"]["id"] == gid("Order", order.pk)
    assert Order.objects.count() == 1
    assert fake.state.count() == 2  # the intent's creation and confirmation only


def test_a_forged_webhook_is_refused(client, fake, channel_USD):  # type: ignore[no-untyped-def]
    activate(channel_USD)
    url = f"/plugins/channel/{channel_USD.slug}/{PLUGIN_ID}/webhooks/"
    response = client.post(
        url,
        data=b'{"id": "evt_1", "object": "event"}',
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=forged",
    )
    assert response.status_code == 400
    missing = client.post(url, data=b"{}", content_type="application/json")
    assert missing.status_code == 400
    assert not InboundEvent.objects.exists()


def _send(client, channel, body):  # type: ignore[no-untyped-def]
    url = f"/plugins/channel/{channel.slug}/{PLUGIN_ID}/webhooks/"
    response = client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, WEBHOOK_SECRET),
    )
    assert response.status_code == 200


def _deliver_pending() -> list[str]:
    """Run the pending webhook jobs, and the jobs they hand over to other channels."""
    outcomes = []
    while jobs := list(Job.objects.filter(integration=PLUGIN_ID, status="pending").order_by("id")):
        outcomes += [delivery.deliver(job.id).outcome for job in jobs]
    return outcomes


def _post(client, channel, fake, type_, obj):  # type: ignore[no-untyped-def]
    _send(client, channel, json.dumps(event(fake.state, type_, obj)).encode())
    assert set(_deliver_pending()) <= {"succeeded"}


def test_a_dispute_and_a_refund_made_in_stripe_reach_the_order(
    api_client, client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order
    from saleor.payment.models import Payment

    activate(channel_USD)
    pay(api_client, checkout_ready_to_complete, {"payment_method_id": "pm_card_visa"})
    order = Order.objects.get()
    intent_id = Payment.objects.get().psp_reference
    intent = fake.state.intents[intent_id]
    dispute = {
        **fake.state.sample("dispute"),
        "payment_intent": intent_id,
        "amount": 500,
        "currency": "usd",
        "reason": "fraudulent",
    }
    _post(client, channel_USD, fake, "charge.dispute.created", dispute)
    notes = [e.parameters.get("message", "") for e in order.events.filter(type="note_added")]
    assert any("dispute" in n and "fraudulent" in n for n in notes)
    # a partial refund made in Stripe's dashboard, then the same event again
    refund(fake.state, {"payment_intent": intent_id, "amount": "300"})
    charge = charge_of(fake.state, intent)
    _post(client, channel_USD, fake, "charge.refunded", charge)
    _post(client, channel_USD, fake, "charge.refunded", charge)  # a new event id, same refund
    payment = Payment.objects.get()
    assert payment.captured_amount == order.total_gross_amount - Decimal("3.00")
    assert payment.transactions.filter(kind="refund", is_success=True).count() == 1


PLUGIN_UPDATE = """
mutation($id: ID!, $channelId: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channelId, input: $input) {
    plugin { channelConfigurations { active configuration { name value } } }
    errors { field message code }
  }
}
"""


def test_the_dashboard_refuses_mixed_test_and_live_keys(
    staff_api_client, permission_manage_plugins, fake, channel_USD
):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    values = {**RAW_SETTINGS, "publishable_key": "pk_live_abcdef0123456789"}

    def update(config: dict[str, Any]) -> dict[str, Any]:
        variables = {
            "id": PLUGIN_ID,
            "channelId": gid("Channel", channel_USD.pk),
            "input": {
                "active": True,
                "configuration": [{"name": k, "value": v} for k, v in config.items()],
            },
        }
        result: dict[str, Any] = get_graphql_content(
            staff_api_client.post_graphql(PLUGIN_UPDATE, variables)
        )["data"]["pluginUpdate"]
        return result

    refused = update(values)
    assert [e["field"] for e in refused["errors"]] == ["secretKey"]  # GraphQL camel-cases it
    # a well-formed key Stripe refuses is reported on save, by one bounded call
    wrong = update({**RAW_SETTINGS, "secret_key": "sk_test_51Fake0123456789abcdefWRONG"})
    assert [e["field"] for e in wrong["errors"]] == ["secretKey"]
    assert "Stripe refused this secret key" in wrong["errors"][0]["message"]
    saved = update(RAW_SETTINGS)
    assert saved["errors"] == []
    shown = {
        c["name"]: c["value"] for c in saved["plugin"]["channelConfigurations"][0]["configuration"]
    }
    assert shown["secret_key"] != RAW_SETTINGS["secret_key"]  # masked by Saleor
    assert RAW_SETTINGS["secret_key"] not in json.dumps(saved)


SAVED = """query($channel: String) { me { storedPaymentSources(channel: $channel) {
  gateway paymentMethodId creditCardInfo { brand lastDigits } } } }"""


def test_a_logged_in_customer_reuses_a_saved_card(
    user_api_client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    checkout = checkout_ready_to_complete
    checkout.user = user_api_client.user
    checkout.email = user_api_client.user.email
    checkout.save(update_fields=["user", "email"])
    activate(channel_USD)
    total = checkout_total(checkout)
    created = get_graphql_content(
        user_api_client.post_graphql(
            PAYMENT_CREATE,
            {
                "id": gid("Checkout", checkout.pk),
                "input": {
                    "gateway": PLUGIN_ID,
                    "amount": str(total),
                    "storePaymentMethod": "ON_SESSION",
                },
            },
        )
    )["data"]["checkoutPaymentCreate"]
    assert created["errors"] == []
    done = complete(user_api_client, checkout, {"payment_method_id": "pm_card_visa"})
    assert done["errors"] == []
    [customer] = fake.state.customers.values()
    assert customer["email"] == user_api_client.user.email
    sources = get_graphql_content(
        user_api_client.post_graphql(SAVED, {"channel": channel_USD.slug})
    )["data"]["me"]["storedPaymentSources"]
    assert [
        (s["gateway"], s["paymentMethodId"], s["creditCardInfo"]["lastDigits"]) for s in sources
    ] == [(PLUGIN_ID, "pm_card_visa", "4242")]


def test_a_webhook_after_checkout_complete_changes_nothing(
    api_client, client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order
    from saleor.payment.models import Payment

    activate(channel_USD)
    checkout = checkout_ready_to_complete
    first = pay(api_client, checkout, {"payment_method_id": "pm_card_threeDSecure2Required"})
    intent = fake.complete_action(json.loads(first["confirmationData"])["id"])
    assert complete(api_client, checkout, None)["order"] is not None
    payment = Payment.objects.get()
    before = (payment.captured_amount, payment.transactions.count())
    _post(client, channel_USD, fake, "payment_intent.succeeded", intent)
    _post(client, channel_USD, fake, "payment_intent.amount_capturable_updated", intent)
    payment.refresh_from_db()
    assert (payment.captured_amount, payment.transactions.count()) == before
    assert Order.objects.count() == 1 and Order.objects.get().charge_status == "full"


@pytest.mark.django_db(transaction=True)
def test_webhook_and_browser_completing_at_once_make_one_order(
    transactional_db, api_client, client, fake, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    import threading

    from django.db import connection
    from saleor.order.models import Order

    activate(channel_USD)
    checkout = checkout_ready_to_complete
    first = pay(api_client, checkout, {"payment_method_id": "pm_card_threeDSecure2Required"})
    intent = fake.complete_action(json.loads(first["confirmationData"])["id"])
    body = json.dumps(event(fake.state, "payment_intent.succeeded", intent)).encode()
    url = f"/plugins/channel/{channel_USD.slug}/{PLUGIN_ID}/webhooks/"
    assert (
        client.post(
            url,
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, WEBHOOK_SECRET),
        ).status_code
        == 200
    )
    [job] = Job.objects.filter(integration=PLUGIN_ID)
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def worker() -> None:
        try:
            barrier.wait()
            outcomes["worker"] = delivery.deliver(job.id).outcome
        finally:
            connection.close()

    def browser() -> None:
        try:
            barrier.wait()
            outcomes["browser"] = complete(api_client, checkout, None)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker), threading.Thread(target=browser)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert order.charge_status == "full"
    browser_order = (outcomes["browser"].get("order") or {}).get("id")
    assert browser_order in (None, gid("Order", order.pk))
    assert fake.state.count("POST") == 2  # create and confirm: money moved once


# -- money that is never orphaned or doubled --------------------------------------------------
def _impatient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin's Stripe calls give up after 0.3 s."""
    from functools import partial

    from saleor_plugins.stripe import plugin
    from saleor_plugins.stripe.client import StripeClient
    from saleor_plugins.stripe.gateway import StripeGateway

    def client(key: str) -> StripeClient:
        return StripeClient(key, timeout=(1.0, 0.3))

    monkeypatch.setattr(plugin, "StripeGateway", partial(StripeGateway, client_factory=client))


@pytest.fixture
def slow_stripe(monkeypatch):  # type: ignore[no-untyped-def]
    _impatient(monkeypatch)


def _new_payment(client, checkout):  # type: ignore[no-untyped-def]
    created = get_graphql_content(
        client.post_graphql(
            PAYMENT_CREATE,
            {
                "id": gid("Checkout", checkout.pk),
                "input": {"gateway": PLUGIN_ID, "amount": str(checkout_total(checkout))},
            },
        )
    )["data"]["checkoutPaymentCreate"]
    assert created["errors"] == []


def _timed_out_checkout(api_client, fake, checkout):  # type: ignore[no-untyped-def]
    fake.state.slow_charge = 0.6  # Stripe charges; its answer comes after our timeout
    data = pay(api_client, checkout, {"payment_method_id": "pm_card_visa"})
    assert data["order"] is None
    assert data["errors"][0]["message"].startswith("The payment provider could not be reached")
    [intent] = fake.state.intents.values()
    assert intent["status"] == "succeeded"
    return intent


def test_a_retry_after_a_lost_answer_charges_once(
    api_client, fake, slow_stripe, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order
    from saleor.payment.models import Payment

    activate(channel_USD)
    checkout = checkout_ready_to_complete
    total = checkout_total(checkout)
    intent = _timed_out_checkout(api_client, fake, checkout)
    # the shopper submits again: Stripe.js makes a new payment method, the storefront a
    # new Saleor payment
    _new_payment(api_client, checkout)
    again = complete(api_client, checkout, {"payment_method_id": "pm_card_visa_resubmitted"})
    assert again["errors"] == [] and again["order"] is not None
    captured = [i for i in fake.state.intents.values() if i["status"] == "succeeded"]
    assert [i["id"] for i in captured] == [intent["id"]]
    assert fake.state.effects["captured"] == int(total * 100)
    order = Order.objects.get()
    assert order.charge_status == "full"
    assert order.payments.get(is_active=True).psp_reference == intent["id"]
    assert Payment.objects.count() == 2


def test_a_lost_answer_is_resolved_by_the_webhook(
    api_client, client, fake, slow_stripe, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order

    activate(channel_USD)
    checkout = checkout_ready_to_complete
    intent = _timed_out_checkout(api_client, fake, checkout)
    # the shopper has gone; Stripe's payment_intent.succeeded completes the checkout
    _post(client, channel_USD, fake, "payment_intent.succeeded", intent)
    order = Order.objects.get()
    assert order.charge_status == "full"
    assert order.payments.get().psp_reference == intent["id"]


def test_a_charge_saleor_cannot_attach_is_flagged(client, fake, channel_USD):  # type: ignore[no-untyped-def]
    activate(channel_USD)
    intent = {
        **fake.state.sample("payment_intent"),
        "id": "pi_orphan",
        "status": "succeeded",
        "amount": 1500,
        "amount_received": 1500,
        "currency": "usd",
        "metadata": {
            "saleor_payment_id": gid("Payment", 987654),
            "saleor_checkout_token": "5c0ef4f2-0000-4000-8000-000000000000",
        },
    }
    _send(
        client,
        channel_USD,
        json.dumps(event(fake.state, "payment_intent.succeeded", intent)).encode(),
    )
    assert _deliver_pending() == ["dead"]  # the merchant sees it: not a silent success
    [job] = Job.objects.filter(integration=PLUGIN_ID)
    assert "pi_orphan" in job.last_error and "refund or cancel it" in job.last_error


def test_a_refund_that_timed_out_is_counted_once(
    api_client,
    staff_api_client,
    permission_group_manage_orders,
    client,
    fake,
    monkeypatch,
    checkout_ready_to_complete,
    channel_USD,
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order
    from saleor.payment.models import Payment

    activate(channel_USD)
    pay(api_client, checkout_ready_to_complete, {"payment_method_id": "pm_card_visa"})
    order = Order.objects.get()
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    variables = {"id": gid("Order", order.pk), "amount": "1.00"}

    def refund_from_dashboard() -> dict[str, Any]:
        result: dict[str, Any] = get_graphql_content(
            staff_api_client.post_graphql(REFUND, variables)
        )["data"]["orderRefund"]
        return result

    with monkeypatch.context() as m:
        _impatient(m)
        fake.state.delay_after, fake.state.delay_method = 0.6, "POST"  # the refund's answer
        timed_out = refund_from_dashboard()
        fake.state.delay_after = 0.0
    assert timed_out["errors"]  # Saleor records the refund as failed
    assert fake.state.effects["refunded"] == 100  # Stripe made it
    intent_id = Payment.objects.get().psp_reference
    charge = charge_of(fake.state, fake.state.intents[intent_id])
    _post(client, channel_USD, fake, "charge.refunded", charge)
    retried = refund_from_dashboard()  # the merchant tries again
    assert "already made this refund" in retried["errors"][0]["message"]
    payment = Payment.objects.get()
    refunded = sum(t.amount for t in payment.transactions.filter(kind="refund", is_success=True))
    assert fake.state.effects["refunded"] == 100  # Stripe refunded once
    assert refunded == Decimal("1.00")  # and Saleor says the same
    assert payment.captured_amount == order.total_gross_amount - Decimal("1.00")
    # a later refund is a new one
    assert refund_from_dashboard()["errors"] == []
    assert fake.state.effects["refunded"] == 200


# -- channels sharing one Stripe account --------------------------------------------------------
def test_an_event_reaches_its_payments_channel_whichever_endpoint_gets_it(
    api_client, client, fake, checkout_ready_to_complete, channel_USD, channel_PLN
):  # type: ignore[no-untyped-def]
    from saleor.payment.models import Payment

    activate(channel_USD)
    activate(channel_PLN)  # the same Stripe account: Stripe sends each event to both
    pay(api_client, checkout_ready_to_complete, {"payment_method_id": "pm_card_visa"})
    intent_id = Payment.objects.get().psp_reference
    refund(fake.state, {"payment_intent": intent_id, "amount": "250"})  # in the dashboard
    body = json.dumps(
        event(fake.state, "charge.refunded", charge_of(fake.state, fake.state.intents[intent_id]))
    ).encode()
    _send(client, channel_PLN, body)  # the other channel's endpoint is first
    _send(client, channel_USD, body)
    assert set(_deliver_pending()) == {"succeeded"}
    assert InboundEvent.objects.count() == 1
    payment = Payment.objects.get()
    refunds = payment.transactions.filter(kind="refund", is_success=True)
    assert [t.amount for t in refunds] == [Decimal("2.50")]


def test_channels_of_one_account_are_registered_on_one_endpoint(fake, channel_USD, channel_PLN):  # type: ignore[no-untyped-def]
    from saleor_plugins.stripe import plugin
    from saleor_plugins.stripe.management.commands.saleor_plugins_stripe_register_webhook import (
        register,
    )

    base = "https://api.shop.example.com"
    for channel in (channel_USD, channel_PLN):
        activate(channel, webhook_secret="")
    stored = {
        "load": plugin.load_configuration,
        "save": plugin.save_webhook_secret,
        "others": plugin.active_configurations,
    }
    first = register(channel_USD.slug, base, **stored)
    second = register(channel_PLN.slug, base, **stored)
    assert first.created and not second.created
    assert second.shared_with == channel_USD.slug
    assert [e["id"] for e in fake.state.endpoints.values()] == [first.endpoint_id]
    secret = {i["name"]: i["value"] for i in plugin.load_configuration(channel_USD.slug)}
    assert secret["webhook_secret"].startswith("whsec_")


def test_a_late_charge_for_an_abandoned_payment_is_refunded(
    api_client, client, fake, slow_stripe, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.order.models import Order
    from saleor.payment.models import Payment

    activate(channel_USD)
    intent = _timed_out_checkout(api_client, fake, checkout_ready_to_complete)
    Payment.objects.update(is_active=False)  # given up (no newer payment to take it)
    _post(client, channel_USD, fake, "payment_intent.succeeded", intent)
    assert fake.state.effects["refunded"] == intent["amount"]  # not kept
    assert not Order.objects.exists()


def test_a_late_charge_whose_refund_fails_is_not_a_silent_success(
    api_client, client, fake, slow_stripe, checkout_ready_to_complete, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor.payment.models import Payment

    activate(channel_USD)
    intent = _timed_out_checkout(api_client, fake, checkout_ready_to_complete)
    Payment.objects.update(is_active=False)
    fake.state.fail_next.append((500, {"error": {"type": "api_error", "message": "down"}}))
    body = json.dumps(event(fake.state, "payment_intent.succeeded", intent)).encode()
    _send(client, channel_USD, body)
    [job] = Job.objects.filter(integration=PLUGIN_ID)
    assert delivery.deliver(job.id).outcome == "retry"
    job.refresh_from_db()
    assert "refunding it failed" in job.last_error
