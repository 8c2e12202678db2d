"""The pluggy contract lives in one module and every hook in it is documented."""

from __future__ import annotations

import inspect

from saleor_plugins.core import hookspecs
from saleor_plugins.core.registry import plugin_manager


def specs() -> dict[str, object]:
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, f"{hookspecs.PROJECT}_spec")
    }


def test_every_function_in_the_module_is_a_hookspec() -> None:
    functions = {
        n
        for n, f in inspect.getmembers(hookspecs, inspect.isfunction)
        if f.__module__ == hookspecs.__name__
    }
    assert functions == set(specs())
    assert len(functions) >= 5


def test_every_hook_is_documented_and_named_for_the_project() -> None:
    for name, fn in specs().items():
        assert name.startswith("saleor_plugins_"), name
        doc = inspect.getdoc(fn) or ""
        assert len(doc.split()) >= 5, f"{name} needs a docstring saying when it is called"


def test_the_plugin_manager_knows_every_hook() -> None:
    hooks = plugin_manager().hook
    for name in specs():
        assert getattr(hooks, name).spec is not None, name


def test_a_connector_that_fails_to_import_disables_only_itself(monkeypatch, caplog) -> None:
    import importlib.metadata

    from saleor_plugins.core import registry

    broken = importlib.metadata.EntryPoint(
        name="broken", value="saleor_plugins_no_such_module", group=registry.ENTRY_POINT_GROUP
    )
    real = importlib.metadata.entry_points

    def entry_points(**kwargs):  # type: ignore[no-untyped-def]
        found = list(real(**kwargs))
        return [broken, *found] if kwargs.get("group") == registry.ENTRY_POINT_GROUP else found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    registry.plugin_manager.cache_clear()
    registry.integrations.cache_clear()
    try:
        assert "saleor_plugins.sandbox" in registry.integrations()
        assert "'broken'" in caplog.text and "failed to load" in caplog.text
    finally:
        registry.plugin_manager.cache_clear()
        registry.integrations.cache_clear()
