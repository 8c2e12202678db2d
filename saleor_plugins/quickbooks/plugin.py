"""The Saleor plugin: booking hooks from the base class, plus the QuickBooks connect pages.

Under the plugin's channel URL (``/plugins/channel/<slug>/saleor_plugins.quickbooks/…``):
``connect?t=…`` sends the merchant to Intuit's consent screen (the signed link, valid
for an hour, is on the plugin's page; register this URL as the app's Launch and
Reconnect URL), ``callback`` is where Intuit sends them back with the company's
``realmId`` (register it as the redirect URI), ``reconnect`` is the Reconnect URL to
register (Intuit links it when the connection is lost: it cannot carry our signature,
so it starts nothing and sends the merchant to the plugin's page), and
``disconnect?t=…`` (POST) revokes the connection.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django.http import HttpResponse

from ..adapter.connect import ConnectPlugin, page
from ..core import oauth
from ..core.errors import IntegrationError
from .client import provider
from .connector import QuickBooksIntegration, complete
from .settings import QuickBooksSettings

REALM_MAX = 32


class QuickBooksPlugin(ConnectPlugin):
    integration = QuickBooksIntegration
    provider_label = "QuickBooks"
    open_routes = frozenset({"reconnect"})

    def oauth_provider(self, settings: QuickBooksSettings) -> oauth.Provider:
        return provider(settings)

    def open_route(self, name: str, request: Any) -> HttpResponse:
        # Intuit's Reconnect URL cannot carry our signature: starting a consent here would
        # let anyone connect their own company to this channel
        return page(
            "Reconnect QuickBooks",
            "<p>Open <em>Plugins → QuickBooks Online</em> for this channel in the Saleor "
            "dashboard and follow its Connect link.</p>",
        )

    def callback(self, request: Any, settings: QuickBooksSettings) -> HttpResponse:
        assert self.channel is not None
        realm = request.GET.get("realmId", "")
        if not realm.isdigit() or len(realm) > REALM_MAX:
            return page("Connection refused", "<p>Intuit sent no company (realmId).</p>", 400)
        if settings.realm_id and realm != settings.realm_id:
            return page(
                "Wrong company",
                f"<p>This channel books into company {escape(settings.realm_id)}; "
                "choose that company on Intuit's screen.</p>",
                400,
            )
        try:
            complete(settings, self.channel.slug, request.GET, self.base_url(request) + "callback")
        except oauth.StateRefused as e:
            return page("Connection refused", f"<p>{escape(str(e))}</p>", 403)
        except IntegrationError as e:
            return page("QuickBooks did not answer", f"<p>{escape(e.message[:300])}</p>", 502)
        return page("QuickBooks connected", f"<p>Booking into company {escape(realm)}.</p>")
