"""Through the kernel's delivery loop: what is retried, dead-lettered, or waits its turn."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
import redis

from saleor_plugins.core import delivery, outbox, ratelimit
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Job
from saleor_plugins.core.ratelimit import limiter
from saleor_plugins.mailchimp.client import account_key
from saleor_plugins.mailchimp.connector import MailchimpIntegration
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp
from saleor_plugins.testing.services import redis_url

from .conftest import API_KEY, CHANNEL, MemoryHost, config, customer, order, product

pytestmark = pytest.mark.django_db(transaction=True)
ID = MailchimpIntegration.id


def emit(event: EventType, object_id: str, channel: str = CHANNEL) -> Job:
    outbox.emit(event, object_id, [(ID, channel)])
    return Job.objects.filter(channel=channel).latest("id")


def test_a_forgotten_address_is_dead_lettered_with_mailchimps_reason(
    fake: FakeMailchimp, kernel: MemoryHost
) -> None:
    fake.state.forgotten.add("gone@example.com")
    kernel.add("customer", customer("gone@example.com", consent="true"))
    job = emit(EventType.CUSTOMER_UPSERTED, "c1")
    result = delivery.deliver(job.id)
    assert result.outcome == "dead"  # not retried: it would fail the same way
    job.refresh_from_db()
    assert "Forgotten Email Not Subscribed" in job.last_error
    assert job.attempts == 1


def test_an_outage_is_retried(fake: FakeMailchimp, kernel: MemoryHost) -> None:
    kernel.add("product", product())
    fake.state.faults.append(("POST", "/ecommerce/stores", 503, "Service Unavailable", "x"))
    job = emit(EventType.PRODUCT_UPSERTED, "p1")
    assert delivery.deliver(job.id).outcome == "retry"


def test_a_refused_key_pauses_the_channel_instead_of_storming(
    fake: FakeMailchimp, kernel: MemoryHost
) -> None:
    kernel.configs[CHANNEL] = (True, config(api_key="ffffffffffffffffffffffff-us21"))
    kernel.add("product", product())
    kernel.add("product", product("p2"))
    first = emit(EventType.PRODUCT_UPSERTED, "p1")
    second = emit(EventType.PRODUCT_UPSERTED, "p2")
    assert delivery.deliver(first.id).outcome == "circuit"
    assert delivery.deliver(second.id).outcome == "circuit"  # waits for the key, no call
    assert len(fake.state.log) == 1


def test_channels_sharing_an_account_share_its_ten_connections(
    fake: FakeMailchimp, kernel: MemoryHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Redis database of its own: other suites flush db 13 between their tests
    own = redis.Redis.from_url(redis_url(11))
    monkeypatch.setattr(ratelimit, "client", lambda: own)
    for key in own.scan_iter("saleor_plugins:rl:*"):
        own.delete(key)
    kernel.configs["second-channel"] = (True, config())
    kernel.add("product", product(channel="second-channel"))
    kernel.add("order", order(channel="second-channel"))
    limit = MailchimpIntegration.rate_limit
    assert limit is not None and limit.concurrency == 10
    with ExitStack() as held:  # ten requests in flight elsewhere, for channel one
        for _ in range(10):
            held.enter_context(limiter.slot(account_key(API_KEY), limit))
        job = emit(EventType.ORDER_CREATED, "o1", channel="second-channel")
        assert delivery.deliver(job.id).outcome == "retry"
        assert fake.state.log == []
    job = emit(EventType.ORDER_PAID, "o1", channel="second-channel")
    Job.objects.filter(id__lt=job.id).update(status="succeeded")
    assert delivery.deliver(job.id).outcome == "succeeded", job.last_error
