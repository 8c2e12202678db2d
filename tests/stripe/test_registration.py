"""Webhook endpoint registration: one explicit, idempotent step per channel."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_plugins.core.errors import TransientError
from saleor_plugins.stripe import mapping
from saleor_plugins.stripe.client import StripeClient
from saleor_plugins.stripe.management.commands.saleor_plugins_stripe_register_webhook import (
    register,
)
from saleor_plugins.stripe.registration import ensure_endpoint, webhook_url
from saleor_plugins.testing.providers.stripe import FakeStripe

from .conftest import RAW_SETTINGS, SECRET_KEY

BASE = "https://shop.example.com"


class Config:
    """A channel's stored configuration, as the command loads and saves it."""

    def __init__(self, **overrides: Any) -> None:
        self.values = {**RAW_SETTINGS, "webhook_secret": "", **overrides}

    def load(self, channel: str) -> list[dict[str, Any]]:
        return [{"name": k, "value": v} for k, v in self.values.items()]

    def save(self, channel: str, secret: str) -> None:
        self.values["webhook_secret"] = secret


def test_url_is_the_plugins_per_channel_url() -> None:
    assert webhook_url(BASE + "/", "eu") == (
        "https://shop.example.com/plugins/channel/eu/saleor_plugins.stripe/webhooks/"
    )


def test_first_run_creates_the_endpoint_and_stores_its_secret(fake: FakeStripe) -> None:
    config = Config()
    result = register("eu", BASE, load=config.load, save=config.save)
    assert result.created and config.values["webhook_secret"].startswith("whsec_")
    [endpoint] = fake.state.endpoints.values()
    assert endpoint["url"] == webhook_url(BASE, "eu")
    assert set(endpoint["enabled_events"]) == set(mapping.HANDLED_EVENTS)
    assert endpoint["metadata"] == {
        "saleor_plugin": "saleor_plugins.stripe",
        "saleor_channel": "eu",
    }


def test_running_again_changes_nothing(fake: FakeStripe) -> None:
    config = Config()
    register("eu", BASE, load=config.load, save=config.save)
    secret = config.values["webhook_secret"]
    again = register("eu", BASE, load=config.load, save=config.save)
    assert not again.created and config.values["webhook_secret"] == secret
    assert len(fake.state.endpoints) == 1 and fake.state.effects["webhook_endpoint"] == 1


def test_channels_of_other_accounts_get_their_own_endpoints(fake: FakeStripe) -> None:
    eu, us = Config(), Config(publishable_key="pk_test_51AnotherAccount0123")
    register("eu", BASE, load=eu.load, save=eu.save)
    register("us", BASE, load=us.load, save=us.save, others=lambda: {"eu": eu.load("eu")})
    assert len(fake.state.endpoints) == 2
    assert eu.values["webhook_secret"] != us.values["webhook_secret"]


def test_channels_of_one_account_share_one_endpoint(fake: FakeStripe) -> None:
    """Stripe sends an account's events to every endpoint: one is enough."""
    eu, us = Config(), Config()
    register("us", BASE, load=us.load, save=us.save)  # registered before sharing existed
    register("eu", BASE, load=eu.load, save=eu.save)
    assert len(fake.state.endpoints) == 2
    result = register("us", BASE, load=us.load, save=us.save, others=lambda: {"eu": eu.load("eu")})
    [endpoint] = fake.state.endpoints.values()
    assert endpoint["metadata"]["saleor_channel"] == "eu"
    assert (result.endpoint_id, result.shared_with) == (endpoint["id"], "eu")
    assert not result.created and len(result.deleted) == 1


def test_a_lost_secret_or_a_new_domain_replaces_the_endpoint(fake: FakeStripe) -> None:
    config = Config()
    first = register("eu", BASE, load=config.load, save=config.save)
    config.values["webhook_secret"] = ""  # Stripe shows a secret only once
    second = register("eu", BASE, load=config.load, save=config.save)
    assert second.created and second.deleted == (first.endpoint_id,)
    third = register("eu", "https://new.example.com", load=config.load, save=config.save)
    assert third.deleted == (second.endpoint_id,)
    [endpoint] = fake.state.endpoints.values()
    assert endpoint["url"].startswith("https://new.example.com/")


def test_a_retried_create_does_not_duplicate_the_endpoint(fake: FakeStripe) -> None:
    client = StripeClient(SECRET_KEY)
    url = webhook_url(BASE, "eu")
    fake.state.delay_after, fake.state.delay_method = 0.6, "POST"
    slow = StripeClient(SECRET_KEY, timeout=(1.0, 0.3))
    with pytest.raises(TransientError):
        ensure_endpoint(slow, url=url, channel="eu", have_secret=False)
    fake.state.delay_after = 0
    assert fake.state.count("POST", "/v1/webhook_endpoints") == 1
    # the create went through unseen; a retry now finds it and, without its secret,
    # replaces it: never two endpoints for one channel
    ensure_endpoint(client, url=url, channel="eu", have_secret=False)
    assert len(fake.state.endpoints) == 1


def test_unreachable_stripe_fails_fast_with_a_transient_error(fake: FakeStripe) -> None:
    fake.__exit__(None, None, None)
    config = Config()
    with pytest.raises(TransientError):
        register("eu", BASE, load=config.load, save=config.save)
    assert config.values["webhook_secret"] == ""
