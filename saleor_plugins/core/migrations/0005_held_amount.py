from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_plugins_core", "0004_connection"),
    ]

    operations = [
        migrations.AddField(
            model_name="held",
            name="amount",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=20, null=True),
        ),
    ]
