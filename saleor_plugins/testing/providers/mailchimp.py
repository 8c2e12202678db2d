"""A local fake of Mailchimp's Marketing API on 127.0.0.1, for the real SDK to talk to.

It keeps what matters to the integration: basic auth with the API key; e-commerce objects
created by POST (400 "already exists" twice), changed by PATCH (404 when missing), PUT
upserts for customers, variants and members; orders and carts refused when they name a
product the store lacks; members' status never changed by ``status_if_new``; e-commerce
customers becoming *transactional* members; refusals for forgotten, compliance-state and
invalid addresses; batch operations run later (``run_batches``) with a gzipped tar of
results and a form-encoded batch webhook; a per-request latency to simulate.
"""

from __future__ import annotations

import base64
import io
import json
import re
import tarfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

Reply = tuple[int, dict[str, Any] | None]
_CUSTOMER = re.compile(r"^/ecommerce/stores/([^/]+)/customers/([^/]+)$")
_MEMBER = re.compile(r"^/lists/([^/]+)/members/([^/]+)$")


def problem(status: int, title: str, detail: str) -> Reply:
    return status, {"type": "about:blank", "title": title, "status": status, "detail": detail}


@dataclass
class FakeState:
    api_key: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[tuple[str, str, int]] = field(default_factory=list)
    requests: int = 0
    forgotten: set[str] = field(default_factory=set)
    compliance: set[str] = field(default_factory=set)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    batch_webhooks: list[str] = field(default_factory=list)
    #: orders and carts that arrived while the store was not syncing (automations fire)
    automations: list[tuple[str, str]] = field(default_factory=list)
    #: (method, path regex, status, title, detail) answered once each, in order
    faults: list[tuple[str, str, int, str, str]] = field(default_factory=list)
    latency: float = 0.0  # seconds slept per request (a real delay, for small runs)
    hosts: Counter[str] = field(default_factory=Counter)
    #: product path -> its variants' paths (so a product's view is not a full scan)
    variants: dict[str, set[str]] = field(default_factory=dict)


