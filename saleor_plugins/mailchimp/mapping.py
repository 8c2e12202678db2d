"""Pure functions from the kernel's snapshots to Mailchimp payloads."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..core import snapshots as s
from .client import subscriber_hash
from .consent import channel_key
from .settings import MailchimpSettings

TRUE = frozenset({"true", "yes", "1", "on", "granted", "subscribed"})
FALSE = frozenset({"false", "no", "0", "off", "revoked", "unsubscribed", "cleaned"})

#: Mailchimp's language codes that keep a region; every other language is its 2 letters.
_REGIONAL = {"es_es": "es_ES", "fr_ca": "fr_CA", "pt_pt": "pt_PT", "zh_tw": "zh_TW"}


# -- consent -------------------------------------------------------------------------
def read_consent(metadata: dict[str, str] | None, key: str) -> bool | None:
    """True/False when the metadata says so, None when it says nothing."""
    raw = str((metadata or {}).get(key, "")).strip().lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    return None


def consent(
    key: str, channel: str, customer: s.Customer | None, *sources: dict[str, str] | None
) -> bool | None:
    """The rule: a refusal on the customer wins, in this channel (what an unsubscribe
    from this channel's audience writes back) or everywhere; otherwise consent given on
    the checkout/order or on the customer counts."""
    meta = customer.metadata if customer else {}
    if read_consent(meta, channel_key(key, channel)) is False:
        return False
    on_customer = read_consent(meta, key) if customer else None
    if on_customer is False:
        return False
    given = [read_consent(m, key) for m in sources]
    if True in given or on_customer is True:
        return True
    if False in given:
        return False
    return None


# -- small pieces ----------------------------------------------------------------------
def language(*candidates: str) -> str:
    """Mailchimp's code for the first known language (Saleor's ``PT_BR`` -> ``pt``)."""
    for value in candidates:
        code = (value or "").strip().replace("-", "_").lower()
        if code:
            return _REGIONAL.get(code, code.split("_")[0])
    return "en"


def money(amount: Decimal | None) -> float:
    return float(amount or 0)


def customer_id(email: str) -> str:
    """One e-commerce customer per address, guest or registered: the subscriber hash."""
    return subscriber_hash(email)


def address(a: s.Address | None) -> dict[str, str] | None:
    if a is None:
        return None
    name = f"{a.first_name} {a.last_name}".strip()
    out = {
        "name": name,
        "address1": a.street_1,
        "address2": a.street_2,
        "city": a.city,
        "province": a.country_area,
        "province_code": a.country_area,
        "postal_code": a.postal_code,
        "country_code": a.country,
        "phone": a.phone,
        "company": a.company,
    }
    return {k: v for k, v in out.items() if v}


def merge_fields(
    cfg: MailchimpSettings, customer: s.Customer | None, addr: s.Address | None, lang: str
) -> dict[str, Any]:
    first = customer.first_name if customer else ""
    last = customer.last_name if customer else ""
    addr = addr or (customer.billing_address if customer else None)
    values: dict[str, Any] = {
        "first_name": first or (addr.first_name if addr else ""),
        "last_name": last or (addr.last_name if addr else ""),
        "phone": addr.phone if addr else "",
        "company": addr.company if addr else "",
        "city": addr.city if addr else "",
        "country": addr.country if addr else "",
        "language": lang,
        "address": "",
    }
    if addr and addr.street_1 and addr.city and addr.postal_code:
        # Mailchimp refuses the whole member for an incomplete address merge field
        values["address"] = {
            "addr1": addr.street_1,
            "addr2": addr.street_2,
            "city": addr.city,
            "state": addr.country_area,
            "zip": addr.postal_code,
            "country": addr.country,
        }
    return {tag: values[src] for tag, src in cfg.merge_map().items() if values.get(src)}


# -- audience ------------------------------------------------------------------------
def member(
    cfg: MailchimpSettings,
    email: str,
    customer: s.Customer | None,
    addr: s.Address | None,
    lang: str,
) -> dict[str, Any]:
    """The PUT body: ``status_if_new`` only, so an existing member's status is never set."""
    return {
        "email_address": email,
        "status_if_new": "pending" if cfg.double_opt_in else "subscribed",
        "language": lang,
        "merge_fields": merge_fields(cfg, customer, addr, lang),
    }


