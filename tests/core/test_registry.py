"""Where integrations come from: ids, typed settings, and a clash refused at start-up."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from pydantic import SecretStr

from saleor_plugins.core import registry
from saleor_plugins.core.integration import Integration
from saleor_plugins.core.settings import ChannelSettings, Kind, setting


class CrmSettings(ChannelSettings):
    api_key: SecretStr | None = setting(None, label="API key", kind=Kind.SECRET)


class Crm(Integration[CrmSettings]):
    id = "acme_crm.crm"
    name = "Acme CRM"


def test_the_settings_class_comes_from_the_type_argument() -> None:
    assert Crm.settings_class is CrmSettings
    settings = CrmSettings.parse({"api_key": "k_0123456789abcdef"})
    installation = Crm(settings, channel="default-channel", host=object())
    assert installation.settings.secret("api_key") == "k_0123456789abcdef"


def test_a_settings_class_other_than_the_type_argument_is_refused() -> None:
    class Other(ChannelSettings):
        pass

    with pytest.raises(TypeError, match="settings_class Other is not the CrmSettings"):

        class Wrong(Integration[CrmSettings]):
            id = "acme_crm.wrong"
            name = "Wrong"
            settings_class = Other


@pytest.mark.parametrize("bad", ["crm", "Acme.CRM", "acme-crm.crm", "acme..crm", "a." + "b" * 99])
def test_an_id_breaking_the_naming_rule_is_refused_where_it_is_declared(bad: str) -> None:
    with pytest.raises(ValueError, match="lower-case dotted words"):
        type("Bad", (Integration,), {"id": bad, "name": "Bad"})


def test_two_integrations_with_one_id_are_refused_naming_both(provide: Any) -> None:
    class Impostor(Integration[CrmSettings]):
        id = "saleor_plugins.mailchimp"  # a third party reusing our id
        name = "Not Mailchimp"

    provide(Impostor)
    with pytest.raises(registry.DuplicateIntegration) as refused:
        registry.integrations()
    message = str(refused.value)
    assert "'saleor_plugins.mailchimp' is registered twice" in message
    assert "MailchimpIntegration" in message and "Impostor" in message


def test_the_clash_stops_django_at_start_up(provide: Any) -> None:
    class Impostor(Integration[CrmSettings]):
        id = "saleor_plugins.sandbox"
        name = "Not the sandbox"

    provide(Impostor)
    with pytest.raises(registry.DuplicateIntegration):
        apps.get_app_config("saleor_plugins_core").ready()


def test_the_same_class_registered_twice_is_one_integration(provide: Any) -> None:
    provide(Crm)
    provide(Crm)
    assert registry.integrations()["acme_crm.crm"] is Crm


def test_no_connector_narrows_its_settings_by_hand() -> None:
    """Every integration receives its own settings type: no assert, no type: ignore."""
    import re
    from pathlib import Path

    import saleor_plugins

    by_hand = re.compile(r"assert isinstance\((self\.)?settings\b|settings\b.*# type: ignore")
    found = [
        f"{path.relative_to(Path(saleor_plugins.__file__).parent)}:{n}"
        for path in Path(saleor_plugins.__file__).parent.glob("*/*.py")
        if path.parent.name not in ("core", "adapter")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if by_hand.search(line)
    ]
    assert found == []
