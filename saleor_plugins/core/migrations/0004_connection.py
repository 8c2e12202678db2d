import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_plugins_core", "0003_held"),
    ]

    operations = [
        migrations.CreateModel(
            name="Connection",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("integration", models.CharField(max_length=100)),
                ("channel", models.CharField(max_length=255)),
                ("status", models.CharField(default="disconnected", max_length=20)),
                ("tenant_id", models.CharField(blank=True, default="", max_length=255)),
                ("tenant_name", models.CharField(blank=True, default="", max_length=255)),
                ("token", models.TextField(blank=True, default="")),
                ("previous_refresh", models.TextField(blank=True, default="")),
                ("rotated_at", models.DateTimeField(blank=True, null=True)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("pending_nonce", models.CharField(blank=True, default="", max_length=64)),
                ("pending_verifier", models.TextField(blank=True, default="")),
                ("tenants", models.JSONField(blank=True, default=list)),
                ("error", models.TextField(blank=True, default="")),
                ("refreshes", models.PositiveIntegerField(default=0)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "db_table": "saleor_plugins_connection",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("integration", "channel"), name="saleor_plugins_connection_once"
                    )
                ],
            },
        ),
    ]
