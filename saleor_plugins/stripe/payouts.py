"""Stripe payouts, itemised for the books and handed to the kernel.

A ``payout.paid`` (or ``payout.failed`` / ``payout.canceled``) webhook, once verified
and stored, is processed here in a worker: the payout's balance transactions are listed
(``GET /v1/balance_transactions?payout=``, every page) and summed by Stripe's
``reporting_category`` into charges, refunds, fees and other movements (disputes,
adjustments, payouts that came back), in the payout's currency; the sum of their nets
must be the payout's amount, to the cent, or the payout is handed over with its amount
only (a manual payout, which Stripe does not itemise). The snapshot goes to the kernel
(:func:`saleor_plugins.core.payouts.publish`) for every channel this Stripe account is
active in: whoever books payouts there (the accounting integrations) takes it from the
kernel. This module imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..core import payouts
from ..core import snapshots as s
from ..core.errors import PermanentError
from ..core.integration import Outcome
from .client import StripeClient
from .mapping import from_minor

#: the webhook events this module handles -> the payout's status
EVENTS = {"payout.paid": "paid", "payout.failed": "failed", "payout.canceled": "canceled"}
#: Stripe's reporting categories (https://docs.stripe.com/reports/reporting-categories)
CHARGE, REFUNDS, FEE, PAYOUT = "charge", ("refund", "refund_failure"), "fee", "payout"


def summarise(
    payout: dict[str, Any], transactions: Iterable[dict[str, Any]], *, gateway: str, status: str
) -> s.Payout:
    """The payout and its balance transactions as one provider-neutral snapshot."""
    currency = str(payout.get("currency") or "").upper()
    if not currency or not payout.get("id"):
        raise PermanentError("payout event without id or currency", provider="stripe")
    amount = from_minor(int(payout.get("amount") or 0), currency)
    sums = dict.fromkeys(("charges", "refunds", "fees", "other", "net"), Decimal(0))
    count = 0
    for t in transactions:
        category = str(t.get("reporting_category") or t.get("type") or "")
        if category == PAYOUT or t.get("type") == PAYOUT:
            continue  # the payout's own transaction: it is the amount
        if str(t.get("currency") or "").upper() != currency:
            raise PermanentError(
                f"payout {payout['id']}: a {t.get('currency')} transaction in a {currency} payout",
                provider="stripe",
            )
        count += 1
        gross = from_minor(int(t.get("amount") or 0), currency)
        fee = from_minor(int(t.get("fee") or 0), currency)
        sums["net"] += from_minor(int(t.get("net") or 0), currency)
        sums["fees"] += fee
        if category == CHARGE:
            sums["charges"] += gross
        elif category in REFUNDS:
            sums["refunds"] -= gross
        elif category == FEE:  # billed on its own (Radar, Billing...): a negative amount
            sums["fees"] -= gross
        else:
            sums["other"] += gross
    itemised = count > 0 and sums["net"] == amount
    arrival = payout.get("arrival_date") or payout.get("created") or 0
    return s.Payout(
        id=str(payout["id"]),
        provider="stripe",
        gateway=gateway,
        status=status,
        currency=currency,
        amount=amount,
        arrival_date=datetime.fromtimestamp(int(arrival), UTC).date(),
        charges=sums["charges"] if itemised else Decimal(0),
        refunds=sums["refunds"] if itemised else Decimal(0),
        fees=sums["fees"] if itemised else Decimal(0),
        other=sums["other"] if itemised else Decimal(0),
        itemised=itemised,
        transactions=count,
    )


def handle(
    event: dict[str, Any], client: StripeClient, *, gateway: str, channels: list[str]
) -> Outcome:
    """Itemise the event's payout and hand it to the kernel for ``channels``."""
    obj = (event.get("data") or {}).get("object") or {}
    status = EVENTS[str(event.get("type"))]
    # Stripe itemises automatic payouts only; a manual one is booked by its amount
    listed = client.balance_transactions(str(obj.get("id"))) if obj.get("automatic", True) else ()
    payout = summarise(obj, listed, gateway=gateway, status=status)
    jobs = payouts.publish(payout, channels)
    what = (
        f"charges {payout.charges}, refunds {payout.refunds}, fees {payout.fees}, "
        f"other {payout.other}"
        if payout.itemised
        else "not itemised by Stripe"
    )
    return Outcome(
        detail=f"payout {payout.id} {status}: {payout.amount} {payout.currency} ({what}); "
        f"{len(jobs)} booking job(s) for {', '.join(sorted(channels))}",
        provider_ids={"payout": payout.id},
    )
