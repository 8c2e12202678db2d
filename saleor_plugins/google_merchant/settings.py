"""Per-channel settings of the Google Merchant Center integration."""

from __future__ import annotations

import json
import re
import string
from enum import StrEnum
from functools import lru_cache

from pydantic import SecretStr, field_validator

from ..core import secrets
from ..core.settings import ChannelSettings, Kind, setting

ACCOUNT_RE = re.compile(r"^(accounts/)?(\d+)$")
DATA_SOURCE_RE = re.compile(r"^(accounts/(\d+)/dataSources/)?(\d+)$")
LINK_FIELDS = frozenset({"slug", "product_id", "variant_id", "sku", "channel"})


class Condition(StrEnum):
    NEW = "new"
    USED = "used"
    REFURBISHED = "refurbished"


class OutOfStock(StrEnum):
    """What a tracked variant with no stock becomes."""

    OUT_OF_STOCK = "out_of_stock"  # listed as out of stock
    BACKORDER = "backorder"  # listed as orderable on backorder
    SKIP = "skip"  # left out of Merchant Center and the feed


class GoogleMerchantSettings(ChannelSettings):
    ORDER = ("merchant_id", "data_source", "service_account_json", "content_language")

    merchant_id: str = setting(
        label="Merchant Center account ID",
        help="The numeric account ID shown in Merchant Center (e.g. 123456789).",
        required=True,
    )
    data_source: str = setting(
        label="API data source",
        help="The primary API data source ID (or accounts/<id>/dataSources/<id>). Leave empty "
        "and run `manage.py saleor_plugins_google_merchant_sync --create-data-source` to "
        "create one.",
    )
    service_account_json: SecretStr | None = setting(
        None,
        label="Service account key (JSON)",
        help="The JSON key of a service account added as a user of the Merchant Center account.",
        kind=Kind.SECRET_MULTILINE,
        required=True,
    )
    content_language: str = setting(
        "en", label="Content language", help="ISO 639-1 code of the product data, e.g. en."
    )
    feed_label: str = setting(
        "US",
        label="Feed label / target country",
        help="Feed label of the offers; a two-letter country code targets that country.",
    )
    product_url_template: str = setting(
        label="Product URL template",
        help="Storefront URL of a variant, with {slug}, {product_id}, {variant_id}, {sku} "
        "or {channel}, e.g. https://shop.example.com/products/{slug}?variant={variant_id}",
        required=True,
    )
    brand_attribute: str = setting(label="Brand attribute", help="Attribute slug giving the brand.")
    gtin_attribute: str = setting(label="GTIN attribute", help="Attribute slug giving the GTIN.")
    mpn_attribute: str = setting(label="MPN attribute", help="Attribute slug giving the MPN.")
    color_attribute: str = setting(
        label="Colour attribute", help="Attribute slug giving the colour."
    )
    size_attribute: str = setting(label="Size attribute", help="Attribute slug giving the size.")
    gender_attribute: str = setting(
        label="Gender attribute", help="Attribute slug: male, female or unisex."
    )
    age_group_attribute: str = setting(
        label="Age group attribute",
        help="Attribute slug: adult, kids, toddler, infant or newborn.",
    )
    material_attribute: str = setting(
        label="Material attribute", help="Attribute slug giving the material."
    )
    default_brand: str = setting(label="Default brand", help="Brand when the attribute is empty.")
    category_mapping: str = setting(
        label="Category mapping",
        help="One line per Saleor category: `<category slug or name> = <Google product "
        "category ID or path>`; the deepest category with a line wins.",
        kind=Kind.MULTILINE,
    )
    condition: Condition = setting(
        Condition.NEW, label="Condition", help="new, used or refurbished."
    )
    out_of_stock: OutOfStock = setting(
        OutOfStock.OUT_OF_STOCK,
        label="Variants without stock",
        help="out_of_stock: list them as out of stock; backorder: list them as orderable on "
        "backorder; skip: leave them out.",
    )
    list_unavailable: bool = setting(
        False,
        label="List products not available for purchase",
        help="On: a product not yet available for purchase in this channel is listed (as "
        "preorder when it has a date, else out of stock). Off: it is left out.",
    )

    start_full_sync: bool = setting(
        False,
        label="Start a full sync on save",
        help="Tick and save: the whole catalogue is sent and stale offers deleted, in the "
        "background (the box clears itself).",
    )
    regenerate_feed: bool = setting(
        False,
        label="Regenerate the feed on save",
        help="Tick and save: the feed files are rebuilt now and published even if much smaller "
        "than the last (the box clears itself). Feeds: <plugin URL>/feed.xml and /feed.tsv.",
    )

    @field_validator("merchant_id")
    @classmethod
    def _account(cls, value: str) -> str:
        match = ACCOUNT_RE.match(value)
        if not match:
            raise ValueError("Merchant Center account ID must be a number.")
        return match.group(2)

    @field_validator("data_source")
    @classmethod
    def _data_source(cls, value: str) -> str:
        if not value:
            return value
        match = DATA_SOURCE_RE.match(value)
        if not match:
            raise ValueError("API data source must be a number or accounts/<id>/dataSources/<id>.")
        return match.group(3)

    @field_validator("service_account_json")
    @classmethod
    def _service_account(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        try:
            info = json.loads(value.get_secret_value())
        except ValueError:
            raise ValueError("Service account key must be the JSON file Google gave.") from None
        if not isinstance(info, dict):
            raise ValueError("Service account key must be the JSON file Google gave.")
        missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
        if missing:
            raise ValueError(f"Service account key lacks {', '.join(missing)}.")
        # the whole JSON is scrubbed as a secret; the key inside it must be too
        secrets.register(str(info["private_key"]).strip())
        return value

    @field_validator("content_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not re.fullmatch(r"[a-zA-Z]{2}", value):
            raise ValueError("Content language must be a two-letter ISO 639-1 code.")
        return value.lower()

    @field_validator("feed_label")
    @classmethod
    def _feed_label(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", value):
            raise ValueError("Feed label: up to 20 letters, digits, - or _.")
        return value.upper()

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
