"""The accounting layer books what Saleor charged, to the cent, in every currency."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from saleor_plugins.accounting import build, rounding
from saleor_plugins.accounting.documents import LineKind, precision
from saleor_plugins.core import snapshots as s

from .orders import line, order, random_order

ARITHMETICS = [rounding.ExplicitTax(), rounding.RecomputedTax()]
CURRENCIES = ["EUR", "USD", "JPY", "KWD", "BHD", "PLN"]


def test_currency_precision_follows_iso_4217() -> None:
    assert [precision(c) for c in ("EUR", "JPY", "KWD", "BHD", "USD")] == [2, 0, 3, 3, 2]


@pytest.mark.parametrize("currency", CURRENCIES)
@pytest.mark.parametrize("arithmetic", ARITHMETICS, ids=["explicit-tax", "recomputed-tax"])
def test_every_booked_total_equals_saleors_to_the_cent(currency: str, arithmetic: object) -> None:
    rng = random.Random(f"{currency}-{type(arithmetic).__name__}")
    rounded = 0
    for n in range(300):
        o = random_order(rng, currency, n)
        inv = build.invoice(o, separate_discounts=n % 2 == 0)
        assert inv.lines_total == o.total_gross.amount  # Saleor's own figures add up
        assert inv.total_tax == o.total_gross.amount - o.total_net.amount
        settled = rounding.settle(inv, arithmetic)  # type: ignore[arg-type]
        booked = rounding.booked_total(settled.lines, currency, arithmetic)  # type: ignore[arg-type]
        assert booked == o.total_gross.amount, (o.number, booked, o.total_gross.amount)
        rounded += any(x.kind is LineKind.ROUNDING for x in settled.lines)
        for x in settled.lines:
            assert x.net_amount == x.net_amount.quantize(Decimal(1).scaleb(-precision(currency)))
    if isinstance(arithmetic, rounding.RecomputedTax) and currency != "JPY":
        assert rounded > 0  # the case the rounding line exists for does happen


def test_a_cent_lost_to_recomputed_tax_becomes_an_explicit_rounding_line() -> None:
    # 3 x 0.99 gross at 23 %: Saleor's net 2.41 (tax 0.56); a provider recomputing tax
    # per line books 2.41 + 0.55 = 2.96, a cent short of the 2.97 the shopper paid
    o = order([line(1, "0.99", 3, "0.23", "EUR")], "EUR")
    inv = rounding.settle(build.invoice(o), rounding.RecomputedTax())
    assert [(x.kind, x.net_amount, x.account_key, x.tax_key) for x in inv.lines][-1] == (
        LineKind.ROUNDING,
        Decimal("0.01"),
        rounding.ROUNDING,
        rounding.NO_TAX,
    )
    assert rounding.booked_total(inv.lines, "EUR", rounding.RecomputedTax()) == Decimal("2.97")
    # settling twice adds no second rounding line
    again = rounding.settle(inv, rounding.RecomputedTax())
    assert sum(x.kind is LineKind.ROUNDING for x in again.lines) == 1


def test_lines_carry_shipping_discounts_and_gift_cards_to_their_own_accounts() -> None:
    o = order(
        [
            line(1, "10.00", 2, "0.23", "EUR", discount="2.00"),
            line(2, "50.00", 1, "0", "EUR", gift_card=True),
        ],
        "EUR",
        shipping="5.00",
        shipping_rate="0.23",
        order_discount="1.00",
        gift_cards="20.00",
        payments=(
            s.Payment("pay-1", "saleor_plugins.stripe", "pi_1", s.Money(Decimal("52.00"), "EUR")),
        ),
    )
    inv = build.invoice(o, separate_discounts=True)
    kinds = [(x.kind, x.account_key, x.gross_amount) for x in inv.lines]
    assert kinds == [
        (LineKind.PRODUCT, "Mugs", Decimal("20.00")),
        (LineKind.DISCOUNT, build.DISCOUNT, Decimal("-2.00")),
        (LineKind.GIFT_CARD_SALE, build.GIFT_CARDS, Decimal("50.00")),
        (LineKind.SHIPPING, build.SHIPPING, Decimal("5.00")),
        (LineKind.DISCOUNT, build.DISCOUNT, Decimal("-1.00")),  # kept at order level
    ]
    assert inv.lines_total == o.total_gross.amount == Decimal("72.00")
    paid = build.payments(o)
    assert [(p.account_key, p.amount) for p in paid] == [
        ("saleor_plugins.stripe", Decimal("52.00")),
        (build.GIFT_CARD_GATEWAY, Decimal("20.00")),  # a payment, not a discount
    ]
    assert sum(p.amount for p in paid) == o.total_gross.amount


@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD"])
def test_partial_refunds_give_back_exactly_what_was_refunded(currency: str) -> None:
    rng = random.Random(currency)
    for n in range(200):
        o = random_order(rng, currency, n)
        first = o.lines[0]
        qty = max(1, first.quantity // 2)
        with_lines = s.Refund(
            "r1", s.Money(Decimal(0), currency), lines=(s.RefundLine(first.id, qty),)
        )
        by_lines = build.credit_note(o, with_lines)
        # the refund's amount is what Saleor computed for those lines, plus some shipping
        amount = by_lines.lines_total + (o.shipping_gross.amount if n % 3 == 0 else 0)
        refund = s.Refund("r1", s.Money(amount, currency), lines=(s.RefundLine(first.id, qty),))
        note = build.credit_note(o, refund)
        assert note.lines_total == amount
        amount_only = o.total_gross.amount - amount
        if amount_only > 0:
            rest = build.credit_note(o, s.Refund("r2", s.Money(amount_only, currency)))
            assert rest.lines_total == amount_only
            assert rest.source_id != note.source_id
        for arithmetic in ARITHMETICS:
            settled = rounding.settle(note, arithmetic)  # type: ignore[arg-type]
            assert rounding.booked_total(settled.lines, currency, arithmetic) == amount  # type: ignore[arg-type]


def test_a_daily_summary_comes_to_the_sum_of_its_orders() -> None:
    rng = random.Random("summary")
    orders = [random_order(rng, "EUR", n) for n in range(500)]
    invoices = [build.invoice(o) for o in orders]
    day = invoices[0].issued_on
    summary = build.summary(invoices, channel="default-channel", day=day, currency="EUR")
    assert summary.total == sum(o.total_gross.amount for o in orders)
    assert summary.lines_total == summary.total
    assert len(summary.lines) < 40  # a line per kind, account and tax rate, not per order
    settled = rounding.settle(summary, rounding.RecomputedTax())
    assert rounding.booked_total(settled.lines, "EUR", rounding.RecomputedTax()) == summary.total
    with pytest.raises(ValueError, match="USD"):
        build.summary(
            [*invoices, build.invoice(random_order(rng, "USD", 9))],
            channel="default-channel",
            day=day,
            currency="EUR",
        )


def test_the_invoice_date_is_the_orders_day_in_utc() -> None:
    o = order([line(1, "1.00", 1, "0", "EUR")], "EUR")
    assert build.invoice(o).issued_on.isoformat() == "2026-11-30"
