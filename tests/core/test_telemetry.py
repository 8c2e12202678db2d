"""Spans and metrics in OpenTelemetry's SDK, as an operator's collector would see them
(issue 13, item 4). Nothing of a payload or a setting reaches them."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from saleor_plugins.core import delivery, maintenance
from saleor_plugins.core.errors import PermanentError
from saleor_plugins.core.events import EventType
from saleor_plugins.core.outbox import emit
from saleor_plugins.demo.store import install

from .conftest import noop_integration

pytestmark = pytest.mark.django_db(transaction=True)

CHANNEL = "default-channel"
SECRET = "tok-0123456789abcdef-secret"
_spans = InMemorySpanExporter()
_metrics = InMemoryMetricReader()


@pytest.fixture(scope="module", autouse=True)
def sdk() -> None:
    """An SDK as the host would configure it (once per process, as OpenTelemetry allows)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_spans))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[_metrics]))


def _points() -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    data = _metrics.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def test_emit_and_delivery_spans_carry_the_outcome_and_no_payload(
    provide: Any, broker: Any
) -> None:
    class Failing(noop_integration(9)):  # type: ignore[misc]
        def handle(self, job: Any) -> Any:
            if job.object_id == "bad":
                raise PermanentError("422 from provider", status=422)
            return super().handle(job)

    provide(Failing)
    install(Failing.id, CHANNEL, token=SECRET)
    _spans.clear()
    good = emit(EventType.ORDER_CREATED, "good", [(Failing.id, CHANNEL)], payload={"e": SECRET})
    bad = emit(EventType.ORDER_CREATED, "bad", [(Failing.id, CHANNEL)])
    assert delivery.deliver(good[0]).outcome == "succeeded"
    assert delivery.deliver(bad[0]).outcome == "dead"

    spans = _spans.get_finished_spans()
    emits = [s for s in spans if s.name == "saleor_plugins.emit"]
    delivers = [s for s in spans if s.name == "saleor_plugins.deliver"]
    assert len(emits) == 2 and emits[0].attributes["saleor_plugins.event"] == "order_created"
    assert emits[0].attributes["saleor_plugins.integrations"] == (Failing.id,)
    outcomes = [
        (s.attributes["saleor_plugins.outcome"], s.attributes.get("http.response.status_code"))
        for s in delivers
    ]
    assert outcomes == [("succeeded", 200), ("dead", 422)]
    assert delivers[0].attributes["saleor_plugins.channel"] == CHANNEL
    assert delivers[0].status.status_code.name == "UNSET"
    assert delivers[1].status.status_code.name == "ERROR"
    for span in spans:
        assert SECRET not in repr(dict(span.attributes or {}))  # no payload, no setting
        assert not span.events  # no exception text recorded

    points = _points()
    attempts = {
        (p.attributes["saleor_plugins.outcome"], p.attributes.get("http.response.status_code"))
        for p in points["saleor_plugins.delivery.attempts"]
    }
    assert {("succeeded", 200), ("dead", 422)} <= attempts
    errors = points["saleor_plugins.provider.errors"]
    assert any(p.attributes["saleor_plugins.integration"] == Failing.id for p in errors)
    durations = points["saleor_plugins.delivery.duration"]
    assert (
        sum(p.count for p in durations if p.attributes["saleor_plugins.integration"] == Failing.id)
        == 2
    )


def test_jobs_waiting_and_dead_per_channel_as_the_sweep_counted(provide: Any, broker) -> None:
    cls = noop_integration(10)
    provide(cls)
    install(cls.id, CHANNEL)
    for n in range(3):
        emit(EventType.ORDER_CREATED, f"w-{n}", [(cls.id, CHANNEL)])
    maintenance.sweep()
    gauge = {
        p.attributes["status"]: p.value
        for p in _points()["saleor_plugins.jobs"]
        if p.attributes["saleor_plugins.integration"] == cls.id
    }
    assert gauge == {"pending": 3}
