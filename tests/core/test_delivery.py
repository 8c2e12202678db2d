"""Delivering jobs: outcomes a merchant would notice at the provider and in the sync log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from saleor_plugins.core import backoff, circuit, delivery, registry
from saleor_plugins.core.hookspecs import hookimpl
from saleor_plugins.core.models import Attempt, Circuit, Job, JobStatus
from saleor_plugins.demo import store
from saleor_plugins.demo.connector import SandboxIntegration
from saleor_plugins.demo.sandbox import Sandbox
from tests.conftest import SANDBOX_KEY

pytestmark = pytest.mark.django_db(transaction=True)

SANDBOX = "saleor_plugins.sandbox"
CHANNEL = "default-channel"
LINES = [{"sku": "SKU-1", "name": "Mug", "quantity": 1, "unit_price": "5.00"}]


def order_path(order: Any) -> str:
    return f"POST /v1/{CHANNEL}/orders/{order.pk}"


def place() -> Any:
    return store.place_order(CHANNEL, "a@example.com", LINES)


def job_of(order: Any) -> Job:
    return Job.objects.get(object_id=str(order.pk), event="order_created")


def fail_with(sandbox: Sandbox, *faults: tuple[Any, ...]) -> None:
    """The next requests fail with these faults, in order; later ones succeed."""
    queue = list(faults)
    sandbox.state.fault = lambda method, path, n: queue.pop(0) if queue else None


def test_success_is_recorded_in_the_sync_log(sandbox_installed: Sandbox, broker) -> None:
    order = place()
    result = delivery.deliver(job_of(order).id)
    assert (result.outcome, result.status_code) == ("succeeded", 200)
    job = job_of(order)
    assert job.status == JobStatus.SUCCEEDED and job.finished_at is not None
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.status_code, attempt.job_id) == ("succeeded", 200, job.id)
    assert sandbox_installed.state.effects[order_path(order)] == 1


def test_a_5xx_is_retried_with_backoff_and_then_succeeds(sandbox_installed, broker) -> None:
    fail_with(sandbox_installed, ("status", 503))
    order = place()
    broker.sent.clear()
    before = timezone.now()
    assert delivery.deliver(job_of(order).id).outcome == "retry"
    job = job_of(order)
    assert job.status == JobStatus.PENDING and job.attempts == 1
    assert job.last_status_code == 503
    wait = (job.not_before - before).total_seconds()
    assert 1.0 <= wait <= 2.5  # attempt 1: between BASE/2 and BASE, plus the call itself
    [(job_id, eta)] = broker.sent  # re-sent with a countdown, not lost
    assert job_id == job.id and abs((eta - job.not_before).total_seconds()) < 0.5

    assert delivery.deliver(job.id).outcome == "not-claimed"  # not due yet
    Job.objects.filter(id=job.id).update(not_before=timezone.now())
    assert delivery.deliver(job.id).outcome == "succeeded"
    assert [a.outcome for a in Attempt.objects.order_by("id")] == ["retry", "succeeded"]
    assert sandbox_installed.state.effects[order_path(order)] == 1


def test_a_429_waits_at_least_retry_after(sandbox_installed, broker) -> None:
    fail_with(sandbox_installed, ("status", 429, {"Retry-After": "45"}))
    order = place()
    before = timezone.now()
    result = delivery.deliver(job_of(order).id)
    assert (result.outcome, result.retry_after) == ("retry", 45.0)
    assert job_of(order).not_before >= before + timedelta(seconds=45)


def test_timeouts_and_resets_are_retried_and_the_effect_happens_once(
    sandbox_installed, broker, monkeypatch
) -> None:
    monkeypatch.setattr(SandboxIntegration, "timeout", (1.0, 0.2))
    # the slow reply is applied by the provider after we gave up: the retry must not
    # create the order a second time (same idempotency key, replayed reply)
    fail_with(sandbox_installed, ("sleep", 0.4), ("reset",))
    order = place()
    job_id = job_of(order).id
    for expected in ("retry", "retry", "succeeded"):
        Job.objects.filter(id=job_id).update(not_before=timezone.now())
        result = delivery.deliver(job_id)
        assert result.outcome == expected, result.error
    errors = list(Attempt.objects.order_by("id").values_list("error", flat=True))
    assert "unreachable" in errors[0] and "unreachable" in errors[1]
    assert sandbox_installed.state.effects[order_path(order)] == 1
    assert len(sandbox_installed.state.replies) == 1


def test_a_permanent_failure_is_dead_lettered_with_the_providers_reason(
    sandbox_installed, broker
) -> None:
    fail_with(sandbox_installed, ("status", 422))
    order = place()
    result = delivery.deliver(job_of(order).id)
    assert result.outcome == "dead"
    job = job_of(order)
    assert job.status == JobStatus.DEAD and job.finished_at is not None
    assert "sandbox answered 422" in job.last_error and "injected" in job.last_error
    assert Attempt.objects.get().error == job.last_error


def test_transient_failures_give_up_after_max_attempts(sandbox_installed, broker) -> None:
    fail_with(sandbox_installed, ("status", 500))
    order = place()
    Job.objects.update(attempts=backoff.MAX_ATTEMPTS - 1)
    assert delivery.deliver(job_of(order).id).outcome == "dead"
    assert job_of(order).last_error.startswith(f"gave up after {backoff.MAX_ATTEMPTS} attempts")


def test_an_inactive_integration_skips_its_jobs(sandbox_installed, broker) -> None:
    order = place()
    store.install(SANDBOX, CHANNEL, active=False, endpoint=sandbox_installed.url)
    assert delivery.deliver(job_of(order).id).outcome == "skipped"
    assert sandbox_installed.state.requests == 0


class CircuitHook:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    @hookimpl
    def saleor_plugins_circuit_opened(self, integration: str, channel: str, reason: str) -> None:
        self.calls.append((integration, channel, reason))


@pytest.fixture
def refused(sandbox: Sandbox, db: None) -> Any:
    """The sandbox installed with a key it refuses; a hook recording circuit openings."""
    store.install(SANDBOX, CHANNEL, endpoint=sandbox.url, api_key="sk_wrong_key_000000")
    hook = CircuitHook()
    registry.register(hook)
    yield hook
    registry.unregister(hook)


def test_a_refused_key_opens_the_circuit_and_jobs_wait_without_calls(
    sandbox: Sandbox, refused: CircuitHook, broker
) -> None:
    orders = [place() for _ in range(4)]
    first = delivery.deliver(job_of(orders[0]).id)
    assert (first.outcome, first.status_code) == ("circuit", 401)
    for order in orders[1:]:
        assert delivery.deliver(job_of(order).id).outcome == "circuit"
    assert sandbox.state.requests == 1  # one provider call, no retry storm

    breaker = Circuit.objects.get()
    assert breaker.is_open and breaker.retry_at and "invalid api key" in breaker.reason
    assert refused.calls == [(SANDBOX, CHANNEL, breaker.reason)]  # the merchant is told once
    for order in orders:
        job = job_of(order)
        assert job.status == JobStatus.PENDING and job.attempts == 0  # no attempt spent
        assert job.not_before >= breaker.retry_at - timedelta(seconds=1)
    assert Attempt.objects.filter(outcome="circuit").count() == 4


def test_once_retry_at_passes_exactly_one_job_probes(sandbox: Sandbox, refused, broker) -> None:
    orders = [place() for _ in range(3)]
    delivery.deliver(job_of(orders[0]).id)
    Circuit.objects.update(retry_at=timezone.now() - timedelta(seconds=1))
    Job.objects.update(not_before=timezone.now())
    outcomes = [delivery.deliver(job_of(o).id).outcome for o in orders]
    assert outcomes == ["circuit", "circuit", "circuit"]
    assert sandbox.state.requests == 2  # the first refusal and one probe
    breaker = Circuit.objects.get()
    assert breaker.failures == 2 and breaker.retry_at is not None  # the wait doubles
    assert breaker.retry_at - timezone.now() > circuit.FIRST_WAIT


def test_saving_fixed_credentials_closes_the_circuit_and_sends_the_queue(
    sandbox: Sandbox, refused, broker
) -> None:
    orders = [place() for _ in range(3)]
    for order in orders:
        delivery.deliver(job_of(order).id)
    broker.sent.clear()

    store.install(SANDBOX, CHANNEL, endpoint=sandbox.url, api_key=SANDBOX_KEY)
    released = circuit.close_circuit(SANDBOX, CHANNEL)  # what saving the plugin does

    assert sorted(released) == sorted(job_of(o).id for o in orders)
    assert sorted(broker.ids()) == sorted(released)  # dispatched now, not at retry_at
    assert not Circuit.objects.get().is_open
    for job_id in broker.ids():
        assert delivery.deliver(job_id).outcome == "succeeded"
    for order in orders:
        assert sandbox.state.effects[f"POST /v1/{CHANNEL}/orders/{order.pk}"] == 1


def test_a_job_that_saw_the_circuit_open_as_it_closed_is_not_parked(
    sandbox: Sandbox, refused, broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merchant saves fixed credentials while a worker holds a job that found the
    circuit open: the job does not wait for the closed circuit's old retry time."""
    orders = [place() for _ in range(2)]
    delivery.deliver(job_of(orders[0]).id)  # refused: the circuit opens
    store.install(SANDBOX, CHANNEL, endpoint=sandbox.url, api_key=SANDBOX_KEY)
    run = delivery._run

    def saved_meanwhile(job: Any) -> delivery.Result:
        result = run(job)  # found the circuit open
        circuit.close_circuit(SANDBOX, CHANNEL)  # saved before the worker records
        return result

    monkeypatch.setattr(delivery, "_run", saved_meanwhile)
    broker.sent.clear()
    assert delivery.deliver(job_of(orders[1]).id).outcome == "circuit"
    monkeypatch.undo()
    waiting = job_of(orders[1])
    assert waiting.status == JobStatus.PENDING and waiting.not_before <= timezone.now()
    assert waiting.id in broker.ids()  # sent again now, not left to the sweep
    assert delivery.deliver(waiting.id).outcome == "succeeded"


