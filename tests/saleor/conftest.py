"""Running our plugins inside a real Saleor's test environment.

Saleor's top-level ``conftest.py`` is not part of the installed package, so this one does
what it does: both database aliases on the test database, and Saleor's fixture modules.
Each test gets ``settings.PLUGINS`` with our router, the sandbox plugin and Saleor's dummy
gateway (Saleor's test settings start with no plugin).

Run: ``SALEOR_PYTHON=/path/to/saleor-venv/bin/python ./run saleor-tests`` with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/saleor`` (the default here); the first run
builds Saleor's test database (minutes), later runs reuse it (``--reuse-db``).
"""

from __future__ import annotations

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/saleor")
os.environ.setdefault("SEND_USAGE_TELEMETRY", "False")

import django.test
import pytest
from django.conf import settings
from saleor.tests.utils import prepare_test_db_connections

TEST_DATABASES = {
    settings.DATABASE_CONNECTION_DEFAULT_NAME,
    settings.DATABASE_CONNECTION_REPLICA_NAME,
}
django.test.TransactionTestCase.databases = TEST_DATABASES
django.test.TestCase.databases = TEST_DATABASES
prepare_test_db_connections()

pytest_plugins = [
    "saleor.tests.fixtures",
    "saleor.app.tests.fixtures",
    "saleor.plugins.tests.fixtures",
    "saleor.graphql.tests.fixtures",
    "saleor.webhook.tests.fixtures",
    "saleor.tax.tests.fixtures",
    "saleor.channel.tests.fixtures",
    "saleor.page.tests.fixtures",
    "saleor.menu.tests.fixtures",
    "saleor.warehouse.tests.fixtures",
    "saleor.thumbnail.tests.fixtures",
    "saleor.order.tests.fixtures",
    "saleor.product.tests.fixtures",
    "saleor.site.tests.fixtures",
    "saleor.shipping.tests.fixtures",
    "saleor.permission.tests.fixtures",
    "saleor.giftcard.tests.fixtures",
    "saleor.discount.tests.fixtures",
    "saleor.checkout.tests.fixtures",
    "saleor.attribute.tests.fixtures",
    "saleor.account.tests.fixtures",
    "saleor.graphql.account.tests.fixtures",
    "saleor.payment.tests.fixtures",
    "saleor.webhook.tests.circuit_breaker.fixtures",
]

ROUTER = "saleor_plugins.adapter.router.RouterPlugin"
SANDBOX = "tests.saleor.plugins.SandboxPlugin"
SANDBOX_TWO = "tests.saleor.plugins.SecondSandboxPlugin"
DUMMY = "saleor.plugins.tests.gateways.dummy.DummyGatewayPlugin"


@pytest.fixture(autouse=True)
def _our_plugins(settings, setup_dummy_gateway):  # type: ignore[no-untyped-def]
    # after Saleor's own autouse fixture, which sets PLUGINS to its dummy gateway
    from saleor_plugins.core import registry
    from saleor_plugins.demo import connector
    from saleor_plugins.testing.services import redis_url
    from tests.saleor import plugins

    settings.PLUGINS = [DUMMY, ROUTER, SANDBOX, SANDBOX_TWO]
    settings.SALEOR_PLUGINS_COALESCE_SECONDS = 0.0
    # no broker here: the rate limiter needs its Redis named (it never guesses one)
    settings.SALEOR_PLUGINS_REDIS_URL = redis_url(13)
    for module in (connector, plugins):
        if not registry.plugin_manager().is_registered(module):
            registry.register(module)
    yield


@pytest.fixture
def permission_manage_plugins():  # type: ignore[no-untyped-def]
    from saleor.permission.models import Permission

    return Permission.objects.get(codename="manage_plugins")


def pay_with_dummy(checkout, payment):  # type: ignore[no-untyped-def]
    """Attach Saleor's dummy payment to ``checkout`` for its whole total."""
    from saleor.checkout import calculations
    from saleor.checkout.fetch import fetch_checkout_info, fetch_checkout_lines
    from saleor.plugins.manager import get_plugins_manager

    manager = get_plugins_manager(allow_replica=False)
    lines, _ = fetch_checkout_lines(checkout)
    info = fetch_checkout_info(checkout, lines, manager)
    total = calculations.calculate_checkout_total_with_gift_cards(manager, info, lines)
    payment.order = None
    payment.checkout = checkout
    payment.total = total.gross.amount
    payment.currency = total.gross.currency
    payment.save()
    return payment


def enable(plugin_id: str, channel, config: dict):  # type: ignore[no-untyped-def]
    """Store an active configuration of ``plugin_id`` in ``channel``, as pluginUpdate does."""
    from saleor.plugins.models import PluginConfiguration

    PluginConfiguration.objects.update_or_create(
        identifier=plugin_id,
        channel=channel,
        defaults={
            "active": True,
            "configuration": [{"name": k, "value": v} for k, v in config.items()],
        },
    )
