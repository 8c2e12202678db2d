"""Pure functions from order snapshots to GA4 Measurement Protocol events.

The same functions build the server-side ``purchase`` and the storefront's dataLayer
``ecommerce`` object, so both carry the same transaction_id and items (GA4 then counts the
purchase once). Google's limits are applied here: event and parameter names of letters,
digits and underscores starting with a letter, at most 40 characters; string values at
most 100 characters; at most 25 parameters per event; ``timestamp_micros`` in
microseconds (16 digits).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..core import snapshots as s
from ..core import userdata
from .settings import (
    CLIENT_ID_KEY,
    SESSION_ID_KEY,
    Consent,
    GoogleTagManagerSettings,
    ItemId,
)

MAX_EVENTS = 25  # per request
MAX_BYTES = 130_000  # per request body
MAX_NAME = 40
MAX_VALUE = 100
MAX_PARAMS = 25  # per event
MAX_ITEMS = 200  # items per event (GA4 keeps the first 200)
CATEGORY_LEVELS = 5
#: GA4 reserves these prefixes for its own names.
RESERVED_PREFIXES = ("google_", "ga_", "firebase_")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CLIENT_ID_RE = re.compile(r"^\d{1,20}\.\d{1,20}$")
SESSION_ID_RE = re.compile(r"^\d{1,20}$")

#: ISO 4217 minor units that are not 2 (the rest have 2).
_EXPONENTS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}


def number(amount: Decimal, currency: str) -> int | float:
    """An amount in the currency's major unit, rounded to its minor unit (JPY 1500 → 1500)."""
    exponent = _EXPONENTS.get(currency.upper(), 2)
    rounded = amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)
    return int(rounded) if exponent == 0 else float(rounded)


def micros(when: datetime) -> int:
    """Microseconds since the epoch, exactly (a common bug is milliseconds: 13 digits)."""
    return int(when.timestamp()) * 1_000_000 + when.microsecond


def text(value: str) -> str:
    return value.strip()[:MAX_VALUE]


def valid_name(name: str) -> bool:
    return (
        len(name) <= MAX_NAME
        and bool(NAME_RE.match(name))
        and not name.lower().startswith(RESERVED_PREFIXES)
    )


# -- the browser session ---------------------------------------------------------------------
def parse_client_id(raw: str) -> str:
    """A GA client id from the value itself or from a raw ``_ga`` cookie (GA1.1.X.Y)."""
    raw = raw.strip()[:100]
    parts = raw.split(".")
    if raw.upper().startswith("GA") and len(parts) >= 4:
        raw = ".".join(parts[-2:])
    return raw if CLIENT_ID_RE.match(raw) else ""


def parse_session_id(raw: str) -> str:
    """A GA session id from itself or a raw ``_ga_<stream>`` cookie (GS1.1.<id>.… or
    GS2.1.s<id>$o…)."""
    raw = raw.strip()[:200]
    if raw.upper().startswith("GS"):
        parts = raw.split(".")
        if len(parts) >= 3:
            raw = parts[2].split("$")[0].lstrip("s")
    return raw if SESSION_ID_RE.match(raw) else ""


def session_of(order: s.Order) -> tuple[str, str]:
    """(client id, session id) the storefront handed over; "" when absent or malformed."""
    client = parse_client_id(order.metadata.get(CLIENT_ID_KEY, "") or order.tracking_client_id)
    session = parse_session_id(order.metadata.get(SESSION_ID_KEY, "")) if client else ""
    return client, session


def pseudonymous_client_id(order: s.Order) -> str:
    """A client id derived from the order alone: the same on every attempt and replay."""
    digest = hashlib.sha256(f"saleor-order:{order.id}".encode()).hexdigest()
    stamp = int(order.created_at.timestamp()) if order.created_at else 0
    return f"{int(digest[:9], 16)}.{stamp}"


# -- consent and user-provided data ---------------------------------------------------------
def _consent_value(raw: Any) -> Consent | None:
    value = str(raw or "").strip().upper()
    if value in ("GRANTED", "TRUE", "YES", "1"):
        return Consent.GRANTED
    if value in ("DENIED", "FALSE", "NO", "0"):
        return Consent.DENIED
    return None


