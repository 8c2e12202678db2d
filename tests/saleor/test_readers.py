"""The Saleor readers: snapshots with the right values, in a bounded number of queries.

Run: ``SALEOR_PYTHON=<Python with Saleor> ./run saleor-tests tests/saleor/test_readers.py``
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from measurement.measures import Weight
from saleor.attribute.utils import associate_attribute_values_to_instance
from saleor.checkout.models import Checkout as SaleorCheckout
from saleor.discount.models import VoucherChannelListing, VoucherCode
from saleor.order.models import Order as SaleorOrder
from saleor.plugins.models import PluginConfiguration
from saleor.product.models import (
    Category,
    Product,
    ProductChannelListing,
    ProductMedia,
    ProductVariant,
    ProductVariantChannelListing,
    VariantMedia,
)
from saleor.warehouse.models import Stock, Warehouse

from saleor_plugins.adapter import readers, routing
from saleor_plugins.adapter.host import SaleorHost
from saleor_plugins.adapter.readers import changes as reader_changes
from saleor_plugins.core import maintenance, richtext
from saleor_plugins.core import snapshots as s
from saleor_plugins.core.models import Job

pytestmark = pytest.mark.saleor

D = Decimal
DESCRIPTION = {
    "time": 1,
    "blocks": [
        {"type": "header", "data": {"text": "Soft &amp; warm", "level": 2}},
        {"type": "paragraph", "data": {"text": "<b>Merino</b> wool,<br>made in Portugal."}},
        {
            "type": "list",
            "data": {"style": "unordered", "items": ["Wash cold", "<i>No</i> tumble"]},
        },
    ],
}


def _read(object_type: str, object_id: str, channel: str) -> Any:
    snap = readers.read(object_type, object_id, channel)
    assert snap is not None, (object_type, object_id)
    return snap


# -- rich text (pure) ---------------------------------------------------------------------
def test_rich_text_renders_blocks_as_paragraphs_without_html():
    assert richtext.render(DESCRIPTION) == (
        "Soft & warm\n\nMerino wool,\nmade in Portugal.\n\n- Wash cold\n- No tumble"
    )


def test_rich_text_renders_nested_ordered_lists_quotes_tables_and_checklists():
    doc = {
        "blocks": [
            {
                "type": "list",
                "data": {
                    "style": "ordered",
                    "items": [
                        {"content": "One", "items": [{"content": "One &lt;a&gt;", "items": []}]},
                        {"content": "Two", "items": []},
                    ],
                },
            },
            {"type": "quote", "data": {"text": "Best&nbsp;scarf", "caption": "<i>Anna</i>"}},
            {"type": "table", "data": {"content": [["Size", "Chest"], ["M", "<b>98</b>"]]}},
            {"type": "checklist", "data": {"items": [{"text": "Wool", "checked": True}]}},
            {"type": "delimiter", "data": {}},
            {"type": "image", "data": {"file": {"url": "x"}, "caption": "Back view"}},
        ]
    }
    assert richtext.render(doc) == (
        "1. One\n  1. One <a>\n2. Two\n\nBest scarf\nAnna\n\nSize | Chest\nM | 98"
        "\n\n[x] Wool\n\nBack view"
    )


@pytest.mark.parametrize(
    ("document", "text"),
    [
        (None, ""),
        ("", ""),
        ('{"blocks": [{"type": "paragraph", "data": {"text": "a &amp; b"}}]}', "a & b"),
        ("<p>Plain <b>HTML</b></p>", "Plain HTML"),
        ({"blocks": "oops"}, ""),
        ({"blocks": [{"type": "paragraph", "data": "oops"}, 7, {"type": "x"}]}, ""),
        ({"blocks": [{"type": "paragraph", "data": {"text": "  a   b <br/> c "}}]}, "a b\nc"),
    ],
)
def test_rich_text_degrades_to_what_text_it_finds(document, text):
    assert richtext.render(document) == text


# -- orders ------------------------------------------------------------------------------
def test_order_maps_lines_totals_addresses_and_customer(order_with_lines, customer_user):
    order = order_with_lines
    order.voucher_code = "SUMMER"
    order.language_code = "pl"
    order.checkout_token = "6c0f4f8e-0000-4000-8000-000000000001"
    order.save(update_fields=["voucher_code", "language_code", "checkout_token"])

    snap = _read("order", str(order.pk), order.channel.slug)

    assert isinstance(snap, s.Order)
    assert snap.id == str(order.pk) and snap.number == str(order.number)
    assert snap.channel == order.channel.slug and snap.currency == "USD"
    assert snap.status == "unfulfilled" and snap.email == "test@example.com"
    assert snap.voucher_code == "SUMMER" and snap.language == "pl"
    assert snap.checkout_token == "6c0f4f8e-0000-4000-8000-000000000001"
    assert snap.metadata == {"key": "value"}  # public only: private metadata stays out
    first, second = snap.lines
    assert (first.sku, first.quantity, first.product_name) == ("SKU_AA", 3, "Test product")
    assert first.unit_price_net == s.Money(D("10.000"), "USD")
    assert first.unit_price_gross == s.Money(D("12.300"), "USD")
    assert first.total_gross == s.Money(D("36.900"), "USD")
    assert first.tax_rate == D("0.23")
    assert first.variant_id == str(order.lines.get(product_sku="SKU_AA").variant_id)
    assert first.product_id == str(Product.objects.get(slug="test-product-8").pk)
    assert (second.sku, second.quantity) == ("SKU_B", 2)
    assert snap.total_gross == s.Money(order.total_gross_amount, "USD")
    assert snap.total_net == s.Money(order.total_net_amount, "USD")
    assert snap.shipping_gross == s.Money(order.shipping_price_gross_amount, "USD")
    assert snap.subtotal_gross.amount == sum(x.total_gross.amount for x in snap.lines)
    assert snap.total_refunded == s.Money(D(0), "USD")
    assert snap.shipping_address == s.Address(
        first_name="John",
        last_name="Doe",
        company="Mirumee Software",
        street_1="Tęczowa 7",
        city="WROCŁAW",
        postal_code="53-601",
        country="PL",
        phone="+48713988102",
    )
    assert snap.customer is not None
    assert snap.customer.id == str(customer_user.pk)
    assert (snap.customer.first_name, snap.customer.last_name) == ("Leslie", "Wade")
    assert snap.customer.metadata == {"key": "value"}
    assert snap.customer.marketing_consent is None


def test_guest_order_has_an_email_only_customer(order_with_lines):
    SaleorOrder.objects.filter(pk=order_with_lines.pk).update(user=None, user_email="g@x.io")
    snap = _read("order", str(order_with_lines.pk), "any")
    assert snap.customer == s.Customer(
        id=None, email="g@x.io", first_name="John", last_name="Doe", language=snap.language,
        billing_address=snap.billing_address,
    )  # fmt: skip
    assert snap.email == "g@x.io"


def test_refunds_from_transactions_count_in_total_refunded(order_with_lines):
    order = order_with_lines
    order.payment_transactions.create(
        name="Credit card", currency="USD", refunded_value=D("5.50"), charged_value=D("20")
    )
    order.payment_transactions.create(currency="USD", refunded_value=D("1.25"))
    snap = _read("order", str(order.pk), order.channel.slug)
    assert snap.total_refunded == s.Money(D("6.75"), "USD")


def test_order_carries_what_accounting_books(order_with_lines, gift_card):
    """Payments, refunds, gift cards spent, tax classes and product types: the ledger's input."""
    from saleor.giftcard.events import gift_cards_used_in_order_event
    from saleor.payment.models import Payment

    order = order_with_lines
    line = order.lines.get(product_sku="SKU_AA")
    line.tax_class_name = "Standard"
    line.save(update_fields=["tax_class_name"])
    order.shipping_tax_rate = D("0.23")
    order.shipping_tax_class_name = "Shipping"
    order.save(update_fields=["shipping_tax_rate", "shipping_tax_class_name"])
    payment = Payment.objects.create(
        order=order, gateway="saleor_plugins.stripe", psp_reference="pi_123", is_active=True,
        total=D("60"), captured_amount=D("55"), currency="USD", charge_status="fully-charged",
    )  # fmt: skip
    payment.transactions.create(
        kind="refund", is_success=True, amount=D("5"), currency="USD", token="re_1",
        gateway_response={},
    )  # fmt: skip
    payment.transactions.create(
        kind="refund", is_success=False, amount=D("9"), currency="USD", gateway_response={}
    )
    order.payment_transactions.create(name="App pay", currency="USD", charged_value=D("7"))
    gift_cards_used_in_order_event([(gift_card, D("12.50"))], order, None, None)
    order.fulfillments.create(status="refunded", total_refund_amount=D("5"))

    snap = _read("order", str(order.pk), order.channel.slug)

    first = snap.lines[0]
    assert (first.tax_class, first.product_type, first.is_gift_card) == (
        "Standard", line.variant.product.product_type.name, False,
    )  # fmt: skip
    assert first.undiscounted_total_gross == s.Money(
        line.undiscounted_total_price_gross_amount, "USD"
    )
    assert (snap.shipping_tax_rate, snap.shipping_tax_class) == (D("0.23"), "Shipping")
    assert snap.origin == order.origin
    assert [(p.gateway, p.psp_reference, p.amount.amount) for p in snap.payments] == [
        ("saleor_plugins.stripe", "pi_123", D("60")),  # 55 still captured + 5 refunded
        ("App pay", "", D("7")),
    ]
    # the refund record is Saleor's refunded fulfillment; paid through two gateways, which
    # one gave the money back is not known
    assert [(r.gateway, r.amount.amount) for r in snap.refunds] == [("", D("5"))]
    spent = D("12.50") - gift_card.current_balance_amount
    assert snap.gift_card_total == (s.Money(spent, "USD") if spent > 0 else None)


