"""The per-account rate limiter on a real Redis: the budget is shared, leases expire."""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack

import pytest
import redis

from saleor_plugins.core import ratelimit
from saleor_plugins.core.errors import RateLimited
from saleor_plugins.core.integration import RateLimit
from saleor_plugins.testing.services import redis_url

PRIVATE_DB = redis_url(12)


@pytest.fixture(autouse=True)
def private_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Redis database of our own: test runs sharing db 13 flush it under our feet."""
    client = redis.Redis.from_url(PRIVATE_DB, socket_timeout=2)
    monkeypatch.setattr(ratelimit, "client", lambda: client)


@pytest.fixture
def account() -> str:
    return f"acct-{uuid.uuid4().hex[:8]}"


def test_the_limiter_uses_the_configured_redis() -> None:
    assert ratelimit.redis_url() == redis_url(13)


def test_gcra_allows_the_published_rate_and_no_more(account: str) -> None:
    limiter = ratelimit.Limiter()
    limit = RateLimit(per_second=10)
    waits = [limiter.wait_time(account, limit) for _ in range(25)]
    allowed = [w for w in waits if w <= 0]
    assert len(allowed) == 10  # a burst of the per-second budget, then we wait
    assert all(0 < w <= 0.1 for w in waits[10:])  # about one interval (1/10 s)
    time.sleep(0.35)
    later = [limiter.wait_time(account, limit) for _ in range(10)]
    assert 2 <= sum(1 for w in later if w <= 0) <= 4  # ~3 refilled in 0.35 s


def test_every_worker_shares_one_budget(account: str) -> None:
    """The count lives in Redis, not in the process: limiters count against one account."""
    a, b = ratelimit.Limiter(), ratelimit.Limiter()
    limit = RateLimit(per_minute=6)
    allowed = sum(1 for lim in (a, b) * 6 if lim.wait_time(account, limit) <= 0)
    assert allowed == 6
    assert ratelimit.Limiter().wait_time(f"{account}-other", limit) == 0  # per account


def test_slot_waits_for_the_rate_then_raises_past_max_wait(account: str) -> None:
    limiter = ratelimit.Limiter()
    limit = RateLimit(per_second=2)
    started = time.monotonic()
    for _ in range(3):  # the third waits ~0.5 s for its turn
        with limiter.slot(account, limit, max_wait=2.0):
            pass
    assert 0.3 <= time.monotonic() - started <= 1.5
    with pytest.raises(RateLimited) as e, limiter.slot(account, limit, max_wait=0.05):
        pass
    assert e.value.retry_after and e.value.retry_after > 0


def test_concurrency_is_a_semaphore_released_on_exit(account: str) -> None:
    limiter = ratelimit.Limiter()
    limit = RateLimit(concurrency=2)
    with ExitStack() as held:
        held.enter_context(limiter.slot(account, limit))
        held.enter_context(limiter.slot(account, limit))
        with pytest.raises(RateLimited), limiter.slot(account, limit, max_wait=0.2):
            pass
    with limiter.slot(account, limit, max_wait=0.2):  # released: free again
        pass


def test_a_dead_workers_slot_expires_with_its_lease(account: str) -> None:
    limiter = ratelimit.Limiter()
    limit = RateLimit(concurrency=1)
    dead = limiter.slot(account, limit, lease=0.3)
    dead.__enter__()  # a worker took the slot and was killed: no __exit__
    with pytest.raises(RateLimited), limiter.slot(account, limit, max_wait=0.1):
        pass
    started = time.monotonic()
    with limiter.slot(account, limit, max_wait=2.0):
        waited = time.monotonic() - started
    assert 0.1 <= waited <= 1.0


def test_without_redis_the_call_goes_through(
    account: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(ratelimit, "client", lambda: down)
    ran = False
    with ratelimit.Limiter().slot(account, RateLimit(per_second=1, concurrency=1)):
        ran = True
    assert ran and "rate limiter unavailable" in caplog.text


def test_a_non_redis_broker_without_the_setting_fails_loudly(settings, monkeypatch) -> None:
    """No silent fallback to a Redis on 127.0.0.1 (issue 8, item 16)."""
    from django.core.exceptions import ImproperlyConfigured

    from saleor_plugins.core import checks
    from saleor_plugins.core.errors import TransientError

    settings.SALEOR_PLUGINS_REDIS_URL = ""
    monkeypatch.delenv("SALEOR_PLUGINS_REDIS_URL", raising=False)
    settings.CELERY_BROKER_URL = "amqp://guest@rabbit:5672//"
    with pytest.raises(ImproperlyConfigured, match="SALEOR_PLUGINS_REDIS_URL"):
        ratelimit.redis_url()
    [error] = checks.check_rate_limiter()
    assert error.id == "saleor_plugins.E001" and "SALEOR_PLUGINS_REDIS_URL" in error.msg
    monkeypatch.undo()  # the real client() again, which must refuse to guess
    settings.SALEOR_PLUGINS_REDIS_URL = ""
    monkeypatch.delenv("SALEOR_PLUGINS_REDIS_URL", raising=False)
    ratelimit.client.cache_clear()
    try:
        with pytest.raises(TransientError, match="SALEOR_PLUGINS_REDIS_URL"):  # job retried
            with ratelimit.limiter.slot("acct", RateLimit(per_second=1)):
                pass
    finally:
        ratelimit.client.cache_clear()


def test_a_redis_broker_is_used_when_no_limiter_url_is_set(settings, monkeypatch) -> None:
    settings.SALEOR_PLUGINS_REDIS_URL = ""
    monkeypatch.delenv("SALEOR_PLUGINS_REDIS_URL", raising=False)
    settings.CELERY_BROKER_URL = "redis://broker:6379/3"
    assert ratelimit.redis_url() == "redis://broker:6379/3"


def test_a_provider_pause_holds_every_slot_of_the_account(account: str) -> None:
    limiter = ratelimit.Limiter()
    limiter.pause(account, 30)
    limiter.pause(account, 1)  # a shorter pause does not cut the longer one short
    assert 29 < limiter.paused_for(account) <= 30
    with pytest.raises(RateLimited) as e, limiter.slot(account, RateLimit(per_second=5)):
        pass
    assert e.value.retry_after and e.value.retry_after > 29
    with pytest.raises(RateLimited):
        limiter.wait_out_pause(account, max_wait=5)
    assert limiter.paused_for(f"{account}-other") == 0
    with limiter.slot(f"{account}-other", RateLimit(per_second=5)):
        pass
