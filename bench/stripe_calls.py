"""Stripe API calls per completed checkout and per capture, refund and void.

Counts the requests the local fake Stripe receives, driven through the real ``stripe``
SDK by the same gateway code Saleor calls (figures printed, nothing asserted). Calls the
shopper's browser makes to Stripe itself (Stripe.js confirming 3-D Secure) are not ours
and not counted. Also prints the median wall time of each flow against the local server
(SDK and HTTP overhead only; Stripe's own latency is not modelled).

The gateway records each intent it creates (one per checkout and amount), so the run
uses the kernel benchmarks' own database (``core_common.setup``).

Run: ./run bench stripe_calls [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stripe
from core_common import result, setup

setup()

from saleor_plugins.stripe.gateway import PaymentRequest, StripeGateway  # noqa: E402
from saleor_plugins.stripe.models import Intent  # noqa: E402
from saleor_plugins.testing.providers.stripe import FakeStripe  # noqa: E402
from tests.stripe.conftest import SECRET_KEY, make_settings  # noqa: E402

_ids = iter(range(1, 10**9))


def request(**kw: object) -> PaymentRequest:
    base: dict[str, object] = {
        "payment_id": next(_ids),
        "amount": Decimal("42.00"),
        "currency": "USD",
        "channel": "default-channel",
        "email": "shopper@example.com",
    }
    base.update(kw)
    return PaymentRequest(**base)  # type: ignore[arg-type]


def flows(fake: FakeStripe) -> dict[str, Callable[[], None]]:
    auto = StripeGateway(make_settings())
    manual = StripeGateway(make_settings(capture_mode="manual"))

    def card() -> None:
        assert auto.process(request(data={"payment_method_id": "pm_card_visa"})).is_success

    def card_3ds() -> None:
        first = auto.process(request(data={"payment_method_id": "pm_card_threeDSecure2Required"}))
        fake.complete_action(first.transaction_id)  # in the shopper's browser
        assert auto.confirm(request(token=first.transaction_id)).kind == "capture"

    def payment_element() -> None:
        first = auto.process(request(data={}))
        fake.state.intents[first.transaction_id]["payment_method"] = "pm_card_visa"
        fake.complete_action(first.transaction_id)  # Stripe.js confirmPayment
        assert auto.confirm(request(token=first.transaction_id)).is_success

    def retry_paid_already() -> None:
        # the first answer was lost; the shopper submits a new card with a new payment
        checkout = f"chk-{next(_ids)}"
        auto.process(request(checkout_token=checkout, data={"payment_method_id": "pm_card_visa"}))
        again = auto.process(
            request(checkout_token=checkout, data={"payment_method_id": "pm_card_other"})
        )
        assert (
            again.is_success and fake.state.intents[again.transaction_id]["status"] == "succeeded"
        )

    def saved_first_time() -> None:
        user = f"VXNlcjo{next(_ids)}"
        assert auto.process(
            request(
                data={"payment_method_id": "pm_card_visa"},
                graphql_customer_id=user,
                store_method="ON_SESSION",
            )
        ).is_success

    authorised: list[str] = []
    captured: list[str] = []

    def authorise() -> None:
        result = manual.process(request(data={"payment_method_id": "pm_card_visa"}))
        authorised.append(result.transaction_id)

    def capture() -> None:
        token = authorised.pop()
        assert manual.capture(request(token=token, amount=Decimal("30.00"))).is_success
        captured.append(token)

    def refund() -> None:
        assert manual.refund(request(token=captured.pop(), amount=Decimal("10.00"))).is_success

    def void() -> None:
        assert manual.void(request(token=authorised.pop())).is_success

    return {
        "checkout, card without 3-D Secure": card,
        "checkout, card with 3-D Secure": card_3ds,
        "checkout, Payment Element (unconfirmed intent)": payment_element,
        "checkout, logged in, save card (first time)": saved_first_time,
        "checkout paid, retried (new card, new payment): both": retry_paid_already,
        "authorise (manual capture checkout)": authorise,
        "capture (partial)": capture,
        "refund (partial)": refund,
        "void": void,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    Intent.objects.all().delete()
    previous = stripe.api_base
    with FakeStripe(SECRET_KEY) as fake:
        stripe.api_base = fake.url
        try:
            table = []
            named = flows(fake)
            order = list(named)
            # capture/refund/void need authorised intents: authorise enough first
            for name in order:
                if name in ("capture (partial)", "void"):
                    for _ in range(args.runs):
                        named["authorise (manual capture checkout)"]()
            for name in order:
                counts, times = [], []
                for _ in range(args.runs):
                    before = len(fake.state.requests)
                    started = time.perf_counter()
                    named[name]()
                    times.append((time.perf_counter() - started) * 1000)
                    counts.append(len(fake.state.requests) - before)
                table.append((name, statistics.mean(counts), max(counts), statistics.median(times)))
        finally:
            stripe.api_base = previous
    version = getattr(stripe, "VERSION", None) or stripe.version.VERSION
    print(f"stripe {version}, {args.runs} runs each, fake Stripe on 127.0.0.1")
    print(f"{'flow':50} {'calls (mean)':>12} {'calls (max)':>11} {'median ms':>10}")
    for name, mean, most, median in table:
        print(f"{name:50} {mean:12.2f} {most:11d} {median:10.1f}")
    for name, mean, _, _ in table:
        result("stripe_calls", f"Stripe calls: {name}", f"{mean:.2f}")


if __name__ == "__main__":
    main()
