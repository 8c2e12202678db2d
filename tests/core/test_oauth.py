"""OAuth connections: PKCE and signed state, encrypted tokens, one refresh for many workers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from saleor_plugins.core import oauth
from saleor_plugins.core.errors import AuthenticationError, TransientError
from saleor_plugins.core.models import Connection
from saleor_plugins.testing.providers.xero import CLIENT_ID, CLIENT_SECRET, FakeXero

CHANNEL = "default-channel"
REDIRECT = "https://shop.example.com/plugins/channel/default-channel/saleor_plugins.xero/callback"


@pytest.fixture
def xero() -> Iterator[FakeXero]:
    with FakeXero() as fake:
        yield fake


def provider(fake: FakeXero) -> oauth.Provider:
    return oauth.Provider(
        name="Xero",
        authorize_url=f"{fake.url}/identity/connect/authorize",
        token_url=f"{fake.url}/connect/token",
        revoke_url=f"{fake.url}/connect/revocation",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=("offline_access", "accounting.transactions"),
    )


def connect(fake: FakeXero, channel: str = CHANNEL) -> Connection:
    p = provider(fake)
    url = oauth.begin(p, "xero", channel, REDIRECT)
    code, state = fake.authorize(url)
    return oauth.complete(p, "xero", channel, state=state, code=code, redirect_uri=REDIRECT)


def expire(channel: str = CHANNEL) -> None:
    Connection.objects.filter(channel=channel).update(expires_at=timezone.now() - timedelta(1))


@pytest.mark.django_db
def test_connecting_uses_pkce_and_stores_tokens_encrypted(xero: FakeXero) -> None:
    url = oauth.begin(provider(xero), "xero", CHANNEL, REDIRECT)
    assert "code_challenge_method=S256" in url and "code_challenge=" in url
    assert "code_verifier" not in url  # the verifier never leaves the server
    code, state = xero.authorize(url)
    conn = oauth.complete(
        provider(xero), "xero", CHANNEL, state=state, code=code, redirect_uri=REDIRECT
    )
    assert conn.status == oauth.CONNECTED
    row = Connection.objects.get(channel=CHANNEL)
    token = oauth.decrypt(row.token)
    assert token["refresh_token"].startswith("xr_")
    assert token["access_token"] not in row.token and token["refresh_token"] not in row.token
    assert oauth.access_token(provider(xero), "xero", CHANNEL) == token["access_token"]
    assert xero.state.token_calls == ["authorization_code"]  # no refresh while valid


@pytest.mark.django_db
def test_a_forged_replayed_or_foreign_state_is_refused(
    xero: FakeXero, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = provider(xero)
    code, state = xero.authorize(oauth.begin(p, "xero", CHANNEL, REDIRECT))
    with pytest.raises(oauth.StateRefused, match="not started here"):
        oauth.complete(
            p, "xero", CHANNEL, state=state[:-2] + "xx", code=code, redirect_uri=REDIRECT
        )
    with pytest.raises(oauth.StateRefused, match="another channel"):
        oauth.complete(p, "xero", "other-channel", state=state, code=code, redirect_uri=REDIRECT)
    oauth.complete(p, "xero", CHANNEL, state=state, code=code, redirect_uri=REDIRECT)
    with pytest.raises(oauth.StateRefused, match="already used"):
        oauth.complete(p, "xero", CHANNEL, state=state, code=code, redirect_uri=REDIRECT)
    code, state = xero.authorize(oauth.begin(p, "xero", CHANNEL, REDIRECT))
    monkeypatch.setattr(oauth, "STATE_MAX_AGE", -1)
    with pytest.raises(oauth.StateRefused, match="expired"):
        oauth.complete(p, "xero", CHANNEL, state=state, code=code, redirect_uri=REDIRECT)


@pytest.mark.django_db(transaction=True)
def test_two_workers_with_an_expired_token_make_one_refresh(xero: FakeXero) -> None:
    connect(xero)
    expire()
    xero.state.token_delay = 0.5  # both workers arrive while the refresh is in flight
    got: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            got.append(oauth.access_token(provider(xero), "xero", CHANNEL))
        except BaseException as e:
            errors.append(e)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert xero.state.token_calls.count("refresh_token") == 1
    assert len(got) == 2 and got[0] == got[1] and got[0] in xero.state.access
    assert Connection.objects.get(channel=CHANNEL).refreshes == 1


@pytest.mark.django_db
def test_a_lost_refresh_answer_is_recovered_within_the_grace_window(xero: FakeXero) -> None:
    connect(xero)
    before = oauth.decrypt(Connection.objects.get(channel=CHANNEL).token)["refresh_token"]
    expire()
    xero.state.fail_next_token_response = True  # Xero rotated, the answer never arrived
    with pytest.raises(TransientError):
        oauth.access_token(provider(xero), "xero", CHANNEL)
    row = Connection.objects.get(channel=CHANNEL)
    assert row.status == oauth.CONNECTED
    assert oauth.decrypt(row.token)["refresh_token"] == before  # kept, still in grace
    token = oauth.access_token(provider(xero), "xero", CHANNEL)
    assert token in xero.state.access
    assert xero.state.token_calls.count("refresh_token") == 2


@pytest.mark.django_db
def test_a_refused_refresh_asks_to_reconnect_once_and_a_new_connection_resumes(
    xero: FakeXero,
) -> None:
    connect(xero)
    expire()
    xero.state.refresh.clear()  # the merchant disconnected the app in Xero
    with pytest.raises(AuthenticationError, match="reconnect"):
        oauth.access_token(provider(xero), "xero", CHANNEL)
    assert "Reconnect needed" in oauth.describe("xero", CHANNEL)
    calls = len(xero.state.token_calls)
    with pytest.raises(AuthenticationError):  # no further refresh attempts: no storm
        oauth.access_token(provider(xero), "xero", CHANNEL)
    assert len(xero.state.token_calls) == calls
    connect(xero)
    assert oauth.access_token(provider(xero), "xero", CHANNEL) in xero.state.access


@pytest.mark.django_db
def test_disconnect_revokes_and_forgets_the_tokens(xero: FakeXero) -> None:
    connect(xero)
    refresh = oauth.decrypt(Connection.objects.get(channel=CHANNEL).token)["refresh_token"]
    oauth.disconnect(provider(xero), "xero", CHANNEL)
    row = Connection.objects.get(channel=CHANNEL)
    assert (row.status, row.token, row.previous_refresh) == (oauth.DISCONNECTED, "", "")
    assert refresh in xero.state.revoked
    with pytest.raises(AuthenticationError, match="not connected"):
        oauth.access_token(provider(xero), "xero", CHANNEL)


@pytest.mark.django_db
def test_tokens_and_the_client_secret_never_reach_the_logs(
    xero: FakeXero, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "authlib", "saleor_plugins"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    connect(xero)
    expire()
    oauth.access_token(provider(xero), "xero", CHANNEL)
    xero.state.refresh.clear()
    expire()
    with pytest.raises(AuthenticationError):
        oauth.access_token(provider(xero), "xero", CHANNEL)
    row = Connection.objects.get(channel=CHANNEL)
    secrets_seen = [CLIENT_SECRET, *xero.state.access, *xero.state.rotated]
    text = caplog.text + row.error
    assert not [s for s in secrets_seen if s in text]
