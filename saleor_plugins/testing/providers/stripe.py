"""A fake Stripe API on 127.0.0.1, driven through the real ``stripe`` SDK.

It implements what the plugin uses, with Stripe's behaviour where money is at stake:
idempotency keys (replay of the first response, error on reuse with other parameters),
``requires_action`` for 3-D Secure cards, declines as 402 card errors, partial capture,
partial and repeated refunds bounded by what was captured, cancellation of uncaptured
intents. Objects start from Stripe's own samples (``stripe_samples.json``: the resources
we use, extracted unchanged from stripe-mock's ``fixtures3.json``).

Test payment methods follow Stripe's test tokens: ``pm_card_visa`` succeeds,
``pm_card_threeDSecure2Required`` needs 3-D Secure, ``pm_card_chargeDeclined`` and
``pm_card_chargeDeclinedInsufficientFunds`` are declined.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# the resources we start from, extracted unchanged from stripe-mock's fixtures3.json
FIXTURES = Path(__file__).with_name("stripe_samples.json")

DECLINES = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined", "insufficient_funds", "Your card has insufficient funds."),
}  # fmt: skip
THREE_DS = {"pm_card_threeDSecure2Required", "pm_card_authenticationRequired"}
CANCELABLE = {"requires_payment_method", "requires_capture", "requires_confirmation",
              "requires_action", "processing"}  # fmt: skip
CONFIRMABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}


def load_samples() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]


def parse_form(body: str) -> dict[str, Any]:
    """Decode Stripe's bracketed form encoding (``a[b]=1``, ``expand[0]=x``) into JSON."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt_is_index = not last and (parts[i + 1].isdigit() or parts[i + 1] == "")
            if isinstance(node, list):
                if last:
                    node.append(value)
                    break
                if part == "" or int(part) >= len(node):
                    node.append([] if nxt_is_index else {})
                node = node[-1] if part == "" else node[int(part)]
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if nxt_is_index else {})
    return root


def _bool(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


class StripeHTTPError(Exception):
    def __init__(self, status: int, type_: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message, **extra}}


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    stripe_version: str | None
    replayed: bool = False


@dataclass
class FakeState:
    secret_key: str
    samples: dict[str, Any] = field(default_factory=load_samples)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    attached: dict[str, list[str]] = field(default_factory=dict)  # customer -> pm ids
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    payouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: newest first, as Stripe lists them
    balance_transactions: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    effects: Counter[str] = field(default_factory=Counter)  # money moved, per kind
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    delay_after: float = 0.0  # seconds to sleep after processing (client timeout tests)
    delay_method: str | None = None  # only requests with this method are delayed
    #: the next request that charges or authorises a card answers this much later
    #: (Stripe charged; the client has given up waiting): one-shot
    slow_charge: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self.ids):06d}{secrets.token_hex(4)}"

    def sample(self, name: str) -> dict[str, Any]:
        return copy.deepcopy(self.samples[name])

    def count(self, method: str | None = None, prefix: str = "") -> int:
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method) and r.path.startswith(prefix)
        )


class FakeStripe:
    """Start with ``with FakeStripe(secret_key) as fake:``; ``fake.url`` is the api_base."""

    def __init__(self, secret_key: str) -> None:
        self.state = FakeState(secret_key)
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

            def _handle(self, method: str) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = parse_form(body if method == "POST" else split.query)
                moved = state.effects["captured"] + state.effects["authorized"]
                status, payload, replayed = handle(
                    state, method, split.path, params, dict(self.headers.items())
                )
                data = json.dumps(payload).encode()
                if state.delay_after and state.delay_method in (None, method):
                    time.sleep(state.delay_after)
                charged = state.effects["captured"] + state.effects["authorized"] > moved
                if state.slow_charge and charged:
                    delay, state.slow_charge = state.slow_charge, 0.0
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
                    if replayed:
                        self.send_header("Idempotent-Replayed", "true")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what Stripe.js would do in the browser -----------------------------------------
    def complete_action(self, intent_id: str, *, succeed: bool = True) -> dict[str, Any]:
        """The shopper passes (or fails) 3-D Secure in the browser."""
        with self.state.lock:
            intent = self.state.intents[intent_id]
            if succeed:
                _authorised(self.state, intent)
            else:
                intent["status"] = "requires_payment_method"
                intent["next_action"] = None
                intent["last_payment_error"] = {
                    "type": "card_error", "code": "payment_intent_authentication_failure",
                    "message": "We are unable to authenticate your payment method. Please "
                    "choose a different payment method and try again."}  # fmt: skip
            return copy.deepcopy(intent)


