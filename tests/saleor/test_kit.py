"""A connector written from the template, installed into the real Saleor: Saleor finds it
by its entry points, lists it, and a paid order reaches its provider through the kernel."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from saleor.graphql.tests.utils import get_graphql_content

from saleor_plugins.core import registry
from saleor_plugins.core.models import Job
from saleor_plugins.testing import ProviderServer, deliver_until_settled
from tests.packages import install_apart
from tests.saleor.conftest import enable
from tests.saleor.test_core import PLUGINS_QUERY

pytestmark = pytest.mark.saleor

ID = "acme_crm.connector"
KEY = "acme_0123456789abcdef"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template's package, built by pip and installed apart (Saleor's env unchanged)."""
    root = tmp_path_factory.mktemp("kit")
    call_command("saleor_plugins_startconnector", "acme_crm", directory=str(root / "acme_crm"))
    install_apart(root / "acme_crm", root / "site")
    return root / "site"


def test_saleor_loads_the_installed_package_as_an_app_and_a_plugin(site: Path) -> None:
    """In a fresh process, as after a restart: Saleor's settings read the entry points."""
    probe = (
        "import json, django; django.setup(); from django.conf import settings; "
        "from django.apps import apps; print(json.dumps([apps.get_app_config('acme_crm').name,"
        " 'acme_crm.plugin.AcmeCrmPlugin' in settings.PLUGINS]))"
    )
    env = os.environ | {"PYTHONPATH": str(site), "DJANGO_SETTINGS_MODULE": "saleor.settings"}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["acme_crm", True]


@pytest.fixture
def acme(site: Path, settings, monkeypatch):  # type: ignore[no-untyped-def]
    """This process started before the install: load the package as Saleor would have."""
    monkeypatch.syspath_prepend(str(site))
    connector = importlib.import_module("acme_crm.connector")
    importlib.import_module("acme_crm.plugin")
    settings.PLUGINS = [*settings.PLUGINS, "acme_crm.plugin.AcmeCrmPlugin"]
    registry.register(connector)
    with ProviderServer() as server:
        yield server
    registry.unregister(connector)


def test_the_plugin_is_listed_with_its_settings(
    acme, staff_api_client, permission_manage_plugins, channel_USD
):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    content = get_graphql_content(staff_api_client.post_graphql(PLUGINS_QUERY))
    nodes = {e["node"]["id"]: e["node"] for e in content["data"]["plugins"]["edges"]}
    config = nodes[ID]["channelConfigurations"][0]["configuration"]
    assert {c["name"]: c["type"] for c in config} == {
        "api_url": "STRING",
        "api_key": "SECRET",
        "send_guests": "BOOLEAN",
        "sync_status": "OUTPUT",
    }


def test_a_paid_order_is_delivered_to_the_provider(acme, order_with_lines, channel_USD):  # type: ignore[no-untyped-def]
    from saleor.plugins.manager import get_plugins_manager

    enable(ID, channel_USD, {"api_url": acme.url, "api_key": KEY, "send_guests": True})
    acme.reply("PUT", f"/orders/{order_with_lines.pk}", 200, {"id": "A-1"})
    get_plugins_manager(allow_replica=False).order_fully_paid(order_with_lines)
    (job,) = Job.objects.filter(integration=ID, object_id=str(order_with_lines.pk))
    attempts = deliver_until_settled(job.id)
    assert [a.outcome for a in attempts] == ["succeeded"]
    assert attempts[0].provider_ids == {"order": "A-1"}
    (sent,) = acme.calls("PUT", f"/orders/{order_with_lines.pk}")
    body = sent.json()
    assert Decimal(body["total"]) == order_with_lines.total_gross_amount
    assert body["email"] == order_with_lines.get_customer_email()
    assert sent.header("Authorization") == f"Bearer {KEY}"
