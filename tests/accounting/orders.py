"""Orders as Saleor computes them (prices entered gross, tax per line), for the tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from saleor_plugins.accounting.documents import precision
from saleor_plugins.core import snapshots as s


def q(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-precision(currency)), rounding=ROUND_HALF_UP)


def money(amount: Decimal, currency: str) -> s.Money:
    return s.Money(amount, currency)


def line(
    n: int,
    unit_gross: str,
    quantity: int,
    rate: str,
    currency: str,
    *,
    discount: str = "0",
    product_type: str = "Mugs",
    gift_card: bool = False,
) -> s.OrderLine:
    """A line as Saleor stores it: gross entered, net = gross / (1 + rate), rounded."""
    r = Decimal(rate)
    full_gross = q(Decimal(unit_gross) * quantity, currency)
    gross = full_gross - q(Decimal(discount), currency)
    net = q(gross / (1 + r), currency)
    full_net = q(full_gross / (1 + r), currency)
    return s.OrderLine(
        id=f"line-{n}",
        product_id=f"p{n}",
        variant_id=f"v{n}",
        sku=f"SKU-{n}",
        product_name=f"Product {n}",
        variant_name="",
        quantity=quantity,
        unit_price_net=money(q(net / quantity, currency), currency),
        unit_price_gross=money(q(gross / quantity, currency), currency),
        total_net=money(net, currency),
        total_gross=money(gross, currency),
        tax_rate=r,
        product_type=product_type,
        is_gift_card=gift_card,
        undiscounted_total_net=money(full_net, currency),
        undiscounted_total_gross=money(full_gross, currency),
    )


def order(
    lines: list[s.OrderLine],
    currency: str,
    *,
    shipping: str = "0",
    shipping_rate: str = "0",
    order_discount: str = "0",
    number: str = "1001",
    gift_cards: str = "0",
    payments: tuple[s.Payment, ...] = (),
    refunds: tuple[s.Refund, ...] = (),
) -> s.Order:
    ship_gross = q(Decimal(shipping), currency)
    ship_net = q(ship_gross / (1 + Decimal(shipping_rate)), currency)
    sub_gross = sum((x.total_gross.amount for x in lines), Decimal(0))
    sub_net = sum((x.total_net.amount for x in lines), Decimal(0))
    off = q(Decimal(order_discount), currency)
    total_gross = sub_gross + ship_gross - off
    total_net = sub_net + ship_net - off
    return s.Order(
        id=f"order-{number}",
        number=number,
        channel="default-channel",
        status="unfulfilled",
        charge_status="full",
        currency=currency,
        email="buyer@example.com",
        lines=tuple(lines),
        subtotal_net=money(sub_net, currency),
        subtotal_gross=money(sub_gross, currency),
        shipping_net=money(ship_net, currency),
        shipping_gross=money(ship_gross, currency),
        total_net=money(total_net, currency),
        total_gross=money(total_gross, currency),
        total_charged=money(total_gross, currency),
        total_refunded=money(Decimal(0), currency),
        discount=money(off, currency),
        created_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
        shipping_method="Courier",
        shipping_tax_rate=Decimal(shipping_rate),
        gift_card_total=money(Decimal(gift_cards), currency) if gift_cards != "0" else None,
        payments=payments,
        refunds=refunds,
    )


RATES = ["0", "0.05", "0.07", "0.1", "0.19", "0.2", "0.23", "0.0825"]


def random_order(rng: random.Random, currency: str, number: int) -> s.Order:
    scale = {0: 100, 2: 1, 3: 1}[precision(currency)]
    lines = []
    for n in range(rng.randint(1, 7)):
        cents = rng.randint(1, 99999)
        unit = Decimal(cents * scale).scaleb(-2)
        if precision(currency) == 3:
            unit = Decimal(rng.randint(1, 999999)).scaleb(-3)
        quantity = rng.randint(1, 13)
        discount = "0"
        if rng.random() < 0.3:
            discount = str(q(unit * quantity * Decimal(rng.randint(1, 30)) / 100, currency))
        lines.append(
            line(
                n,
                str(unit),
                quantity,
                rng.choice(RATES),
                currency,
                discount=discount,
                product_type=rng.choice(["Mugs", "Shirts"]),
            )
        )
    shipping = str(Decimal(rng.randint(0, 2000) * scale).scaleb(-2))
    return order(
        lines, currency, shipping=shipping, shipping_rate=rng.choice(RATES), number=str(number)
    )
