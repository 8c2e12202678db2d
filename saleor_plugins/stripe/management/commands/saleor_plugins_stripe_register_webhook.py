"""Give a channel exactly one Stripe webhook endpoint and store its signing secret.

    manage.py saleor_plugins_stripe_register_webhook --channel default-channel \\
        --base-url https://shop.example.com

Idempotent: run it again and nothing changes (see ``saleor_plugins.stripe.registration``).
Channels sharing a Stripe account share one endpoint: the first channel registered gets
it, the others are served by it (Stripe would otherwise send each event once per
endpoint).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ....core.errors import IntegrationError
from ....core.settings import SettingsErrors
from ...client import SETUP_TIMEOUT, StripeClient
from ...registration import Registration, ensure_endpoint, webhook_url
from ...settings import StripeSettings


def siblings(settings: StripeSettings, others: dict[str, list[dict[str, Any]]]) -> set[str]:
    """Channels on the same Stripe account that hold their endpoint's signing secret."""
    found = set()
    for channel, configuration in others.items():
        try:
            theirs = StripeSettings.from_configuration(configuration, active=False)
        except SettingsErrors:
            continue
        if theirs.publishable_key == settings.publishable_key and theirs.secret("webhook_secret"):
            found.add(channel)
    return found


def register(
    channel: str,
    base_url: str,
    *,
    load: Callable[[str], list[dict[str, Any]]],
    save: Callable[[str, str], None],
    others: Callable[[], dict[str, list[dict[str, Any]]]] = dict,
    timeout: tuple[float, float] = SETUP_TIMEOUT,
) -> Registration:
    settings = StripeSettings.from_configuration(load(channel), active=False)
    client = StripeClient(settings.secret("secret_key"), timeout=timeout)
    result = ensure_endpoint(
        client,
        url=webhook_url(base_url, channel),
        channel=channel,
        have_secret=bool(settings.secret("webhook_secret")),
        siblings=siblings(settings, {c: v for c, v in others().items() if c != channel}),
    )
    if result.secret:
        save(channel, result.secret)
    return result


class Command(BaseCommand):
    help = "Create (once) the Stripe webhook endpoint of a channel and store its secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, help="channel slug")
        parser.add_argument(
            "--base-url",
            default="",
            help="public https URL of the Saleor API (default: the site's domain)",
        )
        parser.add_argument("--timeout", type=float, default=SETUP_TIMEOUT[1])

    def handle(self, *args: Any, **options: Any) -> None:
        from ... import plugin  # Saleor's configuration storage

        base_url = options["base_url"] or _site_url()
        try:
            result = register(
                options["channel"],
                base_url,
                load=plugin.load_configuration,
                save=plugin.save_webhook_secret,
                others=plugin.active_configurations,
                timeout=(min(3.0, options["timeout"]), options["timeout"]),
            )
        except IntegrationError as e:
            raise CommandError(str(e)) from e
        verb = "created" if result.created else "already registered"
        if result.shared_with:
            verb = f"of channel {result.shared_with} (same Stripe account) serves it"
        self.stdout.write(
            f"Stripe webhook endpoint {result.endpoint_id} {verb}"
            + (f"; removed {', '.join(result.deleted)}" if result.deleted else "")
        )


def _site_url() -> str:
    from django.contrib.sites.models import Site

    return f"https://{Site.objects.get_current().domain}"
