"""Shared fixtures: the test kit's (broker, clock, hosts, provider server), the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from saleor_plugins.demo.sandbox import Sandbox

# the same fixtures a third-party connector's suite uses (docs/writing-a-connector.md)
pytest_plugins = ["saleor_plugins.testing.fixtures"]

SANDBOX_KEY = "sk_sandbox_1234567890abcdef"

# tests/saleor runs inside a real Saleor's settings: `./run saleor-tests` (see its conftest)
collect_ignore = ["saleor"]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SANDBOX_KEY) as sb:
        yield sb


@pytest.fixture
def sandbox_installed(db: None, sandbox: Sandbox) -> Sandbox:
    from saleor_plugins.demo.store import install

    install("saleor_plugins.sandbox", "default-channel", endpoint=sandbox.url, api_key=SANDBOX_KEY)
    return sandbox
