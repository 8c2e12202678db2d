"""Through the kernel: product and order jobs -> Graph API calls on the fake."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_plugins.core import delivery, ledger, outbox
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Circuit, Job, JobStatus
from saleor_plugins.meta.connector import MetaIntegration
from saleor_plugins.testing.providers.meta import FakeGraph

from .conftest import CHANNEL, META, MemoryHost, checkout, order, product, variant

TARGET = [(META, CHANNEL)]


def run(event: EventType, object_id: str, version: str = "") -> delivery.Result:
    ids = outbox.emit(event, object_id, TARGET, version=version)
    assert ids, "no job written"
    return delivery.deliver(ids[0])


# -- catalog ------------------------------------------------------------------------------------
def test_a_product_change_upserts_one_item_per_variant_in_one_batch(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    store.products["p1"] = product("p1", (variant("a"), variant("b")))
    assert run(EventType.PRODUCT_UPSERTED, "p1").outcome == "succeeded"
    assert set(graph.items) == {"SKU-a", "SKU-b"}
    assert graph.calls["items_batch"] == 1
    assert graph.items["SKU-a"]["item_group_id"] == "p1"
    assert ledger.holders("product", "p1") == {(META, CHANNEL)}


def test_due_product_jobs_of_the_channel_go_in_one_batch(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    for pid in ("p1", "p2", "p3"):
        store.products[pid] = product(pid, (variant(f"{pid}a"), variant(f"{pid}b")))
    ids = [outbox.emit(EventType.PRODUCT_UPSERTED, pid, TARGET)[0] for pid in ("p1", "p2", "p3")]
    assert delivery.deliver(ids[0]).outcome == "succeeded"
    assert graph.calls["items_batch"] == 1
    assert len(graph.items) == 6
    assert set(Job.objects.filter(id__in=ids).values_list("status", flat=True)) == {
        JobStatus.SUCCEEDED
    }
    assert delivery.deliver(ids[1]).outcome == "not-claimed"  # never sent twice


def test_an_item_refused_in_a_shared_batch_fails_only_its_own_job(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    graph.refuse["SKU-p2a"] = "Invalid price"
    for pid in ("p1", "p2"):
        store.products[pid] = product(pid, (variant(f"{pid}a"),))
    ids = [outbox.emit(EventType.PRODUCT_UPSERTED, pid, TARGET)[0] for pid in ("p1", "p2")]
    assert delivery.deliver(ids[0]).outcome == "succeeded"
    second = Job.objects.get(id=ids[1])
    assert second.status == JobStatus.DEAD
    assert "item SKU-p2a: Invalid price" in second.last_error


def test_the_batch_is_polled_until_meta_finished_it(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    graph.pending_checks = 3
    store.products["p1"] = product("p1")
    assert run(EventType.PRODUCT_UPSERTED, "p1").outcome == "succeeded"
    assert graph.calls["status"] == 4


def test_a_batch_failed_as_a_whole_records_nothing_and_retries(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    graph.final_status = "error"
    store.products["p1"] = product("p1")
    assert run(EventType.PRODUCT_UPSERTED, "p1").outcome == "retry"
    assert ledger.held(META, CHANNEL, "item", ["SKU-v1"]) == {}
    assert ledger.holders("product", "p1") == set()


def test_per_item_errors_are_named_in_the_sync_log_and_the_rest_is_kept(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    graph.refuse["SKU-b"] = "Invalid image: the image could not be downloaded"
    store.products["p1"] = product("p1", (variant("a"), variant("b")))
    result = run(EventType.PRODUCT_UPSERTED, "p1")
    assert result.outcome == "dead"
    job = Job.objects.get()
    assert "refused 1 catalog item" in job.last_error
    assert "SKU-b: Invalid image" in job.last_error
    assert set(graph.items) == {"SKU-a"}
    assert set(ledger.held(META, CHANNEL, "item", ["SKU-a", "SKU-b"])) == {"SKU-a"}
    from saleor_plugins.meta.catalog import summary

    assert summary(META, CHANNEL) == (
        "Catalog: 1 item(s) at Meta, 1 refused in their last batch (reasons in the sync log)"
    )
    graph.refuse.clear()  # the merchant fixed the image
    run(EventType.PRODUCT_UPSERTED, "p1")
    assert summary(META, CHANNEL) == "Catalog: 2 item(s) at Meta"


def test_a_variant_left_out_or_removed_is_deleted_from_the_catalog(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    store.products["p1"] = product("p1", (variant("a"), variant("b"), variant("c")))
    run(EventType.PRODUCT_UPSERTED, "p1")
    # b loses its price, c is deleted from the product
    store.products["p1"] = product("p1", (variant("a"), variant("b", prices=())))
    run(EventType.PRODUCT_UPSERTED, "p1")
    assert set(graph.items) == {"SKU-a"}


def test_a_sku_change_replaces_the_item(store: type[MemoryHost], graph: FakeGraph) -> None:
    store.products["p1"] = product("p1", (variant("a"),))
    run(EventType.PRODUCT_UPSERTED, "p1")
    store.products["p1"] = product("p1", (variant("a", sku="NEW-A"),))
    run(EventType.PRODUCT_UPSERTED, "p1")
    assert set(graph.items) == {"NEW-A"}


def test_unlisting_then_deleting_releases_the_product(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    store.products["p1"] = product("p1", (variant("a"),))
    store.products["p2"] = product("p2", (variant("z"),))
    run(EventType.PRODUCT_UPSERTED, "p1")
    run(EventType.PRODUCT_UPSERTED, "p2")
    store.products["p1"] = product("p1", (variant("a"),), listings=())
    run(EventType.PRODUCT_UPSERTED, "p1")
    assert set(graph.items) == {"SKU-z"}
    assert ledger.holders("product", "p1") == set()
    del store.products["p2"]
    run(EventType.PRODUCT_DELETED, "p2")
    assert graph.items == {}
    assert ledger.holders("product", "p2") == set()


def test_a_deletion_reaches_the_items_of_a_batch_whose_status_check_failed(
    store: type[MemoryHost], graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Meta took the batch, then its status check failed: the job retries, and a deletion
    made before that retry still removes the item Meta holds (no stale item left)."""
    store.products["p1"] = product("p1", (variant("a"),))
    unavailable = FakeGraph.error(503, 2, "Service temporarily unavailable")
    monkeypatch.setattr(graph, "status", lambda handle: unavailable)
    first = outbox.emit(EventType.PRODUCT_UPSERTED, "p1", TARGET)[0]
    assert delivery.deliver(first).outcome == "retry"
    assert set(graph.items) == {"SKU-a"}  # Meta applies an accepted batch all the same
    monkeypatch.undo()
    del store.products["p1"]
    new = outbox.emit(EventType.PRODUCT_DELETED, "p1", TARGET)  # merges into the waiting job
    job = new[0] if new else first
    Job.objects.filter(id=job).update(not_before=timezone.now())  # its retry is due
    assert delivery.deliver(job).outcome == "succeeded"
    assert graph.items == {}
    assert ledger.holders("product", "p1") == set()


