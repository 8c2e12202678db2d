"""The test kit (saleor_plugins.testing) does what a connector's suite relies on."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from saleor_plugins.core.errors import AuthenticationError
from saleor_plugins.core.events import EventType
from saleor_plugins.core.http import PolicySession, raise_for_response
from saleor_plugins.core.integration import Integration, JobContext, Outcome
from saleor_plugins.core.models import Job
from saleor_plugins.core.settings import ChannelSettings, Kind, setting
from saleor_plugins.testing import MemoryHost, ProviderServer, run_job, samples

CHANNEL = "default-channel"
KEY = "k_live_0123456789abcdef"


class EchoSettings(ChannelSettings):
    url: str = setting(label="URL", required=True)
    api_key: SecretStr | None = setting(None, label="API key", kind=Kind.SECRET, required=True)


class Echo(Integration[EchoSettings]):
    id = "kit_test.echo"
    name = "Echo"
    subscribes = frozenset({EventType.ORDER_PAID})

    def on_order_paid(self, job: JobContext) -> Outcome:
        order = self.host.read("order", job.object_id, self.channel)
        if order is None:
            return Outcome(detail="order gone")
        session = PolicySession("echo", timeout=(2.0, 2.0))
        response = session.post(
            f"{self.settings.url}/orders",
            json={"id": order.id, "total": str(order.total_gross.amount)},
            headers={
                "Authorization": f"Bearer {self.settings.secret('api_key')}",
                "Idempotency-Key": job.idempotency_key,
            },
        )
        if response.status_code == 401:
            raise AuthenticationError(f"key refused: {self.settings.secret('api_key')}")
        raise_for_response(response, "echo")
        return Outcome(status_code=response.status_code, provider_ids={"order": "e_1"})


@pytest.fixture
def echo(provide: Any, memory_host: MemoryHost, provider_server: ProviderServer) -> Any:
    provide(Echo)
    memory_host.install(Echo.id, CHANNEL, url=provider_server.url, api_key=KEY)
    memory_host.put(samples.order("o1", lines=[samples.line("SKU-1", 1, "12.10")]))
    return provider_server


@pytest.mark.django_db
def test_a_job_is_retried_through_the_kernel_with_one_idempotency_key(echo: Any) -> None:
    echo.reply("POST", "/orders", 503)
    echo.reply("POST", "/orders", 201)
    attempts = run_job(EventType.ORDER_PAID, "o1", integration=Echo.id, channel=CHANNEL)
    assert [a.outcome for a in attempts] == ["retry", "succeeded"]
    assert attempts[-1].provider_ids == {"order": "e_1"}  # Outcome.provider_ids, logged
    sent = echo.calls("POST", "/orders")
    assert [r.json() for r in sent] == [{"id": "o1", "total": "12.10"}] * 2
    assert len({r.header("Idempotency-Key") for r in sent}) == 1


@pytest.mark.django_db
def test_a_refused_key_opens_the_circuit_and_stays_out_of_the_log(echo: Any) -> None:
    echo.reply("POST", "/orders", 401)
    attempts = run_job(EventType.ORDER_PAID, "o1", integration=Echo.id, channel=CHANNEL)
    assert [a.outcome for a in attempts] == ["circuit"]
    assert "key refused" in attempts[0].error and KEY not in attempts[0].error
    assert Job.objects.get().status == "pending"  # waits for new credentials


@pytest.mark.django_db
def test_an_inactive_channel_is_skipped_without_a_call(echo: Any, memory_host: Any) -> None:
    memory_host.install(Echo.id, CHANNEL, active=False)
    attempts = run_job(EventType.ORDER_PAID, "o1", integration=Echo.id, channel=CHANNEL)
    assert [a.outcome for a in attempts] == ["skipped"] and echo.requests == []
