"""Typed settings: what a merchant sees when saving a half-filled or wrong form."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, field_validator

from saleor_plugins.core import secrets
from saleor_plugins.core.settings import ChannelSettings, Kind, SettingsErrors, setting, split_list

KEY = "sk_live_settings_0123456789"


class Shop(ChannelSettings):
    api_key: SecretStr | None = setting(None, label="API key", kind=Kind.SECRET, required=True)
    endpoint: str = setting("", label="Endpoint", required=True)
    send_emails: bool = setting(False, label="Send emails")
    first_day: int = setting(1, label="First day")
    last_day: int = setting(28, label="Last day")

    @field_validator("endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("Endpoint must start with https://.")
        return value

    def validate_together(self) -> dict[str, str]:
        if self.first_day > self.last_day:
            return {"last_day": "Last day must not be before the first day."}
        return {}


def parse(active: bool = True, **raw: object) -> Shop:
    items = [{"name": k, "value": v} for k, v in raw.items()]
    return Shop.from_configuration(items, active=active)


def errors_of(active: bool = True, **raw: object) -> dict[str, str]:
    with pytest.raises(SettingsErrors) as e:
        parse(active, **raw)
    return e.value.errors


def test_a_missing_required_value_is_reported_alone() -> None:
    errors = errors_of(api_key="", endpoint="https://x.example")
    assert errors == {"api_key": "API key is required when the plugin is active."}


def test_a_missing_value_and_an_invalid_one_each_get_one_message() -> None:
    errors = errors_of(api_key=None, endpoint="ftp://x", first_day="9", last_day="1")
    assert errors == {
        "api_key": "API key is required when the plugin is active.",
        "endpoint": "Endpoint must start with https://.",
    }  # the cross-field check waits until every field is valid on its own


def test_required_fields_may_be_empty_while_the_plugin_is_inactive() -> None:
    shop = parse(active=False, api_key="", endpoint="")
    assert shop.api_key is None and shop.endpoint == ""


def test_cross_field_checks_run_once_fields_are_valid() -> None:
    assert errors_of(api_key=KEY, endpoint="https://x.example", first_day="9", last_day="1") == {
        "last_day": "Last day must not be before the first day."
    }
    assert errors_of(api_key=KEY, endpoint="https://x.example", first_day="soon") == {
        "first_day": "Input should be a valid integer, unable to parse string as an integer"
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("True", True),
        ("1", True),
        (True, True),
        ("false", False),
        ("0", False),
        (False, False),
        ("", False),
        (None, False),
    ],
)
def test_booleans_arrive_as_strings(raw: object, expected: bool) -> None:
    assert parse(api_key=KEY, endpoint="https://x.example", send_emails=raw).send_emails is expected


def test_secrets_are_masked_in_repr_and_registered_with_the_scrubber() -> None:
    shop = parse(api_key=KEY, endpoint="https://x.example")
    assert KEY not in repr(shop) and KEY not in str(shop)
    assert shop.secret("api_key") == KEY
    assert secrets.scrub(f"Bearer {KEY}") == f"Bearer {secrets.MASK}"


def test_the_declaration_gives_saleors_configuration_and_structure() -> None:
    defaults = {d["name"]: d["value"] for d in Shop.default_configuration()}
    assert defaults == {
        "api_key": None,
        "endpoint": "",
        "send_emails": False,
        "first_day": 1,
        "last_day": 28,
    }
    structure = Shop.config_structure()
    assert structure["api_key"]["type"] == "Secret"
    assert structure["send_emails"]["type"] == "Boolean"
    assert structure["endpoint"]["help_text"] == "Required when the plugin is active."
    assert Shop.secret_fields() == ["api_key"]


def test_split_list_accepts_commas_and_newlines() -> None:
    assert split_list("a, b\nc,,") == ("a", "b", "c")
    assert split_list(["x ", ""]) == ("x",)


def test_every_value_has_a_size_bound_and_a_huge_one_is_refused_by_name() -> None:
    huge = "x" * 1_000_000  # a 1 MB paste into one field
    assert errors_of(api_key=KEY, endpoint="https://" + huge) == {
        "endpoint": "Endpoint is too long: at most 2,048 characters."
    }
    secret_errors = errors_of(api_key=huge, endpoint="https://example.com")
    assert secret_errors == {"api_key": "API key is too long: at most 2,048 characters."}
    assert huge not in str(secret_errors)


def test_a_field_may_declare_its_own_bound() -> None:
    class Short(ChannelSettings):
        code: str = setting("", label="Code", max_length=5)

    assert Short.parse({"code": "12345"}).code == "12345"
    with pytest.raises(SettingsErrors) as e:
        Short.parse({"code": "123456"})
    assert e.value.errors == {"code": "Code is too long: at most 5 characters."}


def test_a_secret_too_short_to_scrub_safely_is_refused_even_while_inactive() -> None:
    # a secret the log scrubber cannot hide without masking ordinary words is never used
    assert errors_of(active=False, api_key="abc123") == {
        "api_key": "API key is too short to be kept out of logs: use at least 8 characters."
    }
    assert parse(active=False, api_key="abcd1234").api_key is not None


def test_a_configuration_is_parsed_once_per_content(monkeypatch: pytest.MonkeyPatch) -> None:
    # Saleor hands every plugin its stored list in every request: parse it once
    calls = []
    original = Shop.parse.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Shop], raw: dict[str, object], *, active: bool = True) -> Shop:
        calls.append(dict(raw))
        result: Shop = original(cls, raw, active=active)
        return result

    monkeypatch.setattr(Shop, "parse", classmethod(counting))
    first = parse(api_key=KEY, endpoint="https://once.example")
    again = parse(api_key=KEY, endpoint="https://once.example")
    assert again is first and len(calls) == 1
    changed = parse(api_key=KEY, endpoint="https://twice.example")
    assert changed.endpoint == "https://twice.example" and len(calls) == 2
    assert parse(active=False, api_key=KEY, endpoint="https://once.example") is not first
    # a refused configuration is refused every time, never served from the cache
    for _ in range(2):
        assert "endpoint" in errors_of(api_key=KEY, endpoint="http://plain.example")
