"""Which offers we sent for which product, per channel (one query to read, two to write).

A variant deleted from a product is in no snapshot any more, and a product read as gone
names no variant: the ledger still knows their offers, so they are deleted, not left stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .models import SentOffer
from .settings import GoogleMerchantSettings
from .sync import Plan


def known(channel: str, product_ids: Iterable[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    rows = SentOffer.objects.filter(channel=channel, product_id__in=list(product_ids))
    for product_id, offer_id in rows.values_list("product_id", "offer_id"):
        found.setdefault(product_id, set()).add(offer_id)
    return found


def add_forgotten(plan: Plan, product_id: str, offers: set[str], settings: GoogleMerchantSettings
                  ) -> int:  # fmt: skip
    """Delete the product's offers we sent before that the plan no longer mentions."""
    from .mapping import product_input_name

    mentioned = {b["offerId"] for b in plan.upserts} | {k for k, _ in plan.deletes}
    forgotten = sorted(offers - mentioned)
    for offer_id in forgotten:
        plan.deletes.append(
            (offer_id, product_input_name(settings.merchant_id, settings, offer_id))
        )
        plan.owner[offer_id] = product_id
    return len(forgotten)


def record(channel: str, sent: Mapping[str, str], deleted: Iterable[str]) -> None:
    """``sent``: offer id -> product id now held by Google; ``deleted``: offer ids gone."""
    gone = [o for o in deleted if o not in sent]
    if gone:
        SentOffer.objects.filter(channel=channel, offer_id__in=gone).delete()
    if sent:
        SentOffer.objects.bulk_create(
            [SentOffer(channel=channel, product_id=p, offer_id=o) for o, p in sent.items()],
            update_conflicts=True,
            unique_fields=["channel", "offer_id"],
            update_fields=["product_id"],
        )
