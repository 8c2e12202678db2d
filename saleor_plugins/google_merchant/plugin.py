"""The Saleor plugin: settings and status from the kernel, plus the feed URLs.

- ``plugins/channel/<channel>/saleor_plugins.google_merchant/<feed token>/feed.xml`` (and
  ``feed.tsv``), or ``…/feed.xml`` with HTTP basic auth whose password is the feed token,
  serve the channel's published feed files. Anything else (no token configured, a wrong
  or missing token, no feed published yet, an unknown file) gets the 404 Saleor gives
  for a channel where the plugin is not active: same status, body and headers, so the
  answers tell a stranger nothing about which channels exist. Tokens are compared in
  constant time; the token is a secret setting, so the log scrubber knows it;
- the dashboard's sync status adds the last feed run and the Merchant Center statuses;
- ticking "Start a full sync" or "Regenerate the feed" and saving starts it in the worker.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpResponseNotFound
from saleor.core.db.connection import allow_writer

from ..adapter.plugin import STATUS_FIELD, IntegrationPlugin
from ..catalog.guard import basic_auth_password, feed_token_matches
from ..core.settings import SettingsErrors
from . import feed, statuses, tasks
from .connector import GoogleMerchantIntegration
from .settings import GoogleMerchantSettings

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
        extra += f"\n{self._feed_url_line(self.channel.slug)}"
        for item in configuration:
            if item.get("name") == STATUS_FIELD:
                item["value"] = f"{item.get('value') or ''}\n{extra}".strip()
        return configuration

    def webhook(self, request: Any, path: str, previous_value: Any) -> Any:
        *token, name = (path or "").strip("/").split("/")
        fmt = FEED_PATHS.get(name)
        if fmt is None or len(token) > 1:
            return super().webhook(request, path, previous_value)
        if not self.active or self.channel is None:
            return HttpResponseNotFound()
        authorization = request.headers.get("Authorization", "")
        presented = token[0] if token else basic_auth_password(authorization)
        if not feed_token_matches(self._feed_token(), presented):
            return HttpResponseNotFound()
        with allow_writer():
            found = feed.open_published(self.channel.slug, fmt)
        if found is None:
            return HttpResponseNotFound()
        handle, content_type = found
        return FileResponse(handle, content_type=content_type)

    def _feed_token(self) -> str:
        try:
            settings = GoogleMerchantSettings.from_configuration(self.configuration)
        except SettingsErrors:
            return ""
        return settings.secret("feed_token")

    def _feed_url_line(self, channel: str) -> str:
        """Where the feed is served, the token left as a placeholder (the merchant chose
        it; the dashboard shows secrets masked, and so does this line). Saleor has masked
        the configuration by now: only whether a token is set can be seen."""
        token_set = any(
            i.get("name") == "feed_token" and i.get("value") for i in self.configuration
        )
        if not token_set:
            return "Feed not served: set a feed token to serve it."
        from saleor.core.utils import build_absolute_uri

        base = build_absolute_uri(f"/plugins/channel/{channel}/{self.PLUGIN_ID}")
        return (
            f"Feed URL: {base}/<feed token>/feed.xml (or feed.tsv); or {base}/feed.xml "
            "with HTTP basic auth, the feed token as password."
        )
