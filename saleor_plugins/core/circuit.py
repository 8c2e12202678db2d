"""Circuit breaking per integration and channel.

An :class:`~saleor_plugins.core.errors.AuthenticationError` or
:class:`~saleor_plugins.core.errors.ConfigurationError` opens the circuit: jobs wait
(their attempts are not spent) until ``retry_at``, when exactly one job probes (the
others keep waiting for its result). Another refusal doubles the wait (5 min, 10 min ...
capped at 6 h). Saving the plugin's configuration closes the circuit at once and
re-dispatches the waiting jobs, so fixed credentials are tried immediately.

Delivery reads and probes the circuit inside its claim, and closes it inside the
statement that records a success (:data:`PROBE_CTE`, :data:`STATE`, :func:`close_ctes`):
no round trip of its own. The functions below are the same rules as statements of
their own, for callers outside delivery. Every time is the database's (:mod:`.clock`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from . import clock, secrets
from .handoff import dispatch_on_commit

FIRST_WAIT = timedelta(minutes=5)
MAX_WAIT = timedelta(hours=6)
#: How long the other jobs wait for the one probing call once ``retry_at`` is reached.
PROBE_WAIT = timedelta(seconds=60)

NOW = clock.NOW

#: Wins the probe for the rows of ``{source}`` (a CTE with integration and channel)
#: whose circuit is open and due: one UPDATE, so N workers make one call, not N.
PROBE_CTE = f"""probe AS (
  UPDATE saleor_plugins_circuit AS k SET retry_at = {NOW} + %(probe_wait)s
    FROM {{source}} AS s
   WHERE k.integration = s.integration AND k.channel = s.channel
     AND k.is_open AND k.retry_at <= {NOW}
  RETURNING k.id)"""

#: When the caller may call again (NULL: now), given the circuit row ``c`` (may be NULL)
#: as the statement saw it and the ``probe`` CTE above.
STATE = f"""CASE WHEN c.id IS NULL OR NOT c.is_open THEN NULL
     WHEN c.retry_at > {NOW} THEN c.retry_at
     WHEN EXISTS (SELECT 1 FROM probe) THEN NULL
     ELSE {NOW} + %(probe_wait)s END"""


def close_ctes(integration: str, channel: str, condition: str = "true") -> str:
    """CTEs ``closed`` and ``released``: close an open circuit when ``condition`` holds
    and bring forward the jobs parked until its ``retry_at`` (returned by ``released``).

    A job in ordinary backoff that was due before then is released too: one early retry
    is cheaper than telling jobs apart by why they wait.
    """
    return f"""closed AS (
  UPDATE saleor_plugins_circuit AS k
     SET is_open = false, failures = 0, retry_at = NULL, reason = ''
    FROM (SELECT id, retry_at FROM saleor_plugins_circuit
           WHERE integration = {integration} AND channel = {channel} AND is_open) AS o
   WHERE k.id = o.id AND k.is_open AND ({condition})
  RETURNING o.retry_at),
released AS (
  UPDATE saleor_plugins_job AS w SET not_before = LEAST(w.not_before, {NOW})
    FROM closed
   WHERE w.integration = {integration} AND w.channel = {channel} AND w.status = 'pending'
     AND w.not_before <= GREATEST(closed.retry_at, {NOW}) + %(probe_wait)s
  RETURNING w.id)"""


_BLOCKED = f"""
WITH s AS (SELECT %(integration)s AS integration, %(channel)s AS channel),
{PROBE_CTE.format(source="s")}
SELECT {STATE}
  FROM saleor_plugins_circuit AS c
 WHERE c.integration = %(integration)s AND c.channel = %(channel)s
"""

_OPEN = f"""
INSERT INTO saleor_plugins_circuit AS c
       (integration, channel, is_open, opened_at, retry_at, failures, reason)
VALUES (%(integration)s, %(channel)s, true, {NOW}, {NOW} + %(first)s, 1, %(reason)s)
ON CONFLICT (integration, channel) DO UPDATE SET
       is_open = true,
       opened_at = CASE WHEN c.is_open THEN c.opened_at ELSE {NOW} END,
       failures = c.failures + 1,
       retry_at = {NOW} + LEAST(%(first)s * power(2, c.failures), %(max)s),
       reason = EXCLUDED.reason
RETURNING c.retry_at, c.opened_at = {NOW}
"""

_CLOSE = """
UPDATE saleor_plugins_circuit AS k
   SET is_open = false, failures = 0, retry_at = NULL, reason = ''
  FROM (SELECT id, retry_at FROM saleor_plugins_circuit
         WHERE integration = %(integration)s AND channel = %(channel)s AND is_open) AS o
 WHERE k.id = o.id AND k.is_open
RETURNING o.retry_at
"""

#: the jobs parked until the closed circuit's ``retry_at`` (see :func:`close_ctes`)
_RELEASE = f"""
UPDATE saleor_plugins_job SET not_before = LEAST(not_before, {NOW})
 WHERE integration = %(integration)s AND channel = %(channel)s AND status = 'pending'
   AND not_before <= GREATEST(%(retry_at)s::timestamptz, {NOW}) + %(probe_wait)s
RETURNING id
"""


def _params(integration: str, channel: str, **extra: Any) -> dict[str, Any]:
    return clock.params(integration=integration, channel=channel, probe_wait=PROBE_WAIT, **extra)


def blocked_until(integration: str, channel: str) -> datetime | None:
    """When the next attempt may be made, or None if the caller may call the provider.

    Once ``retry_at`` is reached exactly one caller wins the probe; the others are told
    to wait :data:`PROBE_WAIT`.
    """
    with connection.cursor() as cursor:
        cursor.execute(_BLOCKED, _params(integration, channel))
        row = cursor.fetchone()
    return row[0] if row else None


def open_circuit(integration: str, channel: str, reason: str) -> tuple[datetime, bool]:
    """Open (or re-open) the circuit; returns its ``retry_at`` and whether it was newly
    opened (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _OPEN,
            _params(
                integration,
                channel,
                first=FIRST_WAIT,
                max=MAX_WAIT,
                reason=secrets.scrub(reason)[:2000],
            ),
        )
        retry_at, newly = cursor.fetchone()
    return retry_at, bool(newly)


def close_circuit(integration: str, channel: str) -> list[int]:
    """Close the circuit (new credentials saved) and re-dispatch the jobs that waited.

    Returns the ids of the released jobs (dispatched once the transaction commits).
    """
    # Two statements: a worker recording a job that found the circuit open holds the
    # circuit row (FOR SHARE) until it commits, so the closing UPDATE waits for it and the
    # release, a statement of its own, then sees that job parked; a worker recording
    # after the close sees the circuit closed and parks nothing.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLOSE, _params(integration, channel))
        row = cursor.fetchone()
        if row is None:
            return []
        cursor.execute(_RELEASE, _params(integration, channel, retry_at=row[0]))
        ids = [r[0] for r in cursor.fetchall()]
    if ids:
        dispatch_on_commit(ids)
    return ids


def close_circuit_if_open(integration: str, channel: str) -> list[int]:
    """A successful call closes a probing circuit (one statement; nothing when closed)."""
    return close_circuit(integration, channel)
