"""Snapshots for tests, with every required field filled in: change what the test is about.

    order = samples.order("o1", lines=[samples.line("SKU-1", 2, "5.00")], customer=None)

Amounts are strings (exact decimals). Totals follow from the lines unless given.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ..core import snapshots as s

CHANNEL = "default-channel"


def money(amount: str | Decimal | int, currency: str = "EUR") -> s.Money:
    return s.Money(Decimal(str(amount)), currency)


def customer(
    customer_id: str | None = "c1", email: str = "ada@example.com", **kw: Any
) -> s.Customer:
    """A customer with an account (``customer_id=None``: a guest)."""
    defaults: dict[str, Any] = {"first_name": "Ada", "last_name": "Lovelace"}
    return s.Customer(id=customer_id, email=email, **(defaults | kw))


def line(
    sku: str = "SKU-1",
    quantity: int = 1,
    unit_price: str = "10.00",
    currency: str = "EUR",
    **kw: Any,
) -> s.OrderLine:
    """An order line without tax (net = gross)."""
    unit = money(unit_price, currency)
    total = money(unit.amount * quantity, currency)
    fields: dict[str, Any] = {
        "id": f"line-{sku}",
        "product_id": f"p-{sku}",
        "variant_id": f"v-{sku}",
        "sku": sku,
        "product_name": f"Product {sku}",
        "variant_name": "",
        "quantity": quantity,
        "unit_price_net": unit,
        "unit_price_gross": unit,
        "total_net": total,
        "total_gross": total,
    }
    return s.OrderLine(**(fields | kw))


def order(
    order_id: str = "o1",
    *,
    channel: str = CHANNEL,
    lines: list[s.OrderLine] | None = None,
    customer: s.Customer | None = None,
    currency: str = "EUR",
    charge_status: str = "full",
    **kw: Any,
) -> s.Order:
    """An order placed in ``channel``; paid in full unless ``charge_status`` says otherwise."""
    items = tuple(lines if lines is not None else [line(currency=currency)])
    total = sum((x.total_gross.amount for x in items), Decimal(0))
    zero = money(0, currency)
    now = timezone.now()
    fields: dict[str, Any] = {
        "id": order_id,
        "number": order_id,
        "channel": channel,
        "status": "unfulfilled",
        "charge_status": charge_status,
        "currency": currency,
        "email": customer.email if customer else "guest@example.com",
        "lines": items,
        "subtotal_net": money(total, currency),
        "subtotal_gross": money(total, currency),
        "shipping_net": zero,
        "shipping_gross": zero,
        "total_net": money(total, currency),
        "total_gross": money(total, currency),
        "total_charged": money(total if charge_status == "full" else 0, currency),
        "total_refunded": zero,
        "discount": zero,
        "customer": customer,
        "created_at": now,
        "updated_at": now,
    }
    return s.Order(**(fields | kw))


__all__ = ["customer", "line", "money", "order", "replace"]
