"""Show, per integration and channel, what waits, what failed and whether it is paused."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...host import get_host
from ...models import Circuit, Job
from ...status import State, state


def _pairs(integration: str | None, channel: str | None) -> list[tuple[str, str]]:
    """Every installed (integration, channel), plus any that still has jobs or a circuit."""
    found = {(i.integration, i.channel) for i in get_host().installations()}
    found |= set(Job.objects.values_list("integration", "channel").distinct())
    found |= set(Circuit.objects.values_list("integration", "channel"))
    return sorted(
        (i, c)
        for i, c in found
        if (integration is None or i == integration) and (channel is None or c == channel)
    )


def _row(s: State) -> list[str]:
    success = s.last_success.strftime("%Y-%m-%d %H:%M:%S") if s.last_success else "never"
    if s.circuit_open:
        retry = s.circuit_retry_at.strftime("%H:%M:%S") if s.circuit_retry_at else "soon"
        breaker = f"OPEN until {retry}: {s.circuit_reason[:60]}"
    else:
        breaker = "closed"
    return [s.integration, s.channel, str(s.waiting), str(s.running), str(s.dead), success, breaker]


class Command(BaseCommand):
    help = "Per integration and channel: jobs waiting, running, dead; last success; circuit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", help="only this integration id")
        parser.add_argument("--channel", help="only this channel slug")

    def handle(self, *args: Any, **options: Any) -> None:
        header = ["integration", "channel", "waiting", "running", "dead", "last success", "circuit"]
        rows = [_row(state(i, c)) for i, c in _pairs(options["integration"], options["channel"])]
        if not rows:
            self.stdout.write("No integration is installed.")
            return
        widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
        for n, row in enumerate([header, *rows]):
            line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