def test_a_successful_probe_closes_the_circuit(sandbox: Sandbox, refused, broker) -> None:
    orders = [place() for _ in range(2)]
    delivery.deliver(job_of(orders[0]).id)
    store.install(SANDBOX, CHANNEL, endpoint=sandbox.url, api_key=SANDBOX_KEY)  # fixed, unsaid
    Circuit.objects.update(retry_at=timezone.now())
    Job.objects.update(not_before=timezone.now())
    broker.sent.clear()
    assert delivery.deliver(job_of(orders[0]).id).outcome == "succeeded"
    assert not Circuit.objects.get().is_open
    assert job_of(orders[1]).id in broker.ids()


def test_jobs_for_one_object_run_in_order(sandbox_installed, broker) -> None:
    fail_with(sandbox_installed, ("status", 502))
    order = place()
    store.mark_paid(order)
    created, paid = job_of(order), Job.objects.get(event="order_paid")

    assert delivery.deliver(paid.id).outcome == "not-claimed"  # created comes first
    assert delivery.deliver(created.id).outcome == "retry"
    assert delivery.deliver(paid.id).outcome == "not-claimed"  # still waits behind it
    Job.objects.filter(id=created.id).update(not_before=timezone.now())
    broker.sent.clear()
    assert delivery.deliver(created.id).outcome == "succeeded"
    assert paid.id in broker.ids()  # the successor is kicked
    assert delivery.deliver(paid.id).outcome == "succeeded"
    paths = [p for m, p, c in sandbox_installed.state.log if c == 200]
    base = f"/v1/{CHANNEL}/orders/{order.pk}"
    assert paths == [base, f"{base}/payments"]


