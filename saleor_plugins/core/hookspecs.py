"""The hook contract for connectors, built in and third party (pluggy).

A connector package registers a module under the ``saleor_plugins.integrations``
entry-point group; that module implements any of these hooks with ``@hookimpl``.
Built-in integrations register exactly the same way (see ``pyproject.toml``).
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "saleor_plugins"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def saleor_plugins_integrations() -> list[type]:  # type: ignore[empty-body]
    """Return the Integration classes this package provides."""


@hookspec
def saleor_plugins_before_deliver(job: Any) -> None:
    """Called with a JobContext just before its integration handles it."""


@hookspec
def saleor_plugins_after_deliver(job: Any, outcome: str, status_code: int | None) -> None:
    """Called after every attempt with its outcome (succeeded, retry, dead, circuit)."""


@hookspec
def saleor_plugins_provider_payload(
    integration: str, kind: str, source: Any, payload: dict[str, Any]
) -> None:
    """Adjust a provider payload in place before it is sent (``kind``: e.g. ``offer``)."""


@hookspec
def saleor_plugins_circuit_opened(integration: str, channel: str, reason: str) -> None:
    """Called once when an integration's credentials are refused in a channel."""
