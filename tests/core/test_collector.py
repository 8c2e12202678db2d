"""The cyclic collector paused over a catalogue run comes back however the run ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from saleor_plugins.core.collector import collector_paused


@pytest.fixture(autouse=True)
def collector_enabled() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_paused_inside_and_enabled_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_enabled_again_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the catalogue read failed")
    assert gc.isenabled()


def test_a_nested_pause_leaves_the_outer_one_in_force() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_a_consumer_stopping_a_paused_generator_early_enables_it_again() -> None:
    def pages() -> Iterator[int]:
        with collector_paused():
            yield from range(10)

    stream = pages()
    assert next(stream) == 0 and not gc.isenabled()
    stream.close()
    assert gc.isenabled()
