"""The GA4 Measurement Protocol over plain HTTP (``requests`` through the kernel's policy).

Google's PyPI clients for the protocol are stale, and the protocol is two POSTs:
``/mp/collect`` (answers 2xx even to a bad payload) and ``/debug/mp/collect`` (answers
Google's validation messages). A server-side Tag Manager container takes the same body
at its own base URL; such a merchant-given host is resolved before every request and
refused when it is private or loopback (Saleor's ``HTTP_IP_FILTER_*`` settings decide),
and redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings as django_settings

from ..core.errors import ConfigurationError, PermanentError, TransientError
from ..core.http import PolicySession, raise_for_response
from .settings import GoogleTagManagerSettings, refused_address

PROVIDER = "ga4"
DEFAULT_ENDPOINT = "https://www.google-analytics.com"
TIMEOUT = (5.0, 15.0)


def endpoint() -> str:
    """Google's base URL (tests point it at a local fake)."""
    return str(getattr(django_settings, "SALEOR_PLUGINS_GA4_ENDPOINT", DEFAULT_ENDPOINT))


@dataclass(frozen=True, slots=True)
class ValidationMessage:
    field_path: str
    description: str
    code: str

    def __str__(self) -> str:
        where = f"{self.field_path}: " if self.field_path else ""
        return f"{where}{self.description} [{self.code}]"


def check_host(url: str) -> None:
    """Refuse a merchant-given URL whose host resolves to a private or loopback address."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except OSError as e:
        raise TransientError(
            f"server container host {host!r} does not resolve", provider=PROVIDER
        ) from e
    for info in infos:
        why = refused_address(ipaddress.ip_address(info[4][0]))
        if why:
            raise ConfigurationError(
                f"Server container URL resolves to {why}; refused.",
                field="server_container_url",
                provider=PROVIDER,
            )


class Ga4Client:
    """One GA4 data stream (measurement id + API secret), optionally via a server container."""

    def __init__(
        self,
        cfg: GoogleTagManagerSettings,
        *,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self.cfg = cfg
        self.via_container = bool(cfg.server_container_url)
        self.base = (cfg.server_container_url or endpoint()).rstrip("/")
        self.session = PolicySession(PROVIDER, timeout=timeout)
        self.requests = 0  # HTTP requests sent (the benchmark counts them)

    def _params(self) -> dict[str, str]:
        return {
            "measurement_id": self.cfg.measurement_id,
            "api_secret": self.cfg.secret("api_secret"),
        }

    def _post(self, url: str, body: dict[str, Any]) -> Any:
        self.requests += 1
        response = self.session.post(url, params=self._params(), json=body, allow_redirects=False)
        if 300 <= response.status_code < 400:
            raise PermanentError(
                f"{PROVIDER} answered a redirect ({response.status_code}); not followed",
                provider=PROVIDER,
                status=response.status_code,
            )
        return raise_for_response(response, PROVIDER)

    def collect(self, body: dict[str, Any]) -> int:
        """Send one request (≤ 25 events); the HTTP status when Google took it."""
        if self.via_container:
            check_host(self.base)
        return int(self._post(f"{self.base}/mp/collect", body).status_code)

    def validate(self, body: dict[str, Any]) -> list[ValidationMessage]:
        """Google's validation messages for ``body`` (always Google's debug endpoint: a
        server container has none). Google does not check the API secret there."""
        response = self._post(f"{endpoint().rstrip('/')}/debug/mp/collect", body)
        try:
            answer = response.json()
        except ValueError as e:
            raise TransientError("GA4 debug endpoint answered no JSON", provider=PROVIDER) from e
        return [
            ValidationMessage(
                str(m.get("fieldPath", ""))[:200],
                str(m.get("description", ""))[:500],
                str(m.get("validationCode", ""))[:50],
            )
            for m in answer.get("validationMessages", [])[:50]
            if isinstance(m, dict)
        ]