def ecommerce_customer(
    email: str, customer: s.Customer | None, addr: s.Address | None = None
) -> dict[str, Any]:
    """Always ``opt_in_status`` false: subscribing is the audience's business, never a
    side effect of an order (Mailchimp never lowers an existing member's status)."""
    body: dict[str, Any] = {
        "id": customer_id(email),
        "email_address": email,
        "opt_in_status": False,
    }
    first = (customer.first_name if customer else "") or (addr.first_name if addr else "")
    last = (customer.last_name if customer else "") or (addr.last_name if addr else "")
    if first:
        body["first_name"] = first
    if last:
        body["last_name"] = last
    mapped = address(addr or (customer.billing_address if customer else None))
    if mapped:
        body["address"] = mapped
    return body


# -- catalogue -----------------------------------------------------------------------
def product_url(cfg: MailchimpSettings, product: s.Product) -> str:
    if not cfg.product_url:
        return ""
    return cfg.product_url.replace("{slug}", product.slug).replace("{id}", product.id)


def visible(listing: s.ChannelListing | None, now: datetime) -> bool:
    """Whether the channel's shoppers see the product and can buy it now, by Saleor's
    rules: published, its publication date passed, available for purchase (a date set
    and passed), and shown in listings (a product hidden from them is not promoted)."""
    if listing is None or not listing.is_published or not listing.visible_in_listings:
        return False
    if listing.published_at is not None and listing.published_at > now:
        return False
    starts = listing.available_for_purchase_at
    return starts is not None and starts <= now


def brand(cfg: MailchimpSettings, p: s.Product) -> str:
    """The first brand attribute with a value: the product's own, then its variants'."""
    attributes = p.attributes + tuple(a for v in p.variants for a in v.attributes)
    for slug in cfg.brand_attributes:
        for attribute in attributes:
            if attribute.slug == slug:
                value = next((x.strip() for x in attribute.values if x.strip()), "")
                if value:
                    return value
    return ""


def variant(
    cfg: MailchimpSettings,
    product: s.Product,
    v: s.Variant,
    channel: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    price = v.price_in(channel)
    shown = visible(product.listing_in(channel), now or datetime.now(UTC))
    body: dict[str, Any] = {
        "id": v.id,
        "title": v.name or product.name,
        "sku": v.sku,
        "price": money(price.price.amount if price else None),
        "inventory_quantity": v.quantity_available if v.track_inventory else 999999,
        "visibility": "visible" if price and shown else "hidden",
    }
    url = product_url(cfg, product)
    if url:
        body["url"] = url
    image = (v.media or product.media or (None,))[0]
    if image is not None:
        body["image_url"] = image.url
    return body


def product(
    cfg: MailchimpSettings,
    p: s.Product,
    channel: str,
    *,
    with_variants: bool = True,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    body: dict[str, Any] = {
        "id": p.id,
        "title": p.name,
        "handle": p.slug,
        "description": p.description[:10000],
        "type": p.product_type,
        # the brand; "" clears a vendor sent before (older versions sent the category)
        "vendor": brand(cfg, p),
    }
    listing = p.listing_in(channel)
    if listing is not None and listing.published_at is not None and visible(listing, now):
        body["published_at_foreign"] = listing.published_at.isoformat()
    url = product_url(cfg, p)
    if url:
        body["url"] = url
    if p.media:
        body["image_url"] = p.media[0].url
    if with_variants:
        variants = [variant(cfg, p, v, channel, now) for v in p.variants]
        # Mailchimp requires one variant; a product without any stands for itself
        body["variants"] = variants or [
            {
                "id": p.id,
                "title": p.name,
                "visibility": "visible" if visible(listing, now) else "hidden",
            }
        ]
    return body


# -- orders and carts ----------------------------------------------------------------
def financial_status(order: s.Order) -> str:
    if order.status == "canceled":
        return "cancelled"
    refunded = order.total_refunded.amount
    if refunded > 0:
        return "refunded" if refunded >= order.total_gross.amount else "partially_refunded"
    if order.charge_status in ("full", "overcharged"):
        return "paid"
    return "pending"


def order(cfg: MailchimpSettings, o: s.Order) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": o.id,
        "customer": ecommerce_customer(o.email, o.customer, o.billing_address),
        "currency_code": o.currency,
        "order_total": money(o.total_gross.amount),
        "tax_total": money(o.total_gross.amount - o.total_net.amount),
        "shipping_total": money(o.shipping_gross.amount),
        "discount_total": money(o.discount.amount),
        "financial_status": financial_status(o),
        "lines": [order_line(x) for x in o.lines],
    }
    if o.status in ("fulfilled", "partially_fulfilled", "partially_returned", "returned"):
        body["fulfillment_status"] = "shipped"
    if o.created_at:
        body["processed_at_foreign"] = o.created_at.isoformat()
    if o.updated_at:
        body["updated_at_foreign"] = o.updated_at.isoformat()
        if o.status == "canceled":
            body["cancelled_at_foreign"] = o.updated_at.isoformat()
    campaign = (o.metadata or {}).get(cfg.campaign_metadata_key, "")
    if campaign:
        body["campaign_id"] = campaign
    if o.voucher_code:
        body["promos"] = [
            {"code": o.voucher_code, "amount_discounted": money(o.discount.amount), "type": "fixed"}
        ]
    for key, addr in (
        ("shipping_address", o.shipping_address),
        ("billing_address", o.billing_address),
    ):
        mapped = address(addr)
        if mapped:
            body[key] = mapped
    return body


def order_line(line: s.OrderLine) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": line.id,
        "product_id": line.product_id or line.variant_id or line.sku,
        "product_variant_id": line.variant_id or line.product_id or line.sku,
        "quantity": line.quantity,
        "price": money(line.total_gross.amount),
    }
    if line.discount is not None:
        body["discount"] = money(line.discount.amount)
    return body