def consent(order: s.Order, cfg: GoogleTagManagerSettings) -> dict[str, str]:
    """Consent Mode v2 for the request: the order's recorded choice, else the defaults.

    The metadata value is JSON (``{"ad_user_data": "GRANTED", ...}``) or one word for both.
    """
    raw = order.metadata.get(cfg.consent_metadata_key, "")
    recorded: dict[str, Any] = {}
    try:
        parsed = json.loads(raw) if raw.strip().startswith("{") else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        recorded = parsed
    elif raw:
        recorded = {"ad_user_data": raw, "ad_personalization": raw}
    user_data = _consent_value(recorded.get("ad_user_data")) or cfg.default_ad_user_data
    personal = _consent_value(recorded.get("ad_personalization")) or cfg.default_ad_personalization
    return {"ad_user_data": user_data.value, "ad_personalization": personal.value}


def user_data(order: s.Order) -> dict[str, Any]:
    """Hashed user-provided data (email, phone, address) as the protocol names it, with
    Google's normalisation (:func:`saleor_plugins.core.userdata.google_user_data`)."""
    addr = order.billing_address or order.shipping_address or s.Address()
    return userdata.google_user_data(
        email=order.email,
        phone=addr.phone,
        first_name=addr.first_name,
        last_name=addr.last_name,
        street=addr.street_1,
        city=addr.city,
        region=addr.country_area,
        postal_code=addr.postal_code,
        country=addr.country,
    )


# -- items --------------------------------------------------------------------------------------
def item_id(line: s.OrderLine, cfg: GoogleTagManagerSettings) -> str:
    if cfg.item_id is ItemId.SKU and line.sku:
        return text(line.sku)
    return text(line.variant_id or line.sku or line.product_id or line.id)


def brand(line: s.OrderLine, cfg: GoogleTagManagerSettings) -> str:
    if not cfg.brand_attribute:
        return ""
    for attribute in line.product_attributes:
        if attribute.slug == cfg.brand_attribute and attribute.values:
            return text(attribute.values[0])
    return ""


def item(
    line: s.OrderLine, cfg: GoogleTagManagerSettings, index: int, quantity: int | None = None
) -> dict[str, Any]:
    """One GA4 item: the price each after discounts, the discount each."""
    cur = line.unit_price_gross.currency
    body: dict[str, Any] = {
        "item_id": item_id(line, cfg),
        "item_name": text(line.product_name) or item_id(line, cfg),
        "index": index,
        "price": number(line.unit_price_gross.amount, cur),
        "quantity": int(quantity if quantity is not None else line.quantity),
    }
    if line.variant_name:
        body["item_variant"] = text(line.variant_name)
    found = brand(line, cfg)
    if found:
        body["item_brand"] = found
    for level, name in enumerate(line.category_path[:CATEGORY_LEVELS]):
        body["item_category" if level == 0 else f"item_category{level + 1}"] = text(name)
    if line.discount is not None and line.quantity:
        body["discount"] = number(line.discount.amount / line.quantity, cur)
    return body


def items(order: s.Order, cfg: GoogleTagManagerSettings) -> list[dict[str, Any]]:
    return [item(line, cfg, i) for i, line in enumerate(order.lines[:MAX_ITEMS])]


# -- events ------------------------------------------------------------------------------------
def transaction_id(order: s.Order) -> str:
    """Stable for the order's whole life: its number (its id for an order without one)."""
    return text(order.number or order.id)


def ecommerce(order: s.Order, cfg: GoogleTagManagerSettings) -> dict[str, Any]:
    """The purchase's parameters: the server event and the storefront's dataLayer push."""
    cur = order.currency
    body: dict[str, Any] = {
        "transaction_id": transaction_id(order),
        "currency": cur.upper(),
        "value": number(order.total_gross.amount, cur),
        "tax": number(order.total_gross.amount - order.total_net.amount, cur),
        "shipping": number(order.shipping_gross.amount, cur),
        "items": items(order, cfg),
    }
    if order.voucher_code:
        body["coupon"] = text(order.voucher_code)
    return body


