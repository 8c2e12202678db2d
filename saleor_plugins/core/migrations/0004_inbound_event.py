from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_plugins_core", "0003_held"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="inboundevent",
            index=models.Index(fields=["received_at"], name="saleor_plugins_inbound_recv"),
        ),
    ]
