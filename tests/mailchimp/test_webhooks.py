"""Mailchimp's audience webhook: the URL's secret, stored once, consent cleared in the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from saleor_plugins.core import delivery, webhooks
from saleor_plugins.core.models import Attempt, InboundEvent, Job
from saleor_plugins.mailchimp import consent
from saleor_plugins.mailchimp.connector import MailchimpIntegration
from saleor_plugins.mailchimp.settings import MailchimpSettings
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp

from .conftest import AUDIENCE, CHANNEL, SECRET, MemoryHost, config

pytestmark = pytest.mark.django_db(transaction=True)


def unsubscribe(
    email: str = "ann@example.com", kind: str = "unsubscribe", list_id: str = AUDIENCE
) -> bytes:
    return urlencode(
        {
            "type": kind,
            "fired_at": "2026-11-26 21:35:57",
            "data[action]": "unsub",
            "data[reason]": "manual",
            "data[id]": "8a25ff1d98",
            "data[list_id]": list_id,
            "data[email]": email,
            "data[merges][EMAIL]": email,
        }
    ).encode()


def post(path: str, body: bytes, **overrides: str) -> tuple[int, dict[str, object]]:
    items = [{"name": k, "value": v} for k, v in config(**overrides).items()]
    code, text = webhooks.receive(
        MailchimpIntegration.webhook_receiver,
        integration=MailchimpIntegration.id,
        channel=CHANNEL,
        settings_class=MailchimpSettings,
        configuration=items,
        path=path,
        body=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    return code, json.loads(text)


@pytest.fixture
def revoked() -> Iterator[list[consent.Revocation]]:
    seen: list[consent.Revocation] = []

    def writer(revocation: consent.Revocation) -> int:
        seen.append(revocation)
        return 1

    consent.register_writer(writer)
    yield seen
    consent.register_writer(None)


@pytest.mark.parametrize(
    ("path", "status"),
    [(f"list/{SECRET}x", 400), ("list/", 400), ("list", 400), (f"other/{SECRET}", 404)],
)
def test_a_request_without_the_secret_is_refused_before_any_write(path: str, status: int) -> None:
    code, _ = post(path, unsubscribe())
    assert code == status
    assert not InboundEvent.objects.exists() and not Job.objects.exists()


def test_no_configured_secret_refuses_everything() -> None:
    code, _ = post(f"list/{SECRET}", unsubscribe(), webhook_secret="")
    assert code == 404
    assert not InboundEvent.objects.exists()


def test_mailchimps_url_check_is_answered_without_an_event() -> None:
    assert post(f"list/{SECRET}", b"") == (200, {"received": 0, "new": 0})


def test_an_unsubscribe_clears_consent_in_the_store_once(
    kernel: MemoryHost, revoked: list[consent.Revocation], fake: FakeMailchimp
) -> None:
    for _ in range(2):  # Mailchimp retries: one job
        code, _ = post(f"/list/{SECRET}/", unsubscribe())
        assert code == 200
    job = Job.objects.get()
    assert delivery.deliver(job.id).outcome == "succeeded"
    assert revoked == [
        consent.Revocation("ann@example.com", CHANNEL, "marketing_consent", "unsubscribe", "manual")
    ]


def test_a_cleaned_address_clears_consent_too(
    kernel: MemoryHost, revoked: list[consent.Revocation], fake: FakeMailchimp
) -> None:
    post(f"list/{SECRET}", unsubscribe("bounced@example.com", kind="cleaned"))
    delivery.deliver(Job.objects.get().id)
    assert [(r.email, r.reason) for r in revoked] == [("bounced@example.com", "cleaned")]


def test_a_profile_update_changes_nothing(
    kernel: MemoryHost, revoked: list[consent.Revocation]
) -> None:
    post(f"list/{SECRET}", unsubscribe(kind="profile"))
    assert delivery.deliver(Job.objects.get().id).outcome == "succeeded"
    assert revoked == []


def test_without_a_consent_writer_the_job_fails_visibly(
    kernel: MemoryHost, fake: FakeMailchimp
) -> None:
    consent.register_writer(None)
    post(f"list/{SECRET}", unsubscribe())
    job = Job.objects.get()
    assert delivery.deliver(job.id).outcome == "dead"
    job.refresh_from_db()
    assert "no consent writer" in job.last_error


def test_an_event_from_another_audience_is_refused_before_any_write() -> None:
    code, body = post(f"list/{SECRET}", unsubscribe(list_id="someone-elses-audience"))
    assert (code, body) == (400, {"error": "the event is not from this channel's audience"})
    code, _ = post(f"list/{SECRET}", unsubscribe(list_id=""))
    assert code == 400
    assert not InboundEvent.objects.exists() and not Job.objects.exists()


def test_only_what_processing_needs_is_stored() -> None:
    post(f"list/{SECRET}", unsubscribe())
    stored = InboundEvent.objects.get().payload
    assert "merges.EMAIL" not in stored and "id" not in stored
    assert (stored["email"], stored["list_id"]) == ("ann@example.com", AUDIENCE)


def test_an_event_stored_before_the_audience_changed_is_ignored(
    kernel: MemoryHost, revoked: list[consent.Revocation], fake: FakeMailchimp
) -> None:
    post(f"list/{SECRET}", unsubscribe())
    kernel.configs[CHANNEL] = (True, config(audience_id="new-audience"))
    assert delivery.deliver(Job.objects.get().id).outcome == "succeeded"
    assert revoked == []


def test_an_unsubscribe_mailchimp_does_not_confirm_changes_nothing(
    kernel: MemoryHost, revoked: list[consent.Revocation], fake: FakeMailchimp
) -> None:
    from saleor_plugins.mailchimp.client import subscriber_hash

    path = f"/lists/{AUDIENCE}/members/{subscriber_hash('ann@example.com')}"
    fake.state.objects[path] = {"email_address": "ann@example.com", "status": "subscribed"}
    post(f"list/{SECRET}", unsubscribe())  # forged, or they subscribed again since
    assert delivery.deliver(Job.objects.get().id).outcome == "succeeded"
    assert revoked == []


def test_an_unsubscribe_from_a_shared_audience_clears_consent_in_every_channel_using_it(
    kernel: MemoryHost, revoked: list[consent.Revocation], fake: FakeMailchimp
) -> None:
    """Two channels syncing into one audience: the refusal counts in both, or the second
    channel's next sync would subscribe the member again. Not in a channel with another
    audience, nor where Mailchimp is switched off; once per channel on replays."""
    kernel.configs["channel-eu"] = (True, config())  # same account, same audience
    kernel.configs["channel-b2b"] = (True, config(audience_id="aud-b2b"))
    kernel.configs["channel-old"] = (False, config())
    for _ in range(2):  # Mailchimp retries the webhook
        post(f"list/{SECRET}", unsubscribe())
    first = Job.objects.get()
    assert delivery.deliver(first.id).outcome == "succeeded"
    assert "handed to channel-eu (same audience)" in Attempt.objects.get(job=first).detail
    forwarded = Job.objects.exclude(pk=first.pk)
    assert [j.channel for j in forwarded] == ["channel-eu"]
    assert delivery.deliver(forwarded.get().id).outcome == "succeeded"
    assert sorted(r.channel for r in revoked) == sorted([CHANNEL, "channel-eu"])
    assert Job.objects.count() == 2, "the forwarded job hands nothing back"