# ---------------------------------------------------------------------------------------
def handle(
    state: FakeState, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
) -> tuple[int, dict[str, Any], bool]:
    lowered = {k.lower(): v for k, v in headers.items()}
    key = lowered.get("idempotency-key") if method == "POST" else None
    record = Recorded(method, path, params, key, lowered.get("stripe-version"))
    with state.lock:
        state.requests.append(record)
        if lowered.get("authorization") != f"Bearer {state.secret_key}":
            return (
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": "Invalid API Key provided: sk_****",
                    }
                },
                False,
            )
        if state.fail_next:
            status, body = state.fail_next.pop(0)
            return status, body, False
        if key:
            fingerprint = hashlib.sha256(
                (path + json.dumps(params, sort_keys=True)).encode()
            ).hexdigest()
            seen = state.idempotency.get(key)
            if seen is not None:
                if seen[0] != fingerprint:
                    return 400, {"error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the "
                        "same parameters they were first used with."}}, False  # fmt: skip
                record.replayed = True
                return seen[1], copy.deepcopy(seen[2]), True
        try:
            status, body = 200, route(state, method, path, params)
        except StripeHTTPError as e:
            status, body = e.status, e.body
        if key:
            state.idempotency[key] = (fingerprint, status, copy.deepcopy(body))
        return status, body, False


def route(state: FakeState, method: str, path: str, p: dict[str, Any]) -> dict[str, Any]:
    parts = path.strip("/").split("/")[1:]  # drop "v1"
    match method, parts:
        case "POST", ["payment_intents"]:
            return create_intent(state, p)
        case "GET", ["payment_intents", intent_id]:
            return view(state, _intent(state, intent_id), p)
        case "POST", ["payment_intents", intent_id]:
            intent = _intent(state, intent_id)
            if p.get("metadata"):
                intent["metadata"] = {**(intent.get("metadata") or {}), **p["metadata"]}
            return view(state, intent, p)
        case "POST", ["payment_intents", intent_id, "confirm"]:
            return view(state, confirm(state, _intent(state, intent_id), p), p)
        case "POST", ["payment_intents", intent_id, "capture"]:
            return view(state, capture(state, _intent(state, intent_id), p), p)
        case "POST", ["payment_intents", intent_id, "cancel"]:
            return view(state, cancel(state, _intent(state, intent_id)), p)
        case "POST", ["refunds"]:
            return refund(state, p)
        case "GET", ["refunds"]:
            found = [
                copy.deepcopy(r)
                for r in reversed(state.refunds.values())
                if r["payment_intent"] == p.get("payment_intent")
            ]
            return {"object": "list", "url": "/v1/refunds", "has_more": False, "data": found}
        case "GET", ["balance_transactions"]:
            return balance_transactions(state, p)
        case "POST", ["customers"]:
            customer = state.sample("customer")
            customer.update(
                id=state.new_id("cus"),
                email=p.get("email"),
                metadata=p.get("metadata") or {},
                discount=None,
            )
            state.customers[customer["id"]] = customer
            return customer
        case "GET", ["payment_methods"]:
            ids = state.attached.get(str(p.get("customer")), [])
            return {
                "object": "list",
                "url": "/v1/payment_methods",
                "has_more": False,
                "data": [payment_method(state, i, p.get("customer")) for i in ids],
            }
        case "GET", ["webhook_endpoints"]:
            return {
                "object": "list",
                "url": "/v1/webhook_endpoints",
                "has_more": False,
                "data": [copy.deepcopy(e) for e in state.endpoints.values()],
            }
        case "POST", ["webhook_endpoints"]:
            endpoint = state.sample("webhook_endpoint")
            endpoint.update(
                id=state.new_id("we"),
                url=p["url"],
                enabled_events=p.get("enabled_events") or [],
                metadata=p.get("metadata") or {},
                description=p.get("description"),
                api_version=p.get("api_version"),
            )
            state.endpoints[endpoint["id"]] = endpoint
            state.effects["webhook_endpoint"] += 1
            return {**endpoint, "secret": f"whsec_{secrets.token_hex(16)}"}
        case "DELETE", ["webhook_endpoints", endpoint_id]:
            if state.endpoints.pop(endpoint_id, None) is None:
                raise _missing("webhook_endpoint", endpoint_id)
            return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}
    raise StripeHTTPError(
        404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})."
    )


