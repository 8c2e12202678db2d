"""OAuth 2.0 connections as a kernel service: connect with PKCE, encrypted tokens,
single-flight refresh, reconnect when the provider refuses.

- :func:`begin` gives the provider's consent URL: a random PKCE verifier (kept encrypted
  on the connection row, never in the browser) and a ``state`` signed by Django, bound
  to the integration, the channel and a one-time nonce, expiring in ten minutes.
- :func:`complete` checks that state (signature, age, nonce: CSRF and replay), trades
  the code for tokens and stores them encrypted (Fernet, key from settings).
- :func:`access_token` hands out a valid access token. Refreshing takes the connection's
  row lock, so however many workers find the token expired at once, one refreshes and
  the others read its result; the rotated token set is committed before anyone uses it.
  A transport failure keeps the old refresh token, which the provider still accepts
  during its grace window. A refused refresh marks the connection ``reconnect`` and
  raises :class:`AuthenticationError`: the delivery loop opens the circuit, the queue
  waits, and the plugin's page says to reconnect. No retry storm.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets as stdlib_secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from . import secrets
from .errors import AuthenticationError, PermanentError, TransientError
from .models import Connection

logger = logging.getLogger(__name__)

STATE_MAX_AGE = 600
#: a token this close to expiry is refreshed before use
EXPIRY_SKEW = timedelta(seconds=120)
TIMEOUT = 15.0
CONNECTED = "connected"
PENDING = "pending"
RECONNECT = "reconnect"
DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class Provider:
    """An OAuth provider's endpoints and this app's credentials."""

    name: str
    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    revoke_url: str = ""
    #: how long the previous refresh token stays valid after a rotation
    grace: timedelta = timedelta(minutes=30)


# -- encryption ----------------------------------------------------------------------------
def _cipher() -> Any:
    keys = getattr(settings, "SALEOR_PLUGINS_ENCRYPTION_KEYS", None)
    return _cipher_for(tuple(keys or ()), str(getattr(settings, "SECRET_KEY", "") or ""))


@lru_cache(maxsize=4)
def _cipher_for(keys: tuple[str, ...], secret_key: str) -> Any:
    """Built once per key set (HKDF and key parsing are not done on every token read)."""
    from cryptography.fernet import Fernet, MultiFernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if keys:  # newest first; older keys still decrypt (rotation)
        return MultiFernet([Fernet(k) for k in keys])
    if not secret_key:
        raise ImproperlyConfigured(
            "saleor_plugins needs SALEOR_PLUGINS_ENCRYPTION_KEYS (or SECRET_KEY) to encrypt tokens"
        )
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"saleor_plugins oauth tokens"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(data: dict[str, Any] | str) -> str:
    raw = data if isinstance(data, str) else json.dumps(data)
    return str(_cipher().encrypt(raw.encode()).decode())


def decrypt(blob: str) -> Any:
    if not blob:
        return None
    text = _cipher().decrypt(blob.encode()).decode()
    try:
        return json.loads(text)
    except ValueError:
        return text


# -- connect --------------------------------------------------------------------------------
def _session(provider: Provider, redirect_uri: str = "", **kwargs: Any) -> Any:
    from authlib.integrations.requests_client import OAuth2Session

    secrets.register(provider.client_secret)
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=" ".join(provider.scopes) or None,
        redirect_uri=redirect_uri or None,
        code_challenge_method="S256",
        timeout=TIMEOUT,
        **kwargs,
    )


def _salt(integration: str) -> str:
    return f"saleor_plugins.oauth.{integration}"


def begin(provider: Provider, integration: str, channel: str, redirect_uri: str) -> str:
    """The consent URL to send the merchant to; remembers the PKCE verifier."""
    verifier = stdlib_secrets.token_urlsafe(64)
    nonce = stdlib_secrets.token_urlsafe(24)
    state = signing.dumps(
        {"i": integration, "c": channel, "n": nonce}, salt=_salt(integration), compress=True
    )
    conn, _ = Connection.objects.get_or_create(integration=integration, channel=channel)
    conn.pending_nonce = nonce
    conn.pending_verifier = encrypt(verifier)
    if conn.status == DISCONNECTED:
        conn.status = PENDING
    conn.updated_at = timezone.now()
    conn.save()
    url, _ = _session(provider, redirect_uri).create_authorization_url(
        provider.authorize_url, state=state, code_verifier=verifier
    )
    return str(url)


class StateRefused(Exception):
    """The callback's state is forged, expired, replayed or for another channel."""


