"""Live store events go before bulk work (a backfill) at the broker (issue 13, item 3)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from saleor_plugins.core import handoff, maintenance, tasks
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Job
from saleor_plugins.core.outbox import emit, emit_many
from saleor_plugins.demo import store

from .conftest import noop_integration

pytestmark = pytest.mark.django_db(transaction=True)

CHANNEL = "default-channel"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(tasks.deliver_job, "apply_async", lambda a, **k: calls.append((a, k)))
    monkeypatch.setattr(tasks.dispatch_jobs, "apply_async", lambda a, **k: calls.append((a, k)))
    return calls


@pytest.fixture
def noop(provide: Any) -> str:
    cls = noop_integration(11)
    provide(cls)
    store.install(cls.id, CHANNEL)
    return cls.id


def test_bulk_jobs_go_to_the_broker_behind_live_ones(noop: str, sent, settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/13"
    emit_many(EventType.ORDER_CREATED, [("b-1", {}, "")], [(noop, CHANNEL)], priority=handoff.BULK)
    emit(EventType.ORDER_CREATED, "live-1", [(noop, CHANNEL)])
    (_, bulk_options), (_, live_options) = sent
    assert bulk_options["priority"] == 9  # Redis serves priority 0 first
    assert "priority" not in live_options
    assert Job.objects.get(object_id="b-1").priority == handoff.BULK
    assert Job.objects.get(object_id="live-1").priority == handoff.LIVE


def test_a_bulk_queue_takes_bulk_jobs_on_any_broker(noop: str, sent, settings) -> None:
    settings.CELERY_BROKER_URL = "amqp://guest@rabbit//"
    settings.SALEOR_PLUGINS_BULK_QUEUE = "saleor_plugins_bulk"
    emit_many(EventType.ORDER_CREATED, [("b-2", {}, "")], [(noop, CHANNEL)], priority=handoff.BULK)
    emit(EventType.ORDER_CREATED, "live-2", [(noop, CHANNEL)])
    assert sent[0][1]["queue"] == "saleor_plugins_bulk"
    assert "queue" not in sent[1][1]


def test_a_live_change_makes_a_pending_bulk_job_live(noop: str, sent) -> None:
    emit_many(
        EventType.PRODUCT_UPSERTED, [("p-1", {}, "")], [(noop, CHANNEL)], priority=handoff.BULK
    )
    emit(EventType.PRODUCT_UPSERTED, "p-1", [(noop, CHANNEL)])  # coalesces into it
    assert list(Job.objects.values_list("priority", flat=True)) == [handoff.LIVE]


def test_the_sweep_sends_live_jobs_first(noop: str, sent, settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/13"
    emit_many(
        EventType.ORDER_CREATED,
        [(f"b-{n}", {}, "") for n in range(3)],
        [(noop, CHANNEL)],
        priority=handoff.BULK,
    )
    emit(EventType.ORDER_CREATED, "live-3", [(noop, CHANNEL)])
    sent.clear()
    maintenance.sweep(grace=maintenance.GRACE * 0)
    first, *rest = sent
    live_id = Job.objects.get(object_id="live-3").id
    assert first[0] == (live_id,) and "priority" not in first[1]
    assert all(options.get("priority") == 9 for _, options in rest)


def test_the_backfill_command_emits_bulk_jobs(sandbox_installed: Any, sent) -> None:
    store.place_order(
        CHANNEL, "a@example.com", [{"sku": "S", "name": "M", "quantity": 1, "unit_price": "1"}]
    )
    Job.objects.all().delete()
    call_command(
        "saleor_plugins_backfill",
        "--integration=saleor_plugins.sandbox",
        f"--channel={CHANNEL}",
        "--object-type=order",
        "--no-progress",
        stdout=StringIO(),
    )
    assert set(Job.objects.values_list("priority", flat=True)) == {handoff.BULK}
