"""Per-channel settings of the Google Merchant Center integration."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from pydantic import SecretStr, field_validator

from ..catalog.settings import (
    TEMPLATE_HELP,
    CatalogSettings,
    Condition,
    OutOfStock,
    parse_category_mapping,
)
from ..core import secrets
from ..core.settings import Kind, setting

__all__ = ["Condition", "GoogleMerchantSettings", "OutOfStock", "parse_category_mapping"]

ACCOUNT_RE = re.compile(r"^(accounts/)?(\d+)$")
DATA_SOURCE_RE = re.compile(r"^(accounts/(\d+)/dataSources/)?(\d+)$")
#: a Google key is about 2.3 KB; anything far larger is not one (and costs to parse)
SERVICE_ACCOUNT_MAX = 16_384


class GoogleMerchantSettings(CatalogSettings):
    ORDER = (
        "merchant_id", "data_source", "service_account_json", "content_language", "feed_label",
        "product_url_template",
    )  # fmt: skip

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
        help=TEMPLATE_HELP,
        required=True,
        max_length=500,
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
