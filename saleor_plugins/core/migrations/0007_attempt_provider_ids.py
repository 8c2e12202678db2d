from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("saleor_plugins_core", "0006_merge")]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="provider_ids",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
