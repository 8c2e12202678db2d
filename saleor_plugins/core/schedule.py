"""Periodic tasks, added to the host's Celery beat without editing its settings.

Saleor's beat (django-celery-beat's DatabaseScheduler) writes ``app.conf.beat_schedule``
into its tables at start. ``add_periodic_task`` on the current app, called when this
package's tasks module is imported (Celery autodiscovers it before it finalises the
app), puts our entries there under stable names.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

SWEEP_EVERY = timedelta(seconds=60)
DRAIN_EVERY = timedelta(seconds=15)
RECONCILE_EVERY = timedelta(minutes=5)

ENTRIES = (
    ("saleor-plugins-sweep", "saleor_plugins.sweep", SWEEP_EVERY),
    ("saleor-plugins-reconcile", "saleor_plugins.reconcile", RECONCILE_EVERY),
    ("saleor-plugins-drain", "saleor_plugins.drain", DRAIN_EVERY),
)


def register_periodic_tasks(
    app: Any, entries: tuple[tuple[str, str, timedelta], ...] = ENTRIES
) -> None:
    """Add ``(name, task name, every)`` entries; integrations call it for their own."""
    for name, task, every in entries:
        app.add_periodic_task(
            every.total_seconds(),
            app.signature(task),
            name=name,
            expires=every.total_seconds(),
        )
