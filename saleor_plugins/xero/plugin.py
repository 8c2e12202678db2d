"""The Saleor plugin: booking hooks from the base class, plus the Xero connection pages.

Under the plugin's channel URL (``/plugins/channel/<slug>/saleor_plugins.xero/…``):
``connect?t=…`` sends the merchant to Xero's consent screen (the link, signed and valid
for an hour, is shown on the plugin's page, so only staff who can configure plugins
have it), ``callback`` is where Xero sends them back (register that URL in your Xero
app), ``choose?t=…`` picks the organisation when several were connected, and
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
from ..core.models import Connection
from ..core.settings import SettingsErrors
from .client import XeroClient, provider
from .connector import XeroIntegration
from .settings import XeroSettings

LINK_MAX_AGE = 3600


def _salt(channel: str) -> str:
    return f"saleor_plugins.xero.link.{channel}"


def _page(title: str, body: str, status: int = 200) -> HttpResponse:
    html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>{body}"
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


class XeroPlugin(IntegrationPlugin):
    integration = XeroIntegration

    def _base(self, request: Any) -> str:
        assert self.channel is not None
        return request.build_absolute_uri(f"/plugins/channel/{self.channel.slug}/{self.PLUGIN_ID}/")

    def _settings(self) -> XeroSettings:
        items = [i for i in self.configuration if i.get("name") != STATUS_FIELD]
        return XeroSettings.from_configuration(items, active=True)

    def resolve_plugin_configuration(self, request: Any) -> Any:
        configuration = super().resolve_plugin_configuration(request)
        if self.channel is None or request is None:
            return configuration
        token = signing.dumps({"a": "connect"}, salt=_salt(self.channel.slug))
        # GraphQL queries may only read from Saleor's replica connection
        replica = getattr(django_settings, "DATABASE_CONNECTION_REPLICA_NAME", "default")
        line = oauth.describe(self.PLUGIN_ID, self.channel.slug, using=replica)
        link = f"{self._base(request)}connect?t={token}"
        for item in configuration:
            if item.get("name") == STATUS_FIELD:
                item["value"] = f"{item.get('value') or ''}\nXero: {line} Connect: {link}".strip()
        return configuration

    def webhook(self, request: Any, path: str, previous_value: Any) -> HttpResponse:
        if not self.active or self.channel is None:
            return HttpResponseNotFound()
        route = path.strip("/").split("/")[-1]
        if route not in ("connect", "callback", "choose", "disconnect"):
            return super().webhook(request, path, previous_value)
        try:
            settings = self._settings()
        except SettingsErrors:
            return _page("Xero is not configured", "<p>Fill the plugin's settings first.</p>", 400)
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
            if route == "choose" and claims.get("a") == "choose":
                Connection.objects.filter(integration=self.PLUGIN_ID, channel=slug).update(
                    tenant_id=str(claims["id"]), tenant_name=str(claims.get("name", ""))
                )
                return _page(
                    "Xero connected", f"<p>Booking into {escape(str(claims.get('name')))}.</p>"
                )
            if route == "disconnect" and request.method == "POST" and claims.get("a") == "connect":
                oauth.disconnect(provider(settings), self.PLUGIN_ID, slug)
                return _page("Xero disconnected", "<p>Tokens revoked and forgotten.</p>")
        return HttpResponseNotFound()

    def _callback(self, request: Any, settings: XeroSettings) -> HttpResponse:
        assert self.channel is not None
        slug = self.channel.slug
        if request.GET.get("error"):
            return _page(
                "Xero was not connected", f"<p>{escape(request.GET['error'][:200])}</p>", 400
            )
        try:
            oauth.complete(
                provider(settings), self.PLUGIN_ID, slug,
                state=request.GET.get("state", ""), code=request.GET.get("code", ""),
                redirect_uri=self._base(request) + "callback",
            )  # fmt: skip
            tenants = XeroClient(settings, slug).tenants()
        except oauth.StateRefused as e:
            return _page("Connection refused", f"<p>{escape(str(e))}</p>", 403)
        except IntegrationError as e:
            return _page("Xero did not answer", f"<p>{escape(e.message[:300])}</p>", 502)
        organisations = [t for t in tenants if t.get("type", "ORGANISATION") == "ORGANISATION"]
        conn = Connection.objects.get(integration=self.PLUGIN_ID, channel=slug)
        conn.tenants = organisations
        if len(organisations) == 1 or settings.tenant_id:
            chosen = next(
                (t for t in organisations if t["id"] == settings.tenant_id), organisations[0]
            )
            conn.tenant_id, conn.tenant_name = chosen["id"], chosen["name"]
            conn.save(update_fields=["tenants", "tenant_id", "tenant_name"])
            return _page("Xero connected", f"<p>Booking into {escape(chosen['name'])}.</p>")
        conn.save(update_fields=["tenants"])

        def choice(t: dict[str, str]) -> str:
            token = signing.dumps(
                {"a": "choose", "id": t["id"], "name": t["name"]}, salt=_salt(slug)
            )
            return (
                f'<li><a href="{self._base(request)}choose?t={token}">{escape(t["name"])}</a></li>'
            )

        links = "".join(choice(t) for t in organisations)
        return _page("Choose the organisation", f"<ul>{links}</ul>")
