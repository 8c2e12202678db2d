"""`./run demo` as a newcomer sees it: a line per delivery as it happens, the request path
proven free of provider calls, totals that add up, and an end that says how it went."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import requests

from saleor_plugins.demo.report import RequestPathProbe
from saleor_plugins.demo.sandbox import Sandbox
from saleor_plugins.testing.services import redis_url, run_id

ROOT = Path(__file__).resolve().parents[1]
DELIVERY = re.compile(
    r"^\s*\d+\.\d\ds  <- saleor_plugins\.sandbox\s+(default-channel|channel-pln)\s+"
    r"(order_created|order_paid|product_upserted)\s+(succeeded|retry)\s+(\d{3})\s+(\d+) ms"
)


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


def test_demo_prints_each_delivery_and_totals_that_add_up() -> None:
    proc = run_demo("--orders", "4", "--products", "3", "--pace", "0")
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr

    deliveries = [DELIVERY.match(line) for line in out.splitlines()]
    deliveries = [m for m in deliveries if m]
    # 3 products in 2 channels + 4 orders + 2 of them paid = 12 jobs; the sandbox's injected
    # 503 and 429 make two of them retry once
    assert len(deliveries) == 14
    assert sorted(m[3] for m in deliveries).count("retry") == 2
    assert {m[4] for m in deliveries if m[3] == "retry"} == {"503", "429"}
    assert {m[1] for m in deliveries} == {"default-channel", "channel-pln"}
    assert out.count(" -> ") == 3 + 4 + 2  # one line per store event

    assert "jobs written : 12 (expected 12" in out
    assert "request path : 0 provider calls" in out
    assert "deliveries   : 14 attempts by the worker = 12 jobs succeeded + 2 retries" in out
    assert "14 requests received (one per attempt)" in out
    assert "0 applied twice" in out
    assert "Warm shutdown" not in out + proc.stderr
    assert out.rstrip().splitlines()[-1].startswith("OK:")


def test_the_request_path_probe_counts_a_provider_call() -> None:
    """The demo's "0 provider calls in the request path" can be 1: the probe sees calls."""
    with Sandbox("sk_probe") as sandbox:
        host, port = sandbox.server.server_address[:2]
        probe = RequestPathProbe((str(host), int(port)))
        with probe.installed():
            requests.get(f"{sandbox.url}/v1/x", timeout=5)
        requests.get(f"{sandbox.url}/v1/y", timeout=5)  # outside the request path
    assert probe.count == 1
