"""Which (integration, channel) pairs a channel-less Saleor event concerns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core import ledger, outbox
from ..core.events import EventType
from ..core.integration import CustomerRoute
from ..core.models import Job, JobStatus
from ..core.registry import integrations


def subscribers(event: EventType) -> list[str]:
    return [i for i, cls in integrations().items() if event in cls.subscribes]


def active_pairs(
    integration_ids: Iterable[str], channels: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """Active (integration, channel) pairs, from Saleor's plugin configurations."""
    from saleor.plugins.models import PluginConfiguration

    ids = list(integration_ids)
    if not ids:
        return []
    qs = PluginConfiguration.objects.filter(identifier__in=ids, active=True, channel__isnull=False)
    if channels is not None:
        qs = qs.filter(channel__slug__in=list(channels))
    return [(i, c) for i, c in qs.values_list("identifier", "channel__slug")]


def product_targets(product_id: str) -> list[tuple[str, str]]:
    """Active (integration, channel) pairs a product change concerns.

    Every subscriber active in a channel the product is listed in; and, where it is no
    longer listed, each integration that still holds the product there (the kernel's
    ledger, durable) or has an unfinished job for it (it may be writing it right now,
    before the ledger says so), so that it removes what it sent.
    """
    from saleor.product.models import ProductChannelListing

    ids = subscribers(EventType.PRODUCT_UPSERTED)
    if not ids:
        return []
    listed = set(
        ProductChannelListing.objects.filter(product_id=product_id).values_list(
            "channel__slug", flat=True
        )
    )
    holding = ledger.holders("product", product_id, ids) | _in_flight("product", product_id, ids)
    channels = listed | {c for _, c in holding}
    return [p for p in active_pairs(ids, channels) if p[1] in listed or p in holding]


def _in_flight(object_type: str, object_id: str, ids: list[str]) -> set[tuple[str, str]]:
    rows = Job.objects.filter(
        object_type=object_type,
        object_id=object_id,
        integration__in=ids,
        status__in=[JobStatus.PENDING, JobStatus.RUNNING],
    ).values_list("integration", "channel")
    return set(rows)


def route_product(product_id: str) -> list[int]:
    targets = product_targets(product_id)
    if not targets:
        return []
    return outbox.emit(EventType.PRODUCT_UPSERTED, product_id, targets, defer=True)


def route_product_deleted(product_id: str, variant_ids: list[str]) -> list[int]:
    # The listings are gone with the product: every active channel may hold its offers.
    targets = active_pairs(subscribers(EventType.PRODUCT_DELETED))
    return outbox.emit(
        EventType.PRODUCT_DELETED,
        product_id,
        targets,
        payload={"variant_ids": variant_ids},
        defer=True,
    )


def customer_channels(customer_id: str) -> set[str]:
    """Channels where the customer ordered or has a checkout (the ENGAGED rule)."""
    from .readers.customers import channels_of

    return set(channels_of([customer_id]).get(str(customer_id), ()))


def route_customer(customer_id: str, extra_channels: Iterable[str] = ()) -> list[int]:
    event = EventType.CUSTOMER_UPSERTED
    by_rule: dict[CustomerRoute, list[str]] = {}
    for integration_id in subscribers(event):
        rule = integrations()[integration_id].customer_route
        by_rule.setdefault(rule, []).append(integration_id)
    targets: list[tuple[str, str]] = []
    if by_rule.get(CustomerRoute.ALL):
        targets += active_pairs(by_rule[CustomerRoute.ALL])
    if by_rule.get(CustomerRoute.ENGAGED):
        channels = customer_channels(customer_id) | {c for c in extra_channels if c}
        targets += active_pairs(by_rule[CustomerRoute.ENGAGED], channels)
    return outbox.emit(event, customer_id, targets, defer=True)


def voucher_codes(voucher: Any) -> list[str]:
    try:
        return [c.code for c in voucher.codes.all()]
    except Exception:  # noqa: BLE001 - the voucher row may already be gone
        return []


def route_voucher(
    voucher_id: str, event: EventType, payload: dict[str, Any] | None = None
) -> list[int]:
    from saleor.discount.models import VoucherChannelListing

    ids = subscribers(event)
    if not ids:
        return []
    channels: set[str] | None = set(
        VoucherChannelListing.objects.filter(voucher_id=voucher_id).values_list(
            "channel__slug", flat=True
        )
    )
    if event is EventType.VOUCHER_DELETED:
        channels = None  # listings are gone with the voucher
    return outbox.emit(event, voucher_id, active_pairs(ids, channels), payload=payload, defer=True)
