"""Periodic tasks, added to the host's Celery beat schedule without editing its settings."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

SWEEP_EVERY = timedelta(seconds=60)
RECONCILE_EVERY = timedelta(minutes=5)


def periodic_tasks() -> dict[str, dict[str, object]]:
    return {
        "saleor-plugins-sweep": {
            "task": "saleor_plugins.sweep",
            "schedule": SWEEP_EVERY,
            "options": {"expires": SWEEP_EVERY.total_seconds()},
        },
        "saleor-plugins-reconcile": {
            "task": "saleor_plugins.reconcile",
            "schedule": RECONCILE_EVERY,
            "options": {"expires": RECONCILE_EVERY.total_seconds()},
        },
    }


def register_periodic_tasks() -> None:
    """Add our entries to ``CELERY_BEAT_SCHEDULE`` (read by Celery when beat starts)."""
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
    if schedule is None:
        schedule = {}
        settings.CELERY_BEAT_SCHEDULE = schedule
    for name, entry in periodic_tasks().items():
        schedule.setdefault(name, entry)
