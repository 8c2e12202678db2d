"""The stripe SDK wrapped: per-call key, pinned API version, idempotency key, timeout.

Nothing here touches the SDK's globals (``stripe.api_key``, ``stripe.api_version``,
``stripe.default_http_client``): Saleor's own Stripe plugin shares the module. Each call
goes through a requestor built for it with our HTTP client, so the timeout is ours:

- stripe 3.x (Saleor's pin): ``stripe.api_requestor.APIRequestor(key, client=…)``;
- stripe ≥ 8 (``stripe.StripeClient`` exists): ``StripeClient(…, http_client=…).raw_request``.

Both return the decoded JSON object, and both raise ``stripe.error.*``, which
:func:`map_error` turns into the kernel's error tree (always ``raise … from e``).
The base URL is read from ``stripe.api_base`` at call time (tests point it at a fake).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import stripe

from ..core import secrets
from ..core.errors import (
    AuthenticationError,
    IntegrationError,
    PaymentError,
    PermanentError,
    RateLimited,
    TransientError,
    parse_retry_after,
)
from ..core.http import CHECKOUT_TIMEOUT

logger = logging.getLogger("saleor_plugins.stripe")

PROVIDER = "stripe"
#: Every call names the API version this code was written against.
API_VERSION = "2024-06-20"
#: (connect, read) seconds for calls a shopper or a merchant waits for: the kernel's
#: CHECKOUT_TIMEOUT (imported above).
#: Webhook endpoint registration on save: short, the dashboard is waiting.
SETUP_TIMEOUT = (2.0, 5.0)

_HAS_STRIPE_CLIENT = hasattr(stripe, "StripeClient")
_http_clients: dict[tuple[float, float], Any] = {}
_lock = threading.Lock()


def _http_client(timeout: tuple[float, float]) -> Any:
    """One requests-based SDK HTTP client per timeout (keeps connections alive)."""
    with _lock:
        client = _http_clients.get(timeout)
        if client is None:
            if _HAS_STRIPE_CLIENT:
                client = stripe.RequestsClient(timeout=timeout)
            else:  # stripe 3.x
                client = stripe.http_client.RequestsClient(timeout=timeout)
            _http_clients[timeout] = client
        return client


class StripeClient:
    """One Stripe account (secret key), calls bounded by ``timeout``."""

    def __init__(self, secret_key: str, *, timeout: tuple[float, float] = CHECKOUT_TIMEOUT):
        if not secret_key:
            raise AuthenticationError("no Stripe secret key configured", provider=PROVIDER)
        secrets.register(secret_key)
        self._key = secret_key
        self.timeout = timeout
        self._sdk: tuple[str, Any] | None = None  # (api base, stripe.StripeClient)

    # -- transport ----------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        method = method.lower()
        started = time.monotonic()
        status: int | str = "error"
        try:
            data = self._send(method, path, params or {}, idempotency_key)
            status = 200
            return data
        except stripe.error.StripeError as e:
            status = getattr(e, "http_status", None) or "error"
            raise map_error(e) from e
        finally:
            logger.info(
                "stripe %s %s -> %s in %.0f ms",
                method.upper(),
                path,
                status,
                (time.monotonic() - started) * 1000,
            )

    def _send(
        self, method: str, path: str, params: dict[str, Any], idempotency_key: str | None
    ) -> dict[str, Any]:
        http = _http_client(self.timeout)
        if _HAS_STRIPE_CLIENT:
            base = stripe.api_base
            if self._sdk is None or self._sdk[0] != base:
                self._sdk = (
                    base,
                    stripe.StripeClient(
                        self._key,
                        stripe_version=API_VERSION,
                        base_addresses={"api": base},
                        max_network_retries=0,
                        http_client=http,
                    ),
                )
            client = self._sdk[1]
            options: dict[str, Any] = {}
            if idempotency_key and method == "post":
                options["idempotency_key"] = idempotency_key
            response = client.raw_request(method, path, **options, **params)
            return dict(response.data)
        requestor = stripe.api_requestor.APIRequestor(
            key=self._key, client=http, api_base=stripe.api_base, api_version=API_VERSION
        )
        headers = (
            {"Idempotency-Key": idempotency_key} if idempotency_key and method == "post" else {}
        )
        response, _ = requestor.request(method, path, params, headers)
        return dict(response.data)

    # -- resources ----------------------------------------------------------------------
    def create_intent(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        return self.request("post", "/v1/payment_intents", params, idempotency_key=key)

    def retrieve_intent(self, intent_id: str, expand: list[str] | None = None) -> dict[str, Any]:
        params = {"expand": expand} if expand else None
        return self.request("get", f"/v1/payment_intents/{intent_id}", params)

    def update_intent(self, intent_id: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        return self.request("post", f"/v1/payment_intents/{intent_id}", params, idempotency_key=key)

    def confirm_intent(self, intent_id: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        path = f"/v1/payment_intents/{intent_id}/confirm"
        return self.request("post", path, params, idempotency_key=key)

    def capture_intent(self, intent_id: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        path = f"/v1/payment_intents/{intent_id}/capture"
        return self.request("post", path, params, idempotency_key=key)

    def cancel_intent(self, intent_id: str, key: str) -> dict[str, Any]:
        path = f"/v1/payment_intents/{intent_id}/cancel"
        return self.request("post", path, {}, idempotency_key=key)

    def create_refund(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        return self.request("post", "/v1/refunds", params, idempotency_key=key)

    def list_refunds(self, intent_id: str) -> list[dict[str, Any]]:
        """The intent's refunds, newest first (Stripe's order), at most 100."""
        page = self.request("get", "/v1/refunds", {"payment_intent": intent_id, "limit": 100})
        return list(page.get("data") or [])

    def balance_transactions(self, payout_id: str) -> Iterator[dict[str, Any]]:
        """Every balance transaction an automatic payout paid out, page after page.

        What the SDK's ``BalanceTransaction.list(payout=...).auto_paging_iter()`` does
        (``has_more`` / ``starting_after``, 100 a page), through this client's requestor
        so the timeout and the per-call key stay ours.
        """
        params: dict[str, Any] = {"payout": payout_id, "limit": 100}
        while True:
            page = self.request("get", "/v1/balance_transactions", params)
            data = list(page.get("data") or [])
            yield from data
            if not page.get("has_more") or not data:
                return
            params = {**params, "starting_after": data[-1]["id"]}

    def create_customer(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        return self.request("post", "/v1/customers", params, idempotency_key=key)

    def list_payment_methods(self, customer_id: str, type_: str = "card") -> list[dict[str, Any]]:
        params = {"customer": customer_id, "type": type_, "limit": 100}
        page = self.request("get", "/v1/payment_methods", params)
        return list(page.get("data") or [])

    def list_webhook_endpoints(self) -> list[dict[str, Any]]:
        page = self.request("get", "/v1/webhook_endpoints", {"limit": 100})
        return list(page.get("data") or [])

    def create_webhook_endpoint(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        return self.request("post", "/v1/webhook_endpoints", params, idempotency_key=key)

    def delete_webhook_endpoint(self, endpoint_id: str) -> dict[str, Any]:
        return self.request("delete", f"/v1/webhook_endpoints/{endpoint_id}")


def map_error(e: Exception) -> IntegrationError:
    """The kernel error for a stripe SDK exception (the caller chains it)."""
    err = stripe.error
    status = getattr(e, "http_status", None)
    code = str(getattr(e, "code", "") or "")
    message = secrets.scrub(str(getattr(e, "user_message", None) or e) or type(e).__name__)
    text = f"Stripe: {message}"
    if isinstance(e, err.CardError):
        return PaymentError(
            text, customer_message=message, provider=PROVIDER, status=status, code=code
        )
    if isinstance(e, err.RateLimitError):
        headers = getattr(e, "headers", None) or {}
        retry_after = parse_retry_after(headers.get("Retry-After") if headers else None)
        return RateLimited(
            text, retry_after=retry_after, provider=PROVIDER, status=status, code=code
        )
    if isinstance(e, err.APIConnectionError):
        return TransientError(f"Stripe unreachable: {message}", provider=PROVIDER, code=code)
    if isinstance(e, err.AuthenticationError | err.PermissionError):
        return AuthenticationError(text, provider=PROVIDER, status=status, code=code)
    if isinstance(e, err.IdempotencyError):
        return PermanentError(text, provider=PROVIDER, status=status, code="idempotency_error")
    if isinstance(e, err.InvalidRequestError):
        return PermanentError(text, provider=PROVIDER, status=status, code=code)
    if status is not None and status < 500 and status != 409:
        return PermanentError(text, provider=PROVIDER, status=status, code=code)
    return TransientError(text, provider=PROVIDER, status=status, code=code)
