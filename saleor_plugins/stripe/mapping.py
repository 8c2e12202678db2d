"""Pure rules between Saleor's payment vocabulary and Stripe's objects.

Money: Stripe wants integers in the currency's minor unit. Zero-decimal currencies (JPY,
KRW, …) are sent as is; three-decimal currencies (KWD, BHD, …) in thousandths, rounded to
a multiple of 10 as Stripe requires. Transaction kinds are Saleor's ``TransactionKind``
values, as plain strings, so this module needs no Saleor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
# https://docs.stripe.com/currencies#three-decimal
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# Saleor's TransactionKind values
AUTH = "auth"
CAPTURE = "capture"
ACTION_TO_CONFIRM = "action_to_confirm"
PENDING = "pending"
VOID = "void"
CANCEL = "cancel"
REFUND = "refund"
REFUND_ONGOING = "refund_ongoing"
REFUND_FAILED = "refund_failed"

ACTION_STATUSES = frozenset({"requires_action", "requires_confirmation", "requires_payment_method"})


def decimals(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor(amount: Decimal, currency: str) -> int:
    """Major-unit ``amount`` as Stripe's integer (three-decimal: a multiple of 10)."""
    places = decimals(currency)
    if places == 3:
        cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return int(cents * 1000)
    quantum = Decimal(1).scaleb(-places)
    return int(Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP).scaleb(places))


def from_minor(value: int, currency: str) -> Decimal:
    places = decimals(currency)
    return (Decimal(int(value)).scaleb(-places)).quantize(Decimal(1).scaleb(-places))


def idempotency_key(payment_id: int | str, operation: str, *parts: Any) -> str:
    """A key per Saleor payment and operation, stable across retries of that operation.

    ``parts`` name what makes two *different* operations of the same kind distinct (the
    sequence number of a refund, the parameters of an intent): a retry repeats them, a
    new operation does not. Stripe keys may be 255 characters: long parts are hashed.
    """
    tail = ":".join(str(p) for p in parts)
    if len(tail) > 64:
        tail = hashlib.sha256(tail.encode()).hexdigest()[:32]
    key = f"saleor-payment:{payment_id}:{operation}"
    return f"{key}:{tail}" if tail else key


def intent_key(
    scope: str, amount: int, currency: str, generation: int, params: dict[str, Any]
) -> str:
    """The create key of a checkout's intent: a retried create replays the same intent."""
    return f"saleor-{scope[:150]}:intent:{amount}{currency.lower()}:{generation}:" + params_digest(
        params
    )


def params_digest(params: dict[str, Any]) -> str:
    """A short stable digest of request parameters (for keys that must follow them)."""
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class IntentState:
    """What Saleor should record for a PaymentIntent's status."""

    kind: str
    action_required: bool
    is_success: bool


def intent_state(status: str) -> IntentState:
    """Saleor's transaction kind for a PaymentIntent status.

    requires_capture is an authorisation, succeeded a capture, processing a pending
    payment (bank debits, some wallets); the requires_* statuses wait for the customer.
    """
    if status == "succeeded":
        return IntentState(CAPTURE, False, True)
    if status == "requires_capture":
        return IntentState(AUTH, False, True)
    if status == "processing":
        return IntentState(PENDING, False, True)
    if status in ACTION_STATUSES:
        return IntentState(ACTION_TO_CONFIRM, True, True)
    if status == "canceled":
        return IntentState(CANCEL, False, False)
    return IntentState(ACTION_TO_CONFIRM, True, True)


@dataclass(frozen=True, slots=True)
class CardInfo:
    brand: str | None = None
    last_4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    type: str | None = None
    name: str | None = None


def card_from_payment_method(pm: dict[str, Any] | None) -> CardInfo | None:
    if not isinstance(pm, dict):
        return None
    card = pm.get("card") or {}
    name = (pm.get("billing_details") or {}).get("name")
    return CardInfo(
        brand=card.get("brand"),
        last_4=card.get("last4"),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
        type=pm.get("type"),
        name=name,
    )


