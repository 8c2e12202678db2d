"""The rows a page of product snapshots is built from: ``values_list`` over the columns a
snapshot uses, one query per relation, no model instance.

Each relation is read for the whole page with one query, in the order the snapshot keeps
(listings and prices by channel slug, stocks by warehouse slug, media and attribute values
by their sort order), and grouped by owner in Python. Saleor's own managers and ordering
keys are used, so the rows are those the ORM relations would give.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple

#: a product page's own columns (``values_list(..., named=True)``: rows read as ``row.slug``)
PRODUCT_COLUMNS = (
    "pk", "slug", "name", "description", "description_plaintext", "grams", "updated_text",
    "metadata", "product_type__name", "type_grams", "category_id",
    "category__name", "category__slug", "category__tree_id", "category__lft",
    "category__rght", "category__level",
)  # fmt: skip
#: (owner id, medium id, image, external URL, type, alt, sort order)
MEDIA_COLUMNS = ("id", "image", "external_url", "type", "alt", "sort_order")


class Category(NamedTuple):
    """What :func:`category_paths` reads of a category (``Category`` instances have it too)."""

    pk: int
    name: str
    slug: str
    tree_id: int
    lft: int
    rght: int
    level: int


@dataclass(slots=True)
class PageRows:
    """A page's related rows, each list keyed by its owner's id."""

    listings: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    media: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    attributes: list[tuple[Any, ...]] = field(default_factory=list)
    variants: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    prices: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    stocks: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    variant_media: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    variant_attributes: list[tuple[Any, ...]] = field(default_factory=list)


def among(queryset: Any, column: str, ids: list[int]) -> Any:
    """``queryset.filter(<column>__in=ids)`` with the ids as one array parameter
    (``= ANY(%s)``): thousands of placeholders cost more to build and parse than the
    rows they select."""
    return where(queryset, f'"{queryset.model._meta.db_table}"."{column}" = ANY(%s)', ids)


def where(queryset: Any, condition: str, ids: list[int]) -> Any:
    """``queryset`` filtered by an SQL ``condition`` whose one ``%s`` is ``ids`` (as an
    array). Only table and column names from the models' meta are put in the SQL; the ids
    are a parameter."""
    sql = condition.replace("%s", "%s::bigint[]")
    return queryset.extra(where=[sql], params=[array(ids)])  # noqa: S610 - see above


def array(ids: list[int]) -> str:
    """Integer ids as a PostgreSQL array literal (one string: the driver's list adapter
    builds it element by element in Python)."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def grams(column: str) -> Any:
    """A weight column as the float it holds (grams, django-measurement's standard unit),
    without building a ``Weight`` per row. The column is ``double precision``, which the
    driver reads as a float already: a plain output field spares Django's per-row
    ``float()`` converter (a ``FloatField`` output would add one)."""
    from django.db.models import ExpressionWrapper, F, Field

    return ExpressionWrapper(F(column), output_field=Field())


#: a timestamp's UTC wall time in the one text form :func:`moment` reads, whatever the
#: session's DateStyle
_UTC_TEXT = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"


def utc_text(column: str) -> Any:
    """A ``timestamptz`` column as text for :func:`moment`: Django's timestamp loader is
    pure Python (a regular expression and several calls a value), and there is about one
    timestamp per variant (the product's ``updated_at``, its listings' two dates)."""
    from django.db.models import F, Func, TextField

    return Func(F(column), template=_UTC_TEXT, output_field=TextField())


def moment(text: str | None, zone: tzinfo | None = UTC) -> datetime | None:
    """A :func:`utc_text` value as the aware datetime Django reads from the column: the
    same instant, in ``zone``, the connection's time zone (``connection.timezone``)."""
    if text is None:
        return None
    found = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return found if zone is UTC or zone is None else found.astimezone(zone)


def as_text(column: str) -> Any:
    """A column as its text: a JSON one decoded only where it is used (a rich-text value
    is read only when the value has no plain text, and most hold JSON ``null``)."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    return Cast(column, output_field=TextField())


def by_owner(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    """Rows whose first column is their owner's id, grouped by it (order kept)."""
    grouped: defaultdict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


def products() -> Any:
    """The product rows (filter, order and slice it)."""
    from saleor.product.models import Product

    extra = {
        "grams": grams("weight"),
        "type_grams": grams("product_type__weight"),
        "updated_text": utc_text("updated_at"),
    }
    return Product.objects.annotate(**extra).values_list(*PRODUCT_COLUMNS, named=True)


