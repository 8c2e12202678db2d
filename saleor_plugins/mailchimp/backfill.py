"""Backfilling a channel through Mailchimp's batch operations, resumably.

One ``POST /batches`` carries up to ``batch_size`` operations, so 120,000 orders take a few
hundred requests instead of 120,000. While it runs the store is flagged ``is_syncing``, so
Mailchimp's automations do not fire on history.

Order matters: products first (orders may only name products the store has), then
customers, promo codes (sent directly: a code needs its rule to exist, and operations in
one batch run in no fixed order) and orders. After every submitted batch the cursor
(the last object id sent) is saved with the batch id in one transaction: a crashed
backfill started again skips what was sent and waits for the batches still running.
Objects sent twice (a crash between submit and save) are harmless: Mailchimp answers
"already exists" and the object is kept.

The kernel's ledger says what the store already holds: those products and orders are
updated (``PATCH``, variants ``PUT``), the others created, so a backfill run again over a
live store refreshes it instead of being answered "already exists". Each batch records
what it carried; once Mailchimp confirmed an operation, its object is held in the ledger
(live sync and routing then know it is there).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import batched
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from ..core import ledger
from ..core import snapshots as s
from ..core.collector import collector_paused
from ..core.errors import ConfigurationError
from ..core.host import get_host
from ..core.ratelimit import limiter
from . import mapping
from .client import subscriber_hash
from .connector import MailchimpIntegration
from .models import BackfillBatch, BackfillCursor
from .settings import Data, MailchimpSettings

logger = logging.getLogger(__name__)

SEQUENCE: tuple[tuple[str, Data], ...] = (
    ("product", Data.PRODUCTS),
    ("customer", Data.CUSTOMERS),
    ("voucher", Data.PROMO_CODES),
    ("order", Data.ORDERS),
)
MAX_ERRORS_KEPT = 100
#: answers to a resent create that mean "it is there already": not a failure
BENIGN = ("already exists",)
#: operations whose object the ledger tracks (operation id "<type>:<id>")
TRACKED = ("product", "order")


class Progress(Protocol):
    def update(self, n: int = 1) -> Any: ...

    def close(self) -> Any: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        return None

    def close(self) -> None:
        return None


ProgressFactory = Callable[[str, int, int], Progress]


@dataclass
class Summary:
    channel: str
    sent: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    errored: int = 0
    finished: bool = False
    requests: int = 0


def load(channel: str) -> MailchimpIntegration:
    """The channel's Mailchimp installation, sharing the account's concurrency slots."""
    stored = get_host().installation(MailchimpIntegration.id, channel)
    if stored is None or not stored.active:
        raise ConfigurationError(f"Mailchimp is not active in channel {channel!r}")
    cfg = MailchimpSettings.from_configuration(stored.configuration, active=True)
    return share_slots(MailchimpIntegration(cfg, channel=channel, host=get_host()))


def share_slots(integration: MailchimpIntegration) -> MailchimpIntegration:
    """Take the account's concurrency slots from the semaphore the workers use."""
    limit = MailchimpIntegration.rate_limit
    assert limit is not None
    key = integration.account_key()
    integration.client.slot = lambda: limiter.slot(key, limit, max_wait=60.0)
    return integration