def card_from_intent(intent: dict[str, Any]) -> CardInfo | None:
    """Card details of an intent whose ``payment_method`` or latest charge is expanded."""
    pm = intent.get("payment_method")
    if isinstance(pm, dict):
        return card_from_payment_method(pm)
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        details = charge.get("payment_method_details") or {}
        kind = details.get("type")
        card = details.get(kind) if kind else None
        if isinstance(card, dict):
            return CardInfo(
                brand=card.get("brand"),
                last_4=card.get("last4"),
                exp_month=card.get("exp_month"),
                exp_year=card.get("exp_year"),
                type=kind,
            )
        return CardInfo(type=kind)
    return None


def action_required_data(intent: dict[str, Any], publishable_key: str) -> dict[str, Any]:
    """What the storefront needs to finish a ``requires_*`` intent with Stripe.js."""
    return {
        "id": intent.get("id"),
        "client_secret": intent.get("client_secret"),
        "status": intent.get("status"),
        "next_action": intent.get("next_action"),
        "publishable_key": publishable_key,
    }


def raw_summary(obj: dict[str, Any]) -> dict[str, str]:
    """The few fields worth keeping in Saleor's ``gateway_response`` (never the secret)."""
    keep = (
        "id",
        "object",
        "status",
        "amount",
        "amount_received",
        "amount_capturable",
        "currency",
        "capture_method",
        "livemode",
        "charge",
        "payment_intent",
    )
    return {k: str(obj[k]) for k in keep if k in obj and obj[k] is not None}


# -- webhook events ---------------------------------------------------------------------
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
CAPTURABLE = "capturable"
PROCESSING = "processing"
REFUNDED = "refunded"
REFUND_UPDATED = "refund_updated"
DISPUTE = "dispute"

_INTENT_EVENTS = {
    "payment_intent.succeeded": SUCCEEDED,
    "payment_intent.payment_failed": FAILED,
    "payment_intent.canceled": CANCELED,
    "payment_intent.amount_capturable_updated": CAPTURABLE,
    "payment_intent.processing": PROCESSING,
}
_REFUND_EVENTS = {"charge.refund.updated", "refund.updated"}
#: what the endpoint subscribes to (registration) and the handler understands
HANDLED_EVENTS = (
    *_INTENT_EVENTS,
    "charge.refunded",
    *_REFUND_EVENTS,
    "charge.dispute.created",
    # payouts, itemised and handed to the accounting integrations (payouts.py)
    "payout.paid",
    "payout.failed",
    "payout.canceled",
)


#: refund statuses in which the money goes (or went) back to the customer
REFUND_MADE = frozenset({"succeeded", "pending", "requires_action"})


@dataclass(frozen=True, slots=True)
class RefundInfo:
    id: str
    amount: Decimal  # major units
    status: str


def refunds(listed: list[dict[str, Any]], currency: str) -> tuple[RefundInfo, ...]:
    """Stripe's refund list (newest first) as RefundInfo, oldest first."""
    return tuple(
        RefundInfo(
            id=str(r.get("id") or ""),
            amount=from_minor(int(r.get("amount") or 0), currency),
            status=str(r.get("status") or ""),
        )
        for r in reversed(listed)
        if r.get("id")
    )


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A Stripe event reduced to what Saleor's payment records need."""

    kind: str
    event_id: str
    intent_id: str
    amount: Decimal  # major units; meaning depends on kind (see payment_event)
    currency: str
    saleor_payment_id: str = ""
    checkout_token: str = ""
    channel: str = ""
    object_id: str = ""  # refund, charge or dispute id
    status: str = ""
    reason: str = ""
    card: CardInfo | None = None
    #: the charge's refunds (``refunded`` only), read from Stripe by the worker
    refunds: tuple[RefundInfo, ...] = ()


