"""Inbound provider webhooks: verify, store, dedupe, dispatch.

A receiver (one per integration) verifies the request and returns the events it carries;
it raises :class:`Rejected` for a missing or forged signature, *before anything is
written*. Each event is stored once per provider event id (a unique constraint makes
concurrent duplicates safe) and handed to the kernel as a ``webhook_received`` job, so the
processing happens in a worker, not in the provider's request.

What is stored is the receiver's ``payload``: only what processing needs (a receiver
drops the provider's secrets and the customer's details), and it is kept as long as the
jobs: :func:`prune` deletes events past the sync log's retention whose jobs are done.
Events are stored once per *integration*, not per channel: channels sharing a provider
account receive the same events, and the integration hands an event that belongs to
another channel over with :func:`forward`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Cast

from . import secrets
from .events import EventType
from .models import InboundEvent, Job, JobStatus
from .outbox import emit
from .settings import ChannelSettings, SettingsErrors

logger = logging.getLogger(__name__)


class Rejected(Exception):
    """The request is not from the provider (or not for us): answer ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    id: str
    type: str
    payload: dict[str, Any]  # what processing needs, nothing more (it is stored)


class Receiver(Protocol):
    def verify(
        self, settings: Any, *, path: str, body: bytes, headers: Mapping[str, str]
    ) -> list[VerifiedEvent]:
        """Check the signature and parse the events; raise :class:`Rejected` if forged."""


def receive(
    receiver: Receiver,
    *,
    integration: str,
    channel: str,
    settings_class: type[ChannelSettings] | None = None,
    settings: Any = None,
    configuration: list[dict[str, Any]] | None = None,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
) -> tuple[int, str]:
    """Handle one webhook request; returns (HTTP status, JSON body)."""
    if settings is None and settings_class is not None:
        try:
            settings = settings_class.from_configuration(configuration or [], active=True)
        except SettingsErrors:
            return 503, json.dumps({"error": "integration is not configured"})
    try:
        events = receiver.verify(settings, path=path, body=body, headers=headers)
    except Rejected as e:
        logger.warning(
            "saleor_plugins: %s webhook rejected: %s", integration, secrets.scrub(str(e))
        )
        return e.status, json.dumps({"error": str(e)})
    stored = 0
    for event in events:
        if store(integration, channel, event):
            stored += 1
    return 200, json.dumps({"received": len(events), "new": stored})


def store(integration: str, channel: str, event: VerifiedEvent) -> bool:
    """Store the event and emit its job once; False when already received."""
    try:
        with transaction.atomic():
            inbound = InboundEvent.objects.create(
                integration=integration,
                channel=channel,
                provider_event_id=event.id,
                event_type=event.type,
                payload=event.payload,
            )
            emit(
                EventType.WEBHOOK_RECEIVED,
                str(inbound.pk),
                [(integration, channel)],
                payload={"type": event.type, "provider_event_id": event.id},
            )
    except IntegrityError:
        return False  # the same provider event id, received before (or concurrently)
    return True


def forward(inbound: InboundEvent, channel: str) -> bool:
    """Hand a stored event to the integration's installation in another channel.

    Once per channel, however often the caller's job runs: the job's dedupe key is the
    stored event. False when that channel already had it.
    """
    return bool(
        emit(
            EventType.WEBHOOK_RECEIVED,
            str(inbound.pk),
            [(inbound.integration, channel)],
            payload={"type": inbound.event_type, "provider_event_id": inbound.provider_event_id},
        )
    )


def prune(cutoff: datetime) -> int:
    """Delete events received before ``cutoff`` that no pending, running or dead job needs.

    A dead job keeps its event for replay; the jobs themselves are pruned by the sweep.
    """
    needed = Job.objects.filter(
        event=EventType.WEBHOOK_RECEIVED,
        object_type=EventType.WEBHOOK_RECEIVED.object_type,
        integration=models.OuterRef("integration"),
        object_id=Cast(models.OuterRef("pk"), output_field=models.CharField()),
        status__in=[JobStatus.PENDING, JobStatus.RUNNING, JobStatus.DEAD],
    )
    old = InboundEvent.objects.filter(received_at__lt=cutoff).exclude(models.Exists(needed))
    deleted, _ = old.delete()
    return deleted