def command(
    integration: MailchimpIntegration, object_types: Sequence[str], options: Mapping[str, Any]
) -> str:
    """``manage.py saleor_plugins_backfill`` for Mailchimp (see ``Integration.backfill``)."""
    known = {t for t, _ in SEQUENCE}
    unknown = sorted(set(object_types) - known)
    if unknown:
        raise ConfigurationError(
            f"Mailchimp backfills {', '.join(t for t, _ in SEQUENCE)}, not {', '.join(unknown)}"
        )
    mc, extra = share_slots(integration), dict(options.get("extra") or {})
    if options.get("restart"):
        BackfillCursor.objects.filter(channel=mc.channel).delete()
        BackfillBatch.objects.filter(channel=mc.channel).delete()
    webhook = str(extra.get("batch_webhook_url", ""))
    if webhook:
        mc.client.call(mc.client.batch_webhooks.create, {"url": webhook})
    try:
        poll = float(extra.get("poll_interval", 10.0))
    except ValueError as e:
        raise ConfigurationError("poll_interval must be a number of seconds") from e
    summary = Backfill(
        mc,
        batch_size=int(options.get("batch_size") or 500),
        poll_interval=poll,
        progress=options.get("progress"),
        only=tuple(object_types),
    ).run()
    sent = ", ".join(f"{k}: {v}" for k, v in summary.sent.items()) or "nothing new"
    state = "done" if summary.finished else "batches still running; run again to finish"
    return (
        f"{mc.channel}: {sent}; {summary.batches} batch(es), {summary.errored} refused by "
        f"Mailchimp; {summary.requests} request(s); {state}"
    )


