"""Record in the kernel's ledger every product whose offers were sent before it existed.

Routing reads the kernel's ledger to reach a channel a product left; without this, a
product synced before the upgrade and unlisted after it would keep its offers.
"""

from django.db import migrations

FORWARD = """
INSERT INTO saleor_plugins_held (integration, channel, object_type, object_id, provider_id,
                                 updated_at)
SELECT DISTINCT 'saleor_plugins.google_merchant', channel, 'product', product_id, '', now()
  FROM saleor_plugins_gm_sent_offer
ON CONFLICT (integration, channel, object_type, object_id) DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_plugins_google_merchant", "0002_sentoffer"),
        ("saleor_plugins_core", "0003_held"),
    ]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
