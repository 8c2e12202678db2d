"""Full sync of a channel with Merchant Center, and/or its feed files, with a progress bar.

manage.py saleor_plugins_google_merchant_sync --channel default-channel [--force]
manage.py saleor_plugins_google_merchant_sync --channel default-channel --feed
manage.py saleor_plugins_google_merchant_sync --channel default-channel --statuses
manage.py saleor_plugins_google_merchant_sync --channel default-channel --create-data-source
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ....core.errors import IntegrationError
from ....core.host import get_host
from ... import feed, fullsync, statuses
from ...client import MerchantClient
from ...tasks import active_channels, exclusive, refused


class Command(BaseCommand):
    help = "Sync a channel's catalogue to Google Merchant Center (deleting stale offers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, help="Channel slug.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete stale offers / publish the feed even past the guard.",
        )
        parser.add_argument("--feed", action="store_true", help="Generate the feed files only.")
        parser.add_argument("--statuses", action="store_true", help="Pull offer statuses only.")
        parser.add_argument(
            "--create-data-source",
            action="store_true",
            help="Create an API data source and print its ID for the plugin settings.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        channel = options["channel"]
        found = dict(active_channels(channel))
        if channel not in found:
            raise CommandError(f"Google Merchant Center is not active and configured in {channel}.")
        settings = found[channel]
        try:
            if options["create_data_source"]:
                created = MerchantClient(settings).create_data_source(f"Saleor {channel}")
                self.stdout.write(f"Created API data source {created}: set it in the plugin.")
                return
            if options["statuses"]:
                statuses.pull(channel, settings)
                self.stdout.write(statuses.summary(channel))
                return
            kind = "feed" if options["feed"] else "sync"
            with exclusive(kind, channel) as got:
                if not got:
                    raise CommandError(f"A {kind} of {channel} is already running.")
                with tqdm(desc=f"{kind} {channel}", unit=" products", file=self.stderr) as bar:
                    tick = bar.update
                    if options["feed"]:
                        run = feed.generate(
                            channel, settings, get_host(), force=options["force"], on_product=tick
                        )
                        line = feed.summary(channel) + f" [{run.xml_path}]"
                    else:
                        report = fullsync.full_sync(
                            channel, settings, get_host(), force=options["force"], on_product=tick
                        )
                        line = report.line()
        except IntegrationError as e:
            raise CommandError(refused(channel, e)) from e
        self.stdout.write(line)
