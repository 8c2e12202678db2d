"""Where Celery runs eagerly the kernel says so loudly, and tasks carry only a job id."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from saleor_plugins.core import outbox, tasks
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Job


def test_eager_celery_is_reported_by_the_system_check() -> None:
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        messages = [m for m in run_checks() if m.id == "saleor_plugins.W001"]
    assert len(messages) == 1 and "saleor_plugins_deliver" in (messages[0].hint or "")
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        assert not [m for m in run_checks() if m.id == "saleor_plugins.W001"]
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True, SALEOR_PLUGINS_ALLOW_EAGER=True):
        assert not [m for m in run_checks() if m.id == "saleor_plugins.W001"]


@pytest.mark.django_db(transaction=True)
def test_eager_celery_never_runs_provider_calls_in_the_request(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(tasks.deliver_job, "apply_async", lambda *a, **k: sent.append(a))
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        outbox.emit(EventType.ORDER_CREATED, "order-1", [("test.noop0", "c")])
    assert sent == [] and Job.objects.count() == 1  # left for the worker / deliver command
    assert "Celery runs eagerly" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_tasks_carry_the_job_id_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    monkeypatch.setattr(
        tasks.deliver_job, "apply_async", lambda args, **kw: calls.append((args, kw))
    )
    payload = {"email": "shopper@example.com", "total": "19.00"}
    ids = outbox.emit(EventType.ORDER_CREATED, "order-1", [("test.noop0", "c")], payload=payload)
    assert [args for args, _ in calls] == [(ids[0],)]
    assert "shopper@example.com" not in repr(calls)


@pytest.mark.django_db(transaction=True)
def test_one_event_for_five_integrations_is_one_publish_of_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    singles: list[Any] = []
    fan_outs: list[Any] = []
    monkeypatch.setattr(tasks.deliver_job, "apply_async", lambda a, **k: singles.append(a))
    monkeypatch.setattr(tasks.dispatch_jobs, "apply_async", lambda a, **k: fan_outs.append(a))
    targets = [(f"test.noop{i}", "c") for i in range(5)]
    ids = outbox.emit(EventType.ORDER_CREATED, "order-1", targets, payload={"email": "x@y.z"})
    assert singles == [] and fan_outs == [(ids, 0.0)]  # the request published once
    # the worker's fan-out sends one delivery task per job, each with its id alone
    tasks.dispatch_jobs.run(*fan_outs[0])
    assert singles == [(i,) for i in ids]
