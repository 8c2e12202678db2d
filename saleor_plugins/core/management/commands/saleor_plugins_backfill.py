"""Emit the jobs that bring a newly connected provider up to date with the store."""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from ...events import EventType
from ...handoff import BULK
from ...host import get_host
from ...outbox import emit_many
from ...registry import get_integration

EVENTS = {
    "order": EventType.ORDER_CREATED,
    "product": EventType.PRODUCT_UPSERTED,
    "customer": EventType.CUSTOMER_UPSERTED,
}


class Command(BaseCommand):
    help = (
        "Emit a job for every order/product/customer of a channel for one integration. "
        "Re-running it is safe: objects already emitted are not emitted twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", required=True, help="integration id")
        parser.add_argument("--channel", required=True, help="channel slug")
        parser.add_argument(
            "--object-type",
            choices=sorted(EVENTS),
            action="append",
            dest="object_types",
            help="what to backfill (repeatable; default: every type the integration handles)",
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        integration, channel = options["integration"], options["channel"]
        cls = get_integration(integration)
        if cls is None:
            raise CommandError(f"Unknown integration {integration!r}.")
        installed = get_host().installation(integration, channel)
        if installed is None or not installed.active:
            raise CommandError(f"{integration} is not active in channel {channel!r}.")
        wanted = options["object_types"] or [t for t, e in EVENTS.items() if e in cls.subscribes]
        batch_size = max(1, options["batch_size"])
        target = [(integration, channel)]
        for object_type in wanted:
            event = EVENTS[object_type]
            if event not in cls.subscribes:
                raise CommandError(f"{integration} does not handle {event.value}.")
            ids = iter(get_host().iter_ids(object_type, channel))
            seen = emitted = 0
            with tqdm(
                desc=f"{object_type}s",
                unit=object_type,
                file=self.stderr._out,
                disable=options["no_progress"],
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
