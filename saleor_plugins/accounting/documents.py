"""Provider-neutral accounting documents, built from snapshots, mapped by each provider.

Amounts are ``Decimal`` in the currency's major unit, at the currency's precision
(:func:`precision`), except unit amounts, which may carry :data:`UNIT_DP` decimals.
Mapping keys (``account_key``, ``tax_key``) are what the merchant maps in the channel's
settings; the provider resolves them to its own account codes and tax types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache

from babel.numbers import get_currency_precision

from ..core.snapshots import Address

#: Decimals a unit amount may carry (Xero's ``unitdp=4``, QuickBooks' unit price).
UNIT_DP = 4


@cache
def precision(currency: str) -> int:
    """Decimals of the currency's minor unit (ISO 4217 / CLDR: JPY 0, EUR 2, KWD 3)."""
    return int(get_currency_precision(currency.upper()))


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-precision(currency)), rounding=ROUND_HALF_UP)


def quantize_unit(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-UNIT_DP), rounding=ROUND_HALF_UP)


class LineKind(StrEnum):
    PRODUCT = "product"
    SHIPPING = "shipping"
    DISCOUNT = "discount"
    #: a gift card sold: a liability until it is spent, not revenue
    GIFT_CARD_SALE = "gift_card_sale"
    ROUNDING = "rounding"


@dataclass(frozen=True, slots=True)
class Line:
    kind: LineKind
    description: str
    quantity: Decimal
    unit_amount: Decimal  # net per unit, at most UNIT_DP decimals
    net_amount: Decimal  # Saleor's net for the line, at the currency's precision
    tax_amount: Decimal  # Saleor's tax for the line
    tax_rate: Decimal = Decimal(0)  # a fraction: 0.23 for 23 %
    tax_key: str = ""  # mapped to the provider's tax type
    account_key: str = ""  # mapped to the provider's revenue (or other) account
    item_code: str = ""
    source_id: str = ""  # the Saleor order line it comes from

    @property
    def gross_amount(self) -> Decimal:
        return self.net_amount + self.tax_amount


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    name: str
    first_name: str = ""
    last_name: str = ""
    address: Address | None = None
    customer_id: str = ""  # Saleor's user id; "" for a guest


@dataclass(frozen=True, slots=True)
class Invoice:
    """A sale: one per order (per-order mode) or per channel, day and currency (summary)."""

    source_id: str  # our key: the order id, or "summary:<channel>:<day>:<currency>"
    reference: str  # shown to the merchant: the order number
    channel: str
    currency: str
    issued_on: date
    contact: Contact
    lines: tuple[Line, ...]
    total: Decimal  # Saleor's gross total: what the booked document must come to

    @property
    def lines_total(self) -> Decimal:
        return sum((line.gross_amount for line in self.lines), Decimal(0))

    @property
    def total_tax(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), Decimal(0))


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received against an invoice, into the account mapped for its gateway."""

    source_id: str  # our key: "<order id>:payment:<psp reference or payment id>"
    invoice_source_id: str
    amount: Decimal
    currency: str
    paid_on: date
    account_key: str  # the gateway (e.g. "stripe", "gift_card"): mapped to a bank/clearing account
    reference: str = ""  # the PSP reference shown to the merchant


@dataclass(frozen=True, slots=True)
class CreditNote:
    """A refund, with the lines it gives back (or one line for an amount-only refund)."""

    source_id: str  # our key: "<order id>:refund:<refund id>"
    invoice_source_id: str
    reference: str
    channel: str
    currency: str
    issued_on: date
    contact: Contact
    lines: tuple[Line, ...]
    total: Decimal
    refund_account_key: str = ""  # where the money went back from (the gateway)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def lines_total(self) -> Decimal:
        return sum((line.gross_amount for line in self.lines), Decimal(0))
