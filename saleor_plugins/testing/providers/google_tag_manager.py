"""A local GA4 Measurement Protocol: ``/mp/collect`` and ``/debug/mp/collect``.

The live endpoint answers 204 to everything, as Google's does, and keeps each request;
the debug endpoint answers ``{"validationMessages": [...]}`` by Google's documented rules
(../shared/PROVIDERS.md: ≤ 25 events and 130 kB per request, event and parameter names
≤ 40 characters of letters, digits and underscores starting with a letter and no reserved
prefix, values ≤ 100 characters, ≤ 25 parameters per event, ``timestamp_micros`` in
microseconds within the last 72 h, consent GRANTED/DENIED, hashes as 64 hex digits). The
same rules are applied to every live request and collected in ``problems``: a test fails
when the plugin sends anything Google would have dropped silently.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

MEASUREMENT_RE = re.compile(r"^G-[A-Z0-9]{4,16}$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
RESERVED_PREFIXES = ("google_", "ga_", "firebase_")
RESERVED_EVENTS = frozenset(
    {
        "ad_activeview",
        "ad_click",
        "ad_exposure",
        "ad_query",
        "ad_reward",
        "adunit_exposure",
        "app_clear_data",
        "app_exception",
        "app_install",
        "app_remove",
        "app_store_refund",
        "app_update",
        "app_upgrade",
        "dynamic_link_app_open",
        "dynamic_link_app_update",
        "dynamic_link_first_open",
        "error",
        "first_open",
        "first_visit",
        "in_app_purchase",
        "notification_dismiss",
        "notification_foreground",
        "notification_open",
        "notification_receive",
        "os_update",
        "session_start",
        "session_start_with_rollout",
        "user_engagement",
    }
)
MAX_BYTES = 130_000
WINDOW_MICROS = 72 * 3600 * 1_000_000


def message(path: str, description: str, code: str) -> dict[str, str]:
    return {"fieldPath": path, "description": description, "validationCode": code}


def _name(path: str, name: str, events: bool = False) -> list[dict[str, str]]:
    if not isinstance(name, str) or not NAME_RE.match(name):
        return [message(path, f"Name {name!r} must be ≤ 40 letters, digits or _.", "NAME_INVALID")]
    if name.lower().startswith(RESERVED_PREFIXES) or (events and name in RESERVED_EVENTS):
        return [message(path, f"Name {name!r} is reserved.", "NAME_RESERVED")]
    return []


def _timestamp(path: str, value: Any, now_micros: int) -> list[dict[str, str]]:
    if not isinstance(value, int) or isinstance(value, bool) or len(str(value)) != 16:
        return [message(path, f"{value!r} is not a timestamp in microseconds.", "VALUE_INVALID")]
    if value > now_micros + 60_000_000 or value < now_micros - WINDOW_MICROS:
        return [message(path, "Timestamp outside the last 72 hours.", "VALUE_OUT_OF_BOUNDS")]
    return []


def validate(raw: bytes, query: dict[str, str], now: float | None = None) -> list[dict[str, str]]:
    """Google's validation messages for one request."""
    now_micros = int((now or time.time()) * 1_000_000)
    problems: list[dict[str, str]] = []
    if not MEASUREMENT_RE.match(query.get("measurement_id", "")):
        problems.append(message("measurement_id", "Invalid measurement_id.", "VALUE_INVALID"))
    if len(raw) > MAX_BYTES:
        problems.append(message("", "Request body over 130 kB.", "VALUE_OUT_OF_BOUNDS"))
    try:
        body = json.loads(raw)
    except ValueError:
        return [*problems, message("", "Body is not JSON.", "VALUE_INVALID")]
    if not isinstance(body, dict):
        return [*problems, message("", "Body must be an object.", "VALUE_INVALID")]
    client = body.get("client_id")
    if not isinstance(client, str) or not client:
        problems.append(message("client_id", "client_id is required.", "VALUE_REQUIRED"))
    if "timestamp_micros" in body:
        problems += _timestamp("timestamp_micros", body["timestamp_micros"], now_micros)
    for key, value in (body.get("consent") or {}).items():
        if key not in ("ad_user_data", "ad_personalization") or value not in ("GRANTED", "DENIED"):
            problems.append(
                message(f"consent.{key}", f"Invalid consent {value!r}.", "VALUE_INVALID")
            )
    problems += _user_data(body.get("user_data"))
    events = body.get("events")
    if not isinstance(events, list) or not events:
        return [*problems, message("events", "At least one event is required.", "VALUE_REQUIRED")]
    if len(events) > 25:
        problems.append(
            message("events", "At most 25 events per request.", "EXCEEDED_MAX_ENTITIES")
        )
    for i, ev in enumerate(events):
        problems += _event(f"events[{i}]", ev, now_micros)
    return problems


