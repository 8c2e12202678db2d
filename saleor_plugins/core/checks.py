"""Django system checks: say loudly what would make integrations misbehave."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .ratelimit import redis_url


def check_celery(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) and not getattr(
        settings, "SALEOR_PLUGINS_ALLOW_EAGER", False
    ):
        return [
            checks.Warning(
                "Celery runs eagerly (no CELERY_BROKER_URL is set): saleor_plugins will not "
                "call providers inside requests, so integration jobs wait in the outbox.",
                hint="Set CELERY_BROKER_URL and run a Celery worker and beat, or run "
                "`manage.py saleor_plugins_deliver --forever` beside the web process.",
                id="saleor_plugins.W001",
            )
        ]
    return []


def check_rate_limiter(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        redis_url()
    except ImproperlyConfigured as e:
        if not getattr(settings, "CELERY_BROKER_URL", ""):  # a development setup
            return [checks.Warning(str(e), id="saleor_plugins.W002")]
        return [checks.Error(str(e), id="saleor_plugins.E001")]
    return []


def register() -> None:
    checks.register(check_celery, checks.Tags.compatibility)
    checks.register(check_rate_limiter, checks.Tags.compatibility)
