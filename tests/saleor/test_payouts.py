"""A Stripe payout booked in Xero inside a real Saleor, through the kernel alone.

Stripe is active in both channels (one account); Xero only in the USD one. Stripe posts
a signed ``payout.paid`` to the PLN channel's plugin URL: the worker lists the payout's
balance transactions from the fake Stripe, the kernel finds, from Saleor's own plugin
configurations, the channels of that Stripe account where an accounting integration is
active, and Xero books one transfer and one fee expense.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pluggy
import pytest
import stripe

from saleor_plugins.core import delivery, hookspecs, oauth, registry
from saleor_plugins.core.models import Connection, Job
from saleor_plugins.stripe import connector as stripe_connector
from saleor_plugins.stripe.connector import PLUGIN_ID as STRIPE
from saleor_plugins.testing.providers.stripe import FakeStripe, event, make_payout, sign
from saleor_plugins.testing.providers.xero import TENANT, FakeXero, dp
from saleor_plugins.xero import client as xero_client
from saleor_plugins.xero import connector as xero_connector
from saleor_plugins.xero.settings import XeroSettings
from tests.saleor.conftest import enable
from tests.stripe.conftest import RAW_SETTINGS, SECRET_KEY, WEBHOOK_SECRET
from tests.xero.conftest import config

pytestmark = pytest.mark.saleor

XERO = "saleor_plugins.xero"
PLUGINS = [
    "saleor_plugins.adapter.router.RouterPlugin",
    "saleor_plugins.stripe.plugin.StripeGatewayPlugin",
    "saleor_plugins.xero.plugin.XeroPlugin",
]


@pytest.fixture
def fakes(
    settings: Any, monkeypatch: Any, channel_USD: Any, channel_PLN: Any
) -> Iterator[tuple[FakeStripe, FakeXero]]:
    settings.PLUGINS = PLUGINS
    pm = pluggy.PluginManager(hookspecs.PROJECT)  # these two integrations, nothing else
    pm.add_hookspecs(hookspecs)
    pm.register(stripe_connector)
    pm.register(xero_connector)
    monkeypatch.setattr(registry, "plugin_manager", lambda: pm)
    registry.integrations.cache_clear()
    for channel in (channel_USD, channel_PLN):
        enable(STRIPE, channel, {**RAW_SETTINGS, "supported_currencies": channel.currency_code})
    values = config(payout_bank_account="090", payout_fees_account="404")
    enable(XERO, channel_USD, values)
    previous = stripe.api_base
    with FakeStripe(SECRET_KEY) as fake_stripe, FakeXero() as fake_xero:
        stripe.api_base = fake_stripe.url
        for name in ("API", "LOGIN", "IDENTITY"):
            setattr(settings, f"SALEOR_PLUGINS_XERO_{name}_URL", fake_xero.url)
        p = xero_client.provider(XeroSettings.parse(values))
        redirect = "https://shop.example.com/callback"
        code, state = fake_xero.authorize(oauth.begin(p, XERO, channel_USD.slug, redirect))
        oauth.complete(p, XERO, channel_USD.slug, state=state, code=code, redirect_uri=redirect)
        Connection.objects.filter(integration=XERO).update(tenant_id=TENANT)
        yield fake_stripe, fake_xero
    stripe.api_base = previous
    registry.integrations.cache_clear()


def _deliver_pending() -> list[str]:
    outcomes: list[str] = []
    while jobs := list(Job.objects.filter(status="pending").order_by("id")):
        outcomes += [delivery.deliver(job.id).outcome for job in jobs]
    return outcomes


def test_a_payout_paid_is_one_transfer_and_its_fees_in_the_channel_that_books(
    fakes: tuple[FakeStripe, FakeXero], client: Any, channel_USD: Any, channel_PLN: Any
) -> None:
    fake_stripe, fake_xero = fakes
    payout = make_payout(
        fake_stripe.state, currency="usd", charges=[(3000, 117), (4599, 163)], refunds=[500]
    )
    body = json.dumps(event(fake_stripe.state, "payout.paid", payout)).encode()
    url = f"/plugins/channel/{channel_PLN.slug}/{STRIPE}/webhooks/"
    for _ in range(2):  # Stripe retries: stored once
        response = client.post(
            url,
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, WEBHOOK_SECRET),
        )
        assert response.status_code == 200
    assert set(_deliver_pending()) == {"succeeded"}
    booking = Job.objects.get(integration=XERO)
    assert (booking.channel, booking.event) == (channel_USD.slug, "payout_paid")
    (transfer,) = fake_xero.docs("BankTransfers")
    assert (transfer["FromBankAccount"]["Code"], transfer["ToBankAccount"]["Code"]) == (
        "091",
        "090",
    )
    assert dp(transfer["Amount"]) == dp("68.19") == dp(payout["amount"] / 100)
    (fees,) = fake_xero.docs("BankTransactions")
    assert (fees["Type"], dp(fees["Total"])) == ("SPEND", dp("2.80"))
