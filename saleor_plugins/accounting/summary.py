"""Daily summary mode: one sale per channel, day and currency, booked once after the day.

**Recording** (the order's own jobs, no provider call): a paid order's sale, each new
capture and each refund becomes an *entry* in the kernel's ledger, assigned to a summary
day — the day it happened in the channel's ``summary_timezone``, or, when that day's
summary is already closed (an order that arrived late), the first day still open after
it. An entry is never dropped: it is in the next summary. Recording and closing take the
same PostgreSQL advisory lock, so no entry lands in a day while it is being closed.

**Booking** (a ``channel_sync`` job per day, emitted by the periodic task
``saleor_plugins.<provider>.summaries`` once the day is over in that time zone): the day
is closed, then booked — one invoice per currency (a line per kind, account and tax rate,
:func:`.build.summary`, totalling the orders to the cent), one payment per gateway and
currency (against the invoice of the day the sale was summarised in), one credit note per
gateway and currency for the day's refunds, with its refund payment. Each document is
held in the ledger under its own key and carries the provider's idempotency key, so a
retried or replayed day books nothing twice.

Ledger rows (object types): ``sum_day`` (day -> open / closed / booked), ``sum_sale``
(order -> ``day|currency``), ``sum_pay`` (capture -> ``day|currency|gateway|sale day``),
``sum_refund`` (refund -> ``day|currency|gateway``), ``summary`` (document key ->
provider id); booked orders are also held as ``invoice`` (reconciliation reads it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from ..core import ledger
from ..core import snapshots as s
from ..core.errors import PermanentError
from ..core.events import EventType
from ..core.models import Held
from ..core.outbox import emit
from . import booking, build
from .documents import CreditNote, Invoice, Payment

if TYPE_CHECKING:
    from .connector import AccountingIntegration

OPEN, CLOSED, BOOKED = "open", "closed", "booked"
DAY, SALE, PAY, REFUND, DOC = "sum_day", "sum_sale", "sum_pay", "sum_refund", "summary"
#: a cancelled order summarised unpaid: credited, no money goes back
CREDIT_ONLY = "~credit"
#: what the ledger holds for a summarised order ("summary:<provider id>") and a day's job id
PREFIX = "summary:"


def local_day(moment: datetime | None, zone: str) -> date:
    return (moment or timezone.now()).astimezone(ZoneInfo(zone or "UTC")).date()


@contextmanager
def _locked(integration: str, channel: str) -> Iterator[None]:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"summary|{integration}|{channel}"]
            )
        yield


def _rows(integration: str, channel: str, object_type: str) -> Any:
    return Held.objects.filter(integration=integration, channel=channel, object_type=object_type)


def _open_day(integration: str, channel: str, day: date) -> date:
    """``day``, or the first day after it whose summary is not closed (call under the lock)."""
    closed = set(
        _rows(integration, channel, DAY)
        .filter(object_id__gte=day.isoformat())
        .exclude(provider_id=OPEN)
        .values_list("object_id", flat=True)
    )
    while day.isoformat() in closed:
        day += timedelta(days=1)
    _rows(integration, channel, DAY).get_or_create(
        integration=integration,
        channel=channel,
        object_type=DAY,
        object_id=day.isoformat(),
        defaults={"provider_id": OPEN},
    )
    return day


def _entry(
    integration: str, channel: str, kind: str, key: str, where: str, amount: Decimal
) -> None:
    ledger.hold(integration, channel, kind, {key: where}, amounts={key: amount})


# -- recording (the order's jobs) ------------------------------------------------------------
def record(acct: AccountingIntegration, order: s.Order) -> list[str]:
    """The order's sale, new captures and refunds as entries of their summary days."""
    i, ch, zone = acct.id, acct.channel, acct.settings.summary_timezone
    done: list[str] = []
    with _locked(i, ch):
        sale = ledger.held(i, ch, SALE, [order.id]).get(order.id)
        if sale is None:
            day = _open_day(i, ch, local_day(order.created_at, zone))
            sale = f"{day}|{order.currency}"
            _entry(i, ch, SALE, order.id, sale, order.total_gross.amount)
            done.append(f"sale in the summary of {day}")
            fresh = True
        else:
            fresh = False
        sale_day = sale.partition("|")[0]
        for delta, total in booking.new_captures(i, ch, order):
            # captured with the sale: the sale's day; later: the day it was captured
            when = sale_day if fresh else _open_day(i, ch, local_day(_paid_at(order, delta), zone))
            _entry(i, ch, PAY, delta.source_id, f"{when}|{delta.currency}|{delta.account_key}|"
                   f"{sale_day}", delta.amount)  # fmt: skip
            booking.hold_capture(i, ch, delta, f"{PREFIX}{when}", total)
            done.append(f"payment {delta.amount} ({delta.account_key}) in the summary of {when}")
        for refund in order.refunds:
            done += _record_refund(acct, order, refund, refund.gateway)
    return done


def _paid_at(order: s.Order, delta: Payment) -> datetime | None:
    pid = delta.source_id.partition(":payment:")[2].rpartition("@")[0]
    found = next((p for p in order.payments if p.id == pid), None)
    return (found.created_at if found else None) or timezone.now()


