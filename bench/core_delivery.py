"""Delivery overhead, the claim under a backlog, live events behind a backfill, coalescing.

Figures (printed, never asserted):
- jobs per second for one worker with a no-op connector (the kernel's own cost per job:
  claim, installation, circuit, rate limiter, sync log), and database round trips per
  job: with the host's installation SQL read inside the claim, and without it (the
  host's own query, as every job paid before);
- the claim's time for a live job with 0 and with ``--backlog`` (10^6) pending bulk jobs
  in the table, and the plan of its per-object probe (EXPLAIN);
- where a live order lands in the broker's delivery order behind a backfill's messages,
  with and without the bulk priority (kombu's Redis transport, as a worker reads it);
- 1,000 updates to one product inside the coalescing window, with a worker delivering due
  jobs at the same time: how many provider writes they lead to.

Run: ./run bench core_delivery [--jobs 2000] [--updates 1000] [--backlog 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

from core_common import CHANNEL, noop_integrations, result, setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--backlog", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--backfill", type=int, default=2000)
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
    real_dispatch = outbox.dispatch_on_commit
    no_dispatch = lambda ids, countdown=0.0, priority=0: None  # noqa: E731
    outbox.dispatch_on_commit = no_dispatch  # type: ignore[assignment]
    delivery.dispatch_on_commit = no_dispatch  # type: ignore[assignment]

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
    after = queries / len(part)
    # the same jobs when the host cannot give its installation as SQL (a query of its own)
    from saleor_plugins.demo.host import DemoHost

    sql = DemoHost.installation_sql
    del DemoHost.installation_sql  # type: ignore[attr-defined]
    more = outbox.emit_many(
        EventType.ORDER_CREATED, [(f"x-{i}", {}, "") for i in range(200)], target
    )
    queries = 0
    with connection.execute_wrapper(count):
        for job_id in more:
            delivery.deliver(job_id)
    without = queries / len(more)
    DemoHost.installation_sql = sql  # type: ignore[attr-defined]
    print(
        f"  {after:.1f} database round trips per job ({without:.1f} when the host reads the "
        f"installation itself; before: 7 statements plus BEGIN/COMMIT); {done} succeeded"
    )
    result("core_delivery", "round trips per delivered job", f"{after:.1f} (was 7 + BEGIN/COMMIT)")
    result("core_delivery", "round trips per job, host without installation SQL", f"{without:.1f}")

    claim_under_backlog(args.backlog, integration, target)
    broker_order(args.messages, target)
    outbox.dispatch_on_commit = real_dispatch  # type: ignore[assignment]
    delivery.dispatch_on_commit = real_dispatch  # type: ignore[assignment]
    live_latency(args.backfill, target)
    outbox.dispatch_on_commit = no_dispatch  # type: ignore[assignment]
    delivery.dispatch_on_commit = no_dispatch  # type: ignore[assignment]

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


def claim_under_backlog(backlog: int, integration: str, target: list[tuple[str, str]]) -> None:
    """Claim a live job with 0, then ``backlog`` pending bulk jobs in the table."""
    from django.db import connection

    from saleor_plugins.core import delivery, outbox
    from saleor_plugins.core.events import EventType

    def claim_ms(label: str) -> float:
        ids = outbox.emit_many(
            EventType.ORDER_CREATED, [(f"{label}-{i}", {}, "") for i in range(200)], target
        )
        times = []
        for job_id in ids:
            started = time.perf_counter()
            job = delivery.claim(job_id)
            times.append(time.perf_counter() - started)
            assert job is not None
            delivery.heartbeat.release(job_id, job.lease)
        return statistics.median(times) * 1000  # median: a busy machine's stalls aside

    empty = claim_ms("empty")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # a backfill: one pending bulk job per product, many jobs per busy product
        cursor.execute(
            """INSERT INTO saleor_plugins_job (integration, channel, event, object_type,
                   object_id, payload, coalesce_key, coalesced, status, attempts, lease,
                   priority, not_before, created_at, updated_at, last_error)
               SELECT %s, %s, 'product_upserted', 'product', 'p-' || (n %% 250000), '{}',
                      NULL, 0, 'pending', 0, 0, 1, now(), now(), now(), ''
                 FROM generate_series(1, %s) AS n""",
            [integration, target[0][1], backlog],
        )
        # what autovacuum does after a bulk load: statistics and the visibility map (the
        # probe is an index-only scan), then a checkpoint: the fill's dirty pages aside
        cursor.execute("VACUUM ANALYZE saleor_plugins_job")
        cursor.execute("CHECKPOINT")
    filled = time.perf_counter() - started
    full = claim_ms("full")
    print(
        f"\nclaim of a live job (median): {empty:.2f} ms with no backlog, {full:.2f} ms with "
        f"{backlog:,} pending bulk jobs (table filled in {filled:.0f} s)"
    )
    result("core_delivery", "claim time, empty table (ms)", f"{empty:.2f}")
    result("core_delivery", f"claim time, {backlog:,} pending jobs (ms)", f"{full:.2f}")
    with connection.cursor() as cursor:
        cursor.execute(
            """EXPLAIN (ANALYZE, COSTS OFF) SELECT 1 FROM saleor_plugins_job AS e
                WHERE e.integration = %s AND e.channel = %s AND e.object_type = 'product'
                  AND e.object_id = 'p-17' AND e.id < %s
                  AND e.status IN ('pending', 'running')""",
            [integration, target[0][1], 10**12],
        )
        print("the per-object probe (NOT EXISTS) of the claim:")
        for (line,) in cursor.fetchall():
            print("  " + line)
        cursor.execute("DELETE FROM saleor_plugins_job WHERE object_type = 'product'")


def broker_order(messages: int, target: list[tuple[str, str]]) -> None:
    """How many backfill messages a worker takes before a live order's, per priority."""
    from celery import current_app

    from saleor_plugins.core import handoff

    for label, bulk in (("without bulk priority", handoff.LIVE), ("bulk priority", handoff.BULK)):
        with current_app.connection_for_read() as conn:
            queue = conn.SimpleQueue("celery", no_ack=True)
            queue.clear()
            for start in range(0, messages, 1000):
                handoff.dispatch(range(10**9 + start, 10**9 + start + 1000), priority=bulk)
            handoff.dispatch([1], priority=handoff.LIVE)  # the live order's job
            ahead = 0
            while True:
                message = queue.get(timeout=5)
                if message.headers.get("argsrepr") == "(1,)":
                    break
                ahead += 1
            queue.clear()
            queue.close()
        print(f"live order behind a {messages:,}-message backfill, {label}: {ahead} ahead")
        result("core_delivery", f"messages ahead of a live order ({label})", f"{ahead:,}")


