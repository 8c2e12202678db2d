"""What a product change sends to the catalog, and what Meta then holds (kernel ledger).

The kernel ledger keeps, per channel:

- ``item`` rows: one per catalog item Meta confirmed (object id = the retailer id, the
  ``content_id``; provider id = the product it belongs to). A variant deleted from a
  product, or whose SKU changed, is in no snapshot any more, yet its item is found here
  and deleted; an item never sent is never deleted (no call spent on a certain error).
- ``product`` rows: held while at least one of its items is, so routing keeps reaching a
  channel the product left until its items are gone.
- ``refused`` rows: the items Meta refused in their last batch (until one is accepted or
  deleted), counted on the plugin's page (:func:`summary`); the reasons are in the sync log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..catalog.mapping import report
from ..core import ledger
from ..core.models import Held
from ..core.snapshots import Product
from .client import BatchFailed, BatchResult, MetaClient
from .mapping import delete_request, map_product, upsert_request
from .settings import MetaSettings


@dataclass(slots=True)
class Plan:
    product_id: str
    upserts: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)  # retailer ids
    left_out: Counter[str] = field(default_factory=Counter)  # missing field -> variants
    notes: Counter[str] = field(default_factory=Counter)  # catalog.mapping.NOTES key -> count
    why: str = ""

    def keys(self) -> set[str]:
        return {i["id"] for i in self.upserts} | set(self.deletes)

    def requests(self) -> list[dict[str, Any]]:
        return [upsert_request(i) for i in self.upserts] + [delete_request(d) for d in self.deletes]

    def describe(self) -> str:
        text = f"{len(self.upserts)} item(s) upserted, {len(self.deletes)} deleted"
        said = report(self.left_out, self.notes)
        text += f" ({said})" if said else ""
        return f"{self.why}: {text}" if self.why else text


def held_items(integration: str, channel: str, product_ids: Iterable[str]) -> dict[str, set[str]]:
    """Product id -> the retailer ids Meta holds for it in the channel."""
    rows = Held.objects.filter(
        integration=integration,
        channel=channel,
        object_type="item",
        provider_id__in=[str(p) for p in product_ids],
    ).values_list("provider_id", "object_id")
    found: dict[str, set[str]] = {}
    for product_id, retailer_id in rows:
        found.setdefault(product_id, set()).add(retailer_id)
    return found


def plan(
    integration: str,
    channel: str,
    product_id: str,
    product: Product | None,
    settings: MetaSettings,
    now: datetime | None = None,
) -> Plan:
    """Upsert the listable variants; delete every held item not upserted."""
    held = held_items(integration, channel, [product_id]).get(product_id, set())
    result = Plan(product_id=product_id)
    if product is None:
        result.why = "product gone"
    else:
        mapped = map_product(product, settings, channel, now or timezone.now())
        result.upserts = mapped.items
        result.left_out = mapped.left_out
        result.notes = mapped.notes
    upserted = {i["id"] for i in result.upserts}
    result.deletes = sorted(held - upserted)
    return result


def send(
    client: MetaClient,
    catalog_id: str,
    plans: list[Plan],
    *,
    interval: float,
    held_by: tuple[str, str] | None = None,
) -> BatchResult:
    """One items_batch (chunked) for all plans, polled until Meta finished it.

    ``held_by`` (integration, channel): if polling fails once Meta accepted the batch, its
    upserts are held all the same (Meta goes on with the batch), so that a deletion
    before the retry still reaches them; a batch Meta failed as a whole holds nothing.
    """
    requests = [r for p in plans for r in p.requests()]
    if not requests:
        return BatchResult()
    handles = client.items_batch(catalog_id, requests)
    try:
        return client.wait_for(catalog_id, handles, interval=interval)
    except BatchFailed:
        raise  # Meta applied none of it
    except Exception:
        if held_by is not None:
            integration, channel = held_by
            with transaction.atomic():
                for each in plans:
                    ids = {i["id"] for i in each.upserts}
                    ledger.hold(integration, channel, "item", dict.fromkeys(ids, each.product_id))
                    if ids:
                        ledger.hold(integration, channel, "product", [each.product_id])
        raise


def record(integration: str, channel: str, plans: list[Plan], errors: Mapping[str, str]) -> None:
    """Hold what Meta accepted, release what it deleted; products follow their items."""
    with transaction.atomic():
        for each in plans:
            accepted = {i["id"] for i in each.upserts if i["id"] not in errors}
            deleted = [d for d in each.deletes if d not in errors]
            refused = {k: each.product_id for k in each.keys() if k in errors}
            ledger.hold(integration, channel, "item", dict.fromkeys(accepted, each.product_id))
            ledger.release(integration, channel, "item", deleted)
            ledger.hold(integration, channel, "refused", refused)
            ledger.release(integration, channel, "refused", [*accepted, *deleted])
        products = [p.product_id for p in plans]
        still = held_items(integration, channel, products)
        ledger.hold(integration, channel, "product", list(still))
        ledger.release(integration, channel, "product", [p for p in products if p not in still])


def summary(integration: str, channel: str, *, using: str = "default") -> str:
    """The plugin page's line: items at Meta, and items refused in their last batch."""
    rows = Held.objects.using(using).filter(integration=integration, channel=channel)
    held = rows.filter(object_type="item").count()
    refused = rows.filter(object_type="refused").count()
    text = f"Catalog: {held} item(s) at Meta"
    if refused:
        text += f", {refused} refused in their last batch (reasons in the sync log)"
    return text