def test_a_job_runs_once_when_dispatched_twice(sandbox_installed, broker) -> None:
    order = place()
    job_id = job_of(order).id
    assert delivery.claim(job_id) is not None
    assert delivery.deliver(job_id).outcome == "not-claimed"  # another worker holds it
    assert sandbox_installed.state.requests == 0


def test_the_idempotency_key_is_stable_across_retries_and_distinct_per_job(
    sandbox_installed, broker
) -> None:
    a, b = place(), place()
    key_a1 = delivery.claim(job_of(a).id)
    Job.objects.update(status=JobStatus.PENDING)
    key_a2 = delivery.claim(job_of(a).id)
    key_b = delivery.claim(job_of(b).id)
    assert key_a1 and key_a2 and key_b
    assert key_a1.idempotency_key == key_a2.idempotency_key != key_b.idempotency_key


def test_a_failed_product_job_is_superseded_by_a_change_queued_meanwhile(
    sandbox_installed: Sandbox, broker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_with(sandbox_installed, ("status", 503))
    product = store.upsert_product("Mug", [CHANNEL], [])
    first = Job.objects.get()
    original = SandboxIntegration.on_product_upserted

    def edited_meanwhile(self: SandboxIntegration, job: Any) -> Any:
        store.upsert_product("Mug v2", [CHANNEL], [], product=product)
        return original(self, job)

    with monkeypatch.context() as m:
        m.setattr(SandboxIntegration, "on_product_upserted", edited_meanwhile)
        assert delivery.deliver(first.id).outcome == "retry"  # no IntegrityError escapes

    first.refresh_from_db()
    assert first.status == JobStatus.SKIPPED and "superseded" in first.last_error
    newer = Job.objects.get(status=JobStatus.PENDING)
    assert newer.id in broker.ids()  # kicked: it no longer waits behind the first
    assert delivery.deliver(newer.id).outcome == "succeeded"
    assert sandbox_installed.state.objects[f"/v1/{CHANNEL}/products/{product.pk}"]["name"] == (
        "Mug v2"
    )


def test_what_the_integration_reports_is_kept_in_the_sync_log(provide: Any, broker: Any) -> None:
    from saleor_plugins.core import outbox
    from saleor_plugins.core.events import EventType
    from saleor_plugins.core.integration import JobContext, Outcome

    from .conftest import noop_integration

    reporting = noop_integration(81)

    def handle(self: Any, job: JobContext) -> Outcome:
        return Outcome(status_code=200, detail="member: pending (double opt-in)")

    reporting.handle = handle  # type: ignore[method-assign]
    provide(reporting)
    store.install(reporting.id, "default-channel")
    [job_id] = outbox.emit(EventType.ORDER_CREATED, "o-1", [(reporting.id, "default-channel")])
    assert delivery.deliver(job_id).outcome == "succeeded"
    attempt = Attempt.objects.get(job_id=job_id)
    assert (attempt.outcome, attempt.detail) == ("succeeded", "member: pending (double opt-in)")
