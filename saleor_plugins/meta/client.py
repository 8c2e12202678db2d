"""The Graph API calls this integration makes, through the kernel's HTTP policy.

Plain HTTP (:class:`~saleor_plugins.core.http.PolicySession`), not the ``facebook-business``
SDK: see docs/meta.md for why. The token travels in the ``Authorization`` header, never
in a URL.

Every response's usage headers are read, not only refusals' (:func:`usage_wait`):
``X-Business-Use-Case-Usage`` (the catalog's and the pixel's business use cases),
``X-App-Usage`` (the app's platform limit) and ``X-Ad-Account-Usage``. When Meta gives an
``estimated_time_to_regain_access`` (minutes) or a ``reset_time_duration`` (seconds) the
account is paused that long in the kernel's shared limiter; from 75 % of any reported
quota, for a time growing to 60 s at 100 %, so calls slow down before Meta refuses. Every
call first waits out its account's pause (:meth:`Limiter.wait_out_pause`) and the
delivery slot does too, so every worker of every channel on that account slows down.

Graph errors (``{"error": {"code", "message", ...}}``) become the kernel's
error classes:

- code 190 (OAuthException: expired or revoked token) or 102 -> :class:`AuthenticationError`
  (one circuit for the channel, not one failure per product);
- codes 4, 17, 32, 613, 80004, 80014 (rate limits), or a usage header asking to wait ->
  :class:`RateLimited` with the wait Meta gave;
- codes 1, 2 and 5xx -> :class:`TransientError`; anything else -> :class:`PermanentError`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings as django_settings

from ..core import secrets
from ..core.errors import (
    AuthenticationError,
    IntegrationError,
    PermanentError,
    RateLimited,
    TransientError,
    classify_status,
    parse_retry_after,
)
from ..core.http import PolicySession, raise_for_response
from ..core.ratelimit import limiter

PROVIDER = "meta"
GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v24.0"
#: Conversions API: events per request (Meta's limit)
MAX_EVENTS = 1000
#: items_batch: requests per call (Meta allows 5,000; kept well below) and bytes per call
MAX_ITEMS = 3000
MAX_BATCH_BYTES = 20 * 1024 * 1024  # Meta refuses above 28 MB
AUTH_CODES = frozenset({102, 190})
RATE_CODES = frozenset({4, 17, 32, 613, 80004, 80014})
TRANSIENT_CODES = frozenset({1, 2})
USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Ad-Account-Usage")
#: usage (percent of a quota) from which calls slow down, and the pause at 100 %
SLOW_FROM = 75.0
FULL_PAUSE = 60.0


def graph_url() -> str:
    return str(getattr(django_settings, "SALEOR_PLUGINS_META_GRAPH_URL", GRAPH_URL)).rstrip("/")


class BatchFailed(TransientError):
    """Meta failed a catalog batch as a whole: none of it was applied."""


@dataclass(slots=True)
class BatchResult:
    """What Meta reported for one or more items_batch handles once finished."""

    handles: list[str] = field(default_factory=list)
    #: retailer id -> Meta's message, for the items it refused
    errors: dict[str, str] = field(default_factory=dict)
    requests: int = 0


class MetaClient:
    def __init__(
        self,
        access_token: str,
        *,
        account: str = "",
        max_wait: float = 5.0,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        self._token = access_token
        #: the limiter's key for this token's Meta quotas ("" : no shared pause)
        self.account = account
        self.max_wait = max_wait
        self.session = PolicySession(PROVIDER, timeout=timeout)
        self.requests = 0  # calls made (benchmarks, sync log)

    # -- plumbing ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{graph_url()}/{API_VERSION}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {self._token}"}
        if self.account:
            limiter.wait_out_pause(self.account, max_wait=self.max_wait)
        self.requests += 1
        response = self.session.request(method, url, headers=headers, **kwargs)
        wait = usage_wait(response.headers)
        if wait > 0 and self.account:
            limiter.pause(self.account, wait)
        if wait > 0 and response.status_code >= 400:
            raise RateLimited(
                f"meta usage limit reached: wait {wait:.0f} s",
                provider=PROVIDER,
                status=response.status_code,
                retry_after=wait,
            )
        if response.status_code >= 400:
            raise graph_error(response)
        raise_for_response(response, PROVIDER)
        try:
            body = response.json()
        except ValueError as e:
            raise TransientError(
                f"meta answered {response.status_code} with a body that is not JSON",
                provider=PROVIDER,
                status=response.status_code,
            ) from e
        return body if isinstance(body, dict) else {"data": body}

    # -- Conversions API ---------------------------------------------------------------------
    def send_events(
        self, pixel_id: str, events: list[dict[str, Any]], test_event_code: str = ""
    ) -> int:
        """POST /<pixel>/events in chunks of 1,000; returns how many Meta received."""
        received = 0
        for start in range(0, len(events), MAX_EVENTS):
            form = {"data": json.dumps(events[start : start + MAX_EVENTS])}
            if test_event_code:
                form["test_event_code"] = test_event_code
            body = self._call("POST", f"{pixel_id}/events", data=form)
            received += int(body.get("events_received", 0))
        return received

    # -- Catalog Batch API ---------------------------------------------------------------------
    def items_batch(self, catalog_id: str, item_requests: list[dict[str, Any]]) -> list[str]:
        """POST /<catalog>/items_batch in chunks (≤ 3,000 items, ≤ 20 MB); returns handles."""
        handles: list[str] = []
        for chunk in chunks(item_requests):
            form = {
                "item_type": "PRODUCT_ITEM",
                "allow_upsert": "true",
                "requests": json.dumps(chunk),
            }
            body = self._call("POST", f"{catalog_id}/items_batch", data=form)
            handles += [str(h) for h in body.get("handles") or []]
        return handles

    def batch_status(self, catalog_id: str, handle: str) -> dict[str, Any]:
        body = self._call(
            "GET", f"{catalog_id}/check_batch_request_status", params={"handle": handle}
        )
        data = body.get("data") or [{}]
        return dict(data[0])

    def wait_for(
        self, catalog_id: str, handles: list[str], *, polls: int = 30, interval: float = 1.0
    ) -> BatchResult:
        """Poll each handle until Meta finished it; collect per-item errors.

        A handle still unfinished after ``polls`` raises :class:`TransientError`: the job
        retries and sends the (idempotent) upserts again.
        """
        result = BatchResult(handles=list(handles))
        for handle in handles:
            for attempt in range(polls):
                status = self.batch_status(catalog_id, handle)
                if str(status.get("status", "")).lower() in ("finished", "error"):
                    break
                if attempt + 1 < polls:
                    time.sleep(interval)
            else:
                raise TransientError(
                    f"catalog batch {handle} still not finished after {polls} checks",
                    provider=PROVIDER,
                )
            errors = status.get("errors") or []
            if str(status.get("status", "")).lower() == "error" and not errors:
                # the whole batch failed without naming an item: nothing may be recorded
                raise BatchFailed(f"catalog batch {handle} failed", provider=PROVIDER)
            for error in errors:
                key = str(error.get("id") or error.get("retailer_id") or "?")
                result.errors[key] = str(error.get("message", "refused"))[:300]
        return result

    def check(self, catalog_id: str, pixel_id: str) -> None:
        """One bounded read per id: refused token or ids raise."""
        for object_id in (catalog_id, pixel_id):
            if object_id:
                self._call("GET", object_id, params={"fields": "id"})


def chunks(item_requests: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split into requests of ≤ MAX_ITEMS items and ≤ MAX_BATCH_BYTES of JSON."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 2
    for item in item_requests:
        item_size = len(json.dumps(item).encode()) + 1
        if current and (len(current) >= MAX_ITEMS or size + item_size > MAX_BATCH_BYTES):
            out.append(current)
            current, size = [], 2
        current.append(item)
        size += item_size
    if current:
        out.append(current)
    return out


def graph_error(response: requests.Response) -> IntegrationError:
    """A Graph API error response as the kernel's error class."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = int(error.get("code") or 0) if str(error.get("code") or "0").isdigit() else 0
    message = secrets.scrub(str(error.get("message") or response.text[:300]))
    text = f"meta answered {response.status_code}: {message}"
    if code in AUTH_CODES or (error.get("type") == "OAuthException" and code == 190):
        return AuthenticationError(text, provider=PROVIDER, status=response.status_code, code="190")
    if code in RATE_CODES:
        return RateLimited(
            text,
            provider=PROVIDER,
            status=response.status_code,
            code=str(code),
            retry_after=parse_retry_after(response.headers.get("Retry-After")) or 60.0,
        )
    if code in TRANSIENT_CODES:
        return TransientError(text, provider=PROVIDER, status=response.status_code, code=str(code))
    if response.status_code >= 500 or response.status_code == 429:
        return classify_status(response.status_code, text, provider=PROVIDER, code=str(code))
    if response.status_code == 401:
        return AuthenticationError(text, provider=PROVIDER, status=401, code=str(code))
    return PermanentError(text, provider=PROVIDER, status=response.status_code, code=str(code))


