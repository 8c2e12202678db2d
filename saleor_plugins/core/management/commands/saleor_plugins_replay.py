"""Send dead-lettered jobs again (after the merchant fixed the cause)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from ...models import Job, JobStatus
from ...outbox import dispatch_on_commit


def replay(
    *, integration: str | None = None, channel: str | None = None, ids: list[int] | None = None
) -> tuple[list[int], int]:
    """Dead jobs back to pending and dispatched; returns (replayed ids, superseded count).

    A dead coalescing job whose object has a newer job (pending, or a later dead one) is
    superseded rather than replayed: the newer job reads the object's current state.
    """
    dead = Job.objects.filter(status=JobStatus.DEAD)
    if integration:
        dead = dead.filter(integration=integration)
    if channel:
        dead = dead.filter(channel=channel)
    if ids:
        dead = dead.filter(id__in=ids)
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            dead.select_for_update()
            .order_by("-id")
            .values_list("id", "integration", "channel", "coalesce_key")
        )
        pending = set(
            Job.objects.filter(
                status=JobStatus.PENDING,
                coalesce_key__in={r[3] for r in rows if r[3]},
            ).values_list("integration", "channel", "coalesce_key")
        )
        chosen: list[int] = []
        superseded: list[int] = []
        for job_id, integ, chan, ckey in rows:  # newest first
            if ckey and (integ, chan, ckey) in pending:
                superseded.append(job_id)
                continue
            if ckey:
                pending.add((integ, chan, ckey))
            chosen.append(job_id)
        Job.objects.filter(id__in=superseded).update(
            status=JobStatus.SKIPPED, updated_at=now, last_error="superseded by a newer job"
        )
        Job.objects.filter(id__in=chosen).update(
            status=JobStatus.PENDING,
            attempts=0,
            not_before=now,
            locked_until=None,
            finished_at=None,
            dispatched_at=now,
            updated_at=now,
        )
        chosen.sort()
        if chosen:
            dispatch_on_commit(chosen)
    return chosen, len(superseded)


class Command(BaseCommand):
    help = "Put dead jobs back in the queue and dispatch them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", help="only this integration id")
        parser.add_argument("--channel", help="only this channel slug")
        parser.add_argument("--id", type=int, action="append", dest="ids", help="a job id")

    def handle(self, *args: Any, **options: Any) -> None:
        chosen, superseded = replay(
            integration=options["integration"], channel=options["channel"], ids=options["ids"]
        )
        self.stdout.write(f"Replayed {len(chosen)} dead job(s).")
        if superseded:
            self.stdout.write(f"{superseded} superseded by a newer job for the same object.")