def test_a_page_of_orders_costs_the_same_queries_whatever_its_size(order_list, channel_USD):
    from saleor.payment.models import Payment

    for order in order_list:
        Payment.objects.create(
            order=order, gateway="g", is_active=True, total=D(1), captured_amount=D(1),
            currency="USD",
        )  # fmt: skip
    with CaptureQueriesContext(connection) as one:
        list(readers.iter_objects("order", channel_USD.slug, page_size=1))
    with CaptureQueriesContext(connection) as all_at_once:
        list(readers.iter_objects("order", channel_USD.slug, page_size=100))
    pages = len(list(readers.iter_ids("order", channel_USD.slug)))
    # the same handful of queries per page (one per relation), plus the empty last page
    per_page = len(all_at_once.captured_queries)
    assert per_page <= 8
    assert len(one.captured_queries) <= pages * per_page + 1


def test_gone_or_malformed_ids_read_as_none(db):
    assert readers.read("order", "00000000-0000-4000-8000-000000000000", "c") is None
    assert readers.read("order", "not-a-uuid", "c") is None
    assert readers.read("product", "999999", "c") is None
    assert readers.read("product", "abc", "c") is None
    assert readers.read("customer", "999999", "c") is None
    assert readers.read("checkout", "nope", "c") is None
    assert readers.read("payment", "1", "c") is None


