"""The SDK wrapped: explicit host, no 'server' rewriting, errors the kernel understands."""

from __future__ import annotations

import pytest

from saleor_plugins.core.errors import (
    AuthenticationError,
    PermanentError,
    RateLimited,
    TransientError,
)
from saleor_plugins.mailchimp.client import MailchimpClient, NotFound, account_key
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp

from .conftest import API_KEY, AUDIENCE, CHANNEL, MemoryHost, integration, product


@pytest.mark.django_db
def test_ids_containing_server_reach_mailchimp_unchanged(
    fake: FakeMailchimp, host: MemoryHost
) -> None:
    host.add("product", product("fileserver-42"))
    mc = integration(host)
    mc.sync_product("fileserver-42")
    store = mc.store_id
    assert fake.get(f"/ecommerce/stores/{store}/products/fileserver-42") is not None
    assert all("us21" not in path for _, path, _ in fake.state.log)
    assert set(fake.state.hosts) == {"us21"}  # the data centre comes from the key


def test_refused_key_is_an_authentication_error(fake: FakeMailchimp) -> None:
    client = MailchimpClient("ffffffffffffffffffffffffffffffff-us21")
    with pytest.raises(AuthenticationError) as err:
        client.call(client.ecommerce.get_store, "s1")
    assert "ffffffffffffffffffff" not in str(err.value)


@pytest.mark.parametrize(
    ("status", "title", "error"),
    [
        (429, "Too Many Requests", RateLimited),
        (500, "Internal Server Error", TransientError),
        (503, "Service Unavailable", TransientError),
    ],
)
def test_overload_and_outages_are_retried(
    fake: FakeMailchimp, status: int, title: str, error: type[Exception]
) -> None:
    fake.state.faults.append(("GET", "/ecommerce/stores/s1$", status, title, "busy"))
    client = MailchimpClient(API_KEY)
    with pytest.raises(error):
        client.call(client.ecommerce.get_store, "s1")


@pytest.mark.parametrize(
    ("email", "code", "reason"),
    [
        ("gone@example.com", "forgotten", "permanently deleted"),
        ("blocked@example.com", "compliance", "compliance state"),
        ("fake@example.invalid", "invalid", "looks fake or invalid"),
    ],
)
def test_refusals_that_never_succeed_are_permanent_with_mailchimps_reason(
    fake: FakeMailchimp, email: str, code: str, reason: str
) -> None:
    fake.state.forgotten.add("gone@example.com")
    fake.state.compliance.add("blocked@example.com")
    client = MailchimpClient(API_KEY)
    with pytest.raises(PermanentError) as err:
        client.call(
            client.lists.set_list_member,
            AUDIENCE,
            "h",
            {"email_address": email, "status_if_new": "pending"},
        )
    assert err.value.code == code
    assert reason in str(err.value)
    assert not isinstance(err.value, TransientError)


@pytest.mark.django_db
def test_deleting_what_is_already_gone_succeeds(fake: FakeMailchimp, host: MemoryHost) -> None:
    mc = integration(host)
    mc.ensure_store("USD")
    assert mc.client.delete(mc.client.ecommerce.delete_store_cart, mc.store_id, "nope") is False
    with pytest.raises(NotFound):
        mc.client.call(mc.client.ecommerce.get_store_cart, mc.store_id, "nope")


def test_unreachable_mailchimp_is_transient(settings) -> None:
    settings.SALEOR_PLUGINS_MAILCHIMP_API_URL = "http://127.0.0.1:9/{dc}/3.0"
    client = MailchimpClient(API_KEY, timeout=(0.5, 0.5))
    with pytest.raises(TransientError):
        client.call(client.ecommerce.get_store, "s1")


def test_account_key_names_the_account_without_the_key() -> None:
    key = account_key(API_KEY)
    assert key.startswith("mailchimp:us21:")
    assert "0123456789abcdef" not in key
    assert key == integration(MemoryHost(), CHANNEL).account_key()
    other = integration(MemoryHost(), "other-channel")
    assert other.account_key() == key  # two channels, one account: the same 10 slots
