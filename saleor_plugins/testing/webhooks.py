"""The webhook security cases every integration's receiver must pass (inherit them).

A provider's test module subclasses :class:`WebhookSecurityCases` and implements the
four hooks: ``receiver()``, ``settings()``, ``make_event(event_id)`` (a raw body) and
``sign(body, timestamp=, secret=)`` (the headers the provider would send). The cases
post through the kernel's :func:`saleor_plugins.core.webhooks.receive`, exactly as the
plugin's URL does, and check what a merchant relies on: a request that is not the
provider's is answered 400 and writes nothing; each provider event is stored and
processed once, whether it comes again later, again with a fresh signature, or twice at
the same moment; an expired signature is reported as expired; stored events do not
outlive their jobs.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from saleor_plugins.core import maintenance, webhooks
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import InboundEvent, Job, JobStatus

FORGED_SECRET = "whsec_forged0000000000000000000000"


class WebhookSecurityCases:
    integration_id: str
    channel = "default-channel"
    path = "webhooks/"
    #: how old a signature must be for the receiver to refuse it
    expired_after = 3600

    # -- hooks for the provider's subclass ------------------------------------------------
    def receiver(self) -> Any:
        raise NotImplementedError

    def settings(self) -> Any:
        raise NotImplementedError

    def make_event(self, event_id: str) -> bytes:
        raise NotImplementedError

    def sign(
        self, body: bytes, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        raise NotImplementedError

    # -- helpers --------------------------------------------------------------------------
    def post(self, body: bytes, headers: dict[str, str]) -> int:
        return self.answer(body, headers)[0]

    def answer(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        code, text = webhooks.receive(
            self.receiver(),
            integration=self.integration_id,
            channel=self.channel,
            settings=self.settings(),
            path=self.path,
            body=body,
            headers={k.lower(): v for k, v in headers.items()},
        )
        return code, json.loads(text)

    def stored(self) -> int:
        return InboundEvent.objects.filter(integration=self.integration_id).count()

    def jobs(self) -> int:
        return Job.objects.filter(
            integration=self.integration_id, event=EventType.WEBHOOK_RECEIVED
        ).count()

    # -- the cases -------------------------------------------------------------------------
    @pytest.mark.django_db
    def test_a_signed_event_is_stored_with_one_job(self) -> None:
        body = self.make_event("evt_sec_ok")
        assert self.post(body, self.sign(body)) == 200
        assert (self.stored(), self.jobs()) == (1, 1)

    @pytest.mark.django_db
    def test_missing_signature_is_400_before_any_write(self) -> None:
        assert self.post(self.make_event("evt_sec_missing"), {}) == 400
        assert (self.stored(), self.jobs()) == (0, 0)

    @pytest.mark.django_db
    def test_forged_signature_is_400_before_any_write(self) -> None:
        body = self.make_event("evt_sec_forged")
        assert self.post(body, self.sign(body, secret=FORGED_SECRET)) == 400
        assert (self.stored(), self.jobs()) == (0, 0)

    @pytest.mark.django_db
    def test_tampered_body_is_400(self) -> None:
        body = self.make_event("evt_sec_tampered")
        headers = self.sign(body)
        assert self.post(body.replace(b"evt_sec_tampered", b"evt_sec_tamperex"), headers) == 400
        assert self.stored() == 0

    @pytest.mark.django_db
    def test_expired_signature_is_400_and_said_so(self) -> None:
        body = self.make_event("evt_sec_expired")
        old = int(time.time()) - self.expired_after
        code, answer = self.answer(body, self.sign(body, timestamp=old))
        assert code == 400 and self.stored() == 0
        # the merchant debugging a clock or a replay is told why, not "wrong secret"
        assert "expired" in answer["error"] and "secret" not in answer["error"]

    @pytest.mark.django_db
    def test_stored_events_are_pruned_with_their_jobs(self) -> None:
        """Kept as long as the jobs (the sync log's retention), and as long as a dead
        job may be replayed."""
        for event_id in ("evt_sec_old", "evt_sec_dead", "evt_sec_new"):
            body = self.make_event(event_id)
            assert self.post(body, self.sign(body)) == 200
        long_ago = timezone.now() - maintenance.retention() - timedelta(days=1)
        stored = InboundEvent.objects.filter(integration=self.integration_id)
        stored.exclude(provider_event_id="evt_sec_new").update(received_at=long_ago)
        for event in stored:
            status = JobStatus.DEAD if event.provider_event_id == "evt_sec_dead" else "succeeded"
            Job.objects.filter(object_id=str(event.pk)).update(status=status, finished_at=long_ago)
        maintenance.sweep()
        assert sorted(stored.values_list("provider_event_id", flat=True)) == [
            "evt_sec_dead",
            "evt_sec_new",
        ]

    @pytest.mark.django_db
    def test_replayed_request_is_processed_once(self) -> None:
        body = self.make_event("evt_sec_replay")
        headers = self.sign(body)
        assert [self.post(body, headers) for _ in range(3)] == [200, 200, 200]
        assert (self.stored(), self.jobs()) == (1, 1)

    @pytest.mark.django_db
    def test_duplicate_delivery_with_a_new_signature_is_processed_once(self) -> None:
        body = self.make_event("evt_sec_dup")
        assert self.post(body, self.sign(body, timestamp=int(time.time()) - 60)) == 200
        assert self.post(body, self.sign(body)) == 200
        assert (self.stored(), self.jobs()) == (1, 1)

    @pytest.mark.django_db(transaction=True)
    def test_concurrent_duplicates_are_processed_once(self) -> None:
        body = self.make_event("evt_sec_concurrent")
        headers = self.sign(body)
        barrier = threading.Barrier(8)
        codes: list[int] = []

        def deliver() -> None:
            try:
                barrier.wait()
                codes.append(self.post(body, headers))
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [200] * 8
        assert (self.stored(), self.jobs()) == (1, 1)
