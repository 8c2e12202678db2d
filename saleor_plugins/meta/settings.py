"""Per-channel settings of the Meta (Facebook and Instagram) integration."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import SecretStr, field_validator

from ..catalog.settings import SLUGS_HELP, CatalogSettings, Condition, Slugs
from ..core.settings import Kind, setting, split_list

__all__ = ["Condition", "ContentIdRule", "MetaSettings", "PurchaseOn"]

NUMERIC_ID = re.compile(r"^\d{1,20}$")
#: Conversions API events this integration can send
SUPPORTED_EVENTS = ("Purchase", "InitiateCheckout", "AddPaymentInfo")
#: sent from checkout events (the others from order events)
CHECKOUT_EVENTS = frozenset({"InitiateCheckout", "AddPaymentInfo"})


class ContentIdRule(StrEnum):
    """Which id a variant has in the catalog and in the pixel's ``content_ids``."""

    SKU = "sku"  # the SKU, else the variant id
    VARIANT_ID = "variant_id"


class PurchaseOn(StrEnum):
    PAID = "paid"  # the order is fully paid
    CREATED = "created"  # the order is placed


class MetaSettings(CatalogSettings):
    ORDER = ("access_token", "catalog_id", "pixel_id", "events", "purchase_on")

    access_token: SecretStr | None = setting(
        None,
        label="System user access token",
        help="A Meta Business system-user token with catalog_management and ads_management "
        "for the catalog and the pixel.",
        kind=Kind.SECRET,
        required=True,
    )
    catalog_id: str = setting(
        label="Catalog ID",
        help="The numeric ID of the Commerce Manager catalog (empty: no catalog sync).",
        max_length=20,
    )
    pixel_id: str = setting(
        label="Pixel (dataset) ID",
        help="The numeric ID of the pixel / dataset receiving Conversions API events "
        "(empty: no events).",
        max_length=20,
    )
    events: tuple[str, ...] = setting(
        ("Purchase",),
        label="Conversions API events",
        help="Comma-separated events to send: Purchase, InitiateCheckout (a checkout with "
        "an e-mail and lines), AddPaymentInfo (a checkout with a payment or a billing "
        "address); or none (catalog only).",
        max_length=200,
    )
    purchase_on: PurchaseOn = setting(
        PurchaseOn.PAID,
        label="Send Purchase when the order is",
        help="paid (fully paid, the default) or created (placed).",
        max_length=10,
    )
    require_consent: bool = setting(
        True,
        label="Require consent",
        help="On: an event is sent only when the order's consent metadata key grants it. "
        "Off: events are sent without asking (only where the law allows it).",
    )
    consent_metadata_key: str = setting(
        "marketing_consent",
        label="Consent metadata key",
        help="Order metadata key (copied from the checkout) that must read true, yes, 1, on "
        "or granted for an event to be sent.",
        max_length=100,
    )
    content_id_rule: ContentIdRule = setting(
        ContentIdRule.SKU,
        label="Content ID rule",
        help="sku: the SKU, else the variant ID; variant_id: always the variant ID. The "
        "storefront's pixel must send the same ids as content_ids.",
        max_length=20,
    )
    test_event_code: str = setting(
        label="Test event code",
        help="Optional: the code from Events Manager's Test events tab (e.g. TEST12345); "
        "events then appear there. Clear it in production.",
        max_length=40,
    )
    storefront_url: str = setting(
        label="Storefront URL",
        help="The shop's URL, sent as event_source_url when the checkout stored none.",
        max_length=500,
    )
    brand_attribute: Slugs = setting(
        ("brand",), label="Brand attribute", help=f"Brand: {SLUGS_HELP}"
    )

    @field_validator("catalog_id", "pixel_id")
    @classmethod
    def _numeric(cls, value: str) -> str:
        if value and not NUMERIC_ID.match(value):
            raise ValueError("Must be the numeric ID Meta shows (digits only).")
        return value

    @field_validator("events", mode="before")
    @classmethod
    def _events(cls, value: object) -> tuple[str, ...]:
        names = split_list(value)
        if [n.lower() for n in names] == ["none"]:
            return ()
        known = {e.lower(): e for e in SUPPORTED_EVENTS}
        unknown = [n for n in names if n.lower() not in known]
        if unknown:
            raise ValueError(
                f"Unknown event {unknown[0]!r}: supported are {', '.join(SUPPORTED_EVENTS)}."
            )
        return tuple(dict.fromkeys(known[n.lower()] for n in names))

    @field_validator("consent_metadata_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", value):
            raise ValueError("Consent metadata key: letters, digits, _ . : or - only.")
        return value

    @field_validator("test_event_code")
    @classmethod
    def _test_code(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9]{1,40}", value):
            raise ValueError("Test event code: letters and digits only, as Meta shows it.")
        return value

    @field_validator("storefront_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("Storefront URL must be an http(s) URL.")
        return value

    def validate_together(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not self.catalog_id and not self.pixel_id:
            errors["catalog_id"] = "Give a catalog ID, a pixel ID, or both."
        if self.catalog_id and not self.product_url_template:
            errors["product_url_template"] = "Required with a catalog: items need a link."
        if self.events and not self.pixel_id:
            errors["pixel_id"] = "Required to send events (or set the events to none)."
        return errors

    @property
    def sends_purchase(self) -> bool:
        return self.sends("Purchase")

    def sends(self, event_name: str) -> bool:
        return bool(self.pixel_id) and event_name in self.events
