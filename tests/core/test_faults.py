"""1,000+ store events against a faulty provider, a flaky broker and dying processes:
nothing is lost and nothing happens twice at the provider.

The store emits as Saleor does (in the write's transaction). Delivery is driven here, in
process, the way Celery would: a fake broker holds the dispatched job ids with their
countdowns, a loop delivers what is due, and the clock (``django.utils.timezone.now``,
the only clock the kernel reads) jumps to the next thing due, so backoff, Retry-After,
leases and the sweep's grace period pass without sleeping. Faults injected:

- provider: 503s, 429s with Retry-After, replies slower than the client timeout (the
  provider still applies them), connection resets, and a few permanent 422s;
- worker killed mid-job: the provider call succeeded, the process dies before recording
  (lease expiry + sweep recover it, the idempotency key turns the retry into a replay);
- broker down while emitting (and while re-dispatching retries): the sweep recovers;
- transaction rolled back: no order, no job, no provider effect;
- process killed between the store's commit and the emit (orders and product edits):
  reconciliation recovers.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from saleor_plugins.core import delivery, maintenance, outbox
from saleor_plugins.core.models import Attempt, Job, JobStatus
from saleor_plugins.demo import store
from saleor_plugins.demo.connector import SandboxIntegration
from saleor_plugins.demo.models import DemoOrder, DemoProduct
from saleor_plugins.demo.sandbox import Sandbox
from saleor_plugins.testing import Clock, FakeBroker
from tests.conftest import SANDBOX_KEY

pytestmark = pytest.mark.django_db(transaction=True)

SANDBOX = "saleor_plugins.sandbox"
CHANNELS = ("channel-a", "channel-b")
ORDERS = int(os.environ.get("FAULT_TEST_ORDERS", "1000"))
PRODUCTS = 40
PRODUCT_EVERY = 2  # one product edit every two orders: 500 edits
SEED = 20261127
RECONCILE_EVERY = timedelta(minutes=5)


class WorkerKilled(BaseException):
    """The worker process died (SIGKILL, OOM): nothing after this line runs."""


class Faults:
    """The provider's bad day, decided per request from a seeded random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rejected: set[str] = set()  # order ids the provider refuses (422)
        self.injected: Counter[str] = Counter()

    def __call__(self, method: str, path: str, n: int) -> tuple[Any, ...] | None:
        if any(order_id in path for order_id in self.rejected):
            self.injected["422"] += 1
            return ("status", 422)
        roll = self.rng.random()
        for name, p, fault in (
            ("503", 0.05, ("status", 503)),
            ("429", 0.03, ("status", 429, {"Retry-After": str(self.rng.randint(1, 30))})),
            ("reset", 0.03, ("reset",)),
            ("slow", 0.01, ("sleep", 0.35)),
        ):
            if roll < p:
                self.injected[name] += 1
                return fault
            roll -= p
        return None


