"""mailchimp-marketing wrapped: explicit host, timeouts, and errors mapped onto the kernel's.

The SDK (3.0.80) replaces the word ``server`` anywhere in the URL with the data centre, so
an id such as ``fileserver-42`` would be corrupted: :class:`_ApiClient` sets the host
explicitly and switches the replacement off. It also sends every request through a
:class:`~saleor_plugins.core.http.PolicySession` (timeouts, one log line, secrets scrubbed).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import requests
from django.conf import settings
from mailchimp_marketing import ApiClient
from mailchimp_marketing.api.batch_webhooks_api import BatchWebhooksApi
from mailchimp_marketing.api.batches_api import BatchesApi
from mailchimp_marketing.api.ecommerce_api import EcommerceApi
from mailchimp_marketing.api.lists_api import ListsApi
from mailchimp_marketing.api_client import ApiClientError

from ..core import secrets
from ..core.errors import (
    IntegrationError,
    PermanentError,
    RateLimited,
    classify_status,
    parse_retry_after,
)
from ..core.http import PolicySession
from .settings import data_centre

PROVIDER = "mailchimp"
DEFAULT_API_URL = "https://{dc}.api.mailchimp.com/3.0"
T = TypeVar("T")

#: Mailchimp refusals that no retry will change (the title of its problem+json answer).
PERMANENT_TITLES = {
    "Forgotten Email Not Subscribed": "forgotten",
    "Member In Compliance State": "compliance",
    "Invalid Resource": "invalid",
}


class NotFound(PermanentError):
    """404: the object is not at Mailchimp (callers decide whether that is fine)."""


def api_url(dc: str) -> str:
    """The API base for a data centre; tests point it at a local fake server."""
    template = getattr(settings, "SALEOR_PLUGINS_MAILCHIMP_API_URL", "") or DEFAULT_API_URL
    return str(template).format(dc=dc).rstrip("/")


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: MD5 of the lower-cased address (an identifier, not security)."""
    return hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()


def account_key(api_key: str) -> str:
    """Names the Mailchimp account without revealing the key: data centre + key digest."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return f"mailchimp:{data_centre(api_key)}:{digest}"


class _TransportFailed(Exception):
    """Carries a kernel error through the SDK's ``except Exception`` wrapper."""

    def __init__(self, error: IntegrationError) -> None:
        super().__init__(str(error))
        self.error = error


class _ApiClient(ApiClient):  # type: ignore[misc]
    def __init__(
        self, api_key: str, host: str, session: requests.Session, timeout: tuple[float, float]
    ) -> None:
        super().__init__({"api_key": api_key})
        self.host = host
        self.server = ""  # no str.replace("server", dc) on our URLs
        self.session = session
        self.timeout = timeout
        self.last_response: requests.Response | None = None

    def request(
        self,
        method: str,
        url: str,
        query_params: Any = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> requests.Response:
        try:
            response = self.session.request(
                method,
                url,
                params=query_params,
                headers=headers,
                auth=("saleor", self.api_key),
                data=None if body is None else json.dumps(body),
                timeout=self.timeout,
            )
        except IntegrationError as e:
            raise _TransportFailed(e) from e
        self.last_response = response
        if not response.ok and not response.content:
            raise ApiClientError("", response.status_code)
        return response


class MailchimpClient:
    """One Mailchimp account, as the SDK's API objects plus error mapping."""

    def __init__(
        self,
        api_key: str,
        *,
        timeout: tuple[float, float] = (5.0, 20.0),
        slot: Callable[[], AbstractContextManager[Any]] | None = None,
    ) -> None:
        self.api_key = api_key
        secrets.register(api_key)
        self.session = PolicySession(PROVIDER, timeout=timeout)
        self.api = _ApiClient(api_key, api_url(data_centre(api_key)), self.session, timeout)
        self.ecommerce = EcommerceApi(self.api)
        self.lists = ListsApi(self.api)
        self.batches = BatchesApi(self.api)
        self.batch_webhooks = BatchWebhooksApi(self.api)
        self.slot = slot or nullcontext
        self.requests = 0

    # -- the one place every SDK call goes through ------------------------------------
    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self.requests += 1
        with self.slot():
            try:
                return fn(*args, **kwargs)
            except ApiClientError as e:
                raise self._error(e) from e

    def _error(self, e: ApiClientError) -> IntegrationError:
        if isinstance(e.text, _TransportFailed):
            return e.text.error
        if e.status_code is None:
            return classify_status(
                503, secrets.scrub(f"mailchimp unreachable: {e.text}"), provider=PROVIDER
            )
        problem = _problem(e.text)
        title, detail = str(problem.get("title", "")), str(problem.get("detail", ""))
        message = secrets.scrub(f"Mailchimp {e.status_code} {title}: {detail}".strip())
        status = int(e.status_code)
        retry_after = None
        if self.api.last_response is not None:
            retry_after = parse_retry_after(self.api.last_response.headers.get("Retry-After"))
        if status == 429:
            return RateLimited(
                message, retry_after=retry_after or 10.0, provider=PROVIDER, status=status
            )
        if status == 404:
            return NotFound(message, provider=PROVIDER, status=status, code="not_found")
        if status == 400 and title in PERMANENT_TITLES:
            return PermanentError(
                message, provider=PROVIDER, status=status, code=PERMANENT_TITLES[title]
            )
        return classify_status(status, message, provider=PROVIDER, retry_after=retry_after)

    # -- idioms -----------------------------------------------------------------------
    def delete(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Delete; an object already gone is success. Returns whether it existed."""
        try:
            self.call(fn, *args)
        except NotFound:
            return False
        return True

    def save(
        self,
        update: Callable[..., Any],
        create: Callable[..., Any],
        args: tuple[Any, ...],
        body: dict[str, Any],
        *,
        exists: bool,
        create_args: tuple[Any, ...] = (),
        create_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """PATCH what we know Mailchimp holds, POST what it does not (orders, products,
        carts and promo codes have no PUT). ``exists`` comes from the ledger; when it is
        wrong the other call follows: a PATCH answered 404 (deleted at Mailchimp since)
        is created again, a POST answered "already exists" (sent before the ledger knew,
        or by another worker) is updated."""
        if exists:
            try:
                return _dict(self.call(update, *args, body))
            except NotFound:
                pass
        try:
            return _dict(self.call(create, *create_args, create_body or body))
        except PermanentError as e:
            if not already_exists(e):
                raise
        return _dict(self.call(update, *args, body))

    def batch_results(self, url: str) -> Iterator[dict[str, Any]]:
        """The per-operation answers of a finished batch (a gzipped tar of JSON arrays)."""
        response = self.session.request("GET", url)
        if not response.ok:
            raise classify_status(
                response.status_code, "batch results unavailable", provider=PROVIDER
            )
        with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
            for member in archive.getmembers():
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is None:
                    continue
                yield from json.loads(handle.read() or b"[]")


def already_exists(error: PermanentError) -> bool:
    """Mailchimp's answer to a POST of an id it has (400 "... already exists")."""
    return error.status == 400 and "already exists" in str(error).lower()


def _problem(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        parsed = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {"detail": str(text)[:300]}
    return parsed if isinstance(parsed, dict) else {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
