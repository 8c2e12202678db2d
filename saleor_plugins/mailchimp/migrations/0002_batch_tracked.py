from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("saleor_plugins_mailchimp", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="backfillbatch",
            name="tracked",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
