"""Small conversions shared by the readers: money, addresses, metadata, keyset pages."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ...core import snapshots as s


def money(amount: Any, currency: str) -> s.Money:
    """Saleor's ``*_amount`` column (``None`` counts as zero) in the given currency."""
    return s.Money(Decimal(amount) if amount is not None else Decimal(0), currency)


def optional_money(amount: Any, currency: str) -> s.Money | None:
    return None if amount is None else s.Money(Decimal(amount), currency)


def metadata(obj: Any) -> dict[str, str]:
    """Public metadata as strings (Saleor's API only writes strings; imports may not)."""
    return strings(getattr(obj, "metadata", None))


def strings(raw: Any) -> dict[str, str]:
    """A metadata column's value as strings (:func:`metadata` of a row)."""
    return {str(k): v if isinstance(v, str) else str(v) for k, v in (raw or {}).items()}


def address(addr: Any) -> s.Address | None:
    if addr is None:
        return None
    return s.Address(
        first_name=addr.first_name,
        last_name=addr.last_name,
        company=addr.company_name,
        street_1=addr.street_address_1,
        street_2=addr.street_address_2,
        city=addr.city,
        postal_code=addr.postal_code,
        country=getattr(addr.country, "code", None) or str(addr.country or ""),
        country_area=addr.country_area,
        phone=str(addr.phone) if addr.phone else "",
    )


def customer(user: Any, channels: tuple[str, ...] = ()) -> s.Customer:
    """A registered user (``select_related("default_billing_address")`` avoids a query)."""
    return s.Customer(
        id=str(user.pk),
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        language=user.language_code or "",
        is_active=user.is_active,
        marketing_consent=None,  # Saleor has no such field: integrations read metadata
        billing_address=address(user.default_billing_address),
        channels=channels,
        metadata=metadata(user),
        created_at=user.date_joined,
        updated_at=user.updated_at,
    )


def pages(queryset: Any, key: str, page_size: int, *, flat: bool = False) -> Iterator[list[Any]]:
    """Keyset pagination on a unique, ordered column: one evaluation (plus its
    prefetches) per page, whatever the table size; rows added meanwhile are not skipped
    as OFFSET paging would. ``flat``: the queryset is ``values_list(key, flat=True)``."""
    size = max(1, int(page_size))
    last: Any = None
    while True:
        qs = queryset if last is None else queryset.filter(**{f"{key}__gt": last})
        rows = list(qs.order_by(key)[:size])
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1] if flat else getattr(rows[-1], key)


def id_pages(queryset: Any, key: str, page_size: int) -> Iterator[list[Any]]:
    """Like :func:`pages` for a ``values_list(key, flat=True)`` queryset."""
    return pages(queryset, key, page_size, flat=True)
