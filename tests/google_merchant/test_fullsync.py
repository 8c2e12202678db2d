"""Full sync, status pull, the management command and the tasks (fake Merchant API)."""

from __future__ import annotations

import gc
import io
import itertools
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from saleor_plugins.core import snapshots as s
from saleor_plugins.core.host import get_host
from saleor_plugins.core.models import Circuit
from saleor_plugins.google_merchant import fullsync, statuses, tasks
from saleor_plugins.google_merchant.client import MerchantClient
from saleor_plugins.google_merchant.models import StatusReport
from saleor_plugins.google_merchant.settings import GoogleMerchantSettings
from saleor_plugins.testing.providers.google_merchant import FakeMerchant

from .conftest import ACCOUNT, CHANNEL, DATA_SOURCE, PAST, product, variant

SOURCE = f"accounts/{ACCOUNT}/dataSources/{DATA_SOURCE}"
GM = "saleor_plugins.google_merchant"


def sync(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("saleor_plugins_google_merchant_sync", "--channel", CHANNEL, *args,
                 stdout=out, stderr=err)  # fmt: skip
    return out.getvalue()


def fill(catalogue: dict[str, s.Product], n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        catalogue[f"p{i}"] = product(f"p{i}", (variant(f"v{i}a"), variant(f"v{i}b")))


def test_full_sync_upserts_the_catalogue_in_batches(
    installed: dict[str, s.Product], merchant: FakeMerchant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MerchantClient, "batch_limit", 50)
    fill(installed, 100)
    line = sync()
    assert len(merchant.offers(SOURCE)) == 200
    assert "200 offers upserted" in line
    assert merchant.http_requests["batch"] == 4 and merchant.http_requests["single"] == 1


def test_full_sync_fills_every_batch_to_the_limit(
    installed: dict[str, s.Product], merchant: FakeMerchant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """36 offers, 4 per product, batches of 10: 10+10+10+6, not 10+2 per 12 gathered."""
    monkeypatch.setattr(MerchantClient, "batch_limit", 10)
    for i in range(9):
        installed[f"p{i}"] = product(f"p{i}", tuple(variant(f"v{i}{x}") for x in "abcd"))
    line = sync()
    assert merchant.batch_sizes == [10, 10, 10, 6]
    assert "36 offers upserted" in line and "in 4 batch requests" in line
    assert len(merchant.offers(SOURCE)) == 36


def test_full_sync_reports_dropped_gtins_and_how_categories_matched(
    installed: dict[str, s.Product], merchant: FakeMerchant, config: dict[str, Any]
) -> None:
    good = (s.Attribute("gtin", "GTIN", ("4006381333931",)),)
    bad = (s.Attribute("gtin", "GTIN", ("4006381333932",)),)
    installed["p1"] = product("p1", (variant("a", attributes=good), variant("b", attributes=bad)),
                              category_slugs=("apparel", "shirts-tops"))  # fmt: skip
    installed["p2"] = product("p2", (variant("p2-v"),), category_slugs=("apparel", "tees"))
    mapping = "shirts-tops = 212\nshirts = 5"
    gm = GoogleMerchantSettings.parse(
        config | {"gtin_attribute": "gtin", "category_mapping": mapping}
    )
    line = fullsync.full_sync(CHANNEL, gm, get_host()).line()
    assert "1 GTIN values dropped (wrong length or check digit)" in line
    assert "2 categories matched by slug" in line and "1 categories matched by name" in line
    sent = merchant.offers(SOURCE)
    assert sent["a"]["productAttributes"]["gtins"] == ["4006381333931"]
    assert "gtins" not in sent["b"]["productAttributes"]
    assert sent["p2-v"]["productAttributes"]["googleProductCategory"] == "5"


def test_a_full_sync_failing_mid_catalogue_leaves_the_garbage_collector_as_it_was(
    installed: dict[str, s.Product], merchant: FakeMerchant, config: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The collector is paused over the catalogue (core.collector), never left paused."""
    fill(installed, 3)
    host = get_host()
    listed = host.iter_objects

    def failing(*args: Any, **kwargs: Any) -> Any:
        yield from itertools.islice(listed(*args, **kwargs), 2)
        assert not gc.isenabled()  # paused while the catalogue streams
        raise ConnectionError("the database went away")

    monkeypatch.setattr(host, "iter_objects", failing)
    gc.enable()
    with pytest.raises(ConnectionError):
        fullsync.full_sync(CHANNEL, GoogleMerchantSettings.parse(config), host)
    assert gc.isenabled()


def test_full_sync_deletes_every_stale_offer_of_ours_and_nothing_else(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    fill(installed, 10)
    sync()
    del installed["p0"]  # deleted while the worker was down
    hidden = (s.ChannelListing(CHANNEL, False, available_for_purchase_at=PAST),)
    installed["p1"] = product("p1", (variant("v1a"), variant("v1b")), listings=hidden)
    installed["p2"] = product("p2", (variant("v2a"),))  # a variant removed
    foreign = {"offerId": "foreign", "contentLanguage": "en", "feedLabel": "US"}
    merchant.inputs[("accounts/123456/dataSources/1", "en~US~foreign")] = foreign
    line = sync()
    assert "5 stale offers deleted" in line
    left = set(merchant.offers(SOURCE))
    assert left == {f"v{i}{x}" for i in range(3, 10) for x in "ab"} | {"v2a"}
    assert "foreign" in merchant.offers()  # another data source is not ours


def test_full_sync_keeps_offers_when_the_channel_suddenly_yields_under_half(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    fill(installed, 10)
    sync()
    for i in range(7):
        del installed[f"p{i}"]
    line = sync()
    assert "stale offers kept" in line and len(merchant.offers()) == 20
    assert "14 stale offers deleted" in sync("--force")
    assert len(merchant.offers()) == 6


def test_feed_from_the_command(installed: dict[str, s.Product], merchant: FakeMerchant,
                               settings: Any, tmp_path: Any) -> None:  # fmt: skip
    settings.STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                     "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    fill(installed, 3)
    assert "Feed published" in sync("--feed") and "6 rows" in sync("--feed")


def test_the_command_refuses_a_channel_where_the_plugin_is_not_active(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    with pytest.raises(CommandError, match="not active"):
        call_command("saleor_plugins_google_merchant_sync", "--channel", "elsewhere")


def test_a_refused_key_stops_the_sync_and_opens_the_circuit(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    merchant.refuse_token = True
    fill(installed, 5)
    with pytest.raises(CommandError, match="AuthenticationError"):
        sync()
    assert Circuit.objects.get(integration=GM, channel=CHANNEL).is_open
    assert merchant.api_calls() == []


def test_create_data_source_prints_its_id(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    assert "Created API data source 9001" in sync("--create-data-source")


Countries = tuple[str, ...]


def status(*, approved: Countries = (), pending: Countries = (), disapproved: Countries = (),
           issues: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    return {
        "destinationStatuses": [{
            "reportingContext": "SHOPPING_ADS", "approvedCountries": list(approved),
            "pendingCountries": list(pending), "disapprovedCountries": list(disapproved),
        }],
        "itemLevelIssues": [
            {"code": c, "description": c, "severity": "DISAPPROVED", "applicableCountries": ["US"]}
            for c in issues
        ],
    }  # fmt: skip


def test_status_pull_counts_offers_and_ranks_reasons(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    fill(installed, 3)
    sync()
    merchant.statuses = {
        "v0a": status(approved=("US",)),
        "v0b": status(pending=("US",)),
        "v1a": status(disapproved=("US",), issues=("Missing GTIN", "Image too small")),
        "v1b": status(disapproved=("US",), issues=("Image too small",)),
        "v2a": status(approved=("DE",), disapproved=("US",), issues=("Image too small",)),
    }
    assert tasks.pull_statuses() == 1
    report = StatusReport.objects.get()
    assert (report.approved, report.pending, report.disapproved) == (1, 2, 3)
    assert report.top_reasons[0] == ["Image too small", 3]
    text = statuses.summary(CHANNEL)
    assert "1 approved, 2 pending, 3 disapproved" in text and "Missing GTIN (1)" in text


def test_a_refused_key_during_the_status_pull_is_one_error_for_the_merchant(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    merchant.refuse_token = True
    tasks.pull_statuses()
    tasks.pull_statuses()  # the circuit is open: not tried again
    assert merchant.http_requests["token"] == 1
    assert "status pull failed" in statuses.summary(CHANNEL)
    assert "PRIVATE KEY" not in StatusReport.objects.get().error


def test_full_sync_task_runs_the_channel(
    installed: dict[str, s.Product], merchant: FakeMerchant
) -> None:
    fill(installed, 2)
    assert tasks.full_sync(CHANNEL).startswith("4 offers upserted")
    assert tasks.full_sync("elsewhere") == "not active in this channel"