def live_latency(backfill: int, target: list[tuple[str, str]]) -> None:
    """A real Celery worker (solo, in a thread) works through a backfill of ``backfill``
    jobs; a live order is placed meanwhile: seconds until it is delivered."""
    from celery.contrib.testing.worker import start_worker

    from saleor_plugins.core import handoff, outbox
    from saleor_plugins.core.events import EventType
    from saleor_plugins.core.models import Job, JobStatus
    from saleor_plugins.demo.celery import app

    app.conf.worker_prefetch_multiplier = 1
    for label, bulk in (("without bulk priority", handoff.LIVE), ("bulk priority", handoff.BULK)):
        with app.connection_for_read() as conn:
            conn.SimpleQueue("celery", no_ack=True).clear()
        Job.objects.all().delete()
        objects: list[tuple[str, dict[str, Any], str]] = [
            (f"bf-{i}", {}, "") for i in range(backfill)
        ]
        for start in range(0, backfill, 500):
            outbox.emit_many(
                EventType.ORDER_CREATED, objects[start : start + 500], target, priority=bulk
            )
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            time.sleep(1.0)  # the backfill is being delivered
            started = time.perf_counter()
            [live] = outbox.emit(EventType.ORDER_CREATED, f"live-{label}", target)
            while Job.objects.filter(id=live, status=JobStatus.SUCCEEDED).count() == 0:
                time.sleep(0.05)
            waited = time.perf_counter() - started
            left = Job.objects.filter(status=JobStatus.PENDING).count()
        print(
            f"live order during a {backfill:,}-job backfill, {label}: delivered after "
            f"{waited:.2f} s ({left:,} backfill jobs still waiting then)"
        )
        result(
            "core_delivery",
            f"live order latency during a {backfill:,}-job backfill ({label})",
            f"{waited:.2f} s",
        )
    with app.connection_for_read() as conn:
        conn.SimpleQueue("celery", no_ack=True).clear()
    Job.objects.all().delete()


if __name__ == "__main__":
    main()
