"""`./run demo` as a newcomer sees it: every built-in integration at work against the
provider stand-ins, a line per delivery, each outage shown and recovered from, what every
provider holds checked against the store, and an exit status CI can trust."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from saleor_plugins.demo.holdings import Check
from saleor_plugins.demo.providers import CHANNELS, StandIns
from saleor_plugins.demo.report import RequestPathProbe
from saleor_plugins.demo.sandbox import Sandbox
from saleor_plugins.demo.setup import built_in_integrations
from saleor_plugins.testing.services import redis_url, run_id

ROOT = Path(__file__).resolve().parents[1]
DELIVERY = re.compile(
    r"^\s*\d+\.\d\ds  <- (\w+)\s+(default-channel|channel-pln)\s+(\w+)\s+"
    r"(succeeded|retry|circuit)\s+(\d{3})?\s+(\d+) ms"
)
HOLDS = re.compile(r"^  (\w+)\s+(.+): (\d+) lost, (\d+) duplicated$")


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    db = f"saleor_plugins_demo_{run_id()}"
    env = dict(os.environ)
    env |= {
        "DJANGO_SETTINGS_MODULE": "saleor_plugins.demo.settings",
        "PGDATABASE": db,
        "CELERY_BROKER_URL": redis_url(12),
        "SALEOR_PLUGINS_REDIS_URL": redis_url(12),
        "PYTHONPATH": str(ROOT),
    }
    try:
        return subprocess.run(
            [sys.executable, "-m", "saleor_plugins.demo", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    return run_demo("--orders", "5", "--products", "3", "--pace", "0")


def short(integration: str) -> str:
    return integration.removeprefix("saleor_plugins.")


def test_every_registered_integration_takes_part(demo: subprocess.CompletedProcess[str]) -> None:
    """An integration registered under the entry points is enabled, delivered to and checked:
    one added later without a stand-in in the demo makes this fail."""
    out = demo.stdout
    assert demo.returncode == 0, out + demo.stderr
    registered = {short(i) for i in built_in_integrations()}
    assert len(registered) >= 7
    delivered = {m[1] for m in map(DELIVERY.match, out.splitlines()) if m}
    checked = {m[1] for m in map(HOLDS.match, out.splitlines()) if m}
    assert delivered == registered == checked
    for line in out.splitlines():
        if m := HOLDS.match(line):
            assert (m[3], m[4]) == ("0", "0"), line
    assert f"OK: {len(registered)} integrations, 0 lost, 0 duplicated" in out


def test_each_delivery_is_a_line_in_both_channels(demo: subprocess.CompletedProcess[str]) -> None:
    deliveries = [m for m in map(DELIVERY.match, demo.stdout.splitlines()) if m]
    assert {m[2] for m in deliveries} == set(CHANNELS)
    events = {m[3] for m in deliveries}
    assert {"order_created", "order_paid", "order_refunded", "product_upserted"} <= events
    assert {"product_deleted", "customer_upserted", "checkout_upserted"} <= events
    assert "webhook_received" in events  # Stripe's webhooks, applied by the worker


def test_outages_are_retried_and_refused_keys_recovered(
    demo: subprocess.CompletedProcess[str],
) -> None:
    out = demo.stdout
    deliveries = [m for m in map(DELIVERY.match, out.splitlines()) if m]
    retried = {(m[1], m[5]) for m in deliveries if m[4] == "retry"}
    circuits = {m[1] for m in deliveries if m[4] == "circuit"}
    fixed = set(re.findall(r"!! (\w+) refused the key in", out))
    # Stripe's calls are the checkout's: the shopper is told and pays again
    retried |= {
        ("stripe", code) for code in re.findall(r"!! stripe answered (\d+) at checkout", out)
    }
    for provider in {short(i) for i in built_in_integrations()}:
        assert (provider, "503") in retried, provider
        if provider != "quickbooks":  # its 429 is a 60 s pause by QuickBooks' rule
            assert (provider, "429") in retried, provider
        assert provider in circuits and provider in fixed, provider
    assert "request path : 0 provider calls" in out
    assert "jobs now: succeeded" in out and "pending" not in out.split("jobs now:")[1]


def test_a_lost_or_doubled_write_fails_the_check() -> None:
    check = Check("saleor_plugins.xero")
    check.compare("invoices", ["1001", "1002"], ["1001", "1001"])
    assert (check.lost, check.duplicated, check.ok) == (1, 1, False)
    assert check.line().endswith("1 lost, 1 duplicated")


def test_every_registered_integration_has_a_stand_in() -> None:
    with StandIns() as stand_ins:
        for channel in CHANNELS:
            assert set(built_in_integrations()) <= set(stand_ins.configs(channel))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox("sk_probe") as sb:
        yield sb


def test_the_request_path_probe_counts_a_provider_call(sandbox: Sandbox) -> None:
    """The demo's "0 provider calls inside requests" can be 1: the probe sees calls."""
    host, port = sandbox.server.server_address[:2]
    probe = RequestPathProbe((str(host), int(port)))
    with probe.installed():
        requests.get(f"{sandbox.url}/v1/x", timeout=5)
    requests.get(f"{sandbox.url}/v1/y", timeout=5)  # outside the request path
    assert probe.count == 1


def test_the_probe_leaves_out_the_stand_ins_own_threads(sandbox: Sandbox) -> None:
    """The proxies forward the worker's calls from threads of the demo's process: those
    connections are not the request's."""
    host, port = sandbox.server.server_address[:2]
    probe = RequestPathProbe((str(host), int(port)))
    with probe.installed():
        other = threading.Thread(target=lambda: socket.create_connection((host, port)).close())
        other.start()
        other.join()
    assert probe.count == 0