def test_order_ids_and_objects_of_the_channel_skip_drafts(order_list, channel_USD, channel_PLN):
    draft, *orders = order_list
    SaleorOrder.objects.filter(pk=draft.pk).update(status="draft")
    expected = [str(o.pk) for o in sorted(orders, key=lambda o: o.number)]
    assert list(readers.iter_ids("order", channel_USD.slug)) == expected
    assert [o.id for o in readers.iter_objects("order", channel_USD.slug, page_size=1)] == expected
    assert list(readers.iter_ids("order", channel_PLN.slug)) == []


# -- products ----------------------------------------------------------------------------
def test_product_maps_prices_listings_stocks_attributes_and_weight(product, channel_USD):
    product.description = DESCRIPTION
    product.weight = Weight(kg=D("1.5"))
    product.save(update_fields=["description", "weight"])
    variant = product.variants.get()
    Stock.objects.filter(product_variant=variant).update(quantity_allocated=4)

    snap = _read("product", str(product.pk), channel_USD.slug)

    assert isinstance(snap, s.Product)
    assert (snap.id, snap.slug, snap.name) == (str(product.pk), "test-product-11", "Test product")
    assert snap.description == (
        "Soft & warm\n\nMerino wool,\nmade in Portugal.\n\n- Wash cold\n- No tumble"
    )
    assert snap.product_type == product.product_type.name
    assert (snap.category, snap.category_path) == ("Default", ("Default",))
    assert snap.category_slugs == ("default",)
    assert snap.listings == (
        s.ChannelListing(
            channel_USD.slug, True, True, datetime.datetime(1999, 1, 1, tzinfo=datetime.UTC)
        ),
    )
    assert snap.weight_grams == D("1500.0")
    (v,) = snap.variants
    assert (v.id, v.sku) == (str(variant.pk), "123")
    assert v.price_in(channel_USD.slug) == s.ChannelPrice(
        channel_USD.slug,
        s.Money(D("10.000"), "USD"),
        cost_price=s.Money(D("1.000"), "USD"),
        discounted_price=s.Money(D("10.000"), "USD"),
    )
    assert v.stocks == (s.Stock("example-warehouse", 10, 4),)
    assert v.quantity_available == 6
    assert v.weight_grams == D("1500.0")  # no own weight: the product's
    variant_attr = product.product_type.variant_attributes.first()
    assert [a.slug for a in v.attributes] == [variant_attr.slug]
    product_attr = product.product_type.product_attributes.first()
    value = product_attr.values.first()
    assert snap.attributes == (s.Attribute(product_attr.slug, product_attr.name, (value.name,)),)


