"""The test kit for connectors, ours and third parties' (shipped in the wheel).

Everything a connector's test suite needs to run on the real kernel without a Saleor:

- :mod:`.settings` — Django settings (the demo store as host, a private Redis and test
  database per run);
- :mod:`.fixtures` — pytest fixtures (``pytest_plugins = ["saleor_plugins.testing.fixtures"]``);
- :class:`MemoryHost` — an in-memory store of snapshots and configurations;
  :mod:`.samples` builds the snapshots (an order, a customer) with every field filled;
- :class:`FakeBroker`, :class:`Clock` — Celery's broker and time, under the test's control;
- :class:`ProviderServer` — a local HTTP provider recording requests, scripted answers;
- :func:`run_job` — a job through the kernel, returning its sync-log rows;
- :class:`WebhookSecurityCases` — the webhook security cases every receiver must pass;
- :mod:`.providers` — local stand-ins of every built-in integration's provider (the
  tests and ``./run demo`` share them).

Names are imported on first use, so ``import saleor_plugins.testing`` works before
Django is set up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Clock": ".clock",
    "FakeBroker": ".broker",
    "MemoryHost": ".host",
    "ProviderServer": ".server",
    "Recorded": ".server",
    "Provides": ".kernel",
    "provided": ".kernel",
    "run_job": ".kernel",
    "deliver_until_settled": ".kernel",
    "WebhookSecurityCases": ".webhooks",
    "samples": ".samples",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = import_module(_EXPORTS[name], __name__)
    return module if module.__name__.endswith(f".{name}") else getattr(module, name)
