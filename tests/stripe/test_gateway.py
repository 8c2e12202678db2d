"""Payment operations against the fake Stripe, through the real SDK."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import stripe

from saleor_plugins.stripe.client import API_VERSION
from saleor_plugins.stripe.gateway import FAILED, UNAVAILABLE, PaymentRequest, StripeGateway
from saleor_plugins.testing.providers.stripe import FakeStripe

from .conftest import SECRET_KEY

Build = Callable[..., StripeGateway]
pytestmark = pytest.mark.django_db


def pay(
    payment_id: int = 1, amount: str = "10.99", currency: str = "USD", **kw: Any
) -> PaymentRequest:
    data = kw.pop("data", None)
    if data is None:
        data = {"payment_method_id": kw.pop("card", "pm_card_visa")}
    return PaymentRequest(
        payment_id=payment_id,
        amount=Decimal(amount),
        currency=currency,
        channel="default-channel",
        email="shopper@example.com",
        data=data,
        **kw,
    )


def test_card_payment_is_created_then_confirmed(fake: FakeStripe, gateway_for: Build) -> None:
    result = gateway_for().process(pay(checkout_token="chk-1"))
    assert result.is_success and not result.action_required
    assert (result.kind, result.amount, result.currency) == ("capture", Decimal("10.99"), "USD")
    assert result.card is not None and result.card.last_4 == "4242"
    assert result.transaction_id.startswith("pi_") and result.psp_reference == result.transaction_id
    assert fake.state.effects["captured"] == 1099
    create, confirm = fake.state.requests
    assert create.stripe_version == confirm.stripe_version == API_VERSION
    assert create.idempotency_key and create.idempotency_key.startswith(
        "saleor-checkout:chk-1:intent:1099usd:0:"
    )
    sent = create.params
    assert "payment_method" not in sent and "confirm" not in sent  # no money moves here
    assert sent["automatic_payment_methods"] == {"enabled": "true", "allow_redirects": "never"}
    assert sent["receipt_email"] == "shopper@example.com"
    assert sent["metadata"]["saleor_channel"] == "default-channel"
    assert sent["metadata"]["saleor_checkout_token"] == "chk-1"
    assert confirm.path.endswith("/confirm") and confirm.params["payment_method"] == "pm_card_visa"


def test_three_d_secure_goes_back_to_the_storefront_then_confirms(
    fake: FakeStripe, gateway_for: Build
) -> None:
    gateway = gateway_for()
    first = gateway.process(pay(card="pm_card_threeDSecure2Required"))
    assert first.is_success and first.action_required and first.kind == "action_to_confirm"
    data = first.action_required_data or {}
    assert data["client_secret"].startswith(first.transaction_id)
    assert data["publishable_key"].startswith("pk_test_")
    assert fake.state.effects["captured"] == 0
    fake.complete_action(first.transaction_id)  # the shopper passes 3-D Secure
    done = gateway.confirm(pay(token=first.transaction_id))
    assert done.is_success and not done.action_required and done.kind == "capture"
    assert done.card is not None and done.card.last_4 == "3155"
    assert len(fake.state.requests) == 3  # create, confirm (3-D Secure asked), read


def test_failed_three_d_secure_is_a_customer_error(fake: FakeStripe, gateway_for: Build) -> None:
    gateway = gateway_for()
    first = gateway.process(pay(card="pm_card_threeDSecure2Required"))
    fake.complete_action(first.transaction_id, succeed=False)
    done = gateway.confirm(pay(token=first.transaction_id))
    assert not done.is_success
    assert done.error and "unable to authenticate" in done.error


def test_declined_card_returns_stripes_message(fake: FakeStripe, gateway_for: Build) -> None:
    result = gateway_for().process(pay(card="pm_card_chargeDeclinedInsufficientFunds"))
    assert not result.is_success
    assert result.error == "Your card has insufficient funds."
    assert fake.state.effects["captured"] == 0


def test_another_card_after_a_decline_is_a_new_attempt(
    fake: FakeStripe, gateway_for: Build
) -> None:
    gateway = gateway_for()
    assert not gateway.process(pay(card="pm_card_chargeDeclined")).is_success
    again = gateway.process(pay(card="pm_card_visa"))
    assert again.is_success and fake.state.effects["captured"] == 1099


def test_retried_checkout_reuses_the_intent(fake: FakeStripe, gateway_for: Build) -> None:
    gateway = gateway_for()
    first, second = gateway.process(pay()), gateway.process(pay())
    assert first.transaction_id == second.transaction_id and second.is_success
    assert len(fake.state.intents) == 1 and fake.state.effects["captured"] == 1099
    assert fake.state.requests[-1].method == "GET"  # the retry only reads the intent


def _slow(key: str) -> Any:
    return _client(key, timeout=(1.0, 0.3))


def test_a_charge_whose_answer_was_lost_is_not_charged_again(
    fake: FakeStripe, gateway_for: Build
) -> None:
    """Stripe charges, the answer comes after the timeout, the shopper tries another card."""
    gateway = gateway_for()
    slow = StripeGateway(gateway.settings, client_factory=_slow)
    fake.state.slow_charge = 0.6
    timed_out = slow.process(pay(checkout_token="chk-1", card="pm_card_visa"))
    assert not timed_out.is_success and timed_out.error == UNAVAILABLE
    assert timed_out.raw["outcome"] == "unknown"
    # the failed result still names the intent: Saleor records it on the payment
    assert timed_out.transaction_id in fake.state.intents
    # Stripe.js makes a new payment method on each submit; Saleor may make a new payment
    retried = gateway.process(
        pay(payment_id=2, checkout_token="chk-1", card="pm_card_mastercard_new")
    )
    assert retried.is_success and retried.transaction_id == timed_out.transaction_id
    captured = [i for i in fake.state.intents.values() if i["status"] == "succeeded"]
    assert len(captured) == 1 and fake.state.effects["captured"] == 1099
    # the intent now names the payment it pays, for its webhooks
    assert captured[0]["metadata"]["saleor_payment_id"] == "2"


def test_a_new_card_after_a_decline_confirms_the_same_intent(
    fake: FakeStripe, gateway_for: Build
) -> None:
    gateway = gateway_for()
    declined = gateway.process(pay(checkout_token="chk-1", card="pm_card_chargeDeclined"))
    paid = gateway.process(pay(payment_id=2, checkout_token="chk-1", card="pm_card_visa"))
    assert not declined.is_success and paid.is_success
    assert declined.transaction_id == paid.transaction_id and len(fake.state.intents) == 1


def test_another_amount_is_another_intent(fake: FakeStripe, gateway_for: Build) -> None:
    gateway = gateway_for()
    gateway.process(pay(checkout_token="chk-1", amount="10.00", card="pm_card_chargeDeclined"))
    gateway.process(pay(payment_id=2, checkout_token="chk-1", amount="12.00"))
    assert sorted(i["amount"] for i in fake.state.intents.values()) == [1000, 1200]


def test_a_refunded_intent_is_not_reused(fake: FakeStripe, gateway_for: Build) -> None:
    """An orphaned charge refunded by its webhook must not pay the checkout's retry."""
    gateway = gateway_for()
    first = gateway.process(pay(checkout_token="chk-1"))
    assert gateway.refund(pay(token=first.transaction_id)).is_success
    again = gateway.process(pay(payment_id=2, checkout_token="chk-1"))
    assert again.is_success and again.transaction_id != first.transaction_id
    assert fake.state.effects["captured"] == 2 * 1099