def complete(
    provider: Provider,
    integration: str,
    channel: str,
    *,
    state: str,
    code: str,
    redirect_uri: str,
) -> Connection:
    """Check the callback's state and store the tokens the code is traded for."""
    try:
        claims = signing.loads(state, salt=_salt(integration), max_age=STATE_MAX_AGE)
    except signing.SignatureExpired as e:
        raise StateRefused("the connection link expired: start again") from e
    except signing.BadSignature as e:
        raise StateRefused("the connection request was not started here") from e
    if claims.get("i") != integration or claims.get("c") != channel:
        raise StateRefused("the connection request was started for another channel")
    with transaction.atomic():
        conn = (
            Connection.objects.select_for_update()
            .filter(integration=integration, channel=channel)
            .first()
        )
        nonce = str(claims.get("n", ""))
        if conn is None or not conn.pending_nonce or not hmac_equal(conn.pending_nonce, nonce):
            raise StateRefused("the connection request was already used or replaced")
        verifier = decrypt(conn.pending_verifier)
        conn.pending_nonce, conn.pending_verifier = "", ""
        conn.save(update_fields=["pending_nonce", "pending_verifier"])
    try:
        token = _session(provider, redirect_uri).fetch_token(
            provider.token_url, code=code, code_verifier=verifier
        )
    except Exception as e:
        raise _translate(provider, e) from e
    return store_token(integration, channel, dict(token), status=CONNECTED)


def hmac_equal(a: str, b: str) -> bool:
    return stdlib_secrets.compare_digest(a.encode(), b.encode())


def store_token(
    integration: str, channel: str, token: dict[str, Any], *, status: str = CONNECTED
) -> Connection:
    conn, _ = Connection.objects.get_or_create(integration=integration, channel=channel)
    _apply(conn, token, previous=None)
    conn.status = status
    conn.error = ""
    conn.save()
    return conn


def _expires_at(token: dict[str, Any]) -> datetime:
    if token.get("expires_at"):
        return datetime.fromtimestamp(
            float(token["expires_at"]), tz=timezone.get_current_timezone()
        )
    return timezone.now() + timedelta(seconds=float(token.get("expires_in") or 1800))


def _apply(conn: Connection, token: dict[str, Any], previous: str | None) -> None:
    for name in ("access_token", "refresh_token", "id_token"):
        secrets.register(token.get(name))
    conn.token = encrypt(token)
    conn.expires_at = _expires_at(token)
    if previous:
        conn.previous_refresh = encrypt(previous)
        conn.rotated_at = timezone.now()
    conn.updated_at = timezone.now()


# -- use ----------------------------------------------------------------------------------------
def access_token(provider: Provider, integration: str, channel: str) -> str:
    """A valid access token for the channel's connection (refreshed once, if need be)."""
    conn = Connection.objects.filter(integration=integration, channel=channel).first()
    if conn is None or conn.status not in (CONNECTED,) or not conn.token:
        raise AuthenticationError(
            f"{provider.name} is not connected in this channel: connect it from the plugin's page",
            provider=provider.name,
        )
    if conn.expires_at and conn.expires_at - EXPIRY_SKEW > timezone.now():
        token = decrypt(conn.token)
        secrets.register(token.get("access_token"))
        return str(token["access_token"])
    return _refresh(provider, integration, channel)


