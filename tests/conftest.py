"""Shared fixtures: PostgreSQL through pytest-django, Redis, the sandbox provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from saleor_plugins.demo.sandbox import Sandbox
from tests.services import redis_url

SANDBOX_KEY = "sk_sandbox_1234567890abcdef"

# tests/saleor runs inside a real Saleor's settings: `./run saleor-tests` (see its conftest)
collect_ignore = ["saleor"]


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    client = redis.Redis.from_url(redis_url(13))
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SANDBOX_KEY) as sb:
        yield sb


@pytest.fixture
def sandbox_installed(db: None, sandbox: Sandbox) -> Sandbox:
    from saleor_plugins.demo.store import install

    install("saleor_plugins.sandbox", "default-channel", endpoint=sandbox.url, api_key=SANDBOX_KEY)
    return sandbox
