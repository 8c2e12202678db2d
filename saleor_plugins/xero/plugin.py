"""The Saleor plugin: booking hooks, the connection pages (``adapter/connect.py``), and
Xero's own page to choose the organisation when several were connected (``choose?t=…``)."""

from __future__ import annotations

from html import escape
from typing import Any

from django.http import HttpResponse

from ..adapter.connect import ConnectPlugin, page
from ..core import oauth
from ..core.errors import IntegrationError
from ..core.models import Connection
from .client import XeroClient, provider
from .connector import XeroIntegration
from .settings import XeroSettings


class XeroPlugin(ConnectPlugin):
    integration = XeroIntegration
    provider_label = "Xero"
    signed_routes = frozenset({"choose"})

    def oauth_provider(self, settings: XeroSettings) -> oauth.Provider:
        return provider(settings)

    def route(
        self, name: str, request: Any, settings: XeroSettings, claims: dict[str, Any]
    ) -> HttpResponse | None:
        if name != "choose" or claims.get("a") != "choose":
            return None
        assert self.channel is not None
        Connection.objects.filter(integration=self.PLUGIN_ID, channel=self.channel.slug).update(
            tenant_id=str(claims["id"]), tenant_name=str(claims.get("name", ""))
        )
        return page("Xero connected", f"<p>Booking into {escape(str(claims.get('name')))}.</p>")

    def callback(self, request: Any, settings: XeroSettings) -> HttpResponse:
        assert self.channel is not None
        slug = self.channel.slug
        try:
            oauth.complete(
                provider(settings), self.PLUGIN_ID, slug,
                state=request.GET.get("state", ""), code=request.GET.get("code", ""),
                redirect_uri=self.base_url(request) + "callback",
            )  # fmt: skip
            tenants = XeroClient(settings, slug).tenants()
        except oauth.StateRefused as e:
            return page("Connection refused", f"<p>{escape(str(e))}</p>", 403)
        except IntegrationError as e:
            return page("Xero did not answer", f"<p>{escape(e.message[:300])}</p>", 502)
        organisations = [t for t in tenants if t.get("type", "ORGANISATION") == "ORGANISATION"]
        conn = Connection.objects.get(integration=self.PLUGIN_ID, channel=slug)
        conn.tenants = organisations
        if len(organisations) == 1 or settings.tenant_id:
            chosen = next(
                (t for t in organisations if t["id"] == settings.tenant_id), organisations[0]
            )
            conn.tenant_id, conn.tenant_name = chosen["id"], chosen["name"]
            conn.save(update_fields=["tenants", "tenant_id", "tenant_name"])
            return page("Xero connected", f"<p>Booking into {escape(chosen['name'])}.</p>")
        conn.save(update_fields=["tenants"])

        def choice(t: dict[str, str]) -> str:
            token = self.sign({"a": "choose", "id": t["id"], "name": t["name"]})
            href = f"{self.base_url(request)}choose?t={token}"
            return f'<li><a href="{href}">{escape(t["name"])}</a></li>'

        links = "".join(choice(t) for t in organisations)
        return page("Choose the organisation", f"<ul>{links}</ul>")
