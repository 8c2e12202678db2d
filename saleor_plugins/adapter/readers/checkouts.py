"""Checkouts, and completed ones: Saleor deletes a checkout when it becomes an order, so a
token with no checkout but an order placed from it reads as ``completed=True`` with the
order's lines and total (abandoned-cart integrations then close the cart)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from ...core import snapshots as s
from . import orders
from .common import customer, metadata, money


def queryset() -> Any:
    from django.db.models import Prefetch
    from saleor.checkout.models import Checkout, CheckoutLine

    lines = CheckoutLine.objects.select_related("variant__product").order_by("created_at", "pk")
    return Checkout.objects.select_related(
        "channel", "user__default_billing_address", "metadata_storage"
    ).prefetch_related(
        Prefetch("lines", queryset=lines),
        "lines__variant__channel_listings",
    )


def unit_price(line: Any, channel_id: int) -> Decimal:
    """The stored, tax-calculated price when Saleor has computed it; otherwise the
    override or the variant's (discounted) price in the checkout's channel."""
    if line.total_price_gross_amount and line.quantity:
        return Decimal(line.total_price_gross_amount) / int(line.quantity)
    if line.price_override is not None:
        return Decimal(line.price_override)
    listing = next(
        (x for x in line.variant.channel_listings.all() if x.channel_id == channel_id), None
    )
    if listing is not None:
        price = listing.discounted_price_amount
        if price is None:
            price = listing.price_amount
        if price is not None:
            return Decimal(price)
    return Decimal(line.undiscounted_unit_price_amount or 0)


def snapshot(checkout: Any) -> s.Checkout:
    cur = checkout.currency
    lines = tuple(
        s.CheckoutLine(
            variant_id=str(line.variant_id),
            product_id=str(line.variant.product_id),
            sku=line.variant.sku or "",
            product_name=line.variant.product.name,
            quantity=int(line.quantity),
            unit_price=money(unit_price(line, checkout.channel_id), cur),
        )
        for line in checkout.lines.all()
    )
    total = Decimal(checkout.total_gross_amount or 0)
    if not total:
        total = sum((x.unit_price.amount * x.quantity for x in lines), Decimal(0))
    user = checkout.user
    return s.Checkout(
        token=str(checkout.token),
        channel=checkout.channel.slug,
        email=checkout.email or (user.email if user is not None else ""),
        currency=cur,
        lines=lines,
        total=money(total, cur),
        customer=customer(user) if user is not None else None,
        language=checkout.language_code or "",
        completed=False,
        updated_at=checkout.last_change,
        metadata=_metadata(checkout),
        created_at=checkout.created_at,
    )


def _metadata(checkout: Any) -> dict[str, str]:
    # Since 3.13 a checkout's metadata lives in CheckoutMetadata (``metadata_storage``).
    storage = getattr(checkout, "metadata_storage", None)
    return metadata(storage) if storage is not None else metadata(checkout)


def completed(order: s.Order) -> s.Checkout:
    return s.Checkout(
        token=order.checkout_token,
        channel=order.channel,
        email=order.email,
        currency=order.currency,
        lines=tuple(
            s.CheckoutLine(
                variant_id=line.variant_id,
                product_id=line.product_id,
                sku=line.sku,
                product_name=line.product_name,
                quantity=line.quantity,
                unit_price=line.unit_price_gross,
            )
            for line in order.lines
        ),
        total=order.total_gross,
        customer=order.customer if order.customer and order.customer.id else None,
        language=order.language,
        completed=True,
        updated_at=order.created_at,
        order_id=order.id,
    )


def read(token: str) -> s.Checkout | None:
    try:
        pk = uuid.UUID(str(token))
    except ValueError:
        return None
    found = queryset().filter(pk=pk).first()
    if found is not None:
        return snapshot(found)
    order = orders.queryset().filter(checkout_token=str(pk)).order_by("created_at").first()
    return completed(orders.snapshot(order)) if order is not None else None
