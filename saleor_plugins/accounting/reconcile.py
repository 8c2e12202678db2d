"""A period's orders in the store against what the ledger says was booked, per day.

What the merchant's accountant asks: did every order of the period reach the books, and
for Saleor's amount? The answer reads only our ledger (never the provider, whose reads
are metered).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..core import snapshots as s
from .build import day_of


@dataclass
class Day:
    day: date
    currency: str
    orders: int = 0
    total: Decimal = Decimal(0)
    booked: int = 0
    booked_total: Decimal = Decimal(0)
    missing: list[str] = field(default_factory=list)  # order numbers not booked
    differs: list[tuple[str, Decimal, Decimal]] = field(
        default_factory=list
    )  # number, saleor, booked

    @property
    def ok(self) -> bool:
        return not self.missing and not self.differs


def compare(
    orders: Iterable[s.Order],
    booked: Callable[[list[str]], dict[str, Decimal | None]],
    *,
    since: date,
    until: date,
    bookable: Callable[[s.Order], bool],
    batch: int = 500,
) -> list[Day]:
    """Per day and currency: orders that should be booked vs what the ledger holds."""
    days: dict[tuple[date, str], Day] = {}
    pending: list[s.Order] = []

    def flush() -> None:
        held = booked([o.id for o in pending])
        for o in pending:
            row = days.setdefault(
                (day_of(o.created_at), o.currency), Day(day_of(o.created_at), o.currency)
            )
            row.orders += 1
            row.total += o.total_gross.amount
            if o.id not in held:
                row.missing.append(o.number)
                continue
            row.booked += 1
            amount = held[o.id]
            if amount is not None:
                row.booked_total += amount
                if amount != o.total_gross.amount:
                    row.differs.append((o.number, o.total_gross.amount, amount))
        pending.clear()

    for order in orders:
        if since <= day_of(order.created_at) <= until and bookable(order):
            pending.append(order)
            if len(pending) >= batch:
                flush()
    flush()
    return [days[k] for k in sorted(days)]


def report(days: list[Day], *, limit: int = 20) -> str:
    lines = ["day         cur  orders  saleor total  booked  booked total  missing  differ"]
    for d in days:
        lines.append(
            f"{d.day.isoformat()}  {d.currency:<3}  {d.orders:>6}  {d.total:>12}  {d.booked:>6}  "
            f"{d.booked_total:>12}  {len(d.missing):>7}  {len(d.differs):>6}"
        )
    problems = [d for d in days if not d.ok]
    for d in problems:
        if d.missing:
            lines.append(
                f"{d.day} missing: {', '.join(d.missing[:limit])}"
                + (" ..." if len(d.missing) > limit else "")
            )
        for number, saleor, booked in d.differs[:limit]:
            lines.append(f"{d.day} order {number}: Saleor {saleor}, booked {booked}")
    lines.append(
        "OK: every order booked, to the cent."
        if not problems
        else f"{sum(len(d.missing) for d in days)} missing, "
        f"{sum(len(d.differs) for d in days)} differ."
    )
    return "\n".join(lines)
