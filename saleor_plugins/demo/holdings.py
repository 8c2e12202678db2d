"""What every provider's stand-in holds once the worker is done, checked against the store.

For each integration, the objects the store says the provider should hold (by our id) are
compared with what the stand-in holds: *lost* are those missing, *duplicated* those held
more than once (two invoices for one order, two purchase events for one order ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from .providers import CHANNELS


class Check:
    """One line of the summary: what a provider holds, and what is lost or doubled."""

    def __init__(self, integration: str) -> None:
        self.integration = integration
        self.parts: list[str] = []
        self.lost = 0
        self.duplicated = 0
        self.unexpected = 0

    def compare(
        self, what: str, expected: Iterable[Any], held: Iterable[Any], *, unique: bool = True
    ) -> None:
        """``unique``: each expected key once; otherwise as many times as it is listed."""
        want, have = Counter(expected), Counter(held)
        if unique:
            want = Counter(set(want))
        self.lost += sum(max(0, n - have[k]) for k, n in want.items())
        self.duplicated += sum(max(0, n - want[k]) for k, n in have.items() if k in want)
        self.unexpected += sum(n for k, n in have.items() if k not in want)
        self.parts.append(f"{sum(have.values())} {what}")

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected)

    def line(self) -> str:
        name = self.integration.removeprefix("saleor_plugins.")
        extra = f", {self.unexpected} unexpected" if self.unexpected else ""
        held = ", ".join(self.parts)
        return f"  {name:18} {held}: {self.lost} lost, {self.duplicated} duplicated{extra}"


def summarise(stand_ins: Any, done: Any, request_path: int, enabled: list[str]) -> int:
    from ..core.models import Attempt, Job, JobStatus
    from . import expected

    jobs = {s: Job.objects.filter(status=s).count() for s in JobStatus.values}
    outcomes = Counter(Attempt.objects.values_list("outcome", flat=True))
    checks = expected.checks(stand_ins, done)
    taking_part = sorted(set(Attempt.objects.values_list("integration", flat=True)))
    injected = {
        i.removeprefix("saleor_plugins."): p.outage.injected for i, p in stand_ins.proxies.items()
    }
    injected["stripe"] = stand_ins.checkout_stripe.outage.injected + injected["stripe"]

    print("\nWhat every provider now holds, checked against the demo store")
    for check in checks:
        print(check.line())
    print("\nWhat happened")
    print(
        f"  store        : {len(done.products)} products created in {len(CHANNELS)} channels, "
        f"2 edited, {len(done.deleted)} deleted; {len(done.customers)} customers registered "
        f"(consent yes/no/never asked); {len(done.abandoned)} checkout abandoned; "
        f"{len(done.orders)} orders paid with Stripe ({done.three_ds} with 3-D Secure), "
        f"{len(done.refunds)} refunded in part"
    )
    print(
        f"  request path : {request_path} provider calls made inside the store's requests "
        f"(besides the checkout's own {done.payment_calls} Stripe payment calls, synchronous "
        "by design)"
    )
    print(
        f"  deliveries   : {sum(outcomes.values())} attempts by the worker ("
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + f") for {sum(jobs.values())} jobs; jobs now: "
        + ", ".join(f"{k} {v}" for k, v in jobs.items() if v)
    )
    print(
        "  outages      : "
        + "; ".join(f"{k} {', '.join(map(str, v)) or 'none'}" for k, v in injected.items())
    )
    absent = [i for i in enabled if i not in taking_part and i != "saleor_plugins.stripe"]
    lost = sum(c.lost for c in checks)
    twice = sum(c.duplicated for c in checks)
    undelivered = jobs["pending"] + jobs["running"] + jobs["dead"]
    ok = all(c.ok for c in checks) and not (undelivered or request_path or absent)
    if absent:
        print(f"  not delivered to at all: {', '.join(absent)}")
    print(
        f"\nOK: {len(enabled)} integrations, {lost} lost, {twice} duplicated, "
        f"{request_path} provider calls inside requests."
        if ok
        else f"\nFAILED: {lost} lost, {twice} duplicated, {undelivered} jobs undelivered, "
        f"{request_path} provider calls inside requests: see the lines above."
    )
    return 0 if ok else 1
