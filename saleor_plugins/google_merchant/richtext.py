"""Saleor's rich text (EditorJS JSON) rendered to plain text.

Saleor stores descriptions as EditorJS documents (``{"blocks": [{"type": "paragraph",
"data": {"text": "<b>Soft</b> cotton"}}]}``) whose inline text carries HTML. Providers want
plain text: blocks become paragraphs, list items lines starting with "- ", inline HTML is
stripped and entities decoded. Unknown blocks contribute whatever text they hold.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")


def inline_text(value: Any) -> str:
    """One EditorJS inline string (HTML allowed) as plain text."""
    if not isinstance(value, str):
        return ""
    text = _BREAK.sub("\n", value)
    text = html.unescape(_TAG.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _list_items(items: Any, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):  # nested-list format: {"content": ..., "items": [...]}
            text = inline_text(item.get("content", ""))
            children = item.get("items", [])
        else:
            text, children = inline_text(item), []
        if text:
            lines.append("  " * depth + "- " + text)
        lines += _list_items(children, depth + 1)
    return lines


def _block_text(block: dict[str, Any]) -> str:
    kind = block.get("type", "")
    data = block.get("data") or {}
    if not isinstance(data, dict):
        return ""
    if kind == "list":
        return "\n".join(_list_items(data.get("items")))
    if kind == "table":
        rows = data.get("content") or []
        return "\n".join(
            " | ".join(inline_text(cell) for cell in row) for row in rows if isinstance(row, list)
        )
    if kind == "quote":
        quoted = (inline_text(data.get("text")), inline_text(data.get("caption")))
        return "\n".join(t for t in quoted if t)
    if kind in ("image", "embed"):
        return inline_text(data.get("caption"))
    if kind == "delimiter":
        return ""
    return inline_text(data.get("text"))


def render_rich_text(document: Any) -> str:
    """EditorJS JSON (a dict, a JSON string or None) as plain text; plain strings pass."""
    if document is None or document == "":
        return ""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return inline_text(document)
    if not isinstance(document, dict):
        return ""
    blocks = document.get("blocks") or []
    parts = [_block_text(b) for b in blocks if isinstance(b, dict)]
    return "\n\n".join(p for p in parts if p)
