import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Intent",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("scope", models.CharField(max_length=255)),
                ("amount", models.BigIntegerField()),
                ("currency", models.CharField(max_length=3)),
                ("intent_id", models.CharField(max_length=255)),
                ("channel", models.CharField(max_length=255)),
                ("payment_id", models.CharField(max_length=255)),
                ("generation", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "db_table": "saleor_plugins_stripe_intent",
                "indexes": [models.Index(fields=["intent_id"], name="saleor_plugins_st_intent_id")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("scope", "currency", "amount"),
                        name="saleor_plugins_stripe_intent_once",
                    )
                ],
            },
        ),
    ]
