"""Orders: one query for the orders of a page (with their addresses, user and refund
totals as subqueries), one for their lines (with product, type and category), one for the
products' attribute values, one for the category paths, two for the refunds recorded on
them (refunded fulfillments and their lines), and one each for their payments, the
payments' refunds, their transactions and the gift cards they spent, whatever the page
size."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ...core import snapshots as s
from .attributes import group as group_attributes
from .common import address, customer, metadata, money, pages
from .product_rows import category_paths

DRAFT = "draft"
#: fulfillments that record a refund (orderRefund, orderFulfillmentRefundProducts)
REFUND_STATUSES = ("refunded", "refunded_and_returned")


def queryset() -> Any:
    from django.db.models import DecimalField, OuterRef, Prefetch, Subquery, Sum, Value
    from django.db.models.functions import Coalesce
    from saleor.attribute.models import AssignedProductAttributeValue
    from saleor.giftcard.models import GiftCardEvent
    from saleor.order.models import Fulfillment, Order, OrderLine
    from saleor.payment.models import Payment, Transaction, TransactionItem

    def total(qs: Any, column: str) -> Any:
        agg = qs.annotate(_t=Sum(column)).values("_t")[:1]
        return Coalesce(Subquery(agg), Value(Decimal(0)), output_field=DecimalField())

    # Refunds as the API's Order.totalRefunded counts them: transaction items' refunded
    # value, plus successful refund transactions of (legacy) payments.
    items = TransactionItem.objects.filter(order_id=OuterRef("pk")).order_by().values("order_id")
    legacy = (
        Transaction.objects.filter(payment__order_id=OuterRef("pk"), kind="refund", is_success=True)
        .order_by()
        .values("payment__order_id")
    )
    attributes = AssignedProductAttributeValue.objects.select_related("value__attribute").order_by(
        "sort_order", "pk"
    )
    lines = (
        OrderLine.objects.select_related(
            "variant__product__category", "variant__product__product_type"
        )
        .prefetch_related(Prefetch("variant__product__attributevalues", queryset=attributes))
        .order_by("created_at", "pk")
    )
    refunds = (
        Fulfillment.objects.filter(status__in=REFUND_STATUSES)
        .prefetch_related("lines")
        .order_by("created_at", "pk")
    )
    # every payment, not only active ones: Saleor deactivates a fully refunded payment,
    # and lowers captured_amount by each refund -- the money was still received
    payments = Payment.objects.order_by("created_at", "pk")
    refund_transactions = Transaction.objects.filter(kind="refund", is_success=True).order_by(
        "created_at", "pk"
    )
    gift_cards = GiftCardEvent.objects.filter(type="used_in_order").order_by("pk")
    return (
        Order.objects.select_related(
            "channel", "billing_address", "shipping_address", "user__default_billing_address"
        )
        .annotate(
            refunded_items=total(items, "refunded_value"),
            refunded_payments=total(legacy, "amount"),
        )
        .prefetch_related(
            Prefetch("lines", queryset=lines),
            Prefetch("fulfillments", queryset=refunds, to_attr="refund_fulfillments"),
            Prefetch("payments", queryset=payments, to_attr="all_payments"),
            Prefetch(
                "all_payments__transactions",
                queryset=refund_transactions,
                to_attr="refunds_made",
            ),
            Prefetch(
                "payment_transactions",
                queryset=TransactionItem.objects.order_by("created_at", "pk"),
                to_attr="items",
            ),
            Prefetch("giftcardevent_set", queryset=gift_cards, to_attr="gift_card_uses"),
        )
    )


def _line(line: Any, cur: str, paths: dict[int, tuple[str, ...]]) -> s.OrderLine:
    quantity = int(line.quantity)
    discount = Decimal(line.unit_discount_amount or 0) * quantity
    variant = line.variant
    product = variant.product if variant is not None else None
    attributes: tuple[s.Attribute, ...] = ()
    if product is not None:
        values = product.attributevalues.all()
        attributes = group_attributes((av.value.attribute, av.value) for av in values)
    return s.OrderLine(
        id=str(line.pk),
        product_id=str(variant.product_id) if variant is not None else "",
        variant_id=str(line.variant_id) if line.variant_id else "",
        sku=line.product_sku or "",
        product_name=line.product_name,
        variant_name=line.variant_name or "",
        quantity=quantity,
        unit_price_net=money(line.unit_price_net_amount, cur),
        unit_price_gross=money(line.unit_price_gross_amount, cur),
        total_net=money(line.total_price_net_amount, cur),
        total_gross=money(line.total_price_gross_amount, cur),
        tax_rate=Decimal(line.tax_rate or 0),
        discount=money(discount, cur) if discount else None,
        quantity_fulfilled=int(line.quantity_fulfilled or 0),
        category_path=paths.get(product.category_id, ()) if product is not None else (),
        product_attributes=attributes,
        product_type=product.product_type.name if product is not None else "",
        category=product.category.name if product is not None and product.category else "",
        tax_class=line.tax_class_name or "",
        is_gift_card=bool(line.is_gift_card),
        undiscounted_total_net=money(line.undiscounted_total_price_net_amount, cur),
        undiscounted_total_gross=money(line.undiscounted_total_price_gross_amount, cur),
    )


def _payments(order: Any, cur: str) -> tuple[s.Payment, ...]:
    """Money received: legacy payments (plugins' gateways) and transactions (apps), each
    with what it received in all (refunds, which lower what Saleor keeps as captured,
    are the order's refund records)."""
    found = []
    for p in order.all_payments:
        received = Decimal(p.captured_amount or 0) + sum(
            (Decimal(t.amount) for t in p.refunds_made), Decimal(0)
        )
        if received:
            found.append(
                s.Payment(
                    id=f"payment-{p.pk}",
                    gateway=p.gateway,
                    psp_reference=p.psp_reference or "",
                    amount=money(received, cur),
                    created_at=p.created_at,
                )
            )
    found += [
        s.Payment(
            id=f"transaction-{t.token}",
            gateway=t.app_identifier or t.name or "transaction",
            psp_reference=t.psp_reference or "",
            amount=money(Decimal(t.charged_value or 0) + Decimal(t.refunded_value or 0), cur),
            created_at=t.created_at,
        )
        for t in order.items
        if t.charged_value or t.refunded_value
    ]
    return tuple(found)


def _refund(fulfillment: Any, cur: str, gateway: str) -> s.Refund:
    lines = tuple(
        s.RefundLine(line_id=str(fl.order_line_id), quantity=int(fl.quantity))
        for fl in fulfillment.lines.all()
    )
    return s.Refund(
        id=str(fulfillment.pk),
        amount=money(fulfillment.total_refund_amount, cur),
        lines=lines,
        created_at=fulfillment.created_at,
        gateway=gateway,
    )


def _refund_gateway(payments: tuple[s.Payment, ...]) -> str:
    """The gateway money went back through, when the order was paid through one only."""
    gateways = {p.gateway for p in payments}
    return gateways.pop() if len(gateways) == 1 else ""


def _gift_cards(order: Any, cur: str) -> s.Money | None:
    used = Decimal(0)
    for event in order.gift_card_uses:
        balance = (event.parameters or {}).get("balance") or {}
        before, after = balance.get("old_current_balance"), balance.get("current_balance")
        if before is not None and after is not None:
            used += Decimal(str(before)) - Decimal(str(after))
    return money(used, cur) if used > 0 else None


def category_paths_of(orders: list[Any]) -> dict[int, tuple[str, ...]]:
    """Category paths of every product ordered on the page, from one query."""
    categories = {
        line.variant.product.category.pk: line.variant.product.category
        for order in orders
        for line in order.lines.all()
        if line.variant is not None and line.variant.product.category is not None
    }
    return {
        pk: tuple(name for name, _ in path)
        for pk, path in category_paths(categories.values()).items()
    }


def guest(order: Any) -> s.Customer | None:
    """A guest checkout: the e-mail and the billing name are all Saleor knows."""
    if not order.user_email:
        return None
    billing = address(order.billing_address)
    return s.Customer(
        id=None,  # no account: absent, not ""
        email=order.user_email,
        first_name=billing.first_name if billing else "",
        last_name=billing.last_name if billing else "",
        language=order.language_code or "",
        billing_address=billing,
    )


def snapshot(order: Any, paths: dict[int, tuple[str, ...]] | None = None) -> s.Order:
    cur = order.currency
    if paths is None:
        paths = category_paths_of([order])
    undiscounted = Decimal(order.undiscounted_total_gross_amount or 0)
    discount = max(Decimal(0), undiscounted - Decimal(order.total_gross_amount or 0))
    refunded = Decimal(order.refunded_items) + Decimal(order.refunded_payments)
    payments = _payments(order, cur)
    user = order.user
    return s.Order(
        id=str(order.pk),
        number=str(order.number),
        channel=order.channel.slug,
        # Saleor writes "partially fulfilled" with a space; the kernel's names are snake_case.
        status=str(order.status).replace(" ", "_"),
        charge_status=str(order.charge_status),
        currency=cur,
        email=order.user_email or (user.email if user is not None else ""),
        lines=tuple(_line(line, cur, paths) for line in order.lines.all()),
        subtotal_net=money(order.subtotal_net_amount, cur),
        subtotal_gross=money(order.subtotal_gross_amount, cur),
        shipping_net=money(order.shipping_price_net_amount, cur),
        shipping_gross=money(order.shipping_price_gross_amount, cur),
        total_net=money(order.total_net_amount, cur),
        total_gross=money(order.total_gross_amount, cur),
        total_charged=money(order.total_charged_amount, cur),
        total_refunded=money(refunded, cur),
        discount=money(discount, cur),
        billing_address=address(order.billing_address),
        shipping_address=address(order.shipping_address),
        customer=customer(user) if user is not None else guest(order),
        voucher_code=order.voucher_code or "",
        language=order.language_code or "",
        created_at=order.created_at,
        updated_at=order.updated_at,
        metadata=metadata(order),
        checkout_token=order.checkout_token or "",
        shipping_method=order.shipping_method_name or order.collection_point_name or "",
        tracking_client_id=order.tracking_client_id or "",
        origin=str(order.origin or ""),
        shipping_tax_rate=Decimal(order.shipping_tax_rate or 0),
        shipping_tax_class=order.shipping_tax_class_name or "",
        gift_card_total=_gift_cards(order, cur),
        payments=payments,
        refunds=tuple(
            _refund(f, cur, _refund_gateway(payments))
            for f in getattr(order, "refund_fulfillments", ())
        ),
    )


def read(object_id: str) -> s.Order | None:
    import uuid

    try:
        pk = uuid.UUID(str(object_id))
    except ValueError:
        return None
    order = queryset().filter(pk=pk).first()
    return snapshot(order) if order is not None else None


def in_channel(channel: str) -> Any:
    """Orders of the channel, drafts excluded (they are not orders yet)."""
    from saleor.order.models import Order

    return Order.objects.filter(channel__slug=channel).exclude(status=DRAFT)


def iter_ids(channel: str) -> Iterator[str]:
    ids = in_channel(channel).order_by("number").values_list("pk", flat=True)
    for pk in ids.iterator(chunk_size=2000):
        yield str(pk)


def iter_objects(channel: str, page_size: int) -> Iterator[s.Order]:
    qs = queryset().filter(channel__slug=channel).exclude(status=DRAFT)
    for page in pages(qs, "number", page_size):
        paths = category_paths_of(page)
        yield from (snapshot(o, paths) for o in page)
