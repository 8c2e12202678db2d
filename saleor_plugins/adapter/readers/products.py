"""Products with their variants, prices, stocks, media and attributes.

Read as rows, not model instances (:mod:`.product_rows`): building Django instances was
most of the cost of a page. A page costs a fixed number of queries whatever its size, 10:
the products (with type and category columns), their listings, media and attribute
values, the variants, their prices, stocks, media and attribute values, and the
categories' ancestors. (A page whose products have no variant, or no category, skips the
queries it has nothing to ask.) Equal parts of a page (a price, a stock line, a medium, an
attribute with its values) are built once and shared: snapshots are immutable.

Media URLs are absolute and point at the original file, as the API's
``ProductMedia.url(size: 0)`` gives them: ``build_absolute_uri(image.url)`` (PUBLIC_URL, or
the Site's domain), unchanged when the storage already gives an absolute URL (S3, GCS);
a video or other external medium is its ``external_url``. Providers fetch full-size
images themselves, so the API's default thumbnail-proxy URL is not used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from ...core import richtext
from ...core import snapshots as s
from ...core.collector import collector_paused
from .attributes import AttributeRows
from .common import strings
from .product_rows import Category, category_paths, moment, page_rows, products

__all__ = ["category_paths", "grams", "iter_ids", "iter_objects", "read", "snapshots"]


def grams(weight: float | None) -> Decimal | None:
    """A weight column's grams (:func:`.product_rows.grams`) to 3 decimals, or None."""
    if weight is None:
        return None
    return Decimal(str(round(weight, 3)))


#: file names whose URL on the file-system storage is the storage's URL + the name:
#: characters that neither ``filepath_to_uri``, ``urljoin`` nor ``iri_to_uri`` change, and
#: no empty, ``.`` or ``..`` segment that ``urljoin`` would resolve
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")
_PROBE = "probe.jpg"


def image_urls() -> Callable[[str], str]:
    """``build_absolute_uri(storage.url(name))`` for the product-media storage.

    The two ``urljoin`` calls cost more than the rest of a medium; on Django's file-system
    storage a plain name's URL is a fixed prefix + the name, so the prefix is computed once
    (by those same calls on a probe name) and names outside :data:`_PLAIN_NAME`, or any
    other storage (S3, GCS may sign each URL), take the full path."""
    from django.core.files.storage import FileSystemStorage
    from saleor.core.utils import build_absolute_uri
    from saleor.product.models import ProductMedia

    storage = ProductMedia._meta.get_field("image").storage
    inner = getattr(storage, "_wrapped", storage)  # default_storage is a lazy object

    def full(name: str) -> str:
        return str(build_absolute_uri(storage.url(name)))

    if type(inner) is not FileSystemStorage:
        return full
    probe = full(_PROBE)
    if not probe.endswith(_PROBE):
        return full
    prefix = probe[: -len(_PROBE)]
    plain = _PLAIN_NAME.fullmatch

    def fast(name: str) -> str:
        return prefix + name if plain(name) else full(name)

    return fast