def _refresh(provider: Provider, integration: str, channel: str) -> str:
    refused: AuthenticationError | None = None
    with transaction.atomic():
        conn = Connection.objects.select_for_update().get(integration=integration, channel=channel)
        token = decrypt(conn.token) or {}
        if (
            conn.status == CONNECTED
            and conn.expires_at
            and conn.expires_at - EXPIRY_SKEW > timezone.now()
        ):
            return str(token["access_token"])  # another worker refreshed while we waited
        if conn.status != CONNECTED:
            raise AuthenticationError(
                f"{provider.name} needs to be reconnected", provider=provider.name
            )
        old = str(token.get("refresh_token") or "")
        candidates = [old]
        previous = decrypt(conn.previous_refresh)
        if previous and conn.rotated_at and timezone.now() - conn.rotated_at < provider.grace:
            candidates.append(str(previous))
        fresh: dict[str, Any] | None = None
        last: Exception | None = None
        for refresh_token in candidates:
            try:
                fresh = dict(
                    _session(provider).refresh_token(
                        provider.token_url, refresh_token=refresh_token
                    )
                )
                break
            except Exception as e:
                last = _translate(provider, e)
                if not isinstance(last, AuthenticationError):
                    raise last from e  # a transport failure: keep the token, retry later
        if fresh is None:
            conn.status = RECONNECT
            conn.error = secrets.scrub(str(last))[:1000]
            conn.updated_at = timezone.now()
            conn.save(update_fields=["status", "error", "updated_at"])
            refused = AuthenticationError(
                f"{provider.name} refused the connection's refresh token: reconnect it from the "
                f"plugin's page ({conn.error})",
                provider=provider.name,
            )
        else:
            fresh.setdefault("refresh_token", old)
            _apply(conn, fresh, previous=old)
            conn.refreshes += 1
            conn.save()
    if refused is not None:
        logger.error("saleor_plugins: %s connection in %s needs reconnecting", integration, channel)
        raise refused
    assert fresh is not None
    return str(fresh["access_token"])


def _translate(provider: Provider, error: Exception) -> Exception:
    """Authlib / requests errors onto the kernel's tree (never echoing a token)."""
    import requests
    from authlib.integrations.base_client.errors import OAuthError

    secrets.scrub_exception(error)
    if isinstance(error, requests.Timeout | requests.ConnectionError):
        return TransientError(f"{provider.name} token endpoint unreachable", provider=provider.name)
    code = getattr(error, "error", "") or ""
    if isinstance(error, OAuthError) or code:
        if code in ("invalid_grant", "invalid_client", "unauthorized_client", "access_denied"):
            return AuthenticationError(
                f"{provider.name}: {code}", provider=provider.name, code=code
            )
        if code in ("temporarily_unavailable", "server_error"):
            return TransientError(f"{provider.name}: {code}", provider=provider.name, code=code)
        return PermanentError(
            f"{provider.name}: {code or error}", provider=provider.name, code=code
        )
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None and (status >= 500 or status == 429):
        return TransientError(
            f"{provider.name} token endpoint answered {status}",
            provider=provider.name,
            status=status,
        )
    return TransientError(
        f"{provider.name} token request failed: {type(error).__name__}", provider=provider.name
    )


def disconnect(provider: Provider, integration: str, channel: str) -> None:
    """Revoke the refresh token at the provider (best effort) and forget every token."""
    conn = Connection.objects.filter(integration=integration, channel=channel).first()
    if conn is None:
        return
    token = decrypt(conn.token) or {}
    if provider.revoke_url and token.get("refresh_token"):
        try:
            _session(provider).revoke_token(
                provider.revoke_url,
                token=token["refresh_token"],
                token_type_hint="refresh_token",  # noqa: S106
            )
        except Exception as e:  # noqa: BLE001 - the tokens are forgotten whatever it says
            logger.warning(
                "saleor_plugins: %s revoke failed: %s", provider.name, secrets.scrub(str(e))
            )
    conn.token = conn.previous_refresh = conn.pending_verifier = conn.pending_nonce = ""
    conn.status, conn.expires_at, conn.tenant_id, conn.tenant_name = DISCONNECTED, None, "", ""
    conn.tenants = []
    conn.updated_at = timezone.now()
    conn.save()


def describe(integration: str, channel: str, *, using: str = "default") -> str:
    """One line for the plugin's page."""
    conn = Connection.objects.using(using).filter(integration=integration, channel=channel).first()
    if conn is None or conn.status in (DISCONNECTED, PENDING):
        return "Not connected."
    if conn.status == RECONNECT:
        return f"Reconnect needed: the provider refused the connection ({conn.error[:200]})."
    if not conn.tenant_id:
        return "Connected: choose the organisation to book into."
    return f"Connected to {conn.tenant_name or conn.tenant_id}."
