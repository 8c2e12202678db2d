"""Attribute values as a merchant reads them: from model instances (order lines) or from
rows (product pages, :mod:`.product_rows`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ...core import richtext
from ...core import snapshots as s


def value_text(plain_text: Any, rich_text: Any, name: Any) -> str:
    """The plain or rich text when the attribute holds text, else the value's name
    (dropdowns, swatches, numbers, files)."""
    if plain_text:
        return str(plain_text)
    if rich_text:
        return richtext.render(rich_text)
    return str(name)


def group(pairs: Iterable[tuple[Any, Any]]) -> tuple[s.Attribute, ...]:
    """(``Attribute``, ``AttributeValue``) instances, in order, grouped by attribute."""
    grouped: dict[int, tuple[Any, list[str]]] = {}
    for attribute, value in pairs:
        text = value_text(value.plain_text, value.rich_text, value.name)
        grouped.setdefault(attribute.pk, (attribute, []))[1].append(text)
    return tuple(s.Attribute(a.slug, a.name, tuple(v)) for a, v in grouped.values())


class AttributeRows:
    """Each owner's attributes from rows ``(owner id, attribute id, attribute slug,
    attribute name, value id, value name, plain text, rich text as JSON text)`` in their
    order.

    A value's text, and an attribute holding the same values, are built once and shared
    (snapshots are immutable): a page of 500 products names the same sizes thousands of
    times. One instance serves one page, so what it keeps is bounded by the page.
    """

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}
        self._attributes: dict[tuple[int, tuple[int, ...]], s.Attribute] = {}

    def by_owner(self, rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[s.Attribute, ...]]:
        texts = self._texts
        owners: dict[int, dict[int, list[Any]]] = {}
        for owner, attribute_id, slug, name, value_id, value_name, plain, rich in rows:
            if value_id not in texts:
                texts[value_id] = value_text(
                    plain, json.loads(rich) if rich and not plain else None, value_name
                )
            per_owner = owners.get(owner)
            if per_owner is None:
                per_owner = owners[owner] = {}
            entry = per_owner.get(attribute_id)
            if entry is None:
                per_owner[attribute_id] = [slug, name, value_id]
            else:
                entry.append(value_id)
        return {
            owner: tuple(self._attribute(key, entry) for key, entry in attributes.items())
            for owner, attributes in owners.items()
        }

    def _attribute(self, attribute_id: int, entry: list[Any]) -> s.Attribute:
        key = (attribute_id, tuple(entry[2:]))
        found = self._attributes.get(key)
        if found is None:
            texts = self._texts
            found = s.Attribute(entry[0], entry[1], tuple(texts[v] for v in key[1]))
            self._attributes[key] = found
        return found
