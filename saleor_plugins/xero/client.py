"""Xero through the official SDK, with its own retries off and our tokens.

- xero-python builds its urllib3 pool with the default ``Retry``, which sleeps on 429
  (for hours on the daily limit, XeroAPI/xero-python#199): the pool is replaced with
  ``retries=False`` so the kernel's backoff and ``Retry-After`` decide.
- The SDK is given a token without client credentials, so it never refreshes by itself:
  every call asks :func:`saleor_plugins.core.oauth.access_token`, which refreshes once
  for all workers.
- Every write carries an ``Idempotency-Key``; batch writes use ``summarizeErrors=false``
  so one invalid document does not fail the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings as django_settings

from ..core import oauth, secrets
from ..core.errors import (
    AuthenticationError,
    IntegrationError,
    PermanentError,
    RateLimited,
    TransientError,
    parse_retry_after,
)
from .settings import XeroSettings

PROVIDER = "xero"
INTEGRATION = "saleor_plugins.xero"
TIMEOUT = (5.0, 30.0)
SCOPES = (
    "offline_access",
    "accounting.transactions",
    "accounting.contacts",
    "accounting.settings.read",
)


def api_url() -> str:
    return str(getattr(django_settings, "SALEOR_PLUGINS_XERO_API_URL", "https://api.xero.com"))


def provider(settings: XeroSettings) -> oauth.Provider:
    login = getattr(django_settings, "SALEOR_PLUGINS_XERO_LOGIN_URL", "https://login.xero.com")
    identity = getattr(
        django_settings, "SALEOR_PLUGINS_XERO_IDENTITY_URL", "https://identity.xero.com"
    )
    return oauth.Provider(
        name="Xero",
        authorize_url=f"{login}/identity/connect/authorize",
        token_url=f"{identity}/connect/token",
        revoke_url=f"{identity}/connect/revocation",
        client_id=settings.client_id,
        client_secret=settings.secret("client_secret"),
        scopes=SCOPES,
    )


@dataclass(slots=True)
class Element:
    """One document of a batch answer: its id, or Xero's validation messages."""

    id: str
    number: str
    errors: list[str]
    raw: dict[str, Any]


def next_utc_midnight() -> float:
    now = datetime.now(UTC)
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=5, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


