"""Accounting documents -> QuickBooks Online's JSON objects, with the channel's mappings.

QuickBooks recalculates tax itself, per line, from each line's tax code: the tax we
send is ignored. :data:`ARITHMETIC` predicts what it will book, and
:func:`~saleor_plugins.accounting.rounding.settle` adds a rounding line (untaxed, to the
rounding item) whenever that prediction misses Saleor's total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..accounting import rounding
from ..accounting.documents import Contact, CreditNote, Invoice, Line, LineKind, Payment, quantize
from ..core.errors import ConfigurationError
from .settings import QuickBooksSettings

ARITHMETIC = rounding.RecomputedTax()
#: QuickBooks' limits: DocNumber 21 characters, DisplayName 500, line description 4000
DOC_NUMBER, DISPLAY_NAME, DESCRIPTION, NOTE = 21, 500, 4000, 4000
TAX_DIFFERENCE = "Tax difference: a mapped tax code's rate is not Saleor's rate"


def item_for(line: Line, settings: QuickBooksSettings) -> str:
    if line.kind is LineKind.SHIPPING:
        return settings.shipping_item or settings.sales_item
    if line.kind is LineKind.DISCOUNT:
        return settings.discount_item or settings.sales_item
    if line.kind is LineKind.ROUNDING:
        return settings.rounding_item or settings.sales_item
    if line.kind is LineKind.GIFT_CARD_SALE:
        if not settings.gift_card_item:
            raise ConfigurationError(
                "A gift card was sold: set the gift card item.", field="gift_card_item"
            )
        return settings.gift_card_item
    return settings.items().get(line.account_key.casefold(), settings.sales_item)


def tax_code_for(line: Line, settings: QuickBooksSettings) -> str:
    if line.kind is LineKind.ROUNDING:
        return settings.no_tax_code
    return settings.taxes().get(line.tax_key.casefold(), settings.default_tax_code)


def display_name(c: Contact) -> str:
    """Unique per e-mail: QuickBooks refuses a second customer with the same name."""
    name = f"{c.name} ({c.email})" if c.email and c.email not in c.name else c.name
    return name[:DISPLAY_NAME]


def customer(c: Contact) -> dict[str, Any]:
    body: dict[str, Any] = {"DisplayName": display_name(c)}
    if c.email:
        body["PrimaryEmailAddr"] = {"Address": c.email[:100]}
    if c.first_name:
        body["GivenName"] = c.first_name[:100]
    if c.last_name:
        body["FamilyName"] = c.last_name[:100]
    return body


def lines(doc_lines: tuple[Line, ...], currency: str, settings: QuickBooksSettings) -> list[dict]:
    return [
        {
            "DetailType": "SalesItemLineDetail",
            "Description": x.description[:DESCRIPTION],
            # what QuickBooks checks against Qty x UnitPrice, rounded as it rounds
            "Amount": quantize(x.quantity * x.unit_amount, currency),
            "SalesItemLineDetail": {
                "ItemRef": {"value": item_for(x, settings)},
                "Qty": x.quantity,
                "UnitPrice": x.unit_amount,
                "TaxCodeRef": {"value": tax_code_for(x, settings)},
            },
        }
        for x in doc_lines
    ]


def adjusted(
    body: dict[str, Any], difference: Decimal, currency: str, settings: QuickBooksSettings
) -> dict[str, Any]:
    """``body`` with an untaxed line closing ``difference`` (QuickBooks' total -> Saleor's)."""
    rounding_lines = [x for x in body["Line"] if _is_rounding(x, settings)]
    others = [x for x in body["Line"] if not _is_rounding(x, settings)]
    amount = difference + sum((Decimal(str(x["Amount"])) for x in rounding_lines), Decimal(0))
    line = lines(
        (
            Line(
                kind=LineKind.ROUNDING,
                description=TAX_DIFFERENCE,
                quantity=Decimal(1),
                unit_amount=amount,
                net_amount=amount,
                tax_amount=Decimal(0),
            ),
        ),
        currency,
        settings,
    )
    return dict(body, Line=others + line)


def _is_rounding(line: dict[str, Any], settings: QuickBooksSettings) -> bool:
    detail = line.get("SalesItemLineDetail") or {}
    return (
        line.get("Description") in ("Rounding", TAX_DIFFERENCE)
        and (detail.get("TaxCodeRef") or {}).get("value") == settings.no_tax_code
    )


def deposit_account(gateway: str, settings: QuickBooksSettings) -> str:
    return settings.gateways().get(gateway.casefold(), settings.deposit_account)


def _sale(
    doc: Invoice | CreditNote, settings: QuickBooksSettings, customer_id: str, note: str
) -> dict[str, Any]:
    settled = rounding.settle(doc, ARITHMETIC).lines
    return {
        "DocNumber": f"{settings.doc_prefix}{doc.reference}"[:DOC_NUMBER],
        "TxnDate": doc.issued_on.isoformat(),
        "CustomerRef": {"value": customer_id},
        "CurrencyRef": {"value": doc.currency},
        "GlobalTaxCalculation": "TaxExcluded",
        "PrivateNote": note[:NOTE],
        "Line": lines(settled, doc.currency, settings),
    }


def invoice(doc: Invoice, settings: QuickBooksSettings, customer_id: str) -> dict[str, Any]:
    return _sale(doc, settings, customer_id, f"Saleor order {doc.reference}")


def sales_receipt(
    doc: Invoice, settings: QuickBooksSettings, customer_id: str, gateway: str
) -> dict[str, Any]:
    body = _sale(doc, settings, customer_id, f"Saleor order {doc.reference}")
    body["DepositToAccountRef"] = {"value": deposit_account(gateway, settings)}
    return body


def refund(
    doc: CreditNote, settings: QuickBooksSettings, customer_id: str, *, receipt: bool
) -> dict[str, Any]:
    body = _sale(doc, settings, customer_id, f"Refund of Saleor order {doc.reference}")
    if receipt:  # money back out of the account the gateway paid into
        body["DepositToAccountRef"] = {"value": deposit_account(doc.refund_account_key, settings)}
    return body


def payment(
    p: Payment, settings: QuickBooksSettings, customer_id: str, invoice_id: str
) -> dict[str, Any]:
    return {
        "TotalAmt": p.amount,
        "TxnDate": p.paid_on.isoformat(),
        "CustomerRef": {"value": customer_id},
        "CurrencyRef": {"value": p.currency},
        "DepositToAccountRef": {"value": deposit_account(p.account_key, settings)},
        "PaymentRefNum": (p.reference or p.source_id)[:21],
        "Line": [{"Amount": p.amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
    }
