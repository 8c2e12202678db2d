"""Per-channel Stripe settings: keys checked by prefix, test and live never mixed."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import SecretStr, field_validator

from ..core.settings import ChannelSettings, Kind, setting, split_list


class CaptureMode(StrEnum):
    AUTOMATIC = "automatic"  # charge when the customer pays
    MANUAL = "manual"  # authorise only; the merchant captures from the order


_DESCRIPTOR_FORBIDDEN = re.compile(r"[<>\\'\"*]")


def key_mode(key: str) -> str:
    """``test`` or ``live`` from a Stripe key's prefix (``pk_test_…``, ``rk_live_…``)."""
    return "live" if "_live_" in key else "test"


def _check_prefix(value: SecretStr | str | None, prefixes: tuple[str, ...], label: str) -> None:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if raw and not raw.startswith(prefixes):
        names = " or ".join(f"{p}…" for p in prefixes)
        raise ValueError(f"{label} must start with {names}.")


class StripeSettings(ChannelSettings):
    ORDER = (
        "publishable_key",
        "secret_key",
        "webhook_secret",
        "capture_mode",
        "supported_currencies",
    )

    publishable_key: str = setting(
        label="Publishable key",
        help="Stripe publishable key (pk_test_… or pk_live_…), handed to the storefront.",
        required=True,
    )
    secret_key: SecretStr | None = setting(
        None,
        label="Secret key",
        help="Stripe secret key (sk_…) or restricted key (rk_…) with write access to "
        "PaymentIntents, Refunds, Customers and webhook endpoints.",
        kind=Kind.SECRET,
        required=True,
    )
    webhook_secret: SecretStr | None = setting(
        None,
        label="Webhook signing secret",
        help="whsec_… of this channel's webhook endpoint. Filled in by "
        "`manage.py saleor_plugins_stripe_register_webhook --channel <slug>`.",
        kind=Kind.SECRET,
    )
    capture_mode: CaptureMode = setting(
        CaptureMode.AUTOMATIC,
        label="Capture mode",
        help="automatic: charge at checkout; manual: authorise at checkout and capture "
        "from the order (within 7 days for cards).",
    )
    supported_currencies: tuple[str, ...] = setting(
        (),
        label="Supported currencies",
        help="ISO 4217 codes this channel accepts through Stripe, comma separated.",
        required=True,
    )
    statement_descriptor_suffix: str = setting(
        "",
        label="Statement descriptor suffix",
        help="Up to 22 characters appended to the account's descriptor on card statements.",
    )
    receipt_email: bool = setting(
        True,
        label="Send Stripe receipts",
        help="Pass the customer's email as receipt_email, so Stripe emails a receipt in live mode.",
    )
    saved_payment_methods: bool = setting(
        False,
        label="Saved payment methods",
        help="Create a Stripe customer for logged-in shoppers and let them reuse payment methods.",
    )

    @field_validator("publishable_key")
    @classmethod
    def _publishable(cls, value: str) -> str:
        _check_prefix(value, ("pk_test_", "pk_live_"), "Publishable key")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        prefixes = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
        _check_prefix(value, prefixes, "Secret key")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        _check_prefix(value, ("whsec_",), "Webhook signing secret")
        return value

    @field_validator("capture_mode", mode="before")
    @classmethod
    def _capture(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value not in {m.value for m in CaptureMode}:
                raise ValueError("Capture mode must be automatic or manual.")
        return value

    @field_validator("supported_currencies", mode="before")
    @classmethod
    def _currencies(cls, value: Any) -> tuple[str, ...]:
        codes = tuple(c.upper() for c in split_list(value))
        bad = [c for c in codes if not re.fullmatch(r"[A-Z]{3}", c)]
        if bad:
            raise ValueError(f"Not ISO 4217 currency codes: {', '.join(bad)}.")
        return codes

    @field_validator("statement_descriptor_suffix")
    @classmethod
    def _descriptor(cls, value: str) -> str:
        if not value:
            return value
        if len(value) > 22:
            raise ValueError("Statement descriptor suffix is limited to 22 characters.")
        if _DESCRIPTOR_FORBIDDEN.search(value):
            raise ValueError("Statement descriptor suffix cannot contain < > \\ ' \" or *.")
        if not re.search(r"[A-Za-z]", value):
            raise ValueError("Statement descriptor suffix needs at least one letter.")
        return value

    def validate_together(self) -> dict[str, str]:
        secret = self.secret("secret_key")
        if secret and key_mode(secret) != key_mode(self.publishable_key):
            return {
                "secret_key": "The secret key and the publishable key must both be test "
                "keys or both be live keys."
            }
        return {}

    @property
    def livemode(self) -> bool:
        return key_mode(self.publishable_key) == "live"

    @property
    def manual_capture(self) -> bool:
        return self.capture_mode is CaptureMode.MANUAL