class Driver:
    """Celery worker + beat, in process, on a movable clock."""

    def __init__(self, broker: FakeBroker, clock: Clock, kill_every: int) -> None:
        self.broker, self.clock = broker, clock
        self.kill_every = kill_every
        self.killed: set[int] = set()
        self.outcomes: Counter[str] = Counter()
        self.swept = self.reconciled = 0
        self.next_reconcile = clock.now()
        self.real_record = delivery._record

    def record(self, job: Any, result: Any, duration_ms: int) -> None:
        if (
            result.outcome == "succeeded"
            and job.id % self.kill_every == 3
            and job.id not in self.killed
        ):
            self.killed.add(job.id)
            raise WorkerKilled  # the provider has the effect; we never wrote it down
        self.real_record(job, result, duration_ms)

    def work(self) -> int:
        """Deliver what the broker holds and is due now; returns how many ran."""
        ran = 0
        while ids := self.broker.take_due():
            for job_id in ids:
                try:
                    self.outcomes[delivery.deliver(job_id).outcome] += 1
                except WorkerKilled:
                    self.outcomes["killed"] += 1
                ran += 1
        return ran

    def beat(self, *, force: bool = False) -> None:
        """Celery beat: the sweep (every round here) and reconciliation every 5 minutes."""
        self.swept += maintenance.sweep()
        if force or self.clock.now() >= self.next_reconcile:
            self.reconciled += maintenance.reconcile(window=timedelta(days=1))
            self.next_reconcile = self.clock.now() + RECONCILE_EVERY

    def advance(self) -> bool:
        """Jump the clock to the next thing due; False when nothing is left to do."""
        now = self.clock.now()
        grace = maintenance.GRACE
        moments = [eta for _, eta in self.broker.sent]
        pending = Job.objects.filter(status=JobStatus.PENDING)
        # the sweep sends a pending job once not_before, and any earlier dispatch, are a
        # grace period old (a job already past both waits behind another one)
        first = pending.filter(not_before__gt=now - grace).order_by("not_before").first()
        if first is not None:
            moments.append(first.not_before + grace)
        sent = pending.filter(dispatched_at__gt=now - grace).order_by("dispatched_at").first()
        if sent is not None and sent.dispatched_at is not None:
            moments.append(sent.dispatched_at + grace)
        running = Job.objects.filter(status=JobStatus.RUNNING).order_by("locked_until").first()
        if running is not None and running.locked_until is not None:
            moments.append(running.locked_until)
        moments = [m for m in moments if m > now]
        if not moments:
            return False
        self.clock.advance(min((min(moments) - now).total_seconds() + 0.01, 600.0))
        return True

    def drain(self, max_rounds: int = 5000) -> None:
        for _ in range(max_rounds):
            self.work()
            self.beat()
            if self.work() or self.advance():
                continue
            self.clock.advance(maintenance.GRACE.total_seconds())  # let changes settle
            self.beat(force=True)
            if not self.broker.sent and not self.advance():
                return
        raise AssertionError("delivery did not settle")


