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

from django.conf import settings as django_settings
from django.core import signing
from django.http import HttpResponse, HttpResponseNotFound, HttpResponseRedirect

from ..adapter.plugin import STATUS_FIELD, IntegrationPlugin
from ..core import oauth
from ..core.errors import IntegrationError
from ..core.host import writer_scope
from ..core.settings import SettingsErrors
from .client import provider
from .connector import QuickBooksIntegration, complete
from .settings import QuickBooksSettings

LINK_MAX_AGE = 3600
REALM_MAX = 32


def _salt(channel: str) -> str:
    return f"saleor_plugins.quickbooks.link.{channel}"


def _page(title: str, body: str, status: int = 200) -> HttpResponse:
    html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>{body}"
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


class QuickBooksPlugin(IntegrationPlugin):
    integration = QuickBooksIntegration

    def _base(self, request: Any) -> str:
        assert self.channel is not None
        return request.build_absolute_uri(f"/plugins/channel/{self.channel.slug}/{self.PLUGIN_ID}/")

    def _settings(self) -> QuickBooksSettings:
        items = [i for i in self.configuration if i.get("name") != STATUS_FIELD]
        return QuickBooksSettings.from_configuration(items, active=True)

    def resolve_plugin_configuration(self, request: Any) -> Any:
        configuration = super().resolve_plugin_configuration(request)
        if self.channel is None or request is None:
            return configuration
        token = signing.dumps({"a": "connect"}, salt=_salt(self.channel.slug))
        replica = getattr(django_settings, "DATABASE_CONNECTION_REPLICA_NAME", "default")
        line = oauth.describe(self.PLUGIN_ID, self.channel.slug, using=replica)
        link = f"{self._base(request)}connect?t={token}"
        for item in configuration:
            if item.get("name") == STATUS_FIELD:
                value = f"{item.get('value') or ''}\nQuickBooks: {line} Connect: {link}"
                item["value"] = value.strip()
        return configuration

    def webhook(self, request: Any, path: str, previous_value: Any) -> HttpResponse:
        if not self.active or self.channel is None:
            return HttpResponseNotFound()
        route = path.strip("/").split("/")[-1]
        if route not in ("connect", "callback", "disconnect", "reconnect"):
            return super().webhook(request, path, previous_value)
        if route == "reconnect":  # unsigned: starting a consent here would let anyone
            # connect their own company to this channel
            return _page(
                "Reconnect QuickBooks",
                "<p>Open <em>Plugins → QuickBooks Online</em> for this channel in the Saleor "
                "dashboard and follow its Connect link.</p>",
            )
        try:
            settings = self._settings()
        except SettingsErrors:
            return _page("QuickBooks is not configured", "<p>Fill the settings first.</p>", 400)
        slug = self.channel.slug
        with writer_scope():
            if route == "callback":
                return self._callback(request, settings)
            try:
                claims = signing.loads(
                    request.GET.get("t", ""), salt=_salt(slug), max_age=LINK_MAX_AGE
                )
            except signing.BadSignature:
                return _page(
                    "Link expired", "<p>Open the plugin's page again for a new link.</p>", 403
                )
            if route == "connect" and claims.get("a") == "connect":
                url = oauth.begin(
                    provider(settings), self.PLUGIN_ID, slug, self._base(request) + "callback"
                )
                return HttpResponseRedirect(url)
            if route == "disconnect" and request.method == "POST" and claims.get("a") == "connect":
                oauth.disconnect(provider(settings), self.PLUGIN_ID, slug)
                return _page("QuickBooks disconnected", "<p>Tokens revoked and forgotten.</p>")
        return HttpResponseNotFound()

    def _callback(self, request: Any, settings: QuickBooksSettings) -> HttpResponse:
        assert self.channel is not None
        slug = self.channel.slug
        if request.GET.get("error"):
            return _page(
                "QuickBooks was not connected", f"<p>{escape(request.GET['error'][:200])}</p>", 400
            )
        realm = request.GET.get("realmId", "")
        if not realm.isdigit() or len(realm) > REALM_MAX:
            return _page("Connection refused", "<p>Intuit sent no company (realmId).</p>", 400)
        if settings.realm_id and realm != settings.realm_id:
            return _page(
                "Wrong company",
                f"<p>This channel books into company {escape(settings.realm_id)}; "
                "choose that company on Intuit's screen.</p>",
                400,
            )
        try:
            complete(settings, slug, request.GET, self._base(request) + "callback")
        except oauth.StateRefused as e:
            return _page("Connection refused", f"<p>{escape(str(e))}</p>", 403)
        except IntegrationError as e:
            return _page("QuickBooks did not answer", f"<p>{escape(e.message[:300])}</p>", 502)
        return _page("QuickBooks connected", f"<p>Booking into company {escape(realm)}.</p>")
