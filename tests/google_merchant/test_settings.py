"""Settings refused at save, naming the field: the service-account key, the feed token."""

from __future__ import annotations

import json
from typing import Any

import pytest

from saleor_plugins.core.settings import SettingsErrors
from saleor_plugins.google_merchant.settings import GoogleMerchantSettings

from .conftest import ACCOUNT

TOKEN = "k3Y-feed_token-0123456789abcdefghij"  # 35 characters


def settings_with(**overrides: Any) -> GoogleMerchantSettings:
    raw = {"merchant_id": ACCOUNT, "product_url_template": "https://shop.example.com/{slug}"}
    return GoogleMerchantSettings.parse(raw | overrides, active=False)


def key(pem: str, **overrides: Any) -> str:
    info = {
        "type": "service_account",
        "client_email": "saleor@test-project.iam.gserviceaccount.com",
        "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return json.dumps({k: v for k, v in (info | overrides).items() if v is not None})


def refusal(**overrides: Any) -> str:
    with pytest.raises(SettingsErrors) as refused:
        settings_with(**overrides)
    assert list(refused.value.errors) == [next(iter(overrides))]
    return next(iter(refused.value.errors.values()))


def test_a_real_service_account_key_is_accepted(private_key_pem: str) -> None:
    settings = settings_with(service_account_json=key(private_key_pem))
    assert "BEGIN RSA PRIVATE KEY" in settings.secret("service_account_json")


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"private_key": 123}, "private_key is not a PEM private key"),
        ({"private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"},
         "private_key cannot be loaded"),
        ({"type": "authorized_user"}, "type must be service_account"),
        ({"client_email": "nobody"}, "client_email is not an e-mail address"),
        ({"client_email": None}, "lacks client_email"),
        ({"token_uri": None}, "lacks token_uri"),
    ],
)  # fmt: skip
def test_a_service_account_key_that_cannot_sign_is_refused(
    private_key_pem: str, overrides: dict[str, Any], says: str
) -> None:
    message = refusal(service_account_json=key(private_key_pem, **overrides))
    assert says in message
    assert "MII" not in message  # nothing of the key in the message


def test_a_key_mangled_in_the_middle_is_refused(private_key_pem: str) -> None:
    lines = private_key_pem.splitlines()
    lines[3] = lines[3][::-1]
    message = refusal(service_account_json=key("\n".join(lines)))
    assert "private_key cannot be loaded" in message


def test_text_that_is_not_a_json_key_is_refused() -> None:
    assert "JSON file Google gave" in refusal(service_account_json="not json")
    assert "JSON file Google gave" in refusal(service_account_json="[1, 2]")
    assert "at most 16,384 characters" in refusal(service_account_json="{" + " " * 20_000 + "}")


def test_a_feed_token_is_a_secret_setting() -> None:
    settings = settings_with(feed_token=TOKEN)
    assert settings.secret("feed_token") == TOKEN
    assert TOKEN not in repr(settings)
    assert "feed_token" in GoogleMerchantSettings.secret_fields()
    assert settings_with().secret("feed_token") == ""