class Backfill:
    def __init__(
        self,
        integration: MailchimpIntegration,
        *,
        batch_size: int = 500,
        poll_interval: float = 5.0,
        wait_timeout: float = 6 * 3600.0,
        progress: ProgressFactory | None = None,
        sleep: Callable[[float], object] = time.sleep,
        only: tuple[str, ...] = (),
    ) -> None:
        self.mc = integration
        self.channel = integration.channel
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.progress = progress or (lambda desc, total, initial: _Silent())
        self.sleep = sleep
        self.only = only
        self.members: set[str] = set()
        self.summary = Summary(self.channel)

    # -- the whole run -----------------------------------------------------------------
    def run(self) -> Summary:
        self.mc.set_syncing(True)
        for object_type, data in SEQUENCE:
            if not self.mc.cfg.syncs(data) or (self.only and object_type not in self.only):
                continue
            cursor, _ = BackfillCursor.objects.get_or_create(
                channel=self.channel, object_type=object_type
            )
            if not cursor.done:
                self._send_all(object_type, cursor)
            if object_type == "product" and not self.wait():
                return self._stop()
        if not self.wait():
            return self._stop()
        self.mc.set_syncing(False)
        self.summary.finished = True
        return self._stop()

    def _stop(self) -> Summary:
        self.summary.requests = self.mc.client.requests
        rows = BackfillBatch.objects.filter(channel=self.channel)
        self.summary.batches = rows.count()
        self.summary.errored = sum(rows.values_list("errored", flat=True))
        return self.summary

    # -- sending -----------------------------------------------------------------------
    def _send_all(self, object_type: str, cursor: BackfillCursor) -> None:
        host, channel = self.mc.host, self.channel
        ids = list(host.iter_ids(object_type, channel))
        if cursor.last_id and cursor.last_id not in set(ids):
            logger.warning("mailchimp backfill: resume point gone, resending %s", object_type)
            cursor.last_id, cursor.sent = "", 0
        cursor.total = len(ids)
        cursor.save(update_fields=["last_id", "sent", "total"])
        bar = self.progress(f"{channel} {object_type}s", cursor.total, cursor.sent)
        skipping = bool(cursor.last_id)
        ops: list[dict[str, Any]] = []
        count, last = 0, ""
        objects = host.iter_objects(object_type, channel, page_size=self.batch_size)
        with collector_paused():  # many short-lived objects (core.collector)
            for page in batched(objects, self.batch_size):
                if skipping:
                    ids = [_id(obj) for obj in page]
                    if cursor.last_id not in ids:
                        continue
                    page = page[ids.index(cursor.last_id) + 1 :]
                    skipping = False
                if object_type == "voucher":
                    for obj in page:
                        self.mc.sync_voucher(obj)
                        self._advance(cursor, _id(obj), 1, None)
                        bar.update(1)
                    continue
                held = ledger.held(self.mc.id, channel, object_type, [_id(obj) for obj in page])
                for obj in page:
                    object_id = _id(obj)
                    ops += self.operations(object_type, obj, exists=object_id in held)
                    count, last = count + 1, object_id
                    if len(ops) >= self.batch_size:
                        self._submit(cursor, object_type, ops, last, count)
                        bar.update(count)
                        ops, count = [], 0
        if ops or count:
            self._submit(cursor, object_type, ops, last, count)
            bar.update(count)
        cursor.done = True
        cursor.save(update_fields=["done"])
        bar.close()
        self.summary.sent[object_type] = cursor.sent

    def _submit(
        self,
        cursor: BackfillCursor,
        object_type: str,
        ops: list[dict[str, Any]],
        last_id: str,
        count: int,
    ) -> None:
        row = None
        if ops:
            answer = self.mc.client.call(self.mc.client.batches.start, {"operations": ops})
            tracked = [op["operation_id"] for op in ops if _tracked(op["operation_id"])]
            row = BackfillBatch(
                batch_id=str(answer["id"]),
                channel=self.channel,
                object_type=object_type,
                operations=len(ops),
                tracked=tracked,
            )
        self._advance(cursor, last_id, count, row)

    def _advance(
        self, cursor: BackfillCursor, last_id: str, count: int, batch: BackfillBatch | None
    ) -> None:
        with transaction.atomic():
            if (
                batch is not None
                and not BackfillBatch.objects.filter(batch_id=batch.batch_id).exists()
            ):
                batch.save()
            cursor.last_id = last_id
            cursor.sent += count
            cursor.updated_at = timezone.now()
            cursor.save(update_fields=["last_id", "sent", "updated_at"])

    def operations(
        self, object_type: str, obj: Any, *, exists: bool = False
    ) -> list[dict[str, Any]]:
        """The batch operations that create one object (update it, when it ``exists``)."""
        cfg, store = self.mc.cfg, self.mc.store_id
        if object_type == "product":
            if obj.listing_in(self.channel) is None:
                return []
            body = mapping.product(cfg, obj, self.channel)
            if not exists:
                return [
                    _op("POST", f"/ecommerce/stores/{store}/products", body, f"product:{obj.id}")
                ]
            path = f"/ecommerce/stores/{store}/products/{obj.id}"
            variants = body.pop("variants")
            return [
                _op("PATCH", path, body, f"product:{obj.id}"),
                *(
                    _op("PUT", f"{path}/variants/{v['id']}", v, f"variant:{obj.id}:{v['id']}")
                    for v in variants
                ),
            ]
        if object_type == "customer":
            ops = self._member_ops(
                obj.email,
                mapping.consent(cfg.consent_metadata_key, self.channel, obj),
                obj,
                obj.billing_address,
                self.mc.language_of(obj),
            )
            body = mapping.ecommerce_customer(obj.email, obj)
            path = f"/ecommerce/stores/{store}/customers/{body['id']}"
            return [*ops, _op("PUT", path, body, f"customer:{obj.id}")]
        if object_type == "order":
            if not obj.email:
                return []
            agreed = mapping.consent(
                cfg.consent_metadata_key, self.channel, obj.customer, obj.metadata
            )
            ops = self._member_ops(
                obj.email,
                agreed,
                obj.customer,
                obj.billing_address,
                self.mc.language_of(obj.customer, obj.language),
            )
            body = mapping.order(cfg, obj)
            if exists:
                path = f"/ecommerce/stores/{store}/orders/{obj.id}"
                return [*ops, _op("PATCH", path, body, f"order:{obj.id}")]
            return [*ops, _op("POST", f"/ecommerce/stores/{store}/orders", body, f"order:{obj.id}")]
        raise ValueError(f"no batch operation for {object_type}")

    def _member_ops(
        self,
        email: str,
        agreed: bool | None,
        customer: s.Customer | None,
        addr: s.Address | None,
        lang: str,
    ) -> list[dict[str, Any]]:
        """Only those who agreed; ``status_if_new`` leaves existing members' status alone."""
        if agreed is not True or not email or email.lower() in self.members:
            return []
        self.members.add(email.lower())
        body = mapping.member(self.mc.cfg, email, customer, addr, lang)
        path = f"/lists/{self.mc.cfg.audience_id}/members/{subscriber_hash(email)}"
        return [_op("PUT", path, body, f"member:{subscriber_hash(email)}")]

    # -- waiting -----------------------------------------------------------------------
    def wait(self) -> bool:
        """Until every batch of the channel finished (webhook or polling); False on timeout."""
        deadline = time.monotonic() + self.wait_timeout
        while True:
            open_ids = list(
                BackfillBatch.objects.filter(channel=self.channel)
                .exclude(status="finished")
                .values_list("batch_id", flat=True)
            )
            for batch_id in open_ids:
                finish_batch(self.mc, batch_id)
            if (
                not BackfillBatch.objects.filter(channel=self.channel)
                .exclude(status="finished")
                .exists()
            ):
                return True
            if time.monotonic() >= deadline:
                logger.warning("mailchimp backfill: batches still running; run again to resume")
                return False
            self.sleep(self.poll_interval)


