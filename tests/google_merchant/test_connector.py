"""Live sync through the kernel: product jobs -> Merchant API calls (fake server)."""

from __future__ import annotations

from decimal import Decimal

from saleor_plugins.core import delivery, outbox, status
from saleor_plugins.core import snapshots as s
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Attempt, Circuit, Job, JobStatus
from saleor_plugins.testing.providers.google_merchant import FakeMerchant

from .conftest import ACCOUNT, CHANNEL, DATA_SOURCE, PAST, product, variant

GM = "saleor_plugins.google_merchant"
TARGET = [(GM, CHANNEL)]
SOURCE = f"accounts/{ACCOUNT}/dataSources/{DATA_SOURCE}"


def upserted(pid: str) -> int:
    return outbox.emit(EventType.PRODUCT_UPSERTED, pid, TARGET)[0]


def test_a_product_change_upserts_one_offer_per_variant(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["p1"] = product("p1", (variant("a"), variant("b")))
    assert delivery.deliver(upserted("p1")).outcome == "succeeded"
    offers = merchant.offers(SOURCE)
    assert set(offers) == {"a", "b"}
    assert offers["a"]["productAttributes"]["itemGroupId"] == "p1"
    assert offers["a"]["productAttributes"]["price"] == {
        "amountMicros": "19990000",
        "currencyCode": "USD",
    }


def test_an_edit_reaches_google(installed: dict[str, s.Product], merchant: FakeMerchant) -> None:
    installed["p1"] = product("p1")
    delivery.deliver(upserted("p1"))
    price = s.ChannelPrice(CHANNEL, s.Money(Decimal("9.50"), "USD"))
    installed["p1"] = product("p1", (variant("v1", prices=(price,)),), name="Linen shirt")
    delivery.deliver(upserted("p1"))
    attrs = merchant.offers()["v1"]["productAttributes"]
    assert attrs["title"] == "Linen shirt" and attrs["price"]["amountMicros"] == "9500000"


def test_a_variant_losing_its_price_is_removed_while_the_others_stay(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["p1"] = product("p1", (variant("a"), variant("b")))
    delivery.deliver(upserted("p1"))
    installed["p1"] = product("p1", (variant("a"), variant("b", prices=())))
    delivery.deliver(upserted("p1"))
    assert set(merchant.offers()) == {"a"}


def test_unpublishing_or_leaving_the_channel_deletes_the_offers(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["p1"] = product("p1", (variant("a"), variant("b")))
    delivery.deliver(upserted("p1"))
    hidden = (s.ChannelListing(CHANNEL, False, available_for_purchase_at=PAST),)
    installed["p1"] = product("p1", (variant("a"), variant("b")), listings=hidden)
    delivery.deliver(upserted("p1"))
    assert merchant.offers() == {}
    installed["p1"] = product("p1", (variant("a"),))
    delivery.deliver(upserted("p1"))
    installed["p1"] = product("p1", (variant("a"),), listings=())
    delivery.deliver(upserted("p1"))
    assert merchant.offers() == {}


def test_deleting_a_product_deletes_the_offers_of_its_variants(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["p1"] = product("p1", (variant("a"), variant("b")))
    installed["p2"] = product("p2", (variant("c"),))
    delivery.deliver(upserted("p1"))
    delivery.deliver(upserted("p2"))
    del installed["p1"]
    job = outbox.emit(EventType.PRODUCT_DELETED, "p1", TARGET, payload={"variant_ids": ["a", "b"]})
    assert delivery.deliver(job[0]).outcome == "succeeded"
    assert set(merchant.offers()) == {"c"}


def test_pending_product_jobs_of_the_channel_go_out_in_one_batch(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    ids = []
    for i in range(12):
        installed[f"p{i}"] = product(f"p{i}", (variant(f"v{i}a"), variant(f"v{i}b")))
        ids.append(upserted(f"p{i}"))
    assert delivery.deliver(ids[0]).outcome == "succeeded"
    assert merchant.http_requests["batch"] == 1 and len(merchant.offers()) == 24
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.SUCCEEDED}
    assert Attempt.objects.filter(outcome="succeeded").count() == 12
    # the workers that receive the other jobs find nothing left to do
    assert {delivery.deliver(i).outcome for i in ids[1:]} == {"not-claimed"}


def test_jobs_of_another_channel_are_not_sent_with_them(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["p1"] = product("p1")
    other = outbox.emit(EventType.PRODUCT_UPSERTED, "p2", [(GM, "other-channel")])
    delivery.deliver(upserted("p1"))
    assert Job.objects.get(id=other[0]).status == JobStatus.PENDING


def test_a_refused_offer_dead_letters_its_product_with_googles_reason_only(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["bad"] = product("bad", (variant("x"),))
    installed["good"] = product("good", (variant("y"),))
    merchant.refuse_offer["x"] = "[gtin] Invalid GTIN"
    bad, good = upserted("bad"), upserted("good")
    result = delivery.deliver(bad)
    assert (
        result.outcome == "dead" and "offer x: " in result.error and "Invalid GTIN" in result.error
    )
    assert Job.objects.get(id=good).status == JobStatus.SUCCEEDED
    assert set(merchant.offers()) == {"y"}


def test_refused_credentials_open_the_circuit_once_instead_of_one_error_per_product(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    merchant.refuse_token = True
    ids = []
    for i in range(30):
        installed[f"p{i}"] = product(f"p{i}", (variant(f"v{i}"),))
        ids.append(upserted(f"p{i}"))
    outcomes = [delivery.deliver(i).outcome for i in ids]
    assert outcomes[0] == "circuit"
    assert merchant.http_requests["token"] <= 2 and merchant.api_calls() == []
    breaker = Circuit.objects.get(integration=GM, channel=CHANNEL)
    assert breaker.is_open and breaker.failures == 1  # one refusal, not one per product
    assert "PRIVATE KEY" not in breaker.reason
    # every job waits, none spent an attempt or died
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.PENDING}
    assert set(Job.objects.values_list("attempts", flat=True)) == {0}
    assert "PAUSED, credentials refused" in status.summary(GM, CHANNEL)


def test_an_outage_retries_every_job_of_the_batch(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    merchant.fail_with = 503
    for i in range(3):
        installed[f"p{i}"] = product(f"p{i}", (variant(f"v{i}"),))
    ids = [upserted(f"p{i}") for i in range(3)]
    assert delivery.deliver(ids[0]).outcome == "retry"
    jobs = Job.objects.filter(id__in=ids)
    assert {j.status for j in jobs} == {JobStatus.PENDING} and {j.attempts for j in jobs} == {1}


def test_a_variant_deleted_from_the_product_has_its_offer_deleted(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["p1"] = product("p1", (variant("a"), variant("b")))
    delivery.deliver(upserted("p1"))
    installed["p1"] = product("p1", (variant("a"),))  # variant b deleted in Saleor
    delivery.deliver(upserted("p1"))
    assert set(merchant.offers()) == {"a"}


def test_a_product_read_as_gone_has_the_offers_we_sent_deleted(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["p1"] = product("p1", (variant("a"), variant("b")))
    installed["p2"] = product("p2", (variant("c"),))
    delivery.deliver(upserted("p1"))
    delivery.deliver(upserted("p2"))
    del installed["p1"]
    assert delivery.deliver(upserted("p1")).outcome == "succeeded"
    assert set(merchant.offers()) == {"c"}


def test_an_offer_never_sent_is_never_deleted(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    # no image: left out, so never sent; every later change used to DELETE it (a 404)
    installed["p1"] = product("p1", (variant("a"),), media=())
    for _ in range(3):
        assert delivery.deliver(upserted("p1")).outcome == "succeeded"
    # listed in another channel only: never sent here either
    installed["p2"] = product("p2", (variant("b"),), listings=())
    assert delivery.deliver(upserted("p2")).outcome == "succeeded"
    job = outbox.emit(EventType.PRODUCT_DELETED, "p2", TARGET, payload={"variant_ids": ["b"]})
    assert delivery.deliver(job[0]).outcome == "succeeded"
    assert merchant.api_calls("DELETE") == [] and merchant.api_calls() == []
    assert Attempt.objects.filter(object_id="p1").last().detail == (  # type: ignore[union-attr]
        "0 offer(s) upserted, 0 removed (1 without image_link)"
    )


def test_an_offer_sent_is_deleted_once_when_its_variant_is_left_out(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    installed["p1"] = product("p1", (variant("a"), variant("b")))
    delivery.deliver(upserted("p1"))
    installed["p1"] = product("p1", (variant("a"), variant("b", prices=())))
    delivery.deliver(upserted("p1"))
    delivery.deliver(upserted("p1"))  # b is still left out: nothing more to delete
    assert len(merchant.api_calls("DELETE")) == 1
    assert set(merchant.offers()) == {"a"}


def test_the_kernel_ledger_holds_the_product_while_google_holds_one_of_its_offers(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    from saleor_plugins.core import ledger

    installed["p1"] = product("p1", (variant("a"), variant("b")))
    delivery.deliver(upserted("p1"))
    assert ledger.holders("product", "p1") == {(GM, CHANNEL)}
    installed["p1"] = product("p1", (variant("a", prices=()), variant("b")))
    delivery.deliver(upserted("p1"))
    assert ledger.holders("product", "p1") == {(GM, CHANNEL)}  # b is still at Google
    installed["p1"] = product("p1", (variant("a"), variant("b")), listings=())
    delivery.deliver(upserted("p1"))
    assert merchant.offers() == {}
    assert ledger.holders("product", "p1") == set()
