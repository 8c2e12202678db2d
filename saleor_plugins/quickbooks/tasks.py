"""Celery tasks: the daily summaries' jobs, emitted every 15 minutes (Celery beat).

The task emits one ``channel_sync`` job per day that is over in the channel's summary
time zone and not booked yet; the workers book it like any job (retries, rate limits,
the circuit). See ``accounting/summary.py``.
"""

from __future__ import annotations

from ..accounting import summary
from .connector import QuickBooksIntegration

summaries = summary.periodic_task(QuickBooksIntegration, "quickbooks")
