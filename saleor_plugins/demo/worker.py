"""The demo's Celery worker: a real one, in its own process, on this run's own queue."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import IO

QUIET = ("Warm shutdown", "Cold shutdown")


def start_worker() -> subprocess.Popen[str]:
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, our own arguments
        [
            sys.executable,
            "-W",
            "ignore",
            "-m",
            "celery",
            "--quiet",
            "-A",
            "saleor_plugins.demo.celery",
            "worker",
            "--pool=prefork",
            "--concurrency=3",
            "--loglevel=WARNING",
            "-Q",
            os.environ["DEMO_CELERY_QUEUE"],
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    threading.Thread(target=_relay, args=(worker.stdout,), daemon=True).start()
    return worker


def _relay(stream: IO[str] | None) -> None:
    """The worker's own output, minus Celery's shutdown banner (the demo says it stopped)."""
    assert stream is not None
    for line in stream:
        # Celery's own copy of a line our logger already printed (its root handler)
        if "/MainProcess] saleor_plugins:" in line:
            continue
        if line.strip() and not any(q in line for q in QUIET):
            print(f"  worker | {line.rstrip()}", flush=True)


def wait_for_worker(timeout: float = 30.0) -> bool:
    from saleor_plugins.demo.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return True
    return False