def object_id(value: Any) -> str:
    """The id of a Stripe reference, expanded (an object) or not (its id)."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def payment_event(event: dict[str, Any]) -> PaymentEvent | None:
    """Normalise a Stripe event; None for types the plugin does not handle.

    ``amount`` is: the amount received (succeeded), capturable (capturable), the intent's
    amount (failed, canceled, processing), the charge's total refunded so far (refunded),
    the refund's amount (refund_updated), the disputed amount (dispute).
    """
    type_ = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    currency = str(obj.get("currency") or "").upper()
    metadata = obj.get("metadata") or {}
    common: dict[str, Any] = {
        "event_id": str(event.get("id") or ""),
        "currency": currency,
        "saleor_payment_id": str(metadata.get("saleor_payment_id") or ""),
        "checkout_token": str(metadata.get("saleor_checkout_token") or ""),
        "channel": str(metadata.get("saleor_channel") or ""),
    }

    def money(value: Any) -> Decimal:
        return from_minor(int(value or 0), currency) if currency else Decimal(0)

    if type_ in _INTENT_EVENTS:
        kind = _INTENT_EVENTS[type_]
        value = {
            SUCCEEDED: obj.get("amount_received"),
            CAPTURABLE: obj.get("amount_capturable"),
        }.get(kind, obj.get("amount"))
        error = obj.get("last_payment_error") or {}
        return PaymentEvent(
            kind=kind,
            intent_id=object_id(obj.get("id")),
            amount=money(value),
            status=str(obj.get("status") or ""),
            reason=str(error.get("message") or ""),
            card=card_from_intent(obj),
            **common,
        )
    if type_ == "charge.refunded":
        return PaymentEvent(
            kind=REFUNDED,
            intent_id=object_id(obj.get("payment_intent")),
            amount=money(obj.get("amount_refunded")),
            object_id=object_id(obj.get("id")),
            status="refunded" if obj.get("refunded") else "partially_refunded",
            **common,
        )
    if type_ in _REFUND_EVENTS:
        return PaymentEvent(
            kind=REFUND_UPDATED,
            intent_id=object_id(obj.get("payment_intent")),
            amount=money(obj.get("amount")),
            object_id=object_id(obj.get("id")),
            status=str(obj.get("status") or ""),
            reason=str(obj.get("failure_reason") or ""),
            **common,
        )
    if type_ == "charge.dispute.created":
        return PaymentEvent(
            kind=DISPUTE,
            intent_id=object_id(obj.get("payment_intent")),
            amount=money(obj.get("amount")),
            object_id=object_id(obj.get("id")),
            status=str(obj.get("status") or ""),
            reason=str(obj.get("reason") or ""),
            **common,
        )
    return None


#: what processing reads of an event's object (:func:`payment_event`): ids, amounts,
#: statuses and reasons; never the intent's ``client_secret`` or customer details
_KEPT = (
    "id",
    "object",
    "status",
    "amount",
    "amount_received",
    "amount_capturable",
    "amount_refunded",
    "currency",
    "capture_method",
    "payment_intent",
    "latest_charge",
    "refunded",
    "reason",
    "failure_reason",
    # payouts
    "arrival_date",
    "automatic",
    "failure_code",
)
_KEPT_ERROR = ("type", "code", "decline_code", "message")


def _bounded(value: Any) -> Any:
    return value[:500] if isinstance(value, str) else value


def stored_event(event: dict[str, Any]) -> dict[str, Any]:
    """The part of a Stripe event the kernel stores: what :func:`payment_event` reads."""
    obj = (event.get("data") or {}).get("object") or {}
    kept: dict[str, Any] = {
        k: _bounded(object_id(obj[k]) if isinstance(obj[k], dict) else obj[k])
        for k in _KEPT
        if k in obj
    }
    metadata = obj.get("metadata") or {}
    kept["metadata"] = {
        str(k): _bounded(str(v)) for k, v in metadata.items() if str(k).startswith("saleor_")
    }
    error = obj.get("last_payment_error")
    if isinstance(error, dict):
        kept["last_payment_error"] = {k: _bounded(error[k]) for k in _KEPT_ERROR if error.get(k)}
    card = card_from_intent(obj) if obj.get("object") == "payment_intent" else None
    if card is not None:  # brand, last 4 and expiry only: no name, no billing address
        kept["payment_method"] = {
            "type": card.type,
            "card": {
                "brand": card.brand,
                "last4": card.last_4,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
            },
        }
    elif isinstance(obj.get("payment_method"), str):
        kept["payment_method"] = obj["payment_method"]
    return {
        "id": event.get("id"),
        "object": event.get("object"),
        "type": event.get("type"),
        "created": event.get("created"),
        "livemode": event.get("livemode"),
        "data": {"object": kept},
    }
