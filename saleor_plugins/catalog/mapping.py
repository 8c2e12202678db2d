"""Product snapshots -> catalog items, one per variant, in no provider's format.

:func:`map_product` returns the items of a product in a channel, for each variant left
out the field that was missing, and notes on values dropped or matched (an invalid GTIN,
the category matched by slug or by name); :func:`report` is the one wording of both for
the merchant (sync log, full sync, feed runs, dashboard). A provider turns an
:class:`Item` into its own fields and passes its :class:`Limits` and item id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial

from ..core.snapshots import Money, Product, Variant
from . import rules
from .settings import CatalogSettings


@dataclass(frozen=True, slots=True)
class Limits:
    """What a provider accepts, and how it names a variant."""

    title: int
    description: int
    additional_images: int
    item_id: Callable[[Variant], str]
    #: the provider refuses an item without a brand: fall back to the product name
    brand_required: bool = False
    brand: int = 70


@dataclass(frozen=True, slots=True)
class Item:
    offer_id: str
    item_group_id: str
    title: str
    description: str
    link: str
    price: Money
    availability: str  # in_stock, out_of_stock, backorder, preorder
    condition: str
    image_link: str = ""
    additional_image_links: tuple[str, ...] = ()
    sale_price: Money | None = None
    sale_starts: datetime | None = None
    sale_ends: datetime | None = None
    availability_date: datetime | None = None
    brand: str = ""
    gtins: tuple[str, ...] = ()
    mpn: str = ""
    identifier_exists: bool = True
    color: str = ""
    size: str = ""
    gender: str = ""
    age_group: str = ""
    material: str = ""
    google_product_category: str = ""
    product_type: str = ""
    shipping_weight_grams: Decimal | None = None


#: notes on items that were sent (a value dropped, how the category matched), as
#: :func:`report` words them
NOTES = {
    "gtin_invalid": "GTIN values dropped (wrong length or check digit)",
    "category_slug": "categories matched by slug",
    "category_name": "categories matched by name",
    "category_unmapped": "offers without a mapped category",
}


@dataclass(slots=True)
class Mapped:
    items: list[Item] = field(default_factory=list)
    #: (variant id, missing field) for every variant left out; "listing" when the
    #: product is not published in the channel
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: key of :data:`NOTES` -> count, over the items sent
    notes: Counter[str] = field(default_factory=Counter)

    def left_out(self) -> Counter[str]:
        """Missing field -> variants, without those of an unpublished product."""
        return Counter(missing for _, missing in self.skipped if missing != "listing")


def report(left_out: Mapping[str, int], notes: Mapping[str, int]) -> str:
    """ "left out: 2 without price; 3 GTIN values dropped (...), 5 categories matched by
    slug" for a sync log or the dashboard ("" when there is nothing to say)."""
    parts = []
    left = ", ".join(f"{n} without {f}" for f, n in sorted(left_out.items()) if n)
    if left:
        parts.append(f"left out: {left}")
    noted = ", ".join(f"{notes[k]} {label}" for k, label in NOTES.items() if notes.get(k))
    if noted:
        parts.append(noted)
    return "; ".join(parts)


def map_product(
    product: Product, settings: CatalogSettings, channel: str, now: datetime, limits: Limits
) -> Mapped:
    """Items for every variant of a product listed in ``channel``."""
    result = Mapped()
    listing = product.listing_in(channel)
    if listing is None or not rules.published(listing, now):
        result.skipped = [(v.id, "listing") for v in product.variants]
        return result
    description = rules.description_for(product, limits.description)
    category, matched = rules.category_for(product, settings.categories())
    path = product.category_path or ((product.category,) if product.category else ())
    product_type = " > ".join(path)
    # the parts every variant shares, computed once
    product_values = rules.first_values(product.attributes)
    product_images = rules.image_urls(product.media)
    brands: dict[str, str] = {}  # brand -> its truncation
    condition = settings.condition.value
    for variant in product.variants:
        prices = rules.prices_for(variant, channel, now)
        if prices is None:
            result.skipped.append((variant.id, "price"))
            continue
        images = rules.images_for(product, variant) if variant.media else product_images
        if not images:
            result.skipped.append((variant.id, "image_link"))
            continue
        availability = rules.availability_for(variant, listing, settings, now)
        if availability is None:
            result.skipped.append((variant.id, "availability"))
            continue
        values = rules.attribute_values(product, variant, product_values)
        attr = partial(rules.attribute_value, values)
        gtins, invalid = rules.gtins_of(attr(settings.gtin_attribute))
        mpn = attr(settings.mpn_attribute)
        if invalid:
            result.notes["gtin_invalid"] += invalid
        brand = attr(settings.brand_attribute) or settings.default_brand
        if not brand and limits.brand_required:
            brand = product.name
        if brand not in brands:
            brands[brand] = rules.truncate(brand, limits.brand)
        price, sale, sale_starts, sale_ends = prices
        result.items.append(
            Item(
                offer_id=limits.item_id(variant),
                item_group_id=product.id,
                title=rules.title_for(product, variant, limits.title),
                description=description,
                link=rules.link_for(settings, product, variant, channel),
                price=price,
                sale_price=sale,
                sale_starts=sale_starts,
                sale_ends=sale_ends,
                availability=availability[0],
                availability_date=availability[1],
                condition=condition,
                image_link=images[0],
                additional_image_links=images[1 : 1 + limits.additional_images],
                brand=brands[brand],
                gtins=gtins,
                mpn=mpn,
                identifier_exists=bool(gtins or mpn),
                color=attr(settings.color_attribute),
                size=attr(settings.size_attribute),
                gender=rules.gender_of(attr(settings.gender_attribute)),
                age_group=rules.age_group_of(attr(settings.age_group_attribute)),
                material=attr(settings.material_attribute),
                google_product_category=category,
                product_type=product_type,
                shipping_weight_grams=variant.weight_grams or product.weight_grams,
            )
        )
    if settings.category_mapping and result.items:
        result.notes[f"category_{matched or 'unmapped'}"] += len(result.items)
    return result
