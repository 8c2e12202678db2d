"""The Google Tag Manager and GA4 integration: purchases and refunds sent once, server-side.

Every order job (created, paid, refunded) runs the same handler: read the order fresh,
plan what is owed against the ledger (:mod:`.sync`), send it in as few requests as the
protocol allows (≤ 25 events, ≤ 130 kB, one client id per request), and record each event
as its request is answered. The sync log line names what was sent or skipped, and why.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property

from django.utils import timezone

from ..core import snapshots as s
from ..core.errors import ConfigurationError, IntegrationError, TransientError
from ..core.events import EventType
from ..core.hookspecs import hookimpl
from ..core.integration import Integration, JobContext, Outcome, RateLimit
from . import mapping, sync
from .client import Ga4Client, ValidationMessage, check_host
from .models import SentEvent, SentStatus
from .settings import GoogleTagManagerSettings

logger = logging.getLogger(__name__)

INTEGRATION_ID = "saleor_plugins.google_tag_manager"


def ledger(channel: str, order_id: str) -> dict[str, sync.Done]:
    rows = SentEvent.objects.filter(channel=channel, order_id=order_id)
    return {k: sync.Done(st, v) for k, st, v in rows.values_list("key", "status", "value")}


def record(channel: str, order: s.Order, owed: list[sync.Owed], status: str) -> None:
    SentEvent.objects.bulk_create(
        [
            SentEvent(
                channel=channel,
                order_id=order.id,
                key=o.key[:128],
                name=o.name,
                status=status,
                value=o.value,
                currency=order.currency[:3],
                reason=o.reason[:300],
            )
            for o in owed
        ],
        ignore_conflicts=True,  # the unique key: recorded once, whoever records it
    )


def describe(owed: sync.Owed, currency: str) -> str:
    what = f"{owed.name} {owed.key.partition(':')[2] or ''}".strip()
    return f"{what} {owed.value:.2f} {currency}"


def sample_order(channel: str, now: datetime) -> s.Order:
    """A two-line order to validate the configuration with (never sent to /mp/collect)."""
    usd = "USD"

    def m(amount: str) -> s.Money:
        return s.Money(Decimal(amount), usd)

    line = s.OrderLine(
        id="sample-line",
        product_id="sample-product",
        variant_id="sample-variant",
        sku="SAMPLE-SKU",
        product_name="Sample product",
        variant_name="Sample variant",
        quantity=2,
        unit_price_net=m("10.00"),
        unit_price_gross=m("12.00"),
        total_net=m("20.00"),
        total_gross=m("24.00"),
        category_path=("Sample category",),
    )
    return s.Order(
        id="00000000-0000-0000-0000-000000000000",
        number="sample",
        channel=channel,
        status="unfulfilled",
        charge_status="full",
        currency=usd,
        email="",
        lines=(line,),
        subtotal_net=m("20.00"),
        subtotal_gross=m("24.00"),
        shipping_net=m("0"),
        shipping_gross=m("0"),
        total_net=m("20.00"),
        total_gross=m("24.00"),
        total_charged=m("24.00"),
        total_refunded=m("0"),
        discount=m("0"),
        created_at=now,
        updated_at=now,
    )


class GoogleTagManagerIntegration(Integration[GoogleTagManagerSettings]):
    id = INTEGRATION_ID
    name = "Google Tag Manager and GA4"
    description = (
        "Serves the channel's Tag Manager container settings to the storefront and sends "
        "each purchase and refund to GA4 once, server-side (Measurement Protocol)."
    )
    settings_class = GoogleTagManagerSettings
    subscribes = frozenset(
        {EventType.ORDER_CREATED, EventType.ORDER_PAID, EventType.ORDER_REFUNDED}
    )
    # GA4 publishes no request quota for the protocol: be a polite client per stream
    rate_limit = RateLimit(per_second=50, concurrency=4)

    settings: GoogleTagManagerSettings

    def account_key(self) -> str:
        return f"ga4:{self.settings.measurement_id}"

    @cached_property
    def client(self) -> Ga4Client:
        return Ga4Client(self.settings)

    # -- handlers ---------------------------------------------------------------------------
    def on_order_created(self, job: JobContext) -> Outcome:
        return self.sync_order(job.object_id, attempt=job.attempt)

    on_order_paid = on_order_refunded = on_order_created

    def sync_order(self, order_id: str, *, attempt: int = 1) -> Outcome:
        order = self.host.read("order", order_id, self.channel)
        if order is None:
            return Outcome(detail="order gone")
        if order.channel != self.channel:
            return Outcome(detail=f"order belongs to channel {order.channel}")
        cfg = self.settings
        plan = sync.plan_order(order, cfg, ledger(self.channel, order.id), timezone.now(), attempt)
        notes = list(plan.notes)
        if plan.skip:
            record(self.channel, order, plan.skip, SentStatus.SKIPPED)
            notes += [f"{describe(o, order.currency)} skipped: {o.reason}" for o in plan.skip]
        status: int | None = None
        if plan.send:
            consent = mapping.consent(order, cfg)
            user = None
            if cfg.send_user_data and consent["ad_user_data"] == "GRANTED":
                user = mapping.user_data(order) or None
            events = [o.event for o in plan.send if o.event is not None]
            for body, indices in mapping.requests_for(plan.client_id, events, consent, user):
                status = self.client.collect(body)
                # recorded as each request is answered: a later failure resends only the rest
                record(self.channel, order, [plan.send[i] for i in indices], SentStatus.SENT)
            who = "a pseudonymous id" if plan.pseudonymous else f"client {plan.client_id}"
            session = f", session {plan.session_id}" if plan.session_id else ""
            sent = ", ".join(describe(o, order.currency) for o in plan.send)
            notes.insert(0, f"sent {sent} for {who}{session}")
        if plan.waiting:
            raise TransientError(
                "; ".join([*notes, plan.waiting]) + ": retrying", retry_after=30, provider="ga4"
            )
        detail = f"transaction {mapping.transaction_id(order)}: " + (
            "; ".join(notes) or "nothing new"
        )
        return Outcome(
            status_code=status,
            detail=detail,
            provider_ids={"transaction_id": mapping.transaction_id(order)},
        )

    # -- validation -------------------------------------------------------------------------
    def sample_body(self, order: s.Order) -> dict[str, object]:
        client, session = mapping.session_of(order)
        client = client or mapping.pseudonymous_client_id(order)
        event = mapping.purchase(order, self.settings, session)
        return mapping.body(client, [event], mapping.consent(order, self.settings))

    def validate_order(self, order: s.Order) -> list[ValidationMessage]:
        """Google's validation messages for the purchase of ``order`` (debug endpoint)."""
        return self.client.validate(self.sample_body(order))

    def check_settings(self, timeout: float) -> dict[str, str]:
        """One bounded call on save: Google's validation of a sample purchase, and the
        server container's host resolving to a public address."""
        client = Ga4Client(self.settings, timeout=(timeout, timeout))
        errors: dict[str, str] = {}
        try:
            if self.settings.server_container_url:
                check_host(self.settings.server_container_url)
            body = self.sample_body(sample_order(self.channel, datetime.now(UTC)))
            messages = client.validate(body)
        except ConfigurationError as e:
            return {e.field or "server_container_url": e.message}
        except IntegrationError as e:
            logger.warning("ga4: cannot validate the configuration now: %s", e)
            return errors
        if messages:
            errors["measurement_id"] = "GA4 refused a sample purchase: " + "; ".join(
                str(m) for m in messages[:3]
            )
        return errors


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [GoogleTagManagerIntegration]
