"""``manage.py saleor_plugins_ga4_validate --channel <slug> --order <id>``.

Builds the purchase of a real order exactly as the worker would and sends it to GA4's
``/debug/mp/collect``, then prints Google's validation messages. Nothing is recorded and
nothing reaches the live endpoint (the live endpoint answers 2xx even to bad payloads).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ....core.errors import IntegrationError
from ....core.host import get_host
from ....core.settings import SettingsErrors
from ...connector import INTEGRATION_ID, GoogleTagManagerIntegration
from ...settings import GoogleTagManagerSettings


def order_id(value: str) -> str:
    """The order's id (UUID), from itself or from a GraphQL global id (``Order:<uuid>``)."""
    value = value.strip()
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return value
    kind, _, pk = decoded.partition(":")
    return pk if kind == "Order" and pk else value


def load(channel: str) -> GoogleTagManagerIntegration:
    stored = get_host().installation(INTEGRATION_ID, channel)
    if stored is None:
        raise CommandError(f"Google Tag Manager and GA4 is not configured in channel {channel}.")
    try:
        cfg = GoogleTagManagerSettings.from_configuration(stored.configuration, active=True)
    except SettingsErrors as e:
        raise CommandError(f"invalid configuration: {e}") from e
    return GoogleTagManagerIntegration(cfg, channel=channel, host=get_host())


class Command(BaseCommand):
    help = (
        "Send the GA4 purchase of an order to Google's validation endpoint "
        "(/debug/mp/collect) and print Google's messages."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, help="channel slug")
        parser.add_argument(
            "--order", required=True, help="order id (UUID) or GraphQL ID (T3JkZXI6…)"
        )
        parser.add_argument("--show-body", action="store_true", help="print the request body")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = options["channel"]
        integration = load(channel)
        order = get_host().read("order", order_id(options["order"]), channel)
        if order is None or order.channel != channel:
            raise CommandError(f"no order {options['order']} in channel {channel}")
        body = integration.sample_body(order)
        if options["show_body"]:
            self.stdout.write(json.dumps(body, indent=2))
        try:
            messages = integration.validate_order(order)
        except IntegrationError as e:
            raise CommandError(f"GA4 validation failed: {e}") from e
        if not messages:
            self.stdout.write(
                f"Google found no problem in the purchase of order {order.number} "
                f"(transaction_id {body['events'][0]['params']['transaction_id']})."  # type: ignore[index]
            )
            return
        self.stdout.write(f"Google's validation messages for order {order.number}:")
        for message in messages:
            self.stdout.write(f"  - {message}")
        raise CommandError(f"{len(messages)} validation message(s)")
