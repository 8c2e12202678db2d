"""Stock changes, captured by a database trigger on Saleor's ``warehouse_stock``.

``productVariantStocksUpdate`` and stock allocation at checkout notify apps only, no
plugin hook. A trigger records the variant in ``saleor_plugins_stock_change`` (one row per
variant: many changes collapse into one); :func:`drain` turns the rows into product
changes for the kernel and deletes them in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from django.utils import timezone

from ..core.events import EventType
from ..core.host import Change

INSTALL_SQL = """
CREATE TABLE IF NOT EXISTS saleor_plugins_stock_change (
    variant_id integer PRIMARY KEY,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION saleor_plugins_record_stock_change() RETURNS trigger AS $$
BEGIN
    INSERT INTO saleor_plugins_stock_change (variant_id, changed_at)
    VALUES (COALESCE(NEW.product_variant_id, OLD.product_variant_id), now())
    ON CONFLICT (variant_id) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS saleor_plugins_stock_change ON warehouse_stock;
CREATE TRIGGER saleor_plugins_stock_change
    AFTER INSERT OR DELETE OR UPDATE OF quantity, quantity_allocated ON warehouse_stock
    FOR EACH ROW EXECUTE FUNCTION saleor_plugins_record_stock_change();
"""

_DRAIN = """
WITH drained AS (
    DELETE FROM saleor_plugins_stock_change RETURNING variant_id, changed_at
)
SELECT v.product_id, max(d.changed_at),
       array_remove(array_agg(DISTINCT c.slug), NULL)
  FROM drained d
  JOIN product_productvariant v ON v.id = d.variant_id
  LEFT JOIN product_productchannellisting l ON l.product_id = v.product_id
  LEFT JOIN channel_channel c ON c.id = l.channel_id
 GROUP BY v.product_id
"""


def drain() -> Iterator[Change]:
    with connection.cursor() as cursor:
        cursor.execute(_DRAIN)
        rows = cursor.fetchall()
    for product_id, changed_at, channels in rows:
        yield Change(
            EventType.PRODUCT_UPSERTED.value,
            str(product_id),
            tuple(channels or ()),
            changed_at or timezone.now(),
        )
