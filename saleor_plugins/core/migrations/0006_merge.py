from django.db import migrations


class Migration(migrations.Migration):
    """Joins the ledger/connection line and the delivery line of migrations."""

    dependencies = [
        ("saleor_plugins_core", "0004_delivery"),
        ("saleor_plugins_core", "0005_held_amount"),
    ]

    operations = []
