"""${display} on the real kernel, against a local provider server (saleor_plugins.testing)."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_plugins.core.events import EventType
from saleor_plugins.core.settings import SettingsErrors
from saleor_plugins.testing import run_job, samples

from ${package}.connector import ${Class}Integration
from ${package}.settings import ${Class}Settings

CHANNEL = "default-channel"
KEY = "key_0123456789abcdef"


@pytest.fixture
def installed(memory_host: Any, provider_server: Any) -> Any:
    memory_host.install(
        ${Class}Integration.id, CHANNEL, api_url=provider_server.url, api_key=KEY
    )
    return provider_server


def test_the_package_is_loaded_as_saleor_loads_it() -> None:
    """Both entry points: the Django app in INSTALLED_APPS, the integration registered."""
    from django.apps import apps

    from saleor_plugins.core import registry

    assert apps.get_app_config("${package}").name == "${package}"
    assert registry.get_integration(${Class}Integration.id) is ${Class}Integration


def test_a_missing_key_is_refused_naming_the_field() -> None:
    with pytest.raises(SettingsErrors) as refused:
        ${Class}Settings.parse({"api_url": "https://api.example.com"}, active=True)
    assert list(refused.value.errors) == ["api_key"]


@pytest.mark.django_db
def test_a_paid_order_is_sent_once_with_its_money_exact(installed: Any, memory_host: Any) -> None:
    memory_host.put(samples.order("o1", lines=[samples.line("SKU-1", 3, "3.33")]))
    installed.reply("PUT", "/orders/o1", 200, {"id": "remote-1"})
    attempts = run_job(
        EventType.ORDER_PAID, "o1", integration=${Class}Integration.id, channel=CHANNEL
    )
    assert [a.outcome for a in attempts] == ["succeeded"]
    assert attempts[0].provider_ids == {"order": "remote-1"}
    (sent,) = installed.calls("PUT", "/orders/o1")
    assert sent.json()["total"] == "9.99"
    assert sent.header("Authorization") == f"Bearer {KEY}"


@pytest.mark.django_db
def test_a_provider_outage_is_retried_with_the_same_idempotency_key(
    installed: Any, memory_host: Any
) -> None:
    memory_host.put(samples.order("o2"))
    installed.reply("PUT", "/orders/o2", 503)
    installed.reply("PUT", "/orders/o2", 200)
    attempts = run_job(
        EventType.ORDER_PAID, "o2", integration=${Class}Integration.id, channel=CHANNEL
    )
    assert [a.outcome for a in attempts] == ["retry", "succeeded"]
    keys = {r.header("Idempotency-Key") for r in installed.calls("PUT", "/orders/o2")}
    assert len(keys) == 1


@pytest.mark.django_db
def test_a_refused_key_pauses_the_channel_and_never_reaches_the_log(
    installed: Any, memory_host: Any
) -> None:
    memory_host.put(samples.order("o3"))
    installed.reply("PUT", "/orders/o3", 401, {"error": f"bad key {KEY}"})
    attempts = run_job(
        EventType.ORDER_PAID, "o3", integration=${Class}Integration.id, channel=CHANNEL
    )
    assert [a.outcome for a in attempts] == ["circuit"]
    assert KEY not in attempts[0].error


@pytest.mark.django_db
def test_a_guest_order_is_not_sent_when_the_merchant_said_so(
    installed: Any, memory_host: Any
) -> None:
    memory_host.install(
        ${Class}Integration.id,
        CHANNEL,
        api_url=installed.url,
        api_key=KEY,
        send_guests=False,
    )
    memory_host.put(samples.order("o4", customer=samples.customer(None)))
    attempts = run_job(
        EventType.ORDER_PAID, "o4", integration=${Class}Integration.id, channel=CHANNEL
    )
    assert attempts[0].detail == "guest order not sent (settings)"
    assert installed.requests == []
