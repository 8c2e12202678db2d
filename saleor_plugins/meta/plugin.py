"""The Saleor plugin: settings, status and the token check come from the kernel; it adds
the CSV feed at ``plugins/channel/<channel>/saleor_plugins.meta/feed.csv``."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseForbidden, HttpResponseNotFound, StreamingHttpResponse
from django.utils import timezone
from saleor.core.db.connection import allow_writer

from ..adapter.plugin import STATUS_FIELD, IntegrationPlugin
from ..core.host import get_host
from ..core.settings import SettingsErrors
from . import catalog, feed
from .connector import MetaIntegration
from .settings import MetaSettings


class MetaPlugin(IntegrationPlugin):
    integration = MetaIntegration

    def resolve_plugin_configuration(self, request: Any) -> Any:
        configuration = super().resolve_plugin_configuration(request)
        if self.channel is None:
            return configuration
        with allow_writer():
            extra = catalog.summary(self.PLUGIN_ID, self.channel.slug)
        for item in configuration:
            if item.get("name") == STATUS_FIELD:
                item["value"] = f"{item.get('value') or ''}\n{extra}.".strip()
        return configuration

    def webhook(self, request: Any, path: str, previous_value: Any) -> Any:
        if path.strip("/") != "feed.csv":
            return super().webhook(request, path, previous_value)
        if not self.active or self.channel is None:
            return HttpResponseNotFound()
        try:
            settings = MetaSettings.from_configuration(self.configuration)
        except SettingsErrors:
            return HttpResponseNotFound()
        if not feed.authorised(settings, request.GET, request.headers.get("Authorization", "")):
            return HttpResponseForbidden()
        slug = self.channel.slug

        def stream() -> Any:
            with allow_writer():
                products = get_host().iter_objects("product", slug)
                yield from feed.lines(products, settings, slug, timezone.now())

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        return response
