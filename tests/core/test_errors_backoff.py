"""What is retried, how long we wait, and what a provider's Retry-After does."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from saleor_plugins.core import backoff
from saleor_plugins.core.errors import (
    AuthenticationError,
    PermanentError,
    RateLimited,
    TransientError,
    classify_status,
    parse_retry_after,
)
from saleor_plugins.core.http import raise_for_response


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (429, RateLimited),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (500, TransientError),
        (502, TransientError),
        (503, TransientError),
        (408, TransientError),
        (409, TransientError),
        (400, PermanentError),
        (404, PermanentError),
        (422, PermanentError),
    ],
)
def test_classify_status(status: int, cls: type[Exception]) -> None:
    error = classify_status(status, "nope", provider="p")
    assert type(error) is cls
    assert str(error) == f"nope (HTTP {status})"


def test_a_429_keeps_its_retry_after() -> None:
    error = classify_status(429, "slow down", retry_after=12.0)
    assert isinstance(error, RateLimited) and error.retry_after == 12.0


def test_parse_retry_after() -> None:
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 115 <= (parse_retry_after(later) or 0) <= 120


def test_raise_for_response_reads_retry_after_and_the_provider_reason() -> None:
    response = requests.Response()
    response.status_code = 429
    response.headers["Retry-After"] = "7"
    response._content = b'{"error": "too many requests"}'
    with pytest.raises(RateLimited) as e:
        raise_for_response(response, "acme")
    assert e.value.retry_after == 7.0 and "too many requests" in str(e.value)
    response.status_code = 200
    assert raise_for_response(response, "acme") is response


def test_backoff_grows_exponentially_within_jitter_bounds() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(backoff.CAP, backoff.BASE * 2 ** (attempt - 1))
        for _ in range(50):
            assert ceiling / 2 <= backoff.delay(attempt, rng=rng) <= ceiling


def test_backoff_is_capped() -> None:
    rng = random.Random(1)
    waits = [backoff.delay(attempt, rng=rng) for attempt in range(20, 80)]
    assert max(waits) <= backoff.CAP and min(waits) >= backoff.CAP / 2


def test_backoff_jitter_spreads_retries() -> None:
    rng = random.Random(3)
    waits = {round(backoff.delay(5, rng=rng), 3) for _ in range(100)}
    assert len(waits) > 90  # workers failing together do not retry together


def test_retry_after_is_honoured_but_capped() -> None:
    rng = random.Random(5)
    assert backoff.delay(1, 120.0, rng=rng) >= 120.0
    assert backoff.delay(1, 0.0, rng=rng) >= 1.0  # never a hot loop
    assert backoff.delay(1, 10**7, rng=rng) == backoff.CAP
