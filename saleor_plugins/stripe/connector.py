"""The Stripe integration on the kernel: settings, webhook receiver, webhook jobs.

Payment operations (``process_payment`` …) are synchronous Saleor calls and live in
``plugin.py`` over :mod:`.gateway`. What runs here, in a worker, is the processing of the
webhooks the kernel stored: each event is reduced to a :class:`~.mapping.PaymentEvent`
and applied to the store's payment records by a :class:`PaymentHost`.

The host that knows Saleor's payments lives in :mod:`.plugin` (the only module that
imports Saleor); this module only knows the protocol. It is registered by importing that
module, which happens lazily here when Saleor is importable, so the connector stays
Saleor-free and the tests register a recording host instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import replace
from typing import Any, Protocol

from ..core import webhooks
from ..core.errors import AuthenticationError, IntegrationError, TransientError
from ..core.hookspecs import hookimpl
from ..core.host import Installation
from ..core.integration import CustomerRoute, Integration, JobContext, Outcome, RateLimit
from ..core.models import InboundEvent
from ..core.settings import SettingsErrors
from . import mapping, payouts
from .client import StripeClient
from .settings import StripeSettings
from .webhooks import StripeReceiver

logger = logging.getLogger("saleor_plugins.stripe")

PLUGIN_ID = "saleor_plugins.stripe"


class PaymentHost(Protocol):
    def channel_of(self, event: mapping.PaymentEvent) -> str | None:
        """The channel of the store's payment the event is about (None: no payment)."""

    def apply(self, channel: str, event: mapping.PaymentEvent) -> str:
        """Record the event on the store's payment (idempotently); return a short detail."""


_host: PaymentHost | None = None


def register_payment_host(host: PaymentHost | None) -> None:
    global _host
    _host = host


def payment_host() -> PaymentHost:
    if _host is None and importlib.util.find_spec("saleor") is not None:
        importlib.import_module("saleor_plugins.stripe.plugin")  # registers the host
    if _host is None:
        raise TransientError("no payment host registered to apply Stripe events", provider="stripe")
    return _host


class StripeIntegration(Integration[StripeSettings]):
    id = PLUGIN_ID
    name = "Stripe"
    description = (
        "Card, wallet and other payments through Stripe Payment Intents, with manual or "
        "automatic capture, refunds and webhooks, configured per channel."
    )
    settings_class = StripeSettings
    subscribes = frozenset()  # no store events: payments are synchronous, webhooks are jobs
    customer_route = CustomerRoute.NONE
    # Stripe allows 100 read and 100 write requests per second in live mode; webhook jobs
    # stay well below so checkout calls keep the headroom.
    rate_limit = RateLimit(per_second=20, concurrency=10)
    webhook_receiver = StripeReceiver()

    def account_key(self) -> str:
        settings = self.settings
        return f"stripe:{settings.publishable_key}"

    def on_webhook_received(self, job: JobContext) -> Outcome:
        """Apply a stored event in the channel its payment belongs to.

        Channels sharing a Stripe account share its events, and the kernel stores each
        event once, whichever channel's endpoint got it first: the owner is found from
        the store's payment (dashboard refunds and disputes carry no channel), and the
        event is handed to that channel's installation as its own job, once.
        """
        inbound = InboundEvent.objects.filter(pk=job.object_id).first()
        if inbound is None:
            return Outcome(detail="stored event is gone")
        payload: dict[str, Any] = inbound.payload
        if inbound.event_type in payouts.EVENTS:  # the account's, not a channel's payment
            return payouts.handle(
                payload, self._client(), gateway=self.id, channels=self.account_channels()
            )
        event = mapping.payment_event(payload)
        if event is None:
            return Outcome(detail=f"{inbound.event_type} not handled")
        host = payment_host()
        owner = host.channel_of(event) or event.channel or self.channel
        ids = {"event": event.event_id, "payment_intent": event.intent_id}
        if owner != self.channel:
            return Outcome(detail=self._forward(inbound, owner), provider_ids=ids)
        if event.kind == mapping.REFUNDED and event.intent_id:
            listed = self._client().list_refunds(event.intent_id)
            event = replace(event, refunds=mapping.refunds(listed, event.currency))
        return Outcome(detail=host.apply(self.channel, event), provider_ids=ids)

    def account_channels(self) -> list[str]:
        """Every channel this Stripe account is active in (a payout is the account's)."""
        found = {
            stored.channel
            for stored in self.host.installations(self.id)
            if stored.integration == self.id and _account(stored) == self.account_key()
        }
        return sorted(found | {self.channel})

    def _forward(self, inbound: InboundEvent, channel: str) -> str:
        stored = self.host.installation(self.id, channel)
        if stored is None or not stored.active:
            return f"payment belongs to channel {channel}, where Stripe is not active"
        account = _account(stored)
        if account is None:
            return f"payment belongs to channel {channel}, where Stripe is not configured"
        if account != self.account_key():
            return f"payment belongs to channel {channel}, another Stripe account: ignored"
        webhooks.forward(inbound, channel)
        return f"payment belongs to channel {channel}: handed over"

    def _client(self) -> StripeClient:
        settings = self.settings
        return StripeClient(settings.secret("secret_key"))

    def check_settings(self, timeout: float) -> dict[str, str]:
        """Verify the secret key with one bounded read (no write)."""
        settings = self.settings
        client = StripeClient(settings.secret("secret_key"), timeout=(timeout, timeout))
        try:
            client.request("get", "/v1/webhook_endpoints", {"limit": 1})
        except AuthenticationError:
            return {"secret_key": "Stripe refused this secret key."}
        except IntegrationError as e:
            logger.warning("stripe: cannot check the key now: %s", e)
        return {}


def _account(stored: Installation) -> str | None:
    """The Stripe account of an active installation (None: inactive or not configured)."""
    if not stored.active:
        return None
    try:
        settings = StripeSettings.from_configuration(stored.configuration, active=True)
    except SettingsErrors:
        return None
    return f"stripe:{settings.publishable_key}"


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [StripeIntegration]
