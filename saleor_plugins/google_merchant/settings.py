"""Per-channel settings of the Google Merchant Center integration."""

from __future__ import annotations

import json
import re
import string
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import SecretStr, field_validator

from ..core import secrets
from ..core.settings import ChannelSettings, Kind, setting, split_list

ACCOUNT_RE = re.compile(r"^(accounts/)?(\d+)$")
DATA_SOURCE_RE = re.compile(r"^(accounts/(\d+)/dataSources/)?(\d+)$")
LINK_FIELDS = frozenset({"slug", "product_id", "variant_id", "sku", "channel"})
#: a Google key is about 2.3 KB; anything far larger is not one (and costs to parse)
SERVICE_ACCOUNT_MAX = 16_384
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
    feed_token: SecretStr | None = setting(
        None,
        label="Feed token",
        help="A secret of 32 to 128 letters, digits, - or _ that you choose (e.g. the output "
        'of `python -c "import secrets; print(secrets.token_urlsafe(32))"`). The feed is '
        "served only to a request that presents it: at <plugin URL>/<token>/feed.xml (and "
        "feed.tsv), or at <plugin URL>/feed.xml with HTTP basic auth (any user name, the "
        "token as password). Empty: the feed files are not served.",
        kind=Kind.SECRET,
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
        "than the last (the box clears itself). Where they are served: see Feed token.",
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
        text = value.get_secret_value()
        problem = service_account_problem(text)
        if problem:
            raise ValueError(problem)
        # the whole JSON is scrubbed as a secret; the key inside it must be too
        secrets.register(str(json.loads(text)["private_key"]).strip())
        return value

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


@lru_cache(maxsize=16)
def service_account_problem(text: str) -> str:
    """Why ``text`` is not a usable service-account key ("" when it is).

    Parsed as the client will use it (google-auth loads the private key), so a key that
    would only fail at the first sync is refused at save. Cached: settings are parsed for
    every job, the key rarely changes.
    """
    from google.oauth2 import service_account

    if len(text) > SERVICE_ACCOUNT_MAX:
        return f"Service account key is over {SERVICE_ACCOUNT_MAX:,} characters: not a Google key."
    try:
        info = json.loads(text)
    except ValueError:
        return "Service account key must be the JSON file Google gave."
    if not isinstance(info, dict):
        return "Service account key must be the JSON file Google gave."
    missing = [k for k in ("type", "client_email", "private_key", "token_uri") if not info.get(k)]
    if missing:
        return f"Service account key lacks {', '.join(missing)}."
    if info["type"] != "service_account":
        return "Service account key: type must be service_account (not a user or API key)."
    if not isinstance(info["client_email"], str) or "@" not in info["client_email"]:
        return "Service account key: client_email is not an e-mail address."
    if not str(info["token_uri"]).startswith(("https://", "http://")):
        return "Service account key: token_uri is not a URL."
    if not isinstance(info["private_key"], str) or "PRIVATE KEY-----" not in info["private_key"]:
        return "Service account key: private_key is not a PEM private key."
    try:
        service_account.Credentials.from_service_account_info(info)
    except Exception:  # noqa: BLE001 - whatever the reason, the key cannot sign
        return "Service account key: private_key cannot be loaded (not an RSA PEM key)."
    return ""


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
