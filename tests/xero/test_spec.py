"""The Xero stand-in's schemas are Xero's own: the shipped copy matches the spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from saleor_plugins.testing.providers import xero_spec

# shared/ lies beside the project's root (here and in CI)
SPEC = Path(__file__).resolve().parents[3] / "shared" / "providers" / "xero_accounting.yaml"


@pytest.mark.skipif(not SPEC.exists(), reason="Xero's spec is not beside the project")
def test_the_shipped_schemas_are_the_specs_own() -> None:
    every = yaml.safe_load(SPEC.read_text())["components"]["schemas"]
    expected = json.loads(json.dumps(xero_spec.closure(every), default=str))
    assert xero_spec.schemas() == expected


def test_a_body_the_spec_does_not_allow_is_named() -> None:
    problems = xero_spec.errors("BankTransfer", {"Amount": "12.00", "Typo": 1})
    assert "BankTransfer: unknown property Typo" in problems
    assert any("Amount" in p and "is not number" in p for p in problems)
