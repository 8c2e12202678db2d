"""Database round trips per delivered job (issue 13, item 2): two, whatever the outcome
of the circuit, and no guarantee traded for them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from saleor_plugins.core import circuit, delivery
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Attempt, Circuit, Job, JobStatus
from saleor_plugins.core.outbox import emit
from saleor_plugins.demo.store import install

from .conftest import noop_integration

pytestmark = pytest.mark.django_db(transaction=True)

CHANNEL = "default-channel"


@pytest.fixture
def noop(provide: Any, broker: Any) -> str:
    cls = noop_integration(7)
    provide(cls)
    install(cls.id, CHANNEL)
    return cls.id


def _deliver_counting(job_id: int) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        outcome = delivery.deliver(job_id).outcome
    return outcome, len(queries)


def test_a_successful_job_costs_two_round_trips(noop: str) -> None:
    first, second = (
        emit(EventType.ORDER_CREATED, "o-1", [(noop, CHANNEL)])[0],
        emit(EventType.ORDER_PAID, "o-1", [(noop, CHANNEL)], version="1")[0],
    )
    assert _deliver_counting(first) == ("succeeded", 2)  # claim, record (+ successor)
    assert _deliver_counting(second) == ("succeeded", 2)
    assert Attempt.objects.filter(outcome="succeeded").count() == 2  # the sync log


def test_a_probe_that_succeeds_closes_the_circuit_in_the_same_two(noop: str, broker) -> None:
    waiting = emit(EventType.ORDER_CREATED, "o-2", [(noop, CHANNEL)])[0]
    probe = emit(EventType.ORDER_CREATED, "o-3", [(noop, CHANNEL)])[0]
    circuit.open_circuit(noop, CHANNEL, "AuthenticationError: 401")
    Circuit.objects.update(retry_at=Circuit.objects.get().opened_at - timedelta(seconds=1))
    Job.objects.filter(id=waiting).update(not_before=Circuit.objects.get().opened_at)
    Job.objects.filter(id=waiting).update(status=JobStatus.PENDING)

    assert _deliver_counting(probe) == ("succeeded", 2)
    assert not Circuit.objects.get().is_open
    assert waiting in broker.ids()  # the jobs that waited on the circuit are sent


def test_an_open_circuit_costs_two_and_spends_no_attempt(noop: str) -> None:
    job_id = emit(EventType.ORDER_CREATED, "o-4", [(noop, CHANNEL)])[0]
    circuit.open_circuit(noop, CHANNEL, "AuthenticationError: 401")
    assert _deliver_counting(job_id) == ("circuit", 2)
    job = Job.objects.get(id=job_id)
    assert job.status == JobStatus.PENDING and job.attempts == 0
    assert job.not_before == Circuit.objects.get().retry_at


def test_an_inactive_installation_is_skipped_in_two(noop: str) -> None:
    install(noop, CHANNEL, active=False)
    job_id = emit(EventType.ORDER_CREATED, "o-5", [(noop, CHANNEL)])[0]
    assert _deliver_counting(job_id) == ("skipped", 2)


def test_a_host_without_installation_sql_costs_one_more(noop: str, monkeypatch) -> None:
    from saleor_plugins.demo.host import DemoHost

    monkeypatch.delattr(DemoHost, "installation_sql")
    job_id = emit(EventType.ORDER_CREATED, "o-6", [(noop, CHANNEL)])[0]
    assert _deliver_counting(job_id) == ("succeeded", 3)


def test_a_changed_configuration_is_read_by_the_next_job(noop: str, provide: Any) -> None:
    seen: list[str | None] = []

    class Reads(noop_integration(8)):  # type: ignore[misc]
        def handle(self, job: Any) -> Any:
            token = self.settings.token
            seen.append(token.get_secret_value() if token else None)
            return super().handle(job)

    provide(Reads)
    for n, token in enumerate(("first-token-value", "second-token-value")):
        install(Reads.id, CHANNEL, token=token)
        delivery.deliver(emit(EventType.ORDER_CREATED, f"t-{n}", [(Reads.id, CHANNEL)])[0])
    assert seen == ["first-token-value", "second-token-value"]  # parsed once per version
