"""Stripe payouts in the books, for every accounting provider, through the kernel alone.

Three channels take payments through one Stripe account; ``c1`` and ``c2`` book into one
organisation, ``c3`` into another. A signed ``payout.paid`` webhook reaches the Stripe
integration (its receiver, a worker's job, the payout's balance transactions listed
from the fake Stripe through the SDK's requestor), the kernel hands the itemised payout
to the accounting integration of each channel, and each organisation gets one transfer
from the Stripe clearing account to the bank and one fee expense: the bank deposit and
the ledger agree to the cent. Replays, lost answers and a payout that fails later are
checked at the fake providers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from saleor_plugins.core import delivery, oauth, webhooks
from saleor_plugins.core.host import Installation, get_host
from saleor_plugins.core.models import Attempt, Connection, InboundEvent, Job, JobStatus
from saleor_plugins.core.settings import SettingsErrors
from saleor_plugins.quickbooks.settings import QuickBooksSettings
from saleor_plugins.stripe.connector import PLUGIN_ID as STRIPE
from saleor_plugins.stripe.webhooks import StripeReceiver
from saleor_plugins.testing.providers.quickbooks import OTHER_REALM, REALM, FakeQuickBooks
from saleor_plugins.testing.providers.stripe import FakeStripe, event, make_payout, sign
from saleor_plugins.testing.providers.xero import TENANT, FakeXero, dp
from saleor_plugins.xero import client as xero_client
from saleor_plugins.xero.settings import XeroSettings
from tests.quickbooks import conftest as qb
from tests.stripe.conftest import RAW_SETTINGS, WEBHOOK_SECRET, make_settings, serving
from tests.xero import conftest as xero

pytestmark = pytest.mark.django_db
CHANNELS = ("c1", "c2", "c3")
OTHER_TENANT = "b1f5e0c2-0000-4000-8000-00000000beef"
REDIRECT = "https://shop.example.com/callback"


class PayoutHost:
    """The kernel's Host: installations of several integrations in several channels."""

    configs: ClassVar[dict[tuple[str, str], tuple[bool, dict[str, Any]]]] = {}

    def installation(self, integration: str, channel: str) -> Installation | None:
        if (integration, channel) not in self.configs:
            return None
        active, values = self.configs[(integration, channel)]
        items = [{"name": k, "value": v} for k, v in values.items()]
        return Installation(integration, channel, active, items)

    def installations(self, integration: str | None = None) -> list[Installation]:
        found = [self.installation(i, c) for i, c in self.configs if integration in (None, i)]
        return [x for x in found if x is not None]

    def read(self, object_type: str, object_id: str, channel: str) -> Any | None:
        return None

    def iter_ids(self, object_type: str, channel: str) -> Iterator[str]:
        return iter(())

    def iter_objects(self, object_type: str, channel: str, *, page_size: int = 500) -> Any:
        return iter(())

    def recent_changes(self, since: Any) -> Iterator[Any]:
        return iter(())

    def customer_channels(self, customer_id: str) -> tuple[str, ...]:
        return ()


@dataclass
class Books:
    """One accounting provider's fake, as the tests read it (amounts as Decimal)."""

    name: str
    integration: str
    fake: Any
    config: Callable[..., dict[str, Any]]
    clearing: str  # the Stripe gateway's payment account in the channel's settings
    bank: str
    fees_account: str
    orgs: tuple[str, str]
    connect: Callable[[str, str], None]  # channel, organisation
    transfers: Callable[[str], list[tuple[str, str, Decimal]]]  # from, to, amount
    fees: Callable[[str], list[tuple[str, str, str, Decimal]]]  # kind, from, to, amount
    requests: Callable[[], int]


def _xero(fake: FakeXero) -> Books:
    fake.state.tenants.append(
        {"tenantId": OTHER_TENANT, "tenantName": "Other Co", "tenantType": "ORGANISATION"}
    )

    def connect(channel: str, org: str) -> None:
        p = xero_client.provider(XeroSettings.parse(xero.config()))
        code, state = fake.authorize(oauth.begin(p, xero.XERO, channel, REDIRECT))
        oauth.complete(p, xero.XERO, channel, state=state, code=code, redirect_uri=REDIRECT)
        Connection.objects.filter(channel=channel).update(tenant_id=org, tenant_name=org)

    return Books(
        name="xero",
        integration=xero.XERO,
        fake=fake,
        config=lambda **kw: xero.config(
            **{"payout_bank_account": "090", "payout_fees_account": "404", **kw}
        ),
        clearing="091",
        bank="090",
        fees_account="404",
        orgs=(TENANT, OTHER_TENANT),
        connect=connect,
        transfers=lambda org: [
            (d["FromBankAccount"]["Code"], d["ToBankAccount"]["Code"], dp(d["Amount"]))
            for d in fake.docs("BankTransfers", org)
        ],
        fees=lambda org: [
            (d["Type"], d["BankAccount"]["Code"], d["LineItems"][0]["AccountCode"], dp(d["Total"]))
            for d in fake.docs("BankTransactions", org)
        ],
        requests=lambda: len(fake.state.requests),
    )


