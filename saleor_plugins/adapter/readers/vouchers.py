"""Vouchers as one channel sees them: its codes, and the value listed in that channel."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ...core import snapshots as s
from .common import pages


def queryset(channel: str) -> Any:
    from django.db.models import Prefetch
    from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode

    listings = VoucherChannelListing.objects.filter(channel__slug=channel).select_related("channel")
    return Voucher.objects.filter(channel_listings__channel__slug=channel).prefetch_related(
        Prefetch("codes", queryset=VoucherCode.objects.order_by("created_at", "code")),
        Prefetch("channel_listings", queryset=listings, to_attr="listings_here"),
    )


def snapshot(voucher: Any, channel: str) -> s.Voucher | None:
    listing = next(iter(voucher.listings_here), None)
    if listing is None:
        return None
    codes = list(voucher.codes.all())
    return s.Voucher(
        id=str(voucher.pk),
        codes=tuple(c.code for c in codes if c.is_active),
        name=voucher.name or "",
        discount_type=str(voucher.discount_value_type),
        value=Decimal(listing.discount_value),
        channel=channel,
        starts_at=voucher.start_date,
        ends_at=voucher.end_date,
        usage_limit=voucher.usage_limit,
        used=sum(int(c.used or 0) for c in codes),
        currency=listing.currency or "",
        min_spent=(
            s.Money(Decimal(listing.min_spent_amount), listing.currency)
            if listing.min_spent_amount is not None
            else None
        ),
    )


def read(object_id: str, channel: str) -> s.Voucher | None:
    """None also when the voucher is not listed in the channel: no code works there."""
    if not str(object_id).isdigit():
        return None
    voucher = queryset(channel).filter(pk=int(object_id)).first()
    return snapshot(voucher, channel) if voucher is not None else None


def iter_ids(channel: str) -> Iterator[str]:
    from saleor.discount.models import Voucher

    ids = Voucher.objects.filter(channel_listings__channel__slug=channel).order_by("pk")
    for pk in ids.values_list("pk", flat=True).iterator(chunk_size=2000):
        yield str(pk)


def iter_objects(channel: str, page_size: int) -> Iterator[s.Voucher]:
    for page in pages(queryset(channel), "pk", page_size):
        for voucher in page:
            snap = snapshot(voucher, channel)
            if snap is not None:
                yield snap
