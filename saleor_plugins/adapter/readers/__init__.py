"""Saleor model instances → kernel snapshots, with a bounded number of queries.

``read`` builds one snapshot; ``iter_objects`` builds them a page at a time with keyset
pagination, and a page costs the same number of queries whatever its size (related rows
come from ``select_related`` joins and ``prefetch_related`` with ``Prefetch`` querysets,
category paths and customer channels from one batched query each). ``iter_ids`` streams
primary keys only. ``recent_changes`` feeds reconciliation (:mod:`.changes`).

Object ids: order = ``Order.id`` (UUID), checkout = ``Checkout.token``, product, customer
(``User``) and voucher = primary key. An id that cannot be one (bad UUID, not a number)
reads as None, like an object that is gone.

What each type reads as, per channel:
- order: the order whatever its channel (the job chose it); ``iter_*`` list the channel's
  orders by number, drafts excluded;
- product: every listing and channel price, so an integration can see a product that left
  its channel (``listing_in(channel) is None``) and remove it; ``iter_*`` list products
  with a listing in the channel;
- customer: ``iter_*`` list users who ordered in the channel;
- checkout: by token; a completed (deleted) checkout reads from its order;
- voucher: None when not listed in the channel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from ...core.host import Change
from . import changes, checkouts, customers, orders, products, vouchers

__all__ = ["iter_ids", "iter_objects", "read", "recent_changes"]

_READ: dict[str, Callable[[str, str], Any]] = {
    "order": lambda object_id, _channel: orders.read(object_id),
    "product": lambda object_id, _channel: products.read(object_id),
    "customer": lambda object_id, _channel: customers.read(object_id),
    "checkout": lambda object_id, _channel: checkouts.read(object_id),
    "voucher": vouchers.read,
}
_IDS: dict[str, Callable[[str], Iterator[str]]] = {
    "order": orders.iter_ids,
    "product": products.iter_ids,
    "customer": customers.iter_ids,
    "voucher": vouchers.iter_ids,
}
_OBJECTS: dict[str, Callable[[str, int], Iterator[Any]]] = {
    "order": orders.iter_objects,
    "product": products.iter_objects,
    "customer": customers.iter_objects,
    "voucher": vouchers.iter_objects,
}


def _writer(items: Iterable[Any]) -> Iterator[Any]:
    """Stream while allowed to read the primary database.

    Readers run right after the write that queued the job: a replica may not have it yet,
    so they read the primary. Saleor can forbid that by default (its optional
    ``restrict_writer`` middleware, and its Celery task wrapper); ``allow_writer`` is its
    own way of saying "this read must see the latest data".
    """
    from saleor.core.db.connection import allow_writer

    with allow_writer():
        yield from items


def read(object_type: str, object_id: str, channel: str) -> Any | None:
    """A snapshot, or None when the object is gone (or the type is not a stored object)."""
    from saleor.core.db.connection import allow_writer

    reader = _READ.get(str(object_type))
    if reader is None:
        return None
    with allow_writer():
        return reader(str(object_id), channel)


def iter_ids(object_type: str, channel: str) -> Iterator[str]:
    source = _IDS.get(str(object_type))
    return _writer(source(channel)) if source is not None else iter(())


def iter_objects(object_type: str, channel: str, *, page_size: int = 500) -> Iterator[Any]:
    source = _OBJECTS.get(str(object_type))
    return _writer(source(channel, page_size)) if source is not None else iter(())


def recent_changes(since: datetime) -> Iterator[Change]:
    return _writer(changes.recent_changes(since))
