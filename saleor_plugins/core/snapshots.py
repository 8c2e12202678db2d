"""Immutable snapshots of the things integrations consume.

Readers (the Saleor adapter, or the demo store) build these from their own models with a
bounded number of queries; integrations map them onto provider objects. Amounts are
``Decimal`` in the currency's major unit; conversion to minor units is the provider
client's business (see :mod:`saleor_plugins.core.money`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Address:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    street_1: str = ""
    street_2: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    country_area: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Customer:
    #: the customer's account id; None for a guest (an order placed without an account)
    id: str | None
    email: str
    first_name: str = ""
    last_name: str = ""
    language: str = ""  # customer's language code; "" = use the channel's
    is_active: bool = True
    marketing_consent: bool | None = None  # None = unknown (never asked)
    billing_address: Address | None = None
    channels: tuple[str, ...] = ()  # channels where the customer registered/ordered
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaxLine:
    name: str
    rate: Decimal
    amount: Money


@dataclass(frozen=True, slots=True)
class OrderLine:
    id: str
    product_id: str
    variant_id: str
    sku: str
    product_name: str
    variant_name: str
    quantity: int
    unit_price_net: Money
    unit_price_gross: Money
    total_net: Money
    total_gross: Money
    tax_rate: Decimal = Decimal("0")
    discount: Money | None = None
    quantity_fulfilled: int = 0
    category_path: tuple[str, ...] = ()  # root-to-leaf category names of the product
    product_attributes: tuple[Attribute, ...] = ()  # the product's (brand, ...)
    product_type: str = ""
    category: str = ""
    tax_class: str = ""  # the tax class name Saleor applied ("" = the default)
    is_gift_card: bool = False  # a gift card sold: a liability, not revenue
    undiscounted_total_net: Money | None = None
    undiscounted_total_gross: Money | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """Money captured for an order, by one gateway (Saleor payment or transaction)."""

    id: str
    gateway: str  # the plugin or app id ("saleor_plugins.stripe", "mirumee.payments.dummy")
    psp_reference: str
    amount: Money  # captured (charged) so far
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_id: str  # the OrderLine refunded
    quantity: int


@dataclass(frozen=True, slots=True)
class Refund:
    """Money given back on an order (Saleor: a refunded fulfillment, with its lines)."""

    id: str
    amount: Money
    lines: tuple[RefundLine, ...] = ()  # empty: an amount only (orderRefund)
    created_at: datetime | None = None
    gateway: str = ""  # where the money went back through ("" = not known)
    psp_reference: str = ""


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    number: str
    channel: str
    status: str  # unconfirmed, unfulfilled, partially_fulfilled, fulfilled, canceled, ...
    charge_status: str  # none, partial, full, overcharged
    currency: str
    email: str
    lines: tuple[OrderLine, ...]
    subtotal_net: Money
    subtotal_gross: Money
    shipping_net: Money
    shipping_gross: Money
    total_net: Money
    total_gross: Money
    total_charged: Money
    total_refunded: Money
    discount: Money
    billing_address: Address | None = None
    shipping_address: Address | None = None
    customer: Customer | None = None
    voucher_code: str = ""
    language: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    checkout_token: str = ""  # the checkout the order was placed from ("" = none)
    shipping_method: str = ""  # name of the shipping method / collection point
    tracking_client_id: str = ""  # the storefront's analytics client id, if it sent one
    origin: str = ""  # checkout, draft, reissue, bulk_create (imported history)
    shipping_tax_rate: Decimal = Decimal("0")
    shipping_tax_class: str = ""
    gift_card_total: Money | None = None  # paid with gift cards: a payment, not a discount
    payments: tuple[Payment, ...] = ()
    refunds: tuple[Refund, ...] = ()  # oldest first


@dataclass(frozen=True, slots=True)
class ChannelPrice:
    channel: str
    price: Money
    cost_price: Money | None = None
    discounted_price: Money | None = None
    sale_starts: datetime | None = None
    sale_ends: datetime | None = None


@dataclass(frozen=True, slots=True)
class Stock:
    warehouse: str
    quantity: int
    allocated: int = 0

    @property
    def available(self) -> int:
        return max(0, self.quantity - self.allocated)


@dataclass(frozen=True, slots=True)
class Media:
    url: str
    alt: str = ""
    sort_order: int = 0


@dataclass(frozen=True, slots=True)
class Attribute:
    slug: str
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Variant:
    id: str
    sku: str
    name: str
    prices: tuple[ChannelPrice, ...]
    stocks: tuple[Stock, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    media: tuple[Media, ...] = ()
    track_inventory: bool = True
    preorder: bool = False
    weight_grams: Decimal | None = None
    external_reference: str = ""
    preorder_end_date: datetime | None = None

    def price_in(self, channel: str) -> ChannelPrice | None:
        return next((p for p in self.prices if p.channel == channel), None)

    @property
    def quantity_available(self) -> int:
        return sum(s.available for s in self.stocks)


@dataclass(frozen=True, slots=True)
class ChannelListing:
    channel: str
    is_published: bool
    visible_in_listings: bool = True
    available_for_purchase_at: datetime | None = None
    #: publication date; a published listing is hidden until then (None: at once)
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    slug: str
    name: str
    description: str  # plain text, rendered from Saleor's rich-text JSON
    product_type: str
    category: str
    category_path: tuple[str, ...]
    variants: tuple[Variant, ...]
    listings: tuple[ChannelListing, ...]
    attributes: tuple[Attribute, ...] = ()
    media: tuple[Media, ...] = ()
    weight_grams: Decimal | None = None
    updated_at: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    category_slugs: tuple[str, ...] = ()  # the same categories' slugs, root to leaf

    def listing_in(self, channel: str) -> ChannelListing | None:
        return next((x for x in self.listings if x.channel == channel), None)


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    variant_id: str
    product_id: str
    sku: str
    product_name: str
    quantity: int
    unit_price: Money


@dataclass(frozen=True, slots=True)
class Checkout:
    token: str
    channel: str
    email: str
    currency: str
    lines: tuple[CheckoutLine, ...]
    total: Money
    customer: Customer | None = None
    language: str = ""
    completed: bool = False
    updated_at: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    order_id: str = ""  # when completed: the order placed from it


@dataclass(frozen=True, slots=True)
class Voucher:
    id: str
    codes: tuple[str, ...]
    name: str
    discount_type: str  # "fixed" | "percentage"
    value: Decimal
    channel: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    used: int = 0
    currency: str = ""  # of a fixed value and of min_spent in this channel
    min_spent: Money | None = None


@dataclass(frozen=True, slots=True)
class Payout:
    """A payment provider's transfer of the merchant's balance to their bank, itemised.

    Amounts are in ``currency`` (the payout's), major units: ``charges - refunds - fees +
    other == amount`` when ``itemised`` (the provider listed the payout's transactions);
    otherwise only ``amount`` is known. ``fees`` is positive when the provider charged.
    """

    id: str  # the provider's payout id ("po_...")
    provider: str  # "stripe"
    gateway: str  # the payment gateway id the store's payments carry (its clearing account)
    status: str  # "paid", "failed" or "canceled"
    currency: str
    amount: Decimal  # what reaches the bank (for a failed payout: what was to)
    arrival_date: date
    charges: Decimal = Decimal(0)
    refunds: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    other: Decimal = Decimal(0)  # disputes, adjustments, payouts that came back
    itemised: bool = False
    transactions: int = 0

    @property
    def key(self) -> str:
        """Unique across providers: what ledgers and jobs name the payout by."""
        return f"{self.provider}:{self.id}"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """What a job points at: the object is read again at delivery time."""

    object_type: str
    object_id: str
