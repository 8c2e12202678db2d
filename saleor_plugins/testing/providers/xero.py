"""A local fake of Xero (identity + accounting API) on 127.0.0.1, for authlib and the SDK.

What matters to the integration: PKCE checked at the token endpoint; refresh tokens that
rotate on every use, the previous one still accepted for a grace window; revocation;
``/connections`` listing tenants; invoices, credit notes, payments and contacts created
by PUT/POST with ``Idempotency-Key`` replay (the same key returns the first answer);
``summarizeErrors=false`` per-element validation; bank transfers and bank transactions
(payouts) checked against Xero's OpenAPI spec (``xero_spec.py``) and Xero's own rules, per
organisation (``xero-tenant-id``); Xero's per-line arithmetic (line amount = quantity x
unit amount rounded to 2 decimals, tax taken as given or computed per line);
429 with Retry-After and the remaining-quota headers; a latency to simulate.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import xero_spec as spec

CLIENT_ID = "xero-client-id-0001"
CLIENT_SECRET = "xero-client-secret-0123456789"
TENANT = "b1f5e0c2-0000-4000-8000-00000000abcd"


def dp(value: Any, places: int = 2) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass
class XeroState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> challenge, redirect
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> "current"/"previous"
    rotated: dict[str, float] = field(default_factory=dict)  # previous token -> rotated at
    access: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)
    token_calls: list[str] = field(default_factory=list)  # grant types, in order
    grace: float = 1800.0
    token_delay: float = 0.0
    fail_next_token_response: bool = False  # rotate, then drop the answer (a lost response)
    tenants: list[dict[str, str]] = field(
        default_factory=lambda: [
            {"tenantId": TENANT, "tenantName": "Demo Co", "tenantType": "ORGANISATION"}
        ]
    )
    documents: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {
            "Invoices": {},
            "CreditNotes": {},
            "Payments": {},
            "Contacts": {},
            "BankTransfers": {},
            "BankTransactions": {},
        }
    )
    idempotency: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    tenant_of: dict[str, str] = field(default_factory=dict)  # document id -> organisation
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, status
    faults: list[tuple[str, int, dict[str, str]]] = field(
        default_factory=list
    )  # path part, status, headers
    day_remaining: int = 5000
    latency: float = 0.0
    expires_in: int = 1800
    drop_next_answer: bool = False  # apply the write, then lose the answer


class FakeXero:
    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.state = XeroState()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self) -> XeroState:
        return self.server.state

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeXero:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests ------------------------------------------------------------------
    def authorize(self, url: str) -> tuple[str, str]:
        """What the consent screen does: (code, state) for the redirect back."""
        query = parse_qs(urlsplit(url).query)
        code = secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.codes[code] = {
                "challenge": query["code_challenge"][0],
                "method": query.get("code_challenge_method", [""])[0],
                "redirect_uri": query["redirect_uri"][0],
            }
        return code, query["state"][0]

    def expire_access_tokens(self) -> None:
        with self.state.lock:
            self.state.access.clear()

    def docs(self, kind: str, tenant: str = TENANT) -> list[dict[str, Any]]:
        """The organisation's documents of a kind."""
        found = self.state.documents[kind]
        return [d for i, d in found.items() if self.state.tenant_of.get(i) == tenant]

    def count(self, method: str, part: str) -> int:
        return sum(1 for m, p, s in self.state.requests if m == method and part in p and s < 300)