def _quickbooks(fake: FakeQuickBooks) -> Books:
    def connect(channel: str, org: str) -> None:
        fake.state.realm = org
        qb.connect(fake, channel)

    def fees(org: str) -> list[tuple[str, str, str, Decimal]]:
        spent = [
            ("SPEND", d["AccountRef"]["value"],
             d["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"],
             Decimal(str(d["TotalAmt"])))
            for d in fake.docs("Purchase", org)
        ]  # fmt: skip
        received = [
            ("RECEIVE", d["DepositToAccountRef"]["value"],
             d["Line"][0]["DepositLineDetail"]["AccountRef"]["value"],
             Decimal(str(d["TotalAmt"])))
            for d in fake.docs("Deposit", org)
        ]  # fmt: skip
        return spent + received

    return Books(
        name="quickbooks",
        integration=qb.QUICKBOOKS,
        fake=fake,
        config=lambda **kw: qb.config(
            **{"payout_bank_account": "35", "payout_fees_account": "60", **kw}
        ),
        clearing="36",
        bank="35",
        fees_account="60",
        orgs=(REALM, OTHER_REALM),
        connect=connect,
        transfers=lambda org: [
            (d["FromAccountRef"]["value"], d["ToAccountRef"]["value"], Decimal(str(d["Amount"])))
            for d in fake.docs("Transfer", org)
        ],
        fees=fees,
        requests=lambda: len(fake.state.requests),
    )


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    with serving() as server:
        yield server


@pytest.fixture(params=["xero", "quickbooks"])
def books(request: Any, settings: Any, stripe_fake: FakeStripe) -> Iterator[Books]:
    settings.SALEOR_PLUGINS_HOST = "tests.accounting.test_payouts.PayoutHost"
    get_host.cache_clear()
    fake_class = FakeXero if request.param == "xero" else FakeQuickBooks
    with fake_class() as fake:
        if request.param == "xero":
            for name in ("API", "LOGIN", "IDENTITY"):
                setattr(settings, f"SALEOR_PLUGINS_XERO_{name}_URL", fake.url)
            found = _xero(fake)
        else:
            qb.point_at(fake, settings)
            found = _quickbooks(fake)
        PayoutHost.configs = {(STRIPE, c): (True, dict(RAW_SETTINGS)) for c in CHANNELS}
        for channel, org in zip(
            CHANNELS, (found.orgs[0], found.orgs[0], found.orgs[1]), strict=True
        ):
            PayoutHost.configs[(found.integration, channel)] = (True, found.config())
            found.connect(channel, org)
        yield found
    get_host.cache_clear()


def send(fake: FakeStripe, type_: str, payout: dict[str, Any], event_id: str = "") -> int:
    """Stripe posts a signed event to channel c2's endpoint (any channel of the account)."""
    evt = event(fake.state, type_, payout)
    evt["id"] = event_id or evt["id"]
    body = json.dumps(evt).encode()
    code, _ = webhooks.receive(
        StripeReceiver(),
        integration=STRIPE,
        channel="c2",
        settings=make_settings(),
        path="webhooks/",
        body=body,
        headers={"stripe-signature": sign(body, WEBHOOK_SECRET)},
    )
    return code