def _record_refund(
    acct: AccountingIntegration, order: s.Order, refund: s.Refund, gateway: str
) -> list[str]:
    i, ch = acct.id, acct.channel
    key = f"{order.id}:refund:{refund.id}"
    if ledger.held(i, ch, REFUND, [key]):
        return []
    day = _open_day(i, ch, local_day(refund.created_at, acct.settings.summary_timezone))
    _entry(i, ch, REFUND, key, f"{day}|{order.currency}|{gateway}", refund.amount.amount)
    return [f"refund {refund.amount.amount} in the summary of {day}"]


def cancel(acct: AccountingIntegration, order: s.Order) -> str:
    """A cancelled order: out of a summary still open, else credited in the next one."""
    i, ch = acct.id, acct.channel
    with _locked(i, ch):
        sale = ledger.held(i, ch, SALE, [order.id]).get(order.id)
        if sale is None:
            return "cancelled before it was summarised: nothing to undo"
        day = sale.partition("|")[0]
        state = _rows(i, ch, DAY).filter(object_id=day).values_list("provider_id", flat=True)
        paid = booking.any_payment_booked(i, ch, order)
        if not paid and list(state) == [OPEN]:
            ledger.release(i, ch, SALE, [order.id])
            return f"cancelled unpaid: taken out of the summary of {day}"
        give_back = booking.cancellation_refund(order)
        if give_back is not None:
            return "; ".join(_record_refund(acct, order, give_back, "") or ["already credited"])
        if paid:
            return "cancelled after a full refund: nothing more to credit"
        credit = s.Refund("cancel", order.total_gross, created_at=order.updated_at)
        return "; ".join(_record_refund(acct, order, credit, CREDIT_ONLY) or ["already credited"])


# -- booking (the day's job) -------------------------------------------------------------
def due_days(integration: str, channel: str, zone: str) -> list[date]:
    """Days with entries whose summary is not booked and which are over in ``zone``."""
    today = local_day(None, zone).isoformat()
    found = (
        _rows(integration, channel, DAY)
        .filter(object_id__lt=today)
        .exclude(provider_id=BOOKED)
        .values_list("object_id", flat=True)
    )
    return sorted(date.fromisoformat(d) for d in found)


def emit_due(integration: str, channel: str, zone: str) -> int:
    """One ``channel_sync`` job per due day (re-emitting is a no-op: the dedupe key)."""
    emitted = 0
    for day in due_days(integration, channel, zone):
        emitted += len(
            emit(
                EventType.CHANNEL_SYNC,
                f"{PREFIX}{day.isoformat()}",
                [(integration, channel)],
                payload={"summary": day.isoformat()},
            )
        )
    return emitted


def book_day(acct: AccountingIntegration, day: date) -> str:
    """Close ``day`` and book its summaries (each document once)."""
    i, ch = acct.id, acct.channel
    with _locked(i, ch):
        row, _ = _rows(i, ch, DAY).get_or_create(
            integration=i, channel=ch, object_type=DAY, object_id=day.isoformat()
        )
        if row.provider_id == BOOKED:
            return f"summary of {day} already booked"
        if row.provider_id != CLOSED:
            row.provider_id = CLOSED
            row.save(update_fields=["provider_id"])
    prefix = f"{day.isoformat()}|"
    entries: dict[str, list[Held]] = defaultdict(list)
    kinds = [SALE, PAY, REFUND]
    for held in Held.objects.filter(
        integration=i, channel=ch, object_type__in=kinds, provider_id__startswith=prefix
    ):
        entries[held.object_type].append(held)
    done = [*_sales(acct, day, entries[SALE]), *_payments(acct, day, entries[PAY])]
    done += _refunds(acct, day, entries[REFUND])
    _rows(i, ch, DAY).filter(object_id=day.isoformat()).update(provider_id=BOOKED)
    return f"summary of {day}: " + ("; ".join(done) or "nothing to book")


def doc_key(channel: str, day: str, currency: str, *rest: str) -> str:
    return ":".join(["summary", channel, day, currency, *rest])


def _read(acct: AccountingIntegration, order_id: str) -> s.Order:
    order = acct.host.read("order", order_id, acct.channel)
    if not isinstance(order, s.Order):
        raise PermanentError(f"order {order_id} of a summary is gone from the store")
    return order


def _sales(acct: AccountingIntegration, day: date, rows: list[Held]) -> list[str]:
    by_currency: dict[str, list[s.Order]] = defaultdict(list)
    for row in rows:
        order = _read(acct, row.object_id)
        by_currency[row.provider_id.split("|")[1]].append(order)
    done = []
    for currency, orders in sorted(by_currency.items()):
        invoices = [
            build.invoice(o, separate_discounts=acct.settings.separate_discounts) for o in orders
        ]
        doc = build.summary(invoices, channel=acct.channel, day=day, currency=currency)
        doc = replace(doc, source_id=doc_key(acct.channel, day.isoformat(), currency),
                      reference=f"S{day:%Y%m%d}-{currency}")  # fmt: skip
        provider_id = _once(acct, doc.source_id, doc.total, lambda d=doc: acct.book_summary(d))
        ledger.hold(
            acct.id,
            acct.channel,
            "invoice",
            {o.id: f"{PREFIX}{provider_id}" for o in orders},
            amounts={o.id: o.total_gross.amount for o in orders},
        )
        done.append(f"invoice {doc.total} {currency} ({len(orders)} orders)")
    return done