@pytest.mark.slow  # about a minute on a quiet machine: still part of the default run
@pytest.mark.timeout(1200)
def test_thousand_events_no_loss_no_duplicate(
    sandbox: Sandbox, broker: FakeBroker, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker.clock = clock
    rng = random.Random(SEED)
    faults = Faults(SEED)
    sandbox.state.fault = faults
    monkeypatch.setattr(SandboxIntegration, "timeout", (1.0, 0.25))
    driver = Driver(broker, clock, kill_every=41)
    monkeypatch.setattr(delivery, "_record", driver.record)
    for channel in CHANNELS:
        store.install(SANDBOX, channel, endpoint=sandbox.url, api_key=SANDBOX_KEY)

    variants = [{"sku": "SKU", "name": "Default", "price": "5.00"}]
    products = [store.upsert_product(f"P{i} v0", list(CHANNELS), variants) for i in range(PRODUCTS)]
    names = {p.pk: p.name for p in products}
    rolled_back: list[Any] = []
    broker_refused = lost_emits = 0

    for i in range(ORDERS):
        channel = CHANNELS[i % 2]
        lines = [{"sku": f"SKU-{i}", "name": "Mug", "quantity": 1 + i % 3, "unit_price": "9.50"}]
        broker.down = i % 500 in range(100, 140)  # the broker restarts, now and then
        if i % 97 == 5:  # the checkout fails after the order row was written
            with pytest.raises(RuntimeError), transaction.atomic():
                rolled_back.append(store.place_order(channel, f"rb{i}@example.com", lines))
                raise RuntimeError("payment refused")
        elif i % 53 == 7:  # the process dies between the store's commit and the emit
            store.place_order(channel, f"lost{i}@example.com", lines, emit=False)
            lost_emits += 1
        else:
            sent_before = len(broker.sent)
            order = store.place_order(channel, f"c{i}@example.com", lines)
            broker_refused += broker.down and len(broker.sent) == sent_before
            if i % 199 == 11:
                faults.rejected.add(str(order.pk))  # the provider refuses this order for good
        if i % PRODUCT_EVERY == 0:
            product = products[rng.randrange(PRODUCTS)]
            product.refresh_from_db()
            names[product.pk] = f"P{products.index(product)} v{i}"
            if i % 89 == 1:  # a product edit whose emit is lost
                with monkeypatch.context() as m:
                    m.setattr(outbox, "emit", lambda *a, **k: [])
                    store.upsert_product(names[product.pk], list(CHANNELS), [], product=product)
                lost_emits += 1
            else:
                store.upsert_product(names[product.pk], list(CHANNELS), [], product=product)
        if i % 25 == 24:  # the worker keeps up with the shop, more or less
            driver.work()
            driver.beat()
            clock.advance(rng.uniform(0.5, 5.0))
    broker.down = False
    driver.drain()

    # --- the faults really happened -----------------------------------------------------
    assert min(faults.injected[k] for k in ("503", "429", "reset", "slow", "422")) > 0
    assert len(driver.killed) > 5 and driver.outcomes["killed"] == len(driver.killed)
    assert broker_refused >= 20 and driver.swept > 0
    assert lost_emits > 10 and driver.reconciled >= lost_emits
    assert len(rolled_back) > 5

    # --- only the refused orders are dead, with the provider's reason; nothing waits ------
    dead = Job.objects.filter(status=JobStatus.DEAD)
    assert {j.object_id for j in dead} == faults.rejected
    assert all("sandbox answered 422" in j.last_error for j in dead)
    assert not Job.objects.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING]).exists()
    effects = sandbox.state.effects

    # the merchant fixes the cause and replays the dead jobs
    faults.rejected.clear()
    call_command("saleor_plugins_replay", stdout=StringIO())
    driver.drain()
    unfinished = Job.objects.exclude(status__in=[JobStatus.SUCCEEDED, JobStatus.SKIPPED])
    assert not unfinished.exists()
    skipped = Job.objects.filter(status=JobStatus.SKIPPED)
    odd = [(j.object_type, j.last_error) for j in skipped]
    assert all(t == "product" and "superseded" in e for t, e in odd), odd[:5]

    # --- every committed order reached the provider exactly once ------------------------
    orders = list(DemoOrder.objects.values_list("pk", "channel"))
    assert len(orders) == ORDERS - len(rolled_back)
    order_effects = {k: v for k, v in effects.items() if "/orders/" in k}
    expected = {f"POST /v1/{channel}/orders/{pk}": 1 for pk, channel in orders}
    assert order_effects == expected  # none missing, none twice, none for rolled-back orders
    for order in rolled_back:
        assert not Job.objects.filter(object_id=str(order.pk)).exists()
    assert Job.objects.filter(object_type="order").count() == len(orders)  # one job each

    # --- every product shows its latest name in both channels, one write per job --------
    assert DemoProduct.objects.count() == PRODUCTS
    for pk, name in names.items():
        for channel in CHANNELS:
            path = f"/v1/{channel}/products/{pk}"
            assert sandbox.state.objects[path]["name"] == name
            jobs = Job.objects.filter(channel=channel, object_type="product", object_id=str(pk))
            succeeded = jobs.filter(status=JobStatus.SUCCEEDED).count()
            # each success wrote once; a superseded job wrote at most once (a slow reply
            # the provider applied after we gave up); no job wrote twice
            assert succeeded <= effects[f"PUT {path}"] <= jobs.count()
    product_jobs = Job.objects.filter(object_type="product").count()
    edits = PRODUCTS + ORDERS // PRODUCT_EVERY
    assert product_jobs < edits * len(CHANNELS)  # coalescing merged some edits
    assert Attempt.objects.filter(outcome="retry").count() > 50