def translate(error: Exception) -> IntegrationError:
    """The SDK's and urllib3's errors onto the kernel's tree (scrubbed)."""
    import urllib3
    from xero_python.exceptions import ApiException, OAuth2Error

    secrets.scrub_exception(error)
    if isinstance(error, IntegrationError):
        return error
    if isinstance(error, urllib3.exceptions.HTTPError | OSError):
        return TransientError(f"Xero unreachable: {type(error).__name__}", provider=PROVIDER)
    if isinstance(error, OAuth2Error):
        return AuthenticationError(f"Xero token problem: {error}", provider=PROVIDER)
    if isinstance(error, ApiException):
        status = int(error.status) if str(error.status).isdigit() else 400
        headers = {k.lower(): v for k, v in (error.headers or {}).items()}
        raw = error.body or b""
        body = secrets.scrub(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
        if status == 429:
            problem = headers.get("x-rate-limit-problem", "")
            wait = parse_retry_after(headers.get("retry-after"))
            if problem == "day":  # the daily quota: wait for tomorrow, never spin
                wait = max(wait or 0, next_utc_midnight())
            return RateLimited(
                f"Xero rate limit ({problem or 'minute'})",
                retry_after=wait,
                provider=PROVIDER,
                status=429,
            )
        if status in (401, 403):
            return AuthenticationError(
                f"Xero refused the connection: {body[:500]}", provider=PROVIDER, status=status
            )
        if status >= 500 or status in (408, 409, 423):
            return TransientError(f"Xero answered {status}", provider=PROVIDER, status=status)
        return PermanentError(
            f"Xero refused the request: {(_messages(body) or body)[:1000]}",
            provider=PROVIDER,
            status=status,
        )
    raise error  # not a transport or API error: a bug, reported as one by the kernel


def _messages(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    found = [
        str(m.get("Message"))
        for element in data.get("Elements", []) or []
        for m in element.get("ValidationErrors", []) or []
    ]
    return "; ".join(found) or str(data.get("Message") or "")


class XeroClient:
    def __init__(self, settings: XeroSettings, channel: str) -> None:
        import urllib3
        from xero_python.accounting import AccountingApi
        from xero_python.api_client import ApiClient, Configuration
        from xero_python.api_client.oauth2 import OAuth2Token
        from xero_python.identity import IdentityApi

        self.settings, self.channel = settings, channel
        self.provider = provider(settings)
        # no client credentials: the SDK can never refresh (and race) on its own
        config = Configuration(oauth2_token=OAuth2Token())
        self.api = ApiClient(
            config, oauth2_token_getter=self._token, oauth2_token_saver=lambda t: None
        )
        self.api.rest_client.pool_manager = urllib3.PoolManager(
            num_pools=2, maxsize=5, retries=False, timeout=urllib3.Timeout(*TIMEOUT)
        )
        self.accounting = AccountingApi(self.api, base_url=f"{api_url()}/api.xro/2.0")
        self.identity = IdentityApi(self.api, base_url=api_url())

    def _token(self) -> dict[str, Any]:
        token = oauth.access_token(self.provider, INTEGRATION, self.channel)
        return {"access_token": token, "token_type": "Bearer", "expires_in": 600, "scope": SCOPES}

    def tenants(self) -> list[dict[str, str]]:
        try:
            found = self.identity.get_connections()
        except Exception as e:
            raise translate(e) from e
        return [
            {
                "id": str(c.tenant_id),
                "name": str(c.tenant_name or ""),
                "type": str(c.tenant_type or ""),
            }
            for c in found
        ]

    def _elements(self, answer: Any, kind: str) -> list[Element]:
        from xero_python.api_client import serializer

        data = serializer.serialize(answer)
        out = []
        id_field, number_field = {
            "Invoices": ("InvoiceID", "InvoiceNumber"),
            "CreditNotes": ("CreditNoteID", "CreditNoteNumber"),
            "Payments": ("PaymentID", "Reference"),
            "BankTransfers": ("BankTransferID", "Reference"),
            "BankTransactions": ("BankTransactionID", "Reference"),
        }[kind]
        for element in data.get(kind, []) or []:
            errors = [str(m.get("Message")) for m in element.get("ValidationErrors", []) or []]
            out.append(
                Element(
                    str(element.get(id_field) or ""),
                    str(element.get(number_field) or ""),
                    errors,
                    element,
                )
            )
        return out

    def _write(self, method: str, kind: str, wrapper: Any, key: str, tenant: str) -> list[Element]:
        try:
            answer = (
                getattr(self.accounting, method)(
                    tenant, wrapper, summarize_errors=False, unitdp=4, idempotency_key=key
                )
                if kind != "Payments"
                else self.accounting.create_payments(
                    tenant, wrapper, summarize_errors=False, idempotency_key=key
                )
            )
        except Exception as e:
            raise translate(e) from e
        return self._elements(answer, kind)

    def put_invoices(self, invoices: list[Any], key: str, tenant: str) -> list[Element]:
        from xero_python.accounting import Invoices

        return self._write(
            "update_or_create_invoices", "Invoices", Invoices(invoices=invoices), key, tenant
        )

    def put_credit_notes(self, notes: list[Any], key: str, tenant: str) -> list[Element]:
        from xero_python.accounting import CreditNotes

        return self._write(
            "update_or_create_credit_notes",
            "CreditNotes",
            CreditNotes(credit_notes=notes),
            key,
            tenant,
        )

    def put_payments(self, payments: list[Any], key: str, tenant: str) -> list[Element]:
        from xero_python.accounting import Payments

        return self._write("create_payments", "Payments", Payments(payments=payments), key, tenant)

    def put_bank_transfers(self, transfers: list[Any], key: str, tenant: str) -> list[Element]:
        from xero_python.accounting import BankTransfers

        wrapper = BankTransfers(bank_transfers=transfers)
        return self._send("create_bank_transfer", "BankTransfers", wrapper, tenant, key)

    def put_bank_transactions(
        self, transactions: list[Any], key: str, tenant: str
    ) -> list[Element]:
        from xero_python.accounting import BankTransactions

        wrapper = BankTransactions(bank_transactions=transactions)
        return self._send(
            "create_bank_transactions",
            "BankTransactions",
            wrapper,
            tenant,
            key,
            summarize_errors=False,
        )

    def _send(
        self, method: str, kind: str, wrapper: Any, tenant: str, key: str, **params: Any
    ) -> list[Element]:
        try:
            answer = getattr(self.accounting, method)(
                tenant, wrapper, idempotency_key=key, **params
            )
        except Exception as e:
            raise translate(e) from e
        return self._elements(answer, kind)