def _missing(kind: str, object_id: str) -> StripeHTTPError:
    return StripeHTTPError(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", code="resource_missing"
    )


def _intent(state: FakeState, intent_id: str) -> dict[str, Any]:
    intent = state.intents.get(intent_id)
    if intent is None:
        raise _missing("payment_intent", intent_id)
    return intent


def _amount(p: dict[str, Any], name: str, currency: str) -> int:
    try:
        value = int(p[name])
    except (KeyError, ValueError):
        raise StripeHTTPError(
            400, "invalid_request_error", f"Invalid integer: {p.get(name)}", param=name
        ) from None
    if currency in THREE_DECIMAL and value % 10:
        raise StripeHTTPError(
            400,
            "invalid_request_error",
            "Amounts in three-decimal currencies must end in 0.",
            param=name,
        )
    return value


def payment_method(state: FakeState, pm_id: str, customer: Any = None) -> dict[str, Any]:
    pm = state.sample("payment_method")
    pm.update(id=pm_id, customer=customer, metadata={})
    if pm_id in THREE_DS:
        pm["card"]["last4"] = "3155"
    elif pm_id in DECLINES:
        pm["card"]["last4"] = "0002"
    return pm


def view(state: FakeState, intent: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(intent)
    expand = p.get("expand") or []
    if "payment_method" in expand and out.get("payment_method"):
        out["payment_method"] = payment_method(state, out["payment_method"], out.get("customer"))
    if "latest_charge" in expand and out.get("latest_charge"):
        out["latest_charge"] = charge(state, intent)
    return out


def charge(state: FakeState, intent: dict[str, Any]) -> dict[str, Any]:
    """The intent's latest charge as Stripe shows it (succeeded, refunded or failed)."""
    obj = state.sample("charge")
    paid = intent["status"] in ("succeeded", "requires_capture")
    obj.update(
        id=intent["latest_charge"],
        amount=intent["amount"],
        amount_captured=intent["amount_received"],
        amount_refunded=intent["amount_refunded"],
        refunded=bool(intent["amount_received"])
        and intent["amount_refunded"] >= intent["amount_received"],
        currency=intent["currency"],
        payment_intent=intent["id"],
        status="succeeded" if paid else "failed",
        metadata={},
    )
    return obj


def create_intent(state: FakeState, p: dict[str, Any]) -> dict[str, Any]:
    currency = str(p.get("currency", "")).lower()
    amount = _amount(p, "amount", currency)
    if amount < 1:
        raise StripeHTTPError(
            400, "invalid_request_error", "Amount must be at least 1.", param="amount"
        )
    intent = state.sample("payment_intent")
    intent_id = state.new_id("pi")
    intent.update(
        id=intent_id,
        amount=amount,
        currency=currency,
        amount_capturable=0,
        amount_received=0,
        client_secret=f"{intent_id}_secret_{secrets.token_hex(8)}",
        canceled_at=None,
        capture_method=p.get("capture_method", "automatic"),
        customer=p.get("customer"),
        metadata=p.get("metadata") or {},
        last_payment_error=None,
        next_action=None,
        payment_method=None,
        receipt_email=p.get("receipt_email"),
        processing=None,
        setup_future_usage=p.get("setup_future_usage"),
        status="requires_payment_method",
        statement_descriptor_suffix=p.get("statement_descriptor_suffix"),
        transfer_data=None,
        created=int(time.time()),
        latest_charge=None,
        amount_refunded=0,
    )
    if p.get("payment_method_types"):
        intent["payment_method_types"] = list(p["payment_method_types"])
        intent["automatic_payment_methods"] = None
    state.intents[intent_id] = intent
    if p.get("payment_method"):
        intent["payment_method"] = p["payment_method"]
        intent["status"] = "requires_confirmation"
    if _bool(p.get("confirm")):
        confirm(state, intent, {})
    return view(state, intent, p)


def confirm(state: FakeState, intent: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if intent["status"] not in CONFIRMABLE:
        raise StripeHTTPError(
            400,
            "invalid_request_error",
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}.",
            code="payment_intent_unexpected_state",
        )
    if p.get("payment_method"):
        intent["payment_method"] = p["payment_method"]
    pm = intent.get("payment_method")
    if not pm:
        raise StripeHTTPError(
            400,
            "invalid_request_error",
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
        )
    if pm in DECLINES:
        code, decline, message = DECLINES[pm]
        intent["status"] = "requires_payment_method"
        intent["latest_charge"] = state.new_id("ch")  # the failed charge
        intent["last_payment_error"] = {
            "type": "card_error",
            "code": code,
            "decline_code": decline,
            "message": message,
        }
        raise StripeHTTPError(
            402,
            "card_error",
            message,
            code=code,
            decline_code=decline,
            payment_intent=copy.deepcopy(intent),
        )
    if pm in THREE_DS:
        intent["status"] = "requires_action"
        intent["next_action"] = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "stripe_js": "https://hooks.stripe.com/3ds",
            },
        }
        return intent
    _authorised(state, intent)
    return intent


