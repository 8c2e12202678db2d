"""The Saleor plugin: settings and status from the kernel, plus two public storefront URLs.

- ``plugins/channel/<channel>/saleor_plugins.google_tag_manager/config.json``: the
  container id, measurement id, consent defaults and the metadata keys the storefront
  writes (never the API secret); public and cacheable;
- ``…/orders/<order token>/ecommerce.json``: the GA4 ``ecommerce`` object of an order in
  this channel, for the thank-you page's dataLayer ``purchase`` push (same transaction_id
  and items as the server-side event, so GA4 counts the purchase once).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound

from ..adapter.plugin import IntegrationPlugin
from ..core.host import get_host
from ..core.settings import SettingsErrors
from . import mapping
from .connector import GoogleTagManagerIntegration
from .settings import GoogleTagManagerSettings

CONFIG_PATH = "config.json"
ORDER_PATH = re.compile(r"^orders/(?P<token>[0-9a-fA-F-]{36})/ecommerce\.json$")
CONFIG_MAX_AGE = 300


def _json(body: Any, cache: str) -> HttpResponse:
    response = HttpResponse(json.dumps(body), content_type="application/json")
    response["Cache-Control"] = cache
    response["Access-Control-Allow-Origin"] = "*"
    return response


class GoogleTagManagerPlugin(IntegrationPlugin):
    integration = GoogleTagManagerIntegration

    def _settings(self) -> GoogleTagManagerSettings | None:
        items = [
            i for i in self.configuration if i.get("name") in GoogleTagManagerSettings.model_fields
        ]
        try:
            return GoogleTagManagerSettings.from_configuration(items, active=True)
        except SettingsErrors:
            return None

    def webhook(self, request: Any, path: str, previous_value: Any) -> HttpResponse:
        path = path.strip("/")
        match = ORDER_PATH.match(path)
        if path != CONFIG_PATH and match is None:
            return super().webhook(request, path, previous_value)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        cfg = self._settings() if self.active and self.channel is not None else None
        if cfg is None or self.channel is None:
            return HttpResponseNotFound()
        if match is None:
            return _json(mapping.storefront_config(cfg), f"public, max-age={CONFIG_MAX_AGE}")
        order = get_host().read("order", match.group("token").lower(), self.channel.slug)
        if order is None or order.channel != self.channel.slug or order.status == "draft":
            return HttpResponseNotFound()
        # the order's token is the only key: no personal data in the answer, kept private
        return _json(
            {"event": "purchase", "ecommerce": mapping.ecommerce(order, cfg)}, "private, max-age=60"
        )
