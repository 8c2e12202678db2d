"""Order snapshots -> accounting documents whose totals equal Saleor's to the cent.

Every amount comes from Saleor's own figures (line net and gross, shipping net and
gross); tax is Saleor's per line (gross - net), never recomputed here. What a provider's
arithmetic would make of the lines is :mod:`.rounding`'s business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from ..core import snapshots as s
from .documents import (
    Contact,
    CreditNote,
    Invoice,
    Line,
    LineKind,
    Payment,
    quantize,
    quantize_unit,
)

#: mapping keys the merchant maps to accounts (besides product types / categories)
SHIPPING = "shipping"
DISCOUNT = "discount"
GIFT_CARDS = "gift_cards"
GIFT_CARD_GATEWAY = "gift_card"


def day_of(moment: datetime | None) -> date:
    return (moment or datetime.now(UTC)).astimezone(UTC).date()


def tax_key(tax_class: str, rate: Decimal) -> str:
    """What the merchant maps to a tax type: the tax class, else the rate ("23%")."""
    if tax_class:
        return tax_class
    percent = (rate * 100).normalize()
    return f"{percent:f}%"


def contact(order: s.Order) -> Contact:
    customer = order.customer
    billing = order.billing_address or (customer.billing_address if customer else None)
    first = (billing.first_name if billing else "") or (customer.first_name if customer else "")
    last = (billing.last_name if billing else "") or (customer.last_name if customer else "")
    company = billing.company if billing else ""
    name = company or f"{first} {last}".strip() or order.email or f"Order {order.number}"
    return Contact(
        email=order.email,
        name=name[:255],
        first_name=first,
        last_name=last,
        address=billing,
        customer_id=customer.id if customer and customer.id else "",
    )


def _line(
    kind: LineKind,
    description: str,
    quantity: int,
    net: Decimal,
    gross: Decimal,
    rate: Decimal,
    tkey: str,
    akey: str,
    item_code: str = "",
    source_id: str = "",
) -> Line:
    qty = Decimal(max(quantity, 1))
    return Line(
        kind=kind,
        description=description[:4000] or kind.value,
        quantity=qty,
        unit_amount=quantize_unit(net / qty),
        net_amount=net,
        tax_amount=gross - net,
        tax_rate=rate,
        tax_key=tkey,
        account_key=akey,
        item_code=item_code,
        source_id=source_id,
    )


def order_lines(order: s.Order, *, separate_discounts: bool = False) -> list[Line]:
    lines: list[Line] = []
    for ol in order.lines:
        description = " / ".join(p for p in (ol.product_name, ol.variant_name) if p)
        tkey = tax_key(ol.tax_class, ol.tax_rate)
        kind = LineKind.GIFT_CARD_SALE if ol.is_gift_card else LineKind.PRODUCT
        akey = GIFT_CARDS if ol.is_gift_card else (ol.product_type or ol.category)
        net, gross = ol.total_net.amount, ol.total_gross.amount
        full_net = ol.undiscounted_total_net.amount if ol.undiscounted_total_net else net
        full_gross = ol.undiscounted_total_gross.amount if ol.undiscounted_total_gross else gross
        discounted = separate_discounts and (full_net, full_gross) != (net, gross)
        if discounted:
            lines.append(
                _line(
                    kind,
                    description,
                    ol.quantity,
                    full_net,
                    full_gross,
                    ol.tax_rate,
                    tkey,
                    akey,
                    ol.sku,
                    ol.id,
                )
            )
            lines.append(
                _line(
                    LineKind.DISCOUNT,
                    f"Discount: {description}",
                    1,
                    net - full_net,
                    gross - full_gross,
                    ol.tax_rate,
                    tkey,
                    DISCOUNT,
                    "",
                    ol.id,
                )
            )
        else:
            lines.append(
                _line(
                    kind,
                    description,
                    ol.quantity,
                    net,
                    gross,
                    ol.tax_rate,
                    tkey,
                    akey,
                    ol.sku,
                    ol.id,
                )
            )
    if order.shipping_gross.amount or order.shipping_net.amount:
        lines.append(
            _line(
                LineKind.SHIPPING,
                f"Shipping: {order.shipping_method}" if order.shipping_method else "Shipping",
                1,
                order.shipping_net.amount,
                order.shipping_gross.amount,
                order.shipping_tax_rate,
                tax_key(order.shipping_tax_class, order.shipping_tax_rate),
                SHIPPING,
            )
        )
    # A discount Saleor kept at order level (not spread over the lines): booked as one
    # line, so the invoice still comes to the order's total.
    rest = order.total_gross.amount - sum((x.gross_amount for x in lines), Decimal(0))
    rest_net = order.total_net.amount - sum((x.net_amount for x in lines), Decimal(0))
    if rest or rest_net:
        code = f" ({order.voucher_code})" if order.voucher_code else ""
        lines.append(
            _line(
                LineKind.DISCOUNT,
                f"Order discount{code}",
                1,
                rest_net,
                rest,
                Decimal(0),
                tax_key("", Decimal(0)),
                DISCOUNT,
            )
        )
    return lines


def invoice(order: s.Order, *, separate_discounts: bool = False) -> Invoice:
    return Invoice(
        source_id=order.id,
        reference=order.number,
        channel=order.channel,
        currency=order.currency,
        issued_on=day_of(order.created_at),
        contact=contact(order),
        lines=tuple(order_lines(order, separate_discounts=separate_discounts)),
        total=order.total_gross.amount,
    )


def payments(order: s.Order) -> list[Payment]:
    """Captured money: each gateway payment, and gift cards spent (a payment, not revenue)."""
    found = [
        Payment(
            source_id=f"{order.id}:payment:{p.id}",
            invoice_source_id=order.id,
            amount=p.amount.amount,
            currency=p.amount.currency,
            paid_on=day_of(p.created_at or order.created_at),
            account_key=p.gateway,
            reference=p.psp_reference,
        )
        for p in order.payments
        if p.amount.amount > 0
    ]
    if order.gift_card_total and order.gift_card_total.amount > 0:
        found.append(
            Payment(
                source_id=f"{order.id}:payment:gift-cards",
                invoice_source_id=order.id,
                amount=order.gift_card_total.amount,
                currency=order.currency,
                paid_on=day_of(order.created_at),
                account_key=GIFT_CARD_GATEWAY,
                reference="gift cards",
            )
        )
    return found


def _split(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """``amount`` shared in proportion to ``weights``; the parts add up exactly."""
    total = sum(weights, Decimal(0))
    if not weights or not total:
        return [amount] + [Decimal(0)] * (len(weights) - 1) if weights else []
    parts = [quantize(amount * w / total, currency) for w in weights]
    parts[-1] += amount - sum(parts, Decimal(0))
    return parts


def credit_note(
    order: s.Order, refund: s.Refund, *, separate_discounts: bool = False
) -> CreditNote:
    """The refund's lines: refunded order lines pro rata, the rest across the invoice."""
    cur = order.currency
    by_id = {ol.id: ol for ol in order.lines}
    lines: list[Line] = []
    for rl in refund.lines:
        ol = by_id.get(rl.line_id)
        if ol is None or not ol.quantity:
            continue
        share = Decimal(min(rl.quantity, ol.quantity)) / Decimal(ol.quantity)
        net = quantize(ol.total_net.amount * share, cur)
        gross = quantize(ol.total_gross.amount * share, cur)
        kind = LineKind.GIFT_CARD_SALE if ol.is_gift_card else LineKind.PRODUCT
        akey = GIFT_CARDS if ol.is_gift_card else (ol.product_type or ol.category)
        description = " / ".join(p for p in (ol.product_name, ol.variant_name) if p)
        lines.append(
            _line(
                kind,
                description,
                rl.quantity,
                net,
                gross,
                ol.tax_rate,
                tax_key(ol.tax_class, ol.tax_rate),
                akey,
                ol.sku,
                ol.id,
            )
        )
    # What the refund gives back beyond its lines (shipping, an amount typed in the
    # dashboard): spread over the invoice's lines by their gross, at their tax rates.
    rest = refund.amount.amount - sum((x.gross_amount for x in lines), Decimal(0))
    if rest:
        base = [x for x in order_lines(order, separate_discounts=False) if x.gross_amount]
        groups: dict[tuple[str, str, Decimal], list[Line]] = defaultdict(list)
        for x in base:
            groups[(x.account_key, x.tax_key, x.tax_rate)].append(x)
        keys = list(groups)
        gross_parts = _split(
            rest, [sum((x.gross_amount for x in groups[k]), Decimal(0)) for k in keys], cur
        )
        for key, part in zip(keys, gross_parts, strict=True):
            if not part:
                continue
            group = groups[key]
            g_gross = sum((x.gross_amount for x in group), Decimal(0))
            g_net = sum((x.net_amount for x in group), Decimal(0))
            net = quantize(part * g_net / g_gross, cur) if g_gross else part
            lines.append(
                _line(
                    group[0].kind if len(group) == 1 else LineKind.PRODUCT,
                    f"Refund of order {order.number}",
                    1,
                    net,
                    part,
                    key[2],
                    key[1],
                    key[0],
                )
            )
    return CreditNote(
        source_id=f"{order.id}:refund:{refund.id}",
        invoice_source_id=order.id,
        reference=f"{order.number}-R{refund.id}"[:255],
        channel=order.channel,
        currency=cur,
        issued_on=day_of(refund.created_at),
        contact=contact(order),
        lines=tuple(lines),
        total=refund.amount.amount,
        refund_account_key=refund.gateway,
    )


