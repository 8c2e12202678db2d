"""Per-channel Xero settings: the app's credentials, booking mode and account mappings."""

from __future__ import annotations

import re

from pydantic import SecretStr, field_validator

from ..accounting.settings import (
    AccountingSettings,
    parse_map,
)
from ..core.settings import Kind, setting

_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,10}$")  # Xero account codes: up to 10 characters
_TAX = re.compile(r"^[A-Z0-9_]{1,50}$")


def _code(value: str, label: str) -> str:
    if value and not _CODE.match(value):
        raise ValueError(f"{label} must be a Xero account code (up to 10 letters or digits).")
    return value


class XeroSettings(AccountingSettings):
    ORDER = ("client_id", "client_secret", "tenant_id", "invoice_on", "sales_account")

    client_id: str = setting(
        label="Client ID",
        help="Your Xero app's client id (developer.xero.com → My Apps).",
        required=True,
        max_length=64,
    )
    client_secret: SecretStr | None = setting(
        None, label="Client secret", kind=Kind.SECRET, required=True, max_length=128
    )
    tenant_id: str = setting(
        label="Organisation (tenant) ID",
        help="The organisation to book into. Empty: the only one you connected.",
        max_length=64,
    )
    invoice_prefix: str = setting(
        "", label="Invoice number prefix", help="Put before the order number.", max_length=20
    )
    sales_account: str = setting(
        label="Sales account", help="Revenue account code for products.", required=True
    )
    account_map: str = setting(
        "",
        label="Revenue accounts",
        help="One 'product type or category = account code' per line.",
        kind=Kind.MULTILINE,
    )
    shipping_account: str = setting("", label="Shipping account", help="Empty: sales account.")
    discount_account: str = setting("", label="Discount account", help="Empty: sales account.")
    gift_card_account: str = setting(
        "", label="Gift card liability account", help="Gift cards sold are booked here."
    )
    rounding_account: str = setting(
        "", label="Rounding account", help="Cent differences from Xero's tax arithmetic."
    )
    tax_map: str = setting(
        "",
        label="Tax types",
        help="One 'tax class or rate = Xero tax type' per line, e.g. 'Standard = OUTPUT2', "
        "'23% = OUTPUT'.",
        kind=Kind.MULTILINE,
    )
    default_tax_type: str = setting(
        "OUTPUT", label="Default tax type", help="For taxes the map does not name."
    )
    payment_account: str = setting(
        label="Payment account",
        help="Bank or clearing account payments are received into.",
        required=True,
    )
    gateway_accounts: str = setting(
        "",
        label="Payment accounts per gateway",
        help="One 'gateway id = account code' per line, e.g. 'saleor_plugins.stripe = 090'.",
        kind=Kind.MULTILINE,
    )

    @field_validator(
        "sales_account",
        "shipping_account",
        "discount_account",
        "gift_card_account",
        "rounding_account",
        "payment_account",
        "payout_bank_account",
        "payout_fees_account",
    )
    @classmethod
    def _account(cls, value: str) -> str:
        return _code(value, "The account")

    @field_validator("account_map", "gateway_accounts")
    @classmethod
    def _accounts(cls, value: str) -> str:
        parse_map(value, value_pattern=_CODE, what="account code")
        return value

    @field_validator("tax_map")
    @classmethod
    def _taxes(cls, value: str) -> str:
        parse_map(value, value_pattern=_TAX, what="tax type")
        return value

    @field_validator("default_tax_type")
    @classmethod
    def _tax(cls, value: str) -> str:
        if value and not _TAX.match(value):
            raise ValueError("Default tax type must be a Xero tax type such as OUTPUT.")
        return value

    def accounts(self) -> dict[str, str]:
        return parse_map(self.account_map, value_pattern=_CODE, what="account code")

    def taxes(self) -> dict[str, str]:
        return parse_map(self.tax_map, value_pattern=_TAX, what="tax type")

    def gateways(self) -> dict[str, str]:
        return parse_map(self.gateway_accounts, value_pattern=_CODE, what="account code")