def run_jobs() -> list[str]:
    """Deliver every pending job, including the ones delivering writes."""
    outcomes: list[str] = []
    done: set[int] = set()
    while ids := [
        i
        for i in Job.objects.filter(status=JobStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
        if i not in done
    ]:
        outcomes += [delivery.deliver(i).outcome for i in ids]
        done.update(ids)
    return outcomes


def a_payout(fake: FakeStripe, **kwargs: Any) -> dict[str, Any]:
    """Three charges (fees 2.9 % + 0.25) and a refund: 88.33 - 5.00 - 3.31 = 80.02."""
    kwargs.setdefault("charges", [(3000, 112), (4599, 158), (1234, 61)])
    kwargs.setdefault("refunds", [500])
    return make_payout(fake.state, **kwargs)


def test_a_paid_payout_is_one_transfer_and_its_fees_in_each_organisation(
    books: Books, stripe_fake: FakeStripe
) -> None:
    payout = a_payout(stripe_fake)
    assert send(stripe_fake, "payout.paid", payout) == 200
    assert books.transfers(books.orgs[0]) == []  # nothing in the provider's request
    assert set(run_jobs()) == {"succeeded"}
    charges, refunds, fees, net = (
        Decimal("88.33"),
        Decimal("5.00"),
        Decimal("3.31"),
        Decimal("80.02"),
    )
    assert Decimal(payout["amount"]) / 100 == net
    for org in books.orgs:  # c1 and c2 share the first: booked there once
        assert books.transfers(org) == [(books.clearing, books.bank, net)]
        assert books.fees(org) == [("SPEND", books.clearing, books.fees_account, fees)]
    # the clearing account: payments in, the refund, the fees and the transfer out: zero
    assert charges - refunds - fees - net == 0
    details = [a.detail for a in Attempt.objects.filter(integration=books.integration)]
    assert sum("is booked by channel" in d for d in details) == 1


def test_a_replayed_webhook_or_job_books_nothing_twice(
    books: Books, stripe_fake: FakeStripe
) -> None:
    payout = a_payout(stripe_fake)
    send(stripe_fake, "payout.paid", payout, "evt_payout_1")
    run_jobs()
    requests = books.requests()
    assert send(stripe_fake, "payout.paid", payout, "evt_payout_1") == 200  # Stripe retried
    assert send(stripe_fake, "payout.paid", payout, "evt_payout_again") == 200  # resent anew
    assert InboundEvent.objects.count() == 2
    run_jobs()
    Job.objects.filter(integration=books.integration).update(status=JobStatus.PENDING)
    run_jobs()  # every booking job replayed (saleor_plugins_replay)
    for org in books.orgs:
        assert len(books.transfers(org)) == 1 and len(books.fees(org)) == 1
    assert books.requests() == requests  # the ledger answered: not even a call


def test_an_answer_lost_after_the_provider_wrote_is_not_booked_twice(
    books: Books, stripe_fake: FakeStripe
) -> None:
    books.fake.state.drop_next_answer = True
    send(stripe_fake, "payout.paid", a_payout(stripe_fake))
    assert "retry" in run_jobs()
    Job.objects.filter(status=JobStatus.PENDING).update(not_before="2000-01-01T00:00Z")
    run_jobs()
    for org in books.orgs:
        assert len(books.transfers(org)) == 1 and len(books.fees(org)) == 1


def test_a_payout_that_fails_after_booking_comes_back_from_the_bank(
    books: Books, stripe_fake: FakeStripe
) -> None:
    payout = a_payout(stripe_fake)
    send(stripe_fake, "payout.paid", payout)
    run_jobs()
    send(stripe_fake, "payout.failed", {**payout, "status": "failed"})
    send(stripe_fake, "payout.failed", {**payout, "status": "failed"})  # another event id
    assert set(run_jobs()) == {"succeeded"}
    net = Decimal(payout["amount"]) / 100
    for org in books.orgs:
        assert sorted(books.transfers(org)) == sorted(
            [(books.clearing, books.bank, net), (books.bank, books.clearing, net)]
        )
        assert len(books.fees(org)) == 1  # charged with the payments: they stay


def test_a_payout_failed_before_it_was_booked_books_its_fees_and_no_transfer(
    books: Books, stripe_fake: FakeStripe
) -> None:
    payout = a_payout(stripe_fake)
    send(stripe_fake, "payout.failed", {**payout, "status": "failed"})
    run_jobs()
    send(stripe_fake, "payout.paid", payout)  # arrives late, out of order
    run_jobs()
    for org in books.orgs:
        assert books.transfers(org) == []
        assert [f[3] for f in books.fees(org)] == [Decimal("3.31")]


def test_a_forged_payout_webhook_is_refused_and_books_nothing(
    books: Books, stripe_fake: FakeStripe
) -> None:
    body = json.dumps(event(stripe_fake.state, "payout.paid", a_payout(stripe_fake))).encode()
    code, _ = webhooks.receive(
        StripeReceiver(),
        integration=STRIPE,
        channel="c1",
        settings=make_settings(),
        path="webhooks/",
        body=body,
        headers={"stripe-signature": sign(body, "whsec_forged0000000000000000000000")},
    )
    assert code == 400
    assert InboundEvent.objects.count() == 0 and Job.objects.count() == 0
    assert all(books.transfers(org) == [] for org in books.orgs)


def test_many_pages_of_transactions_in_a_zero_decimal_currency_add_up_exactly(
    books: Books, stripe_fake: FakeStripe
) -> None:
    # 250 charges of ¥1,999 at 3.6 % (¥72 each) and a dispute of ¥5,000 with its ¥1,500 fee
    payout = make_payout(
        stripe_fake.state,
        currency="jpy",
        charges=[(1999, 72)] * 250,
        other=[("dispute", -5000, 1500)],
    )
    send(stripe_fake, "payout.paid", payout)
    run_jobs()
    pages = [r for r in stripe_fake.state.requests if r.path == "/v1/balance_transactions"]
    assert len(pages) == 3  # 252 transactions, 100 a page
    net, fees = Decimal(250 * (1999 - 72) - 5000 - 1500), Decimal(250 * 72 + 1500)
    assert Decimal(payout["amount"]) == net
    for org in books.orgs:
        assert books.transfers(org) == [(books.clearing, books.bank, net)]
        assert [f[3] for f in books.fees(org)] == [fees]
    detail = Attempt.objects.filter(integration=STRIPE).latest("id").detail
    assert "other -5000)" in detail  # the disputed amount stays in the clearing account


def test_a_manual_payout_is_booked_by_its_amount_without_fees(
    books: Books, stripe_fake: FakeStripe
) -> None:
    payout = a_payout(stripe_fake, automatic=False)
    send(stripe_fake, "payout.paid", payout)
    assert set(run_jobs()) == {"succeeded"}
    assert not any(r.path == "/v1/balance_transactions" for r in stripe_fake.state.requests)
    for org in books.orgs:
        assert books.transfers(org) == [(books.clearing, books.bank, Decimal("80.02"))]
        assert books.fees(org) == []


def test_a_channel_without_a_payout_account_books_no_payout(
    books: Books, stripe_fake: FakeStripe
) -> None:
    for channel in CHANNELS:
        PayoutHost.configs[(books.integration, channel)] = (
            True,
            books.config(payout_bank_account="", payout_fees_account=""),
        )
    send(stripe_fake, "payout.paid", a_payout(stripe_fake))
    assert set(run_jobs()) == {"succeeded"}
    assert all(books.transfers(org) == [] and books.fees(org) == [] for org in books.orgs)
    details = {a.detail for a in Attempt.objects.filter(integration=books.integration)}
    assert details == {"payouts are not booked in this channel (no payout account)"}


def test_a_payout_account_that_is_the_clearing_account_is_a_setting_to_fix(
    books: Books, stripe_fake: FakeStripe
) -> None:
    PayoutHost.configs[(books.integration, "c3")] = (
        True,
        books.config(payout_bank_account=books.clearing),
    )
    send(stripe_fake, "payout.paid", a_payout(stripe_fake))
    run_jobs()
    assert books.transfers(books.orgs[1]) == [] and books.fees(books.orgs[1]) == []
    attempt = Attempt.objects.get(integration=books.integration, channel="c3")
    assert attempt.outcome == "circuit"  # the merchant is told; the job waits for the fix
    assert "a payout would be a transfer to itself" in attempt.error
    assert len(books.transfers(books.orgs[0])) == 1  # the other organisation is not held up


@pytest.mark.parametrize(
    ("settings_class", "config", "bad"),
    [(XeroSettings, xero.config, "not a code!"), (QuickBooksSettings, qb.config, "3-5")],
)
def test_payout_settings_are_checked_with_the_field_named(
    settings_class: Any, config: Callable[..., dict[str, Any]], bad: str
) -> None:
    with pytest.raises(SettingsErrors) as caught:
        settings_class.parse(config(payout_bank_account="090"))
    assert list(caught.value.errors) == ["payout_fees_account"]
    with pytest.raises(SettingsErrors) as caught:
        settings_class.parse(config(payout_bank_account=bad, payout_fees_account="404"))
    assert list(caught.value.errors) == ["payout_bank_account"]
    assert settings_class.parse(config()).payout_bank_account == ""  # off by default
