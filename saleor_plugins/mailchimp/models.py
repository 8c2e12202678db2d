"""Backfill progress, so a crashed backfill resumes where it stopped."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class BackfillCursor(models.Model):
    """How far the backfill of one object type in one channel has gone."""

    objects: ClassVar[models.Manager[BackfillCursor]] = models.Manager()

    channel = models.CharField(max_length=255)
    object_type = models.CharField(max_length=20)
    last_id = models.CharField(max_length=255, blank=True, default="")
    sent = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "saleor_plugins_mailchimp"
        db_table = "saleor_plugins_mailchimp_cursor"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "object_type"], name="saleor_plugins_mailchimp_cursor_once"
            )
        ]


class BackfillBatch(models.Model):
    """One submitted Mailchimp batch operation and what came of it."""

    objects: ClassVar[models.Manager[BackfillBatch]] = models.Manager()

    batch_id = models.CharField(max_length=100, unique=True)
    channel = models.CharField(max_length=255)
    object_type = models.CharField(max_length=20)
    operations = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, default="pending")
    errored = models.PositiveIntegerField(default=0)
    #: refusals that will never succeed, with Mailchimp's reason (first 100)
    errors = models.JSONField(default=list, blank=True)
    response_body_url = models.TextField(blank=True, default="")
    #: the operations that create or update an object the ledger tracks
    #: ("product:<id>", "order:<id>"): recorded as held once Mailchimp confirmed them
    tracked = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "saleor_plugins_mailchimp"
        db_table = "saleor_plugins_mailchimp_batch"
        indexes = [models.Index(fields=["channel", "status"], name="sp_mailchimp_batch_open")]

    @property
    def finished(self) -> bool:
        return self.status == "finished"
