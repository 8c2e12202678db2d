"""The provider's HTTP API, under the kernel's policy: timeouts, errors it can classify."""

from __future__ import annotations

from typing import Any

from saleor_plugins.core.http import PolicySession, raise_for_response

TIMEOUT = (3.0, 10.0)  # connect, read


class ${Class}Client:
    def __init__(self, api_url: str, api_key: str) -> None:
        self.api_url = api_url
        self.session = PolicySession("${package}", timeout=TIMEOUT)
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def put(self, path: str, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """PUT ``body`` at ``path``; 401/403, 429, 5xx and others raise the kernel's errors."""
        response = self.session.put(
            f"{self.api_url}{path}", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        raise_for_response(response, "${package}")
        reply: dict[str, Any] = response.json() if response.content else {}
        return reply
