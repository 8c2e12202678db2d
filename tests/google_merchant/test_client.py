"""The Merchant API client driven through google-api-python-client against the fake."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_plugins.core.errors import AuthenticationError, RateLimited, TransientError
from saleor_plugins.google_merchant.client import MerchantClient
from saleor_plugins.google_merchant.mapping import map_product, product_input_name, to_product_input
from saleor_plugins.google_merchant.settings import GoogleMerchantSettings
from saleor_plugins.testing.providers.google_merchant import FakeMerchant

from .conftest import ACCOUNT, CHANNEL, DATA_SOURCE, NOW, product, variant

SOURCE = f"accounts/{ACCOUNT}/dataSources/{DATA_SOURCE}"


def bodies(settings: GoogleMerchantSettings, n: int) -> list[dict[str, Any]]:
    variants = tuple(variant(f"v{i}") for i in range(n))
    mapped = map_product(product("p1", variants), settings, CHANNEL, NOW)
    return [to_product_input(o, settings) for o in mapped.items]


def test_upserts_go_out_in_one_batch_request_and_land_in_our_data_source(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings
) -> None:
    outcome = MerchantClient(gm_settings).write(bodies(gm_settings, 30))
    assert len(outcome.done) == 30 and outcome.refused == {}
    assert merchant.http_requests["batch"] == 1
    assert merchant.http_requests["single"] == 0
    assert set(merchant.offers(SOURCE)) == {f"v{i}" for i in range(30)}


def test_more_than_a_batch_limit_splits_into_batches(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MerchantClient, "batch_limit", 10)
    outcome = MerchantClient(gm_settings).write(bodies(gm_settings, 25))
    assert outcome.requests == 3 and merchant.batch_sizes == [10, 10, 5]
    assert len(merchant.offers()) == 25


def test_deleting_an_offer_that_is_already_gone_is_not_an_error(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings
) -> None:
    client = MerchantClient(gm_settings)
    client.write(bodies(gm_settings, 1))
    names = [("v0", product_input_name(ACCOUNT, gm_settings, "v0"))]
    names.append(("gone", product_input_name(ACCOUNT, gm_settings, "gone")))
    outcome = client.write(deletes=names)
    assert sorted(outcome.done) == ["gone", "v0"]
    assert merchant.offers() == {}


def test_offer_ids_with_slashes_and_tildes_are_deleted_by_encoded_name(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings
) -> None:
    client = MerchantClient(gm_settings)
    body = bodies(gm_settings, 1)[0] | {"offerId": "UHJvZHVjdFZhcmlhbnQ6MQ==/x~y"}
    client.write([body])
    client.write(deletes=[("k", product_input_name(ACCOUNT, gm_settings, body["offerId"]))])
    assert merchant.offers() == {}


def test_a_refused_offer_is_reported_by_id_and_its_neighbours_still_land(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings
) -> None:
    merchant.refuse_offer["v1"] = "[price] Invalid price"
    outcome = MerchantClient(gm_settings).write(bodies(gm_settings, 3))
    assert outcome.refused == {"v1": "Merchant API refused offer v1: [price] Invalid price"}
    assert set(merchant.offers()) == {"v0", "v2"}


def test_a_refused_key_is_an_authentication_error_without_the_key_in_it(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings, private_key_pem: str
) -> None:
    merchant.refuse_token = True
    with pytest.raises(AuthenticationError) as caught:
        MerchantClient(gm_settings).write(bodies(gm_settings, 5))
    assert "PRIVATE KEY" not in str(caught.value)
    assert merchant.api_calls() == []  # nothing sent per product


def test_a_token_the_api_rejects_is_an_authentication_error_after_one_refresh(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings
) -> None:
    merchant.reject_token = True
    with pytest.raises(AuthenticationError):
        MerchantClient(gm_settings).write(bodies(gm_settings, 5))
    assert merchant.http_requests["batch"] == 2  # the batch, then its retry after a refresh


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (503, TransientError)])
def test_throttling_and_outages_are_retryable(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings, status: int, error: type
) -> None:
    merchant.fail_with = status
    with pytest.raises(error):
        MerchantClient(gm_settings).write(bodies(gm_settings, 2))


def test_an_unreachable_api_is_transient(
    gm_settings: GoogleMerchantSettings, settings: Any
) -> None:
    settings.SALEOR_PLUGINS_GOOGLE_MERCHANT_ENDPOINT = "http://127.0.0.1:9/"
    client = MerchantClient(gm_settings, timeout=2)
    client.http.credentials.token = "x"  # skip the token request
    client.http.credentials.expiry = None
    with pytest.raises(TransientError):
        client.write(bodies(gm_settings, 1))


def test_listing_pages_through_and_keeps_only_our_data_source(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("saleor_plugins.google_merchant.client.LIST_PAGE", 7)
    client = MerchantClient(gm_settings)
    client.write(bodies(gm_settings, 20))
    merchant.foreign.append({"offerId": "other", "dataSource": f"accounts/{ACCOUNT}/dataSources/1"})
    listed = list(client.iter_products())
    assert sorted(p["offerId"] for p in listed) == sorted(f"v{i}" for i in range(20))
    assert len([c for c in merchant.api_calls("GET")]) == 3


def test_creating_a_data_source_returns_its_id(
    merchant: FakeMerchant, gm_settings: GoogleMerchantSettings
) -> None:
    assert MerchantClient(gm_settings).create_data_source("Saleor default-channel") == "9001"
    created = merchant.created_sources[0]["primaryProductDataSource"]
    assert created == {"contentLanguage": "en", "feedLabel": "US", "countries": ["US"]}


def test_the_private_key_alone_is_scrubbed_from_logs_and_errors(
    gm_settings: GoogleMerchantSettings, private_key_pem: str
) -> None:
    from saleor_plugins.core import secrets

    text = secrets.scrub(f"could not sign with {private_key_pem.strip()}")
    assert "PRIVATE KEY" not in text and "[redacted]" in text
