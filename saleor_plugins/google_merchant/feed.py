"""Product feed files per channel: XML (RSS 2.0, ``g:`` namespace) and TSV.

Generation streams: snapshots arrive page by page from the host, each offer is written to
two temporary files at once, and the files are copied to Django's storage in chunks; memory
stays flat whatever the catalogue size. A run is published (served at the feed URL) only
past a guard: not when it has no rows, nor under half the rows of the last published run,
unless forced. Every run records its rows, the variants left out per missing field and the
mapping's notes (GTINs dropped, how categories matched).

Each offer becomes an XML item and a TSV row in :mod:`.feed_format`, which also keeps
what XML cannot carry out of both files.
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from ..catalog.guard import too_small
from ..core.collector import collector_paused
from ..core.snapshots import Product
from .feed_format import COLUMNS, G_NS, TsvFeed, XmlFeed, feed_values, lines
from .mapping import NOTES, map_product, report
from .models import FeedRun, FeedStatus
from .settings import GoogleMerchantSettings
from .sync import Catalogue

__all__ = [
    "COLUMNS", "G_NS", "TsvFeed", "XmlFeed", "feed_values", "generate", "open_published",
    "summary", "write_feeds",
]  # fmt: skip

CONTENT_TYPES = {
    "xml": "application/xml; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}


def write_feeds(
    products: Iterable[Product],
    settings: GoogleMerchantSettings,
    channel: str,
    xml_out: IO[str],
    tsv_out: IO[str],
    *,
    now: datetime,
    title: str = "",
    on_product: Callable[[], None] | None = None,
) -> tuple[int, Counter[str]]:
    """Stream every product's offers into both files; (rows, a count per missing field
    of the variants left out and per key of :data:`mapping.NOTES`)."""
    link = settings.product_url_template.split("/", 3)[:3]
    xml = XmlFeed(xml_out, title or f"Products of {channel}", "/".join(link))
    tsv = TsvFeed(tsv_out)
    rows, skipped = 0, Counter[str]()
    with collector_paused():  # a catalogue's worth of short-lived objects (core.collector)
        for product in products:
            mapped = map_product(product, settings, channel, now)
            for offer in mapped.items:
                xml_line, tsv_line = lines(offer)
                xml_out.write(xml_line)
                tsv_out.write(tsv_line)
            rows += len(mapped.items)
            skipped.update(mapped.left_out())
            skipped.update(mapped.notes)
            if on_product is not None:
                on_product()
    xml.close()
    tsv.close()
    return rows, skipped


def last_published(channel: str) -> FeedRun | None:
    return (
        FeedRun.objects.filter(channel=channel, status=FeedStatus.PUBLISHED).order_by("-id").first()
    )


def guard(rows: int, previous: FeedRun | None) -> str:
    """Why a run must not be published ("" when it may)."""
    if rows == 0:
        return "the run produced no rows"
    if previous is not None and too_small(rows, previous.rows):
        return f"{rows} rows is under half of the last published run's {previous.rows}"
    return ""


def _store(storage: Storage, name: str, handle: IO[bytes]) -> str:
    handle.seek(0)
    return storage.save(name, File(handle, name=name))


def generate(
    channel: str,
    settings: GoogleMerchantSettings,
    host: Catalogue,
    *,
    force: bool = False,
    storage: Storage | None = None,
    on_product: Callable[[], None] | None = None,
) -> FeedRun:
    """Generate the channel's feed files, store them and publish them past the guard."""
    storage = storage or default_storage
    run = FeedRun.objects.create(channel=channel, forced=force)
    previous = last_published(channel)
    products: Iterator[Product] = host.iter_objects("product", channel)
    try:
        with tempfile.TemporaryFile() as xml_raw, tempfile.TemporaryFile() as tsv_raw:
            xml_text = io.TextIOWrapper(xml_raw, encoding="utf-8", newline="")
            tsv_text = io.TextIOWrapper(tsv_raw, encoding="utf-8", newline="")
            rows, skipped = write_feeds(
                products, settings, channel, xml_text, tsv_text, now=timezone.now(),
                on_product=on_product,
            )  # fmt: skip
            xml_text.flush()
            tsv_text.flush()
            base = f"google_merchant/{channel}/feed-{run.pk}"
            run.xml_path = _store(storage, f"{base}.xml", xml_raw)
            run.tsv_path = _store(storage, f"{base}.tsv", tsv_raw)
            xml_text.detach()
            tsv_text.detach()
    except Exception as e:
        run.status, run.reason, run.finished_at = FeedStatus.FAILED, str(e)[:2000], timezone.now()
        run.save()
        raise
    run.rows, run.skipped, run.finished_at = rows, dict(skipped), timezone.now()
    held = "" if force else guard(rows, previous)
    run.status = FeedStatus.HELD if held else FeedStatus.PUBLISHED
    run.reason = held
    run.save()
    if not held:
        _prune(channel, run, storage)
    return run


def _prune(channel: str, keep: FeedRun, storage: Storage) -> None:
    """Delete the files of older runs once a newer run is published."""
    for old in FeedRun.objects.filter(channel=channel, id__lt=keep.id).exclude(xml_path=""):
        for path in (old.xml_path, old.tsv_path):
            if path and storage.exists(path):
                storage.delete(path)
    FeedRun.objects.filter(channel=channel, id__lt=keep.id).update(xml_path="", tsv_path="")


def open_published(
    channel: str, fmt: str, storage: Storage | None = None
) -> tuple[Any, str] | None:
    """The published feed file of the channel (an open file, content type), or None."""
    if fmt not in CONTENT_TYPES:
        return None
    run = last_published(channel)
    if run is None:
        return None
    path = run.xml_path if fmt == "xml" else run.tsv_path
    storage = storage or default_storage
    if not path or not storage.exists(path):
        return None
    return storage.open(path, "rb"), CONTENT_TYPES[fmt]


def summary(channel: str) -> str:
    """One line about the feed for the dashboard."""
    run = (
        FeedRun.objects.filter(channel=channel)
        .exclude(status=FeedStatus.RUNNING)
        .order_by("-id")
        .first()
    )
    if run is None:
        return "Feed: not generated yet"
    left_out = {k: v for k, v in run.skipped.items() if k not in NOTES}
    notes = {k: v for k, v in run.skipped.items() if k in NOTES}
    text = f"Feed {run.status} {run.finished_at:%Y-%m-%d %H:%M} UTC: {run.rows} rows"
    said = report(left_out, notes)
    text += f"; {said}" if said else ""
    return text + (f" (held: {run.reason})" if run.status == FeedStatus.HELD else "")
