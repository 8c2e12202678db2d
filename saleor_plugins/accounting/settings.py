"""Setting pieces every accounting integration shares: mapping tables and when to book."""

from __future__ import annotations

import re
from enum import StrEnum


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
