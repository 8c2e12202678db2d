"""The CSV feed: the live sync's items as rows, and who may read it."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime

from saleor_plugins.meta import feed

from .conftest import CHANNEL, plain_settings, product, variant

TOKEN = "feed-token-0123456789abcdefghij-klmno"


def test_one_row_per_listable_variant_with_the_sync_fields() -> None:
    products = [product("p1", (variant("a"), variant("b", prices=()))), product("p2", listings=())]
    text = "".join(feed.lines(products, plain_settings(), CHANNEL, datetime.now(UTC)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in rows] == ["SKU-a"]
    assert rows[0]["price"] == "19.99 USD"
    assert rows[0]["availability"] == "in stock"
    assert rows[0]["additional_image_link"] == "https://img.example.com/b.jpg"
    assert rows[0]["item_group_id"] == "p1"


def test_the_feed_is_streamed_product_by_product() -> None:
    products = (product(f"p{n}") for n in range(3))
    chunks = list(feed.lines(products, plain_settings(), CHANNEL, datetime.now(UTC)))
    assert len(chunks) == 4  # the header, then one chunk per product


def test_only_the_feed_token_opens_the_feed() -> None:
    settings = plain_settings(feed_token=TOKEN)
    assert feed.authorised(settings, {"token": TOKEN}, "")
    assert not feed.authorised(settings, {"token": TOKEN[:-1]}, "")
    assert not feed.authorised(settings, {}, "")
    basic = "Basic " + base64.b64encode(f"meta:{TOKEN}".encode()).decode()
    assert feed.authorised(settings, {}, basic)
    assert not feed.authorised(plain_settings(), {"token": ""}, "")  # no token: no feed
