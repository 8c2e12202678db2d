"""Which (integration, channel) pairs a channel-less Saleor event concerns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core import outbox
from ..core.events import EventType
from ..core.integration import CustomerRoute
from ..core.models import Job
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


def product_channels(product_id: str) -> set[str]:
    """Channels the product is listed in, plus those we synced it to before.

    A product removed from a channel is no longer listed there, but its offers still
    exist at the provider: routing there too lets the integration delete them.
    """
    from saleor.product.models import ProductChannelListing

    listed = set(
        ProductChannelListing.objects.filter(product_id=product_id).values_list(
            "channel__slug", flat=True
        )
    )
    synced = set(
        Job.objects.filter(object_type="product", object_id=product_id)
        .values_list("channel", flat=True)
        .distinct()
    )
    return listed | synced


def route_product(product_id: str) -> list[int]:
    ids = subscribers(EventType.PRODUCT_UPSERTED)
    if not ids:
        return []
    targets = active_pairs(ids, product_channels(product_id))
    return outbox.emit(EventType.PRODUCT_UPSERTED, product_id, targets)


def route_product_deleted(product_id: str, variant_ids: list[str]) -> list[int]:
    # The listings are gone with the product: every active channel may hold its offers.
    targets = active_pairs(subscribers(EventType.PRODUCT_DELETED))
    return outbox.emit(
        EventType.PRODUCT_DELETED, product_id, targets, payload={"variant_ids": variant_ids}
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
    return outbox.emit(event, customer_id, targets)


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
    return outbox.emit(event, voucher_id, active_pairs(ids, channels), payload=payload)
