"""The Saleor plugin: settings and status from the kernel, plus the feed URLs.

- ``plugins/channel/<channel>/saleor_plugins.google_merchant/feed.xml`` (and ``feed.tsv``)
  serve the channel's published feed files;
- the dashboard's sync status adds the last feed run and the Merchant Center statuses;
- ticking "Start a full sync" or "Regenerate the feed" and saving starts it in the worker.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpResponseNotFound
from saleor.core.db.connection import allow_writer

from ..adapter.plugin import STATUS_FIELD, IntegrationPlugin
from . import feed, statuses, tasks
from .connector import GoogleMerchantIntegration

FEED_PATHS = {"feed.xml": "xml", "feed.tsv": "tsv"}
TRIGGERS = ("start_full_sync", "regenerate_feed")


class GoogleMerchantPlugin(IntegrationPlugin):
    integration = GoogleMerchantIntegration

    @classmethod
    def pre_save_plugin_configuration(cls, plugin_configuration: Any) -> None:
        super().pre_save_plugin_configuration(plugin_configuration)
        channel = getattr(plugin_configuration, "channel", None)
        wanted = set()
        for item in plugin_configuration.configuration:
            if item.get("name") in TRIGGERS:
                if str(item.get("value")).lower() in ("true", "1", "on"):
                    wanted.add(item["name"])
                item["value"] = False
        if channel is None or not plugin_configuration.active or not wanted:
            return
        slug = channel.slug
        if "start_full_sync" in wanted:
            transaction.on_commit(lambda: tasks.full_sync.delay(slug))
        if "regenerate_feed" in wanted:
            transaction.on_commit(lambda: tasks.generate_feed.delay(slug, force=True))

    def resolve_plugin_configuration(self, request: Any) -> Any:
        configuration = super().resolve_plugin_configuration(request)
        if self.channel is None:
            return configuration
        with allow_writer():
            extra = f"{feed.summary(self.channel.slug)}. {statuses.summary(self.channel.slug)}."
        for item in configuration:
            if item.get("name") == STATUS_FIELD:
                item["value"] = f"{item.get('value') or ''}\n{extra}".strip()
        return configuration

    def webhook(self, request: Any, path: str, previous_value: Any) -> Any:
        fmt = FEED_PATHS.get(path.strip("/"))
        if fmt is None:
            return super().webhook(request, path, previous_value)
        if not self.active or self.channel is None:
            return HttpResponseNotFound()
        with allow_writer():
            found = feed.open_published(self.channel.slug, fmt)
        if found is None:
            return HttpResponseNotFound("No feed published yet for this channel.")
        handle, content_type = found
        return FileResponse(handle, content_type=content_type)
