"""A local Graph API: catalog items_batch + batch status, pixel events, object reads.

Driven by the real client on 127.0.0.1. It applies Meta's documented validation rules:
a token must be the configured one (else 401 / code 190 OAuthException); items_batch
takes at most 5,000 requests and refuses an item lacking a required field (reported per
item by ``check_batch_request_status``, as Meta does); the events endpoint refuses the
whole request when one event is older than 7 days, lacks a required field, or carries an
unhashed contact field, and takes at most 1,000 events.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "EAAB-test-system-user-token-0123456789"
CATALOG = "1111222233334444"
PIXEL = "5555666677778888"
#: a second channel's catalog and pixel (tests/saleor)
CATALOG_2 = "9999000011112222"
PIXEL_2 = "3333444455556666"
REQUIRED_ITEM = (
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "link",
    "image_link",
    "brand",
)
AVAILABILITY = {"in stock", "out of stock", "preorder", "available for order", "discontinued"}
HASHED = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id")
SHA256 = re.compile(r"^[a-f0-9]{64}$")


@dataclass
class FakeGraph:
    server: HTTPServer
    token: str = TOKEN
    catalogs: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {CATALOG: {}, CATALOG_2: {}}
    )
    pixels: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {PIXEL: [], PIXEL_2: []}
    )
    calls: Counter[str] = field(default_factory=Counter)
    #: retailer id -> message: items the catalog refuses (per-item errors)
    refuse: dict[str, str] = field(default_factory=dict)
    #: how many status checks a batch answers "started" before "finished"
    pending_checks: int = 0
    #: the status every batch ends in ("finished"; "error": failed as a whole)
    final_status: str = "finished"
    problems: list[str] = field(default_factory=list)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: calls the business use case allows in its window (None: no limit); every answer
    #: reports the share used in X-Business-Use-Case-Usage, as Meta does, and a call past
    #: the budget is refused (code 80014) with the time to regain access
    budget: int | None = None
    used: int = 0

    @property
    def items(self) -> dict[str, dict[str, Any]]:
        """The first catalog's items by retailer id."""
        return self.catalogs[CATALOG]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Events the first pixel received."""
        return self.pixels[PIXEL]

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def install(self) -> None:
        self.server.expect_request(re.compile(r"^/v\d+\.\d+/.*")).respond_with_handler(self.handle)

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def error(status: int, code: int, message: str, kind: str = "GraphMethodException") -> Response:
        body = {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "X"}}
        return Response(json.dumps(body), status=status, content_type="application/json")

    @staticmethod
    def ok(body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), status=200, content_type="application/json")

    @staticmethod
    def form(request: Request) -> dict[str, str]:
        """The urlencoded body, read whole (Meta takes up to 28 MB; werkzeug's form parser
        stops at 500 kB)."""
        parsed = parse_qs(request.get_data(as_text=True), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    def handle(self, request: Request) -> Response:
        if self.budget is None:
            return self.route(request)
        object_id = request.path.split("/", 2)[2].partition("/")[0]
        with self.lock:
            self.used += 1
            over = self.used > self.budget
            share = min(100, round(self.used * 100 / self.budget))
        if over:
            self.calls["refused_for_usage"] += 1
            response = self.error(400, 80014, "There have been too many calls")
        else:
            response = self.route(request)
        usage = {
            "type": "catalog_management",
            "call_count": share,
            "total_cputime": share // 2,
            "total_time": share // 2,
            "estimated_time_to_regain_access": 5 if over else 0,
        }
        response.headers["X-Business-Use-Case-Usage"] = json.dumps({object_id: [usage]})
        response.headers["X-App-Usage"] = json.dumps({"call_count": 1, "total_time": 1,
                                                      "total_cputime": 1})  # fmt: skip
        return response

    def route(self, request: Request) -> Response:
        if "access_token" in request.args:
            self.problems.append("token sent in the URL")
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.token}":
            return self.error(401, 190, "Error validating access token", "OAuthException")
        path = request.path.split("/", 2)[2]
        object_id, _, edge = path.partition("/")
        with self.lock:
            if object_id in self.catalogs and edge == "items_batch" and request.method == "POST":
                self.calls["items_batch"] += 1
                return self.items_batch(self.catalogs[object_id], request)
            if object_id in self.catalogs and edge == "check_batch_request_status":
                self.calls["status"] += 1
                return self.status(request.args.get("handle", ""))
            if object_id in self.pixels and edge == "events" and request.method == "POST":
                self.calls["events"] += 1
                return self.receive_events(self.pixels[object_id], request)
            if (object_id in self.catalogs or object_id in self.pixels) and not edge:
                self.calls["read"] += 1
                return self.ok({"id": path})
        return self.error(400, 100, f"Unsupported {request.method} request: {path}")

    # -- catalog -------------------------------------------------------------------------------
    def items_batch(self, items: dict[str, dict[str, Any]], request: Request) -> Response:
        form = self.form(request)
        if form.get("item_type") != "PRODUCT_ITEM":
            return self.error(400, 100, "item_type must be PRODUCT_ITEM")
        requests = json.loads(form.get("requests", "[]"))
        if len(requests) > 5000:
            return self.error(400, 100, "Too many requests in a batch (max 5000)")
        errors = []
        for line, each in enumerate(requests):
            data = each.get("data") or {}
            rid = str(data.get("id", ""))
            method = each.get("method")
            if method == "DELETE":
                items.pop(rid, None)
                continue
            if method not in ("UPDATE", "CREATE"):
                errors.append({"line": line, "id": rid, "message": f"bad method {method}"})
                continue
            missing = [f for f in REQUIRED_ITEM if not data.get(f)]
            if data.get("availability") and data["availability"] not in AVAILABILITY:
                missing.append("availability (value)")
            if not re.fullmatch(r"\d+(\.\d{1,2})? [A-Z]{3}", str(data.get("price", ""))):
                missing.append("price (format)")
            if rid in self.refuse or missing:
                message = self.refuse.get(rid) or f"missing or invalid: {', '.join(missing)}"
                errors.append({"line": line, "id": rid, "message": message})
                continue
            items[rid] = data
        handle = f"h{len(self.batches) + 1}"
        self.batches[handle] = {"errors": errors, "checks": 0}
        return self.ok({"handles": [handle]})

    def status(self, handle: str) -> Response:
        batch = self.batches.get(handle)
        if batch is None:
            return self.error(400, 100, "unknown handle")
        batch["checks"] += 1
        if batch["checks"] <= self.pending_checks:
            return self.ok({"data": [{"handle": handle, "status": "started"}]})
        errors = batch["errors"]
        if self.final_status != "finished":
            return self.ok({"data": [{"handle": handle, "status": self.final_status}]})
        return self.ok(
            {
                "data": [
                    {
                        "handle": handle,
                        "status": "finished",
                        "errors_total_count": len(errors),
                        "errors": errors,
                    }
                ]
            }
        )

    # -- Conversions API -----------------------------------------------------------------------
    def receive_events(self, received: list[dict[str, Any]], request: Request) -> Response:
        try:
            data = json.loads(self.form(request).get("data", ""))
        except ValueError:
            return self.error(400, 100, "data must be a JSON array")
        if not isinstance(data, list) or not 1 <= len(data) <= 1000:
            return self.error(400, 100, "between 1 and 1000 events per request")
        now = time.time()
        for event in data:
            for key in ("event_name", "event_time", "action_source", "user_data"):
                if not event.get(key):
                    return self.error(400, 100, f"Invalid parameter: {key} is required")
            if now - int(event["event_time"]) > 7 * 86400:
                return self.error(400, 100, "event_time is more than 7 days in the past")
            if event["event_name"] == "Purchase":
                custom = event.get("custom_data") or {}
                if not custom.get("currency") or "value" not in custom:
                    return self.error(400, 100, "Purchase requires currency and value")
            for key in HASHED:
                values = event["user_data"].get(key)
                values = values if isinstance(values, list) else [values] if values else []
                if any(not SHA256.match(str(v)) for v in values):
                    self.problems.append(f"user_data.{key} not hashed")
        received += data
        return self.ok({"events_received": len(data), "fbtrace_id": "X"})

    def purchases(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event_name"] == "Purchase"]
