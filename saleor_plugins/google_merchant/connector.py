"""The Google Merchant Center integration: live product sync through the Merchant API.

A product job reads the product fresh and upserts one offer per variant (deleting the
offers of variants left out, or of every variant when the product left the channel). Due
product jobs of the same channel are claimed alongside and sent in the same HTTP batch.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import ClassVar

from django.utils import timezone

from ..core import companions
from ..core.errors import PermanentError
from ..core.events import EventType
from ..core.hookspecs import hookimpl
from ..core.integration import Integration, JobContext, Outcome, RateLimit
from . import ledger
from .client import MerchantClient
from .settings import GoogleMerchantSettings
from .sync import INTEGRATION_ID, Plan, plan_deletion, plan_product

PRODUCT_EVENTS = (EventType.PRODUCT_UPSERTED, EventType.PRODUCT_DELETED)


class GoogleMerchantIntegration(Integration[GoogleMerchantSettings]):
    id = INTEGRATION_ID
    name = "Google Merchant Center"
    description = (
        "Keeps Merchant Center offers in step with the channel's products (Merchant API) and "
        "serves product feeds (XML and TSV)."
    )
    settings_class = GoogleMerchantSettings
    subscribes = frozenset({EventType.PRODUCT_UPSERTED, EventType.PRODUCT_DELETED})
    # Merchant API: per-account quotas; a batch counts as one slot here.
    rate_limit = RateLimit(per_second=5, concurrency=4)
    #: other due product jobs of the channel sent in the same batch as the one delivered
    COMPANIONS: ClassVar[int] = 99

    settings: GoogleMerchantSettings

    def account_key(self) -> str:
        return f"google_merchant:{self.settings.merchant_id}"

    @cached_property
    def client(self) -> MerchantClient:
        return MerchantClient(self.settings)

    # -- handlers ---------------------------------------------------------------------------
    def on_product_upserted(self, job: JobContext) -> Outcome:
        return self._deliver_with_companions(job)

    def on_product_deleted(self, job: JobContext) -> Outcome:
        return self._deliver_with_companions(job)

    def plan_for(self, job: JobContext) -> tuple[Plan, str]:
        """What one product job would send, and why when it only deletes (sync log).

        Deletions are then narrowed to the offers Google holds (:func:`ledger.only_held`).
        """
        variant_ids = job.payload.get("variant_ids") or []
        if job.event is EventType.PRODUCT_DELETED:
            return plan_deletion(job.object_id, variant_ids, self.settings), "product deleted"
        product = self.host.read("product", job.object_id, self.channel)
        if product is None:
            # gone: the offers the ledger knows for it are deleted (see only_held)
            return plan_deletion(job.object_id, variant_ids, self.settings), "product gone"
        return plan_product(product, self.settings, self.channel, timezone.now()), ""

    @staticmethod
    def _detail(plan: Plan, why: str) -> str:
        """The sync log's line: what was sent, once deletions are narrowed to what is held."""
        text = f"{len(plan.upserts)} offer(s) upserted, {len(plan.deletes)} removed"
        left_out = ", ".join(f"{n} without {f}" for f, n in sorted(plan.skipped.items()))
        text += f" ({left_out})" if left_out else ""
        return f"{why}: {text}" if why else text

    def _deliver_with_companions(self, job: JobContext) -> Outcome:
        started = time.monotonic()
        others = companions.claim(job, PRODUCT_EVENTS, self.COMPANIONS)
        jobs = [job, *others]
        plans: dict[int, tuple[Plan, str]] = {}
        errors: dict[int, BaseException] = {}
        whole = Plan()
        for each in jobs:
            try:
                plans[each.id] = self.plan_for(each)
            except Exception as e:  # noqa: BLE001 - settled per job below
                errors[each.id] = e
                continue
        held = ledger.known(self.channel, {j.object_id for j in jobs if j.id in plans})
        for each in jobs:
            if each.id in plans:
                plan = plans[each.id][0]
                ledger.only_held(
                    plan, each.object_id, held.get(each.object_id, set()), self.settings
                )
                whole.extend(plan)
        try:
            outcome = self.client.write(whole.upserts, whole.deletes) if len(whole) else None
        except Exception as e:
            for companion in others:
                companions.settle(companion, errors.get(companion.id, e), started)
            raise
        if outcome is not None:
            done = set(outcome.done)
            upserted = {b["offerId"] for b in whole.upserts}
            sent = {k: whole.owner[k] for k in done & upserted}
            ledger.record(self.channel, sent, done - upserted)
        for each in jobs:
            if each.id in errors:
                continue
            plan = plans[each.id][0]
            keys = {b["offerId"] for b in plan.upserts} | {k for k, _ in plan.deletes}
            refused = {k: v for k, v in (outcome.refused if outcome else {}).items() if k in keys}
            if refused:
                reasons = "; ".join(f"offer {k}: {v}" for k, v in sorted(refused.items()))
                errors[each.id] = PermanentError(
                    f"Merchant Center refused {len(refused)} offer(s): {reasons}",
                    provider="google_merchant",
                    status=400,
                )
        for companion in others:
            companions.settle(companion, errors.get(companion.id), started)
        if job.id in errors:
            raise errors[job.id]
        detail = self._detail(*plans[job.id])
        if others:
            detail += f"; sent with {len(others)} other product job(s) in one batch"
        return Outcome(status_code=200, detail=detail)


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [GoogleMerchantIntegration]
