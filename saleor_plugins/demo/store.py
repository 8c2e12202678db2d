"""Writes to the demo store, each emitting its event in the same transaction (as Saleor
does through its plugin hooks)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..core import outbox
from ..core.events import EventType
from ..core.maintenance import active_targets
from .models import (
    DemoCheckout,
    DemoCustomer,
    DemoInstallation,
    DemoOrder,
    DemoProduct,
    DemoVariant,
)


def install(integration: str, channel: str, *, active: bool = True, **config: Any) -> None:
    """Save a configuration; switching it on records when (reconciliation starts there)."""
    with transaction.atomic():
        row = (
            DemoInstallation.objects.select_for_update()
            .filter(integration=integration, channel=channel)
            .first()
        )
        since = row.active_since if row is not None and row.active else None
        DemoInstallation.objects.update_or_create(
            integration=integration,
            channel=channel,
            defaults={
                "active": active,
                "configuration": [{"name": k, "value": v} for k, v in config.items()],
                "active_since": (since or timezone.now()) if active else None,
            },
        )


def _emit(event: EventType, object_id: Any, channels: list[str], version: str = "") -> None:
    outbox.emit(event, str(object_id), active_targets(event, channels), version=version)


def register_customer(
    channel: str, email: str, first_name: str, consent: bool | None
) -> DemoCustomer:
    """A shopper signs up in a channel, ticking the newsletter box (or not, or never asked)."""
    with transaction.atomic():
        customer = DemoCustomer.objects.create(
            email=email, first_name=first_name, last_name="Demo", marketing_consent=consent
        )
        _emit(EventType.CUSTOMER_UPSERTED, customer.pk, [channel])
    return customer


def save_checkout(
    channel: str, email: str, lines: list[dict[str, Any]], customer: DemoCustomer | None = None
) -> DemoCheckout:
    currency = lines[0].get("currency", "USD") if lines else "USD"
    with transaction.atomic():
        checkout = DemoCheckout.objects.create(
            channel=channel, email=email, lines=lines, customer=customer, currency=currency
        )
        _emit(EventType.CHECKOUT_UPSERTED, checkout.token, [channel])
    return checkout


def complete_checkout(
    checkout: DemoCheckout, payment: dict[str, Any], client_id: str = ""
) -> DemoOrder:
    """checkoutComplete after the payment succeeded: the order, paid, in one transaction."""
    with transaction.atomic():
        total = sum(Decimal(str(x["unit_price"])) * x["quantity"] for x in checkout.lines)
        order = DemoOrder.objects.create(
            channel=checkout.channel,
            email=checkout.email,
            customer=checkout.customer,
            currency=checkout.currency,
            lines=checkout.lines,
            total=total,
            checkout_token=str(checkout.token),
            tracking_client_id=client_id,
            charge_status="full",
            payments=[payment],
        )
        checkout.completed = True
        checkout.save(update_fields=["completed"])
        _emit(EventType.ORDER_CREATED, order.pk, [order.channel])
        _emit(EventType.ORDER_PAID, order.pk, [order.channel], order.updated_at.isoformat())
    return order


def refund(order: DemoOrder, refund_row: dict[str, Any]) -> None:
    with transaction.atomic():
        order.refunds = [*order.refunds, refund_row]
        order.updated_at = timezone.now()
        order.save(update_fields=["refunds", "updated_at"])
        _emit(EventType.ORDER_REFUNDED, order.pk, [order.channel], refund_row["id"])


def delete_product(product: DemoProduct) -> None:
    with transaction.atomic():
        channels, pk = list(product.channels), product.pk
        product.delete()
        _emit(EventType.PRODUCT_DELETED, pk, channels)


def place_order(
    channel: str, email: str, lines: list[dict[str, Any]], *, emit: bool = True
) -> DemoOrder:
    total = sum(Decimal(str(x["unit_price"])) * x["quantity"] for x in lines)
    with transaction.atomic():
        order = DemoOrder.objects.create(channel=channel, email=email, lines=lines, total=total)
        if emit:
            outbox.emit(
                EventType.ORDER_CREATED,
                str(order.pk),
                active_targets(EventType.ORDER_CREATED, [channel]),
            )
    return order


def mark_paid(order: DemoOrder) -> None:
    with transaction.atomic():
        order.charge_status = "full"
        order.updated_at = timezone.now()
        order.save(update_fields=["charge_status", "updated_at"])
        outbox.emit(
            EventType.ORDER_PAID,
            str(order.pk),
            active_targets(EventType.ORDER_PAID, [order.channel]),
            version=order.updated_at.isoformat(),
        )


def upsert_product(
    name: str,
    channels: list[str],
    variants: list[dict[str, Any]],
    product: DemoProduct | None = None,
) -> DemoProduct:
    with transaction.atomic():
        if product is None:
            product = DemoProduct.objects.create(name=name, channels=channels)
            for v in variants:
                DemoVariant.objects.create(product=product, **v)
        else:
            product.name = name
            product.channels = channels
            product.updated_at = timezone.now()
            product.save()
        outbox.emit(
            EventType.PRODUCT_UPSERTED,
            str(product.pk),
            active_targets(EventType.PRODUCT_UPSERTED, channels),
        )
    return product