def test_nothing_held_nothing_listable_no_call(store: type[MemoryHost], graph: FakeGraph) -> None:
    store.products["p1"] = product("p1", listings=())
    assert run(EventType.PRODUCT_UPSERTED, "p1").outcome == "succeeded"
    assert graph.calls["items_batch"] == 0


def test_a_refused_token_opens_one_circuit(store: type[MemoryHost], graph: FakeGraph) -> None:
    graph.token = "another-token-entirely-0000000000"
    store.products["p1"] = product("p1")
    store.products["p2"] = product("p2")
    first = run(EventType.PRODUCT_UPSERTED, "p1")
    assert first.outcome == "circuit"
    assert Circuit.objects.filter(integration=META, channel=CHANNEL).count() == 1
    second = outbox.emit(EventType.PRODUCT_UPSERTED, "p2", TARGET)[0]
    delivery.deliver(second)
    assert graph.calls["items_batch"] == 0  # the second job waits instead of calling
    assert Job.objects.get(id=second).status != JobStatus.DEAD


# -- Conversions API ------------------------------------------------------------------------------
def test_purchase_is_sent_once_per_order(store: type[MemoryHost], graph: FakeGraph) -> None:
    store.orders["o1"] = order("o1")
    assert run(EventType.ORDER_PAID, "o1", version="v1").outcome == "succeeded"
    # Saleor fires order_paid and order_fully_paid; a replay or reconciliation re-emits
    assert run(EventType.ORDER_PAID, "o1", version="v2").outcome == "succeeded"
    assert run(EventType.ORDER_CREATED, "o1").outcome == "succeeded"
    purchases = graph.purchases()
    assert len(purchases) == 1
    assert purchases[0]["event_id"] == "order-1042"
    assert ledger.held(META, CHANNEL, "purchase", ["o1"]) == {"o1": "order-1042"}


