"""Hashed customer data for ad platforms: each provider's normalisation, then SHA-256.

Ad platforms match a conversion to a person by comparing hashes, so the same value must
be normalised exactly as the platform does before hashing, or nothing matches. Pure
functions, no Saleor, no I/O; every rule names the provider documentation it follows.

Meta (Conversions API, "Customer information parameters"):

- ``em`` email: trimmed, lower-cased.
- ``ph`` phone: digits only with the country calling code; symbols, letters and leading
  zeros (an international ``00`` prefix) removed: ``+1 (616) 954-78 88`` -> ``16169547888``.
- ``fn``/``ln`` first/last name: lower-cased, punctuation removed, UTF-8 kept
  (``Valéry`` -> ``valéry``).
- ``ct`` city: lower-cased, no punctuation, no spaces (``Menlo Park`` -> ``menlopark``).
- ``st`` state: lower-cased two-letter code, no punctuation or spaces.
- ``zp`` zip: lower-cased, no spaces or dashes; US: the first five digits only
  (``94035-1234`` -> ``94035``).
- ``country``: lower-cased ISO 3166-1 alpha-2 (``US`` -> ``us``).
- hash: SHA-256, lower-case hex. An empty value is never hashed (the hash of "" would
  match every blank record).

Google (GA4 user-provided data, the Measurement Protocol's ``user_data``; the same rules
as Ads enhanced conversions) shares the hash and the "never hash an empty value" rule but
normalises differently, so it has its own functions:

- ``sha256_email_address``: trimmed, lower-cased, spaces removed; ``gmail.com`` and
  ``googlemail.com`` addresses lose the dots before the ``@``.
- ``sha256_phone_number``: E.164, ``+`` and digits only (a phone without its ``+``
  country code is left out: Saleor stores E.164).
- ``sha256_first_name``/``sha256_last_name``: lower-cased, everything but letters and
  digits removed; ``sha256_street``: lower-cased, white space folded.
- ``city``, ``region``: as names, unhashed; ``postal_code``: lower-cased without spaces;
  ``country``: the upper-case ISO code.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_NON_DIGIT = re.compile(r"\D")
_SPACES = re.compile(r"\s+")


def sha256(value: str) -> str:
    """SHA-256 of the UTF-8 value, lower-case hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _no_punctuation(value: str) -> str:
    """Drop every punctuation and symbol character (Unicode categories P* and S*)."""
    return "".join(c for c in value if unicodedata.category(c)[0] not in "PS")


def meta_email(value: str) -> str:
    value = value.strip().lower()
    return value if "@" in value else ""


def meta_phone(value: str) -> str:
    digits = _NON_DIGIT.sub("", value)
    return digits.lstrip("0")


def meta_name(value: str) -> str:
    return _SPACES.sub(" ", _no_punctuation(value.strip().lower())).strip()


def meta_city(value: str) -> str:
    return _SPACES.sub("", _no_punctuation(value.strip().lower()))


def meta_state(value: str) -> str:
    return _SPACES.sub("", _no_punctuation(value.strip().lower()))


def meta_zip(value: str, country: str = "") -> str:
    value = _SPACES.sub("", value.strip().lower()).replace("-", "")
    if country.strip().upper() == "US":
        value = _NON_DIGIT.sub("", value)[:5]
    return value


def meta_country(value: str) -> str:
    value = value.strip().lower()
    return value if re.fullmatch(r"[a-z]{2}", value) else ""


def meta_user_data(
    *,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    city: str = "",
    state: str = "",
    postal_code: str = "",
    country: str = "",
) -> dict[str, str | list[str]]:
    """Meta's hashed ``user_data`` keys for what is known (empty values left out).

    ``em`` and ``ph`` are lists, as Meta accepts several of each.
    """
    normalised: Mapping[str, str] = {
        "em": meta_email(email),
        "ph": meta_phone(phone),
        "fn": meta_name(first_name),
        "ln": meta_name(last_name),
        "ct": meta_city(city),
        "st": meta_state(state),
        "zp": meta_zip(postal_code, country),
        "country": meta_country(country),
    }
    data: dict[str, str | list[str]] = {}
    for key, value in normalised.items():
        if not value:
            continue
        data[key] = [sha256(value)] if key in ("em", "ph") else sha256(value)
    return data


# -- Google (GA4 user-provided data) ------------------------------------------------------------
_NON_WORD = re.compile(r"[^\w]")


def google_email(value: str) -> str:
    value = value.strip().lower().replace(" ", "")
    local, _, domain = value.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
    return f"{local}@{domain}" if domain else ""


def google_phone(value: str) -> str:
    digits = _NON_DIGIT.sub("", value)
    return f"+{digits}" if digits and value.strip().startswith("+") else ""


def google_name(value: str) -> str:
    return _NON_WORD.sub("", value.strip().lower())


def google_street(value: str) -> str:
    return " ".join(value.lower().split())


def google_user_data(
    *,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    street: str = "",
    city: str = "",
    region: str = "",
    postal_code: str = "",
    country: str = "",
) -> dict[str, Any]:
    """GA4's ``user_data`` for what is known (empty values left out)."""
    data: dict[str, Any] = {}
    for key, value in (("sha256_email_address", google_email(email)),
                       ("sha256_phone_number", google_phone(phone))):  # fmt: skip
        if value:
            data[key] = [sha256(value)]
    hashed = {
        "sha256_first_name": google_name(first_name),
        "sha256_last_name": google_name(last_name),
        "sha256_street": google_street(street),
    }
    address = {k: sha256(v) for k, v in hashed.items() if v} | {
        "city": google_name(city),
        "region": google_name(region),
        "postal_code": postal_code.strip().replace(" ", "").lower(),
        "country": country.strip().upper(),
    }
    address = {k: v for k, v in address.items() if v}
    if address:
        data["address"] = [address]
    return data
