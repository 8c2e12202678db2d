"""The payment operations Saleor's plugin payment API asks for, on plain dataclasses.

``plugin.py`` converts Saleor's ``PaymentData`` into a :class:`PaymentRequest` and a
:class:`Result` back into a ``GatewayResponse``; everything in between is here and needs
no Saleor, so it is tested against the fake Stripe server alone.

Failures never escape as exceptions: a decline becomes ``is_success=False`` with Stripe's
customer-facing message (Saleor shows it from the mutation), an unreachable Stripe a
"try again" message, a refused key or request a generic message plus an error log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..core import secrets
from ..core.errors import (
    AuthenticationError,
    IntegrationError,
    PaymentError,
    PermanentError,
    TransientError,
)
from . import intents, mapping
from .client import StripeClient
from .settings import StripeSettings

logger = logging.getLogger("saleor_plugins.stripe")

UNAVAILABLE = "The payment provider could not be reached. Please try again in a moment."
FAILED = "The payment could not be processed. Please try another payment method."
#: ``raw["outcome"]`` of a failed result: the customer's bank or 3-D Secure refused it;
#: Stripe refused the request (it will refuse a retry too); or no answer came back
#: (timeout, 5xx): Stripe may have acted, so a retry repeats the idempotency key
DECLINED = "declined"
REFUSED = "refused"
UNKNOWN = "unknown"
RECORDED = "recorded"  # Stripe replayed a refund Saleor already holds
#: intent statuses in which the shopper has paid (or is paying: bank debits)
PAID = frozenset({"succeeded", "requires_capture", "processing"})
#: Expanded on every intent we return to Saleor, so the card details come in the same call.
EXPAND = ["payment_method"]


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """What Saleor passes to a payment method, without Saleor's types."""

    payment_id: int
    amount: Decimal
    currency: str
    channel: str = ""
    graphql_payment_id: str = ""
    token: str = ""  # the PaymentIntent id once one exists (Saleor's transaction token)
    email: str = ""
    customer_id: str = ""  # Stripe customer id Saleor stored for the user
    graphql_customer_id: str = ""  # set only for a logged-in customer
    checkout_token: str = ""
    order_id: str = ""
    store_method: str = "NONE"  # Saleor's StorePaymentMethodEnum: NONE, ON_SESSION, OFF_SESSION
    data: dict[str, Any] = field(default_factory=dict)  # storefront's paymentData
    metadata: dict[str, str] = field(default_factory=dict)
    #: operations already recorded on this payment that make the next one a new operation:
    #: successful captures or refunds for those; declined attempts for a new intent. A
    #: retry (after a timeout) repeats the count, so it repeats the idempotency key.
    sequence: int = 0


@dataclass(slots=True)
class Result:
    """Saleor's ``GatewayResponse``, field for field."""

    is_success: bool
    kind: str
    amount: Decimal
    currency: str
    transaction_id: str = ""
    error: str | None = None
    action_required: bool = False
    action_required_data: dict[str, Any] | None = None
    customer_id: str | None = None
    psp_reference: str | None = None
    card: mapping.CardInfo | None = None
    raw: dict[str, str] = field(default_factory=dict)


def outcome(error: IntegrationError) -> str:
    if isinstance(error, PaymentError):
        return DECLINED
    if isinstance(error, TransientError):
        return UNKNOWN
    return REFUSED


def _payment_ref(req: PaymentRequest) -> str:
    return req.graphql_payment_id or str(req.payment_id)


def _payment_method(req: PaymentRequest) -> str:
    return str(req.data.get("payment_method_id") or req.data.get("payment_method") or "")


def _confirmable(intent: dict[str, Any], method: str) -> bool:
    """Whether the shopper's payment method should be confirmed on the intent now."""
    status = intent.get("status")
    if status in ("requires_payment_method", "requires_confirmation"):
        return True
    # 3-D Secure left unfinished, another card submitted: confirm that one instead
    return status == "requires_action" and mapping.object_id(intent.get("payment_method")) != method


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    card: mapping.CardInfo | None
    metadata: dict[str, str]


