"""Each money and status rule on its own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from saleor_plugins.stripe import mapping


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("10.99", "USD", 1099),
        ("10.995", "EUR", 1100),  # half up to the cent
        ("0.01", "usd", 1),
        ("1500", "JPY", 1500),  # zero-decimal: no scaling
        ("1500.4", "JPY", 1500),
        ("25000", "KRW", 25000),
        ("12.345", "KWD", 12350),  # three-decimal: a multiple of 10
        ("1.234", "BHD", 1230),
        ("7.5", "BHD", 7500),
    ],
)
def test_amounts_in_minor_units(amount: str, currency: str, minor: int) -> None:
    assert mapping.to_minor(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [(1099, "USD", "10.99"), (1500, "JPY", "1500"), (12350, "KWD", "12.350")],
)
def test_minor_units_back_to_amounts(minor: int, currency: str, amount: str) -> None:
    assert mapping.from_minor(minor, currency) == Decimal(amount)


def test_three_decimal_amounts_are_always_multiples_of_ten() -> None:
    for thousandths in range(0, 2000, 7):
        value = Decimal(thousandths) / 1000
        assert mapping.to_minor(value, "KWD") % 10 == 0


@pytest.mark.parametrize(
    ("status", "kind", "action"),
    [
        ("succeeded", "capture", False),
        ("requires_capture", "auth", False),
        ("processing", "pending", False),
        ("requires_action", "action_to_confirm", True),
        ("requires_payment_method", "action_to_confirm", True),
        ("requires_confirmation", "action_to_confirm", True),
    ],
)
def test_intent_status_to_saleor_kind(status: str, kind: str, action: bool) -> None:
    state = mapping.intent_state(status)
    assert (state.kind, state.action_required, state.is_success) == (kind, action, True)


def test_canceled_intent_is_not_a_success() -> None:
    assert mapping.intent_state("canceled").is_success is False


def test_idempotency_key_names_payment_operation_and_sequence() -> None:
    first = mapping.idempotency_key(42, "refund", 0, 500)
    assert first == "saleor-payment:42:refund:0:500"
    assert mapping.idempotency_key(42, "refund", 0, 500) == first  # a retry
    assert mapping.idempotency_key(42, "refund", 1, 500) != first  # the next refund
    assert mapping.idempotency_key(43, "refund", 0, 500) != first
    assert len(mapping.idempotency_key(1, "intent", "x" * 500)) <= 255


def test_action_required_data_has_what_stripe_js_needs() -> None:
    intent = {
        "id": "pi_1",
        "client_secret": "pi_1_secret_x",
        "status": "requires_action",
        "next_action": {"type": "use_stripe_sdk"},
    }
    data = mapping.action_required_data(intent, "pk_test_x")
    assert data["client_secret"] == "pi_1_secret_x"
    assert data["publishable_key"] == "pk_test_x"
    assert data["next_action"] == {"type": "use_stripe_sdk"}


def test_card_details_from_an_expanded_payment_method() -> None:
    card = mapping.card_from_intent(
        {
            "payment_method": {
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 8, "exp_year": 2030},
            }
        }
    )
    assert card == mapping.CardInfo("visa", "4242", 8, 2030, "card", None)


def test_raw_summary_never_keeps_the_client_secret() -> None:
    raw = mapping.raw_summary({"id": "pi_1", "client_secret": "pi_1_secret", "amount": 5})
    assert "client_secret" not in raw and raw["id"] == "pi_1"


def _event(type_: str, obj: dict) -> dict:
    return {"id": "evt_1", "object": "event", "type": type_, "data": {"object": obj}}


def test_succeeded_intent_event_carries_amount_received_and_saleor_ids() -> None:
    event = mapping.payment_event(
        _event(
            "payment_intent.succeeded",
            {
                "id": "pi_1",
                "object": "payment_intent",
                "amount": 2000,
                "amount_received": 1500,
                "currency": "jpy",
                "status": "succeeded",
                "metadata": {
                    "saleor_payment_id": "UGF5bWVudDox",
                    "saleor_checkout_token": "tok",
                    "saleor_channel": "default-channel",
                },
            },
        )
    )
    assert event is not None
    assert (event.kind, event.intent_id, event.amount, event.currency) == (
        "succeeded",
        "pi_1",
        Decimal("1500"),
        "JPY",
    )
    assert (event.saleor_payment_id, event.checkout_token, event.channel) == (
        "UGF5bWVudDox",
        "tok",
        "default-channel",
    )


def test_charge_refunded_event_names_the_intent_and_total_refunded() -> None:
    event = mapping.payment_event(
        _event(
            "charge.refunded",
            {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": "pi_1",
                "amount_refunded": 550,
                "currency": "usd",
                "refunded": False,
                "metadata": {},
            },
        )
    )
    assert event is not None
    assert (event.kind, event.intent_id, event.amount, event.object_id) == (
        "refunded",
        "pi_1",
        Decimal("5.50"),
        "ch_1",
    )


def test_dispute_event_carries_reason_and_amount() -> None:
    event = mapping.payment_event(
        _event(
            "charge.dispute.created",
            {
                "id": "dp_1",
                "object": "dispute",
                "payment_intent": "pi_1",
                "amount": 1000,
                "currency": "usd",
                "reason": "fraudulent",
                "status": "needs_response",
            },
        )
    )
    assert event is not None
    assert (event.kind, event.reason, event.amount) == ("dispute", "fraudulent", Decimal("10.00"))


def test_unhandled_event_types_are_ignored() -> None:
    assert mapping.payment_event(_event("plan.created", {"id": "price_1"})) is None
