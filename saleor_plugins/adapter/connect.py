"""The OAuth connection pages every connected integration serves (Xero, QuickBooks).

Under the plugin's channel URL (``/plugins/channel/<slug>/<plugin id>/…``):

- ``connect?t=…`` sends the merchant to the provider's consent screen. The link is signed
  for the channel and valid for an hour, and only the plugin's page shows it, so only staff
  who may configure plugins have it: nobody else can connect their own organisation to
  the channel;
- ``callback`` is where the provider sends the merchant back (register that URL with the
  provider); what it then does is the integration's (:meth:`ConnectPlugin.callback`);
- ``disconnect?t=…`` (POST) revokes the connection and forgets its tokens;
- an integration adds its own routes in :meth:`ConnectPlugin.route`.
"""

from __future__ import annotations

from html import escape
from typing import Any, ClassVar

from django.conf import settings as django_settings
from django.core import signing
from django.http import HttpResponse, HttpResponseNotFound, HttpResponseRedirect

from ..core import oauth
from ..core.host import writer_scope
from ..core.settings import ChannelSettings, SettingsErrors
from .plugin import STATUS_FIELD, IntegrationPlugin

LINK_MAX_AGE = 3600


def page(title: str, body: str, status: int = 200) -> HttpResponse:
    """A minimal HTML page (``body`` is HTML the caller escaped)."""
    html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>{body}"
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


class ConnectPlugin(IntegrationPlugin):
    """An :class:`IntegrationPlugin` whose integration connects through OAuth."""

    #: the provider's name, as the merchant knows it
    provider_label: ClassVar[str] = ""
    #: the integration's own routes behind a signed link, answered by :meth:`route`
    signed_routes: ClassVar[frozenset[str]] = frozenset()
    #: routes anyone may open (a provider's fixed URL), answered by :meth:`open_route`:
    #: they must start nothing
    open_routes: ClassVar[frozenset[str]] = frozenset()

    # -- what the integration says ---------------------------------------------------------
    def oauth_provider(self, settings: Any) -> oauth.Provider:
        raise NotImplementedError

    def callback(self, request: Any, settings: Any) -> HttpResponse:
        """Complete the connection after consent; the page the merchant sees."""
        raise NotImplementedError

    def route(
        self, name: str, request: Any, settings: Any, claims: dict[str, Any]
    ) -> HttpResponse | None:
        """One of :attr:`signed_routes` (``claims``: the link's); None: not found."""
        return None

    def open_route(self, name: str, request: Any) -> HttpResponse:
        """One of :attr:`open_routes`."""
        return HttpResponseNotFound()

    # -- shared ----------------------------------------------------------------------------------
    def _salt(self) -> str:
        assert self.channel is not None
        return f"{self.PLUGIN_ID}.link.{self.channel.slug}"

    def sign(self, claims: dict[str, Any]) -> str:
        return signing.dumps(claims, salt=self._salt())

    def base_url(self, request: Any) -> str:
        assert self.channel is not None
        return request.build_absolute_uri(f"/plugins/channel/{self.channel.slug}/{self.PLUGIN_ID}/")

    def channel_settings(self) -> ChannelSettings:
        items = [i for i in self.configuration if i.get("name") != STATUS_FIELD]
        return self.integration.settings_class.from_configuration(items, active=True)

    def resolve_plugin_configuration(self, request: Any) -> Any:
        configuration = super().resolve_plugin_configuration(request)
        if self.channel is None or request is None:
            return configuration
        # GraphQL queries may only read from Saleor's replica connection
        replica = getattr(django_settings, "DATABASE_CONNECTION_REPLICA_NAME", "default")
        line = oauth.describe(self.PLUGIN_ID, self.channel.slug, using=replica)
        link = f"{self.base_url(request)}connect?t={self.sign({'a': 'connect'})}"
        for item in configuration:
            if item.get("name") == STATUS_FIELD:
                value = f"{item.get('value') or ''}\n{self.provider_label}: {line} Connect: {link}"
                item["value"] = value.strip()
        return configuration

    def webhook(self, request: Any, path: str, previous_value: Any) -> HttpResponse:
        if not self.active or self.channel is None:
            return HttpResponseNotFound()
        name = path.strip("/").split("/")[-1]
        if name in self.open_routes:
            return self.open_route(name, request)
        if name not in {"connect", "callback", "disconnect", *self.signed_routes}:
            return super().webhook(request, path, previous_value)
        label = self.provider_label
        try:
            settings = self.channel_settings()
        except SettingsErrors:
            return page(
                f"{label} is not configured", "<p>Fill the plugin's settings first.</p>", 400
            )
        slug = self.channel.slug
        with writer_scope():
            if name == "callback":
                if request.GET.get("error"):
                    reason = escape(request.GET["error"][:200])
                    return page(f"{label} was not connected", f"<p>{reason}</p>", 400)
                return self.callback(request, settings)
            try:
                claims = signing.loads(
                    request.GET.get("t", ""), salt=self._salt(), max_age=LINK_MAX_AGE
                )
            except signing.BadSignature:
                return page(
                    "Link expired", "<p>Open the plugin's page again for a new link.</p>", 403
                )
            if name == "connect" and claims.get("a") == "connect":
                redirect = self.base_url(request) + "callback"
                return HttpResponseRedirect(
                    oauth.begin(self.oauth_provider(settings), self.PLUGIN_ID, slug, redirect)
                )
            if name == "disconnect" and request.method == "POST" and claims.get("a") == "connect":
                oauth.disconnect(self.oauth_provider(settings), self.PLUGIN_ID, slug)
                return page(f"{label} disconnected", "<p>Tokens revoked and forgotten.</p>")
            answer = self.route(name, request, settings, claims)
            if answer is not None:
                return answer
        return HttpResponseNotFound()
