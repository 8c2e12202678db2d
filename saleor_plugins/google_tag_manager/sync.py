"""What one order job sends: the purchase once, each refund once, nothing twice.

:func:`plan_order` compares the order as it is now with the ledger of what was sent for it
(:mod:`.models`) and returns the events still owed, and those it will never send (with the
reason). It is pure: the connector reads, sends and records.

- The purchase is owed once the order is placed (``send_purchase_on = created``) or fully
  paid (``paid``). Its key is ``purchase``: one per order, whatever the number of jobs.
- Each refund recorded on the order (a refunded fulfillment: orderRefund,
  orderFulfillmentRefundProducts) is owed once, keyed ``refund:<its id>``, with its lines.
  Money refunded at the payment that no refund record explains yet is waited for a few
  attempts (Saleor writes the record just after the hook), then sent as
  ``refund:unrecorded@<total>``; a record appearing later is then counted as covered.
- Refunds are reported only for a purchase GA4 received.
- An event older than GA4's 72 h backdating window is recorded as skipped, not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..core import snapshots as s
from . import mapping
from .settings import CLIENT_ID_KEY, GoogleTagManagerSettings, MissingClientId, SendOn

WINDOW = timedelta(hours=72)
#: attempts a refund seen at the payment waits for its record on the order
UNRECORDED_WAIT_ATTEMPTS = 3
PAID = ("full", "overcharged")
PURCHASE = "purchase"
CENT = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class Done:
    """A ledger row, as planning needs it."""

    status: str  # sent | skipped
    value: Decimal


@dataclass(slots=True)
class Owed:
    key: str
    name: str  # purchase | refund
    value: Decimal
    event: dict[str, Any] | None = None  # None: skipped
    reason: str = ""


@dataclass(slots=True)
class Plan:
    client_id: str = ""
    session_id: str = ""
    pseudonymous: bool = False
    send: list[Owed] = field(default_factory=list)
    skip: list[Owed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    waiting: str = ""  # a refund not yet recorded on the order: retry later


def too_old(when: datetime, now: datetime) -> str:
    if now - when > WINDOW:
        return f"older than GA4's 72 h window (happened {when:%Y-%m-%d %H:%M} UTC)"
    return ""


def purchase_due(order: s.Order, cfg: GoogleTagManagerSettings) -> bool:
    return cfg.send_purchase_on is SendOn.CREATED or order.charge_status in PAID


def plan_order(
    order: s.Order,
    cfg: GoogleTagManagerSettings,
    done: dict[str, Done],
    now: datetime,
    attempt: int = 1,
) -> Plan:
    plan = Plan()
    client, session = mapping.session_of(order)
    if not client and cfg.missing_client_id is MissingClientId.PSEUDONYMOUS:
        client, plan.pseudonymous = mapping.pseudonymous_client_id(order), True
    plan.client_id, plan.session_id = client, session

    bought = done.get(PURCHASE)
    if bought is None:
        if not purchase_due(order, cfg):
            plan.notes.append("purchase waits until the order is fully paid")
            return plan
        owed = Owed(PURCHASE, "purchase", order.total_gross.amount)
        when = min(order.created_at or now, now)
        owed.reason = too_old(when, now) or (
            "" if client else f"no GA client id in the order's metadata ({CLIENT_ID_KEY})"
        )
        if owed.reason:
            plan.skip.append(owed)
            plan.notes.append(f"refunds not reported: purchase skipped, {owed.reason}")
            return plan
        owed.event = mapping.purchase(order, cfg, session)
        plan.send.append(owed)
    elif bought.status != "sent":
        return plan  # skipped once, for good: GA4 has no purchase to refund

    _plan_refunds(order, cfg, done, now, attempt, plan)
    return plan


def _plan_refunds(
    order: s.Order,
    cfg: GoogleTagManagerSettings,
    done: dict[str, Done],
    now: datetime,
    attempt: int,
    plan: Plan,
) -> None:
    records = sorted(order.refunds, key=lambda r: (r.created_at or now, r.id))
    target = max(order.total_refunded.amount, sum((r.amount.amount for r in records), Decimal(0)))
    accounted = sum((d.value for k, d in done.items() if k.startswith("refund:")), Decimal(0))
    refunded_before = any(k.startswith("refund:") for k in done)
    for record in records:
        key = f"refund:{record.id}"
        if key in done:
            continue
        amount = record.amount.amount
        if amount <= 0:
            continue
        if accounted + amount > target + CENT:
            plan.skip.append(
                Owed(key, "refund", Decimal(0), reason="already sent as an unrecorded refund")
            )
            continue
        whole = not refunded_before and amount >= order.total_gross.amount
        _owe_refund(order, cfg, plan, key, amount, record.created_at or now, now, record.lines,
                    whole)  # fmt: skip
        accounted += amount
        refunded_before = True
    remainder = target - accounted
    if remainder <= CENT:
        return
    if attempt < UNRECORDED_WAIT_ATTEMPTS:
        plan.waiting = (
            f"{remainder} {order.currency} refunded at the payment with no refund record on "
            "the order yet"
        )
        return
    whole = not refunded_before and remainder >= order.total_gross.amount
    key = f"refund:unrecorded@{target}"
    _owe_refund(order, cfg, plan, key, remainder, order.updated_at or now, now, (), whole)


def _owe_refund(
    order: s.Order,
    cfg: GoogleTagManagerSettings,
    plan: Plan,
    key: str,
    amount: Decimal,
    when: datetime,
    now: datetime,
    lines: tuple[s.RefundLine, ...],
    whole: bool,
) -> None:
    when = min(when, now)
    owed = Owed(key, "refund", amount, reason=too_old(when, now))
    if owed.reason:
        plan.skip.append(owed)
        return
    # no session id: a refund comes days after the shopper's session, which GA4 would
    # refuse to join (a session takes server events for 24 h)
    owed.event = mapping.refund(order, cfg, amount, when, () if whole else lines)
    plan.send.append(owed)
