from django.db import migrations


class Migration(migrations.Migration):
    """Joins the lines of migrations: ledger and connections, delivery, inbound events."""

    dependencies = [
        ("saleor_plugins_core", "0004_delivery"),
        ("saleor_plugins_core", "0004_inbound_event"),
        ("saleor_plugins_core", "0005_held_amount"),
    ]

    operations = []
