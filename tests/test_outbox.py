"""Emitting jobs: one write, deduplicated, coalesced, transactional."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from saleor_plugins.core import delivery, outbox
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Job, JobStatus
from saleor_plugins.demo import store

pytestmark = pytest.mark.django_db(transaction=True)

TARGETS = [(f"integration.{i}", "default-channel") for i in range(5)]


def test_emit_writes_every_target_in_one_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        ids = outbox.emit(EventType.ORDER_CREATED, "order-1", TARGETS)
    assert len(ids) == 5
    assert len(queries) == 1
    assert set(Job.objects.values_list("integration", flat=True)) == {t[0] for t in TARGETS}


def test_emitting_the_same_event_twice_creates_no_duplicate() -> None:
    first = outbox.emit(EventType.ORDER_CREATED, "order-1", TARGETS)
    again = outbox.emit(EventType.ORDER_CREATED, "order-1", TARGETS)
    assert len(first) == 5 and again == []
    assert Job.objects.count() == 5


def test_distinct_versions_of_an_event_are_kept() -> None:
    outbox.emit(EventType.ORDER_PAID, "order-1", TARGETS[:1], version="2026-01-01T00:00:00")
    outbox.emit(EventType.ORDER_PAID, "order-1", TARGETS[:1], version="2026-01-02T00:00:00")
    assert Job.objects.count() == 2


def test_later_product_changes_replace_the_pending_job() -> None:
    for _ in range(10):
        outbox.emit(EventType.PRODUCT_UPSERTED, "p-1", TARGETS[:1])
    outbox.emit(EventType.PRODUCT_DELETED, "p-1", TARGETS[:1], payload={"variant_ids": ["7"]})
    job = Job.objects.get()
    assert job.coalesced == 10
    assert job.event == EventType.PRODUCT_DELETED
    assert job.payload == {"variant_ids": ["7"]}


def test_a_change_after_the_job_started_gets_its_own_job() -> None:
    outbox.emit(EventType.PRODUCT_UPSERTED, "p-1", TARGETS[:1])
    Job.objects.update(status=JobStatus.RUNNING)
    outbox.emit(EventType.PRODUCT_UPSERTED, "p-1", TARGETS[:1])
    assert Job.objects.filter(status=JobStatus.PENDING).count() == 1
    assert Job.objects.count() == 2


def test_jobs_roll_back_with_the_transaction() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.emit(EventType.ORDER_CREATED, "order-1", TARGETS)
        raise RuntimeError("the order was not saved")
    assert Job.objects.count() == 0


def test_order_reaches_the_provider_once(sandbox_installed) -> None:
    order = store.place_order(
        "default-channel",
        "a@example.com",
        [{"sku": "SKU-1", "name": "Mug", "quantity": 2, "unit_price": "9.50"}],
    )
    job = Job.objects.get()
    result = delivery.deliver(job.id)
    assert result.outcome == "succeeded"
    assert sandbox_installed.state.effects[f"POST /v1/default-channel/orders/{order.pk}"] == 1
    sent = sandbox_installed.state.objects[f"/v1/default-channel/orders/{order.pk}"]
    assert sent["total"] == "19.000" and sent["lines"] == [{"sku": "SKU-1", "quantity": 2}]
    assert delivery.deliver(job.id).outcome == "not-claimed"


def test_one_backfill_may_name_an_object_twice_and_thousands_of_objects() -> None:
    objects = [(str(i), {}, "") for i in range(2500)] + [("7", {"last": True}, "")]
    ids = outbox.emit_many(EventType.PRODUCT_UPSERTED, objects, TARGETS[:2])
    assert len(ids) == 5000
    assert Job.objects.get(object_id="7", integration=TARGETS[0][0]).payload == {"last": True}