def _user_data(data: Any) -> list[dict[str, str]]:
    if data is None:
        return []
    problems = []
    for key in ("sha256_email_address", "sha256_phone_number"):
        for value in data.get(key, []):
            if not HASH_RE.match(str(value)):
                problems.append(
                    message(f"user_data.{key}", "Not a SHA-256 hex digest.", "VALUE_INVALID")
                )
    for address in data.get("address", []):
        for key in ("sha256_first_name", "sha256_last_name", "sha256_street"):
            if key in address and not HASH_RE.match(str(address[key])):
                problems.append(message(f"user_data.address.{key}", "Not hashed.", "VALUE_INVALID"))
    return problems


def _event(path: str, ev: Any, now_micros: int) -> list[dict[str, str]]:
    if not isinstance(ev, dict):
        return [message(path, "An event must be an object.", "VALUE_INVALID")]
    problems = _name(f"{path}.name", ev.get("name", ""), events=True)
    if "timestamp_micros" in ev:
        problems += _timestamp(f"{path}.timestamp_micros", ev["timestamp_micros"], now_micros)
    params = ev.get("params") or {}
    if len(params) > 25:
        problems.append(
            message(f"{path}.params", "At most 25 parameters.", "EXCEEDED_MAX_ENTITIES")
        )
    for key, value in params.items():
        problems += _name(f"{path}.params.{key}", key)
        if isinstance(value, str) and len(value) > 100:
            problems.append(
                message(f"{path}.params.{key}", "Value over 100 characters.", "VALUE_OUT_OF_BOUNDS")
            )
    for j, item in enumerate(params.get("items") or []):
        where = f"{path}.params.items[{j}]"
        if not (item.get("item_id") or item.get("item_name")):
            problems.append(message(where, "item_id or item_name is required.", "VALUE_REQUIRED"))
        for key, value in item.items():
            problems += _name(f"{where}.{key}", key)
            if isinstance(value, str) and len(value) > 100:
                problems.append(
                    message(f"{where}.{key}", "Value over 100 characters.", "VALUE_OUT_OF_BOUNDS")
                )
    if ev.get("name") in ("purchase", "refund"):
        if not params.get("transaction_id"):
            problems.append(message(f"{path}.params.transaction_id", "Required.", "VALUE_REQUIRED"))
        if "value" in params and not params.get("currency"):
            problems.append(
                message(f"{path}.params.currency", "Required with value.", "VALUE_REQUIRED")
            )
    return problems


@dataclass
class Received:
    query: dict[str, str]
    body: dict[str, Any]

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.body.get("events", []))


@dataclass
class FakeGA4:
    server: HTTPServer
    requests: list[Received] = field(default_factory=list)
    debug_requests: list[Received] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer, in turn
    failed: int = 0  # live requests answered with one of those

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def install(self) -> None:
        self.server.expect_request("/mp/collect", method="POST").respond_with_handler(self._live)
        self.server.expect_request("/debug/mp/collect", method="POST").respond_with_handler(
            self._debug
        )

    def _live(self, request: Request) -> Response:
        if self.fail_next:
            self.failed += 1
            return Response("unavailable", status=self.fail_next.pop(0))
        query = dict(request.args)
        self.problems += validate(request.get_data(), query)
        self.requests.append(Received(query, json.loads(request.get_data() or b"{}")))
        return Response(status=204)

    def _debug(self, request: Request) -> Response:
        query = dict(request.args)
        self.debug_requests.append(Received(query, json.loads(request.get_data() or b"{}")))
        body = {"validationMessages": validate(request.get_data(), query)}
        return Response(json.dumps(body), status=200, content_type="application/json")

    # -- what the tests look at ----------------------------------------------------------
    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        found = [e for r in self.requests for e in r.events]
        return [e for e in found if name is None or e["name"] == name]
