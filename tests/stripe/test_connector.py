"""Stored Stripe webhooks processed by the kernel's worker, through a payment host."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pluggy
import pytest

from saleor_plugins.core import delivery, hookspecs, registry, webhooks
from saleor_plugins.core.models import Attempt, Job
from saleor_plugins.demo.store import install
from saleor_plugins.stripe import connector
from saleor_plugins.stripe.connector import PLUGIN_ID, StripeIntegration
from saleor_plugins.stripe.mapping import PaymentEvent
from saleor_plugins.stripe.webhooks import StripeReceiver
from saleor_plugins.testing.providers.stripe import FakeState, FakeStripe, event, sign

from .conftest import RAW_SETTINGS, make_settings

CHANNEL = "default-channel"
STATE = FakeState("sk_test_unused")


class RecordingHost:
    """The store's payments: which channel each intent's payment belongs to."""

    def __init__(self) -> None:
        self.applied: list[tuple[str, PaymentEvent]] = []
        self.owners: dict[str, str] = {}

    def channel_of(self, event: PaymentEvent) -> str | None:
        return self.owners.get(event.intent_id)

    def apply(self, channel: str, event: PaymentEvent) -> str:
        self.applied.append((channel, event))
        return f"applied {event.kind}"


@pytest.fixture
def host(db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingHost]:
    # a plugin manager with this connector alone: other integrations' entry points
    # (and their state of work) do not decide whether these tests pass
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(connector)
    monkeypatch.setattr(registry, "plugin_manager", lambda: pm)
    registry.integrations.cache_clear()
    install(PLUGIN_ID, CHANNEL, **RAW_SETTINGS)
    recording = RecordingHost()
    connector.register_payment_host(recording)
    yield recording
    connector.register_payment_host(None)
    registry.integrations.cache_clear()


def receive(
    type_: str, obj: dict[str, Any], event_id: str = "evt_1", channel: str = CHANNEL
) -> int:
    evt = event(STATE, type_, obj)
    evt["id"] = event_id
    body = json.dumps(evt).encode()
    code, _ = webhooks.receive(
        StripeReceiver(),
        integration=PLUGIN_ID,
        channel=channel,
        settings=make_settings(),
        path="webhooks/",
        body=body,
        headers={"stripe-signature": sign(body, RAW_SETTINGS["webhook_secret"])},
    )
    return code


def run_jobs() -> list[str]:
    """Deliver every pending job, including the jobs that delivering creates."""
    outcomes: list[str] = []
    done: set[int] = set()
    while job_ids := [
        i for i in Job.objects.order_by("id").values_list("id", flat=True) if i not in done
    ]:
        outcomes += [delivery.deliver(job_id).outcome for job_id in job_ids]
        done.update(job_ids)
    return outcomes


def succeeded_intent(**overrides: Any) -> dict[str, Any]:
    intent = STATE.sample("payment_intent")
    intent.update(
        id="pi_123",
        status="succeeded",
        amount=1099,
        amount_received=1099,
        currency="usd",
        metadata={
            "saleor_payment_id": "UGF5bWVudDox",
            "saleor_checkout_token": "chk-1",
            "saleor_channel": CHANNEL,
        },
    )
    intent.update(overrides)
    return intent


def test_a_succeeded_intent_reaches_the_payment_host_in_the_worker(host: RecordingHost) -> None:
    assert receive("payment_intent.succeeded", succeeded_intent()) == 200
    assert host.applied == []  # nothing is processed in the provider's request
    assert run_jobs() == ["succeeded"]
    [(channel, applied)] = host.applied
    assert channel == CHANNEL
    assert (applied.kind, applied.intent_id, applied.amount, applied.checkout_token) == (
        "succeeded",
        "pi_123",
        Decimal("10.99"),
        "chk-1",
    )
    assert Attempt.objects.get().outcome == "succeeded"


def test_a_duplicate_event_is_applied_once(host: RecordingHost) -> None:
    receive("payment_intent.succeeded", succeeded_intent(), "evt_dup")
    receive("payment_intent.succeeded", succeeded_intent(), "evt_dup")
    run_jobs()
    assert len(host.applied) == 1


@pytest.mark.parametrize(
    ("type_", "obj", "kind"),
    [
        ("payment_intent.payment_failed", {"status": "requires_payment_method"}, "failed"),
        ("payment_intent.canceled", {"status": "canceled"}, "canceled"),
        ("payment_intent.amount_capturable_updated", {"status": "requires_capture"}, "capturable"),
        ("payment_intent.processing", {"status": "processing"}, "processing"),
    ],
)
def test_each_intent_event_is_handled(
    host: RecordingHost, type_: str, obj: dict[str, Any], kind: str
) -> None:
    receive(type_, succeeded_intent(**obj))
    run_jobs()
    assert [e.kind for _, e in host.applied] == [kind]


def test_refunds_and_disputes_are_handled(host: RecordingHost, fake: FakeStripe) -> None:
    charge = {
        **STATE.sample("charge"),
        "payment_intent": "pi_123",
        "amount_refunded": 500,
        "currency": "usd",
    }
    refund = {
        **STATE.sample("refund"),
        "payment_intent": "pi_123",
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
    }
    dispute = {**STATE.sample("dispute"), "payment_intent": "pi_123", "reason": "fraudulent"}
    receive("charge.refunded", charge, "evt_a")
    receive("charge.refund.updated", refund, "evt_b")
    receive("charge.dispute.created", dispute, "evt_c")
    run_jobs()
    kinds = [(e.kind, e.intent_id) for _, e in host.applied]
    assert kinds == [("refunded", "pi_123"), ("refund_updated", "pi_123"), ("dispute", "pi_123")]
    assert host.applied[1][1].reason == "expired_or_canceled_card"


def test_an_unhandled_event_type_is_stored_but_changes_nothing(host: RecordingHost) -> None:
    receive("customer.created", STATE.sample("customer"))
    assert run_jobs() == ["succeeded"]
    assert host.applied == []


def test_an_event_for_a_channel_without_stripe_is_not_applied(host: RecordingHost) -> None:
    receive(
        "payment_intent.succeeded", succeeded_intent(metadata={"saleor_channel": "other-channel"})
    )
    assert run_jobs() == ["succeeded"]
    assert host.applied == []
    assert "other-channel" in Attempt.objects.get().detail


OTHER = "second-channel"


@pytest.mark.parametrize("first", [CHANNEL, OTHER])
def test_channels_sharing_an_account_each_get_their_events_once(
    host: RecordingHost, first: str
) -> None:
    """Stripe sends every event of the account to each channel's endpoint."""
    install(PLUGIN_ID, OTHER, **RAW_SETTINGS)  # the same Stripe account
    host.owners = {"pi_a": CHANNEL, "pi_b": OTHER}
    second = OTHER if first == CHANNEL else CHANNEL
    for intent_id, event_id in (("pi_a", "evt_a"), ("pi_b", "evt_b")):
        intent = succeeded_intent(id=intent_id, metadata={})
        receive("payment_intent.succeeded", intent, event_id, channel=first)
        receive("payment_intent.succeeded", intent, event_id, channel=second)
    run_jobs()
    assert sorted((c, e.intent_id) for c, e in host.applied) == [
        (CHANNEL, "pi_a"),
        (OTHER, "pi_b"),
    ]


