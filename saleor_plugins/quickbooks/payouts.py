"""A payout's documents as QuickBooks Online objects (what accounting/payouts.py books).

- the transfer: a **Transfer** from the gateway's deposit account (the clearing
  account) to the payout bank account, or back for a payout that failed;
- the fees: a **Purchase** (an expense paid in cash) from the clearing account with one
  line to the fees expense account, untaxed; fees given back are a **Deposit** into the
  clearing account from the fees account.

A transfer takes the accounts' currency (QuickBooks has no currency on it); the fees carry
the payout's currency.
"""

from __future__ import annotations

from typing import Any

from ..accounting.payouts import Fees, Transfer
from ..core.errors import ConfigurationError
from .mapping import NOTE, deposit_account
from .settings import QuickBooksSettings


def _clearing(gateway: str, settings: QuickBooksSettings) -> str:
    clearing = deposit_account(gateway, settings)
    if clearing == settings.payout_bank_account:
        raise ConfigurationError(
            f"The payout bank account is the deposit account of {gateway}: a payout would "
            "be a transfer to itself. Map the gateway to a clearing account.",
            field="payout_bank_account",
        )
    return clearing


def transfer(t: Transfer, settings: QuickBooksSettings) -> dict[str, Any]:
    clearing, bank = _clearing(t.gateway, settings), settings.payout_bank_account
    source, target = (bank, clearing) if t.returned else (clearing, bank)
    return {
        "FromAccountRef": {"value": source},
        "ToAccountRef": {"value": target},
        "Amount": t.amount,
        "TxnDate": t.on.isoformat(),
        "PrivateNote": t.reference[:NOTE],
    }


def fees(f: Fees, settings: QuickBooksSettings) -> tuple[str, dict[str, Any]]:
    """(entity, body): a Purchase for fees charged, a Deposit for fees given back."""
    clearing = _clearing(f.gateway, settings)
    common = {
        "TxnDate": f.on.isoformat(),
        "CurrencyRef": {"value": f.currency},
        "PrivateNote": f.reference[:NOTE],
    }
    account = {"AccountRef": {"value": settings.payout_fees_account}}
    if f.amount > 0:
        line = {
            "Amount": f.amount,
            "Description": f.reference,
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {
                **account,
                "TaxCodeRef": {"value": settings.no_tax_code},
            },
        }
        return "Purchase", {
            **common,
            "PaymentType": "Cash",
            "AccountRef": {"value": clearing},
            "Line": [line],
        }
    line = {
        "Amount": -f.amount,
        "Description": f.reference,
        "DetailType": "DepositLineDetail",
        "DepositLineDetail": account,
    }
    return "Deposit", {**common, "DepositToAccountRef": {"value": clearing}, "Line": [line]}
