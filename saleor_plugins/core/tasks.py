"""Celery tasks. They carry a job id, never a payload.

The top of the kernel's import graph: tasks call delivery and maintenance; nothing in
the kernel imports this module (jobs are handed over by task name, :mod:`.handoff`).
"""

from __future__ import annotations

from celery import current_app, shared_task

from . import delivery, drain, handoff, maintenance, schedule
from .host import writer_scope


@shared_task(
    name=handoff.DELIVER,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def deliver_job(job_id: int) -> str:
    with writer_scope():
        return delivery.deliver(job_id).outcome


@shared_task(name=handoff.FAN_OUT, ignore_result=True)
def dispatch_jobs(job_ids: list[int], countdown: float = 0.0, priority: int = handoff.LIVE) -> int:
    """Fan out one request's jobs (ids only) to one delivery task each."""
    return handoff.dispatch(job_ids, countdown=countdown, priority=priority)


@shared_task(name="saleor_plugins.sweep", ignore_result=True)
def sweep() -> int:
    with writer_scope():
        return maintenance.sweep()


@shared_task(name="saleor_plugins.reconcile", ignore_result=True)
def reconcile() -> int:
    with writer_scope():
        return maintenance.reconcile()


@shared_task(name="saleor_plugins.drain", ignore_result=True)
def drain_changes() -> int:
    with writer_scope():
        return drain.drain()


schedule.register_periodic_tasks(current_app)
