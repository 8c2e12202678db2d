"""What the merchant sees: the check on save and the validation command."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from saleor_plugins.google_tag_manager import client as client_module
from saleor_plugins.google_tag_manager.connector import GoogleTagManagerIntegration
from saleor_plugins.google_tag_manager.management.commands import saleor_plugins_ga4_validate
from saleor_plugins.testing.providers.google_tag_manager import FakeGA4, message

from .conftest import CHANNEL, MemoryHost, cfg, line, order


def installation(host: MemoryHost, **overrides: Any) -> GoogleTagManagerIntegration:
    return GoogleTagManagerIntegration(cfg(**overrides), channel=CHANNEL, host=host)


def test_saving_validates_a_sample_purchase_at_google_s_debug_endpoint(
    ga4: FakeGA4, host: MemoryHost
) -> None:
    assert installation(host).check_settings(timeout=2.0) == {}
    [checked] = ga4.debug_requests
    assert checked.events[0]["name"] == "purchase"
    assert ga4.requests == []  # nothing reached the live endpoint


def test_google_s_refusal_is_shown_beside_the_measurement_id(
    ga4: FakeGA4, host: MemoryHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse = [message("events[0].params.value", "Value is invalid.", "VALUE_INVALID")]
    monkeypatch.setattr(
        "saleor_plugins.testing.providers.google_tag_manager.validate", lambda *a, **k: refuse
    )
    errors = installation(host).check_settings(timeout=2.0)
    assert set(errors) == {"measurement_id"}
    assert "Value is invalid" in errors["measurement_id"]


def test_google_unreachable_does_not_block_saving(host: MemoryHost, settings: Any) -> None:
    settings.SALEOR_PLUGINS_GA4_ENDPOINT = "http://127.0.0.1:9"
    assert installation(host).check_settings(timeout=1.0) == {}


def test_a_server_container_host_resolving_to_a_private_address_is_refused(
    ga4: FakeGA4, host: MemoryHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    def resolve(*args: Any, **kwargs: Any) -> list[Any]:
        return [(2, 1, 6, "", ("10.1.2.3", 443))]

    monkeypatch.setattr(client_module.socket, "getaddrinfo", resolve)
    errors = installation(host, server_container_url="https://sgtm.example.com").check_settings(
        timeout=1.0
    )
    assert set(errors) == {"server_container_url"}
    assert "private" in errors["server_container_url"]


def test_the_command_prints_google_s_messages_for_a_real_order(
    ga4: FakeGA4, host: MemoryHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saleor_plugins_ga4_validate, "get_host", lambda: host)
    long_id = "SKU-" + "9" * 120  # cut to 100 by the mapping: Google finds nothing
    o = host.add(order(lines=(line(1, sku=long_id),)))
    out = io.StringIO()
    call_command("saleor_plugins_ga4_validate", channel=CHANNEL, order=o.id, stdout=out)
    assert "Google found no problem in the purchase of order 1001" in out.getvalue()
    assert ga4.debug_requests[0].events[0]["params"]["transaction_id"] == "1001"

    refuse = [message("events[0].params.items", "Item is invalid.", "VALUE_INVALID")]
    monkeypatch.setattr(
        "saleor_plugins.testing.providers.google_tag_manager.validate", lambda *a, **k: refuse
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 validation message"):
        call_command("saleor_plugins_ga4_validate", channel=CHANNEL, order=o.id, stdout=out)
    assert "events[0].params.items: Item is invalid. [VALUE_INVALID]" in out.getvalue()
    assert ga4.requests == []


def test_the_command_takes_a_graphql_order_id() -> None:
    import base64

    gid = base64.b64encode(b"Order:0b0e7f1e-0000-4000-8000-000000000001").decode().rstrip("=")
    assert saleor_plugins_ga4_validate.order_id(gid) == "0b0e7f1e-0000-4000-8000-000000000001"
