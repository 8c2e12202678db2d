"""An in-memory store: the kernel's Host over snapshots and configurations a test puts in.

The ``memory_host`` fixture makes one the host for a test (``SALEOR_PLUGINS_HOST``);
``host.install(...)`` saves an integration's configuration in a channel as the dashboard
would, ``host.put(snapshot)`` makes an order, product, customer, checkout or voucher
readable. Jobs still live in PostgreSQL: the kernel's outbox is SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone

from ..core import snapshots as s
from ..core.host import Change, Installation

_TYPES: dict[type, str] = {
    s.Order: "order",
    s.Product: "product",
    s.Customer: "customer",
    s.Checkout: "checkout",
    s.Voucher: "voucher",
}


class MemoryHost:
    """A Host whose store is two dictionaries (shared by every instance, like a database)."""

    installed: dict[tuple[str, str], Installation] = {}
    objects: dict[tuple[str, str], Any] = {}

    @classmethod
    def reset(cls) -> None:
        cls.installed.clear()
        cls.objects.clear()

    # -- what a test writes -------------------------------------------------------------
    def install(
        self, integration: str, channel: str, *, active: bool = True, **config: Any
    ) -> None:
        """Save the integration's settings in the channel (``name=value`` pairs)."""
        previous = self.installed.get((integration, channel))
        since = previous.active_since if previous is not None and previous.active else None
        self.installed[(integration, channel)] = Installation(
            integration,
            channel,
            active,
            [{"name": k, "value": v} for k, v in config.items()],
            (since or timezone.now()) if active else None,
        )

    def put(self, snapshot: Any, object_type: str | None = None) -> Any:
        """Make a snapshot readable by its id (its type from its class unless given)."""
        kind = object_type or _TYPES[type(snapshot)]
        self.objects[(kind, str(snapshot.id))] = snapshot
        return snapshot

    def remove(self, object_type: str, object_id: str) -> None:
        self.objects.pop((object_type, object_id), None)

    # -- the Host protocol ----------------------------------------------------------------
    def installation(self, integration: str, channel: str) -> Installation | None:
        return self.installed.get((integration, channel))

    def installations(self, integration: str | None = None) -> list[Installation]:
        return [i for i in self.installed.values() if integration in (None, i.integration)]

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        return self.objects.get((object_type, object_id))

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        for (kind, _), item in sorted(self.objects.items(), key=lambda kv: kv[0]):
            if kind == object_type and _in_channel(item, channel):
                yield item

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        for item in self.iter_objects(object_type, channel):
            yield str(item.id)

    def recent_changes(self, since: datetime) -> Iterator[Change]:
        return iter(())

    def customer_channels(self, customer_id: str) -> tuple[str, ...]:
        return tuple(
            sorted(
                {
                    item.channel
                    for (kind, _), item in self.objects.items()
                    if kind in ("order", "checkout")
                    and item.customer is not None
                    and item.customer.id == customer_id
                }
            )
        )


def _in_channel(item: Any, channel: str) -> bool:
    listing_in = getattr(item, "listing_in", None)
    if listing_in is not None:
        return listing_in(channel) is not None
    own = getattr(item, "channel", None)
    return own is None or own == channel
