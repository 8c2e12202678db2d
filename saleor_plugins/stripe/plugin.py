"""Everything of the Stripe integration that touches Saleor (the only module importing it).

- :class:`StripeGatewayPlugin`: Saleor's payment API for plugins, over :mod:`.gateway`.
  Saleor calls these methods synchronously inside ``checkoutComplete`` and the order
  mutations; each converts Saleor's ``PaymentData`` to a plain request, calls Stripe with
  a bounded timeout and returns a ``GatewayResponse``. A failure is a response with
  ``is_success=False`` and a message for the shopper or the merchant, never an exception
  (Saleor would turn that into "Oops! Something went wrong.").
- :class:`SaleorPaymentHost`: Stripe events applied to Saleor's payments. The connector
  calls :meth:`SaleorPaymentHost.apply` from a worker for each stored webhook; it is
  registered when this module is imported. Every branch is idempotent (a transaction is
  recorded only if Saleor has none for the same Stripe object and kind) and tolerant of
  order (a late ``processing`` after ``succeeded`` changes nothing). A succeeded or
  authorised intent whose checkout was never completed (the shopper closed the tab after
  3-D Secure, the redirect never came back) completes the checkout here, once: the
  checkout row is locked first, as ``checkoutComplete`` does, and the order is created
  from the transaction just recorded, without calling Stripe again (``confirm_payment``
  sees the recorded transaction).
- The channel configuration read and written by the webhook registration command.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import replace
from typing import Any

import graphene
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from saleor.checkout.complete_checkout import complete_checkout
from saleor.checkout.fetch import fetch_checkout_info, fetch_checkout_lines
from saleor.checkout.models import Checkout
from saleor.order import events as order_events
from saleor.payment import TransactionKind
from saleor.payment.interface import (
    CustomerSource,
    GatewayResponse,
    PaymentData,
    PaymentMethodInfo,
)
from saleor.payment.models import Payment, Transaction
from saleor.payment.utils import (
    create_transaction,
    gateway_postprocess,
    try_void_or_refund_inactive_payment,
    update_payment_charge_status,
)
from saleor.plugins.manager import get_plugins_manager
from saleor.plugins.models import PluginConfiguration

from ..adapter.plugin import STATUS_FIELD, IntegrationPlugin
from ..core.errors import PermanentError, TransientError
from ..core.settings import SettingsErrors
from . import mapping
from .connector import PLUGIN_ID, StripeIntegration, register_payment_host
from .gateway import RECORDED, UNKNOWN, PaymentRequest, Result, StripeGateway
from .settings import StripeSettings

NOT_CONFIGURED = "Stripe is not configured for this channel."
logger = logging.getLogger("saleor_plugins.stripe")

#: raw_response marker telling our own transactions from those recorded from webhooks
SOURCE_GATEWAY = "gateway"
SOURCE_WEBHOOK = "webhook"


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


# -- Stripe events applied to Saleor's payments ---------------------------------------------
def _payment_pk(value: str) -> int | None:
    """The pk in ``saleor_payment_id`` metadata (a GraphQL id, or a pk)."""
    if value.isdigit():
        return int(value)
    try:
        kind, pk = graphene.Node.from_global_id(value)
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return int(pk) if kind == "Payment" and str(pk).isdigit() else None


def _payment(event: mapping.PaymentEvent) -> Payment | None:
    """The Saleor payment an event is about: by the intent id Saleor recorded, else by
    the metadata the intent carries (the answer to the call that charged may never
    have reached Saleor). A payment the shopper gave up for a new payment of the same
    checkout and amount hands the charge to that one: the checkout is paid once."""
    ours = Payment.objects.filter(gateway=PLUGIN_ID)
    found = None
    if event.intent_id:
        found = (
            ours.filter(Q(psp_reference=event.intent_id) | Q(transactions__token=event.intent_id))
            .order_by("-pk")
            .first()
        )
    pk = _payment_pk(event.saleor_payment_id) if event.saleor_payment_id else None
    if found is None and pk is not None:
        found = ours.filter(pk=pk).first()
    if found is None and event.checkout_token:
        found = ours.filter(checkout_id=event.checkout_token).order_by("-pk").first()
    if found is not None and not found.is_active and found.checkout_id:
        successor = (
            ours.filter(
                checkout_id=found.checkout_id,
                is_active=True,
                total=found.total,
                currency=found.currency,
            )
            .order_by("-pk")
            .first()
        )
        found = successor or found
    return found


def _channel_of(payment: Payment) -> str | None:
    if payment.order_id:
        return payment.order.channel.slug
    if payment.checkout_id:
        return payment.checkout.channel.slug
    return None


def _recorded(payment: Payment, token: str, kinds: list[str]) -> Transaction | None:
    return payment.transactions.filter(
        token=token, kind__in=kinds, is_success=True, action_required=False
    ).first()


def _record(
    payment: Payment,
    kind: str,
    token: str,
    event: mapping.PaymentEvent,
    *,
    postprocess: bool = True,
) -> Transaction:
    response = GatewayResponse(
        is_success=True,
        action_required=False,
        kind=kind,
        amount=event.amount,
        currency=event.currency or payment.currency,
        transaction_id=token,
        error=None,
        raw_response={"source": SOURCE_WEBHOOK, "event": event.event_id},
        psp_reference=event.intent_id,
    )
    txn = create_transaction(
        payment,
        kind=kind,
        payment_information=None,
        action_required=False,
        gateway_response=response,
        is_success=True,
    )
    if postprocess:
        gateway_postprocess(txn, payment)
    return txn


def _note(payment: Payment, message: str) -> None:
    if payment.order_id:
        order_events.order_note_added_event(
            order=payment.order, user=None, app=None, message=message
        )


class SaleorPaymentHost:
    def channel_of(self, event: mapping.PaymentEvent) -> str | None:
        found = _payment(event)
        return _channel_of(found) if found is not None else None

    def apply(self, channel: str, event: mapping.PaymentEvent) -> str:
        found = _payment(event)
        if found is None:
            ours = event.saleor_payment_id or event.checkout_token
            if ours and event.kind in (mapping.SUCCEEDED, mapping.CAPTURABLE):
                # money taken for a payment Saleor no longer has: never kept silently
                raise PermanentError(
                    f"Stripe took {event.amount} {event.currency} ({event.intent_id}) for "
                    f"Saleor payment {event.saleor_payment_id or '?'} of checkout "
                    f"{event.checkout_token or '?'}, which Saleor does not have: refund "
                    "or cancel it in the Stripe dashboard",
                    provider="stripe",
                )
            return f"no Saleor payment for {event.intent_id or 'this event'}"
        if _channel_of(found) not in (None, channel):
            return "payment belongs to another channel"
        with transaction.atomic():
            # lock order as in checkoutComplete: the checkout, then the payment
            checkout = None
            if found.checkout_id:
                checkout = (
                    Checkout.objects.select_for_update(of=("self",))
                    .filter(pk=found.checkout_id)
                    .first()
                )
            payment = Payment.objects.select_for_update(of=("self",)).get(pk=found.pk)
            handler = getattr(self, f"_on_{event.kind}")
            detail: str = handler(payment, checkout, event)
        return detail

    # -- intents -----------------------------------------------------------------------
    def _paid(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent, kind: str
    ) -> str:
        txn = _recorded(payment, event.intent_id, [kind])
        if not payment.is_active:
            txn = txn or _record(payment, kind, event.intent_id, event, postprocess=False)
            try_void_or_refund_inactive_payment(
                payment, txn, get_plugins_manager(allow_replica=False)
            )
            undone = payment.transactions.filter(
                kind__in=[TransactionKind.REFUND, TransactionKind.VOID], is_success=True
            )
            if not undone.exists():
                # Saleor only logs a failed refund: the job retries, then dies visibly
                raise TransientError(
                    f"Stripe took {event.amount} {event.currency} ({event.intent_id}) for "
                    f"payment {payment.pk}, which is no longer active, and refunding it "
                    "failed",
                    provider="stripe",
                )
            return "payment no longer active: voided or refunded"
        if payment.order_id:
            if txn is None:
                _record(payment, kind, event.intent_id, event)
                return f"{kind} recorded on order"
            return f"{kind} already recorded"
        if txn is None:
            # charge status now, so no paid payment looks unpaid; to_confirm stays, so
            # completing the checkout below confirms from this record, not from Stripe
            txn = _record(payment, kind, event.intent_id, event, postprocess=False)
            update_payment_charge_status(payment, txn)
            payment.refresh_from_db()
            if checkout is not None:
                checkout.refresh_from_db()
        if checkout is None:
            return f"{kind} recorded; no checkout to complete"
        return self._complete(checkout, payment)

    def _complete(self, checkout: Checkout, payment: Payment) -> str:
        manager = get_plugins_manager(allow_replica=False)
        lines, unavailable = fetch_checkout_lines(checkout)
        if unavailable:
            raise PermanentError(
                "paid checkout has unavailable lines: the merchant must "
                f"resolve payment {payment.pk} by hand",
                provider="stripe",
            )
        info = fetch_checkout_info(checkout, lines, manager)
        try:
            order, _, _ = complete_checkout(
                manager=manager,
                checkout_info=info,
                lines=lines,
                payment_data={},
                store_source=False,
                user=checkout.user or None,
                app=None,
            )
        except ValidationError as e:
            raise PermanentError(
                f"paid checkout could not be completed: {e}", provider="stripe"
            ) from e
        return f"checkout completed from webhook: order {getattr(order, 'number', '?')}"

    def _on_succeeded(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent
    ) -> str:
        return self._paid(payment, checkout, event, TransactionKind.CAPTURE)

    def _on_capturable(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent
    ) -> str:
        if _recorded(payment, event.intent_id, [TransactionKind.CAPTURE]):
            return "already captured"
        return self._paid(payment, checkout, event, TransactionKind.AUTH)

    def _on_processing(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent
    ) -> str:
        done = [TransactionKind.PENDING, TransactionKind.AUTH, TransactionKind.CAPTURE]
        if _recorded(payment, event.intent_id, done):
            return "already recorded"
        return self._paid(payment, checkout, event, TransactionKind.PENDING)

    def _on_failed(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent
    ) -> str:
        if payment.order_id:
            _note(payment, f"Stripe payment {event.intent_id} failed: {event.reason}")
        return f"payment failed: {event.reason or event.status}"

    def _on_canceled(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent
    ) -> str:
        if _recorded(payment, event.intent_id, [TransactionKind.VOID, TransactionKind.CANCEL]):
            return "already voided"
        _record(payment, TransactionKind.CANCEL, event.intent_id, event)
        if payment.is_active and not payment.order_id:
            payment.is_active = False
            payment.save(update_fields=["is_active", "modified_at"])
        return "payment canceled"

    # -- refunds and disputes -------------------------------------------------------------
    def _on_refunded(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent
    ) -> str:
        """Record each Stripe refund Saleor lacks, by its id (the gateway records the
        refunds it made under the same id), never beyond Stripe's refunded total."""
        recorded = list(payment.transactions.filter(kind=TransactionKind.REFUND, is_success=True))
        known_ids = {t.token for t in recorded}
        missing = event.amount - sum(
            (t.amount for t in recorded), start=mapping.from_minor(0, payment.currency)
        )
        added: list[str] = []
        for refund in event.refunds:
            if missing <= 0:
                break
            if refund.id in known_ids or refund.status not in mapping.REFUND_MADE:
                continue
            amount = min(refund.amount, missing)
            _record(
                payment,
                TransactionKind.REFUND,
                refund.id,
                dataclasses.replace(event, amount=amount),
            )
            missing -= amount
            added.append(f"{refund.id} ({amount} {event.currency})")
        if not added:
            return "refunds already recorded"
        _note(payment, f"Stripe refund recorded from Stripe's notification: {', '.join(added)}.")
        return f"refunds recorded: {', '.join(added)}"

    def _on_refund_updated(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent
    ) -> str:
        if event.status in ("failed", "canceled"):
            _note(
                payment,
                f"Stripe refund {event.object_id} of {event.amount} "
                f"{event.currency} {event.status}: {event.reason}",
            )
            return f"refund {event.status}"
        return f"refund {event.status}"

    def _on_dispute(
        self, payment: Payment, checkout: Checkout | None, event: mapping.PaymentEvent
    ) -> str:
        if not payment.order_id:
            raise TransientError("dispute for a payment without an order yet", provider="stripe")
        _note(
            payment,
            f"Stripe dispute {event.object_id}: the customer disputes "
            f"{event.amount} {event.currency} ({event.reason}). Respond in the "
            "Stripe dashboard before the deadline.",
        )
        return "dispute noted on the order"


# -- configuration (webhook registration) ----------------------------------------------------
def load_configuration(channel: str) -> list[dict[str, Any]]:
    config = PluginConfiguration.objects.filter(identifier=PLUGIN_ID, channel__slug=channel).first()
    if config is None:
        raise PermanentError(f"Stripe is not configured in channel {channel}")
    return list(config.configuration)


def active_configurations() -> dict[str, list[dict[str, Any]]]:
    """The configuration of every channel where the plugin is active."""
    rows = PluginConfiguration.objects.filter(
        identifier=PLUGIN_ID, active=True, channel__isnull=False
    ).select_related("channel")
    return {row.channel.slug: list(row.configuration) for row in rows}


def save_webhook_secret(channel: str, secret: str) -> None:
    with transaction.atomic():
        config = PluginConfiguration.objects.select_for_update().get(
            identifier=PLUGIN_ID, channel__slug=channel
        )
        items = [i for i in config.configuration if i.get("name") != "webhook_secret"]
        items.append({"name": "webhook_secret", "value": secret})
        config.configuration = items
        config.save(update_fields=["configuration"])


register_payment_host(SaleorPaymentHost())
