from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """Fencing tokens (lease), live-before-bulk priority, and the claim's partial index.

    The indexes are built concurrently: the outbox takes the store's INSERTs meanwhile.
    """

    atomic = False

    dependencies = [
        ("saleor_plugins_core", "0003_held"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="lease",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="job",
            name="priority",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        AddIndexConcurrently(
            model_name="job",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "running"])),
                fields=["integration", "channel", "object_type", "object_id", "id"],
                name="saleor_plugins_job_unfinished",
            ),
        ),
        AddIndexConcurrently(
            model_name="job",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["priority", "not_before"],
                name="saleor_plugins_job_waiting",
            ),
        ),
        AddIndexConcurrently(
            model_name="job",
            index=models.Index(
                condition=models.Q(("status", "dead")),
                fields=["integration", "channel"],
                name="saleor_plugins_job_dead",
            ),
        ),
    ]