def test_a_retry_after_a_lost_answer_carries_the_same_event_id(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    store.orders["o1"] = order("o1")
    run(EventType.ORDER_PAID, "o1", version="v1")
    ledger.release(META, CHANNEL, "purchase", ["o1"])  # as if the worker died before recording
    run(EventType.ORDER_PAID, "o1", version="v2")
    ids = {e["event_id"] for e in graph.purchases()}
    assert ids == {"order-1042"}  # Meta deduplicates on event_name + event_id


def test_an_unpaid_order_sends_nothing_until_paid(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    store.orders["o1"] = order("o1", charge_status="partial")
    assert run(EventType.ORDER_PAID, "o1", version="v1").outcome == "succeeded"
    assert graph.purchases() == []
    assert "not fully paid" in _details()


def test_old_and_unconsented_orders_are_skipped_with_the_reason(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    store.orders["old"] = order("old", age=timedelta(days=9))
    store.orders["no"] = order("no", metadata={"marketing_consent": "false"})
    run(EventType.ORDER_PAID, "old", version="1")
    run(EventType.ORDER_PAID, "no", version="1")
    assert graph.calls["events"] == 0
    text = _details()
    assert "over 7 days ago" in text and "no consent" in text


def test_test_event_code_is_passed(store: type[MemoryHost], graph: FakeGraph) -> None:
    from saleor_plugins.demo.store import install

    from .conftest import config

    install(META, CHANNEL, **config(test_event_code="TEST4242"))
    store.orders["o1"] = order("o1")
    assert run(EventType.ORDER_PAID, "o1", version="1").outcome == "succeeded"
    assert len(graph.purchases()) == 1


def _details() -> str:
    from saleor_plugins.core.models import Attempt

    return " ".join(Attempt.objects.values_list("detail", flat=True))


def test_order_created_sends_when_configured(store: type[MemoryHost], graph: FakeGraph) -> None:
    from saleor_plugins.demo.store import install

    from .conftest import config

    install(META, CHANNEL, **config(purchase_on="created"))
    store.orders["o1"] = order("o1", charge_status="none")
    run(EventType.ORDER_CREATED, "o1")
    run(EventType.ORDER_PAID, "o1", version="1")
    assert len(graph.purchases()) == 1


# -- dashboard ------------------------------------------------------------------------------------
def _installation(**overrides: str) -> MetaIntegration:
    from saleor_plugins.meta.settings import MetaSettings

    from .conftest import config

    return MetaIntegration(
        MetaSettings.parse(config(**overrides)), channel=CHANNEL, host=MemoryHost()
    )


def test_an_invalid_token_shows_beside_its_field(graph: FakeGraph) -> None:
    graph.token = "the-token-meta-knows-000000000000"
    assert set(_installation().check_settings(timeout=2.0)) == {"access_token"}
    assert graph.calls["read"] == 0  # refused before anything was read


def test_a_catalog_the_token_cannot_read_shows_beside_the_catalog(graph: FakeGraph) -> None:
    problems = _installation(catalog_id="999").check_settings(timeout=2.0)
    assert set(problems) == {"catalog_id"}


def test_good_settings_pass_the_check_with_one_read_per_id(graph: FakeGraph) -> None:
    assert _installation().check_settings(timeout=2.0) == {}
    assert graph.calls["read"] == 2


# -- full sync ------------------------------------------------------------------------------------
def test_full_sync_sends_the_catalog_in_batches_and_deletes_stale_items(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    for pid in ("p1", "p2", "p3"):
        store.products[pid] = product(pid, (variant(f"{pid}a"), variant(f"{pid}b")))
    run(EventType.PRODUCT_UPSERTED, "p3")
    store.products["p3"] = product("p3", (variant("p3a"),))  # p3b gone, its change unseen
    graph.calls.clear()
    line = _installation().backfill([], {"extra": {}})
    assert line is not None and "5 items upserted, 1 stale items deleted" in line
    assert graph.calls["items_batch"] == 2  # one for the catalog, one for the deletions
    assert set(graph.items) == {"SKU-p1a", "SKU-p1b", "SKU-p2a", "SKU-p2b", "SKU-p3a"}


def test_full_sync_keeps_stale_items_when_the_channel_yields_too_little(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    for pid in ("p1", "p2", "p3"):
        store.products[pid] = product(pid, (variant(pid),))
        run(EventType.PRODUCT_UPSERTED, pid)
    del store.products["p2"], store.products["p3"]  # a broken read: two thirds missing
    line = _installation().backfill([], {"extra": {}})
    assert line is not None and "stale items kept" in line
    assert len(graph.items) == 3
    forced = _installation().backfill([], {"extra": {"force": "1"}})
    assert forced is not None and "2 stale items deleted" in forced
    assert set(graph.items) == {"SKU-p1"}


# -- checkout events ------------------------------------------------------------------------------
def _checkout_events_on(events: str = "Purchase, InitiateCheckout, AddPaymentInfo") -> None:
    from saleor_plugins.demo.store import install

    from .conftest import config

    install(META, CHANNEL, **config(events=events))


def _sent(graph: FakeGraph, name: str) -> list[dict[str, object]]:
    return [e for e in graph.events if e["event_name"] == name]


def test_checkout_events_are_off_unless_the_merchant_enables_them(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    store.checkouts["c1"] = checkout("c1")
    assert run(EventType.CHECKOUT_UPSERTED, "c1").outcome == "succeeded"
    assert graph.calls["events"] == 0 and "checkout events are off" in _details()


def test_initiate_checkout_once_then_add_payment_info_once_payment_details_are_given(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    _checkout_events_on()
    store.checkouts["c1"] = checkout("c1")
    assert run(EventType.CHECKOUT_UPSERTED, "c1", version="1").outcome == "succeeded"
    assert run(EventType.CHECKOUT_UPSERTED, "c1", version="2").outcome == "succeeded"
    [initiate] = _sent(graph, "InitiateCheckout")
    assert initiate["event_id"] == "checkout-c1-initiate"
    assert initiate["custom_data"] == {  # type: ignore[comparison-overlap]
        "currency": "USD", "value": 24.0, "content_type": "product", "content_ids": ["SKU-v1"],
        "contents": [{"id": "SKU-v1", "quantity": 2, "item_price": 12.0}], "num_items": 2,
    }  # fmt: skip
    user = initiate["user_data"]
    assert user == {  # type: ignore[comparison-overlap]
        "em": [hashlib.sha256(b"shopper@example.com").hexdigest()],
        "fbp": "fb.1.1596403881668.1116446470",
    }
    assert _sent(graph, "AddPaymentInfo") == [] and "no payment information yet" in _details()

    paid = checkout("c1", metadata={"marketing_consent": "true", "meta_payment_info_added": "1"})
    store.checkouts["c1"] = paid
    run(EventType.CHECKOUT_UPSERTED, "c1", version="3")
    run(EventType.CHECKOUT_UPSERTED, "c1", version="4")
    assert [e["event_id"] for e in _sent(graph, "AddPaymentInfo")] == ["checkout-c1-payment"]
    assert len(_sent(graph, "InitiateCheckout")) == 1
    assert ledger.held(META, CHANNEL, "add_payment_info", ["c1"]) == {"c1": "checkout-c1-payment"}


def test_checkout_events_follow_consent_and_the_seven_day_rule(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    _checkout_events_on()
    store.checkouts["no"] = checkout("no", metadata={"marketing_consent": "no"})
    store.checkouts["old"] = checkout("old", age=timedelta(days=8))
    store.checkouts["empty"] = checkout("empty", lines=())
    for token in ("no", "old", "empty"):
        run(EventType.CHECKOUT_UPSERTED, token)
    assert graph.calls["events"] == 0
    text = _details()
    assert "no consent" in text and "over 7 days ago" in text and "no lines" in text


def test_due_checkout_jobs_of_the_channel_go_in_one_request(
    store: type[MemoryHost], graph: FakeGraph
) -> None:
    _checkout_events_on(events="InitiateCheckout")
    tokens = [f"c{n}" for n in range(5)]
    for token in tokens:
        store.checkouts[token] = checkout(token)
    ids = [outbox.emit(EventType.CHECKOUT_UPSERTED, t, TARGET)[0] for t in tokens]
    assert delivery.deliver(ids[0]).outcome == "succeeded"
    assert graph.calls["events"] == 1
    assert sorted(e["event_id"] for e in graph.events) == sorted(
        f"checkout-{t}-initiate" for t in tokens
    )
    assert set(Job.objects.filter(id__in=ids).values_list("status", flat=True)) == {
        JobStatus.SUCCEEDED
    }
