"""Where integrations come from: the pluggy manager and its entry points."""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
from functools import cache
from typing import Any

import pluggy
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import hookspecs
from .integration import Integration, check_id

ENTRY_POINT_GROUP = "saleor_plugins.integrations"

logger = logging.getLogger(__name__)


@cache
def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        # one connector that fails to import must not stop every other integration:
        # its jobs wait, dead-lettered as "not installed", until it is fixed and replayed
        try:
            module = entry_point.load()
        except Exception:  # any import error of third-party code
            logger.exception(
                "saleor_plugins: integration %r (%s) failed to load and is disabled",
                entry_point.name,
                entry_point.value,
            )
            continue
        if not pm.is_registered(module):
            pm.register(module, name=f"{ENTRY_POINT_GROUP}:{entry_point.name}")
    # hosts without entry points (the demo, tests) may name hook modules in settings
    for path in getattr(settings, "SALEOR_PLUGINS_HOOK_MODULES", ()):
        module = importlib.import_module(path)
        if not pm.is_registered(module):
            pm.register(module)
    return pm


def hook() -> Any:
    return plugin_manager().hook


class DuplicateIntegration(ImproperlyConfigured):
    """Two packages registered different integrations under one id."""


@cache
def integrations() -> dict[str, type[Integration]]:
    """Every registered integration class by id.

    Two different classes under one id are refused (:class:`DuplicateIntegration`):
    the id is the plugin id, the outbox's and the sync log's column, so one connector
    silently receiving the other's jobs is worse than not starting. Django checks it
    when the kernel's app is ready, so the API and the worker refuse to start.
    """
    found: dict[str, type[Integration]] = {}
    for classes in hook().saleor_plugins_integrations():
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Integration)):
                raise TypeError(f"{cls!r} is not an Integration subclass")
            check_id(getattr(cls, "id", None), _name(cls))
            other = found.setdefault(cls.id, cls)
            if other is not cls:
                raise DuplicateIntegration(
                    f"saleor_plugins: integration id {cls.id!r} is registered twice, by "
                    f"{_name(other)} and {_name(cls)}; rename one (ids are "
                    "'<your package>.<name>') or uninstall one of the packages"
                )
    return found


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def get_integration(integration_id: str) -> type[Integration] | None:
    return integrations().get(integration_id)


def register(module_or_object: object) -> None:
    """Register hook implementations at run time (tests, the demo)."""
    plugin_manager().register(module_or_object)
    integrations.cache_clear()


def unregister(module_or_object: object) -> None:
    plugin_manager().unregister(module_or_object)
    integrations.cache_clear()
