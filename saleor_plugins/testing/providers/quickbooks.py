"""A local fake of QuickBooks Online (Intuit OAuth + the v3 company API) on 127.0.0.1.

What matters to the integration:
- Intuit's token endpoint (``/oauth2/v1/tokens/bearer``): client credentials by HTTP
  Basic, PKCE checked, the company's ``realmId`` given back on the consent redirect,
  refresh tokens that rotate on every use (the previous one refused); the revoke
  endpoint (``/v2/oauth2/tokens/revoke``).
- ``/v3/company/<realm>/<entity>``: customer, salesreceipt, invoice (and
  ``operation=void``), payment, creditmemo, refundreceipt, and ``query`` (to find a
  customer by display name). A token works for the realm it was issued for only: any
  other realm answers 403 (QuickBooks' ``ApplicationAuthorizationFailed``).
- ``requestid``: the same id on the same realm returns the first answer, the write is not
  applied again.
- Tax recalculated by QuickBooks per line from the line's tax code (``Amount`` x the
  code's rate, rounded to the currency), ``Amount`` checked against ``Qty x UnitPrice``,
  duplicate ``DocNumber`` and customer ``DisplayName`` refused with QuickBooks' codes.
- transfer, purchase (an expense paid from an account) and deposit, checked as QuickBooks
  does (accounts named, amounts positive, a transfer between two accounts, expense and
  deposit line details), their ``TotalAmt`` the sum of their lines.
- 429 with QuickBooks' throttle fault; faults and lost answers to inject.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from babel.numbers import get_currency_precision

CLIENT_ID = "qb-client-id-ABCDEF0123"
CLIENT_SECRET = "qb-client-secret-0123456789abcdef"
REALM = "9130350000000001"
OTHER_REALM = "9130350000000999"
#: the company's tax codes (Id -> rate); NON is QuickBooks' "not taxable"
TAX_CODES = {"7": Decimal("0.23"), "8": Decimal("0.10"), "9": Decimal(0), "NON": Decimal(0)}
ENTITIES = {
    "customer": "Customer",
    "salesreceipt": "SalesReceipt",
    "invoice": "Invoice",
    "payment": "Payment",
    "creditmemo": "CreditMemo",
    "refundreceipt": "RefundReceipt",
    # payouts: money moved between accounts, and the provider's fees
    "transfer": "Transfer",
    "purchase": "Purchase",
    "deposit": "Deposit",
}
BANKING = ("Transfer", "Purchase", "Deposit")
SALES = ("SalesReceipt", "Invoice", "CreditMemo", "RefundReceipt")


def cur(value: Any, currency: str = "USD") -> Decimal:
    places = int(get_currency_precision(currency or "USD"))
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fault(code: str, message: str, detail: str = "", kind: str = "ValidationFault") -> dict:
    return {
        "Fault": {
            "Error": [{"Message": message, "Detail": detail or message, "code": code}],
            "type": kind,
        },
        "time": datetime.now(UTC).isoformat(),
    }


@dataclass
class QuickBooksState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> realm
    access: dict[str, str] = field(default_factory=dict)  # access token -> realm
    revoked: list[str] = field(default_factory=list)
    token_calls: list[str] = field(default_factory=list)
    realm: str = REALM  # the company the merchant picks on the consent screen
    documents: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in ENTITIES.values()}
    )
    replays: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, status
    request_ids: list[str] = field(default_factory=list)  # requestid of every write
    faults: list[tuple[str, int]] = field(default_factory=list)  # path part, status
    drop_next_answer: bool = False
    expires_in: int = 3600
    next_id: int = 100
    realm_of: dict[str, str] = field(default_factory=dict)  # document id -> company


class FakeQuickBooks:
    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.state = QuickBooksState()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self) -> QuickBooksState:
        return self.server.state

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeQuickBooks:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests ------------------------------------------------------------------
    def authorize(self, url: str) -> tuple[str, str, str]:
        """What Intuit's consent screen does: (code, state, realmId) for the redirect."""
        query = parse_qs(urlsplit(url).query)
        code = secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.codes[code] = {
                "challenge": query["code_challenge"][0],
                "redirect_uri": query["redirect_uri"][0],
                "realm": self.state.realm,
            }
        return code, query["state"][0], self.state.realm

    def expire_access_tokens(self) -> None:
        with self.state.lock:
            self.state.access.clear()

    def writes(self) -> int:
        return sum(1 for m, p, _ in self.state.requests if m == "POST" and "/v3/" in p)

    def docs(self, entity: str, realm: str | None = None) -> list[dict[str, Any]]:
        """The documents of an entity (of one company, if named)."""
        found = self.state.documents[entity]
        return [d for i, d in found.items() if realm in (None, self.state.realm_of.get(i))]