def event(name: str, params: dict[str, Any], when: datetime, session_id: str) -> dict[str, Any]:
    params = dict(params)
    if session_id:
        params["session_id"] = session_id
        # GA4 needs an engagement time for a server event to join the session
        params.setdefault("engagement_time_msec", 1)
    return {"name": name, "params": clean(params), "timestamp_micros": micros(when)}


def purchase(order: s.Order, cfg: GoogleTagManagerSettings, session_id: str = "") -> dict[str, Any]:
    when = order.created_at or order.updated_at
    assert when is not None, "an order snapshot has a creation time"
    return event("purchase", ecommerce(order, cfg), when, session_id)


def refund(
    order: s.Order,
    cfg: GoogleTagManagerSettings,
    amount: Decimal,
    when: datetime,
    lines: Iterable[s.RefundLine] = (),
    session_id: str = "",
) -> dict[str, Any]:
    """A refund of ``amount``: with the refunded items and quantities when they are known;
    none for a refund of the whole order (GA4 then refunds every item)."""
    cur = order.currency
    params: dict[str, Any] = {
        "transaction_id": transaction_id(order),
        "currency": cur.upper(),
        "value": number(amount, cur),
    }
    by_id = {line.id: (i, line) for i, line in enumerate(order.lines)}
    refunded = [
        item(by_id[r.line_id][1], cfg, by_id[r.line_id][0], r.quantity)
        for r in lines
        if r.line_id in by_id and r.quantity > 0
    ]
    if refunded:
        params["items"] = refunded[:MAX_ITEMS]
    return event("refund", params, when, session_id)


def clean(params: Mapping[str, Any]) -> dict[str, Any]:
    """Drop what Google would refuse: bad names, over-long strings, parameters past 25."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if not valid_name(name) or len(out) >= MAX_PARAMS:
            continue
        if isinstance(value, str):
            value = value[:MAX_VALUE]
        elif isinstance(value, list):
            value = [
                {k: v[:MAX_VALUE] if isinstance(v, str) else v for k, v in x.items()} for x in value
            ]
        out[name] = value
    return out


def storefront_config(cfg: GoogleTagManagerSettings) -> dict[str, Any]:
    """The public ``config.json``: what the storefront needs, nothing secret."""
    return {
        "container_id": cfg.container_id,
        "measurement_id": cfg.measurement_id,
        "server_container_url": cfg.server_container_url,
        "consent_defaults": {
            "ad_user_data": cfg.default_ad_user_data.value,
            "ad_personalization": cfg.default_ad_personalization.value,
        },
        "metadata_keys": {
            "client_id": CLIENT_ID_KEY,
            "session_id": SESSION_ID_KEY,
            "consent": cfg.consent_metadata_key,
        },
        "item_id": cfg.item_id.value,
        "send_purchase_on": cfg.send_purchase_on.value,
    }


# -- requests ----------------------------------------------------------------------------------
def body(
    client_id: str,
    events: list[dict[str, Any]],
    consent_: dict[str, str],
    user: dict[str, Any] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {"client_id": client_id, "consent": consent_, "events": events}
    if events:
        request["timestamp_micros"] = min(e["timestamp_micros"] for e in events)
    if user:
        request["user_data"] = user
    return request


def size(request: Mapping[str, Any]) -> int:
    return len(json.dumps(request, separators=(",", ":")).encode())


def requests_for(
    client_id: str,
    events: list[dict[str, Any]],
    consent_: dict[str, str],
    user: dict[str, Any] | None = None,
) -> Iterator[tuple[dict[str, Any], list[int]]]:
    """Request bodies of at most 25 events and 130 kB each, with the indices they carry."""
    current: list[int] = []
    for index in range(len(events)):
        trial = [*current, index]
        too_big = size(body(client_id, [events[i] for i in trial], consent_, user)) > MAX_BYTES
        if current and (len(trial) > MAX_EVENTS or too_big):
            yield body(client_id, [events[i] for i in current], consent_, user), current
            current = [index]
        else:
            current = trial
    if current:
        yield body(client_id, [events[i] for i in current], consent_, user), current