ID_FIELDS = {
    "Invoices": "InvoiceID",
    "CreditNotes": "CreditNoteID",
    "Payments": "PaymentID",
    "Contacts": "ContactID",
    "BankTransfers": "BankTransferID",
    "BankTransactions": "BankTransactionID",
}
#: the kinds whose bodies are checked against the spec's schema
SPEC_CHECKED = {"BankTransfers": "BankTransfer", "BankTransactions": "BankTransaction"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: XeroState


def xero_total(line: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """Xero's arithmetic for one line: (line amount, tax amount)."""
    amount = dp(Decimal(str(line.get("Quantity", 1))) * Decimal(str(line.get("UnitAmount", 0))))
    if "TaxAmount" in line and line["TaxAmount"] is not None:
        tax = dp(line["TaxAmount"])
    else:
        tax = dp(amount * Decimal(str(line.get("_rate", 0))))
    return amount, tax


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    @property
    def state(self) -> XeroState:
        return self.server.state

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-DayLimit-Remaining", str(self.state.day_remaining))
        self.send_header("X-MinLimit-Remaining", "59")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        path = urlsplit(self.path).path
        with self.state.lock:
            self.state.requests.append((self.command, path, status))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def _route(self, method: str) -> None:
        if self.state.latency:
            time.sleep(self.state.latency)
        path = urlsplit(self.path).path
        body = self._body()
        if path == "/connect/token":
            return self._token(body)
        if path == "/connect/revocation":
            token = parse_qs(body.decode()).get("token", [""])[0]
            with self.state.lock:
                self.state.revoked.add(token)
                self.state.refresh.pop(token, None)
            return self._reply(200, {})
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.state.access:
            return self._reply(
                401,
                {"Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"},
            )
        if path.lower() == "/connections":  # Xero paths are case-insensitive
            return self._reply(200, self.state.tenants)
        with self.state.lock:
            for i, (part, status, headers) in enumerate(self.state.faults):
                if part in path:
                    self.state.faults.pop(i)
                    return self._reply(status, {"Title": "fault", "Status": status}, headers)
        tenant = self.headers.get("xero-tenant-id")
        if tenant not in {t["tenantId"] for t in self.state.tenants}:
            return self._reply(403, {"Title": "Forbidden", "Detail": "tenant"})
        if self.state.day_remaining <= 0:
            return self._reply(
                429, {"Title": "Too many"}, {"Retry-After": "3600", "X-Rate-Limit-Problem": "day"}
            )
        key = self.headers.get("Idempotency-Key")
        if key and key in self.state.idempotency:
            status, data = self.state.idempotency[key]
            return self._reply(status, data)
        prefix = "/api.xro/2.0/"
        if not path.startswith(prefix):
            return self._reply(404, {"Title": "Not found"})
        kind = path[len(prefix) :].split("/")[0]
        if kind not in self.state.documents:
            return self._reply(404, {"Title": "Not found"})
        if method == "GET":
            return self._reply(200, {kind: list(self.state.documents[kind].values())})
        self.state.day_remaining -= 1
        payload = json.loads(body or b"{}")
        items = payload.get(kind, [payload])
        summarize = (
            parse_qs(urlsplit(self.path).query).get("summarizeErrors", ["true"])[0].lower()
            != "false"
        )
        results, failed = [], False
        for item in items:
            errors = self._validate(kind, item)
            stored = dict(item)
            if errors:
                failed = True
                stored["HasValidationErrors"] = True
                stored["ValidationErrors"] = [{"Message": m} for m in errors]
            else:
                stored = self._store(kind, item)
                self.state.tenant_of[stored[ID_FIELDS[kind]]] = str(tenant)
            results.append(stored)
        if failed and summarize:
            data = json.dumps(
                {
                    "ErrorNumber": 10,
                    "Type": "ValidationException",
                    "Message": "A validation exception occurred",
                    "Elements": results,
                }
            ).encode()
            status = 400
        else:
            data = json.dumps({"Id": str(uuid.uuid4()), "Status": "OK", kind: results}).encode()
            status = 200
        if key:
            self.state.idempotency[key] = (status, data)
        if self.state.drop_next_answer:
            self.state.drop_next_answer = False
            self.close_connection = True
            self.connection.shutdown(2)  # applied at Xero, the answer never arrives
            return
        self._reply(status, data)

    def _validate(self, kind: str, item: dict[str, Any]) -> list[str]:
        errors = []
        existing = item.get("InvoiceID") or item.get("CreditNoteID")
        if existing:  # an update (e.g. Status VOIDED) of a document Xero holds
            return [] if existing in self.state.documents[kind] else ["Document not found"]
        if kind in ("Invoices", "CreditNotes"):
            if not (item.get("Contact") or {}).get("ContactID") and not (
                item.get("Contact") or {}
            ).get("Name"):
                errors.append("A Contact must be specified for this type of transaction")
            for line in item.get("LineItems") or []:
                if not line.get("AccountCode") and not line.get("ItemCode"):
                    errors.append("Account code must be specified")
                if len(str(line.get("Description", ""))) > 4000:
                    errors.append("Description must not exceed 4000 characters")
            ref = item.get("InvoiceNumber") or item.get("CreditNoteNumber")
            for doc in self.state.documents[kind].values():
                if ref and (doc.get("InvoiceNumber") or doc.get("CreditNoteNumber")) == ref:
                    errors.append(f"Invoice # must be unique: {ref}")
        if kind == "Payments":
            if not (item.get("Invoice") or {}).get("InvoiceID") and not (
                item.get("CreditNote") or {}
            ).get("CreditNoteID"):
                errors.append("Invoice or credit note must be specified")
            if not (item.get("Account") or {}).get("Code") and not (item.get("Account") or {}).get(
                "AccountID"
            ):
                errors.append("Account must be specified")
        if kind == "Contacts" and not item.get("Name"):
            errors.append("The contact name must be specified")
        if kind in SPEC_CHECKED:
            errors += spec.errors(SPEC_CHECKED[kind], item) + self._bank_rules(kind, item)
        return errors

    def _bank_rules(self, kind: str, item: dict[str, Any]) -> list[str]:
        """Xero's rules beyond the schema for the payout documents."""
        if kind == "BankTransfers":
            source = (item.get("FromBankAccount") or {}).get("Code")
            target = (item.get("ToBankAccount") or {}).get("Code")
            found = [] if source and target else ["Bank account codes must be specified"]
            if source == target:
                found.append("The from and to bank accounts must be different")
            if not Decimal(str(item.get("Amount") or 0)) > 0:
                found.append("Amount must be greater than zero")
            return found
        found = [] if (item.get("Contact") or {}).get("Name") else ["A Contact must be specified"]
        if not (item.get("BankAccount") or {}).get("Code"):
            found.append("A bank account must be specified")
        for line in item.get("LineItems") or []:
            if not line.get("AccountCode"):
                found.append("Account code must be specified")
        return found

    def _store(self, kind: str, item: dict[str, Any]) -> dict[str, Any]:
        doc = dict(item)
        id_field = ID_FIELDS[kind]
        existing = doc.get(id_field)
        if existing and existing in self.state.documents[kind]:
            merged = {**self.state.documents[kind][existing], **doc}
            doc = merged
        else:
            doc[id_field] = existing or str(uuid.uuid4())
        if kind in ("Invoices", "CreditNotes", "BankTransactions"):
            sub, tax = Decimal(0), Decimal(0)
            for line in doc.get("LineItems") or []:
                amount, line_tax = xero_total(line)
                line["LineAmount"], line["TaxAmount"] = float(amount), float(line_tax)
                sub, tax = sub + amount, tax + line_tax
            doc["SubTotal"], doc["TotalTax"], doc["Total"] = (
                float(sub),
                float(tax),
                float(sub + tax),
            )
        with self.state.lock:
            self.state.documents[kind][doc[id_field]] = doc
        return doc

    def _token(self, body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        auth = self.headers.get("Authorization", "")
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != f"Basic {basic}" and not (
            form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET
        ):
            return self._reply(401, {"error": "invalid_client"})
        if self.state.token_delay:
            time.sleep(self.state.token_delay)
        with self.state.lock:
            self.state.token_calls.append(form.get("grant_type", ""))
            if form.get("grant_type") == "authorization_code":
                grant = self.state.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if grant is None or grant["challenge"] != challenge or grant["method"] != "S256":
                    return self._reply(400, {"error": "invalid_grant"})
                return self._reply(200, self._issue_locked())
            if form.get("grant_type") == "refresh_token":
                token = form.get("refresh_token", "")
                state = self.state.refresh.get(token)
                fresh = state == "current" or (
                    state == "previous"
                    and time.time() - self.state.rotated.get(token, 0) < self.state.grace
                )
                if not fresh:
                    return self._reply(400, {"error": "invalid_grant"})
                for other, st in list(self.state.refresh.items()):
                    if st == "current" and other != token:
                        self.state.refresh[other] = "previous"
                        self.state.rotated[other] = time.time()
                if state == "current":
                    self.state.refresh[token] = "previous"
                    self.state.rotated[token] = time.time()
                issued = self._issue_locked()
                if self.state.fail_next_token_response:
                    self.state.fail_next_token_response = False
                    self.close_connection = True
                    self.wfile.write(b"")  # the rotation happened; the answer is lost
                    self.connection.shutdown(2)
                    return
                return self._reply(200, issued)
        return self._reply(400, {"error": "unsupported_grant_type"})

    def _issue_locked(self) -> dict[str, Any]:
        access, refresh = "xa_" + secrets.token_urlsafe(24), "xr_" + secrets.token_urlsafe(24)
        self.state.access.add(access)
        self.state.refresh[refresh] = "current"
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.state.expires_in,
            "token_type": "Bearer",
            "scope": "offline_access accounting.transactions accounting.contacts",
        }
