"""The Saleor plugin: Saleor's payment API for plugins, over :mod:`.gateway`.

Saleor calls these methods synchronously inside ``checkoutComplete`` and the order
mutations; each converts Saleor's ``PaymentData`` to a plain request, calls Stripe with a
bounded timeout and returns a ``GatewayResponse``. A failure is a response with
``is_success=False`` and a message for the shopper or the merchant, never an exception
(Saleor would turn that into "Oops! Something went wrong.").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from saleor.payment import TransactionKind
from saleor.payment.interface import (
    CustomerSource,
    GatewayResponse,
    PaymentData,
    PaymentMethodInfo,
)
from saleor.payment.models import Transaction

from ..adapter.plugin import STATUS_FIELD, IntegrationPlugin
from ..core.settings import SettingsErrors
from . import mapping
from .connector import StripeIntegration
from .gateway import RECORDED, UNKNOWN, PaymentRequest, Result, StripeGateway
from .settings import StripeSettings

NOT_CONFIGURED = "Stripe is not configured for this channel."
#: raw_response marker telling our own transactions from those recorded from webhooks
SOURCE_GATEWAY = "gateway"


def _card(info: mapping.CardInfo | None) -> PaymentMethodInfo | None:
    if info is None:
        return None
    return PaymentMethodInfo(
        last_4=info.last_4,
        exp_year=info.exp_year,
        exp_month=info.exp_month,
        brand=info.brand,
        name=info.name,
        type=info.type,
    )


def to_gateway_response(result: Result) -> GatewayResponse:
    return GatewayResponse(
        is_success=result.is_success,
        action_required=result.action_required,
        kind=result.kind,
        amount=result.amount,
        currency=result.currency,
        transaction_id=result.transaction_id,
        error=result.error,
        customer_id=result.customer_id,
        payment_method_info=_card(result.card),
        raw_response={**result.raw, "source": SOURCE_GATEWAY},
        action_required_data=result.action_required_data,
        psp_reference=result.psp_reference,
    )


#: what a gateway transaction of each operation may be recorded as
_KINDS = {
    TransactionKind.CAPTURE: {TransactionKind.CAPTURE},
    TransactionKind.REFUND: {TransactionKind.REFUND, TransactionKind.REFUND_FAILED},
}
ALREADY_REFUNDED = (
    "Stripe had already made this refund ({refund}) when the earlier attempt got no "
    "answer; it is recorded on the order now. Refund again to refund more."
)


def sequence(payment: PaymentData, kind: str) -> int:
    """Operations of ``kind`` this plugin made on the payment whose outcome is known.

    A call that got no answer (outcome ``unknown``: a timeout, a 5xx) is not counted, so
    the next call repeats its idempotency key: Stripe replays what it did, if anything,
    and never does it twice. A success or a refusal is counted: the next call is new.
    """
    kinds = _KINDS.get(kind, {kind})
    return sum(
        1
        for t in payment.transactions
        if t.kind in kinds
        and (t.gateway_response or {}).get("source") == SOURCE_GATEWAY
        and (t.is_success or (t.gateway_response or {}).get("outcome") != UNKNOWN)
    )


def recorded_refund(payment_id: int, refund_id: str) -> bool:
    """Whether Saleor already holds this Stripe refund (recorded from its webhook)."""
    return Transaction.objects.filter(
        payment_id=payment_id, kind=TransactionKind.REFUND, is_success=True, token=refund_id
    ).exists()


def already_recorded(payment: PaymentData) -> GatewayResponse | None:
    """The payment's outcome when a webhook recorded it before the storefront came back."""
    done = Transaction.objects.filter(
        payment_id=payment.payment_id,
        is_success=True,
        action_required=False,
        kind__in=[TransactionKind.AUTH, TransactionKind.CAPTURE, TransactionKind.PENDING],
    ).first()
    if done is None:
        return None
    return GatewayResponse(
        is_success=True,
        action_required=False,
        kind=done.kind,
        amount=done.amount,
        currency=done.currency,
        transaction_id=done.token,
        error=None,
        raw_response=done.gateway_response,
        transaction_already_processed=True,
        psp_reference=done.token,
    )


