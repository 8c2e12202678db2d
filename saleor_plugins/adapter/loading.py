"""What Saleor does per request to build our plugins, made cheap.

Saleor's plugin manager builds every plugin of a channel in every request: it loads the
channel, then the channel's ``PluginConfiguration`` rows, and reads ``row.channel`` of each
row to hand it to the plugin, which Django answers with one ``SELECT`` on
``channel_channel`` per row. A plugin without a stored row costs nothing; each of ours,
configured in the channel, cost one query in every request that loads the channel's
plugins (five integrations: five queries in ``checkoutComplete``, ``checkoutCreate``...).

The rows are loaded right after the channel itself (``_ensure_channel_plugins_loaded``), so
the channel instance is at hand: a ``post_init`` receiver remembers, per thread, the last
``Channel`` built, and one on ``PluginConfiguration`` puts it in the row's relation cache
when the ids match. Every plugin of the channel then shares the one instance Saleor
already gives to the plugins it builds from defaults; the queries are gone.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from django.db.models.signals import post_init

_local = threading.local()


def _remember_channel(sender: Any, instance: Any, **kwargs: Any) -> None:
    # a channel loaded with .only()/.defer() would load each missing field on first use
    if not instance.get_deferred_fields():
        _local.channel = weakref.ref(instance)


def _share_channel(sender: Any, instance: Any, **kwargs: Any) -> None:
    ref = getattr(_local, "channel", None)
    channel = ref() if ref is not None else None
    if channel is None or channel.pk is None or instance.channel_id != channel.pk:
        return
    field = sender._meta.get_field("channel")
    if not field.is_cached(instance):
        field.set_cached_value(instance, channel)


def install() -> None:
    """Connect the receivers (idempotent: Django keys them by ``dispatch_uid``)."""
    from saleor.channel.models import Channel
    from saleor.plugins.models import PluginConfiguration

    post_init.connect(_remember_channel, sender=Channel, dispatch_uid="saleor_plugins.channel")
    post_init.connect(
        _share_channel, sender=PluginConfiguration, dispatch_uid="saleor_plugins.plugin_channel"
    )
