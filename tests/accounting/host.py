"""The kernel's Host for one accounting integration over a dict of order snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from saleor_plugins.core.host import Installation


class OrdersHost:
    """Orders and the integration's per-channel configurations, class-level (one per test:
    a fixture replaces ``orders`` and ``configs``). A subclass names its ``integration``."""

    integration: ClassVar[str]
    orders: ClassVar[dict[str, Any]] = {}
    configs: ClassVar[dict[str, tuple[bool, dict[str, Any]]]] = {}

    def installation(self, integration: str, channel: str) -> Installation | None:
        if integration != self.integration or channel not in self.configs:
            return None
        active, values = self.configs[channel]
        return Installation(
            integration, channel, active, [{"name": k, "value": v} for k, v in values.items()]
        )

    def installations(self, integration: str | None = None) -> list[Installation]:
        found = [self.installation(self.integration, c) for c in self.configs]
        return [i for i in found if i is not None]

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        return self.orders.get(object_id) if object_type == "order" else None

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        return iter(list(self.orders) if object_type == "order" else [])

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        return iter(list(self.orders.values()) if object_type == "order" else [])

    def recent_changes(self, since: Any) -> Iterator[Any]:
        return iter(())

    def customer_channels(self, customer_id: str) -> tuple[str, ...]:
        return ()
