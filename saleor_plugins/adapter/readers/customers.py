"""Customers (Saleor users) and the channels they ordered or checked out in.

:func:`channels_of` is the one place the ENGAGED rule is written: two queries for a whole
page of customers (routing asks it for one customer at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ...core import snapshots as s
from .common import customer, id_pages, pages


def channels_of(user_ids: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """Channels each user ordered or checked out in (sorted), the same rule as routing."""
    from saleor.checkout.models import Checkout
    from saleor.order.models import Order

    ids = list(user_ids)
    found: dict[str, set[str]] = {str(i): set() for i in ids}
    if not ids:
        return {}
    for model in (Order, Checkout):
        rows = (
            model.objects.filter(user_id__in=ids)
            .order_by()
            .values_list("user_id", "channel__slug")
            .distinct()
        )
        for user_id, slug in rows:
            found[str(user_id)].add(slug)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def queryset() -> Any:
    from saleor.account.models import User

    return User.objects.select_related("default_billing_address")


def read(object_id: str) -> s.Customer | None:
    if not str(object_id).isdigit():
        return None
    user = queryset().filter(pk=int(object_id)).first()
    if user is None:
        return None
    return customer(user, channels_of([user.pk]).get(str(user.pk), ()))


def in_channel(channel: str) -> Any:
    """Users who ordered in the channel."""
    from django.db.models import Exists, OuterRef
    from saleor.order.models import Order

    ordered = Order.objects.filter(user_id=OuterRef("pk"), channel__slug=channel)
    return queryset().filter(Exists(ordered))


def iter_ids(channel: str) -> Iterator[str]:
    ids = in_channel(channel).values_list("pk", flat=True)
    for page in id_pages(ids, "pk", 2000):
        yield from (str(pk) for pk in page)


def snapshots(users: list[Any]) -> list[s.Customer]:
    channels = channels_of(u.pk for u in users)
    return [customer(u, channels.get(str(u.pk), ())) for u in users]


def iter_objects(channel: str, page_size: int) -> Iterator[s.Customer]:
    for page in pages(in_channel(channel), "pk", page_size):
        yield from snapshots(page)
