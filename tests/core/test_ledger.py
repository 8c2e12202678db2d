"""The kernel's ledger remembers what a provider holds, independent of job pruning."""

from __future__ import annotations

import pytest

from saleor_plugins.core import ledger
from saleor_plugins.core.models import Held

pytestmark = pytest.mark.django_db


def test_hold_then_release_is_what_held_reports() -> None:
    ledger.hold("mailchimp", "ch-a", "product", {"p1": "mc-1", "p2": ""})
    ledger.hold("mailchimp", "ch-b", "product", ["p1"])
    assert ledger.held("mailchimp", "ch-a", "product", ["p1", "p2", "p3"]) == {
        "p1": "mc-1",
        "p2": "",
    }
    ledger.release("mailchimp", "ch-a", "product", ["p1"])
    assert ledger.held("mailchimp", "ch-a", "product", ["p1", "p2"]) == {"p2": ""}
    assert ledger.holds("mailchimp", "ch-b", "product", "p1")


def test_holding_again_updates_instead_of_duplicating() -> None:
    ledger.hold("gm", "ch", "product", {"p1": "old"})
    ledger.hold("gm", "ch", "product", {"p1": "new"})
    assert Held.objects.count() == 1
    assert ledger.held("gm", "ch", "product", ["p1"]) == {"p1": "new"}


def test_holders_names_every_channel_of_every_integration() -> None:
    ledger.hold("gm", "ch-a", "product", ["p1"])
    ledger.hold("mailchimp", "ch-b", "product", ["p1"])
    ledger.hold("mailchimp", "ch-b", "order", ["p1"])  # another type, same id
    assert ledger.holders("product", "p1") == {("gm", "ch-a"), ("mailchimp", "ch-b")}
    assert ledger.holders("product", "p1", integrations=["gm"]) == {("gm", "ch-a")}


def test_holders_of_many_objects_in_one_call() -> None:
    ledger.hold("gm", "ch-a", "product", ["p1", "p2"])
    ledger.hold("mailchimp", "ch-b", "product", ["p1"])
    assert ledger.holders_of("product", ["p1", "p2", "p3"]) == {
        "p1": {("gm", "ch-a"), ("mailchimp", "ch-b")},
        "p2": {("gm", "ch-a")},
    }
    assert ledger.holders_of("product", ["p1"], integrations=["mailchimp"]) == {
        "p1": {("mailchimp", "ch-b")}
    }
