"""An offer's XML item and TSV row: the quick path gives the general path's bytes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from saleor_plugins.core import snapshots as s
from saleor_plugins.google_merchant import feed_format as ff
from saleor_plugins.google_merchant.mapping import Offer, map_product

from .conftest import CHANNEL, NOW, plain_settings, product, variant


def an_offer() -> Offer:
    p = product(
        variants=(variant(attributes=(s.Attribute("gtin", "G", ("96385074",)),)),),
        media=tuple(s.Media(f"https://i/{n}.jpg?a=1&b=2", sort_order=n) for n in range(3)),
    )
    settings = plain_settings(gtin_attribute="gtin", category_mapping="shirts = A & B > C")
    offer = map_product(p, settings, CHANNEL, NOW).items[0]
    return dataclasses.replace(
        offer, sale_price=s.Money(Decimal("9.5"), "USD"), sale_starts=NOW,
        sale_ends=NOW + timedelta(days=2), mpn="m", color="c", size="z", material="w",
        gender="male", age_group="adult", availability_date=NOW, brand="Acme",
        shipping_weight_grams=Decimal("250.500"), identifier_exists=False,
    )  # fmt: skip


TEXTS = {
    "plain": "Cotton shirt",
    "markup": "Tom & Jerry <b>bold</b> > less",
    "line breaks": "one\n\ntwo\r\nthree",
    "a tab": "left\tright",
    "unsafe": "bad\x01byte\x7f",
    "a separator character": "nul\x00and\x01",
    "empty": "",
}


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_lines_are_the_general_xml_item_and_tsv_row(text: str) -> None:
    offer = dataclasses.replace(
        an_offer(), title=text, description=f"{text} and more", brand=text,
        additional_image_links=("https://i/1.jpg", "", text), gtins=(text, "96385074"),
    )  # fmt: skip
    values = ff.feed_values(offer)
    assert ff.lines(offer) == (ff.xml_item(values), ff.tsv_row(values))


def test_every_column_is_filled_in_column_order() -> None:
    values = ff.feed_values(an_offer())
    assert tuple(values) == ff.COLUMNS
    assert all(values.values())
    xml, tsv = ff.lines(an_offer())
    assert tsv.count("\t") == len(ff.COLUMNS) - 1
    assert xml.count("<g:additional_image_link>") == 2
    assert "<g:google_product_category>A &amp; B &gt; C</g:google_product_category>" in xml
