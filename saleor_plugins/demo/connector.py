"""The sandbox integration: the demo's stand-in for a provider connector.

It is a complete connector on the kernel (typed settings with a secret, subscribed
events, an HTTP client under the shared policy, idempotency keys, a rate limit), so the
demo, the tests and the benchmark exercise the same path a real integration takes.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, field_validator

from ..core import ledger
from ..core.events import EventType
from ..core.hookspecs import hookimpl
from ..core.http import PolicySession, raise_for_response
from ..core.integration import Integration, JobContext, Outcome, RateLimit
from ..core.settings import ChannelSettings, Kind, setting


class SandboxSettings(ChannelSettings):
    endpoint: str = setting(
        label="Endpoint", help="Base URL of the sandbox provider.", required=True
    )
    api_key: SecretStr | None = setting(None, label="API key", kind=Kind.SECRET, required=True)

    @field_validator("endpoint")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("Endpoint must be an http:// or https:// URL.")
        return value.rstrip("/")


class SandboxIntegration(Integration[SandboxSettings]):
    id = "saleor_plugins.sandbox"
    name = "Sandbox provider"
    description = "A local provider for the demo and the tests."
    subscribes = frozenset(
        {
            EventType.ORDER_CREATED,
            EventType.ORDER_PAID,
            EventType.PRODUCT_UPSERTED,
            EventType.PRODUCT_DELETED,
        }
    )
    rate_limit = RateLimit(per_second=200, concurrency=20)
    timeout = (2.0, 5.0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = PolicySession("sandbox", timeout=self.timeout)
        self.session.headers["Authorization"] = f"Bearer {self.settings.secret('api_key')}"

    def account_key(self) -> str:
        return f"sandbox:{self.settings.endpoint}"

    def _send(
        self, method: str, path: str, job: JobContext, body: dict[str, Any] | None = None
    ) -> Outcome:
        url = f"{self.settings.endpoint}{path}"
        response = self.session.request(
            method, url, json=body, headers={"Idempotency-Key": job.idempotency_key}
        )
        raise_for_response(response, "sandbox")
        return Outcome(status_code=response.status_code)

    def on_order_created(self, job: JobContext) -> Outcome:
        order = self.host.read("order", job.object_id, self.channel)
        if order is None:
            return Outcome(detail="order gone")
        body = {
            "id": order.id,
            "email": order.email,
            "total": str(order.total_gross.amount),
            "currency": order.currency,
            "lines": [{"sku": x.sku, "quantity": x.quantity} for x in order.lines],
        }
        return self._send("POST", f"/v1/{self.channel}/orders/{order.id}", job, body)

    def on_order_paid(self, job: JobContext) -> Outcome:
        return self._send(
            "POST", f"/v1/{self.channel}/orders/{job.object_id}/payments", job, {"paid": True}
        )

    def on_product_upserted(self, job: JobContext) -> Outcome:
        product = self.host.read("product", job.object_id, self.channel)
        if product is None or product.listing_in(self.channel) is None:
            return self.on_product_deleted(job)
        body = {"name": product.name, "skus": [v.sku for v in product.variants]}
        outcome = self._send("PUT", f"/v1/{self.channel}/products/{product.id}", job, body)
        # what the provider holds, so that routing reaches this channel once it is unlisted
        ledger.hold(self.id, self.channel, "product", [product.id])
        return outcome

    def on_product_deleted(self, job: JobContext) -> Outcome:
        outcome = self._send("DELETE", f"/v1/{self.channel}/products/{job.object_id}", job)
        ledger.release(self.id, self.channel, "product", [job.object_id])
        return outcome


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [SandboxIntegration]
