"""The kernel's imports point one way (issue 13, item 5): writing jobs (outbox), handing
ids to Celery (handoff), delivering (delivery), deciding what next (circuit, backoff);
tasks sit on top. No import hidden inside a function holds a loop together."""

from __future__ import annotations

import ast
from pathlib import Path

import saleor_plugins.core as core

CORE = Path(core.__file__).parent


def _imports() -> tuple[dict[str, set[str]], list[str]]:
    graph: dict[str, set[str]] = {}
    hidden: list[str] = []
    for path in CORE.glob("*.py"):
        module = path.stem
        tree = ast.parse(path.read_text())
        top = set(tree.body)
        for node in ast.walk(tree):
            names: set[str] = set()
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "saleor_plugins.core."
            ):
                names = {node.module.split(".")[2]}
            names = {n for n in names if (CORE / f"{n}.py").exists()}
            if not names:
                continue
            graph.setdefault(module, set()).update(names)
            if node not in top and module != "apps":  # Django's ready() hook
                hidden.append(f"{module} -> {sorted(names)}")
    return graph, hidden


def test_no_kernel_import_is_hidden_inside_a_function() -> None:
    assert _imports()[1] == []


def test_the_kernel_import_graph_has_no_cycle() -> None:
    graph, _ = _imports()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for name in graph.get(module, ()):
            visit(name, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_the_flow_reads_in_one_direction() -> None:
    graph, _ = _imports()
    assert not any("tasks" in deps for deps in graph.values())  # handed over by name
    assert "handoff" in graph["outbox"] and "handoff" in graph["delivery"]
    for writer in ("outbox", "handoff"):
        assert not graph.get(writer, set()) & {"delivery", "circuit", "tasks", "maintenance"}
    assert "delivery" not in graph["circuit"]
