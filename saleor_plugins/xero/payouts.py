"""A payout's documents as Xero's objects (what accounting/payouts.py books).

- the transfer: a **Bank Transfer** (``PUT /BankTransfers``) from the gateway's payment
  account (the clearing account: in Xero a bank account, as Xero's own Stripe feed sets
  it up) to the payout bank account, or back for a payout that failed;
- the fees: a **Spend Money** bank transaction (``PUT /BankTransactions``, ``SPEND``) from
  the clearing account to the fees expense account, untaxed; fees given back are a
  Receive Money (``RECEIVE``). The payee is a contact named after the provider.

A bank transfer takes the accounts' currency (Xero has no currency on it); the fees carry
the payout's currency.
"""

from __future__ import annotations

from typing import Any

from ..accounting.payouts import Fees, Transfer
from ..core.errors import ConfigurationError
from .mapping import NO_TAX, payment_account
from .settings import XeroSettings


def _clearing(gateway: str, settings: XeroSettings) -> str:
    clearing = payment_account(gateway, settings)
    if clearing.casefold() == settings.payout_bank_account.casefold():
        raise ConfigurationError(
            f"The payout bank account is the payment account of {gateway}: a payout would "
            "be a transfer to itself. Map the gateway to a clearing account.",
            field="payout_bank_account",
        )
    return clearing


def transfer(t: Transfer, settings: XeroSettings) -> Any:
    from xero_python.accounting import Account, BankTransfer

    clearing, bank = _clearing(t.gateway, settings), settings.payout_bank_account
    source, target = (bank, clearing) if t.returned else (clearing, bank)
    return BankTransfer(
        from_bank_account=Account(code=source),
        to_bank_account=Account(code=target),
        amount=t.amount,
        date=t.on,
        reference=t.reference[:255],
    )


def fees(f: Fees, settings: XeroSettings) -> Any:
    from xero_python.accounting import (
        Account,
        BankTransaction,
        Contact,
        CurrencyCode,
        LineAmountTypes,
        LineItem,
    )

    return BankTransaction(
        type="SPEND" if f.amount > 0 else "RECEIVE",
        contact=Contact(name=f.payee),
        bank_account=Account(code=_clearing(f.gateway, settings)),
        date=f.on,
        reference=f.reference[:255],
        currency_code=CurrencyCode(f.currency),
        line_amount_types=LineAmountTypes.NOTAX,
        line_items=[
            LineItem(
                description=f.reference[:4000],
                quantity=1,
                unit_amount=abs(f.amount),
                account_code=settings.payout_fees_account,
                tax_type=NO_TAX,
            )
        ],
    )