def test_variant_attributes_are_grouped_per_attribute(
    product_with_variant_with_two_attributes, color_attribute, size_attribute
):
    product = product_with_variant_with_two_attributes
    snap = _read("product", str(product.pk), "any")
    (v,) = snap.variants
    assert {a.slug: a.values for a in v.attributes} == {
        "color": (color_attribute.values.first().name,),
        "size": (size_attribute.values.first().name,),
    }


def test_media_urls_are_absolute_and_variants_get_their_own(product, settings):
    settings.PUBLIC_URL = "https://shop.example.com"
    photo = ProductMedia.objects.create(product=product, image="products/photo.jpg", alt="Front")
    ProductMedia.objects.create(product=product, type="VIDEO", external_url="https://youtu.be/abc")
    VariantMedia.objects.create(variant=product.variants.get(), media=photo)

    snap = _read("product", str(product.pk), "any")

    assert snap.media == (
        s.Media(f"https://shop.example.com{settings.MEDIA_URL}products/photo.jpg", "Front", 0),
        s.Media("https://youtu.be/abc", "", 1),
    )
    assert snap.variants[0].media == snap.media[:1]


def test_product_dates_are_the_instants_the_orm_reads_to_the_microsecond(product, channel_USD):
    when = datetime.datetime(2026, 3, 4, 23, 59, 58, 891011, tzinfo=datetime.UTC)
    ProductChannelListing.objects.filter(product=product).update(
        published_at=when, available_for_purchase_at=None
    )
    product.refresh_from_db()

    snap = _read("product", str(product.pk), channel_USD.slug)

    assert snap.updated_at == product.updated_at and snap.updated_at.tzinfo is not None
    listing = snap.listing_in(channel_USD.slug)
    assert (listing.published_at, listing.available_for_purchase_at) == (when, None)


