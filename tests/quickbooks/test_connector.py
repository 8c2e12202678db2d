"""QuickBooks' own cases, through the kernel's delivery and python-quickbooks' client.

The scenarios every accounting provider shares are in tests/accounting/test_providers.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from saleor_plugins.core import delivery, oauth, outbox
from saleor_plugins.core import snapshots as s
from saleor_plugins.core.errors import TransientError
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Attempt, Connection, Job
from saleor_plugins.core.settings import SettingsErrors
from saleor_plugins.quickbooks.settings import QuickBooksSettings
from saleor_plugins.testing.providers.quickbooks import (
    CLIENT_SECRET,
    OTHER_REALM,
    REALM,
    FakeQuickBooks,
)
from tests.accounting.orders import line, order

from .conftest import CHANNEL, QUICKBOOKS, config

pytestmark = pytest.mark.django_db


def paid(
    o: s.Order, gateway: str = "saleor_plugins.stripe", amount: Decimal | None = None
) -> s.Order:
    value = s.Money(amount if amount is not None else o.total_gross.amount, o.currency)
    pay = s.Payment("payment-1", gateway, "pi_1", value, created_at=o.created_at)
    return replace(o, payments=(pay,), total_charged=o.total_gross)


def deliver(host: Any, o: s.Order, event: EventType, version: str = "") -> delivery.Result:
    host.orders[o.id] = o
    (job_id,) = outbox.emit(event, o.id, [(QUICKBOOKS, CHANNEL)], version=version) or [
        Job.objects.filter(object_id=o.id, event=event.value).latest("id").id
    ]
    Job.objects.filter(id=job_id).update(status="pending", not_before=datetime.now(UTC))
    return delivery.deliver(job_id)


def cent_off() -> s.Order:
    """2.97 gross at 23 %: Saleor's tax 0.56, QuickBooks' 2.41 x 0.23 = 0.55."""
    return order([line(1, "0.99", 3, "0.23", "EUR")], "EUR")


def test_quickbooks_tax_recalculation_a_cent_off_gets_a_rounding_line(
    connected: FakeQuickBooks, host: Any
) -> None:
    o = paid(cent_off())
    assert deliver(host, o, EventType.ORDER_PAID, "1").outcome == "succeeded"
    (receipt,) = connected.docs("SalesReceipt")
    assert Decimal(receipt["TotalAmt"]) == Decimal("2.97") == o.total_gross.amount
    assert Decimal(receipt["TxnTaxDetail"]["TotalTax"]) == Decimal("0.55")  # its own figure
    rounding = receipt["Line"][-1]
    assert rounding["SalesItemLineDetail"]["ItemRef"] == {"value": "6"}
    assert rounding["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert Decimal(str(rounding["Amount"])) == Decimal("0.01")


def test_a_tax_code_with_another_rate_is_corrected_to_saleors_total_and_says_why(
    connected: FakeQuickBooks, host: Any
) -> None:
    host.configs[CHANNEL] = (True, config(tax_map="23% = 9"))  # code 9 is 0 % at QuickBooks
    o = paid(cent_off())
    result = deliver(host, o, EventType.ORDER_PAID, "1")
    assert result.outcome == "succeeded", result.error
    (receipt,) = connected.docs("SalesReceipt")  # updated in place, not a second document
    assert Decimal(receipt["TotalAmt"]) == o.total_gross.amount
    assert receipt["SyncToken"] == "1"
    last = receipt["Line"][-1]
    assert "tax code" in last["Description"] and Decimal(str(last["Amount"])) == Decimal("0.56")


def test_every_write_carries_a_requestid_and_a_replayed_one_books_nothing(
    connected: FakeQuickBooks, host: Any
) -> None:
    deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1")  # the customer now exists
    o = replace(paid(cent_off()), id="order-2", number="1002")
    connected.state.drop_next_answer = True  # QuickBooks books the receipt, the answer is lost
    assert deliver(host, o, EventType.ORDER_PAID, "1").outcome == "retry"
    job = Job.objects.get(object_id=o.id, event="order_paid")
    Job.objects.filter(id=job.id).update(not_before=datetime.now(UTC))
    result = delivery.deliver(job.id)
    assert result.outcome == "succeeded", result.error
    ids = connected.state.request_ids
    assert all(ids) and len(ids) == 4  # 1001: customer, receipt; 1002: receipt, retried
    assert ids[2] == ids[3] and ids[1] != ids[2] and len(ids[2]) <= 50
    assert [r["DocNumber"] for r in connected.docs("SalesReceipt")] == ["1001", "1002"]


def test_a_token_for_another_company_opens_the_circuit_and_books_nothing(
    connected: FakeQuickBooks, host: Any
) -> None:
    Connection.objects.filter(channel=CHANNEL).update(tenant_id=OTHER_REALM)
    result = deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1")
    assert result.outcome == "circuit" and "realm" in result.error
    assert ("POST", f"/v3/company/{OTHER_REALM}/customer", 403) in connected.state.requests
    assert connected.docs("Customer") == [] and connected.docs("SalesReceipt") == []


def test_the_realm_comes_from_intuits_callback(connected: FakeQuickBooks, host: Any) -> None:
    conn = Connection.objects.get(channel=CHANNEL)
    assert conn.tenant_id == REALM
    deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1")
    assert all(f"/company/{REALM}/" in p for m, p, _ in connected.state.requests if "/v3/" in p)


def test_429_pauses_sixty_seconds(connected: FakeQuickBooks, host: Any) -> None:
    connected.state.faults.append(("/customer", 429))
    result = deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1")
    assert (result.outcome, result.retry_after) == ("retry", 60.0)


def test_invoice_mode_books_an_invoice_and_a_payment_per_gateway(
    connected: FakeQuickBooks, host: Any
) -> None:
    host.configs[CHANNEL] = (True, config(sale_document="invoice"))
    base = order([line(1, "30", 1, "0.23", "EUR")], "EUR", gift_cards="10")
    o = paid(base, amount=Decimal("20"))
    assert deliver(host, o, EventType.ORDER_PAID, "1").outcome == "succeeded"
    (invoice,) = connected.docs("Invoice")
    assert Decimal(invoice["TotalAmt"]) == Decimal("30.00")
    booked = sorted(
        (p["DepositToAccountRef"]["value"], Decimal(str(p["TotalAmt"])))
        for p in connected.docs("Payment")
    )
    assert booked == [("36", Decimal("20")), ("37", Decimal("10"))]
    assert all(
        p["Line"][0]["LinkedTxn"][0]["TxnId"] == invoice["Id"] for p in connected.docs("Payment")
    )


def test_a_sales_receipt_cannot_split_money_so_gift_cards_make_it_an_invoice(
    connected: FakeQuickBooks, host: Any
) -> None:
    o = paid(order([line(1, "30", 1, "0.23", "EUR")], "EUR", gift_cards="10"), amount=Decimal(20))
    deliver(host, o, EventType.ORDER_PAID, "1")
    assert connected.docs("SalesReceipt") == [] and len(connected.docs("Invoice")) == 1
    assert sum(Decimal(str(p["TotalAmt"])) for p in connected.docs("Payment")) == Decimal(30)


def test_refunds_as_credit_memos_when_set(connected: FakeQuickBooks, host: Any) -> None:
    host.configs[CHANNEL] = (True, config(refund_document="credit_memo"))
    o = paid(cent_off())
    refund = s.Refund("refund-1", s.Money(Decimal("1.00"), "EUR"), gateway="saleor_plugins.stripe")
    o = replace(o, refunds=(refund,), total_refunded=refund.amount)
    assert deliver(host, o, EventType.ORDER_REFUNDED, "1").outcome == "succeeded"
    (memo,) = connected.docs("CreditMemo")
    assert Decimal(memo["TotalAmt"]) == Decimal("1.00") and connected.docs("RefundReceipt") == []


def test_refund_receipts_pay_back_from_the_gateways_account(
    connected: FakeQuickBooks, host: Any
) -> None:
    o = paid(cent_off())
    refund = s.Refund("refund-1", s.Money(Decimal("2.97"), "EUR"), gateway="saleor_plugins.stripe")
    deliver(
        host, replace(o, refunds=(refund,), total_refunded=refund.amount), EventType.ORDER_REFUNDED
    )
    (receipt,) = connected.docs("RefundReceipt")
    assert receipt["DepositToAccountRef"] == {"value": "36"}
    assert Decimal(receipt["TotalAmt"]) == Decimal("2.97")


def test_one_customer_per_email_and_guests_to_the_configured_customer(
    connected: FakeQuickBooks, host: Any
) -> None:
    deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1")
    second = replace(paid(cent_off()), id="order-2", number="1002")
    deliver(host, second, EventType.ORDER_PAID, "1")
    (customer,) = connected.docs("Customer")
    assert customer["PrimaryEmailAddr"] == {"Address": "buyer@example.com"}
    assert {r["CustomerRef"]["value"] for r in connected.docs("SalesReceipt")} == {customer["Id"]}
    connected.state.documents["Customer"]["58"] = {"Id": "58", "DisplayName": "Web shop guests"}
    host.configs[CHANNEL] = (True, config(guest_customer="58"))
    third = replace(paid(cent_off()), id="order-3", number="1003", email="other@example.com")
    deliver(host, third, EventType.ORDER_PAID, "1")
    assert len(connected.docs("Customer")) == 2  # the seeded guest one, none created
    assert connected.docs("SalesReceipt")[-1]["CustomerRef"] == {"value": "58"}


def test_a_customer_quickbooks_already_has_is_found_by_name_not_duplicated(
    connected: FakeQuickBooks, host: Any
) -> None:
    name = "buyer@example.com"  # what our mapping names a customer without a billing name
    connected.state.documents["Customer"]["77"] = {"Id": "77", "DisplayName": name}
    assert deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1").outcome == "succeeded"
    assert len(connected.docs("Customer")) == 1
    assert connected.docs("SalesReceipt")[0]["CustomerRef"] == {"value": "77"}


def test_the_token_is_refreshed_once_when_expired_and_the_newest_refresh_token_kept(
    connected: FakeQuickBooks, host: Any
) -> None:
    deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1")
    assert connected.state.token_calls == ["authorization_code"]  # no refresh while valid
    connected.expire_access_tokens()
    Connection.objects.filter(channel=CHANNEL).update(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    second = replace(paid(cent_off()), id="order-2", number="1002")
    assert deliver(host, second, EventType.ORDER_PAID, "1").outcome == "succeeded"
    assert connected.state.token_calls == ["authorization_code", "refresh_token"]
    stored = oauth.decrypt(Connection.objects.get(channel=CHANNEL).token)["refresh_token"]
    assert stored in connected.state.refresh  # the rotated one, which Intuit still accepts


def test_a_missing_item_mapping_pauses_the_channel_and_names_the_field(
    connected: FakeQuickBooks, host: Any
) -> None:
    host.configs[CHANNEL] = (True, config(gift_card_item=""))
    o = paid(order([line(1, "50", 1, "0", "EUR", gift_card=True)], "EUR"))
    result = deliver(host, o, EventType.ORDER_PAID, "1")
    assert result.outcome == "circuit" and "gift card item" in result.error
    assert connected.docs("SalesReceipt") == []


def test_a_duplicate_document_number_dead_letters_with_quickbooks_message(
    connected: FakeQuickBooks, host: Any
) -> None:
    deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1")
    result = deliver(host, replace(paid(cent_off()), id="order-9"), EventType.ORDER_PAID, "1")
    assert result.outcome == "dead" and "Duplicate Document Number" in result.error


def test_settings_refuse_a_value_that_is_not_a_quickbooks_id() -> None:
    with pytest.raises(SettingsErrors) as caught:
        QuickBooksSettings.parse(config(deposit_account="Bank; DROP"))
    assert "deposit_account" in caught.value.errors


def test_no_secret_in_the_sync_log(connected: FakeQuickBooks, host: Any) -> None:
    connected.state.faults.append(("/customer", 500))
    deliver(host, paid(cent_off()), EventType.ORDER_PAID, "1")
    text = " ".join(f"{a.error} {a.detail}" for a in Attempt.objects.all())
    tokens = [*connected.state.access, *connected.state.refresh, CLIENT_SECRET]
    assert text and not [t for t in tokens if t in text]


def backlog(host: Any) -> Any:
    from saleor_plugins.quickbooks.connector import QuickBooksIntegration

    cfg = QuickBooksSettings.parse(host.configs[CHANNEL][1])
    return QuickBooksIntegration(cfg, channel=CHANNEL, host=host())


def many(count: int, start: int = 1) -> list[s.Order]:
    return [
        replace(paid(cent_off()), id=f"order-{n}", number=str(1000 + n), email=f"s{n % 3}@x.io")
        for n in range(start, start + count)
    ]


def test_a_backlog_is_booked_in_batches_of_thirty_and_a_refused_item_alone_fails(
    connected: FakeQuickBooks, host: Any
) -> None:
    connected.state.documents["SalesReceipt"]["1"] = {"Id": "1", "DocNumber": "1007"}
    orders = many(40)
    refused = backlog(host).book_many(orders)
    assert list(refused) == ["order-7"] and "Duplicate Document Number" in refused["order-7"]
    receipts = [r for r in connected.docs("SalesReceipt") if r["Id"] != "1"]
    assert len(receipts) == 39 and len(connected.docs("Customer")) == 3
    assert all(Decimal(r["TotalAmt"]) == Decimal("2.97") for r in receipts)  # rounding line
    batches = [p for m, p, _ in connected.state.requests if p.endswith("/batch")]
    assert len(batches) == 3  # one for the customers, two for 40 receipts
    again = backlog(host).book_many(orders)  # re-run: only the refused one is tried
    assert list(again) == ["order-7"]
    assert len(connected.docs("SalesReceipt")) == 40


def test_a_batch_whose_answer_was_lost_is_replayed_not_applied_twice(
    connected: FakeQuickBooks, host: Any
) -> None:
    orders = many(5)
    backlog(host)._customers(orders)  # customers first, so the next batch is the receipts
    connected.state.drop_next_answer = True
    with pytest.raises(TransientError):
        backlog(host).book_many(orders)
    assert backlog(host).book_many(orders) == {}
    assert len(connected.docs("SalesReceipt")) == 5
    ids = [i for i in connected.state.request_ids]
    assert ids[-1] == ids[-2]  # the same batch, the same requestid
