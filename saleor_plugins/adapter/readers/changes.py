"""What changed recently, for reconciliation (jobs a crash or a lost hook never wrote).

Three streams, each a constant number of queries per 500 objects:
- orders created since (drafts excluded), version ``""``: it must equal the version the
  ``order_created`` hook emits with (:func:`saleor_plugins.adapter.hooks.version`) so the
  dedupe key matches and a job that exists is not written twice;
- products whose row or one of whose variants was updated since, routed to the channels
  the product is listed in; the version is the change's timestamp;
- customers (Saleor's definition: non-staff users, or staff who ordered) updated since,
  routed to the channels they ordered or checked out in (batched, see
  :func:`.customers.channels_of`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ...core.events import EventType
from ...core.host import Change
from .common import id_pages
from .customers import channels_of

BATCH = 500


def orders_created(since: datetime) -> Iterator[Change]:
    from saleor.order.models import Order

    rows = (
        Order.objects.filter(created_at__gte=since)
        .exclude(status="draft")
        .order_by("created_at", "pk")
        .values_list("pk", "channel__slug", "created_at")
    )
    for pk, slug, created_at in rows.iterator(chunk_size=2000):
        yield Change(EventType.ORDER_CREATED.value, str(pk), (slug,), created_at, "")


def products_updated(since: datetime) -> Iterator[Change]:
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.db.models import Exists, Max, OuterRef, Q, Subquery
    from django.db.models.functions import Greatest
    from saleor.product.models import Product, ProductChannelListing, ProductVariant

    variants = ProductVariant.objects.filter(product_id=OuterRef("pk"))
    latest_variant = (
        variants.order_by().values("product_id").annotate(at=Max("updated_at")).values("at")
    )
    changed = Product.objects.filter(
        Q(updated_at__gte=since) | Exists(variants.filter(updated_at__gte=since))
    ).values_list("pk", flat=True)
    for ids in id_pages(changed, "pk", BATCH):
        slugs = dict(
            ProductChannelListing.objects.filter(product_id__in=ids)
            .order_by()
            .values("product_id")
            .annotate(slugs=ArrayAgg("channel__slug", distinct=True))
            .values_list("product_id", "slugs")
        )
        rows = (
            Product.objects.filter(pk__in=ids)
            .annotate(at=Greatest("updated_at", Subquery(latest_variant)))
            .order_by("pk")
            .values_list("pk", "updated_at", "at")
        )
        for pk, updated_at, at in rows:
            when = at or updated_at
            yield Change(
                EventType.PRODUCT_UPSERTED.value,
                str(pk),
                tuple(sorted(slugs.get(pk) or ())),
                when,
                when.isoformat(),
            )


def customers_updated(since: datetime) -> Iterator[Change]:
    from saleor.account.models import User

    changed: Any = (
        User.objects.customers().filter(updated_at__gte=since).values_list("pk", flat=True)
    )
    for ids in id_pages(changed, "pk", BATCH):
        channels = channels_of(ids)
        rows = User.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "updated_at")
        for pk, updated_at in rows:
            yield Change(
                EventType.CUSTOMER_UPSERTED.value,
                str(pk),
                channels.get(str(pk), ()),
                updated_at,
                updated_at.isoformat(),
            )


def recent_changes(since: datetime) -> Iterator[Change]:
    yield from orders_created(since)
    yield from products_updated(since)
    yield from customers_updated(since)
