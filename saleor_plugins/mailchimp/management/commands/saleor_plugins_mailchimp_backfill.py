"""``manage.py saleor_plugins_mailchimp_backfill --channel <slug>``: kept as an alias.

The same as ``saleor_plugins_backfill --integration saleor_plugins.mailchimp``, which
runs Mailchimp's batch backfill (see docs/mailchimp.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from ...connector import MailchimpIntegration


class Command(BaseCommand):
    help = (
        "Alias of saleor_plugins_backfill --integration saleor_plugins.mailchimp: send a "
        "channel's products, customers, promo codes and orders to Mailchimp in batches. "
        "Safe to interrupt: run it again to resume."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, help="channel slug")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--poll-interval", type=float, default=10.0)
        parser.add_argument(
            "--restart",
            action="store_true",
            help="forget the saved progress and send everything again",
        )
        parser.add_argument(
            "--batch-webhook-url",
            default="",
            help="register this URL as the account's batch webhook "
            "(…/list/… becomes …/batch/<secret>) to learn of completion at once",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra = [f"poll_interval={options['poll_interval']}"]
        if options["batch_webhook_url"]:
            extra.append(f"batch_webhook_url={options['batch_webhook_url']}")
        call_command(
            "saleor_plugins_backfill",
            integration=MailchimpIntegration.id,
            channel=options["channel"],
            batch_size=options["batch_size"],
            restart=options["restart"],
            option=extra,
            stdout=self.stdout,
            stderr=self.stderr,
        )