def cart_url(cfg: MailchimpSettings, token: str) -> str:
    return cfg.cart_url.replace("{token}", token) if cfg.cart_url else ""


def cart(cfg: MailchimpSettings, c: s.Checkout) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": c.token,
        "customer": ecommerce_customer(c.email, c.customer),
        "currency_code": c.currency,
        "order_total": money(c.total.amount),
        "lines": [
            {
                "id": f"{c.token}-{i}",
                "product_id": x.product_id or x.variant_id,
                "product_variant_id": x.variant_id,
                "quantity": x.quantity,
                "price": money(x.unit_price.amount * x.quantity),
            }
            for i, x in enumerate(c.lines)
        ],
    }
    url = cart_url(cfg, c.token)
    if url:
        body["checkout_url"] = url
    campaign = (c.metadata or {}).get(cfg.campaign_metadata_key, "")
    if campaign:
        body["campaign_id"] = campaign
    return body


# -- promo codes ---------------------------------------------------------------------
def promo_rule(v: s.Voucher) -> dict[str, Any]:
    percentage = v.discount_type == "percentage"
    body: dict[str, Any] = {
        "id": v.id,
        "title": v.name or (v.codes[0] if v.codes else v.id),
        "description": v.name or ", ".join(v.codes) or v.id,
        "amount": float(v.value / 100) if percentage else money(v.value),
        "type": "percentage" if percentage else "fixed",
        "target": "total",
        "enabled": True,
    }
    if v.starts_at:
        body["starts_at"] = v.starts_at.isoformat()
    if v.ends_at:
        body["ends_at"] = v.ends_at.isoformat()
    return body


def promo_code(cfg: MailchimpSettings, v: s.Voucher, code: str) -> dict[str, Any]:
    domain = cfg.store_domain or "localhost"
    base = domain if domain.startswith("http") else f"https://{domain}"
    return {
        "id": promo_code_id(code),
        "code": code,
        "redemption_url": base,
        "usage_count": v.used,
        "enabled": True,
    }


def promo_code_id(code: str) -> str:
    """Codes may hold characters a URL path cannot; Saleor codes are case-sensitive."""
    return hashlib.sha256(code.encode()).hexdigest()[:24]