class StripeGateway:
    def __init__(
        self,
        settings: StripeSettings,
        *,
        client_factory: Callable[[str], StripeClient] = StripeClient,
    ) -> None:
        self.settings = settings
        self._client_factory = client_factory
        self._client: StripeClient | None = None

    @property
    def client(self) -> StripeClient:
        if self._client is None:
            self._client = self._client_factory(self.settings.secret("secret_key"))
        return self._client

    # -- helpers -----------------------------------------------------------------------
    def _refuse_currency(self, req: PaymentRequest, kind: str) -> Result | None:
        if req.currency.upper() in self.settings.supported_currencies:
            return None
        message = f"{req.currency.upper()} is not accepted by this store's Stripe gateway."
        return Result(False, kind, req.amount, req.currency, error=message)

    def _failure(
        self, req: PaymentRequest, kind: str, error: IntegrationError, *, intent_id: str = ""
    ) -> Result:
        if isinstance(error, PaymentError):
            message = error.customer_message
        elif isinstance(error, TransientError):
            message = UNAVAILABLE
        else:
            level = logging.ERROR if isinstance(error, AuthenticationError) else logging.WARNING
            logger.log(
                level,
                "stripe refused payment %s %s: %s",
                req.payment_id,
                kind,
                secrets.scrub(str(error)),
            )
            message = FAILED
        token = intent_id or req.token
        return Result(
            False,
            kind,
            req.amount,
            req.currency,
            transaction_id=token,
            error=message,
            psp_reference=token or None,
            raw={"outcome": outcome(error)},
        )

    def _from_intent(
        self, req: PaymentRequest, intent: dict[str, Any], customer_id: str | None = None
    ) -> Result:
        state = mapping.intent_state(str(intent.get("status")))
        currency = str(intent.get("currency") or req.currency).upper()
        amount = mapping.from_minor(int(intent.get("amount") or 0), currency)
        error = None
        is_success = state.is_success
        declined = intent.get("status") == "requires_payment_method" and intent.get(
            "last_payment_error"
        )
        if declined:
            # the customer tried and failed (3-D Secure refused, card declined on confirm)
            is_success = False
            error = (intent["last_payment_error"] or {}).get("message") or FAILED
        result = Result(
            is_success=is_success,
            kind=state.kind,
            amount=amount,
            currency=currency,
            transaction_id=str(intent["id"]),
            psp_reference=str(intent["id"]),
            error=error,
            action_required=state.action_required and is_success,
            customer_id=customer_id,
            raw=mapping.raw_summary(intent),
        )
        if declined:
            result.raw["outcome"] = DECLINED
        if result.action_required:
            result.action_required_data = mapping.action_required_data(
                intent, self.settings.publishable_key
            )
        elif is_success:
            result.card = mapping.card_from_intent(intent)
        return result

    # -- checkout ----------------------------------------------------------------------
    def intent_params(self, req: PaymentRequest, customer_id: str | None) -> dict[str, Any]:
        """The create call's parameters: no payment method, nothing is confirmed here."""
        s = self.settings
        params: dict[str, Any] = {
            "amount": mapping.to_minor(req.amount, req.currency),
            "currency": req.currency.lower(),
            "capture_method": "manual" if s.manual_capture else "automatic",
            "metadata": {
                **{k: v for k, v in req.metadata.items() if not k.startswith("saleor_")},
                "saleor_payment_id": _payment_ref(req),
                "saleor_channel": req.channel,
                "saleor_checkout_token": req.checkout_token,
            },
            "expand": EXPAND,
        }
        methods = req.data.get("payment_method_types")
        if methods:
            params["payment_method_types"] = list(methods)
        else:
            # booleans as Stripe's form encoding spells them (stripe 3.x would send "True")
            params["automatic_payment_methods"] = {"enabled": "true"}
            if _payment_method(req) and not req.data.get("return_url"):
                # a card from Stripe.js without a return URL: cards and wallets only
                params["automatic_payment_methods"]["allow_redirects"] = "never"
        if s.receipt_email and req.email:
            params["receipt_email"] = req.email
        if s.statement_descriptor_suffix:
            params["statement_descriptor_suffix"] = s.statement_descriptor_suffix
        if customer_id:
            params["customer"] = customer_id
            if req.store_method in ("ON_SESSION", "OFF_SESSION"):
                params["setup_future_usage"] = req.store_method.lower()
        return params

    def _customer(self, req: PaymentRequest) -> str | None:
        if not (self.settings.saved_payment_methods and req.graphql_customer_id):
            return None
        if req.customer_id:
            return req.customer_id
        key = f"saleor-user:{req.graphql_customer_id}:customer"
        customer = self.client.create_customer(
            {"email": req.email, "metadata": {"saleor_user_id": req.graphql_customer_id}}, key
        )
        return str(customer["id"])

    def process(self, req: PaymentRequest) -> Result:
        """Pay the checkout with ONE intent per checkout and amount, however often tried.

        The intent is created without confirming it and recorded (:mod:`.intents`); only
        then is it confirmed with the shopper's payment method, the call that moves
        money. A retry (after a timeout, with another card, or with a new Saleor payment
        for the same checkout) reads the recorded intent: paid already, it is returned as
        the payment's outcome; still waiting for a payment method, it is confirmed with
        the new one; canceled or refunded, a new intent replaces it.
        """
        kind = mapping.CAPTURE if not self.settings.manual_capture else mapping.AUTH
        refused = self._refuse_currency(req, kind)
        if refused:
            return refused
        customer_id: str | None = None
        intent: dict[str, Any] | None = None
        try:
            customer_id = self._customer(req)
            intent = self._intent_for(req, customer_id)
            method = _payment_method(req)
            if method and _confirmable(intent, method):
                intent = self._confirm(req, intent, method)
        except IntegrationError as e:
            result = self._failure(req, kind, e, intent_id=str(intent["id"]) if intent else "")
            result.customer_id = customer_id
            return result
        return self._from_intent(req, intent, customer_id)

    def _intent_for(self, req: PaymentRequest, customer_id: str | None) -> dict[str, Any]:
        """The checkout's intent for this amount: the recorded one, or a new one."""
        scope = intents.scope(req.checkout_token, req.payment_id)
        amount = mapping.to_minor(req.amount, req.currency)
        record = intents.find(scope, amount, req.currency)
        generation = 0
        if record is not None:
            intent = self._reusable(record.intent_id)
            if intent is not None:
                if record.payment_id != _payment_ref(req):
                    intent = self._serve(req, intent)
                return intent
            generation = record.generation + 1
        params = self.intent_params(req, customer_id)
        key = mapping.intent_key(scope, amount, req.currency, generation, params)
        intent = self.client.create_intent(params, key)
        intents.remember(
            scope,
            amount,
            req.currency,
            intent_id=str(intent["id"]),
            channel=req.channel,
            payment_id=_payment_ref(req),
            generation=generation,
        )
        return intent

    def _reusable(self, intent_id: str) -> dict[str, Any] | None:
        """The recorded intent as Stripe has it now; None when it cannot pay any more."""
        try:
            intent = self.client.retrieve_intent(intent_id, expand=[*EXPAND, "latest_charge"])
        except PermanentError as e:
            if e.code == "resource_missing":  # another account's keys since
                return None
            raise
        charge = intent.get("latest_charge")
        refunded = isinstance(charge, dict) and int(charge.get("amount_refunded") or 0) > 0
        if intent.get("status") == "canceled" or refunded:
            return None
        return intent

    def _serve(self, req: PaymentRequest, intent: dict[str, Any]) -> dict[str, Any]:
        """Point the intent's metadata at the Saleor payment it now serves."""
        intent_id = str(intent["id"])
        metadata = {"saleor_payment_id": _payment_ref(req)}
        key = mapping.idempotency_key(req.payment_id, "serve", intent_id)
        updated = self.client.update_intent(
            intent_id, {"metadata": metadata, "expand": EXPAND}, key
        )
        intents.served(intent_id, _payment_ref(req))
        return updated

    def _confirm(self, req: PaymentRequest, intent: dict[str, Any], method: str) -> dict[str, Any]:
        intent_id = str(intent["id"])
        params: dict[str, Any] = {"payment_method": method, "expand": EXPAND}
        if req.data.get("return_url"):
            params["return_url"] = str(req.data["return_url"])
        # a retry of this confirm repeats the key; after a decline the intent's latest
        # charge is the failed one, so trying again (even the same card) is a new key
        attempt = mapping.object_id(intent.get("latest_charge")) or "first"
        key = f"saleor-intent:{intent_id}:confirm:{method[:80]}:{attempt[:80]}"
        try:
            return self.client.confirm_intent(intent_id, params, key)
        except PermanentError as e:
            if e.code != "payment_intent_unexpected_state":
                raise
            # the intent moved on since we read it (paid in another tab, by a request
            # whose answer was lost): what it is now is the outcome
            current = self.client.retrieve_intent(intent_id, expand=EXPAND)
            if current.get("status") in PAID:
                return current
            raise

    def confirm(self, req: PaymentRequest) -> Result:
        """After the storefront finished the action (3-D Secure, redirect): read the intent."""
        if not req.token:
            return Result(
                False, mapping.AUTH, req.amount, req.currency, error="No Stripe payment to confirm."
            )
        try:
            intent = self.client.retrieve_intent(req.token, expand=EXPAND)
            if intent.get("status") == "requires_confirmation":
                key = mapping.idempotency_key(req.payment_id, "confirm", req.token)
                intent = self.client.confirm_intent(req.token, {"expand": EXPAND}, key)
        except IntegrationError as e:
            return self._failure(req, mapping.AUTH, e)
        return self._from_intent(req, intent)

    # -- dashboard ---------------------------------------------------------------------
    def capture(self, req: PaymentRequest) -> Result:
        refused = self._refuse_currency(req, mapping.CAPTURE)
        if refused:
            return refused
        amount = mapping.to_minor(req.amount, req.currency)
        key = mapping.idempotency_key(req.payment_id, "capture", req.sequence, amount)
        try:
            intent = self.client.capture_intent(
                req.token, {"amount_to_capture": amount, "expand": EXPAND}, key
            )
        except IntegrationError as e:
            return self._failure(req, mapping.CAPTURE, e)
        result = self._from_intent(req, intent)
        result.amount = mapping.from_minor(
            int(intent.get("amount_received") or amount), req.currency
        )
        if intent.get("status") != "succeeded":
            result.is_success = False
            result.error = f"Stripe did not capture the payment (status {intent.get('status')})."
        result.kind = mapping.CAPTURE
        return result

    def refund(self, req: PaymentRequest) -> Result:
        refused = self._refuse_currency(req, mapping.REFUND)
        if refused:
            return refused
        amount = mapping.to_minor(req.amount, req.currency)
        key = mapping.idempotency_key(req.payment_id, "refund", req.sequence, amount)
        params = {
            "payment_intent": req.token,
            "amount": amount,
            "metadata": {"saleor_payment_id": req.graphql_payment_id or str(req.payment_id)},
        }
        try:
            refund = self.client.create_refund(params, key)
        except IntegrationError as e:
            return self._failure(req, mapping.REFUND, e)
        status = refund.get("status")
        ok = status in mapping.REFUND_MADE
        return Result(
            is_success=ok,
            kind=mapping.REFUND if ok else mapping.REFUND_FAILED,
            amount=mapping.from_minor(int(refund.get("amount") or amount), req.currency),
            currency=req.currency,
            transaction_id=str(refund["id"]),
            psp_reference=str(refund["id"]),
            error=None if ok else f"Stripe refused the refund ({refund.get('failure_reason')}).",
            raw=mapping.raw_summary(refund),
        )

    def void(self, req: PaymentRequest) -> Result:
        key = mapping.idempotency_key(req.payment_id, "void")
        try:
            intent = self.client.cancel_intent(req.token, key)
        except IntegrationError as e:
            return self._failure(req, mapping.VOID, e)
        ok = intent.get("status") == "canceled"
        return Result(
            is_success=ok,
            kind=mapping.VOID,
            amount=req.amount,
            currency=req.currency,
            transaction_id=str(intent["id"]),
            psp_reference=str(intent["id"]),
            error=None if ok else f"Stripe did not cancel the payment ({intent.get('status')}).",
            raw=mapping.raw_summary(intent),
        )

    def list_sources(self, customer_id: str) -> list[Source]:
        if not (self.settings.saved_payment_methods and customer_id):
            return []
        try:
            methods = self.client.list_payment_methods(customer_id)
        except (TransientError, PermanentError, AuthenticationError) as e:
            logger.warning("stripe: cannot list saved payment methods: %s", secrets.scrub(str(e)))
            return []
        return [
            Source(
                id=str(pm["id"]),
                card=mapping.card_from_payment_method(pm),
                metadata={str(k): str(v) for k, v in (pm.get("metadata") or {}).items()},
            )
            for pm in methods
        ]
