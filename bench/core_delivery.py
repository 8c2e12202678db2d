"""Delivery overhead and coalescing.

Figures (printed, never asserted):
- jobs per second for one worker with a no-op connector (the kernel's own cost per job:
  claim, installation, circuit, rate limiter, sync log), and database round trips per job;
- 1,000 updates to one product inside the coalescing window, with a worker delivering due
  jobs at the same time: how many provider writes they lead to.

Run: ./run bench core_delivery [--jobs 2000] [--updates 1000]
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from core_common import CHANNEL, noop_integrations, result, setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=1000)
    args = parser.parse_args()
    setup()
    from django.conf import settings
    from django.db import connection, connections

    from saleor_plugins.core import delivery, outbox
    from saleor_plugins.core.events import EventType
    from saleor_plugins.core.models import Job, JobStatus

    calls: list[int] = []
    [integration] = noop_integrations(1, calls)
    target = [(integration, CHANNEL)]
    outbox.dispatch_on_commit = lambda ids, countdown=0.0: None  # type: ignore[assignment]

    # --- jobs per second, one worker ---------------------------------------------------
    ids: list[int] = []
    for start in range(0, args.jobs, 500):
        batch: list[tuple[str, dict[str, Any], str]] = [
            (f"order-{i}", {}, "") for i in range(start, min(start + 500, args.jobs))
        ]
        ids += outbox.emit_many(EventType.ORDER_CREATED, batch, target)
    for job_id in ids[:50]:  # warm up
        delivery.deliver(job_id)
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    rest = ids[50:]
    half = len(rest) // 2
    for label, part, sync in (
        ("durable commits", rest[:half], "on"),
        ("async commit", rest[half:], "off"),
    ):
        # each job commits twice (claim, record): with synchronous_commit on, the disk's
        # flush time bounds the rate; "off" shows the kernel's own cost
        with connection.cursor() as cursor:
            cursor.execute(f"SET synchronous_commit TO {sync}")
        queries = 0
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            for job_id in part:
                delivery.deliver(job_id)
            elapsed = time.perf_counter() - started
        rate = len(part) / elapsed
        print(f"{len(part)} jobs in {elapsed:.2f} s by one worker ({label}): {rate:.0f} jobs/s")
        result("core_delivery", f"jobs/s, one worker, no-op connector, {label}", f"{rate:.0f}")
    done = Job.objects.filter(status=JobStatus.SUCCEEDED).count()
    print(f"  {queries / len(part):.1f} database round trips per job; {done} succeeded")
    result("core_delivery", "round trips per delivered job", f"{queries / len(part):.1f}")

    # --- coalescing: 1,000 updates to one product within the window -----------------------
    # the window must span the updates for the figure to mean "within the window": the
    # default (2 s) is used when this machine emits them fast enough, else it is widened
    window = float(getattr(settings, "SALEOR_PLUGINS_COALESCE_SECONDS", 2.0))
    started = time.perf_counter()
    for _ in range(20):
        outbox.emit(EventType.PRODUCT_UPSERTED, "product-probe", target)
    per_update = (time.perf_counter() - started) / 20
    window = max(window, round(per_update * args.updates * 1.5 + 1))
    settings.SALEOR_PLUGINS_COALESCE_SECONDS = window
    Job.objects.filter(object_id="product-probe").delete()
    calls.clear()
    stop = threading.Event()

    def worker() -> None:  # delivers due jobs while the updates stream in
        try:
            while not stop.is_set():
                due = Job.objects.filter(
                    status=JobStatus.PENDING, event=EventType.PRODUCT_UPSERTED
                ).values_list("id", flat=True)
                for job_id in due:
                    delivery.deliver(job_id)
                time.sleep(0.05)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    started = time.perf_counter()
    for _ in range(args.updates):
        outbox.emit(EventType.PRODUCT_UPSERTED, "product-1", target)
    spent = time.perf_counter() - started
    time.sleep(window + 0.5)
    stop.set()
    thread.join()
    for job_id in Job.objects.filter(status=JobStatus.PENDING).values_list("id", flat=True):
        delivery.deliver(job_id)  # anything left after the last window
    jobs = Job.objects.filter(event=EventType.PRODUCT_UPSERTED).count()
    print(
        f"\n{args.updates} updates to one product in {spent:.2f} s "
        f"(coalescing window {window:.1f} s): {jobs} job(s), {len(calls)} provider write(s)"
    )
    result(
        "core_delivery",
        f"{args.updates} updates to one product -> provider writes",
        f"{len(calls)} (updates spread over {spent:.1f} s, window {window:.0f} s)",
    )


if __name__ == "__main__":
    main()