@pytest.mark.parametrize("public_url", [None, "https://shop.example.com/"])
@pytest.mark.parametrize(
    "name",
    ["products/photo.jpg", "products/zdjęcie łąki.jpg", "products/a/../b.jpg", "products//x.jpg",
     "products/x?y#z.jpg", "./products/p.jpg"],
)  # fmt: skip
def test_every_media_url_is_the_one_saleor_builds(product, settings, public_url, name):
    from saleor.core.utils import build_absolute_uri

    settings.PUBLIC_URL = public_url
    medium = ProductMedia.objects.create(product=product, image=name)

    snap = _read("product", str(product.pk), "any")

    assert [m.url for m in snap.media] == [build_absolute_uri(medium.image.url)]


def test_reading_leaves_the_garbage_collector_as_it_was(catalogue, channel_USD):
    import gc

    assert gc.isenabled()
    assert len(list(readers.iter_objects("product", channel_USD.slug, page_size=5))) == 24
    assert gc.isenabled()
    gc.disable()
    try:
        assert readers.read("product", str(catalogue[0].pk), "any") is not None
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_product_that_left_the_channel_still_reads_with_no_listing_there(
    product, channel_USD, channel_PLN
):
    snap = _read("product", str(product.pk), channel_PLN.slug)
    assert snap is not None and snap.listing_in(channel_PLN.slug) is None
    assert list(readers.iter_ids("product", channel_PLN.slug)) == []
    assert list(readers.iter_ids("product", channel_USD.slug)) == [str(product.pk)]


@pytest.fixture
def catalogue(product_type, category, warehouse, channel_USD, channel_PLN, address):
    """24 products listed in two channels, 3 variants each with 2 prices, 2 stocks, a
    medium and attributes, 2 media per product, in a sub-category."""
    other = Warehouse.objects.create(address=address, name="Second", slug="second")
    sub = Category.objects.create(name="Knitwear", slug="knitwear", parent=category)
    product_attr = product_type.product_attributes.first()
    variant_attr = product_type.variant_attributes.first()
    products = Product.objects.bulk_create(
        Product(
            name=f"P{i}",
            slug=f"p-{i}",
            product_type=product_type,
            category=sub,
            description=DESCRIPTION,
        )
        for i in range(24)
    )
    ProductChannelListing.objects.bulk_create(
        ProductChannelListing(product=p, channel=ch, is_published=True, currency=ch.currency_code)
        for p in products
        for ch in (channel_USD, channel_PLN)
    )
    media = ProductMedia.objects.bulk_create(
        ProductMedia(product=p, image=f"products/{p.slug}-{n}.jpg", sort_order=n)
        for p in products
        for n in range(2)
    )
    variants = ProductVariant.objects.bulk_create(
        ProductVariant(product=p, sku=f"{p.slug}-{n}", sort_order=n)
        for p in products
        for n in range(3)
    )
    ProductVariantChannelListing.objects.bulk_create(
        ProductVariantChannelListing(
            variant=v, channel=ch, price_amount=D(10), currency=ch.currency_code
        )
        for v in variants
        for ch in (channel_USD, channel_PLN)
    )
    Stock.objects.bulk_create(
        Stock(product_variant=v, warehouse=w, quantity=5)
        for v in variants
        for w in (warehouse, other)
    )
    first_medium = {m.product_id: m for m in media if m.sort_order == 0}
    VariantMedia.objects.bulk_create(
        VariantMedia(variant=v, media=first_medium[v.product_id]) for v in variants
    )
    for p in products:
        associate_attribute_values_to_instance(p, {product_attr.pk: [product_attr.values.first()]})
    for v in variants[::2]:  # half of them: pages differ in what they hold, not in queries
        associate_attribute_values_to_instance(v, {variant_attr.pk: [variant_attr.values.first()]})
    return products


