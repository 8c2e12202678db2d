"""Full sync of a channel: stream the catalogue, upsert in batches, delete stale offers.

Offers are gathered across products and sent in batches filled to the client's limit
(1,000 calls): a product's offers may straddle two batches, so N offers cost
ceil(N / 1,000) requests.

Every offer of ours (in our API data source) that the channel no longer yields is deleted,
so no stale item survives. Deleting is guarded like feed publishing: when the channel
yields nothing, or under half the offers Merchant Center holds for us, nothing is deleted
unless forced (a broken read must not empty the merchant's account).
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from ..catalog.guard import stale_kept
from ..core.collector import collector_paused
from ..core.errors import PermanentError
from . import ledger
from .client import MerchantClient
from .mapping import report as wording
from .settings import GoogleMerchantSettings
from .sync import Catalogue, plan_product

REFUSALS_KEPT = 20


@dataclass(slots=True)
class SyncReport:
    upserted: int = 0
    deleted: int = 0
    requests: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)  # mapping.NOTES key -> count
    refused: dict[str, str] = field(default_factory=dict)  # first few offer id -> reason
    refused_count: int = 0
    held: str = ""  # why stale offers were kept

    def line(self) -> str:
        text = (
            f"{self.upserted} offers upserted, {self.deleted} stale offers deleted, "
            f"{self.refused_count} refused, in {self.requests} batch requests"
        )
        said = wording(self.skipped, self.notes)
        text += f"; {said}" if said else ""
        return text + (f"; stale offers kept: {self.held}" if self.held else "")


def input_name(account: str, language: str, label: str, offer_id: str) -> str:
    raw = f"{language}~{label}~{offer_id}".encode()
    return f"accounts/{account}/productInputs/{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def full_sync(
    channel: str,
    settings: GoogleMerchantSettings,
    host: Catalogue,
    *,
    client: MerchantClient | None = None,
    force: bool = False,
    on_product: Callable[[], None] | None = None,
    page_size: int = 500,
) -> SyncReport:
    client = client or MerchantClient(settings)
    limit = client.batch_limit
    report = SyncReport()
    ours: set[str] = set()  # offer ids the channel yields (one short string per variant)
    pending: list[dict[str, Any]] = []  # upsert bodies not sent yet (under a batch)
    owner: dict[str, str] = {}  # offer id -> product id, of the pending bodies
    now = timezone.now()

    def send(bodies: list[dict[str, Any]]) -> None:
        outcome = client.write(bodies)
        ledger.record(channel, {k: owner[k] for k in outcome.done}, ())
        for body in bodies:
            owner.pop(body["offerId"], None)
        report.requests += outcome.requests
        report.upserted += len(outcome.done)
        report.refused_count += len(outcome.refused)
        for key, reason in outcome.refused.items():
            if len(report.refused) < REFUSALS_KEPT:
                report.refused[key] = reason

    with collector_paused():  # a catalogue's worth of short-lived objects (core.collector)
        for product in host.iter_objects("product", channel, page_size=page_size):
            # stale offers are found by listing below: the plan's deletions are not used
            plan = plan_product(product, settings, channel, now)
            ours.update(body["offerId"] for body in plan.upserts)
            pending += plan.upserts
            owner.update((body["offerId"], product.id) for body in plan.upserts)
            report.skipped += plan.skipped
            report.notes += plan.notes
            while len(pending) >= limit:
                send(pending[:limit])
                del pending[:limit]
            if on_product is not None:
                on_product()
    if pending:
        send(pending)

    stale: list[tuple[str, str]] = []
    held_by_us = 0
    for item in client.iter_products():
        held_by_us += 1
        if item.get("offerId") not in ours or (
            item.get("contentLanguage"),
            item.get("feedLabel"),
        ) != (settings.content_language, settings.feed_label):
            language, label = item.get("contentLanguage", ""), item.get("feedLabel", "")
            name = input_name(settings.merchant_id, language, label, str(item.get("offerId")))
            stale.append((str(item.get("offerId")), name))
    report.held = stale_kept(
        len(ours), held_by_us, len(stale), force=force, what="offers",
        where="in Merchant Center", how="--force",
    )  # fmt: skip
    if report.held:
        return report
    for start in range(0, len(stale), limit):
        outcome = client.write(deletes=stale[start : start + limit])
        ledger.record(channel, {}, outcome.done)
        report.requests += outcome.requests
        report.deleted += len(outcome.done)
    if report.refused_count and not report.upserted:
        raise PermanentError(f"Merchant Center refused every offer: {report.line()}")
    return report