class StripeGatewayPlugin(IntegrationPlugin):
    integration = StripeIntegration

    _stripe_settings: StripeSettings | None

    # -- helpers -----------------------------------------------------------------------
    def _settings(self) -> StripeSettings | None:
        if not hasattr(self, "_stripe_settings"):
            items = [i for i in self.configuration if i.get("name") != STATUS_FIELD]
            try:
                parsed = StripeSettings.from_configuration(items, active=True)
            except SettingsErrors:
                parsed = None
            self._stripe_settings = parsed
        return self._stripe_settings

    def _gateway(self) -> StripeGateway | None:
        settings = self._settings()
        return StripeGateway(settings) if settings is not None else None

    def _request(self, payment: PaymentData, seq_kind: str | None = None) -> PaymentRequest:
        return PaymentRequest(
            payment_id=payment.payment_id,
            amount=payment.amount,
            currency=payment.currency,
            channel=self.channel.slug if self.channel else "",
            graphql_payment_id=payment.graphql_payment_id,
            token=payment.token or payment.psp_reference or "",
            email=payment.customer_email or "",
            customer_id=payment.customer_id or "",
            graphql_customer_id=payment.graphql_customer_id or "",
            checkout_token=payment.checkout_token or "",
            order_id=payment.order_id or "",
            store_method=payment.store_payment_method.value,
            data=dict(payment.data or {}),
            metadata={str(k): str(v) for k, v in (payment.payment_metadata or {}).items()},
            sequence=sequence(payment, seq_kind) if seq_kind else 0,
        )

    def _not_configured(self, payment: PaymentData, kind: str) -> GatewayResponse:
        return GatewayResponse(
            is_success=False,
            action_required=False,
            kind=kind,
            amount=payment.amount,
            currency=payment.currency,
            transaction_id=payment.token or "",
            error=NOT_CONFIGURED,
        )

    # -- gateway description -------------------------------------------------------------
    def token_is_required_as_payment_input(self, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        return False

    def get_supported_currencies(self, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        settings = self._settings()
        return list(settings.supported_currencies) if settings else []

    def get_payment_config(self, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        settings = self._settings()
        if settings is None:
            return []
        return [
            {"field": "api_key", "value": settings.publishable_key},
            {"field": "capture_mode", "value": settings.capture_mode.value},
            {
                "field": "saved_payment_methods",
                "value": "true" if settings.saved_payment_methods else "false",
            },
        ]

    def get_payment_gateways(
        self, currency: Any, checkout_info: Any, checkout_lines: Any, previous_value: Any
    ) -> Any:
        if not self.active or self._settings() is None:
            return previous_value
        return super().get_payment_gateways(currency, checkout_info, checkout_lines, previous_value)

    # -- payments ------------------------------------------------------------------------
    def process_payment(self, payment_information: PaymentData, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        gateway = self._gateway()
        if gateway is None:
            return self._not_configured(payment_information, TransactionKind.CAPTURE)
        done = already_recorded(payment_information)
        if done is not None:
            return done
        return to_gateway_response(gateway.process(self._request(payment_information)))

    def authorize_payment(self, payment_information: PaymentData, previous_value: Any) -> Any:
        return self.process_payment(payment_information, previous_value)

    def confirm_payment(self, payment_information: PaymentData, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        done = already_recorded(payment_information)
        if done is not None:
            return done
        gateway = self._gateway()
        if gateway is None:
            return self._not_configured(payment_information, TransactionKind.AUTH)
        return to_gateway_response(gateway.confirm(self._request(payment_information)))

    def capture_payment(self, payment_information: PaymentData, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        gateway = self._gateway()
        if gateway is None:
            return self._not_configured(payment_information, TransactionKind.CAPTURE)
        request = self._request(payment_information, TransactionKind.CAPTURE)
        return to_gateway_response(gateway.capture(request))

    def refund_payment(self, payment_information: PaymentData, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        gateway = self._gateway()
        if gateway is None:
            return self._not_configured(payment_information, TransactionKind.REFUND)
        request = self._request(payment_information, TransactionKind.REFUND)
        result = gateway.refund(request)
        if result.is_success and recorded_refund(
            payment_information.payment_id, result.transaction_id
        ):
            # a retry after a timeout: Stripe replayed the refund its webhook recorded
            result = replace(
                result,
                is_success=False,
                error=ALREADY_REFUNDED.format(refund=result.transaction_id),
                raw={**result.raw, "outcome": RECORDED},
            )
        return to_gateway_response(result)

    def void_payment(self, payment_information: PaymentData, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        gateway = self._gateway()
        if gateway is None:
            return self._not_configured(payment_information, TransactionKind.VOID)
        return to_gateway_response(gateway.void(self._request(payment_information)))

    def list_payment_sources(self, customer_id: str, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        gateway = self._gateway()
        if gateway is None:
            return previous_value
        sources = [
            CustomerSource(
                id=s.id, gateway=self.PLUGIN_ID, credit_card_info=_card(s.card), metadata=s.metadata
            )
            for s in gateway.list_sources(customer_id)
        ]
        return [*(previous_value or []), *sources]