def finish_batch(mc: MailchimpIntegration, batch_id: str) -> str:
    """Record a batch's outcome once it finished (from polling or the batch webhook)."""
    row = BackfillBatch.objects.filter(batch_id=batch_id).first()
    if row is None:
        return "batch not started by a backfill"
    if row.finished:
        return "batch already recorded"
    status = mc.client.call(mc.client.batches.status, batch_id)
    row.status = str(status.get("status", "pending"))
    if row.finished:
        row.response_body_url = str(status.get("response_body_url", ""))
        row.finished_at = timezone.now()
        confirmed, lost = set(row.tracked), set()
        if int(status.get("errored_operations", 0) or 0) and row.response_body_url:
            outcome = _read_results(mc.client.batch_results(row.response_body_url))
            row.errored, row.errors, lost = outcome.refused, outcome.kept, outcome.lost
            for error in row.errors[:5]:
                logger.warning(
                    "mailchimp backfill refused %s: %s", error["operation_id"], error["detail"]
                )
        _record_held(mc, confirmed - lost, lost)
    row.save()
    return f"batch {row.status}, {row.errored} refused"


def _record_held(mc: MailchimpIntegration, confirmed: set[str], lost: set[str]) -> None:
    """What Mailchimp confirmed is held; an update it answered 404 to is not."""
    for kind in TRACKED:
        prefix = f"{kind}:"
        ledger.hold(
            mc.id, mc.channel, kind, [i[len(prefix) :] for i in confirmed if i.startswith(prefix)]
        )
        ledger.release(
            mc.id, mc.channel, kind, [i[len(prefix) :] for i in lost if i.startswith(prefix)]
        )


@dataclass
class _Results:
    refused: int = 0
    kept: list[dict[str, Any]] = field(default_factory=list)
    #: tracked operations Mailchimp refused: their object is not (or no longer) there
    lost: set[str] = field(default_factory=set)


def _read_results(results: Iterable[dict[str, Any]]) -> _Results:
    """How many operations Mailchimp refused, the first ones with its reason, and the
    tracked objects it does not hold."""
    out = _Results()
    for item in results:
        code = int(item.get("status_code", 200) or 200)
        if code < 400:
            continue
        try:
            problem = json.loads(item.get("response") or "{}")
        except ValueError:
            problem = {"detail": str(item.get("response", ""))[:300]}
        detail = str(problem.get("detail", ""))
        if any(b in detail.lower() for b in BENIGN):
            continue  # created before: Mailchimp holds it
        operation_id = str(item.get("operation_id", ""))
        if _tracked(operation_id):
            out.lost.add(operation_id)
        out.refused += 1
        if len(out.kept) < MAX_ERRORS_KEPT:
            out.kept.append(
                {
                    "operation_id": operation_id,
                    "status": code,
                    "title": str(problem.get("title", "")),
                    "detail": detail,
                }
            )
    return out


def _tracked(operation_id: str) -> bool:
    return operation_id.partition(":")[0] in TRACKED


def _op(method: str, path: str, body: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return {"method": method, "path": path, "body": json.dumps(body), "operation_id": operation_id}


def _id(obj: Any) -> str:
    return str(getattr(obj, "id", None) or getattr(obj, "token", ""))
