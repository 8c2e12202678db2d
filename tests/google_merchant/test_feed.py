"""Feed files: streamed XML and TSV, the publish guard, the per-run record."""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from saleor_plugins.core import snapshots as s
from saleor_plugins.google_merchant import feed, mapping
from saleor_plugins.google_merchant.mapping import Offer, map_product
from saleor_plugins.google_merchant.models import FeedRun, FeedStatus

from .conftest import CHANNEL, NOW, MemoryHost, plain_settings, product, variant

G = "{http://base.google.com/ns/1.0}"
pytestmark = pytest.mark.django_db


@pytest.fixture
def storage(tmp_path: Path) -> FileSystemStorage:
    return FileSystemStorage(location=str(tmp_path))


@pytest.fixture
def host() -> MemoryHost:
    MemoryHost.products = {}
    return MemoryHost()


def catalogue(host: MemoryHost, n: int) -> None:
    MemoryHost.products = {
        f"p{i}": product(f"p{i}", (variant(f"v{i}a"), variant(f"v{i}b"))) for i in range(n)
    }


def served(fmt: str, storage: FileSystemStorage) -> str:
    found = feed.open_published(CHANNEL, fmt, storage)
    assert found is not None
    with found[0] as handle:
        return handle.read().decode()


def test_xml_feed_has_one_item_per_variant_in_the_g_namespace(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    catalogue(host, 3)
    MemoryHost.products["p0"] = product("p0", (variant("x"),), name='Tee <"Rock" & Roll>')
    run = feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    assert run.status == FeedStatus.PUBLISHED and run.rows == 5
    root = ET.fromstring(served("xml", storage))  # noqa: S314 - our own output
    items = root.findall("channel/item")
    assert len(items) == 5
    first = items[0]
    assert first.findtext(f"{G}id") == "x"
    assert first.findtext(f"{G}title") == 'Tee <"Rock" & Roll>'
    assert first.findtext(f"{G}price") == "19.99 USD"
    assert first.findtext(f"{G}availability") == "in_stock"
    assert first.findtext(f"{G}identifier_exists") == "no"
    assert first.findtext(f"{G}item_group_id") == "p0"


def test_tsv_feed_has_a_header_and_one_clean_row_per_variant(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    MemoryHost.products = {"p1": product("p1", description="Line one\nline\ttwo")}
    feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    rows = list(csv.reader(io.StringIO(served("tsv", storage)), delimiter="\t"))
    assert tuple(rows[0]) == feed.COLUMNS
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["description"] == "Line one line two"
    assert record["link"] == "https://shop.example.com/p/shirt-p1?v=v1"


def test_repeated_attributes_repeat_in_xml_and_join_in_tsv() -> None:
    p = product(media=tuple(s.Media(f"https://i/{n}.jpg", sort_order=n) for n in range(3)))
    offers = map_product(p, plain_settings(), CHANNEL, NOW).items
    xml_out, tsv_out = io.StringIO(), io.StringIO()
    writer = feed.XmlFeed(xml_out, "t", "https://x")
    writer.write(offers[0])
    writer.close()
    assert xml_out.getvalue().count("<g:additional_image_link>") == 2
    tsv = feed.TsvFeed(tsv_out)
    tsv.write(offers[0])
    assert "https://i/1.jpg,https://i/2.jpg" in tsv_out.getvalue()


def test_each_run_records_variants_left_out_per_missing_field(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    MemoryHost.products = {
        "p1": product("p1", (variant("a"), variant("b", prices=()), variant("c", prices=()))),
        "p2": product("p2", media=()),
    }
    run = feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    assert run.rows == 1
    assert run.skipped == {"price": 2, "image_link": 1}
    assert "2 without price" in feed.summary(CHANNEL)


def test_a_run_without_rows_is_held_and_the_last_feed_stays_served(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    catalogue(host, 4)
    feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    MemoryHost.products = {}
    run = feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    assert run.status == FeedStatus.HELD and "no rows" in run.reason
    assert served("xml", storage).count("<item>") == 8
    assert "held" in feed.summary(CHANNEL)


def test_a_run_under_half_the_last_is_held_unless_forced(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    catalogue(host, 10)
    feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    catalogue(host, 4)
    held = feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    assert held.status == FeedStatus.HELD and "under half" in held.reason
    assert served("xml", storage).count("<item>") == 20
    forced = feed.generate(CHANNEL, plain_settings(), host, storage=storage, force=True)
    assert forced.status == FeedStatus.PUBLISHED
    assert served("xml", storage).count("<item>") == 8


def test_a_smaller_run_above_half_is_published_and_old_files_are_removed(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    catalogue(host, 10)
    first = feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    catalogue(host, 6)
    second = feed.generate(CHANNEL, plain_settings(), host, storage=storage)
    assert second.status == FeedStatus.PUBLISHED
    assert not storage.exists(first.xml_path) and storage.exists(second.xml_path)
    assert FeedRun.objects.get(id=first.id).xml_path == ""


def test_nothing_is_served_before_a_feed_is_published(storage: FileSystemStorage) -> None:
    assert feed.open_published(CHANNEL, "xml", storage) is None
    assert feed.open_published(CHANNEL, "csv", storage) is None


def every_field_dirty(offer: Offer) -> Offer:
    """The offer with a control character in every text it carries (and its currency)."""
    dirty: dict[str, object] = {}
    for f in dataclasses.fields(offer):
        value = getattr(offer, f.name)
        if isinstance(value, str):
            dirty[f.name] = f"a\x01{value}\x1f"
        elif isinstance(value, tuple):
            dirty[f.name] = (*(f"\x0b{v}" for v in value), "\x01", "b\x02")
        elif isinstance(value, s.Money):
            dirty[f.name] = s.Money(value.amount, "US\x01D")
    return dataclasses.replace(offer, **dirty)  # type: ignore[arg-type]


def test_a_control_character_in_any_field_leaves_both_files_well_formed() -> None:
    base = product(variants=(variant(attributes=(s.Attribute("gtin", "G", ("96385074",)),)),),
                   media=(s.Media("https://i/1.jpg"), s.Media("https://i/2.jpg")))  # fmt: skip
    settings = plain_settings(gtin_attribute="gtin", category_mapping="shirts = 212")
    offer = map_product(base, settings, CHANNEL, NOW).items[0]
    offer = dataclasses.replace(offer, sale_price=offer.price, sale_starts=NOW, mpn="m",
                                color="c", size="z", material="w", gender="male",
                                age_group="adult", availability_date=NOW,
                                shipping_weight_grams=Decimal(250), identifier_exists=False,
                                )  # fmt: skip
    dirty = every_field_dirty(offer)
    values = feed.feed_values(dirty)
    assert all(v for v in values.values()), "every feed column carries a value"
    xml_out, tsv_out = io.StringIO(), io.StringIO()
    xml, tsv = feed.XmlFeed(xml_out, "Shop\x01", "https://x\x02"), feed.TsvFeed(tsv_out)
    xml.write(dirty)
    xml.close()
    tsv.write(dirty)
    item = ET.fromstring(xml_out.getvalue()).find("channel/item")  # noqa: S314 - our output
    assert item is not None
    assert item.findtext(f"{G}brand") == f"a{offer.brand}"
    assert item.findtext(f"{G}price") == "19.99 USD"
    assert [e.text for e in item.findall(f"{G}additional_image_link")] == ["https://i/2.jpg", "b"]
    assert not mapping.UNSAFE.search(tsv_out.getvalue())
    assert not mapping.UNSAFE.search(xml_out.getvalue())


def test_control_characters_in_attributes_and_category_names_do_not_break_the_feed(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    """The issue's case: only titles and descriptions used to be cleaned."""
    names = ("brand", "color", "size", "material", "mpn")
    attributes = tuple(s.Attribute(n, n, (f"{n}\x01value",)) for n in names)
    MemoryHost.products = {
        "p1": product("p1", attributes=attributes, category="Shirts\x01",
                      category_path=("Apparel\x01", "Shirts\x01")),
    }  # fmt: skip
    settings = plain_settings(**{f"{n}_attribute": n for n in names})
    feed.generate(CHANNEL, settings, host, storage=storage)
    item = ET.fromstring(served("xml", storage)).find("channel/item")  # noqa: S314
    assert item is not None
    assert [item.findtext(f"{G}{n}") for n in (*names[:4], "mpn")] == [f"{n}value" for n in names]
    assert item.findtext(f"{G}product_type") == "Apparel > Shirts"
    assert "\x01" not in served("tsv", storage)


def test_each_run_records_dropped_gtins_and_how_categories_matched(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    bad = (s.Attribute("gtin", "GTIN", ("4006381333932",)),)
    MemoryHost.products = {
        "p1": product("p1", (variant("a", attributes=bad),), category_slugs=("apparel", "tops")),
        "p2": product("p2", (variant("b"), variant("c", prices=()))),
    }
    settings = plain_settings(gtin_attribute="gtin", category_mapping="tops = 212\nshirts = 5")
    run = feed.generate(CHANNEL, settings, host, storage=storage)
    assert run.skipped == {
        "price": 1, "gtin_invalid": 1, "category_slug": 1, "category_name": 1,
    }  # fmt: skip
    line = feed.summary(CHANNEL)
    assert "left out: 1 without price; 1 GTIN values dropped" in line
    assert "1 categories matched by slug, 1 categories matched by name" in line


def test_a_feed_failing_mid_catalogue_leaves_the_garbage_collector_as_it_was(
    host: MemoryHost, storage: FileSystemStorage
) -> None:
    """The collector is paused over the whole write (core.collector), never left paused."""

    def failing() -> Iterator[s.Product]:
        yield product("p1", (variant("a"),))
        assert not gc.isenabled()  # paused while the catalogue streams
        raise ConnectionError("the database went away")

    gc.enable()
    xml_out, tsv_out = io.StringIO(), io.StringIO()
    with pytest.raises(ConnectionError):
        feed.write_feeds(failing(), plain_settings(), CHANNEL, xml_out, tsv_out, now=NOW)
    assert gc.isenabled()
    assert xml_out.getvalue().count("<item>") == 1
