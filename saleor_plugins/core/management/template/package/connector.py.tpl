"""${display}: paid orders and customers, sent from the worker, once each."""

from __future__ import annotations

from typing import Any

from saleor_plugins.core import snapshots as s
from saleor_plugins.core.events import EventType
from saleor_plugins.core.hookspecs import hookimpl
from saleor_plugins.core.integration import (
    CustomerRoute,
    Integration,
    JobContext,
    Outcome,
    RateLimit,
)

from .client import ${Class}Client
from .settings import ${Class}Settings


class ${Class}Integration(Integration[${Class}Settings]):
    id = "${integration_id}"
    name = "${display}"
    description = "Paid orders and customers, sent to the provider per channel."
    subscribes = frozenset({EventType.ORDER_PAID, EventType.CUSTOMER_UPSERTED})
    customer_route = CustomerRoute.ENGAGED
    rate_limit = RateLimit(per_second=10, concurrency=4)

    def client(self) -> ${Class}Client:
        return ${Class}Client(self.settings.api_url, self.settings.secret("api_key"))

    def account_key(self) -> str:
        return f"${package}:{self.settings.api_url}"

    def on_order_paid(self, job: JobContext) -> Outcome:
        order = self.host.read("order", job.object_id, self.channel)
        if order is None:
            return Outcome(detail="order deleted before it was sent")
        if order.customer is None or order.customer.id is None:
            if not self.settings.send_guests:
                return Outcome(detail="guest order not sent (settings)")
        reply = self.client().put(f"/orders/{order.id}", order_body(order), job.idempotency_key)
        return Outcome(status_code=200, detail="order sent", provider_ids=ids(reply, "order"))

    def on_customer_upserted(self, job: JobContext) -> Outcome:
        customer = self.host.read("customer", job.object_id, self.channel)
        if customer is None:
            return Outcome(detail="customer deleted before it was sent")
        body = {"email": customer.email, "name": f"{customer.first_name} {customer.last_name}"}
        reply = self.client().put(f"/contacts/{customer.id}", body, job.idempotency_key)
        return Outcome(status_code=200, detail="contact sent", provider_ids=ids(reply, "contact"))


def order_body(order: s.Order) -> dict[str, Any]:
    """What the provider receives for an order: money as exact decimal strings."""
    return {
        "number": order.number,
        "email": order.email,
        "customer_id": order.customer.id if order.customer else None,
        "currency": order.currency,
        "total": str(order.total_gross.amount),
        "lines": [
            {"sku": x.sku, "quantity": x.quantity, "total": str(x.total_gross.amount)}
            for x in order.lines
        ],
    }


def ids(reply: dict[str, Any], kind: str) -> dict[str, str]:
    return {kind: str(reply["id"])} if reply.get("id") else {}


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration[Any]]]:
    return [${Class}Integration]
