"""One HTTP policy for every provider client.

- every request has a timeout (connect, read), never the library's "wait forever";
- every response is logged once (method, host, path, status, duration) with secrets
  scrubbed from the URL;
- :func:`raise_for_response` and :func:`transport_error` turn responses and transport
  failures into the kernel's error tree, always chaining the cause.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from . import secrets
from .errors import IntegrationError, TransientError, classify_status, parse_retry_after

logger = logging.getLogger("saleor_plugins.http")

DEFAULT_TIMEOUT = (5.0, 20.0)  # (connect, read) seconds
CHECKOUT_TIMEOUT = (3.0, 10.0)  # calls a shopper waits for


class PolicySession(requests.Session):
    """A ``requests.Session`` that always times out and logs each response."""

    def __init__(self, provider: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.provider = provider
        self.default_timeout = timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        started = time.monotonic()
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as e:
            raise transport_error(e, self.provider) from e
        parts = urlsplit(str(url))
        logger.info(
            "%s %s %s%s -> %s in %.0f ms",
            self.provider,
            str(method).upper(),
            parts.netloc,
            secrets.scrub(parts.path),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response


def raise_for_response(response: requests.Response, provider: str) -> requests.Response:
    """Return the response if 2xx/3xx, else raise the matching kernel error."""
    if response.status_code < 400:
        return response
    detail = secrets.scrub(response.text[:500])
    raise classify_status(
        response.status_code,
        f"{provider} answered {response.status_code}: {detail}",
        provider=provider,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def transport_error(error: BaseException, provider: str) -> IntegrationError:
    """A timeout, reset or DNS failure: always worth retrying.

    ``error`` (the cause the caller chains) is scrubbed in place: its message holds the URL.
    """
    secrets.scrub_exception(error)
    return TransientError(
        secrets.scrub(f"{provider} unreachable: {type(error).__name__}: {error}"),
        provider=provider,
    )
