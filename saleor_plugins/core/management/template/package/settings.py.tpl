"""The settings a merchant fills in per channel (Configuration → Plugins → ${display})."""

from __future__ import annotations

from pydantic import SecretStr, field_validator

from saleor_plugins.core.settings import ChannelSettings, Kind, setting


class ${Class}Settings(ChannelSettings):
    api_url: str = setting(
        "https://api.example.com",
        label="API URL",
        help="Base URL of the provider's API.",
        required=True,
    )
    # a secret: masked in the dashboard and the API, scrubbed from logs and the sync log
    api_key: SecretStr | None = setting(None, label="API key", kind=Kind.SECRET, required=True)
    send_guests: bool = setting(True, label="Send guest orders")

    @field_validator("api_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("API URL must start with https://.")
        return value.rstrip("/")
