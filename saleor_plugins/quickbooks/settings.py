"""Per-channel QuickBooks Online settings: the app, the booking documents and mappings.

QuickBooks books sales lines against items (each item carries its income account), so
revenue is mapped to item ids; tax to the company's tax code ids; money received to
deposit accounts by id.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import SecretStr, field_validator

from ..accounting.settings import (
    AccountingSettings,
    BookingMode,
    parse_map,
)
from ..core.settings import Kind, setting

_ID = re.compile(r"^[A-Za-z0-9]{1,20}$")  # QuickBooks entity ids ("1", "37", "NON")


class SaleDocument(StrEnum):
    SALES_RECEIPT = "sales_receipt"  # paid at once: one document
    INVOICE = "invoice"  # an invoice, and a payment for each capture


class RefundDocument(StrEnum):
    REFUND_RECEIPT = "refund_receipt"  # money given back from the deposit account
    CREDIT_MEMO = "credit_memo"  # credit left on the customer's account


def _id(value: str, label: str) -> str:
    if value and not _ID.match(value):
        raise ValueError(f"{label} must be a QuickBooks id (letters or digits, up to 20).")
    return value


class QuickBooksSettings(AccountingSettings):
    ORDER = ("client_id", "client_secret", "realm_id", "sale_document", "sales_item")

    client_id: str = setting(
        label="Client ID",
        help="Your Intuit app's client id (developer.intuit.com → Keys & credentials).",
        required=True,
        max_length=64,
    )
    client_secret: SecretStr | None = setting(
        None, label="Client secret", kind=Kind.SECRET, required=True, max_length=128
    )
    realm_id: str = setting(
        label="Company (realm) ID",
        help="Empty: the company chosen on Intuit's consent screen.",
        max_length=32,
    )
    sale_document: SaleDocument = setting(
        SaleDocument.SALES_RECEIPT,
        label="Book a sale as",
        help="'sales_receipt' (default: one paid document) or 'invoice' (invoice + payments).",
    )
    refund_document: RefundDocument = setting(
        RefundDocument.REFUND_RECEIPT,
        label="Book a refund as",
        help="'refund_receipt' (default) or 'credit_memo'.",
    )
    summary_customer: str = setting(
        "",
        label="Summary customer",
        help="Daily summary: the customer id the day's documents are booked to.",
    )
    doc_prefix: str = setting(
        "",
        label="Document number prefix",
        help="Put before the order number (QuickBooks numbers: 21 characters).",
        max_length=10,
    )
    guest_customer: str = setting(
        "",
        label="Guest customer",
        help="Customer id for orders without an account. Empty: one customer per e-mail.",
    )
    sales_item: str = setting(
        label="Sales item", help="Item id for products (its income account).", required=True
    )
    item_map: str = setting(
        "",
        label="Items",
        help="One 'product type or category = item id' per line.",
        kind=Kind.MULTILINE,
    )
    shipping_item: str = setting("", label="Shipping item", help="Empty: the sales item.")
    discount_item: str = setting("", label="Discount item", help="Empty: the sales item.")
    gift_card_item: str = setting(
        "", label="Gift card item", help="Gift cards sold (a liability account's item)."
    )
    rounding_item: str = setting(
        "", label="Rounding item", help="Cent differences from QuickBooks' tax recalculation."
    )
    tax_map: str = setting(
        "",
        label="Tax codes",
        help="One 'tax class or rate = tax code id' per line, e.g. '23% = 7'.",
        kind=Kind.MULTILINE,
    )
    default_tax_code: str = setting(
        "", label="Default tax code", help="For taxes the map does not name.", required=True
    )
    no_tax_code: str = setting(
        "NON", label="Untaxed tax code", help="For rounding lines (QuickBooks' NON)."
    )
    deposit_account: str = setting(
        label="Deposit account",
        help="Account id payments are received into (bank or clearing).",
        required=True,
    )
    gateway_accounts: str = setting(
        "",
        label="Deposit accounts per gateway",
        help="One 'gateway id = account id' per line, e.g. 'saleor_plugins.stripe = 35'.",
        kind=Kind.MULTILINE,
    )

    @field_validator(
        "guest_customer",
        "summary_customer",
        "sales_item",
        "shipping_item",
        "discount_item",
        "gift_card_item",
        "rounding_item",
        "default_tax_code",
        "no_tax_code",
        "deposit_account",
        "payout_bank_account",
        "payout_fees_account",
    )
    @classmethod
    def _single(cls, value: str) -> str:
        return _id(value, "The value")

    @field_validator("item_map", "tax_map", "gateway_accounts")
    @classmethod
    def _maps(cls, value: str) -> str:
        parse_map(value, value_pattern=_ID, what="QuickBooks id")
        return value

    def validate_together(self) -> dict[str, str]:
        errors = super().validate_together()
        if self.booking_mode is BookingMode.DAILY_SUMMARY and not self.summary_customer:
            errors["summary_customer"] = "A daily summary needs the customer to book it to."
        return errors

    def items(self) -> dict[str, str]:
        return parse_map(self.item_map, value_pattern=_ID, what="QuickBooks id")

    def taxes(self) -> dict[str, str]:
        return parse_map(self.tax_map, value_pattern=_ID, what="QuickBooks id")

    def gateways(self) -> dict[str, str]:
        return parse_map(self.gateway_accounts, value_pattern=_ID, what="QuickBooks id")