def test_unsupported_currency_is_refused_before_stripe(
    fake: FakeStripe, gateway_for: Build
) -> None:
    result = gateway_for().process(pay(currency="GBP"))
    assert not result.is_success and result.error and "GBP" in result.error
    assert fake.state.requests == []


def test_zero_and_three_decimal_currencies_reach_stripe_in_minor_units(
    fake: FakeStripe, gateway_for: Build
) -> None:
    gateway = gateway_for()
    jpy = gateway.process(pay(payment_id=1, amount="1500", currency="JPY"))
    kwd = gateway.process(pay(payment_id=2, amount="12.345", currency="KWD"))
    assert jpy.is_success and kwd.is_success
    assert fake.state.intents[jpy.transaction_id]["amount"] == 1500
    assert fake.state.intents[kwd.transaction_id]["amount"] == 12350
    assert (jpy.amount, kwd.amount) == (Decimal("1500"), Decimal("12.350"))


def test_manual_capture_authorises_then_captures_part(fake: FakeStripe, gateway_for: Build) -> None:
    gateway = gateway_for(capture_mode="manual")
    auth = gateway.process(pay(amount="50.00"))
    assert auth.is_success and auth.kind == "auth" and fake.state.effects["captured"] == 0
    captured = gateway.capture(pay(amount="30.00", token=auth.transaction_id))
    assert captured.is_success and captured.kind == "capture"
    assert captured.amount == Decimal("30.00") and fake.state.effects["captured"] == 3000


