"""Which offers we hold at Google for which product, per channel.

``SentOffer`` keeps one row per offer Google confirmed (upserted and not deleted since): a
variant deleted from a product is in no snapshot any more, and a product read as gone
names no variant, yet their offers are found here and deleted. It also says what is
*not* at Google: an offer never sent (a variant without an image, a product never listed
in the channel) is not deleted, so no call is spent on a certain 404.

The kernel's ledger mirrors it per product (object type ``product``): held while at least
one of its offers is, released with the last one. Routing reads that to reach a channel
the product left, however long ago it was last synced there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction

from ..core import ledger as kernel_ledger
from .models import SentOffer
from .settings import GoogleMerchantSettings
from .sync import INTEGRATION_ID, Plan


def known(channel: str, product_ids: Iterable[str]) -> dict[str, set[str]]:
    """Product id -> the offer ids Google holds for it in the channel."""
    found: dict[str, set[str]] = {}
    rows = SentOffer.objects.filter(channel=channel, product_id__in=list(product_ids))
    for product_id, offer_id in rows.values_list("product_id", "offer_id"):
        found.setdefault(product_id, set()).add(offer_id)
    return found


def only_held(plan: Plan, product_id: str, offers: set[str], settings: GoogleMerchantSettings
              ) -> None:  # fmt: skip
    """Delete exactly the product's offers Google holds that the plan does not upsert.

    Deletions of offers never sent are dropped; offers sent before that the plan no
    longer mentions (a deleted variant) are added.
    """
    from .mapping import product_input_name

    upserted = {b["offerId"] for b in plan.upserts}
    planned = {offer_id for offer_id, _ in plan.deletes}
    plan.deletes = [(o, name) for o, name in plan.deletes if o in offers]
    for offer_id in sorted(offers - upserted - planned):
        plan.deletes.append(
            (offer_id, product_input_name(settings.merchant_id, settings, offer_id))
        )
        plan.owner[offer_id] = product_id


def record(channel: str, sent: Mapping[str, str], deleted: Iterable[str]) -> None:
    """``sent``: offer id -> product id now held by Google; ``deleted``: offer ids gone."""
    gone = [o for o in deleted if o not in sent]
    if not gone and not sent:
        return
    with transaction.atomic():
        touched = set(sent.values())
        if gone:
            rows = SentOffer.objects.filter(channel=channel, offer_id__in=gone)
            touched.update(rows.values_list("product_id", flat=True))
            rows.delete()
        if sent:
            SentOffer.objects.bulk_create(
                [SentOffer(channel=channel, product_id=p, offer_id=o) for o, p in sent.items()],
                update_conflicts=True,
                unique_fields=["channel", "offer_id"],
                update_fields=["product_id"],
            )
        still = set(known(channel, touched))
        kernel_ledger.hold(INTEGRATION_ID, channel, "product", still)
        kernel_ledger.release(INTEGRATION_ID, channel, "product", touched - still)
