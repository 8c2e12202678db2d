"""Accounting documents -> Xero's objects (the SDK's models), with the channel's mappings."""

from __future__ import annotations

from typing import Any

from ..accounting import build, rounding
from ..accounting.documents import Contact, CreditNote, Invoice, Line, LineKind, Payment
from ..core.errors import ConfigurationError
from .settings import XeroSettings

#: Xero takes our tax amount per line (``TaxAmount`` overrides its own computation)
ARITHMETIC = rounding.ExplicitTax()
NO_TAX = "NONE"


def account_for(line: Line, settings: XeroSettings) -> str:
    if line.kind is LineKind.SHIPPING:
        return settings.shipping_account or settings.sales_account
    if line.kind is LineKind.DISCOUNT:
        return settings.discount_account or settings.sales_account
    if line.kind is LineKind.ROUNDING:
        return settings.rounding_account or settings.sales_account
    if line.kind is LineKind.GIFT_CARD_SALE:
        if not settings.gift_card_account:
            raise ConfigurationError(
                "A gift card was sold: set the gift card liability account.",
                field="gift_card_account",
            )
        return settings.gift_card_account
    return settings.accounts().get(line.account_key.casefold(), settings.sales_account)


def tax_for(line: Line, settings: XeroSettings) -> str:
    if line.kind is LineKind.ROUNDING:
        return NO_TAX
    return settings.taxes().get(line.tax_key.casefold(), settings.default_tax_type)


def contact(c: Contact, contact_id: str = "") -> Any:
    from xero_python.accounting import Contact as XContact

    if contact_id:
        return XContact(contact_id=contact_id)
    # unique per e-mail: Xero matches contacts by name, and two shoppers may share one
    name = f"{c.name} ({c.email})" if c.email and c.email not in c.name else c.name
    return XContact(
        name=name[:255],
        email_address=c.email or None,
        first_name=c.first_name[:255] or None,
        last_name=c.last_name[:255] or None,
    )


def line_items(lines: tuple[Line, ...], settings: XeroSettings) -> list[Any]:
    from xero_python.accounting import LineItem

    return [
        LineItem(
            description=x.description[:4000],
            quantity=x.quantity,
            unit_amount=x.unit_amount,
            account_code=account_for(x, settings),
            tax_type=tax_for(x, settings),
            tax_amount=x.tax_amount,
            item_code=None,
        )
        for x in lines
    ]


def invoice(
    doc: Invoice, settings: XeroSettings, *, contact_id: str = "", invoice_id: str = ""
) -> Any:
    from xero_python.accounting import CurrencyCode, LineAmountTypes
    from xero_python.accounting import Invoice as XInvoice

    settled = rounding.settle(doc, ARITHMETIC)
    return XInvoice(
        invoice_id=invoice_id or None,
        type="ACCREC",
        contact=contact(doc.contact, contact_id),
        line_items=line_items(settled.lines, settings),
        date=doc.issued_on,
        due_date=doc.issued_on,
        line_amount_types=LineAmountTypes.EXCLUSIVE,
        invoice_number=f"{settings.invoice_prefix}{doc.reference}"[:255],
        reference=f"Saleor order {doc.reference}"[:255],
        currency_code=CurrencyCode(doc.currency),
        status="AUTHORISED",
    )


def credit_note(doc: CreditNote, settings: XeroSettings, *, contact_id: str = "") -> Any:
    from xero_python.accounting import CreditNote as XCreditNote
    from xero_python.accounting import CurrencyCode, LineAmountTypes

    settled = rounding.settle(doc, ARITHMETIC)
    return XCreditNote(
        type="ACCRECCREDIT",
        contact=contact(doc.contact, contact_id),
        line_items=line_items(settled.lines, settings),
        date=doc.issued_on,
        line_amount_types=LineAmountTypes.EXCLUSIVE,
        credit_note_number=f"{settings.invoice_prefix}{doc.reference}"[:255],
        reference=f"Refund of Saleor order {doc.reference}"[:255],
        currency_code=CurrencyCode(doc.currency),
        status="AUTHORISED",
    )


def payment_account(gateway: str, settings: XeroSettings) -> str:
    return settings.gateways().get(gateway.casefold(), settings.payment_account)


def payment(
    p: Payment, settings: XeroSettings, *, invoice_id: str = "", credit_note_id: str = ""
) -> Any:
    from xero_python.accounting import Account
    from xero_python.accounting import CreditNote as XCreditNote
    from xero_python.accounting import Invoice as XInvoice
    from xero_python.accounting import Payment as XPayment

    return XPayment(
        invoice=XInvoice(invoice_id=invoice_id) if invoice_id else None,
        credit_note=XCreditNote(credit_note_id=credit_note_id) if credit_note_id else None,
        account=Account(code=payment_account(p.account_key, settings)),
        amount=p.amount,
        date=p.paid_on,
        reference=(p.reference or p.source_id)[:255],
    )


def refund_payment(note: CreditNote, settings: XeroSettings, credit_note_id: str) -> Any:
    """The money going back out against the credit note."""
    return payment(
        Payment(
            source_id=f"{note.source_id}:paid",
            invoice_source_id=note.invoice_source_id,
            amount=note.total,
            currency=note.currency,
            paid_on=note.issued_on,
            account_key=note.refund_account_key,
            reference=note.reference,
        ),
        settings,
        credit_note_id=credit_note_id,
    )


__all__ = ["build"]
