"""Circuit breaking per integration and channel.

An :class:`~saleor_plugins.core.errors.AuthenticationError` or
:class:`~saleor_plugins.core.errors.ConfigurationError` opens the circuit: jobs wait
(their attempts are not spent) until ``retry_at``, when one job probes. Another refusal
doubles the wait (5 min, 10 min ... capped at 6 h). Saving the plugin's configuration
closes the circuit at once, so fixed credentials are tried immediately.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from . import secrets
from .models import Circuit

FIRST_WAIT = timedelta(minutes=5)
MAX_WAIT = timedelta(hours=6)


def blocked_until(integration: str, channel: str) -> datetime | None:
    """When the next attempt may be made, or None if the circuit is closed/probing."""
    row = (
        Circuit.objects.filter(integration=integration, channel=channel, is_open=True)
        .values_list("retry_at", flat=True)
        .first()
    )
    if row is None or row <= timezone.now():
        return None
    return row


def open_circuit(integration: str, channel: str, reason: str) -> tuple[Circuit, bool]:
    """Open (or re-open) the circuit; returns it and whether it was newly opened."""
    now = timezone.now()
    with transaction.atomic():
        circuit, _ = Circuit.objects.select_for_update().get_or_create(
            integration=integration, channel=channel
        )
        newly = not circuit.is_open
        circuit.failures += 1
        wait = min(FIRST_WAIT * (2 ** (circuit.failures - 1)), MAX_WAIT)
        circuit.is_open = True
        circuit.opened_at = circuit.opened_at if not newly else now
        circuit.retry_at = now + wait
        circuit.reason = secrets.scrub(reason)[:2000]
        circuit.save()
    return circuit, newly


def close_circuit(integration: str, channel: str) -> None:
    Circuit.objects.filter(integration=integration, channel=channel).update(
        is_open=False, failures=0, retry_at=None, reason=""
    )


def close_circuit_if_open(integration: str, channel: str) -> None:
    """A successful call closes a probing circuit."""
    Circuit.objects.filter(integration=integration, channel=channel, is_open=True).update(
        is_open=False, failures=0, retry_at=None, reason=""
    )
