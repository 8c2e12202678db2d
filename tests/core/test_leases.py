"""A job that outlives its lease: its worker can no longer record, and the heartbeat
keeps a long job's lease while it runs (issue 8, item 4)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections

from saleor_plugins.core import delivery, lease, maintenance
from saleor_plugins.core.events import EventType
from saleor_plugins.core.integration import Integration, JobContext, Outcome
from saleor_plugins.core.models import Attempt, Job, JobStatus
from saleor_plugins.core.outbox import emit
from saleor_plugins.demo.store import install

from .conftest import NoopSettings

pytestmark = pytest.mark.django_db(transaction=True)

CHANNEL = "default-channel"
PAST_THE_LEASE = lease.LEASE + timedelta(seconds=1)


class Recording(Integration):
    """Writes what each run saw; a run can be held at the provider until released."""

    id = "test.recording"
    name = "Recording"
    settings_class = NoopSettings
    subscribes = frozenset({EventType.ORDER_CREATED, EventType.PRODUCT_UPSERTED})
    calls: list[int] = []
    hold: threading.Event | None = None
    entered = threading.Event()

    def handle(self, job: JobContext) -> Outcome:
        type(self).calls.append(job.attempt)
        if self.hold is not None and job.attempt == 1:
            type(self).entered.set()
            self.hold.wait(30)
        return Outcome(status_code=200, detail=f"attempt {job.attempt}")


@pytest.fixture
def recording(provide: Any, broker: Any) -> type[Recording]:
    Recording.calls = []
    Recording.hold = None
    Recording.entered = threading.Event()
    provide(Recording)
    install(Recording.id, CHANNEL)
    return Recording


@pytest.fixture(autouse=True)
def _no_leases_left() -> Any:
    yield
    for job_id, held in lease.heartbeat.held().items():
        lease.heartbeat.release(job_id, held)


def _job() -> Job:
    [job_id] = emit(EventType.ORDER_CREATED, "o-1", [(Recording.id, CHANNEL)])
    return Job.objects.get(id=job_id)


def test_a_stale_worker_cannot_overwrite_its_successors_result(recording) -> None:
    job = _job()
    stale = delivery.claim(job.id)  # worker A claims, then stalls past its lease
    assert stale is not None
    lease.heartbeat.release(job.id, stale.lease)  # A's process is frozen: no heartbeat
    assert maintenance.release_expired(now_offset=PAST_THE_LEASE) == [job.id]

    assert delivery.deliver(job.id).outcome == "succeeded"  # worker B, the successor
    # A wakes up and reports a failure that would send the job back to pending
    recorded = delivery._record(stale, delivery.Result("retry", 503, error="late"), 10)

    assert recorded is False
    job.refresh_from_db()
    assert (job.status, job.last_error, job.last_status_code) == ("succeeded", "", 200)
    outcomes = list(Attempt.objects.order_by("id").values_list("outcome", "error"))
    assert outcomes[0] == ("succeeded", "")
    assert outcomes[1][0] == "stale" and "lease lost" in outcomes[1][1]  # the call is logged


def test_a_stale_success_does_not_finish_a_job_its_successor_still_runs(recording) -> None:
    job = _job()
    stale = delivery.claim(job.id)
    assert stale is not None
    maintenance.release_expired(now_offset=PAST_THE_LEASE)
    successor = delivery.claim(job.id)  # B runs it now
    assert successor is not None and successor.lease == stale.lease + 1

    assert delivery._record(stale, delivery.Result("succeeded", 200), 10) is False
    assert Job.objects.get(id=job.id).status == JobStatus.RUNNING  # still B's
    assert delivery._record(successor, delivery.Result("succeeded", 200), 10) is True
    assert Job.objects.get(id=job.id).status == JobStatus.SUCCEEDED


def test_the_next_job_for_the_object_waits_for_the_lease_holder(recording) -> None:
    first = _job()
    second_id = emit(EventType.ORDER_PAID, "o-1", [(Recording.id, CHANNEL)], version="1")[0]
    held = delivery.claim(first.id)
    assert held is not None
    assert delivery.claim(second_id) is None  # per-object order: the first is running
    lease.heartbeat.renew()  # the worker is alive: its lease is extended, not released
    assert maintenance.release_expired() == []
    assert delivery.claim(second_id) is None
    assert delivery._record(held, delivery.Result("succeeded", 200), 5) is True
    second = delivery.claim(second_id)
    assert second is not None
    assert delivery._record(second, delivery.Result("succeeded", 200), 5) is True


def test_renewal_keeps_live_leases_and_drops_lost_ones(recording) -> None:
    job = _job()
    mine = delivery.claim(job.id)
    assert mine is not None
    Job.objects.filter(id=job.id).update(locked_until=Job.objects.get(id=job.id).updated_at)
    assert lease.heartbeat.renew() == []
    assert Job.objects.get(id=job.id).locked_until > Job.objects.get(id=job.id).updated_at

    # the process stalls past the lease: the sweep gives the job to another worker
    assert maintenance.release_expired(now_offset=PAST_THE_LEASE + lease.LEASE) == [job.id]
    assert lease.heartbeat.renew() == [job.id]  # not renewed: it is no longer ours
    assert job.id not in lease.heartbeat.held()
    assert Job.objects.get(id=job.id).status == JobStatus.PENDING


def test_a_job_longer_than_its_lease_is_not_released_while_it_runs(
    recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lease, "LEASE", timedelta(seconds=1.5))
    monkeypatch.setattr(delivery, "LEASE", timedelta(seconds=1.5))
    monkeypatch.setattr(lease, "BEAT", timedelta(seconds=0.2))
    lease.heartbeat._wake.set()  # the thread may be asleep for the default beat
    recording.hold = threading.Event()
    job = _job()
    outcome: list[str] = []

    def work() -> None:
        try:
            outcome.append(delivery.deliver(job.id).outcome)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert recording.entered.wait(10)
        threading.Event().wait(2.5)  # well past the lease: only renewals keep it
        assert maintenance.release_expired() == []  # what the sweep would do
        assert Job.objects.get(id=job.id).status == JobStatus.RUNNING
    finally:
        recording.hold.set()
        worker.join(30)
    assert outcome == ["succeeded"]
    assert recording.calls == [1]  # nobody ran it beside the first worker


def test_a_worker_whose_clock_is_behind_keeps_its_lease(recording, monkeypatch) -> None:
    """Hosts' clocks disagree; leases are judged on the database's alone."""
    from django.utils import timezone

    job = _job()
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() - timedelta(minutes=10))
    claimed = delivery.claim(job.id)  # on a worker ten minutes behind
    monkeypatch.setattr(timezone, "now", real)
    assert claimed is not None
    assert maintenance.release_expired() == []  # the sweep, on a correct host
    assert Job.objects.get(id=job.id).status == JobStatus.RUNNING


def test_a_web_host_whose_clock_is_ahead_does_not_delay_jobs(recording, monkeypatch) -> None:
    from django.utils import timezone

    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() + timedelta(minutes=10))
    job = _job()  # emitted by a web process ten minutes ahead
    monkeypatch.setattr(timezone, "now", real)
    assert delivery.deliver(job.id).outcome == "succeeded"  # due on the database's clock


def test_companion_jobs_left_unsettled_are_not_renewed_after_the_delivery(
    provide: Any, broker: Any
) -> None:
    """A batching integration claims other jobs inside its handler; if it fails before
    settling them, their leases run out (and the sweep recovers them)."""
    companion: list[int] = []

    class Batching(Recording):
        id = "test.batching"

        def handle(self, job: JobContext) -> Outcome:
            other = delivery.claim(companion[0])
            assert other is not None
            raise RuntimeError("the batch request failed before settling")

    provide(Batching)
    install(Batching.id, CHANNEL)
    first = emit(EventType.ORDER_CREATED, "b-1", [(Batching.id, CHANNEL)])[0]
    companion.append(emit(EventType.ORDER_CREATED, "b-2", [(Batching.id, CHANNEL)])[0])
    assert delivery.deliver(first).outcome == "retry"
    assert lease.heartbeat.held() == {}
    assert Job.objects.get(id=companion[0]).status == JobStatus.RUNNING  # until its lease ends
    assert maintenance.release_expired(now_offset=PAST_THE_LEASE) == [companion[0]]
