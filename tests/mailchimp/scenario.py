"""A store's day as Mailchimp sees it, to count the calls that fail.

The events of a real Saleor run, in the order Saleor sends them: products created and
edited (some unlisted, some deleted), shoppers filling checkouts, checkouts completed into
orders (order created, the completed checkout's own event, order paid), some orders
fulfilled or cancelled, abandoned checkouts without an address, customers registering,
vouchers. A few orders name a product whose own job has not reached Mailchimp yet.

Each event is one job handed to the integration, as the delivery loop would; the fake
Mailchimp logs every call with its status.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from saleor_plugins.core.events import EventType
from saleor_plugins.core.integration import JobContext
from saleor_plugins.mailchimp.connector import MailchimpIntegration
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp

from .conftest import CHANNEL, MemoryHost, checkout, customer, order, product, voucher


@dataclass
class Calls:
    total: int
    failed: int
    by_call: Counter[str]

    @property
    def share(self) -> float:
        return self.failed / self.total if self.total else 0.0

    def __str__(self) -> str:
        worst = ", ".join(f"{k} x{n}" for k, n in self.by_call.most_common(4))
        return f"{self.failed} of {self.total} Mailchimp calls failed ({self.share:.1%})" + (
            f": {worst}" if worst else ""
        )


def job(event: EventType, object_id: str) -> JobContext:
    return JobContext(
        id=0,
        integration=MailchimpIntegration.id,
        channel=CHANNEL,
        event=event,
        object_type=event.object_type.value,
        object_id=object_id,
        payload={},
        attempt=1,
        idempotency_key="scenario",
    )


def run(mc: MailchimpIntegration, host: MemoryHost, fake: FakeMailchimp, size: int = 20) -> Calls:
    """Play the day; every job must succeed. Returns the calls counted at the fake."""
    start = len(fake.state.log)

    def send(event: EventType, object_id: str) -> None:
        mc.handle(job(event, object_id))

    products = [f"p{i}" for i in range(size)]
    for pid in products:
        host.add("product", product(pid, variants=2))
        send(EventType.PRODUCT_UPSERTED, pid)
    for pid in products[: size // 4]:  # edits: a new name, a variant dropped
        host.add("product", replace(product(pid, variants=1), name=f"New {pid}"))
        send(EventType.PRODUCT_UPSERTED, pid)
    # products saved in Saleor whose own job comes after the first order naming them
    late = [f"late{i}" for i in range(max(1, size // 10))]
    for pid in late:
        host.add("product", product(pid, variants=2))

    for i in range(size * 2):
        token, email = f"chk-{i}", f"shopper{i}@example.com"
        pid = late[i % len(late)] if i < len(late) else products[i % size]
        agreed = {"marketing_consent": "true"} if i % 3 == 0 else {}
        cart = replace(checkout(token, email=email, metadata=agreed), lines=_lines(pid))
        host.add("checkout", cart)
        send(EventType.CHECKOUT_UPSERTED, token)
        send(EventType.CHECKOUT_UPSERTED, token)  # a quantity changed
        if i % 4 == 3:
            continue  # abandoned: the cart stays for Mailchimp's reminder
        oid = f"o{i}"
        placed = order(oid, email=email, pid=pid, metadata=agreed, checkout_token=token)
        host.add("order", placed)
        host.objects.pop(("checkout", token))  # Saleor deletes the completed checkout
        send(EventType.ORDER_CREATED, oid)
        send(EventType.CHECKOUT_UPSERTED, token)
        host.add("order", replace(placed, charge_status="full"))
        send(EventType.ORDER_PAID, oid)
        if i % 2 == 0:
            host.add("order", replace(placed, charge_status="full", status="fulfilled"))
            send(EventType.ORDER_FULFILLED, oid)
        elif i % 5 == 1:
            host.add("order", replace(placed, status="canceled"))
            send(EventType.ORDER_CANCELLED, oid)
    for pid in late:
        send(EventType.PRODUCT_UPSERTED, pid)

    for i in range(size // 2):  # checkouts that never got an address
        token = f"anon-{i}"
        host.add("checkout", checkout(token, email=""))
        send(EventType.CHECKOUT_UPSERTED, token)
    for i in range(size // 2):
        cid = f"c{i}"
        consent = ("true", None, "false")[i % 3]
        host.add("customer", customer(f"reg{i}@example.com", consent=consent, id=cid))
        send(EventType.CUSTOMER_UPSERTED, cid)

    for vid in ("v1", "v2"):
        host.add("voucher", voucher(vid))
        send(EventType.VOUCHER_UPSERTED, vid)
    send(EventType.VOUCHER_UPSERTED, "v1")
    send(EventType.VOUCHER_DELETED, "v2")

    for pid in products[-2:]:  # unlisted from the channel, then deleted
        host.add("product", product(pid, channel="elsewhere"))
        send(EventType.PRODUCT_UPSERTED, pid)
    host.objects.pop(("product", products[-1]))
    send(EventType.PRODUCT_DELETED, products[-1])
    host.add("product", product("never-sent", channel="elsewhere"))
    send(EventType.PRODUCT_UPSERTED, "never-sent")  # not in this channel, never was

    calls = fake.state.log[start:]
    failed = [c for c in calls if c[2] >= 400]
    return Calls(len(calls), len(failed), Counter(f"{m} {_kind(p)} {s}" for m, p, s in failed))


def _lines(pid: str) -> Any:
    line = checkout().lines[0]
    return (replace(line, product_id=pid, variant_id=f"{pid}-v0"),)


def _kind(path: str) -> str:
    """``/ecommerce/stores/x/orders/o1`` -> ``orders``."""
    parts = path.strip("/").split("/")
    return parts[-2] if len(parts) >= 2 and parts[-2] != "stores" else parts[-1]
