"""A real Celery worker on Redis: orders arrive; a worker SIGKILLed mid-call loses nothing
and, recovered by the sweep on another worker, sends nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery._state import get_current_app
from django.db import connection
from django.utils import timezone

from saleor_plugins.core import maintenance
from saleor_plugins.core.models import Job, JobStatus
from saleor_plugins.demo import store
from saleor_plugins.demo.celery import app
from saleor_plugins.demo.sandbox import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)

CHANNEL = "default-channel"
LINES = [{"sku": "SKU-1", "name": "Mug", "quantity": 1, "unit_price": "5.00"}]
ROOT = Path(__file__).resolve().parents[2]


def wait_for(
    condition: Callable[[], Any], timeout: float, what: str, *, beat: bool = False
) -> None:
    """Poll ``condition``; with ``beat``, also run the sweep every few seconds as Celery
    beat would (Redis db 13 is shared with other test runs, whose fixtures flush it: a
    message lost that way is exactly what the sweep is for)."""
    deadline = time.monotonic() + timeout
    next_sweep = time.monotonic() + 10
    while time.monotonic() < deadline:
        if condition():
            return
        if beat and time.monotonic() >= next_sweep:
            maintenance.sweep(now_offset=maintenance.GRACE + timedelta(seconds=1))
            next_sweep = time.monotonic() + 10
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class Workers:
    """Celery worker processes this test starts (and alone stops, by pid)."""

    def __init__(self, queue: str, log_dir: Path) -> None:
        self.queue, self.log_dir = queue, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env |= {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PGDATABASE": connection.settings_dict["NAME"],  # pytest's test database
            "PYTHONPATH": str(ROOT),
        }
        with open(self.log_dir / f"worker{len(self.procs)}.log", "wb") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "saleor_plugins.demo.celery",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    self.queue,
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"{self.queue}-{uuid.uuid4()}",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_dir.glob("*.log"))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    queue = f"sp-e2e-{uuid.uuid4().hex[:8]}"
    previous_app = get_current_app()
    previous_queue = app.conf.task_default_queue
    app.set_current()  # other tests may have made another Celery app current
    app.conf.task_default_queue = queue  # what this process sends goes to our workers only
    w = Workers(queue, tmp_path)
    try:
        yield w
    finally:
        w.stop()
        app.conf.task_default_queue = previous_queue
        previous_app.set_current()


def test_a_real_worker_delivers_and_a_killed_one_loses_nothing(
    sandbox_installed: Sandbox, workers: Workers
) -> None:
    sandbox = sandbox_installed
    first = workers.start()
    orders = [store.place_order(CHANNEL, f"c{i}@example.com", LINES) for i in range(5)]
    paths = [f"POST /v1/{CHANNEL}/orders/{o.pk}" for o in orders]
    try:
        wait_for(
            lambda: set(Job.objects.values_list("status", flat=True)) == {JobStatus.SUCCEEDED},
            120,
            "5 orders delivered",
            beat=True,
        )
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert all(sandbox.state.effects[p] == 1 for p in paths)

    # the next call hangs at the provider; the worker is SIGKILLed while it waits
    in_flight = threading.Event()

    def slow_then_fine(method: str, path: str, n: int) -> tuple[Any, ...] | None:
        if not in_flight.is_set():
            in_flight.set()
            return ("sleep", 1.5)  # the provider still applies the call afterwards
        return None

    sandbox.state.fault = slow_then_fine
    order = store.place_order(CHANNEL, "killed@example.com", LINES)
    path = f"/v1/{CHANNEL}/orders/{order.pk}"
    wait_for(in_flight.is_set, 60, "the call to reach the provider")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    wait_for(lambda: sandbox.state.effects[f"POST {path}"] == 1, 10, "the provider to apply it")
    job = Job.objects.get(object_id=str(order.pk))
    assert job.status == JobStatus.RUNNING  # nobody recorded the success

    workers.start()
    # the lease (5 minutes) runs out, then the periodic sweep runs
    Job.objects.filter(id=job.id).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert maintenance.sweep() >= 1
    wait_for(
        lambda: Job.objects.get(id=job.id).status == JobStatus.SUCCEEDED,
        120,
        "the redelivery",
        beat=True,
    )

    assert sandbox.state.effects[f"POST {path}"] == 1  # exactly once at the provider
    calls = [c for m, p, c in sandbox.state.log if p == path]
    assert calls == [200, 200]  # the original call and the redelivery, replayed by its key
    assert Job.objects.get(id=job.id).attempts == 2
    for p in paths:
        assert sandbox.state.effects[p] == 1
