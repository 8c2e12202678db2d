"""Settings refused field by field, before anything is saved."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_plugins.core.settings import Kind, SettingsErrors
from saleor_plugins.google_tag_manager.settings import GoogleTagManagerSettings

from .conftest import SECRET, cfg, config


def refused(**overrides: Any) -> dict[str, str]:
    with pytest.raises(SettingsErrors) as caught:
        GoogleTagManagerSettings.parse(config(**overrides))
    return caught.value.errors


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("container_id", "GTM-1"),
        ("container_id", "UA-123456"),
        ("measurement_id", "UA-12345-1"),
        ("measurement_id", "G-"),
        ("api_secret", "short"),
        ("consent_metadata_key", "has spaces"),
        ("brand_attribute", "Not A Slug"),
        ("send_purchase_on", "shipped"),
        ("missing_client_id", "random"),
    ],
)
def test_a_bad_value_is_refused_with_its_field_named(name: str, value: str) -> None:
    assert set(refused(**{name: value})) == {name}


def test_ids_are_accepted_in_any_case_and_stored_upper() -> None:
    settings = cfg(container_id="gtm-abc1234", measurement_id="g-test12345")
    assert (settings.container_id, settings.measurement_id) == ("GTM-ABC1234", "G-TEST12345")


def test_the_api_secret_is_a_secret_field_masked_in_repr() -> None:
    assert GoogleTagManagerSettings.kind_of("api_secret") is Kind.SECRET
    assert SECRET not in repr(cfg())


def test_required_fields_are_reported_alone_when_active_only() -> None:
    errors = refused(measurement_id="", api_secret="")
    assert set(errors) == {"measurement_id", "api_secret"}
    GoogleTagManagerSettings.parse({"container_id": ""}, active=False)  # half-filled, inactive


@pytest.mark.parametrize(
    "url",
    [
        "http://sgtm.example.com",  # not https
        "https://10.0.0.5",  # private
        "https://192.168.1.10/collect",
        "https://169.254.169.254",  # link-local: cloud metadata
        "https://127.0.0.1",  # loopback
        "https://localhost:8443",
        "https://[::1]",
        "https://user:pw@sgtm.example.com",  # credentials in the URL
    ],
)
def test_a_server_container_url_is_https_and_never_private(url: str) -> None:
    assert set(refused(server_container_url=url)) == {"server_container_url"}


def test_a_public_https_server_container_url_is_accepted() -> None:
    settings = cfg(server_container_url="https://sgtm.example.com/")
    assert settings.server_container_url == "https://sgtm.example.com"


def test_loopback_is_allowed_only_when_saleor_s_ip_filter_allows_it(settings: Any) -> None:
    settings.HTTP_IP_FILTER_ALLOW_LOOPBACK_IPS = True
    assert cfg(server_container_url="https://127.0.0.1:8443").server_container_url
    assert set(refused(server_container_url="https://10.0.0.5")) == {"server_container_url"}
    settings.HTTP_IP_FILTER_ENABLED = False
    assert cfg(server_container_url="https://10.0.0.5").server_container_url
