"""The settings every catalog integration has, declared once (a :class:`ChannelSettings`
base the providers' settings inherit): the product link, the attribute slugs of each
field, the brand, condition and category mapping, what an unavailable variant becomes,
and the feed token."""

from __future__ import annotations

import re
import string
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import SecretStr, field_validator

from ..core.settings import ChannelSettings, Kind, setting, split_list

LINK_FIELDS = frozenset({"slug", "product_id", "variant_id", "sku", "channel"})
FEED_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,128}")

Slugs = tuple[str, ...]
SLUGS_MAX = 10
SLUG_RE = re.compile(r"[\w-]{1,250}")  # Saleor's attribute slug: a SlugField of 250
SLUG_FIELDS = (
    "brand_attribute", "gtin_attribute", "mpn_attribute", "color_attribute", "size_attribute",
    "gender_attribute", "age_group_attribute", "material_attribute",
)  # fmt: skip
SLUGS_HELP = (
    "attribute slugs, comma-separated (product types may use different ones); the first "
    "listed that the variant, else the product, has gives the value."
)
TEMPLATE_HELP = (
    "Storefront URL of a variant, with {slug}, {product_id}, {variant_id}, {sku} or "
    "{channel}, e.g. https://shop.example.com/products/{slug}?variant={variant_id}"
)


class Condition(StrEnum):
    NEW = "new"
    USED = "used"
    REFURBISHED = "refurbished"


class OutOfStock(StrEnum):
    """What a tracked variant with no stock becomes."""

    OUT_OF_STOCK = "out_of_stock"  # listed as out of stock
    BACKORDER = "backorder"  # listed as orderable on backorder
    SKIP = "skip"  # left out of the catalog and the feed


class CatalogSettings(ChannelSettings):
    """Fields and checks shared by the catalog integrations' settings."""

    product_url_template: str = setting(
        label="Product URL template", help=TEMPLATE_HELP, max_length=500
    )
    brand_attribute: Slugs = setting((), label="Brand attribute", help=f"Brand: {SLUGS_HELP}")
    gtin_attribute: Slugs = setting((), label="GTIN attribute", help=f"GTIN: {SLUGS_HELP}")
    mpn_attribute: Slugs = setting((), label="MPN attribute", help=f"MPN: {SLUGS_HELP}")
    color_attribute: Slugs = setting((), label="Colour attribute", help=f"Colour: {SLUGS_HELP}")
    size_attribute: Slugs = setting((), label="Size attribute", help=f"Size: {SLUGS_HELP}")
    gender_attribute: Slugs = setting(
        (), label="Gender attribute", help=f"Gender (male, female or unisex): {SLUGS_HELP}"
    )
    age_group_attribute: Slugs = setting(
        (),
        label="Age group attribute",
        help=f"Age group (adult, kids, toddler, infant or newborn): {SLUGS_HELP}",
    )
    material_attribute: Slugs = setting(
        (), label="Material attribute", help=f"Material: {SLUGS_HELP}"
    )
    default_brand: str = setting(
        label="Default brand", help="Brand when the attribute is empty.", max_length=100
    )
    category_mapping: str = setting(
        label="Category mapping",
        help="One line per Saleor category: `<category slug or name> = <Google product "
        "category ID or path>`; the deepest category with a line wins.",
        kind=Kind.MULTILINE,
    )
    condition: Condition = setting(
        Condition.NEW, label="Condition", help="new, used or refurbished.", max_length=20
    )
    out_of_stock: OutOfStock = setting(
        OutOfStock.OUT_OF_STOCK,
        label="Variants without stock",
        help="out_of_stock: list them as out of stock; backorder: list them as orderable on "
        "backorder; skip: leave them out.",
        max_length=20,
    )
    list_unavailable: bool = setting(
        False,
        label="List products not available for purchase",
        help="On: a product not yet available for purchase in this channel is listed (as "
        "preorder when it has a date, else out of stock). Off: it is left out.",
    )
    feed_token: SecretStr | None = setting(
        None,
        label="Feed token",
        help="A secret of 32 to 128 letters, digits, - or _ that you choose (e.g. the output "
        'of `python -c "import secrets; print(secrets.token_urlsafe(32))"`). The feed is '
        "served only to a request that presents it, in its URL or as the password of HTTP "
        "basic auth (any user name); the plugin's status gives the URL. Empty: no feed.",
        kind=Kind.SECRET,
    )

    @field_validator("feed_token")
    @classmethod
    def _feed_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not FEED_TOKEN_RE.fullmatch(value.get_secret_value()):
            raise ValueError("Feed token: 32 to 128 letters, digits, - or _.")
        return value

    @field_validator(*SLUG_FIELDS, mode="before")
    @classmethod
    def _slugs(cls, value: Any) -> Slugs:
        slugs = split_list(value)
        if len(slugs) > SLUGS_MAX:
            raise ValueError(f"At most {SLUGS_MAX} attribute slugs.")
        for slug in slugs:
            if not SLUG_RE.fullmatch(slug):
                raise ValueError(f"{slug[:40]!r} is not an attribute slug.")
        return slugs

    @field_validator("product_url_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if not value:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError("Product URL template must be an http(s) URL.")
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError:
            raise ValueError("Product URL template has an unbalanced { or }.") from None
        unknown = names - LINK_FIELDS
        if unknown:
            raise ValueError(f"Unknown placeholder {{{sorted(unknown)[0]}}} in the template.")
        return value

    @field_validator("category_mapping")
    @classmethod
    def _mapping(cls, value: str) -> str:
        parse_category_mapping(value)
        return value

    def categories(self) -> dict[str, str]:
        return parse_category_mapping(self.category_mapping)


@lru_cache(maxsize=64)
def parse_category_mapping(text: str) -> dict[str, str]:
    """``slug or name = Google category`` lines -> {lower-cased key: category}."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(
                f"Category mapping line {number} must read `category = Google category`."
            )
        mapping[key.strip().lower()] = value.strip()
    return mapping