def _banking_fault(entity: str, item: dict[str, Any]) -> dict | None:
    """QuickBooks' checks of a transfer, purchase or deposit (None: accepted)."""

    def ref(obj: Any, name: str) -> str:
        return str(((obj or {}).get(name) or {}).get("value") or "")

    if entity == "Transfer":
        source, target = ref(item, "FromAccountRef"), ref(item, "ToAccountRef")
        if not source or not target:
            return fault("2020", "Required param missing: FromAccountRef/ToAccountRef")
        if source == target:
            return fault("6000", "A transfer needs two different accounts")
        if not Decimal(str(item.get("Amount") or 0)) > 0:
            return fault("6000", "Amount must be positive")
        return None
    account = "AccountRef" if entity == "Purchase" else "DepositToAccountRef"
    if not ref(item, account):
        return fault("2020", f"Required param missing: {account}")
    if entity == "Purchase" and item.get("PaymentType") not in ("Cash", "Check", "CreditCard"):
        return fault("2020", "Required param missing: PaymentType")
    detail = "AccountBasedExpenseLineDetail" if entity == "Purchase" else "DepositLineDetail"
    lines = item.get("Line") or []
    for line in lines:
        if line.get("DetailType") != detail or not ref(line.get(detail), "AccountRef"):
            return fault("2020", f"Required param missing: {detail}.AccountRef")
        if not Decimal(str(line.get("Amount") or 0)) > 0:
            return fault("6000", "Line amounts must be positive")
    return None if lines else fault("2020", "Required param missing: Line")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: QuickBooksState


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    @property
    def state(self) -> QuickBooksState:
        return self.server.state

    def _reply(self, status: int, body: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("intuit_tid", secrets.token_hex(8))
        self.end_headers()
        self.wfile.write(data)
        with self.state.lock:
            self.state.requests.append((self.command, urlsplit(self.path).path, status))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        split = urlsplit(self.path)
        path, query = split.path, {k: v[0] for k, v in parse_qs(split.query).items()}
        body = self._body()
        if path == "/oauth2/v1/tokens/bearer":
            return self._token(body)
        if path == "/v2/oauth2/tokens/revoke":
            return self._revoke(body)
        parts = path.strip("/").split("/")  # v3 company <realm> <entity>
        if len(parts) != 4 or parts[:2] != ["v3", "company"]:
            return self._reply(404, fault("404", "Not found"))
        realm, entity = parts[2], parts[3].lower()
        auth = self.headers.get("Authorization", "")
        token_realm = self.state.access.get(auth[7:]) if auth.startswith("Bearer ") else None
        if token_realm is None:
            return self._reply(
                401, fault("3200", "AuthenticationFailed", "Token expired", "AUTHENTICATION")
            )
        if token_realm != realm:
            return self._reply(
                403,
                fault("3100", "ApplicationAuthorizationFailed", "realm", "AUTHORIZATION"),
            )
        with self.state.lock:
            for i, (part, status) in enumerate(self.state.faults):
                if part in path:
                    self.state.faults.pop(i)
                    if status == 429:
                        return self._reply(429, fault("003001", "ThrottleExceeded", "", "SERVICE"))
                    return self._reply(status, fault(str(status), "fault", "", "SERVICE"))
        if entity == "query":  # the SDK POSTs the query text
            return self._query(body.decode() or query.get("query", ""))
        if entity == "batch" and self.command == "POST":
            return self._batch(realm, query.get("requestid", ""), json.loads(body or b"{}"))
        if entity not in ENTITIES or self.command != "POST":
            return self._reply(404, fault("404", "Not found"))
        request_id = query.get("requestid", "")
        with self.state.lock:
            self.state.request_ids.append(request_id)
            replay = self.state.replays.get((realm, request_id)) if request_id else None
            if replay is None:
                status, answer = self._write(ENTITIES[entity], json.loads(body or b"{}"), query)
                if status == 200:
                    self.state.realm_of[answer[ENTITIES[entity]]["Id"]] = realm
                data = json.dumps(answer).encode()
                if request_id:
                    self.state.replays[(realm, request_id)] = (status, data)
            else:
                status, data = replay
            if self.state.drop_next_answer:
                self.state.drop_next_answer = False
                self.close_connection = True
                self.connection.shutdown(2)  # applied at QuickBooks, the answer is lost
                return
        self._reply(status, data)

    def _batch(self, realm: str, request_id: str, payload: dict[str, Any]) -> None:
        """Up to 30 operations, each applied or faulted on its own; the batch replayable."""
        items = payload.get("BatchItemRequest") or []
        if len(items) > 30:
            return self._reply(400, fault("1040", "Too many batch items", "max 30"))
        with self.state.lock:
            self.state.request_ids.append(request_id)
            replay = self.state.replays.get((realm, request_id)) if request_id else None
            if replay is not None:
                return self._reply(*replay)
            answers = []
            for item in items:
                bid = str(item.get("bId", ""))
                entity = next((name for name in ENTITIES.values() if name in item), "")
                if not bid or len(bid) > 10 or not entity:
                    answers.append({"bId": bid, "Fault": fault("2020", "Bad batch item")["Fault"]})
                    continue
                status, answer = self._write(entity, item[entity], {})
                if status == 200:
                    answers.append({"bId": bid, entity: answer[entity]})
                else:
                    answers.append({"bId": bid, "Fault": answer["Fault"]})
            data = json.dumps({"BatchItemResponse": answers}).encode()
            if request_id:
                self.state.replays[(realm, request_id)] = (200, data)
            if self.state.drop_next_answer:
                self.state.drop_next_answer = False
                self.close_connection = True
                self.connection.shutdown(2)
                return
        self._reply(200, data)

    def _query(self, text: str) -> None:
        # the only query the integration makes: select * from Customer where DisplayName = '…'
        name = text.partition("DisplayName = '")[2].rpartition("'")[0].replace("\\'", "'")
        found = [c for c in self.state.documents["Customer"].values() if c["DisplayName"] == name]
        self._reply(200, {"QueryResponse": {"Customer": found} if found else {}})

    # -- writes -------------------------------------------------------------------------------
    def _write(self, entity: str, item: dict[str, Any], query: dict[str, str]) -> tuple[int, Any]:
        docs = self.state.documents[entity]
        if query.get("operation") == "void":
            doc = docs.get(str(item.get("Id")))
            if doc is None:
                return 400, fault("610", "Object Not Found")
            if str(item.get("SyncToken")) != doc["SyncToken"]:
                return 400, fault("5010", "Stale Object Error")
            for line in doc["Line"]:
                line["Amount"] = 0
            doc.update(TotalAmt=0, PrivateNote="Voided", SyncToken=str(int(doc["SyncToken"]) + 1))
            doc["TxnTaxDetail"] = {"TotalTax": 0}
            return 200, {entity: doc}
        error = self._validate(entity, item)
        if error:
            return 400, error
        if item.get("Id"):  # a full update of a document QuickBooks holds
            held = docs.get(str(item["Id"]))
            if held is None:
                return 400, fault("610", "Object Not Found")
            if str(item.get("SyncToken")) != held["SyncToken"]:
                return 400, fault("5010", "Stale Object Error")
            doc = dict(item, SyncToken=str(int(held["SyncToken"]) + 1))
        else:
            doc = dict(item, Id=str(self.state.next_id), SyncToken="0")
            self.state.next_id += 1
        if entity in SALES:
            self._recalculate(doc)
        if entity in ("Purchase", "Deposit"):
            doc["TotalAmt"] = str(sum((Decimal(str(x["Amount"])) for x in doc["Line"]), Decimal(0)))
        if entity == "Payment":
            doc["UnappliedAmt"] = 0
        docs[doc["Id"]] = doc
        return 200, {entity: doc, "time": datetime.now(UTC).isoformat()}

    def _validate(self, entity: str, item: dict[str, Any]) -> dict | None:
        docs = self.state.documents
        if entity in BANKING:
            return _banking_fault(entity, item)
        if entity == "Customer":
            name = str(item.get("DisplayName") or "")
            if not name or len(name) > 500:
                return fault("2020", "Required param missing, need to supply the required value")
            if any(c["DisplayName"] == name for c in docs["Customer"].values()):
                return fault("6240", "Duplicate Name Exists Error", f"Name: {name}")
            return None
        customer = str((item.get("CustomerRef") or {}).get("value") or "")
        if customer not in docs["Customer"]:
            return fault("2500", "Invalid Reference Id", f"Customer {customer}")
        if entity == "Payment":
            for line in item.get("Line") or []:
                for linked in line.get("LinkedTxn") or []:
                    if str(linked.get("TxnId")) not in docs["Invoice"]:
                        return fault("2500", "Invalid Reference Id", "Invoice")
            return None
        number = item.get("DocNumber")
        if number and len(str(number)) > 21:
            return fault("6000", "String length is too long", "DocNumber: max 21")
        if number and any(
            d.get("DocNumber") == number and d["Id"] != str(item.get("Id"))
            for d in docs[entity].values()
        ):
            return fault("6140", "Duplicate Document Number Error", f"DocNumber {number}")
        currency = str((item.get("CurrencyRef") or {}).get("value") or "USD")
        for line in item.get("Line") or []:
            detail = line.get("SalesItemLineDetail") or {}
            if not (detail.get("ItemRef") or {}).get("value"):
                return fault("2020", "Required param missing: ItemRef")
            code = str((detail.get("TaxCodeRef") or {}).get("value") or "")
            if code not in TAX_CODES:
                return fault("6000", "Invalid tax code", f"TaxCodeRef {code}")
            qty, price = Decimal(str(detail.get("Qty", 1))), Decimal(str(detail.get("UnitPrice")))
            if cur(qty * price, currency) != cur(line.get("Amount", 0), currency):
                return fault("6070", "Amount is not equal to UnitPrice * Qty")
        return None

    def _recalculate(self, doc: dict[str, Any]) -> None:
        """QuickBooks ignores any tax we send: per line, the code's rate, rounded."""
        currency = str((doc.get("CurrencyRef") or {}).get("value") or "USD")
        net, tax = Decimal(0), Decimal(0)
        for line in doc.get("Line") or []:
            detail = line.get("SalesItemLineDetail") or {}
            amount = cur(line.get("Amount", 0), currency)
            rate = TAX_CODES[str((detail.get("TaxCodeRef") or {}).get("value"))]
            net, tax = net + amount, tax + cur(amount * rate, currency)
        doc["TxnTaxDetail"] = {"TotalTax": str(tax)}
        doc["TotalAmt"] = str(net + tax)

    # -- OAuth ---------------------------------------------------------------------------------
    def _client_ok(self) -> bool:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return self.headers.get("Authorization", "") == f"Basic {basic}"

    def _revoke(self, body: bytes) -> None:
        if not self._client_ok():
            return self._reply(401, {"error": "invalid_client"})
        try:
            token = str(json.loads(body).get("token", ""))
        except ValueError:
            token = parse_qs(body.decode()).get("token", [""])[0]
        with self.state.lock:
            self.state.revoked.append(token)
            self.state.refresh.pop(token, None)
        self._reply(200, {})

    def _token(self, body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if not self._client_ok():
            return self._reply(401, {"error": "invalid_client"})
        with self.state.lock:
            self.state.token_calls.append(form.get("grant_type", ""))
            if form.get("grant_type") == "authorization_code":
                grant = self.state.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "").encode()
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
                ).decode()
                if grant is None or grant["challenge"] != challenge:
                    return self._reply(400, {"error": "invalid_grant"})
                return self._reply(200, self._issue(grant["realm"]))
            if form.get("grant_type") == "refresh_token":
                realm = self.state.refresh.pop(form.get("refresh_token", ""), None)
                if realm is None:
                    return self._reply(400, {"error": "invalid_grant"})
                return self._reply(200, self._issue(realm))
        return self._reply(400, {"error": "unsupported_grant_type"})

    def _issue(self, realm: str) -> dict[str, Any]:
        access, refresh = "qa_" + secrets.token_urlsafe(24), "qr_" + secrets.token_urlsafe(24)
        self.state.access[access] = realm
        self.state.refresh[refresh] = realm
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.state.expires_in,
            "x_refresh_token_expires_in": 157680000,  # five years
            "token_type": "bearer",
        }
