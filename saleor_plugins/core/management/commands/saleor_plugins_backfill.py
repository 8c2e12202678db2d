"""Bring a newly connected provider up to date with the store: one command for all.

Each integration decides how (:meth:`~saleor_plugins.core.integration.Integration.backfill`):
Mailchimp sends the channel through its batch operations; the others get one job per
existing object, delivered by the workers like live events.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from ...errors import ConfigurationError, IntegrationError
from ...events import EventType
from ...handoff import BULK
from ...host import get_host
from ...integration import Integration
from ...outbox import emit_many
from ...registry import get_integration
from ...settings import SettingsErrors

EVENTS = {
    "order": EventType.ORDER_CREATED,
    "product": EventType.PRODUCT_UPSERTED,
    "customer": EventType.CUSTOMER_UPSERTED,
}


class Command(BaseCommand):
    help = (
        "Send a channel's existing objects to one integration, the way it does best: its "
        "batch backfill where it has one (Mailchimp), else a job per order/product/customer. "
        "Re-running it is safe: what was sent is not sent twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", required=True, help="integration id")
        parser.add_argument("--channel", required=True, help="channel slug")
        parser.add_argument(
            "--object-type",
            action="append",
            dest="object_types",
            help="what to backfill (repeatable; default: every type the integration handles)",
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--restart",
            action="store_true",
            help="forget a batch backfill's saved progress and send everything again",
        )
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="an integration's own backfill option (repeatable), e.g. poll_interval=10",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        integration = self._installation(options["integration"], options["channel"])
        wanted = tuple(options["object_types"] or ())
        batch_size = max(1, options["batch_size"])
        extra = {}
        for pair in options["option"]:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"--option {pair!r}: expected KEY=VALUE.")
            extra[key.strip()] = value.strip()

        def progress(desc: str, total: int, initial: int) -> tqdm[Any]:
            return tqdm(
                total=total,
                initial=initial,
                desc=desc,
                unit="obj",
                file=self.stderr._out,
                disable=True if options["no_progress"] else None,
            )

        try:
            summary = integration.backfill(
                wanted,
                {
                    "batch_size": batch_size,
                    "restart": options["restart"],
                    "progress": progress,
                    "extra": extra,
                },
            )
        except ConfigurationError as e:
            raise CommandError(str(e)) from e
        except IntegrationError as e:
            raise CommandError(f"backfill stopped, run again to resume: {e}") from e
        if summary is not None:
            self.stdout.write(summary)
            return
        self._emit_jobs(integration, wanted, batch_size, options["no_progress"])

    def _installation(self, integration_id: str, channel: str) -> Integration:
        cls = get_integration(integration_id)
        if cls is None:
            raise CommandError(f"Unknown integration {integration_id!r}.")
        installed = get_host().installation(integration_id, channel)
        if installed is None or not installed.active:
            raise CommandError(f"{integration_id} is not active in channel {channel!r}.")
        try:
            settings = cls.settings_class.from_configuration(installed.configuration, active=True)
        except SettingsErrors as e:
            raise CommandError(f"{integration_id} in {channel!r} is misconfigured: {e}") from e
        return cls(settings, channel=channel, host=get_host())

    def _emit_jobs(
        self, integration: Integration, wanted: tuple[str, ...], batch_size: int, quiet: bool
    ) -> None:
        """The generic path: one job per object, delivered like a live event."""
        subscribes = integration.subscribes
        for object_type in wanted:
            if object_type not in EVENTS:
                raise CommandError(f"{integration.id} backfills only: {', '.join(sorted(EVENTS))}.")
            if EVENTS[object_type] not in subscribes:
                raise CommandError(f"{integration.id} does not handle {EVENTS[object_type].value}.")
        types = wanted or tuple(t for t, e in EVENTS.items() if e in subscribes)
        target = [(integration.id, integration.channel)]
        for object_type in types:
            event = EVENTS[object_type]
            ids = iter(get_host().iter_ids(object_type, integration.channel))
            seen = emitted = 0
            with tqdm(
                desc=f"{object_type}s", unit=object_type, file=self.stderr._out, disable=quiet
            ) as bar:
                while batch := list(islice(ids, batch_size)):
                    with transaction.atomic():
                        objects: list[tuple[str, dict[str, Any], str]] = [
                            (i, {}, "") for i in batch
                        ]
                        # bulk: behind live store events at the broker and in the sweep
                        emitted += len(emit_many(event, objects, target, priority=BULK))
                    seen += len(batch)
                    bar.update(len(batch))
            self.stdout.write(
                f"{object_type}: {seen} found, {emitted} job(s) emitted "
                f"({seen - emitted} already queued or sent)."
            )
