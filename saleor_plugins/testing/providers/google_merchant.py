"""A local Merchant API: OAuth token endpoint, productInputs, products, dataSources, batch.

Driven through the real google-api-python-client (httplib2) on 127.0.0.1. Every request
body is checked against the discovery document's schema (unknown fields, wrong types,
enum values), so a payload Google would refuse fails here too.
"""

from __future__ import annotations

import base64
import email.parser
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BOUNDARY = "batch_fake_boundary"


def discovery(name: str) -> dict[str, Any]:
    path = resources.files("googleapiclient") / "discovery_cache" / "documents" / name
    return json.loads(path.read_text())


PRODUCTS = discovery("merchantapi.products_v1.json")
DATASOURCES = discovery("merchantapi.datasources_v1.json")


def schema_errors(
    value: Any, schema: dict[str, Any], schemas: dict[str, Any], at: str = ""
) -> list[str]:
    """Where ``value`` breaks the discovery ``schema`` (empty when it conforms)."""
    if "$ref" in schema:
        return schema_errors(value, schemas[schema["$ref"]], schemas, at)
    kind = schema.get("type")
    errors: list[str] = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{at}: expected an object"]
        props = schema.get("properties", {})
        for key, item in value.items():
            if key not in props:
                errors.append(f"{at}.{key}: unknown field")
            else:
                errors += schema_errors(item, props[key], schemas, f"{at}.{key}")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{at}: expected an array"]
        for i, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), schemas, f"{at}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{at}: expected a string"]
        if "enum" in schema and value not in schema["enum"]:
            errors.append(f"{at}: {value!r} not in enum")
        if schema.get("format") == "int64" and not re.fullmatch(r"-?\d+", value):
            errors.append(f"{at}: {value!r} is not an int64 string")
        if schema.get("format") == "google-datetime" and "T" not in value:
            errors.append(f"{at}: {value!r} is not a timestamp")
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{at}: expected a boolean")
    elif kind in ("number", "integer") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        errors.append(f"{at}: expected a number")
    return errors


