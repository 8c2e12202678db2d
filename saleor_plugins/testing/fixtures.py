"""The test kit's pytest fixtures. Add them to your suite's top-level ``conftest.py``::

    pytest_plugins = ["saleor_plugins.testing.fixtures"]

and run pytest with ``DJANGO_SETTINGS_MODULE = "saleor_plugins.testing.settings"`` (or
settings of yours starting from it). They are not loaded automatically (no ``pytest11``
entry point), so installing this package changes no other test suite, Saleor's included.

- ``broker``: a :class:`~.broker.FakeBroker` instead of Celery's (what was sent, ``down``);
- ``clock``: a :class:`~.clock.Clock` the test moves forward;
- ``memory_host``: a :class:`~.host.MemoryHost` as the store for the test;
- ``provider_server``: a :class:`~.server.ProviderServer` on 127.0.0.1;
- ``provide``: ``provide(Cls, ...)`` registers integrations for the test;
- every test starts and ends with the kit's Redis database empty (rate-limit counters).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

# nothing here imports Django models at import time: pytest loads this module before
# pytest-django has set Django up
if TYPE_CHECKING:
    from .broker import FakeBroker
    from .clock import Clock
    from .host import MemoryHost
    from .kernel import Provides
    from .server import ProviderServer


@pytest.fixture(autouse=True)
def _kit_clean_redis() -> Iterator[None]:
    import redis
    from django.conf import settings

    url = getattr(settings, "SALEOR_PLUGINS_REDIS_URL", None)
    client = redis.Redis.from_url(url) if url else None
    if client is not None:
        client.flushdb()
    yield
    if client is not None:
        client.flushdb()
        client.close()


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> FakeBroker:
    from .broker import FakeBroker

    return FakeBroker().install(monkeypatch)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from .clock import Clock

    return Clock().install(monkeypatch)


@pytest.fixture
def memory_host(settings: Any) -> Iterator[MemoryHost]:
    from ..core.host import get_host
    from .host import MemoryHost

    settings.SALEOR_PLUGINS_HOST = f"{MemoryHost.__module__}.{MemoryHost.__qualname__}"
    get_host.cache_clear()
    MemoryHost.reset()
    yield MemoryHost()
    MemoryHost.reset()
    get_host.cache_clear()


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
    from .server import ProviderServer

    with ProviderServer() as server:
        yield server


@pytest.fixture
def provide() -> Iterator[Callable[..., Provides]]:
    from ..core import registry
    from .kernel import Provides

    plugins: list[Provides] = []

    def _provide(*classes: Any) -> Provides:
        plugin = Provides(*classes)
        registry.register(plugin)
        plugins.append(plugin)
        return plugin

    yield _provide
    for plugin in plugins:
        registry.unregister(plugin)