def test_a_dashboard_refund_reaches_the_channel_of_its_payment(
    host: RecordingHost, fake: FakeStripe
) -> None:
    install(PLUGIN_ID, OTHER, **RAW_SETTINGS)
    host.owners = {"pi_123": OTHER}
    dispute = {**STATE.sample("dispute"), "payment_intent": "pi_123", "metadata": {}}
    receive("charge.dispute.created", dispute, "evt_d")  # arrives at CHANNEL's endpoint
    run_jobs()
    assert [(c, e.kind) for c, e in host.applied] == [(OTHER, "dispute")]


def test_an_event_of_another_account_is_not_handed_over(host: RecordingHost) -> None:
    install(PLUGIN_ID, OTHER, **{**RAW_SETTINGS, "publishable_key": "pk_test_51OtherAccount00"})
    host.owners = {"pi_123": OTHER}
    receive("payment_intent.succeeded", succeeded_intent(metadata={}))
    run_jobs()
    assert host.applied == []
    assert "another Stripe account" in Attempt.objects.get().detail


def test_without_a_payment_host_the_job_is_retried_not_lost(host: RecordingHost) -> None:
    connector.register_payment_host(None)
    receive("payment_intent.succeeded", succeeded_intent())
    assert run_jobs() == ["retry"]
    assert "no payment host" in Job.objects.get().last_error


def test_the_integration_subscribes_to_no_store_event() -> None:
    assert StripeIntegration.subscribes == frozenset()
    assert StripeIntegration.webhook_receiver is not None