def test_retried_capture_after_a_timeout_moves_money_once(
    fake: FakeStripe, gateway_for: Build
) -> None:
    gateway = gateway_for(capture_mode="manual")
    auth = gateway.process(pay(amount="50.00"))
    slow = StripeGateway(gateway.settings, client_factory=_slow)
    fake.state.delay_after = 0.6  # Stripe captures, the answer comes too late
    timed_out = slow.capture(pay(amount="50.00", token=auth.transaction_id))
    assert not timed_out.is_success and timed_out.error == UNAVAILABLE
    fake.state.delay_after = 0
    retried = gateway.capture(pay(amount="50.00", token=auth.transaction_id))
    assert retried.is_success
    assert fake.state.effects["captured"] == 5000
    assert fake.state.requests[-1].replayed


def test_partial_refunds_can_repeat_and_a_retry_refunds_once(
    fake: FakeStripe, gateway_for: Build
) -> None:
    gateway = gateway_for()
    paid = gateway.process(pay(amount="30.00"))
    token = paid.transaction_id
    first = gateway.refund(pay(amount="10.00", token=token, sequence=0))
    retry = gateway.refund(pay(amount="10.00", token=token, sequence=0))
    second = gateway.refund(pay(amount="10.00", token=token, sequence=1))
    assert first.is_success and retry.is_success and second.is_success
    assert first.transaction_id == retry.transaction_id != second.transaction_id
    assert first.kind == "refund" and first.amount == Decimal("10.00")
    assert fake.state.effects["refunded"] == 2000


def test_refunding_more_than_captured_is_refused(fake: FakeStripe, gateway_for: Build) -> None:
    gateway = gateway_for()
    paid = gateway.process(pay(amount="5.00"))
    result = gateway.refund(pay(amount="6.00", token=paid.transaction_id))
    assert not result.is_success and result.error == FAILED
    assert fake.state.effects["refunded"] == 0


def test_void_cancels_an_uncaptured_intent(fake: FakeStripe, gateway_for: Build) -> None:
    gateway = gateway_for(capture_mode="manual")
    auth = gateway.process(pay())
    voided = gateway.void(pay(token=auth.transaction_id))
    assert voided.is_success and voided.kind == "void"
    assert fake.state.intents[auth.transaction_id]["status"] == "canceled"


def test_void_of_a_captured_payment_fails(fake: FakeStripe, gateway_for: Build) -> None:
    gateway = gateway_for()
    paid = gateway.process(pay())
    assert not gateway.void(pay(token=paid.transaction_id)).is_success


