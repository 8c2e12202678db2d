"""Backfill through batch operations: few requests, no automations on history, resumable."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from django.core.management import call_command
from pytest_httpserver import HTTPServer

from saleor_plugins.core import delivery, webhooks
from saleor_plugins.core.models import Job
from saleor_plugins.mailchimp.backfill import Backfill, load
from saleor_plugins.mailchimp.connector import MailchimpIntegration
from saleor_plugins.mailchimp.management.commands import saleor_plugins_mailchimp_backfill
from saleor_plugins.mailchimp.models import BackfillBatch, BackfillCursor
from saleor_plugins.mailchimp.settings import MailchimpSettings
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp

from .conftest import (
    AUDIENCE,
    CHANNEL,
    SECRET,
    MemoryHost,
    config,
    customer,
    order,
    product,
    voucher,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tables")]
STORE = f"/ecommerce/stores/saleor-{CHANNEL}"


def fill(host: MemoryHost, products: int = 30, orders: int = 120) -> None:
    for i in range(products):
        host.add("product", product(f"p{i}", variants=2))
    for i in range(orders):
        agreed = {"marketing_consent": "true"} if i % 3 == 0 else {}
        host.add(
            "order",
            order(
                f"o{i}", email=f"buyer{i % 40}@example.com", pid=f"p{i % products}", metadata=agreed
            ),
        )
    host.add("customer", customer("reg@example.com", consent="true", id="c1"))
    host.add("voucher", voucher())


class Bars:
    def __init__(self, crash_after: int | None = None) -> None:
        self.seen: list[tuple[str, int, int]] = []
        self.updates = 0
        self.crash_after = crash_after

    def __call__(self, desc: str, total: int, initial: int) -> Any:
        self.seen.append((desc, total, initial))
        return self

    def update(self, n: int = 1) -> None:
        self.updates += 1
        if self.crash_after is not None and self.updates >= self.crash_after:
            raise RuntimeError("worker killed")

    def close(self) -> None:
        return None


def run(fake: FakeMailchimp, **kwargs: Any) -> Any:
    mc = load(CHANNEL)
    return Backfill(
        mc, batch_size=50, poll_interval=0, sleep=lambda _: fake.run_batches(), **kwargs
    ).run()


def sent_operations(fake: FakeMailchimp) -> Counter[str]:
    return Counter(
        op["operation_id"] for b in fake.state.batches.values() for op in b["operations"]
    )


def test_backfill_sends_the_channel_in_batches_without_firing_automations(
    fake: FakeMailchimp, kernel: MemoryHost
) -> None:
    fill(kernel)
    summary = run(fake)
    assert summary.finished
    assert summary.sent == {"product": 30, "customer": 1, "voucher": 1, "order": 120}
    orders = [k for k in fake.state.objects if k.startswith(f"{STORE}/orders/")]
    assert len(orders) == 120
    assert fake.state.automations == []  # the store was syncing while history arrived
    assert fake.get(STORE)["is_syncing"] is False  # type: ignore[index]
    assert summary.errored == 0  # products were there before the orders named them
    assert summary.requests < 30  # 120 orders + 30 products + members: a few batches
    member = fake.member(AUDIENCE, "buyer0@example.com")
    assert member is not None and member["status"] == "pending"
    assert fake.member(AUDIENCE, "buyer1@example.com")["status"] == "transactional"  # type: ignore[index]


def test_a_crashed_backfill_resumes_without_sending_twice(
    fake: FakeMailchimp, kernel: MemoryHost
) -> None:
    fill(kernel)
    bars = Bars(crash_after=3)
    with pytest.raises(RuntimeError):
        run(fake, progress=bars)
    assert fake.get(STORE)["is_syncing"] is True  # type: ignore[index]
    assert BackfillCursor.objects.get(object_type="product").sent > 0
    resumed = Bars()
    summary = run(fake, progress=resumed)
    assert summary.finished
    assert fake.get(STORE)["is_syncing"] is False  # type: ignore[index]
    sent = sent_operations(fake)
    assert [k for k, n in sent.items() if n > 1] == []
    assert sum(1 for k in sent if k.startswith("order:")) == 120
    assert any(initial > 0 for _, _, initial in resumed.seen)  # progress shown from there


def test_refusals_are_recorded_with_mailchimps_reason(
    fake: FakeMailchimp, kernel: MemoryHost
) -> None:
    fake.state.forgotten.add("buyer0@example.com")
    fill(kernel, products=3, orders=6)
    summary = run(fake)
    assert summary.finished and summary.errored == 1
    errors = [e for b in BackfillBatch.objects.all() for e in b.errors]
    assert [(e["title"], e["operation_id"]) for e in errors] == [
        ("Forgotten Email Not Subscribed", f"member:{_hash('buyer0@example.com')}")
    ]
    assert "permanently deleted" in errors[0]["detail"]


def test_the_batch_webhook_records_completion(
    fake: FakeMailchimp, kernel: MemoryHost, httpserver: HTTPServer
) -> None:
    fill(kernel, products=2, orders=0)
    mc = load(CHANNEL)
    mc.client.call(mc.client.batch_webhooks.create, {"url": httpserver.url_for("/hook")})
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    backfill = Backfill(mc, batch_size=50, wait_timeout=0, sleep=lambda _: None)
    assert backfill.run().finished is False  # Mailchimp has not run the batch yet
    fake.run_batches()
    request, _ = httpserver.log[0]
    items = [{"name": k, "value": v} for k, v in config().items()]
    code, _ = webhooks.receive(
        MailchimpIntegration.webhook_receiver,
        integration=MailchimpIntegration.id,
        channel=CHANNEL,
        settings_class=MailchimpSettings,
        configuration=items,
        path=f"batch/{SECRET}",
        body=request.get_data(),
        headers={},
    )
    assert code == 200
    assert delivery.deliver(Job.objects.get().id).outcome == "succeeded"
    assert [b.status for b in BackfillBatch.objects.all()] == ["finished"]


def test_the_management_command_runs_the_backfill(
    fake: FakeMailchimp,
    kernel: MemoryHost,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill(kernel, products=3, orders=4)
    wait = Backfill.wait  # Mailchimp runs the batches while the command waits
    monkeypatch.setattr(Backfill, "wait", lambda self: (fake.run_batches(), wait(self))[1])
    call_command(
        saleor_plugins_mailchimp_backfill.Command(), "--channel", CHANNEL, "--batch-size", "10"
    )
    out = capsys.readouterr().out
    assert "product: 3" in out and "order: 4" in out and "done" in out
    assert len([k for k in fake.state.objects if k.startswith(f"{STORE}/orders/")]) == 4


def _hash(email: str) -> str:
    from saleor_plugins.mailchimp.client import subscriber_hash

    return subscriber_hash(email)


def test_operations_are_valid_json_bodies(fake: FakeMailchimp, kernel: MemoryHost) -> None:
    fill(kernel, products=1, orders=1)
    backfill = Backfill(load(CHANNEL))
    ops = backfill.operations("order", kernel.read("order", "o0", CHANNEL))
    assert [op["method"] for op in ops] == ["PUT", "POST"]  # consented: member, then order
    assert json.loads(ops[1]["body"])["customer"]["opt_in_status"] is False


def test_what_the_backfill_sent_is_held_so_live_sync_updates_it_without_a_failed_call(
    fake: FakeMailchimp, kernel: MemoryHost
) -> None:
    from saleor_plugins.core import ledger
    from saleor_plugins.core.events import EventType

    from .scenario import job

    fill(kernel, products=3, orders=6)
    assert run(fake).finished
    assert ledger.holders("product", "p0") == {(MailchimpIntegration.id, CHANNEL)}
    assert (
        len(ledger.held(MailchimpIntegration.id, CHANNEL, "order", [f"o{i}" for i in range(6)]))
        == 6
    )
    before = len(fake.state.log)
    kernel.add("order", replace(kernel.read("order", "o1", CHANNEL), charge_status="full"))
    load(CHANNEL).handle(job(EventType.ORDER_PAID, "o1"))
    assert [(m, s) for m, p, s in fake.state.log[before:] if "/orders/" in p] == [("PATCH", 200)]


def test_a_backfill_run_again_refreshes_what_the_store_holds(
    fake: FakeMailchimp, kernel: MemoryHost
) -> None:
    fill(kernel, products=2, orders=2)
    assert run(fake).finished
    kernel.add("order", replace(kernel.read("order", "o0", CHANNEL), charge_status="full"))
    kernel.add("product", replace(product("p1", variants=2), name="Renamed"))
    BackfillCursor.objects.all().delete()  # what --restart does
    BackfillBatch.objects.all().delete()
    first = set(fake.state.batches)
    summary = run(fake)
    assert summary.finished and summary.errored == 0
    assert fake.get(f"{STORE}/orders/o0")["financial_status"] == "paid"  # type: ignore[index]
    assert fake.get(f"{STORE}/products/p1")["title"] == "Renamed"  # type: ignore[index]
    refused = [
        json.loads(r["response"])
        for k, b in fake.state.batches.items()
        if k not in first
        for r in json.loads(_results(fake, b))
        if r["status_code"] >= 400
    ]
    assert refused == []  # updated, not answered "already exists"


def test_an_order_mailchimp_refused_is_not_held(fake: FakeMailchimp, kernel: MemoryHost) -> None:
    from saleor_plugins.core import ledger

    fill(kernel, products=1, orders=2)
    kernel.add("order", order("bad", email="x@example.com", pid="missing-product"))
    assert run(fake).finished
    held = ledger.held(MailchimpIntegration.id, CHANNEL, "order", ["o0", "o1", "bad"])
    assert set(held) == {"o0", "o1"}


def _results(fake: FakeMailchimp, batch: dict[str, Any]) -> str:
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(batch["archive"]), mode="r:gz") as archive:
        member = archive.getmembers()[0]
        handle = archive.extractfile(member)
        assert handle is not None
        return handle.read().decode()


def test_the_backfill_sends_unpublished_products_hidden(
    fake: FakeMailchimp, kernel: MemoryHost
) -> None:
    from saleor_plugins.core import snapshots as s

    fill(kernel, products=2, orders=0)
    draft = s.ChannelListing(CHANNEL, is_published=False)
    kernel.add("product", replace(product("draft", variants=2), listings=(draft,)))
    assert run(fake).finished
    assert fake.get(f"{STORE}/products/draft/variants/draft-v0")["visibility"] == "hidden"  # type: ignore[index]
    assert fake.get(f"{STORE}/products/p0/variants/p0-v0")["visibility"] == "visible"  # type: ignore[index]


def test_the_one_backfill_command_uses_mailchimps_batches_not_a_job_per_object(
    fake: FakeMailchimp, kernel: MemoryHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import StringIO

    fill(kernel, products=3, orders=20)
    wait = Backfill.wait
    monkeypatch.setattr(Backfill, "wait", lambda self: (fake.run_batches(), wait(self))[1])
    out = StringIO()
    call_command(
        "saleor_plugins_backfill",
        "--integration",
        MailchimpIntegration.id,
        "--channel",
        CHANNEL,
        "--option",
        "poll_interval=0",
        "--no-progress",
        stdout=out,
    )
    assert not Job.objects.exists()  # nothing left for the workers: sent in batches
    assert "product: 3" in out.getvalue() and "order: 20" in out.getvalue()
    assert len([k for k in fake.state.objects if k.startswith(f"{STORE}/orders/")]) == 20
    assert fake.state.requests < 15


def test_the_backfill_command_sends_only_the_object_types_asked_for(
    fake: FakeMailchimp, kernel: MemoryHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import CommandError

    fill(kernel, products=2, orders=2)
    wait = Backfill.wait
    monkeypatch.setattr(Backfill, "wait", lambda self: (fake.run_batches(), wait(self))[1])
    args = ["saleor_plugins_backfill", "--integration", MailchimpIntegration.id]
    call_command(*args, "--channel", CHANNEL, "--object-type", "voucher", "--no-progress")
    assert fake.get(f"{STORE}/promo-rules/v1") is not None
    assert not fake.state.batches  # no products, no orders
    with pytest.raises(CommandError, match="not carts"):
        call_command(*args, "--channel", CHANNEL, "--object-type", "carts", "--no-progress")
