"""Fixtures for the kernel tests: a recording broker, no-op integrations, a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError
from pydantic import SecretStr

from saleor_plugins.core import clock as kernel_clock
from saleor_plugins.core import registry, tasks
from saleor_plugins.core.events import EventType
from saleor_plugins.core.hookspecs import hookimpl
from saleor_plugins.core.integration import Integration, JobContext, Outcome
from saleor_plugins.core.settings import ChannelSettings, Kind, setting


@dataclass
class FakeBroker:
    """Stands in for Celery's broker: records what was sent, or refuses when down."""

    clock: Clock | None = None
    down: bool = False
    sent: list[tuple[int, datetime]] = field(default_factory=list)

    def apply_async(
        self, args: tuple[Any, ...], kwargs: Any = None, countdown: float = 0.0, **_: Any
    ) -> None:
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        now = self.clock.now() if self.clock else timezone.now()
        self.sent.append((int(args[0]), now + timedelta(seconds=countdown)))

    def ids(self) -> list[int]:
        return [job_id for job_id, _ in self.sent]

    def take_due(self) -> list[int]:
        """Pop the tasks whose countdown has run out (in the clock's time)."""
        now = self.clock.now() if self.clock else timezone.now()
        due = [job_id for job_id, eta in self.sent if eta <= now]
        self.sent = [(j, eta) for j, eta in self.sent if eta > now]
        return due


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> FakeBroker:
    fake = FakeBroker()
    monkeypatch.setattr(tasks.deliver_job, "apply_async", fake.apply_async)

    def fan_out(args: tuple[Any, ...], **kwargs: Any) -> None:
        # the fan-out task, run by the "worker" at once: one delivery task per job
        if fake.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        job_ids, countdown = args[:2]
        for job_id in job_ids:
            fake.apply_async((job_id,), countdown=countdown)

    monkeypatch.setattr(tasks.dispatch_jobs, "apply_async", fan_out)
    return fake


class Clock:
    """Time moved forward on demand: ``django.utils.timezone.now`` and the kernel's
    database clock (:func:`saleor_plugins.core.clock.skew`) move together."""

    def __init__(self) -> None:
        self._real = timezone.now
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self._real() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(timezone, "now", c.now)
    monkeypatch.setattr(kernel_clock, "skew", lambda: c.offset)
    return c


class NoopSettings(ChannelSettings):
    token: SecretStr | None = setting(None, label="Token", kind=Kind.SECRET)


def noop_integration(n: int, calls: list[JobContext] | None = None) -> type[Integration]:
    """An integration that calls no provider: for counting queries and delivery overhead."""

    class Noop(Integration):
        id = f"test.noop{n}"
        name = f"No-op {n}"
        settings_class = NoopSettings
        subscribes = frozenset(
            {EventType.ORDER_CREATED, EventType.PRODUCT_UPSERTED, EventType.CUSTOMER_UPSERTED}
        )

        def handle(self, job: JobContext) -> Outcome:
            if calls is not None:
                calls.append(job)
            return Outcome(status_code=200)

    return Noop


class Provides:
    """A pluggy plugin object offering the given integration classes."""

    def __init__(self, *classes: type[Integration]) -> None:
        self.classes = list(classes)

    @hookimpl
    def saleor_plugins_integrations(self) -> list[type[Integration]]:
        return self.classes


@pytest.fixture
def provide() -> Iterator[Any]:
    """``provide(cls, ...)`` registers integrations for the test and removes them after."""
    plugins: list[Provides] = []

    def _provide(*classes: type[Integration]) -> Provides:
        plugin = Provides(*classes)
        registry.register(plugin)
        plugins.append(plugin)
        return plugin

    yield _provide
    for plugin in plugins:
        registry.unregister(plugin)


@pytest.fixture(autouse=True)
def _fast_commits(request: pytest.FixtureRequest) -> None:
    """Commits need not wait for the disk in tests (the fault test commits thousands)."""
    if "django_db" not in request.keywords:
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
