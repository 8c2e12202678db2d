"""Run due jobs in this process: for hosts where Celery runs eagerly, and for the demo."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ... import delivery, maintenance
from ...models import Job, JobStatus
from ...schedule import RECONCILE_EVERY


def due_ids(limit: int) -> list[int]:
    return list(
        Job.objects.filter(status=JobStatus.PENDING, not_before__lte=timezone.now())
        .order_by("not_before", "id")
        .values_list("id", flat=True)[:limit]
    )


def run_due(limit: int | None = None, batch: int = 200) -> Counter[str]:
    """Deliver due jobs until none is left (or ``limit`` were delivered)."""
    outcomes: Counter[str] = Counter()
    delivered = 0
    while limit is None or delivered < limit:
        maintenance.release_expired()
        take = batch if limit is None else min(batch, limit - delivered)
        ids = due_ids(take)
        progressed = False
        for job_id in ids:
            result = delivery.deliver(job_id)
            outcomes[result.outcome] += 1
            if result.outcome != "not-claimed":
                delivered += 1
                progressed = True
        if not progressed:
            break
    return outcomes


class Command(BaseCommand):
    help = (
        "Deliver due integration jobs in the foreground (without a Celery worker). "
        "With --forever it keeps polling and also runs the periodic reconciliation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--forever", action="store_true", help="keep polling")
        parser.add_argument("--limit", type=int, default=None, help="stop after N jobs")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        if not options["forever"]:
            self._report(run_due(limit))
            return
        next_reconcile = 0.0
        total: Counter[str] = Counter()
        try:
            while limit is None or total.total() - total["not-claimed"] < limit:
                if time.monotonic() >= next_reconcile:
                    maintenance.reconcile()
                    next_reconcile = time.monotonic() + RECONCILE_EVERY.total_seconds()
                left = None if limit is None else limit - (total.total() - total["not-claimed"])
                done = run_due(left)
                total += done
                if not done:
                    time.sleep(options["interval"])
        except KeyboardInterrupt:
            pass
        self._report(total)

    def _report(self, outcomes: Counter[str]) -> None:
        outcomes.pop("not-claimed", None)
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) or "nothing due"
        self.stdout.write(f"Delivered {outcomes.total()} job(s) ({detail}).")
