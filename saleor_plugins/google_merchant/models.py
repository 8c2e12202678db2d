"""What the merchant sees of feeds and Merchant Center statuses, per channel."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class FeedStatus(models.TextChoices):
    RUNNING = "running"
    PUBLISHED = "published"  # the files served at the feed URL
    HELD = "held"  # written, but the guard kept the previous files published
    FAILED = "failed"


class FeedRun(models.Model):
    """One generation of a channel's feed files."""

    # declared so type checkers know them where the app is not in the checked settings
    id = models.BigAutoField(primary_key=True)
    objects: models.Manager[FeedRun] = models.Manager()

    channel = models.CharField(max_length=255)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=FeedStatus.choices, default=FeedStatus.RUNNING)
    forced = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    #: missing field -> number of variants left out for it
    skipped = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True, default="")  # why held or failed
    xml_path = models.CharField(max_length=500, blank=True, default="")
    tsv_path = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        db_table = "saleor_plugins_gm_feed_run"
        indexes = [
            models.Index(fields=["channel", "status", "-id"], name="saleor_plugins_gm_feed_last")
        ]

    def __str__(self) -> str:
        return f"feed {self.channel} #{self.pk} {self.status} ({self.rows} rows)"


class StatusReport(models.Model):
    """Offer statuses pulled back from Merchant Center."""

    id = models.BigAutoField(primary_key=True)
    objects: models.Manager[StatusReport] = models.Manager()

    channel = models.CharField(max_length=255)
    pulled_at = models.DateTimeField(default=timezone.now)
    approved = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    disapproved = models.PositiveIntegerField(default=0)
    #: [[reason, offers], ...] most frequent first
    top_reasons = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "saleor_plugins_gm_status_report"
        indexes = [models.Index(fields=["channel", "-id"], name="saleor_plugins_gm_status_last")]

    def __str__(self) -> str:
        return f"statuses {self.channel} at {self.pulled_at:%Y-%m-%d %H:%M}"


class SentOffer(models.Model):
    """An offer we sent for a product in a channel, so that the offer of a variant deleted
    from the product (which no snapshot mentions any more) is deleted too."""

    id = models.BigAutoField(primary_key=True)
    objects: models.Manager[SentOffer] = models.Manager()

    channel = models.CharField(max_length=255)
    product_id = models.CharField(max_length=255)
    offer_id = models.CharField(max_length=255)

    class Meta:
        db_table = "saleor_plugins_gm_sent_offer"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "offer_id"], name="saleor_plugins_gm_offer_once"
            )
        ]
        indexes = [
            models.Index(fields=["channel", "product_id"], name="saleor_plugins_gm_offer_prod")
        ]

    def __str__(self) -> str:
        return f"offer {self.offer_id} of product {self.product_id} in {self.channel}"
