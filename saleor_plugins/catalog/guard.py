"""What keeps a broken read from emptying the merchant's catalog at the provider, and who
may read the feed.

- :func:`too_small`: a full sync deletes stale items, and a feed run replaces the served
  feed, only when the channel yields something and at least half of what the provider
  (or the last feed) holds, unless the operator forces it;
- :func:`feed_token_matches` / :func:`basic_auth_password`: the feed token compared in
  constant time, from the URL or the password of HTTP basic auth.
"""

from __future__ import annotations

import base64
import binascii
import hmac

GUARD_RATIO = 0.5


def too_small(yielded: int, held: int) -> bool:
    """True when ``yielded`` items must not replace ``held`` ones without forcing."""
    return yielded == 0 or yielded < held * GUARD_RATIO


def stale_kept(yielded: int, held: int, stale: int, *, force: bool, what: str, where: str,
               how: str) -> str:  # fmt: skip
    """Why the ``stale`` items are kept ("" when they may be deleted): the sentence of a
    full sync's report, naming the option that forces (``how``)."""
    if not stale or force or not too_small(yielded, held):
        return ""
    return (
        f"the channel yields {yielded} {what} against {held} {where}; "
        f"run with {how} to delete the other {stale}"
    )


def basic_auth_password(authorization: str) -> str:
    """The password of an HTTP basic ``Authorization`` header ("" without one)."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 1024:
        return ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


def feed_token_matches(expected: str, presented: str) -> bool:
    """The presented token is the configured one (never when none is configured)."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())
