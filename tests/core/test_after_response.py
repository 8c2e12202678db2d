"""A hook's events are written and published after the response: one INSERT, one publish.

Inside a request (Django's ``request_started`` .. ``request_finished``) the events the
Saleor adapter's hooks emit outside a transaction wait until the response has been sent;
then every event of the request goes out in one statement and one broker message.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from saleor_plugins.core import outbox, tasks
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

TARGETS = [("integration.a", "default-channel"), ("integration.b", "default-channel")]


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Every broker message, by task (the fan-out task carries several job ids)."""
    sent: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(
        tasks.deliver_job, "apply_async", lambda args, **kw: sent.append(("deliver", args))
    )
    monkeypatch.setattr(
        tasks.dispatch_jobs, "apply_async", lambda args, **kw: sent.append(("fan-out", args))
    )
    return sent


def _checkout_complete() -> None:
    """What a paid checkoutComplete's hooks do: two order events, after Saleor's commit."""
    outbox.emit(EventType.ORDER_CREATED, "order-1", TARGETS, defer=True)
    outbox.emit(EventType.ORDER_PAID, "order-1", TARGETS, version="v1", defer=True)


def test_a_request_writes_its_events_after_the_response_in_one_statement(messages) -> None:
    request_started.send(sender=None)
    try:
        _checkout_complete()
        assert Job.objects.count() == 0, "nothing is written while the request runs"
        assert messages == []
        with CaptureQueriesContext(connection) as queries:
            request_finished.send(sender=None)
    finally:
        outbox.close_request()
    inserts = [q for q in queries if q["sql"].lstrip().startswith("INSERT")]
    assert len(inserts) == 1
    jobs = sorted(Job.objects.values_list("event", "integration"))
    assert jobs == sorted(
        (e.value, i) for e in (EventType.ORDER_CREATED, EventType.ORDER_PAID) for i, _ in TARGETS
    )
    assert [name for name, _ in messages] == ["fan-out"], "one publish for the whole request"
    assert sorted(messages[0][1][0]) == sorted(Job.objects.values_list("id", flat=True))


def test_outside_a_request_events_are_written_at_once(messages) -> None:
    _checkout_complete()
    assert Job.objects.count() == 4
    assert len(messages) == 2  # one publish per emit, as before


def test_inside_a_transaction_events_still_roll_back_with_it(messages) -> None:
    request_started.send(sender=None)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.emit(EventType.ORDER_CREATED, "order-1", TARGETS, defer=True)
            assert Job.objects.count() == 2, "in a transaction the write is not deferred"
            raise RuntimeError("the store's change failed")
        request_finished.send(sender=None)
    finally:
        outbox.close_request()
    assert Job.objects.count() == 0
    assert messages == []


def test_an_emit_that_must_answer_is_not_deferred(messages) -> None:
    request_started.send(sender=None)
    try:
        ids = outbox.emit(EventType.WEBHOOK_RECEIVED, "inbound-1", TARGETS[:1])
        assert len(ids) == 1 and Job.objects.count() == 1
        assert messages == [], "its publish still waits for the response"
        request_finished.send(sender=None)
    finally:
        outbox.close_request()
    assert [name for name, _ in messages] == ["deliver"]


def test_coalescing_and_repeated_events_share_the_request_write(messages) -> None:
    request_started.send(sender=None)
    try:
        for _ in range(3):  # productUpdate, then variant and media hooks of the same product
            outbox.emit(EventType.PRODUCT_UPSERTED, "p-1", TARGETS, defer=True)
        outbox.emit(EventType.PRODUCT_UPSERTED, "p-2", TARGETS, defer=True)
        request_finished.send(sender=None)
    finally:
        outbox.close_request()
    assert sorted(Job.objects.values_list("object_id", flat=True)) == ["p-1", "p-1", "p-2", "p-2"]
    assert [name for name, _ in messages] == ["fan-out"]


def test_a_failed_write_after_the_response_is_logged_not_raised(
    messages, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> list[int]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(outbox, "_write", refuse)
    request_started.send(sender=None)
    try:
        _checkout_complete()
        with caplog.at_level(logging.ERROR, logger="saleor_plugins.core.outbox"):
            request_finished.send(sender=None)  # must not raise into the server
    finally:
        outbox.close_request()
    assert "reconcile task re-emits them" in caplog.text
    assert Job.objects.count() == 0 and messages == []
    # the next request starts clean
    monkeypatch.undo()
    _checkout_complete()
    assert Job.objects.count() == 4


def test_no_connection_is_left_open_by_the_write_after_the_response(messages) -> None:
    """Django closes the request's connection after our write, not before it (which
    would make us open a second connection per request and leave it open)."""
    request_started.send(sender=None)
    try:
        _checkout_complete()
        request_finished.send(sender=None)
    finally:
        outbox.close_request()
    assert Job.objects.count() == 4  # (this query opens a connection again)
    request_started.send(sender=None)
    request_finished.send(sender=None)
    assert connection.connection is None
    request_started.send(sender=None)
    _checkout_complete()
    request_finished.send(sender=None)
    assert connection.connection is None, "the write's connection was closed by Django"