def _percent(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _usage_entries(headers: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every usage report of a response: one per business use case, the app's, the ad
    account's (headers that are missing or not JSON are left out)."""
    entries: list[dict[str, Any]] = []
    for name in USAGE_HEADERS:
        try:
            usage = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        if name == "X-Business-Use-Case-Usage" and isinstance(usage, dict):
            for per_object in usage.values():
                entries += [e for e in per_object if isinstance(e, dict)]
        elif isinstance(usage, dict):
            entries.append(usage)
    return entries


def usage_wait(headers: Mapping[str, str]) -> float:
    """Seconds the account should wait before its next call, from the usage headers."""
    wait, top = 0.0, 0.0
    for entry in _usage_entries(headers):
        wait = max(wait, _percent(entry.get("estimated_time_to_regain_access")) * 60)
        top = max(
            top,
            *(_percent(entry.get(k)) for k in ("call_count", "total_cputime", "total_time")),
            _percent(entry.get("acc_id_util_pct")),
        )
        if _percent(entry.get("acc_id_util_pct")) >= 100:
            wait = max(wait, _percent(entry.get("reset_time_duration")))
    if top >= SLOW_FROM:
        wait = max(wait, FULL_PAUSE * min(top - SLOW_FROM, 100 - SLOW_FROM) / (100 - SLOW_FROM))
    return wait
