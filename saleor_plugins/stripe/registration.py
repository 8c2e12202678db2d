"""One idempotent step that gives a channel's Stripe account exactly one webhook endpoint.

Stripe sends every event of an account to each of its endpoints, and the kernel stores
an event once, then applies it in the channel its payment belongs to: channels sharing
an account need one endpoint between them. So when another channel of the same account
(``siblings``: it holds its endpoint's secret) already has ours, that endpoint serves
this channel too and this channel's own endpoints are deleted.

Otherwise existing endpoints are looked up by URL and by our metadata (plugin id and
channel): an endpoint already there is kept when we hold its signing secret; stale ones
(another URL for the same channel, duplicates, or one whose secret we lost, which Stripe
shows only at creation) are deleted before one is created. The create call's idempotency
key follows the state it was computed from, so a retried run replays instead of creating
a second endpoint.
"""

from __future__ import annotations

from collections.abc import Collection
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
    shared_with: str = ""  # the channel whose endpoint serves this one too


def webhook_url(base_url: str, channel: str) -> str:
    """The plugin's per-channel URL in Saleor (``plugins/channel/<slug>/<plugin-id>/…``)."""
    return f"{base_url.rstrip('/')}/plugins/channel/{channel}/{PLUGIN_ID}/webhooks/"


def _ours(endpoint: dict[str, Any], url: str, channel: str) -> bool:
    meta = endpoint.get("metadata") or {}
    tagged = meta.get("saleor_plugin") == PLUGIN_ID and meta.get("saleor_channel") == channel
    return endpoint.get("url") == url or tagged


def _channel(endpoint: dict[str, Any]) -> str:
    meta = endpoint.get("metadata") or {}
    return str(meta.get("saleor_channel") or "") if meta.get("saleor_plugin") == PLUGIN_ID else ""


def ensure_endpoint(
    client: StripeClient,
    *,
    url: str,
    channel: str,
    have_secret: bool,
    siblings: Collection[str] = (),
) -> Registration:
    endpoints = client.list_webhook_endpoints()
    mine = [e for e in endpoints if _ours(e, url, channel)]
    shared = next((e for e in endpoints if e not in mine and _channel(e) in siblings), None)
    keep = next((e for e in mine if e.get("url") == url), None) if have_secret else None
    stale = [e for e in mine if e is not keep or shared is not None]
    deleted = []
    for endpoint in stale:
        client.delete_webhook_endpoint(str(endpoint["id"]))
        deleted.append(str(endpoint["id"]))
    if shared is not None:
        return Registration(
            str(shared["id"]), None, False, tuple(deleted), shared_with=_channel(shared)
        )
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
