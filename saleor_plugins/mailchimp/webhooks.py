"""Mailchimp's webhooks: audience changes and batch completion.

Mailchimp signs nothing; the URL carries a secret instead:

- ``list/<secret>``: the audience webhook (``unsubscribe``, ``cleaned``, ``upemail``...),
- ``batch/<secret>``: the account's batch webhook (``batch_operation_completed``).

Both are form-encoded (``data[email]=...``). Mailchimp checks a URL with a body-less GET
when it is saved: that verifies and carries no event. An audience event is accepted only
from the channel's own audience (its ``list_id``), and only what processing needs is
stored (not the member's merge fields).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ..core.webhooks import Rejected, VerifiedEvent

#: Audience events that withdraw consent in the store.
REVOKING = frozenset({"unsubscribe", "cleaned"})
KINDS = ("list", "batch")
#: the fields of an audience event kept for its job
KEPT = ("type", "fired_at", "list_id", "email", "action", "reason")


def parse_form(body: bytes) -> dict[str, str]:
    """``data[merges][EMAIL]=x`` -> ``{"merges.EMAIL": "x"}``; ``type`` stays ``type``."""
    out: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        if parts[0] == "data":
            parts = parts[1:]
        out[".".join(p for p in parts if p)] = value
    return out


class MailchimpReceiver:
    def verify(
        self, settings: Any, *, path: str, body: bytes, headers: Mapping[str, str]
    ) -> list[VerifiedEvent]:
        kind, _, given = path.strip("/").partition("/")
        expected = settings.secret("webhook_secret") if settings is not None else ""
        if kind not in KINDS:
            raise Rejected("unknown webhook path", status=404)
        if not expected:
            raise Rejected("the webhook secret is not configured", status=404)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Rejected("wrong webhook secret")
        if not body.strip():
            return []  # Mailchimp's check of the URL
        fields = parse_form(body)
        event_type = fields.get("type", "")
        if not event_type:
            raise Rejected("no event type in the webhook body")
        if kind == "batch":
            batch_id = fields.get("id", "")
            if not batch_id:
                raise Rejected("batch webhook without a batch id")
            return [
                VerifiedEvent(
                    f"batch:{batch_id}:{fields.get('status', '')}",
                    f"batch.{event_type}",
                    {"kind": "batch", **fields},
                )
            ]
        if fields.get("list_id", "") != getattr(settings, "audience_id", None):
            raise Rejected("the event is not from this channel's audience")
        digest = hashlib.sha256(body).hexdigest()[:40]
        kept = {k: fields[k][:320] for k in KEPT if k in fields}
        return [VerifiedEvent(f"list:{digest}", f"list.{event_type}", {"kind": "list", **kept})]
