import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_plugins_core", "0002_attempt_detail"),
    ]

    operations = [
        migrations.CreateModel(
            name="Held",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("integration", models.CharField(max_length=100)),
                ("channel", models.CharField(max_length=255)),
                ("object_type", models.CharField(max_length=40)),
                ("object_id", models.CharField(max_length=255)),
                ("provider_id", models.CharField(blank=True, default="", max_length=255)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "db_table": "saleor_plugins_held",
                "indexes": [
                    models.Index(
                        fields=["object_type", "object_id"], name="saleor_plugins_held_object"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("integration", "channel", "object_type", "object_id"),
                        name="saleor_plugins_held_once",
                    )
                ],
            },
        ),
    ]
