"""Saleor's hook names mapped onto the kernel's event vocabulary, in one table."""

from __future__ import annotations

from typing import Any

from ..core.events import EventType

#: Hooks Saleor calls *with* the object's channel: per-channel plugins vote, the router
#: writes. The value picks the event and how to name the object and its version.
CHANNEL_HOOKS: dict[str, EventType] = {
    "order_created": EventType.ORDER_CREATED,
    "order_confirmed": EventType.ORDER_UPDATED,
    "order_updated": EventType.ORDER_UPDATED,
    "order_paid": EventType.ORDER_PAID,
    "order_fully_paid": EventType.ORDER_PAID,
    "order_refunded": EventType.ORDER_REFUNDED,
    "order_fully_refunded": EventType.ORDER_REFUNDED,
    "order_cancelled": EventType.ORDER_CANCELLED,
    "order_expired": EventType.ORDER_CANCELLED,
    "order_fulfilled": EventType.ORDER_FULFILLED,
    "order_metadata_updated": EventType.ORDER_UPDATED,  # consent, tracking ids live there
    "checkout_created": EventType.CHECKOUT_UPSERTED,
    "checkout_updated": EventType.CHECKOUT_UPSERTED,
    "checkout_metadata_updated": EventType.CHECKOUT_UPSERTED,
}

#: Hooks Saleor calls *without* a channel: only the global router receives them.
PRODUCT_HOOKS = (
    "product_created",
    "product_updated",
    "product_variant_created",
    "product_variant_updated",
    "product_variant_deleted",
    "product_media_created",
    "product_media_updated",
    "product_media_deleted",
)
CUSTOMER_HOOKS = (
    "customer_created",
    "customer_updated",
    "customer_metadata_updated",  # marketing consent is read from metadata
    "account_confirmed",
)
VOUCHER_HOOKS = ("voucher_created", "voucher_updated")


def object_id(obj: Any) -> str:
    """Orders and checkouts are addressed by their UUID / token, the rest by pk."""
    if hasattr(obj, "token") and not hasattr(obj, "number"):
        return str(obj.token)
    return str(obj.pk)


def version(event: EventType, obj: Any) -> str:
    """What makes two events of the same kind on one order distinct (none: duplicates)."""
    if event in (EventType.ORDER_CREATED,) or event.coalesces:
        return ""
    updated = getattr(obj, "updated_at", None)
    return updated.isoformat() if updated else ""
