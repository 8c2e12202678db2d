"""The Meta integration: catalog items per variant, and Purchase through the Conversions API.

- a product job reads the product fresh and sends one items_batch with an UPDATE (upsert)
  per listable variant and a DELETE for every item Meta holds for the product that is no
  longer listable; the batch handles are polled until Meta finished them and the items
  it refused are named in the sync log (the job dead-letters with their count);
- a checkout job sends InitiateCheckout and AddPaymentInfo (when the merchant enabled
  them) once per checkout, with the channel's other due checkout jobs in one request;
- an order job sends one Purchase per order, once: the kernel ledger records the order
  when Meta received the event, and a retry after a lost answer carries the same
  ``event_id``, which Meta deduplicates.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar

from django.conf import settings as django_settings
from django.utils import timezone

from ..core import companions, ledger
from ..core.errors import AuthenticationError, IntegrationError, PermanentError
from ..core.events import EventType
from ..core.hookspecs import hookimpl
from ..core.integration import Integration, JobContext, Outcome, RateLimit
from . import catalog, fullsync
from .client import MAX_EVENTS, MetaClient
from .mapping import checkout_event, event_id, purchase_event
from .settings import CHECKOUT_EVENTS, SUPPORTED_EVENTS, MetaSettings, PurchaseOn

INTEGRATION_ID = "saleor_plugins.meta"
PAID = frozenset({"full", "overcharged"})
PRODUCT_EVENTS = (EventType.PRODUCT_UPSERTED, EventType.PRODUCT_DELETED)
BACKFILL_MAX_WAIT = 900.0


def poll_interval() -> float:
    return float(getattr(django_settings, "SALEOR_PLUGINS_META_POLL_SECONDS", 2.0))


#: ledger object type of each checkout event (object id: the checkout token)
LEDGER_KINDS = {"InitiateCheckout": "initiate_checkout", "AddPaymentInfo": "add_payment_info"}


def _said(found: tuple[list[dict[str, Any]], list[str]] | None) -> str:
    if found is None:
        return ""
    events, notes = found
    sent = [f"{e['event_name']} {e['event_id']} sent" for e in events]
    return "; ".join([*sent, *notes]) or "nothing to send"


class MetaIntegration(Integration[MetaSettings]):
    id = INTEGRATION_ID
    name = "Meta (Facebook and Instagram)"
    description = (
        "Keeps a Meta catalog in step with the channel's variants (Catalog Batch API) and "
        "sends each order's Purchase once through the Conversions API."
    )
    settings_class = MetaSettings
    subscribes = frozenset(
        {
            EventType.PRODUCT_UPSERTED,
            EventType.PRODUCT_DELETED,
            EventType.ORDER_CREATED,
            EventType.ORDER_PAID,
            EventType.CHECKOUT_UPSERTED,
        }
    )
    rate_limit = RateLimit(per_second=10, concurrency=4)
    #: a channel with InitiateCheckout and AddPaymentInfo off writes no checkout job
    optional_events = frozenset({EventType.CHECKOUT_UPSERTED})
    #: other due product jobs of the channel sent in the same items_batch as the one delivered
    COMPANIONS: ClassVar[int] = 499

    settings: MetaSettings

    @classmethod
    def wants(cls, event: EventType, settings: MetaSettings) -> bool:
        return any(settings.sends(name) for name in CHECKOUT_EVENTS)

    def account_key(self) -> str:
        return f"meta:{self.settings.catalog_id}:{self.settings.pixel_id}"

    @cached_property
    def client(self) -> MetaClient:
        return MetaClient(self.settings.secret("access_token"), account=self.account_key())

    # -- catalog ----------------------------------------------------------------------------
    def on_product_upserted(self, job: JobContext) -> Outcome:
        return self._sync_product(job)

    def on_product_deleted(self, job: JobContext) -> Outcome:
        return self._sync_product(job)

    def _plan(self, job: JobContext) -> catalog.Plan:
        product = None
        if job.event is not EventType.PRODUCT_DELETED:
            product = self.host.read("product", job.object_id, self.channel)
        return catalog.plan(self.id, self.channel, job.object_id, product, self.settings)

    def _sync_product(self, job: JobContext) -> Outcome:
        """Send the job's product and the channel's other due product jobs in one batch."""
        if not self.settings.catalog_id:
            return Outcome(detail="no catalog configured")
        started = time.monotonic()
        claimed = companions.claim(job, PRODUCT_EVENTS, self.COMPANIONS)
        jobs = [job, *claimed]
        plans: dict[int, catalog.Plan] = {}
        errors: dict[int, BaseException] = {}
        for each in jobs:
            try:
                plans[each.id] = self._plan(each)
            except Exception as e:  # noqa: BLE001 - settled per job below
                errors[each.id] = e
        try:
            result = catalog.send(
                self.client,
                self.settings.catalog_id,
                list(plans.values()),
                interval=poll_interval(),
                held_by=(self.id, self.channel),
            )
        except Exception as e:
            for other in claimed:
                companions.settle(other, errors.get(other.id, e), started)
            raise
        catalog.record(self.id, self.channel, list(plans.values()), result.errors)
        for each_id, each_plan in plans.items():
            refused = {k: v for k, v in result.errors.items() if k in each_plan.keys()}
            if refused:
                reasons = "; ".join(f"item {k}: {v}" for k, v in sorted(refused.items()))
                errors[each_id] = PermanentError(
                    f"Meta refused {len(refused)} catalog item(s) ({each_plan.describe()}): "
                    f"{reasons}",
                    provider="meta",
                    status=400,
                )
        for other in claimed:
            detail = plans[other.id].describe() if other.id in plans else ""
            companions.settle(other, errors.get(other.id), started, detail)
        if job.id in errors:
            raise errors[job.id]
        detail = plans[job.id].describe()
        if claimed:
            detail += f"; sent with {len(claimed)} other product job(s) in one batch"
        return Outcome(status_code=200, detail=detail)

    # -- Conversions API ------------------------------------------------------------------------
    def on_order_created(self, job: JobContext) -> Outcome:
        if self.settings.purchase_on is not PurchaseOn.CREATED:
            return Outcome(detail="Purchase is sent when the order is paid")
        return self._purchase(job)

    def on_order_paid(self, job: JobContext) -> Outcome:
        if self.settings.purchase_on is not PurchaseOn.PAID:
            return Outcome(detail="Purchase is sent when the order is created")
        return self._purchase(job)

    def _purchase(self, job: JobContext) -> Outcome:
        if not self.settings.sends_purchase:
            return Outcome(detail="Purchase events are off")
        if ledger.holds(self.id, self.channel, "purchase", job.object_id):
            return Outcome(detail="skipped: Purchase already sent for this order")
        order = self.host.read("order", job.object_id, self.channel)
        if order is None:
            return Outcome(detail="skipped: the order is gone")
        if self.settings.purchase_on is PurchaseOn.PAID and order.charge_status not in PAID:
            return Outcome(detail=f"skipped: order not fully paid ({order.charge_status})")
        event, why = purchase_event(order, self.settings, timezone.now())
        if event is None:
            return Outcome(detail=f"skipped: {why}")
        received = self.client.send_events(
            self.settings.pixel_id, [event], self.settings.test_event_code
        )
        if received < 1:
            raise PermanentError("Meta received no event", provider="meta")
        ledger.hold(self.id, self.channel, "purchase", {job.object_id: event["event_id"]})
        test = " (test event code)" if self.settings.test_event_code else ""
        return Outcome(
            status_code=200,
            detail=f"Purchase {event_id(order)} sent{test}",
            provider_ids={"event_id": event["event_id"]},
        )

    def on_checkout_upserted(self, job: JobContext) -> Outcome:
        """InitiateCheckout / AddPaymentInfo for this checkout and the channel's other due
        checkout jobs, in one request (≤ 1,000 events), each event once per checkout."""
        names = [n for n in SUPPORTED_EVENTS if n in CHECKOUT_EVENTS and self.settings.sends(n)]
        if not names:
            return Outcome(detail="checkout events are off")
        started = time.monotonic()
        claimed = companions.claim(job, (EventType.CHECKOUT_UPSERTED,), MAX_EVENTS - 1)
        now = timezone.now()
        found: dict[int, tuple[list[dict[str, Any]], list[str]]] = {}
        errors: dict[int, BaseException] = {}
        for each in [job, *claimed]:
            try:
                found[each.id] = self._checkout_events(each.object_id, names, now)
            except Exception as e:  # noqa: BLE001 - settled per job below
                errors[each.id] = e
        events = [e for evs, _ in found.values() for e in evs]
        try:
            if events:
                received = self.client.send_events(
                    self.settings.pixel_id, events, self.settings.test_event_code
                )
                if received < len(events):
                    raise PermanentError(
                        f"Meta received {received} of {len(events)} events", provider="meta"
                    )
        except Exception as e:
            for other in claimed:
                companions.settle(other, errors.get(other.id, e), started)
            raise
        for each in [job, *claimed]:
            for sent in found.get(each.id, ([], []))[0]:
                kind = LEDGER_KINDS[sent["event_name"]]
                ledger.hold(self.id, self.channel, kind, {each.object_id: sent["event_id"]})
        for other in claimed:
            companions.settle(other, errors.get(other.id), started, _said(found.get(other.id)))
        if job.id in errors:
            raise errors[job.id]
        detail = _said(found[job.id])
        if claimed:
            detail += f"; sent with {len(claimed)} other checkout job(s) in one request"
        return Outcome(status_code=200 if found[job.id][0] else None, detail=detail)

    def _checkout_events(
        self, token: str, names: list[str], now: datetime
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """(the events to send for the checkout, a note for each one not sent)."""
        pending = [
            n for n in names if not ledger.holds(self.id, self.channel, LEDGER_KINDS[n], token)
        ]
        notes = [f"{n} already sent" for n in names if n not in pending]
        if not pending:
            return [], notes
        checkout = self.host.read("checkout", token, self.channel)
        if checkout is None:
            return [], [*notes, "skipped: the checkout is gone"]
        events = []
        for name in pending:
            body, why = checkout_event(name, checkout, self.settings, now)
            if body is None:
                notes.append(f"{name} not sent: {why}")
            else:
                events.append(body)
        return events, notes

    # -- full sync ----------------------------------------------------------------------------
    def backfill(self, object_types: Sequence[str], options: Mapping[str, Any]) -> str | None:
        """The catalog's full sync (products); orders are left to the live path, as Meta
        refuses events older than 7 days."""
        if object_types and "product" not in object_types:
            return "nothing to backfill: only products (the catalog) are sent in bulk"
        if not self.settings.catalog_id:
            return "no catalog configured"
        extra = options.get("extra") or {}
        force = str(extra.get("force", "")).lower() in ("1", "true", "yes")
        # a command, not a worker slot: it sits out Meta's pauses of up to 15 minutes
        self.client.max_wait = BACKFILL_MAX_WAIT
        report = fullsync.full_sync(
            self.id,
            self.channel,
            self.settings,
            self.host.iter_objects("product", self.channel),
            self.client,
            interval=poll_interval(),
            force=force,
        )
        return report.line()

    # -- dashboard ----------------------------------------------------------------------------
    def check_settings(self, timeout: float) -> dict[str, str]:
        client = MetaClient(
            self.settings.secret("access_token"), account=self.account_key(), max_wait=0.0,
            timeout=(timeout, timeout),
        )  # fmt: skip
        try:
            client.check(self.settings.catalog_id, "")
        except AuthenticationError as e:
            return {"access_token": f"Meta refused the token: {e.message}"[:300]}
        except PermanentError as e:
            return {"catalog_id": f"Meta cannot read this catalog: {e.message}"[:300]}
        except IntegrationError:
            return {}  # Meta unreachable: not the merchant's fault, saved as is
        try:
            client.check("", self.settings.pixel_id)
        except AuthenticationError as e:
            return {"access_token": f"Meta refused the token: {e.message}"[:300]}
        except PermanentError as e:
            return {"pixel_id": f"Meta cannot read this pixel: {e.message}"[:300]}
        except IntegrationError:
            return {}
        return {}


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [MetaIntegration]
