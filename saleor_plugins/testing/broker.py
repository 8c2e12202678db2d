"""A stand-in for Celery's broker: records which jobs were sent, or refuses when down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from kombu.exceptions import OperationalError

from ..core import tasks
from .clock import Clock

REFUSED = "Error 111 connecting to 127.0.0.1:6379. Connection refused."


@dataclass
class FakeBroker:
    """Records the delivery tasks the kernel sends (job id, when due); ``down`` refuses.

    The ``broker`` fixture installs one; :meth:`install` does it with any monkeypatch.
    Nothing is delivered by itself: hand :meth:`take_due` to
    :func:`saleor_plugins.core.delivery.deliver`, or use :func:`.kernel.run_job`.
    """

    clock: Clock | None = None
    down: bool = False
    sent: list[tuple[int, datetime]] = field(default_factory=list)

    def apply_async(
        self, args: tuple[Any, ...], kwargs: Any = None, countdown: float = 0.0, **_: Any
    ) -> None:
        if self.down:
            raise OperationalError(REFUSED)
        now = self.clock.now() if self.clock else timezone.now()
        self.sent.append((int(args[0]), now + timedelta(seconds=countdown)))

    def fan_out(self, args: tuple[Any, ...], **kwargs: Any) -> None:
        """The fan-out task, run by the "worker" at once: one delivery task per job."""
        if self.down:
            raise OperationalError(REFUSED)
        job_ids, countdown = args[:2]
        for job_id in job_ids:
            self.apply_async((job_id,), countdown=countdown)

    def ids(self) -> list[int]:
        return [job_id for job_id, _ in self.sent]

    def take_due(self) -> list[int]:
        """Pop the tasks whose countdown has run out (in the clock's time)."""
        now = self.clock.now() if self.clock else timezone.now()
        due = [job_id for job_id, eta in self.sent if eta <= now]
        self.sent = [(j, eta) for j, eta in self.sent if eta > now]
        return due

    def install(self, monkeypatch: Any) -> FakeBroker:
        monkeypatch.setattr(tasks.deliver_job, "apply_async", self.apply_async)
        monkeypatch.setattr(tasks.dispatch_jobs, "apply_async", self.fan_out)
        return self
