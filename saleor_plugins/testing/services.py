"""Services of one test run, apart from every other run on the machine (the test kit).

Several suites may run side by side (developers, CI): each run gets a PostgreSQL test
database of its own and a private Redis server on a free port, so that no run drops
another's database or flushes another's Redis. The names travel in environment
variables, so the processes a test starts (a Celery worker) join the same run.
:mod:`saleor_plugins.testing.settings` uses them; ``redis-server`` must be on ``PATH``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

RUN_ENV = "SALEOR_PLUGINS_TEST_RUN"
REDIS_ENV = "SALEOR_PLUGINS_TEST_REDIS"


def run_id() -> str:
    """This run's id (shared by its worker processes)."""
    if RUN_ENV not in os.environ:
        os.environ[RUN_ENV] = uuid.uuid4().hex[:10]
    return os.environ[RUN_ENV]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_redis() -> str:
    if shutil.which("redis-server") is None:  # pragma: no cover - every machine here has it
        raise RuntimeError("redis-server is not installed: the tests need a private Redis")
    workdir = tempfile.mkdtemp(prefix="saleor-plugins-redis-")
    for _ in range(5):
        port = _free_port()
        proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
                "--databases",
                "16",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except OSError:
                if proc.poll() is not None:
                    break  # the port was taken meanwhile: try another
                time.sleep(0.05)
                continue

            def stop(proc: subprocess.Popen[bytes] = proc) -> None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                shutil.rmtree(workdir, ignore_errors=True)

            atexit.register(stop)
            return f"redis://127.0.0.1:{port}"
        proc.kill()
    raise RuntimeError("could not start a private redis-server for the tests")


def redis_base() -> str:
    """``redis://127.0.0.1:<port>`` of this run's private Redis (started on first use)."""
    if REDIS_ENV not in os.environ:
        os.environ[REDIS_ENV] = _start_redis()
    return os.environ[REDIS_ENV]


def redis_url(db: int) -> str:
    return f"{redis_base()}/{db}"


def database_name() -> str:
    """This run's PostgreSQL test database (pytest-django adds ``_gwN`` per xdist worker)."""
    return os.environ.get("PGTESTDATABASE") or f"test_saleor_plugins_{run_id()}"
