"""QuickBooks Online through python-quickbooks' client, with our tokens and timeouts.

- No ``intuit-oauth`` ``AuthClient`` is ever built: its constructor downloads Intuit's
  discovery document, and one built without an access token refreshes on every call and
  loses the rotated refresh token (ej2/python-quickbooks#392). Every request asks
  :func:`saleor_plugins.core.oauth.access_token`, which refreshes once for all workers
  only when the token expired and stores the newest refresh token first.
- The SDK builds the URLs, adds ``minorversion`` and ``requestid`` and turns QuickBooks'
  faults into exceptions; :class:`_Client` sends the request itself (a timeout, our
  bearer token) and keeps the HTTP status, which the SDK drops, so a 429 is a 429.
- Every write carries a ``requestid``: QuickBooks answers a repeated id with the first
  answer instead of applying the write again. The SDK's batch helper is never used (it
  sends random item ids and no ``requestid``).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.conf import settings as django_settings

from ..core import oauth, secrets
from ..core.errors import (
    AuthenticationError,
    IntegrationError,
    PermanentError,
    RateLimited,
    TransientError,
)
from .settings import QuickBooksSettings

PROVIDER = "quickbooks"
INTEGRATION = "saleor_plugins.quickbooks"
TIMEOUT = (5.0, 30.0)
MINOR_VERSION = 75
#: operations per batch request (Intuit's maximum)
BATCH_SIZE = 30
SCOPES = ("com.intuit.quickbooks.accounting",)
#: QuickBooks asks for a 60 s pause after a 429
THROTTLE_WAIT = 60.0
#: fault codes: throttled; token refused; app not authorised for this company (realm)
THROTTLED, AUTH_CODES = 3001, (100, 3100, 3200)


def _url(name: str, default: str) -> str:
    return str(getattr(django_settings, f"SALEOR_PLUGINS_QUICKBOOKS_{name}", default))


def provider(settings: QuickBooksSettings) -> oauth.Provider:
    return oauth.Provider(
        name="QuickBooks",
        authorize_url=_url("APPCENTER_URL", "https://appcenter.intuit.com") + "/connect/oauth2",
        token_url=_url("OAUTH_URL", "https://oauth.platform.intuit.com")
        + "/oauth2/v1/tokens/bearer",
        revoke_url=_url("REVOKE_URL", "https://developer.api.intuit.com")
        + "/v2/oauth2/tokens/revoke",
        client_id=settings.client_id,
        client_secret=settings.secret("client_secret"),
        scopes=SCOPES,
    )


def translate(error: Exception, status: int | None) -> IntegrationError:
    """The SDK's and requests' errors onto the kernel's tree (scrubbed)."""
    import requests
    from quickbooks import exceptions as qbe

    secrets.scrub_exception(error)
    if isinstance(error, IntegrationError):
        return error
    if isinstance(error, requests.RequestException | OSError):
        return TransientError(f"QuickBooks unreachable: {type(error).__name__}", provider=PROVIDER)
    if isinstance(error, qbe.QuickbooksException):
        code = int(error.error_code) if str(error.error_code).isdigit() else 0
        text = secrets.scrub(f"{error.message}: {error.detail}".strip(": "))[:1000]
        if status == 429 or code == THROTTLED:
            return RateLimited(
                "QuickBooks throttled the company (429)",
                retry_after=THROTTLE_WAIT,
                provider=PROVIDER,
                status=429,
            )
        if status in (401, 403) or code in AUTH_CODES:
            return AuthenticationError(
                f"QuickBooks refused the connection ({status or code}): {text}. Check the "
                "connected company (realm) or reconnect from the plugin's page",
                provider=PROVIDER,
                status=status or 401,
            )
        if (status or 0) >= 500 or code >= 10000:
            return TransientError(f"QuickBooks answered {status}", provider=PROVIDER, status=status)
        return PermanentError(
            f"QuickBooks refused the request ({code}): {text}", provider=PROVIDER, status=status
        )
    raise error  # not a transport or API error: a bug, reported as one by the kernel


