"""The outbox, the sync log, stored inbound webhooks and circuit state."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "pending"  # waiting for its turn (not_before) or for a worker
    RUNNING = "running"  # claimed by a worker until locked_until
    SUCCEEDED = "succeeded"
    DEAD = "dead"  # permanent failure or gave up: kept for replay
    SKIPPED = "skipped"  # the integration was inactive in the channel at delivery


class Job(models.Model):
    """One unit of work for one integration in one channel.

    The row carries what happened to which object, never a copy of the object: the worker
    reads the object again when it delivers, so a job is never stale.
    """

    integration = models.CharField(max_length=100)
    channel = models.CharField(max_length=255)
    event = models.CharField(max_length=40)
    object_type = models.CharField(max_length=20)
    object_id = models.CharField(max_length=255)
    payload = models.JSONField(default=dict, blank=True)
    # NULL, not "": NULLs are distinct, so jobs without a key never collide
    dedupe_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    coalesce_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    coalesced = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_status_code = models.IntegerField(null=True, blank=True)

    class Meta:
        db_table = "saleor_plugins_job"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "channel", "dedupe_key"],
                name="saleor_plugins_job_dedupe",
            ),
            models.UniqueConstraint(
                fields=["integration", "channel", "coalesce_key"],
                condition=Q(status="pending") & Q(coalesce_key__isnull=False),
                name="saleor_plugins_job_coalesce",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "not_before"],
                name="saleor_plugins_job_due",
                condition=Q(status__in=["pending", "running"]),
            ),
            models.Index(
                fields=["integration", "channel", "object_type", "object_id", "id"],
                name="saleor_plugins_job_object",
            ),
            models.Index(fields=["created_at"], name="saleor_plugins_job_created"),
        ]

    def __str__(self) -> str:
        return f"{self.integration}/{self.channel} {self.event} {self.object_type}:{self.object_id}"


class Attempt(models.Model):
    """The sync log: one row per delivery attempt, with no secret in it."""

    job = models.ForeignKey(Job, null=True, on_delete=models.SET_NULL, related_name="+")
    integration = models.CharField(max_length=100)
    channel = models.CharField(max_length=255)
    event = models.CharField(max_length=40)
    object_type = models.CharField(max_length=20)
    object_id = models.CharField(max_length=255)
    outcome = models.CharField(max_length=12)  # succeeded, retry, dead, circuit, skipped
    status_code = models.IntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    detail = models.TextField(blank=True, default="")  # what the integration reported
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "saleor_plugins_attempt"
        indexes = [
            models.Index(
                fields=["integration", "channel", "created_at"],
                name="saleor_plugins_attempt_recent",
            ),
        ]


class InboundEvent(models.Model):
    """A verified provider webhook, stored before it is processed (once per integration).

    ``payload`` holds what processing needs, as the integration's receiver trimmed it
    (no provider secret, no customer details); rows are pruned with the jobs.
    """

    integration = models.CharField(max_length=100)
    channel = models.CharField(max_length=255)
    provider_event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "saleor_plugins_inbound_event"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "provider_event_id"],
                name="saleor_plugins_inbound_once",
            )
        ]
        indexes = [
            models.Index(fields=["received_at"], name="saleor_plugins_inbound_received"),
        ]


class Circuit(models.Model):
    """Open while an integration's credentials are refused in a channel."""

    integration = models.CharField(max_length=100)
    channel = models.CharField(max_length=255)
    is_open = models.BooleanField(default=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    reason = models.TextField(blank=True, default="")

    class Meta:
        db_table = "saleor_plugins_circuit"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "channel"], name="saleor_plugins_circuit_once"
            )
        ]


class Held(models.Model):
    """What an integration holds at its provider for a channel: the kernel's ledger.

    Written by integrations when a provider confirms a write (or a delete), read before
    a call to choose it (create or update, delete or nothing) and by routing to find the
    channels that still hold an object which is no longer listed there. Durable: unlike
    jobs, rows are never pruned by age.
    """

    integration = models.CharField(max_length=100)
    channel = models.CharField(max_length=255)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=255)
    provider_id = models.CharField(max_length=255, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "saleor_plugins_held"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "channel", "object_type", "object_id"],
                name="saleor_plugins_held_once",
            )
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="saleor_plugins_held_object"),
        ]
