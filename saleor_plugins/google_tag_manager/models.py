"""The ledger of what was sent to GA4 (or deliberately not), per order and channel.

A row per event key: ``purchase`` once per order, ``refund:<refund id>`` once per refund.
A job reads it before building anything, so a retried job, a replayed dead job or a
reconciliation re-emit sends nothing that a row already covers.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SentStatus(models.TextChoices):
    SENT = "sent"  # Google (or the server container) accepted the request
    SKIPPED = "skipped"  # deliberately not sent; ``reason`` says why


class SentEvent(models.Model):
    # declared so type checkers know them where the app is not in the checked settings
    id = models.BigAutoField(primary_key=True)
    objects: models.Manager[SentEvent] = models.Manager()

    channel = models.CharField(max_length=255)
    order_id = models.CharField(max_length=64)
    key = models.CharField(max_length=128)  # "purchase", "refund:<id>"
    name = models.CharField(max_length=40)  # the GA4 event name
    status = models.CharField(max_length=8, choices=SentStatus.choices)
    value = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "saleor_plugins_gtm_sent_event"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "order_id", "key"], name="saleor_plugins_gtm_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.key} of order {self.order_id} in {self.channel}: {self.status}"
