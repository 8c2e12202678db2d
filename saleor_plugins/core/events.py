"""The event vocabulary integrations subscribe to.

Saleor's hooks are mapped onto these names once, in the adapter; integrations never see
Saleor's hook names. ``COALESCING`` events describe the latest state of an object, so a
pending job for the same object is replaced by a newer one instead of queued behind it.
"""

from __future__ import annotations

from enum import StrEnum


class ObjectType(StrEnum):
    ORDER = "order"
    PRODUCT = "product"
    CUSTOMER = "customer"
    CHECKOUT = "checkout"
    VOUCHER = "voucher"
    PAYMENT = "payment"
    INBOUND = "inbound"  # a verified provider webhook, stored before processing
    PAYOUT = "payout"  # a payment provider's payout to the bank (core/payouts.py)
    CHANNEL = "channel"  # whole-channel work: backfill, full sync, status pull


class EventType(StrEnum):
    ORDER_CREATED = "order_created"
    ORDER_UPDATED = "order_updated"
    ORDER_PAID = "order_paid"
    ORDER_REFUNDED = "order_refunded"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_FULFILLED = "order_fulfilled"
    PRODUCT_UPSERTED = "product_upserted"
    PRODUCT_DELETED = "product_deleted"
    CUSTOMER_UPSERTED = "customer_upserted"
    CHECKOUT_UPSERTED = "checkout_upserted"
    CHECKOUT_COMPLETED = "checkout_completed"
    VOUCHER_UPSERTED = "voucher_upserted"
    VOUCHER_DELETED = "voucher_deleted"
    WEBHOOK_RECEIVED = "webhook_received"
    CHANNEL_SYNC = "channel_sync"
    PAYOUT_PAID = "payout_paid"
    PAYOUT_FAILED = "payout_failed"  # failed or canceled: the money went back to the balance

    @property
    def object_type(self) -> ObjectType:
        return _OBJECT_TYPE[self]

    @property
    def coalesces(self) -> bool:
        return self in COALESCING


_OBJECT_TYPE = {
    EventType.ORDER_CREATED: ObjectType.ORDER,
    EventType.ORDER_UPDATED: ObjectType.ORDER,
    EventType.ORDER_PAID: ObjectType.ORDER,
    EventType.ORDER_REFUNDED: ObjectType.ORDER,
    EventType.ORDER_CANCELLED: ObjectType.ORDER,
    EventType.ORDER_FULFILLED: ObjectType.ORDER,
    EventType.PRODUCT_UPSERTED: ObjectType.PRODUCT,
    EventType.PRODUCT_DELETED: ObjectType.PRODUCT,
    EventType.CUSTOMER_UPSERTED: ObjectType.CUSTOMER,
    EventType.CHECKOUT_UPSERTED: ObjectType.CHECKOUT,
    EventType.CHECKOUT_COMPLETED: ObjectType.CHECKOUT,
    EventType.VOUCHER_UPSERTED: ObjectType.VOUCHER,
    EventType.VOUCHER_DELETED: ObjectType.VOUCHER,
    EventType.WEBHOOK_RECEIVED: ObjectType.INBOUND,
    EventType.CHANNEL_SYNC: ObjectType.CHANNEL,
    EventType.PAYOUT_PAID: ObjectType.PAYOUT,
    EventType.PAYOUT_FAILED: ObjectType.PAYOUT,
}

# Events carrying "the latest state of this object": a newer one replaces a pending one.
COALESCING = frozenset(
    {
        EventType.PRODUCT_UPSERTED,
        EventType.PRODUCT_DELETED,
        EventType.CUSTOMER_UPSERTED,
        EventType.CHECKOUT_UPSERTED,
        EventType.CHECKOUT_COMPLETED,
        EventType.VOUCHER_UPSERTED,
        EventType.VOUCHER_DELETED,
        EventType.ORDER_UPDATED,
    }
)
