"""EditorJS rich text -> plain text."""

from __future__ import annotations

import json

from saleor_plugins.core.richtext import render as render_rich_text


def doc(*blocks: dict) -> str:
    return json.dumps({"time": 1, "blocks": list(blocks), "version": "2.22.2"})


def test_paragraphs_are_separated_by_a_blank_line() -> None:
    text = render_rich_text(
        doc(
            {"type": "paragraph", "data": {"text": "One"}},
            {"type": "header", "data": {"text": "Two", "level": 2}},
        )
    )
    assert text == "One\n\nTwo"


def test_inline_html_is_stripped_and_entities_decoded() -> None:
    block = {
        "type": "paragraph",
        "data": {"text": 'A <a href="x">link</a>&nbsp;&amp; <i>more</i><br>next'},
    }
    assert render_rich_text(doc(block)) == "A link & more\nnext"


def test_lists_become_dashed_lines_nested_ones_indented() -> None:
    flat = {"type": "list", "data": {"style": "unordered", "items": ["a", "<b>b</b>"]}}
    nested = {
        "type": "list",
        "data": {"items": [{"content": "x", "items": [{"content": "y", "items": []}]}]},
    }
    assert render_rich_text(doc(flat)) == "- a\n- b"
    assert render_rich_text(doc(nested)) == "- x\n  - y"


def test_quotes_and_tables_keep_their_text() -> None:
    quote = {"type": "quote", "data": {"text": "Great", "caption": "Ann"}}
    table = {"type": "table", "data": {"content": [["a", "b"], ["c", "d"]]}}
    assert render_rich_text(doc(quote, table)) == "Great\nAnn\n\na | b\nc | d"


def test_dicts_none_and_garbage_are_accepted() -> None:
    assert render_rich_text({"blocks": [{"type": "paragraph", "data": {"text": "x"}}]}) == "x"
    assert render_rich_text(None) == ""
    assert render_rich_text("plain <b>words</b>") == "plain words"
    assert render_rich_text({"blocks": [{"type": "paragraph", "data": None}, "junk"]}) == ""