def test_saved_methods_for_a_logged_in_customer(fake: FakeStripe, gateway_for: Build) -> None:
    gateway = gateway_for()
    result = gateway.process(pay(graphql_customer_id="VXNlcjox", store_method="ON_SESSION"))
    assert result.is_success and result.customer_id and result.customer_id.startswith("cus_")
    assert fake.state.requests[1].params["setup_future_usage"] == "on_session"
    [source] = gateway.list_sources(result.customer_id)
    assert source.card is not None and source.card.last_4 == "4242"
    # the stored customer is reused: no second customer
    gateway.process(
        pay(payment_id=2, graphql_customer_id="VXNlcjox", customer_id=result.customer_id)
    )
    assert len(fake.state.customers) == 1


def test_guests_and_disabled_saving_create_no_customer(
    fake: FakeStripe, gateway_for: Build
) -> None:
    gateway_for().process(pay(store_method="ON_SESSION"))
    gateway_for(saved_payment_methods="false").process(
        pay(payment_id=2, graphql_customer_id="VXNlcjox")
    )
    assert fake.state.customers == {}
    assert gateway_for(saved_payment_methods="false").list_sources("cus_x") == []


def test_unconfirmed_intent_for_the_payment_element(fake: FakeStripe, gateway_for: Build) -> None:
    result = gateway_for().process(pay(data={}))
    assert result.is_success and result.action_required
    assert (result.action_required_data or {})["status"] == "requires_payment_method"
    assert fake.state.requests[0].params["automatic_payment_methods"] == {"enabled": "true"}


def test_stripe_unreachable_is_a_bounded_transient_error(
    gateway_for: Build, fake: FakeStripe
) -> None:
    fake.__exit__(None, None, None)  # nobody listens any more
    started = time.monotonic()
    result = gateway_for().process(pay())
    assert not result.is_success and result.error == UNAVAILABLE
    assert time.monotonic() - started < 5


def test_stripe_outage_and_refused_key_are_not_customer_errors(
    fake: FakeStripe, gateway_for: Build
) -> None:
    fake.state.fail_next.append((500, {"error": {"type": "api_error", "message": "boom"}}))
    assert gateway_for().process(pay()).error == UNAVAILABLE
    refused = gateway_for(secret_key="sk_test_wrong0123456789").process(pay(payment_id=2))
    assert refused.error == FAILED
    assert "sk_test_wrong" not in (refused.error or "")


def test_no_global_sdk_state_is_changed(fake: FakeStripe, gateway_for: Build) -> None:
    before = (stripe.api_key, stripe.api_version, getattr(stripe, "default_http_client", None))
    gateway_for().process(pay())
    after = (stripe.api_key, stripe.api_version, getattr(stripe, "default_http_client", None))
    assert before == after


def _client(key: str, timeout: tuple[float, float]) -> Any:
    from saleor_plugins.stripe.client import StripeClient

    assert key == SECRET_KEY
    return StripeClient(key, timeout=timeout)


def test_the_same_card_after_a_decline_reaches_the_bank_again(
    fake: FakeStripe, gateway_for: Build
) -> None:
    gateway = gateway_for()
    first = gateway.process(pay(card="pm_card_chargeDeclined"))
    assert first.raw["outcome"] == "declined"  # Saleor keeps it on the failed transaction
    retried = gateway.process(pay(card="pm_card_chargeDeclined"))  # funds added, say
    assert retried.error == first.error
    confirms = [r for r in fake.state.requests if r.path.endswith("/confirm")]
    assert len(confirms) == 2 and not confirms[1].replayed  # the bank was asked again
    assert len(fake.state.intents) == 1


def test_a_timeout_is_not_counted_as_a_decline(fake: FakeStripe, gateway_for: Build) -> None:
    fake.state.fail_next.append((503, {"error": {"type": "api_error", "message": "busy"}}))
    result = gateway_for().process(pay())
    assert result.error == UNAVAILABLE and result.raw["outcome"] == "unknown"
