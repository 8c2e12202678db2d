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
    #: the fencing token: raised by every claim; only the worker holding the current
    #: lease may record a result (a worker that outlived its lease is refused)
    lease = models.PositiveBigIntegerField(default=0)
    #: 0 live store events, 1 bulk work (backfill): bulk waits behind live
    priority = models.PositiveSmallIntegerField(default=0)
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
            # the claim's "no earlier unfinished job for this object" probe: only
            # unfinished rows, so its cost does not grow with the history of an object
            models.Index(
                fields=["integration", "channel", "object_type", "object_id", "id"],
                name="saleor_plugins_job_unfinished",
                condition=Q(status__in=["pending", "running"]),
            ),
            models.Index(
                fields=["priority", "not_before"],
                name="saleor_plugins_job_waiting",
                condition=Q(status="pending"),
            ),
            models.Index(  # dead jobs per integration and channel (status, telemetry)
                fields=["integration", "channel"],
                name="saleor_plugins_job_dead",
                condition=Q(status="dead"),
            ),
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
    #: the provider's ids of what this attempt wrote (``Outcome.provider_ids``)
    provider_ids = models.JSONField(default=dict, blank=True)
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
            models.Index(fields=["received_at"], name="saleor_plugins_inbound_recv"),
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
    #: what the provider booked, where it books money (accounting: the document's total)
    amount = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
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


class Connection(models.Model):
    """An OAuth connection of an integration in a channel; tokens encrypted at rest."""

    integration = models.CharField(max_length=100)
    channel = models.CharField(max_length=255)
    status = models.CharField(max_length=20, default="disconnected")
    tenant_id = models.CharField(max_length=255, blank=True, default="")
    tenant_name = models.CharField(max_length=255, blank=True, default="")
    token = models.TextField(blank=True, default="")  # Fernet: the provider's token set
    previous_refresh = models.TextField(blank=True, default="")  # Fernet, for the grace window
    rotated_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    pending_nonce = models.CharField(max_length=64, blank=True, default="")
    pending_verifier = models.TextField(blank=True, default="")  # Fernet: the PKCE verifier
    tenants = models.JSONField(default=list, blank=True)  # offered after consent, to pick from
    error = models.TextField(blank=True, default="")
    refreshes = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "saleor_plugins_connection"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "channel"], name="saleor_plugins_connection_once"
            )
        ]
