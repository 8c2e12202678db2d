"""Per-channel settings: prefixes, test/live mixing, currencies, secrets."""

from __future__ import annotations

import pytest

from saleor_plugins.core.settings import SettingsErrors
from saleor_plugins.stripe.settings import CaptureMode, StripeSettings

from .conftest import RAW_SETTINGS, SECRET_KEY, make_settings


def errors(**overrides: str) -> dict[str, str]:
    with pytest.raises(SettingsErrors) as info:
        StripeSettings.parse({**RAW_SETTINGS, **overrides})
    return info.value.errors


def test_valid_settings_parse_to_types() -> None:
    settings = make_settings(capture_mode="Manual", supported_currencies="usd,eur\njpy")
    assert settings.capture_mode is CaptureMode.MANUAL and settings.manual_capture
    assert settings.supported_currencies == ("USD", "EUR", "JPY")
    assert settings.receipt_email is True and settings.livemode is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("publishable_key", "sk_test_123456"),
        ("secret_key", "pk_test_123456"),
        ("webhook_secret", "secret_123456"),
    ],
)
def test_keys_are_checked_by_prefix(field: str, value: str) -> None:
    found = errors(**{field: value})
    assert list(found) == [field]
    assert value not in found[field]  # never echo a key back


def test_restricted_keys_are_accepted() -> None:
    assert make_settings(secret_key="rk_test_abcdef123456").secret("secret_key").startswith("rk_")


def test_test_and_live_keys_are_not_mixed() -> None:
    found = errors(publishable_key="pk_live_abcdef123456")
    assert "secret_key" in found and "live" in found["secret_key"]
    live = make_settings(publishable_key="pk_live_abc123456", secret_key="sk_live_abc123456")
    assert live.livemode is True


def test_unknown_capture_mode_and_bad_currency_are_refused() -> None:
    assert "capture_mode" in errors(capture_mode="later")
    assert "supported_currencies" in errors(supported_currencies="USD, dollars")


def test_statement_descriptor_suffix_follows_stripe_rules() -> None:
    assert "statement_descriptor_suffix" in errors(statement_descriptor_suffix="x" * 23)
    assert "statement_descriptor_suffix" in errors(statement_descriptor_suffix="ORDER<1>")
    assert make_settings(statement_descriptor_suffix="SHOP 42").statement_descriptor_suffix


def test_keys_are_required_only_when_active() -> None:
    raw = {"supported_currencies": "USD"}
    with pytest.raises(SettingsErrors) as info:
        StripeSettings.parse(raw, active=True)
    assert {"publishable_key", "secret_key"} <= set(info.value.errors)
    assert StripeSettings.parse(raw, active=False).publishable_key == ""


def test_secrets_are_masked_and_declared_secret() -> None:
    settings = make_settings()
    assert SECRET_KEY not in repr(settings)
    assert set(StripeSettings.secret_fields()) == {"secret_key", "webhook_secret"}
    structure = StripeSettings.config_structure()
    assert structure["secret_key"]["type"] == "Secret"
    assert structure["webhook_secret"]["type"] == "Secret"
