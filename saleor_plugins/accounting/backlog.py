"""A backlog booked in batches: waiting sale jobs of the channel claimed together.

When a sale job is delivered and other sale jobs of the same integration and channel
are due (a backfill, a worker that was down, a provider that was throttling), they are
claimed with it (:mod:`saleor_plugins.core.companions`, the kernel's atomic claim) and
their orders handed to the provider's :meth:`book_many` — Xero's arrays of 50 with
``summarizeErrors=false``, QuickBooks' batch requests of 30. One order the provider
refuses fails only its own job, with the provider's message, as permanent; an error of
the whole request (throttled, unreachable, refused token) is every claimed job's.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..core import companions
from ..core import snapshots as s
from ..core.errors import PermanentError
from ..core.events import EventType
from ..core.integration import JobContext, Outcome
from . import build

if TYPE_CHECKING:
    from .connector import AccountingIntegration


def sale_events(acct: AccountingIntegration) -> list[EventType]:
    return [EventType.ORDER_PAID, *([EventType.ORDER_CREATED] if acct.books_on_creation() else [])]


def book_with_companions(acct: AccountingIntegration, job: JobContext, order: s.Order) -> Outcome:
    started = time.monotonic()
    others = companions.claim(job, sale_events(acct), acct.BACKLOG)
    if not others:
        return acct.book_one(order)
    orders: dict[int, s.Order] = {job.id: order}
    skipped: dict[int, str] = {}
    for other in others:
        found = acct._read(other)
        if isinstance(found, Outcome):
            skipped[other.id] = found.detail
        else:
            orders[other.id] = found
    try:
        refused = acct.book_many(list({o.id: o for o in orders.values()}.values()))
    except Exception as e:
        for other in others:
            companions.settle(other, e, started)
        raise
    errors: dict[int, BaseException] = {}
    details: dict[int, str] = dict(skipped)
    for job_id, o in orders.items():
        if o.id in refused:
            errors[job_id] = PermanentError(
                f"{acct.name} refused order {o.number}: {refused[o.id]}", status=400
            )
            continue
        try:  # the refunds an old order already had: one by one, like a live job
            done = [f"booked in a batch of {len(orders)}"]
            for refund in o.refunds:
                sep = acct.settings.separate_discounts
                done += acct.book_refund(o, build.credit_note(o, refund, separate_discounts=sep))
            details[job_id] = "; ".join(done)
        except Exception as e:  # noqa: BLE001 - settled per job below
            errors[job_id] = e
    for other in others:
        companions.settle(other, errors.get(other.id), started, details.get(other.id, ""))
    if job.id in errors:
        raise errors[job.id]
    return Outcome(detail=f"{details[job.id]} ({len(others)} other job(s) claimed with it)")