def _queries_for_first_page(channel: str, page_size: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        got = list(islice(readers.iter_objects("product", channel, page_size=page_size), page_size))
    return len(ctx.captured_queries), len(got)


def test_a_page_of_products_costs_the_same_queries_whatever_its_size(catalogue, channel_USD):
    small, n_small = _queries_for_first_page(channel_USD.slug, 2)
    large, n_large = _queries_for_first_page(channel_USD.slug, 20)
    assert (n_small, n_large) == (2, 20)
    assert small == large
    assert small == 10  # products, 7 prefetches, variant attributes, category ancestors

    with CaptureQueriesContext(connection) as ctx:
        everything = list(readers.iter_objects("product", channel_USD.slug, page_size=5))
    assert len(everything) == 24
    assert len(ctx.captured_queries) == 5 * small  # 5 pages (the last one short)


def test_paged_products_carry_every_relation(catalogue, channel_USD, channel_PLN):
    snaps = list(readers.iter_objects("product", channel_PLN.slug, page_size=7))
    assert [p.id for p in snaps] == [str(p.pk) for p in catalogue]
    p = snaps[0]
    assert p.category_path == ("Default", "Knitwear")
    assert p.category_slugs == ("default", "knitwear")
    assert p.description.startswith("Soft & warm")
    assert [m.url.rsplit("/", 1)[-1] for m in p.media] == ["p-0-0.jpg", "p-0-1.jpg"]
    assert {x.channel for x in p.listings} == {channel_USD.slug, channel_PLN.slug}
    assert [v.sku for v in p.variants] == ["p-0-0", "p-0-1", "p-0-2"]
    v = p.variants[0]
    assert v.price_in(channel_PLN.slug).price == s.Money(D("10.000"), "PLN")
    assert sorted(x.warehouse for x in v.stocks) == ["example-warehouse", "second"]
    assert v.quantity_available == 10
    assert len(v.media) == 1 and len(v.attributes) == 1 and len(p.attributes) == 1
    assert p.variants[1].attributes == ()


def test_paged_products_are_those_listed_in_the_channel_in_id_order(catalogue, channel_PLN):
    """Every third product leaves the channel: the pages skip them, none lost or repeated."""
    ProductChannelListing.objects.filter(channel=channel_PLN, product__in=catalogue[::3]).delete()
    listed = [str(p.pk) for i, p in enumerate(catalogue) if i % 3]
    for size in (1, 5, 16, 100):
        snaps = readers.iter_objects("product", channel_PLN.slug, page_size=size)
        assert [p.id for p in snaps] == listed


def test_every_page_costs_the_same_whatever_its_products_hold(catalogue, channel_USD):
    pages = readers.iter_objects("product", channel_USD.slug, page_size=1)
    counts = []
    for _ in range(4):
        with CaptureQueriesContext(connection) as ctx:
            next(pages)
        counts.append(len(ctx.captured_queries))
    assert counts == [counts[0]] * 4


def test_readers_may_read_the_primary_where_saleor_restricts_it(order_with_lines, product):
    from saleor.core.db.connection import UnsafeWriterAccessError, restrict_writer

    channel = order_with_lines.channel.slug
    with connection.execute_wrapper(restrict_writer):
        with pytest.raises(UnsafeWriterAccessError):
            list(Product.objects.all())
        assert _read("order", str(order_with_lines.pk), "any").lines
        assert len(list(readers.iter_objects("order", channel))) == 1
        assert list(readers.iter_ids("product", channel))
        assert list(readers.recent_changes(_since()))


def test_reading_one_product_is_a_fixed_number_of_queries(catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        readers.read("product", str(catalogue[0].pk), "any")


@pytest.mark.parametrize("object_type", ["order", "customer", "voucher"])
def test_other_pages_cost_the_same_queries_whatever_their_size(
    object_type, order_list, order_with_lines, voucher_with_many_codes, voucher_percentage,
    customer_user2, channel_USD,
):  # fmt: skip
    SaleorOrder.objects.filter(pk=order_list[0].pk).update(user=customer_user2)
    with CaptureQueriesContext(connection) as one:
        assert (
            len(list(islice(readers.iter_objects(object_type, channel_USD.slug, page_size=1), 1)))
            == 1
        )
    with CaptureQueriesContext(connection) as two:
        assert (
            len(list(islice(readers.iter_objects(object_type, channel_USD.slug, page_size=2), 2)))
            == 2
        )
    # orders: the page, lines, payments, their refunds, transactions, their refund events
    # and gift cards spent (what accounting books) -- one query each, whatever the page
    limit = 8 if object_type == "order" else 3
    assert len(one.captured_queries) == len(two.captured_queries) <= limit


# -- customers ---------------------------------------------------------------------------
def test_customer_maps_the_user_and_the_channels_they_ordered_in(
    order_with_lines, customer_user, checkout, channel_PLN
):
    customer_user.language_code = "de"
    customer_user.save(update_fields=["language_code"])
    SaleorCheckout.objects.filter(pk=checkout.pk).update(user=customer_user, channel=channel_PLN)

    snap = _read("customer", str(customer_user.pk), "any")

    assert snap == s.Customer(
        id=str(customer_user.pk),
        email="test@example.com",
        first_name="Leslie",
        last_name="Wade",
        language="de",
        is_active=True,
        marketing_consent=None,
        billing_address=snap.billing_address,
        channels=tuple(sorted(routing.customer_channels(str(customer_user.pk)))),
        metadata={"key": "value"},
        created_at=customer_user.date_joined,
        updated_at=snap.updated_at,
    )
    assert set(snap.channels) == {order_with_lines.channel.slug, channel_PLN.slug}
    assert snap.billing_address.city == "WROCŁAW"


def test_customers_of_a_channel_are_those_who_ordered_there(
    order_with_lines, customer_user, customer_user2, channel_USD, channel_PLN
):
    assert list(readers.iter_ids("customer", channel_USD.slug)) == [str(customer_user.pk)]
    assert list(readers.iter_ids("customer", channel_PLN.slug)) == []
    (snap,) = readers.iter_objects("customer", channel_USD.slug, page_size=10)
    assert snap.email == "test@example.com" and snap.channels == (channel_USD.slug,)


# -- checkouts ---------------------------------------------------------------------------
def test_checkout_maps_lines_with_channel_prices(checkout_with_item, product):
    checkout = checkout_with_item
    snap = _read("checkout", str(checkout.token), checkout.channel.slug)
    assert isinstance(snap, s.Checkout)
    assert (snap.token, snap.email, snap.currency) == (str(checkout.token), "user@email.com", "USD")
    assert snap.completed is False and snap.customer is None
    (line,) = snap.lines
    variant = product.variants.get()
    assert (line.variant_id, line.product_id, line.sku) == (str(variant.pk), str(product.pk), "123")
    assert (line.product_name, line.quantity) == ("Test product", 3)
    assert line.unit_price == s.Money(D("10.000"), "USD")  # no stored total: listing price
    assert snap.total == s.Money(D("30.000"), "USD")


def test_a_completed_checkout_reads_from_its_order(order_with_lines):
    token = "5a1c6e9e-0000-4000-8000-00000000beef"
    SaleorOrder.objects.filter(pk=order_with_lines.pk).update(checkout_token=token)
    snap = _read("checkout", token, "any")
    assert snap is not None and snap.completed is True
    assert snap.order_id == str(order_with_lines.pk)
    assert [(x.sku, x.quantity) for x in snap.lines] == [("SKU_AA", 3), ("SKU_B", 2)]
    assert snap.total == s.Money(order_with_lines.total_gross_amount, "USD")


# -- vouchers ----------------------------------------------------------------------------
def test_voucher_reads_its_codes_and_the_channel_value(voucher, channel_USD, channel_PLN):
    VoucherCode.objects.create(code="OFF", voucher=voucher, used=2, is_active=False)
    VoucherCode.objects.filter(code="mirumee").update(used=1)
    voucher.usage_limit = 10
    voucher.name = "Welcome"
    voucher.save(update_fields=["usage_limit", "name"])

    snap = _read("voucher", str(voucher.pk), channel_USD.slug)

    assert snap == s.Voucher(
        id=str(voucher.pk),
        codes=("mirumee",),  # an inactive code is not offered
        name="Welcome",
        discount_type="fixed",
        value=D("20.000"),
        channel=channel_USD.slug,
        starts_at=voucher.start_date,
        ends_at=None,
        usage_limit=10,
        used=3,
        currency="USD",
        min_spent=None,
    )
    assert readers.read("voucher", str(voucher.pk), channel_PLN.slug) is None
    assert list(readers.iter_ids("voucher", channel_USD.slug)) == [str(voucher.pk)]
    assert list(readers.iter_ids("voucher", channel_PLN.slug)) == []
    VoucherChannelListing.objects.create(
        voucher=voucher, channel=channel_PLN, discount_value=D(80), currency="PLN"
    )
    (pln,) = readers.iter_objects("voucher", channel_PLN.slug)
    assert (pln.value, pln.currency) == (D("80.000"), "PLN")


# -- recent changes ----------------------------------------------------------------------
def _since() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=5)


def test_recent_changes_name_orders_products_and_customers_with_their_channels(
    order_with_lines, customer_user, product, channel_USD, channel_PLN
):
    ProductChannelListing.objects.create(
        product=product, channel=channel_PLN, is_published=False, currency="PLN"
    )
    changes = list(readers.recent_changes(_since()))
    by_key = {(c.event, c.object_id): c for c in changes}

    order = by_key["order_created", str(order_with_lines.pk)]
    assert order.channels == (channel_USD.slug,)
    assert order.changed_at == order_with_lines.created_at and order.version == ""
    prod = by_key["product_upserted", str(product.pk)]
    assert set(prod.channels) == {channel_USD.slug, channel_PLN.slug}
    assert prod.version == prod.changed_at.isoformat()
    cust = by_key["customer_upserted", str(customer_user.pk)]
    assert cust.channels == tuple(sorted(routing.customer_channels(str(customer_user.pk))))
    assert not [c for c in changes if c.changed_at < _since()]


def test_recent_changes_skip_what_is_older_than_since(order_with_lines, product):
    later = timezone.now() + datetime.timedelta(seconds=1)
    assert list(readers.recent_changes(later)) == []


def test_customer_channels_in_recent_changes_are_batched(order_list, customer_user2):
    SaleorOrder.objects.filter(pk=order_list[0].pk).update(user=customer_user2)
    with CaptureQueriesContext(connection) as ctx:
        changes = list(reader_changes.customers_updated(_since()))
    assert len(changes) == 2
    assert len(ctx.captured_queries) <= 5  # ids page, orders' and checkouts' channels, rows


def test_reconciliation_emits_the_order_job_a_lost_hook_never_wrote(order_with_lines, channel_USD):
    PluginConfiguration.objects.create(
        identifier="saleor_plugins.sandbox",
        channel=channel_USD,
        active=True,
        configuration=[
            {"name": "endpoint", "value": "https://sandbox.example"},
            {"name": "api_key", "value": "sk_sandbox_abcdefghijklmnop"},
        ],
    )
    # placed once the plugin was on, and the order_created hook never ran
    SaleorOrder.objects.filter(pk=order_with_lines.pk).update(created_at=timezone.now())
    Job.objects.all().delete()

    first = maintenance.reconcile(settle=datetime.timedelta(0))
    again = maintenance.reconcile(settle=datetime.timedelta(0))

    jobs = Job.objects.filter(event="order_created", object_id=str(order_with_lines.pk))
    assert [(j.integration, j.channel) for j in jobs] == [
        ("saleor_plugins.sandbox", channel_USD.slug)
    ]
    assert first >= 1 and again == 0  # the same dedupe key: never twice


def test_the_host_delegates_to_the_readers(order_with_lines):
    host: Any = SaleorHost()
    assert host.read("order", str(order_with_lines.pk), "x").id == str(order_with_lines.pk)
