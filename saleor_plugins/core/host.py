"""What the kernel needs from the store it runs in.

The Saleor adapter implements this against Saleor's models; the demo implements it over
a built-in store. The kernel never imports either: it asks :func:`get_host`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_HOST = "saleor_plugins.adapter.host.SaleorHost"


@dataclass(frozen=True, slots=True)
class Installation:
    integration: str
    channel: str
    active: bool
    configuration: list[dict[str, Any]]
    #: when it last became active in the channel, as given by ``Host.installations()``
    #: (None: inactive, or the host cannot tell). Reconciliation emits nothing for changes
    #: before it, as the hooks did not either; nothing at all where it is None.
    active_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """Something the store changed recently, for reconciliation."""

    event: str  # an EventType value
    object_id: str
    channels: tuple[str, ...]
    changed_at: datetime
    version: str = ""


class Host(Protocol):
    def installation(self, integration: str, channel: str) -> Installation | None:
        """The stored configuration of an integration in a channel (None: never saved)."""

    # Optional: ``installation_sql() -> str``, a SELECT of (active, configuration jsonb)
    # for the installation whose integration and channel are the SQL expressions
    # ``{integration}`` and ``{channel}``; delivery then reads it inside its claim
    # instead of calling :meth:`installation` (one round trip less per job).

    def installations(self, integration: str | None = None) -> list[Installation]:
        """Every stored per-channel configuration (of one integration, or all), with
        ``active_since`` filled in for the active ones."""

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        """A snapshot of the object as the channel sees it; None when it is gone."""

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        """Every object of that type in the channel, for backfills (streamed)."""

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        """Snapshots of every object of that type in the channel, page by page."""

    def recent_changes(self, since: datetime) -> Iterator[Change]:
        """What changed since ``since`` (orders, products, customers)."""

    def customer_channels(self, customer_id: str) -> tuple[str, ...]:
        """Channels where the customer ordered, checked out or registered."""


def writer_scope() -> AbstractContextManager[Any]:
    """What the host wants around a worker's database work (Saleor: writer access).

    Saleor's Celery tasks and its optional middleware refuse, or log, queries to the
    primary database outside ``allow_writer()``; jobs must read what was just written.
    """
    scope = getattr(get_host(), "writer_scope", None)
    return scope() if scope is not None else nullcontext()


@cache
def get_host() -> Host:
    path = getattr(settings, "SALEOR_PLUGINS_HOST", DEFAULT_HOST)
    host: Host = import_string(path)()
    return host
