"""The SDK wrapper: errors mapped onto the kernel's tree, secrets kept out of logs."""

from __future__ import annotations

import logging

import pytest
import stripe

from saleor_plugins.core.errors import (
    AuthenticationError,
    PaymentError,
    PermanentError,
    RateLimited,
    TransientError,
)
from saleor_plugins.stripe.client import StripeClient, map_error
from saleor_plugins.testing.providers.stripe import FakeStripe

from .conftest import SECRET_KEY

err = stripe.error


def test_a_card_error_carries_the_customer_message() -> None:
    mapped = map_error(
        err.CardError("Your card was declined.", "card", "card_declined", http_status=402)
    )
    assert isinstance(mapped, PaymentError)
    assert (mapped.customer_message, mapped.code, mapped.status) == (
        "Your card was declined.",
        "card_declined",
        402,
    )


def test_429_is_rate_limited_with_retry_after() -> None:
    mapped = map_error(
        err.RateLimitError("Too many requests", http_status=429, headers={"Retry-After": "3"})
    )
    assert isinstance(mapped, RateLimited) and mapped.retry_after == 3.0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (err.APIConnectionError("connection reset"), TransientError),
        (err.APIError("internal", http_status=500), TransientError),
        (err.AuthenticationError("Invalid API Key", http_status=401), AuthenticationError),
        (err.PermissionError("restricted key", http_status=403), AuthenticationError),
        (err.InvalidRequestError("No such payment_intent", "id", http_status=404), PermanentError),
        (err.IdempotencyError("Keys for idempotent requests", http_status=400), PermanentError),
    ],
)
def test_sdk_errors_map_onto_the_kernel(error: Exception, expected: type) -> None:
    mapped = map_error(error)
    assert type(mapped) is expected


def test_a_refused_key_is_an_authentication_error_without_the_key(fake: FakeStripe) -> None:
    client = StripeClient("sk_test_refused0123456789abcdef")
    with pytest.raises(AuthenticationError) as info:
        client.retrieve_intent("pi_1")
    assert "sk_test_refused0123456789abcdef" not in str(info.value)
    assert isinstance(info.value.__cause__, err.AuthenticationError)  # chained


def test_no_secret_in_the_log(fake: FakeStripe, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="saleor_plugins")
    client = StripeClient(SECRET_KEY)
    client.create_intent({"amount": 100, "currency": "usd"}, "saleor-payment:1:intent:x")
    with pytest.raises(PermanentError):
        client.retrieve_intent("pi_missing")
    assert "stripe POST /v1/payment_intents -> 200" in caplog.text
    assert SECRET_KEY not in caplog.text


def test_an_empty_key_fails_before_any_call() -> None:
    with pytest.raises(AuthenticationError):
        StripeClient("")
