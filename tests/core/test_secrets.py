"""No configured secret in logs, the sync log, the circuit reason or exception text."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest
from django.utils import timezone

from saleor_plugins.core import delivery, secrets
from saleor_plugins.core.errors import IntegrationError
from saleor_plugins.core.events import EventType
from saleor_plugins.core.integration import JobContext
from saleor_plugins.core.models import Attempt, Circuit, Job
from saleor_plugins.demo import store
from saleor_plugins.demo.connector import SandboxIntegration
from saleor_plugins.demo.sandbox import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "sk_live_leakcheck_9f8e7d6c5b4a"
CHANNEL = "default-channel"
LINES = [{"sku": "SKU-1", "name": "Mug", "quantity": 1, "unit_price": "5.00"}]


def echoing(sandbox: Sandbox) -> None:
    """A provider that echoes what it got in its errors (as some do with a key prefix)."""
    faults = iter([("status", 500), ("status", 429, {"Retry-After": "1"}), ("reset",)])

    def fault(method: str, path: str, n: int) -> tuple[Any, ...] | None:
        return next(faults, None)

    sandbox.state.fault = fault


def test_secrets_never_reach_logs_sync_log_circuit_or_exceptions(
    sandbox: Sandbox, broker: Any, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs every request line at DEBUG
    for name in ("urllib3", "requests", "saleor_plugins"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    monkeypatch.setattr(SandboxIntegration, "timeout", (1.0, 1.0))
    # the key is both the bearer token and, as some providers want it, in the URL path
    store.install(
        "saleor_plugins.sandbox", CHANNEL, endpoint=f"{sandbox.url}/k/{SECRET}", api_key=SECRET
    )
    sandbox.state.api_key = SECRET
    echoing(sandbox)
    orders = [store.place_order(CHANNEL, "a@example.com", LINES) for _ in range(3)]
    for _ in range(6):  # 500, 429, reset, then successes
        for job in Job.objects.filter(status="pending"):
            Job.objects.filter(id=job.id).update(not_before=timezone.now())
            delivery.deliver(job.id)
    assert Job.objects.filter(status="succeeded").count() == 3
    assert {"retry", "succeeded"} <= set(Attempt.objects.values_list("outcome", flat=True))

    # a refused key: the circuit reason and the error text
    sandbox.state.api_key = "another-key-entirely"
    store.place_order(CHANNEL, "b@example.com", LINES)
    circuit_job = Job.objects.get(status="pending")
    assert delivery.deliver(circuit_job.id).outcome == "circuit"

    # the provider unreachable: requests puts the full URL (with the key) in its message
    store.install(
        "saleor_plugins.sandbox",
        CHANNEL,
        endpoint=f"http://127.0.0.1:9/k/{SECRET}",
        api_key=SECRET,
    )
    installation = delivery.load_installation(context(orders[0]))
    assert installation is not None
    with pytest.raises(IntegrationError) as raised:
        installation.handle(context(orders[0]))
    logging.getLogger("saleor_plugins.test").exception("delivery failed", exc_info=raised.value)

    assert "127.0.0.1" in caplog.text and "/k/" in caplog.text  # urllib3 did log the URLs
    assert secrets.MASK in caplog.text
    texts = {
        "logs": caplog.text,
        "log records": " ".join(r.getMessage() for r in caplog.records),
        "sync log": " ".join(Attempt.objects.values_list("error", flat=True)),
        "job errors": " ".join(Job.objects.values_list("last_error", flat=True)),
        "circuit": " ".join(Circuit.objects.values_list("reason", flat=True)),
        "exception": str(raised.value),
        "exception repr": repr(raised.value),
    }
    leaks = [where for where, text in texts.items() if SECRET in text]
    assert leaks == []
    assert "AuthenticationError" in texts["circuit"]


def test_the_exception_chain_does_not_carry_the_secret(sandbox: Sandbox, broker: Any) -> None:
    """What Sentry would print: the whole traceback, causes included."""
    store.install(
        "saleor_plugins.sandbox",
        CHANNEL,
        endpoint=f"http://127.0.0.1:9/k/{SECRET}",
        api_key=SECRET,
    )
    order = store.place_order(CHANNEL, "a@example.com", LINES)
    installation = delivery.load_installation(context(order))
    assert installation is not None
    with pytest.raises(IntegrationError) as raised:
        installation.handle(context(order))
    text = "".join(traceback.format_exception(raised.value))
    assert "Max retries exceeded" in text and "/k/" in text  # the chain is still there
    assert SECRET not in text


def context(order: Any) -> JobContext:
    return JobContext(
        id=0,
        integration="saleor_plugins.sandbox",
        channel=CHANNEL,
        event=EventType.ORDER_CREATED,
        object_type="order",
        object_id=str(order.pk),
        payload={},
        attempt=1,
        idempotency_key="sp-test",
    )


def test_delivery_scrubs_the_chain_of_whatever_a_connector_raises(sandbox: Sandbox) -> None:
    """A connector that chains a raw SDK error (message quoting a URL) leaks nothing."""
    from saleor_plugins.core.errors import TransientError

    store.install("saleor_plugins.sandbox", CHANNEL, endpoint=sandbox.url, api_key=SECRET)
    order = store.place_order(CHANNEL, "a@example.com", LINES)
    try:
        try:
            raise ConnectionError(f"GET https://api.example/k/{SECRET}/orders failed")
        except ConnectionError as cause:
            raise TransientError("provider unreachable") from cause
    except TransientError as error:
        raised = error
    delivery._failed(context(order), raised)
    text = "".join(traceback.format_exception(raised))
    assert "api.example/k/" in text and SECRET not in text


def test_every_registered_secret_is_scrubbed_whatever_its_length_or_prefix() -> None:
    short, longer = "whsec_ab12", "whsec_ab12-and-a-longer-tail-9"  # one prefixes the other
    huge = "k" * 8 + "Z" * 1_000_000
    for value in (short, longer, huge):
        secrets.register(value)
    text = f"a={short}; b={longer}; c={huge}; d=whsec_ab1 (not a secret)"
    cleaned = secrets.scrub(text)
    assert cleaned == (
        f"a={secrets.MASK}; b={secrets.MASK}; c={secrets.MASK}; d=whsec_ab1 (not a secret)"
    )


def test_the_scrubbers_pattern_does_not_grow_with_the_secrets_size() -> None:
    # the pattern holds fixed-length prefixes: a 1 MB key costs what a short one does
    secrets.register("size-probe-a" + "a" * 20)
    pattern = secrets._pattern
    assert pattern is not None
    before = len(pattern.pattern)
    secrets.register("size-probe-b" + "b" * 1_000_000)
    after = secrets._pattern
    assert after is not None and len(after.pattern) - before <= 2 * (secrets.MIN_LEN + 1)


def test_a_secret_shorter_than_the_minimum_is_not_registered() -> None:
    secrets.register("abc")
    assert secrets.scrub("abc abc") == "abc abc"  # never used: settings refuse it
