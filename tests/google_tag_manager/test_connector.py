"""Through the kernel's delivery loop to a fake GA4, over the plugin's real HTTP client."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from saleor_plugins.core import delivery, maintenance, outbox
from saleor_plugins.core.events import EventType
from saleor_plugins.core.management.commands.saleor_plugins_replay import replay
from saleor_plugins.core.models import Attempt, Job, JobStatus
from saleor_plugins.google_tag_manager.models import SentEvent
from saleor_plugins.testing.providers.google_tag_manager import FakeGA4

from .conftest import (
    CHANNEL,
    CLIENT,
    ID,
    OTHER,
    SECRET,
    MemoryHost,
    config,
    line,
    order,
    refund,
    refunded,
)

pytestmark = pytest.mark.django_db(transaction=True)


def emit(event: EventType, o: Any, version: str = "", channel: str = CHANNEL) -> Job | None:
    ids = outbox.emit(event, o.id, [(ID, channel)], version=version)
    return Job.objects.get(id=ids[0]) if ids else None


def run(job: Job | None) -> str:
    assert job is not None
    return delivery.deliver(job.id).outcome


def run_pending() -> list[str]:
    return [
        delivery.deliver(j.id).outcome for j in Job.objects.filter(status="pending").order_by("id")
    ]


def last_detail() -> str:
    attempt = Attempt.objects.filter(integration=ID).latest("id")
    return f"{attempt.detail} {attempt.error}"


# -- purchase, exactly once ---------------------------------------------------------------------
def test_purchase_is_sent_once_with_the_client_and_session(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order(metadata={"ga4_session_id": "GS1.1.1764590000.1.1.1764590100.0.0.0"}))
    assert run(emit(EventType.ORDER_CREATED, o)) == "succeeded"
    assert run(emit(EventType.ORDER_PAID, o, "v1")) == "succeeded"
    [request] = ga4.requests
    assert request.query["measurement_id"] == "G-TEST12345"
    assert request.body["client_id"] == CLIENT
    [purchase] = request.events
    assert purchase["name"] == "purchase"
    assert purchase["params"]["session_id"] == "1764590000"
    assert purchase["params"]["transaction_id"] == "1001"
    assert "sent purchase" in Attempt.objects.filter(integration=ID).order_by("id").first().detail  # type: ignore[union-attr]
    assert "nothing new" in last_detail()


def test_paid_mode_waits_for_payment(ga4: FakeGA4, kernel: MemoryHost) -> None:
    o = kernel.add(order(charge="none"))
    assert run(emit(EventType.ORDER_CREATED, o)) == "succeeded"
    assert ga4.requests == [] and "waits until the order is fully paid" in last_detail()
    kernel.add(replace(o, charge_status="full"))
    assert run(emit(EventType.ORDER_PAID, o, "v1")) == "succeeded"
    assert len(ga4.events("purchase")) == 1


def test_created_mode_sends_at_once(ga4: FakeGA4, kernel: MemoryHost) -> None:
    kernel.configs[CHANNEL] = (True, config(send_purchase_on="created"))
    o = kernel.add(order(charge="none"))
    run(emit(EventType.ORDER_CREATED, o))
    assert len(ga4.events("purchase")) == 1


def test_an_outage_is_retried_and_the_purchase_still_counted_once(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order())
    ga4.fail_next = [503]
    job = emit(EventType.ORDER_CREATED, o)
    assert run(job) == "retry"
    Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))  # type: ignore[union-attr]
    assert run(job) == "succeeded"
    assert run(job) == "not-claimed"  # a second broker delivery of the same task
    assert len(ga4.events("purchase")) == 1


def test_a_replayed_dead_job_and_a_reconciliation_send_nothing_new(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order())
    run(emit(EventType.ORDER_CREATED, o))
    paid = emit(EventType.ORDER_PAID, o, "v1")
    Job.objects.filter(id=paid.id).update(status=JobStatus.DEAD)  # type: ignore[union-attr]
    replayed, _ = replay(integration=ID)
    assert replayed == [paid.id]  # type: ignore[union-attr]
    assert run_pending() == ["succeeded"]
    # the jobs are long pruned; reconciliation emits the order again
    Job.objects.all().delete()
    assert maintenance.reconcile(window=timedelta(hours=1), settle=timedelta(0)) == 1
    assert run_pending() == ["succeeded"]
    assert len(ga4.requests) == 1


def test_an_order_without_client_id_is_skipped_with_the_reason(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order(client=None))
    assert run(emit(EventType.ORDER_CREATED, o)) == "succeeded"
    assert ga4.requests == []
    assert "skipped: no GA client id" in last_detail()
    assert SentEvent.objects.get(key="purchase").status == "skipped"
    # and its refunds are not reported either: GA4 has no purchase to take them from
    kernel.add(refunded(o, refund("r1", "12.00", ("line-1", 1))))
    run(emit(EventType.ORDER_REFUNDED, o, "v2"))
    assert ga4.requests == []


def test_without_client_id_a_stable_pseudonymous_id_when_configured(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    kernel.configs[CHANNEL] = (True, config(missing_client_id="pseudonymous"))
    o = kernel.add(order(client=None))
    run(emit(EventType.ORDER_CREATED, o))
    kernel.add(refunded(o, refund("r1", "12.00", ("line-1", 1))))
    run(emit(EventType.ORDER_REFUNDED, o, "v2"))
    ids = {r.body["client_id"] for r in ga4.requests}
    assert len(ga4.requests) == 2 and len(ids) == 1  # the same id for the refund, days later
    assert ids != {CLIENT}


def test_an_order_older_than_72_hours_is_skipped_with_that_reason(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order(created=datetime.now(UTC) - timedelta(hours=73)))
    assert run(emit(EventType.ORDER_CREATED, o)) == "succeeded"
    assert ga4.requests == []
    assert "older than GA4's 72 h window" in last_detail()


def test_consent_denied_is_sent_and_no_user_data_goes_with_it(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    kernel.configs[CHANNEL] = (True, config(send_user_data="true"))
    o = kernel.add(
        order(metadata={"ga4_consent": '{"ad_user_data":"DENIED","ad_personalization":"DENIED"}'})
    )
    run(emit(EventType.ORDER_CREATED, o))
    body = ga4.requests[0].body
    assert body["consent"] == {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
    assert "user_data" not in body


def test_user_data_is_sent_hashed_only_with_consent(ga4: FakeGA4, kernel: MemoryHost) -> None:
    kernel.configs[CHANNEL] = (True, config(send_user_data="true"))
    o = kernel.add(order(metadata={"ga4_consent": "GRANTED"}))
    run(emit(EventType.ORDER_CREATED, o))
    body = ga4.requests[0].body
    assert body["consent"]["ad_user_data"] == "GRANTED"
    assert len(body["user_data"]["sha256_email_address"][0]) == 64
    assert "gmail" not in str(body["user_data"])


# -- refunds, each exactly once -----------------------------------------------------------------
def test_partial_then_full_refund_are_two_refunds_with_their_items(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order())
    run(emit(EventType.ORDER_PAID, o, "v1"))
    first = refund("r1", "12.00", ("line-1", 1))
    kernel.add(refunded(o, first))
    run(emit(EventType.ORDER_REFUNDED, o, "v2"))
    assert emit(EventType.ORDER_REFUNDED, o, "v2") is None  # the same hook again: no job
    rest = refund("r2", "47.00", ("line-1", 1), ("line-2", 1))
    kernel.add(refunded(o, first, rest))
    run(emit(EventType.ORDER_REFUNDED, o, "v3"))
    run(emit(EventType.ORDER_PAID, o, "v4"))  # any later job: nothing new
    refunds = ga4.events("refund")
    assert [e["params"]["value"] for e in refunds] == [12.0, 47.0]
    assert [[(i["item_id"], i["quantity"]) for i in e["params"]["items"]] for e in refunds] == [
        [("SKU-1", 1)],
        [("SKU-1", 1), ("SKU-2", 1)],
    ]
    assert {e["params"]["transaction_id"] for e in refunds} == {"1001"}
    assert len(ga4.events("purchase")) == 1


def test_a_full_refund_at_once_is_sent_without_items(ga4: FakeGA4, kernel: MemoryHost) -> None:
    o = kernel.add(order())
    run(emit(EventType.ORDER_PAID, o, "v1"))
    kernel.add(refunded(o, refund("r1", "59.00")))
    run(emit(EventType.ORDER_REFUNDED, o, "v2"))
    [event] = ga4.events("refund")
    assert event["params"]["value"] == 59.0 and "items" not in event["params"]


def test_purchase_and_refund_pending_together_go_in_one_request(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order())
    emit(EventType.ORDER_CREATED, o)
    emit(EventType.ORDER_PAID, o, "v1")
    kernel.add(refunded(o, refund("r1", "12.00", ("line-1", 1))))
    emit(EventType.ORDER_REFUNDED, o, "v2")
    assert run_pending() == ["succeeded"] * 3
    [request] = ga4.requests
    assert [e["name"] for e in request.events] == ["purchase", "refund"]


def test_a_refund_not_yet_recorded_on_the_order_waits_then_is_sent_once(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order())
    run(emit(EventType.ORDER_PAID, o, "v1"))
    kernel.add(refunded(o, extra="10.00"))  # refunded at the payment, no record yet
    job = emit(EventType.ORDER_REFUNDED, o, "v2")
    assert run(job) == "retry"
    assert "no refund record on the order yet" in Job.objects.get(id=job.id).last_error  # type: ignore[union-attr]
    # the record appears before the retry: it is sent with its lines, once
    kernel.add(refunded(o, refund("r1", "10.00", ("line-1", 1))))
    Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))  # type: ignore[union-attr]
    assert run(job) == "succeeded"
    [event] = ga4.events("refund")
    assert event["params"]["items"][0]["item_id"] == "SKU-1"


def test_a_refund_that_never_gets_a_record_is_sent_after_waiting(
    ga4: FakeGA4, kernel: MemoryHost
) -> None:
    o = kernel.add(order())
    run(emit(EventType.ORDER_PAID, o, "v1"))
    kernel.add(refunded(o, extra="10.00"))
    job = emit(EventType.ORDER_REFUNDED, o, "v2")
    outcomes = []
    for _ in range(3):
        Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))  # type: ignore[union-attr]
        outcomes.append(run(job))
    assert outcomes == ["retry", "retry", "succeeded"]
    # a record arriving afterwards is already counted
    kernel.add(refunded(o, refund("r1", "10.00", ("line-1", 1))))
    run(emit(EventType.ORDER_REFUNDED, o, "v3"))
    assert [e["params"]["value"] for e in ga4.events("refund")] == [10.0]


def test_many_refunds_are_sent_25_events_per_request(ga4: FakeGA4, kernel: MemoryHost) -> None:
    o = kernel.add(order(lines=(line(1, qty=40, price="1.00"),)))
    records = [refund(f"r{i}", "1.00", ("line-1", 1)) for i in range(30)]
    kernel.add(refunded(o, *records))
    run(emit(EventType.ORDER_PAID, o, "v1"))
    assert [len(r.events) for r in ga4.requests] == [25, 6]
    assert len(ga4.events("refund")) == 30


def test_a_refund_older_than_72_hours_is_skipped(ga4: FakeGA4, kernel: MemoryHost) -> None:
    o = kernel.add(order())
    run(emit(EventType.ORDER_PAID, o, "v1"))
    old = refund("r1", "12.00", ("line-1", 1), when=datetime.now(UTC) - timedelta(days=4))
    kernel.add(refunded(o, old))
    run(emit(EventType.ORDER_REFUNDED, o, "v2"))
    assert ga4.events("refund") == []
    assert "older than GA4's 72 h window" in last_detail()


# -- channels, secrets -------------------------------------------------------------------------
def test_an_inactive_channel_sends_nothing(ga4: FakeGA4, kernel: MemoryHost) -> None:
    kernel.configs[OTHER] = (False, config())
    o = kernel.add(order(channel=OTHER))
    assert run(emit(EventType.ORDER_CREATED, o, channel=OTHER)) == "skipped"
    assert ga4.requests == []


def test_the_api_secret_is_in_no_log_sync_log_or_error(
    ga4: FakeGA4, kernel: MemoryHost, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    o = kernel.add(order())
    settings.SALEOR_PLUGINS_GA4_ENDPOINT = "http://127.0.0.1:9"  # nothing listens: refused
    job = emit(EventType.ORDER_CREATED, o)
    assert run(job) == "retry"
    settings.SALEOR_PLUGINS_GA4_ENDPOINT = ga4.url
    ga4.fail_next = [500]
    Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))  # type: ignore[union-attr]
    assert run(job) == "retry"
    Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))  # type: ignore[union-attr]
    assert run(job) == "succeeded"
    stored = [
        *Attempt.objects.values_list("error", "detail"),
        *Job.objects.values_list("last_error"),
    ]
    assert "unreachable" in str(stored)
    assert SECRET not in str(stored)
    assert SECRET not in caplog.text
    assert ga4.requests[0].query["api_secret"] == SECRET  # it was sent, where it belongs


def test_a_server_container_resolving_to_a_private_address_pauses_the_channel(
    ga4: FakeGA4, kernel: MemoryHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from saleor_plugins.google_tag_manager import client

    monkeypatch.setattr(
        client.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("192.168.0.7", 443))]
    )
    kernel.configs[CHANNEL] = (True, config(server_container_url="https://sgtm.example.com"))
    o = kernel.add(order())
    job = emit(EventType.ORDER_CREATED, o)
    assert run(job) == "circuit"  # the merchant is told; the job waits, no call made
    assert "private" in Job.objects.get(id=job.id).last_error  # type: ignore[union-attr]
    assert ga4.requests == []


def test_with_a_server_container_the_events_go_there_not_to_google(settings: Any) -> None:
    from saleor_plugins.google_tag_manager.client import Ga4Client

    from .conftest import cfg

    del settings.SALEOR_PLUGINS_GA4_ENDPOINT  # Google's own host, as in production
    assert Ga4Client(cfg(server_container_url="https://sgtm.example.com")).base == (
        "https://sgtm.example.com"
    )
    assert Ga4Client(cfg()).base == "https://www.google-analytics.com"
