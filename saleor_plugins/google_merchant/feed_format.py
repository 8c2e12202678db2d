"""One offer as a feed's XML item and TSV row.

Every value reaches the files through :func:`feed_values`, which removes the characters
XML cannot carry (:data:`mapping.UNSAFE`) from all of them: one bad byte in a brand must
not make the whole feed ill-formed. :func:`lines` gives both lines of an offer at once;
when no value holds anything to remove or escape (the usual case, found by one scan of
all the values) it only concatenates them, with the same bytes as the general path.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO
from xml.sax.saxutils import escape

from ..catalog.rules import money_text
from .mapping import UNSAFE, Offer, clean

G_NS = "http://base.google.com/ns/1.0"
COLUMNS = (
    "id", "item_group_id", "title", "description", "link", "image_link", "additional_image_link",
    "price", "sale_price", "sale_price_effective_date", "availability", "availability_date",
    "condition", "brand", "gtin", "mpn", "identifier_exists", "color", "size", "gender",
    "age_group", "material", "google_product_category", "product_type", "shipping_weight",
)  # fmt: skip
#: each column's element: (start tag, end tag, between two repeated values)
_TAGS = tuple((f"<g:{n}>", f"</g:{n}>", f"</g:{n}><g:{n}>") for n in COLUMNS)
_TABS = len(COLUMNS) - 1

Values = dict[str, str | tuple[str, ...]]


def _date(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value is not None else ""


def feed_values(offer: Offer) -> Values:
    """The offer in Google's feed attribute names, in :data:`COLUMNS` order (repeated
    attributes as tuples), every value cleaned of what XML cannot carry."""
    values = _values(offer)
    whole = "".join([v if type(v) is str else "".join(v) for v in values.values()])
    if UNSAFE.search(whole) is None:  # the usual case: one scan, nothing copied
        return values
    return {
        name: clean(v) if isinstance(v, str) else tuple(c for c in map(clean, v) if c)
        for name, v in values.items()
    }


def _values(offer: Offer) -> Values:
    sale_dates = ""
    if offer.sale_price is not None and (offer.sale_starts or offer.sale_ends):
        sale_dates = f"{_date(offer.sale_starts)}/{_date(offer.sale_ends)}"
    return {
        "id": offer.offer_id,
        "item_group_id": offer.item_group_id,
        "title": offer.title,
        "description": offer.description,
        "link": offer.link,
        "image_link": offer.image_link,
        "additional_image_link": offer.additional_image_links,
        "price": money_text(offer.price),
        "sale_price": money_text(offer.sale_price),
        "sale_price_effective_date": sale_dates,
        "availability": offer.availability,
        "availability_date": _date(offer.availability_date),
        "condition": offer.condition,
        "brand": offer.brand,
        "gtin": offer.gtins,
        "mpn": offer.mpn,
        "identifier_exists": "" if offer.identifier_exists else "no",
        "color": offer.color,
        "size": offer.size,
        "gender": offer.gender,
        "age_group": offer.age_group,
        "material": offer.material,
        "google_product_category": offer.google_product_category,
        "product_type": offer.product_type,
        "shipping_weight": (
            f"{offer.shipping_weight_grams.normalize():f} g" if offer.shipping_weight_grams else ""
        ),
    }


def xml_item(values: Values) -> str:
    """``<item>`` with a ``g:`` element per non-empty value (one per repeated value)."""
    parts = ["<item>"]
    for name, value in values.items():
        for item in value if isinstance(value, tuple) else (value,):
            if item:
                parts.append(f"<g:{name}>{escape(item)}</g:{name}>")
    parts.append("</item>\n")
    return "".join(parts)


def _cell(value: str | tuple[str, ...]) -> str:
    text = ",".join(value) if isinstance(value, tuple) else value
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return text


def tsv_row(values: Values) -> str:
    """The values in :data:`COLUMNS` order, tab-separated (repeated values joined by
    commas; tabs and line breaks inside a value become spaces)."""
    return "\t".join([_cell(values[c]) for c in COLUMNS]) + "\n"


def lines(offer: Offer) -> tuple[str, str]:
    """(the XML item, the TSV row) of an offer: ``xml_item(feed_values(offer))`` and
    ``tsv_row(feed_values(offer))``, the usual case built from one join of the values.

    Values without an unsafe character or tab are joined as they are into the TSV row
    (line breaks then made spaces). XML-escaping them all at once, joined by ``\\x00``
    (a repeated value's items by ``\\x01``: unsafe characters, so no value holds them),
    does what escaping each does."""
    items = list(_values(offer).values())
    row = "\t".join([v if type(v) is str else ",".join(v) for v in items])
    if UNSAFE.search(row) or row.count("\t") != _TABS:  # rare: to clean, or a tab inside
        values = feed_values(offer)
        return xml_item(values), tsv_row(values)
    if "\n" in row or "\r" in row:  # as in each cell (:func:`_cell`): tabs separate them
        row = row.replace("\r", " ").replace("\n", " ")
    texts = [v if type(v) is str else "\x01".join([i for i in v if i]) for v in items]
    escaped = escape("\x00".join(texts)).split("\x00")
    xml = [start + text.replace("\x01", between) + end
           for (start, end, between), text in zip(_TAGS, escaped, strict=True) if text]  # fmt: skip
    return "<item>" + "".join(xml) + "</item>\n", row + "\n"


class XmlFeed:
    def __init__(self, out: IO[str], title: str, link: str) -> None:
        self.out = out
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="{G_NS}">')
        title, link = escape(clean(title)), escape(clean(link))
        out.write(f"<channel><title>{title}</title><link>{link}</link>\n")

    def write(self, offer: Offer, values: Values | None = None) -> None:
        self.out.write(xml_item(values or feed_values(offer)))

    def close(self) -> None:
        self.out.write("</channel></rss>\n")


class TsvFeed:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        out.write("\t".join(COLUMNS) + "\n")

    def write(self, offer: Offer, values: Values | None = None) -> None:
        self.out.write(tsv_row(values or feed_values(offer)))

    def close(self) -> None:
        pass
