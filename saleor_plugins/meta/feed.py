"""The catalog as a CSV feed, for merchants who prefer Meta's scheduled feeds.

Same items as the live sync (:func:`~saleor_plugins.meta.mapping.map_product`), one row per
variant, streamed product by product so memory stays flat however large the catalog. The
plugin serves it at ``<plugin URL>/feed.csv`` to whoever presents the feed token (see
docs/meta.md); :func:`authorised` compares in constant time (the catalog layer's check).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from ..catalog.guard import basic_auth_password, feed_token_matches
from ..core.snapshots import Product
from .mapping import map_product
from .settings import MetaSettings

COLUMNS = (
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "sale_price",
    "sale_price_effective_date",
    "link",
    "image_link",
    "additional_image_link",
    "brand",
    "item_group_id",
    "google_product_category",
    "product_type",
    "gtin",
    "mpn",
    "color",
    "size",
    "gender",
    "age_group",
    "material",
)


def lines(
    products: Iterable[Product], settings: MetaSettings, channel: str, now: datetime
) -> Iterator[str]:
    """The header, then one CSV line per listable variant."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    for product in products:
        for item in map_product(product, settings, channel, now).items:
            row = dict(item)
            row["additional_image_link"] = ",".join(item.get("additional_image_link", []))
            writer.writerow([row.get(c, "") for c in COLUMNS])
        text = flush()
        if text:
            yield text


def authorised(settings: MetaSettings, query: Mapping[str, str], authorization: str) -> bool:
    """The feed token as ``?token=``, or as the password of HTTP basic auth (Meta's
    scheduled feeds can send a login); no token configured: no feed."""
    presented = str(query.get("token", "")) or basic_auth_password(authorization)
    return feed_token_matches(settings.secret("feed_token"), presented)