def summary(invoices: Iterable[Invoice], *, channel: str, day: date, currency: str) -> Invoice:
    """One invoice for a channel's day in one currency: a line per kind, account and tax."""
    grouped: dict[tuple[LineKind, str, str, Decimal], list[Line]] = defaultdict(list)
    total = Decimal(0)
    count = 0
    for inv in invoices:
        if inv.currency != currency:
            raise ValueError(f"invoice {inv.reference} is in {inv.currency}, not {currency}")
        total += inv.total
        count += 1
        for line in inv.lines:
            if line.kind is not LineKind.ROUNDING:
                grouped[(line.kind, line.account_key, line.tax_key, line.tax_rate)].append(line)
    lines = []
    for (kind, akey, tkey, rate), group in sorted(grouped.items(), key=lambda kv: str(kv[0])):
        net = sum((x.net_amount for x in group), Decimal(0))
        tax = sum((x.tax_amount for x in group), Decimal(0))
        label = f"{kind.value.replace('_', ' ').capitalize()}: {akey or 'sales'} ({tkey})"
        lines.append(replace(_line(kind, label, 1, net, net + tax, rate, tkey, akey)))
    return Invoice(
        source_id=f"summary:{channel}:{day.isoformat()}:{currency}",
        reference=f"{channel} {day.isoformat()} ({count} orders)"[:255],
        channel=channel,
        currency=currency,
        issued_on=day,
        contact=Contact(email="", name=f"Sales: {channel}"[:255]),
        lines=tuple(lines),
        total=total,
    )
