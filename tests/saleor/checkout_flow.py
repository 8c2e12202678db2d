"""A storefront's checkout, driven through Saleor's GraphQL view, for tests and the bench.

:func:`build_store` makes a channel selling one shippable variant (and stores the given
plugin configurations in it); :class:`Store` creates, prepares and completes checkouts in
it with the same mutations a storefront sends. Saleor defers hooks to the commit: each
request runs inside ``captureOnCommitCallbacks(execute=True)``, so that in a test (or a
rolled-back benchmark) the hooks and our publish run in the request as after a commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client, TestCase

ADDRESS = {
    "firstName": "John",
    "lastName": "Doe",
    "streetAddress1": "1470 Pleasant Hill Rd",
    "city": "Lafayette",
    "postalCode": "94549",
    "country": "US",
    "countryArea": "CA",
    "phone": "+16505550100",
}

CHECKOUT_CREATE = """
mutation($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) { checkout { id } errors { field message code } }
}"""
DELIVERY = """
mutation($id: ID, $method: ID) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) {
    errors { field message code } checkout { totalPrice { gross { amount } } }
  }
}"""
PAYMENT = """
mutation($id: ID, $input: PaymentInput!) {
  checkoutPaymentCreate(id: $id, input: $input) { errors { field message code } }
}"""
COMPLETE = """
mutation($id: ID) {
  checkoutComplete(id: $id, redirectUrl: "https://www.example.com") {
    order { id } errors { field message code }
  }
}"""


def build_store(configs: dict[str, dict[str, str]], **channel_fields: Any) -> Store:
    """A channel selling one shippable variant, with ``configs`` active in it."""
    from django.contrib.sites.models import Site
    from prices import Money
    from saleor.account.models import Address
    from saleor.channel.models import Channel
    from saleor.plugins.models import PluginConfiguration
    from saleor.product.models import (
        Product,
        ProductChannelListing,
        ProductType,
        ProductVariant,
        ProductVariantChannelListing,
    )
    from saleor.shipping.models import ShippingMethodChannelListing, ShippingZone
    from saleor.site.models import SiteSettings
    from saleor.tax import TaxCalculationStrategy
    from saleor.tax.models import TaxConfiguration
    from saleor.warehouse.models import Stock, Warehouse

    site = Site.objects.get_or_create(name="example.com", domain="example.com")[0]
    SiteSettings.objects.get_or_create(site=site)
    settings.SITE_ID = site.pk
    Site.objects.clear_cache()
    channel = Channel.objects.create(
        name="Bench",
        slug="bench-request-path",
        currency_code="USD",
        default_country="US",
        is_active=True,
        **channel_fields,
    )
    TaxConfiguration.objects.create(
        channel=channel, tax_calculation_strategy=TaxCalculationStrategy.FLAT_RATES
    )
    zone = ShippingZone.objects.create(name="Bench US", countries=["US"])
    zone.channels.add(channel)
    method = zone.shipping_methods.create(name="Bench post", type="price")
    ShippingMethodChannelListing.objects.create(
        channel=channel,
        currency="USD",
        shipping_method=method,
        minimum_order_price=Money(0, "USD"),
        price=Money(5, "USD"),
    )
    address = Address.objects.create(
        first_name="W", last_name="H", street_address_1="1 Main St", city="Lafayette",
        postal_code="94549", country="US", country_area="CA",
    )  # fmt: skip
    warehouse = Warehouse.objects.create(
        name="Bench WH", slug="bench-wh", address=address, email="wh@example.com"
    )
    warehouse.shipping_zones.add(zone)
    warehouse.channels.add(channel)
    ptype = ProductType.objects.create(
        name="Bench type", slug="bench-type", kind="normal", is_shipping_required=True
    )
    product = Product.objects.create(name="Bench product", slug="bench-product", product_type=ptype)
    ProductChannelListing.objects.create(
        product=product,
        channel=channel,
        is_published=True,
        visible_in_listings=True,
        currency="USD",
        available_for_purchase_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    )
    variant = ProductVariant.objects.create(product=product, sku="bench-1")
    ProductVariantChannelListing.objects.create(
        variant=variant, channel=channel, price_amount=10, currency="USD"
    )
    Stock.objects.create(warehouse=warehouse, product_variant=variant, quantity=1_000_000)
    for identifier, config in configs.items():
        PluginConfiguration.objects.create(
            identifier=identifier,
            channel=channel,
            active=True,
            configuration=[{"name": k, "value": v} for k, v in config.items()],
        )
    return Store(channel, variant, method)


class Store:
    def __init__(self, channel: Any, variant: Any, method: Any) -> None:
        import graphene

        self.channel = channel
        self.variant_id = graphene.Node.to_global_id("ProductVariant", variant.pk)
        self.method_id = graphene.Node.to_global_id("ShippingMethod", method.pk)
        self.client = Client(SERVER_NAME="localhost")

    def post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                "/graphql/",
                {"query": query, "variables": variables},
                content_type="application/json",
            )
        content: dict[str, Any] = response.json()
        assert "errors" not in content, content["errors"]
        (data,) = content["data"].values()
        assert not data.get("errors"), data["errors"]
        return data

    def create(self) -> str:
        data = self.post(
            CHECKOUT_CREATE,
            {
                "input": {
                    "channel": self.channel.slug,
                    "email": "shopper@example.com",
                    "lines": [{"variantId": self.variant_id, "quantity": 1}],
                    "shippingAddress": ADDRESS,
                    "billingAddress": ADDRESS,
                }
            },
        )
        return str(data["checkout"]["id"])

    def prepare(self, checkout_id: str, *, pay: bool = True) -> None:
        """Choose the delivery and (unless ``pay`` is false) pay the whole total."""
        data = self.post(DELIVERY, {"id": checkout_id, "method": self.method_id})
        amount = data["checkout"]["totalPrice"]["gross"]["amount"]
        if not pay:
            return
        self.post(
            PAYMENT,
            {
                "id": checkout_id,
                "input": {"gateway": "mirumee.payments.dummy", "token": "ok", "amount": amount},
            },
        )

    def complete(self, checkout_id: str) -> str:
        """Complete the checkout; the order's global id."""
        return str(self.post(COMPLETE, {"id": checkout_id})["order"]["id"])


class Queries(list[str]):
    """The statements a block runs on the default connection.

    Django's ``CaptureQueriesContext`` reads ``connection.queries``, which every request
    the test client makes empties (``request_started``); a wrapper around execution counts
    every statement instead."""

    @contextmanager
    def capture(self) -> Iterator[Queries]:
        def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            self.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            yield self
