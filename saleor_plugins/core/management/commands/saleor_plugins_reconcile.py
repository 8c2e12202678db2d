"""Compare a period's store objects with what an integration booked: count and totals per day."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from .saleor_plugins_backfill import Command as Backfill


class Command(Backfill):
    help = (
        "Report, per day, the period's orders in the store against what the integration "
        "booked (accounting: our ledger, no provider read): what is missing or differs. "
        "Exits 1 when anything is missing or differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", required=True, help="integration id")
        parser.add_argument("--channel", required=True, help="channel slug")
        parser.add_argument("--since", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--until", required=True, type=date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        integration = self._installation(options["integration"], options["channel"])
        if options["until"] < options["since"]:
            raise CommandError("--until is before --since.")
        report = integration.reconcile_period(options["since"], options["until"])
        if report is None:
            raise CommandError(f"{integration.id} has no reconciliation report.")
        self.stdout.write(report)
        if not report.rstrip().endswith("to the cent."):
            raise SystemExit(1)
