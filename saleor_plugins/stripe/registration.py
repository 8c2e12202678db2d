"""One idempotent step that gives a channel exactly one Stripe webhook endpoint.

Existing endpoints are looked up first, by URL and by our metadata (plugin id and
channel): an endpoint already there is kept when we hold its signing secret; stale ones
(another URL for the same channel, duplicates, or one whose secret we lost, which Stripe
shows only at creation) are deleted before one is created. The create call's idempotency
key follows the state it was computed from, so a retried run replays instead of creating
a second endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import mapping
from .client import API_VERSION, StripeClient

PLUGIN_ID = "saleor_plugins.stripe"


@dataclass(frozen=True, slots=True)
class Registration:
    endpoint_id: str
    secret: str | None  # only when the endpoint was created now
    created: bool
    deleted: tuple[str, ...] = ()


def webhook_url(base_url: str, channel: str) -> str:
    """The plugin's per-channel URL in Saleor (``plugins/channel/<slug>/<plugin-id>/…``)."""
    return f"{base_url.rstrip('/')}/plugins/channel/{channel}/{PLUGIN_ID}/webhooks/"


def _ours(endpoint: dict[str, Any], url: str, channel: str) -> bool:
    meta = endpoint.get("metadata") or {}
    tagged = meta.get("saleor_plugin") == PLUGIN_ID and meta.get("saleor_channel") == channel
    return endpoint.get("url") == url or tagged


def ensure_endpoint(
    client: StripeClient, *, url: str, channel: str, have_secret: bool
) -> Registration:
    mine = [e for e in client.list_webhook_endpoints() if _ours(e, url, channel)]
    keep = next((e for e in mine if e.get("url") == url), None) if have_secret else None
    stale = [e for e in mine if e is not keep]
    deleted = []
    for endpoint in stale:
        client.delete_webhook_endpoint(str(endpoint["id"]))
        deleted.append(str(endpoint["id"]))
    if keep is not None:
        return Registration(str(keep["id"]), None, False, tuple(deleted))
    params = {
        "url": url,
        "enabled_events": list(mapping.HANDLED_EVENTS),
        "api_version": API_VERSION,
        "description": f"Saleor channel {channel}",
        "metadata": {"saleor_plugin": PLUGIN_ID, "saleor_channel": channel},
    }
    key = f"saleor-webhook:{channel}:{mapping.params_digest({'url': url, 'gone': deleted})}"
    created = client.create_webhook_endpoint(params, key)
    return Registration(str(created["id"]), str(created.get("secret") or ""), True, tuple(deleted))
