"""Saleor's rich text (EditorJS JSON) as plain text. Pure: no Saleor, no Django.

Saleor stores product, category and attribute descriptions as EditorJS documents::

    {"time": ..., "blocks": [{"type": "paragraph", "data": {"text": "<b>Soft</b> &amp; warm"}}]}

Inline strings carry HTML (``<b>``, ``<a href>``, ``<br>``) and entities. Providers want
plain text, so :func:`render` gives:

- one paragraph per block, separated by a blank line;
- ``header``, ``paragraph``, ``quote`` (text, then caption), ``code``, ``raw`` (tags stripped):
  their text;
- ``list``: one line per item, ``- item`` (unordered) or ``1. item`` (ordered), nested items
  (EditorJS nested-list format ``{"content", "items"}``) indented by two spaces per level;
- ``checklist``: ``[x] item`` / ``[ ] item``; ``table``: cells joined by `` | ``, one row a line;
- ``image`` / ``embed``: their caption; ``delimiter``: nothing; unknown blocks: their ``text``.

Tags are removed, ``<br>`` becomes a line break, entities are decoded, runs of spaces collapse.
Anything malformed (a non-dict block, a JSON string that does not parse) degrades to the text
that can be found, never to an exception: a description must not stop a sync.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["inline", "render"]

_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6])>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def inline(value: Any) -> str:
    """One EditorJS inline string (HTML allowed) as plain text; non-strings give ``""``."""
    if not isinstance(value, str) or not value:
        return ""
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", value)))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _list(items: Any, ordered: bool, depth: int = 0) -> list[str]:
    out: list[str] = []
    number = 0
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            text, children = inline(item.get("content") or item.get("text")), item.get("items")
        else:
            text, children = inline(item), None
        if text:
            number += 1
            marker = f"{number}." if ordered else "-"
            out.append(f"{'  ' * depth}{marker} {text}")
        out += _list(children, ordered, depth + 1)
    return out


def _block(block: dict[str, Any]) -> str:
    kind = block.get("type")
    data = block.get("data")
    if not isinstance(data, dict):
        return ""
    if kind == "list":
        return "\n".join(_list(data.get("items"), data.get("style") == "ordered"))
    if kind == "checklist":
        items = [i for i in data.get("items") or () if isinstance(i, dict)]
        lines = [(bool(i.get("checked")), inline(i.get("text"))) for i in items]
        return "\n".join(f"[{'x' if done else ' '}] {text}" for done, text in lines if text)
    if kind == "table":
        rows = [r for r in data.get("content") or () if isinstance(r, list)]
        cells = [[inline(c) for c in row] for row in rows]
        return "\n".join(" | ".join(row) for row in cells if any(row))
    if kind == "quote":
        return "\n".join(t for t in (inline(data.get("text")), inline(data.get("caption"))) if t)
    if kind in ("image", "embed"):
        return inline(data.get("caption"))
    if kind == "delimiter":
        return ""
    if kind in ("code", "raw"):
        return inline(data.get("code") or data.get("html"))
    return inline(data.get("text"))


def render(document: Any) -> str:
    """An EditorJS document (dict, JSON string or None) as plain text.

    A string that is not JSON is taken as inline HTML (older data, imports).
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return inline(document)
    if not isinstance(document, dict):
        return ""
    blocks = document.get("blocks")
    parts = [_block(b) for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []
    return "\n\n".join(p for p in parts if p)
