"""Fixtures for the kernel tests: no-op integrations (the broker, the clock and ``provide``
come from the test kit, ``saleor_plugins.testing``)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from saleor_plugins.core.events import EventType
from saleor_plugins.core.integration import Integration, JobContext, Outcome
from saleor_plugins.core.settings import ChannelSettings, Kind, setting


class NoopSettings(ChannelSettings):
    token: SecretStr | None = setting(None, label="Token", kind=Kind.SECRET)


def noop_integration(n: int, calls: list[JobContext] | None = None) -> type[Integration]:
    """An integration that calls no provider: for counting queries and delivery overhead."""

    class Noop(Integration[NoopSettings]):
        id = f"test.noop{n}"
        name = f"No-op {n}"
        subscribes = frozenset(
            {EventType.ORDER_CREATED, EventType.PRODUCT_UPSERTED, EventType.CUSTOMER_UPSERTED}
        )

        def handle(self, job: JobContext) -> Outcome:
            if calls is not None:
                calls.append(job)
            return Outcome(status_code=200)

    return Noop


@pytest.fixture(autouse=True)
def _fast_commits(request: pytest.FixtureRequest) -> None:
    """Commits need not wait for the disk in tests (the fault test commits thousands)."""
    if "django_db" not in request.keywords:
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
