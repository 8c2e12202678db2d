"""Stripe's side of the demo: its webhooks reach the store, and the worker applies them.

Stripe tells the store what happened to a payment through signed webhooks; the demo's
stand-in sends them as Stripe does (:func:`send_webhook`, the request Stripe makes to the
plugin's URL) and :class:`DemoPaymentHost` records each on the store's payment once, as
the Saleor adapter's host does on Saleor's payments.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from ..stripe import mapping
from .models import DemoOrder

STRIPE = "saleor_plugins.stripe"


def _order_of(intent_id: str) -> DemoOrder | None:
    return DemoOrder.objects.filter(payments__contains=[{"psp_reference": intent_id}]).first()


class DemoPaymentHost:
    def channel_of(self, event: mapping.PaymentEvent) -> str | None:
        order = _order_of(event.intent_id)
        return order.channel if order else None

    def apply(self, channel: str, event: mapping.PaymentEvent) -> str:
        with transaction.atomic():
            order = _order_of(event.intent_id)
            if order is None:
                return "no payment in the store"
            order = DemoOrder.objects.select_for_update().get(pk=order.pk)
            payment = next(p for p in order.payments if p["psp_reference"] == event.intent_id)
            seen = payment.setdefault("webhooks", [])
            if event.event_id in seen:
                return f"{event.kind}: already recorded"
            seen.append(event.event_id)
            order.save(update_fields=["payments"])
        refunds = f", {len(event.refunds)} refund(s) at Stripe" if event.refunds else ""
        return f"{event.kind} recorded on the payment{refunds}"


def send_webhook(stand_ins: Any, channel: str, type_: str, obj: dict[str, Any]) -> int:
    """Stripe POSTs a signed event to the channel's webhook URL; returns the HTTP status."""
    from ..core import webhooks
    from ..stripe.connector import StripeIntegration
    from ..stripe.settings import StripeSettings
    from ..testing.providers import stripe as fake

    config = stand_ins.configs(channel)[STRIPE]
    body = json.dumps(fake.event(stand_ins.stripe.state, type_, obj)).encode()
    headers = {"Stripe-Signature": fake.sign(body, config["webhook_secret"])}
    status, _ = webhooks.receive(
        StripeIntegration.webhook_receiver,
        integration=STRIPE,
        channel=channel,
        settings_class=StripeSettings,
        configuration=[{"name": k, "value": v} for k, v in config.items()],
        path=f"/plugins/channel/{channel}/{STRIPE}/webhooks/",
        body=body,
        headers=headers,
    )
    return status