def decode_input_id(segment: str) -> str:
    if "~" in segment:
        return segment
    padded = segment + "=" * (-len(segment) % 4)
    return base64.urlsafe_b64decode(padded).decode()


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeMerchant:
    server: HTTPServer
    #: (data source, "lang~label~offer") -> stored ProductInput
    inputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    http_requests: Counter[str] = field(default_factory=Counter)
    batch_sizes: list[int] = field(default_factory=list)  # calls in each batch request
    schema_problems: list[str] = field(default_factory=list)
    refuse_token: bool = False
    reject_token: bool = False  # token issued, but the API answers 401
    refuse_offer: dict[str, str] = field(default_factory=dict)  # offerId -> 400 reason
    fail_with: int | None = None  # every API call answers this status
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)  # offerId -> productStatus
    foreign: list[dict[str, Any]] = field(default_factory=list)  # products of other sources
    created_sources: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.server.url_for("/")

    @property
    def token_uri(self) -> str:
        return self.server.url_for("/token")

    def install(self) -> None:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    def api_calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if method is None or c.method == method]

    def offers(self, data_source: str | None = None) -> dict[str, dict[str, Any]]:
        return {
            key.rsplit("~", 1)[-1]: body
            for (source, key), body in self.inputs.items()
            if data_source is None or source == data_source
        }

    # -- HTTP --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        with self.lock:
            if request.path == "/token":
                self.http_requests["token"] += 1
                if self.refuse_token:
                    refusal = {
                        "error": "invalid_grant",
                        "error_description": "Invalid JWT Signature.",
                    }
                    return Response(json.dumps(refusal), 400, content_type="application/json")
                body = {
                    "access_token": "ya29.fake-token",
                    "expires_in": 3600,
                    "token_type": "Bearer",
                }
                return Response(json.dumps(body), 200, content_type="application/json")
            if request.path == "/batch":
                self.http_requests["batch"] += 1
                return self._batch(request)
            self.http_requests["single"] += 1
            status, body = self._api(
                request.method,
                request.path,
                dict(request.args),
                request.get_data(),
                request.headers.get("Authorization", ""),
            )
            return Response(json.dumps(body), status, content_type="application/json")

    def _batch(self, request: Request) -> Response:
        raw = request.get_data()
        message = email.parser.BytesParser().parsebytes(
            f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode() + raw
        )
        parts = []
        chunks: list[Any] = message.get_payload()  # type: ignore[assignment]
        self.batch_sizes.append(len(chunks))
        for part in chunks:
            content_id = part["Content-ID"].strip("<>")
            text = str(part.get_payload(decode=False))
            head, _, body = (
                text.partition("\r\n\r\n") if "\r\n\r\n" in text else text.partition("\n\n")
            )
            lines = head.splitlines()
            method, target, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            path, _, query = target.partition("?")
            args = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            from urllib.parse import unquote

            args = {k: unquote(v) for k, v in args.items()}
            auth = headers.get("Authorization", headers.get("authorization", ""))
            status, answer = self._api(method, path, args, body.encode(), auth)
            payload = json.dumps(answer)
            parts.append(
                f"--{BOUNDARY}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{content_id}>\r\n\r\n"
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n{payload}\r\n"
            )
        text = "".join(parts) + f"--{BOUNDARY}--\r\n"
        return Response(text, 200, content_type=f"multipart/mixed; boundary={BOUNDARY}")

    def _api(
        self, method: str, path: str, args: dict[str, str], raw: bytes, auth: str
    ) -> tuple[int, Any]:
        body = json.loads(raw) if raw.strip() else None
        self.calls.append(Call(method, path, args, body))
        if self.reject_token or auth != "Bearer ya29.fake-token":
            return 401, {"error": {"code": 401, "message": "Request had invalid credentials."}}
        if self.fail_with is not None:
            return self.fail_with, {"error": {"code": self.fail_with, "message": "backend error"}}
        m = re.fullmatch(r"/products/v1/accounts/(\d+)/productInputs:insert", path)
        if m and method == "POST":
            return self._insert(m.group(1), args, body)
        m = re.fullmatch(r"/products/v1/accounts/(\d+)/productInputs/([^/]+)", path)
        if m and method == "DELETE":
            key = decode_input_id(m.group(2))
            if self.inputs.pop((args.get("dataSource", ""), key), None) is None:
                return 404, {"error": {"code": 404, "message": "Not found"}}
            return 200, {}
        m = re.fullmatch(r"/products/v1/accounts/(\d+)/products", path)
        if m and method == "GET":
            return self._list(m.group(1), args)
        m = re.fullmatch(r"/datasources/v1/accounts/(\d+)/dataSources", path)
        if m and method == "POST":
            problems = schema_errors(body, {"$ref": "DataSource"}, DATASOURCES["schemas"])
            self.schema_problems += problems
            if problems:
                return 400, {"error": {"code": 400, "message": "; ".join(problems)}}
            created = dict(
                body or {}, name=f"accounts/{m.group(1)}/dataSources/9001", dataSourceId="9001"
            )
            self.created_sources.append(created)
            return 200, created
        return 404, {"error": {"code": 404, "message": f"no route {method} {path}"}}

    def _insert(self, account: str, args: dict[str, str], body: Any) -> tuple[int, Any]:
        problems = schema_errors(body, {"$ref": "ProductInput"}, PRODUCTS["schemas"])
        source = args.get("dataSource", "")
        if not source.startswith(f"accounts/{account}/dataSources/"):
            problems.append("dataSource missing or of another account")
        for required in ("offerId", "contentLanguage", "feedLabel"):
            if not body.get(required):
                problems.append(f"{required} is required")
        if problems:
            self.schema_problems += problems
            return 400, {"error": {"code": 400, "message": "; ".join(problems)}}
        if body["offerId"] in self.refuse_offer:
            return 400, {"error": {"code": 400, "message": self.refuse_offer[body["offerId"]]}}
        key = f"{body['contentLanguage']}~{body['feedLabel']}~{body['offerId']}"
        self.inputs[(source, key)] = body
        return 200, dict(body, name=f"accounts/{account}/productInputs/{key}")

    def _list(self, account: str, args: dict[str, str]) -> tuple[int, Any]:
        products = [
            {
                "name": f"accounts/{account}/products/{key}",
                "dataSource": source,
                "offerId": body["offerId"],
                "contentLanguage": body["contentLanguage"],
                "feedLabel": body["feedLabel"],
                "productAttributes": body.get("productAttributes", {}),
                "productStatus": self.statuses.get(body["offerId"], {}),
            }
            for (source, key), body in sorted(self.inputs.items())
        ] + self.foreign
        size = min(int(args.get("pageSize", 25)), 1000)
        start = int(args.get("pageToken") or 0)
        page: dict[str, Any] = {"products": products[start : start + size]}
        if start + size < len(products):
            page["nextPageToken"] = str(start + size)
        return 200, page
