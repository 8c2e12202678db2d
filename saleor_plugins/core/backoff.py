"""Exponential backoff with full jitter and a cap, honouring ``Retry-After``."""

from __future__ import annotations

import random

BASE = 2.0  # seconds
CAP = 3600.0  # one hour between attempts at most
# About three days of attempts at the cap before a job is dead-lettered (Stripe
# retries its own webhooks for three days); a dead job can still be replayed.
MAX_ATTEMPTS = 80


def delay(
    attempt: int, retry_after: float | None = None, *, rng: random.Random | None = None
) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (``attempt`` starts at 1)."""
    r = rng or random
    ceiling = min(CAP, BASE * (2 ** max(0, attempt - 1)))
    wait = r.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        wait = max(wait, min(retry_after, CAP))
    return wait
