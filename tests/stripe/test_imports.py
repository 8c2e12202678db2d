"""Saleor is imported by the Stripe integration's plugin.py alone."""

from __future__ import annotations

import ast
from pathlib import Path

import saleor_plugins.stripe

FOLDER = Path(saleor_plugins.stripe.__file__).parent


def _imports_saleor(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        if any(n == "saleor" or n.startswith("saleor.") for n in names):
            return True
    return False


def test_only_plugin_py_imports_saleor() -> None:
    importers = sorted(
        str(p.relative_to(FOLDER)) for p in FOLDER.rglob("*.py") if _imports_saleor(p)
    )
    assert importers == ["plugin.py"]
