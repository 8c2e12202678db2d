"""Celery tasks: full sync, feed generation and the status pull, per channel.

They run outside the job lease (a full sync of a large catalogue outlasts it), one at a
time per channel and kind (a PostgreSQL advisory lock), and a refused key opens the same
circuit the live sync uses: one error for the merchant.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from celery import current_app, shared_task
from django.db import connection

from ..core import circuit, schedule, secrets
from ..core.errors import AuthenticationError, ConfigurationError, IntegrationError
from ..core.host import get_host, writer_scope
from ..core.settings import SettingsErrors
from . import feed, fullsync, statuses
from .models import StatusReport
from .settings import GoogleMerchantSettings
from .sync import INTEGRATION_ID

logger = logging.getLogger(__name__)

STATUS_EVERY = timedelta(hours=1)
FEED_EVERY = timedelta(hours=6)


PERIODIC = (
    (
        "saleor-plugins-google-merchant-statuses",
        "saleor_plugins.google_merchant.pull_statuses",
        STATUS_EVERY,
    ),
    (
        "saleor-plugins-google-merchant-feeds",
        "saleor_plugins.google_merchant.generate_feeds",
        FEED_EVERY,
    ),
)


def on_primary[**P, R](task: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(task)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # Saleor's task class refuses (tests) or logs (production) unmarked queries on
        # the primary database; these tasks must read what was just written there
        with writer_scope():
            return task(*args, **kwargs)

    return run


def active_channels(channel: str | None = None) -> Iterator[tuple[str, GoogleMerchantSettings]]:
    """(channel, settings) wherever the integration is active and validly configured."""
    for installation in get_host().installations(INTEGRATION_ID):
        if not installation.active or (channel and installation.channel != channel):
            continue
        try:
            settings = GoogleMerchantSettings.from_configuration(installation.configuration)
        except SettingsErrors as e:
            logger.warning("google_merchant: %s not configured: %s", installation.channel, e)
            continue
        yield installation.channel, settings


@contextmanager
def exclusive(kind: str, channel: str) -> Iterator[bool]:
    key = int.from_bytes(
        hashlib.sha256(f"gm:{kind}:{channel}".encode()).digest()[:8], "big", signed=True
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def refused(channel: str, error: IntegrationError) -> str:
    text = secrets.scrub(f"{type(error).__name__}: {error}")[:2000]
    if isinstance(error, AuthenticationError | ConfigurationError):
        circuit.open_circuit(INTEGRATION_ID, channel, text)
    return text


@shared_task(name="saleor_plugins.google_merchant.full_sync", ignore_result=True)
@on_primary
def full_sync(channel: str, force: bool = False) -> str:
    for slug, settings in active_channels(channel):
        if circuit.blocked_until(INTEGRATION_ID, slug) is not None:
            return "circuit open: fix the credentials first"
        with exclusive("sync", slug) as got:
            if not got:
                return "a full sync of this channel is already running"
            try:
                report = fullsync.full_sync(slug, settings, get_host(), force=force)
            except IntegrationError as e:
                return refused(slug, e)
            circuit.close_circuit_if_open(INTEGRATION_ID, slug)
            logger.info("google_merchant: full sync of %s: %s", slug, report.line())
            return report.line()
    return "not active in this channel"


@shared_task(name="saleor_plugins.google_merchant.generate_feed", ignore_result=True)
@on_primary
def generate_feed(channel: str, force: bool = False) -> str:
    for slug, settings in active_channels(channel):
        with exclusive("feed", slug) as got:
            if not got:
                return "a feed of this channel is already being generated"
            return str(feed.generate(slug, settings, get_host(), force=force))
    return "not active in this channel"


@shared_task(name="saleor_plugins.google_merchant.generate_feeds", ignore_result=True)
@on_primary
def generate_feeds() -> int:
    channels = [slug for slug, _ in active_channels()]
    for slug in channels:
        generate_feed.delay(slug)
    return len(channels)


@shared_task(name="saleor_plugins.google_merchant.pull_statuses", ignore_result=True)
@on_primary
def pull_statuses() -> int:
    pulled = 0
    for slug, settings in active_channels():
        if circuit.blocked_until(INTEGRATION_ID, slug) is not None:
            continue
        try:
            statuses.pull(slug, settings)
        except IntegrationError as e:
            StatusReport.objects.create(channel=slug, error=refused(slug, e))
            continue
        pulled += 1
    return pulled


schedule.register_periodic_tasks(current_app, PERIODIC)
