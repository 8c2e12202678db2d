"""Per-provider-account limits shared by every worker, kept in Redis.

- a GCRA rate limit (requests per second / per minute, with a burst of the same size),
- a concurrency limit (a lease-based semaphore: a killed worker's slot expires).

- a pause: a provider that reports its own usage (Meta's ``X-Business-Use-Case-Usage``)
  has the client :meth:`Limiter.pause` the account for as long as it asks, or a little
  while as usage nears the limit; every slot and :meth:`Limiter.wait_out_pause` of that
  account then waits it out (or gives up with :class:`RateLimited` past its ``max_wait``),
  so calls slow down before the provider refuses them.

All run as Lua scripts or single commands on Redis' clock, so workers on different
machines agree.
When Redis cannot be reached the limiter lets the call through and logs it: the
provider's own 429 (a :class:`~saleor_plugins.core.errors.RateLimited`) still protects us.

Which Redis: ``SALEOR_PLUGINS_REDIS_URL``, else the Celery broker when it is Redis. With
any other broker (RabbitMQ) the setting is required: the limiter refuses to guess a
server (the system check ``saleor_plugins.E001`` says so at start, and rate-limited jobs
wait, retried, until it is set).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import RateLimited, TransientError
from .integration import RateLimit

logger = logging.getLogger(__name__)

_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then
  return allow_at - now
end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tolerance + interval * 2))
return 0
"""

_SEMAPHORE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
"""


_PAUSE = """
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1]))
end
return 0
"""


def redis_url() -> str:
    url = getattr(settings, "SALEOR_PLUGINS_REDIS_URL", "") or os.environ.get(
        "SALEOR_PLUGINS_REDIS_URL", ""
    )
    if url:
        return str(url)
    broker = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if broker.startswith(("redis://", "rediss://")):
        return broker
    scheme = broker.split("://", 1)[0] if broker else "none"
    raise ImproperlyConfigured(
        "SALEOR_PLUGINS_REDIS_URL is not set and the Celery broker is not Redis "
        f"({scheme}): set SALEOR_PLUGINS_REDIS_URL to the Redis server that holds the "
        "providers' rate limits"
    )


@cache
def client() -> redis.Redis:
    return redis.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)


class Limiter:
    """Acquire permission for one provider call on behalf of an account."""

    def __init__(self, prefix: str = "saleor_plugins:rl") -> None:
        self.prefix = prefix

    def _wait_rate(self, key: str, per: float, count: float) -> float:
        interval_ms = per * 1000.0 / count
        tolerance_ms = interval_ms * max(count - 1, 0)
        wait_ms = client().eval(
            _GCRA, 1, f"{self.prefix}:{key}", str(interval_ms), str(tolerance_ms)
        )
        return float(wait_ms) / 1000.0  # type: ignore[arg-type]

    def pause(self, account: str, seconds: float) -> None:
        """Hold every call of ``account`` for ``seconds`` (a longer pause already set stays)."""
        if seconds <= 0:
            return
        try:
            client().eval(_PAUSE, 1, f"{self.prefix}:{account}:p", str(int(seconds * 1000)))
        except (redis.RedisError, ImproperlyConfigured):
            logger.warning(
                "saleor_plugins: rate limiter unavailable, pause of %s not kept", account
            )

    def paused_for(self, account: str) -> float:
        """Seconds left of the account's pause (0: none)."""
        try:
            left = client().pttl(f"{self.prefix}:{account}:p")
        except (redis.RedisError, ImproperlyConfigured):
            return 0.0
        return max(float(left), 0.0) / 1000.0  # type: ignore[arg-type]

    def wait_out_pause(self, account: str, *, max_wait: float = 5.0) -> None:
        """Sleep through the account's pause, or raise :class:`RateLimited` when it is
        longer than ``max_wait`` (the job is retried after it)."""
        wait = self.paused_for(account)
        if wait > max_wait:
            raise RateLimited(
                f"{account} paused for {wait:.0f} s by the provider's usage report",
                retry_after=wait,
                provider="limiter",
            )
        if wait > 0:
            time.sleep(wait)

    def wait_time(self, account: str, limit: RateLimit) -> float:
        """Seconds to wait before the next call; 0 means go (and counts the call)."""
        waits = []
        if limit.per_second:
            waits.append(self._wait_rate(f"{account}:s", 1.0, limit.per_second))
        if limit.per_minute:
            waits.append(self._wait_rate(f"{account}:m", 60.0, limit.per_minute))
        return max(waits, default=0.0)

    @contextmanager
    def slot(
        self, account: str, limit: RateLimit, *, max_wait: float = 5.0, lease: float = 120.0
    ) -> Iterator[None]:
        """Hold one call's worth of the account's limits, or raise :class:`RateLimited`."""
        token = uuid.uuid4().hex
        key = f"{self.prefix}:{account}:c"
        deadline = time.monotonic() + max_wait
        try:
            client()
        except ImproperlyConfigured as e:
            # the host's mistake, not the provider's: the job is retried until it is set
            logger.error("saleor_plugins: %s", e)
            raise TransientError(str(e), provider="limiter") from e
        try:
            while True:
                wait = self.paused_for(account) or self.wait_time(account, limit)
                if wait <= 0 and limit.concurrency:
                    wait = (
                        float(
                            client().eval(  # type: ignore[arg-type]
                                _SEMAPHORE,
                                1,
                                key,
                                str(limit.concurrency),
                                str(int(lease * 1000)),
                                token,
                            )
                        )
                        / 1000.0
                    )
                if wait <= 0:
                    break
                if time.monotonic() + wait > deadline:
                    raise RateLimited(
                        f"local rate limit for {account}", retry_after=wait, provider="limiter"
                    )
                time.sleep(wait)
        except redis.RedisError:
            logger.warning("saleor_plugins: rate limiter unavailable, calling without it")
            yield
            return
        try:
            yield
        finally:
            if limit.concurrency:
                try:
                    client().zrem(key, token)
                except redis.RedisError:
                    pass  # the lease expires by itself


limiter = Limiter()
