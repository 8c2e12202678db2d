"""Per-channel Mailchimp settings, declared once."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import SecretStr, field_validator

from ..core.settings import ChannelSettings, Kind, setting, split_list

_API_KEY = re.compile(r"^[0-9a-zA-Z]{8,}-(?P<dc>[a-z]{2,4}[0-9]{1,3})$")
_MERGE_TAG = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")
#: Mailchimp signs nothing: the URL's secret is the whole check, so it must be long
WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX = 24, 128
_WEBHOOK_SECRET = re.compile(rf"[A-Za-z0-9_-]{{{WEBHOOK_SECRET_MIN},{WEBHOOK_SECRET_MAX}}}")


class Data(StrEnum):
    """What a channel may send to Mailchimp."""

    CUSTOMERS = "customers"
    PRODUCTS = "products"
    ORDERS = "orders"
    CARTS = "carts"
    PROMO_CODES = "promo_codes"


#: Customer fields a merge field can be filled from.
MERGE_SOURCES = frozenset(
    {"first_name", "last_name", "phone", "address", "company", "city", "country", "language"}
)
DEFAULT_MERGE_FIELDS = "FNAME=first_name, LNAME=last_name, PHONE=phone, ADDRESS=address"


def data_centre(api_key: str) -> str:
    """``us21`` from ``0123...-us21``; raises ValueError for a key without one."""
    match = _API_KEY.match(api_key.strip())
    if match is None:
        raise ValueError("API key must look like '<key>-<data centre>', e.g. '…-us21'.")
    return match.group("dc")


class MailchimpSettings(ChannelSettings):
    ORDER = ("api_key", "audience_id", "store_id", "double_opt_in", "consent_metadata_key")

    api_key: SecretStr | None = setting(
        None,
        label="API key",
        help="Mailchimp API key; its suffix (e.g. -us21) names the data centre.",
        kind=Kind.SECRET,
        required=True,
    )
    audience_id: str = setting(
        label="Audience ID",
        help="The audience (list) this channel's store belongs to.",
        required=True,
    )
    store_id: str = setting(
        label="Store ID",
        help="Mailchimp store for this channel; created on first use. "
        "Empty: 'saleor-<channel slug>'.",
    )
    store_name: str = setting(label="Store name", help="Empty: the channel's name.")
    store_domain: str = setting(label="Store domain", help="e.g. shop.example.com")
    currency: str = setting(
        label="Store currency", help="ISO 4217 code. Empty: the channel's currency."
    )
    default_language: str = setting(
        "en",
        label="Channel language",
        help="Language given to members whose own language is unknown (e.g. en, fr, de).",
    )
    double_opt_in: bool = setting(
        True,
        label="Double opt-in",
        help="New members get a confirmation email and stay 'pending' until they confirm.",
    )
    tags: tuple[str, ...] = setting(
        (), label="Tags", help="Comma-separated tags given to members from this channel."
    )
    merge_fields: str = setting(
        DEFAULT_MERGE_FIELDS,
        label="Merge fields",
        help="TAG=source pairs, comma separated. Sources: " + ", ".join(sorted(MERGE_SOURCES)),
        kind=Kind.MULTILINE,
    )
    consent_metadata_key: str = setting(
        "marketing_consent",
        label="Consent metadata key",
        help="Metadata key on the customer or checkout holding marketing consent "
        "(true/yes/1 = agreed, false/no/0 = refused). Only customers who agreed join "
        "the audience.",
    )
    campaign_metadata_key: str = setting(
        "mc_cid",
        label="Campaign metadata key",
        help="Order or checkout metadata key where the storefront stored Mailchimp's "
        "mc_cid, for campaign revenue tracking.",
    )
    sync: tuple[Data, ...] = setting(
        tuple(Data),
        label="Data to sync",
        help="Comma-separated: " + ", ".join(d.value for d in Data),
    )
    product_url: str = setting(
        label="Product URL",
        help="Storefront product page, with {slug} or {id}: https://shop.example.com/p/{slug}",
    )
    brand_attributes: tuple[str, ...] = setting(
        (),
        label="Brand attributes",
        help="Attribute slugs giving a product's brand, comma separated; the first with a "
        "value is the product's vendor in Mailchimp. Empty: products have no vendor.",
    )
    cart_url: str = setting(
        label="Cart restore URL",
        help="Storefront URL restoring a cart, with {token}: https://shop.example.com/cart/{token}",
    )
    webhook_secret: SecretStr | None = setting(
        None,
        label="Webhook secret",
        help=f"Random string of {WEBHOOK_SECRET_MIN} to {WEBHOOK_SECRET_MAX} letters, digits, "
        "'-' or '_', carried in the Mailchimp webhook URL: "
        "<api>/plugins/channel/<channel>/saleor_plugins.mailchimp/list/<secret>.",
        kind=Kind.SECRET,
    )

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                f"The webhook secret must be {WEBHOOK_SECRET_MIN} to {WEBHOOK_SECRET_MAX} "
                "letters, digits, '-' or '_' (it is the only check Mailchimp's webhook "
                "allows, and it goes in a URL)."
            )
        return value

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            data_centre(value.get_secret_value())
        return value

    @field_validator("tags", "brand_attributes", mode="before")
    @classmethod
    def _tags(cls, value: object) -> tuple[str, ...]:
        return split_list(value)

    @field_validator("sync", mode="before")
    @classmethod
    def _sync(cls, value: object) -> tuple[Data, ...]:
        items = split_list(value)
        known = {d.value for d in Data}
        unknown = [i for i in items if i not in known]
        if unknown:
            raise ValueError(f"Unknown data to sync: {', '.join(unknown)}.")
        return tuple(Data(i) for i in items)

    @field_validator("merge_fields")
    @classmethod
    def _merge(cls, value: str) -> str:
        parse_merge_fields(value)
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z]{3}", value):
            raise ValueError("Currency must be a 3-letter ISO 4217 code.")
        return value.upper()

    @field_validator("product_url")
    @classmethod
    def _product_url(cls, value: str) -> str:
        return _url_template(value, ("{slug}", "{id}"))

    @field_validator("cart_url")
    @classmethod
    def _cart_url(cls, value: str) -> str:
        return _url_template(value, ("{token}",))

    # -- derived ----------------------------------------------------------------------
    @property
    def dc(self) -> str:
        return data_centre(self.secret("api_key"))

    def store_for(self, channel: str) -> str:
        return self.store_id or f"saleor-{channel}"

    def syncs(self, data: Data) -> bool:
        return data in self.sync

    def merge_map(self) -> dict[str, str]:
        return parse_merge_fields(self.merge_fields)


def parse_merge_fields(value: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in split_list(value):
        tag, sep, source = pair.partition("=")
        tag, source = tag.strip().upper(), source.strip().lower()
        if not sep or not _MERGE_TAG.match(tag):
            raise ValueError(f"Merge field '{pair}' must be TAG=source, TAG up to 10 letters.")
        if source not in MERGE_SOURCES:
            raise ValueError(f"Merge field source '{source}' is not one of the known fields.")
        result[tag] = source
    return result


def _url_template(value: str, placeholders: tuple[str, ...]) -> str:
    if not value:
        return value
    if not value.startswith(("http://", "https://")):
        raise ValueError("URL must start with http:// or https://.")
    if not any(p in value for p in placeholders):
        raise ValueError(f"URL must contain {' or '.join(placeholders)}.")
    return value
