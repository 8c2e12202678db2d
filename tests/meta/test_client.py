"""The Graph API client against the fake: limits per request and error classes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from werkzeug import Response

from saleor_plugins.core.errors import AuthenticationError, PermanentError, RateLimited
from saleor_plugins.core.integration import RateLimit
from saleor_plugins.core.ratelimit import limiter
from saleor_plugins.meta import client as meta_client
from saleor_plugins.meta.client import MetaClient, chunks
from saleor_plugins.testing.providers.meta import CATALOG, PIXEL, TOKEN, FakeGraph


def test_items_are_split_at_3000_per_request_and_by_size(monkeypatch: Any) -> None:
    items = [{"method": "UPDATE", "data": {"id": str(i)}} for i in range(7001)]
    assert [len(c) for c in chunks(items)] == [3000, 3000, 1001]
    monkeypatch.setattr(meta_client, "MAX_BATCH_BYTES", 1000)
    big = [{"method": "UPDATE", "data": {"id": str(i), "description": "x" * 300}} for i in range(6)]
    sized = chunks(big)
    assert len(sized) == 3 and all(len(json.dumps(c)) <= 1000 for c in sized)


def test_events_are_sent_1000_per_request(graph: FakeGraph) -> None:
    import time

    event = {
        "event_name": "Purchase",
        "event_time": int(time.time()),
        "action_source": "website",
        "user_data": {"em": ["a" * 64]},
        "custom_data": {"currency": "USD", "value": 1.0},
    }
    received = MetaClient(TOKEN).send_events(PIXEL, [event] * 2500)
    assert received == 2500 and graph.calls["events"] == 3


def test_a_refused_token_is_an_authentication_error_without_the_token(graph: FakeGraph) -> None:
    with pytest.raises(AuthenticationError) as e:
        MetaClient("wrong-token-000000000000000000").items_batch(
            CATALOG, [{"method": "DELETE", "data": {"id": "x"}}]
        )
    assert "wrong-token" not in str(e.value)


def test_meta_refusing_the_whole_request_is_permanent(graph: FakeGraph) -> None:
    old = {"event_name": "Purchase", "event_time": 1, "action_source": "website",
           "user_data": {"em": ["a" * 64]}}  # fmt: skip
    with pytest.raises(PermanentError, match="7 days"):
        MetaClient(TOKEN).send_events(PIXEL, [old])


def test_rate_limit_codes_and_the_usage_header_ask_to_wait(graph: FakeGraph) -> None:
    usage = {CATALOG: [{"type": "catalog_batch", "call_count": 100,
                        "estimated_time_to_regain_access": 5}]}  # fmt: skip
    graph.server.clear()
    graph.server.expect_request(
        f"/{meta_client.API_VERSION}/{CATALOG}/items_batch"
    ).respond_with_response(
        Response(
            json.dumps({"error": {"code": 80014, "message": "too many calls"}}),
            status=400,
            headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
            content_type="application/json",
        )
    )
    with pytest.raises(RateLimited) as e:
        MetaClient(TOKEN).items_batch(CATALOG, [{"method": "DELETE", "data": {"id": "x"}}])
    assert e.value.retry_after == 300


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"X-Business-Use-Case-Usage": json.dumps({CATALOG: [{"call_count": 40}]})}, 0),
        ({"X-Business-Use-Case-Usage": json.dumps({CATALOG: [{"call_count": 80}]})}, 12),
        ({"X-Business-Use-Case-Usage": json.dumps({PIXEL: [{"total_time": 120}]})}, 60),
        (
            {"X-Business-Use-Case-Usage": json.dumps(
                {CATALOG: [{"call_count": 10, "estimated_time_to_regain_access": 5}]}
            )},
            300,
        ),
        ({"X-App-Usage": json.dumps({"call_count": 90, "total_time": 10})}, 36),
        ({"X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 100, "reset_time_duration": 120})},
         120),
        ({"X-Business-Use-Case-Usage": "not json", "X-App-Usage": "[1]"}, 0),
        ({}, 0),
    ],
    ids=["low", "80%", "over 100%", "regain in 5 min", "app 90%", "ad account reset", "junk",
         "none"],
)  # fmt: skip
def test_usage_headers_give_the_wait(headers: dict[str, str], wait: float) -> None:
    assert meta_client.usage_wait(headers) == pytest.approx(wait)


def test_calls_slow_down_before_meta_refuses(graph: FakeGraph) -> None:
    """Meta reports its usage on every answer: past 75 % of the budget the account is paused,
    so the next call (from any client, or a delivery slot, of that account) waits or is
    retried later instead of being refused."""
    graph.budget = 5
    account = f"meta:test:{uuid.uuid4().hex[:8]}"
    client = MetaClient(TOKEN, account=account, max_wait=0)
    sent = 0
    with pytest.raises(RateLimited) as e:
        for _ in range(10):
            client.check(CATALOG, "")
            sent += 1
    assert sent == 4 and graph.used == 4  # 80 % reported by the fourth answer: no fifth call
    assert e.value.provider == "limiter" and e.value.retry_after and e.value.retry_after > 0
    assert graph.calls["refused_for_usage"] == 0
    with pytest.raises(RateLimited):
        MetaClient(TOKEN, account=account, max_wait=0).check("", PIXEL)
    with pytest.raises(RateLimited), limiter.slot(account, RateLimit(per_second=10), max_wait=0.1):
        pass
    assert graph.used == 4
    # another account of the same installation's workers is not held back
    MetaClient(TOKEN, account=f"{account}-other", max_wait=0).check(CATALOG, "")


def test_a_refusal_for_usage_pauses_the_account_for_metas_time(graph: FakeGraph) -> None:
    graph.budget = 1
    MetaClient(TOKEN).check(CATALOG, "")  # a client keyed to no account used the budget up
    account = f"meta:test:{uuid.uuid4().hex[:8]}"
    with pytest.raises(RateLimited) as e:
        MetaClient(TOKEN, account=account, max_wait=0).check(CATALOG, "")
    assert e.value.retry_after == 300
    assert 290 < limiter.paused_for(account) <= 300