def _authorised(state: FakeState, intent: dict[str, Any]) -> None:
    intent["next_action"] = None
    intent["last_payment_error"] = None
    intent["latest_charge"] = state.new_id("ch")
    if intent.get("setup_future_usage") and intent.get("customer") and intent.get("payment_method"):
        saved = state.attached.setdefault(intent["customer"], [])
        if intent["payment_method"] not in saved:
            saved.append(intent["payment_method"])
    if intent["capture_method"] == "manual":
        intent["status"] = "requires_capture"
        intent["amount_capturable"] = intent["amount"]
        state.effects["authorized"] += intent["amount"]
    else:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        state.effects["captured"] += intent["amount"]


def capture(state: FakeState, intent: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if intent["status"] != "requires_capture":
        raise StripeHTTPError(
            400,
            "invalid_request_error",
            f"This PaymentIntent could not be captured because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
            f"may be captured: requires_capture.",
            code="payment_intent_unexpected_state",
        )
    amount = (
        _amount(p, "amount_to_capture", intent["currency"])
        if "amount_to_capture" in p
        else intent["amount_capturable"]
    )
    if amount > intent["amount_capturable"]:
        raise StripeHTTPError(
            400,
            "invalid_request_error",
            "The amount_to_capture is greater than amount_capturable.",
            param="amount_to_capture",
        )
    intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
    state.effects["captured"] += amount
    return intent


def cancel(state: FakeState, intent: dict[str, Any]) -> dict[str, Any]:
    if intent["status"] not in CANCELABLE:
        raise StripeHTTPError(
            400,
            "invalid_request_error",
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
            code="payment_intent_unexpected_state",
        )
    intent.update(
        status="canceled",
        canceled_at=int(time.time()),
        amount_capturable=0,
        cancellation_reason="requested_by_customer",
    )
    state.effects["canceled"] += 1
    return intent


def refund(state: FakeState, p: dict[str, Any]) -> dict[str, Any]:
    intent = _intent(state, str(p.get("payment_intent")))
    if intent["status"] != "succeeded":
        raise StripeHTTPError(
            400,
            "invalid_request_error",
            "This PaymentIntent does not have a successful charge to refund.",
            code="charge_not_refundable",
        )
    left = intent["amount_received"] - intent["amount_refunded"]
    amount = _amount(p, "amount", intent["currency"]) if "amount" in p else left
    if amount > left:
        raise StripeHTTPError(
            400,
            "invalid_request_error",
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
            param="amount",
            code="amount_too_large",
        )
    intent["amount_refunded"] += amount
    obj = state.sample("refund")
    obj.update(
        id=state.new_id("re"),
        amount=amount,
        currency=intent["currency"],
        charge=intent["latest_charge"],
        payment_intent=intent["id"],
        metadata=p.get("metadata") or {},
        status="succeeded",
        created=int(time.time()),
    )
    state.refunds[obj["id"]] = obj
    state.effects["refunded"] += amount
    return obj


# -- payouts --------------------------------------------------------------------------------
def balance_transactions(state: FakeState, p: dict[str, Any]) -> dict[str, Any]:
    """``GET /v1/balance_transactions``: filtered by payout, paginated as Stripe does."""
    limit = int(p.get("limit") or 10)
    if not 1 <= limit <= 100:
        raise StripeHTTPError(400, "invalid_request_error", "Invalid limit", param="limit")
    found = [t for t in state.balance_transactions if p.get("payout") in (None, t["_payout"])]
    if p.get("starting_after"):
        ids = [t["id"] for t in found]
        if p["starting_after"] not in ids:
            raise _missing("balance_transaction", p["starting_after"])
        found = found[ids.index(p["starting_after"]) + 1 :]
    page = [{k: v for k, v in t.items() if k != "_payout"} for t in found[:limit]]
    return {
        "object": "list",
        "url": "/v1/balance_transactions",
        "has_more": len(found) > limit,
        "data": copy.deepcopy(page),
    }


def make_payout(
    state: FakeState,
    *,
    currency: str = "eur",
    charges: Sequence[tuple[int, int]] = (),
    refunds: Sequence[int] = (),
    other: Sequence[tuple[str, int, int]] = (),
    automatic: bool = True,
    status: str = "paid",
) -> dict[str, Any]:
    """A payout of ``charges`` ((amount, fee) in minor units) less ``refunds``, plus
    ``other`` ((reporting category, amount, fee): disputes, fees billed apart...), with
    its balance transactions. Its amount is the sum of their nets, as at Stripe."""
    payout_id = state.new_id("po")
    moves = [("charge", amount, fee) for amount, fee in charges]
    moves += [("refund", -amount, 0) for amount in refunds] + list(other)
    for category, amount, fee in moves:
        txn = state.sample("balance_transaction")
        txn.update(
            id=state.new_id("txn"),
            amount=amount,
            fee=fee,
            net=amount - fee,
            currency=currency,
            reporting_category=category,
            type={"charge": "charge", "refund": "refund", "fee": "stripe_fee"}.get(
                category, "adjustment"
            ),
            fee_details=[{"amount": fee, "currency": currency, "type": "stripe_fee"}]
            if fee
            else [],
            _payout=payout_id if automatic else None,
        )
        state.balance_transactions.insert(0, txn)
    obj = state.sample("payout")
    net = sum(amount - fee for _, amount, fee in moves)
    obj.update(
        id=payout_id,
        amount=net,
        currency=currency,
        automatic=automatic,
        status=status,
        arrival_date=int(time.time()),
        balance_transaction=state.new_id("txn"),
    )
    own = {**state.sample("balance_transaction"), "id": obj["balance_transaction"]}
    own.update(amount=-net, fee=0, net=-net, currency=currency, type="payout",
               reporting_category="payout", _payout=payout_id)  # fmt: skip
    state.balance_transactions.insert(0, own)
    state.payouts[payout_id] = obj
    return copy.deepcopy(obj)


# -- webhooks ------------------------------------------------------------------------------
def event(
    state: FakeState, type_: str, obj: dict[str, Any], *, livemode: bool = False
) -> dict[str, Any]:
    evt = state.sample("event")
    evt.update(
        id=state.new_id("evt"),
        type=type_,
        created=int(time.time()),
        livemode=livemode,
        data={"object": copy.deepcopy(obj)},
        api_version="2024-06-20",
    )
    return evt


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header as Stripe computes it."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"
