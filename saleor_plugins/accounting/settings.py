"""Setting pieces every accounting integration shares: mapping tables and when to book."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import field_validator

from ..core.settings import ChannelSettings, setting


class InvoiceOn(StrEnum):
    CREATED = "created"
    PAID = "paid"


def parse_map(text: str, *, value_pattern: re.Pattern[str], what: str) -> dict[str, str]:
    """``key = value`` lines (or comma-separated pairs) -> dict; ValueError names the line."""
    found: dict[str, str] = {}
    for raw in re.split(r"[\n,]", text or ""):
        item = raw.strip()
        if not item:
            continue
        key, sep, value = item.rpartition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value_pattern.match(value):
            raise ValueError(f"'{item}' is not 'name = {what}'.")
        found[key.casefold()] = value
    return found


class BookingMode(StrEnum):
    #: a sale document per order, a payment per capture, a credit per refund
    PER_ORDER = "per_order"
    #: one sale per channel, day and currency; the day's refunds and payments summed
    DAILY_SUMMARY = "daily_summary"


def check_timezone(value: str) -> str:
    """An IANA time zone name ("Europe/Warsaw", "UTC"); ValueError names the problem."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"'{value}' is not a time zone name such as Europe/Warsaw.") from e
    return value


def summary_conflicts(mode: BookingMode, invoice_on: InvoiceOn) -> dict[str, str]:
    """Cross-field check both providers run: a daily summary books what was paid."""
    if mode is BookingMode.DAILY_SUMMARY and invoice_on is InvoiceOn.CREATED:
        return {
            "invoice_on": "A daily summary books the day's paid orders: set it to 'paid' "
            "or book per order."
        }
    return {}


class AccountingSettings(ChannelSettings):
    """The settings every accounting integration has: when and how to book, and payouts.

    A provider's settings add its credentials and account mappings, validate the account
    fields in its own format and extend :meth:`validate_together` (calling this one)."""

    invoice_on: InvoiceOn = setting(
        InvoiceOn.PAID,
        label="Book the invoice when the order is",
        help="'paid' (default) or 'created'.",
    )
    booking_mode: BookingMode = setting(
        BookingMode.PER_ORDER,
        label="Booking mode",
        help="'per_order' (default: a sale document per order) or 'daily_summary' (one per "
        "day and currency, with the day's payments and refunds per gateway).",
    )
    summary_timezone: str = setting(
        "UTC",
        label="Summary day time zone",
        help="Daily summary: the day closes at midnight here (e.g. Europe/Warsaw).",
        max_length=64,
    )
    separate_discounts: bool = setting(
        False,
        label="Discounts on their own lines",
        help="Book products at their full price and discounts on their own line.",
    )
    book_imported_orders: bool = setting(
        False,
        label="Book imported orders",
        help="Orders created with orderBulkCreate are history: booked only by a backfill "
        "unless this is on.",
    )
    payout_bank_account: str = setting(
        "",
        label="Payout bank account",
        help="The bank account Stripe pays out to: each payout is booked as a transfer from "
        "the Stripe gateway's payment account to it. Empty: payouts are not booked.",
    )
    payout_fees_account: str = setting(
        "",
        label="Payout fees account",
        help="The expense account for Stripe's fees, paid from the Stripe payment account.",
    )

    @field_validator("summary_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value or "UTC")

    def validate_together(self) -> dict[str, str]:
        errors = summary_conflicts(self.booking_mode, self.invoice_on)
        if self.payout_bank_account and not self.payout_fees_account:
            errors["payout_fees_account"] = "Set the fees account to book payouts."
        return errors
