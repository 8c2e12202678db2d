"""``manage.py saleor_plugins_mailchimp_backfill --channel <slug>``: resumable backfill."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ....core.errors import IntegrationError
from ...backfill import Backfill, load
from ...models import BackfillBatch, BackfillCursor


class Command(BaseCommand):
    help = (
        "Send a channel's products, customers, promo codes and orders to Mailchimp in "
        "batches. Safe to interrupt: run it again to resume."
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
        channel = options["channel"]
        try:
            mc = load(channel)
        except IntegrationError as e:
            raise CommandError(str(e)) from e
        if options["restart"]:
            BackfillCursor.objects.filter(channel=channel).delete()
            BackfillBatch.objects.filter(channel=channel).delete()
        if options["batch_webhook_url"]:
            mc.client.call(mc.client.batch_webhooks.create, {"url": options["batch_webhook_url"]})

        def bar(desc: str, total: int, initial: int) -> tqdm[Any]:
            return tqdm(
                total=total,
                initial=initial,
                desc=desc,
                unit="obj",
                file=self.stderr._out,
                disable=None,
            )

        backfill = Backfill(
            mc,
            batch_size=options["batch_size"],
            poll_interval=options["poll_interval"],
            progress=bar,
        )
        try:
            summary = backfill.run()
        except IntegrationError as e:
            raise CommandError(f"backfill stopped, run again to resume: {e}") from e
        sent = ", ".join(f"{k}: {v}" for k, v in summary.sent.items()) or "nothing new"
        state = "done" if summary.finished else "batches still running; run again to finish"
        self.stdout.write(
            f"{channel}: {sent}; {summary.batches} batch(es), {summary.errored} refused by "
            f"Mailchimp; {summary.requests} request(s); {state}"
        )
