"""The kernel's :class:`~saleor_plugins.core.host.Host` over Saleor's models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from ..core.host import Change, Installation
from . import activation, readers, routing, stock


class SaleorHost:
    def writer_scope(self) -> AbstractContextManager[Any]:
        from saleor.core.db.connection import allow_writer

        return allow_writer()

    def installation_sql(self) -> str:
        """:meth:`installation` as SQL, so delivery reads it inside its claim."""
        from saleor.channel.models import Channel
        from saleor.plugins.models import PluginConfiguration

        return (
            "SELECT pc.active, CASE WHEN jsonb_typeof(pc.configuration) = 'array' "
            "THEN pc.configuration ELSE '[]'::jsonb END "
            f"FROM {PluginConfiguration._meta.db_table} pc "
            f"JOIN {Channel._meta.db_table} ch ON ch.id = pc.channel_id "
            "WHERE pc.identifier = {integration} AND ch.slug = {channel} LIMIT 1"
        )

    def installation(self, integration: str, channel: str) -> Installation | None:
        # every delivery reads this: the configuration only (active_since stays None)
        from saleor.plugins.models import PluginConfiguration

        row = (
            PluginConfiguration.objects.filter(identifier=integration, channel__slug=channel)
            .values_list("active", "configuration")
            .first()
        )
        if row is None:
            return None
        return Installation(integration, channel, bool(row[0]), list(row[1] or []))

    def installations(self, integration: str | None = None) -> list[Installation]:
        from django.db.models import DateTimeField
        from django.db.models.expressions import RawSQL
        from saleor.plugins.models import PluginConfiguration

        rows = PluginConfiguration.objects.filter(channel__isnull=False)
        if integration:
            rows = rows.filter(identifier=integration)
        since = RawSQL(activation.ACTIVE_SINCE_SQL, (), DateTimeField())  # noqa: S611 - constant
        values = rows.annotate(since=since).values_list(
            "identifier", "channel__slug", "active", "configuration", "since"
        )
        return [
            Installation(i, c, bool(a), list(conf or []), at if a else None)
            for i, c, a, conf, at in values
        ]

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        return readers.read(object_type, object_id, channel)

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        return readers.iter_ids(object_type, channel)

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        return readers.iter_objects(object_type, channel, page_size=page_size)

    def recent_changes(self, since: datetime) -> Iterator[Change]:
        return readers.recent_changes(since)

    def customer_channels(self, customer_id: str) -> tuple[str, ...]:
        return tuple(sorted(routing.customer_channels(customer_id)))

    # -- changes no hook reports -----------------------------------------------------------
    def install(self, using: str = "default") -> None:
        """Triggers on Saleor's tables: stock changes (Saleor 3.24 calls no plugin hook for
        them) and when each plugin configuration became active (it keeps no timestamp)."""
        from django.db import connections

        with connections[using].cursor() as cursor:
            cursor.execute(stock.INSTALL_SQL)
            cursor.execute(activation.INSTALL_SQL)

    def drain_changes(self) -> Iterator[Change]:
        """Products whose stock changed since the last drain, with their channels."""
        return stock.drain()
