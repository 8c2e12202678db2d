"""The safety nets: the sweep finds lost dispatches and dead workers, reconciliation
finds events that were never emitted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from saleor_plugins.core import delivery, maintenance, outbox
from saleor_plugins.core.models import Job, JobStatus
from saleor_plugins.demo import store
from saleor_plugins.demo.models import DemoInstallation, DemoOrder
from saleor_plugins.demo.sandbox import Sandbox
from tests.conftest import SANDBOX_KEY

pytestmark = pytest.mark.django_db(transaction=True)

CHANNEL = "default-channel"
LINES = [{"sku": "SKU-1", "name": "Mug", "quantity": 1, "unit_price": "5.00"}]
LATER = maintenance.GRACE + timedelta(seconds=1)


def test_a_job_whose_dispatch_was_lost_is_dispatched_by_the_sweep(
    sandbox_installed: Sandbox, broker: Any
) -> None:
    broker.down = True
    order = store.place_order(CHANNEL, "a@example.com", LINES)  # the order is still saved
    job = Job.objects.get()
    broker.down = False
    assert broker.ids() == []

    assert maintenance.sweep() == 0  # within the grace period it may still be in flight
    Job.objects.update(not_before=timezone.now() - LATER)  # a minute passes
    assert maintenance.sweep() == 1
    assert broker.ids() == [job.id]
    assert maintenance.sweep() == 0  # not re-sent on every sweep...
    assert maintenance.sweep(now_offset=LATER) == 1  # ...only if still waiting a minute on

    assert delivery.deliver(job.id).outcome == "succeeded"
    assert sandbox_installed.state.effects[f"POST /v1/{CHANNEL}/orders/{order.pk}"] == 1


def test_a_job_left_running_by_a_dead_worker_is_released_after_its_lease(
    sandbox_installed: Sandbox, broker: Any
) -> None:
    order = store.place_order(CHANNEL, "a@example.com", LINES)
    job = Job.objects.get()
    assert delivery.claim(job.id) is not None  # the worker claimed it, then died
    broker.sent.clear()

    maintenance.sweep(now_offset=LATER)
    assert Job.objects.get().status == JobStatus.RUNNING  # its lease still runs

    maintenance.sweep(now_offset=delivery.LEASE + timedelta(seconds=1))
    released = Job.objects.get()
    assert released.status == JobStatus.PENDING and released.not_before <= timezone.now()
    assert "worker lost" in released.last_error
    assert broker.ids() == [job.id]
    assert delivery.deliver(job.id).outcome == "succeeded"
    assert sandbox_installed.state.effects[f"POST /v1/{CHANNEL}/orders/{order.pk}"] == 1


def test_the_sweep_prunes_the_old_sync_log_but_keeps_dead_jobs(
    sandbox_installed: Sandbox, broker: Any
) -> None:
    for _ in range(2):
        store.place_order(CHANNEL, "a@example.com", LINES)
    first, second = Job.objects.order_by("id")
    delivery.deliver(first.id)
    Job.objects.filter(id=second.id).update(status=JobStatus.DEAD, finished_at=timezone.now())
    old = timezone.now() - maintenance.retention() - timedelta(days=1)
    Job.objects.update(finished_at=old)
    maintenance.sweep()
    assert list(Job.objects.values_list("id", flat=True)) == [second.id]


def test_an_order_committed_without_its_emit_is_emitted_once(
    sandbox_installed: Sandbox, broker: Any
) -> None:
    lost = store.place_order(CHANNEL, "a@example.com", LINES, emit=False)  # died before emit
    store.place_order(CHANNEL, "b@example.com", LINES)  # emitted normally

    assert maintenance.reconcile() == 0  # too recent: its request may still be running
    assert maintenance.reconcile(settle=timedelta(0)) == 1
    assert maintenance.reconcile(settle=timedelta(0)) == 0
    assert Job.objects.filter(object_id=str(lost.pk)).count() == 1
    for job in Job.objects.all():
        assert delivery.deliver(job.id).outcome == "succeeded"
    assert sandbox_installed.state.effects[f"POST /v1/{CHANNEL}/orders/{lost.pk}"] == 1


def test_a_product_change_is_covered_by_a_pending_job_only(
    sandbox_installed: Sandbox, broker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = store.upsert_product("Mug", [CHANNEL], [])
    assert maintenance.reconcile(settle=timedelta(0)) == 0  # its pending job covers it

    job = Job.objects.get()
    assert delivery.claim(job.id) is not None  # the job has read the product...
    with monkeypatch.context() as m:  # ...when a change is saved and its emit lost
        m.setattr(outbox, "emit", lambda *a, **k: [])
        store.upsert_product("Mug v2", [CHANNEL], [], product=product)
    assert maintenance.reconcile(settle=timedelta(0)) == 1
    assert maintenance.reconcile(settle=timedelta(0)) == 0
    assert Job.objects.filter(status=JobStatus.PENDING).count() == 1


def test_a_lost_product_job_is_superseded_when_a_newer_change_waits(
    sandbox_installed: Sandbox, broker: Any
) -> None:
    product = store.upsert_product("Mug", [CHANNEL], [])
    first = Job.objects.get()
    assert delivery.claim(first.id) is not None  # the worker dies mid-job...
    store.upsert_product("Mug v2", [CHANNEL], [], product=product)  # ...and the shop goes on
    broker.sent.clear()

    maintenance.sweep(now_offset=delivery.LEASE + timedelta(seconds=1))  # does not fail

    first.refresh_from_db()
    assert first.status == JobStatus.SKIPPED and first.finished_at is not None
    newer = Job.objects.get(status=JobStatus.PENDING)
    assert broker.ids() == [newer.id]
    assert delivery.deliver(newer.id).outcome == "succeeded"
    assert sandbox_installed.state.objects[f"/v1/{CHANNEL}/products/{product.pk}"]["name"] == (
        "Mug v2"
    )


def test_reconciliation_emits_in_few_statements(sandbox_installed: Sandbox, broker: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(30):
        store.place_order(CHANNEL, "a@example.com", LINES, emit=False)
    with CaptureQueriesContext(connection) as queries:
        assert maintenance.reconcile(settle=timedelta(0)) == 30
    inserts = [q for q in queries if q["sql"].lstrip().startswith("INSERT")]
    assert len(inserts) == 1


def test_a_customer_with_no_channel_reaches_integrations_that_take_every_customer(
    provide: Any, broker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from saleor_plugins.core.host import Change, get_host
    from saleor_plugins.core.integration import CustomerRoute

    from .conftest import noop_integration

    every = noop_integration(71)
    every.customer_route = CustomerRoute.ALL
    engaged = noop_integration(72)  # ENGAGED: only channels the customer engaged with
    provide(every, engaged)
    for integration in (every.id, engaged.id):
        for channel in ("c-one", "c-two"):
            store.install(integration, channel)
    DemoInstallation.objects.update(active_since=timezone.now() - timedelta(hours=1))
    changed = timezone.now() - timedelta(minutes=5)
    never_ordered = Change("customer_upserted", "42", (), changed)
    monkeypatch.setattr(get_host(), "recent_changes", lambda since: iter([never_ordered]))

    assert maintenance.reconcile() == 2
    assert sorted(Job.objects.values_list("integration", "channel")) == [
        (every.id, "c-one"),
        (every.id, "c-two"),
    ]


SANDBOX = "saleor_plugins.sandbox"


def _switch(sandbox: Sandbox, active: bool) -> None:
    store.install(SANDBOX, CHANNEL, active=active, endpoint=sandbox.url, api_key=SANDBOX_KEY)


def test_orders_placed_while_the_integration_was_off_are_not_sent_when_it_is_switched_on(
    sandbox: Sandbox, broker: Any
) -> None:
    _switch(sandbox, False)
    before = [store.place_order(CHANNEL, "a@example.com", LINES) for _ in range(3)]
    assert not Job.objects.exists()  # the hooks emitted nothing: it was off here
    _switch(sandbox, True)

    assert maintenance.reconcile(settle=timedelta(0)) == 0
    assert not Job.objects.exists()

    lost = store.place_order(CHANNEL, "b@example.com", LINES, emit=False)  # after: lost emit
    assert maintenance.reconcile(settle=timedelta(0)) == 1
    assert list(Job.objects.values_list("object_id", flat=True)) == [str(lost.pk)]
    assert not Job.objects.filter(object_id__in=[str(o.pk) for o in before]).exists()


def test_switching_off_and_on_again_does_not_send_what_happened_in_between(
    sandbox: Sandbox, broker: Any
) -> None:
    _switch(sandbox, True)
    _switch(sandbox, False)
    off = store.place_order(CHANNEL, "b@example.com", LINES)  # off: the store emits nothing
    _switch(sandbox, True)
    lost = store.place_order(CHANNEL, "c@example.com", LINES, emit=False)
    assert maintenance.reconcile(settle=timedelta(0)) == 1
    assert list(Job.objects.values_list("object_id", flat=True)) == [str(lost.pk)]
    assert not Job.objects.filter(object_id=str(off.pk)).exists()


def test_saving_an_active_installation_again_keeps_its_activation_time(
    sandbox: Sandbox, broker: Any
) -> None:
    _switch(sandbox, True)
    DemoInstallation.objects.update(active_since=timezone.now() - timedelta(minutes=30))
    order = store.place_order(CHANNEL, "a@example.com", LINES, emit=False)
    DemoOrder.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    _switch(sandbox, True)  # e.g. a new API key: still the same activation
    assert maintenance.reconcile(settle=timedelta(0)) == 1


def test_a_product_unlisted_without_its_emit_is_reconciled_where_it_is_held(
    sandbox_installed: Sandbox, broker: Any
) -> None:
    from saleor_plugins.core import ledger

    product = store.upsert_product("Mug", [CHANNEL], [])
    assert delivery.deliver(Job.objects.get().id).outcome == "succeeded"
    assert ledger.holds(SANDBOX, CHANNEL, "product", str(product.pk))
    store.upsert_product("Mug", [], [], product=product)  # unlisted: the demo emits nothing
    assert maintenance.reconcile(settle=timedelta(0)) == 1
    job = Job.objects.get(status=JobStatus.PENDING)
    assert (job.integration, job.channel, job.object_id) == (SANDBOX, CHANNEL, str(product.pk))
    assert delivery.deliver(job.id).outcome == "succeeded"
    assert f"/v1/{CHANNEL}/products/{product.pk}" not in sandbox_installed.state.objects
