"""One exception tree that knows what can be retried.

Every provider client maps its SDK's exceptions onto these, always chaining with
``raise ... from e``. The delivery loop decides what to do from the class alone:

- :class:`TransientError` (timeouts, connection resets, 5xx, 429): retry with backoff,
  honouring ``retry_after`` when the provider gave one.
- :class:`PermanentError` (other 4xx, a payload the provider refuses): dead-letter with
  the provider's reason; a retry would fail the same way.
- :class:`AuthenticationError` / :class:`ConfigurationError`: open the circuit for the
  integration and channel and tell the merchant; the queue waits instead of storming.
"""

from __future__ import annotations

from datetime import UTC


class IntegrationError(Exception):
    """Base of every error an integration raises."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        if self.code:
            parts.append(f"[{self.code}]")
        return " ".join(parts)


class TransientError(IntegrationError):
    """The call may succeed later: timeouts, resets, 5xx, 429."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        provider: str = "",
        status: int | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message, provider=provider, status=status, code=code)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """The provider (or our own limiter) asked us to slow down."""


class PermanentError(IntegrationError):
    """The provider refused this request and will refuse it again."""


class AuthenticationError(IntegrationError):
    """Credentials were refused; nothing for this channel can succeed until fixed."""


class ConfigurationError(IntegrationError, ValueError):
    """The merchant's configuration is incomplete or invalid.

    ``field`` names the setting at fault so the dashboard can show the error beside it.
    """

    def __init__(self, message: str, *, field: str = "", provider: str = "") -> None:
        super().__init__(message, provider=provider)
        self.field = field


class PaymentError(IntegrationError):
    """A payment could not go through for a reason the customer should see."""

    def __init__(
        self,
        message: str,
        *,
        customer_message: str = "",
        provider: str = "",
        status: int | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message, provider=provider, status=status, code=code)
        self.customer_message = customer_message or message


def classify_status(
    status: int,
    message: str,
    *,
    provider: str = "",
    retry_after: float | None = None,
    code: str = "",
) -> IntegrationError:
    """Turn an HTTP status from a provider into the right error class."""
    if status == 429:
        return RateLimited(
            message, retry_after=retry_after, provider=provider, status=status, code=code
        )
    if status in (401, 403):
        return AuthenticationError(message, provider=provider, status=status, code=code)
    if status >= 500 or status in (408, 409, 423, 425):
        return TransientError(
            message, retry_after=retry_after, provider=provider, status=status, code=code
        )
    return PermanentError(message, provider=provider, status=status, code=code)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