class Page:
    """Builds the snapshots of one page; equal parts are built once (bounded by the page)."""

    def __init__(self) -> None:
        self._url = image_urls()
        self._media: dict[int, s.Media | None] = {}
        self._prices: dict[tuple[Any, ...], s.ChannelPrice] = {}
        self._stocks: dict[tuple[Any, ...], s.Stock] = {}
        self._money: dict[tuple[str, str], s.Money] = {}

    # -- parts ---------------------------------------------------------------------------
    def medium(self, row: tuple[Any, ...]) -> s.Media | None:
        """Rows ``(owner, id, image, external_url, type, alt, sort_order)``; None: no URL."""
        found = self._media.get(row[1], False)
        if found is not False:
            return found  # type: ignore[return-value]
        _, pk, image, external_url, kind, alt, sort_order = row
        if external_url and (kind != "IMAGE" or not image):
            url = str(external_url)
        elif image:
            url = self._url(image)
        else:
            url = ""
        made = s.Media(url, alt or "", sort_order or 0) if url else None
        self._media[pk] = made
        return made

    def media(self, rows: list[tuple[Any, ...]] | None) -> tuple[s.Media, ...]:
        if not rows:
            return ()
        return tuple(m for m in map(self.medium, rows) if m is not None)

    def money(self, amount: str, currency: str) -> s.Money:
        """``amount``: a numeric column's text."""
        key = (amount, currency)
        found = self._money.get(key)
        if found is None:
            found = self._money[key] = s.Money(Decimal(amount), currency)
        return found

    def price(self, row: tuple[Any, ...]) -> s.ChannelPrice:
        """Rows ``(variant, channel slug, currency, price, cost price, discounted price)``,
        the amounts as text (:func:`.product_rows.page_rows`)."""
        key = row[1:]
        found = self._prices.get(key)
        if found is None:
            channel, currency, price, cost, discounted = key
            found = self._prices[key] = s.ChannelPrice(
                channel=channel,
                price=self.money(price, currency),
                cost_price=None if cost is None else self.money(cost, currency),
                discounted_price=None if discounted is None else self.money(discounted, currency),
            )
        return found

    def stock(self, row: tuple[Any, ...]) -> s.Stock:
        """Rows ``(variant, warehouse slug, quantity, allocated)``."""
        key = row[1:]
        found = self._stocks.get(key)
        if found is None:
            found = self._stocks[key] = s.Stock(key[0], int(key[1]), int(key[2]))
        return found

    # -- the page ------------------------------------------------------------------------
    def snapshots(self, page: list[Any]) -> list[s.Product]:
        from django.db import connection

        categories = {
            r.category_id: Category(
                r.category_id, r.category__name, r.category__slug, r.category__tree_id,
                r.category__lft, r.category__rght, r.category__level,
            )
            for r in page
            if r.category_id is not None
        }  # fmt: skip
        paths = category_paths(categories.values())
        rows = page_rows([r.pk for r in page])
        attributes = AttributeRows()
        product_attributes = attributes.by_owner(rows.attributes)
        variant_attributes = attributes.by_owner(rows.variant_attributes)
        zone = connection.timezone  # the one Django reads timestamps in
        out = []
        for r in page:
            path = paths.get(r.category_id, ())
            weight = grams(r.grams)
            if weight is None:
                weight = grams(r.type_grams)
            variants = tuple(
                self.variant(v, rows, weight, variant_attributes.get(v[1], ()))
                for v in rows.variants.get(r.pk, ())
            )
            out.append(
                s.Product(
                    id=str(r.pk),
                    slug=r.slug,
                    name=r.name,
                    description=richtext.render(r.description) or r.description_plaintext,
                    product_type=r.product_type__name,
                    category=r.category__name if r.category_id is not None else "",
                    category_path=tuple(name for name, _ in path),
                    category_slugs=tuple(slug for _, slug in path),
                    variants=variants,
                    listings=tuple(_listing(x, zone) for x in rows.listings.get(r.pk, ())),
                    attributes=product_attributes.get(r.pk, ()),
                    media=self.media(rows.media.get(r.pk)),
                    weight_grams=weight,
                    updated_at=moment(r.updated_text, zone),
                    metadata=strings(r.metadata),
                )
            )
        return out

    def variant(
        self,
        row: tuple[Any, ...],
        rows: Any,
        fallback_weight: Decimal | None,
        attributes: tuple[s.Attribute, ...],
    ) -> s.Variant:
        """Rows ``(product, id, sku, name, weight, track_inventory, is_preorder,
        external_reference, preorder_end_date)``."""
        _, pk, sku, name, weight, track, preorder, reference, preorder_end = row
        own = grams(weight)
        return s.Variant(
            id=str(pk),
            sku=sku or "",
            name=name or "",
            prices=tuple(map(self.price, rows.prices.get(pk, ()))),
            stocks=tuple(map(self.stock, rows.stocks.get(pk, ()))),
            attributes=attributes,
            media=self.media(rows.variant_media.get(pk)),
            track_inventory=bool(track),
            preorder=bool(preorder),
            weight_grams=own if own is not None else fallback_weight,
            external_reference=reference or "",
            preorder_end_date=preorder_end,
        )


def _listing(row: tuple[Any, ...], zone: Any) -> s.ChannelListing:
    """Rows ``(product, channel slug, is_published, visible_in_listings,
    available_for_purchase_at, published_at)``, the dates as :func:`.product_rows.utc_text`."""
    _, channel, published, visible, available_at, published_at = row
    return s.ChannelListing(
        channel=channel,
        is_published=bool(published),
        visible_in_listings=bool(visible),
        available_for_purchase_at=moment(available_at, zone),
        published_at=moment(published_at, zone),
    )


def snapshots(page: list[Any]) -> list[s.Product]:
    """Snapshots of product rows (:func:`.product_rows.products`), in their order."""
    if not page:
        return []
    with collector_paused():
        return Page().snapshots(page)


def read(object_id: str) -> s.Product | None:
    if not str(object_id).isdigit():
        return None
    found = snapshots(list(products().filter(pk=int(object_id))))
    return found[0] if found else None


def in_channel(channel: str) -> Any:
    from saleor.product.models import Product

    return Product.objects.filter(channel_listings__channel__slug=channel)


def iter_ids(channel: str) -> Iterator[str]:
    ids = in_channel(channel).order_by("pk").values_list("pk", flat=True)
    for pk in ids.iterator(chunk_size=2000):
        yield str(pk)


def iter_objects(channel: str, page_size: int) -> Iterator[s.Product]:
    """The channel's products in keyset pages (:func:`.common.pages`), listed in the
    channel tested by an ``EXISTS`` bounded by the page's key too: otherwise the planner
    merges the listing index from its start at every page, each page costing more than
    the one before. (A product has one listing per channel: the rows a join gives.)"""
    from django.db.models import Exists, OuterRef
    from saleor.product.models import ProductChannelListing

    size, last = max(1, int(page_size)), 0
    while True:
        listed = ProductChannelListing.objects.filter(
            product_id=OuterRef("pk"), channel__slug=channel, product_id__gt=last
        )
        page = list(products().filter(Exists(listed), pk__gt=last).order_by("pk")[:size])
        yield from snapshots(page)
        if len(page) < size:
            return
        last = page[-1].pk
