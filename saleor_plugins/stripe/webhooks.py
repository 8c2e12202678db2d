"""Stripe's webhook requests: verified with the channel's signing secret, nothing else.

The signature (HMAC-SHA256 over ``{timestamp}.{body}``) is checked by the SDK's
``WebhookSignature.verify_header``, which compares in constant time
(``hmac.compare_digest``); then a timestamp more than five minutes old (expired), or as
far in the future, is refused so a captured request cannot be replayed later. Every
refusal raises :class:`Rejected` (HTTP 400) before the kernel writes anything, with the
reason (a signature that matches but expired says so). The kernel stores each verified
event once per Stripe event id, trimmed to what processing needs
(:func:`~.mapping.stored_event`: no ``client_secret``, no customer details), and
processes it in a worker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import stripe

from ..core.webhooks import Rejected, VerifiedEvent
from .mapping import stored_event
from .settings import StripeSettings

TOLERANCE = 300  # seconds, Stripe's default
HEADER = "stripe-signature"


class StripeReceiver:
    def verify(
        self, settings: StripeSettings, *, path: str, body: bytes, headers: Mapping[str, str]
    ) -> list[VerifiedEvent]:
        header = headers.get(HEADER) or headers.get("Stripe-Signature")
        if not header:
            raise Rejected("missing Stripe-Signature header")
        secret = settings.secret("webhook_secret")
        if not secret:
            # Stripe retries for three days: time for the merchant to register the endpoint
            raise Rejected("no webhook signing secret configured for this channel", status=503)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected("body is not UTF-8") from None
        try:
            # the signature alone (no tolerance): the time is judged below, with its reason
            stripe.WebhookSignature.verify_header(text, header, secret, None)
        except stripe.error.SignatureVerificationError:
            raise Rejected("Stripe-Signature does not match this channel's secret") from None
        signed_at = _timestamp(header)
        if signed_at < time.time() - TOLERANCE:
            raise Rejected(f"Stripe-Signature expired (signed more than {TOLERANCE} s ago)")
        if signed_at > time.time() + TOLERANCE:
            raise Rejected("Stripe-Signature timestamp is in the future")
        try:
            event = json.loads(text)
        except ValueError:
            raise Rejected("body is not JSON") from None
        if not isinstance(event, dict) or event.get("object") != "event" or not event.get("id"):
            raise Rejected("body is not a Stripe event")
        if bool(event.get("livemode")) != settings.livemode:
            raise Rejected("event mode (test/live) differs from this channel's keys")
        return [
            VerifiedEvent(
                id=str(event["id"]), type=str(event.get("type")), payload=stored_event(event)
            )
        ]


def _timestamp(header: str) -> int:
    for item in header.split(","):
        name, _, value = item.partition("=")
        if name.strip() == "t":
            try:
                return int(value)
            except ValueError:
                break
    raise Rejected("Stripe-Signature has no timestamp")
