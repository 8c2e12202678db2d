"""A clock a test moves forward: Django's ``timezone.now`` and the kernel's database clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ..core import clock as kernel_clock


class Clock:
    """Time moved forward on demand: ``django.utils.timezone.now`` and the kernel's
    database clock (:func:`saleor_plugins.core.clock.skew`) move together.

    The ``clock`` fixture installs one; :meth:`install` does it with any monkeypatch.
    """

    def __init__(self) -> None:
        self._real = timezone.now
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self._real() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def install(self, monkeypatch: Any) -> Clock:
        monkeypatch.setattr(timezone, "now", self.now)
        monkeypatch.setattr(kernel_clock, "skew", lambda: self.offset)
        return self