def page_rows(product_ids: list[int]) -> PageRows:
    """Everything under the page's products: 4 queries, and 4 more when they have variants."""
    from saleor.attribute.models import (
        AssignedProductAttributeValue,
        AssignedVariantAttribute,
        AssignedVariantAttributeValue,
    )
    from saleor.product.models import (
        ProductChannelListing,
        ProductMedia,
        ProductVariant,
        ProductVariantChannelListing,
        VariantMedia,
    )
    from saleor.warehouse.models import Stock

    rows = PageRows()
    listings = among(ProductChannelListing.objects, "product_id", product_ids)
    dates = {"available_text": utc_text("available_for_purchase_at"),
             "published_text": utc_text("published_at")}  # fmt: skip
    rows.listings = by_owner(
        listings.annotate(**dates).order_by("channel__slug").values_list(
            "product_id", "channel__slug", "is_published", "visible_in_listings",
            "available_text", "published_text",
        )
    )  # fmt: skip
    media = among(ProductMedia.objects, "product_id", product_ids).order_by("sort_order", "pk")
    rows.media = by_owner(media.values_list("product_id", *MEDIA_COLUMNS))
    values = among(AssignedProductAttributeValue.objects, "product_id", product_ids)
    rows.attributes = list(
        values.annotate(rich_text_json=as_text("value__rich_text"))
        .order_by("sort_order", "pk").values_list(
            "product_id", "value__attribute_id", "value__attribute__slug",
            "value__attribute__name", "value_id", "value__name", "value__plain_text",
            "rich_text_json",
        )
    )  # fmt: skip
    variants = among(ProductVariant.objects, "product_id", product_ids)
    rows.variants = by_owner(
        variants.annotate(grams=grams("weight"))
        .order_by("sort_order", "pk")
        .values_list(
            "product_id", "pk", "sku", "name", "grams", "track_inventory", "is_preorder",
            "external_reference", "preorder_end_date",
        )
    )  # fmt: skip
    variant_ids = [v[1] for vs in rows.variants.values() for v in vs]
    if not variant_ids:
        return rows
    prices = among(ProductVariantChannelListing.objects, "variant_id", variant_ids).filter(
        price_amount__isnull=False  # no price: not purchasable in that channel
    )
    # amounts as text: the page's cache of equal prices is keyed on them, and hashing
    # a fresh Decimal costs more than building the price (Decimal(text) is what the
    # driver's numeric loader gives)
    amounts = {
        f"{c}_text": as_text(f"{c}_amount") for c in ("price", "cost_price", "discounted_price")
    }
    rows.prices = by_owner(
        prices.annotate(**amounts).order_by("channel__slug").values_list(
            "variant_id", "channel__slug", "currency", "price_text", "cost_price_text",
            "discounted_price_text",
        )
    )  # fmt: skip
    stocks = among(Stock.objects, "product_variant_id", variant_ids).order_by("warehouse__slug")
    rows.stocks = by_owner(
        stocks.values_list(
            "product_variant_id", "warehouse__slug", "quantity", "quantity_allocated"
        )
    )
    linked = among(VariantMedia.objects, "variant_id", variant_ids)
    rows.variant_media = by_owner(
        linked.order_by("media__sort_order", "media__pk").values_list(
            "variant_id", *(f"media__{c}" for c in MEDIA_COLUMNS)
        )
    )
    # the variants' assignments first (an index scan), then their values by assignment:
    # a join on the variant ids makes the planner scan the whole value table
    values_table = AssignedVariantAttributeValue._meta.db_table
    assignments = AssignedVariantAttribute._meta.db_table
    in_page = (  # table names from the models' meta; the ids are a parameter
        f'"{values_table}"."assignment_id" = ANY(ARRAY('  # noqa: S608
        f'SELECT "id" FROM "{assignments}" WHERE "variant_id" = ANY(%s)))'
    )
    rows.variant_attributes = list(
        where(AssignedVariantAttributeValue.objects, in_page, variant_ids)
        .annotate(rich_text_json=as_text("value__rich_text"))
        .order_by(
            "assignment__variant_id",
            "assignment__assignment__sort_order",
            "assignment__assignment_id",
            "sort_order",
            "pk",
        )
        .values_list(
            "assignment__variant_id", "assignment__assignment__attribute_id",
            "assignment__assignment__attribute__slug", "assignment__assignment__attribute__name",
            "value_id", "value__name", "value__plain_text", "rich_text_json",
        )
    )  # fmt: skip
    return rows


def category_paths(categories: Iterable[Any]) -> dict[int, tuple[tuple[str, str], ...]]:
    """Root-to-leaf (name, slug) of each category, from one query over their trees (MPTT).

    ``categories``: ``Category`` instances or :class:`Category` rows."""
    from saleor.product.models import Category as SaleorCategory

    wanted = {c.pk: c for c in categories}
    if not wanted:
        return {}
    trees = {c.tree_id for c in wanted.values()}
    depth = max(c.level for c in wanted.values())
    ancestors = list(
        SaleorCategory.objects.filter(tree_id__in=trees, level__lt=depth)
        .order_by("level")
        .values_list("name", "slug", "tree_id", "lft", "rght")
    )
    paths: dict[int, tuple[tuple[str, str], ...]] = {}
    for pk, c in wanted.items():
        above = [
            (name, slug)
            for name, slug, tree, lft, rght in ancestors
            if tree == c.tree_id and lft < c.lft and rght > c.rght
        ]
        paths[pk] = (*above, (c.name, c.slug))
    return paths
