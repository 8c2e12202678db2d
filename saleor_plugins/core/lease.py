"""Leases held by this process, renewed while their jobs run (the heartbeat).

A claim gives the worker the job for :data:`LEASE`; the sweep gives a job whose lease
ran out to another worker (its worker is presumed dead). A job may run longer than the
lease (a product with many variants, each call with its own timeout), so one daemon
thread per process renews every lease it holds every :data:`BEAT`, in one statement.
A lease that another worker has taken meanwhile is not renewed (the row's fencing token
moved on) and is dropped: that worker's result will be refused when it is recorded.
A lease is renewed for at most :data:`MAX_HOLD`, so a job whose worker hangs is
eventually released even if its process lives on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta

from django.db import connection

from . import clock
from .host import writer_scope

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BEAT = timedelta(seconds=60)
MAX_HOLD = timedelta(hours=1)

_RENEW = f"""
UPDATE saleor_plugins_job AS j SET locked_until = {clock.NOW} + %(lease)s
  FROM unnest(%(ids)s::bigint[], %(leases)s::bigint[]) AS h(id, lease)
 WHERE j.id = h.id AND j.lease = h.lease AND j.status = 'running'
RETURNING j.id
"""


class Heartbeat:
    """The leases this process holds, and the thread renewing them."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[int, float]] = {}  # job id -> (lease, claimed at)
        self._lock = threading.Lock()
        self._pid = 0
        self._wake = threading.Event()

    def hold(self, job_id: int, lease: int) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first hold in this (possibly forked) process
                self._pid = os.getpid()
                self._held = {}  # a forked child holds none of its parent's leases
                threading.Thread(
                    target=self._loop, name="saleor-plugins-lease", daemon=True
                ).start()
            self._held[job_id] = (lease, time.monotonic())

    def release(self, job_id: int, lease: int) -> None:
        with self._lock:
            if self._held.get(job_id, (None,))[0] == lease:
                del self._held[job_id]

    def held(self) -> dict[int, int]:
        with self._lock:
            return {job_id: lease for job_id, (lease, _) in self._held.items()}

    def renew(self) -> list[int]:
        """Extend every lease still ours; returns the job ids whose lease was lost."""
        cutoff = time.monotonic() - MAX_HOLD.total_seconds()
        with self._lock:
            expired = [j for j, (_, at) in self._held.items() if at < cutoff]
            for job_id in expired:
                del self._held[job_id]
            held = {j: lease for j, (lease, _) in self._held.items()}
        for job_id in expired:
            logger.error(
                "saleor_plugins: job %s ran longer than %s; its lease is no longer renewed",
                job_id,
                MAX_HOLD,
            )
        if not held:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                _RENEW,
                clock.params(lease=LEASE, ids=list(held), leases=list(held.values())),
            )
            renewed = {row[0] for row in cursor.fetchall()}
        lost = [job_id for job_id in held if job_id not in renewed]
        for job_id in lost:
            self.release(job_id, held[job_id])
            logger.warning(
                "saleor_plugins: job %s lost its lease to another worker; "
                "its result will not be recorded",
                job_id,
            )
        return lost

    def _loop(self) -> None:
        while True:
            self._wake.wait(BEAT.total_seconds())
            self._wake.clear()
            if not self.held():
                continue
            try:
                with writer_scope():
                    self.renew()
            except Exception:
                logger.exception("saleor_plugins: renewing leases failed")
            finally:
                connection.close()  # one statement a minute: no connection kept idle


heartbeat = Heartbeat()
