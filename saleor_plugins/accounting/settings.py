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
