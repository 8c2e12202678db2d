"""The kernel's :class:`~saleor_plugins.core.host.Host` over the demo store's tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..core import snapshots as s
from ..core.events import EventType
from ..core.host import Change, Installation
from .models import DemoCustomer, DemoInstallation, DemoOrder, DemoProduct


def _money(amount: Any, currency: str) -> s.Money:
    return s.Money(Decimal(str(amount)), currency)


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
            total_charged=total if order.charge_status == "full" else zero,
            total_refunded=zero,
            discount=zero,
            customer=customer,
            created_at=order.created_at,
            updated_at=order.updated_at,
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
                    s.ChannelPrice(c, _money(v.price, v.currency)) for c in product.channels
                ),
                stocks=(s.Stock("default", v.quantity),),
            )
            for v in product.variants.all()
        )
        return s.Product(
            id=str(product.pk),
            slug=f"product-{product.pk}",
            name=product.name,
            description=product.description,
            product_type="default",
            category="",
            category_path=(),
            variants=variants,
            listings=tuple(s.ChannelListing(c, True) for c in product.channels),
            updated_at=product.updated_at,
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