def _payments(acct: AccountingIntegration, day: date, rows: list[Held]) -> list[str]:
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        _, currency, gateway, sale_day = row.provider_id.split("|")
        sums[(currency, gateway, sale_day)] += row.amount or Decimal(0)
    done = []
    for (currency, gateway, sale_day), amount in sorted(sums.items()):
        key = doc_key(acct.channel, day.isoformat(), currency, "payment", gateway, sale_day)
        p = Payment(
            source_id=key,
            invoice_source_id=doc_key(acct.channel, sale_day, currency),
            amount=amount,
            currency=currency,
            paid_on=day,
            account_key=gateway,
            reference=f"S{day:%Y%m%d}-{currency} {gateway}",
        )
        _once(acct, p.source_id, amount, lambda p=p: acct.book_summary_payment(p))
        done.append(f"payment {amount} {currency} ({gateway})")
    return done


def _refunds(acct: AccountingIntegration, day: date, rows: list[Held]) -> list[str]:
    groups: dict[tuple[str, str], list[CreditNote]] = defaultdict(list)
    for row in rows:
        _, currency, gateway = row.provider_id.split("|")
        order_id, _, refund_id = row.object_id.rpartition(":refund:")
        order = _read(acct, order_id)
        refund = next((r for r in order.refunds if r.id == refund_id), None)
        if refund is None:  # a cancellation: what it gave back when recorded
            refund = s.Refund(refund_id, s.Money(row.amount or Decimal(0), currency))
        groups[(currency, gateway)].append(
            build.credit_note(order, refund, separate_discounts=acct.settings.separate_discounts)
        )
    done = []
    for n, ((currency, gateway), notes) in enumerate(sorted(groups.items()), start=1):
        as_sales = [Invoice(x.source_id, x.reference, x.channel, x.currency, x.issued_on,
                            x.contact, x.lines, x.total) for x in notes]  # fmt: skip
        total = build.summary(as_sales, channel=acct.channel, day=day, currency=currency)
        note = CreditNote(
            source_id=doc_key(acct.channel, day.isoformat(), currency, "refunds", gateway),
            invoice_source_id=doc_key(acct.channel, day.isoformat(), currency),
            reference=f"R{day:%Y%m%d}-{currency}-{n}",
            channel=acct.channel,
            currency=currency,
            issued_on=day,
            contact=total.contact,
            lines=total.lines,
            total=total.total,
            refund_account_key=gateway,
        )
        _once(acct, note.source_id, note.total, lambda x=note: acct.book_summary_refund(x))
        done.append(f"credit note {note.total} {currency} ({gateway or 'default account'})")
    return done


def _once(acct: AccountingIntegration, key: str, amount: Decimal, write: Any) -> str:
    """The provider id of the document ``key``: from the ledger, else written now."""
    known = ledger.held(acct.id, acct.channel, DOC, [key]).get(key)
    if known is not None:
        return known
    provider_id = str(write())
    ledger.hold(acct.id, acct.channel, DOC, {key: provider_id}, amounts={key: amount})
    return provider_id


def summary_document(acct: AccountingIntegration, key: str) -> str | None:
    """The provider id of an already booked summary document (a payment's invoice)."""
    return ledger.held(acct.id, acct.channel, DOC, [key]).get(key)


#: how often the providers' periodic ``summaries`` task looks for days that are over
EVERY = timedelta(minutes=15)


def emit_due_for(cls: type[AccountingIntegration]) -> int:
    """Every channel of ``cls``: emit the jobs of days that are over (the periodic task).

    Whatever the channel's mode now: days recorded before a switch to per-order booking
    are still booked as summaries, never left behind.
    """
    from ..core.host import get_host
    from ..core.settings import SettingsErrors

    emitted = 0
    for installation in get_host().installations(cls.id):
        if not installation.active:
            continue
        try:
            settings = cls.settings_class.from_configuration(installation.configuration)
        except SettingsErrors:
            continue  # the plugin's page names the field; the days wait for the fix
        zone = getattr(settings, "summary_timezone", "UTC")
        emitted += emit_due(cls.id, installation.channel, zone)
    return emitted


def periodic_task(cls: type[AccountingIntegration], provider: str) -> Any:
    """The provider's Celery task emitting due days, added to beat's schedule (tasks.py)."""
    from celery import current_app, shared_task

    from ..core import schedule
    from ..core.host import writer_scope

    name = f"saleor_plugins.{provider}.summaries"

    @shared_task(name=name, ignore_result=True)
    def summaries() -> int:
        with writer_scope():
            return emit_due_for(cls)

    schedule.register_periodic_tasks(
        current_app, ((f"saleor-plugins-{provider}-summaries", name, EVERY),)
    )
    return summaries
