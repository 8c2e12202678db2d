"""Stripe's webhook requests: the shared security cases plus Stripe's own rules."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from saleor_plugins.core.models import InboundEvent
from saleor_plugins.stripe.connector import PLUGIN_ID
from saleor_plugins.stripe.mapping import payment_event
from saleor_plugins.stripe.webhooks import StripeReceiver
from saleor_plugins.testing.providers.stripe import FakeState, event, sign
from saleor_plugins.testing.webhooks import WebhookSecurityCases

from .conftest import WEBHOOK_SECRET, make_settings

STATE = FakeState("sk_test_unused")


def intent_event(event_id: str, *, livemode: bool = False) -> bytes:
    intent = STATE.sample("payment_intent")
    intent.update(id="pi_sec", status="succeeded", amount_received=1099)
    evt = event(STATE, "payment_intent.succeeded", intent, livemode=livemode)
    evt["id"] = event_id
    return json.dumps(evt).encode()


def headers(
    body: bytes, *, timestamp: int | None = None, secret: str | None = None
) -> dict[str, str]:
    return {"Stripe-Signature": sign(body, secret or WEBHOOK_SECRET, timestamp)}


class TestStripeWebhookSecurity(WebhookSecurityCases):
    integration_id = PLUGIN_ID

    def receiver(self) -> Any:
        return StripeReceiver()

    def settings(self) -> Any:
        return make_settings()

    def make_event(self, event_id: str) -> bytes:
        return intent_event(event_id)

    def sign(
        self, body: bytes, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        return headers(body, timestamp=timestamp, secret=secret)


SECURITY = TestStripeWebhookSecurity()


@pytest.mark.django_db
def test_a_signature_from_the_future_is_refused() -> None:
    body = intent_event("evt_future")
    assert SECURITY.post(body, headers(body, timestamp=int(time.time()) + 3600)) == 400


@pytest.mark.django_db
def test_a_live_event_is_refused_by_a_test_mode_channel() -> None:
    body = intent_event("evt_live", livemode=True)
    assert SECURITY.post(body, headers(body)) == 400
    assert InboundEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_channel_without_a_signing_secret_asks_stripe_to_retry_later() -> None:
    body = intent_event("evt_nosecret")
    receiver_settings = make_settings(webhook_secret="")

    from saleor_plugins.core import webhooks

    code, _ = webhooks.receive(
        StripeReceiver(),
        integration=PLUGIN_ID,
        channel="c",
        settings=receiver_settings,
        path="webhooks/",
        body=body,
        headers={"stripe-signature": headers(body)["Stripe-Signature"]},
    )
    assert code == 503 and InboundEvent.objects.count() == 0


@pytest.mark.django_db
def test_only_what_processing_needs_is_stored() -> None:
    intent = STATE.sample("payment_intent")
    intent.update(
        id="pi_pii",
        status="succeeded",
        amount_received=1099,
        client_secret="pi_pii_secret_abcdef0123456789",
        receipt_email="shopper@example.com",
        customer="cus_123",
        shipping={"name": "Jane Shopper", "address": {"line1": "1 Main St"}},
        metadata={"saleor_payment_id": "UGF5bWVudDox", "note": "call Jane on 555-0100"},
        payment_method={
            "id": "pm_1",
            "type": "card",
            "billing_details": {"name": "Jane Shopper", "email": "shopper@example.com"},
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
        },
    )
    evt = event(STATE, "payment_intent.succeeded", intent)
    body = json.dumps(evt).encode()
    assert SECURITY.post(body, headers(body)) == 200
    stored = InboundEvent.objects.get()
    text = json.dumps(stored.payload)
    for private in ("secret", "shopper@example.com", "Jane", "Main St", "555-0100", "cus_123"):
        assert private not in text
    # and processing reads the same from what is stored as from what Stripe sent
    # (less the cardholder's name)
    sent = payment_event(evt)
    assert sent is not None and sent.card is not None
    assert payment_event(stored.payload) == replace(sent, card=replace(sent.card, name=None))
    assert (stored.provider_event_id, stored.event_type) == (evt["id"], "payment_intent.succeeded")


@pytest.mark.django_db
def test_a_header_with_several_signatures_passes_when_one_matches() -> None:
    body = intent_event("evt_rotated")
    good = headers(body)["Stripe-Signature"]
    rotated = good + ",v1=" + "0" * 64  # Stripe sends both secrets while one rolls
    assert SECURITY.post(body, {"Stripe-Signature": rotated}) == 200
