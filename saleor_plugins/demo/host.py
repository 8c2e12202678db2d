"""The kernel's :class:`~saleor_plugins.core.host.Host` over the demo store's tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..core import snapshots as s
from ..core.events import EventType
from ..core.host import Change, Installation
from .models import DemoCheckout, DemoCustomer, DemoInstallation, DemoOrder, DemoProduct

#: a channel's currency and its prices against the variant's (USD) price
CHANNEL_CURRENCY = {"channel-pln": ("PLN", Decimal(4))}
ON_SALE_SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def _money(amount: Any, currency: str) -> s.Money:
    return s.Money(Decimal(str(amount)), currency)


def channel_price(price: Any, currency: str, channel: str) -> s.Money:
    """A variant's price in a channel: converted where the channel has its own currency."""
    if channel in CHANNEL_CURRENCY and currency == "USD":
        code, rate = CHANNEL_CURRENCY[channel]
        return _money((Decimal(str(price)) * rate).quantize(Decimal("0.01")), code)
    return _money(price, currency)


def _installation(row: DemoInstallation) -> Installation:
    return Installation(
        row.integration, row.channel, row.active, list(row.configuration), row.active_since
    )


class DemoHost:
    def installation_sql(self) -> str:
        """:meth:`installation` as SQL, so delivery reads it inside its claim."""
        return (
            f"SELECT active, configuration FROM {DemoInstallation._meta.db_table} "
            "WHERE integration = {integration} AND channel = {channel} LIMIT 1"
        )

    def installation(self, integration: str, channel: str) -> Installation | None:
        row = DemoInstallation.objects.filter(integration=integration, channel=channel).first()
        if row is None:
            return None
        return _installation(row)

    def installations(self, integration: str | None = None) -> list[Installation]:
        rows = DemoInstallation.objects.all()
        if integration:
            rows = rows.filter(integration=integration)
        return [_installation(r) for r in rows]

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        reader = getattr(self, f"_read_{object_type}", None)
        return reader(object_id, channel) if reader else None

    def _read_order(self, object_id: str, channel: str) -> s.Order | None:
        order = DemoOrder.objects.filter(pk=object_id).select_related("customer").first()
        if order is None:
            return None
        cur = order.currency
        lines = tuple(
            s.OrderLine(
                id=f"{order.pk}-{i}",
                product_id=str(line.get("product_id", "")),
                variant_id=str(line.get("variant_id", "")),
                sku=line["sku"],
                product_name=line["name"],
                variant_name="",
                quantity=int(line["quantity"]),
                unit_price_net=_money(line["unit_price"], cur),
                unit_price_gross=_money(line["unit_price"], cur),
                total_net=_money(Decimal(str(line["unit_price"])) * line["quantity"], cur),
                total_gross=_money(Decimal(str(line["unit_price"])) * line["quantity"], cur),
            )
            for i, line in enumerate(order.lines)
        )
        zero = _money(0, cur)
        total = _money(order.total, cur)
        customer = (
            self._read_customer(str(order.customer_id), channel) if order.customer_id else None
        )
        return s.Order(
            id=str(order.pk),
            number=str(order.pk)[:8],
            channel=order.channel,
            status=order.status,
            charge_status=order.charge_status,
            currency=cur,
            email=order.email,
            lines=lines,
            subtotal_net=total,
            subtotal_gross=total,
            shipping_net=zero,
            shipping_gross=zero,
            total_net=total,
            total_gross=total,
            total_charged=_money(sum(Decimal(p["amount"]) for p in order.payments), cur)
            if order.payments
            else (total if order.charge_status == "full" else zero),
            total_refunded=_money(sum(Decimal(r["amount"]) for r in order.refunds), cur),
            discount=zero,
            customer=customer,
            created_at=order.created_at,
            updated_at=order.updated_at,
            checkout_token=order.checkout_token,
            tracking_client_id=order.tracking_client_id,
            origin="checkout",
            # the storefront writes the shopper's choice on the order, as on the customer
            metadata=customer.metadata if customer else {},
            payments=tuple(
                s.Payment(p["id"], p["gateway"], p["psp_reference"], _money(p["amount"], cur))
                for p in order.payments
            ),
            refunds=tuple(
                s.Refund(
                    id=r["id"],
                    amount=_money(r["amount"], cur),
                    lines=tuple(s.RefundLine(f"{order.pk}-{i}", q) for i, q in r["lines"]),
                    gateway=r.get("gateway", ""),
                    psp_reference=r.get("psp_reference", ""),
                )
                for r in order.refunds
            ),
        )

    def _read_product(self, object_id: str, channel: str) -> s.Product | None:
        product = DemoProduct.objects.filter(pk=object_id).prefetch_related("variants").first()
        if product is None:
            return None
        variants = tuple(
            s.Variant(
                id=str(v.pk),
                sku=v.sku,
                name=v.name,
                prices=tuple(
                    s.ChannelPrice(c, channel_price(v.price, v.currency, c))
                    for c in product.channels
                ),
                stocks=(s.Stock("default", v.quantity),),
            )
            for v in product.variants.all()
        )
        slug = f"product-{product.pk}"
        return s.Product(
            id=str(product.pk),
            slug=slug,
            name=product.name,
            description=product.description or product.name,
            product_type="Mugs",
            category="Mugs",
            category_path=("Kitchen", "Mugs"),
            variants=variants,
            listings=tuple(
                s.ChannelListing(c, True, available_for_purchase_at=ON_SALE_SINCE)
                for c in product.channels
            ),
            attributes=(s.Attribute("brand", "Brand", ("Demo Mugs",)),),
            media=(s.Media(f"https://shop.example.com/media/{slug}.jpg"),),
            updated_at=product.updated_at,
            category_slugs=("kitchen", "mugs"),
        )

    def _read_customer(self, object_id: str, channel: str) -> s.Customer | None:
        c = DemoCustomer.objects.filter(pk=object_id).first()
        if c is None:
            return None
        return s.Customer(
            id=str(c.pk),
            email=c.email,
            first_name=c.first_name,
            last_name=c.last_name,
            language=c.language,
            marketing_consent=c.marketing_consent,
            # where Saleor's storefronts keep it (the integrations' default metadata key)
            metadata={}
            if c.marketing_consent is None
            else {"marketing_consent": "true" if c.marketing_consent else "false"},
            updated_at=c.updated_at,
        )

    def _read_checkout(self, object_id: str, channel: str) -> s.Checkout | None:
        c = DemoCheckout.objects.filter(pk=object_id).first()
        if c is None:
            return None
        lines = tuple(
            s.CheckoutLine(
                variant_id=str(x.get("variant_id", "")),
                product_id=str(x.get("product_id", "")),
                sku=x["sku"],
                product_name=x["name"],
                quantity=int(x["quantity"]),
                unit_price=_money(x["unit_price"], c.currency),
            )
            for x in c.lines
        )
        total = sum((Decimal(str(x["unit_price"])) * x["quantity"] for x in c.lines), Decimal(0))
        customer = self._read_customer(str(c.customer_id), channel) if c.customer_id else None
        return s.Checkout(
            token=str(c.token),
            channel=c.channel,
            email=c.email,
            currency=c.currency,
            lines=lines,
            total=_money(total, c.currency),
            customer=customer,
            completed=c.completed,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        if object_type == "order":
            qs = DemoOrder.objects.filter(channel=channel).order_by("created_at")
            for pk in qs.values_list("pk", flat=True).iterator(chunk_size=2000):
                yield str(pk)
        elif object_type == "product":
            for p in DemoProduct.objects.order_by("pk").iterator(chunk_size=2000):
                if channel in p.channels:
                    yield str(p.pk)

    def iter_objects(
        self, object_type: str, channel: str, *, page_size: int = 500
    ) -> Iterator[Any]:
        for object_id in self.iter_ids(object_type, channel):
            obj = self.read(object_type, object_id, channel)
            if obj is not None:
                yield obj

    def recent_changes(self, since: datetime) -> Iterator[Change]:
        for oid, channel, created in DemoOrder.objects.filter(created_at__gte=since).values_list(
            "pk", "channel", "created_at"
        ):
            yield Change(EventType.ORDER_CREATED.value, str(oid), (channel,), created)
        for pid, channels, updated in DemoProduct.objects.filter(updated_at__gte=since).values_list(
            "pk", "channels", "updated_at"
        ):
            yield Change(EventType.PRODUCT_UPSERTED.value, str(pid), tuple(channels), updated)

    def customer_channels(self, customer_id: str) -> tuple[str, ...]:
        return tuple(
            DemoOrder.objects.filter(customer_id=int(customer_id))
            .values_list("channel", flat=True)
            .distinct()
        )
