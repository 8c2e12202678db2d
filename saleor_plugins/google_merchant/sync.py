"""What to send for a set of products: upserts and deletions, attributed to products.

Shared by the live sync (one or more product jobs sent in one batch) and the full sync
(the whole catalogue, page by page).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..core.registry import hook
from ..core.snapshots import Product
from .mapping import map_product, offer_id_for, product_input_name, to_product_input
from .settings import GoogleMerchantSettings

INTEGRATION_ID = "saleor_plugins.google_merchant"


class Catalogue(Protocol):
    """The part of the kernel's Host that full syncs and feeds read from."""

    def iter_objects(self, object_type: str, channel: str, *, page_size: int = 500
                     ) -> Iterator[Any]: ...  # fmt: skip


@dataclass(slots=True)
class Plan:
    upserts: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)  # (offer id, resource name)
    owner: dict[str, str] = field(default_factory=dict)  # offer id -> product id
    skipped: Counter[str] = field(default_factory=Counter)  # missing field -> variants
    notes: Counter[str] = field(default_factory=Counter)  # mapping.NOTES key -> count

    def __len__(self) -> int:
        return len(self.upserts) + len(self.deletes)

    def extend(self, other: Plan) -> None:
        self.upserts += other.upserts
        self.deletes += other.deletes
        self.owner |= other.owner
        self.skipped += other.skipped
        self.notes += other.notes


def plan_product(
    product: Product, settings: GoogleMerchantSettings, channel: str, now: datetime
) -> Plan:
    """Upsert the product's offers; delete those of variants that may not be listed.

    A product not published in the channel has every offer deleted; a variant left out
    (no price, no image, not available) has its offer deleted. These deletions are
    candidates: the live sync sends only those of offers Google holds (see ``ledger``).
    """
    plan = Plan()
    mapped = map_product(product, settings, channel, now)
    plan.notes = mapped.notes
    for offer in mapped.items:
        body = to_product_input(offer, settings)
        hook().saleor_plugins_provider_payload(
            integration=INTEGRATION_ID, kind="offer", source=offer, payload=body
        )
        plan.upserts.append(body)
        plan.owner[offer.offer_id] = product.id
    by_id = {v.id: v for v in product.variants}
    for variant_id, _ in mapped.skipped:
        offer_id = offer_id_for(by_id[variant_id])
        name = product_input_name(settings.merchant_id, settings, offer_id)
        plan.deletes.append((offer_id, name))
        plan.owner[offer_id] = product.id
    plan.skipped = mapped.left_out()
    return plan


def plan_deletion(
    product_id: str, variant_ids: Iterable[str], settings: GoogleMerchantSettings
) -> Plan:
    plan = Plan()
    for variant_id in variant_ids:
        offer_id = str(variant_id)[:50]
        name = product_input_name(settings.merchant_id, settings, offer_id)
        plan.deletes.append((offer_id, name))
        plan.owner[offer_id] = product_id
    return plan
