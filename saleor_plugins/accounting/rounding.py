"""What a provider will book for our lines, and the rounding line that makes it Saleor's.

Providers compute line amounts themselves: ``quantity * unit amount`` rounded to the
currency, and some recompute each line's tax from its rate. Our unit amounts carry four
decimals, so a line can land a cent away from Saleor's figure. :func:`settle` asks the
provider's :class:`Arithmetic` what the document would total and, when that is not
Saleor's total, appends one explicit rounding line (no tax, to the mapped rounding
account) so the ledger agrees with the shop to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from .documents import CreditNote, Invoice, Line, LineKind, quantize

ROUNDING = "rounding"
NO_TAX = "no_tax"


class Arithmetic(Protocol):
    def line_total(self, line: Line, currency: str) -> Decimal:
        """The gross amount the provider books for one line."""


class ExplicitTax:
    """The provider takes our tax amount per line (Xero's overridable ``TaxAmount``)."""

    def line_total(self, line: Line, currency: str) -> Decimal:
        return quantize(line.quantity * line.unit_amount, currency) + line.tax_amount


class RecomputedTax:
    """The provider recomputes each line's tax from its rate (QuickBooks' tax codes)."""

    def line_total(self, line: Line, currency: str) -> Decimal:
        net = quantize(line.quantity * line.unit_amount, currency)
        return net + quantize(net * line.tax_rate, currency)


def booked_total(lines: Sequence[Line], currency: str, arithmetic: Arithmetic) -> Decimal:
    return sum((arithmetic.line_total(x, currency) for x in lines), Decimal(0))


def settle[Doc: Invoice | CreditNote](doc: Doc, arithmetic: Arithmetic) -> Doc:
    """``doc`` with a rounding line if the provider's arithmetic misses Saleor's total."""
    lines = [x for x in doc.lines if x.kind is not LineKind.ROUNDING]
    difference = doc.total - booked_total(lines, doc.currency, arithmetic)
    if difference:
        lines.append(
            Line(
                kind=LineKind.ROUNDING,
                description="Rounding",
                quantity=Decimal(1),
                unit_amount=difference,
                net_amount=difference,
                tax_amount=Decimal(0),
                tax_key=NO_TAX,
                account_key=ROUNDING,
            )
        )
    return replace(doc, lines=tuple(lines))
