"""Stripe payouts itemised from their balance transactions (rules, one at a time)."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import saleor_plugins
from saleor_plugins.core.errors import PermanentError
from saleor_plugins.stripe import mapping
from saleor_plugins.stripe.payouts import summarise
from saleor_plugins.testing.providers.stripe import FakeState, event, make_payout

STATE = FakeState("sk_test_unused")
GATEWAY = "saleor_plugins.stripe"


def listed(payout: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in STATE.balance_transactions if t["_payout"] == payout["id"]]


def test_charges_refunds_fees_and_other_movements_add_up_to_the_payout() -> None:
    payout = make_payout(
        STATE,
        currency="eur",
        charges=[(10000, 315), (2550, 99)],
        refunds=[1000],
        other=[("dispute", -2550, 1500), ("fee", -200, 0), ("other_adjustment", 7, 0)],
    )
    found = summarise(payout, listed(payout), gateway=GATEWAY, status="paid")
    assert found.itemised and found.transactions == 6  # the payout's own one left out
    assert (found.charges, found.refunds, found.fees, found.other) == (
        Decimal("125.50"),
        Decimal("10.00"),
        Decimal("21.14"),  # 3.15 + 0.99 + 15.00 dispute fee + 2.00 billed on its own
        Decimal("-25.43"),
    )
    assert found.charges - found.refunds - found.fees + found.other == found.amount
    assert (found.amount, found.currency, found.gateway) == (Decimal("68.93"), "EUR", GATEWAY)
    assert found.key == f"stripe:{payout['id']}"


def test_a_three_decimal_currency_keeps_its_thousandths() -> None:
    payout = make_payout(STATE, currency="kwd", charges=[(12340, 370)])
    found = summarise(payout, listed(payout), gateway=GATEWAY, status="paid")
    assert (found.amount, found.fees) == (Decimal("11.970"), Decimal("0.370"))


def test_transactions_that_do_not_add_up_leave_the_payout_unitemised() -> None:
    payout = make_payout(STATE, charges=[(1000, 30)])
    some = [t for t in listed(payout) if t["reporting_category"] != "charge"]
    found = summarise(payout, some, gateway=GATEWAY, status="paid")
    assert not found.itemised and found.fees == 0 and found.amount == Decimal("9.70")


def test_a_transaction_in_another_currency_is_refused() -> None:
    payout = make_payout(STATE, charges=[(1000, 30)])
    wrong = [{**t, "currency": "usd"} for t in listed(payout)]
    with pytest.raises(PermanentError, match="usd"):
        summarise(payout, wrong, gateway=GATEWAY, status="paid")


def test_the_stored_event_keeps_what_a_payout_needs() -> None:
    payout = make_payout(STATE, charges=[(1000, 30)], automatic=False)
    stored = mapping.stored_event(event(STATE, "payout.paid", payout))["data"]["object"]
    assert {k: stored[k] for k in ("id", "amount", "currency", "arrival_date", "automatic")} == {
        k: payout[k] for k in ("id", "amount", "currency", "arrival_date", "automatic")
    }
    assert "destination" not in stored  # the bank account's id is not needed
    assert {"payout.paid", "payout.failed", "payout.canceled"} <= set(mapping.HANDLED_EVENTS)


def _imported(folder: str) -> set[str]:
    root = Path(saleor_plugins.__file__).parent / folder
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.level == 2:
                    found.add(node.module.split(".")[0])
                elif node.module.startswith("saleor_plugins."):
                    found.add(node.module.split(".")[1])
    return found


def test_payouts_reach_the_books_through_the_kernel_only() -> None:
    assert not _imported("stripe") & {"accounting", "xero", "quickbooks"}
    for folder in ("accounting", "xero", "quickbooks"):
        assert "stripe" not in _imported(folder)
