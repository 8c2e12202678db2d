"""Full sync of a channel's catalog: every listable variant sent, stale items deleted.

Run as the kernel's backfill (``manage.py saleor_plugins_backfill --integration
saleor_plugins.meta --channel <slug>``). Products are streamed page by page and their
items sent in items_batch requests of up to 3,000; then every item the ledger says Meta
holds for the channel that the channel no longer yields is deleted. Deleting is guarded
like the Merchant full sync: when the channel yields nothing, or under half the items
held, nothing is deleted unless forced (``--option force=1``): a broken read must not
empty the merchant's catalog.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone

from ..catalog.guard import stale_kept
from ..catalog.mapping import report as wording
from ..core.errors import PermanentError
from ..core.models import Held
from ..core.snapshots import Product
from . import catalog
from .client import MAX_ITEMS, MetaClient
from .mapping import map_product
from .settings import MetaSettings

REFUSALS_KEPT = 20


@dataclass(slots=True)
class SyncReport:
    upserted: int = 0
    deleted: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # the first few
    refused_count: int = 0
    requests: int = 0
    kept: str = ""  # why stale items were kept
    left_out: Counter[str] = field(default_factory=Counter)  # missing field -> variants
    notes: Counter[str] = field(default_factory=Counter)  # catalog.mapping.NOTES key -> count

    def line(self) -> str:
        text = (
            f"{self.upserted} items upserted, {self.deleted} stale items deleted, "
            f"{self.refused_count} refused, in {self.requests} Graph API requests"
        )
        if self.refused:
            text += "; refused: " + "; ".join(f"{k}: {v}" for k, v in list(self.refused.items()))
        said = wording(self.left_out, self.notes)
        text += f"; {said}" if said else ""
        return text + (f"; stale items kept: {self.kept}" if self.kept else "")


def full_sync(
    integration: str,
    channel: str,
    settings: MetaSettings,
    products: Iterable[Product],
    client: MetaClient,
    *,
    interval: float,
    force: bool = False,
) -> SyncReport:
    report = SyncReport()
    yielded: set[str] = set()
    pending: list[catalog.Plan] = []
    now = timezone.now()
    before = client.requests

    def flush() -> None:
        if not pending:
            return
        result = catalog.send(
            client, settings.catalog_id, pending, interval=interval, held_by=(integration, channel)
        )
        catalog.record(integration, channel, pending, result.errors)
        sent = sum(len(p.upserts) for p in pending)
        report.upserted += sent - len(result.errors)
        report.refused_count += len(result.errors)
        for key, reason in result.errors.items():
            if len(report.refused) < REFUSALS_KEPT:
                report.refused[key] = reason
        pending.clear()

    count = 0
    for product in products:
        # no per-product ledger read: what the channel no longer yields is found below
        mapped = map_product(product, settings, channel, now)
        items = mapped.items
        report.left_out += mapped.left_out
        report.notes += mapped.notes
        yielded.update(i["id"] for i in items)
        if items:
            pending.append(catalog.Plan(product_id=product.id, upserts=items))
            count += len(items)
        if count >= MAX_ITEMS:
            flush()
            count = 0
    flush()

    held = dict(
        Held.objects.filter(
            integration=integration, channel=channel, object_type="item"
        ).values_list("object_id", "provider_id")
    )
    stale = sorted(set(held) - yielded)
    report.kept = stale_kept(
        len(yielded), len(held), len(stale), force=force, what="items",
        where="held at Meta", how="--option force=1",
    )  # fmt: skip
    if stale and not report.kept:
        by_product: dict[str, catalog.Plan] = {}
        for retailer_id in stale:
            owner = held[retailer_id]
            by_product.setdefault(owner, catalog.Plan(product_id=owner)).deletes.append(retailer_id)
        plans = list(by_product.values())
        for start in range(0, len(plans), 500):
            group = plans[start : start + 500]
            result = catalog.send(
                client,
                settings.catalog_id,
                group,
                interval=interval,
                held_by=(integration, channel),
            )
            catalog.record(integration, channel, group, result.errors)
            report.deleted += sum(len(p.deletes) for p in group) - len(result.errors)
    report.requests = client.requests - before
    if report.refused_count and not report.upserted:
        raise PermanentError(f"Meta refused every item: {report.line()}", provider="meta")
    return report
