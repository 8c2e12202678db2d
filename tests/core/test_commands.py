"""The management commands a merchant's operator runs: status, replay, backfill, deliver."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from saleor_plugins.core import circuit
from saleor_plugins.core.models import Job, JobStatus
from saleor_plugins.demo import store
from saleor_plugins.demo.sandbox import Sandbox
from tests.conftest import SANDBOX_KEY

pytestmark = pytest.mark.django_db(transaction=True)

SANDBOX = "saleor_plugins.sandbox"
LINES = [{"sku": "SKU-1", "name": "Mug", "quantity": 1, "unit_price": "5.00"}]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def status_rows(text: str) -> dict[tuple[str, str], list[str]]:
    rows = {}
    for line in text.splitlines()[2:]:
        cells = line.split()
        rows[(cells[0], cells[1])] = cells[2:]
    return rows


@pytest.fixture
def two_channels(db: None, sandbox: Sandbox) -> Sandbox:
    for channel in ("channel-a", "channel-b"):
        store.install(SANDBOX, channel, endpoint=sandbox.url, api_key=SANDBOX_KEY)
    return sandbox


def test_status_counts_waiting_dead_and_shows_an_open_circuit(two_channels, broker) -> None:
    for _ in range(3):
        store.place_order("channel-a", "a@example.com", LINES)
    store.place_order("channel-b", "b@example.com", LINES)
    first = Job.objects.filter(channel="channel-a").order_by("id")[0]
    Job.objects.filter(id=first.id).update(status=JobStatus.DEAD)
    circuit.open_circuit(SANDBOX, "channel-b", "AuthenticationError: invalid api key (HTTP 401)")

    out, _ = run("saleor_plugins_status")

    rows = status_rows(out)
    waiting, running, dead, *rest = rows[(SANDBOX, "channel-a")]
    assert (waiting, running, dead) == ("2", "0", "1")
    assert rest == ["never", "closed"]
    b = " ".join(rows[(SANDBOX, "channel-b")])
    assert b.startswith("1 0 0 never OPEN until") and "invalid api key" in b


def test_status_shows_the_last_success_after_a_delivery(two_channels, broker) -> None:
    store.place_order("channel-a", "a@example.com", LINES)
    run("saleor_plugins_deliver")
    out, _ = run("saleor_plugins_status", "--channel", "channel-a")
    rows = status_rows(out)
    assert list(rows) == [(SANDBOX, "channel-a")]
    assert rows[(SANDBOX, "channel-a")][:3] == ["0", "0", "0"]
    assert rows[(SANDBOX, "channel-a")][3] == timezone.now().strftime("%Y-%m-%d")


def test_replay_requeues_only_the_matching_dead_jobs_and_dispatches_them(
    two_channels, broker
) -> None:
    for channel in ("channel-a", "channel-a", "channel-b"):
        store.place_order(channel, "x@example.com", LINES)
    Job.objects.update(status=JobStatus.DEAD, attempts=7, last_error="PermanentError: 400")
    broker.sent.clear()

    out, _ = run("saleor_plugins_replay", "--channel", "channel-a")

    assert "Replayed 2 dead job(s)." in out
    replayed = Job.objects.filter(channel="channel-a")
    assert {j.status for j in replayed} == {JobStatus.PENDING}
    assert {j.attempts for j in replayed} == {0}
    assert sorted(broker.ids()) == sorted(j.id for j in replayed)
    assert Job.objects.get(channel="channel-b").status == JobStatus.DEAD

    b = Job.objects.get(channel="channel-b")
    out, _ = run("saleor_plugins_replay", "--id", str(b.id))
    assert "Replayed 1 dead job(s)." in out
    assert Job.objects.filter(status=JobStatus.DEAD).count() == 0


def test_replayed_jobs_reach_the_provider(two_channels, broker) -> None:
    order = store.place_order("channel-a", "a@example.com", LINES)
    Job.objects.update(status=JobStatus.DEAD)
    run("saleor_plugins_replay", "--integration", SANDBOX)
    run("saleor_plugins_deliver")
    assert two_channels.state.effects[f"POST /v1/channel-a/orders/{order.pk}"] == 1


def test_replay_supersedes_a_dead_product_job_when_a_newer_one_waits(two_channels, broker) -> None:
    product = store.upsert_product("Mug", ["channel-a"], [])
    Job.objects.update(status=JobStatus.DEAD)
    store.upsert_product("Mug v2", ["channel-a"], [], product=product)  # a new pending job

    out, _ = run("saleor_plugins_replay")

    assert "Replayed 0 dead job(s)." in out and "1 superseded" in out
    assert Job.objects.filter(status=JobStatus.PENDING).count() == 1
    assert Job.objects.filter(status=JobStatus.DEAD).count() == 0


def test_backfill_emits_each_existing_order_once_in_batches(two_channels, broker) -> None:
    orders = [store.place_order("channel-a", "a@example.com", LINES, emit=False) for _ in range(7)]
    store.place_order("channel-b", "b@example.com", LINES, emit=False)

    out, err = run(
        "saleor_plugins_backfill",
        "--integration",
        SANDBOX,
        "--channel",
        "channel-a",
        "--object-type",
        "order",
        "--batch-size",
        "3",
    )

    assert "order: 7 found, 7 job(s) emitted" in out
    assert "7order" in err.replace(" ", "")  # the tqdm progress bar ("7order [...]")
    jobs = Job.objects.filter(channel="channel-a", event="order_created")
    assert sorted(j.object_id for j in jobs) == sorted(str(o.pk) for o in orders)
    assert not Job.objects.filter(channel="channel-b").exists()
    assert len(broker.ids()) == 7

    out, _ = run(
        "saleor_plugins_backfill",
        "--integration",
        SANDBOX,
        "--channel",
        "channel-a",
        "--object-type",
        "order",
        "--no-progress",
    )
    assert "order: 7 found, 0 job(s) emitted (7 already queued or sent)" in out
    assert Job.objects.count() == 7


def test_backfill_defaults_to_every_type_the_integration_handles(two_channels, broker) -> None:
    store.place_order("channel-a", "a@example.com", LINES, emit=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store.outbox, "emit", lambda *a, **k: [])  # a product saved without emit
        store.upsert_product("Mug", ["channel-a"], [])
    out, _ = run(
        "saleor_plugins_backfill",
        "--integration",
        SANDBOX,
        "--channel",
        "channel-a",
        "--no-progress",
    )
    assert "order: 1 found, 1 job(s) emitted" in out
    assert "product: 1 found, 1 job(s) emitted" in out


def test_backfill_refuses_an_unknown_or_inactive_integration(two_channels) -> None:
    with pytest.raises(CommandError, match="Unknown integration"):
        run("saleor_plugins_backfill", "--integration", "nope", "--channel", "channel-a")
    store.install(
        SANDBOX, "channel-c", active=False, endpoint=two_channels.url, api_key=SANDBOX_KEY
    )
    with pytest.raises(CommandError, match="not active"):
        run("saleor_plugins_backfill", "--integration", SANDBOX, "--channel", "channel-c")
    with pytest.raises(CommandError, match="does not handle customer_upserted"):
        run(
            "saleor_plugins_backfill",
            "--integration",
            SANDBOX,
            "--channel",
            "channel-a",
            "--object-type",
            "customer",
        )


def test_backfill_lets_an_integration_with_a_batch_path_send_it_its_own_way(
    two_channels, broker, monkeypatch
) -> None:
    from saleor_plugins.demo.connector import SandboxIntegration

    store.place_order("channel-a", "a@example.com", LINES, emit=False)
    calls = []

    def batch_backfill(self, object_types, options):  # type: ignore[no-untyped-def]
        calls.append((self.channel, object_types, options["restart"], options["extra"]))
        return "channel-a: 1 order in 1 batch"

    monkeypatch.setattr(SandboxIntegration, "backfill", batch_backfill)
    out, _ = run(
        "saleor_plugins_backfill",
        "--integration",
        SANDBOX,
        "--channel",
        "channel-a",
        "--object-type",
        "order",
        "--restart",
        "--option",
        "poll_interval=0",
        "--no-progress",
    )
    assert out.strip() == "channel-a: 1 order in 1 batch"
    assert calls == [("channel-a", ("order",), True, {"poll_interval": "0"})]
    assert not Job.objects.exists()  # no job per object
    with pytest.raises(CommandError, match="KEY=VALUE"):
        run("saleor_plugins_backfill", "--integration", SANDBOX, "--channel", "channel-a",
            "--option", "nonsense")  # fmt: skip


def test_deliver_runs_every_due_job_and_honours_limit(two_channels, broker) -> None:
    orders = [store.place_order("channel-a", "a@example.com", LINES) for _ in range(3)]

    out, _ = run("saleor_plugins_deliver", "--limit", "1")
    assert "Delivered 1 job(s) (succeeded: 1)." in out
    assert sum(two_channels.state.effects.values()) == 1

    out, _ = run("saleor_plugins_deliver")
    assert "Delivered 2 job(s) (succeeded: 2)." in out
    for order in orders:
        assert two_channels.state.effects[f"POST /v1/channel-a/orders/{order.pk}"] == 1
    out, _ = run("saleor_plugins_deliver")
    assert "Delivered 0 job(s) (nothing due)." in out


def test_deliver_leaves_jobs_in_backoff_for_later(two_channels, broker) -> None:
    two_channels.state.fault = lambda method, path, n: ("status", 503)
    store.place_order("channel-a", "a@example.com", LINES)
    out, _ = run("saleor_plugins_deliver")
    assert "Delivered 1 job(s) (retry: 1)." in out
    job = Job.objects.get()
    assert job.status == JobStatus.PENDING and job.not_before > timezone.now()


def test_deliver_forever_stops_at_its_limit(two_channels, broker) -> None:
    for _ in range(2):
        store.place_order("channel-a", "a@example.com", LINES)
    out, _ = run("saleor_plugins_deliver", "--forever", "--limit", "2", "--interval", "0.01")
    assert "Delivered 2 job(s) (succeeded: 2)." in out
