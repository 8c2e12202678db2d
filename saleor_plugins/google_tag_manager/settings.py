"""Per-channel settings of the Google Tag Manager and GA4 integration, declared once."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from pydantic import SecretStr, field_validator

from ..core.settings import ChannelSettings, Kind, setting

CONTAINER_RE = re.compile(r"^GTM-[A-Z0-9]{4,12}$")
MEASUREMENT_RE = re.compile(r"^G-[A-Z0-9]{4,16}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
METADATA_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ATTRIBUTE_RE = re.compile(r"^[a-z0-9_-]{1,100}$")
MAX_URL = 500

#: Checkout (and so order) metadata keys the storefront writes; documented, fixed.
CLIENT_ID_KEY = "ga4_client_id"
SESSION_ID_KEY = "ga4_session_id"


class SendOn(StrEnum):
    """When a purchase is sent."""

    CREATED = "created"  # the order is placed
    PAID = "paid"  # the order is fully paid (charge status full or overcharged)


class ItemId(StrEnum):
    SKU = "sku"  # the variant's SKU, its id when it has none
    VARIANT_ID = "variant_id"


class MissingClientId(StrEnum):
    """What to do with an order whose storefront sent no GA client id."""

    SKIP = "skip"  # not sent; the reason is in the sync log
    PSEUDONYMOUS = "pseudonymous"  # sent with a stable id derived from the order


class Consent(StrEnum):
    GRANTED = "GRANTED"
    DENIED = "DENIED"


def allows_private_addresses() -> tuple[bool, bool]:
    """(private ranges allowed, loopback allowed), from Saleor's own HTTP settings."""
    enabled = bool(getattr(django_settings, "HTTP_IP_FILTER_ENABLED", True))
    loopback = bool(getattr(django_settings, "HTTP_IP_FILTER_ALLOW_LOOPBACK_IPS", False))
    return (not enabled, (not enabled) or loopback)


def refused_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why ``ip`` may not be called ("" when it may), as Saleor's HTTP_IP_FILTER decides."""
    private_ok, loopback_ok = allows_private_addresses()
    if ip.is_loopback:
        return "" if loopback_ok else "a loopback address"
    if private_ok:
        return ""
    if ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved:
        return "a private or reserved address"
    if ip.is_unspecified:
        return "an unspecified address"
    return ""


def check_container_url(value: str) -> str:
    """A server-side Tag Manager base URL: https, no credentials, no private host."""
    if len(value) > MAX_URL:
        raise ValueError(f"Server container URL: at most {MAX_URL} characters.")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("Server container URL must be an https:// URL.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("Server container URL: no credentials, query or fragment.")
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        _, loopback_ok = allows_private_addresses()
        if not loopback_ok:
            raise ValueError("Server container URL may not point at a loopback address.")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return value.rstrip("/")
    why = refused_address(ip)
    if why:
        raise ValueError(f"Server container URL may not point at {why}.")
    return value.rstrip("/")


class GoogleTagManagerSettings(ChannelSettings):
    ORDER = ("container_id", "measurement_id", "api_secret", "server_container_url")

    container_id: str = setting(
        label="Tag Manager web container ID",
        help="The storefront's web container, e.g. GTM-ABC1234 (served in config.json).",
        required=True,
    )
    measurement_id: str = setting(
        label="GA4 measurement ID",
        help="The web data stream's measurement ID, e.g. G-ABCDEF1234.",
        required=True,
    )
    api_secret: SecretStr | None = setting(
        None,
        label="Measurement Protocol API secret",
        help="Admin → Data streams → the stream → Measurement Protocol API secrets.",
        kind=Kind.SECRET,
        required=True,
    )
    server_container_url: str = setting(
        label="Server-side Tag Manager URL",
        help="Optional https base URL of a server container (e.g. https://sgtm.example.com): "
        "events go there instead of Google. Private and loopback hosts are refused.",
    )
    send_purchase_on: SendOn = setting(
        SendOn.PAID,
        label="Send the purchase when",
        help="paid: the order is fully paid (default); created: the order is placed.",
    )
    item_id: ItemId = setting(
        ItemId.SKU,
        label="Item ID",
        help="sku: the variant's SKU, its ID when it has none; variant_id: the variant ID. "
        "Use the same as the storefront's dataLayer.",
    )
    brand_attribute: str = setting(
        label="Brand attribute", help="Slug of the product attribute giving item_brand."
    )
    missing_client_id: MissingClientId = setting(
        MissingClientId.SKIP,
        label="Order without a GA client ID",
        help="skip: not sent, the reason is in the sync log; pseudonymous: sent with a "
        "stable ID derived from the order (revenue counts, no session).",
    )
    consent_metadata_key: str = setting(
        "ga4_consent",
        label="Consent metadata key",
        help="Order (checkout) metadata key holding Consent Mode v2 choices, e.g. "
        '{"ad_user_data":"GRANTED","ad_personalization":"DENIED"}.',
    )
    default_ad_user_data: Consent = setting(
        Consent.DENIED,
        label="ad_user_data when none recorded",
        help="GRANTED or DENIED: sent when the order carries no consent.",
    )
    default_ad_personalization: Consent = setting(
        Consent.DENIED,
        label="ad_personalization when none recorded",
        help="GRANTED or DENIED: sent when the order carries no consent.",
    )
    send_user_data: bool = setting(
        False,
        label="Send hashed user-provided data",
        help="SHA-256 of the normalised email, phone and address, only for orders whose "
        "ad_user_data consent is GRANTED.",
    )

    @field_validator("container_id")
    @classmethod
    def _container(cls, value: str) -> str:
        value = value.upper()
        if not CONTAINER_RE.match(value):
            raise ValueError("Tag Manager container ID must look like GTM-XXXXXXX.")
        return value

    @field_validator("measurement_id")
    @classmethod
    def _measurement(cls, value: str) -> str:
        value = value.upper()
        if not MEASUREMENT_RE.match(value):
            raise ValueError("GA4 measurement ID must look like G-XXXXXXXXXX.")
        return value

    @field_validator("api_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_RE.match(value.get_secret_value()):
            raise ValueError("API secret: 8 to 100 letters, digits, - or _ (as GA4 shows it).")
        return value

    @field_validator("server_container_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_container_url(value) if value else value

    @field_validator("consent_metadata_key")
    @classmethod
    def _consent_key(cls, value: str) -> str:
        if not METADATA_KEY_RE.match(value):
            raise ValueError("Consent metadata key: up to 64 letters, digits, _ . : or -.")
        return value

    @field_validator("brand_attribute")
    @classmethod
    def _brand(cls, value: str) -> str:
        if value and not ATTRIBUTE_RE.match(value):
            raise ValueError("Brand attribute must be an attribute slug (e.g. brand).")
        return value
