"""The Merchant API through google-api-python-client (static discovery, httplib2).

Every call has a timeout; every SDK or transport exception is mapped onto the kernel's
error tree (``raise ... from e``): a refused token or a 401/403 is an
:class:`AuthenticationError` (the kernel opens the circuit: one error, not one per
product), 429/5xx are transient, other 4xx permanent. Writes go out in HTTP batches of up
to :data:`BATCH_LIMIT` calls; an offer the API refuses inside a batch is reported by offer
id with Google's reason instead of failing its neighbours.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import httplib2
from django.conf import settings as django_settings
from google.auth.exceptions import GoogleAuthError, RefreshError
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from ..core import secrets
from ..core.errors import (
    AuthenticationError,
    IntegrationError,
    PermanentError,
    TransientError,
    classify_status,
    parse_retry_after,
)
from .settings import GoogleMerchantSettings

logger = logging.getLogger(__name__)

PROVIDER = "google_merchant"
SCOPES = ("https://www.googleapis.com/auth/content",)
DEFAULT_ENDPOINT = "https://merchantapi.googleapis.com/"
BATCH_LIMIT = 1000  # calls per batch request (the client's and Google's limit)
LIST_PAGE = 1000
TIMEOUT = 30.0


def endpoint() -> str:
    return str(
        getattr(django_settings, "SALEOR_PLUGINS_GOOGLE_MERCHANT_ENDPOINT", DEFAULT_ENDPOINT)
    )


def _reason(error: HttpError) -> str:
    try:
        body = json.loads(error.content.decode("utf-8", "replace"))
        message = str(body.get("error", {}).get("message", ""))
    except (ValueError, AttributeError):
        message = ""
    return secrets.scrub(message or str(error.reason or "")[:300])


def map_http_error(error: HttpError, what: str) -> IntegrationError:
    status = int(error.resp.status)
    retry_after = parse_retry_after(error.resp.get("retry-after"))
    return classify_status(
        status,
        f"Merchant API refused {what}: {_reason(error)}",
        provider=PROVIDER,
        retry_after=retry_after,
    )


def map_exception(error: BaseException, what: str) -> IntegrationError:
    if isinstance(error, IntegrationError):
        return error
    if isinstance(error, HttpError):
        return map_http_error(error, what)
    if isinstance(error, RefreshError):
        text = secrets.scrub(str(error))[:300]
        return AuthenticationError(
            f"Google refused the service account key: {text}", provider=PROVIDER, status=401
        )
    if isinstance(error, GoogleAuthError | ValueError):
        text = secrets.scrub(str(error))[:300]
        return AuthenticationError(f"Service account key unusable: {text}", provider=PROVIDER)
    if isinstance(error, httplib2.HttpLib2Error | OSError | socket.timeout):
        return TransientError(
            f"Merchant API unreachable during {what}: {type(error).__name__}", provider=PROVIDER
        )
    raise error


@dataclass(slots=True)
class BatchOutcome:
    done: list[str] = field(default_factory=list)  # keys that succeeded
    refused: dict[str, str] = field(default_factory=dict)  # key -> Google's reason
    requests: int = 0  # HTTP batch requests sent


class MerchantClient:
    """One Merchant Center account and API data source, for one channel."""

    def __init__(
        self,
        settings: GoogleMerchantSettings,
        *,
        api_endpoint: str | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.settings = settings
        self.account = settings.merchant_id
        self.endpoint = (api_endpoint or endpoint()).rstrip("/") + "/"
        self.timeout = timeout

    #: calls per batch request; callers that gather calls fill batches to it
    batch_limit = BATCH_LIMIT

    # -- plumbing -------------------------------------------------------------------------
    @cached_property
    def http(self) -> AuthorizedHttp:
        try:
            info = json.loads(self.settings.secret("service_account_json"))
            credentials = service_account.Credentials.from_service_account_info(
                info, scopes=list(SCOPES)
            )
        except (ValueError, KeyError, GoogleAuthError) as e:
            raise AuthenticationError(
                "The service account key cannot be read (check the JSON file).",
                provider=PROVIDER,
            ) from e
        return AuthorizedHttp(credentials, http=httplib2.Http(timeout=self.timeout))

    def _service(self, name: str) -> Any:
        return build(
            "merchantapi",
            name,
            http=self.http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": self.endpoint},
        )

    @cached_property
    def products(self) -> Any:
        return self._service("products_v1")

    @cached_property
    def datasources(self) -> Any:
        return self._service("datasources_v1")

    @property
    def data_source_name(self) -> str:
        if not self.settings.data_source:
            raise PermanentError(
                "No API data source configured: set one or create it with "
                "`manage.py saleor_plugins_google_merchant_sync --create-data-source`.",
                provider=PROVIDER,
            )
        return f"accounts/{self.account}/dataSources/{self.settings.data_source}"

    def _call(self, request: Any, what: str) -> Any:
        try:
            return request.execute(num_retries=0)
        except Exception as e:  # mapped, or re-raised when unknown
            raise map_exception(e, what) from e

    # -- writes, batched ------------------------------------------------------------------
    def write(
        self,
        upserts: Sequence[dict[str, Any]] = (),
        deletes: Sequence[tuple[str, str]] = (),
    ) -> BatchOutcome:
        """Insert (= replace) product inputs and delete others, in as few batches as fit.

        ``upserts`` are ProductInput bodies (keyed by offer id), ``deletes`` (key, resource
        name) pairs; a deletion of something already gone counts as done.
        """
        api = self.products.accounts().productInputs()
        source = self.data_source_name
        parent = f"accounts/{self.account}"
        calls: list[tuple[str, Any, bool]] = [
            (body["offerId"], api.insert(parent=parent, dataSource=source, body=body), False)
            for body in upserts
        ]
        calls += [(key, api.delete(name=name, dataSource=source), True) for key, name in deletes]
        return self._batch(calls)

    def _batch(self, calls: list[tuple[str, Any, bool]]) -> BatchOutcome:
        outcome = BatchOutcome()
        for start in range(0, len(calls), self.batch_limit):
            chunk = calls[start : start + self.batch_limit]
            failures: list[IntegrationError] = []

            def done(
                request_id: str,
                response: Any,
                exception: BaseException | None,
                chunk: list[tuple[str, Any, bool]] = chunk,
                failures: list[IntegrationError] = failures,
            ) -> None:
                key, _, missing_ok = chunk[int(request_id)]
                if exception is None:
                    outcome.done.append(key)
                    return
                error = map_exception(exception, f"offer {key}")
                if missing_ok and error.status == 404:
                    outcome.done.append(key)
                elif isinstance(error, PermanentError):
                    outcome.refused[key] = error.message
                else:
                    failures.append(error)

            batch = BatchHttpRequest(callback=done, batch_uri=f"{self.endpoint}batch")
            for index, (_, request, _) in enumerate(chunk):
                batch.add(request, request_id=str(index))
            try:
                batch.execute(http=self.http)
            except Exception as e:  # mapped, or re-raised when unknown
                raise map_exception(e, "a batch request") from e
            outcome.requests += 1
            if failures:
                auth = [f for f in failures if isinstance(f, AuthenticationError)]
                raise (auth or failures)[0]
        return outcome

    # -- reads ----------------------------------------------------------------------------
    def iter_products(self) -> Iterator[dict[str, Any]]:
        """Every processed product of our data source (paged, 1,000 a page)."""
        api = self.products.accounts().products()
        token: str | None = None
        ours = self.data_source_name
        while True:
            page = self._call(
                api.list(parent=f"accounts/{self.account}", pageSize=LIST_PAGE, pageToken=token),
                "product listing",
            )
            for product in page.get("products", []):
                if product.get("dataSource") == ours:
                    yield product
            token = page.get("nextPageToken")
            if not token:
                return

    def create_data_source(self, display_name: str) -> str:
        body = {
            "displayName": display_name,
            "primaryProductDataSource": {
                "contentLanguage": self.settings.content_language,
                "feedLabel": self.settings.feed_label,
                "countries": [self.settings.feed_label]
                if len(self.settings.feed_label) == 2
                else [],
            },
        }
        created = self._call(
            self.datasources.accounts()
            .dataSources()
            .create(parent=f"accounts/{self.account}", body=body),
            "data source creation",
        )
        return str(created.get("dataSourceId") or created["name"].rsplit("/", 1)[-1])
