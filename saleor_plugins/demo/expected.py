"""Per integration: what its provider should hold by the demo store, and what it holds.

Keys are our ids as each provider keeps them (order number, variant id, SKU, PaymentIntent
id ...), so a missing key is an event lost and a key held twice a write applied twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from .holdings import Check
from .models import DemoCustomer, DemoOrder, DemoProduct
from .providers import (
    CHANNELS,
    GA4,
    MAILCHIMP,
    MERCHANT,
    META,
    QUICKBOOKS,
    STRIPE,
    XERO,
    StandIns,
)

AGREED = ("subscribed", "pending")  # pending: double opt-in, the confirmation email is out


def _number(order: DemoOrder) -> str:
    return str(order.pk)[:8]


def _consent(order: DemoOrder) -> bool | None:
    return order.customer.marketing_consent if order.customer else None


def _variants(channel: str) -> Iterable[tuple[str, str]]:
    for product in DemoProduct.objects.filter(channels__contains=[channel]):
        for variant in product.variants.all():
            yield str(variant.pk), variant.sku


def checks(p: StandIns, done: Any) -> list[Check]:
    orders = list(DemoOrder.objects.select_related("customer").order_by("created_at"))
    return [
        stripe(p, orders),
        mailchimp(p, orders, done),
        merchant(p),
        ga4(p, orders),
        xero(p, orders),
        quickbooks(p, orders),
        meta(p, orders),
    ]


def stripe(p: StandIns, orders: list[DemoOrder]) -> Check:
    c, state = Check(STRIPE), p.stripe.state
    succeeded = [i for i in state.intents.values() if i["status"] == "succeeded"]
    c.compare(
        "payment intents succeeded",
        [str(o.checkout_token) for o in orders],
        [i["metadata"].get("saleor_checkout_token") for i in succeeded],
    )
    c.compare(
        "refunds",
        [r["psp_reference"] for o in orders for r in o.refunds],
        list(state.refunds),
    )
    payments = [(o, pay["psp_reference"], pay) for o in orders for pay in o.payments]
    c.compare(  # one payment_intent.succeeded per payment, one charge.refunded per refund
        "webhooks applied",
        [ref for o, ref, _ in payments for _ in range(1 + len(o.refunds))],
        [ref for _, ref, pay in payments for _ in pay.get("webhooks", [])],
        unique=False,
    )
    return c


def _member(audience: str, email: str) -> str:
    digest = hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()
    return f"/lists/{audience}/members/{digest}"


def mailchimp(p: StandIns, orders: list[DemoOrder], done: Any) -> Check:
    c, held = Check(MAILCHIMP), p.mailchimp.state.objects
    subscribed, want = [], []
    for channel in CHANNELS:
        audience = p.configs(channel)[MAILCHIMP]["audience_id"]
        agreed = {x.email for x in DemoCustomer.objects.filter(marketing_consent=True)}
        here = {o.email for o in orders if o.channel == channel} | {
            x.email for i, x in enumerate(done.customers) if CHANNELS[i % 2] == channel
        }
        want += [_member(audience, e) for e in here & agreed]
        subscribed += [
            k
            for k, v in held.items()
            if k.startswith(f"/lists/{audience}/") and v.get("status") in AGREED
        ]
    c.compare("members who agreed (pending double opt-in)", want, subscribed)
    store = "/ecommerce/stores/saleor-{}/{}/{}"
    c.compare(
        "store orders",
        [store.format(o.channel, "orders", o.pk) for o in orders],
        [k for k in held if "/orders/" in k and k.count("/") == 5],
    )
    c.compare(
        "carts (abandoned)",
        [store.format(x.channel, "carts", x.token) for x in done.abandoned],
        [k for k in held if "/carts/" in k and k.count("/") == 5],
    )
    products = DemoProduct.objects.values_list("pk", flat=True)
    c.compare(
        "products",
        [store.format(ch, "products", pk) for pk in products for ch in CHANNELS],
        [k for k in held if "/products/" in k and k.count("/") == 5],
    )
    return c


def merchant(p: StandIns) -> Check:
    c = Check(MERCHANT)
    want, held = [], []
    for channel in CHANNELS:
        source = p.configs(channel)[MERCHANT]["data_source"]
        want += [(source, vid) for vid, _ in _variants(channel)]
        offers = p.merchant.offers(f"accounts/123456/dataSources/{source}")
        held += [(source, offer) for offer in offers]
    c.compare("offers", want, held)
    return c


def ga4(p: StandIns, orders: list[DemoOrder]) -> Check:
    c = Check(GA4)
    sent = [(r.query.get("measurement_id"), e) for r in p.ga4.requests for e in r.events]
    mid = {ch: p.configs(ch)[GA4]["measurement_id"] for ch in CHANNELS}
    for name, chosen in (("purchase", orders), ("refund", [o for o in orders if o.refunds])):
        c.compare(
            f"{name} events",
            [(mid[o.channel], _number(o)) for o in chosen for _ in (o.refunds or [None])],
            [(m, e["params"]["transaction_id"]) for m, e in sent if e["name"] == name],
        )
    return c


def xero(p: StandIns, orders: list[DemoOrder]) -> Check:
    c, docs = Check(XERO), p.xero.state.documents
    invoices = [d.get("InvoiceNumber") for d in docs["Invoices"].values()]
    c.compare("invoices", [_number(o) for o in orders], invoices)
    payments = list(docs["Payments"].values())
    c.compare(
        "payments",
        [pay["psp_reference"] for o in orders for pay in o.payments],
        [x.get("Reference") for x in payments if x.get("Invoice")],
    )
    c.compare(
        "credit notes",
        [r["id"] for o in orders for r in o.refunds],
        [_refund_id(d.get("Reference", "")) for d in docs["CreditNotes"].values()],
    )
    return c


def quickbooks(p: StandIns, orders: list[DemoOrder]) -> Check:
    c, docs = Check(QUICKBOOKS), p.quickbooks.state.documents
    receipts = [d.get("DocNumber") for d in docs["SalesReceipt"].values()]
    c.compare("sales receipts", [_number(o) for o in orders], receipts)
    c.compare(
        "refund receipts",
        [r["id"] for o in orders for r in o.refunds],
        [_refund_id(d.get("PrivateNote", "")) for d in docs["RefundReceipt"].values()],
    )
    return c


def _refund_id(text: str) -> str:
    """Our refund id in an accounting document's reference (``…-R<refund id>``)."""
    return text.rsplit("-R", 1)[-1] if "-R" in text else text


def meta(p: StandIns, orders: list[DemoOrder]) -> Check:
    c = Check(META)
    want, held, events, sent = [], [], [], []
    for channel in CHANNELS:
        cfg = p.configs(channel)[META]
        want += [(cfg["catalog_id"], sku) for _, sku in _variants(channel)]
        held += [(cfg["catalog_id"], k) for k in p.meta.catalogs[cfg["catalog_id"]]]
        pixel = cfg["pixel_id"]
        agreed = [o for o in orders if o.channel == channel and _consent(o)]
        events += [(pixel, _number(o)) for o in agreed]
        purchases = [e for e in p.meta.pixels[pixel] if e["event_name"] == "Purchase"]
        sent += [(pixel, e["custom_data"]["order_id"]) for e in purchases]
    c.compare("catalog items", want, held)
    c.compare("Purchase events (consent given)", events, sent)
    return c