@cache
def _sdk_client() -> type:
    from quickbooks.client import QuickBooks

    class _Client(QuickBooks):  # type: ignore[misc]
        """The SDK's request building and fault parsing; our transport and token."""

        token: Any
        http: Any
        last_status: int | None = None

        def process_request(
            self, request_type: str, url: str, headers: Any = "", params: Any = "", data: Any = ""
        ) -> Any:
            headers = dict(headers or {}, Authorization=f"Bearer {self.token()}")
            response = self.http.request(
                request_type, url, headers=headers, params=params, data=data, timeout=TIMEOUT
            )
            self.last_status = response.status_code
            return response

    return _Client


class QuickBooksClient:
    def __init__(self, settings: QuickBooksSettings, channel: str, realm: str) -> None:
        self.settings, self.channel, self.realm = settings, channel, realm
        self.provider = provider(settings)
        import requests

        qb = _sdk_client()(company_id=realm, minorversion=MINOR_VERSION)
        qb.http = requests.Session()
        qb.token = lambda: oauth.access_token(self.provider, INTEGRATION, self.channel)
        qb.api_url_v3 = _url("API_URL", "https://quickbooks.api.intuit.com") + "/v3"
        self.qb = qb

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.qb.last_status = None
        try:
            return dict(getattr(self.qb, method)(*args, **kwargs) or {})
        except Exception as e:
            raise translate(e, self.qb.last_status) from e

    def create(
        self, entity: str, body: dict[str, Any], request_id: str, **params: str
    ) -> dict[str, Any]:
        """One write; ``request_id`` makes a repeat answer the first result, not a copy."""
        answer = self._call(
            "create_object",
            entity,
            json.dumps(body, default=_number),
            request_id=request_id,
            params=dict(params) or None,
        )
        return dict(answer.get(entity) or {})

    def batch(
        self, items: list[tuple[str, str, dict[str, Any]]], request_id: str
    ) -> dict[str, tuple[dict[str, Any] | None, str]]:
        """Up to :data:`BATCH_SIZE` creates in one request: ``bId -> (object, fault)``.

        Built here, not with the SDK's batch helper (random item ids, no ``requestid``):
        the ``bId`` s are ours and the whole batch carries a ``requestid``, so a batch whose
        answer was lost is answered again, not applied twice.
        """
        assert len(items) <= BATCH_SIZE
        body = {
            "BatchItemRequest": [
                {"bId": bid, "operation": "create", entity: obj} for bid, entity, obj in items
            ]
        }
        url = f"{self.qb.api_url}/company/{self.realm}/batch"
        answer = self._call("post", url, json.dumps(body, default=_number), request_id=request_id)
        found: dict[str, tuple[dict[str, Any] | None, str]] = {}
        kinds = {entity for _, entity, _ in items}
        for item in answer.get("BatchItemResponse") or []:
            errors = (item.get("Fault") or {}).get("Error") or []
            text = "; ".join(
                f"{e.get('Message')} ({e.get('code')}): {e.get('Detail', '')}" for e in errors
            )
            obj = next((item[k] for k in kinds if k in item), None)
            found[str(item.get("bId"))] = (obj, secrets.scrub(text)[:1000])
        return found

    def customer_named(self, display_name: str) -> dict[str, Any] | None:
        """The one read a write needs: the customer QuickBooks says already has this name."""
        quoted = display_name.replace("\\", "\\\\").replace("'", "\\'")
        # Intuit's query language, not SQL: the name is a quoted literal, quotes escaped
        select = f"select * from Customer where DisplayName = '{quoted}'"  # noqa: S608
        answer = self._call("query", select)
        found = (answer.get("QueryResponse") or {}).get("Customer") or []
        return dict(found[0]) if found else None


def _number(value: Any) -> float:
    """Decimals as JSON numbers (amounts carry at most four decimals: exact as floats)."""
    return float(value)
