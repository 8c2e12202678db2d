"""Bodies checked against Xero's own OpenAPI spec.

The schemas the stand-in checks (and those they refer to) ship beside this module in
``xero_schemas.json``, taken unchanged from Xero's ``xero_accounting.yaml``
(XeroAPI/Xero-OpenAPI); ``tests/xero/test_spec.py`` checks they still are.

What the fake Xero refuses as Xero would: a property the schema does not have (a typo the
SDK would never send, or a field of another object), a required property missing, a
value of the wrong JSON type, a value outside the schema's enum.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).with_name("xero_schemas.json")
#: what the stand-in checks; the file holds these and every schema they refer to
CHECKED = ("BankTransfer", "BankTransaction")
TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@cache
def schemas() -> dict[str, Any]:
    return dict(json.loads(SCHEMAS.read_text()))


def closure(every: dict[str, Any], names: tuple[str, ...] = CHECKED) -> dict[str, Any]:
    """The named schemas of a spec's ``components.schemas`` and all they refer to."""
    found: dict[str, Any] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found[name] = every[name]
        todo += [ref.rsplit("/", 1)[1] for ref in _refs(every[name])]
    return dict(sorted(found.items()))


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return _resolve(schemas()[ref.rsplit("/", 1)[1]]) if ref else schema


def errors(name: str, value: Any, path: str = "") -> list[str]:
    """What is wrong with ``value`` as an instance of the spec's schema ``name``."""
    return _check(schemas()[name], value, path or name)


def _check(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    schema = _resolve(schema)
    kind = schema.get("type") or ("object" if "properties" in schema else "")
    if value is None:
        return []
    wrong = kind and not isinstance(value, TYPES[kind])
    if wrong or (kind in ("number", "integer") and isinstance(value, bool)):
        return [f"{path}: {type(value).__name__} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} is not one of {schema['enum']}"]
    found: list[str] = []
    if kind == "array":
        for i, item in enumerate(value):
            found += _check(schema.get("items") or {}, item, f"{path}[{i}]")
    if kind == "object" and "properties" in schema:
        props = schema["properties"]
        found += [f"{path}: unknown property {k}" for k in value if k not in props]
        found += [f"{path}: {k} is required" for k in schema.get("required", []) if k not in value]
        for k, v in value.items():
            if k in props:
                found += _check(props[k], v, f"{path}.{k}")
    return found
