"""The demo's set-up and wind-down: every integration enabled, OAuth connected, and the
wait for the worker to finish (fixing each refused key as the merchant would)."""

from __future__ import annotations

import importlib.metadata
import time
from typing import Any

from ..core.registry import ENTRY_POINT_GROUP
from . import store
from .providers import CHANNELS, QUICKBOOKS, XERO, StandIns

REDIRECT = "https://shop.example.com/dashboard/oauth/callback"


def built_in_integrations() -> list[str]:
    """The ids of every integration registered under our entry-point group."""
    found: list[str] = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        module = entry_point.load()
        found += [cls.id for cls in module.saleor_plugins_integrations()]
    return found


def fresh_store() -> None:
    """The demo database starts empty each run (it is the demo's own)."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def enable_everything(stand_ins: StandIns) -> list[str]:
    """Save every built-in integration's configuration in both channels, active."""
    enabled = built_in_integrations()
    for channel in CHANNELS:
        configs = stand_ins.configs(channel)
        missing = [i for i in enabled if i not in configs]
        if missing:
            raise SystemExit(f"the demo has no stand-in for {', '.join(missing)}")
        for integration in enabled:
            store.install(integration, channel, **configs[integration])
        connect_xero(stand_ins, channel)
        connect_quickbooks(stand_ins, channel)
    return enabled


def connect_xero(stand_ins: StandIns, channel: str) -> None:
    """'Connect Xero' on the plugin page: consent at the stand-in, tokens stored encrypted."""
    from ..core import oauth
    from ..core.models import Connection
    from ..testing.providers.xero import TENANT
    from ..xero import client
    from ..xero.settings import XeroSettings

    provider = client.provider(XeroSettings.parse(stand_ins.configs(channel)[XERO]))
    code, state = stand_ins.xero.authorize(oauth.begin(provider, XERO, channel, REDIRECT))
    oauth.complete(provider, XERO, channel, state=state, code=code, redirect_uri=REDIRECT)
    Connection.objects.filter(integration=XERO, channel=channel).update(
        tenant_id=TENANT, tenant_name="Demo Co"
    )


def connect_quickbooks(stand_ins: StandIns, channel: str) -> None:
    from ..core import oauth
    from ..quickbooks import client, connector
    from ..quickbooks.settings import QuickBooksSettings

    settings = QuickBooksSettings.parse(stand_ins.configs(channel)[QUICKBOOKS])
    url = oauth.begin(client.provider(settings), QUICKBOOKS, channel, REDIRECT)
    code, state, realm = stand_ins.quickbooks.authorize(url)
    query = {"code": code, "state": state, "realmId": realm}
    connector.complete(settings, channel, query, REDIRECT)


def settle(stand_ins: StandIns, tail: Any, deadline: float) -> None:
    """Wait for every job; where a provider refused the key, save the fixed one."""
    from ..core import circuit
    from ..core.maintenance import sweep
    from ..core.models import Circuit, Job, JobStatus

    unfinished = [JobStatus.PENDING, JobStatus.RUNNING]
    while time.monotonic() < deadline:
        tail.print_new(time.monotonic())
        for c in Circuit.objects.filter(is_open=True):
            waiting = Job.objects.filter(
                integration=c.integration, channel=c.channel, status__in=unfinished
            ).count()
            stand_ins.proxies[c.integration].fix()
            store.install(c.integration, c.channel, **stand_ins.configs(c.channel)[c.integration])
            circuit.close_circuit(c.integration, c.channel)  # what saving the plugin does
            print(
                f"          !! {c.integration.removeprefix('saleor_plugins.')} refused the key "
                f"in {c.channel}: circuit open, {waiting} job(s) waiting without spending "
                "attempts; the merchant saves a new key: circuit closed, the queue is sent",
                flush=True,
            )
        if not Job.objects.filter(status__in=unfinished).exists():
            break
        sweep()  # Celery beat runs it every minute in a Saleor; the demo runs it inline
        time.sleep(0.2)
    tail.print_new(time.monotonic())
