"""Fixtures for the Stripe tests: the fake Stripe server and channel settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import stripe

from saleor_plugins.stripe.gateway import StripeGateway
from saleor_plugins.stripe.settings import StripeSettings
from saleor_plugins.testing.providers.stripe import FakeStripe

SECRET_KEY = "sk_test_51Fake0123456789abcdefSECRET"
PUBLISHABLE_KEY = "pk_test_51Fake0123456789abcdefPUBLIC"
WEBHOOK_SECRET = "whsec_fake0123456789abcdef0123456789"

RAW_SETTINGS: dict[str, Any] = {
    "publishable_key": PUBLISHABLE_KEY,
    "secret_key": SECRET_KEY,
    "webhook_secret": WEBHOOK_SECRET,
    "capture_mode": "automatic",
    "supported_currencies": "USD, EUR, JPY, KWD",
    "statement_descriptor_suffix": "",
    "receipt_email": "true",
    "saved_payment_methods": "true",
}


def make_settings(**overrides: Any) -> StripeSettings:
    return StripeSettings.parse({**RAW_SETTINGS, **overrides})


@contextmanager
def serving(secret_key: str = SECRET_KEY) -> Iterator[FakeStripe]:
    """A fake Stripe; ``stripe.api_base`` points at it while the block runs."""
    previous = stripe.api_base
    with FakeStripe(secret_key) as server:
        stripe.api_base = server.url
        try:
            yield server
        finally:
            stripe.api_base = previous


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with serving() as server:
        yield server


@pytest.fixture
def gateway_for(fake: FakeStripe) -> Callable[..., StripeGateway]:
    def build(**overrides: Any) -> StripeGateway:
        return StripeGateway(make_settings(**overrides))

    return build