class FakeMailchimp:
    """``with FakeMailchimp(key) as mc:``; point ``SALEOR_PLUGINS_MAILCHIMP_API_URL`` at
    ``mc.api_url``."""

    def __init__(self, api_key: str) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.state = FakeState(api_key=api_key)
        self.server.fake = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self) -> FakeState:
        return self.server.state

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + "/{dc}/3.0"

    def __enter__(self) -> FakeMailchimp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests -----------------------------------------------------------
    def get(self, path: str) -> dict[str, Any] | None:
        return self.state.objects.get(path)

    def calls(self, method: str = "", prefix: str = "") -> list[tuple[str, str, int]]:
        return [
            c for c in self.state.log if (not method or c[0] == method) and c[1].startswith(prefix)
        ]

    def member(self, list_id: str, email: str) -> dict[str, Any] | None:
        import hashlib

        digest = hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()
        return self.get(f"/lists/{list_id}/members/{digest}")

    def run_batches(self) -> int:
        """Run every pending batch, as Mailchimp does later; returns how many ran."""
        ran = 0
        for batch_id, batch in list(self.state.batches.items()):
            if batch["status"] != "pending":
                continue
            results = []
            for op in batch["operations"]:
                body = json.loads(op.get("body") or "null")
                code, reply = self.apply(op["method"].upper(), op["path"], body)
                results.append(
                    {
                        "status_code": code,
                        "operation_id": op.get("operation_id"),
                        "response": json.dumps(reply or {}),
                    }
                )
            errored = sum(1 for r in results if r["status_code"] >= 400)
            archive = io.BytesIO()
            with tarfile.open(fileobj=archive, mode="w:gz") as tar:
                raw = json.dumps(results).encode()
                info = tarfile.TarInfo(f"{batch_id}.json")
                info.size = len(raw)
                tar.addfile(info, io.BytesIO(raw))
            batch.update(
                status="finished",
                finished_operations=len(results),
                errored_operations=errored,
                archive=archive.getvalue(),
                response_body_url=f"{self.url}/batch-results/{batch_id}.tar.gz",
            )
            ran += 1
            for url in self.state.batch_webhooks:
                requests.post(
                    url,
                    data=urlencode(
                        {
                            "type": "batch_operation_completed",
                            "fired_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                            "data[id]": batch_id,
                            "data[status]": "finished",
                            "data[total_operations]": len(results),
                            "data[errored_operations]": errored,
                        }
                    ),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    timeout=5,
                )
        return ran

    # -- the API ---------------------------------------------------------------------
    def apply(self, method: str, path: str, body: Any) -> Reply:
        st = self.state
        with st.lock:
            if path == "/batches" and method == "POST":
                batch_id = uuid.uuid4().hex[:10]
                ops = list(body.get("operations", []))
                st.batches[batch_id] = {
                    "id": batch_id,
                    "status": "pending",
                    "operations": ops,
                    "total_operations": len(ops),
                    "finished_operations": 0,
                    "errored_operations": 0,
                    "response_body_url": "",
                }
                return 200, self._batch_view(batch_id)
            if m := re.fullmatch(r"/batches/([^/]+)", path):
                if m.group(1) not in st.batches:
                    return problem(404, "Resource Not Found", "no such batch")
                return 200, self._batch_view(m.group(1))
            if path == "/batch-webhooks" and method == "POST":
                st.batch_webhooks.append(body["url"])
                return 200, {"id": uuid.uuid4().hex[:8], "url": body["url"]}
            if _MEMBER.match(path):
                return self._member(method, path, body)
            if m := re.fullmatch(r"/lists/([^/]+)/members/([^/]+)/tags", path):
                member = st.objects.get(path.removesuffix("/tags"))
                if member is None:
                    return problem(404, "Resource Not Found", "no such member")
                names = {t["name"] for t in body.get("tags", []) if t.get("status") == "active"}
                member["tags"] = sorted(set(member.get("tags", [])) | names)
                return 204, None
            return self._resource(method, path, body)

    def _batch_view(self, batch_id: str) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.state.batches[batch_id].items()
            if k not in ("operations", "archive")
        }

    def _member(self, method: str, path: str, body: Any) -> Reply:
        st = self.state
        current = st.objects.get(path)
        if method == "GET":
            return (200, current) if current else problem(404, "Resource Not Found", "no member")
        if method == "PATCH":
            if current is None:
                return problem(404, "Resource Not Found", "no member")
            current.update({k: v for k, v in body.items() if k != "status_if_new"})
            return 200, current
        email = str(body.get("email_address", "")).lower()
        if email in st.forgotten:
            return problem(
                400,
                "Forgotten Email Not Subscribed",
                f"{email} was permanently deleted and cannot be re-imported.",
            )
        if email in st.compliance:
            return problem(
                400,
                "Member In Compliance State",
                f"{email} is in a compliance state due to unsubscribe or abuse.",
            )
        if "@" not in email or email.endswith("@example.invalid"):
            return problem(
                400,
                "Invalid Resource",
                f"{email} looks fake or invalid, please enter a real email address.",
            )
        if current is None:
            current = {
                "email_address": email,
                "tags": [],
                "status": body.get("status") or body.get("status_if_new"),
            }
            st.objects[path] = current
        elif body.get("status"):
            current["status"] = body["status"]
        current.update({k: v for k, v in body.items() if k not in ("status", "status_if_new")})
        return 200, current

    def _store_of(self, path: str) -> dict[str, Any] | None:
        m = re.match(r"^/ecommerce/stores/([^/]+)", path)
        return self.state.objects.get(f"/ecommerce/stores/{m.group(1)}") if m else None

    def _resource(self, method: str, path: str, body: Any) -> Reply:
        st = self.state
        if not path.startswith("/ecommerce/stores"):
            return problem(404, "Resource Not Found", f"{path} is not faked")
        store = self._store_of(path)
        if path != "/ecommerce/stores" and store is None:
            return problem(404, "Resource Not Found", "The requested store was not found.")
        if method == "GET":
            obj = st.objects.get(path)
            if obj is None:
                return problem(404, "Resource Not Found", "not found")
            return 200, self._view(path, obj)
        if method == "DELETE":
            if path not in st.objects:
                return problem(404, "Resource Not Found", "not found")
            for key in [k for k in st.objects if k == path or k.startswith(path + "/")]:
                del st.objects[key]
            return 204, None
        kind = path.rstrip("/").split("/")[-2 if method != "POST" else -1]
        if kind in ("orders", "carts"):
            missing = self._missing_product(path, body)
            if missing:
                return problem(
                    400,
                    "Invalid Resource",
                    f"A product with the provided ID '{missing}' does not exist in "
                    "the account for this list.",
                )
        if method == "POST":
            target = f"{path}/{body['id']}"
            if target in st.objects:
                return problem(
                    400, "Invalid Resource", f"An object with id {body['id']} already exists."
                )
            self._store_object(target, dict(body))
            self._side_effects(target, body)
            return 200, self._view(target, st.objects[target])
        if method == "PATCH":
            if path not in st.objects:
                return problem(404, "Resource Not Found", "not found")
            st.objects[path].update({k: v for k, v in body.items() if k != "variants"})
            self._side_effects(path, body)
            return 200, self._view(path, st.objects[path])
        if method == "PUT":
            self._store_object(path, {**st.objects.get(path, {}), **body})
            self._side_effects(path, body)
            return 200, st.objects[path]
        return problem(405, "Method Not Allowed", method)

    def _store_object(self, path: str, obj: dict[str, Any]) -> None:
        variants = obj.pop("variants", None) if "/products/" in path else None
        self.state.objects[path] = obj
        for v in variants or []:
            self.state.objects[f"{path}/variants/{v['id']}"] = dict(v)
            self.state.variants.setdefault(path, set()).add(f"{path}/variants/{v['id']}")
        if "/variants/" in path:
            self.state.variants.setdefault(path.split("/variants/")[0], set()).add(path)

    def _view(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        if re.search(r"/products/[^/]+$", path):
            paths = sorted(self.state.variants.get(path, ()))
            variants = [self.state.objects[p] for p in paths if p in self.state.objects]
            return {**obj, "variants": variants}
        return obj

    def _missing_product(self, path: str, body: dict[str, Any]) -> str:
        store = re.match(r"^(/ecommerce/stores/[^/]+)", path)
        assert store is not None
        for line in body.get("lines", []):
            if f"{store.group(1)}/products/{line.get('product_id')}" not in self.state.objects:
                return str(line.get("product_id"))
        return ""

    def _side_effects(self, path: str, body: dict[str, Any]) -> None:
        st = self.state
        store = self._store_of(path)
        customer = body.get("customer") if isinstance(body, dict) else None
        if _CUSTOMER.match(path):
            customer = body
        if store is not None and customer and customer.get("email_address"):
            import hashlib

            email = customer["email_address"].lower()
            digest = hashlib.md5(email.encode(), usedforsecurity=False).hexdigest()
            member_path = f"/lists/{store['list_id']}/members/{digest}"
            if member_path not in st.objects:
                status = "subscribed" if customer.get("opt_in_status") else "transactional"
                st.objects[member_path] = {"email_address": email, "status": status, "tags": []}
            root = re.match(r"^/ecommerce/stores/[^/]+", path)
            assert root is not None
            st.objects.setdefault(f"{root.group(0)}/customers/{customer['id']}", dict(customer))
        kind = re.search(r"/(orders|carts)/[^/]+$", path)
        if store is not None and kind and not store.get("is_syncing"):
            st.automations.append((kind.group(1), path.rsplit("/", 1)[-1]))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeState
    fake: FakeMailchimp


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(
        self,
        code: int,
        body: dict[str, Any] | None,
        raw: bytes | None = None,
        ctype: str = "application/json",
    ) -> None:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        if code >= 400:
            ctype = "application/problem+json"
        self.send_response(code)
        if data:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        st, fake = self.server.state, self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        with st.lock:
            st.requests += 1
        if st.latency:
            time.sleep(st.latency)
        if m := re.fullmatch(r"/batch-results/([^/]+)\.tar\.gz", parts.path):
            batch = st.batches.get(m.group(1))
            archive = batch.get("archive") if batch else None
            self._reply(200 if archive else 404, None, archive or b"", "application/x-gzip")
            return
        m = re.fullmatch(r"/([a-z0-9]+)/3\.0(/.*)", parts.path)
        if m is None:
            self._reply(*problem(404, "Resource Not Found", "not an API path"))
            return
        st.hosts[m.group(1)] += 1
        path = m.group(2).rstrip("/")
        auth = self.headers.get("Authorization", "")
        try:
            password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")[2]
        except ValueError:
            password = ""
        if not auth.startswith("Basic ") or password != st.api_key:
            code, body = problem(401, "API Key Invalid", "Your API key may be invalid.")
        elif fault := self._fault(path):
            code, body = problem(fault[2], fault[3], fault[4])
        else:
            code, body = fake.apply(self.command, path, json.loads(raw or b"null") or {})
        with st.lock:
            st.log.append((self.command, path, code))
        self._reply(code, body)

    def _fault(self, path: str) -> tuple[str, str, int, str, str] | None:
        st = self.server.state
        with st.lock:
            for fault in st.faults:
                if fault[0] == self.command and re.search(fault[1], path):
                    st.faults.remove(fault)
                    return fault
        return None

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
