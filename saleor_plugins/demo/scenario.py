"""What the shoppers and the merchant do in the demo store, one store write at a time.

Products are created in both channels, customers register (with, without, never asked
about marketing consent), a shopper abandons a checkout, shoppers check out and pay with
Stripe through the gateway (one with 3-D Secure), one order is refunded in part, products
are edited and one deleted. Each store write runs inside ``written`` (the request path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import Any

import stripe

from ..stripe.gateway import PaymentRequest, Result, StripeGateway
from ..stripe.settings import StripeSettings
from ..testing.providers.stripe import charge as stripe_charge
from . import store
from .host import channel_price
from .payments import send_webhook
from .providers import CHANNELS, STRIPE, StandIns

Written = Callable[[str, str, list[str], Callable[[], Any]], Any]
VISA, THREE_DS = "pm_card_visa", "pm_card_threeDSecure2Required"


@dataclass
class Done:
    """What the scenario did, to check the providers against."""

    products: list[Any] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    customers: list[Any] = field(default_factory=list)
    orders: list[Any] = field(default_factory=list)
    abandoned: list[Any] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    payment_calls: int = 0  # Stripe calls the checkout itself made (synchronous by design)
    three_ds: int = 0
    webhooks: int = 0


def _line(product: Any, channel: str, quantity: int) -> dict[str, Any]:
    variant = product.variants.first()
    price = channel_price(variant.price, variant.currency, channel)
    return {
        "product_id": str(product.pk),
        "variant_id": str(variant.pk),
        "sku": variant.sku,
        "name": product.name,
        "quantity": quantity,
        "unit_price": str(price.amount),
        "currency": price.currency,
    }


class Scenario:
    def __init__(self, stand_ins: StandIns, written: Written) -> None:
        self.p = stand_ins
        self.written = written
        self.done = Done()
        self.gateways = {
            c: StripeGateway(StripeSettings.parse(stand_ins.configs(c)[STRIPE])) for c in CHANNELS
        }
        # the checkout's Stripe calls, made here in the request, through their own proxy
        stripe.api_base = stand_ins.checkout_stripe.url

    def run(self, orders: int, products: int) -> Done:
        discontinued = self.written(
            "product_upserted",
            "Mug (discontinued) (both channels)",
            CHANNELS,
            lambda: store.upsert_product(
                "Mug (discontinued)",
                CHANNELS,
                [{"sku": "MUG-OLD", "price": "9.90", "currency": "USD", "quantity": 1}],
            ),
        )
        for i in range(products):
            self.done.products.append(
                self.written(
                    "product_upserted",
                    f"Mug {i} (both channels)",
                    CHANNELS,
                    partial(
                        store.upsert_product,
                        f"Mug {i}",
                        CHANNELS,
                        [{"sku": f"MUG-{i}", "price": "12.50", "currency": "USD", "quantity": 9}],
                    ),
                )
            )
        consents = [True, False, None]
        for i in range(max(3, orders // 2)):
            channel, consent = CHANNELS[i % 2], consents[i % 3]
            self.done.customers.append(
                self.written(
                    "customer_upserted",
                    f"shopper{i}@… consent {consent}",
                    [channel],
                    partial(
                        store.register_customer,
                        channel,
                        f"shopper{i}@example.com",
                        f"Shopper {i}",
                        consent,
                    ),
                )
            )
        self.done.abandoned.append(self._checkout(CHANNELS[0], 0, "abandoned@example.com"))
        for i in range(orders):
            self.done.orders.append(self._order(i))
        if self.done.orders:
            self._refund_in_part(self.done.orders[0])
        for product in self.done.products[:2]:
            self.written(
                "product_upserted",
                f"{product.name} renamed",
                CHANNELS,
                partial(store.upsert_product, f"{product.name} (new glaze)", CHANNELS, [], product),
            )
        # nobody bought it (a bought product stays in Mailchimp's store with its orders)
        self.done.deleted.append(str(discontinued.pk))
        delete = partial(store.delete_product, discontinued)
        self.written("product_deleted", discontinued.name, CHANNELS, delete)
        return self.done

    def _checkout(self, channel: str, i: int, email: str, customer: Any = None) -> Any:
        product = self.done.products[i % len(self.done.products)]
        lines = [_line(product, channel, 2)]
        return self.written(
            "checkout_upserted",
            f"cart of {email.split('@')[0]}@…",
            [channel],
            lambda: store.save_checkout(channel, email, lines, customer),
        )

    def _order(self, i: int) -> Any:
        channel = CHANNELS[i % 2]
        customers = self.done.customers
        customer = customers[i % len(customers)] if i % 4 != 3 else None  # some guests
        email = customer.email if customer else f"guest{i}@example.com"
        checkout = self._checkout(channel, i, email, customer)
        total = sum(Decimal(x["unit_price"]) * x["quantity"] for x in checkout.lines)
        payment = self._pay(i, channel, checkout, total, THREE_DS if i == 1 else VISA)
        order = self.written(
            "order_created",
            f"order of {email.split('@')[0]}@…, paid",
            [channel],
            lambda: store.complete_checkout(checkout, payment, f"1234567890.17645{i:05d}"),
        )
        intent = self.p.stripe.state.intents[payment["psp_reference"]]
        self._webhook(channel, "payment_intent.succeeded", intent)
        return order

    def _webhook(self, channel: str, type_: str, obj: dict[str, Any]) -> None:
        """Stripe's webhook request to the plugin's URL (signed; stored, then a job)."""
        self.done.webhooks += 1
        self.written(
            "webhook_received",
            f"Stripe {type_}",
            [channel],
            lambda: send_webhook(self.p, channel, type_, obj),
        )

    def _pay(self, i: int, channel: str, checkout: Any, total: Decimal, card: str) -> dict:
        """checkoutComplete's payment: the one provider call Saleor makes in a request."""
        req = PaymentRequest(
            payment_id=i + 1,
            amount=total,
            currency=checkout.currency,
            channel=channel,
            email=checkout.email,
            checkout_token=str(checkout.token),
            data={"payment_method_id": card},
        )
        gateway = self.gateways[channel]
        calls = self.p.checkout_stripe.outage.calls
        result = self._taken(lambda: gateway.process(req))
        if result.action_required:  # 3-D Secure: the shopper authenticates, then confirms
            self.done.three_ds += 1
            self.p.stripe.complete_action(result.transaction_id)
            token = result.transaction_id
            result = self._taken(lambda: gateway.confirm(replace(req, token=token)))
        self.done.payment_calls += self.p.checkout_stripe.outage.calls - calls
        if not result.is_success:
            raise RuntimeError(f"the demo's payment failed: {result.error}")
        return {
            "id": f"payment-{i + 1}",
            "gateway": STRIPE,
            "psp_reference": result.psp_reference or result.transaction_id,
            "amount": str(result.amount),
        }

    def _taken(self, pay: Callable[[], Result]) -> Result:
        """Stripe unavailable or throttling at checkout: the shopper is told and pays again
        (the gateway repeats its idempotency keys, so nothing is charged twice)."""
        for _ in range(3):
            result = pay()
            if result.is_success or result.action_required:
                break
            status = self.p.checkout_stripe.outage.injected[-1:]
            print(
                f"          !! stripe answered {status[0] if status else '?'} at checkout: the "
                f"shopper reads '{result.error}' and presses Pay again",
                flush=True,
            )
        return result

    def _refund_in_part(self, order: Any) -> None:
        line = order.lines[0]
        amount = Decimal(line["unit_price"])  # one of the two mugs comes back
        paid = order.payments[0]
        calls = self.p.checkout_stripe.outage.calls
        result = self.gateways[order.channel].refund(
            PaymentRequest(
                payment_id=int(paid["id"].split("-")[1]),
                amount=amount,
                currency=order.currency,
                channel=order.channel,
                token=paid["psp_reference"],
            )
        )
        self.done.payment_calls += self.p.checkout_stripe.outage.calls - calls
        if not result.is_success:
            raise RuntimeError(f"the demo's refund failed: {result.error}")
        row = {
            "id": f"refund-{order.pk}-1",
            "amount": str(amount),
            "lines": [[0, 1]],
            "gateway": STRIPE,
            "psp_reference": result.psp_reference,
        }
        self.done.refunds.append(row)
        refund = partial(store.refund, order, row)
        self.written("order_refunded", "one mug of the first order", [order.channel], refund)
        intent = self.p.stripe.state.intents[paid["psp_reference"]]
        self._webhook(order.channel, "charge.refunded", stripe_charge(self.p.stripe.state, intent))
