"""The Stripe stand-in starts from Stripe's own objects: the shipped samples are stripe-mock's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saleor_plugins.testing.providers import stripe as fake

# shared/ lies beside the project's root (here and in CI)
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "providers" / "stripe_fixtures3.json"


@pytest.mark.skipif(not FIXTURES.exists(), reason="stripe-mock's fixtures are not beside us")
def test_every_shipped_sample_is_stripe_mocks_own() -> None:
    theirs = json.loads(FIXTURES.read_text())["resources"]
    ours = fake.load_samples()
    assert {name: theirs[name] for name in ours} == ours
    assert {"payment_intent", "refund", "payout", "balance_transaction"} <= set(ours)
