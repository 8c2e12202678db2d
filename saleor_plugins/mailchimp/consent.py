"""Writing consent back to the store: a seam, because only Saleor can do it.

An unsubscribe or a cleaned address reported by Mailchimp must clear the customer's
consent in the store, so that no later sync subscribes them again: in the channel whose
audience reported it, and nowhere else (a customer is shared by every channel; their
refusal for one channel is kept under :func:`channel_key`). The write needs the
store's models, so it is done by a *writer* registered by the host side: ``plugin.py``
registers the Saleor one; tests register their own. Without a writer the job fails
permanently (visible in the sync log) instead of pretending it succeeded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.errors import PermanentError


@dataclass(frozen=True, slots=True)
class Revocation:
    email: str
    channel: str
    metadata_key: str
    reason: str  # "unsubscribe" | "cleaned"
    detail: str = ""  # Mailchimp's reason (manual, abuse, hard, ...)


def channel_key(key: str, channel: str) -> str:
    """The customer's metadata key holding a refusal for one channel only."""
    return f"{key}.{channel}"


#: Returns how many store records (customers, open checkouts) it changed.
Writer = Callable[[Revocation], int]

_writer: Writer | None = None


def register_writer(writer: Writer | None) -> None:
    global _writer
    _writer = writer


def revoke(revocation: Revocation) -> int:
    if _writer is None:
        raise PermanentError(
            "no consent writer registered: the store cannot record the unsubscribe",
            provider="mailchimp",
        )
    return _writer(revocation)
